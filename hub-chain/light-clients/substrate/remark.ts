/**
 * What a registered writer account writes on a Substrate chain without a contract: a
 * `System.remark_with_event` whose payload is "PNTS" ++ SCALE Vec<(Vec<u8> key, Vec<u8> value)>.
 * The runtime records `System.Remarked { sender, hash: blake2_256(payload) }` in the block's
 * events, which a read proof of `System.Events` carries to the hub.
 */
import { type Bytes, concat, equalBytes, toHex, utf8 } from '../../crypto/bytes.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { type EventTypeTable, decodeEvents, remarkedOf } from './events.ts';
import { ScaleReader, encodeVec, encodeVecBytes } from './scale.ts';
import { blake2_256 } from './trie.ts';

export const REMARK_MAGIC = utf8('PNTS');

const invalid = (msg: string, details: Record<string, unknown> = {}) => new SubstrateClientError(SUB_ERR.REMARK_INVALID, msg, { details });

export function encodeRemarkPayload(pairs: readonly (readonly [Bytes, Bytes])[]): Bytes {
  return concat(REMARK_MAGIC, encodeVec(pairs, ([k, v]) => concat(encodeVecBytes(k), encodeVecBytes(v))));
}

export function decodeRemarkPayload(payload: Bytes): [Bytes, Bytes][] {
  if (payload.length < 4 || !equalBytes(payload.subarray(0, 4), REMARK_MAGIC)) throw invalid('remark payload does not start with "PNTS"');
  try {
    const r = new ScaleReader(payload.subarray(4));
    const pairs = r.vec((x) => [x.vecBytes(), x.vecBytes()] as [Bytes, Bytes]);
    r.end('remark payload');
    return pairs;
  } catch (e) {
    throw invalid(`remark payload does not decode: ${(e as Error).message}`);
  }
}

/** What a writer's remark proves: its pairs by hex key; a key written twice maps to null (it has no single value). */
export type RemarkPairs = Map<string, Bytes | null>;

/**
 * Checks that the proven `System.Events` value holds, at `index`, a Remarked event of an
 * extrinsic sent by one of `writers` with the hash of `payload`, and returns the payload's pairs.
 */
export function provenRemarkPairs(table: EventTypeTable, events: Bytes, index: number, payload: Bytes, writers: readonly Bytes[]): RemarkPairs {
  const records = decodeEvents(table, events);
  if (index >= records.length) throw invalid(`the block has ${records.length} events, no event ${index}`);
  const rem = remarkedOf(records[index]);
  if (!rem) throw invalid(`event ${index} is not System.Remarked of an extrinsic`);
  if (!writers.some((w) => equalBytes(w, rem.sender))) throw invalid(`event ${index} was remarked by an account that is not a registered writer`);
  if (!equalBytes(rem.hash, blake2_256(payload))) throw invalid(`event ${index} remarked another payload`);
  const pairs: RemarkPairs = new Map();
  for (const [k, v] of decodeRemarkPayload(payload)) {
    const hex = toHex(k);
    pairs.set(hex, pairs.has(hex) ? null : v);
  }
  return pairs;
}

/** That the proven pairs write `value` under `key` (a key written twice is refused rather than one value picked). */
export function expectRemarkPair(pairs: RemarkPairs, key: Bytes, value: Bytes): void {
  const hit = pairs.get(toHex(key));
  if (hit === null) throw invalid('the remark writes the key twice');
  if (!hit) throw new SubstrateClientError(SUB_ERR.PROOF_KEY_ABSENT, 'the remark does not write the key');
  if (!equalBytes(hit, value)) throw new SubstrateClientError(SUB_ERR.PROOF_VALUE_MISMATCH, 'the remark writes another value under the key');
}

/** `provenRemarkPairs` and `expectRemarkPair` in one: the remark at `index` writes (key, value). */
export function verifyRemarkWrite(table: EventTypeTable, events: Bytes, index: number, payload: Bytes, writers: readonly Bytes[], key: Bytes, value: Bytes): void {
  expectRemarkPair(provenRemarkPairs(table, events, index, payload, writers), key, value);
}
