/**
 * The Substrate state trie: base-16 Patricia-Merkle trie hashed with blake2b-256, no extension
 * nodes (branches carry their own partial key), node codec as polkadot-sdk's sp-trie NodeCodec.
 * State version 0 keeps every value inline; version 1 stores a value of 33 bytes or more as its own
 * node, referenced from the leaf or branch by its hash ("hashed value").
 *
 * Node encoding: a header (kind in the top bits, partial-key nibble count in the rest, overflowing
 * into following bytes), the partial key (odd counts left-padded with a zero nibble), then for a
 * leaf its value; for a branch a little-endian u16 child bitmap, its value if any, and each present
 * child as a SCALE byte vector holding either the child's hash (32 bytes) or, when the child's
 * encoding is under 32 bytes, the child itself (inline).
 *
 * trieRoot and buildReadProof serve the observer's stand-in root and the adapter's proofs (a node's
 * `state_getReadProof` is the same node set); verifyReadProof is what the light client trusts.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { type Bytes, compareBytes, concat, equalBytes, latin1Id, toHex } from '../../crypto/bytes.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { ScaleReader, encodeVecBytes } from './scale.ts';

export type TrieVersion = 0 | 1;

export const blake2_256 = (b: Bytes): Bytes => blake2b(b, { dkLen: 32 });

/** A V1 value of this many bytes or more is stored as its own node (sp-core's TRIE_VALUE_NODE_THRESHOLD). */
export const HASHED_VALUE_THRESHOLD = 33;
const HASH_LEN = 32;
/** The encoding of the empty trie: its root is blake2_256 of this byte. */
const EMPTY_NODE = Uint8Array.of(0);
export const EMPTY_TRIE_ROOT: Bytes = blake2_256(EMPTY_NODE);

const malformed = (msg: string, details: Record<string, unknown> = {}) => new SubstrateClientError(SUB_ERR.PROOF_MALFORMED, msg, { details });

// ---- node codec ----

/** A value as a node holds it: inline bytes, or the hash of a separate value node (V1). */
export type NodeValue = { inline: Bytes } | { hash: Bytes };
/** A child slot: the child's hash, or its whole encoding when under 32 bytes. */
export type ChildRef = { hash: Bytes } | { inline: Bytes };

export type TrieNode =
  | { kind: 'empty' }
  | { kind: 'leaf'; partial: number[]; value: NodeValue }
  | { kind: 'branch'; partial: number[]; value: NodeValue | null; children: (ChildRef | null)[] };

// Header kinds (sp-trie trie_constants): the top 2, 3 or 4 bits, the rest the nibble count.
const LEAF = 0b01 << 6;
const BRANCH_NO_VALUE = 0b10 << 6;
const BRANCH_WITH_VALUE = 0b11 << 6;
const HASHED_VALUE_LEAF = 0b001 << 5;
const HASHED_VALUE_BRANCH = 0b0001 << 4;
/** Partial keys are bounded by the codec at u16::MAX nibbles. */
const MAX_NIBBLES = 0xffff;

function encodeHeader(prefix: number, prefixBits: number, nibbles: number): Bytes {
  const max = 255 >> prefixBits;
  if (nibbles < max) return Uint8Array.of(prefix | nibbles);
  const out = [prefix | max];
  let rem = nibbles - (max - 1);
  while (rem >= 256) {
    out.push(255);
    rem -= 255;
  }
  out.push(rem - 1);
  return Uint8Array.from(out);
}

function decodeSize(first: number, prefixBits: number, r: ScaleReader): number {
  const max = 255 >> prefixBits;
  let n = first & max;
  if (n < max) return n;
  n -= 1;
  for (;;) {
    const b = r.u8();
    if (b < 255) {
      n += b + 1;
      break;
    }
    n += 255;
    if (n > MAX_NIBBLES) break;
  }
  if (n > MAX_NIBBLES) throw malformed(`partial key of ${n} nibbles`);
  return n;
}

