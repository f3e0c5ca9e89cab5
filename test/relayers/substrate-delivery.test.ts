/**
 * Hub -> Substrate delivery by a 3-of-4 multisig of hub validators' sr25519 keys, on the real
 * asset-hub runtime (chopsticks) and a real in-process hub (test/support/coordinator.ts) that
 * forwards packets from a spoke to the registered Substrate chain `sub-1`; and what comes back to
 * the chain of packets it sent (Alice is a registered writer too): acks written back, transfers of
 * its native token locked in the multisig's escrow, released on return and refunded on failure.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring } from '@polkadot/api';
import type { KeyringPair } from '@polkadot/keyring/types';
import { blake2AsHex, cryptoWaitReady, encodeAddress } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterErrorCode, isAdapterError } from '../../adapters/core/errors.ts';
import { SubstrateWriter } from '../../adapters/substrate/writer.ts';
import { acksWrittenBack, sendFromSubstrate, sendTransferFromSubstrate } from '../../adapters/substrate/packets.ts';
import { accountId } from '../../adapters/substrate/reader.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { policyKeys } from '../../hub-chain/modules/transfer/policy.ts';
import { decodeAck } from '../../hub-chain/modules/packets/types.ts';
import { type Hex, ZERO_HASH, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { SYSTEM_EVENTS_KEY } from '../../adapters/substrate/reader.ts';
import { decodeRemarkPayload, verifyRemarkWrite } from '../../hub-chain/light-clients/substrate/remark.ts';
import { substrateEventTypes, substrateTrustRoot } from '../../hub-chain/light-clients/substrate/registration.ts';
import { verifyReadProof } from '../../hub-chain/light-clients/substrate/trie.ts';
import { type Packet, type PacketStatus, ackCommitment, channelId, encodeAck, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import { signAttestation } from '../../hub-chain/light-clients/attested/index.ts';
import { substrateBlockAt, substrateHttpRpc } from '../../hub-chain/light-clients/substrate/source.ts';
import { substrateEndpoint } from '../../relayers/paths/substrate/endpoint.ts';
import { SubstratePathHandlers } from '../../relayers/paths/substrate/handlers.ts';
import { substrateAckMessages, substrateTimeoutMessages } from '../../relayers/paths/substrate/to-hub.ts';
import type { PacketEvent } from '../../relayers/paths/types.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { Cosigner, type CosignOutcome, type CosignProposal, DeliveredIndex, followHub, multisigAccount } from '../../relayers/paths/substrate/cosigner.ts';
import { deliveryCall, deliveryPairs, readHubAcks, readHubBatch, timeoutPairs } from '../../relayers/paths/substrate/delivery.ts';
import { relayRound } from '../../relayers/round.ts';
import { relayTimeouts } from '../../relayers/paths/pontis/path.ts';
import { DEV_ACCOUNTS, type ChopsticksNode, startChopsticks } from '../support/chopsticks.ts';
import { SharedClock, TestChain, connect } from '../support/coordinator.ts';
import { registerChainAction } from '../support/register-chain.ts';
import { sendMsg } from '../interchain/setup.ts';

const SUB = 'sub-1';
const THRESHOLD = 3;
/**
 * The approval that completes the threshold: `executed`, or `delivered` when chopsticks reported
 * its transaction late and `cosign` ran again (as an operator's co-signer does) to find it on chain.
 */
const EXECUTED = /^(executed|delivered)$/;

let node: ChopsticksNode;
let hub: TestChain;
let spoke: TestChain;
let pairs: KeyringPair[];
let writers: SubstrateWriter[];
let cosigners: Cosigner[];
let account: Hex;
let table: Awaited<ReturnType<typeof substrateEventTypes>>['table'];
let cursor: Record<string, number> = {};
let clock: SharedClock;
let handlers: SubstratePathHandlers;
const indexDir = mkdtempSync(join(tmpdir(), 'pontis-cosign-'));

const signatories = () => pairs.map((p) => p.address);

function cosignerFor(i: number, file?: string): Cosigner {
  const multisig = { signatories: signatories(), threshold: THRESHOLD };
  const index = file ? new DeliveredIndex(writers[i], multisigAccount(multisig), { file }) : undefined;
  return new Cosigner({ hub, chainId: SUB, writer: writers[i], multisig, index });
}

/** Sends messages from the spoke to sub-1 in one transaction and relays them to the hub; returns the hub block that forwarded them. */
async function forward(msgs: { data: string; timeoutTimestamp?: number }[]): Promise<{ height: number; packets: Packet[] }> {
  const r = await spoke.exec(msgs.map((m) => sendMsg(SUB, m.data, { timeoutTimestamp: m.timeoutTimestamp })));
  expect(r.code).toBe('ok');
  const before = hub.chain.latestHeight();
  for (let i = 0; i < 4; i++) {
    const res = await relayRound(new PontisPathHandlers(new Map<string, TestChain>([[spoke.chainId, spoke], ['hub', hub]]), 'hub'), spoke.chainId, 'hub', cursor);
    cursor = res.cursor;
    if (!res.submitted.length) break;
  }
  for (let h = before + 1; h <= hub.chain.latestHeight(); h++) {
    const batch = await readHubBatch(hub, SUB, h);
    if (batch) return { height: h, packets: batch.packets };
  }
  throw new Error('the hub forwarded nothing to sub-1');
}

/** Relays what the hub holds for the spoke (its acks and timeouts of the spoke's packets), as `forward` relays the other way. */
async function relayToSpoke(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const res = await relayRound(new PontisPathHandlers(new Map<string, TestChain>([[spoke.chainId, spoke], ['hub', hub]]), 'hub'), spoke.chainId, 'hub', cursor);
    cursor = res.cursor;
    if (!res.submitted.length) break;
  }
}

