/**
 * The contract between the consensus engine (Tendermint-style BFT, one height at a time) and
 * what surrounds it: the block executor (the node's application), the private validator (signs
 * and refuses to double-sign), the transport (gossip), and the clock. The engine itself has no
 * I/O, so the same code runs in the deterministic simulation and in a validator process.
 */
import type { Hex } from '../crypto/bytes.ts';
import type { Block, Evidence } from '../types/block.ts';
import type { Commit, Vote } from '../types/vote.ts';
import type { ValidatorSet } from '../types/validator-set.ts';

export enum Step {
  Propose = 'propose',
  Prevote = 'prevote',
  Precommit = 'precommit',
  Commit = 'commit',
}

export interface Proposal {
  height: number;
  round: number;
  /** Round of the proof-of-lock (polka) this proposal re-proposes, or -1. */
  polRound: number;
  block: Block;
  proposer: Hex;
  /** Over proposalDigest(chainId, height, round, polRound, headerHash(block.header)). */
  signature: Hex;
}

export type ConsensusMessage =
  | { kind: 'proposal'; proposal: Proposal }
  | { kind: 'vote'; vote: Vote }
  /** A decided block with its commit, sent to peers that are behind (also what block sync serves). */
  | { kind: 'decided'; block: Block; commit: Commit };

/** What the engine asks of the node's application. */
export interface BlockExecutor {
  /**
   * Builds the block to propose at (height, round): picks transactions, executes them on top of
   * the last committed state, and fills the whole header (state root included).
   */
  createBlock(ctx: ProposeContext): Promise<Block>;
  /**
   * Fully checks a proposed block (header fields, time, transactions, execution result matches
   * the header's state root). Throws a PontisError when it is invalid. Results may be cached by
   * block hash; it is called at most a few times per height.
   */
  validateBlock(block: Block, ctx: ValidateContext): Promise<void>;
  /** Makes a decided block final and durable. Returns the validator set (with proposer priorities) for height + 1. */
  commitBlock(block: Block, commit: Commit): Promise<ValidatorSet>;
}

export interface ProposeContext {
  height: number;
  round: number;
  proposer: Hex;
  /** Proposer's clock, strictly greater than the previous block time. */
  time: number;
  lastCommit: Commit | null;
  evidence: Evidence[];
}

export interface ValidateContext {
  height: number;
  round: number;
  /** Local clock, to bound the block time (no blocks from the future). */
  now: number;
}

/** Signs for one validator and never signs two different things at the same height/round/step. */
export interface PrivValidator {
  readonly address: Hex;
  /** Throws PNT_ERR_DOUBLE_SIGN when asked to sign a conflicting vote. Persists before returning. */
  signVote(chainId: string, vote: Omit<Vote, 'signature' | 'validator'>): Promise<Vote>;
  signProposal(chainId: string, p: Omit<Proposal, 'signature' | 'proposer'>): Promise<Proposal>;
  /**
   * The last message signed when it was a vote, as the vote (its signature as given then), or
   * null. A crash can land between this signature and the engine's record of its own votes; a
   * restarted engine takes the vote from here so it can send it again, where the guard would
   * refuse to sign any other vote of that step.
   */
  lastSignedVote?(): Vote | null;
}

export interface Transport {
  broadcast(msg: ConsensusMessage): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  schedule(ms: number, fn: () => void): () => void;
}

export interface TimeoutConfig {
  proposeMs: number;
  proposeDeltaMs: number;
  prevoteMs: number;
  prevoteDeltaMs: number;
  precommitMs: number;
  precommitDeltaMs: number;
  /** Pause after a commit before starting the next height (lets transactions gather). */
  commitMs: number;
  /**
   * While there is nothing to put in a block (no executable transaction, no evidence), round 0 of
   * a height waits for work up to this long after the previous block's time before its proposal
   * (and its propose timeout) starts; 0 or unset: a block every height at once, empty or not.
   */
  emptyBlocksIntervalMs?: number;
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  proposeMs: 1000,
  proposeDeltaMs: 500,
  prevoteMs: 500,
  prevoteDeltaMs: 500,
  precommitMs: 500,
  precommitDeltaMs: 500,
  commitMs: 150,
};

/** Events the engine reports (logging, metrics, tests). */
export interface ConsensusEvents {
  onCommit?(block: Block, commit: Commit): void;
  onEvidence?(e: Evidence): void;
  onStep?(height: number, round: number, step: Step): void;
  /**
   * The engine stopped because it cannot continue safely (commitBlock or the lock store failed).
   * The node should exit and be restarted; the durable stores make that safe.
   */
  onHalt?(error: unknown): void;
}

/**
 * What the engine must remember across a crash for one height (the consensus WAL): its round and
 * its lock. Written before any vote that depends on it is signed, so a validator restarted after
 * kill -9 cannot prevote against a lock it held. Blocks are kept apart, by hash, so the WAL stays
 * a few hundred bytes.
 */
export interface ConsensusLockState {
  height: number;
  round: number;
  lockedRound: number;
  /** Header hash of the locked block, or null (the lock rule compares hashes only). */
  lockedBlockHash: Hex | null;
  validRound: number;
  /** Header hash of the valid block (re-proposed when this node proposes), or null. */
  validBlockHash: Hex | null;
  /**
   * The votes this validator signed at `height` (the engine's write-ahead record of its own
   * votes). A restarted engine takes them back and sends them again: the private validator only
   * re-signs its very last message, so without them a network stopped mid-height would wait for
   * votes nobody sends any more. Absent in files written before they were kept.
   */
  votes?: Vote[];
}

/** Durable storage of the engine's lock state. Every method resolves only once the data is durable. */
export interface ConsensusStateStore {
  /** The last saved state, or null on a fresh node. */
  load(): Promise<ConsensusLockState | null>;
  /** Replaces the state. Blocks it references must have been put first; others may be pruned. */
  save(state: ConsensusLockState): Promise<void>;
  /** Stores a block under its header hash (idempotent). */
  putBlock(block: Block): Promise<void>;
  getBlock(hash: Hex): Promise<Block | null>;
}

/** The pino subset the consensus code logs through (pino child loggers satisfy it). */
export interface ConsensusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
