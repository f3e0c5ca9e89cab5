/**
 * The RPC's error vocabulary: every refusal answers `{"error": {code, message, retryable,
 * details?}}` with a stable PNT_ERR_* code and the HTTP status the error catalog gives it
 * (hub-chain/error-catalog.ts). RPC-level codes are defined in codes.ts; codes raised by the chain
 * (transactions, blocks, state, packets, clients, registry) pass through with the status their
 * module's table lists. docs/rpc.md documents both.
 */
import { STATUS_CODES } from 'node:http';
import { PontisError, type PontisErrorOptions } from '../errors.ts';
import { HUB_ERRORS } from '../error-catalog.ts';
import { RPC_CODES, type CodeInfo, type RpcCode } from './codes.ts';

export { RPC_CODES, type RpcCode } from './codes.ts';

/** The HTTP status the RPC answers `code` with: the error catalog's (400 for a code it does not list). */
export function statusFor(code: string): number {
  return HUB_ERRORS.httpStatus(code);
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
