/**
 * Assertions on error codes (PontisError and its subclasses carry a `code` such as
 * PNT_ERR_LC_TRUSTED_EXPIRED; a wrapping error keeps the original as its `cause`).
 */
import { expect } from 'vitest';
import { hasCode } from '../../hub-chain/errors.ts';

/** What `f` threw, or undefined when it returned. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** What `p` rejected with, or undefined when it resolved. */
export function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** The string `code` field of an error, if it has one. */
export function errorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** The code of what `f` threw: undefined when it returned, 'not-a-pontis-error' when what it threw carries no code. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return errorCode(e) ?? 'not-a-pontis-error';
  }
  return undefined;
}

/** Runs `f` and records its outcome: the value it returned, or the code of what it threw (null when that has no code). */
export function outcome<T>(f: () => T): { ok: true; value: T } | { ok: false; error: string | null } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    return { ok: false, error: errorCode(e) ?? null };
  }
}

const describeError = (e: unknown): string => (e === undefined ? 'nothing thrown' : `${errorCode(e) ?? 'no code'}: ${(e as Error)?.message ?? String(e)}`);

function checkCode(err: unknown, code: string, cause: string | undefined): void {
  expect(errorCode(err), `expected ${code}, got ${describeError(err)}`).toBe(code);
  if (cause !== undefined) expect(hasCode(err, cause), `expected ${code} caused by ${cause}, got ${describeError(err)}`).toBe(true);
}

/**
 * Expects `f` to throw an error whose code is `code`; with `cause`, an error in its cause chain
 * must carry that code too. Returns the error.
 */
export function expectCode<E = Error>(f: () => unknown, code: string, cause?: string): E {
  const err = thrown(f);
  checkCode(err, code, cause);
  return err as E;
}

/** expectCode for a promise: expects it to reject with an error whose code is `code` (and `cause` in its chain). */
export async function expectCodeAsync<E = Error>(p: Promise<unknown>, code: string, cause?: string): Promise<E> {
  const err = await rejection(p);
  checkCode(err, code, cause);
  return err as E;
}

/** Expects `err` to carry one of `codes` itself or in its cause chain (a refusal that may arrive wrapped). */
export function expectCodeInChain(err: unknown, ...codes: string[]): void {
  expect(err, `expected ${codes.join(' or ')}, nothing thrown`).toBeDefined();
  expect(
    codes.some((c) => hasCode(err, c)),
    `expected ${codes.join(' or ')} in the cause chain, got ${describeError(err)}`,
  ).toBe(true);
}
