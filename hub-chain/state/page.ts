/**
 * Storage unit of the tree: a page is the binary subtree between depth d (a multiple of 4) and
 * d + 4, with 16 slots at depth d + 4. Each slot is empty, one leaf (keyHash and its value when
 * at most INLINE_VALUE_MAX bytes, else valueHash and the version of the value's own record), or
 * a child page (its hash and the version it is stored at).
 * A page exists only where its subtree holds >= 2 leaves; an empty or single-leaf subtree lives in
 * the parent's slot. Hashing inside the page follows the binary tree exactly (a lone leaf in any
 * sub-subtree is lifted), so the page layout never shows in roots or proofs; it only cuts the
 * number of stored records about 4x against one record per binary node.
 *
 * In memory the 31 binary nodes of the page are kept as a heap (index 1 = page root, 16..31 =
 * slots) in one flat buffer, to avoid an object per node.
 */
import { StateError } from './errors.ts';
import { copy32, EMPTY_HASH, innerHashAt, leafHashAt, leafHashInto, sha256Into } from './hashing.ts';

export const EMPTY = 0;
export const LEAF = 1;
export const INNER = 2;

/**
 * Values up to this size live in their leaf's page record (the value hash is recomputed on load);
 * larger ones in a record of their own. Inline values save a put and a random prune delete per write.
 */
export const INLINE_VALUE_MAX = 512;
/** Value-length marker of a leaf whose value is stored outside the page. */
const EXTERNAL = 0xffff;

// One buffer per page instead of several typed arrays: fewer allocations, one copy to clone.
const KH_OFF = 0; // 16 x 32: key hash of a leaf slot
const VH_OFF = 512; // 16 x 32: value hash of a leaf slot
const HH_OFF = 1024; // 32 x 32: heap node hashes (index 0 unused)
const HK_OFF = 2048; // 32 x 1: heap node kinds
const VER_OFF = 2080; // 16 x float64: slot versions
const PATH_OFF = 2208; // 32: a key hash below this page (its first `depth` bits are the page's position)
const PAGE_BYTES = 2240;

/** Slots covered by heap node i, as a 16-bit mask. */
const RANGE_MASK = new Uint16Array(32);
for (let i = 1; i < 32; i++) {
  const level = 31 - Math.clz32(i);
  const width = 16 >> level;
  RANGE_MASK[i] = (((1 << width) - 1) << ((i - (1 << level)) * width)) & 0xffff;
}
// Slot n is drawn at bit n of the masks, and slot 0 is the leftmost: heap order matches slot order.

export interface LeafRef {
  readonly kind: typeof LEAF;
  readonly keyHash: Buffer;
  readonly valueHash: Buffer;
  /** Version at which this leaf's value was written (locates an external value record). */
  readonly ver: number;
  /** Leaf hash when already known. */
  readonly hash: Buffer | null;
  /** The value when stored inline (<= INLINE_VALUE_MAX bytes); null when it has its own record. */
  readonly value: Buffer | null;
}
export interface PageRef {
  readonly kind: typeof INNER;
  readonly hash: Buffer;
  /** Version the child page is stored at. */
  readonly ver: number;
}
export const EMPTY_REF = { kind: EMPTY } as const;
export type SlotRef = typeof EMPTY_REF | LeafRef | PageRef;

export function writeU64(buf: Uint8Array, off: number, n: number): void {
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  buf[off] = hi >>> 24;
  buf[off + 1] = (hi >>> 16) & 0xff;
  buf[off + 2] = (hi >>> 8) & 0xff;
  buf[off + 3] = hi & 0xff;
  buf[off + 4] = lo >>> 24;
  buf[off + 5] = (lo >>> 16) & 0xff;
  buf[off + 6] = (lo >>> 8) & 0xff;
  buf[off + 7] = lo & 0xff;
}

export function readU64(buf: Uint8Array, off: number): number {
  const hi = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
  const lo = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
  return hi * 0x100000000 + lo;
}

export function u64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeU64(b, 0, n);
  return b;
}

/** Storage key of a page: uint64 version | uint8 depth/4 | the first depth/4 nibbles of the path at path[pathOff], packed. */
export function nodeKey(version: number, depth: number, path: Uint8Array, pathOff = 0): Buffer {
  const nibbles = depth >> 2;
  const n = (nibbles + 1) >> 1;
  const k = Buffer.alloc(9 + n);
  writeU64(k, 0, version);
  k[8] = nibbles;
  for (let i = 0; i < n; i++) k[9 + i] = path[pathOff + i];
  if (nibbles & 1) k[8 + n] &= 0xf0;
  return k;
}

