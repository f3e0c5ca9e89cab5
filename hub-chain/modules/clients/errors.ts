/**
 * Stable codes of the clients module (operators grep them, tests assert them). Header and proof
 * failures keep their own codes (PNT_ERR_LC_*, PNT_ERR_PROOF_*) so a relayer sees the same code
 * on the hub as from its local light client.
 */
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
} as const;

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
} as const;
