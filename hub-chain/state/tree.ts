/**
 * The tree algorithms on pages, independent of storage: applying a sorted batch of writes to a
 * version (one pass; every page on a touched path is rebuilt once), and walking one key's path
 * for reads and proofs.
 */
import { StateError } from './errors.ts';
import { EMPTY_HASH, leafHash, pathBit } from './hashing.ts';
import { EMPTY, EMPTY_REF, INLINE_VALUE_MAX, INNER, LEAF, type LeafRef, nibbleAt, Page, PageSlab, type SlotRef, writeU64 } from './page.ts';

/** Loads a stored page; implementations check it against `hash`. */
export interface PageSource {
  /**
   * With `slab` (an update's loads): a page that is not cached is decoded into the slab, marked
   * exclusive and not cached, since the update replaces it anyway.
   */
  load(version: number, depth: number, path: Uint8Array, hash: Uint8Array, slab?: PageSlab): Page;
}

/** One pending write of a working state. `value` undefined = delete. */
export interface Op {
  /** The key as a latin1 string: a map key, and sorts like the bytes. */
  readonly id: string;
  readonly key: Buffer;
  readonly value: Buffer | undefined;
  readonly keyHash: Buffer;
  /** First 4 bytes of keyHash, to sort without a byte compare in the common case. */
  readonly k0: number;
  valueHash: Buffer | null;
}

export function compareOps(a: Op, b: Op): number {
  return a.k0 !== b.k0 ? (a.k0 < b.k0 ? -1 : 1) : Buffer.compare(a.keyHash, b.keyHash);
}

/** Key of a value record: uint64 version | keyHash. */
export function valueKey(version: number, keyHash: Uint8Array): Buffer {
  const k = Buffer.allocUnsafe(40);
  writeU64(k, 0, version);
  k.set(keyHash, 8);
  return k;
}

export function slotHash(s: SlotRef | Page): Buffer {
  if (s instanceof Page) return s.hash();
  if (s.kind === EMPTY) return EMPTY_HASH;
  if (s.kind === INNER) return s.hash;
  return s.hash ?? leafHash(s.keyHash, s.valueHash);
}

/**
 * Applies sorted ops (unique keys) to the tree rooted at `root`, producing the pages to write at
 * `version` and what becomes stale. Runs entirely in memory; storage writes happen at commit.
 */
export class TreeUpdate {
  readonly newPages: Page[] = [];
  /** Page keys replaced or removed by this update: reachable only from versions < `version`. */
  readonly staleNodes: Buffer[] = [];
  /** Value-record keys of leaves with an external value that this update replaced or deleted. */
  readonly staleValues: Buffer[] = [];
  /** Ops that changed the tree (a set to the current value, or a delete of an absent key, do not). */
  readonly sets: Op[] = [];
  readonly deletes: Op[] = [];
  root: SlotRef | Page = EMPTY_REF;
  private readonly slab = new PageSlab();

  constructor(
    private readonly src: PageSource,
    readonly version: number,
  ) {}

  run(root: SlotRef, ops: Op[]): this {
    const out = ops.length === 0 ? null : this.applySlot(root, 0, ops, 0, ops.length);
    this.root = out ?? root;
    return this;
  }

  rootHash(): Buffer {
    return slotHash(this.root);
  }

  private applySlot(s: SlotRef, depth: number, ops: Op[], a: number, b: number): SlotRef | Page | null {
    if (s.kind === INNER) return this.applyPage(this.src.load(s.ver, depth, ops[a].keyHash, s.hash, this.slab), ops, a, b);
    const existing = s.kind === LEAF ? s : null;
    let keepExisting = existing !== null;
    let changed = false;
    const leaves: LeafRef[] = [];
    for (let j = a; j < b; j++) {
      const op = ops[j];
      if (existing !== null && op.keyHash.equals(existing.keyHash)) {
        if (op.value === undefined) {
          keepExisting = false;
          changed = true;
          this.deletes.push(op);
          if (existing.value === null) this.staleValues.push(valueKey(existing.ver, existing.keyHash));
        } else if (!op.valueHash!.equals(existing.valueHash)) {
          keepExisting = false;
          changed = true;
          if (existing.value === null) this.staleValues.push(valueKey(existing.ver, existing.keyHash));
          leaves.push(this.newLeaf(op));
        }
      } else if (op.value !== undefined) {
        changed = true;
        leaves.push(this.newLeaf(op));
      }
    }
    if (!changed) return null;
    if (keepExisting) {
      let at = 0;
      while (at < leaves.length && Buffer.compare(leaves[at].keyHash, existing!.keyHash) < 0) at++;
      leaves.splice(at, 0, existing!);
    }
    return this.build(depth, leaves, 0, leaves.length);
  }

