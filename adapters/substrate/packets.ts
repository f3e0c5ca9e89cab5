/**
 * Pontis packets on a Substrate chain without contracts. The chain's gateway is a set of writer
 * accounts registered on the hub (`params.writers` of its `substrate` client): what they remark
 * (`"PNTS" ++ SCALE Vec<(key, value)>`, remark.ts of the hub's client) is what the chain wrote.
 * A packet sent, or an ack written, is a group of pairs in one remark:
 *
 *   pkt/out/<ch>/<seq>       packetCommitment(packet) (32 bytes): what the hub proves
 *   pkt/data/<ch>/<seq>      the packet's fields as JSON (UTF-8): what the relayer rebuilds it from
 *   pkt/ack/<ch>/<seq>       ackCommitment(ack) (32 bytes): what the hub proves
 *   pkt/ack-data/<ch>/<seq>  the ack's bytes (with `pkt/data` of the packet acknowledged)
 *
 * The hub validators' delivery multisig (relayers/paths/substrate/DELIVERY.md) writes acks without
 * `pkt/data` (the packet is the hub's own, read back from it) and timeout records
 * `pkt/rcpt-none/<ch>/<seq>` = 0x01 (hub-chain/light-clients/substrate/records.ts): both come back as
 * references, `ackRefs` and `timeouts`, which the relayer completes from the hub.
 *
 * The hub never reads `pkt/data`: it recomputes the commitment of the fields a relayer gives it
 * and checks that against the proven `pkt/out` value, as for every source; a relayer skips a
 * group whose fields do not match its commitment (a writer's bug, never provable).
 *
 * Sequences: the writer is the gateway and assigns them. `sendFromSubstrate` takes the next
 * sequence per channel from a counter the caller keeps (`SequenceCounter`) and moves it only once
 * the remark is in a block; `sequencesFromRemarks` rebuilds such a counter from the writers'
 * remarks on the chain (recovery, or a new writer process).
 */
