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
import { type Packet, ackCommitment, channelId, encodeAck, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { BlockEvents, PontisReader } from '../../relayers/paths/pontis/endpoint.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { multisigAccount } from '../../relayers/paths/substrate/cosigner.ts';
import { deliveryPairs, inChannelOrder, readHubBatch, receiptKeysIn, substrateAck, timedOutAt, timeoutKeysIn, timeoutPairs } from '../../relayers/paths/substrate/delivery.ts';
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
    const transfer = { ...packets[0], dstApp: 'transfer' };
    expect(substrateAck(transfer)).toEqual({ ok: false, error: 'PNT_ERR_RELAY_SUBSTRATE_NO_APP' });
    expect(toHex(deliveryPairs([transfer])[1][1])).toBe(toHex(ackCommitment(encodeAck({ ok: false, error: 'PNT_ERR_RELAY_SUBSTRATE_NO_APP' }))));
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
