/**
 * What a Substrate co-signer reads from its hub node (relayers/paths/substrate/delivery.ts), on a
 * real in-process hub that forwards packets from a spoke to `sub-1`: the batch, checked against
 * the node's own records, and refused when a node's answers disagree; the pairs, acks and
 * timeout rule of the delivery; the multisig's threshold rule. No Substrate chain needed.
 */
import { Keyring } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bytes, concat, equalBytes, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type Packet, ackCommitment, channelId, decodeAck, encodeAck, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { BlockEvents, PontisReader } from '../../relayers/paths/pontis/endpoint.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { multisigAccount } from '../../relayers/paths/substrate/cosigner.ts';
import { ackBackPairs, ackedKeysIn, deliveryPairs, inChannelOrder, readHubAcks, readHubBatch, receiptKeysIn, receivePlan, substrateAck, timedOutAt, timeoutKeysIn, timeoutPairs } from '../../relayers/paths/substrate/delivery.ts';
import { refundOf, transferFields } from '../../adapters/substrate/transfers.ts';
import { encodeTransferPayload } from '../../hub-chain/modules/transfer/transfer.ts';
import { ackedOfRemark } from '../../adapters/substrate/packets.ts';
import { packetsOfRemark } from '../../adapters/substrate/packets.ts';
import { encodeRemarkPayload } from '../../hub-chain/light-clients/substrate/remark.ts';
import { timeoutRecordFor } from '../../hub-chain/light-clients/substrate/records.ts';
import { relayRound } from '../../relayers/round.ts';
import { SharedClock, TestChain, connect } from '../support/coordinator.ts';
import { registerChainAction } from '../support/register-chain.ts';
import { sendMsg } from '../interchain/setup.ts';

const SUB = 'sub-1';
let hub: TestChain;
let spoke: TestChain;
let sink: TestChain;
let height: number;
let packets: Packet[];

/** The honest hub node with some answers replaced: what a lying or broken node serves. */
function lying(o: { state?: (key: string, v: Bytes | undefined) => Bytes | undefined; events?: (b: BlockEvents) => BlockEvents }): PontisReader {
  return {
    chainId: hub.chainId,
    latestHeight: () => hub.latestHeight(),
    signedHeader: (h) => hub.signedHeader(h),
    validatorSet: (h) => hub.validatorSet(h),
    proveState: (k, h) => hub.proveState(k, h),
    readState: async (k) => (o.state ? o.state(Buffer.from(k).toString('utf8'), await hub.readState(k)) : hub.readState(k)),
    blockEvents: async (h) => (o.events ? o.events(await hub.blockEvents(h)) : hub.blockEvents(h)),
  };
}

const withPackets = (b: BlockEvents, f: (ps: Packet[]) => Packet[]): BlockEvents => ({
  ...b,
  txs: b.txs.map((tx) => ({
    ...tx,
    events: tx.events.flatMap((e) => (e.type === 'packet/forwarded' && JSON.parse(e.attributes.packet).dstChain === SUB ? f([JSON.parse(e.attributes.packet)]).map((p) => ({ ...e, attributes: { ...e.attributes, packet: JSON.stringify(p) } })) : [e])),
  })),
});

beforeAll(async () => {
  const clock = new SharedClock();
  hub = new TestChain(clock, { chainId: 'hub' });
  await hub.makeBlock();
  spoke = new TestChain(clock, { chainId: 'dept-a', hubChainId: 'hub' });
  await spoke.makeBlock();
  // a stand-in registration for the destination (the chopsticks test registers a real `substrate` client)
  sink = new TestChain(clock, { chainId: SUB, hubChainId: 'hub' });
  await sink.makeBlock();
  await connect(hub, spoke);
  await connect(spoke, hub);
  const r = await hub.govern(registerChainAction({ chainId: SUB, clientParams: { trustingPeriodMs: 14 * 24 * 3600_000, maxClockDriftMs: 600_000 }, clientInitial: await sink.clientInitial() }));
  expect(r.code, r.log).toBe('ok');
  expect((await spoke.exec([sendMsg(SUB, 'one'), sendMsg(SUB, 'two'), sendMsg('hub', 'not for sub-1')])).code).toBe('ok');
  const before = hub.chain.latestHeight();
  let cursor: Record<string, number> = {};
  for (let i = 0; i < 3; i++) cursor = (await relayRound(new PontisPathHandlers(new Map<string, TestChain>([['dept-a', spoke], ['hub', hub]]), 'hub'), 'dept-a', 'hub', cursor)).cursor;
  for (let h = before + 1; h <= hub.chain.latestHeight() && !packets; h++) {
    const b = await readHubBatch(hub, SUB, h);
    if (b) [height, packets] = [h, b.packets];
  }
  await cryptoWaitReady();
});

