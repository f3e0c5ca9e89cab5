/**
 * One engine driven by hand: a manual clock, a transport that records what the engine sends,
 * and validators whose keys the test holds, so it can forge any proposal or vote the
 * engine should see.
 */
import { ConsensusEngine } from '../../../hub-chain/consensus/engine.ts';
import { GuardedPrivValidator, MemorySignStateStore } from '../../../hub-chain/consensus/priv-validator.ts';
import { MemoryConsensusStateStore } from '../../../hub-chain/consensus/state-store.ts';
import type { BlockExecutor, Clock, ConsensusMessage, ProposeContext, Proposal, TimeoutConfig } from '../../../hub-chain/consensus/types.ts';
import { type Bytes, type Hex, ZERO_HASH, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../hub-chain/crypto/hash.ts';
import { addressFromPublicKey, signDigest, validatorPublicKey } from '../../../hub-chain/crypto/secp256k1.ts';
import { PontisError } from '../../../hub-chain/errors.ts';
import { type Block, type Evidence, evidenceHash, txRoot } from '../../../hub-chain/types/block.ts';
import { headerHash } from '../../../hub-chain/types/header.ts';
import { ValidatorSet } from '../../../hub-chain/types/validator-set.ts';
import { type Commit, type Vote, VoteType, proposalDigest, signVote } from '../../../hub-chain/types/vote.ts';

export const CHAIN_ID = 'pontis-unit';
export const T0 = 1_700_000_000_000;
export const TIMEOUTS: TimeoutConfig = { proposeMs: 1000, proposeDeltaMs: 500, prevoteMs: 500, prevoteDeltaMs: 500, precommitMs: 500, precommitDeltaMs: 500, commitMs: 100 };

export class ManualClock implements Clock {
  t = T0;
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;
  now(): number {
    return this.t;
  }
  schedule(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + ms, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }
  /** Fires due timers in order, letting `engine` finish after each. */
  async advance(ms: number, engine: ConsensusEngine): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => !x.cancelled && x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.t = due.at;
      due.fn();
      await engine.idle();
    }
    this.t = end;
  }
}

export interface Key {
  sk: Bytes;
  address: Hex;
  power: number;
}

export function makeKeys(powers: number[], tag = 'unit'): Key[] {
  return powers.map((power, i) => {
    const sk = keccak256(utf8(`${tag}/${i}`));
    return { sk, address: addressFromPublicKey(validatorPublicKey(sk)), power };
  });
}

export function makeValset(keys: Key[]): ValidatorSet {
  return new ValidatorSet(keys.map((k) => ({ address: k.address, publicKey: toHex(validatorPublicKey(k.sk)), power: k.power })));
}

/** Executor that accepts any block not listed in `invalid` and records what it is asked. */
export class StubExecutor implements BlockExecutor {
  readonly validated: Hex[] = [];
  readonly committed: { block: Block; commit: Commit }[] = [];
  readonly created: ProposeContext[] = [];
  readonly invalid = new Set<Hex>();

  constructor(private readonly valset: ValidatorSet) {}

  async createBlock(ctx: ProposeContext): Promise<Block> {
    this.created.push(ctx);
    return makeBlock(this.valset, ctx.height, `own-r${ctx.round}`, ctx.proposer, ctx.evidence, ctx.time);
  }
  async validateBlock(block: Block): Promise<void> {
    const hash = headerHash(block.header);
    this.validated.push(hash);
    if (this.invalid.has(hash)) throw new PontisError('PNT_ERR_TEST_INVALID', 'marked invalid');
  }
  async commitBlock(block: Block, commit: Commit): Promise<ValidatorSet> {
    this.committed.push({ block, commit });
    return this.valset.nextHeightSet();
  }
}

export function makeBlock(valset: ValidatorSet, height: number, tag: string, proposer: Hex, evidence: Evidence[] = [], time = T0 + height): Block {
  const txs = [utf8(tag)];
  return {
    header: {
      chainId: CHAIN_ID,
      height,
      time,
      prevHash: ZERO_HASH,
      txRoot: txRoot(txs),
      stateRoot: ZERO_HASH,
      validatorsHash: valset.hash(),
      nextValidatorsHash: valset.hash(),
      evidenceHash: evidenceHash(evidence),
      resultsHash: ZERO_HASH,
      proposer,
    },
    txs,
    evidence,
    lastCommit: null,
  };
}

