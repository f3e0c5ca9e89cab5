/**
 * hub-chain/crypto/sm.ts against published vectors, then refusals. Sources:
 * - SM3: GB/T 32905-2016 Appendix A (the two examples, as quoted by draft-shen-sm3-hash and nettle's sm3 test).
 * - HMAC-SM3: GM/T 0042-2015 Appendix D.3 (OpenSSL test/recipes/30-test_evp_data/evpmac_sm3.txt).
 * - SM4: GB/T 32907-2016 Appendix A (one block, and the same block encrypted 1,000,000 times);
 *   SM4-CTR: draft-ribose-cfrg-sm4-10 A.2.5.1 and A.2.5.2 (pyca/cryptography's copy of the vectors).
 * - SM2 on the recommended curve: the signature of GM/T 0003.5-2012 / GB/T 32918.5-2016 Annex A and
 *   the encryption of Annex C (fixed k; as used by OpenSSL test/sm2_internal_test.c), and OpenSSL's
 *   SM2 decryption vectors for its key SM2_key1 (test/recipes/30-test_evp_data/evppkey_sm2.txt; two
 *   more from Tongsuo's copy of that file), GM/T 0009 ASN.1 turned into C1||C3||C2.
 */
import { createCipheriv, createPrivateKey, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import {
  SM2_DEFAULT_ID,
  generateSm2,
  hmacSm3,
  sm2Decrypt,
  sm2Encrypt,
  sm2PublicOf,
  sm2Sign,
  sm2Verify,
  sm3,
  sm4CtrEncrypt,
  sm4DecryptBlock,
  sm4EncryptBlock,
} from '../../../hub-chain/crypto/sm.ts';

const h = (s: string): Bytes => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hx = (b: Bytes): string => toHex(b).slice(2);
const flip = (b: Bytes, i: number, bit = 0x01): Bytes => {
  const c = Uint8Array.from(b);
  c[i] ^= bit;
  return c;
};
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const int32 = (x: bigint): Bytes => h(x.toString(16).padStart(64, '0'));

describe('SM3 (GB/T 32905)', () => {
  it('behavior: "abc"', () => {
    expect(hx(sm3(utf8('abc')))).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  });
  it('behavior: "abcd" x 16 (64 bytes), also hashed in parts', () => {
    const m = utf8('abcd'.repeat(16));
    expect(hx(sm3(m))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
    expect(hx(sm3(m.subarray(0, 7), m.subarray(7)))).toBe('debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
  });
});

describe('HMAC-SM3 (GM/T 0042-2015 D.3)', () => {
  it.each([
    {
      key: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20',
      data: utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopqabcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      mac: 'ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a',
    },
    { key: '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425', data: h('cd'.repeat(50)), mac: '220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae' },
    { key: '0b'.repeat(32), data: utf8('Hi There'), mac: 'c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e' },
  ])('behavior: key of $key.length hex digits', ({ key, data, mac }) => {
    expect(hx(hmacSm3(h(key), data))).toBe(mac);
  });
});

describe('SM4 (GB/T 32907)', () => {
  const k = h('0123456789abcdeffedcba9876543210');

  it('behavior: example 1, one block, and back', () => {
    expect(hx(sm4EncryptBlock(k, k))).toBe('681edf34d206965e86b3e94f536e4246');
    expect(hx(sm4DecryptBlock(k, h('681edf34d206965e86b3e94f536e4246')))).toBe(hx(k));
  });

  it('behavior: example 2, the block encrypted 1,000,000 times (the SM4 that sm4EncryptBlock wraps)', () => {
    // one ECB context for the whole loop: a context per block (sm4EncryptBlock) takes ~5x longer
    const ecb = createCipheriv('sm4-ecb', k, null).setAutoPadding(false);
    let b: Uint8Array = sm4EncryptBlock(k, k);
    for (let i = 1; i < 1_000_000; i++) b = ecb.update(b);
    expect(hx(b)).toBe('595298c7c6fd271f0402f804c33d3f66');
  }, 60_000);

  it.each([
    { key: '0123456789abcdeffedcba9876543210', ct: 'ac3236cb970cc20791364c395a1342d1a3cbc1878c6f30cd074cce385cdd70c7f234bc0e24c11980fd1286310ce37b926e02fcd0faa0baf38b2933851d824514' },
    { key: 'fedcba98765432100123456789abcdef', ct: '5dcccd25b95ab07417a08512ee160e2f8f661521cbbab44cc87138445bc29e5c0ae0297205d62704173b21239b887f6c8cb5b800917a2488284bde9e16ea2906' },
  ])('behavior: SM4-CTR draft-ribose-cfrg-sm4-10 (key $key); the same call decrypts', ({ key, ct }) => {
    const pt = h('aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb');
    const iv = h('000102030405060708090a0b0c0d0e0f');
    expect(hx(sm4CtrEncrypt(h(key), iv, pt))).toBe(ct);
    expect(sm4CtrEncrypt(h(key), iv, h(ct))).toEqual(pt);
    // a length that is not a whole number of blocks: CTR is a stream
    expect(hx(sm4CtrEncrypt(h(key), iv, pt.subarray(0, 21)))).toBe(ct.slice(0, 42));
  });

  it('error: keys and ivs of the wrong length are refused', () => {
    expect(() => sm4CtrEncrypt(k.subarray(0, 15), k, k)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
    expect(() => sm4CtrEncrypt(k, k.subarray(0, 12), k)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
  });
});

describe('SM2 signatures (GB/T 32918.2, recommended curve)', () => {
  // GM/T 0003.5-2012 / GB/T 32918.5-2016 Annex A, default user id
  const d = h('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8');
  const k = h('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21');
  const msg = utf8('message digest');
  const sig = h('F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3' + 'B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA');
  const pk = sm2PublicOf(d);

  it('behavior: with the standard\'s k, sm2Sign gives the Annex A signature (so Z_A, e and s are computed as the standard says)', () => {
    expect(hx(sm2Sign(d, msg, SM2_DEFAULT_ID, { k }))).toBe(hx(sig));
    expect(hx(sm2Sign(d, msg, undefined, { k }))).toBe(hx(sig));
  });

  it('behavior: the Annex A signature verifies', () => {
    expect(sm2Verify(pk, msg, sig)).toBe(true);
  });

  it('behavior: random-nonce signatures verify and differ', () => {
    const kp = generateSm2();
    const a = sm2Sign(kp.secretKey, msg);
    const b = sm2Sign(kp.secretKey, msg);
    expect(a).not.toEqual(b);
    expect(sm2Verify(kp.publicKey, msg, a) && sm2Verify(kp.publicKey, msg, b)).toBe(true);
    expect(kp.publicKey.length).toBe(65);
    expect(sm2PublicOf(kp.secretKey)).toEqual(kp.publicKey);
  });

  it('behavior: a custom user id signs and verifies under that id only', () => {
    const s = sm2Sign(d, msg, 'ALICE123@YAHOO.COM');
    expect(sm2Verify(pk, msg, s, 'ALICE123@YAHOO.COM')).toBe(true);
    expect(sm2Verify(pk, msg, s)).toBe(false);
  });

  it('behavior: why sm.ts signs itself: node:crypto\'s sign(\'sm3\') on an SM2 key uses an empty user id, not the default', () => {
    // PKCS#8 of the Annex A key: id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301
    const der = concat(h('308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420'), d, h('a144034200'), pk);
    const nodeDer = nodeSign('sm3', msg, createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }));
    const rs = derToRs(nodeDer);
    expect(sm2Verify(pk, msg, rs, '')).toBe(true);
    expect(sm2Verify(pk, msg, rs, SM2_DEFAULT_ID)).toBe(false);
  });

  const other = generateSm2();
  const refusals: { name: string; pk: Bytes; msg: Bytes; sig: Bytes; id?: string }[] = [
    { name: 'a message byte changed', pk, msg: flip(msg, 0), sig },
    { name: 'a longer message', pk, msg: concat(msg, Uint8Array.of(0)), sig },
    { name: 'r changed', pk, msg, sig: flip(sig, 31) },
    { name: 's changed', pk, msg, sig: flip(sig, 63) },
    { name: 'r and s swapped', pk, msg, sig: concat(sig.subarray(32), sig.subarray(0, 32)) },
    { name: 'another key', pk: other.publicKey, msg, sig },
    { name: 'another user id', pk, msg, sig, id: '1234567812345679' },
    { name: 'a 63-byte signature', pk, msg, sig: sig.subarray(0, 63) },
    { name: 'a 65-byte signature', pk, msg, sig: concat(sig, Uint8Array.of(0)) },
    { name: 'r = 0', pk, msg, sig: concat(int32(0n), sig.subarray(32)) },
    { name: 's = 0', pk, msg, sig: concat(sig.subarray(0, 32), int32(0n)) },
    { name: 'r = n', pk, msg, sig: concat(int32(N), sig.subarray(32)) },
    { name: 's = n', pk, msg, sig: concat(sig.subarray(0, 32), int32(N)) },
    { name: 'r + s = n', pk, msg, sig: concat(int32(1n), int32(N - 1n)) },
    { name: 'a compressed public key', pk: concat(Uint8Array.of(2 + (pk[64] & 1)), pk.subarray(1, 33)), msg, sig },
    { name: 'a public key off the curve', pk: flip(pk, 64), msg, sig },
    { name: 'a public key without its 04 prefix', pk: pk.subarray(1), msg, sig },
    { name: 'an empty public key', pk: new Uint8Array(0), msg, sig },
  ];

  it.each(refusals)('error: $name -> false, no throw', (c) => {
    expect(sm2Verify(c.pk, c.msg, c.sig, c.id)).toBe(false);
  });

  it('error: secret keys out of [1, n-2] or of the wrong length are refused', () => {
    for (const sk of [int32(0n), int32(N - 1n), int32(N), new Uint8Array(31)]) {
      expect(() => sm2PublicOf(sk)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
      expect(() => sm2Sign(sk, msg)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
    }
  });
});

describe('SM2 encryption (GB/T 32918.4, C1||C3||C2)', () => {
  // GM/T 0003.5-2012 / GB/T 32918.5-2016 Annex C
  const d = h('3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8');
  const k = h('59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21');
  const pk = sm2PublicOf(d);
  const msg = utf8('encryption standard');
  const annexC = h(
    '04' +
      '04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73' +
      'E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0' +
      '59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766' +
      '21886CA989CA9C7D58087307CA93092D651EFA',
  );

  it('behavior: with the standard\'s k, sm2Encrypt gives the Annex C ciphertext, which decrypts', () => {
    expect(hx(sm2Encrypt(pk, msg, { k }))).toBe(hx(annexC));
    expect(sm2Decrypt(d, annexC)).toEqual(msg);
  });

  // OpenSSL's SM2_key1 (its PKCS#8 PEM decoded: the private scalar, and the public key it carries)
  const key1 = h('d09156733017bdad809fd9bbd8c693f60230593169b6f94aaf1c8ee138cc99b5');
  const key1Pub = h('04393a2ad9e27e43acaaab85a19d3b85591e14406157175addd37bf77ff0caf9ed37fcf3a8b4f55c038523261fca6636afe6a7afa2a1482a606f5cb3a18b2e2a1e');

  it.each([
    {
      source: 'OpenSSL evppkey_sm2.txt',
      asn1: '30818A0220466BE2EF5C11782EC77864A0055417F407A5AFC11D653C6BCE69E417BB1D05B6022062B572E21FF0DDF5C726BD3F9FF2EAE56E6294713A607E9B9525628965F62CC804203C1B5713B5DB2728EB7BF775E44F4689FC32668BDC564F52EA45B09E8DF2A5F40422084A9D0CC2997092B7D3C404FCE95956EB604D732B2307A8E5B8900ED6608CA5B197',
      pt: 'The floofy bunnies hop at midnight',
    },
    {
      source: 'Tongsuo evppkey_sm2.txt (C1 y shorter than 32 bytes)',
      asn1: '3072022070DAD60CDA7C30D64CF4F278A849003581223F5324BFEC9BB329229BFFAD21A6021F18AFAB2B35459D2643243B242BE4EA80C6FA5071D2D847340CC57EB9309E5D04200B772E4DB664B2601E3B85E39C4AA8C2C1910308BE13B331E009C5A9258C29FD040B6D588BE9260A94DA18E0E6',
      pt: 'Hello World',
    },
    {
      source: 'Tongsuo evppkey_sm2.txt (longer plaintext)',
      asn1: '3081DD022100CD49634BBCB21CAFFFA6D33669A5A867231CB2A942A14352EF4CAF6DC3344D54022100C35B41D4DEBB3A2735EFEE821B9EBA566BD86900176A0C06672E30EE5CC04E930420C4190A3D80D86C4BD20E99F7E4B59BF6427C6808793533EEA9591D1188EC56B50473747295470E81D951BED279AC1B86A1AFE388CD2833FA9632799EC199C7D364E5663D5A94888BB2358CFCBF6283184DE0CBC41CCEA91D24746E99D231A1DA77AFD83CDF908190ED628B7369724494568A27C782A1D1D7294BCAD80C34569ED22859896301128A8118F48924D8CCD43E998D9533',
      pt: 'Some longer plaintext for testing SM2 decryption. Blah blah blah blah blah blah blah blah blah blah blah blah blah.',
    },
  ])('behavior: decrypts the SM2_key1 vector of $source', ({ asn1, pt }) => {
    expect(sm2PublicOf(key1)).toEqual(key1Pub);
    expect(new TextDecoder().decode(sm2Decrypt(key1, gmt0009ToC1C3C2(h(asn1))))).toBe(pt);
  });

  it('behavior: random-k round trip; two encryptions differ', () => {
    const kp = generateSm2();
    const m = utf8('a 32-byte content key, or any m.');
    const a = sm2Encrypt(kp.publicKey, m);
    expect(a.length).toBe(65 + 32 + m.length);
    expect(sm2Decrypt(kp.secretKey, a)).toEqual(m);
    expect(sm2Encrypt(kp.publicKey, m)).not.toEqual(a);
  });

  const other = generateSm2();
  const refusals: { name: string; sk: Bytes; ct: Bytes }[] = [
    { name: 'C1 x changed (off the curve)', sk: d, ct: flip(annexC, 10) },
    { name: 'C1 prefix 02 (compressed point refused)', sk: d, ct: concat(Uint8Array.of(2), annexC.subarray(1)) },
    { name: 'C3 changed', sk: d, ct: flip(annexC, 65 + 3) },
    { name: 'C2 changed (first byte)', sk: d, ct: flip(annexC, 97) },
    { name: 'C2 changed (last byte)', sk: d, ct: flip(annexC, annexC.length - 1) },
    { name: 'C2 truncated', sk: d, ct: annexC.subarray(0, annexC.length - 1) },
    { name: 'C2 extended', sk: d, ct: concat(annexC, Uint8Array.of(0)) },
    { name: 'C1 || C3 without C2', sk: d, ct: annexC.subarray(0, 97) },
    { name: 'another secret key', sk: other.secretKey, ct: annexC },
    { name: 'a secret key of 31 bytes', sk: d.subarray(1), ct: annexC },
    { name: 'the secret key 0', sk: int32(0n), ct: annexC },
  ];

  it.each(refusals)('error: $name -> PNT_ERR_DATA_DECRYPT', ({ sk, ct }) => {
    expect(() => sm2Decrypt(sk, ct)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
  });

  it('error: encrypting to a malformed public key, or an empty message, is refused', () => {
    expect(() => sm2Encrypt(flip(pk, 64), msg)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
    expect(() => sm2Encrypt(pk.subarray(0, 64), msg)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
    expect(() => sm2Encrypt(pk, new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_SEAL_REFUSED' }));
  });
});

// ---- helpers: the two DER shapes the vectors come in ----

/** Reads one DER TLV at `off`: its tag, content and the offset after it. */
function tlv(b: Bytes, off: number): { tag: number; body: Bytes; end: number } {
  const tag = b[off];
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[p++];
  }
  return { tag, body: b.subarray(p, p + len), end: p + len };
}

/** An unsigned big-endian integer as exactly 32 bytes (DER drops leading zeros and adds a sign byte). */
function fixed32(x: Bytes): Bytes {
  const v = x.length > 32 ? x.subarray(x.length - 32) : x;
  return concat(new Uint8Array(32 - v.length), v);
}

/** GM/T 0009 SM2Cipher SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING } -> C1||C3||C2. */
function gmt0009ToC1C3C2(der: Bytes): Bytes {
  const seq = tlv(der, 0).body;
  const x = tlv(seq, 0);
  const y = tlv(seq, x.end);
  const c3 = tlv(seq, y.end);
  const c2 = tlv(seq, c3.end);
  return concat(Uint8Array.of(4), fixed32(x.body), fixed32(y.body), c3.body, c2.body);
}

/** ECDSA-Sig-Value SEQUENCE { r INTEGER, s INTEGER } -> r||s. */
function derToRs(der: Bytes): Bytes {
  const seq = tlv(der, 0).body;
  const r = tlv(seq, 0);
  const s = tlv(seq, r.end);
  return concat(fixed32(r.body), fixed32(s.body));
}