function encodePartial(nibbles: readonly number[]): Bytes {
  const odd = nibbles.length % 2;
  const out = new Uint8Array((nibbles.length + 1) >> 1);
  let i = 0;
  if (odd) out[0] = nibbles[i++];
  for (let j = odd; j < out.length; j++, i += 2) out[j] = (nibbles[i] << 4) | nibbles[i + 1];
  return out;
}

function decodePartial(r: ScaleReader, count: number): number[] {
  const bytes = r.take((count + 1) >> 1);
  const out: number[] = [];
  let start = 0;
  if (count % 2) {
    // the pad nibble must be zero: a second encoding of one node would hash differently
    if (bytes[0] >> 4 !== 0) throw malformed('odd partial key with a non-zero pad nibble');
    out.push(bytes[0] & 15);
    start = 1;
  }
  for (let j = start; j < bytes.length; j++) out.push(bytes[j] >> 4, bytes[j] & 15);
  return out;
}

/** The node's encoding, as a Uint8Array of its own (never a view into Buffer's shared pool, which a caller's edit would corrupt). */
export function encodeNode(node: TrieNode): Bytes {
  return Uint8Array.from(encodeNodeBytes(node));
}

function encodeNodeBytes(node: TrieNode): Bytes {
  if (node.kind === 'empty') return EMPTY_NODE;
  const hashed = 'hash' in (node.value ?? {});
  const valueBytes = (v: NodeValue | null): Bytes => (v === null ? new Uint8Array(0) : 'hash' in v ? v.hash : encodeVecBytes(v.inline));
  if (node.kind === 'leaf') {
    const header = hashed ? encodeHeader(HASHED_VALUE_LEAF, 3, node.partial.length) : encodeHeader(LEAF, 2, node.partial.length);
    return concat(header, encodePartial(node.partial), valueBytes(node.value));
  }
  const header =
    node.value === null ? encodeHeader(BRANCH_NO_VALUE, 2, node.partial.length) : hashed ? encodeHeader(HASHED_VALUE_BRANCH, 4, node.partial.length) : encodeHeader(BRANCH_WITH_VALUE, 2, node.partial.length);
  let bitmap = 0;
  const kids: Bytes[] = [];
  node.children.forEach((c, i) => {
    if (!c) return;
    bitmap |= 1 << i;
    kids.push(encodeVecBytes('hash' in c ? c.hash : c.inline));
  });
  return concat(header, encodePartial(node.partial), Uint8Array.of(bitmap & 0xff, bitmap >> 8), valueBytes(node.value), ...kids);
}

/** Decodes one node strictly: unknown header kinds, a branch without children, an oversized inline child and trailing bytes are refused. */
export function decodeNode(bytes: Bytes): TrieNode {
  const r = new ScaleReader(bytes);
  try {
    const node = readNode(r);
    if (r.remaining) throw malformed(`${r.remaining} trailing bytes after a trie node`);
    return node;
  } catch (e) {
    if (e instanceof SubstrateClientError && e.code !== SUB_ERR.PROOF_MALFORMED) throw malformed(`trie node does not decode: ${e.message}`);
    throw e;
  }
}

