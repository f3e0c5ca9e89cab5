import { EncodingError } from '../errors.ts';

export type Bytes = Uint8Array;
export type Hex = string; // 0x-prefixed, lower case

const HEX_RE = /^0x([0-9a-fA-F]{2})*$/;

export function isHex(s: unknown, byteLength?: number): s is Hex {
  return typeof s === 'string' && HEX_RE.test(s) && (byteLength === undefined || s.length === 2 + 2 * byteLength);
}

/** The bytes as a latin1 string (one char a byte, no copy): a cheap Map key for byte keys. */
export function latin1Id(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function toHex(b: Bytes): Hex {
  return '0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(s: string, byteLength?: number): Bytes {
  const bad = () => new EncodingError('PNT_ERR_BAD_HEX', 'expected 0x-prefixed hex with an even number of digits', { details: { value: String(s).slice(0, 80) } });
  if (typeof s !== 'string' || s.length % 2 !== 0 || !s.startsWith('0x')) throw bad();
  if (byteLength !== undefined && s.length !== 2 + 2 * byteLength) {
    throw new EncodingError('PNT_ERR_BAD_HEX', `expected ${byteLength} bytes of hex`, { details: { got: (s.length - 2) / 2 } });
  }
  // Buffer's hex decoder stops at the first pair that is not two hex digits: a short answer is bad
  // hex (one pass, where a regular expression over a megabyte of runtime code cost as much again)
  const buf = Buffer.from(s.slice(2), 'hex');
  if (buf.byteLength * 2 !== s.length - 2) throw bad();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function concat(...parts: Bytes[]): Bytes {
  return Buffer.concat(parts);
}

export function equalBytes(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `b` starts with `prefix`. */
export function hasPrefix(b: Bytes, prefix: Bytes): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

export function compareBytes(a: Bytes, b: Bytes): number {
  return Buffer.compare(a, b);
}

/** Big-endian unsigned integer of `size` bytes (size <= 8). */
export function uintBE(n: number | bigint, size: number): Bytes {
  let v = BigInt(n);
  if (v < 0n || v >= 1n << BigInt(size * 8)) throw new EncodingError('PNT_ERR_INT_RANGE', `integer ${v} does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export const utf8 = (s: string): Bytes => new TextEncoder().encode(s);
export const ZERO32: Bytes = new Uint8Array(32);
export const ZERO_HASH: Hex = toHex(ZERO32);
