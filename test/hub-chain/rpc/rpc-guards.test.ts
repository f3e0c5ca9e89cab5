/**
 * The small guards the RPC and peer links rest on: strict number and flag parsing, the JSON
 * depth scan, token buckets, the rendered-answer cache, config errors that name the field, and
 * the error-code table in docs/rpc.md kept in step with the code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonTooDeep } from '../../../hub-chain/encoding/json-depth.ts';
import { KeyedBuckets, TokenBucket } from '../../../hub-chain/node/token-bucket.ts';
import { nodeConfigSchema, parseNodeConfig } from '../../../hub-chain/node/config.ts';
import { RenderedCache } from '../../../hub-chain/rpc/cache.ts';
import { RPC_CODES, statusFor } from '../../../hub-chain/rpc/errors.ts';
import { parseFlag, parseIntParam } from '../../../hub-chain/rpc/params.ts';

describe('strict numbers', () => {
  const accepted: [string, number][] = [
    ['0', 0],
    ['1', 1],
    ['10', 10],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ];
  it.each(accepted)('behavior: %s reads as %i', (raw, n) => {
    expect(parseIntParam(raw, 'height', { min: 0 })).toBe(n);
  });

  const refused = ['', ' 1', '1 ', '+1', '-1', '01', '00', '0x10', '1.0', '1e3', '1e400', 'Infinity', 'NaN', '١', '9007199254740992', '99999999999999999999', '1_000'];
  it.each(refused)('error: %j is refused with PNT_ERR_RPC_BAD_NUMBER naming the parameter', (raw) => {
    expect(() => parseIntParam(raw, 'height', { min: 0 })).toThrow(expect.objectContaining({ code: 'PNT_ERR_RPC_BAD_NUMBER', details: { param: 'height' } }));
  });

  it('error: values outside the route range are refused; non-strings too', () => {
    expect(() => parseIntParam('0', 'sequence', { min: 1 })).toThrow(expect.objectContaining({ code: 'PNT_ERR_RPC_BAD_NUMBER' }));
    expect(() => parseIntParam('1001', 'limit', { min: 1, max: 1000 })).toThrow(expect.objectContaining({ code: 'PNT_ERR_RPC_BAD_NUMBER', details: { param: 'limit' } }));
    expect(parseIntParam('1000', 'limit', { min: 1, max: 1000 })).toBe(1000);
    expect(() => parseIntParam(5, 'height', { min: 0 })).toThrow(expect.objectContaining({ code: 'PNT_ERR_RPC_BAD_NUMBER' }));
    expect(() => parseIntParam(['1', '2'], 'height', { min: 0 })).toThrow(expect.objectContaining({ code: 'PNT_ERR_RPC_BAD_NUMBER' }));
  });

  it('behavior: a flag is exactly true or false; anything else is refused', () => {
    expect(parseFlag('true', 'prove')).toBe(true);
    expect(parseFlag('false', 'prove')).toBe(false);
    expect(parseFlag(undefined, 'prove')).toBe(false);
    for (const bad of ['1', '0', 'TRUE', 'yes', '']) expect(() => parseFlag(bad, 'prove')).toThrow(expect.objectContaining({ code: 'PNT_ERR_RPC_BAD_REQUEST', details: { param: 'prove' } }));
  });
});

describe('JSON depth on raw text', () => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
  it('behavior: depth is counted for arrays and objects alike, up to the bound inclusive', () => {
    expect(jsonTooDeep(nest(64), 64)).toBe(false);
    expect(jsonTooDeep(nest(65), 64)).toBe(true);
    expect(jsonTooDeep('{"a":'.repeat(65) + '1' + '}'.repeat(65), 64)).toBe(true);
    expect(jsonTooDeep('{"a":[{"b":[1,2,{"c":{}}]}]}', 6)).toBe(false);
    expect(jsonTooDeep('{"a":[{"b":[1,2,{"c":{}}]}]}', 5)).toBe(true);
  });
  it('behavior: brackets inside strings (escaped quotes included) do not count', () => {
    expect(jsonTooDeep(JSON.stringify({ s: '['.repeat(1000) }), 2)).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ s: '\\"[[[[' + '"{{{{' }), 1)).toBe(false);
    expect(jsonTooDeep(`["\\\\", ${nest(3)}]`, 3)).toBe(true);
  });
  it('behavior: the answer matches a parse for ordinary documents', () => {
    const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
    const docs = [{ a: [1, { b: [[2]] }], c: 'x]}' }, [[[]], [{}]], { x: { y: { z: ['"\\'] } } }];
    for (const d of docs) {
      const text = JSON.stringify(d);
      expect(jsonTooDeep(text, depth(d))).toBe(false);
      expect(jsonTooDeep(text, depth(d) - 1)).toBe(true);
    }
  });
});

describe('token buckets', () => {
  it('behavior: a bucket pays its burst, refuses, then refills at its rate', () => {
    const b = new TokenBucket(10, 20, 0);
    for (let i = 0; i < 20; i++) expect(b.take(1, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.take(1, 50)).toBe(false); // half a token
    expect(b.take(1, 100)).toBe(true);
    expect(b.isFull(10_000)).toBe(true);
    expect(b.take(21, 10_000)).toBe(false); // never more than the burst at once
  });
  it('behavior: keyed buckets are per key and bounded in number', () => {
    const k = new KeyedBuckets(1, 2, 3);
    expect(k.take('a', 2)).toBe(true);
    expect(k.take('a')).toBe(false);
    expect(k.take('b')).toBe(true);
    k.take('c');
    k.take('d'); // past maxKeys: shares the overflow bucket
    expect(k.size).toBe(3);
  });
});

describe('rendered-answer cache', () => {
  it('behavior: hits skip rendering; entries and bytes stay bounded, least recent evicted first', () => {
    const c = new RenderedCache(2, 1000);
    let renders = 0;
    const r = (v: string) => () => (renders++, v);
    c.getOrRender('a', r('A'));
    c.getOrRender('b', r('B'));
    expect(c.getOrRender('a', r('A2'))).toBe('A');
    c.getOrRender('c', r('C')); // evicts b, the least recently used
    expect(c.size).toBe(2);
    expect(c.getOrRender('b', r('B2'))).toBe('B2');
    expect(renders).toBe(4);
    expect(c.getOrRender('big', r('x'.repeat(400)))).toHaveLength(400); // over a quarter of the byte budget: served, not kept
    expect(c.getOrRender('big', r('y'.repeat(400)))[0]).toBe('y');
  });
  it('error: a render that throws caches nothing', () => {
    const c = new RenderedCache(2, 1000);
    expect(() => c.getOrRender('k', () => { throw new Error('no'); })).toThrow('no');
    expect(c.getOrRender('k', () => 'ok')).toBe('ok');
  });
});

describe('RPC and peer config', () => {
  const base = { rpc: { port: 1 }, p2p: { port: 2 } };
  it('behavior: defaults protect the node without limiting one local client', () => {
    const c = nodeConfigSchema.parse(base);
    expect(c.rpc).toMatchObject({ bodyLimitBytes: 2 * 1024 * 1024, batchBodyLimitBytes: 16 * 1024 * 1024, rateLimitPerSec: 1000, nice: 10, maxJsonDepth: 64 });
    expect(c.rpc.headersTimeoutMs).toBeLessThanOrEqual(c.rpc.requestTimeoutMs);
    expect(c.p2p.maxMessageBytes).toBeUndefined(); // derived from genesis
  });
  it('error: bad values name the field', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ rpc: { port: 1, nice: 20 }, p2p: { port: 2 } }, 'rpc.nice'],
      [{ rpc: { port: 1, rateLimitPerSec: -1 }, p2p: { port: 2 } }, 'rpc.rateLimitPerSec'],
      [{ rpc: { port: 1, headersTimeoutMs: 5000, requestTimeoutMs: 1000 }, p2p: { port: 2 } }, 'rpc.headersTimeoutMs'],
      [{ rpc: { port: 1 }, p2p: { port: 2, maxInboundPeers: 0 } }, 'p2p.maxInboundPeers'],
    ];
    for (const [raw, field] of bad) expect(() => parseNodeConfig(raw)).toThrow(expect.objectContaining({ code: 'PNT_ERR_CONFIG_INVALID', details: { field } }));
  });
});

describe('docs/rpc.md', () => {
  const doc = readFileSync(new URL('../../../docs/rpc.md', import.meta.url), 'utf8');
  const row = (code: string) => doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
  it.each(Object.entries(RPC_CODES))('behavior: %s is documented with its HTTP status and retryability', (code, info) => {
    const cells = row(code)?.split('|').map((c) => c.trim());
    expect(cells, `docs/rpc.md has no row for ${code}`).toBeDefined();
    expect(cells![2]).toBe(String(info.status));
    expect(cells![3]).toBe('retryable' in info && info.retryable ? 'yes' : 'no');
  });
  it('behavior: chain codes in the doc answer the status the doc gives them', () => {
    for (const line of doc.split('\n')) {
      const m = /^\| (`PNT_ERR_(?!RPC_)[A-Z_]+`(?:, `PNT_ERR_[A-Z_]+`)*) \| (\d{3}) \|/.exec(line);
      if (!m) continue;
      for (const code of m[1].match(/PNT_ERR_[A-Z_]+/g)!) expect(statusFor(code), code).toBe(Number(m[2]));
    }
  });
});
