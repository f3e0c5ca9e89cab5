/**
 * A node's private keys for the data-sharing layer (encryption and signing keys of either
 * profile), encrypted at rest in one JSON file (mode 0600). scrypt turns the passphrase into two
 * keys: one AES-256-GCM-encrypts each secret key (aad binds keyId, profile and kind, so a secret
 * cannot be moved to another entry), the other MACs the whole file, so a public key, a kind or a
 * retirement edited in the file is refused at open, and a wrong passphrase is told apart from a
 * damaged file even when the store is empty. Every write goes to a temporary file that is then
 * renamed over the old one, so a crash leaves the old file or the new one, never half of one.
 * Secrets never appear in the file in clear, nor in any error this module throws.
 */
import { closeSync, constants as fsc, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CryptoError, parseSchema } from '../errors.ts';
import { canonicalJson } from '../encoding/canonical-json.ts';
import { type Bytes, type Hex, concat, fromHex, isHex, toHex, utf8 } from './bytes.ts';
import { type DataProfile, encryptionPublicOf, generateEncryptionKey, generateSigningKey, signingPublicOf } from './sealed.ts';

export type KeyKind = 'encryption' | 'signing';

/** What list() tells about a key: everything but the secret. */
export interface KeyInfo {
  keyId: string;
  profile: DataProfile;
  kind: KeyKind;
  publicKey: Bytes;
  createdAt: number;
  retiredAt?: number;
}

export interface KeystoreOptions {
  /** scrypt cost, a power of two in [2^10, 2^20]; 2^15 unless a test needs speed. */
  N?: number;
  r?: number;
  p?: number;
}

const VERSION = 1;
const DEFAULT_N = 1 << 15;
const MIN_N = 1 << 10;
// a file we did not write must not make open() allocate gigabytes: N and r are capped
const MAX_N = 1 << 20;
// starts with a letter or digit: no '__proto__' and friends as object keys
const KEY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const LABEL = 'pontis-keystore/v1';

const hex = z.string().refine((s) => isHex(s), 'expected 0x-prefixed hex');
const entrySchema = z.strictObject({
  profile: z.enum(['intl', 'sm']),
  kind: z.enum(['encryption', 'signing']),
  publicKey: hex,
  createdAt: z.number().int().nonnegative(),
  retiredAt: z.number().int().nonnegative().optional(),
  sealed: z.strictObject({ nonce: hex, ct: hex }),
});
const fileSchema = z.strictObject({
  version: z.literal(VERSION),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    salt: hex,
    N: z.number().int().min(MIN_N).max(MAX_N).refine((n) => (n & (n - 1)) === 0, 'N is a power of two'),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
  }),
  check: hex,
  keys: z.record(z.string().regex(KEY_ID_RE), entrySchema),
  mac: hex,
});
type KeystoreFile = z.infer<typeof fileSchema>;
type Entry = z.infer<typeof entrySchema>;

const malformed = (message: string, details?: Record<string, unknown>) => new CryptoError('PNT_ERR_KEYSTORE_MALFORMED', message, details ? { details } : {});
const io = (message: string, path: string, cause: unknown) =>
  new CryptoError('PNT_ERR_KEYSTORE_IO', message, { retryable: true, details: { path, errno: (cause as NodeJS.ErrnoException)?.code }, cause });

interface DerivedKeys {
  enc: Bytes;
  mac: Bytes;
}

function derive(passphrase: string | Bytes, salt: Bytes, N: number, r: number, p: number): Promise<DerivedKeys> {
  // NFC so that the same passphrase typed on two systems gives the same bytes
  const pw = typeof passphrase === 'string' ? utf8(passphrase.normalize('NFC')) : passphrase;
  // scrypt needs 128*N*r bytes per lane; node's default maxmem (32 MiB) is exactly what N=2^15, r=8 needs and is refused
  const maxmem = 128 * N * r * (p + 1) + (1 << 20);
  return new Promise((resolve, reject) => {
    scrypt(pw, salt, 64, { N, r, p, maxmem }, (err, out) => {
      if (err) reject(new CryptoError('PNT_ERR_KEYSTORE_MALFORMED', 'scrypt refused the keystore parameters', { details: { N, r, p } }));
      else resolve({ enc: new Uint8Array(out.subarray(0, 32)), mac: new Uint8Array(out.subarray(32)) });
    });
  });
}

