/**
 * The full error catalog (hub, adapters, contracts, relayer: one entry per PNT_ERR_* code, a code
 * defined twice fails at load) and the relayer's one retry rule, which reads nothing else.
 *
 * Retry or stop (docs/adr/0008-relayer.md, "Errors"):
 * - a PontisError: its `retryable`, set where it was thrown (which knows the case; each package's
 *   error classes default it from their table);
 * - a bare code (a destination's per-item result, the code leading a failed job's reason): the
 *   catalog's `retryable`; a code the catalog does not list is not retried (a failed job's reason
 *   with no code leading it is BullMQ's own, and retried);
 * - any other error (nothing translated it: a Redis hiccup, an unwrapped library failure): retried,
 *   up to the job's maxAttempts.
 */
import { ErrorCatalog, PontisError, errorTable } from '../hub-chain/errors.ts';
import { HUB_ERROR_TABLES } from '../hub-chain/error-catalog.ts';
import { ADAPTER_ERRORS } from '../adapters/core/errors.ts';
import { CONTRACT_ERRORS } from '../contracts/evm/errors.ts';
import { CHAINCODE_ERRORS } from '../contracts/fabric/errors.ts';

/** The relayer's own codes. */
export const RELAYER_ERRORS = errorTable(
  [
    /** A job kind this build does not know (a queue shared with another version). */
    'PNT_ERR_RELAY_JOB_UNKNOWN',
    /** A job for a path the config does not hold. */
    'PNT_ERR_RELAY_UNKNOWN_PATH',
    /** A chain id with no endpoint in the config. */
    'PNT_ERR_RELAY_UNKNOWN_CHAIN',
    /** A chain kind registered twice on the path-kind registry (a programming error). */
    'PNT_ERR_RELAY_KIND_REGISTERED',
    /** A config chain whose kind no registered path kind handles. */
    'PNT_ERR_RELAY_UNKNOWN_KIND',
    /** A chain with no signer key: an operator must add one. */
    'PNT_ERR_RELAY_NO_SIGNER',
    /** The destination has no client of the source: an operator must create it. */
    'PNT_ERR_RELAY_NO_CLIENT',
    /** The destination's client holds no consensus the job can prove against yet (not retryable where none can come: evidence below the client's oldest). */
    'PNT_ERR_RELAY_NO_CONSENSUS',
    /** No timeout of the batch is due yet: it will be. */
    'PNT_ERR_RELAY_TIMEOUT_NOT_DUE',
    /** Misbehaviour on a path whose client the relayer cannot give evidence for (attested clients). */
    'PNT_ERR_RELAY_MISBEHAVIOUR_UNSUPPORTED',
    /** A relay transaction failed as a whole; details.code is the chain's code, which decides the retry. */
    'PNT_ERR_RELAY_SUBMIT_FAILED',
    /** Another relayer's update of the EVM PontisClient past the wanted height is pending: the next try proves there. */
    'PNT_ERR_RELAY_CLIENT_UPDATE_RACE',
    /** A hub header signed by a set the EVM client does not trust, and no set change found to bridge it. */
    'PNT_ERR_RELAY_NO_SET_CHANGE',
    /** An EVM node answered eth_getLogs with something that is not a list. */
    'PNT_ERR_RELAY_EVM_BAD_RESPONSE',
    /** eth_getProof does not verify against the hub's record of the block (the node may lag). */
    'PNT_ERR_RELAY_EVM_BAD_PROOF',
    /** A Gateway call's argument cannot be ABI-encoded (out of range, not hex): a bug, not a retry. */
    'PNT_ERR_RELAY_EVM_ABI_ENCODE',
    /** A Gateway item reverted with an error the relayer does not map to a Pontis code. */
    'PNT_ERR_RELAY_EVM_REVERT',
    /** A Fabric block named by an event holds no valid transaction writing the key (a peer serving another ledger, or a bug). */
    'PNT_ERR_RELAY_FABRIC_NO_WRITE',
    /** A Fabric write lies more blocks below the hub's client than one proof may chain (1000). */
    'PNT_ERR_RELAY_FABRIC_PROOF_TOO_DEEP',
    /** The Fabric identity (certificate file, key) of a `fabric` chain cannot be read or does not match. */
    'PNT_ERR_RELAY_FABRIC_IDENTITY',
    /** A hub node's records of a batch for a Substrate chain disagree (leaves, batch key, packet events): the co-signer does not sign it. */
    'PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID',
    /** A packet proposed for delivery into a Substrate chain that the co-signer's hub node does not hold as committed outbound. */
    'PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED',
    /** A proposed delivery call hash that is not the one the co-signer's own hub node gives (or for a block whose packets are all delivered or recorded as timed out). */
    'PNT_ERR_RELAY_SUBSTRATE_CALL_MISMATCH',
    /** The delivery multisig's signatories or threshold are unusable, or the co-signer's key is not among them. */
    'PNT_ERR_RELAY_SUBSTRATE_MULTISIG_CONFIG',
    /** The multisig's last approval landed but the delivery call did not execute (or failed inside). */
    'PNT_ERR_RELAY_SUBSTRATE_EXECUTION_FAILED',
    /** The error ack a Substrate chain gives a packet for an application it does not have (only plain messages are received). */
    'PNT_ERR_RELAY_SUBSTRATE_NO_APP',
    /** A write into a Substrate chain a relayer cannot make (packets go in by the validators' co-signers, DELIVERY.md): delivery, the hub's acks of the chain's packets, the chain's own timeouts, client updates. */
    'PNT_ERR_RELAY_DIRECTION_UNSUPPORTED',
    /** A Substrate node's block or System.Events proof does not match the hub's record of that block (a fork, a node of another chain, a lagging node). */
    'PNT_ERR_RELAY_SUBSTRATE_BAD_PROOF',
    /** A Pontis node answered a batch of proven reads for another height, or with fewer or more entries than keys asked. */
    'PNT_ERR_RELAY_BAD_ANSWER',
    /** The Gateway refused a packet whose channel ordering differs from the one it holds. */
    'PNT_ERR_CHANNEL_ORDERING',
    /** A job failed with something that is not a PontisError (the metrics label of such failures). */
    'PNT_ERR_RELAY_UNEXPECTED',
    /** A signer reference that cannot be read or does not hold keys. */
    'PNT_ERR_CONFIG_SIGNER',
    /** The relayer API: a request that fails its schema, and a handler that failed. */
    'PNT_ERR_API_BAD_REQUEST',
    'PNT_ERR_API_INTERNAL',
    /** The API's per-chain status when a chain's node cannot be reached. */
    'PNT_ERR_RPC_UNREACHABLE',
    /** The CLI's code for a failure that is not a PontisError. */
    'PNT_ERR_UNEXPECTED',
  ],
  {
    PNT_ERR_RELAY_NO_CONSENSUS: { retryable: true },
    PNT_ERR_RELAY_TIMEOUT_NOT_DUE: { retryable: true },
    PNT_ERR_RELAY_CLIENT_UPDATE_RACE: { retryable: true },
    PNT_ERR_RELAY_EVM_BAD_RESPONSE: { retryable: true },
    PNT_ERR_RELAY_EVM_BAD_PROOF: { retryable: true },
    PNT_ERR_RELAY_BAD_ANSWER: { retryable: true },
    PNT_ERR_RELAY_SUBSTRATE_EXECUTION_FAILED: { retryable: true },
    PNT_ERR_RELAY_SUBSTRATE_BAD_PROOF: { retryable: true },
    PNT_ERR_RELAY_UNEXPECTED: { retryable: true },
    PNT_ERR_RPC_UNREACHABLE: { retryable: true },
    PNT_ERR_API_BAD_REQUEST: { httpStatus: 400 },
    PNT_ERR_API_INTERNAL: { httpStatus: 500 },
  },
);

