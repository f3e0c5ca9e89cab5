/**
 * The hub's authenticated state on LMDB: a sparse Merkle tree (see tree.ts, page.ts and
 * docs/adr/0001-state-tree.md) with every retained version readable and provable.
 *
 * Sub-databases of the caller's env (binary keys and values):
 *   state.nodes   uint64 version | uint8 depth/4 | path nibbles -> page record (values <= 512 bytes inline)
 *   state.values  uint64 version | keyHash                      -> uint16 keyLen | key | value (larger values)
 *   state.flat    key                                           -> value (latest version only)
 *   state.roots   uint64 version                                -> root record
 *   state.stale   uint64 version v -> records made unreachable by version v (tag | len | key)*
 *   state.meta    'latest' | 'oldest'                           -> uint64
 *   state.index   key under idx/                                -> value (latest only; no tree)
 * Records are keyed by (version, position), never by hash, so pruning one version can never delete
 * a node a later version shares by content: what version v replaces is listed under v, and is
 * deleted once every version < v is pruned.
 *
 * Keys under `idx/` are the index: records kept for queries only (a packet's status, for one).
 * They are written and read like any key, in the same transaction as the version they come
 * with, but they are not in the tree: not in the root, not provable, not in snapshots, latest
 * value only. Execution may write them but must never decide anything by them.
 */
import type { Database, RootDatabase } from 'lmdb';
import { type Bytes, type Hex, hasPrefix, latin1Id, toHex } from '../crypto/bytes.ts';
import { MAX_KEY_BYTES, MAX_VALUE_BYTES, StateError } from './errors.ts';
import { sha256Buf } from './hashing.ts';
import { EMPTY, EMPTY_REF, INLINE_VALUE_MAX, INNER, LEAF, type LeafRef, nodeKey, Page, type PageSlab, readU64, type SlotRef, u64, writeU64 } from './page.ts';
import type { StateProof } from './proof.ts';
import { compareOps, type Op, type PageSource, slotHash, TreeUpdate, valueKey, walkPath } from './tree.ts';

export interface StateStoreOptions {
  /** How many versions stay queryable (the latest included); 0 = keep all. */
  retainVersions?: number;
  /** Decoded pages below the top 4 page levels kept in memory (~2.3 KB each); the top levels (<= 4369 pages per version) are always cached. Default 8192. */
  cachePages?: number;
}

export interface WorkingState {
  readonly baseVersion: number;
  get(key: Bytes): Bytes | undefined;
  /** A value of length 0 is allowed and distinct from delete. */
  set(key: Bytes, value: Bytes): void;
  delete(key: Bytes): void;
  /** Root after the writes so far; memoised until the next write. */
  root(): Hex;
  /** Latest committed entries plus pending writes whose key starts with `prefix`, in key order. */
  entries(prefix: Bytes): Iterable<[Bytes, Bytes]>;
}

type Db = Database<Buffer, Buffer>;

const META_LATEST = Buffer.from('latest');
const META_OLDEST = Buffer.from('oldest');
const APPEND = { append: true };
const STALE_NODE = 0;
const STALE_VALUE = 1;
/** Pages this shallow (the top 4 page levels, <= 4369 pages per version) are on most paths of every block: cached apart, and filled at commit. */
const UPPER_DEPTH = 12;
const UPPER_CACHE_PAGES = 10_000;

function stateError(code: string, message: string, details?: Record<string, unknown>): StateError {
  return new StateError(code, message, { details });
}

function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw stateError('PNT_ERR_STATE_KEY_INVALID', 'key must be a Uint8Array');
  if (key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw stateError('PNT_ERR_STATE_KEY_INVALID', `key must be 1..${MAX_KEY_BYTES} bytes`, { length: key.length });
  }
}

