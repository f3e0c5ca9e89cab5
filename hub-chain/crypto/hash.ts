import { hash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { type IHasher, createKeccak } from 'hash-wasm';
import type { Bytes } from './bytes.ts';

// Buffer#latin1Write (present in Node 20, missing from its types) skips write()'s encoding dispatch.
type Latin1Writer = Buffer & { latin1Write(s: string, off: number, len: number): number };

/**
 * sha256 of `data` as a Buffer: one-shot crypto.hash with a binary (latin1) string digest
 * written into a new buffer, ~2.5x faster here than createHash().update().digest() on the
 * short inputs of Merkle trees (0.9 against 2.5 us).
 */
export function sha256Buf(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(32);
  (out as Latin1Writer).latin1Write(hash('sha256', data, 'binary'), 0, 32);
  return out;
}

/** sha256 of the parts' concatenation, through node:crypto. */
export function sha256(...parts: Bytes[]): Bytes {
  let data: Uint8Array;
  if (parts.length === 1) data = parts[0];
  else {
    let n = 0;
    for (const p of parts) n += p.length;
    data = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
  }
  const d = sha256Buf(data);
  return new Uint8Array(d.buffer, d.byteOffset, 32);
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
