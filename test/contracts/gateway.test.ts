/**
 * Gateway on a real anvil node against a hub whose state is a real StateStore and whose headers
 * are validly signed (ChainBuilder), followed by a real PontisClient: send, receive (with failing,
 * re-entering and unknown apps, timeouts and bad proofs in one batch), acknowledge and timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Hub } from './bridge-fixture.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Contract, type Interface, type Log, type LogDescription, keccak256 as ethKeccak, toUtf8Bytes } from 'ethers';
import { open, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySlot, packetFromSolidity, solidityPacket } from '../../contracts/evm/encode.ts';
import { type Hex, concat, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { merkleProof, merkleRoot } from '../../hub-chain/crypto/merkle.ts';
import { type Packet, ackCommitment, ackLeaf, channelId, encodeAck, encodeBatchValue, packetCommitment, packetKeys, receiptBitSet, withReceiptBit } from '../../hub-chain/modules/packets/types.ts';
import { EVM_CLIENT_TYPE, evmClient, type EvmClientRecord, type EvmConsensusRecord } from '../../hub-chain/light-clients/evm/index.ts';
import { type RpcReceipt, buildReceiptProof } from '../../hub-chain/light-clients/evm/proofs.ts';
import { encodeHeader, headerFromRpc } from '../../hub-chain/light-clients/evm/header.ts';
import { StateStore } from '../../hub-chain/state/store.ts';
import { verifyStorageProof } from '../../hub-chain/light-clients/evm/mpt.ts';
import { fetchStorageProof, pontisSlot } from '../../hub-chain/light-clients/evm/proofs.ts';
import { type Anvil, revertOf, startAnvil } from './anvil.ts';
import { EvmWriter } from '../../adapters/evm/writer.ts';
import { AdapterError } from '../../adapters/core/errors.ts';
import { evmGatewayEndpoint } from '../../relayers/paths/evm/endpoint.ts';
import { sendGatewayCall } from '../../relayers/paths/evm/gas.ts';
import { ANVIL_KEYS } from '../support/anvil.ts';

const EVM_CHAIN = 'evm-1';
const RESULT_OK = 0;
const RESULT_ALREADY_DONE = 1;
const RESULT_FAILED = 2;
const APP_GAS = 1_000_000;
const ZERO_WORD = `0x${'0'.repeat(64)}`;


let anvil: Anvil;
let dir: string;
let env: RootDatabase;
let hub: Hub;
let gateway: Contract;
let echo: Contract;
let gwIface: Interface;

async function anvilNowMs(): Promise<number> {
  const b = await anvil.provider.getBlock('latest');
  return b!.timestamp * 1000;
}

beforeAll(async () => {
  anvil = await startAnvil();
  dir = mkdtempSync(join(tmpdir(), 'pontis-evm-gateway-'));
  env = open({ path: dir, maxDbs: 16 });
  hub = await Hub.start(anvil, StateStore.open(env), await anvilNowMs(), 'evm-gateway-hub');
  gateway = await anvil.deploy('Gateway', await hub.client.getAddress(), EVM_CHAIN, APP_GAS);
  echo = await anvil.deploy('EchoApp', await gateway.getAddress(), 'echo');
  gwIface = gateway.interface;
});

afterAll(async () => {
  await anvil?.stop();
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function parsedLogs(logs: readonly Log[]): LogDescription[] {
  return logs.map((l) => gwIface.parseLog(l)).filter((d): d is LogDescription => d !== null);
}

async function mined(p: Promise<{ wait: () => Promise<{ logs: readonly Log[] } | null> }>): Promise<LogDescription[]> {
  const rcpt = await (await p).wait();
  return parsedLogs(rcpt!.logs);
}

function results(logs: LogDescription[]): { seq: number; result: number; error?: string }[] {
  return logs
    .filter((l) => l.name === 'PacketResult')
    .map((l) => {
      const reason = l.args.reason as string;
      const error = reason.length > 2 ? (gwIface.parseError(reason)?.name ?? hub.client.interface.parseError(reason)?.name ?? reason) : undefined;
      return { seq: Number(l.args.sequence), result: Number(l.args.result), ...(error ? { error } : {}) };
    });
}

async function stored(key: Uint8Array): Promise<string> {
  return gateway.pontisStore(ethKeccak(key));
}

/** Whether the Gateway's receipt bit of `p` is set. */
async function received(p: Packet): Promise<boolean> {
  const w = await stored(packetKeys.receiptBits(channelId(p), p.sequence));
  return receiptBitSet(w === ZERO_WORD ? null : (w as Hex), p.sequence);
}

const hubPacket = (seq: number, payload: string, extra: Partial<Packet> = {}): Packet => ({
  srcChain: 'side-a',
  srcApp: 'bank',
  dstChain: EVM_CHAIN,
  dstApp: 'echo',
  sequence: seq,
  ordered: false,
  payload: toHex(utf8(payload)),
  timeoutHeight: 0,
  timeoutTimestamp: 0,
  ...extra,
});