function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw stateError('PNT_ERR_STATE_VALUE_INVALID', 'value must be a Uint8Array');
  if (value.length > MAX_VALUE_BYTES) {
    throw stateError('PNT_ERR_STATE_VALUE_INVALID', `value must be at most ${MAX_VALUE_BYTES} bytes`, { length: value.length });
  }
}

function copyOut(b: Uint8Array): Bytes {
  return new Uint8Array(b);
}

/** The same bytes as a plain Uint8Array (callers get one type from every read). */
function plain(b: Buffer): Bytes {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Root record: bytes32 rootHash | uint8 kind | leaf: keyHash valueHash uint64 ver uint8 inline [value] | page: uint64 ver. */
function encodeRoot(root: SlotRef | Page): Buffer {
  const hash = slotHash(root);
  if (root instanceof Page) {
    const b = Buffer.alloc(41);
    hash.copy(b, 0);
    b[32] = INNER;
    writeU64(b, 33, root.version);
    return b;
  }
  if (root.kind === LEAF) {
    // One-key tree: a small value rides in the root record, as it would in a page.
    const b = Buffer.alloc(106 + (root.value === null ? 0 : root.value.length));
    hash.copy(b, 0);
    b[32] = LEAF;
    b.set(root.keyHash, 33);
    b.set(root.valueHash, 65);
    writeU64(b, 97, root.ver);
    if (root.value !== null) {
      b[105] = 1;
      b.set(root.value, 106);
    }
    return b;
  }
  if (root.kind === INNER) {
    const b = Buffer.alloc(41);
    hash.copy(b, 0);
    b[32] = INNER;
    writeU64(b, 33, root.ver);
    return b;
  }
  const b = Buffer.alloc(33);
  b[32] = EMPTY;
  return b;
}

function decodeRoot(rec: Uint8Array, version: number): SlotRef {
  // getBinaryFast hands out a shared buffer whose only trustworthy bounds are [0, length).
  const b = Buffer.from(rec.subarray(0, rec.length));
  const kind = b[32];
  if (kind === EMPTY && b.length === 33) return EMPTY_REF;
  if (kind === LEAF && b.length >= 106 && (b[105] === 1 || b.length === 106)) {
    const value = b[105] === 1 ? b.subarray(106) : null;
    return { kind: LEAF, keyHash: b.subarray(33, 65), valueHash: b.subarray(65, 97), ver: readU64(b, 97), hash: b.subarray(0, 32), value };
  }
  if (kind === INNER && b.length === 41) return { kind: INNER, hash: b.subarray(0, 32), ver: readU64(b, 33) };
  throw stateError('PNT_ERR_STATE_CORRUPT', 'bad root record', { version });
}

function encodeValueRecord(key: Buffer, value: Buffer): Buffer {
  const b = Buffer.allocUnsafe(2 + key.length + value.length);
  b.writeUInt16BE(key.length, 0);
  key.copy(b, 2);
  value.copy(b, 2 + key.length);
  return b;
}

/** Stale list: (uint8 tag | uint8 keyLen | key)*, tag 0 = state.nodes key, 1 = state.values key. */
function encodeStale(nodes: Buffer[], values: Buffer[]): Buffer {
  let size = 0;
  for (const k of nodes) size += 2 + k.length;
  for (const k of values) size += 2 + k.length;
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const [tag, keys] of [[STALE_NODE, nodes], [STALE_VALUE, values]] as const) {
    for (const k of keys) {
      out[off] = tag;
      out[off + 1] = k.length;
      out.set(k, off + 2);
      off += 2 + k.length;
    }
  }
  return out;
}

/** Sorts by `key` bytes. Comparing latin1 strings (one char per byte, same order) is ~2.5x faster than Buffer.compare. */
function sortByBytes<T extends { key: Buffer }>(items: T[]): T[] {
  const tagged = items.map((item) => ({ s: item.key.toString('latin1'), item }));
  tagged.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
  return tagged.map((t) => t.item);
}

function prefixEnd(prefix: Uint8Array): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined; // all 0xff (or empty): no upper bound
}

