/**
 * hub-chain/crypto/keystore.ts in a temp dir with a low scrypt cost: keys of every profile and
 * kind survive a reopen; the file holds no secret in any common encoding and is mode 0600; a
 * wrong passphrase, an edited or malformed file, unknown and duplicate keys are refused with
 * their codes; no error carries a secret; a failed write changes nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bytes, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { type KeyKind, Keystore } from '../../../hub-chain/crypto/keystore.ts';
import { type DataProfile, dataSign, dataVerify, generateEncryptionKey, openSealed, sealTo } from '../../../hub-chain/crypto/sealed.ts';
import { PontisError } from '../../../hub-chain/errors.ts';

const N = 1 << 10;
const PASS = 'correct horse battery staple';
const root = mkdtempSync(join(tmpdir(), 'pontis-keystore-'));
let n = 0;
const fresh = (): string => join(root, `ks-${n++}.json`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const code = (c: string) => expect.objectContaining({ code: c });

/** Every way a secret could show up in a file or a message: hex (both cases, with or without 0x), base64, base64url. */
function encodings(secret: Bytes): string[] {
  const b = Buffer.from(secret);
  const hex = b.toString('hex');
  return [hex, hex.toUpperCase(), b.toString('base64'), b.toString('base64url'), b.toString('base64').slice(0, 40)];
}

async function expectReject(p: Promise<unknown>, c: string): Promise<void> {
  await expect(p).rejects.toThrow(code(c));
}

const KINDS: { profile: DataProfile; kind: KeyKind; keyId: string }[] = [
  { profile: 'intl', kind: 'encryption', keyId: 'intl-enc' },
  { profile: 'intl', kind: 'signing', keyId: 'intl-sig' },
  { profile: 'sm', kind: 'encryption', keyId: 'sm-enc' },
  { profile: 'sm', kind: 'signing', keyId: 'sm-sig' },
];

