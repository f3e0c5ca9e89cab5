/** Stable codes of the `attested` client type and its observers. */
import { errorTable } from '../../errors.ts';

export const ATTEST_ERR = {
  /** The vote names another counterparty chain than the client it was sent to. */
  WRONG_CHAIN: 'PNT_ERR_ATTEST_WRONG_CHAIN',
  /** The voter is not in this chain's current validator set. */
  NOT_VALIDATOR: 'PNT_ERR_ATTEST_NOT_VALIDATOR',
  /** The signature does not recover to the voter (also: signed for another hub chain id). */
  BAD_SIGNATURE: 'PNT_ERR_ATTEST_BAD_SIGNATURE',
  /** The validator already voted this value at this height (or already voted two values). */
  DUPLICATE_VOTE: 'PNT_ERR_ATTEST_DUPLICATE_VOTE',
  /** Counterparty timestamp beyond now + maxClockDrift (retryable). */
  FROM_FUTURE: 'PNT_ERR_ATTEST_FROM_FUTURE',
  /** Height at or below latestHeight - voteWindow: its votes are pruned. */
  VOTE_TOO_OLD: 'PNT_ERR_ATTEST_VOTE_TOO_OLD',
  /** attest/vote for a chain whose client is not of type `attested`. */
  NOT_ATTESTED: 'PNT_ERR_ATTEST_NOT_ATTESTED',
  PROOF_KIND_UNKNOWN: 'PNT_ERR_ATTEST_PROOF_KIND_UNKNOWN',
  PROOF_KIND_DUPLICATE: 'PNT_ERR_ATTEST_PROOF_KIND_DUPLICATE',
  /** The observer's finalized-block source returned something unusable. */
  SOURCE_INVALID: 'PNT_ERR_ATTEST_SOURCE_INVALID',
  /** An observer's interval or stride that is not a positive integer. */
  OBSERVER_OPTIONS: 'PNT_ERR_ATTEST_OBSERVER_OPTIONS',
} as const;

/** Catalog entries: a vote from the future can be accepted once the clock catches up. */
export const ATTEST_ERRORS = errorTable(ATTEST_ERR, { [ATTEST_ERR.FROM_FUTURE]: { retryable: true } });
