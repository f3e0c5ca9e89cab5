/**
 * Substrate storage keys: twox128(pallet) ++ twox128(item) ++ the map's hashed keys (FRAME's
 * storage layout), with the two hashers the keys here use: twox128 (xxHash64 with seeds 0 and 1,
 * each little-endian) and blake2_128_concat. xxHash64 is written out here (BigInt; keys are short).
 */
import { type Bytes, concat, utf8 } from '../../crypto/bytes.ts';
import { blake2b } from '@noble/hashes/blake2.js';

const M64 = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64;
const le = (b: Bytes, at: number, n: number): bigint => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i]);
  return v;
};
const round = (acc: bigint, lane: bigint): bigint => (rotl((acc + lane * P2) & M64, 31n) * P1) & M64;
const merge = (acc: bigint, v: bigint): bigint => ((((acc ^ round(0n, v)) * P1) & M64) + P4) & M64;

/** xxHash64 of `data` with `seed`. */
export function xxh64(data: Bytes, seed: bigint): bigint {
  let i = 0;
  let h: bigint;
  if (data.length >= 32) {
    let v1 = (seed + P1 + P2) & M64;
    let v2 = (seed + P2) & M64;
    let v3 = seed;
    let v4 = (seed - P1) & M64;
    for (; i + 32 <= data.length; i += 32) {
      v1 = round(v1, le(data, i, 8));
      v2 = round(v2, le(data, i + 8, 8));
      v3 = round(v3, le(data, i + 16, 8));
      v4 = round(v4, le(data, i + 24, 8));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M64;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else h = (seed + P5) & M64;
  h = (h + BigInt(data.length)) & M64;
  for (; i + 8 <= data.length; i += 8) h = (rotl(h ^ round(0n, le(data, i, 8)), 27n) * P1 + P4) & M64;
  if (i + 4 <= data.length) {
    h = (rotl(h ^ ((le(data, i, 4) * P1) & M64), 23n) * P2 + P3) & M64;
    i += 4;
  }
  for (; i < data.length; i++) h = (rotl(h ^ ((BigInt(data[i]) * P5) & M64), 11n) * P1) & M64;
  h = ((h ^ (h >> 33n)) * P2) & M64;
  h = ((h ^ (h >> 29n)) * P3) & M64;
  return h ^ (h >> 32n);
}

const u64le = (v: bigint): Bytes => {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
};

export const twox128 = (data: Bytes): Bytes => concat(u64le(xxh64(data, 0n)), u64le(xxh64(data, 1n)));
export const blake2_128Concat = (data: Bytes): Bytes => concat(blake2b(data, { dkLen: 16 }), data);

/** The key of a plain storage value `pallet.item`. */
export const storageValueKey = (pallet: string, item: string): Bytes => concat(twox128(utf8(pallet)), twox128(utf8(item)));

/** `System.Events`: Vec<EventRecord> of the block. */
export const SYSTEM_EVENTS_KEY: Bytes = storageValueKey('System', 'Events');
/** `Timestamp.Now`: the block's time, u64 ms. */
export const TIMESTAMP_NOW_KEY: Bytes = storageValueKey('Timestamp', 'Now');
/** `System.Account(id)`: a map with the blake2_128_concat hasher. */
export const systemAccountKey = (accountId: Bytes): Bytes => concat(storageValueKey('System', 'Account'), blake2_128Concat(accountId));