export class StateStore implements PageSource {
  private readonly upperCache = new PageCache(UPPER_CACHE_PAGES);
  private readonly lowerCache: PageCache;

  private constructor(
    private readonly env: RootDatabase,
    private readonly nodes: Db,
    private readonly values: Db,
    private readonly flat: Db,
    private readonly roots: Db,
    private readonly stale: Db,
    private readonly meta: Db,
    private readonly index: Db,
    private readonly retainVersions: number,
    cachePages: number,
  ) {
    this.lowerCache = new PageCache(cachePages);
  }

  /** Opens (or creates) the tree in named sub-databases of an existing LMDB env (it needs 7 of the env's maxDbs). */
  static open(env: RootDatabase, opts: StateStoreOptions = {}): StateStore {
    const retain = opts.retainVersions ?? 0;
    if (!Number.isSafeInteger(retain) || retain < 0) throw stateError('PNT_ERR_STATE_BAD_VERSION', 'retainVersions must be an integer >= 0', { retain });
    const db = (name: string): Db => env.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' });
    return new StateStore(
      env,
      db('state.nodes'),
      db('state.values'),
      db('state.flat'),
      db('state.roots'),
      db('state.stale'),
      db('state.meta'),
      db('state.index'),
      retain,
      opts.cachePages ?? 8192,
    );
  }

  latestVersion(): number {
    const b = this.meta.getBinaryFast(META_LATEST);
    return b ? readU64(b, 0) : 0;
  }

  oldestVersion(): number {
    const b = this.meta.getBinaryFast(META_OLDEST);
    return b ? readU64(b, 0) : 0;
  }

  root(version?: number): Hex {
    const v = version ?? this.latestVersion();
    this.checkVersion(v);
    return toHex(slotHash(this.rootRef(v)));
  }

  get(key: Bytes, version?: number): Bytes | undefined {
    checkKey(key);
    const latest = this.latestVersion();
    const v = version ?? latest;
    this.checkVersion(v);
    return this.readAt(key, v, latest);
  }

  getWithProof(key: Bytes, version: number): { value: Bytes | undefined; proof: StateProof } {
    checkKey(key);
    if (isIndexKey(key)) throw stateError('PNT_ERR_STATE_NOT_PROVABLE', 'keys under idx/ are index records, outside the tree: they have no proof', { key: Buffer.from(key).toString('utf8').slice(0, 80) });
    this.checkVersion(version);
    const keyHash = sha256Buf(key);
    const r = walkPath(this, this.rootRef(version), keyHash, true);
    const value = r.leaf !== null && r.leaf.keyHash.equals(keyHash) ? this.leafValue(r.leaf, key) : undefined;
    const proof: StateProof = {
      siblings: r.siblings.map((s) => toHex(s)),
      leaf: r.leaf === null ? null : { keyHash: toHex(r.leaf.keyHash), valueHash: toHex(r.leaf.valueHash) },
    };
    return { value, proof };
  }

  /** A copy-on-write working set on top of the latest committed version. */
  working(): WorkingState {
    const base = this.latestVersion();
    return new Working(this, base, this.rootRef(base));
  }