export function proposal(key: Key, height: number, round: number, polRound: number, block: Block): ConsensusMessage {
  const sig = signDigest(proposalDigest(CHAIN_ID, height, round, polRound, headerHash(block.header)), key.sk);
  const p: Proposal = { height, round, polRound, block, proposer: key.address, signature: toHex(sig) };
  return { kind: 'proposal', proposal: p };
}

export function vote(key: Key, type: VoteType, height: number, round: number, blockHash: Hex): ConsensusMessage {
  return { kind: 'vote', vote: signVote(CHAIN_ID, { type, height, round, blockHash }, key.sk, key.address) };
}

export function commitFor(keys: Key[], height: number, round: number, block: Block): Commit {
  const blockHash = headerHash(block.header);
  return { height, round, blockHash, signatures: keys.map((k) => ({ validator: k.address, signature: (vote(k, VoteType.Precommit, height, round, blockHash) as { vote: Vote }).vote.signature })) };
}

/** An engine for validator `me` over `keys`, with everything it does recorded. */
export class Harness {
  readonly clock = new ManualClock();
  readonly sent: ConsensusMessage[] = [];
  readonly evidence: Evidence[] = [];
  readonly valset: ValidatorSet;
  readonly executor: StubExecutor;
  engine!: ConsensusEngine;

  private constructor(
    readonly keys: Key[],
    readonly me: Key,
    readonly signDisk: MemorySignStateStore,
    readonly lockDisk: MemoryConsensusStateStore,
  ) {
    this.valset = makeValset(keys);
    this.executor = new StubExecutor(this.valset);
  }

  static async create(keys: Key[], me: Key, disks?: { sign: MemorySignStateStore; lock: MemoryConsensusStateStore }): Promise<Harness> {
    const h = new Harness(keys, me, disks?.sign ?? new MemorySignStateStore(), disks?.lock ?? new MemoryConsensusStateStore());
    await h.boot();
    return h;
  }

  /** (Re)creates the engine over the same disks and starts height 1. */
  async boot(): Promise<void> {
    this.engine?.stop();
    this.engine = new ConsensusEngine({
      chainId: CHAIN_ID,
      executor: this.executor,
      privValidator: await GuardedPrivValidator.create(this.me.sk, this.signDisk),
      transport: { broadcast: (m) => this.sent.push(m) },
      clock: this.clock,
      timeouts: TIMEOUTS,
      store: this.lockDisk,
      events: { onEvidence: (e) => this.evidence.push(e) },
    });
    await this.engine.start(1, this.valset, null, T0 - 1000);
  }

  async deliver(...msgs: ConsensusMessage[]): Promise<void> {
    for (const m of msgs) this.engine.receive(m);
    await this.engine.idle();
  }

  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms, this.engine);
  }

  /** The key of the proposer of `round` at height 1. */
  proposer(round: number): Key {
    const addr = this.valset.proposer(round).address;
    return this.keys.find((k) => k.address === addr)!;
  }

  /** Validators other than `me` (and other than `except`). */
  others(...except: Key[]): Key[] {
    return this.keys.filter((k) => k !== this.me && !except.includes(k));
  }

  /** The block hash this engine voted for (type, round), or undefined if it has not voted. */
  myVote(type: VoteType, round: number, height = 1): Hex | undefined {
    for (const m of this.sent) if (m.kind === 'vote' && m.vote.type === type && m.vote.round === round && m.vote.height === height) return m.vote.blockHash;
    return undefined;
  }
}

/** Keys for four equal validators, and `me`: one that proposes in none of rounds 0..2 at height 1. */
export function fourValidators(tag = 'unit'): { keys: Key[]; me: Key } {
  for (let attempt = 0; ; attempt++) {
    const keys = makeKeys([10, 10, 10, 10], `${tag}/${attempt}`);
    const vs = makeValset(keys);
    const proposers = new Set([0, 1, 2].map((r) => vs.proposer(r).address));
    const me = keys.find((k) => !proposers.has(k.address));
    if (me) return { keys, me };
  }
}
