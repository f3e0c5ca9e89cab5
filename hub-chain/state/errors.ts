/**
 * Errors of the authenticated state. Codes are stable (operators grep them, RPC returns them):
 *   StateError: PNT_ERR_STATE_VERSION_PRUNED, PNT_ERR_STATE_VERSION_UNKNOWN, PNT_ERR_STATE_STALE_WORKING,
 *     PNT_ERR_STATE_BAD_VERSION, PNT_ERR_STATE_KEY_INVALID, PNT_ERR_STATE_VALUE_INVALID, PNT_ERR_STATE_CORRUPT
 *   ProofError: PNT_ERR_PROOF_MALFORMED, PNT_ERR_PROOF_INVALID, PNT_ERR_PROOF_KEY_PRESENT
 */
import { PontisError } from '../errors.ts';

export class StateError extends PontisError {
  override name = 'StateError';
}

export class ProofError extends PontisError {
  override name = 'ProofError';
}

export const MAX_KEY_BYTES = 1024;
export const MAX_VALUE_BYTES = 1024 * 1024;
