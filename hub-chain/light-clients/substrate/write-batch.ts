/**
 * The payload of a Pontis write from a Substrate chain: `system.remarkWithEvent(payload)` with
 * payload = "PNTS" (4 ASCII bytes) ++ SCALE `Vec<(Vec<u8> key, Vec<u8> value)>`. The adapter
 * encodes it (adapters/substrate), the `substrate` client decodes it from a proven remark. One
 * codec for both, so the two cannot drift. Strict: a payload that decodes must encode back to
 * the same bytes (no trailing bytes, shortest compacts).
 */
import { type Bytes, concat, equalBytes } from '../../crypto/bytes.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { decodeAll, encodeVec, encodeVecBytes } from './scale.ts';

/** "PNTS": marks a remark as a Pontis write batch (other remarks on the chain are not). */
export const WRITE_BATCH_MAGIC: Bytes = Uint8Array.of(0x50, 0x4e, 0x54, 0x53);

export type WriteBatch = [key: Bytes, value: Bytes][];

export function encodeWriteBatch(pairs: WriteBatch): Bytes {
  return concat(
    WRITE_BATCH_MAGIC,
    encodeVec(pairs, ([k, v]) => concat(encodeVecBytes(k), encodeVecBytes(v))),
  );
}

/** Throws PNT_ERR_SUBSTRATE_REMARK_INVALID without the magic, PNT_ERR_SCALE_* when the rest is not the SCALE of pairs. */
export function decodeWriteBatch(payload: Bytes): WriteBatch {
  if (payload.length < WRITE_BATCH_MAGIC.length || !equalBytes(payload.subarray(0, WRITE_BATCH_MAGIC.length), WRITE_BATCH_MAGIC)) {
    throw new SubstrateClientError(SUB_ERR.REMARK_INVALID, 'the remark is not a Pontis write batch (no "PNTS" magic)');
  }
  return decodeAll(payload.subarray(WRITE_BATCH_MAGIC.length), (r) => r.vec((r2) => [r2.vecBytes(), r2.vecBytes()] as [Bytes, Bytes]), 'write batch');
}
