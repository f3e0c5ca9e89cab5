/**
 * State proofs: the JSON form, the compact byte form (what the Solidity verifier takes) and the
 * verifiers. Pure: no storage import, so light clients and relayers can use it alone.
 *
 * A proof for key k describes the path of sha256(k) from the root down to a terminal at `depth`
 * (= siblings.length): either an empty subtree or the one leaf alone in that subtree.
 * Byte form (docs/adr/0001-state-tree.md has the full rules):
 *   uint8 kind (0 = empty terminal, 1 = leaf terminal) | uint16 BE depth (0..256) |
 *   [kind 1: bytes32 keyHash | bytes32 valueHash] | bitmap ceil(depth/8) bytes (bit i, MSB first,
 *   set iff the sibling at depth i+1 is non-empty; bits >= depth are 0) |
 *   bytes32 per set bit, in increasing i (root side first); nothing after.
 */
import { type Bytes, type Hex, ZERO_HASH } from '../crypto/bytes.ts';
import { ProofError } from './errors.ts';
import { EMPTY_HASH, innerHashInto, leafHash, pathBit, sha256Buf, sharesPrefix } from './hashing.ts';

export const MAX_PROOF_DEPTH = 256;
export const EMPTY_ROOT: Hex = ZERO_HASH;
const KIND_EMPTY = 0;
const KIND_LEAF = 1;

export interface StateProof {
  /** siblings[i] is the hash of the sibling at depth i+1 on the key's path (root side first); ZERO_HASH for an empty subtree. */
  siblings: Hex[];
  /** The terminal at depth siblings.length: null for an empty subtree, else the only leaf in that subtree. */
  leaf: { keyHash: Hex; valueHash: Hex } | null;
}

/** A proof with its hashes as bytes; what the verifiers work on. */
interface ParsedProof {
  siblings: Buffer[];
  leaf: { keyHash: Buffer; valueHash: Buffer } | null;
}

function malformed(message: string, details?: Record<string, unknown>): ProofError {
  return new ProofError('PNT_ERR_PROOF_MALFORMED', message, { details });
}

function invalid(message: string, details?: Record<string, unknown>): ProofError {
  return new ProofError('PNT_ERR_PROOF_INVALID', message, { details });
}

/**
 * Accepts exactly what isHex(s, 32) accepts (66 characters, "0x", 64 hex digits of either case)
 * without running its regex: Buffer's hex decoder stops at the first pair that is not two hex
 * digits, so 32 decoded bytes from 64 characters means every digit was hex. This runs for every
 * sibling of every proof a relay batch carries.
 */
function hash32(s: unknown, what: string): Buffer {
  if (typeof s === 'string' && s.length === 66 && s.charCodeAt(0) === 0x30 && s.charCodeAt(1) === 0x78) {
    const b = Buffer.from(s.slice(2), 'hex');
    if (b.length === 32) return b;
  }
  throw malformed(`${what} must be 32 bytes of 0x-hex`);
}

function parseProof(p: StateProof): ParsedProof {
  if (typeof p !== 'object' || p === null || !Array.isArray(p.siblings)) throw malformed('proof must be an object with a siblings array');
  if (p.siblings.length > MAX_PROOF_DEPTH) throw malformed('proof deeper than 256', { depth: p.siblings.length });
  const siblings = p.siblings.map((s, i) => hash32(s, `siblings[${i}]`));
  let leaf: ParsedProof['leaf'] = null;
  if (p.leaf !== null) {
    if (typeof p.leaf !== 'object') throw malformed('proof leaf must be null or an object');
    leaf = { keyHash: hash32(p.leaf.keyHash, 'leaf.keyHash'), valueHash: hash32(p.leaf.valueHash, 'leaf.valueHash') };
  }
  return { siblings, leaf };
}

function toBytesArg(b: unknown, what: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw malformed(`${what} must be a Uint8Array`);
  return b;
}

function rootBytes(root: unknown): Buffer {
  return hash32(root, 'root');
}

/** Hashes from the terminal up to the root, turning at each depth by the bits of `path`. */
function foldToRoot(path: Uint8Array, p: ParsedProof): Buffer {
  const node = p.leaf ? leafHash(p.leaf.keyHash, p.leaf.valueHash) : Buffer.from(EMPTY_HASH);
  for (let i = p.siblings.length - 1; i >= 0; i--) {
    if (pathBit(path, i) === 1) innerHashInto(p.siblings[i], node, node, 0);
    else innerHashInto(node, p.siblings[i], node, 0);
  }
  return node;
}

