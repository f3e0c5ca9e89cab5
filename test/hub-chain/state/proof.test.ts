import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, ZERO_HASH } from '../../../hub-chain/crypto/bytes.ts';
import { sha256 } from '../../../hub-chain/crypto/hash.ts';
import { hasCode } from '../../../hub-chain/errors.ts';
import { decodeProof, EMPTY_ROOT, encodeProof, type StateProof, verifyMembership, verifyMembershipCompact, verifyNonMembership, verifyNonMembershipCompact } from '../../../hub-chain/state/proof.ts';
import { StateStore } from '../../../hub-chain/state/store.ts';
import { enc, keyNear, keysSharingPrefix, sharedBits, tempEnv, type TempEnv } from './helpers.ts';
import { codeOf, thrown } from '../../support/errors.ts';

const leafHash = (key: Uint8Array, value: Uint8Array): string => toHex(sha256(Uint8Array.of(0), sha256(key), sha256(value)));
const innerHash = (l: string, r: string): string => toHex(sha256(Uint8Array.of(1), Buffer.from(l.slice(2), 'hex'), Buffer.from(r.slice(2), 'hex')));

describe('state proofs: format and verification', () => {
  let t: TempEnv;
  let store: StateStore;
  let root: string;
  const present: [Uint8Array, Uint8Array][] = [];
  let deepA: Uint8Array;
  let deepB: Uint8Array;
  let nearDeep: Uint8Array;

  beforeAll(async () => {
    t = tempEnv();
    store = StateStore.open(t.env);
    const ws = store.working();
    for (let i = 0; i < 300; i++) {
      const kv: [Uint8Array, Uint8Array] = [enc(`acct/${i}`), enc(`balance-${i * 7}`)];
      present.push(kv);
      ws.set(kv[0], kv[1]);
    }
    // Two keys whose hashes share >= 28 bits give a path through 7 levels of pages and long runs of empty siblings.
    [deepA, deepB] = keysSharingPrefix(28);
    ws.set(deepA, enc('a'));
    ws.set(deepB, enc('b'));
    present.push([deepA, enc('a')], [deepB, enc('b')]);
    nearDeep = keyNear(sha256(deepA), 20);
    root = await store.commit(ws, 1);
  });
  afterAll(async () => {
    await t.close();
  });

  it('behavior: membership proofs verify, from JSON and after a byte round trip that is canonical', () => {
    for (const [k, v] of present) {
      const { value, proof } = store.getWithProof(k, 1);
      expect(value).toEqual(v);
      verifyMembership(root, k, v, proof);
      const bytes = encodeProof(proof);
      const back = decodeProof(bytes);
      expect(back).toEqual(proof);
      expect(encodeProof(back)).toEqual(bytes);
      verifyMembership(root, k, v, back);
    }
  });

  it('behavior: keys whose hashes share 28+ bits get deep proofs that verify, and a key near them is provably absent', () => {
    expect(sharedBits(sha256(deepA), sha256(deepB))).toBeGreaterThanOrEqual(28);
    const a = store.getWithProof(deepA, 1).proof;
    expect(a.siblings.length).toBe(sharedBits(sha256(deepA), sha256(deepB)) + 1);
    verifyMembership(root, deepA, enc('a'), a);
    verifyMembership(root, deepB, enc('b'), store.getWithProof(deepB, 1).proof);
    const near = store.getWithProof(nearDeep, 1);
    expect(near.value).toBeUndefined();
    expect(near.proof.siblings.length).toBeGreaterThanOrEqual(20);
    verifyNonMembership(root, nearDeep, near.proof);
    verifyNonMembership(root, nearDeep, decodeProof(encodeProof(near.proof)));
  });

  it('behavior: absence proofs verify for many absent keys, ending in an empty subtree or in another lone leaf', () => {
    const kinds = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const k = enc(`missing/${i}`);
      const { value, proof } = store.getWithProof(k, 1);
      expect(value).toBeUndefined();
      kinds.add(proof.leaf === null ? 'empty' : 'leaf');
      verifyNonMembership(root, k, proof);
      verifyNonMembership(root, k, decodeProof(encodeProof(proof)));
    }
    expect([...kinds].sort()).toEqual(['empty', 'leaf']);
  });

  it('error: flipping any bit pattern in any byte of an encoded proof makes it fail to decode or to verify', () => {
    const cases: { k: Uint8Array; v: Uint8Array | undefined }[] = [
      { k: deepA, v: enc('a') },
      { k: present[5][0], v: present[5][1] },
      { k: nearDeep, v: undefined },
      { k: enc('missing/0'), v: undefined },
      { k: enc('missing/1'), v: undefined },
    ];
    let checked = 0;
    for (const { k, v } of cases) {
      const bytes = encodeProof(store.getWithProof(k, 1).proof);
      if (v === undefined) verifyNonMembershipCompact(root, k, bytes);
      else verifyMembershipCompact(root, k, v, bytes);
      for (let i = 0; i < bytes.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = Uint8Array.from(bytes);
          bad[i] ^= mask;
          const code = codeOf(() => {
            const p = decodeProof(bad);
            if (v === undefined) verifyNonMembership(root, k, p);
            else verifyMembership(root, k, v, p);
          });
          expect(code, `byte ${i} ^ ${mask} of a ${bytes.length}-byte proof`).toMatch(/^PNT_ERR_PROOF_(MALFORMED|INVALID|KEY_PRESENT)$/);
          // the compact verifiers (no detour through hex) refuse it with the same code
          const compactCode = codeOf(() => (v === undefined ? verifyNonMembershipCompact(root, k, bad) : verifyMembershipCompact(root, k, v, bad)));
          expect(compactCode, `compact: byte ${i} ^ ${mask}`).toBe(code);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('error: trailing bytes, truncation, unknown kind, depth > 256, stray bitmap bits and listed zero siblings are malformed', () => {
    const bytes = encodeProof(store.getWithProof(present[0][0], 1).proof);
    const malformed = (b: Uint8Array) => codeOf(() => decodeProof(b));
    expect(malformed(Uint8Array.of(...bytes, 0))).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(malformed(bytes.subarray(0, bytes.length - 1))).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(malformed(bytes.subarray(0, 2))).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(malformed(Uint8Array.of(2, ...bytes.subarray(1)))).toBe('PNT_ERR_PROOF_MALFORMED');
    // depth 257 with a full bitmap-sized body of zeros
    const deep = new Uint8Array(3 + 33);
    deep[1] = 0x01;
    deep[2] = 0x01;
    expect(malformed(deep)).toBe('PNT_ERR_PROOF_MALFORMED');
    // depth 3, empty terminal: bitmap bit 3 (past depth) set
    expect(malformed(Uint8Array.of(0, 0, 3, 0b0001_0000))).toBe('PNT_ERR_PROOF_MALFORMED');
    // depth 1, one listed sibling that is the empty hash: a second encoding of "no sibling"
    expect(malformed(Uint8Array.of(0, 0, 1, 0x80, ...new Uint8Array(32)))).toBe('PNT_ERR_PROOF_MALFORMED');
    // bitmap says one sibling, none follow
    expect(malformed(Uint8Array.of(0, 0, 1, 0x80))).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(malformed(new Uint8Array(0))).toBe('PNT_ERR_PROOF_MALFORMED');
  });

  it('error: JSON proofs with bad hex, more than 256 siblings or a malformed leaf are malformed', () => {
    const { proof } = store.getWithProof(present[0][0], 1);
    const [k, v] = present[0];
    const bad = (p: unknown) => codeOf(() => verifyMembership(root, k, v, p as StateProof));
    expect(bad({ ...proof, siblings: [...proof.siblings.slice(1), '0x12'] })).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(bad({ ...proof, siblings: new Array(257).fill(ZERO_HASH) })).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(bad({ ...proof, leaf: { keyHash: proof.leaf!.keyHash } })).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(bad({ leaf: proof.leaf })).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(bad(null)).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(codeOf(() => encodeProof({ ...proof, siblings: new Array(257).fill(ZERO_HASH) }))).toBe('PNT_ERR_PROOF_MALFORMED');
    expect(codeOf(() => verifyMembership('0x1234', k, v, proof))).toBe('PNT_ERR_PROOF_MALFORMED');
  });

  it('error: a proof against another root, for another key, or with another value is invalid', () => {
    const [k, v] = present[1];
    const { proof } = store.getWithProof(k, 1);
    expect(codeOf(() => verifyMembership(EMPTY_ROOT, k, v, proof))).toBe('PNT_ERR_PROOF_INVALID');
    expect(codeOf(() => verifyMembership(toHex(sha256(enc('other'))), k, v, proof))).toBe('PNT_ERR_PROOF_INVALID');
    expect(codeOf(() => verifyMembership(root, present[2][0], v, proof))).toBe('PNT_ERR_PROOF_INVALID');
    expect(codeOf(() => verifyMembership(root, k, enc('forged'), proof))).toBe('PNT_ERR_PROOF_INVALID');
    expect(codeOf(() => verifyMembership(root, k, new Uint8Array(0), proof))).toBe('PNT_ERR_PROOF_INVALID');
    // the leaf's value hash swapped for the forged value's: the path no longer reaches the root
    const forgedLeaf = { ...proof, leaf: { keyHash: proof.leaf!.keyHash, valueHash: toHex(sha256(enc('forged'))) } };
    expect(codeOf(() => verifyMembership(root, k, enc('forged'), forgedLeaf))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: an absence proof for a present key is refused (KEY_PRESENT), and a membership check on an absence proof fails', () => {
    const [k, v] = present[3];
    const { proof } = store.getWithProof(k, 1);
    expect(codeOf(() => verifyNonMembership(root, k, proof))).toBe('PNT_ERR_PROOF_KEY_PRESENT');
    const absent = store.getWithProof(enc('missing/7'), 1).proof;
    expect(codeOf(() => verifyMembership(root, enc('missing/7'), v, absent))).toBe('PNT_ERR_PROOF_INVALID');
    // an absence proof for one key does not prove another (present) key absent
    expect(codeOf(() => verifyNonMembership(root, k, absent))).toMatch(/^PNT_ERR_PROOF_(INVALID|KEY_PRESENT)$/);
  });

  it('error: forged absence proofs for a present key are rejected (truncated path, leaf pushed down, leaf off the key path)', () => {
    const [k] = present[4];
    const { proof } = store.getWithProof(k, 1);
    const d = proof.siblings.length;
    // claim the key's subtree is empty at its own depth or above
    for (let cut = 0; cut <= d; cut++) {
      expect(codeOf(() => verifyNonMembership(root, k, { siblings: proof.siblings.slice(0, cut), leaf: null }))).toBe('PNT_ERR_PROOF_INVALID');
    }
    // claim the leaf sits one level lower, with an empty subtree where the key would go
    const lh = leafHash(k, present[4][1]);
    expect(codeOf(() => verifyNonMembership(root, k, { siblings: [...proof.siblings, lh], leaf: null }))).toBe('PNT_ERR_PROOF_INVALID');
    // reuse another key's membership proof: its leaf is not on this key's path
    const other = present.find(([ok]) => sharedBits(sha256(ok), sha256(k)) === 0)!;
    const op = store.getWithProof(other[0], 1).proof;
    expect(codeOf(() => verifyNonMembership(root, k, op))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: a lone leaf that sits off its own key path (a malformed tree) does not prove another key absent', () => {
    // Build by hand a root whose left child is a leaf whose key hash starts with bit 1 (it belongs on the right).
    let misplaced = enc('x');
    for (let i = 0; (sha256(misplaced)[0] & 0x80) === 0; i++) misplaced = enc(`x${i}`);
    let queried = enc('q');
    for (let i = 0; (sha256(queried)[0] & 0x80) !== 0; i++) queried = enc(`q${i}`);
    const right = toHex(sha256(enc('some subtree')));
    const forgedRoot = innerHash(leafHash(misplaced, enc('v')), right);
    const proof: StateProof = { siblings: [right], leaf: { keyHash: toHex(sha256(misplaced)), valueHash: toHex(sha256(enc('v'))) } };
    // the hashes do fold to the root along the queried key's path; only the path check refuses it
    expect(codeOf(() => verifyNonMembership(forgedRoot, queried, proof))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('behavior: empty tree and single-key tree have the expected roots and depth-0 proofs', async () => {
    const t2 = tempEnv();
    try {
      const s = StateStore.open(t2.env);
      expect(s.root()).toBe(EMPTY_ROOT);
      const p0 = s.getWithProof(enc('x'), 0).proof;
      expect(p0).toEqual({ siblings: [], leaf: null });
      expect(Array.from(encodeProof(p0))).toEqual([0, 0, 0]);
      verifyNonMembership(EMPTY_ROOT, enc('x'), p0);
      expect(codeOf(() => verifyMembership(EMPTY_ROOT, enc('x'), enc('1'), p0))).toBe('PNT_ERR_PROOF_INVALID');

      const ws = s.working();
      ws.set(enc('only'), enc('one'));
      const r1 = await s.commit(ws, 1);
      expect(r1).toBe(leafHash(enc('only'), enc('one')));
      const p1 = s.getWithProof(enc('only'), 1).proof;
      expect(p1.siblings).toEqual([]);
      verifyMembership(r1, enc('only'), enc('one'), p1);
      expect(encodeProof(p1).length).toBe(3 + 64);
      const pa = s.getWithProof(enc('other'), 1).proof;
      verifyNonMembership(r1, enc('other'), pa);
      expect(codeOf(() => verifyNonMembership(r1, enc('only'), p1))).toBe('PNT_ERR_PROOF_KEY_PRESENT');
    } finally {
      await t2.close();
    }
  });

  it('behavior: the byte layout is kind | depth | leaf | bitmap | siblings (what the Solidity verifier reads)', () => {
    const zero = ZERO_HASH;
    const s1 = toHex(sha256(enc('s1')));
    const s3 = toHex(sha256(enc('s3')));
    const kh = toHex(sha256(enc('k')));
    const vh = toHex(sha256(enc('v')));
    const b = encodeProof({ siblings: [s1, zero, s3, zero, zero, zero, zero, zero, zero], leaf: { keyHash: kh, valueHash: vh } });
    expect(b[0]).toBe(1);
    expect((b[1] << 8) | b[2]).toBe(9);
    expect(toHex(b.subarray(3, 35))).toBe(kh);
    expect(toHex(b.subarray(35, 67))).toBe(vh);
    expect(Array.from(b.subarray(67, 69))).toEqual([0b1010_0000, 0]);
    expect(toHex(b.subarray(69, 101))).toBe(s1);
    expect(toHex(b.subarray(101, 133))).toBe(s3);
    expect(b.length).toBe(133);
    // the fold is the documented one: leaf, then inner(left, right) per level by the key path's bits
    expect(innerHash(zero, zero)).not.toBe(zero);
  });

  it('error: verifier inputs that are not bytes are refused with a typed error', () => {
    const { proof } = store.getWithProof(present[0][0], 1);
    expect(hasCode(thrown(() => verifyMembership(root, 'k' as unknown as Uint8Array, enc('v'), proof)), 'PNT_ERR_PROOF_MALFORMED')).toBe(true);
    expect(hasCode(thrown(() => decodeProof([1, 2, 3] as unknown as Uint8Array)), 'PNT_ERR_PROOF_MALFORMED')).toBe(true);
  });
});
