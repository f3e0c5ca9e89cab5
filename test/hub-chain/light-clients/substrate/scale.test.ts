import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { ScaleReader, decodeAll, encodeCompact, encodeOption, encodeU32, encodeVecBytes } from '../../../../hub-chain/light-clients/substrate/scale.ts';
import { SYSTEM_EVENTS_KEY, TIMESTAMP_NOW_KEY, storageValueKey, systemAccountKey, xxh64 } from '../../../../hub-chain/light-clients/substrate/storage.ts';
import { expectCode } from '../../../support/errors.ts';

describe('scale: compact integers', () => {
  it('behavior: the parity-scale-codec examples encode and decode, at every mode boundary', () => {
    const cases: [bigint, string][] = [
      [0n, '0x00'],
      [1n, '0x04'],
      [42n, '0xa8'],
      [63n, '0xfc'],
      [64n, '0x0101'],
      [69n, '0x1501'],
      [16383n, '0xfdff'],
      [16384n, '0x02000100'],
      [65535n, '0xfeff0300'],
      [(1n << 30n) - 1n, '0xfeffffff'],
      [1n << 30n, '0x0300000040'],
      [100000000000000n, '0x0b00407a10f35a'],
      [(1n << 64n) - 1n, '0x13ffffffffffffffff'],
    ];
    for (const [n, hex] of cases) {
      expect(toHex(encodeCompact(n))).toBe(hex);
      expect(decodeAll(fromHex(hex), (r) => r.compact())).toBe(n);
    }
  });

  it('error: a value in a longer mode than it needs is refused as non-canonical', () => {
    for (const hex of ['0x0100', '0xfd00', '0x02000000', '0xfeff0000', '0x03ffffff3f', '0x07ffffffff00']) {
      expectCode(() => decodeAll(fromHex(hex), (r) => r.compact()), SUB_ERR.SCALE_NONCANONICAL);
    }
  });

  it('error: truncation, trailing bytes, a bad Option byte, an enum tag out of range and a length past the end are refused', () => {
    expectCode(() => decodeAll(fromHex('0x01'), (r) => r.compact()), SUB_ERR.SCALE_MALFORMED);
    expectCode(() => decodeAll(fromHex('0x0400'), (r) => r.compact()), SUB_ERR.SCALE_MALFORMED);
    expectCode(() => decodeAll(fromHex('0x02'), (r) => r.option((x) => x.u8())), SUB_ERR.SCALE_MALFORMED);
    expectCode(() => decodeAll(fromHex('0x03'), (r) => r.enumTag(3)), SUB_ERR.SCALE_MALFORMED);
    expectCode(() => decodeAll(fromHex('0x0c0102'), (r) => r.vecBytes()), SUB_ERR.SCALE_MALFORMED);
    expectCode(() => decodeAll(fromHex('0xfeffffff'), (r) => r.vec((x) => x.u8())), SUB_ERR.SCALE_MALFORMED); // a count beyond the bytes left
  });

  it('behavior: fixed integers are little-endian; byte vectors and Options round-trip', () => {
    expect(toHex(encodeU32(0x01020304))).toBe('0x04030201');
    expect(new ScaleReader(fromHex('0x04030201')).u32()).toBe(0x01020304);
    expect(new ScaleReader(fromHex('0xffffffff')).u32()).toBe(0xffffffff);
    expect(new ScaleReader(fromHex('0x0100000000000080')).u64()).toBe((1n << 63n) + 1n);
    expect(toHex(decodeAll(encodeVecBytes(utf8('abc')), (r) => r.vecBytes()))).toBe(toHex(utf8('abc')));
    expect(decodeAll(encodeOption(7, (n) => Uint8Array.of(n)), (r) => r.option((x) => x.u8()))).toBe(7);
    expect(decodeAll(encodeOption(null, (n: number) => Uint8Array.of(n)), (r) => r.option((x) => x.u8()))).toBeNull();
  });
});

describe('substrate storage keys', () => {
  it('behavior: xxHash64 matches its reference vectors (empty, short, past 32 bytes)', () => {
    expect(xxh64(new Uint8Array(0), 0n).toString(16)).toBe('ef46db3751d8e999');
    expect(xxh64(utf8('abc'), 0n).toString(16)).toBe('44bc2cf5ad770999');
    expect(xxh64(utf8('Nobody inspects the spammish repetition'), 0n).toString(16)).toBe('fbcea83c8a378bf1');
  });

  it('behavior: the FRAME keys the client reads are the well-known ones', () => {
    expect(toHex(SYSTEM_EVENTS_KEY)).toBe('0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7');
    expect(toHex(TIMESTAMP_NOW_KEY)).toBe('0xf0c365c3cf59d671eb72da0e7a4113c49f1f0515f462cdcf84e0f1d6045dfcbb');
    expect(toHex(storageValueKey('System', 'Account'))).toBe('0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9');
    // the account of the published Polkadot read proof (trie.test.ts)
    const account = fromHex('0x4adf51a47b72795366d52285e329229c836ea7bbfe139dbe8fa0700c4f86fc56');
    expect(toHex(systemAccountKey(account))).toBe(
      '0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9d8425c41fd2745691cf138e0b26aec874adf51a47b72795366d52285e329229c836ea7bbfe139dbe8fa0700c4f86fc56',
    );
  });
});
