/**
 * HPKE (RFC 9180) in base mode, single shot, for the international profile of the data-sharing
 * layer: KEM DHKEM(X25519, HKDF-SHA256), KDF HKDF-SHA256, AEAD AES-128-GCM or ChaCha20Poly1305.
 * One message per encapsulation (sequence number 0, so the nonce is base_nonce), plus the secret
 * export interface. X25519, HMAC and the AEADs are node:crypto's; only the RFC's labelled KDF and
 * key schedule are written here. `ikmE` (a deterministic ephemeral key) exists for the RFC's test
 * vectors only: reusing an ephemeral key across messages breaks the scheme.
 */
import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CryptoError } from '../errors.ts';
import { type Bytes, concat, uintBE, utf8 } from './bytes.ts';

export const KEM_X25519_HKDF_SHA256 = 0x0020;
export const KDF_HKDF_SHA256 = 0x0001;
export const AEAD_AES_128_GCM = 0x0001;
export const AEAD_CHACHA20_POLY1305 = 0x0003;
export type AeadId = typeof AEAD_AES_128_GCM | typeof AEAD_CHACHA20_POLY1305;

const MODE_BASE = 0x00;
const N_SECRET = 32; // DHKEM(X25519): Nsecret = Nenc = Npk = Nsk = 32
const N_H = 32; // HKDF-SHA256
const N_N = 12;
const N_T = 16;
/** Nk of each AEAD (Nn = 12 and Nt = 16 for both). */
const AEAD_NK: Record<AeadId, number> = { [AEAD_AES_128_GCM]: 16, [AEAD_CHACHA20_POLY1305]: 32 };

const HPKE_V1 = utf8('HPKE-v1');
const KEM_SUITE = concat(utf8('KEM'), uintBE(KEM_X25519_HKDF_SHA256, 2));
const hpkeSuite = (aead: AeadId): Bytes => concat(utf8('HPKE'), uintBE(KEM_X25519_HKDF_SHA256, 2), uintBE(KDF_HKDF_SHA256, 2), uintBE(aead, 2));

// ---- X25519 through node:crypto KeyObjects ----

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

const x25519Private = (sk: Bytes): KeyObject => createPrivateKey({ key: Buffer.concat([X25519_PKCS8, sk]), format: 'der', type: 'pkcs8' });
const x25519Public = (pk: Bytes): KeyObject => createPublicKey({ key: Buffer.concat([X25519_SPKI, pk]), format: 'der', type: 'spki' });
const rawPublic = (k: KeyObject): Bytes => new Uint8Array(k.export({ format: 'der', type: 'spki' }).subarray(-32));

function keyInvalid(message: string, details?: Record<string, unknown>): CryptoError {
  return new CryptoError('PNT_ERR_DATA_KEY_INVALID', message, details ? { details } : {});
}

/** A fresh X25519 key pair, both keys raw 32 bytes (RFC 7748 encoding). */
export function generateX25519(): { secretKey: Bytes; publicKey: Bytes } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { secretKey: new Uint8Array(der.subarray(der.length - 32)), publicKey: rawPublic(publicKey) };
}

export function x25519PublicOf(secretKey: Bytes): Bytes {
  if (secretKey.length !== 32) throw keyInvalid('an X25519 secret key is 32 bytes', { length: secretKey.length });
  return rawPublic(createPublicKey(x25519Private(secretKey)));
}

/**
 * DH(sk, pk) refusing the all-zero output of a low-order pk (RFC 9180 §7.1.4, RFC 7748 §6.1):
 * otherwise a malicious enc or recipient key would force a shared secret anyone can compute.
 */
function dh(sk: Bytes, pk: Bytes): Bytes {
  let out: Buffer;
  try {
    out = diffieHellman({ privateKey: x25519Private(sk), publicKey: x25519Public(pk) });
  } catch {
    // OpenSSL already refuses an all-zero X25519 output itself
    throw keyInvalid('X25519 with this public key gives no shared secret (low-order point)');
  }
  if (out.every((b) => b === 0)) throw keyInvalid('X25519 with this public key gives no shared secret (low-order point)');
  return new Uint8Array(out);
}

// ---- HKDF-SHA256 and the labelled variants (RFC 9180 §4) ----

