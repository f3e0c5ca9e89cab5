/**
 * The private validator: holds the consensus key and refuses to double-sign.
 *
 * It remembers the last thing it signed as (height, round, step) with the digest and signature,
 * and signs only what is strictly later, or the identical digest again (then it returns the
 * saved signature, so a restarted engine can re-send its vote). The new state is durable before a
 * signature leaves this object, so no crash can make the validator forget a signature it gave.
 *
 * The state lives in its own small file (not the node's LMDB): restoring or resyncing the node
 * database must never roll back the sign state, and the file can move with the key.
 */
import { PontisError } from '../errors.ts';
import { type Bytes, type Hex, isHex, toHex } from '../crypto/bytes.ts';
import { addressFromPublicKey, signDigest, validatorPublicKey } from '../crypto/secp256k1.ts';
import { headerHash } from '../types/header.ts';
import { type Vote, VoteType, proposalDigest, voteDigest } from '../types/vote.ts';
import { readFileIfExists, writeFileDurable } from './durable-file.ts';
import type { PrivValidator, Proposal } from './types.ts';

/** Order of signatures within one round. */
export enum SignStep {
  Proposal = 1,
  Prevote = 2,
  Precommit = 3,
}

export interface LastSignState {
  height: number;
  round: number;
  step: SignStep;
  /** The 32-byte digest signed (it binds chain id, type, height, round and block hash). */
  digest: Hex;
  signature: Hex;
  /** For a vote: the block hash voted for (ZERO_HASH for nil), so the vote can be rebuilt after a crash. */
  blockHash?: Hex;
}

/** Where the last-sign state is kept. `save` resolves only once the state is durable. */
export interface SignStateStore {
  load(): Promise<LastSignState | null>;
  save(state: LastSignState): Promise<void>;
}

export class DoubleSignError extends PontisError {
  override name = 'DoubleSignError';
}

/** Keeps the state in memory; the object outlives validator instances, which models a disk in the simulation. */
export class MemorySignStateStore implements SignStateStore {
  private state: LastSignState | null = null;
  async load(): Promise<LastSignState | null> {
    return this.state && { ...this.state };
  }
  async save(state: LastSignState): Promise<void> {
    this.state = { ...state };
  }
}

/** One JSON file, replaced atomically (temp + fsync + rename + directory fsync). */
export class FileSignStateStore implements SignStateStore {
  constructor(readonly path: string) {}

  async load(): Promise<LastSignState | null> {
    const text = await readFileIfExists(this.path);
    if (text === null) return null;
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw corrupt(this.path, e);
    }
    if (!isSignState(j)) throw corrupt(this.path);
    return { height: j.height, round: j.round, step: j.step, digest: j.digest, signature: j.signature, ...(j.blockHash !== undefined && { blockHash: j.blockHash }) };
  }

  async save(state: LastSignState): Promise<void> {
    await writeFileDurable(this.path, JSON.stringify({ version: 1, ...state }) + '\n');
  }
}

function corrupt(path: string, cause?: unknown): PontisError {
  // Never start over from an empty state: that is exactly how a validator double-signs.
  return new PontisError('PNT_ERR_SIGN_STATE_CORRUPT', `private validator state ${path} is unreadable; refusing to sign`, { cause, details: { path } });
}

function isSignState(j: unknown): j is LastSignState {
  const o = j as Record<string, unknown>;
  return (
    typeof o === 'object' && o !== null &&
    Number.isSafeInteger(o.height) && (o.height as number) >= 1 &&
    Number.isSafeInteger(o.round) && (o.round as number) >= 0 &&
    (o.step === SignStep.Proposal || o.step === SignStep.Prevote || o.step === SignStep.Precommit) &&
    isHex(o.digest, 32) && isHex(o.signature, 65) &&
    (o.blockHash === undefined || (o.step !== SignStep.Proposal && isHex(o.blockHash, 32)))
  );
}

/** Negative when a < b in (height, round, step) order. */
function compareHRS(a: { height: number; round: number; step: number }, b: { height: number; round: number; step: number }): number {
  return a.height - b.height || a.round - b.round || a.step - b.step;
}

