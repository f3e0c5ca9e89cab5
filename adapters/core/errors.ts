/**
 * The errors every adapter speaks. Adapters translate their client library's failures (ethers,
 * polkadot, fabric-gateway) into these, so relayer logic decides on `code` and `retryable`
 * and never parses a foreign message. The original failure stays reachable as `cause`.
 */
import { PontisError, type PontisErrorOptions, errorTable } from '../../hub-chain/errors.ts';

export const AdapterErrorCode = {
  /** The node did not answer in time. */
  RPC_TIMEOUT: 'PNT_ERR_ADAPTER_RPC_TIMEOUT',
  /** The node could not be reached, or answered with a server failure (HTTP 5xx, reset). */
  RPC_UNAVAILABLE: 'PNT_ERR_ADAPTER_RPC_UNAVAILABLE',
  /** The node answered with a JSON-RPC error the adapter has no better name for. */
  RPC_ERROR: 'PNT_ERR_ADAPTER_RPC_ERROR',
  /** The node's answer could not be understood (malformed or missing fields). */
  BAD_RESPONSE: 'PNT_ERR_ADAPTER_BAD_RESPONSE',
  /** Execution reverted (at estimation or on chain): resubmitting the same call will revert again. */
  REVERTED: 'PNT_ERR_ADAPTER_REVERTED',
  /** The nonce was already used or is out of order; the adapter resynchronises, so a retry helps. */
  NONCE: 'PNT_ERR_ADAPTER_NONCE',
  /** Fees too low for the pool (replacement underpriced, below base fee). */
  UNDERPRICED: 'PNT_ERR_ADAPTER_UNDERPRICED',
  /** The signer cannot pay: an operator must fund it. */
  INSUFFICIENT_FUNDS: 'PNT_ERR_ADAPTER_INSUFFICIENT_FUNDS',
  /** A submitted transaction was not mined within the adapter's deadline (it may still be). */
  NOT_MINED: 'PNT_ERR_ADAPTER_NOT_MINED',
  /** The transaction lost a read/write conflict with another one (Fabric MVCC, phantom read): run it again on fresh state. */
  CONFLICT: 'PNT_ERR_ADAPTER_CONFLICT',
  /** The endorsing peers computed different results (their states differ for now): retry, perhaps on other peers. */
  ENDORSEMENT_MISMATCH: 'PNT_ERR_ADAPTER_ENDORSEMENT_MISMATCH',
  /** The transaction does not satisfy the chain's endorsement policy (too few or wrong orgs endorsed): fix the configuration. */
  POLICY: 'PNT_ERR_ADAPTER_POLICY',
  /** The chain reorganised under a scan; retryable when the scan can rewind, fatal when deeper than tracked. */
  REORG: 'PNT_ERR_ADAPTER_REORG',
  /** The node serves another chain than the one configured. */
  CHAIN_MISMATCH: 'PNT_ERR_ADAPTER_CHAIN_MISMATCH',
  /** The caller asked for something invalid (bad range, unknown event name, bad address). */
  INVALID_REQUEST: 'PNT_ERR_ADAPTER_INVALID_REQUEST',
  /** A checkpoint could not be read or written. */
  CHECKPOINT: 'PNT_ERR_ADAPTER_CHECKPOINT',
  /** Anything the adapter did not anticipate; a bug until proven otherwise. */
  INTERNAL: 'PNT_ERR_ADAPTER_INTERNAL',
} as const;

export type AdapterErrorCode = (typeof AdapterErrorCode)[keyof typeof AdapterErrorCode];

/** Whether trying again can help, per code, unless an adapter knows better for one case. */
const DEFAULT_RETRYABLE: Record<AdapterErrorCode, boolean> = {
  PNT_ERR_ADAPTER_RPC_TIMEOUT: true,
  PNT_ERR_ADAPTER_RPC_UNAVAILABLE: true,
  PNT_ERR_ADAPTER_RPC_ERROR: true,
  PNT_ERR_ADAPTER_BAD_RESPONSE: true,
  PNT_ERR_ADAPTER_REVERTED: false,
  PNT_ERR_ADAPTER_NONCE: true,
  PNT_ERR_ADAPTER_UNDERPRICED: true,
  PNT_ERR_ADAPTER_INSUFFICIENT_FUNDS: false,
  PNT_ERR_ADAPTER_NOT_MINED: true,
  PNT_ERR_ADAPTER_CONFLICT: true,
  PNT_ERR_ADAPTER_ENDORSEMENT_MISMATCH: true,
  PNT_ERR_ADAPTER_POLICY: false,
  PNT_ERR_ADAPTER_REORG: true,
  PNT_ERR_ADAPTER_CHAIN_MISMATCH: false,
  PNT_ERR_ADAPTER_INVALID_REQUEST: false,
  PNT_ERR_ADAPTER_CHECKPOINT: false,
  PNT_ERR_ADAPTER_INTERNAL: false,
};

/** Catalog entries (relayers/error-catalog.ts): the defaults above; adapter errors never reach the hub's RPC. */
export const ADAPTER_ERRORS = errorTable(
  AdapterErrorCode,
  Object.fromEntries(Object.entries(DEFAULT_RETRYABLE).map(([code, retryable]) => [code, { retryable }])),
);

export interface AdapterErrorOptions extends PontisErrorOptions {
  /** The adapter's chain id, so a log line says which chain failed. */
  chainId?: string;
  /** What the adapter was doing (an RPC method or an operation name). */
  operation?: string;
}

export class AdapterError extends PontisError {
  override name = 'AdapterError';
  override readonly code: AdapterErrorCode;
  readonly chainId: string | undefined;
  readonly operation: string | undefined;

  constructor(code: AdapterErrorCode, message: string, opts: AdapterErrorOptions = {}) {
    super(code, message, { ...opts, retryable: opts.retryable ?? DEFAULT_RETRYABLE[code] });
    this.code = code;
    this.chainId = opts.chainId;
    this.operation = opts.operation;
  }
}

export function isAdapterError(e: unknown, code?: AdapterErrorCode): e is AdapterError {
  return e instanceof AdapterError && (code === undefined || e.code === code);
}