describe('Gateway sending', () => {
  it('behavior: an app sends; the commitment sits in pontisStore at slot keccak(keccak(key), 0) and the packet is emitted', async () => {
    const timeoutTimestamp = (await anvilNowMs()) + 3_600_000;
    const logs = await mined(echo.sendTo('side-b', 'bank', toHex(utf8('to b')), 0, timeoutTimestamp, false));
    const sent = logs.find((l) => l.name === 'PacketSent')!;
    const packet = packetFromSolidity(sent.args.packet);
    expect(packet).toEqual({ srcChain: EVM_CHAIN, srcApp: 'echo', dstChain: 'side-b', dstApp: 'bank', sequence: 1, ordered: false, payload: toHex(utf8('to b')), timeoutHeight: 0, timeoutTimestamp });
    const key = packetKeys.outbound(channelId(packet), 1);
    const commitment = toHex(packetCommitment(packet));
    expect(await stored(key)).toBe(commitment);
    // the word the hub's evm client reads with eth_getProof
    expect(await anvil.provider.getStorage(await gateway.getAddress(), gatewaySlot(key))).toBe(commitment);
    expect(await gateway.packetCommitment(solidityPacket(packet))).toBe(commitment);
    const second = await mined(echo.sendTo('side-b', 'bank', '0x', 7, 0, false));
    expect(Number(second.find((l) => l.name === 'PacketSent')!.args.sequence)).toBe(2);
  });

  it('error: unregistered senders, malformed names, packets to itself, missing or past timeouts and taken names are refused', async () => {
    const later = (await anvilNowMs()) + 3_600_000;
    expect(await revertOf(gateway.send('side-b', 'bank', '0x', 0, later, false))).toBe('AppNotRegistered');
    expect(await revertOf(echo.sendTo('side-b', 'bank/x', '0x', 0, later, false))).toBe('BadName');
    expect(await revertOf(echo.sendTo('Side-B', 'bank', '0x', 0, later, false))).toBe('BadName');
    expect(await revertOf(echo.sendTo(EVM_CHAIN, 'bank', '0x', 0, later, false))).toBe('PacketToSelf');
    expect(await revertOf(echo.sendTo('side-b', 'bank', '0x', 0, 0, false))).toBe('NoTimeout');
    expect(await revertOf(echo.sendTo('side-b', 'bank', '0x', 0, 1000, false))).toBe('TimeoutInPast');
    // the channel side-b/bank is unordered already: the other flag is refused
    expect(await revertOf(echo.sendTo('side-b', 'bank', '0x', 0, later, true))).toBe('ChannelOrderingMismatch');
    expect(await revertOf(anvil.deploy('EchoApp', await gateway.getAddress(), 'echo'))).toBe('NameTaken');
  });
});

describe('Gateway receiving', () => {
  it('behavior: one batch delivers good packets and turns app failures into error acks while timed-out and badly proven packets fail alone', async () => {
    const now = await anvilNowMs();
    const packets = [
      hubPacket(1, 'hello', { timeoutTimestamp: now + 3_600_000 }),
      hubPacket(2, 'fail'),
      hubPacket(3, 'reenter', { timeoutHeight: 1_000_000 }),
      hubPacket(4, 'late', { timeoutTimestamp: now - 1 }),
      hubPacket(5, 'no proof'),
      hubPacket(6, 'nobody home', { dstApp: 'nobody' }),
      hubPacket(7, 'panic'),
    ];
    const v = await hub.advance(packets.map((p) => [packetKeys.outbound(channelId(p), p.sequence), packetCommitment(p)]));
    const proofs = packets.map((p) => hub.proof(packetKeys.outbound(channelId(p), p.sequence), v));
    proofs[4] = proofs[0]; // packet 5 with packet 1's proof
    const logs = await mined(gateway.recvPackets(v, packets.map(solidityPacket), proofs));
    expect(results(logs)).toEqual([
      { seq: 1, result: RESULT_OK },
      { seq: 2, result: RESULT_OK },
      { seq: 3, result: RESULT_OK },
      { seq: 4, result: RESULT_FAILED, error: 'PacketTimedOutError' },
      { seq: 5, result: RESULT_FAILED, error: 'ProofInvalid' },
      { seq: 6, result: RESULT_OK },
      { seq: 7, result: RESULT_OK },
    ]);
    const acks = new Map(logs.filter((l) => l.name === 'PacketReceived').map((l) => [Number(l.args.sequence), l.args.ack as string]));
    const expected: [number, Uint8Array][] = [
      [1, encodeAck({ ok: true, result: ethKeccak(toUtf8Bytes('hello')) as Hex })],
      [2, encodeAck({ ok: false, error: 'ECHO_REFUSED' })],
      [3, encodeAck({ ok: false, error: 'PNT_ERR_APP_FAILED' })],
      [6, encodeAck({ ok: false, error: 'PNT_ERR_PACKET_UNKNOWN_APP' })],
      [7, encodeAck({ ok: false, error: 'PNT_ERR_APP_FAILED' })],
    ];
    expect([...acks.keys()].sort()).toEqual(expected.map(([s]) => s));
    for (const [seq, ack] of expected) {
      const p = packets[seq - 1];
      expect(acks.get(seq), `ack of ${seq}`).toBe(toHex(ack));
      expect(await received(p), `receipt of ${seq}`).toBe(true);
      // the receipt is a bit; neither a pkt/rcpt nor a pkt/ack slot is written (the ack is in the event)
      expect(await stored(packetKeys.receipt(channelId(p), seq))).toBe(ZERO_WORD);
      expect(await stored(packetKeys.ack(channelId(p), seq))).toBe(ZERO_WORD);
    }
    for (const seq of [4, 5]) expect(await received(packets[seq - 1])).toBe(false);
    // only packet 1 left app state behind: the failing calls' writes were undone
    expect(await echo.received()).toBe(1n);
    expect(await echo.lastPayload()).toBe(toHex(utf8('hello')));

    // relaying the same packet again is a no-op
    const again = await mined(gateway.recvPackets(v, [solidityPacket(packets[0])], [proofs[0]]));
    expect(results(again)).toEqual([{ seq: 1, result: RESULT_ALREADY_DONE }]);
    expect(await echo.received()).toBe(1n);
  });

  it('behavior: an app that runs out of its gas limit gets an error ack; a relayer that sends too little gas has its batch reverted', async () => {
    const burn = hubPacket(30, 'burn');
    const v = await hub.advance([[packetKeys.outbound(channelId(burn), 30), packetCommitment(burn)]]);
    const proof = hub.proof(packetKeys.outbound(channelId(burn), 30), v);
    // the whole batch reverts (so gas estimation never settles on a starving limit)
    expect(await revertOf(gateway.recvPackets.staticCall(v, [solidityPacket(burn)], [proof], { gasLimit: 600_000 }))).toBe('InsufficientGasForApp');
    // mined with that limit, the transaction reverts (its receipt carries no reason)
    expect(await revertOf(gateway.recvPackets(v, [solidityPacket(burn)], [proof], { gasLimit: 600_000 }))).toBeDefined();
    expect(await received(burn)).toBe(false);
    const logs = await mined(gateway.recvPackets(v, [solidityPacket(burn)], [proof]));
    expect(results(logs)).toEqual([{ seq: 30, result: RESULT_OK }]);
    expect(logs.find((l) => l.name === 'PacketReceived')!.args.ack).toBe(toHex(encodeAck({ ok: false, error: 'PNT_ERR_APP_FAILED' })));
    expect(await received(burn)).toBe(true);
  });

  it('error: a packet the hub never committed, or committed with other fields, is not received', async () => {
    const p = hubPacket(20, 'real');
    const v = await hub.advance([[packetKeys.outbound(channelId(p), 20), packetCommitment(p)]]);
    const proof = hub.proof(packetKeys.outbound(channelId(p), 20), v);
    const forged = { ...p, payload: toHex(utf8('forged')) };
    const absent = hubPacket(21, 'never committed');
    const absentProof = hub.proof(packetKeys.outbound(channelId(absent), 21), v);
    const logs = await mined(gateway.recvPackets(v, [solidityPacket(forged), solidityPacket(absent), solidityPacket({ ...p, dstChain: 'side-c' })], [proof, absentProof, proof]));
    expect(results(logs)).toEqual([
      { seq: 20, result: RESULT_FAILED, error: 'ProofInvalid' },
      { seq: 21, result: RESULT_FAILED, error: 'ProofInvalid' },
      { seq: 20, result: RESULT_FAILED, error: 'WrongDestination' },
    ]);
    expect(await revertOf(gateway.recvOne(v, solidityPacket(p), proof))).toBe('OnlySelf');
  });

  it('behavior: an ordered channel delivers only the next sequence; a later one waits and an earlier one is a no-op', async () => {
    const ord = (seq: number) => hubPacket(seq, `ordered ${seq}`, { srcApp: 'ledger', ordered: true });
    const ps = [ord(1), ord(2)];
    const v = await hub.advance(ps.map((p) => [packetKeys.outbound(channelId(p), p.sequence), packetCommitment(p)]));
    const pr = ps.map((p) => hub.proof(packetKeys.outbound(channelId(p), p.sequence), v));
    expect(results(await mined(gateway.recvPackets(v, [solidityPacket(ps[1])], [pr[1]])))).toEqual([{ seq: 2, result: RESULT_FAILED, error: 'OutOfOrder' }]);
    expect(results(await mined(gateway.recvPackets(v, ps.map(solidityPacket), pr)))).toEqual([
      { seq: 1, result: RESULT_OK },
      { seq: 2, result: RESULT_OK },
    ]);
    expect(results(await mined(gateway.recvPackets(v, [solidityPacket(ps[0])], [pr[0]])))).toEqual([{ seq: 1, result: RESULT_ALREADY_DONE }]);
  });
});