import { parseSchema } from '../../hub-chain/errors.ts';
import { z } from 'zod';
import { type Bytes, type Hex, equalBytes, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type Ack, type Packet, ackCommitment, channelId, encodeAck, decodeAck, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { packetSchema } from '../../hub-chain/modules/packets/msgs.ts';
import { decodeRemarkPayload, encodeRemarkPayload } from '../../hub-chain/light-clients/substrate/remark.ts';
import { RECEIPT_NONE_VALUE, receiptNoneKey } from '../../hub-chain/light-clients/substrate/records.ts';
import { AdapterError, AdapterErrorCode } from '../core/errors.ts';
import { type SubstrateReader, accountId } from './reader.ts';
import { type SubstrateTransfer, account32, tokenMove, transferFields } from './transfers.ts';
import type { RemarkReceipt, SubstrateWriter } from './writer.ts';

export const substratePacketKeys = {
  outbound: packetKeys.outbound,
  ack: packetKeys.ack,
  data: (ch: string, seq: number) => utf8(`pkt/data/${ch}/${seq}`),
  ackData: (ch: string, seq: number) => utf8(`pkt/ack-data/${ch}/${seq}`),
  receiptNone: receiptNoneKey,
};

/** A packet named by channel and sequence only: its fields are the hub's (it sent or forwarded it). */
export interface PacketRef {
  channel: string;
  sequence: number;
}

/** A packet before the gateway numbers it. */
export type PacketFields = Omit<Packet, 'sequence'>;

/** What one remark carries, read back. */
export interface RemarkedPackets {
  packets: Packet[];
  acks: { packet: Packet; ack: Hex }[];
  /** Acks of packets the remark does not carry (the delivery multisig's): the ack bytes matched their commitment. */
  ackRefs: (PacketRef & { ack: Hex })[];
  /** Timeout records: packets the writers recorded as never to be received. */
  timeouts: PacketRef[];
  /** Groups skipped: a `pkt/out` or `pkt/ack` with no fields, fields not matching their commitment, or data that does not parse. */
  skipped: { key: string; reason: string }[];
}

const text = (b: Bytes) => Buffer.from(b).toString('utf8');
const json = (p: Packet) => utf8(JSON.stringify({ srcChain: p.srcChain, srcApp: p.srcApp, dstChain: p.dstChain, dstApp: p.dstApp, sequence: p.sequence, ordered: p.ordered, payload: p.payload, timeoutHeight: p.timeoutHeight, timeoutTimestamp: p.timeoutTimestamp }));

/** The pairs announcing `packets` (numbered already) as sent by the chain. */
export function sentPairs(packets: readonly Packet[]): [Bytes, Bytes][] {
  return packets.flatMap((p) => {
    const ch = channelId(p);
    return [
      [substratePacketKeys.outbound(ch, p.sequence), packetCommitment(p)],
      [substratePacketKeys.data(ch, p.sequence), json(p)],
    ] as [Bytes, Bytes][];
  });
}

/** The pairs of acks the chain writes for packets it received. */
export function ackPairs(acks: readonly { packet: Packet; ack: Bytes }[]): [Bytes, Bytes][] {
  return acks.flatMap(({ packet: p, ack }) => {
    decodeAck(ack); // an ack the hub would refuse is refused here
    const ch = channelId(p);
    return [
      [substratePacketKeys.ack(ch, p.sequence), ackCommitment(ack)],
      [substratePacketKeys.data(ch, p.sequence), json(p)],
      [substratePacketKeys.ackData(ch, p.sequence), ack],
    ] as [Bytes, Bytes][];
  });
}

const KEY_RE = /^pkt\/(out|data|ack|ack-data|rcpt-none)\/(.+)\/([1-9][0-9]{0,15})$/;

function parsePacket(b: Bytes | undefined): Packet | string {
  if (!b) return 'no pkt/data pair';
  let json: unknown;
  try {
    json = JSON.parse(text(b));
  } catch {
    return 'pkt/data is not JSON';
  }
  try {
    return parseSchema(packetSchema, json, ({ message }) => new Error(message));
  } catch (e) {
    return `pkt/data does not parse: ${(e as Error).message}`;
  }
}

/** Packets and acks in a remark's payload (a payload that is not a Pontis remark holds none). */
export function packetsOfRemark(payload: Bytes): RemarkedPackets {
  const out: RemarkedPackets = { packets: [], acks: [], ackRefs: [], timeouts: [], skipped: [] };
  let pairs: [Bytes, Bytes][];
  try {
    pairs = decodeRemarkPayload(payload);
  } catch {
    return out;
  }
  const byKey = new Map<string, Bytes>();
  for (const [k, v] of pairs) byKey.set(text(k), v);
  for (const [key, value] of byKey) {
    const m = KEY_RE.exec(key);
    if (!m || (m[1] !== 'out' && m[1] !== 'ack' && m[1] !== 'rcpt-none')) continue;
    const [, what, ch, seqText] = m;
    const seq = Number(seqText);
    if (what === 'rcpt-none') {
      if (equalBytes(value, RECEIPT_NONE_VALUE)) out.timeouts.push({ channel: ch, sequence: seq });
      else out.skipped.push({ key, reason: 'a timeout record is 0x01' });
      continue;
    }
    const data = byKey.get(text(substratePacketKeys.data(ch, seq)));
    if (what === 'ack' && !data) {
      ackRef(out, key, ch, seq, value, byKey.get(text(substratePacketKeys.ackData(ch, seq))));
      continue;
    }
    const p = parsePacket(data);
    if (typeof p === 'string') {
      out.skipped.push({ key, reason: p });
      continue;
    }
    if (channelId(p) !== ch || p.sequence !== seq) {
      out.skipped.push({ key, reason: 'pkt/data names another channel or sequence' });
      continue;
    }
    if (what === 'out') {
      if (!equalBytes(value, packetCommitment(p))) out.skipped.push({ key, reason: 'the fields do not match the commitment' });
      else out.packets.push(p);
      continue;
    }
    const ack = byKey.get(text(substratePacketKeys.ackData(ch, seq)));
    if (!ack) out.skipped.push({ key, reason: 'no pkt/ack-data pair' });
    else if (!equalBytes(value, ackCommitment(ack))) out.skipped.push({ key, reason: 'the ack does not match its commitment' });
    else out.acks.push({ packet: p, ack: toHex(ack) });
  }
  return out;
}

/** An ack without its packet: kept when its bytes match the commitment the hub will prove. */
function ackRef(out: RemarkedPackets, key: string, channel: string, sequence: number, commitment: Bytes, ack: Bytes | undefined): void {
  if (!ack) out.skipped.push({ key, reason: 'no pkt/ack-data pair' });
  else if (!equalBytes(commitment, ackCommitment(ack))) out.skipped.push({ key, reason: 'the ack does not match its commitment' });
  else out.ackRefs.push({ channel, sequence, ack: toHex(ack) });
}

/** Next sequence per channel id (absent: 1), kept by the caller; moved by `sendFromSubstrate` once a remark is in a block. */
export type SequenceCounter = Map<string, number>;

/** Remark payloads above this are split (a block's length limit; each item of a hub relay message carries its remark). */
export const MAX_REMARK_BYTES = 96 * 1024;

export interface SentFromSubstrate {
  packets: Packet[];
  remarks: RemarkReceipt[];
}

/**
 * Sends `packets` from the chain: numbers them from `sequences` (per channel, in the order
 * given), then remarks them with the writer, as few remarks as `MAX_REMARK_BYTES` allows.
 * `sequences` moves per remark once it is in a block; a remark that fails leaves the counter at
 * that remark's first packet (a failure that may still be included, a timeout, needs the chain
 * read back first: `sequencesFromRemarks`). One process assigns the sequences of a channel.
 */
export async function sendFromSubstrate(writer: SubstrateWriter, packets: readonly PacketFields[], sequences: SequenceCounter): Promise<SentFromSubstrate> {
  const next = new Map(sequences);
  const numbered = packets.map((f) => {
    const ch = channelId(f);
    const sequence = next.get(ch) ?? 1;
    next.set(ch, sequence + 1);
    const p: Packet = { ...f, sequence };
    parseSchema(packetSchema, p, ({ path, message }) => new AdapterError(AdapterErrorCode.INVALID_REQUEST, `packet ${ch}: ${path} ${message}`, { chainId: writer.chainId, operation: 'sendFromSubstrate' }));
    if (p.srcChain !== writer.chainId) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `packet ${ch} is not from ${writer.chainId}`, { chainId: writer.chainId, operation: 'sendFromSubstrate' });
    return p;
  });
  const groups: Packet[][] = [];
  let size = 0;
  for (const p of numbered) {
    const bytes = sentPairs([p]).reduce((n, [k, v]) => n + k.length + v.length + 8, 0);
    if (!groups.length || size + bytes > MAX_REMARK_BYTES) {
      groups.push([]);
      size = 4;
    }
    groups.at(-1)!.push(p);
    size += bytes;
  }
  const remarks: RemarkReceipt[] = [];
  for (const g of groups) {
    remarks.push(await writer.remarkBatch(sentPairs(g)));
    for (const p of g) sequences.set(channelId(p), Math.max(sequences.get(channelId(p)) ?? 1, p.sequence + 1));
  }
  return { packets: numbered, remarks };
}

