/**
 * Adversarial relaying: everything a relayer submits is checked against a light client, so a
 * forged, altered, misplaced or replayed proof changes nothing. Batches: a bad item is rejected
 * alone (docs/adr/0005-packets.md), the others go through.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { addressFromPublicKey, validatorPublicKey } from '../../hub-chain/crypto/secp256k1.ts';
import { readPacketStatus } from '../../hub-chain/modules/packets/keeper.ts';
import { readOutcome } from '../../hub-chain/modules/packets/msg-app.ts';
import { channelId, encodeAck, encodeBatchValue, type Packet, packetKeys, receiptBitSet } from '../../hub-chain/modules/packets/types.ts';
import { headerHash } from '../../hub-chain/types/header.ts';
import { decodeProof, encodeProof, type StateProof } from '../../hub-chain/state/proof.ts';
import { type Commit, VoteType, signVote } from '../../hub-chain/types/vote.ts';
import { ackBatch, clientUpdate, recvBatch } from '../../relayers/paths/pontis/path.ts';
import type { TestChain } from '../support/coordinator.ts';
import { type Net, makeNet, relayAll, sendMsg, sentPacket } from './setup.ts';

let net: Net;
afterEach(async () => net?.close());

const view = (c: TestChain) => ({ get: (k: Uint8Array) => c.chain.state.get(k) });
const results = (r: { events: { type: string; attributes: Record<string, string> }[] }, type: string) => r.events.filter((e) => e.type === type).map((e) => e.attributes.result);

/** A sends `n` messages to B; returns them with the hub's client of A updated to A's latest height. */
async function sent(n: number): Promise<{ a: TestChain; b: TestChain; ps: Packet[]; h: number; items: { packet: Packet; proof: unknown }[] }> {
  net = await makeNet(['a', 'b', 'c']);
  const { a, b } = net.spokes;
  const r = await a.exec(Array.from({ length: n }, (_, i) => sendMsg('b', `m${i}`)));
  const ps = r.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
  const h = await a.latestHeight();
  const upd = await clientUpdate(a, net.hub, h);
  await net.hub.exec([upd!], net.hub.relayerKey);
  // events without their block (height 0): each packet proven by its own pkt/out key (the batch proofs have their own tests below)
  const batch = (await recvBatch(a, net.hub, ps.map((packet) => ({ height: 0, packet })), h)) as unknown as { packets: { packet: Packet; proof: unknown }[] };
  return { a, b, ps, h, items: batch.packets };
}

const submitRecv = (h: number, items: { packet: Packet; proof: unknown }[]) => net.hub.exec([{ type: 'packets/recv', proofHeight: h, packets: items }], net.hub.relayerKey);
const received = (p: Packet) => receiptBitSet(net.hub.chain.state.get(packetKeys.receiptBits(channelId(p), p.sequence)), p.sequence);

