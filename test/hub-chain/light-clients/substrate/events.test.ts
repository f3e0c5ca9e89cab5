import { describe, expect, it } from 'vitest';
import { concat, fromHex, toHex } from '../../../../hub-chain/crypto/bytes.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { type EventTypeTable, TypeRegistry, decodeEvents, eventTypeTableHash, readMetadataV14 } from '../../../../hub-chain/light-clients/substrate/events.ts';
import { ScaleReader, encodeCompact } from '../../../../hub-chain/light-clients/substrate/scale.ts';
import { expectCode } from '../../../support/errors.ts';

// A hand-made table with every shape the decoder has: 0 u8, 1 i16, 2 bool, 3 u128, 4 bitvec<u8>, 5 Compact<u32>, 6 [u8; 2], 7 (i16, bool), 8 Vec<i16>, 9 a composite, 10 a variant, 11 Vec<9>, 12 u32, 13 self-recursive newtype
const table: EventTypeTable = {
  root: 11,
  types: [
    [0, { primitive: 'u8' }],
    [1, { primitive: 'i16' }],
    [2, { primitive: 'bool' }],
    [3, { primitive: 'u128' }],
    [4, { bitSequence: { store: 0, order: 0 } }],
    [5, { compact: 12 }],
    [6, { array: { len: 2, type: 0 } }],
    [7, { tuple: [1, 2] }],
    [8, { sequence: 1 }],
    [9, { composite: [{ name: 'kind', type: 10 }, { name: 'bits', type: 4 }, { name: 'n', type: 5 }, { name: 'pair', type: 7 }, { name: 'list', type: 8 }, { name: 'big', type: 3 }] }],
    [10, { variant: [{ name: 'A', index: 0, fields: [] }, { name: 'B', index: 3, fields: [{ type: 6 }] }] }],
    [11, { sequence: 9 }],
    [12, { primitive: 'u32' }],
    [13, { composite: [{ type: 13 }] }],
  ],
};

const record = concat(
  Uint8Array.of(3, 0xaa, 0xbb), // B([0xaa, 0xbb])
  encodeCompact(10), Uint8Array.of(0xff, 0x03), // 10 bits in two u8 words
  encodeCompact(70000),
  Uint8Array.of(0xfe, 0xff, 1), // (-2, true)
  encodeCompact(2), Uint8Array.of(0x00, 0x80, 0x01, 0x00), // [-32768, 1]
  new Uint8Array(16).fill(0xff),
);

describe('substrate events: the registry-driven decoder', () => {
  it('behavior: decodes composite, variant, sequence, array, tuple, primitives, compact and bit sequences', () => {
    const [rec] = decodeEvents(table, concat(encodeCompact(1), record));
    const plain = (v: unknown): unknown => (v instanceof Uint8Array ? toHex(v) : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
    expect(plain(rec)).toEqual({
      kind: { variant: 'B', index: 3, value: '0xaabb' },
      bits: '0xff03',
      n: 70000n,
      pair: [-2n, true],
      list: [-32768n, 1n],
      big: (1n << 128n) - 1n,
    });
    expect(eventTypeTableHash(table)).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it('error: an unknown variant index, a bool byte of 2, trailing bytes, a missing type and unbounded recursion are refused', () => {
    expectCode(() => decodeEvents(table, concat(encodeCompact(1), Uint8Array.of(1), record.subarray(3))), SUB_ERR.SCALE_MALFORMED);
    const badBool = Uint8Array.from(record);
    badBool[3 + 1 + 2 + 4 + 2] = 2; // variant, bit count, bits, compact, i16: then the bool
    expectCode(() => decodeEvents(table, concat(encodeCompact(1), badBool)), SUB_ERR.SCALE_MALFORMED);
    expectCode(() => decodeEvents(table, concat(encodeCompact(1), record, Uint8Array.of(0))), SUB_ERR.SCALE_MALFORMED);
    expectCode(() => decodeEvents({ ...table, root: 99 }, encodeCompact(0)), SUB_ERR.TYPES_INVALID);
    expectCode(() => new TypeRegistry(table).decode(new ScaleReader(new Uint8Array(8)), 13), SUB_ERR.TYPES_INVALID);
    expectCode(() => decodeEvents({ ...table, root: 9 }, record), SUB_ERR.TYPES_INVALID); // not a sequence
  });

  it('error: bytes that are not metadata V14 are refused', () => {
    expectCode(() => readMetadataV14(fromHex('0x6d65746100')), SUB_ERR.TYPES_INVALID);
    expectCode(() => readMetadataV14(fromHex('0x6d6574610f00')), SUB_ERR.TYPES_INVALID);
    expect(toHex(new TextEncoder().encode('meta'))).toBe('0x6d657461');
  });
});
