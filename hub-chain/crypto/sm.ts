/**
 * The GM/T (national) primitives of the data-sharing layer's `sm` profile: SM3 and HMAC-SM3
 * (GB/T 32905), SM4 blocks and SM4-CTR (GB/T 32907), SM2 keys, signatures (GB/T 32918.2) and
 * public-key encryption (GB/T 32918.4, C1||C3||C2) on the recommended curve (GB/T 32918.5).
 * SM3 and SM4 are node:crypto's. SM2 is computed here over @noble/curves' Weierstrass
 * arithmetic, because node:crypto cannot do it to the standard: its sign('sm3') on an SM2 key is
 * the SM2 algorithm but with Z_A over an empty user id (OpenSSL 3's default, and node has no way
 * to set the distinguishing id), so it verifies none of the standard's vectors with the default
 * id '1234567812345678'; and node has no SM2 encryption at all.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { weierstrass, type WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { CryptoError } from '../errors.ts';
import { type Bytes, concat, uintBE, utf8 } from './bytes.ts';

// ---- SM3, HMAC-SM3 ----

export function sm3(...parts: Bytes[]): Bytes {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmacSm3(key: Bytes, data: Bytes): Bytes {
  return new Uint8Array(createHmac('sm3', key).update(data).digest());
}

// ---- SM4 ----

function keyInvalid(message: string, details?: Record<string, unknown>): CryptoError {
  return new CryptoError('PNT_ERR_DATA_KEY_INVALID', message, details ? { details } : {});
}

function sm4Args(key: Bytes, iv: Bytes | undefined): void {
  if (key.length !== 16) throw keyInvalid('an SM4 key is 16 bytes', { length: key.length });
  if (iv !== undefined && iv.length !== 16) throw keyInvalid('an SM4 iv/block is 16 bytes', { length: iv.length });
}

/** SM4-CTR with a 128-bit big-endian counter starting at `iv`; the same call decrypts. */
export function sm4CtrEncrypt(key: Bytes, iv: Bytes, data: Bytes): Bytes {
  sm4Args(key, iv);
  const c = createCipheriv('sm4-ctr', key, iv);
  return new Uint8Array(concat(c.update(data), c.final()));
}

/** One SM4 block encryption (the GB/T 32907 examples are stated at this level). */
export function sm4EncryptBlock(key: Bytes, block: Bytes): Bytes {
  sm4Args(key, block);
  const c = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(concat(c.update(block), c.final()));
}

export function sm4DecryptBlock(key: Bytes, block: Bytes): Bytes {
  sm4Args(key, block);
  const d = createDecipheriv('sm4-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(concat(d.update(block), d.final()));
}

// ---- the SM2 curve (GB/T 32918.5 recommended parameters) ----

const CURVE = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
} as const;
const Point = weierstrass<bigint>(CURVE);
const N = CURVE.n;
type P = WeierstrassPoint<bigint>;

/** The user id GM/T 0009 fixes when the parties agree on none. */
export const SM2_DEFAULT_ID = '1234567812345678';

