/**
 * Storage unit of the tree: a page is the binary subtree between depth d (a multiple of 4) and
 * d + 4, with 16 slots at depth d + 4. Each slot is empty, one leaf (keyHash, valueHash, and the
 * version its value was written at), or a child page (its hash and the version it is stored at).
 * A page exists only where its subtree holds >= 2 leaves; an empty or single-leaf subtree lives in
 * the parent's slot. Hashing inside the page follows the binary tree exactly (a lone leaf in any
 * sub-subtree is lifted), so the page layout never shows in roots or proofs; it only cuts the
 * number of stored records about 4x against one record per binary node.
 *
 * In memory the 31 binary nodes of the page are kept as a heap (index 1 = page root, 16..31 =
 * slots) in one flat buffer, to avoid an object per node.
 */
import { StateError } from './errors.ts';
import { EMPTY_HASH, innerHashAt, leafHash } from './hashing.ts';

export const EMPTY = 0;
export const LEAF = 1;
export const INNER = 2;

const KH_OFF = 0; // 16 x 32: key hash of a leaf slot
const VH_OFF = 512; // 16 x 32: value hash of a leaf slot
const HH_OFF = 1024; // 32 x 32: heap node hashes (index 0 unused)
const PAGE_BYTES = 2048;

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
  /** Version at which this leaf's value was written (locates its value record). */
  readonly ver: number;
  /** Leaf hash when already known. */
  readonly hash: Buffer | null;
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

