/**
 * The audit Merkle log against the outside world and against its own definition: the RFC 6962 /
 * 9162 reference tree's published roots and proofs byte for byte, then every size 0..70 and
 * every pair m <= n checked against a recursive MTH written here from the RFC, with each kind of
 * tampering refused under its stable code; the SM3 profile, the canonical head encoding, and a
 * check over large logs.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Bytes, fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { sha256 } from '../../../../hub-chain/crypto/hash.ts';
import { hasCode } from '../../../../hub-chain/errors.ts';
import {
  AUDIT_ERR,
  AuditError,
  type LogHash,
  type LogHead,
  MerkleTree,
  appendLeaf,
  decodeHead,
  emptyHead,
  encodeHead,
  leafHash,
  logHashOf,
  nodeHash,
  rootOf,
  rootOfLeaves,
  verifyConsistency,
  verifyInclusion,
} from '../../../../hub-chain/modules/audit/merkle-log.ts';

const intl = logHashOf('intl');
const sm = logHashOf('sm');
const hx = (s: string): Bytes => fromHex('0x' + s);
const plain = (b: Bytes): string => toHex(b).slice(2);

/** The AuditError `fn` throws; fails the test when it returns or throws anything else. */
function refusal(fn: () => unknown): AuditError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AuditError) return e;
    throw e;
  }
  throw new Error('expected an AuditError, but the call succeeded');
}

function expectRefused(fn: () => unknown, code: string, reasons?: string | string[]): AuditError {
  const e = refusal(fn);
  expect(e.code).toBe(code);
  if (reasons !== undefined) expect([reasons].flat()).toContain(e.details?.reason);
  return e;
}

// ---- the reference tree ----
// Inputs, roots and proofs: transparency-dev/merkle proof/verify_test.go (the Go verifier used by
// CT and Trillian), the same values as google/certificate-transparency
// cpp/merkletree/merkle_tree_test.cc (kInputs, kSHA256Roots, kSHA256Paths, kSHA256Proofs).
// There leaves are numbered from 1; here `index` is the RFC's 0-based leaf index.