const modN = (x: bigint): bigint => ((x % N) + N) % N;
const toInt = (b: Bytes): bigint => (b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex')));
const to32 = (x: bigint): Bytes => uintBytes(x, 32);
function uintBytes(x: bigint, size: number): Bytes {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

/** Uniform in [1, max] by rejection (n is within 2^-32 of 2^256, so a retry is rare). */
function randomScalar(max: bigint): bigint {
  for (;;) {
    const k = toInt(randomBytes(32));
    if (k >= 1n && k <= max) return k;
  }
}

/** An SM2 secret key: 32 bytes, d in [1, n-2] (GB/T 32918.1 §6.1: 1+d must be invertible mod n). */
function secretScalar(sk: Bytes): bigint {
  if (sk.length !== 32) throw keyInvalid('an SM2 secret key is 32 bytes', { length: sk.length });
  const d = toInt(sk);
  if (d < 1n || d > N - 2n) throw keyInvalid('an SM2 secret key is out of range [1, n-2]');
  return d;
}

/** An SM2 public key: 65 bytes 04||x||y of a point on the curve (the curve's cofactor is 1). */
function publicPoint(pk: Bytes): P {
  if (pk.length !== 65 || pk[0] !== 0x04) throw keyInvalid('an SM2 public key is 65 bytes 04||x||y', { length: pk.length });
  try {
    return Point.fromBytes(pk);
  } catch {
    throw keyInvalid('an SM2 public key is not a point on the curve');
  }
}

export function generateSm2(): { secretKey: Bytes; publicKey: Bytes } {
  const d = randomScalar(N - 2n);
  return { secretKey: to32(d), publicKey: Point.BASE.multiply(d).toBytes(false) };
}

export function sm2PublicOf(secretKey: Bytes): Bytes {
  return Point.BASE.multiply(secretScalar(secretKey)).toBytes(false);
}

// ---- SM2 signatures (GB/T 32918.2) ----

const idBytes = (id: string | Bytes): Bytes => (typeof id === 'string' ? utf8(id) : id);

/** Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), ENTL the id's length in bits (16 bits). */
export function sm2Za(publicKey: Bytes, id: string | Bytes = SM2_DEFAULT_ID): Bytes {
  const idb = idBytes(id);
  if (idb.length > 8191) throw keyInvalid('an SM2 user id is at most 8191 bytes (ENTL is 16 bits)', { length: idb.length });
  publicPoint(publicKey);
  return sm3(uintBE(idb.length * 8, 2), idb, to32(CURVE.a), to32(CURVE.b), to32(CURVE.Gx), to32(CURVE.Gy), publicKey.subarray(1));
}

/**
 * An SM2 signature r||s (64 bytes) of `msg` under `id`. `o.k` fixes the per-signature nonce for
 * the standard's test vectors only: a k used twice, or known, gives the secret key away.
 */
export function sm2Sign(secretKey: Bytes, msg: Bytes, id: string | Bytes = SM2_DEFAULT_ID, o: { k?: Bytes } = {}): Bytes {
  const d = secretScalar(secretKey);
  const e = toInt(sm3(sm2Za(Point.BASE.multiply(d).toBytes(false), id), msg));
  const dInv = Point.Fn.inv(d + 1n);
  for (;;) {
    const k = o.k ? toInt(o.k) : randomScalar(N - 1n);
    if (k < 1n || k >= N) throw keyInvalid('a fixed SM2 nonce k is out of range [1, n-1]');
    const r = modN(e + Point.BASE.multiply(k).x);
    const s = r === 0n || r + k === N ? 0n : modN(dInv * (k - r * d));
    if (s !== 0n) return new Uint8Array(concat(to32(r), to32(s)));
    if (o.k) throw keyInvalid('this fixed SM2 nonce k gives no signature');
  }
}

/** Whether `sig` (r||s, 64 bytes) is `publicKey`'s SM2 signature of `msg` under `id`. False for any malformed input; never throws. */
export function sm2Verify(publicKey: Bytes, msg: Bytes, sig: Bytes, id: string | Bytes = SM2_DEFAULT_ID): boolean {
  try {
    if (sig.length !== 64) return false;
    const r = toInt(sig.subarray(0, 32));
    const s = toInt(sig.subarray(32));
    if (r < 1n || r >= N || s < 1n || s >= N) return false;
    const t = modN(r + s);
    if (t === 0n) return false;
    const Q = publicPoint(publicKey);
    const e = toInt(sm3(sm2Za(publicKey, id), msg));
    // both scalars are public here, so the variable-time double multiplication is fine
    const X = Point.BASE.mulAddUnsafe(s, Q, t);
    if (X.is0()) return false;
    return modN(e + X.x) === r;
  } catch {
    return false;
  }
}

// ---- SM2 public-key encryption (GB/T 32918.4) ----

/** The SM3 key derivation function of GB/T 32918.4 §5.4.3 (counter from 1, 32 bits big-endian). */
export function sm3Kdf(z: Bytes, length: number): Bytes {
  const out = new Uint8Array(length);
  for (let ct = 1, off = 0; off < length; ct++, off += 32) {
    const h = sm3(z, uintBE(ct, 4));
    out.set(h.subarray(0, Math.min(32, length - off)), off);
  }
  return out;
}

const C1_LEN = 65;
const C3_LEN = 32;

/**
 * SM2-encrypts `msg` (at least one byte) to `publicKey`: C1 || C3 || C2, C1 uncompressed.
 * `o.k` fixes the ephemeral scalar for the standard's test vectors only.
 */
export function sm2Encrypt(publicKey: Bytes, msg: Bytes, o: { k?: Bytes } = {}): Bytes {
  const Q = publicPoint(publicKey);
  if (msg.length === 0) throw new CryptoError('PNT_ERR_DATA_SEAL_REFUSED', 'SM2 encryption of an empty message (its key stream would be empty)');
  for (;;) {
    const k = o.k ? toInt(o.k) : randomScalar(N - 1n);
    if (k < 1n || k >= N) throw keyInvalid('a fixed SM2 ephemeral k is out of range [1, n-1]');
    const c1 = Point.BASE.multiply(k).toBytes(false);
    const s = Q.multiply(k);
    const x2 = to32(s.x);
    const y2 = to32(s.y);
    const t = sm3Kdf(concat(x2, y2), msg.length);
    if (t.every((b) => b === 0)) {
      if (o.k) throw keyInvalid('this fixed SM2 ephemeral k gives an all-zero key stream');
      continue;
    }
    const c2 = Uint8Array.from(msg, (b, i) => b ^ t[i]);
    return new Uint8Array(concat(c1, sm3(x2, msg, y2), c2));
  }
}

/** Decrypts C1 || C3 || C2; any failure (malformed C1, wrong key, tampered bytes) is PNT_ERR_DATA_DECRYPT. */
export function sm2Decrypt(secretKey: Bytes, ct: Bytes): Bytes {
  const fail = () => new CryptoError('PNT_ERR_DATA_DECRYPT', 'SM2 ciphertext did not open');
  if (ct.length < C1_LEN + C3_LEN + 1) throw fail();
  let d: bigint;
  let C1: P;
  try {
    d = secretScalar(secretKey);
    C1 = publicPoint(ct.subarray(0, C1_LEN));
  } catch {
    throw fail();
  }
  const c3 = ct.subarray(C1_LEN, C1_LEN + C3_LEN);
  const c2 = ct.subarray(C1_LEN + C3_LEN);
  const s = C1.multiply(d);
  const x2 = to32(s.x);
  const y2 = to32(s.y);
  const t = sm3Kdf(concat(x2, y2), c2.length);
  if (t.every((b) => b === 0)) throw fail();
  const msg = Uint8Array.from(c2, (b, i) => b ^ t[i]);
  if (!timingSafeEqual(sm3(x2, msg, y2), c3)) throw fail();
  return msg;
}