/** The 4 path bits that pick a slot in a page at `depth`. */
export function nibbleAt(path: Uint8Array, depth: number): number {
  const b = path[depth >> 3];
  return (depth & 4) === 0 ? b >> 4 : b & 0x0f;
}

function popcount16(x: number): number {
  x = x - ((x >> 1) & 0x5555);
  x = (x & 0x3333) + ((x >> 2) & 0x3333);
  x = (x + (x >> 4)) & 0x0f0f;
  return (x + (x >> 8)) & 0x1f;
}

function corrupt(message: string, details?: Record<string, unknown>): StateError {
  return new StateError('PNT_ERR_STATE_CORRUPT', message, { details });
}

/**
 * Hands out page buffers from 64-page blocks: one ArrayBuffer per 64 pages instead of one per 3
 * (Node's pool), which cuts GC work during a block's update by about a quarter. A block lives as
 * long as any page in it, so only short-lived pages (those of one update) come from here; cached
 * pages are compacted into their own buffer first.
 */
export class PageSlab {
  private block = Buffer.allocUnsafe(0);
  private off = 0;

  /** A zero-filled page buffer. */
  alloc(): Buffer {
    if (this.off + PAGE_BYTES > this.block.length) {
      this.block = Buffer.alloc(PAGE_BYTES * 64);
      this.off = 0;
    }
    const b = this.block.subarray(this.off, this.off + PAGE_BYTES);
    this.off += PAGE_BYTES;
    return b;
  }
}

export class Page {
  readonly kind = INNER;
  readonly depth: number;
  /** Version this page is (or will be) stored at. */
  version: number;
  /** Decoded for one update and referenced by nothing else: it may be rewritten in place (see reuseAt). */
  exclusive = false;
  leafMask = 0;
  innerMask = 0;
  /** Slots changed since the last rehash. */
  private dirty = 0;
  private buf: Buffer;
  /** Inline values of leaf slots (immutable buffers, shared, never copied); null until a page has one. */
  private vals: (Buffer | null)[] | null = null;

  constructor(depth: number, version: number, path: Uint8Array | null, slab: PageSlab | null, from?: Page) {
    this.depth = depth;
    this.version = version;
    // Both sources are zero-filled (one memset per slab block is cheaper than a fill per page).
    this.buf = slab === null ? Buffer.alloc(PAGE_BYTES) : slab.alloc();
    if (from) {
      from.buf.copy(this.buf);
      this.leafMask = from.leafMask;
      this.innerMask = from.innerMask;
      this.vals = from.vals === null ? null : from.vals.slice();
    } else if (path !== null) {
      copy32(path, 0, this.buf, PATH_OFF);
    }
  }

  /** A mutable copy to be stored at `version`. */
  cloneAt(version: number, slab: PageSlab): Page {
    return new Page(this.depth, version, null, slab, this);
  }

  /** This page, to be rewritten in place and stored at `version` (only when exclusive). */
  reuseAt(version: number): Page {
    if (!this.exclusive) throw corrupt('page is shared and cannot be rewritten in place', { depth: this.depth });
    this.exclusive = false;
    this.version = version;
    return this;
  }

  /** Moves this page into a buffer of its own, so that caching it does not keep a whole slab block alive. */
  compact(): this {
    if (this.buf.byteLength !== this.buf.buffer.byteLength) {
      const own = Buffer.from(new ArrayBuffer(PAGE_BYTES));
      this.buf.copy(own);
      this.buf = own;
    }
    return this;
  }

  hash(): Buffer {
    return this.buf.subarray(HH_OFF + 32, HH_OFF + 64);
  }

  /** hash().equals(h), without making a view. */
  hashEquals(h: Uint8Array): boolean {
    const buf = this.buf;
    for (let i = 0; i < 32; i++) if (buf[HH_OFF + 32 + i] !== h[i]) return false;
    return true;
  }

  nodeKey(): Buffer {
    return nodeKey(this.version, this.depth, this.buf, PATH_OFF);
  }

  leafCount(): number {
    return popcount16(this.leafMask);
  }

  /** Kind of heap node i (EMPTY; LEAF: exactly one leaf below and nothing else; INNER). */
  kindAt(i: number): number {
    return this.buf[HK_OFF + i];
  }

