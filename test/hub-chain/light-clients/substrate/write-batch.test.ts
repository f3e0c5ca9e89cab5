/**
 * The remark payload codec shared by the Substrate adapter (encode) and the `substrate` client
 * (decode): its bytes equal @polkadot/types' SCALE of Vec<(Bytes, Bytes)> after the "PNTS" magic,
 * and anything else is refused with a code.
 */
import { TypeRegistry } from '@polkadot/types';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { decodeWriteBatch, encodeWriteBatch, WRITE_BATCH_MAGIC, type WriteBatch } from '../../../../hub-chain/light-clients/substrate/write-batch.ts';
import { codeOf } from '../../../support/errors.ts';

const registry = new TypeRegistry();
const polkadotScale = (pairs: WriteBatch): Bytes => registry.createType('Vec<(Bytes, Bytes)>', pairs.map(([k, v]) => [toHex(k), toHex(v)])).toU8a();
const hexPairs = (pairs: WriteBatch) => pairs.map(([k, v]) => [toHex(k), toHex(v)]);

const batches: [string, WriteBatch][] = [
  ['empty', []],
  ['one pair', [[utf8('key'), utf8('value')]]],
  ['empty key and value', [[new Uint8Array(0), new Uint8Array(0)]]],
  ['a value past the one-byte compact (64 bytes) and the two-byte one (16384)', [[utf8('a'), new Uint8Array(64).fill(1)], [utf8('b'), new Uint8Array(16_384).fill(2)]]],
  ['70 pairs (a two-byte count)', Array.from({ length: 70 }, (_, i) => [utf8(`k${i}`), utf8(`v${i}`)] as [Bytes, Bytes])],
];

describe('substrate write batch codec', () => {
  for (const [name, pairs] of batches) {
    it(`behavior: ${name} encodes as "PNTS" ++ the SCALE polkadot-js writes, and decodes back`, () => {
      const payload = encodeWriteBatch(pairs);
      expect(toHex(payload)).toBe(toHex(concat(WRITE_BATCH_MAGIC, polkadotScale(pairs))));
      expect(hexPairs(decodeWriteBatch(payload))).toEqual(hexPairs(pairs));
    });
  }

  const good = encodeWriteBatch([[utf8('k'), utf8('v')]]); // PNTS 04 04 6b 04 76
  const refusals: [string, Bytes, string][] = [
    ['no magic', good.subarray(4), SUB_ERR.REMARK_INVALID],
    ['another magic', concat(utf8('PNTX'), good.subarray(4)), SUB_ERR.REMARK_INVALID],
    ['shorter than the magic', utf8('PNT'), SUB_ERR.REMARK_INVALID],
    ['a trailing byte', concat(good, Uint8Array.of(0)), SUB_ERR.SCALE_MALFORMED],
    ['truncated value', good.subarray(0, good.length - 1), SUB_ERR.SCALE_MALFORMED],
    ['a count larger than the pairs present', concat(WRITE_BATCH_MAGIC, Uint8Array.of(0x08), good.subarray(5)), SUB_ERR.SCALE_MALFORMED],
    ['a count in a longer compact mode than it needs', concat(WRITE_BATCH_MAGIC, fromHex('0x0500'), good.subarray(5)), SUB_ERR.SCALE_NONCANONICAL],
    ['magic only (no count)', WRITE_BATCH_MAGIC, SUB_ERR.SCALE_MALFORMED],
  ];
  for (const [name, bytes, code] of refusals) {
    it(`adversarial: ${name} is refused with ${code}`, () => {
      expect(codeOf(() => decodeWriteBatch(bytes))).toBe(code);
    });
  }
});
