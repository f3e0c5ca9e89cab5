/**
 * The state tree's hash functions (sha256, domain-separated):
 *   keyHash = sha256(key), valueHash = sha256(value)
 *   leaf    = sha256(0x00 || keyHash || valueHash)
 *   inner   = sha256(0x01 || left || right)
 *   empty subtree = 32 zero bytes
 * A block rehashes ~10^5 nodes, so this avoids allocation: one-shot crypto.hash with a binary (latin1)
 * string digest, written into the caller's buffer, runs ~2x faster here than a Buffer digest.
 */
import { hash } from 'node:crypto';

export const EMPTY_HASH: Buffer = Buffer.alloc(32);
const LEAF_TAG = 0x00;
const INNER_TAG = 0x01;

// One scratch buffer is safe: hashing is synchronous and never re-entered.
const scratch = Buffer.alloc(65);

// Buffer#latin1Write (present in Node 20, missing from its types) skips write()'s encoding dispatch.
type Latin1Writer = Buffer & { latin1Write(s: string, off: number, len: number): number };

function digestScratchInto(dst: Buffer, dstOff: number): void {
  (dst as Latin1Writer).latin1Write(hash('sha256', scratch, 'binary'), dstOff, 32);
}

export { sha256Buf } from '../crypto/hash.ts';

export function sha256Into(data: Uint8Array, dst: Buffer, dstOff: number): void {
  (dst as Latin1Writer).latin1Write(hash('sha256', data, 'binary'), dstOff, 32);
}

/** Leaf hash of two 32-byte hashes, written to dst at dstOff. */
export function leafHashInto(keyHash: Uint8Array, valueHash: Uint8Array, dst: Buffer, dstOff: number): void {
  scratch[0] = LEAF_TAG;
  scratch.set(keyHash, 1);
  scratch.set(valueHash, 33);
  digestScratchInto(dst, dstOff);
}

export function leafHash(keyHash: Uint8Array, valueHash: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(32);
  leafHashInto(keyHash, valueHash, out, 0);
  return out;
}

/** Leaf hash of the keyHash at src[keyOff] and the valueHash at src[valueOff], written to dst at dstOff. */
export function leafHashAt(src: Uint8Array, keyOff: number, valueOff: number, dst: Buffer, dstOff: number): void {
  scratch[0] = LEAF_TAG;
  for (let i = 0; i < 32; i++) scratch[1 + i] = src[keyOff + i];
  for (let i = 0; i < 32; i++) scratch[33 + i] = src[valueOff + i];
  digestScratchInto(dst, dstOff);
}

/** Inner hash of the 32-byte hashes at src[leftOff] and src[rightOff], written to dst at dstOff (may overlap them). */
export function innerHashAt(src: Uint8Array, leftOff: number, rightOff: number, dst: Buffer, dstOff: number): void {
  scratch[0] = INNER_TAG;
  for (let i = 0; i < 32; i++) scratch[1 + i] = src[leftOff + i];
  for (let i = 0; i < 32; i++) scratch[33 + i] = src[rightOff + i];
  digestScratchInto(dst, dstOff);
}

/** Inner hash of `left` and `right` (32 bytes each), written to dst at dstOff (may be either input). */
export function innerHashInto(left: Uint8Array, right: Uint8Array, dst: Buffer, dstOff: number): void {
  scratch[0] = INNER_TAG;
  scratch.set(left, 1);
  scratch.set(right, 33);
  digestScratchInto(dst, dstOff);
}

/** Bit `i` (0 = most significant bit of byte 0) of a 32-byte path. */
export function pathBit(path: Uint8Array, i: number): number {
  return (path[i >> 3] >> (7 - (i & 7))) & 1;
}

/** True when a and b agree on their first `bits` bits. */
export function sharesPrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole] & mask) === (b[whole] & mask);
}

/** Copies 32 bytes; a loop beats Buffer#copy for blocks this small. */
export function copy32(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  for (let i = 0; i < 32; i++) dst[dstOff + i] = src[srcOff + i];
}
