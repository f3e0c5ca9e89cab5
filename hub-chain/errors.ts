/**
 * One error base for the whole project. Every error has a stable machine-readable `code`
 * (`PNT_ERR_*`): operators grep it, tests assert it, RPC returns it. `retryable` tells a worker
 * whether trying again can help (BullMQ: false becomes UnrecoverableError). Also here: the
 * catalog's building blocks (errorTable, ErrorCatalog; the hub's catalog is error-catalog.ts,
 * the full one relayers/error-catalog.ts, docs/errors.md), errFields for log lines, and
 * parseSchema, the one place a zod failure becomes a typed error.
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

// ---- the error catalog ----

/**
 * What the catalog says about one code: whether trying again later can help, and the RPC's HTTP
 * status for it. For a code whose cases differ (an HTTP failure that is 5xx or 4xx) `retryable`
 * is true when any case can pass later; the error itself then says which case it is.
 */
export interface ErrorInfo {
  code: string;
  retryable: boolean;
  httpStatus: number;
}

export type ErrorMeta = Partial<Omit<ErrorInfo, 'code'>>;
export type ErrorTable = readonly ErrorInfo[];

/** A code nobody listed, and a listed code that says nothing else: not retryable, HTTP 400. */
export const ERROR_DEFAULTS: Omit<ErrorInfo, 'code'> = { retryable: false, httpStatus: 400 };

/**
 * One module's catalog entries: every code in `codes` (a list, or the module's name -> code
 * constant) with `meta` keyed by code. A code listed twice, or meta for a code not listed, is a
 * mistake in the table and throws at load.
 */
export function errorTable(codes: readonly string[] | Readonly<Record<string, string>>, meta: Readonly<Record<string, ErrorMeta>> = {}): ErrorTable {
  const list = Array.isArray(codes) ? (codes as readonly string[]) : Object.values(codes);
  const seen = new Set<string>();
  for (const code of list) {
    if (!/^PNT_ERR_[A-Z0-9_]+[A-Z0-9]$/.test(code)) throw new Error(`error table: ${code} is not a PNT_ERR_* code`);
    if (seen.has(code)) throw new Error(`error table: ${code} listed twice`);
    seen.add(code);
  }
  for (const code of Object.keys(meta)) if (!seen.has(code)) throw new Error(`error table: meta for ${code}, which the table does not list`);
  return list.map((code) => ({ code, ...ERROR_DEFAULTS, ...meta[code] }));
}

/** Tables merged into one lookup by code; a code two tables define throws, naming both. */
export class ErrorCatalog {
  private readonly byCode = new Map<string, ErrorInfo & { owner: string }>();

  constructor(tables: Readonly<Record<string, ErrorTable>>) {
    for (const [owner, table] of Object.entries(tables)) {
      for (const info of table) {
        const prev = this.byCode.get(info.code);
        if (prev) throw new Error(`error catalog: ${info.code} is defined by both ${prev.owner} and ${owner}`);
        this.byCode.set(info.code, { ...info, owner });
      }
    }
  }

  get(code: string): (ErrorInfo & { owner: string }) | undefined {
    return this.byCode.get(code);
  }
  has(code: string): boolean {
    return this.byCode.has(code);
  }
  /** Unknown codes are not retryable. */
  retryable(code: string): boolean {
    return this.byCode.get(code)?.retryable ?? ERROR_DEFAULTS.retryable;
  }
  /** Unknown codes answer 400. */
  httpStatus(code: string): number {
    return this.byCode.get(code)?.httpStatus ?? ERROR_DEFAULTS.httpStatus;
  }
  codes(): string[] {
    return [...this.byCode.keys()];
  }
}

// ---- logging ----

/** The first PontisError code in `e`'s cause chain. */
export function errorCode(e: unknown): string | undefined {
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) if (cur instanceof PontisError) return cur.code;
  return undefined;
}

/**
 * Log fields for a failure: `err` (pino's serializer writes message, stack and cause chain) and
 * its `code`, so every error line can be grepped by code: `log.warn({ ...errFields(e), chainId }, '...')`.
 */
export function errFields(e: unknown): { err: unknown; code?: string } {
  const code = errorCode(e);
  return code === undefined ? { err: e } : { err: e, code };
}

// ---- schema failures ----

/** One schema failure: `path` as written ('' at the root), `field` the same but never empty and naming an unknown key itself. */
export interface SchemaIssue {
  path: string;
  field: string;
  message: string;
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}
type SafeParse<T> = { success: true; data: T } | { success: false; error: { issues: readonly ZodLikeIssue[] } };

export function schemaIssues(issues: readonly ZodLikeIssue[]): SchemaIssue[] {
  return issues.map((i) => {
    const path = i.path.map(String).join('.');
    const full = i.code === 'unrecognized_keys' && i.keys?.length ? [...i.path.map(String), i.keys[0]] : i.path.map(String);
    return { path, field: full.join('.') || '(root)', message: i.message };
  });
}

/**
 * Parses `value` with a schema (anything with zod's `safeParse`); on failure throws what
 * `toError` makes of the first issue (all issues are passed too), so each caller keeps its own
 * code and message while the zod plumbing lives here.
 */
export function parseSchema<T>(schema: { safeParse(v: unknown): SafeParse<T> }, value: unknown, toError: (first: SchemaIssue, all: SchemaIssue[]) => Error): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const all = schemaIssues(r.error.issues);
  throw toError(all[0], all);
}
