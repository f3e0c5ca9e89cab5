/**
 * State snapshots on disk, what state sync serves to nodes far behind: every
 * `statesync.snapshotInterval` heights the node writes its whole state at that height as chunk
 * files plus a manifest, in the background, and keeps the newest few.
 *
 *   data/snapshots/<height>/manifest.json   {format, chainId, height, stateRoot, entries, chunks: [{hash, bytes}]}
 *   data/snapshots/<height>/<i>.chunk       (uint32 BE keyLen | key | uint32 BE valueLen | value)*
 *
 * A chunk's hash is sha256 of its bytes. Nothing here is trusted by the node that restores: it
 * checks each chunk against the manifest and the rebuilt state root against a header its light
 * client verified (state-sync.ts). A snapshot directory appears complete or not at all (written
 * under a temporary name, then renamed).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PontisError, errFields } from '../errors.ts';
import { type Hex, toHex } from '../crypto/bytes.ts';
import { sha256 } from '../crypto/hash.ts';
import type { StateStore } from '../state/store.ts';

export const SNAPSHOT_FORMAT = 1;
/** Entries are cut into chunks of about this size (a chunk travels base64 in one peer message). */
export const CHUNK_BYTES = 1024 * 1024;
/** Work done per event-loop turn while writing a snapshot, so consensus is never held up long. */
const ENTRIES_PER_SLICE = 2_000;

export class SnapshotError extends PontisError {
  override name = 'SnapshotError';
}

export interface SnapshotManifest {
  format: number;
  chainId: string;
  height: number;
  stateRoot: Hex;
  entries: number;
  chunks: { hash: Hex; bytes: number }[];
}

export interface SnapshotInfo {
  height: number;
  chunks: number;
  /** sha256 of the manifest file's bytes: peers offering the same snapshot offer the same hash. */
  hash: Hex;
}

export class SnapshotStore {
  private writing = false;

  constructor(
    private readonly dir: string,
    private readonly chainId: string,
    private readonly keep: number,
    private readonly log: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    // a snapshot cut short by a crash is left as a temporary directory: remove it
    for (const name of readdirSync(dir)) if (name.endsWith('.tmp')) rmSync(join(dir, name), { recursive: true, force: true });
  }

