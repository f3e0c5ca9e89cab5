/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, integers only (no floats,
 * NaN or -0), bigints as decimal strings. Two encoders produce the same bytes for the same value.
 */
import { EncodingError } from '../errors.ts';

export function canonicalJson(value: unknown): string {
  return enc(value);
}

function enc(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) throw new EncodingError('PNT_ERR_CANONICAL_NUMBER', 'canonical JSON allows only safe integers', { details: { value: String(v) } });
      return String(v);
    case 'bigint':
      return JSON.stringify(v.toString());
    case 'object': {
      if (Array.isArray(v)) return '[' + v.map(enc).join(',') + ']';
      const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + enc((v as Record<string, unknown>)[k])).join(',') + '}';
    }
    default:
      throw new EncodingError('PNT_ERR_CANONICAL_TYPE', `canonical JSON cannot encode ${typeof v}`);
  }
}
