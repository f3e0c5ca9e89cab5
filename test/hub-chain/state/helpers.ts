/** Shared fixtures for the state tests: real LMDB envs in temp dirs, a seeded PRNG, a reference root. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { sha256 } from '../../../hub-chain/crypto/hash.ts';
import { toHex } from '../../../hub-chain/crypto/bytes.ts';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

export interface TempEnv {
  dir: string;
  env: RootDatabase;
  reopen(): Promise<RootDatabase>;
  close(): Promise<void>;
}

export function tempEnv(): TempEnv {
  const dir = mkdtempSync(join(tmpdir(), 'pontis-state-test-'));
  const t: TempEnv = {
    dir,
    env: open({ path: dir, maxDbs: 16 }),
    async reopen() {
      await t.env.close();
      t.env = open({ path: dir, maxDbs: 16 });
      return t.env;
    },
    async close() {
      await t.env.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

/** mulberry32: small, seeded, good enough to drive property tests. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bit(h: Uint8Array, i: number): number {
  return (h[i >> 3] >> (7 - (i & 7))) & 1;
}

/**
 * The root straight from the definition (a binary tree over sha256(key) paths, a lone leaf
 * standing for its whole subtree), written apart from the paged implementation to check it.
 */
export function referenceRoot(model: Map<string, Uint8Array>): string {
  const leaves = [...model].map(([k, v]) => ({ kh: sha256(Buffer.from(k, 'latin1')), vh: sha256(v) }));
  const node = (ls: typeof leaves, depth: number): Uint8Array => {
    if (ls.length === 0) return new Uint8Array(32);
    if (ls.length === 1) return sha256(Uint8Array.of(0), ls[0].kh, ls[0].vh);
    const l = ls.filter((x) => bit(x.kh, depth) === 0);
    const r = ls.filter((x) => bit(x.kh, depth) === 1);
    return sha256(Uint8Array.of(1), node(l, depth + 1), node(r, depth + 1));
  };
  return toHex(node(leaves, 0));
}

/** Number of leading bits two byte strings share. */
export function sharedBits(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  while (n < a.length * 8 && bit(a, n) === bit(b, n)) n++;
  return n;
}

/** Two keys (`${prefix}${i}`) whose sha256 share at least `bits` leading bits (<= 32), found by birthday search. */
export function keysSharingPrefix(bits: number, prefix = 'deep/'): [Uint8Array, Uint8Array] {
  const seen = new Map<number, number>();
  for (let i = 0; ; i++) {
    const h = sha256(enc(prefix + i));
    const top = (((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0) >>> (32 - bits);
    const j = seen.get(top);
    if (j !== undefined) return [enc(prefix + j), enc(prefix + i)];
    seen.set(top, i);
  }
}

/** A key (`${prefix}${i}`) whose sha256 shares at least `bits` leading bits with `target` and is not `target`. */
export function keyNear(target: Uint8Array, bits: number, prefix = 'near/'): Uint8Array {
  for (let i = 0; ; i++) {
    const k = enc(prefix + i);
    if (sharedBits(sha256(k), target) >= bits) return k;
  }
}
