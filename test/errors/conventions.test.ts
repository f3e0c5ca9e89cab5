/**
 * Conventions that keep errors and logs uniform across the source: zod failures go through
 * parseSchema (hub-chain/errors.ts), log lines name chains `chainId` and sequences `seq`, and an
 * error is logged as an object (errFields), never as its bare message.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const walk = (d: string): string[] =>
  readdirSync(d).flatMap((n) => (n === 'node_modules' ? [] : statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : /\.(ts|mts)$/.test(n) ? [join(d, n)] : []));
const files = ['hub-chain', 'relayers', 'adapters', 'contracts', 'bin'].flatMap((d) => walk(join(ROOT, d)));

function offending(re: RegExp, except: string[] = []): string[] {
  const out: string[] = [];
  for (const f of files) {
    const rel = relative(ROOT, f);
    if (except.includes(rel)) continue;
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (re.test(line)) out.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
  }
  return out;
}

const LOG_CALL = /\b(log|logger|this\.log|this\.logger|this\.d\.log|this\.opts\.logger)\??\.(trace|debug|info|warn|error|fatal|child)\(\{/;

describe('conventions', () => {
  it('behavior: zod failures become typed errors only through parseSchema', () => {
    expect(offending(/ZodError|\.issues\[0\]|\.error\.issues/, ['hub-chain/errors.ts'])).toEqual([]);
  });

  it('behavior: log lines use chainId, clientId, seq and jobId, not chain, client, sequence or job', () => {
    expect(offending(new RegExp(`${LOG_CALL.source}[^)]*\\b(chain|client|sequence|job):`))).toEqual([]);
  });

  it('behavior: errors are logged as objects (message, stack, cause and code), not as a bare message', () => {
    expect(offending(new RegExp(`${LOG_CALL.source}[^)]*\\berr: [^,}]*\\.message`))).toEqual([]);
  });
});
