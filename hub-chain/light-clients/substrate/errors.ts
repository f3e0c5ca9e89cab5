/**
 * Stable codes of the `substrate` light client. Proof failures reuse the project's PNT_ERR_PROOF_*
 * family (a relayer sees one code whichever chain it proves against); SCALE, header, GRANDPA,
 * event and source failures have their own.
 */
import { PontisError, errorTable } from '../../errors.ts';

export class SubstrateClientError extends PontisError {
  override name = 'SubstrateClientError';
}

export const SUB_ERR = {
  /** Bytes that are not the SCALE encoding expected (truncated, trailing bytes, bad enum tag or Option byte). */
  SCALE_MALFORMED: 'PNT_ERR_SCALE_MALFORMED',
  /** A compact integer in a longer mode than its value needs (a second encoding would hash differently). */
  SCALE_NONCANONICAL: 'PNT_ERR_SCALE_NONCANONICAL',
  /** A header whose SCALE does not have the shape of a Substrate header, or a FRNK digest that does not decode. */
  HEADER_MALFORMED: 'PNT_ERR_SUBSTRATE_HEADER_MALFORMED',
  /** A header does not extend the one before it (parent hash or number). */
  HEADER_NOT_CHILD: 'PNT_ERR_SUBSTRATE_HEADER_NOT_CHILD',
  /** The node's header does not hash to the block hash it reports. */
  HEADER_HASH_MISMATCH: 'PNT_ERR_SUBSTRATE_HEADER_HASH_MISMATCH',
  /** A header at or below the client's latest height that it holds no record of (nothing to compare it with). */
  HEADER_STALE: 'PNT_ERR_SUBSTRATE_HEADER_STALE',
  /** A block time (Timestamp.Now) beyond now + maxClockDrift (retryable). */
  HEADER_FROM_FUTURE: 'PNT_ERR_SUBSTRATE_HEADER_FROM_FUTURE',
  /** A GRANDPA justification that does not decode, or names another block than the header. */
  JUSTIFICATION_MALFORMED: 'PNT_ERR_GRANDPA_JUSTIFICATION_MALFORMED',
  /** A precommit signed by a key outside the authority set, or whose signature does not verify. */
  JUSTIFICATION_SIGNATURE: 'PNT_ERR_GRANDPA_SIGNATURE',
  /** A precommit for a block the votes' ancestry does not show descending from the commit target. */
  JUSTIFICATION_ANCESTRY: 'PNT_ERR_GRANDPA_ANCESTRY',
  /** Distinct valid signers hold 2/3 or less of the authority set's weight. */
  JUSTIFICATION_NO_QUORUM: 'PNT_ERR_GRANDPA_NO_QUORUM',
  /** An authority-set change this client does not follow (a forced change, or a scheduled one with a delay). */
  AUTHORITY_CHANGE_UNSUPPORTED: 'PNT_ERR_GRANDPA_CHANGE_UNSUPPORTED',
  PROOF_MALFORMED: 'PNT_ERR_PROOF_MALFORMED',
  /** The proof does not lead from the root to the key (wrong root, tampered node). */
  PROOF_INVALID: 'PNT_ERR_PROOF_INVALID',
  /** A node the walk to the key needs is not in the proof. */
  PROOF_INCOMPLETE: 'PNT_ERR_PROOF_INCOMPLETE',
  PROOF_KEY_PRESENT: 'PNT_ERR_PROOF_KEY_PRESENT',
  PROOF_KEY_ABSENT: 'PNT_ERR_PROOF_KEY_ABSENT',
  PROOF_VALUE_MISMATCH: 'PNT_ERR_PROOF_VALUE_MISMATCH',
  /** A remark proof whose event is not System.Remarked from a registered writer, or whose payload does not hold the pair. */
  REMARK_INVALID: 'PNT_ERR_SUBSTRATE_REMARK_INVALID',
  /**
   * Non-membership asked of a remark proof for a key other than a receipt (events are a list, not a
   * map: they cannot show absence). A receipt's absence is the writers' timeout record (records.ts).
   */
  REMARK_NO_ABSENCE: 'PNT_ERR_SUBSTRATE_REMARK_NO_ABSENCE',
  /**
   * A Pontis record key (`pkt/...`: a printable path) asked of a raw storage proof. A Substrate
   * chain keeps Pontis records as remark writes, never in storage, so a raw key of that form is
   * always absent there: its absence would "prove" any packet never received.
   */
  PONTIS_KEY_RAW: 'PNT_ERR_SUBSTRATE_PONTIS_KEY_RAW',
  /** An event type table that does not describe System.Events (unknown type id, unsupported shape), or whose hash differs. */
  TYPES_INVALID: 'PNT_ERR_SUBSTRATE_TYPES_INVALID',
  /** The Substrate node returned something unusable (missing block, bad fields). */
  SOURCE_INVALID: 'PNT_ERR_SUBSTRATE_SOURCE_INVALID',
  /** The Substrate node could not be reached or answered a JSON-RPC error (retryable). */
  RPC_UNAVAILABLE: 'PNT_ERR_SUBSTRATE_RPC_UNAVAILABLE',
} as const;

/** The proof family's codes are the state's (hub-chain/state/errors.ts), except INCOMPLETE, which is this type's. */
const SHARED_PROOF_CODES = new Set<string>([SUB_ERR.PROOF_MALFORMED, SUB_ERR.PROOF_INVALID, SUB_ERR.PROOF_KEY_PRESENT, SUB_ERR.PROOF_KEY_ABSENT, SUB_ERR.PROOF_VALUE_MISMATCH]);

export const SUBSTRATE_ERRORS = errorTable(
  Object.values(SUB_ERR).filter((c) => !SHARED_PROOF_CODES.has(c)),
  { [SUB_ERR.RPC_UNAVAILABLE]: { retryable: true }, [SUB_ERR.HEADER_FROM_FUTURE]: { retryable: true } },
);