describe('Gateway acknowledgements and timeouts', () => {
  async function sendFromEcho(dstApp: string, timeoutTimestamp: number, payload = 'x'): Promise<Packet> {
    const logs = await mined(echo.sendTo('side-b', dstApp, toHex(utf8(payload)), 0, timeoutTimestamp, false));
    return packetFromSolidity(logs.find((l) => l.name === 'PacketSent')!.args.packet);
  }

  it('behavior: the hub ack resolves a sent packet by its ack batch: commitment deleted first, app called, a repeat is a no-op; a wrong ack or another packet is refused', async () => {
    const p = await sendFromEcho('acker', (await anvilNowMs()) + 3_600_000);
    const ack = encodeAck({ ok: true, result: '0xbeef' });
    const { args } = await hub.ackBatch(EVM_CHAIN, [{ packet: p, ack }]);
    const [v, batches, packets, acks, batchOf, indices, paths] = args;
    const wrong = encodeAck({ ok: false, error: 'PNT_ERR_X' });
    expect(results(await mined(gateway.acknowledge(v, batches, packets, [wrong], batchOf, indices, paths)))).toEqual([{ seq: p.sequence, result: RESULT_FAILED, error: 'BatchPathInvalid' }]);
    expect(results(await mined(gateway.acknowledge(v, batches, [solidityPacket({ ...p, payload: '0x01' })], acks, batchOf, indices, paths)))).toEqual([{ seq: p.sequence, result: RESULT_FAILED, error: 'CommitmentMismatch' }]);
    expect(await stored(packetKeys.outbound(channelId(p), p.sequence))).not.toBe(ZERO_WORD);
    const logs = await mined(gateway.acknowledge(...args));
    expect(results(logs)).toEqual([{ seq: p.sequence, result: RESULT_OK }]);
    expect(logs.find((l) => l.name === 'PacketAcknowledged')!.args.callbackOk).toBe(true);
    expect(await stored(packetKeys.outbound(channelId(p), p.sequence))).toBe(ZERO_WORD);
    expect(await echo.acked()).toBe(1n);
    expect(await echo.lastAck()).toBe(toHex(ack));
    expect(results(await mined(gateway.acknowledge(...args)))).toEqual([{ seq: p.sequence, result: RESULT_ALREADY_DONE }]);
    expect(await echo.acked()).toBe(1n);
  });

  it('error: an ack path into another ack batch, a leaf swapped between batches, an index beyond the batch and the ack of another packet fail alone; a forged size or root, or a per-key pkt/ack proof, does not resolve anything', async () => {
    const deadline = (await anvilNowMs()) + 3_600_000;
    const sent: Packet[] = [];
    for (let i = 0; i < 4; i++) sent.push(await sendFromEcho('acker', deadline, `ack batch ${i}`));
    const ack = (i: number) => encodeAck({ ok: true, result: toHex(utf8(`answer ${i}`)) });
    // two ack batches the hub wrote for this chain in blocks 911 and 912: packets 0-2, and packet 3
    const groups = [sent.slice(0, 3), sent.slice(3)];
    const leaves = groups.map((g) => g.map((p) => ackLeaf(p, ack(sent.indexOf(p)))));
    const roots = leaves.map((l) => merkleRoot(l));
    const v = await hub.advance(groups.map((g, b) => [packetKeys.ackBatch(EVM_CHAIN, 911 + b), encodeBatchValue(roots[b], g.length)]));
    const batches = groups.map((g, b) => [911 + b, toHex(roots[b]), g.length, hub.proof(packetKeys.ackBatch(EVM_CHAIN, 911 + b), v)]);
    const items = sent.map((p, i) => {
      const b = i < 3 ? 0 : 1;
      const j = i < 3 ? i : 0;
      return { p, ack: ack(i), batchOf: b, index: j, path: toHex(concat(...merkleProof(leaves[b], j).siblings)) };
    });
    type Item = (typeof items)[number];
    const call = (bs: unknown[], is: Item[], h = v) => gateway.acknowledge(h, bs, is.map((i) => solidityPacket(i.p)), is.map((i) => i.ack), is.map((i) => i.batchOf), is.map((i) => i.index), is.map((i) => i.path));
    const [a0, a1, a2, b0] = items;
    const bad: Item[] = [
      { ...a0, batchOf: 1 }, // its own path, against the other batch's root
      { ...b0, batchOf: 0, index: a1.index, path: a1.path }, // a leaf of batch two in a leaf of batch one's place
      { ...a2, index: 3 }, // past the batch's 3 acks
      { ...a1, ack: a0.ack }, // another packet's ack at its own place
    ];
    expect(results(await mined(call(batches, bad)))).toEqual(bad.map((i) => ({ seq: i.p.sequence, result: RESULT_FAILED, error: 'BatchPathInvalid' })));
    for (const p of sent) expect(await stored(packetKeys.outbound(channelId(p), p.sequence))).not.toBe(ZERO_WORD);
    const forgedSize = [[...batches[0].slice(0, 2), 6, batches[0][3]], batches[1]];
    expect(await revertOf(call(forgedSize, [a0]))).toMatch(/^Proof/);
    const forgedRoot = [[911, toHex(merkleRoot([leaves[1][0]])), 3, batches[0][3]], batches[1]];
    expect(await revertOf(call(forgedRoot, [a0]))).toMatch(/^Proof/);
    expect(await revertOf(call(batches, [a0], v + 1000))).toMatch(/Unknown|Height/);
    // a pkt/ack key the hub wrote per packet (as before ack batches) proves nothing: only ack batches are read
    const w = await hub.advance([[packetKeys.ack(channelId(a0.p), a0.p.sequence), ackCommitment(a0.ack)]]);
    expect(await revertOf(call([[w, toHex(ackCommitment(a0.ack)), 1, hub.proof(packetKeys.ack(channelId(a0.p), a0.p.sequence), w)]], [{ ...a0, batchOf: 0, index: 0, path: '0x' }], w))).toMatch(/^Proof/);
    for (const p of sent) expect(await stored(packetKeys.outbound(channelId(p), p.sequence))).not.toBe(ZERO_WORD);
    // the real batches resolve every one of them
    expect(results(await mined(call(batches, items)))).toEqual(items.map((i) => ({ seq: i.p.sequence, result: RESULT_OK })));
    for (const p of sent) expect(await stored(packetKeys.outbound(channelId(p), p.sequence))).toBe(ZERO_WORD);
  });

  it('behavior: a packet the hub never received times out once a hub header at or past its timeout proves its receipt bit clear', async () => {
    const deadline = (await anvilNowMs()) + 20_000; // within the client's 60 s clock drift
    const p = await sendFromEcho('sleeper', deadline);
    const received = await sendFromEcho('sleeper', deadline, 'y');
    // the hub received `received` but not `p`: one receipt word holds both bits, only `received`'s set
    expect(toHex(packetKeys.receiptBits(channelId(p), p.sequence))).toBe(toHex(packetKeys.receiptBits(channelId(received), received.sequence)));
    const early = await hub.advance(hub.receiptWrites(received), deadline - 1);
    expect(results(await mined(gateway.timeout(early, [solidityPacket(p)], [hub.receiptProof(p, early)])))).toEqual([{ seq: p.sequence, result: RESULT_FAILED, error: 'NotTimedOut' }]);
    const late = await hub.advance([], deadline);
    // p: 0x01 || the word || its membership proof, p's bit clear
    expect(hub.receiptProof(p, late).slice(0, 4)).toBe('0x01');
    const logs = await mined(gateway.timeout(late, [solidityPacket(p), solidityPacket(received)], [hub.receiptProof(p, late), hub.receiptProof(received, late)]));
    expect(results(logs)).toEqual([
      { seq: p.sequence, result: RESULT_OK },
      { seq: received.sequence, result: RESULT_FAILED, error: 'ReceiptBitSet' },
    ]);
    expect(await echo.timedOut()).toBe(1n);
    expect(await stored(packetKeys.outbound(channelId(p), p.sequence))).toBe(ZERO_WORD);
    expect(await stored(packetKeys.outbound(channelId(received), received.sequence))).toBe(toHex(packetCommitment(received)));
    expect(results(await mined(gateway.timeout(late, [solidityPacket(p)], [hub.receiptProof(p, late)])))).toEqual([{ seq: p.sequence, result: RESULT_ALREADY_DONE }]);
  });

  it('error: a timeout proof that does not show the packet\'s own receipt bit clear in the hub\'s word fails and leaves the packet outstanding', async () => {
    const deadline = (await anvilNowMs()) + 20_000;
    const tagged = (tag: number, ...parts: Uint8Array[]) => toHex(concat(Uint8Array.of(tag), ...parts));
    // p is never received by the hub, got is. The channel is one where none of the other keys'
    // absence proofs used below ends at the word's leaf (such a proof would be the word's own proof).
    const setup = async (dstApp: string) => {
      const p = await sendFromEcho(dstApp, deadline);
      const got = await sendFromEcho(dstApp, deadline, 'y');
      const ch = channelId(p);
      const wordKey = packetKeys.receiptBits(ch, p.sequence);
      const w = await hub.advance(hub.receiptWrites(got), Math.max(deadline, hub.time + 1000));
      const member = hub.proof(wordKey, w); // the word's (membership) proof
      const nextWord = hub.proof(packetKeys.receiptBits(ch, p.sequence + 256), w); // absence of the word after
      const bare = (q: Packet) => hub.proof(packetKeys.receipt(ch, q.sequence), w); // absence of the pre-ADR 0017 key, never written
      const distinct = [nextWord, bare(p), bare(got)].every((o) => toHex(o) !== toHex(member));
      return { p, got, ch, wordKey, w, member, nextWord, bare, distinct };
    };
    let s = await setup('forger');
    for (let i = 1; !s.distinct && i < 8; i++) s = await setup(`forger-${i}`);
    expect(s.distinct).toBe(true);
    const { p, got, ch, wordKey, w, member, nextWord, bare } = s;
    const word = hub.store.get(wordKey, w)!;
    expect(toHex(word)).not.toBe(ZERO_WORD);
    expect(toHex(packetKeys.receiptBits(ch, got.sequence))).toBe(toHex(wordKey));
    expect(hub.store.get(packetKeys.receiptBits(ch, p.sequence + 256), w)).toBeUndefined();
    const cleared = withReceiptBit(undefined, got.sequence).map((b, i) => word[i] & ~b); // got's bit cleared
    const attempts: [Packet, string, RegExp][] = [
      [got, hub.receiptProof(got, w), /^ReceiptBitSet$/], // the real word: got's bit is set
      [got, tagged(1, cleared, member), /^ProofInvalid$/], // the word forged with got's bit cleared
      [p, tagged(1, new Uint8Array(32), member), /^ProofInvalid$/], // a zero word
      [got, tagged(0, member), /^ProofKeyPresent$/], // the word claimed absent while present
      [p, tagged(0, member), /^ProofKeyPresent$/],
      [got, tagged(0, nextWord), /^ProofInvalid$/], // another word's absence (the word of seq + 256)
      [p, tagged(0, nextWord), /^ProofInvalid$/],
      [got, toHex(bare(got)), /^(ReceiptProofMalformed|ReceiptBitSet|Proof(KeyPresent|Invalid|Malformed))$/], // the pkt/rcpt key's absence, untagged
      [p, toHex(bare(p)), /^(ReceiptProofMalformed|ReceiptBitSet|Proof(KeyPresent|Invalid|Malformed))$/],
      [got, tagged(0, bare(got)), /^ProofInvalid$/], // ... tagged as the word's absence
      [p, tagged(0, bare(p)), /^ProofInvalid$/],
      [got, tagged(1, word, bare(got)), /^ReceiptBitSet$/], // ... behind the real word
      [p, tagged(1, word, bare(p)), /^ProofInvalid$/],
      [got, tagged(2, bare(got)), /^ReceiptProofMalformed$/], // ... with a tag that is neither
      [p, tagged(0xff, bare(p)), /^ReceiptProofMalformed$/],
      [p, tagged(1, word.subarray(0, 31)), /^ReceiptProofMalformed$/], // a word cut short, no proof
      [p, tagged(0), /^ProofMalformed$/], // a tag alone
      [got, '0x', /^ReceiptProofMalformed$/], // empty
      [p, '0x', /^ReceiptProofMalformed$/],
    ];
    const timedOut = await echo.timedOut();
    const logs = await mined(gateway.timeout(w, attempts.map(([q]) => solidityPacket(q)), attempts.map(([, proof]) => proof)));
    const r = results(logs);
    expect(r.map(({ seq, result }) => [seq, result])).toEqual(attempts.map(([q]) => [q.sequence, RESULT_FAILED]));
    for (const [i, [, , want]] of attempts.entries()) expect(r[i].error, `attempt ${i}`).toMatch(want);
    expect(logs.some((l) => l.name === 'PacketTimedOut')).toBe(false);
    expect(await echo.timedOut()).toBe(timedOut);
    for (const q of [p, got]) expect(await stored(packetKeys.outbound(ch, q.sequence))).toBe(toHex(packetCommitment(q)));
    // the same height and word do time p out with the real proof: its bit is clear
    expect(results(await mined(gateway.timeout(w, [solidityPacket(p)], [hub.receiptProof(p, w)])))).toEqual([{ seq: p.sequence, result: RESULT_OK }]);
    expect(await echo.timedOut()).toBe(timedOut + 1n);
    expect(await stored(packetKeys.outbound(ch, got.sequence))).toBe(toHex(packetCommitment(got)));
  });
});

