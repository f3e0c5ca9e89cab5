/**
 * Relaying between two Pontis chains (a side-chain and the hub, either way round): client
 * updates, packets, acknowledgements and timeouts, each a batch proven at one height. Pure
 * logic over endpoints: the coordinator tests drive it in-process, the relayer workers over RPC.
 *
 * A round returns the height it scanned to; the next round resumes from there (a cursor), and
 * everything it submits is idempotent on chain (receipts), so rounds may repeat safely.
 */
import { PontisError } from '../../hub-chain/errors.ts';
import { isRetryableCode } from '../error-catalog.ts';
import { toHex, type Hex } from '../../hub-chain/crypto/bytes.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import { clientKeys } from '../../hub-chain/modules/clients/store.ts';
import type { ClientRecord, ConsensusRecord } from '../../hub-chain/modules/clients/types.ts';
import { type Packet, TIMEOUT_ERROR, channelId, encodeAck, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { PontisReader, PontisWriter } from './endpoint.ts';

export interface PacketEvent {
  height: number;
  packet: Packet;
  /** For acknowledgement events: the ack bytes to carry back. */
  ack?: Hex;
}

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

/** The latest height `dst`'s client of `src` has verified. */
/** `dst`'s client record of `srcId`, if it has one. */
export function clientRecord(dst: PontisReader, srcId: string): Promise<ClientRecord | undefined> {
  return readJson<ClientRecord>(dst, clientKeys.state(srcId));
}

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

/** Packets of `events` not yet received on `dst`, proven on `src` at `height`, as a `packets/recv` batch. */
export async function recvBatch(src: PontisReader, dst: PontisReader, events: PacketEvent[], height: number): Promise<Msg | null> {
  const items = [];
  for (const e of events) {
    const ch = channelId(e.packet);
    if ((await dst.readState(packetKeys.receipt(ch, e.packet.sequence))) !== undefined) continue;
    const { value, proof } = await src.proveState(packetKeys.outbound(ch, e.packet.sequence), height);
    if (value === undefined) continue; // already resolved on the source
    items.push({ packet: e.packet, proof });
  }
  return items.length ? { type: 'packets/recv', proofHeight: height, packets: items } : null;
}

/** Acks of `events` whose packet is still outstanding on `dst`, proven on `src` at `height`. */
export async function ackBatch(src: PontisReader, dst: PontisReader, events: PacketEvent[], height: number): Promise<Msg | null> {
  const items = [];
  for (const e of events) {
    const ch = channelId(e.packet);
    if ((await dst.readState(packetKeys.outbound(ch, e.packet.sequence))) === undefined) continue;
    const { value, proof } = await src.proveState(packetKeys.ack(ch, e.packet.sequence), height);
    if (value === undefined) continue;
    items.push({ packet: e.packet, ack: e.ack!, proof });
  }
  return items.length ? { type: 'packets/ack', proofHeight: height, packets: items } : null;
}

/**
 * Timeouts for packets outstanding on `src` (the side that committed them) whose next hop `dst`
 * never received them, proven absent on `dst` at `height` (which must be past the timeout).
 */
export async function timeoutBatch(src: PontisReader, dst: PontisReader, packets: Packet[], height: number, dstTime: number): Promise<Msg | null> {
  const items = [];
  for (const p of packets) {
    const ch = channelId(p);
    if ((await src.readState(packetKeys.outbound(ch, p.sequence))) === undefined) continue;
    const due = (p.timeoutTimestamp !== 0 && dstTime >= p.timeoutTimestamp) || (p.timeoutHeight !== 0 && dst.chainId === p.dstChain && height >= p.timeoutHeight);
    if (!due) continue;
    const { value, proof } = await dst.proveState(packetKeys.receipt(ch, p.sequence), height);
    if (value !== undefined) continue; // received after all: it will be acknowledged
    items.push({ packet: p, proof });
  }
  return items.length ? { type: 'packets/timeout', proofHeight: height, packets: items } : null;
}

export interface RelayRoundResult {
  /** Heights scanned up to, per chain: the cursor for the next round. */
  cursor: Record<string, number>;
  submitted: { chain: string; height: number; msgs: string[]; code: string }[];
}

/**
 * One relaying round on the path a <-> b (one of them the hub): scans both chains from the
 * cursor, updates clients, and submits receive and ack batches in both directions.
 */
export async function relayRound(a: PontisWriter, b: PontisWriter, hubId: string, cursor: Record<string, number>): Promise<RelayRoundResult> {
  const result: RelayRoundResult = { cursor: { ...cursor }, submitted: [] };
  for (const [src, dst] of [
    [a, b],
    [b, a],
  ] as const) {
    const from = cursor[src.chainId] ?? 0;
    const to = await src.latestHeight();
    if (to <= from) continue;
    const found = await scan(src, dst.chainId, hubId, from, to);
    const msgs: Msg[] = [];
    if (found.packets.length || found.acks.length) {
      const upd = await clientUpdate(src, dst, to);
      if (upd) msgs.push(upd);
      const recv = await recvBatch(src, dst, found.packets, to);
      if (recv) msgs.push(recv);
      const acks = await ackBatch(src, dst, found.acks, to);
      if (acks) msgs.push(acks);
    }
    if (msgs.length) {
      const r = await dst.submit(msgs);
      result.submitted.push({ chain: dst.chainId, height: r.height, msgs: msgs.map((m) => m.type), code: r.code });
      if (r.code !== 'ok') throw new PontisError('PNT_ERR_RELAY_SUBMIT_FAILED', `relay transaction on ${dst.chainId} failed: ${r.code} ${r.log ?? ''}`, { retryable: isRetryableCode(r.code), details: { code: r.code } });
    }
    result.cursor[src.chainId] = to;
  }
  return result;
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
  const upd = await clientUpdate(dst, src, h);
  return src.submit(upd ? [upd, batch] : [batch]);
}
