/**
 * Strict reading of numbers and flags from paths and query strings, shared by every route:
 * a height, id, sequence or limit is plain decimal digits (no sign, exponent, hex, fraction or
 * leading zero), within the route's range. `Number()` and ajv's coercion accept `0x10`, `+1`,
 * `1.0` and `1e400`; a query that means something else than it says must be refused, not guessed.
 */
import { RpcError } from './errors.ts';

const DECIMAL = /^(0|[1-9][0-9]*)$/;

export interface IntRange {
  min: number;
  max?: number;
}

/** The integer `raw` spells, or RpcError PNT_ERR_RPC_BAD_NUMBER naming `param`. */
export function parseIntParam(raw: unknown, param: string, range: IntRange): number {
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const refuse = (why: string) => new RpcError('PNT_ERR_RPC_BAD_NUMBER', `${param} ${why}`, { details: { param } });
  if (typeof raw !== 'string' || raw.length > 16 || !DECIMAL.test(raw)) throw refuse(`must be a decimal integer from ${range.min} to ${max} (digits only, no sign or leading zero)`);
  const n = Number(raw);
  if (n < range.min || n > max) throw refuse(`must be from ${range.min} to ${max}`);
  return n;
}

/** `parseIntParam` for an optional parameter: `fallback` when absent. */
export function optionalIntParam(raw: unknown, param: string, range: IntRange, fallback: number): number;
export function optionalIntParam(raw: unknown, param: string, range: IntRange): number | undefined;
export function optionalIntParam(raw: unknown, param: string, range: IntRange, fallback?: number): number | undefined {
  return raw === undefined ? fallback : parseIntParam(raw, param, range);
}

/** A flag: exactly `true` or `false` (absent is false). */
export function parseFlag(raw: unknown, param: string): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new RpcError('PNT_ERR_RPC_BAD_REQUEST', `${param} must be true or false`, { details: { param } });
}
