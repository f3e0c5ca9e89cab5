/**
 * The error catalog (relayers/error-catalog.ts) against the source: every PNT_ERR_* literal under
 * hub-chain/, relayers/, adapters/, contracts/ (TypeScript) and bin/ is a code the catalog lists
 * (a literal ending in `_` is a prefix and must start some listed code), the tables refuse
 * duplicates, and the RPC's statuses come from it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCatalog, errorTable } from '../../hub-chain/errors.ts';
import { HUB_ERRORS } from '../../hub-chain/error-catalog.ts';
import { statusFor } from '../../hub-chain/rpc/errors.ts';
import { ERRORS } from '../../relayers/error-catalog.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

function sourceFiles(dir: string, exts: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p, exts));
    else if (exts.test(name)) out.push(p);
  }
  return out;
}

const files = [
  ...['hub-chain', 'relayers', 'adapters', 'bin'].flatMap((d) => sourceFiles(join(ROOT, d), /\.(ts|mts|js|mjs)$/)),
  ...sourceFiles(join(ROOT, 'contracts'), /\.ts$/),
];

/** Each distinct PNT_ERR_* literal with the files it appears in. */
function literals(): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/PNT_ERR_[A-Z0-9_]+/g)) {
      const where = seen.get(m[0]) ?? [];
      if (!where.includes(relative(ROOT, f))) where.push(relative(ROOT, f));
      seen.set(m[0], where);
    }
  }
  return seen;
}

describe('error catalog', () => {
  it('behavior: every PNT_ERR_ literal in the source is a code the catalog lists (or a prefix of one)', () => {
    const found = literals();
    expect(found.size).toBeGreaterThan(250); // the scan reads the source at all
    const codes = ERRORS.codes();
    const missing = [...found]
      .filter(([lit]) => (lit.endsWith('_') ? !codes.some((c) => c.startsWith(lit)) : !ERRORS.has(lit)))
      .map(([lit, where]) => `${lit} (${where.join(', ')})`);
    expect(missing, `codes missing from the catalog:\n${missing.join('\n')}`).toEqual([]);
  });

  it('behavior: a code thrown with retryable: true somewhere is retryable in the catalog (what clearing reads back from a failed job)', () => {
    const inconsistent: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/new \w+\(\s*'(PNT_ERR_[A-Z0-9_]+)'[^;]*?retryable: true/g)) {
        if (!ERRORS.retryable(m[1])) inconsistent.push(`${m[1]} (${relative(ROOT, f)})`);
      }
    }
    expect(inconsistent).toEqual([]);
  });

  it('behavior: the scan would notice a code nobody lists', () => {
    expect(ERRORS.has('PNT_ERR_NOT_A_REAL_CODE')).toBe(false);
    expect(ERRORS.retryable('PNT_ERR_NOT_A_REAL_CODE')).toBe(false);
    expect(ERRORS.httpStatus('PNT_ERR_NOT_A_REAL_CODE')).toBe(400);
  });

  it('behavior: the hub catalog holds exactly the hub-chain/ entries of the full one', () => {
    const hub = ERRORS.codes().filter((c) => ERRORS.get(c)!.owner.startsWith('hub-chain/'));
    expect(new Set(HUB_ERRORS.codes())).toEqual(new Set(hub));
    for (const c of hub) expect(HUB_ERRORS.get(c)).toEqual(ERRORS.get(c));
  });

  it('behavior: every entry has a PNT_ERR_ code, a boolean retryable and an HTTP error status', () => {
    for (const code of ERRORS.codes()) {
      const e = ERRORS.get(code)!;
      expect(e.code, code).toMatch(/^PNT_ERR_[A-Z0-9_]+$/);
      expect(typeof e.retryable, code).toBe('boolean');
      expect(e.httpStatus >= 400 && e.httpStatus <= 599, code).toBe(true);
    }
  });

  it('error: a code defined by two tables fails, naming both', () => {
    expect(() => new ErrorCatalog({ a: errorTable(['PNT_ERR_X_ONE']), b: errorTable(['PNT_ERR_X_TWO', 'PNT_ERR_X_ONE']) })).toThrow(/PNT_ERR_X_ONE is defined by both a and b/);
  });

  it('error: a table that lists a code twice, gives meta for a code it does not list, or lists a non-code fails', () => {
    expect(() => errorTable(['PNT_ERR_X_ONE', 'PNT_ERR_X_ONE'])).toThrow(/listed twice/);
    expect(() => errorTable(['PNT_ERR_X_ONE'], { PNT_ERR_X_TWO: { retryable: true } })).toThrow(/does not list/);
    expect(() => errorTable(['ERR_X_ONE'])).toThrow(/not a PNT_ERR_/);
    expect(errorTable({ A: 'PNT_ERR_X_ONE' }, { PNT_ERR_X_ONE: { httpStatus: 404 } })).toEqual([{ code: 'PNT_ERR_X_ONE', retryable: false, httpStatus: 404 }]);
  });

  it.each([
    ['PNT_ERR_RPC_RATE_LIMITED', 429, true],
    ['PNT_ERR_MEMPOOL_FULL', 503, true],
    ['PNT_ERR_STATE_VERSION_PRUNED', 410, false],
    ['PNT_ERR_CLIENT_NOT_FOUND', 404, false],
    ['PNT_ERR_TX_MALFORMED', 400, false],
    ['PNT_ERR_LC_HEADER_FROM_FUTURE', 400, true],
  ])('behavior: %s answers HTTP %i over the RPC, retryable %s', (code, status, retryable) => {
    expect(statusFor(code)).toBe(status);
    expect(ERRORS.httpStatus(code)).toBe(status);
    expect(ERRORS.retryable(code)).toBe(retryable);
  });

  it('behavior: every code docs/ names is one the catalog lists', () => {
    const docs = sourceFiles(join(ROOT, 'docs'), /\.md$/);
    const unknown: string[] = [];
    for (const f of docs) {
      for (const m of readFileSync(f, 'utf8').matchAll(/PNT_ERR_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_]*\*)/g)) {
        if (!ERRORS.has(m[0])) unknown.push(`${m[0]} (${relative(ROOT, f)})`);
      }
    }
    expect([...new Set(unknown)]).toEqual([]);
  });
});
