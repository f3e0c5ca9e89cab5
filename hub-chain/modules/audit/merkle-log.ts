/**
 * The append-only Merkle log behind the audit trail, built from the definitions of Certificate
 * Transparency (RFC 9162 §2.1): leaf and node hashing with 0x00/0x01 domain separation, the
 * O(log n) frontier head that chain state keeps (append, root, canonical encoding), a full tree
 * over all leaf hashes that the RPC side uses to serve inclusion (PATH) and consistency
 * (SUBPROOF) proofs, the two verifiers of §2.1.3.2 and §2.1.4.2 that throw AuditError with a
 * stable code and a `details.reason`, and the one-pass stack recomputation of §2.1.2 for a
 * supervisor holding every event. Pure library: no state, no I/O. The hash is pluggable so the
 * `intl` profile (SHA-256, byte-for-byte the CT test vectors) and the `sm` profile (SM3) share
 * every algorithm.
 */
import type { DataProfile } from '../../crypto/sealed.ts';
import { createHash, hash as oneShotHash } from 'node:crypto';
import { type Bytes, equalBytes, uintBE } from '../../crypto/bytes.ts';
import { PontisError, errorTable } from '../../errors.ts';

// ---- errors ----

export const AUDIT_ERR = {
  /** A stored or supplied log head that is not canonical: bad length, size, or frontier count != popcount(size). */
  HEAD_MALFORMED: 'PNT_ERR_AUDIT_HEAD_MALFORMED',
  /** An inclusion proof that does not prove the leaf; `details.reason` says why (index-beyond-size, proof-length, root-mismatch, ...). */
  INCLUSION: 'PNT_ERR_AUDIT_INCLUSION',
  /** A consistency proof that does not prove append-only growth; `details.reason` says why (size-order, proof-length, root-mismatch, first-root-mismatch, ...). */
  CONSISTENCY: 'PNT_ERR_AUDIT_CONSISTENCY',
  /** A root or proof asked of a MerkleTree for sizes or indexes it does not hold. */
  RANGE: 'PNT_ERR_AUDIT_RANGE',
  /** A leaf hash whose length is not the log hash's output length. */
  HASH_SIZE: 'PNT_ERR_AUDIT_HASH_SIZE',
  /** A hash profile other than 'intl' or 'sm'. */
  PROFILE: 'PNT_ERR_AUDIT_PROFILE',
} as const;

/** Catalog entries for hub-chain/error-catalog.ts: all permanent, HTTP 400. */
export const AUDIT_ERRORS = errorTable(AUDIT_ERR);

export class AuditError extends PontisError {
  override name = 'AuditError';
}

// ---- hashing ----

export type LogHash = (...parts: Bytes[]) => Bytes;
export type LogProfile = DataProfile;

/** The output length of every log hash shipped here; also the frontier element size in encoded heads. */
export const LOG_HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/**
 * A LogHash over node:crypto. Small inputs (every node hash, most leaves) are copied into one
 * scratch buffer and hashed in one shot, and the digest comes back as a latin1 ('binary') string
 * decoded here: node's Buffer output costs about 1.2 µs a call, four times the hash of 65 bytes.
 */
function nodeCryptoHash(algorithm: string): LogHash {
  const scratch = new Uint8Array(512);
  return (...parts: Bytes[]): Bytes => {
    let length = 0;
    for (let i = 0; i < parts.length; i++) length += parts[i].length;
    let digest: string;
    if (length <= scratch.length) {
      let o = 0;
      for (let i = 0; i < parts.length; i++) {
        scratch.set(parts[i], o);
        o += parts[i].length;
      }
      digest = oneShotHash(algorithm, scratch.subarray(0, length), 'binary');
    } else {
      const hasher = createHash(algorithm);
      for (const p of parts) hasher.update(p);
      digest = hasher.digest('binary');
    }
    // 'binary' is latin1: each byte is one char code 0..255, so this is exact.
    const out = new Uint8Array(digest.length);
    for (let i = 0; i < digest.length; i++) out[i] = digest.charCodeAt(i);
    return out;
  };
}

/** SHA-256; the same bytes as crypto/hash.ts `sha256`, faster for the many small node hashes. */
export const sha256LogHash: LogHash = nodeCryptoHash('sha256');
/** SM3 (GB/T 32905) through node:crypto's OpenSSL. */
export const sm3LogHash: LogHash = nodeCryptoHash('sm3');