/** A PrivValidator over any SignStateStore. */
export class GuardedPrivValidator implements PrivValidator {
  readonly address: Hex;
  private last: LastSignState | null;
  // Sign requests run one at a time: the check and the durable write must not interleave.
  private chain: Promise<unknown> = Promise.resolve();

  protected constructor(
    private readonly secretKey: Bytes,
    private readonly store: SignStateStore,
    last: LastSignState | null,
  ) {
    this.address = addressFromPublicKey(validatorPublicKey(secretKey));
    this.last = last;
  }

  static async create(secretKey: Bytes, store: SignStateStore): Promise<GuardedPrivValidator> {
    return new GuardedPrivValidator(secretKey, store, await store.load());
  }

  get lastSignState(): LastSignState | null {
    return this.last && { ...this.last };
  }

  async signVote(chainId: string, vote: Omit<Vote, 'signature' | 'validator'>): Promise<Vote> {
    if (vote.type !== VoteType.Prevote && vote.type !== VoteType.Precommit) throw new DoubleSignError('PNT_ERR_SIGN_REQUEST', `unknown vote type ${String(vote.type)}`);
    checkHR(vote.height, vote.round);
    const step = vote.type === VoteType.Prevote ? SignStep.Prevote : SignStep.Precommit;
    const digest = voteDigest(chainId, vote.type, vote.height, vote.round, vote.blockHash);
    const signature = await this.guarded(vote.height, vote.round, step, digest, vote.blockHash);
    return { type: vote.type, height: vote.height, round: vote.round, blockHash: vote.blockHash, validator: this.address, signature };
  }

  async signProposal(chainId: string, p: Omit<Proposal, 'signature' | 'proposer'>): Promise<Proposal> {
    checkHR(p.height, p.round);
    if (!Number.isSafeInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) throw new DoubleSignError('PNT_ERR_SIGN_REQUEST', 'polRound must be -1 or below the round');
    const digest = proposalDigest(chainId, p.height, p.round, p.polRound, headerHash(p.block.header));
    const signature = await this.guarded(p.height, p.round, SignStep.Proposal, digest);
    return { height: p.height, round: p.round, polRound: p.polRound, block: p.block, proposer: this.address, signature };
  }

  lastSignedVote(): Vote | null {
    const l = this.last;
    if (!l || l.step === SignStep.Proposal || l.blockHash === undefined) return null;
    const type = l.step === SignStep.Prevote ? VoteType.Prevote : VoteType.Precommit;
    return { type, height: l.height, round: l.round, blockHash: l.blockHash, validator: this.address, signature: l.signature };
  }

  private guarded(height: number, round: number, step: SignStep, digest: Bytes, blockHash?: Hex): Promise<Hex> {
    const run = async (): Promise<Hex> => {
      const d = toHex(digest);
      const last = this.last;
      if (last) {
        const cmp = compareHRS({ height, round, step }, last);
        const details = { height, round, step, lastHeight: last.height, lastRound: last.round, lastStep: last.step };
        if (cmp < 0) throw new DoubleSignError('PNT_ERR_DOUBLE_SIGN', 'refusing to sign below the last signed height/round/step', { details });
        if (cmp === 0) {
          if (last.digest === d) return last.signature;
          throw new DoubleSignError('PNT_ERR_DOUBLE_SIGN', 'refusing to sign a conflicting message at the same height/round/step', { details });
        }
      }
      const next: LastSignState = { height, round, step, digest: d, signature: toHex(signDigest(digest, this.secretKey)), ...(blockHash !== undefined && { blockHash }) };
      await this.store.save(next);
      this.last = next;
      return next.signature;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

function checkHR(height: number, round: number): void {
  if (!Number.isSafeInteger(height) || height < 1 || !Number.isSafeInteger(round) || round < 0 || round > 0xffffffff) {
    throw new DoubleSignError('PNT_ERR_SIGN_REQUEST', 'height must be >= 1 and round a uint32', { details: { height, round } });
  }
}

/** The validator process's private validator: key in memory, last-sign state in `statePath`. */
export class FilePrivValidator extends GuardedPrivValidator {
  static async open(opts: { secretKey: Bytes; statePath: string }): Promise<FilePrivValidator> {
    const store = new FileSignStateStore(opts.statePath);
    return new FilePrivValidator(opts.secretKey, store, await store.load());
  }
}