describe('Gateway ordered channels and timeouts', () => {
  it('behavior: a timeout on an ordered channel closes it for further sends', async () => {
    const deadline = (await anvilNowMs()) + 20_000;
    const logs = await mined(echo.sendTo('side-b', 'ledger', toHex(utf8('in order')), 0, deadline, true));
    const p = packetFromSolidity(logs.find((l) => l.name === 'PacketSent')!.args.packet);
    const ch = ethKeccak(toUtf8Bytes(channelId(p)));
    expect(await gateway.channelOrdering(ch)).toBe(2n);
    const v = await hub.advance([], Math.max(deadline, hub.chain.header(hub.chain.height).time + 1));
    // no packet of the channel ever reached the hub: 0x00 || the receipt word's absence proof
    expect(hub.store.get(packetKeys.receiptBits(channelId(p), p.sequence), v)).toBeUndefined();
    expect(hub.receiptProof(p, v).slice(0, 4)).toBe('0x00');
    expect(results(await mined(gateway.timeout(v, [solidityPacket(p)], [hub.receiptProof(p, v)])))).toEqual([{ seq: p.sequence, result: RESULT_OK }]);
    expect(await gateway.channelOrdering(ch)).toBe(3n);
    expect(await revertOf(echo.sendTo('side-b', 'ledger', '0x', 0, (await anvilNowMs()) + 3_600_000, true))).toBe('ChannelClosed');
  });
});

