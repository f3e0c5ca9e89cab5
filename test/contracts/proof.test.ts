/**
 * SmtProof through PontisClient.verifyMembership / verifyNonMembership on a real anvil node,
 * against roots and proofs from a real StateStore (LMDB): honest proofs verify, and every
 * single-byte tamper, truncation and extension of sample proofs is rejected, as in TypeScript.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Contract } from 'ethers';
import { open, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hex, toHex } from '../../hub-chain/crypto/bytes.ts';
import { decodeProof, encodeProof, verifyMembership, verifyNonMembership } from '../../hub-chain/state/proof.ts';
import { StateStore } from '../../hub-chain/state/store.ts';
import { ChainBuilder } from '../support/chain-builder.ts';
import { type Anvil, callBatch, revertOf, startAnvil } from './anvil.ts';
import { deployClient, recentGenesis, submit } from './client-fixture.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const PROOF_ERRORS = ['ProofMalformed', 'ProofInvalid', 'ProofKeyPresent'];

let anvil: Anvil;
let dir: string;
let env: RootDatabase;
let store: StateStore;
let client: Contract;
const present: string[] = [];
const deleted: string[] = [];
let rootV1: Hex;
let rootV2: Hex;

function valueOf(key: string, version: number): Uint8Array {
  return enc(`value of ${key} at ${version}`);
}

beforeAll(async () => {
  [anvil] = await Promise.all([startAnvil()]);
  dir = mkdtempSync(join(tmpdir(), 'pontis-evm-proof-'));
  env = open({ path: dir, maxDbs: 16 });
  store = StateStore.open(env);
  const ws1 = store.working();
  for (let i = 0; i < 400; i++) {
    const key = i % 2 === 0 ? `pkt/out/hub-1/transfer/evm-31337/bank/${i}` : `acct/${i.toString(16)}`;
    present.push(key);
    ws1.set(enc(key), valueOf(key, 1));
  }
  rootV1 = await store.commit(ws1, 1);
  // version 2 rewrites some values and deletes others, so old and new roots differ in known ways
  const ws2 = store.working();
  for (let i = 0; i < 400; i += 7) ws2.set(enc(present[i]), valueOf(present[i], 2));
  for (let i = 3; i < 400; i += 50) {
    ws2.delete(enc(present[i]));
    deleted.push(present[i]);
  }
  rootV2 = await store.commit(ws2, 2);
  const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(4), seed: 'evm-proofs' })
    .setStateRoot(1, rootV1)
    .setStateRoot(2, rootV2)
    .extendTo(2);
  client = await deployClient(anvil, chain, 1);
  await submit(client, chain.signedHeader(2), chain.validatorSet(2));
});

afterAll(async () => {
  await anvil?.stop();
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function valueAt(key: string, version: number): Uint8Array | undefined {
  const i = present.indexOf(key);
  if (i < 0 || (version === 2 && deleted.includes(key))) return undefined;
  return version === 2 && i % 7 === 0 ? valueOf(key, 2) : valueOf(key, 1);
}

function proofBytes(key: string, version: number): Uint8Array {
  return encodeProof(store.getWithProof(enc(key), version).proof);
}

describe('SmtProof against real StateStore proofs', () => {
  it('behavior: membership and absence proofs from the store verify on chain at the heights whose roots they match', async () => {
    const absent = [...deleted, 'never/written/1', 'pkt/rcpt/hub-1/transfer/evm-31337/bank/1', 'x'];
    const calls: Promise<string | undefined>[] = [];
    const kinds = new Set<number>();
    for (const version of [1, 2]) {
      for (const key of present.filter((_, i) => i % 5 === 0)) {
        const v = valueAt(key, version);
        if (v === undefined) continue;
        calls.push(revertOf(client.verifyMembership(version, enc(key), v, proofBytes(key, version))));
      }
      for (const key of version === 2 ? absent : absent.slice(deleted.length)) {
        const p = proofBytes(key, version);
        kinds.add(p[0]);
        verifyNonMembership(version === 1 ? rootV1 : rootV2, enc(key), decodeProof(p));
        calls.push(revertOf(client.verifyNonMembership(version, enc(key), p)));
      }
    }
    const results = await Promise.all(calls);
    expect(results.filter((r) => r !== undefined)).toEqual([]);
    expect(results.length).toBeGreaterThan(150);
    // both terminal kinds of absence proof were exercised
    expect([...kinds].sort()).toEqual([0, 1]);
  });

  it('error: a proof for another value, another height, or presence offered as absence is rejected', async () => {
    const key = present[14]; // rewritten in version 2 (14 % 7 == 0)
    const p1 = proofBytes(key, 1);
    expect(await revertOf(client.verifyMembership(1, enc(key), valueOf(key, 2), p1))).toBe('ProofInvalid');
    expect(await revertOf(client.verifyMembership(2, enc(key), valueOf(key, 1), p1))).toBe('ProofInvalid');
    expect(await revertOf(client.verifyNonMembership(1, enc(key), p1))).toBe('ProofKeyPresent');
    expect(await revertOf(client.verifyMembership(1, enc(present[15]), valueOf(present[15], 1), p1))).toBe('ProofInvalid');
    const gone = deleted[0];
    expect(await revertOf(client.verifyMembership(2, enc(gone), valueOf(gone, 1), proofBytes(gone, 2)))).toBe('ProofInvalid');
    expect(await revertOf(client.verifyNonMembership(1, enc(gone), proofBytes(gone, 2)))).toBe('ProofInvalid');
    expect(await revertOf(client.verifyMembership(3, enc(key), valueOf(key, 1), p1))).toBe('UnknownHeight');
  });

  it('error: every single-byte change, truncation and extension of sample proofs is rejected, on chain and in TypeScript', async () => {
    const samples: { name: string; key: string; value?: Uint8Array; version: number }[] = [
      { name: 'membership', key: present[20], value: valueAt(present[20], 2), version: 2 },
      { name: 'absence (deleted key)', key: deleted[1], version: 2 },
      { name: 'absence (never written)', key: 'never/written/2', version: 2 },
    ];
    const root = rootV2;
    let checked = 0;
    for (const s of samples) {
      const good = proofBytes(s.key, s.version);
      const variants: Uint8Array[] = [];
      for (let i = 0; i < good.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const t = Uint8Array.from(good);
          t[i] ^= mask;
          variants.push(t);
        }
      }
      for (let n = 0; n < good.length; n++) variants.push(good.subarray(0, n));
      variants.push(Uint8Array.from([...good, 0]));
      variants.push(Uint8Array.from([...good, ...new Uint8Array(32).fill(1)]));
      const to = await client.getAddress();
      const onChain = await callBatch(
        anvil.url,
        variants.map((v) => ({
          to,
          data: s.value
            ? client.interface.encodeFunctionData('verifyMembership', [s.version, enc(s.key), s.value, v])
            : client.interface.encodeFunctionData('verifyNonMembership', [s.version, enc(s.key), v]),
        })),
      );
      variants.forEach((v, i) => {
        expect(PROOF_ERRORS, `${s.name}: variant ${i} accepted on chain`).toContain(onChain[i]);
        expect(() => {
          const p = decodeProof(v);
          if (s.value) verifyMembership(root, enc(s.key), s.value, p);
          else verifyNonMembership(root, enc(s.key), p);
        }, `${s.name}: variant ${i} accepted in TypeScript`).toThrow();
      });
      // the untouched proof passes, so each rejection above is the tamper's doing
      expect(await revertOf(s.value ? client.verifyMembership(s.version, enc(s.key), s.value, good) : client.verifyNonMembership(s.version, enc(s.key), good))).toBeUndefined();
      checked += variants.length;
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe('SmtProof rejects non-canonical encodings', () => {
  it('error: unknown kind, depth over 256, bits past the depth, a listed zero sibling and trailing bytes are ProofMalformed on chain and in TypeScript', async () => {
    const key = present[30];
    const value = valueAt(key, 2)!;
    const good = proofBytes(key, 2);
    const depth = (good[1] << 8) | good[2];
    const bitmapAt = 67;
    const bitmapLen = (depth + 7) >> 3;
    const variants: [string, Uint8Array][] = [];
    variants.push(['kind 2', Uint8Array.from([2, ...good.subarray(1)])]);
    variants.push(['depth 257', Uint8Array.from([1, 0x01, 0x01, ...good.subarray(3, bitmapAt), ...new Uint8Array(33)])]);
    // an empty sibling listed explicitly folds to the same root: only the encoding rule refuses it
    const firstEmpty = Array.from({ length: depth }, (_, i) => i).find((i) => (good[bitmapAt + (i >> 3)] & (0x80 >> (i & 7))) === 0);
    expect(firstEmpty, 'sample proof has an empty sibling').toBeDefined();
    {
      const i = firstEmpty!;
      const bitmap = Uint8Array.from(good.subarray(bitmapAt, bitmapAt + bitmapLen));
      bitmap[i >> 3] |= 0x80 >> (i & 7);
      const before = Array.from({ length: i }, (_, j) => j).filter((j) => (good[bitmapAt + (j >> 3)] & (0x80 >> (j & 7))) !== 0).length;
      const sibStart = bitmapAt + bitmapLen;
      const sibs = good.subarray(sibStart);
      variants.push(['listed zero sibling', Uint8Array.from([...good.subarray(0, bitmapAt), ...bitmap, ...sibs.subarray(0, 32 * before), ...new Uint8Array(32), ...sibs.subarray(32 * before)])]);
    }
    if ((depth & 7) !== 0) {
      const padded = Uint8Array.from([...good, ...new Uint8Array(32).fill(5)]);
      padded[bitmapAt + bitmapLen - 1] |= 1; // the last bit of the bitmap lies past the depth
      variants.push(['bit past the depth', padded]);
    }
    variants.push(['trailing byte', Uint8Array.from([...good, 0])]);
    for (const [name, v] of variants) {
      expect(await revertOf(client.verifyMembership(2, enc(key), value, v)), name).toBe('ProofMalformed');
      expect(() => decodeProof(v), name).toThrow();
    }
    expect(variants.length).toBe((depth & 7) !== 0 ? 5 : 4);
    expect(await revertOf(client.verifyMembership(2, enc(key), value, good))).toBeUndefined();
  });
});

describe('SmtProof against hand-built roots', () => {
  // The ADR's forgeries, which an honest store never produces but an attacker-chosen proof could claim.
  const kh = (key: string) => sha(enc(key));
  const leaf = (k: Buffer, v: Buffer) => sha(Uint8Array.of(0), k, v);
  const inner = (l: Buffer, r: Buffer) => sha(Uint8Array.of(1), l, r);
  const bit0 = (h: Buffer) => h[0] >> 7;
  const ZERO = Buffer.alloc(32);

  // Two keys whose paths differ in the first bit, and a third that shares the first one's.
  const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  const a = keys.find((k) => bit0(kh(k)) === 0)!;
  const b = keys.find((k) => bit0(kh(k)) === 1)!;
  const va = sha(enc('A'));
  const leafA = leaf(kh(a), va);
  // off-path: leaf A (first bit 0) stored as the right child of the root, beside an empty left
  const offPathRoot = inner(ZERO, leafA);
  // a one-key tree: its root is leaf A itself
  const oneKeyRoot = leafA;

  let forged: Contract;
  let empty: Contract;
  beforeAll(async () => {
    const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(4), seed: 'evm-proofs-forged' })
      .setStateRoot(1, toHex(offPathRoot))
      .setStateRoot(2, toHex(oneKeyRoot))
      .extendTo(2);
    forged = await deployClient(anvil, chain, 1);
    await submit(forged, chain.signedHeader(2), chain.validatorSet(2));
    const emptyChain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(4), seed: 'evm-proofs-empty' }).setStateRoot(1, toHex(ZERO)).extendTo(1);
    empty = await deployClient(anvil, emptyChain, 1);
  });

  const leafProof = (depth: number, k: Buffer, v: Buffer, siblings: Buffer[] = []) => {
    const bitmap = new Uint8Array((depth + 7) >> 3);
    siblings.forEach((s, i) => {
      if (!s.equals(ZERO)) bitmap[i >> 3] |= 0x80 >> (i & 7);
    });
    return Uint8Array.from([1, depth >> 8, depth & 0xff, ...k, ...v, ...bitmap, ...siblings.filter((s) => !s.equals(ZERO)).flatMap((s) => [...s])]);
  };

  it('error: an absence proof whose terminal leaf lies off the key path is rejected even though it hashes to the root', async () => {
    // for key B (first bit 1) the fold puts leaf A on the right: it reaches offPathRoot
    const p = leafProof(1, kh(a), va, [ZERO]);
    expect(await revertOf(forged.verifyNonMembership(1, enc(b), p))).toBe('ProofInvalid');
    expect(() => verifyNonMembership(toHex(offPathRoot), enc(b), decodeProof(p))).toThrow();
  });

  it('behavior: in a one-key tree a depth-0 leaf proof shows the key present and any other key absent; a pushed-down copy is rejected', async () => {
    const p0 = leafProof(0, kh(a), va);
    expect(await revertOf(forged.verifyMembership(2, enc(a), enc('A'), p0))).toBeUndefined();
    expect(await revertOf(forged.verifyNonMembership(2, enc(b), p0))).toBeUndefined();
    expect(await revertOf(forged.verifyNonMembership(2, enc(a), p0))).toBe('ProofKeyPresent');
    const pushed = leafProof(1, kh(a), va, [ZERO]);
    expect(await revertOf(forged.verifyMembership(2, enc(a), enc('A'), pushed))).toBe('ProofInvalid');
  });

  it('behavior: the empty tree (zero root) proves every key absent with a depth-0 empty proof and nothing present', async () => {
    const p = Uint8Array.of(0, 0, 0);
    expect(await revertOf(empty.verifyNonMembership(1, enc(a), p))).toBeUndefined();
    expect(await revertOf(empty.verifyMembership(1, enc(a), enc('A'), p))).toBe('ProofInvalid');
    expect(await revertOf(empty.verifyMembership(1, enc(a), enc('A'), leafProof(0, kh(a), va)))).toBe('ProofInvalid');
  });
});