export function logHashOf(profile: LogProfile): LogHash {
  if (profile === 'intl') return sha256LogHash;
  if (profile === 'sm') return sm3LogHash;
  throw new AuditError(AUDIT_ERR.PROFILE, `unknown audit hash profile ${String(profile)}`, { details: { profile } });
}

const hashSizes = new WeakMap<LogHash, number>();

/** The output length of `h`, measured once per function. */
export function hashSizeOf(h: LogHash): number {
  let n = hashSizes.get(h);
  if (n === undefined) {
    n = h().length;
    hashSizes.set(h, n);
  }
  return n;
}

/** MTH({d}) = HASH(0x00 || d). */
export function leafHash(h: LogHash, entry: Bytes): Bytes {
  return h(LEAF_PREFIX, entry);
}

/** HASH(0x01 || left || right). */
export function nodeHash(h: LogHash, left: Bytes, right: Bytes): Bytes {
  return h(NODE_PREFIX, left, right);
}

/** MTH({}) = HASH() of the empty string. */
export function emptyRoot(h: LogHash): Bytes {
  return h();
}

// ---- integer helpers (exact up to 2^53, so no 32-bit bitwise operators) ----

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

function popcount(n: number): number {
  let c = 0;
  for (let v = n; v > 0; v = half(v)) c += v % 2;
  return c;
}

/** The largest power of two strictly smaller than n (n > 1): the split point k of RFC 9162 §2.1.1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && popcount(n) === 1;
}

function checkLeafHash(leaf: Bytes, size: number): void {
  if (!(leaf instanceof Uint8Array) || leaf.length !== size) {
    throw new AuditError(AUDIT_ERR.HASH_SIZE, `a leaf hash must be ${size} bytes`, { details: { got: leaf instanceof Uint8Array ? leaf.length : typeof leaf, want: size } });
  }
}

// ---- the frontier head kept in chain state ----

/**
 * A log of `size` leaves as the roots of its perfect subtrees along the right edge, largest
 * (leftmost) first: one per set bit of `size`, so popcount(size) hashes.
 */
export interface LogHead {
  size: number;
  frontier: Bytes[];
}

export function emptyHead(): LogHead {
  return { size: 0, frontier: [] };
}

function headMalformed(message: string, details: Record<string, unknown>): AuditError {
  return new AuditError(AUDIT_ERR.HEAD_MALFORMED, message, { details });
}

function checkHead(head: LogHead, hashSize: number): void {
  if (!isCount(head?.size)) throw headMalformed('log head size must be a non-negative safe integer', { size: head?.size });
  if (!Array.isArray(head.frontier) || head.frontier.length !== popcount(head.size)) {
    throw headMalformed('log head frontier must hold popcount(size) hashes', { size: head.size, frontier: Array.isArray(head.frontier) ? head.frontier.length : typeof head.frontier, want: popcount(head.size) });
  }
  for (const [i, f] of head.frontier.entries()) {
    if (!(f instanceof Uint8Array) || f.length !== hashSize) throw headMalformed(`log head frontier hashes must be ${hashSize} bytes`, { index: i, got: f instanceof Uint8Array ? f.length : typeof f });
  }
}

/** The head after appending one leaf hash: O(log n) node hashes, the input is left untouched. */
export function appendLeaf(h: LogHash, head: LogHead, leaf: Bytes): LogHead {
  const hashSize = hashSizeOf(h);
  checkHead(head, hashSize);
  checkLeafHash(leaf, hashSize);
  if (head.size >= Number.MAX_SAFE_INTEGER) throw new AuditError(AUDIT_ERR.RANGE, 'log is full', { details: { size: head.size } });
  const frontier = head.frontier.slice();
  // Each trailing 1 bit of the old size is a perfect subtree the new leaf now completes.
  let right: Bytes = new Uint8Array(leaf);
  for (let s = head.size; isOdd(s); s = half(s)) right = nodeHash(h, frontier.pop()!, right);
  frontier.push(right);
  return { size: head.size + 1, frontier };
}

/** MTH of the whole log: the frontier folded from the right, which is the RFC's recursive split. */
export function rootOf(h: LogHash, head: LogHead): Bytes {
  checkHead(head, hashSizeOf(h));
  const f = head.frontier;
  if (f.length === 0) return emptyRoot(h);
  let r = f[f.length - 1];
  for (let i = f.length - 2; i >= 0; i--) r = nodeHash(h, f[i], r);
  return new Uint8Array(r);
}