  /** Hash of heap node i (zero bytes when empty). */
  heapHash(i: number): Buffer {
    return this.buf.subarray(HH_OFF + 32 * i, HH_OFF + 32 * i + 32);
  }

  /** Version stored with slot n: a leaf's value version or a child page's storage version. */
  slotVersion(n: number): number {
    return this.buf.readDoubleLE(VER_OFF + 8 * n);
  }

  /** The one leaf slot under heap node i (valid when kindAt(i) === LEAF). */
  leafSlotUnder(i: number): number {
    const m = this.leafMask & RANGE_MASK[i];
    return 31 - Math.clz32(m & -m);
  }

  slotRef(n: number): SlotRef {
    const bit = 1 << n;
    if (this.leafMask & bit) {
      return {
        kind: LEAF,
        keyHash: this.buf.subarray(KH_OFF + 32 * n, KH_OFF + 32 * n + 32),
        valueHash: this.buf.subarray(VH_OFF + 32 * n, VH_OFF + 32 * n + 32),
        ver: this.slotVersion(n),
        hash: this.heapHash(16 + n),
        value: this.vals === null ? null : this.vals[n],
      };
    }
    if (this.innerMask & bit) return { kind: INNER, hash: this.heapHash(16 + n), ver: this.slotVersion(n) };
    return EMPTY_REF;
  }

  /** Puts a leaf, an empty slot or a child page (its hash and version) into slot n. */
  setSlot(n: number, s: SlotRef | Page): void {
    const bit = 1 << n;
    const buf = this.buf;
    const h = HH_OFF + 32 * (16 + n);
    this.leafMask &= ~bit;
    this.innerMask &= ~bit;
    this.dirty |= bit;
    if (this.vals !== null) this.vals[n] = null;
    if (s.kind === EMPTY) {
      buf[HK_OFF + 16 + n] = EMPTY;
      buf.fill(0, h, h + 32);
      buf.writeDoubleLE(0, VER_OFF + 8 * n);
    } else if (s.kind === LEAF) {
      this.leafMask |= bit;
      buf[HK_OFF + 16 + n] = LEAF;
      buf.set(s.keyHash, KH_OFF + 32 * n);
      buf.set(s.valueHash, VH_OFF + 32 * n);
      if (s.hash !== null) buf.set(s.hash, h);
      else leafHashInto(s.keyHash, s.valueHash, buf, h);
      buf.writeDoubleLE(s.ver, VER_OFF + 8 * n);
      if (s.value !== null) (this.vals ??= new Array<Buffer | null>(16).fill(null))[n] = s.value;
    } else {
      this.innerMask |= bit;
      buf[HK_OFF + 16 + n] = INNER;
      buf.set(s instanceof Page ? s.hash() : s.hash, h);
      buf.writeDoubleLE(s instanceof Page ? s.version : s.ver, VER_OFF + 8 * n);
    }
  }

  /** Recomputes the heap nodes above changed slots. */
  rehash(): void {
    const dirty = this.dirty;
    if (dirty === 0) return;
    const buf = this.buf;
    for (let i = 15; i >= 1; i--) {
      if ((dirty & RANGE_MASK[i]) === 0) continue;
      const l = 2 * i;
      const kl = buf[HK_OFF + l];
      const kr = buf[HK_OFF + l + 1];
      const at = HH_OFF + 32 * i;
      if (kl === EMPTY && kr === EMPTY) {
        buf[HK_OFF + i] = EMPTY;
        buf.fill(0, at, at + 32);
      } else if (kl === EMPTY && kr === LEAF) {
        buf[HK_OFF + i] = LEAF; // a lone leaf is lifted: the collapse rule of the tree
        copy32(buf, HH_OFF + 32 * (l + 1), buf, at);
      } else if (kl === LEAF && kr === EMPTY) {
        buf[HK_OFF + i] = LEAF;
        copy32(buf, HH_OFF + 32 * l, buf, at);
      } else {
        buf[HK_OFF + i] = INNER;
        innerHashAt(buf, HH_OFF + 32 * l, HH_OFF + 32 * (l + 1), buf, at);
      }
    }
    this.dirty = 0;
  }