const hmac = (key: Bytes, data: Bytes): Bytes => new Uint8Array(createHmac('sha256', key).update(data).digest());
const checkOf = (k: DerivedKeys): Hex => toHex(hmac(k.mac, utf8(`${LABEL} passphrase check`)));
const macOf = (k: DerivedKeys, f: Pick<KeystoreFile, 'version' | 'kdf' | 'check' | 'keys'>): Hex =>
  toHex(hmac(k.mac, utf8(canonicalJson({ version: f.version, kdf: f.kdf, check: f.check, keys: f.keys }))));
const aadOf = (keyId: string, profile: DataProfile, kind: KeyKind): Bytes => utf8(canonicalJson([LABEL, keyId, profile, kind]));
const sameHex = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function publicOf(keyId: string, profile: DataProfile, kind: KeyKind, secretKey: Bytes): Bytes {
  try {
    return kind === 'encryption' ? encryptionPublicOf(profile, secretKey) : signingPublicOf(profile, secretKey);
  } catch {
    // rethrown bare: a cause from a curve library might quote the scalar it refused
    throw new CryptoError('PNT_ERR_DATA_KEY_INVALID', `the secret key for ${keyId} is not a valid ${profile} ${kind} key`, { details: { keyId, profile, kind, length: secretKey.length } });
  }
}

/** Writes `data` to `path` atomically (temp file, fsync, rename); `exclusive` refuses an existing `path`. */
function writeAtomic(path: string, data: string, exclusive: boolean): void {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (exclusive) {
      // link() fails if `path` exists, where rename() would silently replace it
      linkSync(tmp, path);
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file was never created, or is already renamed
    }
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && exclusive) throw new CryptoError('PNT_ERR_KEYSTORE_EXISTS', 'a file already exists where the keystore would be created', { details: { path } });
    throw io('could not write the keystore file', path, e);
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd); // makes the rename itself durable
    } finally {
      closeSync(dfd);
    }
  } catch {
    // some platforms and filesystems cannot fsync a directory; the file itself is synced
  }
}

/**
 * An open keystore. create and open are async (scrypt runs off the event loop); the mutations
 * are synchronous writes of a small file, so two of them can never interleave.
 */
export class Keystore {
  readonly path: string;
  #file: KeystoreFile;
  #keys: DerivedKeys;

  private constructor(path: string, file: KeystoreFile, keys: DerivedKeys) {
    this.path = path;
    this.#file = file;
    this.#keys = keys;
  }

  /** Creates an empty keystore at `path`; refuses (PNT_ERR_KEYSTORE_EXISTS) to replace any existing file. */
  static async create(path: string, passphrase: string | Bytes, o: KeystoreOptions = {}): Promise<Keystore> {
    if (passphrase.length === 0) throw new CryptoError('PNT_ERR_KEYSTORE_PASSPHRASE', 'a keystore passphrase cannot be empty');
    const kdf = { name: 'scrypt' as const, salt: toHex(randomBytes(16)), N: o.N ?? DEFAULT_N, r: o.r ?? 8, p: o.p ?? 1 };
    const params = fileSchema.shape.kdf.safeParse(kdf);
    if (!params.success) throw malformed('keystore scrypt parameters out of range (N a power of two in [2^10, 2^20], r 1..32, p 1..16)', { N: kdf.N, r: kdf.r, p: kdf.p });
    const keys = await derive(passphrase, fromHex(kdf.salt), kdf.N, kdf.r, kdf.p);
    const body = { version: VERSION as typeof VERSION, kdf, check: checkOf(keys), keys: {} };
    const file: KeystoreFile = { ...body, mac: macOf(keys, body) };
    writeAtomic(path, JSON.stringify(file, null, 2) + '\n', true);
    return new Keystore(path, file, keys);
  }

