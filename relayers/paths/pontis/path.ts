/**
 * Relaying between two Pontis chains (a side-chain and the hub, either way round): scanning
 * blocks for packets and acks, client updates, and receive, ack and timeout batches, each proven
 * at one height. Pure logic over endpoints: the coordinator tests drive it in-process, the
 * relayer workers over RPC. Everything it builds is idempotent on chain (receipts).
 */
import { PontisError } from '../../../hub-chain/errors.ts';
import { MAX_SHARED_PARTS } from '../../../hub-chain/modules/packets/msgs.ts';
import { type Hex, fromHex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { ackBatchProofs, batchProofs, byBlock } from '../batch-proofs.ts';
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { clientKeys } from '../../../hub-chain/modules/clients/store.ts';
import type { ClientRecord, ConsensusRecord } from '../../../hub-chain/modules/clients/types.ts';
import { type Packet, TIMEOUT_ERROR, channelId, encodeAck, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { type PontisReader, type PontisWriter, proveStates, readStates, receiptAbsence, receivedOn } from './endpoint.ts';
import type { PacketEvent } from '../types.ts';

export type { PacketEvent };


export interface ScanResult {
  /** Packets committed on the scanned chain for the other end of this path. */
  packets: PacketEvent[];
  /** Acknowledgements (and hub-recorded timeouts) written on the scanned chain for the other end. */
  acks: PacketEvent[];
}

const readJson = async <T>(r: PontisReader, key: Uint8Array): Promise<T | undefined> => {
  const b = await r.readState(key);
  return b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as T);
};

/** Which chain a packet moves to next when it leaves `from`, given which end is the hub. */
function nextHop(p: Packet, from: string, hubId: string): string {
  return from === hubId ? p.dstChain : hubId;
}

/**
 * Scans `src` blocks (from, to] for packets and acks whose next hop is `dst`. `hubId` names the
 * hub of this path (one of the two ends).
 */
export async function scan(src: PontisReader, dstId: string, hubId: string, from: number, to: number): Promise<ScanResult> {
  const out: ScanResult = { packets: [], acks: [] };
  for (let h = from + 1; h <= to; h++) {
    const b = await src.blockEvents(h);
    for (const tx of b.txs) {
      for (const e of tx.events) {
        const a = e.attributes;
        if (!a.packet) continue;
        const p = JSON.parse(a.packet) as Packet;
        switch (e.type) {
          case 'packet/sent':
          case 'packet/forwarded':
            if (nextHop(p, src.chainId, hubId) === dstId) out.packets.push({ height: h, packet: p });
            break;
          case 'packet/received':
          case 'packet/refused':
            // the ack goes back toward the source: from a spoke to the hub, from the hub to the source spoke
            if (backHop(p, src.chainId, hubId) === dstId) out.acks.push({ height: h, packet: p, ack: a.ack });
            break;
          case 'packet/acknowledged':
            // the hub passes on a destination's ack; a source resolving its own packet has nothing to send
            if (src.chainId === hubId && p.srcChain !== hubId && p.srcChain === dstId) out.acks.push({ height: h, packet: p, ack: a.ack });
            break;
          case 'packet/timed-out':
            if (src.chainId === hubId && p.srcChain !== hubId && p.srcChain === dstId) out.acks.push({ height: h, packet: p, ack: toHex(encodeAck({ ok: false, error: TIMEOUT_ERROR })) });
            break;
        }
      }
    }
  }
  return out;
}

function backHop(p: Packet, at: string, hubId: string): string {
  return at === hubId ? p.srcChain : hubId;
}

/** `dst`'s client record of `srcId`, if it has one. */
export function clientRecord(dst: PontisReader, srcId: string): Promise<ClientRecord | undefined> {
  return readJson<ClientRecord>(dst, clientKeys.state(srcId));
}

/** The latest height `dst`'s client of `srcId` has verified. */
export async function clientHeight(dst: PontisReader, srcId: string): Promise<number> {
  const rec = await clientRecord(dst, srcId);
  if (!rec) throw new PontisError('PNT_ERR_RELAY_NO_CLIENT', `${dst.chainId} has no client of ${srcId}`);
  return rec.latestHeight;
}

export async function consensusOn(dst: PontisReader, srcId: string, height: number): Promise<ConsensusRecord | undefined> {
  return readJson<ConsensusRecord>(dst, clientKeys.consensus(srcId, height));
}

/** A `clients/update` moving `dst`'s client of `src` to `height`, or null when it is there already. */
export async function clientUpdate(src: PontisReader, dst: PontisReader, height: number): Promise<Msg | null> {
  const trusted = await clientHeight(dst, src.chainId);
  if (height <= trusted) return null;
  if (await consensusOn(dst, src.chainId, height)) return null;
  const [signedHeader, validators, nextValidators] = await Promise.all([src.signedHeader(height), src.validatorSet(height), src.validatorSet(height + 1)]);
  return { type: 'clients/update', chainId: src.chainId, message: { signedHeader, validators: validators.toJSON(), nextValidators: nextValidators.toJSON(), trustedHeight: trusted } };
}

/** The events whose packet `dst` has not received: one batched read at `dst`'s latest height. */
export async function notReceived<E extends { packet: Packet }>(dst: PontisReader, events: E[]): Promise<E[]> {
  const received = await receivedOn(dst, events.map((e) => e.packet));
  return events.filter((_, i) => !received[i]);
}

/** The events whose packet is still outstanding on `chain` (its commitment there): what an ack or a timeout can still resolve. */
export async function stillOutstanding<E extends { packet: Packet }>(chain: PontisReader, events: E[]): Promise<E[]> {
  const commitments = await readStates(chain, events.map((e) => packetKeys.outbound(channelId(e.packet), e.packet.sequence)));
  return events.filter((_, i) => commitments[i] !== undefined);
}

/**
 * The last look before a relay batch is submitted to `dst`: one batched read at `dst`'s latest
 * height drops the items another relayer has delivered meanwhile (receipts for `packets/recv`,
 * commitments gone for `packets/ack` and `packets/timeout`). Null when nothing is left.
 */
export async function dropDone(dst: PontisReader, msg: Msg): Promise<Msg | null> {
  const m = msg as Msg & { packets?: { packet: Packet }[] };
  if (!m.packets) return msg;
  const left = m.type === 'packets/recv' ? await notReceived(dst, m.packets) : await stillOutstanding(dst, m.packets);
  return left.length ? ({ ...m, packets: left } as Msg) : null;
}


/**
 * Packets of `events` not yet received on `dst`, proven on `src` at `height`, as a `packets/recv`
 * batch. A packet is proven by the batch it was committed in (ADR 0017: one state proof per
 * source block, shared by its packets, and a Merkle path each) when its event names that block;
 * otherwise by a state proof of its own `pkt/out` key.
 */
export async function recvBatch(src: PontisReader, dst: PontisReader, events: PacketEvent[], height: number): Promise<Msg | null> {
  const items: { packet: Packet; proof: unknown }[] = [];
  // not received on dst, and still committed on src (not already resolved there)
  const { blocks, rest } = byBlock(await stillOutstanding(src, await notReceived(dst, events)), height);
  /** Packets proven by a state proof of their own `pkt/out` key (their block unknown, or its batch not usable). */
  const own: Packet[] = rest.map((e) => e.packet);
  const shared: unknown[] = [];
  for (const [h, es] of blocks) {
    const packets = es.map((e) => e.packet);
    const proven = shared.length < MAX_SHARED_PARTS ? await batchProofs(src, dst.chainId, h, height, packets) : undefined;
    if (proven) {
      shared.push(proven.batch);
      for (const [i, p] of packets.entries()) items.push({ packet: p, proof: { batch: { $shared: shared.length - 1 }, index: proven.paths[i].index, path: proven.paths[i].path } });
      continue;
    }
    own.push(...packets);
  }
  const proofs = await proveStates(src, own.map((p) => packetKeys.outbound(channelId(p), p.sequence)), height);
  own.forEach((p, i) => items.push({ packet: p, proof: proofs[i].proof }));
  if (!items.length) return null;
  return shared.length ? { type: 'packets/recv', proofHeight: height, packets: items, shared } : { type: 'packets/recv', proofHeight: height, packets: items };
}


/**
 * Acks of `events` whose packet is still outstanding on `dst`, proven on `src` at `height`: by the
 * ack batch `src` wrote them in for `dst` (ADR 0017: one state proof per block, shared by its
 * acks, and a Merkle path each) when the event names that block, else by a state proof of the
 * ack's own `pkt/ack` key (a chain without ack batches). An ack proven neither way is left out.
 */
export async function ackBatch(src: PontisReader, dst: PontisReader, events: PacketEvent[], height: number): Promise<Msg | null> {
  const items: { packet: Packet; ack: Hex; proof: unknown }[] = [];
  const { blocks, rest: own } = byBlock(await stillOutstanding(dst, events), height);
  const shared: unknown[] = [];
  for (const [h, es] of blocks) {
    const proven = shared.length < MAX_SHARED_PARTS ? await ackBatchProofs(src, dst.chainId, h, height, es.map((e) => ({ packet: e.packet, ack: fromHex(e.ack!) }))) : undefined;
    if (proven) {
      shared.push(proven.batch);
      for (const [i, e] of es.entries()) items.push({ packet: e.packet, ack: e.ack!, proof: { batch: { $shared: shared.length - 1 }, index: proven.paths[i].index, path: proven.paths[i].path } });
      continue;
    }
    own.push(...es);
  }
  const proven = await proveStates(src, own.map((e) => packetKeys.ack(channelId(e.packet), e.packet.sequence)), height);
  for (const [i, e] of own.entries()) {
    const { value, proof } = proven[i];
    if (value === undefined) continue;
    items.push({ packet: e.packet, ack: e.ack!, proof });
  }
  if (!items.length) return null;
  return shared.length ? { type: 'packets/ack', proofHeight: height, packets: items, shared } : { type: 'packets/ack', proofHeight: height, packets: items };
}

/**
 * Timeouts for packets outstanding on `src` (the side that committed them) whose next hop `dst`
 * never received them, proven absent on `dst` at `height` (which must be past the timeout).
 */
export async function timeoutBatch(src: PontisReader, dst: PontisReader, packets: Packet[], height: number, dstTime: number): Promise<Msg | null> {
  const items = [];
  const due = (await stillOutstanding(src, packets.map((packet) => ({ packet }))))
    .map(({ packet: p }) => p)
    .filter((p) => (p.timeoutTimestamp !== 0 && dstTime >= p.timeoutTimestamp) || (p.timeoutHeight !== 0 && dst.chainId === p.dstChain && height >= p.timeoutHeight));
  const absence = await receiptAbsence(dst, due, height);
  for (const [i, p] of due.entries()) {
    const a = absence[i];
    if (a.received) continue; // received after all: it will be acknowledged
    items.push({ packet: p, proof: { word: a.word, proof: a.proof } });
  }
  return items.length ? { type: 'packets/timeout', proofHeight: height, packets: items } : null;
}

/**
 * Times out `packets` outstanding on `src` whose next hop `dst` never received them: updates
 * `src`'s client of `dst` to `dst`'s latest height and submits the absence proofs from there.
 * Returns null when none is due yet.
 */
export async function relayTimeouts(src: PontisWriter, dst: PontisReader, packets: Packet[]): Promise<(Awaited<ReturnType<PontisWriter['submit']>>) | null> {
  const h = await dst.latestHeight();
  const time = (await dst.signedHeader(h)).header.time;
  const batch = await timeoutBatch(src, dst, packets, h, time);
  if (!batch) return null;
  const left = await dropDone(src, batch);
  if (!left) return null;
  const upd = await clientUpdate(dst, src, h);
  return src.submit(upd ? [upd, left] : [left]);
}