  /**
   * Record: uint16 leafMask | uint16 innerMask | per used slot, in slot order:
   *   leaf, inline value:   keyHash | uint16 valueLen (<= INLINE_VALUE_MAX) | value
   *   leaf, value apart:    keyHash | uint16 0xffff | valueHash | uint64 version of the value record
   *   child page:           hash | uint64 version the child is stored at
   * Hashes inside the page are not stored: small records are what keeps LMDB's random deletes
   * (pruning) cheap, and a decode rehashes ~6 nodes of a typical bottom page.
   */
  encode(): Buffer {
    const buf = this.buf;
    let size = 4 + 40 * popcount16(this.innerMask);
    for (let n = 0; n < 16; n++) {
      if ((this.leafMask & (1 << n)) === 0) continue;
      const v = this.vals === null ? null : this.vals[n];
      size += v === null ? 74 : 34 + v.length;
    }
    const out = Buffer.allocUnsafe(size);
    out[0] = this.leafMask >>> 8;
    out[1] = this.leafMask & 0xff;
    out[2] = this.innerMask >>> 8;
    out[3] = this.innerMask & 0xff;
    let off = 4;
    for (let n = 0; n < 16; n++) {
      const bit = 1 << n;
      if (this.leafMask & bit) {
        copy32(buf, KH_OFF + 32 * n, out, off);
        const v = this.vals === null ? null : this.vals[n];
        if (v !== null) {
          out[off + 32] = v.length >>> 8;
          out[off + 33] = v.length & 0xff;
          out.set(v, off + 34);
          off += 34 + v.length;
        } else {
          out[off + 32] = 0xff;
          out[off + 33] = 0xff;
          copy32(buf, VH_OFF + 32 * n, out, off + 34);
          writeU64(out, off + 66, this.slotVersion(n));
          off += 74;
        }
      } else if (this.innerMask & bit) {
        copy32(buf, HH_OFF + 32 * (16 + n), out, off);
        writeU64(out, off + 32, this.slotVersion(n));
        off += 40;
      }
    }
    return out;
  }

  /** Decodes a stored page and checks that it hashes to what its parent says. */
  static decode(rec: Uint8Array, depth: number, version: number, path: Uint8Array, expectedHash: Uint8Array, slab: PageSlab | null = null): Page {
    if (rec.length < 4) throw corrupt('page record too short', { depth, version });
    const leafMask = (rec[0] << 8) | rec[1];
    const innerMask = (rec[2] << 8) | rec[3];
    if ((leafMask & innerMask) !== 0) throw corrupt('page slot is both leaf and page', { depth, version });
    const p = new Page(depth, version, path, slab);
    p.exclusive = slab !== null;
    const buf = p.buf;
    let own: Buffer | null = null; // the record's bytes, copied once if inline values must outlive `rec`
    let off = 4;
    for (let n = 0; n < 16; n++) {
      const bit = 1 << n;
      const h = HH_OFF + 32 * (16 + n);
      if (leafMask & bit) {
        if (rec.length < off + 34) throw corrupt('page record length', { depth, version });
        copy32(rec, off, buf, KH_OFF + 32 * n);
        const vlen = (rec[off + 32] << 8) | rec[off + 33];
        off += 34;
        if (vlen === EXTERNAL) {
          if (rec.length < off + 40) throw corrupt('page record length', { depth, version });
          copy32(rec, off, buf, VH_OFF + 32 * n);
          buf.writeDoubleLE(readU64(rec, off + 32), VER_OFF + 8 * n);
          off += 40;
        } else {
          if (vlen > INLINE_VALUE_MAX || rec.length < off + vlen) throw corrupt('page record length', { depth, version });
          own ??= Buffer.from(rec.subarray(0, rec.length));
          const value = own.subarray(off, off + vlen);
          (p.vals ??= new Array<Buffer | null>(16).fill(null))[n] = value;
          sha256Into(value, buf, VH_OFF + 32 * n);
          off += vlen;
        }
        leafHashAt(buf, KH_OFF + 32 * n, VH_OFF + 32 * n, buf, h);
        buf[HK_OFF + 16 + n] = LEAF;
      } else if (innerMask & bit) {
        if (rec.length < off + 40) throw corrupt('page record length', { depth, version });
        copy32(rec, off, buf, h);
        buf.writeDoubleLE(readU64(rec, off + 32), VER_OFF + 8 * n);
        buf[HK_OFF + 16 + n] = INNER;
        off += 40;
      }
    }
    if (off !== rec.length) throw corrupt('page record length', { depth, version });
    p.leafMask = leafMask;
    p.innerMask = innerMask;
    p.dirty = 0xffff;
    p.rehash();
    if (buf[HK_OFF + 1] !== INNER || !p.hashEquals(expectedHash)) throw corrupt('page does not match its hash', { depth, version });
    return p;
  }
}

export { EMPTY_HASH };