describe('Keystore', () => {
  it('behavior: generated keys of each profile and kind survive a reopen and work', async () => {
    const path = fresh();
    const ks = await Keystore.create(path, PASS, { N });
    const pubs = new Map(KINDS.map((k) => [k.keyId, ks.generate(k.keyId, k.profile, k.kind)]));
    const again = await Keystore.open(path, PASS);
    for (const k of KINDS) {
      expect(again.publicKey(k.keyId)).toEqual(pubs.get(k.keyId));
      const sk = again.secretKey(k.keyId);
      expect(sk).toEqual(ks.secretKey(k.keyId));
      if (k.kind === 'signing') {
        expect(dataVerify(k.profile, pubs.get(k.keyId)!, Uint8Array.of(1, 2, 3), dataSign(k.profile, sk, Uint8Array.of(1, 2, 3)))).toBe(true);
      } else {
        const env = sealTo(k.profile, [{ keyId: 'me', publicKey: pubs.get(k.keyId)! }], Uint8Array.of(9), Uint8Array.of());
        expect(openSealed(k.profile, 'me', sk, env, Uint8Array.of())).toEqual(Uint8Array.of(9));
      }
    }
    expect(again.list().map((k) => [k.keyId, k.profile, k.kind])).toEqual(KINDS.map((k) => [k.keyId, k.profile, k.kind]).sort());
  });

  it('behavior: add stores a given key; list tells everything but the secret', async () => {
    const path = fresh();
    const ks = await Keystore.create(path, PASS, { N });
    const k = generateEncryptionKey('sm');
    const before = Date.now();
    expect(ks.add('dept-b/node-1', 'sm', 'encryption', k.secretKey)).toEqual(k.publicKey);
    const [info] = ks.list();
    expect(info).toEqual({ keyId: 'dept-b/node-1', profile: 'sm', kind: 'encryption', publicKey: k.publicKey, createdAt: expect.any(Number) });
    expect(info.createdAt).toBeGreaterThanOrEqual(before);
    const listed = JSON.stringify(ks.list(), (_, v) => (v instanceof Uint8Array ? toHex(v) : v));
    for (const s of encodings(k.secretKey)) expect(listed).not.toContain(s);
  });

  it('behavior: the file is mode 0600 JSON of the documented shape, with no secret in clear in any encoding', async () => {
    const path = fresh();
    const ks = await Keystore.create(path, PASS, { N });
    for (const k of KINDS) ks.generate(k.keyId, k.profile, k.kind);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    const file = JSON.parse(text);
    expect(file).toMatchObject({ version: 1, kdf: { name: 'scrypt', N, r: 8, p: 1, salt: expect.stringMatching(/^0x[0-9a-f]{32}$/) } });
    expect(file.keys['sm-sig']).toEqual({
      profile: 'sm',
      kind: 'signing',
      publicKey: toHex(ks.publicKey('sm-sig')),
      createdAt: expect.any(Number),
      sealed: { nonce: expect.stringMatching(/^0x[0-9a-f]{24}$/), ct: expect.stringMatching(/^0x[0-9a-f]{96}$/) },
    });
    const raw = readFileSync(path).toString('latin1');
    for (const k of KINDS) for (const s of encodings(ks.secretKey(k.keyId))) expect(raw).not.toContain(s);
  });

  it('behavior: the default cost N = 2^15 works (scrypt maxmem is set for it)', async () => {
    const path = fresh();
    await Keystore.create(path, PASS);
    expect(JSON.parse(readFileSync(path, 'utf8')).kdf.N).toBe(1 << 15);
    await expect(Keystore.open(path, PASS)).resolves.toBeInstanceOf(Keystore);
  });

  it('behavior: the passphrase is NFC-normalized (a precomposed and a decomposed é open the same store)', async () => {
    const path = fresh();
    await Keystore.create(path, 'caf\u00e9', { N });
    await expect(Keystore.open(path, 'cafe\u0301')).resolves.toBeInstanceOf(Keystore);
  });

  it('behavior: retire keeps the key (old envelopes still open) and records the time, across a reopen', async () => {
    const path = fresh();
    const ks = await Keystore.create(path, PASS, { N });
    ks.generate('old', 'intl', 'encryption');
    const sk = ks.secretKey('old');
    ks.retire('old', 1_700_000_000_000);
    const again = await Keystore.open(path, PASS);
    expect(again.list()[0].retiredAt).toBe(1_700_000_000_000);
    expect(again.secretKey('old')).toEqual(sk);
  });

  it('behavior: writes leave no temporary files behind', async () => {
    const dir = join(root, 'tidy');
    mkdirSync(dir);
    const ks = await Keystore.create(join(dir, 'ks.json'), PASS, { N });
    ks.generate('a', 'sm', 'signing');
    ks.retire('a', 5);
    expect(readdirSync(dir)).toEqual(['ks.json']);
  });

  it('error: a wrong passphrase -> PNT_ERR_KEYSTORE_PASSPHRASE, also for an empty store', async () => {
    const empty = fresh();
    await Keystore.create(empty, PASS, { N });
    await expectReject(Keystore.open(empty, PASS + '!'), 'PNT_ERR_KEYSTORE_PASSPHRASE');
    const full = fresh();
    (await Keystore.create(full, PASS, { N })).generate('k', 'intl', 'signing');
    await expectReject(Keystore.open(full, 'Correct horse battery staple'), 'PNT_ERR_KEYSTORE_PASSPHRASE');
  });

  it('error: an empty passphrase is refused at create', async () => {
    await expectReject(Keystore.create(fresh(), '', { N }), 'PNT_ERR_KEYSTORE_PASSPHRASE');
  });

  describe('error: an edited or malformed file -> PNT_ERR_KEYSTORE_MALFORMED', () => {
    let good: unknown;
    beforeAll(async () => {
      const base = fresh();
      const ks = await Keystore.create(base, PASS, { N });
      ks.generate('a', 'intl', 'encryption');
      ks.generate('b', 'intl', 'encryption');
      good = JSON.parse(readFileSync(base, 'utf8'));
    });
    const edits: { name: string; edit: (f: any) => unknown }[] = [
      { name: 'not JSON', edit: () => '{"version": 1,' },
      { name: 'version 2', edit: (f) => ({ ...f, version: 2 }) },
      { name: 'an unknown field', edit: (f) => ({ ...f, extra: true }) },
      { name: 'no mac', edit: (f) => ({ ...f, mac: undefined }) },
      { name: 'kdf not scrypt', edit: (f) => ({ ...f, kdf: { ...f.kdf, name: 'pbkdf2' } }) },
      { name: 'N not a power of two', edit: (f) => ({ ...f, kdf: { ...f.kdf, N: 1000 } }) },
      { name: 'N of 2^30 (would allocate 1 TiB)', edit: (f) => ({ ...f, kdf: { ...f.kdf, N: 2 ** 30 } }) },
      { name: 'a keyId with a space', edit: (f) => ({ ...f, keys: { 'a b': f.keys.a } }) },
      { name: 'a public key replaced', edit: (f) => ({ ...f, keys: { ...f.keys, a: { ...f.keys.a, publicKey: f.keys.b.publicKey } } }) },
      { name: 'a kind changed', edit: (f) => ({ ...f, keys: { ...f.keys, a: { ...f.keys.a, kind: 'signing' } } }) },
      { name: 'a retirement added', edit: (f) => ({ ...f, keys: { ...f.keys, a: { ...f.keys.a, retiredAt: 1 } } }) },
      { name: 'a key removed', edit: (f) => ({ ...f, keys: { a: f.keys.a } }) },
      { name: 'sealed secrets swapped between entries', edit: (f) => ({ ...f, keys: { a: { ...f.keys.a, sealed: f.keys.b.sealed }, b: { ...f.keys.b, sealed: f.keys.a.sealed } } }) },
    ];
    it.each(edits)('$name', async ({ edit }) => {
      const path = fresh();
      const e = edit(structuredClone(good));
      writeFileSync(path, typeof e === 'string' ? e : JSON.stringify(e), { mode: 0o600 });
      await expectReject(Keystore.open(path, PASS), 'PNT_ERR_KEYSTORE_MALFORMED');
    });
  });

  it('error: unknown and duplicate keyIds, a bad keyId, create over an existing file, open of a missing file', async () => {
    const path = fresh();
    const ks = await Keystore.create(path, PASS, { N });
    ks.generate('a', 'sm', 'encryption');
    expect(() => ks.secretKey('b')).toThrow(code('PNT_ERR_KEYSTORE_UNKNOWN_KEY'));
    expect(() => ks.publicKey('b')).toThrow(code('PNT_ERR_KEYSTORE_UNKNOWN_KEY'));
    expect(() => ks.retire('b', 1)).toThrow(code('PNT_ERR_KEYSTORE_UNKNOWN_KEY'));
    expect(() => ks.secretKey('__proto__')).toThrow(code('PNT_ERR_KEYSTORE_UNKNOWN_KEY'));
    expect(() => ks.generate('a', 'intl', 'signing')).toThrow(code('PNT_ERR_KEYSTORE_DUPLICATE_KEY'));
    expect(() => ks.generate('__proto__', 'intl', 'signing')).toThrow(code('PNT_ERR_DATA_KEY_INVALID'));
    expect(() => ks.generate('has space', 'intl', 'signing')).toThrow(code('PNT_ERR_DATA_KEY_INVALID'));
    await expectReject(Keystore.create(path, PASS, { N }), 'PNT_ERR_KEYSTORE_EXISTS');
    await expectReject(Keystore.open(join(root, 'missing.json'), PASS), 'PNT_ERR_KEYSTORE_NOT_FOUND');
    expect((await Keystore.open(path, PASS)).list().map((k) => k.keyId)).toEqual(['a']);
  });

  it('error: no thrown error carries a secret, in its message, details or JSON', async () => {
    const ks = await Keystore.create(fresh(), PASS, { N });
    const k = generateEncryptionKey('intl');
    ks.add('a', 'intl', 'encryption', k.secretKey);
    // an SM2 scalar out of range (n - 1): a 32-byte secret the curve code refuses
    const badSm = Buffer.from('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122', 'hex');
    const attempts: { secret: Bytes; run: () => unknown }[] = [
      { secret: k.secretKey, run: () => ks.add('a', 'intl', 'encryption', k.secretKey) },
      { secret: badSm, run: () => ks.add('b', 'sm', 'encryption', badSm) },
      { secret: badSm, run: () => ks.add('c', 'sm', 'signing', badSm) },
      { secret: k.secretKey.subarray(0, 31), run: () => ks.add('d', 'intl', 'signing', k.secretKey.subarray(0, 31)) },
    ];
    for (const a of attempts) {
      let err: unknown;
      try {
        a.run();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PontisError);
      const p = err as PontisError;
      const shown = [p.message, JSON.stringify(p.toJSON()), JSON.stringify(p.details ?? {}), String(p.cause ?? '')].join('\n');
      for (const s of encodings(a.secret)) expect(shown).not.toContain(s);
    }
  });

  it('error: a write that fails (directory gone) -> PNT_ERR_KEYSTORE_IO, and changes nothing', async () => {
    const dir = join(root, 'vanishing');
    mkdirSync(dir);
    const path = join(dir, 'ks.json');
    const ks = await Keystore.create(path, PASS, { N });
    ks.generate('a', 'intl', 'signing');
    rmSync(dir, { recursive: true });
    expect(() => ks.generate('b', 'intl', 'signing')).toThrow(code('PNT_ERR_KEYSTORE_IO'));
    expect(() => ks.retire('a', 1)).toThrow(code('PNT_ERR_KEYSTORE_IO'));
    expect(ks.list().map((k) => [k.keyId, k.retiredAt])).toEqual([['a', undefined]]);
    expect(existsSync(dir)).toBe(false);
  });
});
