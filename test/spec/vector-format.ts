/**
 * The format of the spec test vectors (test/spec/vectors/*.json), shared by the generator and
 * the tests. Imports nothing of the project. Each file is
 *   { "spec": "docs/spec/<file>.md", "description": "...", "generatedBy": "...", ...sets }
 * where each set is an array of cases. JSON cannot hold every value canonical JSON is asked to
 * encode, so inputs may use tagged values: {"$": "undefined"}, {"$": "bigint", "v": "123"},
 * {"$": "number", "v": "-0" | "NaN" | "Infinity" | "-Infinity" | "1.5" | ...}. Lone surrogates
 * need no tag: JSON writes them as \udXXX escapes and reads them back.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), 'vectors');

export function readVectors<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(VECTOR_DIR, name), 'utf8')) as T;
}

type Tagged = { $: 'undefined' } | { $: 'bigint'; v: string } | { $: 'number'; v: string };

/** Turns tagged values back into the JavaScript values they stand for. */
export function untag(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untag);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$ === 'string' && Object.keys(o).every((k) => k === '$' || k === 'v')) {
      const t = o as Tagged;
      if (t.$ === 'undefined') return undefined;
      if (t.$ === 'bigint') return BigInt(t.v);
      if (t.$ === 'number') return t.v === '-0' ? -0 : Number(t.v);
    }
    // JSON.parse-made objects keep a "__proto__" key as an own property; rebuild the same way
    const out = JSON.parse('{}') as Record<string, unknown>;
    for (const k of Object.keys(o)) Object.defineProperty(out, k, { value: untag(o[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** The inverse of untag, for the generator. */
export function tag(v: unknown): unknown {
  if (v === undefined) return { $: 'undefined' };
  if (typeof v === 'bigint') return { $: 'bigint', v: v.toString() };
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0) || !Number.isSafeInteger(v))) return { $: 'number', v: Object.is(v, -0) ? '-0' : String(v) };
  if (Array.isArray(v)) return v.map(tag);
  if (v !== null && typeof v === 'object') {
    const out = JSON.parse('{}') as Record<string, unknown>;
    for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: tag((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

export const hexOf = (b: Uint8Array): string => '0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const bytesOf = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.slice(2), 'hex'));
