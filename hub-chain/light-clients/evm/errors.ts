/**
 * Stable codes of the `evm` light client. Proof failures reuse the project's PNT_ERR_PROOF_* family
 * (a relayer sees the same code for an EVM proof as for a hub state proof); RLP, header and
 * source failures have their own.
 */
import { PontisError, errorTable } from '../../errors.ts';

export class EvmClientError extends PontisError {
  override name = 'EvmClientError';
}

export const EVM_ERR = {
  /** Bytes that are not RLP at all (truncated, lengths past the end, trailing bytes). */
  RLP_MALFORMED: 'PNT_ERR_RLP_MALFORMED',
  /** RLP that decodes but is not the one canonical encoding (a second encoding would hash differently). */
  RLP_NONCANONICAL: 'PNT_ERR_RLP_NONCANONICAL',
  /** A header whose RLP does not have the shape of an EVM block header. */
  HEADER_MALFORMED: 'PNT_ERR_EVM_HEADER_MALFORMED',
  /** The node's JSON block does not hash to the hash it reports. */
  HEADER_HASH_MISMATCH: 'PNT_ERR_EVM_HEADER_HASH_MISMATCH',
  /** A header does not extend the one before it (parent hash or number). */
  HEADER_NOT_CHILD: 'PNT_ERR_EVM_HEADER_NOT_CHILD',
  PROOF_MALFORMED: 'PNT_ERR_PROOF_MALFORMED',
  /** The proof does not lead from the root to the key (wrong root, tampered or missing node). */
  PROOF_INVALID: 'PNT_ERR_PROOF_INVALID',
  /** Non-membership asked, but the proof shows the key present. */
  PROOF_KEY_PRESENT: 'PNT_ERR_PROOF_KEY_PRESENT',
  /** Membership asked, but the proof shows the key absent. */
  PROOF_KEY_ABSENT: 'PNT_ERR_PROOF_KEY_ABSENT',
  /** The proven value differs from the claimed one. */
  PROOF_VALUE_MISMATCH: 'PNT_ERR_PROOF_VALUE_MISMATCH',
  /** The receipt has no log at the requested index. */
  PROOF_LOG_NOT_FOUND: 'PNT_ERR_PROOF_LOG_NOT_FOUND',
  /** A trust setting this build does not verify (e.g. QBFT with contract-based validator selection). */
  TRUST_UNSUPPORTED: 'PNT_ERR_EVM_TRUST_UNSUPPORTED',
  /** QBFT extraData that is not [vanity, validators, vote, round, seals]. */
  QBFT_EXTRA_MALFORMED: 'PNT_ERR_EVM_QBFT_EXTRA_MALFORMED',
  /** A committed seal that does not recover, or one committer sealing twice. */
  QBFT_SEAL_INVALID: 'PNT_ERR_EVM_QBFT_SEAL_INVALID',
  /** Seals from 2/3 or less of the trusted (or the listed) validators. */
  QBFT_NO_QUORUM: 'PNT_ERR_EVM_QBFT_NO_QUORUM',
  /** A QBFT header that does not extend a header the client holds, or is not the next height. */
  QBFT_HEADER_REJECTED: 'PNT_ERR_EVM_QBFT_HEADER_REJECTED',
  /** A header time beyond now + maxClockDrift (retryable). */
  HEADER_FROM_FUTURE: 'PNT_ERR_EVM_HEADER_FROM_FUTURE',
  /** The EVM node returned something unusable (missing block, bad fields). */
  SOURCE_INVALID: 'PNT_ERR_EVM_SOURCE_INVALID',
  /** The EVM node could not be reached (retryable). */
  RPC_UNAVAILABLE: 'PNT_ERR_EVM_RPC_UNAVAILABLE',
  /** The EVM node answered a JSON-RPC error (retryable). */
  RPC_ERROR: 'PNT_ERR_EVM_RPC_ERROR',
  /** The EVM node did not answer within the JSON-RPC client's timeout (retryable). */
  RPC_TIMEOUT: 'PNT_ERR_EVM_RPC_TIMEOUT',
  /** The EVM node's answer is not a JSON-RPC response (retryable). */
  RPC_BAD_RESPONSE: 'PNT_ERR_EVM_RPC_BAD_RESPONSE',
} as const;

/** Catalog entries of the codes this client type defines (the PNT_ERR_PROOF_* family is the state's, hub-chain/state/errors.ts). */
export const EVM_ERRORS = errorTable(
  Object.values(EVM_ERR).filter((c) => !c.startsWith('PNT_ERR_PROOF_')),
  {
    [EVM_ERR.HEADER_FROM_FUTURE]: { retryable: true },
    [EVM_ERR.RPC_UNAVAILABLE]: { retryable: true },
    [EVM_ERR.RPC_ERROR]: { retryable: true },
    [EVM_ERR.RPC_TIMEOUT]: { retryable: true },
    [EVM_ERR.RPC_BAD_RESPONSE]: { retryable: true },
  },
);