function readNode(r: ScaleReader): TrieNode {
  const first = r.u8();
  if (first === 0) return { kind: 'empty' };
  const top2 = first & 0xc0;
  let kind: 'leaf' | 'branch';
  let valueKind: 'none' | 'inline' | 'hash';
  let count: number;
  if (top2 === LEAF) [kind, valueKind, count] = ['leaf', 'inline', decodeSize(first, 2, r)];
  else if (top2 === BRANCH_NO_VALUE) [kind, valueKind, count] = ['branch', 'none', decodeSize(first, 2, r)];
  else if (top2 === BRANCH_WITH_VALUE) [kind, valueKind, count] = ['branch', 'inline', decodeSize(first, 2, r)];
  else if ((first & 0xe0) === HASHED_VALUE_LEAF) [kind, valueKind, count] = ['leaf', 'hash', decodeSize(first, 3, r)];
  else if ((first & 0xf0) === HASHED_VALUE_BRANCH) [kind, valueKind, count] = ['branch', 'hash', decodeSize(first, 4, r)];
  else throw malformed(`trie node header 0x${first.toString(16)} is no node kind`);
  const partial = decodePartial(r, count);
  const readValue = (): NodeValue | null => (valueKind === 'none' ? null : valueKind === 'hash' ? { hash: r.take(HASH_LEN) } : { inline: r.vecBytes() });
  if (kind === 'leaf') return { kind, partial, value: readValue() as NodeValue };
  const bitmap = r.u16();
  if (bitmap === 0) throw malformed('branch without children');
  const value = readValue();
  const children: (ChildRef | null)[] = [];
  for (let i = 0; i < 16; i++) {
    if (!(bitmap & (1 << i))) {
      children.push(null);
      continue;
    }
    const c = r.vecBytes();
    if (c.length === HASH_LEN) children.push({ hash: c });
    else if (c.length < HASH_LEN) children.push({ inline: c });
    else throw malformed(`inline child of ${c.length} bytes (an encoding of 32 or more is referenced by hash)`);
  }
  return { kind, partial, value, children };
}

// ---- building: the root and a node's read proof from the full entry set ----

const nibblesOf = (key: Bytes): number[] => {
  const out: number[] = [];
  for (const b of key) out.push(b >> 4, b & 15);
  return out;
};

/** A built node: its encoding, and what a proof of a key through it needs. */
interface Built {
  encoded: Bytes;
  node: Exclude<TrieNode, { kind: 'empty' }>;
  kids: (Built | null)[];
  /** The value node of a hashed value (V1). */
  valueNode: Bytes | null;
}

function valueOf(v: Bytes, version: TrieVersion): { value: NodeValue; node: Bytes | null } {
  return version === 1 && v.length >= HASHED_VALUE_THRESHOLD ? { value: { hash: blake2_256(v) }, node: v } : { value: { inline: v }, node: null };
}

/** Sorted, deduplicated (last write wins, as a map), with nibble paths. */
function prepare(entries: readonly (readonly [Bytes, Bytes])[]): { nib: number[]; value: Bytes }[] {
  const m = new Map<string, [Bytes, Bytes]>();
  for (const [k, v] of entries) m.set(latin1Id(k), [k, v]);
  return [...m.values()].sort((a, b) => compareBytes(a[0], b[0])).map(([k, v]) => ({ nib: nibblesOf(k), value: v }));
}

function build(items: { nib: number[]; value: Bytes }[], depth: number, version: TrieVersion): Built {
  if (items.length === 1) {
    const { value, node } = valueOf(items[0].value, version);
    const n: TrieNode = { kind: 'leaf', partial: items[0].nib.slice(depth), value };
    return { encoded: encodeNode(n), node: n, kids: [], valueNode: node };
  }
  // sorted: the common prefix of all is the common prefix of the first and the last
  const a = items[0].nib;
  const z = items[items.length - 1].nib;
  let end = depth;
  while (end < a.length && end < z.length && a[end] === z[end]) end++;
  let rest = items;
  let value: NodeValue | null = null;
  let valueNode: Bytes | null = null;
  if (a.length === end) {
    ({ value, node: valueNode } = valueOf(items[0].value, version));
    rest = items.slice(1);
  }
  const groups: { nib: number[]; value: Bytes }[][] = Array.from({ length: 16 }, () => []);
  for (const it of rest) groups[it.nib[end]].push(it);
  const kids = groups.map((g) => (g.length ? build(g, end + 1, version) : null));
  const n: TrieNode = { kind: 'branch', partial: a.slice(depth, end), value, children: kids.map((k) => (k ? refOf(k.encoded) : null)) };
  return { encoded: encodeNode(n), node: n, kids, valueNode };
}

const refOf = (encoded: Bytes): ChildRef => (encoded.length < HASH_LEN ? { inline: encoded } : { hash: blake2_256(encoded) });

/** The state root of `entries` (key, value) under state version `version`; a key given twice keeps its last value. */
export function trieRoot(entries: [Bytes, Bytes][], version: 0 | 1): Bytes {
  const items = prepare(entries);
  if (items.length === 0) return EMPTY_TRIE_ROOT;
  return blake2_256(build(items, 0, version).encoded);
}

