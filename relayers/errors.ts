/** Relayer errors: stable PNT_ERR_* codes; `retryable` decides between a BullMQ retry and UnrecoverableError. */
import { PontisError } from '../hub-chain/errors.ts';

export class RelayerError extends PontisError {
  override name = 'RelayerError';
}

export class RelayerConfigError extends PontisError {
  override name = 'RelayerConfigError';
}

/**
 * Per-packet result codes a destination returns that can never turn into success by retrying
 * the same job: the proof or packet is wrong, or the client cannot verify anything any more.
 * Everything else (no consensus at the proof height yet, out of order, paused) is retried.
 */
const FATAL_PREFIXES = ['PNT_ERR_PROOF_', 'PNT_ERR_LC_'];
const FATAL_CODES = new Set([
  'PNT_ERR_CLIENT_FROZEN',
  'PNT_ERR_CLIENT_EXPIRED',
  'PNT_ERR_PACKET_COMMITMENT_MISMATCH',
  'PNT_ERR_PACKET_WRONG_CHAIN',
  'PNT_ERR_PACKET_TIMED_OUT',
  'PNT_ERR_CHANNEL_CLOSED',
  'PNT_ERR_ACK_MALFORMED',
]);

export function isFatalCode(code: string): boolean {
  return FATAL_CODES.has(code) || FATAL_PREFIXES.some((p) => code.startsWith(p));
}
