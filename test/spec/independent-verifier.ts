/**
 * An independent verifier of the Pontis hub protocol, written from docs/spec/ alone: it imports
 * nothing of the project (only node:crypto and @noble/*), so that where it and the implementation
 * agree, the specification is what they agree on. It recomputes header hashes, checks commits
 * against validator sets, recomputes txRoot, evidenceHash and resultsHash from a block, verifies
 * transaction signatures under the spec's Ed25519 rule set, checks state proofs in both forms
 * against a header's state root and receipt absence proofs (receipt words) in the JSON and the
 * Gateway forms, follows headers by the light-client rules, and recomputes proposer priorities.
 * Each section names the spec file it follows.
 */
import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** A refusal, with the code the specification names for it. */
export class SpecError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'SpecError';
  }
}
const fail = (code: string, message: string): never => {
  throw new SpecError(code, message);
};

// ---------------------------------------------------------------- bytes (README.md conventions)

export type Hex = string;
const HEX_ANY = /^0x([0-9a-fA-F]{2})*$/;
const HEX_LOWER = /^0x([0-9a-f]{2})*$/;
const te = new TextEncoder();

export const utf8 = (s: string): Uint8Array => te.encode(s);
export const toHex = (b: Uint8Array): Hex => '0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** 0x-hex of either case, optionally of exactly `len` bytes. */
export function fromHex(s: unknown, len?: number, code = 'PNT_ERR_BAD_HEX'): Uint8Array {
  if (typeof s !== 'string' || !HEX_ANY.test(s)) return fail(code, 'expected 0x-hex');
  if (len !== undefined && s.length !== 2 + 2 * len) return fail(code, `expected ${len} bytes`);
  return new Uint8Array(Buffer.from(s.slice(2), 'hex'));
}
export const isLowerHex = (s: unknown, len?: number): s is string => typeof s === 'string' && HEX_LOWER.test(s) && (len === undefined || s.length === 2 + 2 * len);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
/** Unsigned big-endian integer of `size` bytes. */
export function uint(n: number | bigint, size: number): Uint8Array {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) return fail('PNT_ERR_INT_RANGE', `${n} is not an integer`);
  let v = BigInt(n);
  if (v < 0n || v >= 1n << BigInt(8 * size)) return fail('PNT_ERR_INT_RANGE', `${v} does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
const leBigInt = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
};
const beBigInt = (b: Uint8Array): bigint => leBigInt(Uint8Array.from(b).reverse());

export const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
export const keccak256 = (...parts: Uint8Array[]): Uint8Array => keccak_256(concat(...parts));
export const ZERO32 = new Uint8Array(32);
export const ZERO_HASH: Hex = toHex(ZERO32);

// ---------------------------------------------------------------- canonical JSON (encoding.md)

const MAX_SAFE = 2 ** 53 - 1;

/** Compares two strings by UTF-16 code units, a proper prefix first. */
export function compareUtf16(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r' };
const u4 = (c: number): string => '\\u' + c.toString(16).padStart(4, '0');

export function quoteString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (SHORT_ESCAPES[c] !== undefined) out += SHORT_ESCAPES[c];
    else if (c < 0x20) out += u4(c);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
      } else out += u4(c);
    } else if (c >= 0xdc00 && c <= 0xdfff) out += u4(c);
    else out += s[i];
  }
  return out + '"';
}

export function canonicalJson(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isInteger(v) || Math.abs(v) > MAX_SAFE || Object.is(v, -0)) return fail('PNT_ERR_CANONICAL_NUMBER', `${v} is not a safe integer`);
      return String(v);
    case 'bigint':
      return quoteString(v.toString());
    case 'string':
      return quoteString(v);
    case 'object': {
      if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort(compareUtf16);
      return '{' + keys.map((k) => quoteString(k) + ':' + canonicalJson(o[k])).join(',') + '}';
    }
    default:
      return fail('PNT_ERR_CANONICAL_TYPE', `cannot encode ${typeof v}`);
  }
}
export const canonicalBytes = (v: unknown): Uint8Array => utf8(canonicalJson(v));

/** Parses bytes that must be canonical JSON: parse, re-encode, require the same bytes. */
export function parseCanonical(bytes: Uint8Array, code = 'PNT_ERR_NOT_CANONICAL'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return fail(code, 'not JSON');
  }
  let again: Uint8Array;
  try {
    again = canonicalBytes(value);
  } catch {
    return fail(code, 'not encodable');
  }
  if (!equal(again, bytes)) fail(code, 'bytes are not canonical JSON');
  return value;
}

// ---------------------------------------------------------------- header (header.md)

export interface Header {
  chainId: string;
  height: number;
  time: number;
  prevHash: Hex;
  txRoot: Hex;
  stateRoot: Hex;
  validatorsHash: Hex;
  nextValidatorsHash: Hex;
  evidenceHash: Hex;
  resultsHash: Hex;
  proposer: Hex;
}
export const HEADER_VERSION = 2;
const CHAIN_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HASH_FIELDS = ['prevHash', 'txRoot', 'stateRoot', 'validatorsHash', 'nextValidatorsHash', 'evidenceHash', 'resultsHash'] as const;

export function encodeHeader(h: Header): Uint8Array {
  if (typeof h?.chainId !== 'string' || !CHAIN_ID.test(h.chainId)) fail('PNT_ERR_BAD_CHAIN_ID', 'chain id breaks the rule');
  const id = utf8(h.chainId);
  return concat(
    Uint8Array.of(HEADER_VERSION, id.length),
    id,
    uint(h.height, 8),
    uint(h.time, 8),
    ...HASH_FIELDS.map((f) => fromHex(h[f], 32)),
    fromHex(h.proposer, 20),
  );
}
export const headerHash = (h: Header): Hex => toHex(keccak256(encodeHeader(h)));

// ---------------------------------------------------------------- consensus (consensus.md)

export const DOMAIN = concat(Uint8Array.of(0x19), utf8('PONTIS'));
export const PREVOTE = 1;
export const PRECOMMIT = 2;
export const PROPOSAL = 0x20;
export const ATTESTATION = 0x30;
const chainIdHash = (chainId: string): Uint8Array => keccak256(utf8(chainId));

export function voteDigest(chainId: string, type: number, height: number, round: number, blockHash: Hex): Uint8Array {
  return keccak256(DOMAIN, Uint8Array.of(type), chainIdHash(chainId), uint(height, 8), uint(round, 4), fromHex(blockHash, 32));
}
export function proposalDigest(chainId: string, height: number, round: number, polRound: number, blockHash: Hex): Uint8Array {
  return keccak256(DOMAIN, Uint8Array.of(PROPOSAL), chainIdHash(chainId), uint(height, 8), uint(round, 4), uint(polRound + 1, 4), fromHex(blockHash, 32));
}
export interface Attestation {
  chainId: string;
  height: number;
  hash: Hex;
  stateRoot: Hex;
  receiptsRoot: Hex;
  timestamp: number;
}
export function attestationDigest(hubChainId: string, a: Attestation): Uint8Array {
  return keccak256(
    DOMAIN,
    Uint8Array.of(ATTESTATION),
    chainIdHash(hubChainId),
    chainIdHash(a.chainId),
    uint(a.height, 8),
    fromHex(a.hash, 32),
    fromHex(a.stateRoot, 32),
    fromHex(a.receiptsRoot, 32),
    uint(a.timestamp, 8),
  );
}

const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP_HALF_N = SECP_N / 2n;

/** Address of a 65-byte validator key: last 20 bytes of keccak256 of bytes 1..64. */
export function validatorAddress(publicKey: Hex): Hex {
  const pk = fromHex(publicKey, 65, 'PNT_ERR_VALIDATOR_KEY');
  return toHex(keccak256(pk.subarray(1)).subarray(12));
}

/** The signer of a 65-byte r||s||v signature over `digest`, or null when the signature is not valid. */
export function recoverSigner(digest: Uint8Array, sig: Uint8Array): Hex | null {
  if (digest.length !== 32 || sig.length !== 65) return null;
  const v = sig[64];
  if (v !== 27 && v !== 28) return null;
  const r = beBigInt(sig.subarray(0, 32));
  const s = beBigInt(sig.subarray(32, 64));
  if (r < 1n || r >= SECP_N || s < 1n || s > SECP_HALF_N) return null;
  try {
    const pub = secp256k1.Signature.fromBytes(concat(Uint8Array.of(v - 27), sig.subarray(0, 64)), 'recovered').recoverPublicKey(digest).toBytes(false);
    return toHex(keccak256(pub.subarray(1)).subarray(12));
  } catch {
    return null;
  }
}

export interface Validator {
  address: Hex;
  publicKey: Hex;
  power: number;
}

export const MAX_VALIDATORS = 150;
export const MAX_TOTAL_POWER = 2 ** 50;

function compareValidators(a: Validator, b: Validator): number {
  if (a.power !== b.power) return b.power - a.power;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/** Checks a set and returns it in canonical order with addresses derived from the keys. */
export function canonicalSet(vals: readonly Validator[]): Validator[] {
  if (!Array.isArray(vals) || vals.length === 0) fail('PNT_ERR_VALSET_EMPTY', 'empty set');
  if (vals.length > MAX_VALIDATORS) fail('PNT_ERR_VALSET_TOO_LARGE', 'more than 150 validators');
  const out = vals.map((v) => {
    const address = validatorAddress(v.publicKey);
    if (v.address && v.address.toLowerCase() !== address) fail('PNT_ERR_VALIDATOR_ADDRESS', `${v.address} does not match its key`);
    if (!Number.isSafeInteger(v.power) || v.power < 1) fail('PNT_ERR_VALIDATOR_POWER', 'power must be >= 1');
    return { address, publicKey: v.publicKey.toLowerCase(), power: v.power };
  });
  out.sort(compareValidators);
  for (let i = 1; i < out.length; i++) if (out[i].address === out[i - 1].address) fail('PNT_ERR_VALSET_DUPLICATE', `${out[i].address} twice`);
  if (totalPower(out) > MAX_TOTAL_POWER) fail('PNT_ERR_VALSET_POWER', 'total power above 2^50');
  return out;
}
export const totalPower = (vals: readonly Validator[]): number => vals.reduce((a, v) => a + v.power, 0);

/** keccak256 over address(20) || uint64 power, in canonical order. */
export function validatorSetHash(vals: readonly Validator[]): Hex {
  const sorted = canonicalSet(vals);
  return toHex(keccak256(...sorted.flatMap((v) => [fromHex(v.address, 20), uint(v.power, 8)])));
}
export const hasQuorum = (power: number, total: number): boolean => BigInt(power) * 3n > BigInt(total) * 2n;

export interface Commit {
  height: number;
  round: number;
  blockHash: Hex;
  signatures: { validator: Hex; signature: Hex }[];
}

/** consensus.md "Commits": returns the signed power or throws with the first failing rule's code. */
export function verifyCommit(chainId: string, vals: readonly Validator[], commit: Commit, height: number, blockHash: Hex): number {
  const set = canonicalSet(vals);
  if (commit.height !== height) fail('PNT_ERR_COMMIT_HEIGHT', `commit is for ${commit.height}`);
  if (String(commit.blockHash).toLowerCase() !== blockHash.toLowerCase()) fail('PNT_ERR_COMMIT_BLOCK', 'commit is for another block');
  if (blockHash.toLowerCase() === ZERO_HASH) fail('PNT_ERR_COMMIT_BLOCK', 'commit of nil');
  if (!Array.isArray(commit.signatures) || commit.signatures.length > set.length) fail('PNT_ERR_COMMIT_SIGNATURES', 'too many signatures');
  const digest = voteDigest(chainId, PRECOMMIT, height, commit.round, blockHash);
  const seen = new Set<string>();
  let power = 0;
  for (const s of commit.signatures) {
    if (!(typeof s.signature === 'string' && HEX_ANY.test(s.signature) && s.signature.length === 132)) fail('PNT_ERR_COMMIT_SIGNATURE', 'malformed signature');
    const signer = recoverSigner(digest, fromHex(s.signature));
    if (signer === null || signer !== String(s.validator).toLowerCase()) fail('PNT_ERR_COMMIT_SIGNATURE', `bad signature for ${s.validator}`);
    if (seen.has(signer!)) fail('PNT_ERR_COMMIT_DUPLICATE_SIGNER', `${signer} twice`);
    seen.add(signer!);
    const v = set.find((x) => x.address === signer);
    if (!v) return fail('PNT_ERR_COMMIT_UNKNOWN_SIGNER', `${signer} not in the set`);
    power += v.power;
  }
  if (!hasQuorum(power, totalPower(set))) fail('PNT_ERR_COMMIT_INSUFFICIENT_POWER', `${power} of ${totalPower(set)}`);
  return power;
}

// ---- proposer priorities (consensus.md "Proposer priorities"), exact integer arithmetic

export interface PrioritizedSet {
  validators: Validator[];
  priorities: bigint[];
}
const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
};
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b);

function centre(p: bigint[]): bigint[] {
  const avg = floorDiv(p.reduce((a, b) => a + b, 0n), BigInt(p.length));
  return p.map((x) => x - avg);
}

/** One step: returns the new priorities and the chosen index. */
export function priorityStep(s: PrioritizedSet): { priorities: bigint[]; index: number } {
  const T = BigInt(totalPower(s.validators));
  let p = [...s.priorities];
  const max = p.reduce((a, b) => (b > a ? b : a));
  const min = p.reduce((a, b) => (b < a ? b : a));
  if (max - min > 2n * T) {
    const ratio = ceilDiv(max - min, 2n * T);
    p = p.map((x) => x / ratio); // BigInt division truncates toward zero
  }
  p = centre(p);
  p = p.map((x, i) => x + BigInt(s.validators[i].power));
  let j = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[j]) j = i;
  p[j] -= T;
  return { priorities: p, index: j };
}

/** The proposer of round `round` of the height whose set (with starting priorities) is `s`. */
export function proposerOf(s: PrioritizedSet, round: number): Validator {
  let cur = s;
  let index = 0;
  for (let r = 0; r <= round; r++) {
    const st = priorityStep(cur);
    cur = { validators: cur.validators, priorities: st.priorities };
    index = st.index;
  }
  return s.validators[index];
}

export function nextHeightSet(s: PrioritizedSet): PrioritizedSet {
  return { validators: s.validators, priorities: priorityStep(s).priorities };
}

/** Replaces the membership by `m`: kept validators keep their priority, new ones start at -(T' + floor(T'/8)); then centre. */
export function applyMembership(s: PrioritizedSet, m: readonly Validator[]): PrioritizedSet {
  const prior = new Map(s.validators.map((v, i) => [v.address, s.priorities[i]]));
  const validators = canonicalSet(m);
  const T = BigInt(totalPower(validators));
  const fresh = -(T + T / 8n);
  return { validators, priorities: centre(validators.map((v) => prior.get(v.address) ?? fresh)) };
}

/** vals(h+1) from vals(h) and the membership governance scheduled for h+1, if any. */
export function nextValidators(s: PrioritizedSet, scheduled?: readonly Validator[]): PrioritizedSet {
  const n = nextHeightSet(s);
  return scheduled ? applyMembership(n, scheduled) : n;
}

export const genesisSet = (vals: readonly Validator[]): PrioritizedSet => {
  const validators = canonicalSet(vals);
  return { validators, priorities: validators.map(() => 0n) };
};

// ---- light client (consensus.md "Light-client verification")

export interface TrustedState {
  header: Header;
  validators: Validator[];
  nextValidators: Validator[];
}
export interface LightClientOptions {
  trustingPeriodMs: number;
  maxClockDriftMs: number;
  now: number;
  trustLevel?: { numerator: number; denominator: number };
}

export function verifyHeader(trusted: TrustedState, signed: { header: Header; commit: Commit }, vals: Validator[], nextVals: Validator[], o: LightClientOptions): TrustedState {
  const tl = o.trustLevel ?? { numerator: 1, denominator: 3 };
  if (!(o.trustingPeriodMs > 0) || !(o.maxClockDriftMs >= 0) || !Number.isSafeInteger(o.now) || o.now < 0) fail('PNT_ERR_LC_OPTIONS', 'bad options');
  const { numerator: n, denominator: d } = tl;
  if (!(Number.isSafeInteger(n) && Number.isSafeInteger(d) && n > 0 && d > 0 && n <= d && 3 * n >= d)) fail('PNT_ERR_LC_TRUST_LEVEL', 'trust level outside [1/3, 1]');
  const th = trusted.header;
  if (validatorSetHash(trusted.validators) !== th.validatorsHash || validatorSetHash(trusted.nextValidators) !== th.nextValidatorsHash) fail('PNT_ERR_LC_TRUSTED_STATE_INVALID', 'trusted sets do not match');
  if (o.now >= th.time + o.trustingPeriodMs) fail('PNT_ERR_LC_TRUSTED_EXPIRED', 'trusted state expired');
  const h = signed.header;
  let hash: Hex;
  try {
    if (!Number.isSafeInteger(h?.height) || h.height < 1 || !Number.isSafeInteger(h.time) || h.time < 0) throw new Error('range');
    hash = headerHash(h);
  } catch {
    return fail('PNT_ERR_LC_HEADER_MALFORMED', 'header has no encoding');
  }
  if (h.chainId !== th.chainId) fail('PNT_ERR_LC_CHAIN_ID', 'other chain');
  if (h.height <= th.height) fail('PNT_ERR_LC_HEIGHT_NOT_INCREASING', 'height not above trusted');
  if (h.time <= th.time) fail('PNT_ERR_LC_TIME_NOT_INCREASING', 'time not after trusted');
  if (h.time > o.now + o.maxClockDriftMs) fail('PNT_ERR_LC_HEADER_FROM_FUTURE', 'header from the future');
  if (validatorSetHash(vals) !== h.validatorsHash) fail('PNT_ERR_LC_VALSET_MISMATCH', 'validators do not match');
  if (validatorSetHash(nextVals) !== h.nextValidatorsHash) fail('PNT_ERR_LC_NEXT_VALSET_MISMATCH', 'next validators do not match');
  const adjacent = h.height === th.height + 1;
  if (adjacent) {
    if (h.validatorsHash !== th.nextValidatorsHash) fail('PNT_ERR_LC_ADJACENT_VALSET_MISMATCH', 'not the trusted next set');
    if (h.prevHash !== headerHash(th)) fail('PNT_ERR_LC_PREV_HASH_MISMATCH', 'does not build on the trusted header');
  }
  try {
    verifyCommit(h.chainId, vals, signed.commit, h.height, hash);
  } catch (e) {
    return fail('PNT_ERR_LC_INVALID_COMMIT', (e as Error).message);
  }
  if (!adjacent) {
    const next = canonicalSet(trusted.nextValidators);
    const signers = new Set(signed.commit.signatures.map((s) => s.validator.toLowerCase()));
    let p = 0n;
    for (const a of signers) p += BigInt(next.find((v) => v.address === a)?.power ?? 0);
    if (p * BigInt(d) <= BigInt(totalPower(next)) * BigInt(n)) fail('PNT_ERR_LC_INSUFFICIENT_TRUST', 'not enough trusted power signed');
  }
  return { header: h, validators: vals, nextValidators: nextVals };
}

// ---------------------------------------------------------------- Ed25519 (transactions.md)

const ED_P = 2n ** 255n - 19n;
const ED_L = 2n ** 252n + 27742317777372353535851937790883648493n;
/** y encodings (sign bit cleared) of every point of order 1, 2, 4 or 8, canonical or not. */
export const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];
const yEncoding = (x: Uint8Array): Uint8Array => {
  const c = Uint8Array.from(x);
  c[31] &= 0x7f;
  return c;
};
const isSmallOrderEncoding = (x: Uint8Array): boolean => SMALL_ORDER_Y.includes(Buffer.from(yEncoding(x)).toString('hex'));

/** The spec's Ed25519 rule (libsodium's crypto_sign_verify_detached): true iff valid. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const R = signature.subarray(0, 32);
  const S = leBigInt(signature.subarray(32, 64));
  if (S >= ED_L) return false;
  if (isSmallOrderEncoding(R)) return false;
  if (leBigInt(yEncoding(publicKey)) >= ED_P || isSmallOrderEncoding(publicKey)) return false;
  let A: InstanceType<typeof ed25519.Point>;
  try {
    A = ed25519.Point.fromBytes(publicKey, false);
  } catch {
    return false;
  }
  const k = leBigInt(sha512(concat(R, publicKey, message))) % ED_L;
  const Q = ed25519.Point.BASE.multiplyUnsafe(S).subtract(A.multiplyUnsafe(k));
  return equal(Q.toBytes(), R);
}

// ---------------------------------------------------------------- transactions (transactions.md)

export interface TxBody {
  chainId: string;
  nonce: number;
  msgs: { type: string; [k: string]: unknown }[];
  memo?: string;
}
export interface SignedTx {
  body: TxBody;
  publicKey: Hex;
  signature: Hex;
}
export const TX_SIGN_PREFIX = 'pontis-tx/v1\n';
export const MAX_TX_BYTES = 1024 * 1024;

export const txSignBytes = (body: TxBody): Uint8Array => concat(utf8(TX_SIGN_PREFIX), canonicalBytes(body));
export const encodeTx = (tx: SignedTx): Uint8Array => canonicalBytes(tx);
export const txHash = (bytes: Uint8Array): Hex => toHex(sha256(bytes));
export const accountAddress = (publicKey: Uint8Array): Hex => toHex(sha256(publicKey).subarray(0, 20));
export const verifyTxSignature = (tx: SignedTx): boolean => verifyEd25519(fromHex(tx.publicKey, 32), txSignBytes(tx.body), fromHex(tx.signature, 64));

/** Code points, as the transaction schemas count string lengths. */
const codePoints = (s: string): number => {
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    const d = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) i++;
  }
  return n;
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
function strict(v: unknown, required: string[], optional: string[] = []): Record<string, unknown> {
  if (!isObject(v)) return fail('PNT_ERR_TX_MALFORMED', 'expected an object');
  for (const k of Object.keys(v)) if (!required.includes(k) && !optional.includes(k)) fail('PNT_ERR_TX_MALFORMED', `unknown field ${k}`);
  for (const k of required) if (!(k in v)) fail('PNT_ERR_TX_MALFORMED', `missing ${k}`);
  return v;
}
const uintIn = (v: unknown, min: number, max = MAX_SAFE): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const hexMax = (v: unknown, maxBytes: number): boolean => isLowerHex(v) && (v as string).length <= 2 + 2 * maxBytes;

/** Message types and governance action kinds of modules (transactions.md): known, shape not re-checked here. */
const MODULE_MSG_TYPES = ['bank/send', 'transfer/send', 'msg/send', 'packets/recv', 'packets/ack', 'packets/timeout', 'clients/update', 'clients/misbehaviour', 'attest/vote'];
const MODULE_GOV_KINDS = ['recover-client', 'transfer/set-rate-limit', 'registry/register-chain', 'registry/pause-chain', 'registry/resume-chain', 'registry/retire-chain', 'registry/pause-route', 'registry/resume-route', 'registry/set-routes'];

/**
 * The core messages' schemas (records, governance) in full; module messages and actions are
 * checked for a known `type` / `kind` only (their schemas live with the modules).
 */
function checkCoreMsg(m: unknown): void {
  if (!isObject(m) || typeof m.type !== 'string') return fail('PNT_ERR_TX_MALFORMED', 'message without a type');
  switch (m.type) {
    case 'records/put': {
      const e = strict(m, ['type', 'entries']).entries;
      if (!Array.isArray(e) || e.length < 1 || e.length > 1000) fail('PNT_ERR_TX_MALFORMED', 'entries');
      for (const x of e as unknown[]) {
        const o = strict(x, ['key', 'value']);
        if (!hexMax(o.key, 256) || !hexMax(o.value, 65536)) fail('PNT_ERR_TX_MALFORMED', 'record entry');
      }
      return;
    }
    case 'records/delete': {
      const k = strict(m, ['type', 'keys']).keys;
      if (!Array.isArray(k) || k.length < 1 || k.length > 1000 || !k.every((x) => hexMax(x, 256))) fail('PNT_ERR_TX_MALFORMED', 'keys');
      return;
    }
    case 'gov/vote': {
      const o = strict(m, ['type', 'proposalId', 'approve']);
      if (!uintIn(o.proposalId, 1) || typeof o.approve !== 'boolean') fail('PNT_ERR_TX_MALFORMED', 'vote');
      return;
    }
    case 'gov/propose': {
      const o = strict(m, ['type', 'action'], ['description']);
      if (o.description !== undefined && (typeof o.description !== 'string' || codePoints(o.description) > 1000)) fail('PNT_ERR_TX_MALFORMED', 'description');
      const a = o.action;
      if (!isObject(a) || typeof a.kind !== 'string') return fail('PNT_ERR_TX_MALFORMED', 'action');
      if (a.kind === 'set-validators') {
        const u = strict(a, ['kind', 'updates']).updates;
        if (!Array.isArray(u) || u.length < 1 || u.length > 50) fail('PNT_ERR_TX_MALFORMED', 'updates');
        for (const x of u as unknown[]) {
          const o2 = strict(x, ['publicKey', 'power']);
          if (!isLowerHex(o2.publicKey, 65) || !uintIn(o2.power, 0, 2 ** 40)) fail('PNT_ERR_TX_MALFORMED', 'update');
        }
      } else if (a.kind === 'set-members') {
        const u = strict(a, ['kind', 'members']).members;
        if (!Array.isArray(u) || u.length < 1 || u.length > 100) fail('PNT_ERR_TX_MALFORMED', 'members');
        for (const x of u as unknown[]) {
          const o2 = strict(x, ['address', 'weight']);
          if (!isLowerHex(o2.address, 20) || !uintIn(o2.weight, 0, 2 ** 40)) fail('PNT_ERR_TX_MALFORMED', 'member');
        }
      } else if (!MODULE_GOV_KINDS.includes(a.kind)) fail('PNT_ERR_TX_MALFORMED', `unknown action ${a.kind}`);
      return;
    }
    default:
      if (!MODULE_MSG_TYPES.includes(m.type)) fail('PNT_ERR_TX_MALFORMED', `unknown message type ${m.type}`);
  }
}

/** transactions.md "Bytes": strict decoding of transaction bytes. */
export function decodeTx(bytes: Uint8Array): { tx: SignedTx; hash: Hex; sender: Hex } {
  if (bytes.length > MAX_TX_BYTES) fail('PNT_ERR_TX_TOO_LARGE', 'transaction over 1 MiB');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return fail('PNT_ERR_TX_MALFORMED', 'not JSON');
  }
  const t = strict(parsed, ['body', 'publicKey', 'signature']);
  const b = strict(t.body, ['chainId', 'nonce', 'msgs'], ['memo']);
  if (typeof b.chainId !== 'string' || codePoints(b.chainId) < 1 || codePoints(b.chainId) > 64) fail('PNT_ERR_TX_MALFORMED', 'chainId');
  if (!uintIn(b.nonce, 0)) fail('PNT_ERR_TX_MALFORMED', 'nonce');
  if (!Array.isArray(b.msgs) || b.msgs.length < 1 || b.msgs.length > 1000) fail('PNT_ERR_TX_MALFORMED', 'msgs');
  (b.msgs as unknown[]).forEach(checkCoreMsg);
  if (b.memo !== undefined && (typeof b.memo !== 'string' || codePoints(b.memo) > 256)) fail('PNT_ERR_TX_MALFORMED', 'memo');
  if (!isLowerHex(t.publicKey, 32) || !isLowerHex(t.signature, 64)) fail('PNT_ERR_TX_MALFORMED', 'key or signature');
  if (!equal(canonicalBytes(parsed), bytes)) fail('PNT_ERR_TX_NOT_CANONICAL', 'bytes are not canonical JSON');
  const tx = parsed as unknown as SignedTx;
  return { tx, hash: txHash(bytes), sender: accountAddress(fromHex(tx.publicKey, 32)) };
}

// ---------------------------------------------------------------- list Merkle tree (merkle.md)

const leafHash = (item: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), item);
const nodeHash = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), l, r);

export function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 0) return ZERO32;
  let level = items.map(leafHash);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

export interface MerkleProofJson {
  index: number;
  total: number;
  siblings: Hex[];
}

/** The root a proof of `item` leads to, or PNT_ERR_MERKLE_PROOF when its shape is impossible. */
export function merkleRootFromProof(item: Uint8Array, proof: MerkleProofJson): Uint8Array {
  const { index, total, siblings } = proof ?? ({} as MerkleProofJson);
  if (!Number.isSafeInteger(total) || total < 1 || total > 2 ** 32) fail('PNT_ERR_MERKLE_PROOF', 'total');
  if (!Number.isSafeInteger(index) || index < 0 || index >= total) fail('PNT_ERR_MERKLE_PROOF', 'index');
  if (!Array.isArray(siblings)) fail('PNT_ERR_MERKLE_PROOF', 'siblings');
  const sib = siblings.map((s) => fromHex(s, 32, 'PNT_ERR_MERKLE_PROOF'));
  let h = leafHash(item);
  let i = index;
  let m = total;
  let u = 0;
  while (m > 1) {
    if (i % 2 === 1) {
      if (u >= sib.length) fail('PNT_ERR_MERKLE_PROOF', 'too few siblings');
      h = nodeHash(sib[u++], h);
    } else if (i + 1 < m) {
      if (u >= sib.length) fail('PNT_ERR_MERKLE_PROOF', 'too few siblings');
      h = nodeHash(h, sib[u++]);
    }
    i = Math.floor(i / 2);
    m = Math.ceil(m / 2);
  }
  if (u !== sib.length) fail('PNT_ERR_MERKLE_PROOF', 'too many siblings');
  return h;
}

// ---------------------------------------------------------------- results (results.md)

export interface ResultEvent {
  type: string;
  attributes: Record<string, string>;
}
export interface TxResult {
  hash: Hex;
  code: string;
  events: ResultEvent[];
  log?: string;
}
export const txResultLeaf = (r: TxResult): Uint8Array => canonicalBytes({ code: r.code, events: r.events, hash: r.hash });
export const blockEventsLeaf = (events: ResultEvent[]): Uint8Array => canonicalBytes({ events });
export const resultsHash = (results: readonly TxResult[], blockEvents: ResultEvent[]): Hex => toHex(merkleRoot([...results.map(txResultLeaf), blockEventsLeaf(blockEvents)]));

export function verifyTxResult(resultsHashOfHeader: Hex, result: TxResult, proof: MerkleProofJson): void {
  if (!Number.isSafeInteger(proof?.total) || !Number.isSafeInteger(proof?.index) || proof.index >= proof.total - 1) fail('PNT_ERR_MERKLE_PROOF', 'a result cannot be the last leaf');
  if (!Array.isArray(proof.siblings) || !proof.siblings.every((s) => typeof s === 'string' && /^0x[0-9a-fA-F]{64}$/.test(s))) fail('PNT_ERR_MERKLE_PROOF', 'siblings');
  if (toHex(merkleRootFromProof(txResultLeaf(result), proof)) !== resultsHashOfHeader.toLowerCase()) fail('PNT_ERR_RESULT_PROOF_INVALID', 'result not under the results hash');
}

// ---------------------------------------------------------------- state tree (state.md)

const smtLeaf = (keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array => sha256(Uint8Array.of(0), keyHash, valueHash);
const smtInner = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.of(1), l, r);
const bit = (path: Uint8Array, i: number): number => (path[i >> 3] >> (7 - (i & 7))) & 1;

/** The state root of a complete set of entries. */
export function stateRoot(entries: Iterable<[Uint8Array, Uint8Array]>): Hex {
  const leaves = [...entries].map(([k, v]) => ({ kh: sha256(k), vh: sha256(v) }));
  const rec = (set: typeof leaves, d: number): Uint8Array => {
    if (set.length === 0) return ZERO32;
    if (set.length === 1) return smtLeaf(set[0].kh, set[0].vh);
    if (d >= 256) return fail('PNT_ERR_STATE', 'two keys with one key hash');
    return smtInner(
      rec(
        set.filter((x) => bit(x.kh, d) === 0),
        d + 1,
      ),
      rec(
        set.filter((x) => bit(x.kh, d) === 1),
        d + 1,
      ),
    );
  };
  return toHex(rec(leaves, 0));
}

export interface StateProof {
  siblings: Hex[];
  leaf: { keyHash: Hex; valueHash: Hex } | null;
}
interface ParsedProof {
  siblings: Uint8Array[];
  leaf: { keyHash: Uint8Array; valueHash: Uint8Array } | null;
}
const malformed = (m: string): never => fail('PNT_ERR_PROOF_MALFORMED', m);
const hash32 = (s: unknown): Uint8Array => (typeof s === 'string' && /^0x[0-9a-fA-F]{64}$/.test(s) ? fromHex(s) : malformed('expected 32 bytes of hex'));

function parseJsonProof(p: StateProof): ParsedProof {
  if (!isObject(p) || !Array.isArray(p.siblings)) return malformed('proof must have a siblings array');
  if (p.siblings.length > 256) malformed('deeper than 256');
  const siblings = p.siblings.map(hash32);
  if (p.leaf === null) return { siblings, leaf: null };
  if (!isObject(p.leaf)) return malformed('leaf must be null or an object');
  return { siblings, leaf: { keyHash: hash32(p.leaf.keyHash), valueHash: hash32(p.leaf.valueHash) } };
}

/** state.md byte form, strictly: one byte string per proof. */
export function decodeProofBytes(b: Uint8Array): StateProof {
  if (b.length < 3) malformed('shorter than 3 bytes');
  const kind = b[0];
  if (kind !== 0 && kind !== 1) malformed('unknown kind');
  const d = (b[1] << 8) | b[2];
  if (d > 256) malformed('deeper than 256');
  let off = 3;
  let leaf: StateProof['leaf'] = null;
  if (kind === 1) {
    if (b.length < off + 64) malformed('too short for its leaf');
    leaf = { keyHash: toHex(b.subarray(off, off + 32)), valueHash: toHex(b.subarray(off + 32, off + 64)) };
    off += 64;
  }
  const bm = Math.ceil(d / 8);
  if (b.length < off + bm) malformed('too short for its bitmap');
  const bitmap = b.subarray(off, off + bm);
  off += bm;
  for (let i = d; i < bm * 8; i++) if (bit(bitmap, i)) malformed('bitmap bit past the depth');
  const siblings: Hex[] = [];
  for (let i = 0; i < d; i++) {
    if (!bit(bitmap, i)) {
      siblings.push(ZERO_HASH);
      continue;
    }
    if (b.length < off + 32) malformed('too short for its siblings');
    const s = b.subarray(off, off + 32);
    if (equal(s, ZERO32)) malformed('listed sibling is zero');
    siblings.push(toHex(s));
    off += 32;
  }
  if (off !== b.length) malformed('bytes after the proof');
  return { siblings, leaf };
}

export function encodeProofBytes(p: StateProof): Uint8Array {
  const q = parseJsonProof(p);
  const d = q.siblings.length;
  const bitmap = new Uint8Array(Math.ceil(d / 8));
  const listed: Uint8Array[] = [];
  q.siblings.forEach((s, i) => {
    if (equal(s, ZERO32)) return;
    bitmap[i >> 3] |= 0x80 >> (i & 7);
    listed.push(s);
  });
  return concat(Uint8Array.of(q.leaf ? 1 : 0, d >> 8, d & 0xff), ...(q.leaf ? [q.leaf.keyHash, q.leaf.valueHash] : []), bitmap, ...listed);
}

const toParsed = (proof: StateProof | Uint8Array): ParsedProof => parseJsonProof(proof instanceof Uint8Array ? decodeProofBytes(proof) : proof);

function fold(kh: Uint8Array, p: ParsedProof): Uint8Array {
  let node = p.leaf ? smtLeaf(p.leaf.keyHash, p.leaf.valueHash) : ZERO32;
  for (let i = p.siblings.length - 1; i >= 0; i--) node = bit(kh, i) ? smtInner(p.siblings[i], node) : smtInner(node, p.siblings[i]);
  return node;
}

export function verifyMembership(root: Hex, key: Uint8Array, value: Uint8Array, proof: StateProof | Uint8Array): void {
  const r = hash32(root);
  const kh = sha256(key);
  const p = toParsed(proof);
  if (p.leaf === null) fail('PNT_ERR_PROOF_INVALID', 'empty terminal');
  if (!equal(p.leaf!.keyHash, kh)) fail('PNT_ERR_PROOF_INVALID', 'leaf of another key');
  if (!equal(p.leaf!.valueHash, sha256(value))) fail('PNT_ERR_PROOF_INVALID', 'leaf of another value');
  if (!equal(fold(kh, p), r)) fail('PNT_ERR_PROOF_INVALID', 'does not lead to the root');
}

export function verifyNonMembership(root: Hex, key: Uint8Array, proof: StateProof | Uint8Array): void {
  const r = hash32(root);
  const kh = sha256(key);
  const p = toParsed(proof);
  const d = p.siblings.length;
  if (p.leaf !== null) {
    if (equal(p.leaf.keyHash, kh)) {
      if (equal(fold(kh, p), r)) fail('PNT_ERR_PROOF_KEY_PRESENT', 'the key is present');
      fail('PNT_ERR_PROOF_INVALID', 'does not lead to the root');
    }
    for (let i = 0; i < d; i++) if (bit(p.leaf.keyHash, i) !== bit(kh, i)) fail('PNT_ERR_PROOF_INVALID', 'leaf off the key path');
  }
  if (!equal(fold(kh, p), r)) fail('PNT_ERR_PROOF_INVALID', 'does not lead to the root');
}

// ---------------------------------------------------------------- state keys (state-keys.md)

const pad = (n: number, w: number): string => String(n).padStart(w, '0');
export const stateKeys = {
  account: (a: Hex) => `acc/${a}`,
  record: (a: Hex, keyHex: Hex) => `rec/${a}/${keyHex.slice(2)}`,
  govMembers: () => 'gov/members',
  govNextId: () => 'gov/next-id',
  proposal: (id: number) => `gov/proposal/${pad(id, 12)}`,
  params: () => 'params',
  scheduledValidators: () => 'val/scheduled',
  pendingValidators: (h: number) => `val/pending/${pad(h, 16)}`,
  nextValidators: () => 'val/next',
  evidence: (h: number, a: Hex) => `ev/${pad(h, 16)}/${a}`,
  bankBalance: (holder: string, denom: string) => `bank/bal/${holder}/${denom}`,
  bankSupply: (denom: string) => `bank/supply/${denom}`,
  escrow: (chainId: string) => `escrow/${chainId}`,
  outstanding: (x: string, y: string, d: string) => `transfer/outstanding/${x}/${y}/${d}`,
  onward: (x: string, d: string) => `transfer/onward/${x}/${d}`,
  rateLimit: (x: string, y: string, d: string) => `transfer/rate-limit/${x}/${y}/${d}`,
  registryChain: (id: string) => `registry/chain/${id}`,
  pausedRoute: (s: string, d: string) => `registry/paused-route/${s}/${d}`,
  clientState: (c: string) => `clients/${c}/state`,
  clientConsensus: (c: string, h: number) => `clients/${c}/consensus/${pad(h, 16)}`,
  clientEvidence: (c: string, n: number) => `clients/${c}/evidence/${n}`,
  clientMeta: (c: string) => `clients/${c}/meta`,
  attestVoter: (c: string, h: number, a: Hex) => `attest/${c}/${pad(h, 16)}/${a.toLowerCase()}`,
  attestTally: (c: string, h: number) => `attest/${c}/${pad(h, 16)}/tally`,
  attestEquivocation: (c: string, h: number, a: Hex) => `attest/${c}/equivocation/${pad(h, 16)}/${a.toLowerCase()}`,
  nextSend: (ch: string) => `pkt/next-send/${ch}`,
  nextRecv: (ch: string) => `pkt/next-recv/${ch}`,
  ordering: (ch: string) => `pkt/ordering/${ch}`,
  packetCommitment: (ch: string, seq: number) => `pkt/out/${ch}/${seq}`,
  packetReceipt: (ch: string, seq: number) => `pkt/rcpt/${ch}/${seq}`,
  receiptBits: (ch: string, seq: number) => `pkt/rcpt-bits/${ch}/${Math.floor(seq / 256)}`,
  packetAck: (ch: string, seq: number) => `pkt/ack/${ch}/${seq}`,
  packetStatus: (ch: string, seq: number) => `idx/pkt/status/${ch}/${seq}`,
  queued: (ch: string, seq: number) => `pkt/queued/${ch}/${pad(seq, 16)}`,
  queuedIndex: () => 'pkt/queued-index',
  msgInbox: (src: string, seq: number) => `app/msg/inbox/${src}/${pad(seq, 16)}`,
  msgOutcome: (dst: string, seq: number) => `app/msg/outcome/${dst}/${pad(seq, 16)}`,
} satisfies Record<string, (...a: never[]) => string>;

// ---------------------------------------------------------------- packets (packets.md)

export interface Packet {
  srcChain: string;
  srcApp: string;
  dstChain: string;
  dstApp: string;
  sequence: number;
  ordered: boolean;
  payload: Hex;
  timeoutHeight: number;
  timeoutTimestamp: number;
}
export const channelId = (p: Pick<Packet, 'srcChain' | 'srcApp' | 'dstChain' | 'dstApp'>): string => `${p.srcChain}/${p.srcApp}/${p.dstChain}/${p.dstApp}`;
export function packetCommitment(p: Packet): Uint8Array {
  return keccak256(
    keccak256(utf8(p.srcChain)),
    keccak256(utf8(p.srcApp)),
    keccak256(utf8(p.dstChain)),
    keccak256(utf8(p.dstApp)),
    uint(p.sequence, 8),
    Uint8Array.of(p.ordered ? 1 : 0),
    uint(p.timeoutHeight, 8),
    uint(p.timeoutTimestamp, 8),
    keccak256(fromHex(p.payload)),
  );
}
export type Ack = { ok: true; result: Hex } | { ok: false; error: string };
export const encodeAck = (a: Ack): Uint8Array => (a.ok ? concat(Uint8Array.of(1), fromHex(a.result)) : concat(Uint8Array.of(0), utf8(a.error)));
export const ackCommitment = (ack: Uint8Array): Uint8Array => keccak256(ack);

// ---------------------------------------------------------------- ack batches (packets.md, "Ack batches")

/** An ack batch's leaf: keccak256(packet commitment || keccak256(ack bytes)). */
export const ackLeaf = (p: Packet, ack: Uint8Array): Uint8Array => keccak256(packetCommitment(p), ackCommitment(ack));
/** The ack batch key of block `height` for hop `hop` (height zero-padded to 16 digits). */
export const ackBatchKey = (hop: string, height: number): string => `pkt/ack-batch/${hop}/${String(height).padStart(16, '0')}`;
/** The ack batch key's value: root (32) || uint64 BE count. */
export const batchValue = (root: Uint8Array, count: number): Uint8Array => concat(fromHex(toHex(root), 32), uint(count, 8));

/**
 * An ack proven by an ack batch whose value (`root || count`) the caller proved by a state proof:
 * the ack leaf of (`p`, `ack`) folded up `path` (0x-hex, whole 32-byte siblings) from `index`
 * must reach `root`. PNT_ERR_PACKET_BATCH_PROOF otherwise.
 */
export function verifyAckInBatch(p: Packet, ack: Uint8Array, batch: { root: Hex; count: number }, index: number, path: Hex): void {
  if (typeof path !== 'string' || !/^0x([0-9a-f]{64})*$/.test(path)) fail('PNT_ERR_PACKET_BATCH_PROOF', 'path');
  const siblings = (path.slice(2).match(/.{64}/g) ?? []).map((h) => `0x${h}` as Hex);
  let root: Uint8Array;
  try {
    root = merkleRootFromProof(ackLeaf(p, ack), { index, total: batch.count, siblings });
  } catch {
    fail('PNT_ERR_PACKET_BATCH_PROOF', 'path shape');
  }
  if (toHex(root!) !== batch.root.toLowerCase()) fail('PNT_ERR_PACKET_BATCH_PROOF', 'the leaf does not fold to the root');
}

// ---------------------------------------------------------------- receipt words and their absence proofs (packets.md)

/** The key of the receipt word holding `seq`'s bit (packets.md, "Receipt words"). */
export const receiptWordKey = (ch: string, seq: number): string => `pkt/rcpt-bits/${ch}/${Math.floor(seq / 256)}`;

/** Bit `seq mod 256` of a 32-byte word read as a big-endian uint256. */
export function receiptBit(word: Uint8Array, seq: number): boolean {
  if (word.length !== 32) fail('PNT_ERR_PACKET_RECEIPT_WORD', `a receipt word is 32 bytes, not ${word.length}`);
  return ((beBigInt(word) >> BigInt(seq % 256)) & 1n) === 1n;
}

/** `word` (null: never written) with `seq`'s bit set. */
export function withReceiptBit(word: Uint8Array | null, seq: number): Uint8Array {
  if (word !== null) receiptBit(word, seq);
  return uint((word === null ? 0n : beBigInt(word)) | (1n << BigInt(seq % 256)), 32);
}

const RECEIPT_QUESTION_PREFIX = utf8('pkt/rcpt/');
const SEQUENCE_DIGITS = /^[1-9][0-9]{0,15}$/;

/** `pkt/rcpt/<C>/<D>` with D a sequence 1..2^53-1 without leading zeros, or null: any other key is no receipt question. */
export function receiptQuestion(key: Uint8Array): { channel: Uint8Array; seq: number } | null {
  if (key.length < RECEIPT_QUESTION_PREFIX.length || !equal(key.subarray(0, RECEIPT_QUESTION_PREFIX.length), RECEIPT_QUESTION_PREFIX)) return null;
  const slash = key.lastIndexOf(0x2f);
  if (slash <= RECEIPT_QUESTION_PREFIX.length) return null; // C would be empty
  const d = Buffer.from(key.subarray(slash + 1)).toString('latin1');
  if (!SEQUENCE_DIGITS.test(d) || Number(d) > MAX_SAFE) return null;
  return { channel: key.subarray(RECEIPT_QUESTION_PREFIX.length, slash), seq: Number(d) };
}

/** A state proof as a Pontis client takes it: the JSON form, or the byte form as 0x-hex. */
function stateProofArg(p: unknown): StateProof | Uint8Array {
  if (typeof p === 'string') return fromHex(p, undefined, 'PNT_ERR_PROOF_MALFORMED');
  return p as StateProof;
}

/**
 * Non-membership of `key` as a light client of a Pontis chain checks it (packets.md, "From a
 * Pontis chain"): a receipt question is answered by `{word, proof}` for its receipt word, never by
 * a bare proof; any other key by state.md's non-membership.
 */
export function verifyPontisNonMembership(root: Hex, key: Uint8Array, proof: unknown): void {
  const q = receiptQuestion(key);
  if (q === null) return verifyNonMembership(root, key, stateProofArg(proof));
  if (!isObject(proof) || Object.keys(proof).length !== 2 || !('word' in proof) || !('proof' in proof)) return malformed('a receipt question is answered by exactly {word, proof}');
  // the channel is read as UTF-8 (U+FFFD for an invalid sequence), as packets.md says the implementation does
  const wordKey = utf8(`pkt/rcpt-bits/${new TextDecoder().decode(q.channel)}/${Math.floor(q.seq / 256)}`);
  if (proof.word === null) return verifyNonMembership(root, wordKey, stateProofArg(proof.proof));
  const word = hash32(proof.word); // 0x + 64 hex digits of either case, else malformed
  verifyMembership(root, wordKey, word, stateProofArg(proof.proof));
  if (receiptBit(word, q.seq)) fail('PNT_ERR_PROOF_KEY_PRESENT', `bit ${q.seq % 256} of the receipt word is set`);
}

/** SmtProof.sol's revert for each state.md code. */
const SOLIDITY_PROOF_ERROR: Record<string, string> = { PNT_ERR_PROOF_MALFORMED: 'ProofMalformed', PNT_ERR_PROOF_INVALID: 'ProofInvalid', PNT_ERR_PROOF_KEY_PRESENT: 'ProofKeyPresent' };

/**
 * The hub's receipt of packet (ch, seq) proven absent to an EVM Gateway (packets.md, "To an EVM
 * Gateway"): `0x00 || state proof bytes` or `0x01 || word || state proof bytes`. Refusals carry the
 * name of the contract's revert as their code.
 */
export function verifyGatewayReceiptAbsence(root: Hex, ch: string, seq: number, bytes: Uint8Array): void {
  const key = utf8(receiptWordKey(ch, seq));
  const revert = (name: string): never => fail(name, 'Gateway reverts');
  try {
    if (bytes.length === 0) revert('ReceiptProofMalformed');
    if (bytes[0] === 0x00) return verifyNonMembership(root, key, bytes.subarray(1));
    if (bytes[0] !== 0x01 || bytes.length < 33) revert('ReceiptProofMalformed');
    const word = bytes.subarray(1, 33);
    if (receiptBit(word, seq)) revert('ReceiptBitSet');
    verifyMembership(root, key, word, bytes.subarray(33));
  } catch (e) {
    if (e instanceof SpecError && SOLIDITY_PROOF_ERROR[e.code]) revert(SOLIDITY_PROOF_ERROR[e.code]);
    throw e;
  }
}

// ---------------------------------------------------------------- blocks (header.md, rpc.md)

/** A block as GET /blocks/:height serves it. */
export interface BlockView {
  height: number;
  hash: Hex;
  header: Header;
  commit: Commit;
  lastCommit: Commit | null;
  evidence: unknown[];
  events: ResultEvent[];
  txs: { hash: Hex; sender: Hex; tx: SignedTx; result: TxResult }[];
}

export interface BlockContext {
  chainId: string;
  /** The verified previous block (absent for height 1). */
  prev?: { header: Header; validators: Validator[] };
  /** Genesis time (height 1's time must be greater). */
  genesisTime?: number;
  /** vals(h) and vals(h+1) as served, each checked against the header. */
  validators: Validator[];
  nextValidators: Validator[];
  /** vals at an earlier height, to check evidence (required when the block carries any). */
  validatorsAt?: (height: number) => Validator[];
}

export interface Vote {
  type: number;
  height: number;
  round: number;
  blockHash: Hex;
  validator: Hex;
  signature: Hex;
}

/** consensus.md "Evidence", the rules that need no state (the `ev/` key must also be absent before the block). */
export function checkEvidence(chainId: string, e: { kind?: unknown; voteA?: Vote; voteB?: Vote }, height: number, validatorsAt: (h: number) => Validator[]): void {
  const bad = (m: string): never => fail('PNT_ERR_BLOCK_EVIDENCE', m);
  if (e?.kind !== 'duplicate-vote' || !e.voteA || !e.voteB) return bad('not duplicate-vote evidence');
  const { voteA: a, voteB: b } = e;
  if (a.validator !== b.validator || a.height !== b.height || a.round !== b.round || a.type !== b.type) bad('votes differ in validator, height, round or type');
  if (String(a.blockHash).toLowerCase() === String(b.blockHash).toLowerCase()) bad('votes do not conflict');
  if (a.type !== PREVOTE && a.type !== PRECOMMIT) bad('bad vote type');
  if (!Number.isSafeInteger(a.height) || a.height >= height || a.height < height - 10_000 || a.height < 1) bad('evidence height out of range');
  if (!canonicalSet(validatorsAt(a.height)).some((v) => v.address === String(a.validator).toLowerCase())) bad('not a validator at that height');
  for (const v of [a, b]) {
    const ok = isLowerHex(v.signature.toLowerCase(), 65) && recoverSigner(voteDigest(chainId, v.type, v.height, v.round, v.blockHash), fromHex(v.signature)) === v.validator.toLowerCase();
    if (!ok) bad('bad vote signature');
  }
}

/**
 * Everything rpc.md lists for one block. Throws SpecError at the first failure; returns what was
 * recomputed (for the caller to compare or report).
 */
export function verifyBlock(b: BlockView, ctx: BlockContext): { hash: Hex; txRoot: Hex; resultsHash: Hex; evidenceHash: Hex; signedPower: number } {
  const h = b.header;
  const hash = headerHash(h);
  if (hash !== b.hash) fail('PNT_ERR_BLOCK_HASH', 'served hash is not the header hash');
  if (h.chainId !== ctx.chainId) fail('PNT_ERR_BLOCK_CHAIN_ID', 'other chain');
  if (h.height !== b.height) fail('PNT_ERR_BLOCK_HEIGHT', 'height mismatch');
  // validators compare these as strings with what they compute (lower case); the proposer only by address (either case)
  for (const f of HASH_FIELDS) if (!isLowerHex(h[f])) fail('PNT_ERR_BLOCK_HEX', `${f} is not lower-case hex`);
  if (ctx.prev) {
    const p = ctx.prev.header;
    if (h.height !== p.height + 1) fail('PNT_ERR_BLOCK_HEIGHT', 'not the next height');
    if (h.prevHash !== headerHash(p)) fail('PNT_ERR_BLOCK_PREV_HASH', 'does not extend the previous block');
    if (h.time <= p.time) fail('PNT_ERR_BLOCK_TIME', 'time does not increase');
    if (h.validatorsHash !== p.nextValidatorsHash) fail('PNT_ERR_BLOCK_VALIDATORS', 'not the set the previous header named');
  } else {
    if (h.height !== 1) fail('PNT_ERR_BLOCK_HEIGHT', 'no previous block given for a height above 1');
    if (h.prevHash !== ZERO_HASH) fail('PNT_ERR_BLOCK_PREV_HASH', 'height 1 must have the zero prevHash');
    if (ctx.genesisTime !== undefined && h.time <= ctx.genesisTime) fail('PNT_ERR_BLOCK_TIME', 'height 1 is not after genesis');
  }
  if (validatorSetHash(ctx.validators) !== h.validatorsHash) fail('PNT_ERR_BLOCK_VALIDATORS', 'validators do not hash to validatorsHash');
  if (validatorSetHash(ctx.nextValidators) !== h.nextValidatorsHash) fail('PNT_ERR_BLOCK_NEXT_VALIDATORS', 'next validators do not hash to nextValidatorsHash');
  if (!canonicalSet(ctx.validators).some((v) => v.address === h.proposer.toLowerCase())) fail('PNT_ERR_BLOCK_PROPOSER', 'proposer is not a validator');
  const signedPower = verifyCommit(ctx.chainId, ctx.validators, b.commit, h.height, hash);
  if (b.lastCommit && h.height > 1) {
    if (!ctx.prev) fail('PNT_ERR_BLOCK_LAST_COMMIT', 'no previous set to check lastCommit against');
    verifyCommit(ctx.chainId, ctx.prev!.validators, b.lastCommit, h.height - 1, h.prevHash);
  }
  const txBytes = b.txs.map((t) => {
    const bytes = encodeTx(t.tx);
    const d = decodeTx(bytes);
    if (d.hash !== t.hash || t.result.hash !== t.hash) fail('PNT_ERR_BLOCK_TX_HASH', 'transaction hash mismatch');
    if (d.sender !== t.sender) fail('PNT_ERR_BLOCK_TX_SENDER', 'sender is not the key address');
    if (t.tx.body.chainId !== ctx.chainId) fail('PNT_ERR_TX_WRONG_CHAIN', 'transaction of another chain');
    if (!verifyTxSignature(t.tx)) fail('PNT_ERR_BLOCK_TX_SIGNATURE', `bad signature on ${t.hash}`);
    return bytes;
  });
  const txRoot = toHex(merkleRoot(txBytes));
  if (txRoot !== h.txRoot) fail('PNT_ERR_BLOCK_TX_ROOT', 'txRoot does not match the transactions');
  const evidenceHash = toHex(merkleRoot(b.evidence.map(canonicalBytes)));
  if (evidenceHash !== h.evidenceHash) fail('PNT_ERR_BLOCK_EVIDENCE_HASH', 'evidenceHash does not match');
  const offences = new Set<string>();
  for (const e of b.evidence as { voteA: Vote }[]) {
    if (!ctx.validatorsAt) fail('PNT_ERR_BLOCK_EVIDENCE', 'no validator sets to check evidence against');
    checkEvidence(ctx.chainId, e, h.height, ctx.validatorsAt!);
    const id = `${e.voteA.height}/${e.voteA.validator}`;
    if (offences.has(id)) fail('PNT_ERR_BLOCK_EVIDENCE', 'duplicate evidence');
    offences.add(id);
  }
  const rh = resultsHash(
    b.txs.map((t) => t.result),
    b.events,
  );
  if (rh !== h.resultsHash) fail('PNT_ERR_BLOCK_RESULTS_HASH', 'resultsHash does not match the results');
  return { hash, txRoot, resultsHash: rh, evidenceHash, signedPower };
}

/** The `val/next` value written by block h (state-keys.md), checked against header h. */
export function checkNextValidatorsRecord(value: Uint8Array, header: Header): PrioritizedSet & { height: number } {
  const j = parseCanonical(value, 'PNT_ERR_VAL_NEXT') as { height: number; priorities: number[]; validators: Validator[] };
  if (j.height !== header.height + 1) fail('PNT_ERR_VAL_NEXT', 'val/next is not for the next height');
  if (validatorSetHash(j.validators) !== header.nextValidatorsHash) fail('PNT_ERR_VAL_NEXT', 'val/next does not hash to nextValidatorsHash');
  const sorted = canonicalSet(j.validators);
  if (canonicalJson(sorted) !== canonicalJson(j.validators)) fail('PNT_ERR_VAL_NEXT', 'val/next validators not in canonical order');
  if (!Array.isArray(j.priorities) || j.priorities.length !== sorted.length) fail('PNT_ERR_VAL_NEXT', 'priorities');
  return { height: j.height, validators: sorted, priorities: j.priorities.map((p) => BigInt(p)) };
}

/** The JSON form of a prioritized set, as `val/next` stores it (priorities as numbers). */
export const prioritizedJson = (height: number, s: PrioritizedSet): { height: number; priorities: number[]; validators: Validator[] } => ({
  height,
  priorities: s.priorities.map((p) => Number(p)),
  validators: s.validators,
});