describe('Gateway receiving by batch (ADR 0017)', () => {
  /** Two hub batches for this chain (hub blocks 901 and 902): their keys written on the hub, and each packet's path. */
  async function twoBatches(first: number) {
    const b1 = [0, 1, 2].map((i) => hubPacket(first + i, `batch one ${i}`));
    const b2 = [0, 1].map((i) => hubPacket(first + 3 + i, `batch two ${i}`));
    const leaves = (ps: Packet[]) => ps.map(packetCommitment);
    const r1 = merkleRoot(leaves(b1));
    const r2 = merkleRoot(leaves(b2));
    const v = await hub.advance([
      [packetKeys.batch(EVM_CHAIN, 901), encodeBatchValue(r1, 3)],
      [packetKeys.batch(EVM_CHAIN, 902), encodeBatchValue(r2, 2)],
    ]);
    const batch = (h: number, root: Uint8Array, count: number) => [h, toHex(root), count, hub.proof(packetKeys.batch(EVM_CHAIN, h), v)];
    const path = (ps: Packet[], i: number) => toHex(concat(...merkleProof(leaves(ps), i).siblings));
    const items = [...b1.map((p, i) => ({ p, batchOf: 0, index: i, path: path(b1, i) })), ...b2.map((p, i) => ({ p, batchOf: 1, index: i, path: path(b2, i) }))];
    return { v, batches: [batch(901, r1, 3), batch(902, r2, 2)], items, r1 };
  }
  type Item = Awaited<ReturnType<typeof twoBatches>>['items'][number];
  const call = (v: number, batches: unknown[], items: Item[]) =>
    gateway.recvBatches(
      v,
      batches,
      items.map((i) => solidityPacket(i.p)),
      items.map((i) => i.batchOf),
      items.map((i) => i.index),
      items.map((i) => i.path),
    );

  it('behavior: packets of two hub batches are received by one state proof per batch and a path each, and a replay is a no-op', async () => {
    const { v, batches, items } = await twoBatches(100);
    const before = await echo.received();
    const logs = await mined(call(v, batches, items));
    expect(results(logs)).toEqual(items.map((i) => ({ seq: i.p.sequence, result: RESULT_OK })));
    expect(await echo.received()).toBe(before + 5n);
    for (const i of items) expect(await received(i.p)).toBe(true);
    expect(results(await mined(call(v, batches, items)))).toEqual(items.map((i) => ({ seq: i.p.sequence, result: RESULT_ALREADY_DONE })));
  });

  it('error: a path into another batch, a leaf swapped between batches and an index beyond the batch fail alone; a forged size or root, or a batch at a height the client lacks, reverts the call', async () => {
    const { v, batches, items, r1 } = await twoBatches(200);
    const [a0, a1, a2, b0] = items;
    const bad: Item[] = [
      { ...a0, batchOf: 1 }, // its own path, against the other batch's root
      { ...b0, batchOf: 0, index: a1.index, path: a1.path }, // a leaf of batch two with a leaf of batch one's place
      { ...a2, index: 3 }, // past the batch's 3 packets
      { ...a1, path: a1.path + 'ab' }, // not whole siblings
    ];
    const logs = await mined(call(v, batches, [...bad, items[4]]));
    expect(results(logs)).toEqual([
      ...bad.map((i) => ({ seq: i.p.sequence, result: RESULT_FAILED, error: 'BatchPathInvalid' })),
      { seq: items[4].p.sequence, result: RESULT_OK },
    ]);
    for (const i of bad) expect(await received(i.p)).toBe(false);
    const forgedSize = [[...(batches[0] as unknown[]).slice(0, 2), 6, (batches[0] as unknown[])[3]], batches[1]];
    expect(await revertOf(call(v, forgedSize, [a0]))).toMatch(/^Proof/);
    const forgedRoot = [[901, toHex(merkleRoot([packetCommitment(b0.p)])), 3, (batches[0] as unknown[])[3]], batches[1]];
    expect(await revertOf(call(v, forgedRoot, [a0]))).toMatch(/^Proof/);
    expect(await revertOf(call(v + 1000, batches, [a0]))).toMatch(/Unknown|Height/);
    expect(toHex(r1)).not.toBe(toHex(merkleRoot([packetCommitment(b0.p)])));
    // the untouched batch still delivers
    expect(results(await mined(call(v, batches, [a0, a1, a2]))).map((r) => r.result)).toEqual([RESULT_OK, RESULT_OK, RESULT_OK]);
  });
});