afterAll(async () => {
  for (const c of [hub, spoke, sink]) await c?.close();
});

describe('substrate delivery: the hub batch a co-signer reads', () => {
  it('behavior: the batch holds the forwarded packets for the chain, in commit order, and only those', async () => {
    const text = (p: Packet) => Buffer.from((JSON.parse(Buffer.from(p.payload.slice(2), 'hex').toString()) as { data: string }).data.slice(2), 'hex').toString();
    expect(packets.map((p) => [p.dstChain, text(p)])).toEqual([
      [SUB, 'one'],
      [SUB, 'two'],
    ]);
    const leaves = (await hub.readState(packetKeys.batchLeaves(SUB, height)))!;
    expect(equalBytes(leaves, concat(...packets.map(packetCommitment)))).toBe(true);
    // blocks that committed nothing for the chain have no batch
    expect(await readHubBatch(hub, SUB, height - 1)).toBeUndefined();
    expect(await readHubBatch(hub, 'other-chain', height)).toBeUndefined();
  });

  it('adversarial: a node whose leaves, batch key, events or outbound commitments disagree is refused', async () => {
    const batchKey = Buffer.from(packetKeys.batch(SUB, height)).toString('utf8');
    const leavesKey = Buffer.from(packetKeys.batchLeaves(SUB, height)).toString('utf8');
    const forged: Packet = { ...packets[0], payload: toHex(utf8('mint me')) };
    const cases: [string, PontisReader, string][] = [
      ['a leaf replaced', lying({ state: (k, v) => (k === leavesKey ? concat(packetCommitment(forged), v!.subarray(32)) : v) }), 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID'],
      ['the batch key of another list', lying({ state: (k, v) => (k === batchKey ? concat(new Uint8Array(32), v!.subarray(32)) : v) }), 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID'],
      ['no batch key', lying({ state: (k, v) => (k === batchKey ? undefined : v) }), 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID'],
      ['leaves not 32-byte aligned', lying({ state: (k, v) => (k === leavesKey ? v!.subarray(1) : v) }), 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID'],
      ['an event packet altered', lying({ events: (b) => withPackets(b, (ps) => ps.map((p) => (p.sequence === packets[0].sequence ? forged : p))) }), 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID'],
      ['an extra event packet', lying({ events: (b) => withPackets(b, (ps) => (ps[0].sequence === packets[1].sequence ? [...ps, forged] : ps)) }), 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID'],
      ['events out of order', lying({ events: (b) => withPackets(b, (ps) => ps.map((p) => (p.sequence === packets[0].sequence ? packets[1] : packets[0]))) }), 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID'],
      ['another outbound commitment', lying({ state: (k, v) => (k === `pkt/out/${channelId(packets[0])}/${packets[0].sequence}` ? packetCommitment(forged) : v) }), 'PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED'],
    ];
    for (const [name, node, code] of cases) await expect(readHubBatch(node, SUB, height), name).rejects.toMatchObject({ code });
  });

  it('behavior: a packet no longer outbound (the hub took its ack or timeout) is set apart as resolved, not signed again', async () => {
    const node = lying({ state: (k, v) => (k === `pkt/out/${channelId(packets[1])}/${packets[1].sequence}` ? undefined : v) });
    expect(await readHubBatch(node, SUB, height)).toEqual({ chain: SUB, height, packets: [packets[0]], resolved: [packets[1]] });
    expect(await readHubBatch(hub, SUB, height)).toEqual({ chain: SUB, height, packets, resolved: [] });
  });
});

describe('substrate delivery: what the call writes', () => {
  it('behavior: a receipt, the ack commitment and the ack bytes per packet, in batch order; a plain message succeeds with an empty result, another app is refused', () => {
    const okAck = encodeAck({ ok: true, result: '0x' });
    const pairs = deliveryPairs(packets);
    expect(pairs.map(([k, v]) => [Buffer.from(k).toString('utf8'), toHex(v)])).toEqual(
      packets.flatMap((p) => [
        [`pkt/rcpt/${channelId(p)}/${p.sequence}`, '0x01'],
        [`pkt/ack/${channelId(p)}/${p.sequence}`, toHex(ackCommitment(okAck))],
        [`pkt/ack-data/${channelId(p)}/${p.sequence}`, toHex(okAck)],
      ]),
    );
    expect(receiptKeysIn(pairs)).toEqual(packets.map((p) => `pkt/rcpt/${channelId(p)}/${p.sequence}`));
    expect(timeoutKeysIn(pairs)).toEqual([]);
    const other = { ...packets[0], dstApp: 'records' };
    expect(substrateAck(other)).toEqual({ ok: false, error: 'PNT_ERR_RELAY_SUBSTRATE_NO_APP' });
    expect(toHex(deliveryPairs([other])[1][1])).toBe(toHex(ackCommitment(encodeAck({ ok: false, error: 'PNT_ERR_RELAY_SUBSTRATE_NO_APP' }))));
    // the transfer app takes packets only from a transfer app
    expect(substrateAck({ ...packets[0], dstApp: 'transfer' })).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_WRONG_APP' });
    // a receipt key with another value is not taken for a delivery
    expect(receiptKeysIn([[utf8('pkt/rcpt/x/1'), Uint8Array.of(0)], [utf8('pkt/ack/x/1'), Uint8Array.of(1)]])).toEqual([]);
  });

  it('behavior: a timeout record per packet past its timeout; the relayer reads a delivery remark back as ack and timeout references, the hub client maps a receipt absence onto the record', () => {
    const [late, onTime] = packets;
    const tpairs = timeoutPairs([late]);
    expect(tpairs.map(([k, v]) => [Buffer.from(k).toString('utf8'), toHex(v)])).toEqual([[`pkt/rcpt-none/${channelId(late)}/${late.sequence}`, '0x01']]);
    expect(timeoutKeysIn(tpairs)).toEqual([`pkt/rcpt-none/${channelId(late)}/${late.sequence}`]);
    // a timeout record is never read as a receipt
    expect(receiptKeysIn(tpairs)).toEqual([]);

    const got = packetsOfRemark(encodeRemarkPayload([...deliveryPairs([onTime]), ...tpairs]));
    expect(got).toEqual({
      packets: [],
      acks: [],
      ackRefs: [{ channel: channelId(onTime), sequence: onTime.sequence, ack: toHex(encodeAck({ ok: true, result: '0x' })) }],
      timeouts: [{ channel: channelId(late), sequence: late.sequence }],
      skipped: [],
    });
    // ack bytes that do not match the commitment, or a record that is not 0x01, are skipped
    const forged = deliveryPairs([onTime]).map(([k, v], i) => [k, i === 2 ? encodeAck({ ok: true, result: '0x66' }) : v] as [Bytes, Bytes]);
    const bad = packetsOfRemark(encodeRemarkPayload([...forged, [tpairs[0][0], Uint8Array.of(2)]]));
    expect({ ackRefs: bad.ackRefs, timeouts: bad.timeouts, reasons: bad.skipped.map((x) => x.reason).sort() }).toEqual({ ackRefs: [], timeouts: [], reasons: ['a timeout record is 0x01', 'the ack does not match its commitment'] });

    expect(Buffer.from(timeoutRecordFor(packetKeys.receipt(channelId(late), late.sequence))!).toString('utf8')).toBe(`pkt/rcpt-none/${channelId(late)}/${late.sequence}`);
    for (const other of [packetKeys.ack(channelId(late), late.sequence), packetKeys.outbound(channelId(late), late.sequence), utf8('pkt/rcpt/x/0'), utf8('pkt/rcpt/x/1a')]) expect(timeoutRecordFor(other)).toBeNull();
  });

  it('behavior: a packet is timed out at its height or time and after, not before; zero bounds never time out', () => {
    const p = { ...packets[0], timeoutHeight: 100, timeoutTimestamp: 5_000 };
    expect(timedOutAt(p, 99, 4_999)).toBe(false);
    expect(timedOutAt(p, 100, 0)).toBe(true);
    expect(timedOutAt(p, 1, 5_000)).toBe(true);
    expect(timedOutAt({ ...p, timeoutHeight: 0, timeoutTimestamp: 0 }, 1e9, 1e15)).toBe(false);
  });
});

describe('substrate delivery: ordered channels', () => {
  it('behavior: an ordered packet waits for its previous sequence, delivered before or earlier in the call; unordered ones never wait', () => {
    const p = (seq: number, ordered: boolean, app = 'msg'): Packet => ({ ...packets[0], dstApp: app, sequence: seq, ordered });
    const id = (x: Packet) => `${x.dstApp}/${x.sequence}`;
    const none = () => false;
    let r = inChannelOrder([p(1, true), p(2, true), p(4, true), p(7, false)], none);
    expect([r.due.map(id), r.held.map(id)]).toEqual([['msg/1', 'msg/2', 'msg/7'], ['msg/4']]);
    // the gap closes once 3 is delivered
    const ch = channelId(p(3, true));
    r = inChannelOrder([p(4, true), p(5, true)], (k) => k === `pkt/rcpt/${ch}/3`);
    expect([r.due.map(id), r.held.map(id)]).toEqual([['msg/4', 'msg/5'], []]);
    // another channel's sequence does not count
    r = inChannelOrder([p(2, true, 'other'), p(2, true)], (k) => k === `pkt/rcpt/${ch}/1`);
    expect([r.due.map(id), r.held.map(id)]).toEqual([['msg/2'], ['other/2']]);
  });
});

describe('substrate delivery: the multisig', () => {
  const keyring = () => new Keyring({ type: 'sr25519' });
  const addrs = (n: number) => Array.from({ length: n }, (_, i) => keyring().addFromUri(`//V${i}`).address);

  it('behavior: the account does not depend on the signatories\' order and changes with the threshold', () => {
    const a = addrs(4);
    expect(multisigAccount({ signatories: a, threshold: 3 })).toBe(multisigAccount({ signatories: [...a].reverse(), threshold: 3 }));
    expect(multisigAccount({ signatories: a, threshold: 3 })).not.toBe(multisigAccount({ signatories: a, threshold: 4 }));
  });

  it('error: a threshold of 2/3 or less, above the signatories, a repeated signatory or a bad address is a config error', () => {
    const a = addrs(4);
    for (const m of [
      { signatories: a, threshold: 2 },
      { signatories: addrs(3), threshold: 2 },
      { signatories: a, threshold: 5 },
      { signatories: [...a, a[0]], threshold: 4 },
      { signatories: [...a.slice(0, 3), 'not-an-address'], threshold: 3 },
    ]) {
      expect(() => multisigAccount(m), JSON.stringify(m)).toThrow(expect.objectContaining({ code: 'PNT_ERR_RELAY_SUBSTRATE_MULTISIG_CONFIG' }));
    }
  });
});

describe('substrate delivery: the hub\'s acks of packets the chain sent', () => {
  let ackHeight = 0;
  let sent: Packet[] = [];

  beforeAll(async () => {
    // sub-1 (a stand-in Pontis chain here) sends to the spoke and to nowhere; the hub refuses one and passes the spoke's ack on
    await connect(sink, hub);
    const r = await sink.exec([sendMsg('dept-a', 'to the spoke'), sendMsg('nowhere-9', 'to nowhere')]);
    expect(r.code).toBe('ok');
    sent = r.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
    const before = hub.chain.latestHeight();
    let c1: Record<string, number> = {};
    let c2: Record<string, number> = {};
    for (let i = 0; i < 3; i++) {
      c1 = (await relayRound(new PontisPathHandlers(new Map<string, TestChain>([[SUB, sink], ['hub', hub]]), 'hub'), SUB, 'hub', c1)).cursor;
      c2 = (await relayRound(new PontisPathHandlers(new Map<string, TestChain>([['dept-a', spoke], ['hub', hub]]), 'hub'), 'dept-a', 'hub', c2)).cursor;
    }
    const found = new Map<string, number>();
    for (let h = before + 1; h <= hub.chain.latestHeight(); h++) for (const a of await readHubAcks(hub, SUB, h)) found.set(`${a.packet.dstChain}`, h);
    expect([...found.keys()].sort()).toEqual(['dept-a', 'nowhere-9']);
    ackHeight = found.get('dept-a')!;
  });

  it('behavior: each ack the hub wrote for the chain\'s packets, in event order, as its block\'s ack batch holds it; written back as pkt/acked pairs the index and the app read', async () => {
    const acks = await readHubAcks(hub, SUB, ackHeight);
    expect(acks.map((a) => a.packet)).toEqual([sent[0]]);
    expect(decodeAck(acks[0].ack)).toMatchObject({ ok: true });
    // packets of other chains in the same block are not the chain's
    expect(await readHubAcks(hub, 'dept-a', ackHeight)).toEqual([]);
    const pairs = ackBackPairs(acks);
    expect(pairs.map(([k, v]) => [Buffer.from(k).toString('utf8'), toHex(v)])).toEqual([[`pkt/acked/${channelId(sent[0])}/${sent[0].sequence}`, toHex(acks[0].ack)]]);
    expect(ackedKeysIn(pairs)).toEqual([`pkt/acked/${channelId(sent[0])}/${sent[0].sequence}`]);
    // never read as a receipt, an ack to relay or a timeout
    expect(receiptKeysIn(pairs)).toEqual([]);
    expect(packetsOfRemark(encodeRemarkPayload(pairs))).toEqual({ packets: [], acks: [], ackRefs: [], timeouts: [], skipped: [] });
    expect(ackedOfRemark(encodeRemarkPayload(pairs))).toEqual([{ channel: channelId(sent[0]), sequence: sent[0].sequence, ack: toHex(acks[0].ack) }]);
  });

  it("adversarial: a node whose event carries another ack than its block's ack batch holds, or that holds no ack batch, is refused", async () => {
    const forgedAck = toHex(encodeAck({ ok: false, error: 'PNT_ERR_FORGED' }));
    const swap = lying({ events: (b) => ({ ...b, txs: b.txs.map((tx) => ({ ...tx, events: tx.events.map((e) => (e.type === 'packet/acknowledged' ? { ...e, attributes: { ...e.attributes, ack: forgedAck } } : e)) })) }) });
    await expect(readHubAcks(swap, SUB, ackHeight)).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID' });
    const gone = lying({ state: (k, v) => (k.startsWith('idx/pkt/ack-batch/') ? undefined : v) });
    await expect(readHubAcks(gone, SUB, ackHeight)).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID' });
  });
});

describe('substrate delivery: transfers', () => {
  const receiver = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty'; // //Bob
  const transfer = (denom: string, o: { srcApp?: string; receiver?: string; amount?: string } = {}): Packet => ({
    srcChain: 'dept-a', srcApp: o.srcApp ?? 'transfer', dstChain: SUB, dstApp: 'transfer', sequence: 1, ordered: false, timeoutHeight: 0, timeoutTimestamp: 1_900_000_000_000,
    payload: encodeTransferPayload({ denom, amount: o.amount ?? '25', sender: '0x' + '11'.repeat(20), receiver: o.receiver ?? receiver }),
  });

  it('behavior: the chain\'s own token coming home is released to the receiver and acknowledged with the denom credited', () => {
    const bob = '0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48';
    expect(receivePlan(transfer(`t/${SUB}/native`))).toEqual({ ack: { ok: true, result: toHex(utf8('{"denom":"native"}')) }, release: { token: { kind: 'native' }, to: bob, amount: 25n } });
    expect(receivePlan(transfer(`t/${SUB}/asset/1984`, { receiver: bob }))).toMatchObject({ ack: { ok: true }, release: { token: { kind: 'asset', id: 1984 }, to: bob } });
  });

  it('adversarial: another chain\'s token, another app, a receiver that is no account, an amount above u128 or a bad payload get error acks and release nothing', () => {
    const refused = (p: Packet) => {
      const plan = receivePlan(p);
      expect(plan.release).toBeUndefined();
      return plan.ack;
    };
    expect(refused(transfer('uatom'))).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_NO_VOUCHERS' });
    expect(refused(transfer(`t/${SUB}/asset/x`))).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_NO_VOUCHERS' });
    expect(refused(transfer(`t/other/t/${SUB}/native`))).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_NO_VOUCHERS' });
    expect(refused(transfer(`t/${SUB}/native`, { srcApp: 'msg' }))).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_WRONG_APP' });
    for (const r of ['not-an-address', '0x' + '11'.repeat(20), '0x' + '00'.repeat(32)]) expect(refused(transfer(`t/${SUB}/native`, { receiver: r }))).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_INVALID_RECEIVER' });
    expect(refused(transfer(`t/${SUB}/native`, { amount: (1n << 128n).toString() }))).toEqual({ ok: false, error: 'PNT_ERR_BANK_INVALID_AMOUNT' });
    expect(refused({ ...transfer(`t/${SUB}/native`), payload: toHex(utf8('{"amount":"1"}')) })).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_INVALID_PAYLOAD' });
  });

  it('error: a transfer the hub or the chain would refuse is refused before anything is sent', () => {
    const writer = '0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d';
    const ok = { dstChain: 'dept-a', denom: 'native', amount: 5n, receiver: '0x' + '22'.repeat(20), timeoutTimestamp: 1_900_000_000_000 };
    const { fields, token, amount } = transferFields(SUB, writer, ok);
    expect({ token, amount, srcApp: fields.srcApp, dstApp: fields.dstApp, ordered: fields.ordered }).toEqual({ token: { kind: 'native' }, amount: 5n, srcApp: 'transfer', dstApp: 'transfer', ordered: false });
    expect(Buffer.from(fields.payload.slice(2), 'hex').toString()).toBe(`{"amount":"5","denom":"native","receiver":"${ok.receiver}","sender":"${writer}"}`);
    for (const bad of [
      { denom: 'uatom' },
      { denom: `t/dept-a/native` },
      { amount: 0n },
      { amount: 1n << 128n },
      { amount: '007' },
      { timeoutTimestamp: 0 },
      { sender: '0x' + '11'.repeat(20) },
      { receiver: '' },
      { receiver: '0x' + '00'.repeat(20) },
      { receiver: 'has space' },
    ]) {
      expect(() => transferFields(SUB, writer, { ...ok, ...bad } as never), JSON.stringify(bad, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toThrow(expect.objectContaining({ code: 'PNT_ERR_ADAPTER_INVALID_REQUEST' }));
    }
  });

  it('behavior: a failed transfer the chain sent is refunded to its sender; a successful one, another app or a token the chain lacks is not', () => {
    const alice = '0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d';
    const out: Packet = { ...transfer('native'), srcChain: SUB, dstChain: 'dept-a', payload: encodeTransferPayload({ denom: 'native', amount: '40', sender: alice, receiver: '0x' + '22'.repeat(20) }) };
    expect(refundOf(out, { ok: false, error: 'PNT_ERR_PACKET_TIMEOUT' })).toEqual({ token: { kind: 'native' }, to: alice, amount: 40n });
    expect(refundOf(out, { ok: true, result: '0x' })).toBeUndefined();
    expect(refundOf({ ...out, srcApp: 'msg' }, { ok: false, error: 'X' })).toBeUndefined();
    expect(refundOf({ ...out, payload: encodeTransferPayload({ denom: 't/dept-a/uatom', amount: '40', sender: alice, receiver: 'x' }) }, { ok: false, error: 'X' })).toBeUndefined();
  });
});
