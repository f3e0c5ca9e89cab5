/**
 * The remark payload codec (remark.ts) shared by the Substrate adapter, which encodes with it, and
 * the `substrate` client, which decodes with it: its bytes equal @polkadot/types' SCALE of
 * Vec<(Bytes, Bytes)> after the "PNTS" magic (what a remark sent by any polkadot-js tool holds),
 * and anything else is refused.
 */
import { TypeRegistry } from '@polkadot/types';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { decodeRemarkPayload, encodeRemarkPayload, REMARK_MAGIC } from '../../../../hub-chain/light-clients/substrate/remark.ts';

type WriteBatch = [Bytes, Bytes][];
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

describe('substrate remark payload codec', () => {
  for (const [name, pairs] of batches) {
    it(`behavior: ${name} encodes as "PNTS" ++ the SCALE polkadot-js writes, and decodes back`, () => {
      const payload = encodeRemarkPayload(pairs);
      expect(toHex(payload)).toBe(toHex(concat(REMARK_MAGIC, polkadotScale(pairs))));
      expect(hexPairs(decodeRemarkPayload(payload))).toEqual(hexPairs(pairs));
    });
  }

  const good = encodeRemarkPayload([[utf8('k'), utf8('v')]]); // PNTS 04 04 6b 04 76
  const refusals: [string, Bytes, string][] = [
    ['no magic', good.subarray(4), SUB_ERR.REMARK_INVALID],
    ['another magic', concat(utf8('PNTX'), good.subarray(4)), SUB_ERR.REMARK_INVALID],
    ['shorter than the magic', utf8('PNT'), SUB_ERR.REMARK_INVALID],
    ['a trailing byte', concat(good, Uint8Array.of(0)), SUB_ERR.REMARK_INVALID],
    ['truncated value', good.subarray(0, good.length - 1), SUB_ERR.REMARK_INVALID],
    ['a count larger than the pairs present', concat(REMARK_MAGIC, Uint8Array.of(0x08), good.subarray(5)), SUB_ERR.REMARK_INVALID],
    ['a count in a longer compact mode than it needs', concat(REMARK_MAGIC, fromHex('0x0500'), good.subarray(5)), SUB_ERR.REMARK_INVALID],
    ['magic only (no count)', REMARK_MAGIC, SUB_ERR.REMARK_INVALID],
  ];
  for (const [name, bytes, code] of refusals) {
    it(`adversarial: ${name} is refused with ${code}`, () => {
      expect(codeOf(() => decodeRemarkPayload(bytes))).toBe(code);
    });
  }
});
