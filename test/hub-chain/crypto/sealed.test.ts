/**
 * hub-chain/crypto/sealed.ts, both profiles through one table: sealing to one and two recipients,
 * every way an envelope must fail to open (a third key, a wrong keyId, each region of the bytes
 * tampered, another aad; then every single byte of an encoding changed), the strict decoding and
 * its limits, sealTo's refusals, and the layer's signatures and hash.
 */
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import {
  type DataProfile,
  MAX_PAYLOAD_BYTES,
  MAX_RECIPIENTS,
  type SealedEnvelope,
  dataHash,
  dataSign,
  dataVerify,
  decodeSealed,
  encodeSealed,
  encryptionPublicOf,
  generateEncryptionKey,
  generateSigningKey,
  openSealed,
  sealTo,
  signingPublicOf,
} from '../../../hub-chain/crypto/sealed.ts';

const PROFILES: DataProfile[] = ['intl', 'sm'];
const IV = { intl: 12, sm: 16 } as const;
const WRAPPED = { intl: 80, sm: 129 } as const;
const TAG = { intl: 16, sm: 32 } as const;

const code = (c: string) => expect.objectContaining({ code: c });
const flip = (b: Bytes, i: number): Bytes => {
  const c = Uint8Array.from(b);
  c[i] ^= 0x01;
  return c;
};