/** A packet's status on a Pontis chain (its index record). */
async function statusOn(chain: TestChain, p: Packet): Promise<PacketStatus | undefined> {
  const raw = await chain.readState(packetKeys.status(channelId(p), p.sequence));
  return raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as PacketStatus) : undefined;
}

/** The hub's validator votes sub-1's block at `height` (what its observer does): the hub's client can then prove that block's remarks. */
async function attest(height: number): Promise<void> {
  const hash = (await writers[0].blockHash(height))!;
  const b = await substrateBlockAt(substrateHttpRpc(node.httpUrl), hash as Hex);
  // chopsticks' clock runs 12 s a block: keep the hub's within the client's drift of it
  if (b.timestamp > clock.now()) clock.advance(b.timestamp - clock.now());
  const r = await hub.exec([{ type: 'attest/vote', vote: signAttestation('hub', { chainId: SUB, ...b, receiptsRoot: b.receiptsRoot ?? ZERO_HASH }, hub.keys[0]) } as Msg]);
  expect(r.code, r.log).toBe('ok');
}

/** What sub-1's scanner finds toward the hub in block `height` (voted first). */
async function scanAt(height: number): Promise<{ acks: PacketEvent[]; timeouts: PacketEvent[] }> {
  await attest(height);
  const blocks = await handlers.scanBlocks(SUB, 'hub', height - 1, height);
  return { acks: blocks.flatMap((b) => b.acks), timeouts: blocks.flatMap((b) => b.timeouts ?? []) };
}

/** Per-item results of relay messages submitted to the hub as they are. */
async function submitRaw(msg: Msg): Promise<string[]> {
  const r = await hub.submit([msg]);
  if (r.code !== 'ok') return [r.code];
  return r.events.filter((e) => e.type.endsWith('/result')).map((e) => e.attributes.result ?? '');
}

/**
 * One co-signing run, run again when its transaction was not included in time: under load,
 * chopsticks 1.1.0 now and then never includes a pooled transaction (the adapter's writer tests
 * meet it too). Running again is what an operator's co-signer does (followHub): it starts from
 * chain state, so an approval that did land is not made twice.
 */
async function cosign(i: number, height: number, proposal?: CosignProposal): Promise<CosignOutcome> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await cosigners[i].cosign(height, proposal);
    } catch (e) {
      if (attempt >= 3 || !isAdapterError(e, AdapterErrorCode.NOT_MINED)) throw e;
    }
  }
}

const nonce = (i: number) => writers[i].rpc<number>('system_accountNextIndex', [pairs[i].address]);
const nonces = () => Promise.all(writers.map((_, i) => nonce(i)));

/** Every remark the multisig account made, with its block, event index and decoded pairs. */
async function multisigRemarks(): Promise<{ blockHash: string; index: number; payload: Hex; pairs: [string, Hex][] }[]> {
  const tip = await writers[0].latestHeight();
  const evs = await writers[0].events({ sources: ['system'], names: ['Remarked'] }, 1, tip);
  const out = [];
  for (const e of evs) {
    const sender = encodeAddress(String(e.args.sender), 42);
    if (sender !== encodeAddress(account, 42)) continue;
    const payload = await writers[0].remarkPayload(e.blockHash, e.index);
    out.push({ blockHash: e.blockHash, index: e.index, payload, pairs: decodeRemarkPayload(fromHex(payload)).map(([k, v]) => [Buffer.from(k).toString('utf8'), toHex(v)] as [string, Hex]) });
  }
  return out;
}

async function pendingApprovals(callHash: Hex): Promise<number | undefined> {
  const api = await writers[0].connected();
  const v = (await api.query.multisig.multisigs(account, callHash)) as unknown as { isSome: boolean; unwrap(): { approvals: unknown[] } };
  return v.isSome ? v.unwrap().approvals.length : undefined;
}

/** The depositor (co-signer 3's key, outside its co-signer) cancels an operation it opened by hand: an approval its co-signer has no record of holds that co-signer's timeout records. */
async function cancelByHand(callHash: Hex): Promise<void> {
  const api = await writers[3].connected();
  const v = (await api.query.multisig.multisigs(account, callHash)) as unknown as { unwrap(): { when: { height: { toNumber(): number }; index: { toNumber(): number } } } };
  const when = v.unwrap().when;
  await writers[3].send({ pallet: 'multisig', call: 'cancelAsMulti', args: [THRESHOLD, signatories().filter((a) => a !== pairs[3].address).sort(), { height: when.height.toNumber(), index: when.index.toNumber() }, callHash] });
  expect(await pendingApprovals(callHash)).toBeUndefined();
}

beforeAll(async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  pairs = [0, 1, 2, 3].map((i) => keyring.addFromUri(`//PontisHubValidator${i}`));
  account = multisigAccount({ signatories: pairs.map((p) => p.address), threshold: THRESHOLD });
  node = await startChopsticks({ blockTimeMs: 500, fund: [...pairs.map((p) => p.address), encodeAddress(account, 42)] });
  writers = pairs.map((p) => new SubstrateWriter({ url: node.url, chainId: SUB, signer: p, inclusionTimeoutMs: 30_000 }));

  // the hub's clock starts at the chain's time, so the attested client's trust root is not from the future
  const root = await substrateTrustRoot(node.httpUrl);
  const events = await substrateEventTypes(node.httpUrl);
  table = events.table;
  clock = new SharedClock(root.timestamp + 1000);
  hub = new TestChain(clock, { chainId: 'hub' });
  await hub.makeBlock();
  spoke = new TestChain(clock, { chainId: 'dept-a', hubChainId: 'hub' });
  await spoke.makeBlock();
  await connect(hub, spoke);
  await connect(spoke, hub);
  const reg = await hub.govern(
    registerChainAction({
      chainId: SUB,
      chainKind: 'substrate',
      clientType: 'substrate',
      clientParams: { trustingPeriodMs: 14 * 24 * 3600_000, maxClockDriftMs: 600_000, trust: { mode: 'attested' }, writers: [account, accountId(DEV_ACCOUNTS.alice)!], events },
      clientInitial: { height: root.height, hash: root.hash, stateRoot: root.stateRoot, timestamp: root.timestamp },
    }),
  );
  expect(reg.code, reg.log).toBe('ok');
  cosigners = [0, 1, 2, 3].map((i) => cosignerFor(i));
  // the relayer's side of the chain: any node's reader (a co-signer's key plays no part in it)
  handlers = new SubstratePathHandlers(hub, new Map([[SUB, substrateEndpoint(SUB, [writers[3]])]]));
}, 300_000);