/**
 * The nodes a full node's `state_getReadProof` returns for `keys`: every node referenced by hash on
 * the walk to each key (the root always), hashed value nodes of present keys, deduplicated and
 * sorted (the node's proof is a set). Inline nodes travel inside their parent.
 */
export function buildReadProof(entries: [Bytes, Bytes][], keys: Bytes[], version: 0 | 1): Bytes[] {
  const items = prepare(entries);
  if (items.length === 0) return [EMPTY_NODE];
  const root = build(items, 0, version);
  const out = new Map<string, Bytes>();
  const add = (b: Bytes) => out.set(latin1Id(b), b);
  for (const key of keys) {
    const nib = nibblesOf(key);
    let cur: Built | null = root;
    let pos = 0;
    let first = true;
    while (cur) {
      if (first || cur.encoded.length >= HASH_LEN) add(cur.encoded);
      first = false;
      const { partial } = cur.node;
      if (!startsWith(nib, pos, partial)) break;
      pos += partial.length;
      if (cur.node.kind === 'leaf') {
        if (pos === nib.length && cur.valueNode) add(cur.valueNode);
        break;
      }
      if (pos === nib.length) {
        if (cur.valueNode) add(cur.valueNode);
        break;
      }
      cur = cur.kids[nib[pos++]];
    }
  }
  return [...out.values()].sort(compareBytes);
}

const startsWith = (nib: number[], pos: number, partial: number[]): boolean => {
  if (nib.length - pos < partial.length) return false;
  for (let i = 0; i < partial.length; i++) if (nib[pos + i] !== partial[i]) return false;
  return true;
};

// ---- verifying ----

/**
 * Follows `key` from `root` through `proofNodes` (encoded nodes, any order; unrelated extra nodes
 * are ignored). Returns the key's value, or null when the proof shows it absent (an empty child
 * slot, a partial key that diverges, a branch without value). Throws PNT_ERR_PROOF_INCOMPLETE when
 * a node on the way is missing (a root not among the nodes included: a proof for another root) and
 * PNT_ERR_PROOF_MALFORMED for a node that does not decode. Every node is reached by its hash from
 * the root, so a present key cannot be shown absent by any subset of nodes.
 */
export function verifyReadProof(root: Bytes, proofNodes: Bytes[], key: Bytes): Bytes | null {
  if (root.length !== HASH_LEN) throw malformed(`state root of ${root.length} bytes`);
  const db = new Map<string, Bytes>();
  for (const n of proofNodes) db.set(latin1Id(blake2_256(n)), n);
  const lookup = (hash: Bytes, what: string): Bytes => {
    const n = db.get(latin1Id(hash));
    if (!n) throw new SubstrateClientError(SUB_ERR.PROOF_INCOMPLETE, `the proof lacks the ${what} ${toHex(hash)}`, { details: { hash: toHex(hash), root: toHex(root) } });
    return n;
  };
  const nib = nibblesOf(key);
  let pos = 0;
  let node = decodeNode(lookup(root, 'root node'));
  if (node.kind === 'empty') return null;
  for (;;) {
    if (node.kind === 'empty') throw malformed('an empty node below the root');
    if (!startsWith(nib, pos, node.partial)) return null;
    pos += node.partial.length;
    if (node.kind === 'leaf' || pos === nib.length) {
      if (pos !== nib.length || node.value === null) return null;
      if ('inline' in node.value) return node.value.inline;
      return lookup(node.value.hash, 'value node');
    }
    const child: ChildRef | null = node.children[nib[pos++]];
    if (!child) return null;
    if ('hash' in child) node = decodeNode(lookup(child.hash, 'node'));
    else node = decodeNode(child.inline);
  }
}

/** Equality of a proven value with an expected one (null: absent). */
export const sameValue = (a: Bytes | null, b: Bytes | null): boolean => (a === null || b === null ? a === b : equalBytes(a, b));