  /** Opens the keystore at `path`: PNT_ERR_KEYSTORE_PASSPHRASE for a wrong passphrase, PNT_ERR_KEYSTORE_MALFORMED for a file that does not parse or was edited. */
  static async open(path: string, passphrase: string | Bytes): Promise<Keystore> {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CryptoError('PNT_ERR_KEYSTORE_NOT_FOUND', 'no keystore file at this path', { details: { path } });
      throw io('could not read the keystore file', path, e);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw malformed('the keystore file is not JSON', { path });
    }
    const file = parseSchema(fileSchema, raw, (i) => malformed(`keystore file ${i.field}: ${i.message}`, { path, field: i.field }));
    const keys = await derive(passphrase, fromHex(file.kdf.salt), file.kdf.N, file.kdf.r, file.kdf.p);
    if (!sameHex(checkOf(keys), file.check)) throw new CryptoError('PNT_ERR_KEYSTORE_PASSPHRASE', 'wrong keystore passphrase', { details: { path } });
    if (!sameHex(macOf(keys, file), file.mac)) throw malformed('the keystore file does not match its MAC (edited or corrupted)', { path });
    return new Keystore(path, file, keys);
  }

  /** Adds `secretKey` under `keyId`; returns its public key. */
  add(keyId: string, profile: DataProfile, kind: KeyKind, secretKey: Bytes): Bytes {
    if (!KEY_ID_RE.test(keyId)) throw new CryptoError('PNT_ERR_DATA_KEY_INVALID', 'a keyId is 1..128 characters of A-Z a-z 0-9 . _ : @ / -, starting with a letter or digit', { details: { keyId: keyId.slice(0, 140) } });
    if (Object.hasOwn(this.#file.keys, keyId)) throw new CryptoError('PNT_ERR_KEYSTORE_DUPLICATE_KEY', `the keystore already holds ${keyId}`, { details: { keyId } });
    const publicKey = publicOf(keyId, profile, kind, secretKey);
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#keys.enc, nonce, { authTagLength: 16 });
    c.setAAD(aadOf(keyId, profile, kind));
    const ct = concat(c.update(secretKey), c.final(), c.getAuthTag());
    const entry: Entry = { profile, kind, publicKey: toHex(publicKey), createdAt: Date.now(), sealed: { nonce: toHex(nonce), ct: toHex(ct) } };
    this.#write({ ...this.#file.keys, [keyId]: entry });
    return publicKey;
  }

  /** Generates a key of `profile` and `kind` under `keyId`; returns its public key. */
  generate(keyId: string, profile: DataProfile, kind: KeyKind): Bytes {
    const k = kind === 'encryption' ? generateEncryptionKey(profile) : generateSigningKey(profile);
    try {
      return this.add(keyId, profile, kind, k.secretKey);
    } finally {
      k.secretKey.fill(0);
    }
  }

  /** The secret key `keyId` (a fresh copy: the caller may wipe it). */
  secretKey(keyId: string): Bytes {
    const e = this.#entry(keyId);
    try {
      const ct = fromHex(e.sealed.ct);
      const d = createDecipheriv('aes-256-gcm', this.#keys.enc, fromHex(e.sealed.nonce), { authTagLength: 16 });
      d.setAAD(aadOf(keyId, e.profile, e.kind));
      d.setAuthTag(ct.subarray(ct.length - 16));
      return new Uint8Array(concat(d.update(ct.subarray(0, ct.length - 16)), d.final()));
    } catch {
      // the file's MAC held at open, so only memory corruption or a bug gets here
      throw malformed(`the sealed secret of ${keyId} does not open`, { keyId });
    }
  }

  publicKey(keyId: string): Bytes {
    return fromHex(this.#entry(keyId).publicKey);
  }

  /** Every key, sorted by keyId, without secrets. */
  list(): KeyInfo[] {
    return Object.keys(this.#file.keys)
      .sort()
      .map((keyId) => {
        const e = this.#file.keys[keyId];
        return { keyId, profile: e.profile, kind: e.kind, publicKey: fromHex(e.publicKey), createdAt: e.createdAt, ...(e.retiredAt === undefined ? {} : { retiredAt: e.retiredAt }) };
      });
  }

  /** Marks `keyId` retired at `atMs`: kept (old envelopes still open), no longer to be announced. */
  retire(keyId: string, atMs: number): void {
    const e = this.#entry(keyId);
    if (!Number.isSafeInteger(atMs) || atMs < 0) throw new CryptoError('PNT_ERR_DATA_KEY_INVALID', 'a retirement time is a non-negative integer of ms', { details: { keyId, atMs } });
    this.#write({ ...this.#file.keys, [keyId]: { ...e, retiredAt: atMs } });
  }

  #entry(keyId: string): Entry {
    const e = Object.hasOwn(this.#file.keys, keyId) ? this.#file.keys[keyId] : undefined;
    if (!e) throw new CryptoError('PNT_ERR_KEYSTORE_UNKNOWN_KEY', `the keystore holds no key ${keyId}`, { details: { keyId } });
    return e;
  }

  /** The file with `keys`, written before it becomes this object's state: a failed write changes nothing. */
  #write(keys: Record<string, Entry>): void {
    const body = { version: this.#file.version, kdf: this.#file.kdf, check: this.#file.check, keys };
    const next: KeystoreFile = { ...body, mac: macOf(this.#keys, body) };
    writeAtomic(this.path, JSON.stringify(next, null, 2) + '\n', false);
    this.#file = next;
  }
}