export const ERRORS = new ErrorCatalog({
  ...HUB_ERROR_TABLES,
  'adapters/core': ADAPTER_ERRORS,
  'contracts/evm': CONTRACT_ERRORS,
  'contracts/fabric': CHAINCODE_ERRORS,
  relayers: RELAYER_ERRORS,
});

/** Whether a bare code (a per-item result, a failed job's reason) can succeed on a later try; unknown codes cannot. */
export function isRetryableCode(code: string): boolean {
  return ERRORS.retryable(code);
}

/**
 * What a failover client (relayers/paths/pontis/failover-client.ts, evm/failover-rpc.ts) makes of
 * a node's error: `down` (unreachable, silent or not answering the protocol: skip the node until
 * it answers again), `behind` (it may not have reached the height asked for: another node may
 * have; an EVM node's JSON-RPC error to a read is taken so, as it may lack the block) or `answer`
 * (the node's verdict: asking another would get the same).
 */
export function endpointVerdict(code: string): 'down' | 'behind' | 'answer' {
  switch (code) {
    case 'PNT_ERR_RPC_UNAVAILABLE':
    case 'PNT_ERR_RPC_BAD_RESPONSE':
    case 'PNT_ERR_EVM_RPC_UNAVAILABLE':
    case 'PNT_ERR_EVM_RPC_TIMEOUT':
    case 'PNT_ERR_EVM_RPC_BAD_RESPONSE':
      return 'down';
    case 'PNT_ERR_BLOCK_NOT_FOUND':
    case 'PNT_ERR_STATE_VERSION_UNKNOWN':
    case 'PNT_ERR_RPC_NOT_FOUND':
    case 'PNT_ERR_EVM_RPC_ERROR':
      return 'behind';
    default:
      return 'answer';
  }
}

/** A code whose job stops at once (UnrecoverableError) and that clearing does not run again. */
export function isFatalCode(code: string): boolean {
  return !isRetryableCode(code);
}

/**
 * Whether clearing may run a failed job again, from its reason: the code leading it (the relayer
 * writes `<code>: <message>`) decides; a reason without one (BullMQ's own, e.g. a stalled job) is
 * an error nothing translated, so yes.
 */
export function isRetryableReason(reason: string | undefined): boolean {
  const code = /^(PNT_ERR_[A-Z0-9_]+):/.exec(reason ?? '')?.[1];
  return code === undefined || isRetryableCode(code);
}

/** Whether a job that threw `e` should be tried again (the rule in this file's header). */
export function shouldRetry(e: unknown): boolean {
  return e instanceof PontisError ? e.retryable : true;
}
