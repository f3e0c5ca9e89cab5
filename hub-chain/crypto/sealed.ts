/**
 * The cryptography the data-sharing layer calls, one API over two profiles: `intl` (X25519 HPKE,
 * AES-256-GCM, ed25519, sha256) and `sm` (SM2, SM4-CTR + HMAC-SM3, SM3). A sealed envelope
 * encrypts a payload once under a random content key and wraps that key for each recipient (the
 * requesting node, optionally a regulator); it has one canonical binary encoding, so its hash is
 * a stable commitment. Also here: the layer's signatures (consent grants, node key registrations)
 * and its hash.
 *
 * Envelope encoding (all integers big-endian):
 *   "PSE" | version u8 (1) | profile u8 (1 intl, 2 sm) | iv (12 intl, 16 sm) | count u8 (1..16)
 *   | count x { keyId length u8 (1..128) | keyId UTF-8 | wrapped key (80 intl, 129 sm) }
 *   | ciphertext length u32 (<= 1 MiB) | ciphertext | tag (16 intl: GCM tag, 32 sm: HMAC-SM3)
 * Everything before the ciphertext length (the header) is authenticated with the caller's aad,
 * so no recipient entry can be changed, dropped or added without every recipient noticing.
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { CryptoError } from '../errors.ts';
import { type Bytes, concat, uintBE, utf8 } from './bytes.ts';
import { accountKeyFromSeed, signMessage, verifyMessage } from './ed25519.ts';
import { sha256 } from './hash.ts';
import { AEAD_CHACHA20_POLY1305, generateX25519, hpkeOpen, hpkeSeal, x25519PublicOf } from './hpke.ts';
import { generateSm2, hmacSm3, sm2Decrypt, sm2Encrypt, sm2PublicOf, sm2Sign, sm2Verify, sm3, sm4CtrEncrypt } from './sm.ts';

export type DataProfile = 'intl' | 'sm';

export interface EncryptionKeyPair {
  profile: DataProfile;
  secretKey: Bytes;
  publicKey: Bytes;
}

export interface SealedRecipient {
  keyId: string;
  /** The content key sealed to this recipient: HPKE enc||ct (intl) or SM2 C1||C3||C2 (sm). */
  wrappedKey: Bytes;
}

export interface SealedEnvelope {
  version: 1;
  profile: DataProfile;
  iv: Bytes;
  recipients: SealedRecipient[];
  ciphertext: Bytes;
  tag: Bytes;
}

export const SEALED_VERSION = 1;
export const MAX_RECIPIENTS = 16;
export const MAX_PAYLOAD_BYTES = 1 << 20;
export const MAX_KEY_ID_BYTES = 128;

const MAGIC = utf8('PSE');
const CONTENT_KEY_BYTES = 32;
/** Per profile: its code in the encoding, and the fixed lengths of its iv, wrapped key and tag. */
const LAYOUT: Record<DataProfile, { code: number; iv: number; wrapped: number; tag: number }> = {
  intl: { code: 1, iv: 12, wrapped: 32 + CONTENT_KEY_BYTES + 16, tag: 16 },
  sm: { code: 2, iv: 16, wrapped: 65 + 32 + CONTENT_KEY_BYTES, tag: 32 },
};
/** The largest valid encoding (sm, 16 recipients with 128-byte keyIds, 1 MiB): anything longer is refused before it is read. */
const MAX_ENCODED_BYTES = MAGIC.length + 2 + 16 + 1 + MAX_RECIPIENTS * (1 + MAX_KEY_ID_BYTES + LAYOUT.sm.wrapped) + 4 + MAX_PAYLOAD_BYTES + LAYOUT.sm.tag;
const PROFILE_BY_CODE = new Map(Object.entries(LAYOUT).map(([p, l]) => [l.code, p as DataProfile]));

// ChaCha20Poly1305 rather than AES-128-GCM for the wrap: a 256-bit key for the 256-bit content
// key it carries, and constant time in software on nodes without AES instructions.
const WRAP_AEAD = AEAD_CHACHA20_POLY1305;

const decryptFailed = (message: string) => new CryptoError('PNT_ERR_DATA_DECRYPT', message);
const malformed = (message: string, details?: Record<string, unknown>) => new CryptoError('PNT_ERR_DATA_ENVELOPE_MALFORMED', message, details ? { details } : {});
const refused = (message: string, details?: Record<string, unknown>) => new CryptoError('PNT_ERR_DATA_SEAL_REFUSED', message, details ? { details } : {});
const keyInvalid = (message: string, details?: Record<string, unknown>) => new CryptoError('PNT_ERR_DATA_KEY_INVALID', message, details ? { details } : {});