  private newLeaf(op: Op): LeafRef {
    this.sets.push(op);
    const value = op.value!.length <= INLINE_VALUE_MAX ? op.value! : null;
    return { kind: LEAF, keyHash: op.keyHash, valueHash: op.valueHash!, ver: this.version, hash: null, value };
  }

  /** The subtree at `depth` holding exactly leaves[a..b) (sorted by key hash). */
  private build(depth: number, leaves: LeafRef[], a: number, b: number): SlotRef | Page {
    if (b === a) return EMPTY_REF;
    if (b - a === 1) return leaves[a];
    if (depth >= 256) throw new StateError('PNT_ERR_STATE_CORRUPT', 'two leaves with one key hash');
    const p = new Page(depth, this.version, leaves[a].keyHash, this.slab);
    for (let x = a; x < b; ) {
      const n = nibbleAt(leaves[x].keyHash, depth);
      let y = x + 1;
      while (y < b && nibbleAt(leaves[y].keyHash, depth) === n) y++;
      p.setSlot(n, this.build(depth + 4, leaves, x, y));
      x = y;
    }
    p.rehash();
    this.newPages.push(p);
    return p;
  }

  private applyPage(page: Page, ops: Op[], a: number, b: number): SlotRef | Page | null {
    const depth = page.depth;
    let np: Page | null = null;
    for (let x = a; x < b; ) {
      const n = nibbleAt(ops[x].keyHash, depth);
      let y = x + 1;
      while (y < b && nibbleAt(ops[y].keyHash, depth) === n) y++;
      const out = this.applySlot(page.slotRef(n), depth + 4, ops, x, y);
      if (out !== null) {
        if (np === null) {
          this.staleNodes.push(page.nodeKey());
          // Each slot is read before it is written and every byte taken from it is copied, so rewriting in place is safe.
          np = page.exclusive ? page.reuseAt(this.version) : page.cloneAt(this.version, this.slab);
        }
        np.setSlot(n, out);
      }
      x = y;
    }
    if (np === null) return null;
    // Fewer than two leaves left: the subtree moves up into the parent's slot.
    if (np.innerMask === 0 && np.leafCount() <= 1) return np.leafMask === 0 ? EMPTY_REF : np.slotRef(31 - Math.clz32(np.leafMask));
    np.rehash();
    this.newPages.push(np);
    return np;
  }
}

export interface PathResult {
  /** Sibling hashes from depth 1 down to the terminal's depth (empty when not asked for). */
  siblings: Buffer[];
  depth: number;
  /** The leaf alone in the terminal subtree, or null when that subtree is empty. */
  leaf: LeafRef | null;
}

/** Walks the path of `keyHash` from `root` to its terminal (an empty subtree or a lone leaf). */
export function walkPath(src: PageSource, root: SlotRef, keyHash: Uint8Array, withSiblings: boolean): PathResult {
  const siblings: Buffer[] = [];
  if (root.kind === EMPTY) return { siblings, depth: 0, leaf: null };
  if (root.kind === LEAF) return { siblings, depth: 0, leaf: root };
  let page = src.load(root.ver, 0, keyHash, root.hash);
  for (;;) {
    let idx = 1;
    for (let j = 0; j < 4; j++) {
      const child = 2 * idx + pathBit(keyHash, page.depth + j);
      if (withSiblings) siblings.push(Buffer.from(page.heapHash(child ^ 1)));
      idx = child;
      const kind = page.kindAt(idx);
      if (kind === EMPTY) return { siblings, depth: page.depth + j + 1, leaf: null };
      if (kind === LEAF) {
        const s = page.slotRef(page.leafSlotUnder(idx)) as LeafRef;
        return { siblings, depth: page.depth + j + 1, leaf: s };
      }
    }
    const n = idx - 16;
    page = src.load(page.slotVersion(n), page.depth + 4, keyHash, page.heapHash(idx));
  }
}
