import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { Bytes } from './bytes.ts';

/** sha256 through node:crypto (several times faster than any JS implementation). */
export function sha256(...parts: Bytes[]): Bytes {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

export function keccak256(...parts: Bytes[]): Bytes {
  if (parts.length === 1) return keccak_256(parts[0]);
  const h = keccak_256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}