function layoutOf(profile: DataProfile) {
  const l = Object.hasOwn(LAYOUT, profile) ? LAYOUT[profile] : undefined;
  if (!l) throw keyInvalid(`unknown data profile ${String(profile).slice(0, 16)}`);
  return l;
}

// ---- keys ----

export function generateEncryptionKey(profile: DataProfile): EncryptionKeyPair {
  layoutOf(profile);
  return { profile, ...(profile === 'intl' ? generateX25519() : generateSm2()) };
}

export function encryptionPublicOf(profile: DataProfile, secretKey: Bytes): Bytes {
  layoutOf(profile);
  return profile === 'intl' ? x25519PublicOf(secretKey) : sm2PublicOf(secretKey);
}

// ---- envelope encoding ----

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** keyId bytes, or why it is not a valid keyId: 1..128 bytes of well-formed UTF-8. */
function keyIdBytes(keyId: unknown): Bytes | string {
  if (typeof keyId !== 'string') return 'a keyId is a string';
  const b = utf8(keyId);
  if (b.length < 1 || b.length > MAX_KEY_ID_BYTES) return `a keyId is 1..${MAX_KEY_ID_BYTES} bytes of UTF-8`;
  if (utf8Strict.decode(b) !== keyId) return 'a keyId is well-formed UTF-8 (no lone surrogates)';
  return b;
}

/** The header bytes (everything the tag authenticates besides ciphertext and aad); throws `bad` for an envelope that breaks a rule. */
function encodeHeader(e: SealedEnvelope, bad: (m: string, d?: Record<string, unknown>) => CryptoError): Bytes {
  if (e.version !== SEALED_VERSION) throw bad(`sealed envelope version ${String(e.version)} is not ${SEALED_VERSION}`);
  const l = Object.hasOwn(LAYOUT, e.profile) ? LAYOUT[e.profile] : undefined;
  if (!l) throw bad('sealed envelope of an unknown profile');
  if (e.iv.length !== l.iv) throw bad(`an ${e.profile} envelope's iv is ${l.iv} bytes`, { length: e.iv.length });
  const n = e.recipients.length;
  if (n < 1 || n > MAX_RECIPIENTS) throw bad(`a sealed envelope has 1..${MAX_RECIPIENTS} recipients`, { recipients: n });
  const parts: Bytes[] = [MAGIC, Uint8Array.of(SEALED_VERSION, l.code), e.iv, Uint8Array.of(n)];
  const seen = new Set<string>();
  for (const r of e.recipients) {
    const id = keyIdBytes(r.keyId);
    if (typeof id === 'string') throw bad(id);
    if (seen.has(r.keyId)) throw bad('a keyId appears twice among the recipients', { keyId: r.keyId });
    seen.add(r.keyId);
    if (r.wrappedKey.length !== l.wrapped) throw bad(`an ${e.profile} wrapped key is ${l.wrapped} bytes`, { keyId: r.keyId, length: r.wrappedKey.length });
    parts.push(Uint8Array.of(id.length), id, r.wrappedKey);
  }
  return concat(...parts);
}

function checkBody(e: SealedEnvelope): void {
  const l = LAYOUT[e.profile];
  if (e.ciphertext.length > MAX_PAYLOAD_BYTES) throw malformed(`a sealed payload is at most ${MAX_PAYLOAD_BYTES} bytes`, { length: e.ciphertext.length });
  if (e.tag.length !== l.tag) throw malformed(`an ${e.profile} envelope's tag is ${l.tag} bytes`, { length: e.tag.length });
}

export function encodeSealed(e: SealedEnvelope): Bytes {
  const header = encodeHeader(e, malformed);
  checkBody(e);
  return new Uint8Array(concat(header, uintBE(e.ciphertext.length, 4), e.ciphertext, e.tag));
}

