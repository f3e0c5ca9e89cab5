/**
 * Strict RLP (Yellow Paper, appendix B). Decoding accepts only the canonical encoding: a single
 * byte below 0x80 is itself, short forms are used up to 55 bytes, long-form lengths have no
 * leading zero, and nothing trails the item. ethers' decodeRlp accepts non-canonical forms
 * (0x8105, 0xb801.., leading-zero lengths), so a proof or header could be re-encoded to different
 * bytes under the same meaning; here that is refused.
 */
import type { Bytes } from '../../crypto/bytes.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';

export type RlpItem = Bytes | RlpItem[];

const malformed = (msg: string, offset: number) => new EvmClientError(EVM_ERR.RLP_MALFORMED, msg, { details: { offset } });
const noncanonical = (msg: string, offset: number) => new EvmClientError(EVM_ERR.RLP_NONCANONICAL, msg, { details: { offset } });

/** Decodes exactly one item spanning all of `data`. */
export function decodeRlp(data: Bytes): RlpItem {
  const { item, end } = decodeAt(data, 0, data.length);
  if (end !== data.length) throw malformed(`${data.length - end} trailing bytes after the RLP item`, end);
  return item;
}

function readLength(data: Bytes, at: number, lenOfLen: number, limit: number): number {
  if (at + lenOfLen > limit) throw malformed('length bytes run past the end', at);
  if (data[at] === 0) throw noncanonical('long-form length with a leading zero', at);
  let n = 0;
  for (let i = 0; i < lenOfLen; i++) n = n * 256 + data[at + i];
  if (!Number.isSafeInteger(n)) throw malformed('length too large', at);
  if (n < 56) throw noncanonical('long form used for a length below 56', at);
  return n;
}

function decodeAt(data: Bytes, at: number, limit: number): { item: RlpItem; end: number } {
  if (at >= limit) throw malformed('unexpected end of RLP', at);
  const b = data[at];
  if (b < 0x80) return { item: data.subarray(at, at + 1), end: at + 1 };
  if (b <= 0xb7) {
    const len = b - 0x80;
    const start = at + 1;
    if (start + len > limit) throw malformed('string runs past the end', at);
    if (len === 1 && data[start] < 0x80) throw noncanonical('single byte below 0x80 must encode as itself', at);
    return { item: data.subarray(start, start + len), end: start + len };
  }
  if (b <= 0xbf) {
    const lenOfLen = b - 0xb7;
    const len = readLength(data, at + 1, lenOfLen, limit);
    const start = at + 1 + lenOfLen;
    if (start + len > limit) throw malformed('string runs past the end', at);
    return { item: data.subarray(start, start + len), end: start + len };
  }
  let start: number;
  let len: number;
  if (b <= 0xf7) {
    len = b - 0xc0;
    start = at + 1;
  } else {
    const lenOfLen = b - 0xf7;
    len = readLength(data, at + 1, lenOfLen, limit);
    start = at + 1 + lenOfLen;
  }
  const end = start + len;
  if (end > limit) throw malformed('list runs past the end', at);
  const items: RlpItem[] = [];
  let p = start;
  while (p < end) {
    const child = decodeAt(data, p, end);
    items.push(child.item);
    p = child.end;
  }
  return { item: items, end };
}

function lengthPrefix(len: number, short: number): Bytes {
  if (len < 56) return Uint8Array.of(short + len);
  const lenBytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) lenBytes.unshift(n % 256);
  return Uint8Array.of(short + 55 + lenBytes.length, ...lenBytes);
}

export function encodeRlp(item: RlpItem): Bytes {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0] < 0x80) return item.slice();
    return Buffer.concat([lengthPrefix(item.length, 0x80), item]);
  }
  const body = Buffer.concat(item.map(encodeRlp));
  return Buffer.concat([lengthPrefix(body.length, 0xc0), body]);
}

// ---- typed access (decoded items are shape-checked where they are used) ----

export function isList(item: RlpItem): item is RlpItem[] {
  return Array.isArray(item);
}

export function asBytes(item: RlpItem | undefined, what: string): Bytes {
  if (!(item instanceof Uint8Array)) throw new EvmClientError(EVM_ERR.RLP_MALFORMED, `${what}: expected a string, got a list`, { details: { what } });
  return item;
}

export function asList(item: RlpItem | undefined, what: string): RlpItem[] {
  if (!Array.isArray(item)) throw new EvmClientError(EVM_ERR.RLP_MALFORMED, `${what}: expected a list`, { details: { what } });
  return item;
}

/** A big-endian scalar with no leading zero byte (0 is the empty string), as the Yellow Paper requires. */
export function rlpToBigInt(item: RlpItem | undefined, what: string): bigint {
  const b = asBytes(item, what);
  if (b.length > 0 && b[0] === 0) throw new EvmClientError(EVM_ERR.RLP_NONCANONICAL, `${what}: integer with a leading zero byte`, { details: { what } });
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

export function bigIntToRlpBytes(v: bigint): Bytes {
  if (v < 0n) throw new EvmClientError(EVM_ERR.RLP_MALFORMED, 'negative integer');
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