export function encodeProof(p: StateProof): Bytes {
  const { siblings, leaf } = parseProof(p);
  const depth = siblings.length;
  const bitmapLen = (depth + 7) >> 3;
  let present = 0;
  for (const s of siblings) if (!s.equals(EMPTY_HASH)) present++;
  const out = Buffer.alloc(3 + (leaf ? 64 : 0) + bitmapLen + 32 * present);
  out[0] = leaf ? KIND_LEAF : KIND_EMPTY;
  out.writeUInt16BE(depth, 1);
  let off = 3;
  if (leaf) {
    leaf.keyHash.copy(out, off);
    leaf.valueHash.copy(out, off + 32);
    off += 64;
  }
  const bitmapOff = off;
  off += bitmapLen;
  for (let i = 0; i < depth; i++) {
    if (siblings[i].equals(EMPTY_HASH)) continue;
    out[bitmapOff + (i >> 3)] |= 0x80 >> (i & 7);
    siblings[i].copy(out, off);
    off += 32;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The compact form read into hashes as views of its bytes; strict, as decodeProof. */
function parseCompact(bytes: Bytes): ParsedProof {
  const u = toBytesArg(bytes, 'proof');
  const b = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  if (b.length < 3) throw malformed('proof shorter than its 3-byte header', { length: b.length });
  const kind = b[0];
  if (kind !== KIND_EMPTY && kind !== KIND_LEAF) throw malformed('unknown proof terminal kind', { kind });
  const depth = b.readUInt16BE(1);
  if (depth > MAX_PROOF_DEPTH) throw malformed('proof deeper than 256', { depth });
  let off = 3;
  let leaf: ParsedProof['leaf'] = null;
  if (kind === KIND_LEAF) {
    if (b.length < off + 64) throw malformed('proof too short for its leaf', { length: b.length });
    leaf = { keyHash: b.subarray(off, off + 32), valueHash: b.subarray(off + 32, off + 64) };
    off += 64;
  }
  const bitmapLen = (depth + 7) >> 3;
  if (b.length < off + bitmapLen) throw malformed('proof too short for its bitmap', { length: b.length });
  const bitmapOff = off;
  off += bitmapLen;
  if ((depth & 7) !== 0 && (b[bitmapOff + bitmapLen - 1] & (0xff >> (depth & 7))) !== 0) {
    throw malformed('bitmap has bits set past the proof depth');
  }
  let present = 0;
  for (let i = 0; i < depth; i++) if ((b[bitmapOff + (i >> 3)] & (0x80 >> (i & 7))) !== 0) present++;
  if (b.length !== off + 32 * present) {
    throw malformed('proof length does not match its bitmap', { length: b.length, expected: off + 32 * present });
  }
  const siblings: Buffer[] = new Array(depth);
  for (let i = 0; i < depth; i++) {
    if ((b[bitmapOff + (i >> 3)] & (0x80 >> (i & 7))) === 0) {
      siblings[i] = EMPTY_SIBLING;
      continue;
    }
    // A listed zero hash would give a second encoding of the same proof.
    if (b.subarray(off, off + 32).equals(EMPTY_HASH)) throw malformed('listed sibling is the empty hash', { depth: i + 1 });
    siblings[i] = b.subarray(off, off + 32);
    off += 32;
  }
  return { siblings, leaf };
}

/** Strict: one byte string decodes to one proof and re-encodes to the same bytes. */
export function decodeProof(bytes: Bytes): StateProof {
  const p = parseCompact(bytes);
  return {
    siblings: p.siblings.map((x) => (x === EMPTY_SIBLING ? ZERO_HASH : '0x' + x.toString('hex'))),
    leaf: p.leaf && { keyHash: '0x' + p.leaf.keyHash.toString('hex'), valueHash: '0x' + p.leaf.valueHash.toString('hex') },
  };
}

/** The empty subtree's hash as a sibling of a compact proof (never written to: folding writes only into its own node). */
const EMPTY_SIBLING = Buffer.from(EMPTY_HASH);

/** Throws ProofError unless `proof` shows key -> value under `root`. */
export function verifyMembership(root: Hex, key: Bytes, value: Bytes, proof: StateProof): void {
  membership(root, key, value, () => parseProof(proof));
}

/** verifyMembership for a proof in its compact form (encodeProof), read without a detour through hex. */
export function verifyMembershipCompact(root: Hex, key: Bytes, value: Bytes, proof: Bytes): void {
  membership(root, key, value, () => parseCompact(proof));
}

function membership(root: Hex, key: Bytes, value: Bytes, parse: () => ParsedProof): void {
  const r = rootBytes(root);
  const keyHash = sha256Buf(toBytesArg(key, 'key'));
  const valueHash = sha256Buf(toBytesArg(value, 'value'));
  const p = parse();
  if (p.leaf === null) throw invalid('proof ends in an empty subtree: it cannot show membership');
  if (!p.leaf.keyHash.equals(keyHash)) throw invalid('proof leaf is for another key');
  if (!p.leaf.valueHash.equals(valueHash)) throw invalid('proof leaf holds another value');
  if (!foldToRoot(keyHash, p).equals(r)) throw invalid('proof does not lead to the root');
}

/** Throws ProofError unless `proof` shows `key` absent under `root` (PNT_ERR_PROOF_KEY_PRESENT when it proves presence). */
export function verifyNonMembership(root: Hex, key: Bytes, proof: StateProof): void {
  nonMembership(root, key, () => parseProof(proof));
}

/** verifyNonMembership for a proof in its compact form (encodeProof). */
export function verifyNonMembershipCompact(root: Hex, key: Bytes, proof: Bytes): void {
  nonMembership(root, key, () => parseCompact(proof));
}

function nonMembership(root: Hex, key: Bytes, parse: () => ParsedProof): void {
  const r = rootBytes(root);
  const keyHash = sha256Buf(toBytesArg(key, 'key'));
  const p = parse();
  const depth = p.siblings.length;
  if (p.leaf !== null) {
    if (p.leaf.keyHash.equals(keyHash)) {
      if (foldToRoot(keyHash, p).equals(r)) throw new ProofError('PNT_ERR_PROOF_KEY_PRESENT', 'proof shows the key present');
      throw invalid('proof does not lead to the root');
    }
    // The one leaf of the subtree must sit where the key would: else it says nothing about the key.
    if (!sharesPrefix(p.leaf.keyHash, keyHash, depth)) throw invalid('proof leaf does not lie on the key path', { depth });
  }
  if (!foldToRoot(keyHash, p).equals(r)) throw invalid('proof does not lead to the root');
}
