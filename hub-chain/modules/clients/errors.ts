/**
 * Stable codes of the clients module (operators grep them, tests assert them). Header and proof
 * failures keep their own codes (PNT_ERR_LC_*, PNT_ERR_PROOF_*) so a relayer sees the same code
 * on the hub as from its local light client.
 */
import { errorTable } from '../../errors.ts';

export const CLIENT_ERR = {
  TYPE_DUPLICATE: 'PNT_ERR_CLIENT_TYPE_DUPLICATE',
  TYPE_UNKNOWN: 'PNT_ERR_CLIENT_TYPE_UNKNOWN',
  EXISTS: 'PNT_ERR_CLIENT_EXISTS',
  NOT_FOUND: 'PNT_ERR_CLIENT_NOT_FOUND',
  FROZEN: 'PNT_ERR_CLIENT_FROZEN',
  EXPIRED: 'PNT_ERR_CLIENT_EXPIRED',
  /** No consensus state at exactly the requested height (never stored, or invalidated by recovery). */
  NO_CONSENSUS: 'PNT_ERR_CLIENT_NO_CONSENSUS',
  PARAMS_INVALID: 'PNT_ERR_CLIENT_PARAMS_INVALID',
  INITIAL_INVALID: 'PNT_ERR_CLIENT_INITIAL_INVALID',
  /** A client message that does not have the client type's shape. */
  MSG_INVALID: 'PNT_ERR_CLIENT_MSG_INVALID',
  /** Evidence that does not prove misbehaviour. */
  MISBEHAVIOUR_INVALID: 'PNT_ERR_CLIENT_MISBEHAVIOUR_INVALID',
  /** Recovery asked for an active client. */
  NOT_RECOVERABLE: 'PNT_ERR_CLIENT_NOT_RECOVERABLE',
  /** Recovery's trusted height is not above everything the client held before. */
  RECOVERY_HEIGHT: 'PNT_ERR_CLIENT_RECOVERY_HEIGHT',
  /** A client type read or wrote state outside its client's keys and its declared prefixes (a bug in the type). */
  STORE_SCOPE: 'PNT_ERR_CLIENT_STORE_SCOPE',
} as const;

/** Catalog entries (hub-chain/error-catalog.ts): a missing client is 404; a consensus not stored yet can appear once the client is updated. */
export const CLIENT_ERRORS = errorTable(CLIENT_ERR, {
  [CLIENT_ERR.NOT_FOUND]: { httpStatus: 404 },
  [CLIENT_ERR.NO_CONSENSUS]: { retryable: true },
});