  /**
   * Persists `ws` as `version` (= latestVersion() + 1) with synchronous puts only, so it can run
   * inside the caller's env.transactionSync / env.transaction next to the block's own writes
   * (outside any transaction it opens one). All checks and hashing happen before the first write,
   * so a throw leaves nothing behind. Prunes versions past retainVersions in the same transaction.
   * Note: lmdb-js rolls back a transactionSync whose callback throws, but not an async
   * env.transaction (its writes stay even on throw or ABORT).
   */
  commitInTxn(ws: WorkingState, version: number): Hex {
    if (!(ws instanceof Working) || ws.store !== this) {
      throw stateError('PNT_ERR_STATE_STALE_WORKING', 'working state belongs to another store');
    }
    const latest = this.latestVersion();
    if (ws.baseVersion !== latest) {
      throw stateError('PNT_ERR_STATE_STALE_WORKING', 'working state is based on a version that is no longer the latest', { base: ws.baseVersion, latest });
    }
    if (version !== latest + 1) throw stateError('PNT_ERR_STATE_BAD_VERSION', 'commit version must be latestVersion() + 1', { version, latest });
    const u = ws.update();
    const write = (): void => {
      this.write(u, version);
      for (const op of ws.indexOps()) op.value === undefined ? this.index.removeSync(op.key) : this.index.putSync(op.key, op.value);
    };
    if (this.inWriteTxn()) write();
    else this.env.transactionSync(write);
    // Safe even if the caller's transaction aborts later: cache hits are checked against the parent's hash.
    for (const p of u.newPages) if (p.depth <= UPPER_DEPTH) this.upperCache.set(p.nodeKey().toString('latin1'), p.compact());
    return toHex(u.rootHash());
  }

  commit(ws: WorkingState, version: number): Promise<Hex> {
    return this.env.transaction(() => this.commitInTxn(ws, version));
  }

  /**
   * State sync: an empty working state whose commit (commitRestoredInTxn) becomes `version` of
   * this store, which must still be empty. The caller sets every entry of the snapshot into it.
   */
  restoreWorking(version: number): WorkingState {
    if (!Number.isSafeInteger(version) || version < 1) throw stateError('PNT_ERR_STATE_BAD_VERSION', 'restore version must be >= 1', { version });
    if (this.latestVersion() !== 0) throw stateError('PNT_ERR_STATE_NOT_EMPTY', 'state can only be restored into an empty store', { latest: this.latestVersion() });
    return new Working(this, 0, EMPTY_REF, version);
  }

  /** Persists a restoreWorking() state as its version; versions below it read as pruned. */
  commitRestoredInTxn(ws: WorkingState, version: number): Hex {
    if (!(ws instanceof Working) || ws.store !== this || ws.targetVersion !== version) throw stateError('PNT_ERR_STATE_STALE_WORKING', 'not a restore working state for this version', { version });
    if (this.latestVersion() !== 0) throw stateError('PNT_ERR_STATE_NOT_EMPTY', 'state can only be restored into an empty store', { latest: this.latestVersion() });
    const u = ws.update();
    const write = (): void => {
      this.write(u, version);
      this.meta.putSync(META_OLDEST, u64(version));
    };
    if (this.inWriteTxn()) write();
    else this.env.transactionSync(write);
    return toHex(u.rootHash());
  }

  /**
   * A consistent view of the latest version for a snapshot: one LMDB read transaction pins the
   * version, its root and every (key, value) of the flat table while commits go on. Call close()
   * when done (an open read transaction keeps LMDB from reusing freed pages).
   */
  openSnapshot(): { version: number; root: Hex; entries(): Iterable<{ key: Buffer; value: Buffer }>; close(): void } {
    const transaction = this.env.useReadTransaction();
    try {
      // lmdb-js takes { transaction } on every read; its typings omit it on getBinary
      const readIn = (db: Db, key: Buffer) => (db as unknown as { getBinary(k: Buffer, o: object): Buffer | undefined }).getBinary(key, { transaction });
      const latest = readIn(this.meta, META_LATEST);
      const version = latest ? readU64(latest, 0) : 0;
      const rec = version > 0 ? readIn(this.roots, u64(version)) : undefined;
      const root = toHex(slotHash(rec === undefined ? EMPTY_REF : decodeRoot(rec, version)));
      return {
        version,
        root,
        entries: () => this.flat.getRange({ transaction } as never) as Iterable<{ key: Buffer; value: Buffer }>,
        close: () => transaction.done(),
      };
    } catch (e) {
      transaction.done();
      throw e;
    }
  }

