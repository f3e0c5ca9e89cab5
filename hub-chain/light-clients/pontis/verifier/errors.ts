/**
 * Errors of the hub light client. Every rejection has its own stable code so that a relayer, the
 * hub's client module and the EVM contract (which mirrors these rules) can agree on why a header
 * was refused. Commit failures keep verifyCommit's CommitError (PNT_ERR_COMMIT_*) as `cause`.
 */
import { PontisError, type PontisErrorOptions, errorTable } from '../../../errors.ts';

export const LC_ERR = {
  /** Verification options out of range (trusting period, drift, now). */
  OPTIONS: 'PNT_ERR_LC_OPTIONS',
  /** Trust level not a fraction in [1/3, 1]. */
  TRUST_LEVEL: 'PNT_ERR_LC_TRUST_LEVEL',
  /** The trusted state's validator sets do not hash to its header's fields. */
  TRUSTED_STATE_INVALID: 'PNT_ERR_LC_TRUSTED_STATE_INVALID',
  /** now >= trusted.time + trustingPeriod: only a subjective re-initialisation can help. */
  TRUSTED_EXPIRED: 'PNT_ERR_LC_TRUSTED_EXPIRED',
  /** Header or commit fields cannot be encoded (bad hex, bad chain id, unsafe integers). */
  HEADER_MALFORMED: 'PNT_ERR_LC_HEADER_MALFORMED',
  CHAIN_ID: 'PNT_ERR_LC_CHAIN_ID',
  HEIGHT_NOT_INCREASING: 'PNT_ERR_LC_HEIGHT_NOT_INCREASING',
  TIME_NOT_INCREASING: 'PNT_ERR_LC_TIME_NOT_INCREASING',
  /** Header time beyond now + maxClockDrift (retryable: the local clock may catch up). */
  HEADER_FROM_FUTURE: 'PNT_ERR_LC_HEADER_FROM_FUTURE',
  /** untrustedVals.hash() != header.validatorsHash. */
  VALSET_MISMATCH: 'PNT_ERR_LC_VALSET_MISMATCH',
  /** untrustedNextVals.hash() != header.nextValidatorsHash. */
  NEXT_VALSET_MISMATCH: 'PNT_ERR_LC_NEXT_VALSET_MISMATCH',
  /** Adjacent header whose validatorsHash is not the trusted header's nextValidatorsHash. */
  ADJACENT_VALSET_MISMATCH: 'PNT_ERR_LC_ADJACENT_VALSET_MISMATCH',
  /** Header whose prevHash is not the hash of the trusted header below it (a fork). */
  PREV_HASH_MISMATCH: 'PNT_ERR_LC_PREV_HASH_MISMATCH',
  /** verifyCommit refused the commit; the CommitError is the cause. */
  INVALID_COMMIT: 'PNT_ERR_LC_INVALID_COMMIT',
  /** Skipping: signers from the trusted next set hold no more than trustLevel of its power. */
  INSUFFICIENT_TRUST: 'PNT_ERR_LC_INSUFFICIENT_TRUST',
  /** A height or other argument out of range. */
  INVALID_ARGUMENT: 'PNT_ERR_LC_INVALID_ARGUMENT',
  /** A header source returned data for another height than asked. */
  SOURCE_MISMATCH: 'PNT_ERR_LC_SOURCE_MISMATCH',
  /** A header source failed (network, missing height); retryable. */
  SOURCE_UNAVAILABLE: 'PNT_ERR_LC_SOURCE_UNAVAILABLE',
  /** Bisection needed more steps than allowed. */
  BISECTION_LIMIT: 'PNT_ERR_LC_BISECTION_LIMIT',
  /** No trusted state from which the requested height can be reached. */
  NO_TRUSTED_STATE: 'PNT_ERR_LC_NO_TRUSTED_STATE',
  /** Two headers offered as a conflict are not valid evidence of one. */
  MISBEHAVIOUR_INVALID: 'PNT_ERR_LC_MISBEHAVIOUR_INVALID',
} as const;

/** Catalog entries: only a header from the future (the clock may catch up) and a failing source can succeed later (ADR 0003). */
export const LC_ERRORS = errorTable(LC_ERR, {
  [LC_ERR.HEADER_FROM_FUTURE]: { retryable: true },
  [LC_ERR.SOURCE_UNAVAILABLE]: { retryable: true },
});

export type LightClientErrorCode = (typeof LC_ERR)[keyof typeof LC_ERR];

export class LightClientError extends PontisError {
  override name = 'LightClientError';
  declare readonly code: LightClientErrorCode;

  /** `retryable` defaults to the table's for `code`. */
  constructor(code: LightClientErrorCode, message: string, opts: PontisErrorOptions = {}) {
    super(code, message, { ...opts, retryable: opts.retryable ?? LC_ERRORS.some((e) => e.code === code && e.retryable) });
  }
}