/** The envelope of `b`, its only encoding: anything else (short, long, out of range) is PNT_ERR_DATA_ENVELOPE_MALFORMED. */
export function decodeSealed(input: Bytes): SealedEnvelope {
  if (input.length > MAX_ENCODED_BYTES) throw malformed('a sealed envelope larger than any valid one', { length: input.length });
  // a copy: the envelope's fields are views into it, and must not change with the caller's buffer
  const b = new Uint8Array(input);
  let off = 0;
  const take = (n: number, what: string): Bytes => {
    if (off + n > b.length) throw malformed(`sealed envelope truncated in ${what}`, { at: off, need: n, have: b.length - off });
    const out = b.subarray(off, off + n);
    off += n;
    return out;
  };
  const u8 = (what: string): number => take(1, what)[0];
  if (!MAGIC.every((m, i) => b[i] === m)) throw malformed('not a sealed envelope (magic)');
  off = MAGIC.length;
  const version = u8('version');
  if (version !== SEALED_VERSION) throw malformed(`sealed envelope version ${version} is not ${SEALED_VERSION}`);
  const profile = PROFILE_BY_CODE.get(u8('profile'));
  if (!profile) throw malformed('sealed envelope of an unknown profile');
  const l = LAYOUT[profile];
  const iv = take(l.iv, 'iv');
  const count = u8('recipient count');
  if (count < 1 || count > MAX_RECIPIENTS) throw malformed(`a sealed envelope has 1..${MAX_RECIPIENTS} recipients`, { recipients: count });
  const recipients: SealedRecipient[] = [];
  for (let i = 0; i < count; i++) {
    const idLen = u8('keyId length');
    let keyId: string;
    try {
      keyId = utf8Strict.decode(take(idLen, 'keyId'));
    } catch (e) {
      if (e instanceof CryptoError) throw e;
      throw malformed('a keyId is not well-formed UTF-8', { recipient: i });
    }
    recipients.push({ keyId, wrappedKey: take(l.wrapped, 'wrapped key') });
  }
  const ctLen = Buffer.from(take(4, 'ciphertext length')).readUInt32BE(0);
  if (ctLen > MAX_PAYLOAD_BYTES) throw malformed(`a sealed payload is at most ${MAX_PAYLOAD_BYTES} bytes`, { length: ctLen });
  const ciphertext = take(ctLen, 'ciphertext');
  const tag = take(l.tag, 'tag');
  if (off !== b.length) throw malformed('bytes after the end of a sealed envelope', { extra: b.length - off });
  const env: SealedEnvelope = { version: SEALED_VERSION, profile, iv, recipients, ciphertext, tag };
  encodeHeader(env, malformed); // the per-recipient rules (keyId length, duplicates) in one place
  return env;
}

// ---- content encryption ----

const LABEL = 'pontis-sealed/v1';
/** HPKE info of one recipient's wrap: the format version, the profile and the keyId, so a wrap cannot be moved to another slot or format. */
const wrapInfo = (profile: DataProfile, keyId: string): Bytes => concat(utf8(`${LABEL}\0${profile}\0`), utf8(keyId));
/** The sm profile's two content keys, apart so that the cipher key never keys the MAC. */
const smKeys = (ck: Bytes) => ({ enc: hmacSm3(ck, utf8(`${LABEL} sm4-ctr key`)).subarray(0, 16), mac: hmacSm3(ck, utf8(`${LABEL} hmac-sm3 key`)) });
const smMac = (macKey: Bytes, header: Bytes, ct: Bytes, aad: Bytes): Bytes => hmacSm3(macKey, concat(header, uintBE(ct.length, 4), ct, aad));

/**
 * Encrypts once to several recipients (the requesting node, optionally a regulator): a random
 * content key wraps the payload, and each recipient gets that key sealed to its public key.
 * `aad` is authenticated, not carried: the opener must present the same bytes.
 */
export function sealTo(profile: DataProfile, recipients: { keyId: string; publicKey: Bytes }[], plaintext: Bytes, aad: Bytes): SealedEnvelope {
  const l = layoutOf(profile);
  if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) throw refused(`seal to 1..${MAX_RECIPIENTS} recipients`, { recipients: recipients.length });
  if (plaintext.length > MAX_PAYLOAD_BYTES) throw refused(`a sealed payload is at most ${MAX_PAYLOAD_BYTES} bytes`, { length: plaintext.length });
  const seen = new Set<string>();
  for (const r of recipients) {
    const id = keyIdBytes(r.keyId);
    if (typeof id === 'string') throw refused(id);
    if (seen.has(r.keyId)) throw refused('a keyId appears twice among the recipients', { keyId: r.keyId });
    seen.add(r.keyId);
  }
  const ck = new Uint8Array(randomBytes(CONTENT_KEY_BYTES));
  // The content key is fresh per envelope, so the iv need not be unique; it is random anyway so
  // that a content key reused by a future mistake still never repeats a nonce.
  const iv = new Uint8Array(randomBytes(l.iv));
  try {
    const wrapped: SealedRecipient[] = recipients.map((r) => {
      if (profile === 'sm') return { keyId: r.keyId, wrappedKey: sm2Encrypt(r.publicKey, ck) };
      const { enc, ct } = hpkeSeal(r.publicKey, wrapInfo(profile, r.keyId), aad, ck, { aead: WRAP_AEAD });
      return { keyId: r.keyId, wrappedKey: new Uint8Array(concat(enc, ct)) };
    });
    const env: SealedEnvelope = { version: SEALED_VERSION, profile, iv, recipients: wrapped, ciphertext: new Uint8Array(0), tag: new Uint8Array(0) };
    const header = encodeHeader(env, refused);
    if (profile === 'intl') {
      const c = createCipheriv('aes-256-gcm', ck, iv, { authTagLength: 16 });
      c.setAAD(concat(header, aad));
      env.ciphertext = new Uint8Array(concat(c.update(plaintext), c.final()));
      env.tag = new Uint8Array(c.getAuthTag());
    } else {
      const k = smKeys(ck);
      env.ciphertext = sm4CtrEncrypt(k.enc, iv, plaintext);
      env.tag = smMac(k.mac, header, env.ciphertext, aad);
    }
    return env;
  } finally {
    ck.fill(0);
  }
}