describe.each(PROFILES)('sealed envelopes, profile %s', (profile) => {
  const node = generateEncryptionKey(profile);
  const regulator = generateEncryptionKey(profile);
  const stranger = generateEncryptionKey(profile);
  const aad = utf8('pontis-data-answer/v1\nreq-42');
  const pt = utf8('{"record":"the answer to request 42"}');
  const two = [
    { keyId: 'dept-b/node-1', publicKey: node.publicKey },
    { keyId: 'regulator/audit', publicKey: regulator.publicKey },
  ];
  const env = sealTo(profile, two, pt, aad);
  const bytes = encodeSealed(env);

  it('behavior: key pairs are of the profile, and the public key derives from the secret', () => {
    expect(node.profile).toBe(profile);
    expect(node.publicKey.length).toBe(profile === 'intl' ? 32 : 65);
    expect(encryptionPublicOf(profile, node.secretKey)).toEqual(node.publicKey);
  });

  it('behavior: one recipient opens', () => {
    const one = sealTo(profile, [{ keyId: 'dept-b/node-1', publicKey: node.publicKey }], pt, aad);
    expect(one.recipients.map((r) => r.keyId)).toEqual(['dept-b/node-1']);
    expect(openSealed(profile, 'dept-b/node-1', node.secretKey, one, aad)).toEqual(pt);
  });

  it('behavior: with two recipients each opens, also after encode/decode', () => {
    const decoded = decodeSealed(bytes);
    expect(decoded).toEqual(env);
    for (const e of [env, decoded]) {
      expect(openSealed(profile, 'dept-b/node-1', node.secretKey, e, aad)).toEqual(pt);
      expect(openSealed(profile, 'regulator/audit', regulator.secretKey, e, aad)).toEqual(pt);
    }
  });

  it('behavior: the layout has the documented sizes, and the encoding is canonical (decode then encode is the identity)', () => {
    expect(env.iv.length).toBe(IV[profile]);
    expect(env.recipients.every((r) => r.wrappedKey.length === WRAPPED[profile])).toBe(true);
    expect(env.tag.length).toBe(TAG[profile]);
    expect(env.ciphertext.length).toBe(pt.length);
    const header = 3 + 1 + 1 + IV[profile] + 1 + two.reduce((n, r) => n + 1 + r.keyId.length + WRAPPED[profile], 0);
    expect(bytes.length).toBe(header + 4 + pt.length + TAG[profile]);
    expect(toHex(encodeSealed(decodeSealed(bytes)))).toBe(toHex(bytes));
  });

  it('behavior: an empty payload and a payload of exactly 1 MiB seal and open', () => {
    for (const p of [new Uint8Array(0), new Uint8Array(MAX_PAYLOAD_BYTES).fill(7)]) {
      const e = decodeSealed(encodeSealed(sealTo(profile, two, p, aad)));
      // Buffer.equals: vitest's deep equality walks a 1 MiB array element by element for seconds
      expect(Buffer.from(openSealed(profile, 'regulator/audit', regulator.secretKey, e, aad)).equals(Buffer.from(p))).toBe(true);
    }
  });

  it('behavior: 16 recipients, the last one opens', () => {
    const keys = Array.from({ length: MAX_RECIPIENTS }, (_, i) => ({ keyId: `chain-${i}/node`, k: generateEncryptionKey(profile) }));
    const e = decodeSealed(encodeSealed(sealTo(profile, keys.map((x) => ({ keyId: x.keyId, publicKey: x.k.publicKey })), pt, aad)));
    expect(openSealed(profile, 'chain-15/node', keys[15].k.secretKey, e, aad)).toEqual(pt);
  });

  it('behavior: sealing twice gives different envelopes (fresh content key, iv and ephemeral keys)', () => {
    const again = encodeSealed(sealTo(profile, two, pt, aad));
    expect(toHex(again)).not.toBe(toHex(bytes));
  });

  /** Where each region of `bytes` starts: the offsets the tamper cases below flip a byte at. */
  const at = (() => {
    const iv = 5;
    const r0 = iv + IV[profile] + 1; // keyId length of recipient 0
    const w0 = r0 + 1 + two[0].keyId.length;
    const r1 = w0 + WRAPPED[profile];
    const w1 = r1 + 1 + two[1].keyId.length;
    const ctLen = w1 + WRAPPED[profile];
    const ct = ctLen + 4;
    return { iv, keyId0: r0 + 1, wrapped0: w0, wrapped1: w1, ct, tag: ct + pt.length };
  })();

  const refusals: { name: string; open: () => Bytes }[] = [
    { name: 'a third key (not a recipient) under a recipient keyId', open: () => openSealed(profile, 'dept-b/node-1', stranger.secretKey, env, aad) },
    { name: 'the regulator key under the node keyId', open: () => openSealed(profile, 'dept-b/node-1', regulator.secretKey, env, aad) },
    { name: 'a keyId that is not a recipient', open: () => openSealed(profile, 'dept-c/node-1', node.secretKey, env, aad) },
    { name: 'another aad', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, env, utf8('pontis-data-answer/v1\nreq-43')) },
    { name: 'an empty aad', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, env, new Uint8Array(0)) },
    { name: 'the other profile', open: () => openSealed(profile === 'intl' ? 'sm' : 'intl', 'dept-b/node-1', node.secretKey, env, aad) },
    { name: 'iv tampered', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, at.iv)), aad) },
    { name: 'a keyId tampered (the other recipient opens)', open: () => openSealed(profile, 'regulator/audit', regulator.secretKey, decodeSealed(flip(bytes, at.keyId0 + 3)), aad) },
    { name: 'own wrapped key tampered (first byte)', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, at.wrapped0)), aad) },
    { name: 'own wrapped key tampered (last byte)', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, at.wrapped0 + WRAPPED[profile] - 1)), aad) },
    { name: 'the other recipient\'s wrapped key tampered', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, at.wrapped1 + 40)), aad) },
    { name: 'payload tampered (first byte)', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, at.ct)), aad) },
    { name: 'payload tampered (last byte)', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, at.tag - 1)), aad) },
    { name: 'tag/mac tampered (first byte)', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, at.tag)), aad) },
    { name: 'tag/mac tampered (last byte)', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, bytes.length - 1)), aad) },
    { name: 'recipients reordered', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, { ...env, recipients: [env.recipients[1], env.recipients[0]] }, aad) },
    { name: 'the other recipient dropped', open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, { ...env, recipients: [env.recipients[0]] }, aad) },
    {
      name: 'wrapped keys swapped between the two keyIds',
      open: () => openSealed(profile, 'dept-b/node-1', node.secretKey, { ...env, recipients: [{ ...env.recipients[0], wrappedKey: env.recipients[1].wrappedKey }, { ...env.recipients[1], wrappedKey: env.recipients[0].wrappedKey }] }, aad),
    },
  ];

  it.each(refusals)('error: $name -> PNT_ERR_DATA_DECRYPT', ({ open }) => {
    expect(open).toThrow(code('PNT_ERR_DATA_DECRYPT'));
  });

  it('error: every single-byte change of the encoding is refused, by decodeSealed or openSealed, never opened', () => {
    const seen = new Set<string>();
    for (let i = 0; i < bytes.length; i++) {
      let got = 'opened';
      try {
        openSealed(profile, 'dept-b/node-1', node.secretKey, decodeSealed(flip(bytes, i)), aad);
      } catch (e) {
        got = (e as { code?: string }).code ?? String(e);
      }
      expect([i, got]).toEqual([i, expect.stringMatching(/^PNT_ERR_DATA_(DECRYPT|ENVELOPE_MALFORMED)$/)]);
      seen.add(got);
    }
    expect([...seen].sort()).toEqual(['PNT_ERR_DATA_DECRYPT', 'PNT_ERR_DATA_ENVELOPE_MALFORMED']);
  });

  const malformed: { name: string; bytes: () => Bytes }[] = [
    { name: 'empty', bytes: () => new Uint8Array(0) },
    { name: '2 MiB of bytes (larger than any valid envelope)', bytes: () => new Uint8Array(2 << 20) },
    { name: 'truncated in the header', bytes: () => bytes.subarray(0, 20) },
    { name: 'truncated by one byte', bytes: () => bytes.subarray(0, bytes.length - 1) },
    { name: 'one extra byte', bytes: () => concat(bytes, Uint8Array.of(0)) },
    { name: 'another magic', bytes: () => flip(bytes, 0) },
    { name: 'version 2', bytes: () => Uint8Array.from(bytes, (b, i) => (i === 3 ? 2 : b)) },
    { name: 'an unknown profile code', bytes: () => Uint8Array.from(bytes, (b, i) => (i === 4 ? 9 : b)) },
    { name: 'zero recipients', bytes: () => Uint8Array.from(bytes, (b, i) => (i === 5 + IV[profile] ? 0 : b)) },
    { name: '17 recipients', bytes: () => Uint8Array.from(bytes, (b, i) => (i === 5 + IV[profile] ? 17 : b)) },
    { name: 'an empty keyId', bytes: () => Uint8Array.from(bytes, (b, i) => (i === at.keyId0 - 1 ? 0 : b)) },
    { name: 'a keyId that is not UTF-8', bytes: () => Uint8Array.from(bytes, (b, i) => (i === at.keyId0 ? 0xff : b)) },
    {
      name: 'the same keyId twice',
      bytes: () => encodeSealed({ ...env, recipients: [env.recipients[0], env.recipients[0]] }),
    },
    {
      name: 'a declared payload over 1 MiB',
      bytes: () => {
        const b = Uint8Array.from(bytes);
        Buffer.from(b.buffer).writeUInt32BE(MAX_PAYLOAD_BYTES + 1, at.ct - 4);
        return b;
      },
    },
  ];

  it.each(malformed)('error: decodeSealed of $name -> PNT_ERR_DATA_ENVELOPE_MALFORMED', ({ bytes: b }) => {
    expect(() => decodeSealed(b())).toThrow(code('PNT_ERR_DATA_ENVELOPE_MALFORMED'));
  });

  it('error: encodeSealed refuses an envelope that breaks the format (oversized payload, 17 recipients, wrong tag length)', () => {
    const big: SealedEnvelope = { ...env, ciphertext: new Uint8Array(MAX_PAYLOAD_BYTES + 1) };
    const many: SealedEnvelope = { ...env, recipients: Array.from({ length: 17 }, (_, i) => ({ keyId: `k${i}`, wrappedKey: env.recipients[0].wrappedKey })) };
    const tag: SealedEnvelope = { ...env, tag: env.tag.subarray(1) };
    for (const e of [big, many, tag]) expect(() => encodeSealed(e)).toThrow(code('PNT_ERR_DATA_ENVELOPE_MALFORMED'));
  });

  it('error: decodeSealed refuses a whole envelope of over 1 MiB of payload', () => {
    const p = new Uint8Array(MAX_PAYLOAD_BYTES);
    const e = encodeSealed(sealTo(profile, two, p, aad));
    const grown = Uint8Array.from(concat(e, new Uint8Array(1)));
    Buffer.from(grown.buffer).writeUInt32BE(MAX_PAYLOAD_BYTES + 1, at.ct - 4);
    expect(() => decodeSealed(grown)).toThrow(code('PNT_ERR_DATA_ENVELOPE_MALFORMED'));
  });

  const sealRefusals: { name: string; seal: () => unknown; code: string }[] = [
    { name: 'no recipients', seal: () => sealTo(profile, [], pt, aad), code: 'PNT_ERR_DATA_SEAL_REFUSED' },
    { name: '17 recipients', seal: () => sealTo(profile, Array.from({ length: 17 }, (_, i) => ({ keyId: `k${i}`, publicKey: node.publicKey })), pt, aad), code: 'PNT_ERR_DATA_SEAL_REFUSED' },
    { name: 'a duplicate keyId', seal: () => sealTo(profile, [two[0], { ...two[1], keyId: two[0].keyId }], pt, aad), code: 'PNT_ERR_DATA_SEAL_REFUSED' },
    { name: 'an empty keyId', seal: () => sealTo(profile, [{ keyId: '', publicKey: node.publicKey }], pt, aad), code: 'PNT_ERR_DATA_SEAL_REFUSED' },
    { name: 'a keyId of 129 bytes', seal: () => sealTo(profile, [{ keyId: 'k'.repeat(129), publicKey: node.publicKey }], pt, aad), code: 'PNT_ERR_DATA_SEAL_REFUSED' },
    { name: 'a keyId with a lone surrogate', seal: () => sealTo(profile, [{ keyId: 'k\ud800', publicKey: node.publicKey }], pt, aad), code: 'PNT_ERR_DATA_SEAL_REFUSED' },
    { name: 'a payload of 1 MiB + 1', seal: () => sealTo(profile, two, new Uint8Array(MAX_PAYLOAD_BYTES + 1), aad), code: 'PNT_ERR_DATA_SEAL_REFUSED' },
    { name: 'a public key of the other profile', seal: () => sealTo(profile, [{ keyId: 'x', publicKey: generateEncryptionKey(profile === 'intl' ? 'sm' : 'intl').publicKey }], pt, aad), code: 'PNT_ERR_DATA_KEY_INVALID' },
    { name: 'a malformed public key', seal: () => sealTo(profile, [{ keyId: 'x', publicKey: node.publicKey.subarray(1) }], pt, aad), code: 'PNT_ERR_DATA_KEY_INVALID' },
  ];

  it.each(sealRefusals)('error: sealTo with $name -> $code', ({ seal, code: c }) => {
    expect(seal).toThrow(code(c));
  });
});