describe('Gateway records as the hub reads them', () => {
  it('behavior: the evm client proves a sent commitment and the receipt bit by eth_getProof, and the ack by its PacketReceived log; it refuses a receipt absent whose bit is set and an ack another log carries', async () => {
    const sendTx = (await (await echo.sendTo('side-b', 'prover', toHex(utf8('proved')), 0, (await anvilNowMs()) + 3_600_000, false)).wait())!;
    const logs = parsedLogs(sendTx.logs);
    const sent = packetFromSolidity(logs.find((l) => l.name === 'PacketSent')!.args.packet);
    const inbound = hubPacket(40, 'to be proved');
    const other = hubPacket(42, 'also proved');
    const v = await hub.advance([
      [packetKeys.outbound(channelId(inbound), 40), packetCommitment(inbound)],
      [packetKeys.outbound(channelId(other), 42), packetCommitment(other)],
    ]);
    const tx = await (await gateway.recvPackets(v, [solidityPacket(inbound), solidityPacket(other)], [hub.proof(packetKeys.outbound(channelId(inbound), 40), v), hub.proof(packetKeys.outbound(channelId(other), 42), v)])).wait();
    const recv = parsedLogs(tx!.logs);
    const ack = recv.find((l) => l.name === 'PacketReceived' && Number(l.args.sequence) === 40)!.args.ack as string;
    const block = await anvil.provider.getBlock(tx!.blockNumber);
    const address = (await gateway.getAddress()).toLowerCase() as Hex;
    const rec = { chainId: EVM_CHAIN, clientType: EVM_CLIENT_TYPE, state: { gateway: address, chainIdNumber: 31337, trust: { mode: 'attested' }, voteWindow: 256 }, latestHeight: block!.number, trustingPeriodMs: 1e9, maxClockDriftMs: 1e4, frozen: null } as EvmClientRecord;
    const cons: EvmConsensusRecord = { height: block!.number, timestamp: block!.timestamp * 1000, root: block!.stateRoot as Hex, extra: { hash: block!.hash as Hex, receiptsRoot: (await anvil.provider.send('eth_getBlockByNumber', [`0x${block!.number.toString(16)}`, false])).receiptsRoot } };
    const storage = (key: Uint8Array) => {
      expect(pontisSlot(key)).toBe(gatewaySlot(key));
      return fetchStorageProof(anvil.provider, address, gatewaySlot(key), block!.number);
    };
    const word = async (key: Uint8Array) => verifyStorageProof(cons.root, address, gatewaySlot(key), await storage(key));
    expect(await word(packetKeys.outbound(channelId(sent), sent.sequence))).toBe(toHex(packetCommitment(sent)));
    expect(receiptBitSet(await word(packetKeys.receiptBits(channelId(inbound), 40)), 40)).toBe(true);
    // the hub asks for pkt/rcpt absence; the client reads the bit: clear for 41 (never received), set for 40 and 42
    const bits = await storage(packetKeys.receiptBits(channelId(inbound), 41));
    expect(() => evmClient.verifyNonMembership(rec, cons, packetKeys.receipt(channelId(inbound), 41), bits)).not.toThrow();
    expect(() => evmClient.verifyNonMembership(rec, cons, packetKeys.receipt(channelId(inbound), 40), bits)).toThrow(/receipt bit/);
    expect(() => evmClient.verifyNonMembership(rec, cons, packetKeys.receipt(channelId(other), 42), bits)).toThrow(/receipt bit/);
    // the ack: the PacketReceived log of the delivering transaction, under the block's receiptsRoot
    const receipts = await anvil.provider.send('eth_getBlockReceipts', [`0x${block!.number.toString(16)}`]) as RpcReceipt[];
    const txIndex = tx!.index;
    const receipt = { txIndex, proof: buildReceiptProof(receipts, txIndex, cons.extra!.receiptsRoot).proof };
    const logIndex = (n: number) => tx!.logs.findIndex((l: Log) => gwIface.parseLog(l)?.name === 'PacketReceived' && Number(gwIface.parseLog(l)!.args.sequence) === n);
    const ackValue = ackCommitment(Buffer.from(ack.slice(2), 'hex'));
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.ack(channelId(inbound), 40), ackValue, { receipt, logIndex: logIndex(40) })).not.toThrow();
    // another packet's log, another ack, another log of the receipt, another emitter: refused
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.ack(channelId(inbound), 40), ackValue, { receipt, logIndex: logIndex(42) })).toThrow(/another packet/);
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.ack(channelId(inbound), 40), ackCommitment(encodeAck({ ok: true, result: '0x01' })), { receipt, logIndex: logIndex(40) })).toThrow(/another ack/);
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.ack(channelId(inbound), 40), ackValue, { receipt, logIndex: logIndex(40) + 1 })).toThrow(/PacketReceived/);
    expect(() => evmClient.verifyMembership({ ...rec, state: { ...rec.state, gateway: `0x${'11'.repeat(20)}` } }, cons, packetKeys.ack(channelId(inbound), 40), ackValue, { receipt, logIndex: logIndex(40) })).toThrow(/gateway/);
    // a log proves only what it wrote: not a receipt, and a PacketReceived log not a sent commitment
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.receipt(channelId(inbound), 40), ackValue, { receipt, logIndex: logIndex(40) })).toThrow(/a log proves only/);
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.outbound(channelId(inbound), 40), packetCommitment(inbound), { receipt, logIndex: logIndex(40) })).toThrow(/PacketSent/);

    // the sent commitment by its PacketSent log, in an earlier block: the headers from there up to the held block link it
    const rlpAt = async (n: number) => toHex(encodeHeader(headerFromRpc(await anvil.provider.send('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]))));
    const sentHeaders = await Promise.all(Array.from({ length: block!.number - sendTx.blockNumber + 1 }, (_, i) => rlpAt(sendTx.blockNumber + i)));
    const sentBlockReceipts = (await anvil.provider.send('eth_getBlockReceipts', [`0x${sendTx.blockNumber.toString(16)}`])) as RpcReceipt[];
    const sentRoot = headerFromRpc(await anvil.provider.send('eth_getBlockByNumber', [`0x${sendTx.blockNumber.toString(16)}`, false])).receiptsRoot;
    const sentProof = { receipt: { txIndex: sendTx.index, proof: buildReceiptProof(sentBlockReceipts, sendTx.index, sentRoot).proof }, headers: sentHeaders, logIndex: sendTx.logs.findIndex((l: Log) => gwIface.parseLog(l)?.name === 'PacketSent') };
    expect(sendTx.blockNumber).toBeLessThan(block!.number);
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.outbound(channelId(sent), sent.sequence), packetCommitment(sent), sentProof)).not.toThrow();
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.outbound(channelId(sent), sent.sequence), packetCommitment({ ...sent, payload: '0x00' }), sentProof)).toThrow(/another commitment/);
    expect(() => evmClient.verifyMembership(rec, cons, packetKeys.outbound(channelId(sent), sent.sequence + 1), packetCommitment({ ...sent, sequence: sent.sequence + 1 }), sentProof)).toThrow(/another packet/);

    // at a later proof height P: the headers from the log's block up to P link it to the block the client holds
    await anvil.provider.send('anvil_mine', ['0x2']);
    const headers = [await rlpAt(block!.number), await rlpAt(block!.number + 1), await rlpAt(block!.number + 2)];
    const top = await anvil.provider.send('eth_getBlockByNumber', [`0x${(block!.number + 2).toString(16)}`, false]);
    const consP: EvmConsensusRecord = { height: block!.number + 2, timestamp: 0, root: top.stateRoot, extra: { hash: top.hash, receiptsRoot: top.receiptsRoot } };
    const at40 = { receipt, logIndex: logIndex(40) };
    expect(() => evmClient.verifyMembership(rec, consP, packetKeys.ack(channelId(inbound), 40), ackValue, { ...at40, headers })).not.toThrow();
    // the same receipt part, proven above, does not count under another root: without the headers it is checked against P's own receipts
    expect(() => evmClient.verifyMembership(rec, consP, packetKeys.ack(channelId(inbound), 40), ackValue, at40)).toThrow();
    // a gap, a run that stops below P, a header whose receiptsRoot was altered (its child no longer links)
    expect(() => evmClient.verifyMembership(rec, consP, packetKeys.ack(channelId(inbound), 40), ackValue, { ...at40, headers: [headers[0], headers[2]] })).toThrow(/does not extend/);
    expect(() => evmClient.verifyMembership(rec, consP, packetKeys.ack(channelId(inbound), 40), ackValue, { ...at40, headers: headers.slice(0, 2) })).toThrow(/headers end/);
    const altered = toHex(encodeHeader({ ...headerFromRpc(await anvil.provider.send('eth_getBlockByNumber', [`0x${block!.number.toString(16)}`, false])), receiptsRoot: `0x${'ab'.repeat(32)}` as Hex }));
    expect(() => evmClient.verifyMembership(rec, consP, packetKeys.ack(channelId(inbound), 40), ackValue, { ...at40, headers: [altered, headers[1], headers[2]] })).toThrow(/does not extend/);
  });
});

