/**
 * hub-chain/crypto/hpke.ts: the RFC 9180 Appendix A base-mode vectors of
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 with AES-128-GCM (A.1.1) and ChaCha20Poly1305 (A.2.1),
 * byte for byte, then refusals: every tampered input, a wrong key, malformed and low-order keys.
 * Vectors: RFC 9180 Appendix A, as in the draft source of github.com/cfrg/draft-irtf-cfrg-hpke
 * (draft-irtf-cfrg-hpke.md, same values as test-vectors.json).
 */
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import {
  AEAD_AES_128_GCM,
  AEAD_CHACHA20_POLY1305,
  type AeadId,
  deriveX25519KeyPair,
  generateX25519,
  hpkeExport,
  hpkeOpen,
  hpkeSeal,
  setupBaseR,
  setupBaseS,
  x25519PublicOf,
} from '../../../hub-chain/crypto/hpke.ts';

const h = (s: string): Bytes => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hx = (b: Bytes): string => toHex(b).slice(2);

interface Vector {
  name: string;
  aead: AeadId;
  info: string;
  ikmE: string;
  pkEm: string;
  skEm: string;
  ikmR: string;
  pkRm: string;
  skRm: string;
  enc: string;
  shared_secret: string;
  key_schedule_context: string;
  secret: string;
  key: string;
  base_nonce: string;
  exporter_secret: string;
  /** sequence number 0 */
  pt: string;
  aad: string;
  ct: string;
  exports: { context: string; L: number; value: string }[];
}

const VECTORS: Vector[] = [
  {
    name: 'A.1.1 DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base',
    aead: AEAD_AES_128_GCM,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234',
    pkEm: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
    skEm: '52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736',
    ikmR: '6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037',
    pkRm: '3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d',
    skRm: '4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8',
    enc: '37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431',
    shared_secret: 'fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc',
    key_schedule_context:
      '00725611c9d98c07c03f60095cd32d400d8347d45ed67097bbad50fc56da742d07cb6cffde367bb0565ba28bb02c90744a20f5ef37f30523526106f637abb05449',
    secret: '12fff91991e93b48de37e7daddb52981084bd8aa64289c3788471d9a9712f397',
    key: '4531685d41d65f03dc48f6b8302c05b0',
    base_nonce: '56d890e5accaaf011cff4b7d',
    exporter_secret: '45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8',
    pt: '4265617574792069732074727574682c20747275746820626561757479',
    aad: '436f756e742d30',
    ct: 'f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a',
    exports: [
      { context: '', L: 32, value: '3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee' },
      { context: '00', L: 32, value: '2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5' },
      { context: '54657374436f6e74657874', L: 32, value: 'e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931' },
    ],
  },
  {
    name: 'A.2.1 DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, base',
    aead: AEAD_CHACHA20_POLY1305,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b',
    pkEm: '1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a',
    skEm: 'f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600',
    ikmR: '1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df',
    pkRm: '4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a',
    skRm: '8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb',
    enc: '1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a',
    shared_secret: '0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7',
    key_schedule_context:
      '00431df6cd95e11ff49d7013563baf7f11588c75a6611ee2a4404a49306ae4cfc5b69c5718a60cc5876c358d3f7fc31ddb598503f67be58ea1e798c0bb19eb9796',
    secret: '5b9cd775e64b437a2335cf499361b2e0d5e444d5cb41a8a53336d8fe402282c6',
    key: 'ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91',
    base_nonce: '5c4d98150661b848853b547f',
    exporter_secret: 'a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922',
    pt: '4265617574792069732074727574682c20747275746820626561757479',
    aad: '436f756e742d30',
    ct: '1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28',
    exports: [
      { context: '', L: 32, value: '4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e' },
      { context: '00', L: 32, value: '8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69' },
      { context: '54657374436f6e74657874', L: 32, value: '5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53' },
    ],
  },
];

describe.each(VECTORS)('RFC 9180 $name', (v) => {
  it('behavior: DeriveKeyPair gives the vector key pairs of ikmE and ikmR', () => {
    const e = deriveX25519KeyPair(h(v.ikmE));
    const r = deriveX25519KeyPair(h(v.ikmR));
    expect([hx(e.secretKey), hx(e.publicKey), hx(r.secretKey), hx(r.publicKey)]).toEqual([v.skEm, v.pkEm, v.skRm, v.pkRm]);
    expect(hx(x25519PublicOf(h(v.skRm)))).toBe(v.pkRm);
  });

  it('behavior: SetupBaseS gives enc, shared_secret and the key schedule of the vector', () => {
    const ctx = setupBaseS(h(v.pkRm), h(v.info), { aead: v.aead, ikmE: h(v.ikmE) });
    expect({
      enc: hx(ctx.enc),
      shared_secret: hx(ctx.sharedSecret),
      key_schedule_context: hx(ctx.keyScheduleContext),
      secret: hx(ctx.secret),
      key: hx(ctx.key),
      base_nonce: hx(ctx.baseNonce),
      exporter_secret: hx(ctx.exporterSecret),
    }).toEqual({ enc: v.enc, shared_secret: v.shared_secret, key_schedule_context: v.key_schedule_context, secret: v.secret, key: v.key, base_nonce: v.base_nonce, exporter_secret: v.exporter_secret });
  });

  it('behavior: SetupBaseR of enc with skR reaches the same context', () => {
    const ctx = setupBaseR(h(v.skRm), h(v.enc), h(v.info), { aead: v.aead });
    expect([hx(ctx.sharedSecret), hx(ctx.key), hx(ctx.baseNonce), hx(ctx.exporterSecret)]).toEqual([v.shared_secret, v.key, v.base_nonce, v.exporter_secret]);
  });

  it('behavior: the first encryption (sequence 0) is the vector ct, and opens back to pt', () => {
    const { enc, ct } = hpkeSeal(h(v.pkRm), h(v.info), h(v.aad), h(v.pt), { aead: v.aead, ikmE: h(v.ikmE) });
    expect([hx(enc), hx(ct)]).toEqual([v.enc, v.ct]);
    expect(hx(hpkeOpen(h(v.skRm), h(v.enc), h(v.info), h(v.aad), h(v.ct), { aead: v.aead }))).toBe(v.pt);
  });

  it('behavior: the exported values of the vector', () => {
    const ctx = setupBaseS(h(v.pkRm), h(v.info), { aead: v.aead, ikmE: h(v.ikmE) });
    for (const x of v.exports) expect(hx(hpkeExport(ctx, h(x.context), x.L))).toBe(x.value);
  });
});

