/** Relayer errors: stable PNT_ERR_* codes; `retryable` decides between a BullMQ retry and UnrecoverableError. */
import { PontisError, type PontisErrorOptions } from '../hub-chain/errors.ts';
import { ERRORS } from './error-catalog.ts';

/** A relayer failure; `retryable` defaults to the catalog's for its code. */
export class RelayerError extends PontisError {
  override name = 'RelayerError';
  constructor(code: string, message: string, opts: PontisErrorOptions = {}) {
    super(code, message, { ...opts, retryable: opts.retryable ?? ERRORS.retryable(code) });
  }
}

export class RelayerConfigError extends PontisError {
  override name = 'RelayerConfigError';
}

/** Retry or stop: the catalog's rule (error-catalog.ts), re-exported for the path handlers. */
export { isFatalCode, isRetryableCode, isRetryableReason, shouldRetry } from './error-catalog.ts';