/** Writes acks of packets the chain received (`ack` as `encodeAck` bytes), in one remark. */
export async function ackFromSubstrate(writer: SubstrateWriter, acks: readonly { packet: Packet; ack: Bytes }[]): Promise<RemarkReceipt> {
  const foreign = acks.find((a) => a.packet.dstChain !== writer.chainId);
  if (foreign) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `packet ${channelId(foreign.packet)}/${foreign.packet.sequence} is not addressed to ${writer.chainId}`, { chainId: writer.chainId, operation: 'ackFromSubstrate' });
  try {
    return await writer.remarkBatch(ackPairs(acks));
  } catch (e) {
    if (e instanceof AdapterError) throw e;
    throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `ackFromSubstrate: ${(e as Error).message}`, { chainId: writer.chainId, operation: 'ackFromSubstrate', cause: e });
  }
}

/**
 * Sends a transfer of one of the chain's tokens (adapters/substrate/transfers.ts): the writer
 * moves `amount` into `escrow` (the delivery multisig's account) and remarks the packet in one
 * `utility.batchAll`, so the lock and the packet land together or not at all. Numbered from
 * `sequences` like `sendFromSubstrate`.
 */
export async function sendTransferFromSubstrate(writer: SubstrateWriter, t: SubstrateTransfer, sequences: SequenceCounter, escrow: string): Promise<{ packet: Packet; remark: RemarkReceipt }> {
  const to = account32(escrow);
  if (!to) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'transfer: the escrow is not an account of this chain', { chainId: writer.chainId, operation: 'sendTransferFromSubstrate' });
  const me = accountId(await writer.address())!;
  const { fields, token, amount } = transferFields(writer.chainId, me, t);
  const ch = channelId(fields);
  const packet: Packet = { ...fields, sequence: sequences.get(ch) ?? 1 };
  const remark = await writer.remarkBatch(sentPairs([packet]), { before: [tokenMove(token, to, amount)] });
  sequences.set(ch, Math.max(sequences.get(ch) ?? 1, packet.sequence + 1));
  return { packet, remark };
}