  /** @internal PageSource: a stored page, from the cache when its hash matches. */
  load(version: number, depth: number, path: Uint8Array, hash: Uint8Array, slab?: PageSlab): Page {
    const key = nodeKey(version, depth, path);
    const ks = key.toString('latin1');
    const cache = depth <= UPPER_DEPTH ? this.upperCache : this.lowerCache;
    const hit = cache.get(ks);
    if (hit !== undefined && hit.hashEquals(hash)) return hit;
    const rec = this.nodes.getBinaryFast(key);
    if (rec === undefined) throw stateError('PNT_ERR_STATE_CORRUPT', 'missing tree page', { version, depth });
    if (slab !== undefined) return Page.decode(rec, depth, version, path, hash, slab);
    const page = Page.decode(rec, depth, version, path, hash);
    cache.set(ks, page);
    return page;
  }

  /** @internal Value of `key` at a retained version `v` (the working state's reads). */
  readAt(key: Uint8Array, v: number, latest = this.latestVersion()): Bytes | undefined {
    if (isIndexKey(key)) {
      const b = this.index.getBinary(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
      return b === undefined ? undefined : copyOut(b);
    }
    if (v === latest) {
      const b = this.flat.getBinary(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
      return b === undefined ? undefined : copyOut(b);
    }
    this.checkVersion(v);
    const keyHash = sha256Buf(key);
    const r = walkPath(this, this.rootRef(v), keyHash, false);
    return r.leaf !== null && r.leaf.keyHash.equals(keyHash) ? this.leafValue(r.leaf, key) : undefined;
  }

  /** @internal Latest committed entries with `prefix`, in key order. */
  latestEntries(prefix: Uint8Array): Iterable<{ key: Buffer; value: Buffer }> {
    const start = Buffer.from(prefix);
    const end = prefixEnd(prefix);
    // a scan sees the index or the tree's keys, by its prefix
    return (isIndexKey(prefix) ? this.index : this.flat).getRange(end === undefined ? { start } : { start, end });
  }

  /** @internal Throws VERSION_UNKNOWN / VERSION_PRUNED unless `v` is retained. */
  checkVersion(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0 || v > this.latestVersion()) throw stateError('PNT_ERR_STATE_VERSION_UNKNOWN', 'no such version', { version: v });
    const oldest = this.oldestVersion();
    if (v < oldest) throw stateError('PNT_ERR_STATE_VERSION_PRUNED', 'version was pruned', { version: v, oldest });
  }

  /** LMDB records in the tree tables (pages, value records, stale lists, roots); for tests and metrics. */
  recordCounts(): { nodes: number; values: number; stale: number; roots: number } {
    return { nodes: this.nodes.getCount(), values: this.values.getCount(), stale: this.stale.getCount(), roots: this.roots.getCount() };
  }

  private rootRef(version: number): SlotRef {
    const rec = this.roots.getBinaryFast(u64(version));
    if (rec === undefined) {
      if (version === 0) return EMPTY_REF;
      throw stateError('PNT_ERR_STATE_CORRUPT', 'missing root record', { version });
    }
    return decodeRoot(rec, version);
  }

  /** The value of `key`'s leaf: inline, or from its value record. */
  private leafValue(leaf: LeafRef, key: Uint8Array): Bytes {
    if (leaf.value !== null) return copyOut(leaf.value);
    const ver = leaf.ver;
    const rec = this.values.getBinary(valueKey(ver, leaf.keyHash));
    if (rec === undefined || rec.length < 2) throw stateError('PNT_ERR_STATE_CORRUPT', 'missing value record', { version: ver });
    const keyLen = rec.readUInt16BE(0);
    if (keyLen !== key.length || !rec.subarray(2, 2 + keyLen).equals(key)) throw stateError('PNT_ERR_STATE_CORRUPT', 'value record is for another key', { version: ver });
    return copyOut(rec.subarray(2 + keyLen));
  }

  private inWriteTxn(): boolean {
    try {
      this.env.getWriteTxnId();
      return true;
    } catch {
      return false;
    }
  }

  private write(u: TreeUpdate, version: number): void {
    // Page and value keys start with the new (highest) version, so sorted they can be appended
    // (MDB_APPEND) instead of searched for; flat keys are sorted for locality.
    const pages = sortByBytes(u.newPages.map((p) => ({ key: p.nodeKey(), page: p })));
    for (const { key, page } of pages) this.nodes.putSync(key, page.encode(), APPEND);
    // u.sets is in key-hash order already (the update walks the tree in path order).
    for (const op of u.sets) {
      if (op.value!.length > INLINE_VALUE_MAX) this.values.putSync(valueKey(version, op.keyHash), encodeValueRecord(op.key, op.value!), APPEND);
    }
    const flat: Op[] = u.sets.concat(u.deletes).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const op of flat) {
      if (op.value === undefined) this.flat.removeSync(op.key);
      else this.flat.putSync(op.key, op.value);
    }
    if (u.staleNodes.length > 0 || u.staleValues.length > 0) this.stale.putSync(u64(version), encodeStale(u.staleNodes, u.staleValues));
    this.roots.putSync(u64(version), encodeRoot(u.root));
    this.meta.putSync(META_LATEST, u64(version));
    this.prune(version);
  }