const hmac = (key: Bytes, ...data: Bytes[]): Bytes => {
  const h = createHmac('sha256', key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
};

function hkdfExpand(prk: Bytes, info: Bytes, length: number): Bytes {
  const out = new Uint8Array(length);
  let t: Bytes = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++) {
    t = hmac(prk, t, info, Uint8Array.of(i));
    out.set(t.subarray(0, Math.min(t.length, length - off)), off);
    off += t.length;
  }
  return out;
}

// An empty salt is HMAC with an empty key, which HMAC pads to HashLen zeros as RFC 5869 asks.
const labeledExtract = (suite: Bytes, salt: Bytes, label: string, ikm: Bytes): Bytes => hmac(salt, HPKE_V1, suite, utf8(label), ikm);
function labeledExpand(suite: Bytes, prk: Bytes, label: string, info: Bytes, length: number): Bytes {
  if (length > 255 * N_H) throw new RangeError(`HPKE expand of ${length} bytes`);
  return hkdfExpand(prk, concat(uintBE(length, 2), HPKE_V1, suite, utf8(label), info), length);
}

const EMPTY = new Uint8Array(0);

// ---- DHKEM(X25519, HKDF-SHA256) ----

/** DeriveKeyPair (RFC 9180 §7.1.3): the X25519 key pair of input keying material `ikm` (at least 32 bytes). */
export function deriveX25519KeyPair(ikm: Bytes): { secretKey: Bytes; publicKey: Bytes } {
  if (ikm.length < N_SECRET) throw keyInvalid('DeriveKeyPair needs at least 32 bytes of ikm', { length: ikm.length });
  const dkpPrk = labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikm);
  const secretKey = labeledExpand(KEM_SUITE, dkpPrk, 'sk', EMPTY, N_SECRET);
  return { secretKey, publicKey: x25519PublicOf(secretKey) };
}

function extractAndExpand(dhOut: Bytes, kemContext: Bytes): Bytes {
  const eaePrk = labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dhOut);
  return labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', kemContext, N_SECRET);
}

function encap(pkR: Bytes, ikmE?: Bytes): { sharedSecret: Bytes; enc: Bytes } {
  if (pkR.length !== 32) throw keyInvalid('an X25519 public key is 32 bytes', { length: pkR.length });
  const e = ikmE ? deriveX25519KeyPair(ikmE) : generateX25519();
  const enc = e.publicKey;
  return { sharedSecret: extractAndExpand(dh(e.secretKey, pkR), concat(enc, pkR)), enc };
}

function decap(enc: Bytes, skR: Bytes): Bytes {
  if (enc.length !== 32) throw keyInvalid('an X25519 enc is 32 bytes', { length: enc.length });
  if (skR.length !== 32) throw keyInvalid('an X25519 secret key is 32 bytes', { length: skR.length });
  return extractAndExpand(dh(skR, enc), concat(enc, x25519PublicOf(skR)));
}

// ---- key schedule (base mode: psk and psk_id empty) ----

/** The base-mode context of one encapsulation (RFC 9180 §5.1); every field is secret but `enc`. */
export interface HpkeContext {
  aead: AeadId;
  enc: Bytes;
  sharedSecret: Bytes;
  keyScheduleContext: Bytes;
  secret: Bytes;
  key: Bytes;
  baseNonce: Bytes;
  exporterSecret: Bytes;
}

function keySchedule(aead: AeadId, sharedSecret: Bytes, info: Bytes, enc: Bytes): HpkeContext {
  const suite = hpkeSuite(aead);
  const pskIdHash = labeledExtract(suite, EMPTY, 'psk_id_hash', EMPTY);
  const infoHash = labeledExtract(suite, EMPTY, 'info_hash', info);
  const keyScheduleContext = new Uint8Array(concat(Uint8Array.of(MODE_BASE), pskIdHash, infoHash));
  const secret = labeledExtract(suite, sharedSecret, 'secret', EMPTY);
  return {
    aead,
    enc,
    sharedSecret,
    keyScheduleContext,
    secret,
    key: labeledExpand(suite, secret, 'key', keyScheduleContext, AEAD_NK[aead]),
    baseNonce: labeledExpand(suite, secret, 'base_nonce', keyScheduleContext, N_N),
    exporterSecret: labeledExpand(suite, secret, 'exp', keyScheduleContext, N_H),
  };
}