describe('hpkeSeal / hpkeOpen', () => {
  const r = generateX25519();
  const info = utf8('pontis test info');
  const aad = utf8('pontis test aad');
  const pt = utf8('a record of the data-sharing layer');
  const flip = (b: Bytes, i: number): Bytes => {
    const c = Uint8Array.from(b);
    c[i] ^= 0x01;
    return c;
  };

  it.each([AEAD_AES_128_GCM, AEAD_CHACHA20_POLY1305] as AeadId[])('behavior: a random-ephemeral round trip opens (aead %i); two seals differ', (aead) => {
    const a = hpkeSeal(r.publicKey, info, aad, pt, { aead });
    const b = hpkeSeal(r.publicKey, info, aad, pt, { aead });
    expect(hpkeOpen(r.secretKey, a.enc, info, aad, a.ct, { aead })).toEqual(pt);
    expect(a.enc).not.toEqual(b.enc);
    expect(a.ct.length).toBe(pt.length + 16);
  });

  const sealed = hpkeSeal(r.publicKey, info, aad, pt);
  const other = generateX25519();
  // u = 0 and u = 1 are points of small order: X25519 with either gives all zeros (RFC 7748 §6.1)
  const lowOrder = [new Uint8Array(32), concat(Uint8Array.of(1), new Uint8Array(31))];

  const refusals: { name: string; open: () => Bytes }[] = [
    { name: 'a ct byte flipped (first)', open: () => hpkeOpen(r.secretKey, sealed.enc, info, aad, flip(sealed.ct, 0)) },
    { name: 'a tag byte flipped (last)', open: () => hpkeOpen(r.secretKey, sealed.enc, info, aad, flip(sealed.ct, sealed.ct.length - 1)) },
    { name: 'an enc byte flipped', open: () => hpkeOpen(r.secretKey, flip(sealed.enc, 5), info, aad, sealed.ct) },
    { name: 'another recipient key', open: () => hpkeOpen(other.secretKey, sealed.enc, info, aad, sealed.ct) },
    { name: 'another aad', open: () => hpkeOpen(r.secretKey, sealed.enc, info, utf8('pontis test aaD'), sealed.ct) },
    { name: 'another info', open: () => hpkeOpen(r.secretKey, sealed.enc, utf8('pontis test inf0'), aad, sealed.ct) },
    { name: 'the other AEAD', open: () => hpkeOpen(r.secretKey, sealed.enc, info, aad, sealed.ct, { aead: AEAD_CHACHA20_POLY1305 }) },
    { name: 'an enc of 31 bytes', open: () => hpkeOpen(r.secretKey, sealed.enc.subarray(0, 31), info, aad, sealed.ct) },
    { name: 'an enc of 33 bytes', open: () => hpkeOpen(r.secretKey, concat(sealed.enc, Uint8Array.of(0)), info, aad, sealed.ct) },
    { name: 'a ct shorter than a tag', open: () => hpkeOpen(r.secretKey, sealed.enc, info, aad, sealed.ct.subarray(0, 15)) },
    { name: 'a secret key of 31 bytes', open: () => hpkeOpen(r.secretKey.subarray(0, 31), sealed.enc, info, aad, sealed.ct) },
    { name: 'a low-order enc (u = 0)', open: () => hpkeOpen(r.secretKey, lowOrder[0], info, aad, sealed.ct) },
    { name: 'a low-order enc (u = 1)', open: () => hpkeOpen(r.secretKey, lowOrder[1], info, aad, sealed.ct) },
  ];

  it('behavior: the unaltered ciphertext opens (the refusals below are not a broken fixture)', () => {
    expect(hpkeOpen(r.secretKey, sealed.enc, info, aad, sealed.ct)).toEqual(pt);
  });

  it.each(refusals)('error: $name -> PNT_ERR_DATA_DECRYPT', ({ open }) => {
    expect(open).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
  });

  it('error: sealing to a low-order or malformed public key is refused (PNT_ERR_DATA_KEY_INVALID), never an all-zero shared secret', () => {
    for (const pk of [...lowOrder, r.publicKey.subarray(0, 31)]) {
      expect(() => hpkeSeal(pk, info, aad, pt)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
    }
  });

  it('error: DeriveKeyPair refuses ikm shorter than 32 bytes', () => {
    expect(() => deriveX25519KeyPair(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_KEY_INVALID' }));
  });
});