  /** Deletes what only versions older than the retention window can reach. */
  private prune(latest: number): void {
    if (this.retainVersions === 0) return;
    const oldest = this.oldestVersion();
    const target = latest - this.retainVersions + 1;
    if (target <= oldest) return;
    // Anything listed under s is reachable only from versions < s, all of which are now below target.
    const staleKeys = Array.from(this.stale.getKeys({ end: u64(target), inclusiveEnd: true }), (k) => Buffer.from(k));
    const nodeKeys: Buffer[] = [];
    const valueKeys: Buffer[] = [];
    for (const k of staleKeys) {
      const rec = this.stale.getBinary(k)!;
      for (let off = 0; off < rec.length; ) {
        const len = rec[off + 1];
        (rec[off] === STALE_NODE ? nodeKeys : valueKeys).push(rec.subarray(off + 2, off + 2 + len));
        off += 2 + len;
      }
      this.stale.removeSync(k);
    }
    // In key order, consecutive removes hit the same LMDB pages.
    for (const { key } of sortByBytes(nodeKeys.map((key) => ({ key })))) this.nodes.removeSync(key);
    for (const { key } of sortByBytes(valueKeys.map((key) => ({ key })))) this.values.removeSync(key);
    const rootKeys = Array.from(this.roots.getKeys({ end: u64(target) }), (k) => Buffer.from(k));
    for (const k of rootKeys) this.roots.removeSync(k);
    this.meta.putSync(META_OLDEST, u64(target));
  }
}

/**
 * Bounded page cache in two generations: hits in the old one move to the young one, and when the
 * young one is full the old one is dropped whole. O(1) per operation, unlike evicting a Map's
 * oldest entry one by one (V8 then rescans the deleted slots on every eviction).
 */
class PageCache {
  private young = new Map<string, Page>();
  private old = new Map<string, Page>();

  constructor(private readonly capacity: number) {}