afterAll(async () => {
  await Promise.all((writers ?? []).map((w) => w.close()));
  await hub?.close();
  await spoke?.close();
  await node?.stop();
});

describe('hub -> Substrate delivery by a 3-of-4 multisig of hub validators', () => {
  let first: { height: number; packets: Packet[] };
  /** Delivered by the multisig, never acknowledged on the hub. */
  let second: { height: number; packets: Packet[] };
  /** The block of the multisig's remark delivering `first`. */
  let firstRemark: { blockHash: string; eventIndex: number };

  it('behavior: three co-signers deliver a batch once; the remark is the multisig account\'s and proves each receipt and ack to the hub client', async () => {
    first = await forward([{ data: 'hello substrate' }, { data: 'second' }]);
    expect(first.packets.map((p) => p.dstChain)).toEqual([SUB, SUB]);

    const a = await cosign(0, first.height);
    const b = await cosign(1, first.height);
    expect(a).toMatchObject({ status: 'approved' });
    expect(b).toMatchObject({ status: 'approved', callHash: a.callHash });
    expect(await pendingApprovals(a.callHash!)).toBe(2);
    const c = await cosign(2, first.height);
    expect(c).toMatchObject({ status: 'executed', callHash: a.callHash });
    expect(await pendingApprovals(a.callHash!)).toBeUndefined();

    // the call every co-signer built on its own: batchAll of one remark of these pairs, in batch order
    const api = await writers[0].connected();
    expect(blake2AsHex(fromHex(deliveryCall(api, first.packets).call))).toBe(a.callHash);
    const remarks = await multisigRemarks();
    expect(remarks).toHaveLength(1);
    const ackBytes = toHex(encodeAck({ ok: true, result: '0x' }));
    const ack = toHex(ackCommitment(fromHex(ackBytes)));
    const expected = first.packets.flatMap((p) => [
      [`pkt/rcpt/${channelId(p)}/${p.sequence}`, '0x01'],
      [`pkt/ack/${channelId(p)}/${p.sequence}`, ack],
      [`pkt/ack-data/${channelId(p)}/${p.sequence}`, ackBytes],
    ]);
    expect(remarks[0].pairs).toEqual(expected);
    expect(c.remark).toEqual({ blockHash: remarks[0].blockHash, eventIndex: remarks[0].index });
    firstRemark = c.remark!;

    // provable: the adapter's proof of System.Events under the block's state root, the client's remark check
    const proof = await writers[3].remarkProof(c.remark!.blockHash, c.remark!.eventIndex);
    const rootHex = await writers[3].stateRoot(c.remark!.blockHash);
    const eventsValue = verifyReadProof(fromHex(rootHex), proof.events.nodes.map((n) => fromHex(n)), fromHex(SYSTEM_EVENTS_KEY))!;
    expect(eventsValue).not.toBeNull();
    for (const [k, v] of deliveryPairs(first.packets)) verifyRemarkWrite(table, eventsValue, proof.index, fromHex(proof.payload), [fromHex(account)], k, v);
    // not by another writer, not another value
    const [k0] = deliveryPairs(first.packets)[0];
    expect(() => verifyRemarkWrite(table, eventsValue, proof.index, fromHex(proof.payload), [pairs[0].publicKey], k0, Uint8Array.of(1))).toThrow(/not a registered writer/);
    expect(() => verifyRemarkWrite(table, eventsValue, proof.index, fromHex(proof.payload), [fromHex(account)], k0, Uint8Array.of(2))).toThrow(/another value/);
  }, 300_000);

  it('behavior: the acks of the co-signed delivery come back: the scanner finds the multisig\'s remark (signed by a co-signer), the hub records them delivered and the source app gets them', async () => {
    const height = (await writers[0].header(firstRemark.blockHash)).height;
    const { acks } = await scanAt(height);
    expect(acks.map((e) => `${channelId(e.packet)}/${e.packet.sequence}`)).toEqual(first.packets.map((p) => `${channelId(p)}/${p.sequence}`));
    expect(acks.every((e) => e.ack === toHex(encodeAck({ ok: true, result: '0x' })) && e.height === height)).toBe(true);

    // adversarial: ack bytes other than the ones the multisig committed to are refused by the hub
    const [genuine] = await substrateAckMessages(substrateEndpoint(SUB, [writers[3]]), hub, acks.slice(0, 1));
    const forged = { ...genuine, packets: (genuine as unknown as { packets: { ack: Hex }[] }).packets.map((i) => ({ ...i, ack: toHex(encodeAck({ ok: true, result: toHex(utf8('forged')) })) })) } as unknown as Msg;
    expect(await submitRaw(forged)).toEqual(['PNT_ERR_PROOF_VALUE_MISMATCH']);
    expect((await statusOn(hub, first.packets[0]))?.state).toBe('forwarded');

    expect(await handlers.relayAcks(SUB, 'hub', acks)).toMatchObject({ submitted: true, accepted: 2, redundant: 0 });
    for (const p of first.packets) expect(await statusOn(hub, p)).toMatchObject({ state: 'delivered', ack: { ok: true, result: '0x' } });
    await relayToSpoke();
    for (const p of first.packets) expect(await statusOn(spoke, p)).toMatchObject({ state: 'acknowledged', ack: { ok: true, result: '0x' } });
    // a replay is a no-op
    expect(await handlers.relayAcks(SUB, 'hub', acks)).toEqual({ submitted: false, accepted: 0, redundant: 0 });
  }, 300_000);

  it('behavior: a repeated run delivers nothing twice: every co-signer finds the receipts and submits nothing, also after a restart from its saved index', async () => {
    const before = await nonces();
    for (const i of [0, 1, 2, 3]) expect(await cosign(i, first.height)).toMatchObject({ status: 'delivered', delivered: expect.arrayContaining([expect.any(String)]) });
    const file = join(indexDir, 'v0.json');
    expect(await cosignerFor(0, file).cosign(first.height)).toMatchObject({ status: 'delivered' });
    // a restart reads the index it saved (and scans only the blocks since)
    const again = new DeliveredIndex(writers[0], account, { file });
    expect(again.scannedTo).toBeGreaterThan(0);
    expect(again.has(first.packets[0]) && again.has(first.packets[1])).toBe(true);
    expect(await new Cosigner({ hub, chainId: SUB, writer: writers[0], multisig: { signatories: signatories(), threshold: THRESHOLD }, index: again }).cosign(first.height)).toMatchObject({ status: 'delivered' });
    expect(await nonces()).toEqual(before);
    expect((await multisigRemarks()).filter((r) => r.pairs.some(([k]) => k === `pkt/rcpt/${channelId(first.packets[0])}/${first.packets[0].sequence}`))).toHaveLength(1);
  }, 300_000);

  it('behavior: two co-signers are not enough: nothing executes until a third approves, and a second approval by one co-signer submits nothing', async () => {
    second = await forward([{ data: 'needs three' }]);
    const a = await cosign(0, second.height);
    const b = await cosign(3, second.height);
    expect([a.status, b.status]).toEqual(['approved', 'approved']);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await pendingApprovals(a.callHash!)).toBe(2);
    expect((await multisigRemarks()).some((r) => r.pairs.some(([k]) => k.endsWith(`/${second.packets[0].sequence}`) && k.startsWith(`pkt/rcpt/${channelId(second.packets[0])}`)))).toBe(false);
    const n0 = await nonce(0);
    expect(await cosign(0, second.height)).toMatchObject({ status: 'already-approved' });
    // a live delivery is not stale: its depositor keeps it open
    expect(await cosigners[0].cancelStale()).toEqual([]);
    expect(await nonce(0)).toBe(n0);
    expect(await cosign(1, second.height)).toMatchObject({ status: 'executed' });
    const key = `pkt/rcpt/${channelId(second.packets[0])}/${second.packets[0].sequence}`;
    expect((await multisigRemarks()).filter((r) => r.pairs.some(([k]) => k === key))).toHaveLength(1);
  }, 300_000);

  it('adversarial: a co-signer refuses a call for a packet its hub never committed, and a call hash its node does not give; nothing is submitted', async () => {
    const real = await forward([{ data: 'real one' }]);
    const fake: Packet = { ...real.packets[0], sequence: real.packets[0].sequence + 100, payload: toHex(Buffer.from('mint me')) };
    const api = await writers[0].connected();
    const forged = deliveryCall(api, [fake]);
    // another signatory opens a multisig operation for the forged call
    await writers[3].send({ pallet: 'multisig', call: 'approveAsMulti', args: [THRESHOLD, signatories().filter((a) => a !== pairs[3].address).sort(), null, forged.callHash, 1_000_000_000n] });
    expect(await pendingApprovals(forged.callHash)).toBe(1);

    const before = await nonces();
    await expect(cosign(0, real.height, { callHash: forged.callHash, packets: [fake] })).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED' });
    await expect(cosign(1, real.height, { callHash: forged.callHash })).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_SUBSTRATE_CALL_MISMATCH' });
    // a hub block that committed nothing for the chain backs no proposal
    await hub.makeBlock();
    await expect(cosign(2, hub.chain.latestHeight(), { callHash: forged.callHash })).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await nonces()).toEqual(before);
    expect(await pendingApprovals(forged.callHash)).toBe(1);
    expect((await multisigRemarks()).some((r) => r.pairs.some(([k]) => k === `pkt/rcpt/${channelId(fake)}/${fake.sequence}`))).toBe(false);
    await cancelByHand(forged.callHash);
  }, 300_000);

  let late: Packet;
  let target: Packet;
  let lateRemark: number;

  it('behavior: a packet past its timeout by the Substrate chain\'s latest block time gets a timeout record in its batch\'s call, the rest is delivered; the hub times it out by that record and the source app gets its timeout', async () => {
    const chainNow = await writers[0].blockTime(await writers[0].latestHeight());
    // the hub's clock lags the chain's, so the hub forwards a packet the chain's clock passes within a few blocks
    const b = await forward([{ data: 'late', timeoutTimestamp: chainNow + 24_000 }, { data: 'on time' }]);
    // another packet as late, in a batch no co-signer looks at: what the forgeries below aim at
    target = (await forward([{ data: 'target', timeoutTimestamp: chainNow + 24_000 }])).packets[0];
    await expect.poll(async () => writers[0].blockTime(await writers[0].latestHeight()), { timeout: 90_000, interval: 250 }).toBeGreaterThanOrEqual(chainNow + 24_000);
    late = b.packets[0];
    const api = await writers[0].connected();

    const outs = [];
    for (const i of [0, 1, 2]) outs.push(await cosign(i, b.height));
    expect(outs.map((o) => o.status)).toEqual(['approved', 'approved', expect.stringMatching(EXECUTED)]);
    for (const o of outs.slice(0, 2)) expect(o).toMatchObject({ timeouts: [`${channelId(late)}/${late.sequence}`], delivered: [], timedOut: [] });
    expect(outs[0].callHash).toBe(deliveryCall(api, [b.packets[1]], [late]).callHash);
    const remarks = await multisigRemarks();
    const keys = remarks.flatMap((r) => r.pairs.map(([k]) => k));
    expect(keys).toContain(`pkt/rcpt/${channelId(b.packets[1])}/${b.packets[1].sequence}`);
    expect(keys).toContain(`pkt/rcpt-none/${channelId(late)}/${late.sequence}`);
    expect(keys).not.toContain(`pkt/rcpt/${channelId(late)}/${late.sequence}`);
    // once written, both are left alone: no delivery of the timed-out packet, no second record
    const n = await nonces();
    expect(await cosign(3, b.height)).toMatchObject({ status: 'delivered', delivered: [`${channelId(b.packets[1])}/${b.packets[1].sequence}`], timedOut: [`${channelId(late)}/${late.sequence}`], timeouts: [] });
    expect(await nonces()).toEqual(n);

    const record = remarks.find((r) => r.pairs.some(([k]) => k === `pkt/rcpt-none/${channelId(late)}/${late.sequence}`))!;
    lateRemark = (await writers[0].header(record.blockHash)).height;
    const found = await scanAt(lateRemark);
    expect(found.timeouts.map((e) => e.packet)).toEqual([late]);
    expect(found.acks.map((e) => e.packet)).toEqual([b.packets[1]]);
    // a relaying round over the chain's path: the record becomes a timeout on the hub, the receipt's ack an ack
    const round = await relayRound(handlers, SUB, 'hub', { [SUB]: lateRemark - 1, hub: hub.chain.latestHeight() });
    expect(round.failed).toEqual([]);
    expect(round.submitted.map((d) => [d.kind, d.src, d.dst, d.outcome.accepted])).toEqual([
      ['relay-acks', SUB, 'hub', 1],
      ['timeouts', 'hub', SUB, 1],
    ]);
    expect(await statusOn(hub, late)).toMatchObject({ state: 'timed-out', ack: { ok: false, error: 'PNT_ERR_PACKET_TIMEOUT' } });
    expect(await hub.readState(packetKeys.outbound(channelId(late), late.sequence))).toBeUndefined();
    await relayToSpoke();
    expect((await statusOn(spoke, late))?.state).toBe('timed-out');
    // the delivered packet of the same remark is acknowledged as usual; a replayed timeout is a no-op
    expect((await statusOn(hub, b.packets[1]))?.state).toBe('delivered');
    expect(await handlers.timeouts('hub', SUB, found.timeouts)).toEqual({ submitted: false, accepted: 0, redundant: 0 });
  }, 300_000);

  it('adversarial: a timeout record proves only its own packet, and only from the registered writer (a raw absence proof stays refused); a co-signer refuses to record a timeout for a delivered packet', async () => {
    const sub = substrateEndpoint(SUB, [writers[3]]);

    // the late packet's record, and the on-time packet's delivery remark, submitted for the target
    const [lateMsg] = await substrateTimeoutMessages(sub, hub, [{ height: lateRemark, packet: late }]);
    const retarget = (m: Msg) => ({ ...m, packets: (m as unknown as { packets: { proof: unknown }[] }).packets.map((i) => ({ ...i, packet: target })) }) as unknown as Msg;
    expect(await submitRaw(retarget(lateMsg))).toEqual(['PNT_ERR_PROOF_KEY_ABSENT']);
    // a co-signer's own key is no writer: its timeout record is neither scanned nor accepted
    const own = await writers[0].remarkBatch(timeoutPairs([target]));
    expect((await scanAt(own.height)).timeouts).toEqual([]);
    const byCosigner = { type: 'packets/timeout', proofHeight: own.height, packets: [{ packet: target, proof: { remark: await writers[0].remarkProof(own.blockHash, own.eventIndex) } }] } as unknown as Msg;
    expect(await submitRaw(byCosigner)).toEqual(['PNT_ERR_SUBSTRATE_REMARK_INVALID']);
    // a raw storage absence of the receipt stays refused
    const absent = await writers[0].readProof([toHex(packetKeys.receipt(channelId(target), target.sequence))], own.blockHash);
    expect(await submitRaw({ type: 'packets/timeout', proofHeight: own.height, packets: [{ packet: target, proof: { nodes: absent.nodes } }] } as unknown as Msg)).toEqual(['PNT_ERR_SUBSTRATE_PONTIS_KEY_RAW']);
    expect((await statusOn(hub, target))?.state).toBe('forwarded');

    // a timeout record for a packet the multisig delivered (still outstanding on the hub): another signatory proposes it, no co-signer signs it
    const api = await writers[0].connected();
    const forged = deliveryCall(api, [], [second.packets[0]]);
    await writers[3].send({ pallet: 'multisig', call: 'approveAsMulti', args: [THRESHOLD, signatories().filter((a) => a !== pairs[3].address).sort(), null, forged.callHash, 1_000_000_000n] });
    const before = await nonces();
    for (const i of [0, 1, 2]) await expect(cosign(i, second.height, { callHash: forged.callHash })).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_SUBSTRATE_CALL_MISMATCH' });
    expect(await nonces()).toEqual(before);
    expect(await pendingApprovals(forged.callHash)).toBe(1);
    await cancelByHand(forged.callHash);
  }, 300_000);

  it('adversarial: a co-signer whose approval of a delivery is still open does not record that packet\'s timeout; the others do, and the open delivery can no longer gather a threshold', async () => {
    const chainNow = await writers[0].blockTime(await writers[0].latestHeight());
    const d = await forward([{ data: 'approved, then late', timeoutTimestamp: chainNow + 36_000 }]);
    const [p] = d.packets;
    const delivery = await cosign(0, d.height);
    expect(delivery).toMatchObject({ status: 'approved', timeouts: [] });
    await expect.poll(async () => writers[0].blockTime(await writers[0].latestHeight()), { timeout: 90_000, interval: 250 }).toBeGreaterThanOrEqual(p.timeoutTimestamp);

    const n0 = await nonce(0);
    expect(await cosign(0, d.height)).toMatchObject({ status: 'nothing-due', held: [`${channelId(p)}/${p.sequence}`], timeouts: [] });
    expect(await nonce(0)).toBe(n0);
    const outs = [];
    for (const i of [1, 2, 3]) outs.push(await cosign(i, d.height));
    expect(outs.map((o) => o.status)).toEqual(['approved', 'approved', expect.stringMatching(EXECUTED)]);
    expect(outs[0].callHash).toBe(deliveryCall(await writers[0].connected(), [], [p]).callHash);
    // the delivery keeps co-signer 0's approval alone: the others see the record and refuse it
    expect(await pendingApprovals(delivery.callHash!)).toBe(1);
    for (const i of [1, 2]) await expect(cosign(i, d.height, { callHash: delivery.callHash })).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_SUBSTRATE_CALL_MISMATCH' });
    const keys = (await multisigRemarks()).flatMap((r) => r.pairs.map(([k]) => k));
    expect(keys).toContain(`pkt/rcpt-none/${channelId(p)}/${p.sequence}`);
    expect(keys).not.toContain(`pkt/rcpt/${channelId(p)}/${p.sequence}`);

    // the stale delivery: only its depositor can cancel it; the others find nothing of theirs to cancel
    const n = await nonces();
    for (const i of [1, 2, 3]) expect(await cosigners[i].cancelStale()).toEqual([]);
    expect(await nonces()).toEqual(n);
    expect(await cosigners[0].cancelStale()).toEqual([delivery.callHash]);
    expect(await pendingApprovals(delivery.callHash!)).toBeUndefined();
    expect(await cosigners[0].cancelStale()).toEqual([]);
  }, 300_000);

  it('behavior: four co-signers following the hub at once deliver each new batch exactly once (racing approvals are retried, not lost)', async () => {
    const stop = new AbortController();
    const seen: (CosignOutcome | Error)[] = [];
    const from = hub.chain.latestHeight() + 1;
    const runs = cosigners.map((c) => followHub(c, hub, { from, intervalMs: 200, signal: stop.signal, onHeight: (_, r) => seen.push(r) }));
    try {
      const d = await forward([{ data: 'followed 1' }, { data: 'followed 2' }]);
      const keys = d.packets.map((p) => `pkt/rcpt/${channelId(p)}/${p.sequence}`);
      await expect
        .poll(async () => (await multisigRemarks()).flatMap((r) => r.pairs.map(([k]) => k)).filter((k) => keys.includes(k)).length, { timeout: 200_000, interval: 500 })
        .toBe(2);
      // a few more rounds: everyone sees it delivered and nothing is delivered again
      await new Promise((r) => setTimeout(r, 2500));
      expect((await multisigRemarks()).filter((r) => r.pairs.some(([k]) => keys.includes(k)))).toHaveLength(1);
      // at most one co-signer saw its call execute; it may see none: a node that reports an included
      // transaction as dropped (chopsticks under load) leaves its sender with an error and the next
      // round with 'delivered' (the remark count above is what proves exactly once)
      const outcomes = seen.map((r) => (r instanceof Error ? r.message : r.status));
      expect(outcomes.filter((s) => s === 'executed').length, outcomes.join('; ')).toBeLessThanOrEqual(1);
      expect(outcomes.filter((s) => s === 'executed' || s === 'delivered').length, outcomes.join('; ')).toBeGreaterThanOrEqual(1);
    } finally {
      stop.abort();
      await Promise.all(runs);
      if (process.env.DEBUG_COSIGN) console.log(seen.map((r) => (r instanceof Error ? r.message : JSON.stringify(r))));
    }
  }, 300_000);
});

