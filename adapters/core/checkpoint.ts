/**
 * Durable scan cursors. A cursor records the last block a scanner finished, with its hash and
 * the hashes of the not-yet-final blocks before it, so a restarted scanner resumes exactly
 * there and can tell (and locate) a reorganisation below it.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { AdapterError, AdapterErrorCode } from './errors.ts';
import type { BlockRef } from './types.ts';

export interface Cursor extends BlockRef {
  /**
   * Blocks below `height` that were not final when scanned (ascending), kept to find the fork
   * point after a reorg. Blocks at or below the finalized height are dropped.
   */
  recent?: BlockRef[];
}

export interface CheckpointStore {
  get(key: string): Promise<Cursor | undefined>;
  /** Durable when it resolves. */
  put(key: string, cursor: Cursor): Promise<void>;
}

export class MemoryCheckpointStore implements CheckpointStore {
  private readonly cursors = new Map<string, Cursor>();

  async get(key: string): Promise<Cursor | undefined> {
    const c = this.cursors.get(key);
    return c && structuredClone(c);
  }

  async put(key: string, cursor: Cursor): Promise<void> {
    this.cursors.set(key, structuredClone(cursor));
  }
}

function isBlockRef(v: unknown): v is BlockRef {
  const r = v as BlockRef;
  return typeof r === 'object' && r !== null && Number.isSafeInteger(r.height) && r.height >= 0 && typeof r.blockHash === 'string';
}

/**
 * One JSON file per key in `dir`. Writes go to a temporary file that is fsynced and renamed over
 * the old one (then the directory is fsynced), so a crash leaves either the old or the new
 * cursor, never a torn one.
 */
export class FileCheckpointStore implements CheckpointStore {
  constructor(private readonly dir: string) {}

  private path(key: string): string {
    // keys name chains and scans (`evm-31337/gateway`); keep file names portable
    return join(this.dir, `${key.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }

  async get(key: string): Promise<Cursor | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AdapterError(AdapterErrorCode.CHECKPOINT, `cannot read checkpoint ${key}`, { cause: e, details: { key } });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new AdapterError(AdapterErrorCode.CHECKPOINT, `checkpoint ${key} is not valid JSON`, { cause: e, details: { key } });
    }
    const c = parsed as Cursor;
    if (!isBlockRef(c) || (c.recent !== undefined && (!Array.isArray(c.recent) || !c.recent.every(isBlockRef)))) {
      throw new AdapterError(AdapterErrorCode.CHECKPOINT, `checkpoint ${key} has an unexpected shape`, { details: { key } });
    }
    return c;
  }

  async put(key: string, cursor: Cursor): Promise<void> {
    const file = this.path(key);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(cursor));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
      const dh = await open(this.dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch (e) {
      throw new AdapterError(AdapterErrorCode.CHECKPOINT, `cannot write checkpoint ${key}`, { cause: e, details: { key } });
    }
  }
}