/** Canonical state bytes: size as 8-byte big-endian, then the frontier hashes, largest subtree first. */
export function encodeHead(head: LogHead, hashSize = LOG_HASH_SIZE): Bytes {
  checkHead(head, hashSize);
  const out = new Uint8Array(8 + head.frontier.length * hashSize);
  out.set(uintBE(head.size, 8), 0);
  head.frontier.forEach((f, i) => out.set(f, 8 + i * hashSize));
  return out;
}

/** The inverse of encodeHead; anything but exactly its output for some head is refused. */
export function decodeHead(b: Bytes, hashSize = LOG_HASH_SIZE): LogHead {
  if (!(b instanceof Uint8Array) || b.length < 8) throw headMalformed('log head shorter than its 8-byte size', { got: b instanceof Uint8Array ? b.length : typeof b });
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  // Sizes above 2^53 - 1 cannot be counted exactly in a JS number.
  if (hi > 0x1fffff) throw headMalformed('log head size beyond 2^53 - 1', { hi, lo });
  const size = hi * 2 ** 32 + lo;
  const count = popcount(size);
  if (b.length !== 8 + count * hashSize) throw headMalformed('log head length does not match popcount(size) hashes', { size, got: b.length, want: 8 + count * hashSize });
  const frontier: Bytes[] = [];
  for (let i = 0; i < count; i++) frontier.push(b.slice(8 + i * hashSize, 8 + (i + 1) * hashSize));
  return { size, frontier };
}

// ---- one-pass recomputation (RFC 9162 §2.1.2) ----

/** MTH over all leaf hashes with the §2.1.2 stack: n - 1 node hashes, log2(n) stack depth, no recursion. */
export function rootOfLeaves(h: LogHash, leafHashes: readonly Bytes[]): Bytes {
  const hashSize = hashSizeOf(h);
  if (leafHashes.length === 0) return emptyRoot(h);
  const stack: Bytes[] = [];
  for (let i = 0; i < leafHashes.length; i++) {
    const leaf = leafHashes[i];
    checkLeafHash(leaf, hashSize);
    stack.push(leaf);
    // Merge once per trailing 1 bit of i: each closes a perfect subtree.
    for (let j = i; j % 2 === 1; j = half(j)) {
      const right = stack.pop()!;
      stack.push(nodeHash(h, stack.pop()!, right));
    }
  }
  while (stack.length > 1) {
    const right = stack.pop()!;
    stack.push(nodeHash(h, stack.pop()!, right));
  }
  return new Uint8Array(stack[0]);
}

// ---- the full tree, for serving proofs ----