describe('proof attacks on the hub', () => {
  it('error: a proof with any single byte flipped is rejected, and nothing is received', async () => {
    const { h, items } = await sent(1);
    const bytes = encodeProof(items[0].proof as StateProof);
    const variants: unknown[] = [];
    let undecodable = 0;
    for (let i = 0; i < bytes.length; i++) {
      const t = Uint8Array.from(bytes);
      t[i] ^= 0x01;
      try {
        variants.push(decodeProof(t));
      } catch {
        undecodable++; // a relayer could not even express it as a proof
      }
    }
    expect(variants.length + undecodable).toBe(bytes.length);
    // all the variants in one batch: each is judged on its own
    const r = await submitRecv(h, variants.map((proof) => ({ packet: items[0].packet, proof })));
    const res = results(r, 'packet/recv/result');
    expect(res).toHaveLength(variants.length);
    for (const x of res) expect(x).toMatch(/^PNT_ERR_PROOF_/);
    expect(received(items[0].packet)).toBe(false);
    // the untouched proof still works
    expect(results(await submitRecv(h, items), 'packet/recv/result')).toEqual(['ok']);
  });

  it('error: an altered packet with the original proof, a proof for another key, and a proof from another chain are rejected', async () => {
    const { h, items } = await sent(2);
    const altered = { ...items[0].packet, payload: toHex(utf8('{"from":"0x00","data":"0x6576696c"}')) };
    expect(results(await submitRecv(h, [{ packet: altered, proof: items[0].proof }]), 'packet/recv/result')[0]).toMatch(/^PNT_ERR_PROOF_/);
    expect(results(await submitRecv(h, [{ packet: items[0].packet, proof: items[1].proof }]), 'packet/recv/result')[0]).toMatch(/^PNT_ERR_PROOF_/);
    // chain C commits a packet with the same channel position; its proof is against C's root, not A's
    const c = net.spokes.c;
    await c.exec([sendMsg('b', 'from c')]);
    const fromC = await c.proveState(packetKeys.outbound('c/msg/b/msg', 1), await c.latestHeight());
    expect(results(await submitRecv(h, [{ packet: items[0].packet, proof: fromC.proof }]), 'packet/recv/result')[0]).toMatch(/^PNT_ERR_PROOF_/);
    expect(received(items[0].packet)).toBe(false);
  });

  it('error: a proof at a height the client never saw is rejected (PNT_ERR_CLIENT_NO_CONSENSUS)', async () => {
    const { a, items } = await sent(1);
    await a.makeBlock();
    const later = await a.latestHeight();
    const { proof } = await a.proveState(packetKeys.outbound(channelId(items[0].packet), 1), later);
    expect(results(await submitRecv(later, [{ packet: items[0].packet, proof }]), 'packet/recv/result')).toEqual(['PNT_ERR_CLIENT_NO_CONSENSUS']);
  });

  it('behavior: a batch with one bad packet: the bad one is rejected alone, the others are received', async () => {
    const { h, items } = await sent(3);
    const bad = { ...items[1], proof: items[0].proof };
    const r = await submitRecv(h, [items[0], bad, items[2]]);
    expect(r.code).toBe('ok');
    const res = results(r, 'packet/recv/result');
    expect(res[0]).toBe('ok');
    expect(res[1]).toMatch(/^PNT_ERR_PROOF_/);
    expect(res[2]).toBe('ok');
    expect([received(items[0].packet), received(items[1].packet), received(items[2].packet)]).toEqual([true, false, true]);
  });

  it('error: an absence proof for a present receipt is rejected: no timeout, no refund', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const p = sentPacket(await a.exec([sendMsg('b', 'x', { timeoutTimestamp: net.clock.now() + 3500 })]));
    await relayAll(net, 1); // delivered to B; ack not yet back
    expect(readPacketStatus(view(b), channelId(p), 1)!.state).toBe('received');
    net.clock.advance(10_000);
    await b.makeBlock();
    const bh = await b.latestHeight();
    const upd = await clientUpdate(b, net.hub, bh);
    // B keeps its receipts as bits (ADR 0017): the word holding sequence 1, with its bit set
    const word = await b.proveState(packetKeys.receiptBits(channelId(p), 1), bh);
    expect(receiptBitSet(word.value, 1)).toBe(true);
    const otherWord = await b.proveState(packetKeys.receiptBits(channelId(p), 300), bh);
    const forged = [
      { word: toHex(word.value!), proof: word.proof }, // the bit is set
      { word: toHex(new Uint8Array(32)), proof: word.proof }, // the bit cleared by hand
      { word: null, proof: word.proof }, // the word claimed absent
      { word: null, proof: otherWord.proof }, // another word's absence
      (await b.proveState(packetKeys.receipt(channelId(p), 1), bh)).proof, // the never-written question key's absence
    ];
    for (const proof of forged) {
      const r = await net.hub.exec([...(upd ? [upd] : []), { type: 'packets/timeout', proofHeight: bh, packets: [{ packet: p, proof }] }], net.hub.relayerKey);
      expect(results(r, 'packet/timeout/result')[0]).toMatch(/^PNT_ERR_PROOF_/);
    }
    await relayAll(net);
    expect(readOutcome(view(a), 'b', 1)).toBe('delivered'); // not refunded
  });
});

/**
 * Batch proofs (ADR 0017): A commits 3 packets for the hub in one block and 2 in the next; each
 * packet is proven by its block's batch (one state proof, shared) and a Merkle path.
 */
