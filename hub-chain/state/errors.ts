/**
 * Errors of the authenticated state. Codes are stable (operators grep them, RPC returns them):
 *   StateError: PNT_ERR_STATE_VERSION_PRUNED, PNT_ERR_STATE_VERSION_UNKNOWN, PNT_ERR_STATE_STALE_WORKING,
 *     PNT_ERR_STATE_BAD_VERSION, PNT_ERR_STATE_KEY_INVALID, PNT_ERR_STATE_VALUE_INVALID, PNT_ERR_STATE_CORRUPT,
 *     PNT_ERR_STATE_NOT_PROVABLE
 *   ProofError: PNT_ERR_PROOF_MALFORMED, PNT_ERR_PROOF_INVALID, PNT_ERR_PROOF_KEY_PRESENT
 * (and STATE_NOT_EMPTY on restore). The tables below give each its catalog entry.
 */
import { PontisError, errorTable } from '../errors.ts';

export class StateError extends PontisError {
  override name = 'StateError';
}

export class ProofError extends PontisError {
  override name = 'ProofError';
}

export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1024 * 1024;

/** Catalog entries of the state (hub-chain/error-catalog.ts): a height not committed is 404, a pruned one 410. */
export const STATE_ERRORS = errorTable(
  [
    'PNT_ERR_STATE_VERSION_PRUNED',
    'PNT_ERR_STATE_VERSION_UNKNOWN',
    'PNT_ERR_STATE_STALE_WORKING',
    'PNT_ERR_STATE_BAD_VERSION',
    'PNT_ERR_STATE_KEY_INVALID',
    'PNT_ERR_STATE_VALUE_INVALID',
    /** restore into a store that already holds versions */
    'PNT_ERR_STATE_NOT_EMPTY',
    'PNT_ERR_STATE_CORRUPT',
    /** a proof asked for an index record (idx/), which lives outside the tree */
    'PNT_ERR_STATE_NOT_PROVABLE',
  ],
  { PNT_ERR_STATE_VERSION_UNKNOWN: { httpStatus: 404 }, PNT_ERR_STATE_VERSION_PRUNED: { httpStatus: 410 } },
);

/**
 * The project's proof family: the same codes for a hub state proof and for an EVM account,
 * storage or receipt proof (hub-chain/light-clients/evm/errors.ts reuses them), so a relayer
 * sees one code whichever chain it proves against.
 */
export const PROOF_ERRORS = errorTable([
  /** Bytes that are not a proof of the expected shape. */
  'PNT_ERR_PROOF_MALFORMED',
  /** The proof does not lead from the root to the key. */
  'PNT_ERR_PROOF_INVALID',
  /** Non-membership asked, but the proof shows the key present. */
  'PNT_ERR_PROOF_KEY_PRESENT',
  /** Membership asked, but the proof shows the key absent. */
  'PNT_ERR_PROOF_KEY_ABSENT',
  /** The proven value differs from the claimed one. */
  'PNT_ERR_PROOF_VALUE_MISMATCH',
  /** The receipt has no log at the requested index. */
  'PNT_ERR_PROOF_LOG_NOT_FOUND',
]);