/** A growable array of fixed-width hashes in one buffer: 10^6 leaves cost 32 MB, not 10^6 objects. */
class HashColumn {
  #buf: Uint8Array;
  #count = 0;
  constructor(readonly width: number) {
    this.#buf = new Uint8Array(width * 16);
  }
  get count(): number {
    return this.#count;
  }
  push(x: Bytes): void {
    const end = (this.#count + 1) * this.width;
    if (end > this.#buf.length) {
      const grown = new Uint8Array(this.#buf.length * 2);
      grown.set(this.#buf);
      this.#buf = grown;
    }
    this.#buf.set(x, this.#count * this.width);
    this.#count++;
  }
  /** A view, valid until the next push; callers copy before handing it out. */
  at(i: number): Bytes {
    return this.#buf.subarray(i * this.width, (i + 1) * this.width);
  }
}

/**
 * Every leaf hash of a log plus the hash of every complete perfect subtree: level l holds the
 * floor(size / 2^l) aligned subtrees of 2^l leaves. Any MTH(D[a:b]) the proofs need is then a
 * fold of at most log2(n) stored nodes, so root(n) and each proof cost O(log n) hashes; appending
 * costs amortised one node hash.
 */
export class MerkleTree {
  readonly #h: LogHash;
  readonly #width: number;
  readonly #levels: HashColumn[];

  constructor(h: LogHash, leafHashes: readonly Bytes[] = []) {
    this.#h = h;
    this.#width = hashSizeOf(h);
    this.#levels = [new HashColumn(this.#width)];
    for (const leaf of leafHashes) this.append(leaf);
  }

  get size(): number {
    return this.#levels[0].count;
  }

  append(leaf: Bytes): void {
    checkLeafHash(leaf, this.#width);
    this.#levels[0].push(leaf);
    // An even count at a level means its last two nodes just became a complete pair.
    for (let l = 0; this.#levels[l].count % 2 === 0; l++) {
      const level = this.#levels[l];
      const node = nodeHash(this.#h, level.at(level.count - 2), level.at(level.count - 1));
      if (this.#levels.length === l + 1) this.#levels.push(new HashColumn(this.#width));
      this.#levels[l + 1].push(node);
    }
  }

  /** MTH of the first n leaves (RFC 9162 §2.1.1). */
  root(n: number = this.size): Bytes {
    this.#checkRange(n, 'root');
    return new Uint8Array(this.#mth(0, n));
  }

  /** PATH(index, D[0:n]) of RFC 9162 §2.1.3.1, the leaf's sibling first. */
  inclusionProof(index: number, n: number = this.size): Bytes[] {
    this.#checkRange(n, 'inclusion proof');
    if (!isCount(index) || index >= n) throw new AuditError(AUDIT_ERR.RANGE, `no leaf ${index} in a tree of ${n}`, { details: { index, n } });
    const out: Bytes[] = [];
    this.#path(index, 0, n, out);
    return out.map((x) => new Uint8Array(x));
  }

  /** PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1; empty when m is 0 or n, which the verifier expects. */
  consistencyProof(m: number, n: number = this.size): Bytes[] {
    this.#checkRange(n, 'consistency proof');
    if (!isCount(m) || m > n) throw new AuditError(AUDIT_ERR.RANGE, `no consistency proof from ${m} to ${n}`, { details: { m, n } });
    if (m === 0 || m === n) return [];
    const out: Bytes[] = [];
    this.#subproof(m, 0, n, true, out);
    return out.map((x) => new Uint8Array(x));
  }

  #checkRange(n: number, what: string): void {
    if (!isCount(n) || n > this.size) throw new AuditError(AUDIT_ERR.RANGE, `${what} for size ${n} of a tree of ${this.size}`, { details: { n, size: this.size } });
  }

  /**
   * MTH(D[a:b]) for a range of the RFC's recursion: there `a` is always a multiple of a power of
   * two >= b - a, so the range splits into stored aligned perfect subtrees, largest first.
   */
  #mth(a: number, b: number): Bytes {
    if (a === b) return emptyRoot(this.#h);
    const parts: Bytes[] = [];
    let offset = a;
    let rest = b - a;
    for (let l = this.#levels.length - 1; l >= 0; l--) {
      const w = 2 ** l;
      if (rest >= w) {
        parts.push(this.#levels[l].at(offset / w));
        offset += w;
        rest -= w;
      }
    }
    let r = parts[parts.length - 1];
    for (let i = parts.length - 2; i >= 0; i--) r = nodeHash(this.#h, parts[i], r);
    return r;
  }

  /** PATH(m, D[a:b]) with m relative to a. */
  #path(m: number, a: number, b: number, out: Bytes[]): void {
    if (b - a === 1) return;
    const k = splitPoint(b - a);
    if (m < k) {
      this.#path(m, a, a + k, out);
      out.push(this.#mth(a + k, b));
    } else {
      this.#path(m - k, a + k, b, out);
      out.push(this.#mth(a, a + k));
    }
  }

  /** SUBPROOF(m, D[a:b], known) with m relative to a. */
  #subproof(m: number, a: number, b: number, known: boolean, out: Bytes[]): void {
    if (m === b - a) {
      if (!known) out.push(this.#mth(a, b));
      return;
    }
    const k = splitPoint(b - a);
    if (m <= k) {
      this.#subproof(m, a, a + k, known, out);
      out.push(this.#mth(a + k, b));
    } else {
      this.#subproof(m - k, a + k, b, false, out);
      out.push(this.#mth(a, a + k));
    }
  }
}

// ---- verifiers ----

function checkProofElements(proof: readonly Bytes[], hashSize: number, fail: (reason: string, message: string, extra?: Record<string, unknown>) => AuditError): void {
  if (!Array.isArray(proof)) throw fail('bad-argument', 'proof must be an array of hashes');
  for (const [i, p] of proof.entries()) {
    if (!(p instanceof Uint8Array) || p.length !== hashSize) throw fail('proof-element-size', `proof element ${i} is not a ${hashSize}-byte hash`, { element: i });
  }
}

/**
 * RFC 9162 §2.1.3.2: `leafHash` is leaf `index` of the tree of `treeSize` leaves whose root is
 * `root`. Throws AuditError PNT_ERR_AUDIT_INCLUSION with details.reason: bad-argument,
 * index-beyond-size, hash-size, proof-element-size, proof-length (too long or too short for
 * this index and size), root-mismatch.
 */
export function verifyInclusion(h: LogHash, leaf: Bytes, index: number, treeSize: number, proof: readonly Bytes[], root: Bytes): void {
  const fail = (reason: string, message: string, extra: Record<string, unknown> = {}): AuditError =>
    new AuditError(AUDIT_ERR.INCLUSION, message, { details: { reason, index, treeSize, proofLength: Array.isArray(proof) ? proof.length : undefined, ...extra } });
  if (!isCount(index) || !isCount(treeSize)) throw fail('bad-argument', 'index and tree size must be non-negative safe integers');
  if (index >= treeSize) throw fail('index-beyond-size', `leaf index ${index} is not below tree size ${treeSize}`);
  const hashSize = hashSizeOf(h);
  if (!(leaf instanceof Uint8Array) || leaf.length !== hashSize || !(root instanceof Uint8Array) || root.length !== hashSize) {
    throw fail('hash-size', `leaf hash and root must be ${hashSize} bytes`);
  }
  checkProofElements(proof, hashSize, fail);

  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw fail('proof-length', 'proof is longer than the path from this leaf to the root');
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(h, p, r);
      // A last node without a right sibling is carried up unchanged until it is a right child.
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(h, r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw fail('proof-length', 'proof is shorter than the path from this leaf to the root');
  if (!equalBytes(r, root)) throw fail('root-mismatch', 'the proof leads to a different root');
}

/**
 * RFC 9162 §2.1.4.2: the tree of `size2` leaves with root `root2` extends the tree of `size1`
 * leaves with root `root1`. Equal sizes need an empty proof and equal roots; size1 = 0 is
 * consistent with any tree (empty proof). Throws AuditError PNT_ERR_AUDIT_CONSISTENCY with
 * details.reason: bad-argument, size-order, hash-size, proof-element-size, proof-length,
 * empty-proof-for-different-sizes, first-root-mismatch, root-mismatch.
 */
export function verifyConsistency(h: LogHash, size1: number, size2: number, root1: Bytes, root2: Bytes, proof: readonly Bytes[]): void {
  const fail = (reason: string, message: string, extra: Record<string, unknown> = {}): AuditError =>
    new AuditError(AUDIT_ERR.CONSISTENCY, message, { details: { reason, size1, size2, proofLength: Array.isArray(proof) ? proof.length : undefined, ...extra } });
  if (!isCount(size1) || !isCount(size2)) throw fail('bad-argument', 'tree sizes must be non-negative safe integers');
  if (size1 > size2) throw fail('size-order', `first size ${size1} is above second size ${size2}`);
  const hashSize = hashSizeOf(h);
  if (!(root1 instanceof Uint8Array) || root1.length !== hashSize || !(root2 instanceof Uint8Array) || root2.length !== hashSize) {
    throw fail('hash-size', `roots must be ${hashSize} bytes`);
  }
  checkProofElements(proof, hashSize, fail);

  if (size1 === size2) {
    if (proof.length !== 0) throw fail('proof-length', 'trees of equal size need an empty proof');
    if (!equalBytes(root1, root2)) throw fail('root-mismatch', 'trees of equal size have different roots');
    return;
  }
  if (size1 === 0) {
    if (proof.length !== 0) throw fail('proof-length', 'the empty tree needs an empty proof');
    return;
  }
  if (proof.length === 0) throw fail('empty-proof-for-different-sizes', 'an empty proof cannot link trees of different sizes');

  // A perfect first tree is itself a node of the second, so its root is the proof's start.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) throw fail('proof-length', 'proof is longer than these tree sizes need');
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(h, c, fr);
      sr = nodeHash(h, c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(h, sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw fail('proof-length', 'proof is shorter than these tree sizes need');
  if (!equalBytes(fr, root1)) throw fail('first-root-mismatch', 'the proof does not lead to the first root');
  if (!equalBytes(sr, root2)) throw fail('root-mismatch', 'the proof does not lead to the second root');
}
