import { createHash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { type IHasher, createKeccak } from 'hash-wasm';
import type { Bytes } from './bytes.ts';

/** sha256 through node:crypto (several times faster than any JS implementation). */
export function sha256(...parts: Bytes[]): Bytes {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * Keccak-256 runs in WebAssembly (hash-wasm: ~1.4 us for a 200-byte input here, against ~15 us
 * for @noble/hashes; node:crypto has SHA3 but not Keccak's padding). WebAssembly compiles
 * asynchronously, so until it is ready (the first milliseconds of a process) @noble/hashes
 * answers; both give the same digest. Every packet commitment and ack commitment is a Keccak.
 */
let wasm: IHasher | undefined;
/**
 * Settles once the WebAssembly Keccak is in use (or unavailable). Its compilation finishes on a
 * task of the event loop, so a process busy in synchronous work keeps @noble/hashes until it
 * yields; a node awaits this before it starts.
 */
export const keccakReady: Promise<void> = createKeccak(256).then(
  (h) => {
    wasm = h;
  },
  () => undefined, // no WebAssembly here: @noble/hashes answers throughout
);

export function keccak256(...parts: Bytes[]): Bytes {
  if (wasm) {
    wasm.init();
    for (const p of parts) wasm.update(p);
    return wasm.digest('binary');
  }
  if (parts.length === 1) return keccak_256(parts[0]);
  const h = keccak_256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}
