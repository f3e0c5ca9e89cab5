/**
 * One error base for the whole project. Every error has a stable machine-readable `code`
 * (`PNT_ERR_*`): operators grep it, tests assert it, RPC returns it. `retryable` tells a worker
 * whether trying again can help (BullMQ: false becomes UnrecoverableError).
 */
export interface PontisErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  details?: Record<string, unknown>;
}

export class PontisError extends Error {
  override name = 'PontisError';
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, opts: PontisErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }

  toJSON(): { code: string; message: string; retryable: boolean; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, ...(this.details ? { details: this.details } : {}) };
  }
}

/** True when `e` (or anything in its cause chain) is a PontisError with `code`. */
export function hasCode(e: unknown, code: string): boolean {
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) {
    if (cur instanceof PontisError && cur.code === code) return true;
  }
  return false;
}

export class EncodingError extends PontisError {
  override name = 'EncodingError';
}
export class CryptoError extends PontisError {
  override name = 'CryptoError';
}
