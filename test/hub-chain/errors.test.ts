/** hub-chain/errors.ts helpers: schema failures as typed errors, and log fields for an error. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PontisError, errFields, parseSchema } from '../../hub-chain/errors.ts';

const schema = z.strictObject({ a: z.number(), b: z.strictObject({ c: z.string() }) });
const toError = (i: { path: string; field: string; message: string }, all: unknown[]) => new PontisError('PNT_ERR_TEST_BAD', `${i.field}: ${i.message}`, { details: { path: i.path, issues: all.length } });

describe('parseSchema', () => {
  it('behavior: returns the parsed value', () => {
    expect(parseSchema(schema, { a: 1, b: { c: 'x' } }, toError)).toEqual({ a: 1, b: { c: 'x' } });
  });

  it('error: the first issue becomes the caller\'s error, with its path', () => {
    expect(() => parseSchema(schema, { a: 1, b: { c: 2 } }, toError)).toThrow(expect.objectContaining({ code: 'PNT_ERR_TEST_BAD', details: { path: 'b.c', issues: 1 } }));
  });

  it('error: an unknown key is named in `field` (zod reports it at the parent); the root is "(root)"', () => {
    expect(() => parseSchema(schema, { a: 1, b: { c: 'x', typo: 1 } }, toError)).toThrow(/^b\.typo: /);
    expect(() => parseSchema(schema, 7, toError)).toThrow(/^\(root\): /);
  });
});

describe('errFields', () => {
  it('behavior: logs the error itself and the first PontisError code in its cause chain', () => {
    const inner = new PontisError('PNT_ERR_TEST_INNER', 'inner');
    const outer = new Error('outer', { cause: inner });
    expect(errFields(outer)).toEqual({ err: outer, code: 'PNT_ERR_TEST_INNER' });
    expect(errFields(inner).code).toBe('PNT_ERR_TEST_INNER');
    expect(errFields(new Error('plain'))).not.toHaveProperty('code');
  });
});