describe('Relayer gas limits for Gateway batch calls (relayers/paths/evm/gas.ts)', () => {
  it('behavior: the first call of a kind is estimated; later ones take the learned gas a packet plus one whole app call; too large or after a failure, estimated again', async () => {
    const writer = new EvmWriter({ url: anvil.url, evmChainId: 31337, chainId: EVM_CHAIN, privateKeys: [ANVIL_KEYS[2]], pollIntervalMs: 50 });
    const ep = evmGatewayEndpoint(EVM_CHAIN, writer, await gateway.getAddress(), await hub.client.getAddress());
    try {
      expect(await ep.gas.limit('recvBatches', 10)).toBeUndefined();
      ep.gas.learn('recvBatches', 10, 500_000n);
      ep.gas.learn('recvBatches', 20, 800_000n);
      // the largest gas a packet seen lately (50k), a margin, and the Gateway's own appGasLimit (read from the chain) for the last app call
      expect(await ep.gas.limit('recvBatches', 20)).toBe(BigInt(Math.ceil(50_000 * 20 * 1.25)) + (BigInt(APP_GAS) * 64n) / 63n + 100_000n);
      expect(await ep.gas.limit('acknowledge', 20)).toBeUndefined();
      expect(await ep.gas.limit('recvBatches', 1000)).toBeUndefined(); // past the per-transaction cap: estimate
      // a call sent with a learned limit that fails (here: reverts) makes the next one estimated
      const bad = gwIface.encodeFunctionData('recvPackets', [1, [solidityPacket(hubPacket(900, 'x'))], []]);
      await expect(sendGatewayCall(ep, 'recvBatches', 1, bad)).rejects.toBeInstanceOf(AdapterError);
      expect(await ep.gas.limit('recvBatches', 20)).toBeUndefined();
      // learned from what a mined call used
      const p = hubPacket(901, 'gas');
      const v = await hub.advance([[packetKeys.outbound(channelId(p), 901), packetCommitment(p)]]);
      const ok = gwIface.encodeFunctionData('recvPackets', [v, [solidityPacket(p)], [hub.proof(packetKeys.outbound(channelId(p), 901), v)]]);
      const r = await sendGatewayCall(ep, 'recvPackets', 1, ok);
      expect(await received(p)).toBe(true);
      expect(await ep.gas.limit('recvPackets', 2)).toBe(BigInt(Math.ceil(Number(r.gasUsed) * 2 * 1.25)) + (BigInt(APP_GAS) * 64n) / 63n + 100_000n);
    } finally {
      await writer.close();
    }
  });
});
