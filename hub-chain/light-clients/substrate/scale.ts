/**
 * The SCALE codec pieces the `substrate` client reads and writes (parity-scale-codec's wire format):
 * little-endian fixed integers, compact integers, length-prefixed byte vectors, Option and enum
 * tags. Strict: a compact in a longer mode than its value needs, an Option byte other than 0/1 and
 * bytes left after a value are errors, since a second encoding of one header would hash differently.
 */
import { type Bytes, concat } from '../../crypto/bytes.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';

export const scaleMalformed = (msg: string, details: Record<string, unknown> = {}) => new SubstrateClientError(SUB_ERR.SCALE_MALFORMED, msg, { details });

/** A cursor over SCALE bytes; every read checks the length left. */
export class ScaleReader {
  pos = 0;
  constructor(readonly bytes: Bytes) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  take(n: number): Bytes {
    if (n < 0 || this.pos + n > this.bytes.length) throw scaleMalformed(`need ${n} bytes at offset ${this.pos}, ${this.remaining} left`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    return this.take(1)[0];
  }

  u16(): number {
    const b = this.take(2);
    return b[0] | (b[1] << 8);
  }

  u32(): number {
    const b = this.take(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 2 ** 24;
  }

  /** An unsigned little-endian integer of `size` bytes. */
  uint(size: number): bigint {
    const b = this.take(size);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    return v;
  }

  u64(): bigint {
    return this.uint(8);
  }

  compact(): bigint {
    const first = this.u8();
    switch (first & 3) {
      case 0:
        return BigInt(first >> 2);
      case 1: {
        const v = (first | (this.u8() << 8)) >> 2;
        if (v < 1 << 6) throw nonCanonical(v);
        return BigInt(v);
      }
      case 2: {
        this.pos -= 1;
        const v = this.u32() >>> 2;
        if (v < 1 << 14) throw nonCanonical(v);
        return BigInt(v);
      }
      default: {
        const n = (first >> 2) + 4;
        const v = this.uint(n);
        if (n === 4 ? v < 1n << 30n : v >> BigInt(8 * (n - 1)) === 0n) throw nonCanonical(v);
        return v;
      }
    }
  }

  /** A compact that must fit a JS number (lengths, block numbers). */
  compactNumber(max = Number.MAX_SAFE_INTEGER): number {
    const v = this.compact();
    if (v > BigInt(max)) throw scaleMalformed(`compact ${v} above ${max}`);
    return Number(v);
  }

  /** Vec<u8>: a compact length, then the bytes. */
  vecBytes(): Bytes {
    return this.take(this.compactNumber(this.remaining));
  }

  /** Vec<T>: a compact count, then each item. */
  vec<T>(item: (r: ScaleReader) => T): T[] {
    // Each item takes a byte at least: a count beyond the bytes left is a lie, refused before looping.
    const n = this.compactNumber(this.remaining);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }

  option<T>(item: (r: ScaleReader) => T): T | null {
    const tag = this.u8();
    if (tag === 0) return null;
    if (tag === 1) return item(this);
    throw scaleMalformed(`Option tag ${tag}`);
  }

  /** An enum's variant index, which must be below `variants`. */
  enumTag(variants: number): number {
    const tag = this.u8();
    if (tag >= variants) throw scaleMalformed(`enum tag ${tag} of ${variants} variants`);
    return tag;
  }

  /** Throws when bytes are left: every decoder ends with this. */
  end(what = 'value'): void {
    if (this.remaining !== 0) throw scaleMalformed(`${this.remaining} trailing bytes after the ${what}`);
  }
}

function nonCanonical(v: number | bigint): SubstrateClientError {
  return new SubstrateClientError(SUB_ERR.SCALE_NONCANONICAL, `compact ${v} is not in its shortest mode`);
}

/** Decodes all of `bytes` with `read`, refusing trailing bytes. */
export function decodeAll<T>(bytes: Bytes, read: (r: ScaleReader) => T, what?: string): T {
  const r = new ScaleReader(bytes);
  const v = read(r);
  r.end(what);
  return v;
}

export function encodeCompact(n: number | bigint): Bytes {
  const v = BigInt(n);
  if (v < 0n) throw scaleMalformed(`compact of a negative ${v}`);
  if (v < 1n << 6n) return Uint8Array.of(Number(v) << 2);
  if (v < 1n << 14n) return encodeUint((v << 2n) | 1n, 2);
  if (v < 1n << 30n) return encodeUint((v << 2n) | 2n, 4);
  let len = 0;
  for (let t = v; t > 0n; t >>= 8n) len++;
  len = Math.max(len, 4);
  if (len > 67) throw scaleMalformed(`compact ${v} exceeds 67 bytes`);
  return concat(Uint8Array.of(((len - 4) << 2) | 3), encodeUint(v, len));
}

/** Little-endian unsigned integer of `size` bytes. */
export function encodeUint(n: number | bigint, size: number): Bytes {
  let v = BigInt(n);
  if (v < 0n || v >= 1n << BigInt(8 * size)) throw scaleMalformed(`integer ${v} does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export const encodeU32 = (n: number | bigint): Bytes => encodeUint(n, 4);
export const encodeU64 = (n: number | bigint): Bytes => encodeUint(n, 8);

export function encodeVecBytes(b: Bytes): Bytes {
  return concat(encodeCompact(b.length), b);
}

export function encodeVec<T>(items: readonly T[], item: (t: T) => Bytes): Bytes {
  return concat(encodeCompact(items.length), ...items.map(item));
}

export function encodeOption<T>(v: T | null | undefined, item: (t: T) => Bytes): Bytes {
  return v === null || v === undefined ? Uint8Array.of(0) : concat(Uint8Array.of(1), item(v));
}