/** Storage key of a page: uint64 version | uint8 depth/4 | the path's first depth/4 nibbles, packed. */
export function nodeKey(version: number, depth: number, path: Uint8Array): Buffer {
  const nibbles = depth >> 2;
  const n = (nibbles + 1) >> 1;
  const k = Buffer.alloc(9 + n);
  writeU64(k, 0, version);
  k[8] = nibbles;
  for (let i = 0; i < n; i++) k[9 + i] = path[i];
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

export class Page {
  readonly kind = INNER;
  readonly depth: number;
  /** Version this page is (or will be) stored at. */
  readonly version: number;
  /** Any key hash below this page; only its first `depth` bits matter. */
  readonly path: Buffer;
  leafMask = 0;
  innerMask = 0;
  readonly buf: Buffer;
  readonly ver: Float64Array;
  /** Kind of each heap node (EMPTY, LEAF: exactly one leaf below and nothing else, INNER). */
  readonly hk: Uint8Array;
  private dirty = 0;

  constructor(depth: number, version: number, path: Uint8Array, from?: Page) {
    this.depth = depth;
    this.version = version;
    this.path = Buffer.from(path.subarray(0, 32));
    if (from) {
      this.buf = Buffer.from(from.buf);
      this.ver = Float64Array.from(from.ver);
      this.hk = Uint8Array.from(from.hk);
      this.leafMask = from.leafMask;
      this.innerMask = from.innerMask;
    } else {
      this.buf = Buffer.alloc(PAGE_BYTES);
      this.ver = new Float64Array(16);
      this.hk = new Uint8Array(32);
    }
  }

  /** A mutable copy to be stored at `version`. */
  cloneAt(version: number): Page {
    return new Page(this.depth, version, this.path, this);
  }

  hash(): Buffer {
    return this.buf.subarray(HH_OFF + 32, HH_OFF + 64);
  }

  nodeKey(): Buffer {
    return nodeKey(this.version, this.depth, this.path);
  }

  leafCount(): number {
    return popcount16(this.leafMask);
  }

  /** Hash of heap node i (zero bytes when empty). */
  heapHash(i: number): Buffer {
    return this.buf.subarray(HH_OFF + 32 * i, HH_OFF + 32 * i + 32);
  }

  /** The one leaf slot under heap node i (valid when hk[i] === LEAF). */
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
        ver: this.ver[n],
        hash: this.heapHash(16 + n),
      };
    }
    if (this.innerMask & bit) return { kind: INNER, hash: this.heapHash(16 + n), ver: this.ver[n] };
    return EMPTY_REF;
  }

  /** Puts a leaf, an empty slot or a child page (its hash and version) into slot n. */
  setSlot(n: number, s: SlotRef | Page): void {
    const bit = 1 << n;
    const h = HH_OFF + 32 * (16 + n);
    this.leafMask &= ~bit;
    this.innerMask &= ~bit;
    this.dirty |= bit;
    if (s.kind === EMPTY) {
      this.hk[16 + n] = EMPTY;
      this.buf.fill(0, h, h + 32);
      this.ver[n] = 0;
    } else if (s.kind === LEAF) {
      this.leafMask |= bit;
      this.hk[16 + n] = LEAF;
      this.buf.set(s.keyHash, KH_OFF + 32 * n);
      this.buf.set(s.valueHash, VH_OFF + 32 * n);
      this.buf.set(s.hash ?? leafHash(s.keyHash, s.valueHash), h);
      this.ver[n] = s.ver;
    } else {
      this.innerMask |= bit;
      this.hk[16 + n] = INNER;
      this.buf.set(s instanceof Page ? s.hash() : s.hash, h);
      this.ver[n] = s instanceof Page ? s.version : s.ver;
    }
  }

  /** Recomputes the heap nodes above changed slots. */
  rehash(): void {
    const dirty = this.dirty;
    if (dirty === 0) return;
    const hk = this.hk;
    const buf = this.buf;
    for (let i = 15; i >= 1; i--) {
      if ((dirty & RANGE_MASK[i]) === 0) continue;
      const l = 2 * i;
      const kl = hk[l];
      const kr = hk[l + 1];
      const at = HH_OFF + 32 * i;
      if (kl === EMPTY && kr === EMPTY) {
        hk[i] = EMPTY;
        buf.fill(0, at, at + 32);
      } else if (kl === EMPTY && kr === LEAF) {
        hk[i] = LEAF; // a lone leaf is lifted: the collapse rule of the tree
        buf.copy(buf, at, HH_OFF + 32 * (l + 1), HH_OFF + 32 * (l + 2));
      } else if (kl === LEAF && kr === EMPTY) {
        hk[i] = LEAF;
        buf.copy(buf, at, HH_OFF + 32 * l, HH_OFF + 32 * (l + 1));
      } else {
        hk[i] = INNER;
        innerHashAt(buf, HH_OFF + 32 * l, HH_OFF + 32 * (l + 1)).copy(buf, at);
      }
    }
    this.dirty = 0;
  }

  /** Record: uint16 leafMask | uint16 innerMask | per used slot in order: leaf = kh32 vh32 ver8, page = hash32 ver8. */
  encode(): Buffer {
    const leaves = popcount16(this.leafMask);
    const inners = popcount16(this.innerMask);
    const out = Buffer.allocUnsafe(4 + 72 * leaves + 40 * inners);
    out.writeUInt16BE(this.leafMask, 0);
    out.writeUInt16BE(this.innerMask, 2);
    let off = 4;
    for (let n = 0; n < 16; n++) {
      const bit = 1 << n;
      if (this.leafMask & bit) {
        this.buf.copy(out, off, KH_OFF + 32 * n, KH_OFF + 32 * n + 32);
        this.buf.copy(out, off + 32, VH_OFF + 32 * n, VH_OFF + 32 * n + 32);
        writeU64(out, off + 64, this.ver[n]);
        off += 72;
      } else if (this.innerMask & bit) {
        this.buf.copy(out, off, HH_OFF + 32 * (16 + n), HH_OFF + 32 * (17 + n));
        writeU64(out, off + 32, this.ver[n]);
        off += 40;
      }
    }
    return out;
  }

  /** Decodes a stored page and checks it hashes to what its parent says. */
  static decode(rec: Uint8Array, depth: number, version: number, path: Uint8Array, expectedHash: Uint8Array): Page {
    if (rec.length < 4) throw corrupt('page record too short', { depth, version });
    const leafMask = (rec[0] << 8) | rec[1];
    const innerMask = (rec[2] << 8) | rec[3];
    if ((leafMask & innerMask) !== 0) throw corrupt('page slot is both leaf and page', { depth, version });
    if (rec.length !== 4 + 72 * popcount16(leafMask) + 40 * popcount16(innerMask)) throw corrupt('page record length', { depth, version });
    const p = new Page(depth, version, path);
    const buf = p.buf;
    let off = 4;
    for (let n = 0; n < 16; n++) {
      const bit = 1 << n;
      const h = HH_OFF + 32 * (16 + n);
      if (leafMask & bit) {
        buf.set(rec.subarray(off, off + 32), KH_OFF + 32 * n);
        buf.set(rec.subarray(off + 32, off + 64), VH_OFF + 32 * n);
        leafHash(rec.subarray(off, off + 32), rec.subarray(off + 32, off + 64)).copy(buf, h);
        p.ver[n] = readU64(rec, off + 64);
        p.hk[16 + n] = LEAF;
        off += 72;
      } else if (innerMask & bit) {
        buf.set(rec.subarray(off, off + 32), h);
        p.ver[n] = readU64(rec, off + 32);
        p.hk[16 + n] = INNER;
        off += 40;
      }
    }
    p.leafMask = leafMask;
    p.innerMask = innerMask;
    p.dirty = 0xffff;
    p.rehash();
    if (p.hk[1] !== INNER || !p.hash().equals(expectedHash)) throw corrupt('page does not match its hash', { depth, version });
    return p;
  }
}

export { EMPTY_HASH };