const CT_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(hx);
const CT_EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CT_CONSISTENCY: { size1: number; size2: number; proof: string[] }[] = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2,
    size2: 5,
    proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'],
  },
  // Only in transparency-dev/merkle.
  {
    size1: 6,
    size2: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

// ---- a reference MTH, PATH and PROOF written straight from RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 ----

function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function refMth(h: LogHash, d: Bytes[]): Bytes {
  if (d.length === 0) return h();
  if (d.length === 1) return d[0];
  const k = largestPow2Below(d.length);
  return nodeHash(h, refMth(h, d.slice(0, k)), refMth(h, d.slice(k)));
}

function refPath(h: LogHash, m: number, d: Bytes[]): Bytes[] {
  if (d.length === 1) return [];
  const k = largestPow2Below(d.length);
  return m < k ? [...refPath(h, m, d.slice(0, k)), refMth(h, d.slice(k))] : [...refPath(h, m - k, d.slice(k)), refMth(h, d.slice(0, k))];
}

function refSubproof(h: LogHash, m: number, d: Bytes[], known: boolean): Bytes[] {
  if (m === d.length) return known ? [] : [refMth(h, d)];
  const k = largestPow2Below(d.length);
  return m <= k ? [...refSubproof(h, m, d.slice(0, k), known), refMth(h, d.slice(k))] : [...refSubproof(h, m - k, d.slice(k), false), refMth(h, d.slice(0, k))];
}

const hexes = (xs: Bytes[]): string[] => xs.map(plain);

describe('merkle log: RFC 6962 / 9162 reference tree', () => {
  const leaves = CT_INPUTS.map((e) => leafHash(intl, e));
  const tree = new MerkleTree(intl, leaves);

  it('behavior: the empty tree hashes to SHA-256 of the empty string, by every route', () => {
    expect(plain(tree.root(0))).toBe(CT_EMPTY_ROOT);
    expect(plain(rootOf(intl, emptyHead()))).toBe(CT_EMPTY_ROOT);
    expect(plain(rootOfLeaves(intl, []))).toBe(CT_EMPTY_ROOT);
    expect(plain(new MerkleTree(intl).root())).toBe(CT_EMPTY_ROOT);
  });

  it('behavior: roots for sizes 1..8 match the published values from the tree, the frontier and the one-pass stack', () => {
    let head: LogHead = emptyHead();
    for (let n = 1; n <= 8; n++) {
      head = appendLeaf(intl, head, leaves[n - 1]);
      expect(plain(tree.root(n)), `tree root ${n}`).toBe(CT_ROOTS[n - 1]);
      expect(plain(rootOf(intl, head)), `frontier root ${n}`).toBe(CT_ROOTS[n - 1]);
      expect(plain(rootOfLeaves(intl, leaves.slice(0, n))), `stack root ${n}`).toBe(CT_ROOTS[n - 1]);
      expect(plain(new MerkleTree(intl, leaves.slice(0, n)).root()), `tree of ${n}`).toBe(CT_ROOTS[n - 1]);
    }
  });

  it('behavior: the leaf hash of the empty entry is the published size-1 root (0x00 prefix)', () => {
    expect(plain(leafHash(intl, new Uint8Array()))).toBe(CT_ROOTS[0]);
    expect(plain(sha256(Uint8Array.of(0)))).toBe(CT_ROOTS[0]);
  });

  for (const v of CT_INCLUSION) {
    it(`behavior: inclusion proof of leaf ${v.index} in size ${v.size} is the published one and verifies`, () => {
      expect(hexes(tree.inclusionProof(v.index, v.size))).toEqual(v.proof);
      verifyInclusion(intl, leaves[v.index], v.index, v.size, v.proof.map(hx), hx(CT_ROOTS[v.size - 1]));
    });
  }

  for (const v of CT_CONSISTENCY) {
    it(`behavior: consistency proof ${v.size1} -> ${v.size2} is the published one and verifies`, () => {
      expect(hexes(tree.consistencyProof(v.size1, v.size2))).toEqual(v.proof);
      verifyConsistency(intl, v.size1, v.size2, hx(CT_ROOTS[v.size1 - 1]), hx(CT_ROOTS[v.size2 - 1]), v.proof.map(hx));
    });
  }

  it('error: the published proofs are refused after the corruptions the reference suites try', () => {
    const someHash = hx('abacaba000000000000000000000000000000000000000000060061e00123456');
    const empty = hx(CT_EMPTY_ROOT);
    for (const v of CT_INCLUSION.filter((x) => x.proof.length > 0)) {
      const proof = v.proof.map(hx);
      const root = hx(CT_ROOTS[v.size - 1]);
      const leaf = leaves[v.index];
      const bad: [string, () => void][] = [
        ['index - 1', () => verifyInclusion(intl, leaf, v.index - 1, v.size, proof, root)],
        ['index + 1', () => verifyInclusion(intl, leaf, v.index + 1, v.size, proof, root)],
        ['index ^ 2', () => verifyInclusion(intl, leaf, v.index ^ 2, v.size, proof, root)],
        ['size * 2', () => verifyInclusion(intl, leaf, v.index, v.size * 2, proof, root)],
        ['size / 2', () => verifyInclusion(intl, leaf, v.index, Math.floor(v.size / 2), proof, root)],
        ['wrong leaf', () => verifyInclusion(intl, leafHash(intl, utf8('WrongLeaf')), v.index, v.size, proof, root)],
        ['empty root', () => verifyInclusion(intl, leaf, v.index, v.size, proof, empty)],
        ['random root', () => verifyInclusion(intl, leaf, v.index, v.size, proof, someHash)],
        ['trailing root', () => verifyInclusion(intl, leaf, v.index, v.size, [...proof, root], root)],
        ['trailing garbage', () => verifyInclusion(intl, leaf, v.index, v.size, [...proof, new Uint8Array()], root)],
        ['preceding root', () => verifyInclusion(intl, leaf, v.index, v.size, [root, ...proof], root)],
        ['removed component', () => verifyInclusion(intl, leaf, v.index, v.size, proof.slice(0, -1), root)],
        ['inserted component', () => verifyInclusion(intl, leaf, v.index, v.size, [proof[0], someHash, ...proof.slice(1)], root)],
      ];
      for (const [what, call] of bad) expect(refusal(call).code, `${v.index}/${v.size}: ${what}`).toBe(AUDIT_ERR.INCLUSION);
    }
    for (const v of CT_CONSISTENCY.filter((x) => x.proof.length > 0)) {
      const proof = v.proof.map(hx);
      const r1 = hx(CT_ROOTS[v.size1 - 1]);
      const r2 = hx(CT_ROOTS[v.size2 - 1]);
      const bad: [string, () => void][] = [
        ['size1 - 1', () => verifyConsistency(intl, v.size1 - 1, v.size2, r1, r2, proof)],
        ['size1 + 1', () => verifyConsistency(intl, v.size1 + 1, v.size2, r1, r2, proof)],
        ['size1 ^ 2', () => verifyConsistency(intl, v.size1 ^ 2, v.size2, r1, r2, proof)],
        ['size2 * 2', () => verifyConsistency(intl, v.size1, v.size2 * 2, r1, r2, proof)],
        ['size2 / 2', () => verifyConsistency(intl, v.size1, Math.floor(v.size2 / 2), r1, r2, proof)],
        ['wrong root1', () => verifyConsistency(intl, v.size1, v.size2, someHash, r2, proof)],
        ['wrong root2', () => verifyConsistency(intl, v.size1, v.size2, r1, someHash, proof)],
        ['swapped roots', () => verifyConsistency(intl, v.size1, v.size2, r2, r1, proof)],
        ['empty proof', () => verifyConsistency(intl, v.size1, v.size2, r1, r2, [])],
        ['trailing root1', () => verifyConsistency(intl, v.size1, v.size2, r1, r2, [...proof, r1])],
        ['trailing root2', () => verifyConsistency(intl, v.size1, v.size2, r1, r2, [...proof, r2])],
        ['preceding root1', () => verifyConsistency(intl, v.size1, v.size2, r1, r2, [r1, ...proof])],
        ['preceding proof[0]', () => verifyConsistency(intl, v.size1, v.size2, r1, r2, [proof[0], ...proof])],
        ['truncated proof', () => verifyConsistency(intl, v.size1, v.size2, r1, r2, proof.slice(0, -1))],
        ...proof.map((_, i): [string, () => void] => [`proof[${i}] bit 4`, () => verifyConsistency(intl, v.size1, v.size2, r1, r2, proof.map((p, j) => (j === i ? Uint8Array.from(p, (b, k) => (k === 0 ? b ^ 16 : b)) : p)))]),
      ];
      for (const [what, call] of bad) expect(refusal(call).code, `${v.size1}->${v.size2}: ${what}`).toBe(AUDIT_ERR.CONSISTENCY);
    }
  });

  it('behavior: the edge cases of the reference verifier suites', () => {
    const r = hx(CT_ROOTS[0]);
    const other = hx(CT_ROOTS[1]);
    verifyConsistency(intl, 0, 0, r, r, []);
    verifyConsistency(intl, 0, 1, r, other, []);
    verifyConsistency(intl, 1, 1, other, other, []);
    expectRefused(() => verifyConsistency(intl, 0, 0, r, other, []), AUDIT_ERR.CONSISTENCY, 'root-mismatch');
    expectRefused(() => verifyConsistency(intl, 1, 1, r, other, []), AUDIT_ERR.CONSISTENCY, 'root-mismatch');
    expectRefused(() => verifyConsistency(intl, 1, 0, r, other, []), AUDIT_ERR.CONSISTENCY, 'size-order');
    expectRefused(() => verifyConsistency(intl, 2, 1, r, other, []), AUDIT_ERR.CONSISTENCY, 'size-order');
    expectRefused(() => verifyConsistency(intl, 1, 2, r, other, []), AUDIT_ERR.CONSISTENCY, 'empty-proof-for-different-sizes');
    for (const [s1, s2] of [[0, 0], [0, 1], [1, 1]]) expectRefused(() => verifyConsistency(intl, s1, s2, r, r, [r]), AUDIT_ERR.CONSISTENCY, 'proof-length');
    // A one-leaf tree: the leaf hash is the root and the proof is empty; other lengths are not hashes.
    verifyInclusion(intl, r, 0, 1, [], r);
    expectRefused(() => verifyInclusion(intl, new Uint8Array(), 0, 1, [], r), AUDIT_ERR.INCLUSION, 'hash-size');
    expectRefused(() => verifyInclusion(intl, r, 0, 1, [], new Uint8Array()), AUDIT_ERR.INCLUSION, 'hash-size');
    expectRefused(() => verifyInclusion(intl, new Uint8Array(), 0, 1, [], new Uint8Array()), AUDIT_ERR.INCLUSION, 'hash-size');
    for (const [index, size] of [[0, 0], [1, 0], [2, 1], [1, 1]]) expectRefused(() => verifyInclusion(intl, r, index, size, [], r), AUDIT_ERR.INCLUSION, 'index-beyond-size');
  });
});

describe('merkle log: every size 0..70 against the RFC definitions', () => {
  const MAX = 70;
  // One leaf past MAX, so every tree in the loop has a root of a bigger tree to be confused with.
  const leaves = Array.from({ length: MAX + 2 }, (_, i) => leafHash(intl, utf8(`audit event ${i}`)));
  const tree = new MerkleTree(intl, leaves.slice(0, MAX));
  const roots = Array.from({ length: MAX + 2 }, (_, n) => refMth(intl, leaves.slice(0, n)));
  const flip = (proof: Bytes[], i: number, byte: number): Bytes[] => proof.map((p, j) => (j === i ? Uint8Array.from(p, (b, k) => (k === byte ? b ^ 0x01 : b)) : p));

  it('behavior: frontier root, tree root and one-pass root equal the recursive MTH; the head round-trips its encoding', () => {
    let head: LogHead = emptyHead();
    for (let n = 0; n <= MAX; n++) {
      const want = plain(roots[n]);
      expect(plain(rootOf(intl, head)), `frontier ${n}`).toBe(want);
      expect(plain(tree.root(n)), `tree ${n}`).toBe(want);
      expect(plain(rootOfLeaves(intl, leaves.slice(0, n))), `stack ${n}`).toBe(want);
      expect(head.frontier.length).toBe(n.toString(2).split('1').length - 1);
      const again = decodeHead(encodeHead(head));
      expect(again.size).toBe(n);
      expect(hexes(again.frontier)).toEqual(hexes(head.frontier));
      head = appendLeaf(intl, head, leaves[n]);
    }
  });

  it('behavior: every inclusion proof is the RFC PATH and verifies; each tampering is refused with PNT_ERR_AUDIT_INCLUSION', () => {
    for (let n = 1; n <= MAX; n++) {
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i, n);
        const tag = `leaf ${i} of ${n}`;
        expect(hexes(proof), tag).toEqual(hexes(refPath(intl, i, leaves.slice(0, n))));
        verifyInclusion(intl, leaves[i], i, n, proof, roots[n]);

        const I = AUDIT_ERR.INCLUSION;
        for (let j = 0; j < proof.length; j++) expectRefused(() => verifyInclusion(intl, leaves[i], i, n, flip(proof, j, (i + j * 7) % 32), roots[n]), I, 'root-mismatch');
        if (proof.length > 0) {
          expectRefused(() => verifyInclusion(intl, leaves[i], i, n, proof.slice(1), roots[n]), I, 'proof-length');
          expectRefused(() => verifyInclusion(intl, leaves[i], i, n, proof.slice(0, -1), roots[n]), I, 'proof-length');
        }
        expectRefused(() => verifyInclusion(intl, leaves[i], i, n, [...proof, roots[n]], roots[n]), I, 'proof-length');
        expectRefused(() => verifyInclusion(intl, leaves[i], i, n, [leaves[i], ...proof], roots[n]), I, 'proof-length');
        // Another leaf at this index, or this leaf at another index.
        expectRefused(() => verifyInclusion(intl, leaves[MAX], i, n, proof, roots[n]), I, 'root-mismatch');
        for (const j of [i - 1, i + 1, i ^ 1, i ^ 2]) {
          if (j >= 0 && j < n && j !== i) expectRefused(() => verifyInclusion(intl, leaves[i], j, n, proof, roots[n]), I, ['root-mismatch', 'proof-length']);
        }
        expectRefused(() => verifyInclusion(intl, leaves[i], n, n, proof, roots[n]), I, 'index-beyond-size');
        expectRefused(() => verifyInclusion(intl, leaves[i], i + n, n, proof, roots[n]), I, 'index-beyond-size');
        // The root of another tree, and this proof claimed for other sizes.
        expectRefused(() => verifyInclusion(intl, leaves[i], i, n, proof, roots[n + 1]), I, 'root-mismatch');
        expectRefused(() => verifyInclusion(intl, leaves[i], i, n, proof, roots[n - 1]), I, 'root-mismatch');
        // (Size n + 1 is not here: an authentic root of size n can pass for it when both paths have one shape.)
        expectRefused(() => verifyInclusion(intl, leaves[i], i, n * 2, proof, roots[n]), I);
        expectRefused(() => verifyInclusion(intl, leaves[i], i, Math.floor(n / 2), proof, roots[n]), I);
      }
    }
  });

  it('behavior: every consistency proof is the RFC PROOF and verifies; each tampering is refused with PNT_ERR_AUDIT_CONSISTENCY', () => {
    const C = AUDIT_ERR.CONSISTENCY;
    for (let n = 0; n <= MAX; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = tree.consistencyProof(m, n);
        const tag = `${m} -> ${n}`;
        const want = m === 0 || m === n ? [] : refSubproof(intl, m, leaves.slice(0, n), true);
        expect(hexes(proof), tag).toEqual(hexes(want));
        verifyConsistency(intl, m, n, roots[m], roots[n], proof);

        if (m === n) {
          expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n + 1], proof), C, 'root-mismatch');
          expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], [roots[n]]), C, 'proof-length');
          continue;
        }
        // Swapped sizes: the log would have shrunk.
        expectRefused(() => verifyConsistency(intl, n, m, roots[n], roots[m], proof), C, 'size-order');
        if (m === 0) {
          // The empty tree is a prefix of every tree, but only with an empty proof.
          verifyConsistency(intl, 0, n, roots[MAX], roots[n], []);
          expectRefused(() => verifyConsistency(intl, 0, n, roots[0], roots[n], [roots[n]]), C, 'proof-length');
          continue;
        }
        for (let j = 0; j < proof.length; j++) expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], flip(proof, j, (m + n + j * 5) % 32)), C, ['root-mismatch', 'first-root-mismatch']);
        expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], proof.slice(0, -1)), C, proof.length === 1 ? 'empty-proof-for-different-sizes' : 'proof-length');
        expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], proof.slice(1)), C, proof.length === 1 ? 'empty-proof-for-different-sizes' : 'proof-length');
        expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], [...proof, roots[n]]), C, 'proof-length');
        expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], [roots[m], ...proof]), C, 'proof-length');
        expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], []), C, 'empty-proof-for-different-sizes');
        // Roots of other trees on either side.
        expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n + 1], proof), C, 'root-mismatch');
        expectRefused(() => verifyConsistency(intl, m, n, roots[m - 1], roots[n], proof), C, ['first-root-mismatch', 'root-mismatch']);
        expectRefused(() => verifyConsistency(intl, m, n, roots[n], roots[m], proof), C, ['first-root-mismatch', 'root-mismatch']);
        // This proof claimed for neighbouring sizes.
        expectRefused(() => verifyConsistency(intl, m - 1, n, roots[m], roots[n], proof), C);
        expectRefused(() => verifyConsistency(intl, m + 1, n, roots[m], roots[n], proof), C);
        expectRefused(() => verifyConsistency(intl, m ^ 2, n, roots[m], roots[n], proof), C);
        expectRefused(() => verifyConsistency(intl, m, n * 2, roots[m], roots[n], proof), C);
        expectRefused(() => verifyConsistency(intl, m, Math.floor(n / 2), roots[m], roots[n], proof), C);
      }
    }
  });

  it('error: a single flipped byte anywhere in any element of a proof is refused', () => {
    const n = 70;
    for (const i of [0, 37, 63, 64, 69]) {
      const proof = tree.inclusionProof(i, n);
      for (let j = 0; j < proof.length; j++) {
        for (let byte = 0; byte < 32; byte++) expectRefused(() => verifyInclusion(intl, leaves[i], i, n, flip(proof, j, byte), roots[n]), AUDIT_ERR.INCLUSION, 'root-mismatch');
      }
    }
    for (const m of [1, 5, 32, 33, 64, 69]) {
      const proof = tree.consistencyProof(m, n);
      for (let j = 0; j < proof.length; j++) {
        for (let byte = 0; byte < 32; byte++) expectRefused(() => verifyConsistency(intl, m, n, roots[m], roots[n], flip(proof, j, byte)), AUDIT_ERR.CONSISTENCY);
      }
    }
  });

  it('error: malformed arguments are refused before any hashing', () => {
    const r = roots[5];
    expectRefused(() => verifyInclusion(intl, leaves[0], -1, 5, [], r), AUDIT_ERR.INCLUSION, 'bad-argument');
    expectRefused(() => verifyInclusion(intl, leaves[0], 0.5, 5, [], r), AUDIT_ERR.INCLUSION, 'bad-argument');
    expectRefused(() => verifyInclusion(intl, leaves[0], 0, 5, [new Uint8Array(31), r, r], r), AUDIT_ERR.INCLUSION, 'proof-element-size');
    expectRefused(() => verifyConsistency(intl, 2, Number.NaN, r, r, []), AUDIT_ERR.CONSISTENCY, 'bad-argument');
    expectRefused(() => verifyConsistency(intl, 2, 5, r, new Uint8Array(33), [r]), AUDIT_ERR.CONSISTENCY, 'hash-size');
    expectRefused(() => verifyConsistency(intl, 2, 5, r, r, [new Uint8Array(0), r]), AUDIT_ERR.CONSISTENCY, 'proof-element-size');
    expect(hasCode(refusal(() => verifyConsistency(intl, 3, 2, r, r, [])), 'PNT_ERR_AUDIT_CONSISTENCY')).toBe(true);
  });

  it('error: the tree refuses roots and proofs beyond what it holds, and leaf hashes of the wrong size', () => {
    expectRefused(() => tree.root(MAX + 1), AUDIT_ERR.RANGE);
    expectRefused(() => tree.inclusionProof(MAX, MAX), AUDIT_ERR.RANGE);
    expectRefused(() => tree.inclusionProof(0, 0), AUDIT_ERR.RANGE);
    expectRefused(() => tree.inclusionProof(0, MAX + 1), AUDIT_ERR.RANGE);
    expectRefused(() => tree.consistencyProof(5, 4), AUDIT_ERR.RANGE);
    expectRefused(() => tree.consistencyProof(5, MAX + 1), AUDIT_ERR.RANGE);
    expectRefused(() => tree.append(new Uint8Array(31)), AUDIT_ERR.HASH_SIZE);
    expectRefused(() => appendLeaf(intl, emptyHead(), new Uint8Array(33)), AUDIT_ERR.HASH_SIZE);
    expectRefused(() => rootOfLeaves(intl, [leaves[0], new Uint8Array(1)]), AUDIT_ERR.HASH_SIZE);
    expect(tree.size).toBe(MAX);
  });

  it('behavior: proofs and roots are copies, and appendLeaf leaves its input head alone', () => {
    const proof = tree.inclusionProof(3, 10);
    proof[0].fill(0);
    expect(hexes(tree.inclusionProof(3, 10))).toEqual(hexes(refPath(intl, 3, leaves.slice(0, 10))));
    tree.root(8).fill(0);
    expect(plain(tree.root(8))).toBe(plain(roots[8]));
    let head: LogHead = emptyHead();
    for (let i = 0; i < 7; i++) head = appendLeaf(intl, head, leaves[i]);
    const before = encodeHead(head);
    appendLeaf(intl, head, leaves[7]);
    expect(toHex(encodeHead(head))).toBe(toHex(before));
  });

  it('behavior: a tree built leaf by leaf serves the same proofs as one built at once', () => {
    const grown = new MerkleTree(intl);
    for (let n = 1; n <= 40; n++) {
      grown.append(leaves[n - 1]);
      expect(plain(grown.root())).toBe(plain(roots[n]));
      for (const m of [0, 1, n >> 1, n - 1, n]) expect(hexes(grown.consistencyProof(m))).toEqual(hexes(tree.consistencyProof(m, n)));
      expect(hexes(grown.inclusionProof(n - 1))).toEqual(hexes(tree.inclusionProof(n - 1, n)));
    }
  });
});

