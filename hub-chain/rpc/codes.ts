/**
 * The RPC's own codes (the node's HTTP front door) with the HTTP status and retryability each
 * answers with. Data only, so the hub's error catalog can list them without importing the
 * server; errors.ts builds RpcError and the status lookup on it. docs/rpc.md documents them.
 */
import { type ErrorMeta, errorTable } from '../errors.ts';

export interface CodeInfo {
  status: number;
  retryable?: boolean;
}

/** RPC-level codes (the node's HTTP front door). */
export const RPC_CODES = {
  /** A parameter or body field fails its schema (wrong type, pattern, missing, unknown). */
  PNT_ERR_RPC_BAD_REQUEST: { status: 400 },
  /** A height, id, sequence or limit is not a plain decimal integer in range. */
  PNT_ERR_RPC_BAD_NUMBER: { status: 400 },
  /** The body is not JSON, or carries `__proto__` / `constructor.prototype` keys. */
  PNT_ERR_RPC_BAD_JSON: { status: 400 },
  /** The body nests objects/arrays deeper than rpc.maxJsonDepth. */
  PNT_ERR_RPC_JSON_TOO_DEEP: { status: 400 },
  /** The URL holds a malformed percent-escape. */
  PNT_ERR_RPC_BAD_URL: { status: 400 },
  /** The HTTP parser refused the request (bad method, framing, header bytes); the connection is closed. */
  PNT_ERR_RPC_BAD_HTTP: { status: 400 },
  /** A batch holds more transactions than one request may carry. */
  PNT_ERR_RPC_BATCH_TOO_LARGE: { status: 400 },
  /** No such route, or nothing known there yet (e.g. validators past latest + 1). */
  PNT_ERR_RPC_NOT_FOUND: { status: 404 },
  /** Headers or body did not arrive within the configured timeouts; the connection is closed. */
  PNT_ERR_RPC_TIMEOUT: { status: 408 },
  /** The body exceeds the route's limit (rpc.bodyLimitBytes, or rpc.batchBodyLimitBytes for /txs/batch). */
  PNT_ERR_RPC_BODY_TOO_LARGE: { status: 413 },
  /** A path parameter is longer than any valid value. */
  PNT_ERR_RPC_PARAM_TOO_LONG: { status: 414 },
  /** A body that is not application/json. */
  PNT_ERR_RPC_MEDIA_TYPE: { status: 415 },
  /** This client address spent its request budget (rpc.rateLimitPerSec); retry later. */
  PNT_ERR_RPC_RATE_LIMITED: { status: 429, retryable: true },
  /** Too many header bytes or header lines; the connection is closed. */
  PNT_ERR_RPC_HEADERS_TOO_LARGE: { status: 431 },
  /** A bug: the handler failed. Logged with the cause. */
  PNT_ERR_RPC_INTERNAL: { status: 500 },
  /** Too much is waiting for the consensus thread (rpc.maxInFlightTxs); retry later. */
  PNT_ERR_RPC_BUSY: { status: 503, retryable: true },
  /** The connection cap (rpc.maxConnections) is reached; the connection is closed. */
  PNT_ERR_RPC_TOO_MANY_CONNECTIONS: { status: 503, retryable: true },
  /** The node is shutting down or restarting its RPC. */
  PNT_ERR_RPC_UNAVAILABLE: { status: 503, retryable: true },
} as const satisfies Record<string, CodeInfo>;

export type RpcCode = keyof typeof RPC_CODES;

/** Codes the RPC process raises that never reach an HTTP answer. */
const RPC_PROCESS_CODES = {
  /** The RPC worker could not bind its port (in use, no permission); the host retries with backoff. */
  PNT_ERR_RPC_LISTEN: { status: 500, retryable: true },
} as const satisfies Record<string, CodeInfo>;

/** The RPC's catalog entries. */
export const RPC_ERRORS = errorTable(
  [...Object.keys(RPC_CODES), ...Object.keys(RPC_PROCESS_CODES)],
  Object.fromEntries(Object.entries({ ...RPC_CODES, ...RPC_PROCESS_CODES }).map(([code, i]): [string, ErrorMeta] => [code, { httpStatus: i.status, retryable: 'retryable' in i ? i.retryable : false }])),
);