  /** Snapshots on disk, newest first. */
  list(): SnapshotInfo[] {
    const out: SnapshotInfo[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const bytes = readFileSync(join(this.dir, name, 'manifest.json'));
        const m = JSON.parse(bytes.toString('utf8')) as SnapshotManifest;
        out.push({ height: m.height, chunks: m.chunks.length, hash: toHex(sha256(bytes)) });
      } catch {
        // unreadable: not offered
      }
    }
    return out.sort((a, b) => b.height - a.height);
  }

  manifestBytes(height: number): Buffer | undefined {
    const p = join(this.dir, String(height), 'manifest.json');
    return existsSync(p) ? readFileSync(p) : undefined;
  }

  async chunk(height: number, index: number): Promise<Buffer | undefined> {
    if (!Number.isSafeInteger(height) || !Number.isSafeInteger(index) || index < 0) return undefined;
    try {
      return await readFile(join(this.dir, String(height), `${index}.chunk`));
    } catch {
      return undefined;
    }
  }

  /**
   * Starts writing the state's latest version as a snapshot. Must be called synchronously after
   * that version's commit, so the read transaction it opens pins exactly `height`. Returns at once;
   * the writing happens over later event-loop turns. One snapshot is written at a time.
   */
  startSnapshot(state: StateStore, height: number): void {
    if (this.writing) {
      this.log.warn({ height }, 'snapshot skipped: the previous one is still being written');
      return;
    }
    const snap = state.openSnapshot();
    if (snap.version !== height) {
      snap.close();
      this.log.warn({ height, version: snap.version }, 'snapshot skipped: state moved past the height');
      return;
    }
    this.writing = true;
    const t0 = performance.now();
    void this.write(height, snap.root, snap.entries()[Symbol.iterator]())
      .then((m) => this.log.info({ height, entries: m.entries, chunks: m.chunks.length, ms: Math.round(performance.now() - t0) }, 'snapshot written'))
      .catch((e) => this.log.error({ ...errFields(e), height }, 'snapshot failed'))
      .finally(() => {
        snap.close();
        this.writing = false;
      });
  }

  private async write(height: number, stateRoot: Hex, it: Iterator<{ key: Buffer; value: Buffer }>): Promise<SnapshotManifest> {
    const tmp = join(this.dir, `${height}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const manifest: SnapshotManifest = { format: SNAPSHOT_FORMAT, chainId: this.chainId, height, stateRoot, entries: 0, chunks: [] };
    let parts: Buffer[] = [];
    let size = 0;
    const flush = async () => {
      if (size === 0) return;
      const chunk = Buffer.concat(parts, size);
      await writeFile(join(tmp, `${manifest.chunks.length}.chunk`), chunk);
      manifest.chunks.push({ hash: toHex(sha256(chunk)), bytes: chunk.length });
      parts = [];
      size = 0;
    };
    for (;;) {
      let done = false;
      for (let i = 0; i < ENTRIES_PER_SLICE; i++) {
        const r = it.next();
        if (r.done) {
          done = true;
          break;
        }
        const rec = encodeEntry(r.value.key, r.value.value);
        parts.push(rec);
        size += rec.length;
        manifest.entries++;
        if (size >= CHUNK_BYTES) await flush();
      }
      if (done) break;
      await new Promise((r) => setImmediate(r));
    }
    await flush();
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest));
    const final = join(this.dir, String(height));
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    this.prune();
    return manifest;
  }

  private prune(): void {
    const heights = readdirSync(this.dir)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => b - a);
    for (const h of heights.slice(this.keep)) rmSync(join(this.dir, String(h)), { recursive: true, force: true });
  }
}

function encodeEntry(key: Buffer, value: Buffer): Buffer {
  const b = Buffer.allocUnsafe(8 + key.length + value.length);
  b.writeUInt32BE(key.length, 0);
  key.copy(b, 4);
  b.writeUInt32BE(value.length, 4 + key.length);
  value.copy(b, 8 + key.length);
  return b;
}

/** The entries of one chunk; throws PNT_ERR_SNAPSHOT_CHUNK_MALFORMED on anything but an exact sequence of records. */
export function* decodeChunk(chunk: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
  const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let off = 0;
  const bad = () => new SnapshotError('PNT_ERR_SNAPSHOT_CHUNK_MALFORMED', 'chunk is not a sequence of (key, value) records', { details: { offset: off } });
  while (off < b.length) {
    if (off + 4 > b.length) throw bad();
    const kl = b.readUInt32BE(off);
    if (off + 4 + kl + 4 > b.length) throw bad();
    const key = b.subarray(off + 4, off + 4 + kl);
    const vl = b.readUInt32BE(off + 4 + kl);
    const vs = off + 8 + kl;
    if (vs + vl > b.length) throw bad();
    yield [key, b.subarray(vs, vs + vl)];
    off = vs + vl;
  }
}

export function parseManifest(bytes: Uint8Array, chainId: string, height: number): SnapshotManifest {
  let m: SnapshotManifest;
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new SnapshotError('PNT_ERR_SNAPSHOT_MANIFEST', 'manifest is not JSON', { cause: e });
  }
  const hashOk = (h: unknown) => typeof h === 'string' && /^0x[0-9a-f]{64}$/.test(h);
  if (
    m?.format !== SNAPSHOT_FORMAT ||
    m.chainId !== chainId ||
    m.height !== height ||
    !hashOk(m.stateRoot) ||
    !Array.isArray(m.chunks) ||
    m.chunks.length > 1_000_000 ||
    !m.chunks.every((c) => hashOk(c?.hash) && Number.isSafeInteger(c.bytes) && c.bytes > 0 && c.bytes <= 4 * CHUNK_BYTES)
  ) {
    throw new SnapshotError('PNT_ERR_SNAPSHOT_MANIFEST', 'manifest is malformed or for another chain or height', { details: { height } });
  }
  return m;
}