describe('merkle log: sm profile', () => {
  it('behavior: the sm hash is SM3 (GB/T 32905-2016 appendix A examples) and intl is the project sha256', () => {
    expect(plain(sm(utf8('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    expect(plain(sm(utf8('abcd'.repeat(16))))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
    // Split parts, and inputs too large for the one-shot scratch buffer, hash the same as one stream.
    const big = new Uint8Array(5000).map((_, i) => i * 31);
    expect(plain(sm(big.subarray(0, 10), big.subarray(10)))).toBe(createHash('sm3').update(big).digest('hex'));
    expect(plain(intl(big.subarray(0, 10), big.subarray(10)))).toBe(plain(sha256(big)));
    expect(plain(intl(utf8('a'), utf8('bc')))).toBe(plain(sha256(utf8('abc'))));
    expect(intl(utf8('x'))).not.toBeInstanceOf(Buffer);
    expectRefused(() => logHashOf('md5' as never), AUDIT_ERR.PROFILE);
  });

  it('behavior: sm roots differ from intl roots; sm proofs verify under SM3 and fail under SHA-256', () => {
    const smLeaves = CT_INPUTS.map((e) => leafHash(sm, e));
    const smTree = new MerkleTree(sm, smLeaves);
    expect(plain(smTree.root(0))).not.toBe(CT_EMPTY_ROOT);
    let head: LogHead = emptyHead();
    for (let n = 1; n <= 8; n++) {
      head = appendLeaf(sm, head, smLeaves[n - 1]);
      expect(plain(smTree.root(n))).not.toBe(CT_ROOTS[n - 1]);
      expect(plain(rootOf(sm, head))).toBe(plain(refMth(sm, smLeaves.slice(0, n))));
      expect(plain(rootOfLeaves(sm, smLeaves.slice(0, n)))).toBe(plain(smTree.root(n)));
    }
    for (let n = 1; n <= 8; n++) {
      for (let i = 0; i < n; i++) {
        const proof = smTree.inclusionProof(i, n);
        verifyInclusion(sm, smLeaves[i], i, n, proof, smTree.root(n));
        if (n > 1) expectRefused(() => verifyInclusion(intl, smLeaves[i], i, n, proof, smTree.root(n)), AUDIT_ERR.INCLUSION, 'root-mismatch');
      }
      for (let m = 1; m < n; m++) {
        const proof = smTree.consistencyProof(m, n);
        verifyConsistency(sm, m, n, smTree.root(m), smTree.root(n), proof);
        expectRefused(() => verifyConsistency(intl, m, n, smTree.root(m), smTree.root(n), proof), AUDIT_ERR.CONSISTENCY, ['root-mismatch', 'first-root-mismatch']);
      }
    }
    // And the published SHA-256 proofs do not verify under SM3.
    const v = CT_INCLUSION[1];
    expectRefused(() => verifyInclusion(sm, leafHash(intl, CT_INPUTS[v.index]), v.index, v.size, v.proof.map(hx), hx(CT_ROOTS[v.size - 1])), AUDIT_ERR.INCLUSION, 'root-mismatch');
  });
});

describe('merkle log: head encoding', () => {
  const leaves = Array.from({ length: 13 }, (_, i) => leafHash(intl, Uint8Array.of(i)));
  let head13: LogHead = emptyHead();
  for (const l of leaves) head13 = appendLeaf(intl, head13, l);

  it('behavior: a head round-trips: 8-byte big-endian size, then popcount(size) hashes largest subtree first', () => {
    const b = encodeHead(head13);
    expect(b.length).toBe(8 + 3 * 32);
    expect(toHex(b.subarray(0, 8))).toBe('0x000000000000000d');
    const back = decodeHead(b);
    expect(back.size).toBe(13);
    expect(hexes(back.frontier)).toEqual(hexes(head13.frontier));
    expect(plain(rootOf(intl, back))).toBe(plain(rootOfLeaves(intl, leaves)));
    // The largest subtree first: the first frontier entry is the root of leaves 0..7.
    expect(plain(back.frontier[0])).toBe(plain(rootOfLeaves(intl, leaves.slice(0, 8))));
    expect(toHex(encodeHead(emptyHead()))).toBe('0x0000000000000000');
    expect(decodeHead(new Uint8Array(8))).toEqual({ size: 0, frontier: [] });
    // A size near 2^53 still decodes exactly.
    const big = new Uint8Array(8 + 53 * 32);
    big.set([0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(decodeHead(big).size).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('error: malformed heads are refused with PNT_ERR_AUDIT_HEAD_MALFORMED', () => {
    const b = encodeHead(head13);
    const M = AUDIT_ERR.HEAD_MALFORMED;
    const bad: [string, Bytes][] = [
      ['empty', new Uint8Array()],
      ['short size', b.subarray(0, 7)],
      ['missing a frontier hash', b.subarray(0, b.length - 32)],
      ['truncated hash', b.subarray(0, b.length - 1)],
      ['trailing byte', Uint8Array.from([...b, 0])],
      ['extra hash', Uint8Array.from([...b, ...new Uint8Array(32)])],
      ['size 0 with a hash', new Uint8Array(8 + 32)],
      ['size beyond 2^53', Uint8Array.from([0x00, 0x20, 0, 0, 0, 0, 0, 0, ...new Uint8Array(32)])],
      ['size with the top bit set', Uint8Array.from([0x80, 0, 0, 0, 0, 0, 0, 1, ...new Uint8Array(64)])],
    ];
    for (const [what, bytes] of bad) expect(refusal(() => decodeHead(bytes)).code, what).toBe(M);
    // The same rules on heads handed to the functions, not only on decoded bytes.
    const wrongCount: LogHead = { size: 13, frontier: head13.frontier.slice(0, 2) };
    expectRefused(() => encodeHead(wrongCount), M);
    expectRefused(() => rootOf(intl, wrongCount), M);
    expectRefused(() => appendLeaf(intl, wrongCount, leaves[0]), M);
    expectRefused(() => rootOf(intl, { size: 1, frontier: [new Uint8Array(31)] }), M);
    expectRefused(() => rootOf(intl, { size: -1, frontier: [] }), M);
    expectRefused(() => rootOf(intl, { size: 1.5, frontier: [] }), M);
  });
});

describe('merkle log: large logs (speed is bench:sharing\'s)', () => {
  const fakeLeaves = (n: number): Bytes[] =>
    Array.from({ length: n }, (_, i) => {
      const b = new Uint8Array(32);
      new DataView(b.buffer).setUint32(0, i);
      b[31] = 0xa5;
      return b;
    });

  it('behavior: rootOfLeaves over 50k leaves agrees with the frontier appended leaf by leaf', () => {
    const leaves = fakeLeaves(50_000);
    for (const h of [intl, sm]) {
      let head: LogHead = emptyHead();
      for (const l of leaves) head = appendLeaf(h, head, l);
      expect(plain(rootOf(h, head))).toBe(plain(rootOfLeaves(h, leaves)));
    }
  });

  it('behavior: a tree of 2^17 + 1234 leaves serves roots and proofs that verify across the 2^17 boundary', () => {
    const n = 2 ** 17 + 1234;
    const leaves = fakeLeaves(n);
    const tree = new MerkleTree(intl, leaves);
    const root = tree.root();
    expect(plain(root)).toBe(plain(rootOfLeaves(intl, leaves)));
    for (const i of [0, 1, 2 ** 17 - 1, 2 ** 17, n - 1]) verifyInclusion(intl, leaves[i], i, n, tree.inclusionProof(i, n), root);
    for (const m of [1, 3, 2 ** 16, 2 ** 17, 2 ** 17 + 1, n - 1]) verifyConsistency(intl, m, n, tree.root(m), root, tree.consistencyProof(m, n));
    for (let k = 0; k < 200; k++) {
      const size = n - ((k * 104_729) % 50_000);
      const m = 1 + ((k * 15_485_863) % (size - 1));
      const i = (k * 7919) % size;
      verifyInclusion(intl, leaves[i], i, size, tree.inclusionProof(i, size), tree.root(size));
      verifyConsistency(intl, m, size, tree.root(m), tree.root(size), tree.consistencyProof(m, size));
    }
  });
});