/** The acks the delivery multisig wrote back into the chain for packets it sent (`pkt/acked/<ch>/<seq>`, the ack's bytes), in a remark's payload. */
export function ackedOfRemark(payload: Bytes): (PacketRef & { ack: Hex })[] {
  let pairs: [Bytes, Bytes][];
  try {
    pairs = decodeRemarkPayload(payload);
  } catch {
    return [];
  }
  const out: (PacketRef & { ack: Hex })[] = [];
  for (const [k, v] of pairs) {
    const m = /^pkt\/acked\/(.+)\/([1-9][0-9]{0,15})$/.exec(text(k));
    if (m) out.push({ channel: m[1], sequence: Number(m[2]), ack: toHex(v) });
  }
  return out;
}

/**
 * The acks written back into the chain by `multisig` (the delivery multisig's account) in blocks
 * [from, to]: how a sending application learns its packets' outcome, keyed by `<ch>/<seq>`.
 */
export async function acksWrittenBack(reader: SubstrateReader, multisig: string, from: number, to: number): Promise<Map<string, Ack>> {
  const out = new Map<string, Ack>();
  const account = accountId(multisig);
  // the event's sender (the multisig), not the extrinsic's signer (a co-signer)
  for (const ev of await reader.events({ sources: ['system'], names: ['Remarked'] }, from, to)) {
    if (!account || accountId(ev.args.sender) !== account) continue;
    let payload: Hex;
    try {
      payload = await reader.remarkPayload(ev.blockHash, ev.index);
    } catch {
      continue;
    }
    for (const a of ackedOfRemark(fromHex(payload))) {
      try {
        out.set(`${a.channel}/${a.sequence}`, decodeAck(fromHex(a.ack)));
      } catch {
        // not an ack: skipped, as a malformed pair is everywhere else
      }
    }
  }
  return out;
}

/** A successful ack's bytes for an application result. */
export const okAck = (result: Hex = '0x'): Bytes => encodeAck({ ok: true, result });

/**
 * The counter `sendFromSubstrate` needs, rebuilt from the `System.Remarked` events of `writers`
 * (32-byte account ids or SS58) in blocks [from, to]: one past the highest sequence each channel
 * sent there. Heights must cover the channels' whole history for the counter to be right.
 */
export async function sequencesFromRemarks(reader: SubstrateReader, writers: readonly string[], from: number, to: number): Promise<SequenceCounter> {
  const out: SequenceCounter = new Map();
  for (const ev of await reader.events({ sources: ['system'], names: ['Remarked'], senders: [...writers] }, from, to)) {
    let payload: Hex;
    try {
      payload = await reader.remarkPayload(ev.blockHash, ev.index);
    } catch {
      continue; // a remark inside another call: not a gateway write
    }
    for (const p of packetsOfRemark(fromHex(payload)).packets) {
      const ch = channelId(p);
      out.set(ch, Math.max(out.get(ch) ?? 1, p.sequence + 1));
    }
  }
  return out;
}
