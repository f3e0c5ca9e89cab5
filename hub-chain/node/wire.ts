/**
 * Wire forms of consensus and sync messages between hub nodes. A message is JSON; one that
 * carries transactions goes as a binary frame with the transactions as raw attachments (no
 * base64, and nothing but the small JSON head is scanned and parsed):
 *
 *   0x01 | uint32 head length | head (UTF-8 JSON) | uint32 count | count x (uint32 length | bytes)
 *
 * with each attachment's place in the head written {"$bin": index}. Integers are big-endian.
 */
import { PontisError } from '../errors.ts';
import type { ConsensusMessage } from '../consensus/types.ts';
import type { Bytes, Hex } from '../crypto/bytes.ts';
import type { Block, BlockJSON } from '../types/block.ts';
import type { Commit } from '../types/vote.ts';

/** A block on the wire: its transactions as bytes (attachments of a binary frame). */
export type WireBlock = Omit<BlockJSON, 'txs'> & { txs: Bytes[] };
export const blockToWire = (b: Block): WireBlock => ({ header: b.header, txs: b.txs, evidence: b.evidence, lastCommit: b.lastCommit });
export function blockFromWire(j: WireBlock): Block {
  if (!Array.isArray(j.txs) || !j.txs.every((t) => t instanceof Uint8Array)) throw new PontisError('PNT_ERR_P2P_MALFORMED', 'block transactions must be binary attachments');
  return { header: j.header, txs: j.txs, evidence: j.evidence ?? [], lastCommit: j.lastCommit ?? null };
}

export type WireConsensus =
  | { kind: 'proposal'; proposal: Omit<Extract<ConsensusMessage, { kind: 'proposal' }>['proposal'], 'block'> & { block: WireBlock } }
  | { kind: 'vote'; vote: Extract<ConsensusMessage, { kind: 'vote' }>['vote'] }
  | { kind: 'decided'; block: WireBlock; commit: Commit };

export type WireMessage =
  | { t: 'hello'; node: Hex; chainId: string; height: number }
  | { t: 'status'; node: Hex; height: number }
  | { t: 'cons'; m: WireConsensus }
  | { t: 'txs'; txs: Bytes[] }
  | { t: 'get-blocks'; from: number; to: number }
  | { t: 'blocks'; items: { block: WireBlock; commit: Commit }[] }
  | { t: 'req'; id: number; q: SyncQuery }
  | { t: 'res'; id: number; ok: true; data: unknown }
  | { t: 'res'; id: number; ok: false; code: string };

/** What a state-syncing node asks its peers for (answered by `res` with the same id). */
export type SyncQuery =
  | { kind: 'snapshots' }
  | { kind: 'manifest'; height: number }
  | { kind: 'chunk'; height: number; index: number }
  /** header and commit of a height, with the sets that sign it and the next height */
  | { kind: 'light-block'; height: number }
  /** a whole block with its commit, results and block events */
  | { kind: 'block'; height: number };

export function consensusToWire(m: ConsensusMessage): WireConsensus {
  switch (m.kind) {
    case 'proposal':
      return { kind: 'proposal', proposal: { ...m.proposal, block: blockToWire(m.proposal.block) } };
    case 'vote':
      return m;
    case 'decided':
      return { kind: 'decided', block: blockToWire(m.block), commit: m.commit };
  }
}

/** Throws on a malformed message; the caller drops it. */
export function consensusFromWire(m: WireConsensus): ConsensusMessage {
  switch (m.kind) {
    case 'proposal':
      return { kind: 'proposal', proposal: { ...m.proposal, block: blockFromWire(m.proposal.block) } };
    case 'vote':
      return { kind: 'vote', vote: m.vote };
    case 'decided':
      return { kind: 'decided', block: blockFromWire(m.block), commit: m.commit };
    default:
      throw new PontisError('PNT_ERR_P2P_MALFORMED', 'unknown consensus message kind');
  }
}

const FRAME_BINARY = 1;

/** A message as a text frame (JSON), or as a binary frame when it carries bytes. */
export function encodeWire(m: WireMessage): string | Buffer {
  const bins: Bytes[] = [];
  const head = JSON.stringify(m, function (this: Record<string, unknown>, k: string, v: unknown) {
    // the holder's own value: a Buffer reaches the replacer already turned into {type, data} by its toJSON
    const own = this[k];
    return own instanceof Uint8Array ? { $bin: bins.push(own) - 1 } : v;
  });
  if (bins.length === 0) return head;
  const headBytes = Buffer.from(head, 'utf8');
  let size = 1 + 4 + headBytes.length + 4;
  for (const b of bins) size += 4 + b.length;
  const out = Buffer.allocUnsafe(size);
  let o = out.writeUInt8(FRAME_BINARY, 0);
  o = out.writeUInt32BE(headBytes.length, o);
  o += headBytes.copy(out, o);
  o = out.writeUInt32BE(bins.length, o);
  for (const b of bins) {
    o = out.writeUInt32BE(b.length, o);
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/**
 * Splits a binary frame into its JSON head (to be depth-checked and parsed by the caller) and
 * its attachments (views into the frame). Throws on any length that does not add up.
 */
export function splitBinaryFrame(frame: Buffer): { head: string; bins: Bytes[] } {
  const bad = (why: string): never => {
    throw new PontisError('PNT_ERR_P2P_MALFORMED', `binary frame: ${why}`);
  };
  if (frame.length < 9 || frame[0] !== FRAME_BINARY) bad('unknown frame');
  const headLen = frame.readUInt32BE(1);
  if (5 + headLen + 4 > frame.length) bad('head overruns the frame');
  const head = frame.toString('utf8', 5, 5 + headLen);
  let o = 5 + headLen;
  const count = frame.readUInt32BE(o);
  o += 4;
  if (count > (frame.length - o) / 4) bad('more attachments than the frame holds');
  const bins: Bytes[] = [];
  for (let i = 0; i < count; i++) {
    if (o + 4 > frame.length) bad('attachment length overruns the frame');
    const len = frame.readUInt32BE(o);
    o += 4;
    if (o + len > frame.length) bad('attachment overruns the frame');
    bins.push(new Uint8Array(frame.buffer, frame.byteOffset + o, len));
    o += len;
  }
  if (o !== frame.length) bad('bytes after the last attachment');
  return { head, bins };
}

/** Parses a binary frame's head, putting each attachment in its place (each used once). */
export function parseBinaryHead(head: string, bins: Bytes[]): WireMessage {
  const used = new Set<number>();
  const m = JSON.parse(head, (_k, v: unknown) => {
    if (typeof v !== 'object' || v === null || !('$bin' in v)) return v;
    const i = (v as { $bin: unknown }).$bin;
    if (Object.keys(v).length !== 1 || typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= bins.length || used.has(i)) throw new PontisError('PNT_ERR_P2P_MALFORMED', 'binary frame: bad attachment reference');
    used.add(i);
    return bins[i];
  }) as WireMessage;
  if (used.size !== bins.length) throw new PontisError('PNT_ERR_P2P_MALFORMED', 'binary frame: an attachment nothing refers to');
  return m;
}
