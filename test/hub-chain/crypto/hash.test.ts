/** Keccak-256 answers the same before and after its WebAssembly implementation is ready. */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { expect, it } from 'vitest';
import { toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../hub-chain/crypto/hash.ts';

it('behavior: keccak256 gives the Ethereum vectors and @noble/hashes digests for every length and split, with no shared output buffer', async () => {
  await new Promise((r) => setTimeout(r, 100)); // WebAssembly compiled by now
  expect(toHex(keccak256(new Uint8Array(0)))).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  expect(toHex(keccak256(utf8('hello')))).toBe('0x1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8');
  for (let n = 0; n < 600; n += 7) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255);
    const want = toHex(keccak_256(b));
    expect(toHex(keccak256(b))).toBe(want);
    expect(toHex(keccak256(b.subarray(0, n >> 2), b.subarray(n >> 2)))).toBe(want);
  }
  const first = keccak256(utf8('a'));
  const copy = toHex(first);
  keccak256(utf8('b'));
  expect(toHex(first)).toBe(copy);
});
