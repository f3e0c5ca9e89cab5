/**
 * Stores for the engine's lock state (ConsensusStateStore), own votes of the height included. The
 * file store keeps the state in one small JSON file replaced atomically, and blocks as separate files named by hash, so a lock
 * change rewrites a few hundred bytes however large the block is.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PontisError } from '../errors.ts';
import { type Hex, isHex } from '../crypto/bytes.ts';
import { type Block, type BlockJSON, blockFromJSON, blockToJSON } from '../types/block.ts';
import { headerHash } from '../types/header.ts';
import { type Vote, VoteType } from '../types/vote.ts';
import { readFileIfExists, syncDir, unlinkIfExists, writeFileDurable } from './durable-file.ts';
import type { ConsensusLockState, ConsensusStateStore } from './types.ts';

/** In-memory store: survives engine restarts in one process (the simulation's "disk"). */
export class MemoryConsensusStateStore implements ConsensusStateStore {
  private state: ConsensusLockState | null = null;
  private readonly blocks = new Map<Hex, Block>();

  async load(): Promise<ConsensusLockState | null> {
    return this.state && copyState(this.state);
  }
  async save(state: ConsensusLockState): Promise<void> {
    this.state = copyState(state);
    for (const h of [...this.blocks.keys()]) if (h !== state.validBlockHash) this.blocks.delete(h);
  }
  async putBlock(block: Block): Promise<void> {
    this.blocks.set(headerHash(block.header), block);
  }
  async getBlock(hash: Hex): Promise<Block | null> {
    return this.blocks.get(hash) ?? null;
  }
}

/** `dir/lock.json` plus `dir/blocks/<hash>.json`. */
export class FileConsensusStateStore implements ConsensusStateStore {
  private readonly statePath: string;
  private readonly blockDir: string;
  private ready: Promise<void> | undefined;

  constructor(readonly dir: string) {
    this.statePath = join(dir, 'lock.json');
    this.blockDir = join(dir, 'blocks');
  }

  private init(): Promise<void> {
    this.ready ??= mkdir(this.blockDir, { recursive: true }).then(() => undefined);
    return this.ready;
  }

  async load(): Promise<ConsensusLockState | null> {
    await this.init();
    const text = await readFileIfExists(this.statePath);
    if (text === null) return null;
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw corrupt(this.statePath, e);
    }
    if (!isLockState(j)) throw corrupt(this.statePath);
    const { height, round, lockedRound, lockedBlockHash, validRound, validBlockHash } = j;
    const state: ConsensusLockState = { height, round, lockedRound, lockedBlockHash, validRound, validBlockHash };
    if (j.votes) state.votes = j.votes.map((v) => ({ type: v.type, height: v.height, round: v.round, blockHash: v.blockHash, validator: v.validator, signature: v.signature }));
    return state;
  }

  async save(state: ConsensusLockState): Promise<void> {
    await this.init();
    await writeFileDurable(this.statePath, JSON.stringify({ version: 1, ...state }) + '\n');
    // Pruning after the durable write: a crash in between leaves an extra file, never a missing one.
    for (const f of await readdir(this.blockDir)) {
      if (f.endsWith('.json') && f !== `${state.validBlockHash}.json`) await unlinkIfExists(join(this.blockDir, f));
    }
  }

  async putBlock(block: Block): Promise<void> {
    await this.init();
    const hash = headerHash(block.header);
    await writeFileDurable(join(this.blockDir, `${hash}.json`), JSON.stringify(blockToJSON(block)));
    await syncDir(this.blockDir);
  }

  async getBlock(hash: Hex): Promise<Block | null> {
    if (!isHex(hash, 32)) return null;
    await this.init();
    const text = await readFileIfExists(join(this.blockDir, `${hash}.json`));
    if (text === null) return null;
    try {
      const block = blockFromJSON(JSON.parse(text) as BlockJSON);
      return headerHash(block.header) === hash ? block : null;
    } catch {
      return null;
    }
  }
}

function corrupt(path: string, cause?: unknown): PontisError {
  // Starting unlocked after losing the lock file could make this validator vote against its lock.
  return new PontisError('PNT_ERR_LOCK_STATE_CORRUPT', `consensus lock state ${path} is unreadable; refusing to start`, { cause, details: { path } });
}

function copyState(s: ConsensusLockState): ConsensusLockState {
  return s.votes ? { ...s, votes: s.votes.map((v) => ({ ...v })) } : { ...s };
}

/** Shape only: the engine checks each vote's signature and signer before it takes one back. */
function isVote(v: unknown): v is Vote {
  const o = v as Record<string, unknown>;
  return (
    typeof o === 'object' && o !== null &&
    (o.type === VoteType.Prevote || o.type === VoteType.Precommit) &&
    Number.isSafeInteger(o.height) && Number.isSafeInteger(o.round) &&
    isHex(o.blockHash, 32) && isHex(o.validator, 20) && isHex(o.signature, 65)
  );
}

function isLockState(j: unknown): j is ConsensusLockState {
  const o = j as Record<string, unknown>;
  const int = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  const hashOrNull = (v: unknown) => v === null || isHex(v, 32);
  return (
    typeof o === 'object' && o !== null &&
    int(o.height, 1) && int(o.round, 0) && int(o.lockedRound, -1) && int(o.validRound, -1) &&
    hashOrNull(o.lockedBlockHash) && hashOrNull(o.validBlockHash) &&
    (o.votes === undefined || (Array.isArray(o.votes) && o.votes.every(isVote))) &&
    (o.lockedRound === -1) === (o.lockedBlockHash === null) && (o.validRound === -1) === (o.validBlockHash === null)
  );
}
