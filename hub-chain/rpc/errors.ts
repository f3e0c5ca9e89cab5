/**
 * The RPC's error vocabulary: every refusal answers `{"error": {code, message, retryable,
 * details?}}` with a stable PNT_ERR_* code and the HTTP status this table gives it. RPC-level
 * codes are defined here; codes raised by the chain (transactions, blocks, state, packets,
 * clients, registry) pass through with the status listed for them. docs/rpc.md documents both.
 */
import { STATUS_CODES } from 'node:http';
import { PontisError, type PontisErrorOptions } from '../errors.ts';

interface CodeInfo {
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

/** Codes raised below the RPC whose status is not 400. */
const CHAIN_CODES: Record<string, CodeInfo> = {
  PNT_ERR_BLOCK_NOT_FOUND: { status: 404 },
  PNT_ERR_TX_NOT_FOUND: { status: 404 },
  PNT_ERR_STATE_VERSION_UNKNOWN: { status: 404 },
  PNT_ERR_GOV_UNKNOWN_PROPOSAL: { status: 404 },
  PNT_ERR_PACKET_NOT_FOUND: { status: 404 },
  PNT_ERR_CLIENT_NOT_FOUND: { status: 404 },
  PNT_ERR_CHAIN_UNKNOWN: { status: 404 },
  PNT_ERR_STATE_VERSION_PRUNED: { status: 410 },
  PNT_ERR_MEMPOOL_FULL: { status: 503, retryable: true },
  PNT_ERR_MEMPOOL_SENDER_FULL: { status: 503, retryable: true },
};

export function statusFor(code: string): number {
  return (RPC_CODES as Record<string, CodeInfo>)[code]?.status ?? CHAIN_CODES[code]?.status ?? 400;
}

export class RpcError extends PontisError {
  override name = 'RpcError';
  constructor(code: RpcCode | string, message: string, opts: PontisErrorOptions = {}) {
    const info = (RPC_CODES as Record<string, CodeInfo>)[code];
    super(code, message, { retryable: info?.retryable ?? false, ...opts });
  }
}

export interface ErrorBody {
  error: { code: string; message: string; retryable: boolean; details?: Record<string, unknown> };
}

export function errorBody(e: PontisError): ErrorBody {
  return { error: e.toJSON() };
}

/**
 * A complete HTTP/1.1 response for a socket the HTTP layer has given up on (parser errors,
 * timeouts, the connection cap): the documented JSON body, then the connection closes.
 */
export function rawErrorResponse(code: RpcCode, message: string): string {
  const status = RPC_CODES[code].status;
  const body = JSON.stringify(errorBody(new RpcError(code, message)));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'connection: close\r\n\r\n' +
    body
  );
}