function aeadOf(id: AeadId | undefined): AeadId {
  const aead = id ?? AEAD_AES_128_GCM;
  if (!(aead in AEAD_NK)) throw keyInvalid(`HPKE AEAD ${aead} is not supported`, { aead });
  return aead;
}

/** SetupBaseS: encapsulates to `pkR`. `ikmE` fixes the ephemeral key (RFC test vectors only). */
export function setupBaseS(pkR: Bytes, info: Bytes, o: { aead?: AeadId; ikmE?: Bytes } = {}): HpkeContext {
  const aead = aeadOf(o.aead);
  const { sharedSecret, enc } = encap(pkR, o.ikmE);
  return keySchedule(aead, sharedSecret, info, enc);
}

/** SetupBaseR: the recipient's context for `enc`; throws PNT_ERR_DATA_KEY_INVALID for a malformed or low-order enc. */
export function setupBaseR(skR: Bytes, enc: Bytes, info: Bytes, o: { aead?: AeadId } = {}): HpkeContext {
  const aead = aeadOf(o.aead);
  return keySchedule(aead, decap(enc, skR), info, enc);
}

/** Secret export (RFC 9180 §5.3): `length` bytes bound to `exporterContext`. */
export function hpkeExport(ctx: HpkeContext, exporterContext: Bytes, length: number): Bytes {
  return labeledExpand(hpkeSuite(ctx.aead), ctx.exporterSecret, 'sec', exporterContext, length);
}

// ---- single-shot seal and open ----

// one call per cipher name: node's typings pick the AEAD overloads by the literal name
const cipherOf = (aead: AeadId, key: Bytes, nonce: Bytes) =>
  aead === AEAD_AES_128_GCM ? createCipheriv('aes-128-gcm', key, nonce, { authTagLength: N_T }) : createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: N_T });
const decipherOf = (aead: AeadId, key: Bytes, nonce: Bytes) =>
  aead === AEAD_AES_128_GCM ? createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: N_T }) : createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: N_T });

function aeadSeal(aead: AeadId, key: Bytes, nonce: Bytes, aad: Bytes, pt: Bytes): Bytes {
  const c = cipherOf(aead, key, nonce);
  c.setAAD(aad, { plaintextLength: pt.length }); // the length is only read by CCM; the typings ask for it
  return new Uint8Array(concat(c.update(pt), c.final(), c.getAuthTag()));
}

function aeadOpen(aead: AeadId, key: Bytes, nonce: Bytes, aad: Bytes, ct: Bytes): Bytes {
  if (ct.length < N_T) throw new Error('ciphertext shorter than its tag');
  const d = decipherOf(aead, key, nonce);
  d.setAuthTag(ct.subarray(ct.length - N_T));
  d.setAAD(aad, { plaintextLength: ct.length - N_T });
  return new Uint8Array(concat(d.update(ct.subarray(0, ct.length - N_T)), d.final()));
}

/**
 * Encrypts `pt` to `pkR` (the first and only message of a fresh context). Returns the
 * encapsulated key and the ciphertext with its 16-byte tag. Throws PNT_ERR_DATA_KEY_INVALID for
 * a malformed or low-order `pkR`.
 */
export function hpkeSeal(pkR: Bytes, info: Bytes, aad: Bytes, pt: Bytes, o: { aead?: AeadId; ikmE?: Bytes } = {}): { enc: Bytes; ct: Bytes } {
  const ctx = setupBaseS(pkR, info, o);
  return { enc: ctx.enc, ct: aeadSeal(ctx.aead, ctx.key, ctx.baseNonce, aad, pt) };
}

/** Opens what hpkeSeal made; any failure (tag, wrong key, info or aad, malformed or low-order enc) is PNT_ERR_DATA_DECRYPT. */
export function hpkeOpen(skR: Bytes, enc: Bytes, info: Bytes, aad: Bytes, ct: Bytes, o: { aead?: AeadId } = {}): Bytes {
  const aead = aeadOf(o.aead);
  try {
    const ctx = setupBaseR(skR, enc, info, { aead });
    return aeadOpen(aead, ctx.key, ctx.baseNonce, aad, ct);
  } catch {
    // one answer for every failure: the reason would tell an attacker which part to work on
    throw new CryptoError('PNT_ERR_DATA_DECRYPT', 'HPKE ciphertext did not open');
  }
}