/**
 * Opens `env` as recipient `keyId`. Every failure (another profile, keyId not a recipient, wrong
 * key, any byte tampered, another aad) is PNT_ERR_DATA_DECRYPT; an envelope object that breaks
 * the format is PNT_ERR_DATA_ENVELOPE_MALFORMED.
 */
export function openSealed(profile: DataProfile, keyId: string, secretKey: Bytes, env: SealedEnvelope, aad: Bytes): Bytes {
  if (env.profile !== profile) throw decryptFailed(`a sealed envelope of profile ${String(env.profile).slice(0, 16)} opened as ${String(profile).slice(0, 16)}`);
  const header = encodeHeader(env, malformed);
  checkBody(env);
  const me = env.recipients.find((r) => r.keyId === keyId);
  if (!me) throw decryptFailed('this keyId is not a recipient of the sealed envelope');
  let ck: Bytes | undefined;
  try {
    if (profile === 'intl') {
      ck = hpkeOpen(secretKey, me.wrappedKey.subarray(0, 32), wrapInfo(profile, keyId), aad, me.wrappedKey.subarray(32), { aead: WRAP_AEAD });
      const d = createDecipheriv('aes-256-gcm', ck, env.iv, { authTagLength: 16 });
      d.setAuthTag(env.tag);
      d.setAAD(concat(header, aad));
      return new Uint8Array(concat(d.update(env.ciphertext), d.final()));
    }
    ck = sm2Decrypt(secretKey, me.wrappedKey);
    const k = smKeys(ck);
    // encrypt-then-MAC: nothing is decrypted before the MAC is checked
    if (!timingSafeEqual(smMac(k.mac, header, env.ciphertext, aad), env.tag)) throw decryptFailed('sealed envelope MAC mismatch');
    return sm4CtrEncrypt(k.enc, env.iv, env.ciphertext);
  } catch {
    throw decryptFailed('sealed envelope did not open');
  } finally {
    ck?.fill(0);
  }
}

// ---- signatures and hash ----

/** Signatures of the data-sharing layer (consent grants, node key registrations): intl = ed25519, sm = SM2 with the default user id. */
export function generateSigningKey(profile: DataProfile): { secretKey: Bytes; publicKey: Bytes } {
  layoutOf(profile);
  if (profile === 'sm') return generateSm2();
  const seed = new Uint8Array(randomBytes(32));
  return { secretKey: seed, publicKey: accountKeyFromSeed(seed).publicKey };
}

export function signingPublicOf(profile: DataProfile, secretKey: Bytes): Bytes {
  layoutOf(profile);
  if (profile === 'sm') return sm2PublicOf(secretKey);
  if (secretKey.length !== 32) throw keyInvalid('an ed25519 secret key (seed) is 32 bytes', { length: secretKey.length });
  return accountKeyFromSeed(secretKey).publicKey;
}

export function dataSign(profile: DataProfile, secretKey: Bytes, msg: Bytes): Bytes {
  layoutOf(profile);
  if (profile === 'sm') return sm2Sign(secretKey, msg);
  if (secretKey.length !== 32) throw keyInvalid('an ed25519 secret key (seed) is 32 bytes', { length: secretKey.length });
  return signMessage(msg, secretKey);
}

/** Whether `sig` is `publicKey`'s signature of `msg`; false for anything malformed, never throws. */
export function dataVerify(profile: DataProfile, publicKey: Bytes, msg: Bytes, sig: Bytes): boolean {
  try {
    if (profile === 'sm') return sm2Verify(publicKey, msg, sig);
    if (profile === 'intl') return verifyMessage(msg, sig, publicKey);
    return false;
  } catch {
    return false;
  }
}

/** The profile's hash: sha256 (intl) or SM3 (sm). */
export function dataHash(profile: DataProfile, ...parts: Bytes[]): Bytes {
  layoutOf(profile);
  return profile === 'sm' ? sm3(...parts) : sha256(...parts);
}