describe('packets the chain sends: the hub\'s acks written back, transfers of its token', () => {
  const NATIVE_LOCK = 7_000_000_000n;
  const REFUSED = 3_000_000_000n;
  const RETURN = 2_500_000_000n;
  const far = () => clock.now() + 7 * 24 * 3600_000;
  const freeOf = async (who: string): Promise<bigint> => {
    const api = await writers[0].connected();
    return ((await api.query.system.account(who)) as unknown as { data: { free: { toBigInt(): bigint } } }).data.free.toBigInt();
  };
  const amountAt = async (chain: TestChain, key: Uint8Array) => BigInt(Buffer.from((await chain.readState(key)) ?? utf8('0')).toString('utf8'));
  /** Relays both ways between the spoke and the hub until nothing moves. */
  const settleSpoke = relayToSpoke;
  /** Co-signs every hub block in (from, latest] that holds acks for sub-1: three approvals each. */
  async function cosignAcks(from: number): Promise<CosignOutcome[]> {
    const out: CosignOutcome[] = [];
    for (let h = from + 1; h <= hub.chain.latestHeight(); h++) {
      if (!(await readHubAcks(hub, SUB, h)).length) continue;
      for (const i of [0, 1, 2]) out.push(await cosign(i, h));
    }
    return out;
  }

  let alice: SubstrateWriter;
  const carol = generateAccountKey();
  const sequences = new Map<string, number>();
  let sent: Packet[] = [];

  beforeAll(() => {
    alice = new SubstrateWriter({ url: node.url, chainId: SUB, signer: '//Alice', inclusionTimeoutMs: 30_000 });
  });
  afterAll(() => alice?.close());

  it('behavior: a plain message and two transfers from the chain reach the spoke through the hub; each transfer\'s lock and packet are one extrinsic, its value in the multisig\'s escrow', async () => {
    const escrowBefore = await freeOf(encodeAddress(account, 42));
    const msg = await sendFromSubstrate(alice, [{ srcChain: SUB, srcApp: 'sub-app', dstChain: spoke.chainId, dstApp: 'msg', ordered: false, payload: toHex(utf8(JSON.stringify({ from: accountId(DEV_ACCOUNTS.alice), data: toHex(utf8('from substrate')) }))), timeoutHeight: 0, timeoutTimestamp: far() }], sequences);
    const ok = await sendTransferFromSubstrate(alice, { dstChain: spoke.chainId, denom: 'native', amount: NATIVE_LOCK, receiver: carol.address, timeoutTimestamp: far() }, sequences, encodeAddress(account, 42));
    // the spoke takes only its own account format: an error ack, and a refund below
    const bad = await sendTransferFromSubstrate(alice, { dstChain: spoke.chainId, denom: 'native', amount: REFUSED, receiver: 'not-an-address', timeoutTimestamp: far() }, sequences, encodeAddress(account, 42));
    sent = [...msg.packets, ok.packet, bad.packet];
    expect([ok.packet.sequence, bad.packet.sequence]).toEqual([1, 2]);
    expect(await freeOf(encodeAddress(account, 42))).toBe(escrowBefore + NATIVE_LOCK + REFUSED);
    // a transfer of a token the chain does not have is refused before anything is sent
    await expect(sendTransferFromSubstrate(alice, { dstChain: spoke.chainId, denom: `t/${spoke.chainId}/uatom`, amount: 1n, receiver: carol.address, timeoutTimestamp: far() }, sequences, encodeAddress(account, 42))).rejects.toMatchObject({ code: AdapterErrorCode.INVALID_REQUEST });

    const heights = [msg.remarks[0].height, ok.remark.height, bad.remark.height];
    for (const h of new Set(heights)) await attest(h);
    const blocks = await handlers.scanBlocks(SUB, 'hub', Math.min(...heights) - 1, Math.max(...heights));
    const found = blocks.flatMap((b) => b.packets);
    expect(found.map((e) => e.packet)).toEqual(sent);
    expect(await handlers.relayPackets(SUB, 'hub', found)).toMatchObject({ submitted: true, accepted: 3 });
    for (const p of sent) expect((await statusOn(hub, p))?.state).toBe('forwarded');
    // the hub counts what left sub-1 for the spoke
    expect(await amountAt(hub, policyKeys.outstanding(SUB, spoke.chainId, 'native'))).toBe(NATIVE_LOCK + REFUSED);
  }, 300_000);

  it('behavior: the co-signers write the hub\'s acks back into the chain, refunding the refused transfer from escrow; a second run writes nothing', async () => {
    const before = hub.chain.latestHeight();
    await settleSpoke();
    expect((await statusOn(spoke, sent[1]))?.state).toBe('received');
    expect(await amountAt(spoke, utf8(`bank/bal/${carol.address}/t/${SUB}/native`))).toBe(NATIVE_LOCK);
    expect(await statusOn(hub, sent[0])).toMatchObject({ state: 'delivered' });
    expect(await statusOn(hub, sent[2])).toMatchObject({ state: 'failed', ack: { ok: false, error: 'PNT_ERR_TRANSFER_INVALID_RECEIVER' } });
    // the failure undid the hub's count of the refused transfer
    expect(await amountAt(hub, policyKeys.outstanding(SUB, spoke.chainId, 'native'))).toBe(NATIVE_LOCK);

    const escrowBefore = await freeOf(encodeAddress(account, 42));
    const aliceBefore = await freeOf(DEV_ACCOUNTS.alice);
    const remarksBefore = (await multisigRemarks()).length;
    const outs = await cosignAcks(before);
    expect(outs.map((o) => o.status)).toContain('executed');
    expect(outs.flatMap((o) => (o.status === 'executed' ? o.acks : [])).sort()).toEqual(sent.map((p) => `${channelId(p)}/${p.sequence}`).sort());
    // the refund: escrow to the sender, exactly the amount (Alice sent nothing meanwhile)
    expect(await freeOf(encodeAddress(account, 42))).toBe(escrowBefore - REFUSED);
    expect(await freeOf(DEV_ACCOUNTS.alice)).toBe(aliceBefore + REFUSED);

    // the sending application reads its acks from the multisig's remarks
    const tip = await writers[0].latestHeight();
    const acks = await acksWrittenBack(writers[3], encodeAddress(account, 42), tip - 40, tip);
    for (const p of sent) {
      const hubAck = (await statusOn(hub, p))!.ack!;
      expect(acks.get(`${channelId(p)}/${p.sequence}`)).toEqual(hubAck);
    }
    expect(acks.get(`${channelId(sent[1])}/${sent[1].sequence}`)).toEqual({ ok: true, result: toHex(utf8(`{"denom":"t/${SUB}/native"}`)) });

    // once written, never again: every co-signer finds the acks on chain and submits nothing
    const n = await nonces();
    for (let h = before + 1; h <= hub.chain.latestHeight(); h++) {
      if (!(await readHubAcks(hub, SUB, h)).length) continue;
      for (const i of [0, 1, 2, 3]) expect(await cosign(i, h)).toMatchObject({ status: 'delivered', acks: [] });
    }
    expect(await nonces()).toEqual(n);
    expect((await multisigRemarks()).length).toBe(remarksBefore + 1);
    expect(await freeOf(DEV_ACCOUNTS.alice)).toBe(aliceBefore + REFUSED);
  }, 300_000);

  it('behavior: the voucher comes home: the spoke burns it, the hub checks it against what left sub-1, and the co-signers release the native token from escrow to the receiver; conservation holds', async () => {
    const bob = accountId(DEV_ACCOUNTS.bob)!;
    const r = await spoke.exec([{ type: 'transfer/send', dstChain: SUB, receiver: bob, denom: `t/${SUB}/native`, amount: RETURN.toString(), timeoutTimestamp: far() } as Msg], carol);
    expect(r.code, r.log).toBe('ok');
    const before = hub.chain.latestHeight();
    await settleSpoke();
    let height = 0;
    let packets: Packet[] = [];
    for (let h = before + 1; h <= hub.chain.latestHeight() && !height; h++) {
      const b = await readHubBatch(hub, SUB, h);
      if (b) [height, packets] = [h, b.packets];
    }
    expect(packets).toHaveLength(1);
    expect(await amountAt(hub, policyKeys.outstanding(SUB, spoke.chainId, 'native'))).toBe(NATIVE_LOCK - RETURN);

    const escrowBefore = await freeOf(encodeAddress(account, 42));
    const bobBefore = await freeOf(DEV_ACCOUNTS.bob);
    const outs = [];
    for (const i of [0, 1, 2]) outs.push(await cosign(i, height));
    expect(outs.map((o) => o.status)).toEqual(['approved', 'approved', expect.stringMatching(EXECUTED)]);
    expect(await freeOf(DEV_ACCOUNTS.bob)).toBe(bobBefore + RETURN);
    expect(await freeOf(encodeAddress(account, 42))).toBe(escrowBefore - RETURN);
    // the ack the chain gives: the denom credited, as the hub's transfer app answers
    const remark = (await multisigRemarks()).find((x) => x.pairs.some(([k]) => k === `pkt/ack-data/${channelId(packets[0])}/${packets[0].sequence}`))!;
    const ackBytes = remark.pairs.find(([k]) => k === `pkt/ack-data/${channelId(packets[0])}/${packets[0].sequence}`)![1];
    expect(decodeAck(fromHex(ackBytes))).toEqual({ ok: true, result: toHex(utf8('{"denom":"native"}')) });

    // the ack goes back to the spoke; conservation: what the hub counts outstanding is the vouchers left on the spoke
    const { acks } = await scanAt((await writers[0].header(remark.blockHash)).height);
    expect(await handlers.relayAcks(SUB, 'hub', acks)).toMatchObject({ accepted: 1 });
    await settleSpoke();
    expect((await statusOn(spoke, packets[0]))?.state).toBe('acknowledged');
    expect(await amountAt(spoke, utf8(`bank/supply/t/${SUB}/native`))).toBe(NATIVE_LOCK - RETURN);
    expect(await amountAt(hub, policyKeys.outstanding(SUB, spoke.chainId, 'native'))).toBe(NATIVE_LOCK - RETURN);
  }, 300_000);

  it('behavior: a transfer the chain sent that times out before its destination receives it: the hub times it out, and the co-signers write the timeout back and refund the sender', async () => {
    const LATE = 1_500_000_000n;
    const deadline = clock.now() + 10 * 60_000;
    const sent = await sendTransferFromSubstrate(alice, { dstChain: spoke.chainId, denom: 'native', amount: LATE, receiver: carol.address, timeoutTimestamp: deadline }, sequences, encodeAddress(account, 42));
    await attest(sent.remark.height);
    const found = (await handlers.scanBlocks(SUB, 'hub', sent.remark.height - 1, sent.remark.height)).flatMap((b) => b.packets);
    expect(await handlers.relayPackets(SUB, 'hub', found)).toMatchObject({ accepted: 1 });
    expect((await statusOn(hub, sent.packet))?.state).toBe('forwarded');
    const outstanding = await amountAt(hub, policyKeys.outstanding(SUB, spoke.chainId, 'native'));

    // the spoke never gets it in time: its clock passes the deadline, and the relayer proves the absence of its receipt to the hub
    clock.advance(deadline - clock.now() + 60_000);
    await spoke.makeBlock();
    const before = hub.chain.latestHeight();
    expect((await relayTimeouts(hub, spoke, [sent.packet]))?.code).toBe('ok');
    expect(await statusOn(hub, sent.packet)).toMatchObject({ state: 'timed-out', ack: { ok: false, error: 'PNT_ERR_PACKET_TIMEOUT' } });
    expect(await statusOn(spoke, sent.packet)).toBeUndefined();
    expect(await amountAt(hub, policyKeys.outstanding(SUB, spoke.chainId, 'native'))).toBe(outstanding - LATE);

    const escrowBefore = await freeOf(encodeAddress(account, 42));
    const aliceBefore = await freeOf(DEV_ACCOUNTS.alice);
    const outs = await cosignAcks(before);
    expect(outs.flatMap((o) => (o.status === 'executed' ? o.acks : []))).toEqual([`${channelId(sent.packet)}/${sent.packet.sequence}`]);
    expect(await freeOf(DEV_ACCOUNTS.alice)).toBe(aliceBefore + LATE);
    expect(await freeOf(encodeAddress(account, 42))).toBe(escrowBefore - LATE);
    const tip = await writers[0].latestHeight();
    expect((await acksWrittenBack(writers[3], encodeAddress(account, 42), sent.remark.height, tip)).get(`${channelId(sent.packet)}/${sent.packet.sequence}`)).toEqual({ ok: false, error: 'PNT_ERR_PACKET_TIMEOUT' });
  }, 300_000);
});
