/**
 * Errors of the Pontis chaincode (contracts/fabric). A transaction that fails with one of these
 * writes nothing (fabric-shim turns the throw into an error response, which no peer endorses);
 * a per-packet failure inside a batch is reported as that packet's result code instead.
 * The packet and client codes the chaincode shares with the hub (PNT_ERR_PACKET_*, PNT_ERR_CLIENT_*,
 * PNT_ERR_LC_*, PNT_ERR_PROOF_*) come from hub-chain's tables.
 */
import { PontisError, type PontisErrorOptions, errorTable } from '../../hub-chain/errors.ts';

export const CC_ERR = {
  /** A transaction argument that is not the JSON (or hex) its function takes. */
  BAD_ARGUMENT: 'PNT_ERR_FABRIC_CC_BAD_ARGUMENT',
  /** The proposal's timestamp is more than 30 s from the endorsing peer's clock (retryable: send a fresh proposal). */
  CLOCK_SKEW: 'PNT_ERR_FABRIC_CC_CLOCK_SKEW',
  /** The hub client was initialised already (it is created once, at deployment). */
  ALREADY_INITIALISED: 'PNT_ERR_FABRIC_CC_ALREADY_INITIALISED',
  /** initHubClient by an identity that is not an org admin (no OU=admin in its certificate). */
  NOT_ADMIN: 'PNT_ERR_FABRIC_CC_NOT_ADMIN',
  /** A transaction that needs the hub client ran before `initHubClient`. */
  NOT_INITIALISED: 'PNT_ERR_FABRIC_CC_NOT_INITIALISED',
  /** A packet addressed to Fabric with a height timeout: chaincode cannot read its block height (error ack). */
  HEIGHT_TIMEOUT: 'PNT_ERR_FABRIC_CC_HEIGHT_TIMEOUT',
  /** timeoutPacket for a packet this chain already received. */
  ALREADY_RECEIVED: 'PNT_ERR_FABRIC_CC_ALREADY_RECEIVED',
  /** Internal: a state read the chaincode has not fetched yet (state.ts); it never leaves a transaction. */
  STATE_PENDING: 'PNT_ERR_FABRIC_CC_STATE_PENDING',
  /** Reading state needed more rounds than allowed (a programming error, never expected). */
  STATE_ROUNDS: 'PNT_ERR_FABRIC_CC_STATE_ROUNDS',
  /** A chaincode event payload that is not `{"events":[...]}` (events.ts decodeEvents). */
  EVENT_MALFORMED: 'PNT_ERR_FABRIC_CC_EVENT_MALFORMED',
  /** records: the record does not exist (error ack of a request, or a local read). */
  RECORDS_NOT_FOUND: 'PNT_ERR_RECORDS_NOT_FOUND',
  /** records: the requesting chain is not on the record's allow list, or another org owns it. */
  RECORDS_ACCESS_DENIED: 'PNT_ERR_RECORDS_ACCESS_DENIED',
  /** records: a request packet whose payload is not `{"type":"get","id":...}`. */
  RECORDS_BAD_REQUEST: 'PNT_ERR_RECORDS_BAD_REQUEST',
  /** attestations: the issuing app only sends; a packet addressed to it gets this error ack (as the EVM AttestationIssuer). */
  ATTESTATION_ISSUER_ONLY: 'PNT_ERR_ATTESTATION_ISSUER_ONLY',
  /** attestations: revoking or re-issuing an attestation another org issued, or one that does not exist. */
  ATTESTATION_NOT_ISSUER: 'PNT_ERR_ATTESTATION_NOT_ISSUER',
  /** attestations: revoking an attestation already revoked. */
  ATTESTATION_REVOKED: 'PNT_ERR_ATTESTATION_REVOKED',
} as const;

export type ChaincodeErrorCode = (typeof CC_ERR)[keyof typeof CC_ERR];

// PNT_ERR_ATTESTATION_REVOKED means the same on every chain: the hub's table (the `attest` app) holds it
const { ATTESTATION_REVOKED: _shared, ...OWN } = CC_ERR;
export const CHAINCODE_ERRORS = errorTable(OWN, { [CC_ERR.CLOCK_SKEW]: { retryable: true } });

export class ChaincodeError extends PontisError {
  override name = 'ChaincodeError';
  declare readonly code: ChaincodeErrorCode;

  /** `retryable` defaults to the table's for `code`. */
  constructor(code: ChaincodeErrorCode, message: string, opts: PontisErrorOptions = {}) {
    super(code, message, { ...opts, retryable: opts.retryable ?? code === CC_ERR.CLOCK_SKEW });
  }
}