const HUB_ID = 'hub';
describe('batch proof attacks on the hub', () => {
  type Item = { packet: Packet; proof: { batch: unknown; index: number; path: string } };
  type BatchPart = { height: number; root: string; count: number; proof: unknown };
  async function twoBatches(): Promise<{ a: TestChain; h: number; h1: number; h2: number; items: Item[]; shared: BatchPart[] }> {
    net = await makeNet(['a', 'b']);
    const { a } = net.spokes;
    const r1 = await a.exec([0, 1, 2].map((i) => sendMsg('b', `first ${i}`)));
    const h1 = await a.latestHeight();
    const r2 = await a.exec([0, 1].map((i) => sendMsg('b', `second ${i}`)));
    const h2 = await a.latestHeight();
    const sentIn = (r: typeof r1) => r.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
    const h = h2;
    await net.hub.exec([(await clientUpdate(a, net.hub, h))!], net.hub.relayerKey);
    const events = [...sentIn(r1).map((packet) => ({ height: h1, packet })), ...sentIn(r2).map((packet) => ({ height: h2, packet }))];
    const m = (await recvBatch(a, net.hub, events, h)) as unknown as { packets: Item[]; shared: BatchPart[] };
    return { a, h, h1, h2, items: m.packets, shared: m.shared };
  }
  /** Resolves `{$shared: i}` the way the packets module does, for a message built by hand. */
  const submit = (h: number, items: Item[], shared: BatchPart[]) => net.hub.exec([{ type: 'packets/recv', proofHeight: h, packets: items, shared }], net.hub.relayerKey);
  const ref = (i: number) => ({ $shared: i });

  it('behavior: a relay message proves each block\'s packets with one shared state proof of its batch and a path each; all are received, and a replay is a no-op', async () => {
    const { a, h, h1, h2, items, shared } = await twoBatches();
    expect(shared.map((b) => [b.height, b.count])).toEqual([
      [h1, 3],
      [h2, 2],
    ]);
    expect(items.map((i) => [i.proof.batch, i.proof.index])).toEqual([
      [ref(0), 0],
      [ref(0), 1],
      [ref(0), 2],
      [ref(1), 0],
      [ref(1), 1],
    ]);
    // the batch key on A holds root || count, as proven
    expect(toHex((await a.readState(packetKeys.batch(HUB_ID, h1)))!)).toBe(toHex(encodeBatchValue(fromHex(shared[0].root as Hex), 3)));
    expect(results(await submit(h, items, shared), 'packet/recv/result')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    for (const i of items) expect(received(i.packet)).toBe(true);
    expect(results(await submit(h, items, shared), 'packet/recv/result')).toEqual(Array(5).fill('already-received'));
  });

  it('error: a path into another batch, a leaf swapped between batches, an index beyond the batch, a forged size or root, and a malformed proof are refused, and nothing is received', async () => {
    const { h, items, shared } = await twoBatches();
    const first = items[0];
    const second = items[3];
    const cases: [string, Item, BatchPart[], RegExp][] = [
      // packet of batch 1 with its own path, but against batch 2
      ['path into another batch', { ...first, proof: { ...first.proof, batch: ref(1) } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      // packet of batch 2 with the whole proof of a packet of batch 1
      ['leaf swapped between batches', { ...second, proof: first.proof }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      // a leaf's path with an index past the batch's 3 packets
      ['index beyond the batch', { ...items[2], proof: { ...items[2].proof, index: 3 } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      // the same path read as leaf 4 of a batch claimed to hold 6 (it would fold to the same root): the size is proven with the root
      ['forged size', { ...items[2], proof: { ...items[2].proof, index: 4 } }, [{ ...shared[0], count: 6 }, shared[1]], /^PNT_ERR_PROOF_/],
      ['forged root', first, [{ ...shared[0], root: shared[1].root }, shared[1]], /^PNT_ERR_PROOF_/],
      ['path of odd length', { ...first, proof: { ...first.proof, path: first.proof.path + 'ab' } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['path not hex', { ...first, proof: { ...first.proof, path: first.proof.path.slice(0, -1) + 'g' } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['path of 65 siblings', { ...first, proof: { ...first.proof, path: '0x' + 'ab'.repeat(32 * 65) } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['extra field', { ...first, proof: { ...first.proof, extra: 1 } as Item['proof'] }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['unresolved shared reference', { ...first, proof: { ...first.proof, batch: ref(7) } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
    ];
    for (const [what, item, parts, code] of cases) {
      const r = await submit(h, [item], parts);
      expect(results(r, 'packet/recv/result')[0], what).toMatch(code);
    }
    for (const i of items) expect(received(i.packet)).toBe(false);
    // the untouched message still goes through
    expect(results(await submit(h, items, shared), 'packet/recv/result')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('error: a batch proven at a height the client never saw is refused (PNT_ERR_CLIENT_NO_CONSENSUS)', async () => {
    const { a, items, shared } = await twoBatches();
    await a.makeBlock();
    const later = await a.latestHeight();
    const moved = await Promise.all(shared.map(async (b) => ({ ...b, proof: (await a.proveState(packetKeys.batch(HUB_ID, b.height), later)).proof })));
    expect(results(await submit(later, items, moved), 'packet/recv/result')).toEqual(Array(5).fill('PNT_ERR_CLIENT_NO_CONSENSUS'));
  });
});

describe('ack batch attacks on a spoke (ADR 0017)', () => {
  type Item = { packet: Packet; ack: Hex; proof: { batch: unknown; index: number; path: string } };
  type BatchPart = { height: number; root: string; count: number; proof: unknown };
  /**
   * A sends five messages to the hub's own msg app; the hub receives three in one block and two in
   * the next, so it writes two ack batches for A; returns A's ack message for all five.
   */
  async function twoAckBatches(): Promise<{ a: TestChain; h: number; items: Item[]; shared: BatchPart[]; heights: number[] }> {
    net = await makeNet(['a']);
    const { a } = net.spokes;
    const r = await a.exec([0, 1, 2, 3, 4].map((i) => sendMsg(HUB_ID, `to the hub ${i}`)));
    const ps = r.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
    const ha = await a.latestHeight();
    await net.hub.exec([(await clientUpdate(a, net.hub, ha))!], net.hub.relayerKey);
    const events: { height: number; packet: Packet; ack: Hex }[] = [];
    for (const part of [ps.slice(0, 3), ps.slice(3)]) {
      const m = (await recvBatch(a, net.hub, part.map((packet) => ({ height: ha, packet })), ha))!;
      const rr = await net.hub.exec([m], net.hub.relayerKey);
      for (const e of rr.events.filter((x) => x.type === 'packet/received')) events.push({ height: rr.height, packet: JSON.parse(e.attributes.packet) as Packet, ack: e.attributes.ack as Hex });
    }
    const h = await net.hub.latestHeight();
    await a.exec([(await clientUpdate(net.hub, a, h))!], a.relayerKey);
    const m = (await ackBatch(net.hub, a, events, h)) as unknown as { packets: Item[]; shared: BatchPart[] };
    return { a, h, items: m.packets, shared: m.shared, heights: [...new Set(events.map((e) => e.height))] };
  }
  const submit = (a: TestChain, h: number, items: Item[], shared: BatchPart[]) => a.exec([{ type: 'packets/ack', proofHeight: h, packets: items, shared }], a.relayerKey);
  const ref = (i: number) => ({ $shared: i });
  const outstanding = (a: TestChain, p: Packet) => a.chain.state.get(packetKeys.outbound(channelId(p), p.sequence)) !== undefined;

  it('behavior: the hub writes no per-packet ack key but one ack batch per block for the source; a message proves each batch once and each ack by a path; a replay is a no-op', async () => {
    const { a, h, items, shared, heights } = await twoAckBatches();
    expect(heights).toHaveLength(2);
    expect(shared.map((b) => [b.height, b.count])).toEqual([
      [heights[0], 3],
      [heights[1], 2],
    ]);
    for (const i of items) expect(net.hub.chain.state.get(packetKeys.ack(channelId(i.packet), i.packet.sequence))).toBeUndefined();
    expect(toHex(net.hub.chain.state.get(packetKeys.ackBatch('a', heights[0]))!)).toBe(toHex(encodeBatchValue(fromHex(shared[0].root as Hex), 3)));
    expect(results(await submit(a, h, items, shared), 'packet/ack/result')).toEqual(Array(5).fill('ok'));
    for (const i of items) expect(outstanding(a, i.packet)).toBe(false);
    for (const i of items) expect(readOutcome(view(a), HUB_ID, i.packet.sequence)).toBe('delivered');
    expect(results(await submit(a, h, items, shared), 'packet/ack/result')).toEqual(Array(5).fill('already-resolved'));
  });

  it("error: an ack path into another batch, a leaf swapped between batches, an index beyond the batch, another packet's ack, a forged size or root, and a proof of the never-written pkt/ack key are refused, and nothing is resolved", async () => {
    const { a, h, items, shared } = await twoAckBatches();
    const first = items[0];
    const second = items[3];
    const errorAck = toHex(encodeAck({ ok: false, error: 'PNT_ERR_MSG_EMPTY' }));
    const keyProof = toHex(encodeProof((await net.hub.proveState(packetKeys.ack(channelId(first.packet), first.packet.sequence), h)).proof));
    const cases: [string, Item, BatchPart[], RegExp][] = [
      ['path into another batch', { ...first, proof: { ...first.proof, batch: ref(1) } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['leaf swapped between batches', { ...second, proof: first.proof }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['index beyond the batch', { ...items[2], proof: { ...items[2].proof, index: 3 } }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ["another packet's ack", { ...first, ack: items[1].ack }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['an error ack in place of the real one', { ...first, ack: errorAck }, shared, /^PNT_ERR_PACKET_BATCH_PROOF$/],
      ['forged size', { ...items[2], proof: { ...items[2].proof, index: 4 } }, [{ ...shared[0], count: 6 }, shared[1]], /^PNT_ERR_PROOF_/],
      ['forged root', first, [{ ...shared[0], root: shared[1].root }, shared[1]], /^PNT_ERR_PROOF_/],
      // the hub never wrote pkt/ack for it: only an absence proof exists, which is no membership
      ['the per-packet ack key', { ...first, proof: keyProof as unknown as Item['proof'] }, shared, /^PNT_ERR_PROOF_/],
      ['a packet batch in place of the ack batch', first, [{ ...shared[0], proof: (await net.hub.proveState(packetKeys.batch('a', shared[0].height), h)).proof }, shared[1]], /^PNT_ERR_PROOF_/],
    ];
    for (const [what, item, parts, code] of cases) {
      const r = await submit(a, h, [item], parts);
      expect(results(r, 'packet/ack/result')[0], what).toMatch(code);
    }
    for (const i of items) expect(outstanding(a, i.packet)).toBe(true);
    // the untouched message still resolves them all
    expect(results(await submit(a, h, items, shared), 'packet/ack/result')).toEqual(Array(5).fill('ok'));
  });
});

describe('misbehaviour', () => {
  it('behavior: conflicting headers freeze the client; nothing is accepted from it until governance recovers it', async () => {
    const { a, h, items } = await sent(1);
    // A's validators sign a second header at a height the hub already verified
    const real = a.chain.stored(h)!.block.header;
    const fork = { ...real, stateRoot: '0x' + 'ee'.repeat(32) };
    const hash = headerHash(fork);
    const commit: Commit = {
      height: h,
      round: 0,
      blockHash: hash,
      signatures: a.keys.map((k) => {
        const v = signVote('a', { type: VoteType.Precommit, height: h, round: 0, blockHash: hash }, k, addressFromPublicKey(validatorPublicKey(k)));
        return { validator: v.validator, signature: v.signature };
      }),
    };
    // height 1 of A is the trusted header the hub registered A with
    expect(net.hub.chain.state.get(utf8(`clients/a/consensus/${String(1).padStart(16, '0')}`))).toBeDefined();
    const r = await net.hub.exec(
      [{ type: 'clients/update', chainId: 'a', message: { signedHeader: { header: fork, commit }, validators: a.chain.validatorSet(h).toJSON(), nextValidators: a.chain.validatorSet(h + 1).toJSON(), trustedHeight: 1 } }],
      net.hub.relayerKey,
    );
    expect(r.events.some((e) => e.type === 'client/frozen')).toBe(true);
    expect(results(await submitRecv(h, items), 'packet/recv/result')).toEqual(['PNT_ERR_CLIENT_FROZEN']);
    // governance recovers the client from a fresh trusted header of A
    await a.makeBlock();
    const rec = await net.hub.govern({ kind: 'recover-client', chainId: 'a', initial: await a.clientInitial() });
    expect(rec.code).toBe('ok');
    await relayAll(net);
    expect(readOutcome(view(a), 'b', 1)).toBe('delivered');
  });
});