  get(key: string): Page | undefined {
    const y = this.young.get(key);
    if (y !== undefined) return y;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, page: Page): void {
    if (this.capacity <= 0) return;
    this.young.set(key, page);
    if (this.young.size >= this.capacity >> 1) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

class Working implements WorkingState {
  private readonly pending = new Map<string, Op>();
  /** Writes under idx/: committed with the version, outside the tree. */
  private readonly indexPending = new Map<string, { key: Buffer; value: Buffer | undefined }>();
  private memo: TreeUpdate | null = null;

  constructor(
    readonly store: StateStore,
    readonly baseVersion: number,
    private readonly baseRoot: SlotRef,
    /** The version this state is written as: base + 1, or the snapshot's height when restoring. */
    readonly targetVersion = baseVersion + 1,
  ) {}

  get(key: Bytes): Bytes | undefined {
    checkKey(key);
    const id = latin1Id(key);
    const op = isIndexKey(key) ? this.indexPending.get(id) : this.pending.get(id);
    if (op !== undefined) return op.value === undefined ? undefined : copyOut(op.value);
    return this.store.readAt(key, this.baseVersion);
  }

  set(key: Bytes, value: Bytes): void {
    checkKey(key);
    checkValue(value);
    this.put(Buffer.from(key), Buffer.from(value));
  }

  delete(key: Bytes): void {
    checkKey(key);
    this.put(Buffer.from(key), undefined);
  }

  root(): Hex {
    return toHex(this.update().rootHash());
  }

  *entries(prefix: Bytes): Iterable<[Bytes, Bytes]> {
    if (!(prefix instanceof Uint8Array)) throw stateError('PNT_ERR_STATE_KEY_INVALID', 'prefix must be a Uint8Array');
    const latest = this.store.latestVersion();
    if (this.baseVersion !== latest) {
      throw stateError('PNT_ERR_STATE_STALE_WORKING', 'prefix scans need a working state on the latest version', { base: this.baseVersion, latest });
    }
    const mine: { key: Buffer; value: Buffer | undefined }[] = [];
    for (const op of (isIndexKey(prefix) ? this.indexPending : this.pending).values()) if (hasPrefix(op.key, prefix) && isIndexKey(op.key) === isIndexKey(prefix)) mine.push(op);
    mine.sort((a, b) => Buffer.compare(a.key, b.key));
    let i = 0;
    for (const { key, value } of this.store.latestEntries(prefix)) {
      while (i < mine.length && Buffer.compare(mine[i].key, key) < 0) {
        const op = mine[i++];
        if (op.value !== undefined) yield [copyOut(op.key), copyOut(op.value)];
      }
      if (i < mine.length && mine[i].key.equals(key)) {
        const op = mine[i++];
        if (op.value !== undefined) yield [copyOut(op.key), copyOut(op.value)];
        continue;
      }
      yield [plain(key), plain(value)]; // lmdb gives each range entry its own buffers: no copy needed
    }
    for (; i < mine.length; i++) {
      const op = mine[i];
      if (op.value !== undefined) yield [copyOut(op.key), copyOut(op.value)];
    }
  }

  /** The tree update for all pending writes, computed once per batch of writes. */
  update(): TreeUpdate {
    if (this.memo !== null) return this.memo;
    this.store.checkVersion(this.baseVersion);
    const ops = Array.from(this.pending.values());
    for (const op of ops) if (op.value !== undefined && op.valueHash === null) op.valueHash = sha256Buf(op.value);
    ops.sort(compareOps);
    this.memo = new TreeUpdate(this.store, this.targetVersion).run(this.baseRoot, ops);
    return this.memo;
  }

  /** @internal The index writes, for the commit. */
  indexOps(): Iterable<{ key: Buffer; value: Buffer | undefined }> {
    return this.indexPending.values();
  }

  private put(key: Buffer, value: Buffer | undefined): void {
    if (isIndexKey(key)) {
      this.indexPending.set(key.toString('latin1'), { key, value });
      return;
    }
    const keyHash = sha256Buf(key);
    const id = key.toString('latin1');
    this.pending.set(id, { id, key, value, keyHash, k0: keyHash.readUInt32BE(0), valueHash: null });
    this.memo = null;
  }
}

/** Keys under idx/ (0x69 0x64 0x78 0x2f) are index records, outside the tree. */
export function isIndexKey(key: Uint8Array): boolean {
  return key.length >= 4 && key[0] === 0x69 && key[1] === 0x64 && key[2] === 0x78 && key[3] === 0x2f;
}