describe.each(PROFILES)('data signatures, profile %s', (profile) => {
  const k = generateSigningKey(profile);
  const other = generateSigningKey(profile);
  const msg = utf8('consent grant: subject s1 allows dept-b to read dataset d7 for purpose p2');
  const sig = dataSign(profile, k.secretKey, msg);

  it('behavior: signs and verifies; the public key derives from the secret', () => {
    expect(signingPublicOf(profile, k.secretKey)).toEqual(k.publicKey);
    expect(sig.length).toBe(64);
    expect(dataVerify(profile, k.publicKey, msg, sig)).toBe(true);
  });

  const flip1 = (b: Bytes, i: number) => Uint8Array.from(b, (x, j) => (j === i ? x ^ 1 : x));
  const refusals: { name: string; pk: Bytes; msg: Bytes; sig: Bytes; as?: DataProfile }[] = [
    { name: 'a tampered message', pk: k.publicKey, msg: flip1(msg, 3), sig },
    { name: 'another key', pk: other.publicKey, msg, sig },
    { name: 'a tampered signature', pk: k.publicKey, msg, sig: flip1(sig, 10) },
    { name: 'a truncated signature', pk: k.publicKey, msg, sig: sig.subarray(0, 63) },
    { name: 'an empty signature', pk: k.publicKey, msg, sig: new Uint8Array(0) },
    { name: 'an all-zero signature', pk: k.publicKey, msg, sig: new Uint8Array(64) },
    { name: 'a malformed public key', pk: k.publicKey.subarray(1), msg, sig },
    { name: 'an empty public key', pk: new Uint8Array(0), msg, sig },
    { name: 'the other profile', pk: k.publicKey, msg, sig, as: profile === 'intl' ? 'sm' : 'intl' },
    { name: 'an unknown profile', pk: k.publicKey, msg, sig, as: 'rsa' as DataProfile },
  ];

  it.each(refusals)('error: $name -> false, no throw', (c) => {
    expect(dataVerify(c.as ?? profile, c.pk, c.msg, c.sig)).toBe(false);
  });

  it('error: signing with a malformed secret key is refused', () => {
    expect(() => dataSign(profile, k.secretKey.subarray(1), msg)).toThrow(code('PNT_ERR_DATA_KEY_INVALID'));
    expect(() => signingPublicOf(profile, new Uint8Array(31))).toThrow(code('PNT_ERR_DATA_KEY_INVALID'));
  });
});

describe('dataHash', () => {
  it('behavior: sha256 for intl, SM3 for sm, over the concatenated parts', () => {
    expect(toHex(dataHash('intl', utf8('abc')))).toBe('0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(dataHash('sm', utf8('abc')))).toBe('0x66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
    for (const p of ['intl', 'sm'] as const) expect(dataHash(p, utf8('a'), utf8('bc'))).toEqual(dataHash(p, utf8('abc')));
  });
});
