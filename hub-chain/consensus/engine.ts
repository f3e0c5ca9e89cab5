/**
 * The consensus engine: Tendermint's algorithm (Buchman, Kwon, Milosevic, "The latest gossip on
 * BFT consensus", 2018, Algorithm 1) for one height at a time, with voting power weighted
 * throughout.
 *
 * Everything the engine does runs through one mailbox, one input at a time: network messages,
 * timeouts, starts and height changes. An input is fully handled (including awaited signing,
 * block validation, commit and lock persistence) before the next one starts, so the paper's
 * "upon rules are executed atomically" holds and nothing that arrives during an await is lost.
 *
 * After each input, `evaluate` re-checks the upon rules until none fires. Rule order: decide (any
 * round) > skip to a higher round > propose-step prevote > prevote timeout > polka lock >
 * nil-polka precommit > precommit timeout.
 */
import type { Hex } from '../crypto/bytes.ts';
import { ZERO_HASH, isHex } from '../crypto/bytes.ts';
import { canonicalJson } from '../encoding/canonical-json.ts';
import { type Block, type Evidence, blockToJSON } from '../types/block.ts';
import { headerHash } from '../types/header.ts';
import type { ValidatorSet } from '../types/validator-set.ts';
import { type Commit, type Vote, VoteType, verifyCommit } from '../types/vote.ts';
import { duplicateVoteEvidence, evidenceKey } from './evidence.ts';
import {
  type BlockExecutor,
  type Clock,
  type ConsensusEvents,
  type ConsensusLockState,
  type ConsensusLogger,
  type ConsensusMessage,
  type ConsensusStateStore,
  type PrivValidator,
  type Proposal,
  Step,
  type TimeoutConfig,
  type Transport,
} from './types.ts';
import { SignatureCache, VoteSet } from './vote-book.ts';
import { errFields } from '../errors.ts';

export interface ConsensusEngineOptions {
  chainId: string;
  executor: BlockExecutor;
  /** Undefined on a node that follows consensus without voting. */
  privValidator?: PrivValidator;
  transport: Transport;
  clock: Clock;
  timeouts: TimeoutConfig;
  events?: ConsensusEvents;
  logger?: ConsensusLogger;
  store: ConsensusStateStore;
  /** Memo of signature checks; pass one instance to several engines in one process to share it. */
  signatureCache?: SignatureCache;
  /**
   * Whether a block proposed now would carry something (executable transactions); with
   * `timeouts.emptyBlocksIntervalMs`, round 0 waits while it is false. Unset: always true. Call
   * `workArrived()` when it turns true.
   */
  hasWork?: () => boolean;
}

/** Rounds above the current one whose messages are kept in full; further ones keep only each validator's latest. */
const FUTURE_ROUND_WINDOW = 2;
/** Proposals further ahead are dropped (computing far proposers costs time); they are gossiped again later. */
const MAX_PROPOSAL_LOOKAHEAD = 1000;
const MAX_ROUND = 0xffffffff;
const MAX_MAILBOX = 20_000;
const MAX_NEXT_HEIGHT_BUFFER = 2_000;
const MAX_PENDING_EVIDENCE = 100;
const MAX_COMMITTED_EVIDENCE_KEYS = 10_000;
/** Own votes of a height kept for a restart (two a round): the latest rounds' are the ones that matter. */
const MAX_OWN_VOTES = 64;

type TimeoutStep = Step.Propose | Step.Prevote | Step.Precommit;

type Input =
  | { kind: 'msg'; msg: ConsensusMessage }
  | { kind: 'timeout'; step: TimeoutStep; height: number; round: number }
  | { kind: 'start'; height: number; valset: ValidatorSet; lastCommit: Commit | null; lastBlockTime: number; done: (e?: unknown) => void }
  | { kind: 'next-height'; fromHeight: number; valset: ValidatorSet; commit: Commit; blockTime: number }
  | { kind: 'wake'; height: number };

interface Decided {
  block: Block;
  commit: Commit;
}

/** Everything that is reset when a height begins. */
class HeightState {
  readonly proposals = new Map<number, Proposal>();
  readonly proposalHash = new Map<number, Hex>();
  /** Blocks seen for this height by header hash (distinct contents; a byzantine proposer could vary the unhashed lastCommit). */
  readonly candidates = new Map<Hex, Block[]>();
  readonly prevotes = new Map<number, VoteSet>();
  readonly precommits = new Map<number, VoteSet>();
  /** Highest round each validator has sent anything in (drives the f+1 round skip). */
  readonly maxRound = new Map<Hex, number>();
  /** Verified messages of rounds beyond the window: only each validator's highest round is kept. */
  readonly future = new Map<Hex, { round: number; msgs: ConsensusMessage[] }>();
  /** "For the first time" rules, as `${rule}/${round}`. */
  readonly fired = new Set<string>();
  decidedCandidate: Decided | null = null;
  decision: Decided | null = null;
  private readonly proposers: Hex[] = [];
  private cursor: ValidatorSet;

  constructor(readonly valset: ValidatorSet) {
    this.cursor = valset;
  }

  /** valset.proposer(round), computed incrementally so that many rounds cost O(rounds * n) once. */
  proposer(round: number): Hex {
    while (this.proposers.length <= round) {
      const next = this.cursor.copyIncrement(1);
      this.proposers.push(next.validators[next.lastProposerIndex].address);
      this.cursor = next;
    }
    return this.proposers[round];
  }

  votes(type: VoteType, round: number): VoteSet {
    const m = type === VoteType.Prevote ? this.prevotes : this.precommits;
    let s = m.get(round);
    if (!s) m.set(round, (s = new VoteSet()));
    return s;
  }
}

export class ConsensusEngine {
  private readonly chainId: string;
  private readonly executor: BlockExecutor;
  private readonly priv: PrivValidator | undefined;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly timeouts: TimeoutConfig;
  private readonly events: ConsensusEvents;
  private readonly log: ConsensusLogger | undefined;
  private readonly store: ConsensusStateStore;
  private readonly sigs: SignatureCache;
  private readonly hasWork: () => boolean;
  /** Round 0 of this height waits for work (or the empty-blocks interval) before it proposes. */
  private waitingForWork = false;
  /** The next height's block, built ahead during the commit wait (`prebuild`). */
  private prebuilt: { height: number; block: Promise<Block | null> } | null = null;

  private h = 0;
  private r = 0;
  private s: Step = Step.Propose;
  private valset: ValidatorSet | null = null;
  private lastCommit: Commit | null = null;
  private lastBlockTime = 0;
  private lockedRound = -1;
  private lockedHash: Hex | null = null;
  private validRound = -1;
  private validBlock: Block | null = null;
  private validHash: Hex | null = null;
  private hs: HeightState | null = null;
  private lastDecided: Decided | null = null;

  private nextHeight = new Map<string, ConsensusMessage>();
  private readonly pending = new Map<string, Evidence>();
  private readonly committedEvidence = new Set<string>();
  private readonly verdicts = new WeakMap<Block, boolean>();
  private persistedKey = '';
  private persistedValidHash: Hex | null = null;
  /** Votes this validator signed at this height, persisted with the lock state before each is sent. */
  private ownVotes: Vote[] = [];

  private readonly timers = new Set<() => void>();
  private mailbox: Input[] = [];
  private messagesQueued = 0;
  private draining: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(opts: ConsensusEngineOptions) {
    this.chainId = opts.chainId;
    this.executor = opts.executor;
    this.priv = opts.privValidator;
    this.transport = opts.transport;
    this.clock = opts.clock;
    this.timeouts = opts.timeouts;
    this.events = opts.events ?? {};
    this.log = opts.logger;
    this.store = opts.store;
    this.sigs = opts.signatureCache ?? new SignatureCache();
    this.hasWork = opts.hasWork ?? (() => true);
  }

  // ---------------------------------------------------------------- public API

  get height(): number {
    return this.h;
  }
  get round(): number {
    return this.r;
  }
  get step(): Step {
    return this.s;
  }
  /** The lock (round -1 and null when unlocked). */
  get locked(): { round: number; blockHash: Hex | null } {
    return { round: this.lockedRound, blockHash: this.lockedHash };
  }

  /**
   * Begins `height` with its validator set (priorities included), the commit of height - 1 and
   * that block's time. Restores round and lock from the store when it holds this height.
   */
  start(height: number, valset: ValidatorSet, lastCommit: Commit | null, lastBlockTime: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue({ kind: 'start', height, valset, lastCommit, lastBlockTime, done: (e) => (e === undefined ? resolve() : reject(e)) });
    });
  }

  /** A message from the network. Never throws: bad input is dropped (and logged at debug). */
  receive(msg: ConsensusMessage): void {
    if (this.stopped) return;
    if (this.messagesQueued >= MAX_MAILBOX) {
      this.log?.warn({ height: this.h }, 'consensus mailbox full; dropping message');
      return;
    }
    this.messagesQueued++;
    this.enqueue({ kind: 'msg', msg });
  }

  /**
   * What to re-send periodically so that peers recover from loss or partition: the last decided
   * block with its commit (finishes a peer one height behind), the proposals of the current and
   * valid round, and every vote held for the current height (conflicting ones included).
   */
  gossipState(): ConsensusMessage[] {
    const out: ConsensusMessage[] = [];
    if (this.lastDecided) out.push({ kind: 'decided', block: this.lastDecided.block, commit: this.lastDecided.commit });
    const hs = this.hs;
    if (!hs || hs.decision || this.stopped) return out;
    for (const round of new Set([this.r, this.validRound])) {
      const p = hs.proposals.get(round);
      if (p) out.push({ kind: 'proposal', proposal: p });
    }
    for (const sets of [hs.prevotes, hs.precommits]) for (const set of sets.values()) for (const vote of set.votes()) out.push({ kind: 'vote', vote });
    return out;
  }

  /** Evidence found and not yet seen in a committed block (what the next own proposal carries). */
  pendingEvidence(): Evidence[] {
    return [...this.pending.values()];
  }

  /** Drops evidence that a committed block carries (the engine also does this for blocks it commits). */
  markEvidenceCommitted(e: Evidence): void {
    const key = evidenceKey(e);
    this.pending.delete(key);
    this.committedEvidence.add(key);
    if (this.committedEvidence.size > MAX_COMMITTED_EVIDENCE_KEYS) {
      const oldest = this.committedEvidence.values().next().value;
      if (oldest !== undefined) this.committedEvidence.delete(oldest);
    }
  }

  /** Resolves once every queued input has been handled (the simulation steps on this). */
  idle(): Promise<void> {
    if (!this.draining && this.mailbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimers();
    for (const input of this.mailbox) if (input.kind === 'start') input.done(new Error('consensus engine stopped'));
    this.mailbox = [];
    this.messagesQueued = 0;
  }

  // ---------------------------------------------------------------- mailbox

  private enqueue(input: Input): void {
    if (this.stopped) {
      if (input.kind === 'start') input.done(new Error('consensus engine stopped'));
      return;
    }
    this.mailbox.push(input);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    await Promise.resolve(); // let the caller's assignment of `draining` happen first
    while (this.mailbox.length > 0 && !this.stopped) {
      const input = this.mailbox.shift()!;
      if (input.kind === 'msg') this.messagesQueued--;
      try {
        await this.handle(input);
        if (input.kind === 'start') input.done();
      } catch (e) {
        if (input.kind === 'start') input.done(e);
        else this.log?.error({ ...errFields(e), height: this.h, round: this.r, input: input.kind }, 'consensus input failed');
      }
    }
    this.draining = null;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async handle(input: Input): Promise<void> {
    switch (input.kind) {
      case 'msg':
        return this.onMessage(input.msg);
      case 'timeout':
        return this.onTimeout(input.step, input.height, input.round);
      case 'start':
        return this.startHeight(input.height, input.valset, input.lastCommit, input.lastBlockTime);
      case 'next-height':
        if (this.h === input.fromHeight && this.s === Step.Commit) await this.startHeight(input.fromHeight + 1, input.valset, input.commit, input.blockTime);
        return;
      case 'wake':
        if (this.h === input.height && this.waitingForWork) await this.enterPropose(0);
        return;
    }
  }

  private scheduleInput(ms: number, input: Input): void {
    if (this.stopped) return;
    const cancel = this.clock.schedule(ms, () => {
      this.timers.delete(cancel);
      this.enqueue(input);
    });
    this.timers.add(cancel);
  }

  private cancelTimers(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  // ---------------------------------------------------------------- heights and rounds

  private async startHeight(height: number, valset: ValidatorSet, lastCommit: Commit | null, lastBlockTime: number): Promise<void> {
    this.cancelTimers();
    this.h = height;
    this.valset = valset;
    this.lastCommit = lastCommit;
    this.lastBlockTime = lastBlockTime;
    this.hs = new HeightState(valset);
    this.lockedRound = -1;
    this.lockedHash = null;
    this.validRound = -1;
    this.validBlock = null;
    this.validHash = null;
    this.persistedKey = '';
    this.persistedValidHash = null;
    this.ownVotes = [];
    let round = 0;
    let restored: Vote[] = [];
    const saved = await this.store.load();
    if (saved && saved.height === height) {
      // Restart within a height: resume the round and, above all, the lock.
      round = saved.round;
      this.lockedRound = saved.lockedRound;
      this.lockedHash = saved.lockedBlockHash;
      if (saved.validBlockHash) {
        const b = await this.store.getBlock(saved.validBlockHash);
        if (b) {
          this.validRound = saved.validRound;
          this.validBlock = b;
          this.validHash = saved.validBlockHash;
          this.addCandidate(saved.validBlockHash, b);
        }
      }
      // the private validator's last vote too: signed, then a crash before the engine recorded it
      const last = this.priv?.lastSignedVote?.();
      restored = this.restoreOwnVotes([...(saved.votes ?? []), ...(last ? [last] : [])]);
      this.persistedKey = JSON.stringify(this.lockState());
      this.persistedValidHash = this.validHash;
      this.log?.info({ height, round, lockedRound: this.lockedRound, ownVotes: restored.length }, 'consensus resumed from saved lock state');
    } else if (saved && saved.height > height) {
      this.log?.warn({ height, savedHeight: saved.height }, 'lock store is ahead of the chain; the private validator still refuses any double sign');
    }
    await this.startRound(round);
    // Resume at the step this validator had reached in the round: its votes there are sent again
    // (gossip re-sends every vote held), and it does not try to sign that step a second time.
    const mine = restored.filter((v) => v.round === round);
    if (mine.some((v) => v.type === VoteType.Precommit)) this.setStep(Step.Precommit);
    else if (mine.some((v) => v.type === VoteType.Prevote)) this.setStep(Step.Prevote);
    for (const v of restored) this.transport.broadcast({ kind: 'vote', vote: v });
    const buffered = [...this.nextHeight.values()];
    this.nextHeight = new Map();
    for (const msg of buffered) this.ingestSafely(msg);
    await this.evaluate();
  }

  private async startRound(round: number): Promise<void> {
    this.r = round;
    this.waitingForWork = false;
    this.setStep(Step.Propose);
    await this.persist();
    this.promoteFuture();
    const idleFor = round === 0 ? this.emptyBlockWait() : 0;
    if (idleFor > 0) {
      // Nothing to commit: wait for work or the interval. Proposals and votes of others are still
      // taken (the rules run in the propose step as ever); only this node's proposal and its
      // propose timeout wait.
      this.waitingForWork = true;
      this.scheduleInput(idleFor, { kind: 'wake', height: this.h });
      return;
    }
    await this.enterPropose(round);
  }

  private async enterPropose(round: number): Promise<void> {
    this.waitingForWork = false;
    this.scheduleTimeout(Step.Propose, round);
    if (this.priv && this.hs!.proposer(round) === this.priv.address.toLowerCase()) await this.propose(round);
  }

  /** How long round 0 waits before proposing: 0 when there is work or no empty-blocks interval. */
  private emptyBlockWait(): number {
    const every = this.timeouts.emptyBlocksIntervalMs ?? 0;
    if (every <= 0 || this.pending.size > 0 || this.hasWork()) return 0;
    return Math.max(0, this.lastBlockTime + every - Math.floor(this.clock.now()));
  }

  /** The node's mempool gained executable work: a height waiting for it proposes now. */
  workArrived(): void {
    if (this.waitingForWork) this.enqueue({ kind: 'wake', height: this.h });
  }

  private async propose(round: number): Promise<void> {
    const priv = this.priv!;
    let block: Block;
    let polRound: number;
    if (this.validBlock && this.validRound >= round) {
      // Only after a restart within this round: the polka was on the block this node proposed
      // here before, with a polRound not kept. That proposal cannot be signed again unchanged,
      // and another one would be a double sign; the round proceeds without it (timeouts).
      this.log?.info({ height: this.h, round, validRound: this.validRound }, 'not proposing again in a round that already has a polka');
      return;
    }
    if (this.validBlock) {
      block = this.validBlock;
      polRound = this.validRound;
    } else {
      const ahead = round === 0 && this.prebuilt?.height === this.h ? await this.prebuilt.block : null;
      this.prebuilt = null;
      if (ahead) block = { ...ahead, lastCommit: this.lastCommit };
      else {
        const time = Math.max(Math.floor(this.clock.now()), this.lastBlockTime + 1);
        try {
          block = await this.executor.createBlock({ height: this.h, round, proposer: priv.address, time, lastCommit: this.lastCommit, evidence: this.pendingEvidence() });
        } catch (e) {
          this.log?.warn({ ...errFields(e), height: this.h, round }, 'could not create a block to propose');
          return;
        }
      }
      this.verdicts.set(block, true); // built by our own executor
      polRound = -1;
    }
    let proposal: Proposal;
    try {
      proposal = await priv.signProposal(this.chainId, { height: this.h, round, polRound, block });
    } catch (e) {
      this.log?.warn({ ...errFields(e), height: this.h, round }, 'private validator refused to sign the proposal');
      return;
    }
    if (this.stopped) return;
    const hash = headerHash(block.header);
    const hs = this.hs!;
    hs.proposals.set(round, proposal);
    hs.proposalHash.set(round, hash);
    this.addCandidate(hash, block);
    this.noteRound(proposal.proposer.toLowerCase(), round);
    this.transport.broadcast({ kind: 'proposal', proposal });
  }

  private async onTimeout(step: TimeoutStep, height: number, round: number): Promise<void> {
    if (height !== this.h || round !== this.r || !this.hs || this.hs.decision) return;
    if (step === Step.Propose && this.s === Step.Propose) {
      await this.castVote(VoteType.Prevote, ZERO_HASH);
      this.setStep(Step.Prevote);
    } else if (step === Step.Prevote && this.s === Step.Prevote) {
      await this.castVote(VoteType.Precommit, ZERO_HASH);
      this.setStep(Step.Precommit);
    } else if (step === Step.Precommit) {
      await this.startRound(round + 1);
    }
    await this.evaluate();
  }

  private scheduleTimeout(step: TimeoutStep, round: number): void {
    const t = this.timeouts;
    const ms =
      step === Step.Propose ? t.proposeMs + round * t.proposeDeltaMs : step === Step.Prevote ? t.prevoteMs + round * t.prevoteDeltaMs : t.precommitMs + round * t.precommitDeltaMs;
    this.scheduleInput(ms, { kind: 'timeout', step, height: this.h, round });
  }

  private setStep(step: Step): void {
    if (step !== Step.Propose) this.waitingForWork = false;
    if (this.s === step) return;
    this.s = step;
    this.emit(() => this.events.onStep?.(this.h, this.r, step));
  }

  // ---------------------------------------------------------------- the upon rules

  private async evaluate(): Promise<void> {
    // Each rule that fires changes the state; rules that fire "for the first time" are flagged,
    // so the loop ends. The bound is a guard against a bug, not a limit the algorithm needs.
    for (let i = 0; i < 10_000; i++) {
      if (this.stopped || !this.hs || this.hs.decision) return;
      if (!(await this.applyRule())) return;
    }
    this.log?.error({ height: this.h, round: this.r }, 'consensus rules did not settle');
  }

  private async applyRule(): Promise<boolean> {
    const hs = this.hs!;
    const vs = this.valset!;
    if (await this.tryDecide()) return true;

    const skip = this.skipTarget();
    if (skip > this.r) {
      await this.startRound(skip);
      return true;
    }

    const r = this.r;
    const proposal = hs.proposals.get(r);
    const ph = hs.proposalHash.get(r);
    if (this.s === Step.Propose && proposal && ph) {
      const vr = proposal.polRound;
      if (vr === -1) {
        const ok = (await this.validBlockFor(ph)) !== null && (this.lockedRound === -1 || this.lockedHash === ph);
        await this.castVote(VoteType.Prevote, ok ? ph : ZERO_HASH);
        this.setStep(Step.Prevote);
        return true;
      }
      if (vr < r && vs.hasQuorum(hs.prevotes.get(vr)?.powerFor(ph) ?? 0)) {
        // A polka for v at vr >= lockedRound releases an older lock (the paper's line 28).
        const ok = (await this.validBlockFor(ph)) !== null && (this.lockedRound <= vr || this.lockedHash === ph);
        await this.castVote(VoteType.Prevote, ok ? ph : ZERO_HASH);
        this.setStep(Step.Prevote);
        return true;
      }
    }

    const prevotes = hs.prevotes.get(r);
    if (this.s === Step.Prevote && prevotes && vs.hasQuorum(prevotes.total) && this.firstTime('prevote-wait', r)) {
      this.scheduleTimeout(Step.Prevote, r);
      return true;
    }

    if (proposal && ph && prevotes && (this.s === Step.Prevote || this.s === Step.Precommit) && !hs.fired.has(`polka/${r}`) && vs.hasQuorum(prevotes.powerFor(ph))) {
      const block = await this.validBlockFor(ph);
      if (block) {
        hs.fired.add(`polka/${r}`);
        this.validRound = r;
        this.validBlock = block;
        this.validHash = ph;
        if (this.s === Step.Prevote) {
          this.lockedRound = r;
          this.lockedHash = ph;
          await this.persist(); // the lock is durable before the precommit that depends on it exists
          await this.castVote(VoteType.Precommit, ph);
          this.setStep(Step.Precommit);
        } else {
          await this.persist();
        }
        return true;
      }
    }

    if (this.s === Step.Prevote && prevotes && vs.hasQuorum(prevotes.powerFor(ZERO_HASH))) {
      await this.castVote(VoteType.Precommit, ZERO_HASH);
      this.setStep(Step.Precommit);
      return true;
    }

    const precommits = hs.precommits.get(r);
    if (precommits && vs.hasQuorum(precommits.total) && this.firstTime('precommit-wait', r)) {
      this.scheduleTimeout(Step.Precommit, r);
      return true;
    }
    return false;
  }

  private firstTime(rule: string, round: number): boolean {
    const key = `${rule}/${round}`;
    if (this.hs!.fired.has(key)) return false;
    this.hs!.fired.add(key);
    return true;
  }

  /** The highest round that validators with more than 1/3 of the power have reached (f+1 by power), or -1. */
  private skipTarget(): number {
    const hs = this.hs!;
    const entries = [...hs.maxRound].filter(([, round]) => round > this.r).sort((a, b) => b[1] - a[1]);
    let power = 0;
    for (const [addr, round] of entries) {
      power += this.valset!.get(addr)?.power ?? 0;
      // Some honest validator is at `round` or beyond, so moving there cannot overtake all honest nodes.
      if (this.valset!.hasOneThird(power)) return round;
    }
    return -1;
  }

  /** Decides when a block of this height has 2f+1 precommits in any round (or a verified decided message). */
  private async tryDecide(): Promise<boolean> {
    const hs = this.hs!;
    const cand = hs.decidedCandidate;
    if (cand) {
      const block = await this.validBlockFor(cand.commit.blockHash);
      if (block) {
        await this.decide(block, cand.commit, true);
        return true;
      }
      this.log?.error({ height: this.h, blockHash: cand.commit.blockHash }, 'a block with a valid commit failed validation here');
      hs.decidedCandidate = null;
    }
    for (const [round, set] of hs.precommits) {
      for (const [hash, power] of set.tallies()) {
        if (hash === ZERO_HASH || !this.valset!.hasQuorum(power)) continue;
        const block = await this.validBlockFor(hash);
        if (!block) continue; // the block may still arrive (proposal of another round, or decided gossip)
        const commit: Commit = { height: this.h, round, blockHash: hash, signatures: set.signaturesFor(hash, this.valset!.validators) };
        await this.decide(block, commit);
        return true;
      }
    }
    return false;
  }

  /** `caughtUp`: the decision came as a decided message, so the network has moved on and the commit pause only delays catching up. */
  private async decide(block: Block, commit: Commit, caughtUp = false): Promise<void> {
    const hs = this.hs!;
    hs.decision = { block, commit };
    this.cancelTimers();
    this.setStep(Step.Commit);
    let next: ValidatorSet;
    try {
      next = await this.executor.commitBlock(block, commit);
    } catch (e) {
      this.halt(e, 'commitBlock failed');
      return;
    }
    for (const e of block.evidence) this.markEvidenceCommitted(e);
    this.lastDecided = { block, commit };
    this.log?.info({ height: this.h, round: commit.round, blockHash: commit.blockHash, txs: block.txs.length }, 'committed block');
    this.emit(() => this.events.onCommit?.(block, commit));
    this.scheduleInput(caughtUp ? 0 : this.timeouts.commitMs, { kind: 'next-height', fromHeight: this.h, valset: next, commit, blockTime: block.header.time });
    if (!caughtUp) this.prebuild(this.h + 1, next, commit, block.header.time);
  }

  /**
   * The proposer of the next height's first round builds its block now, while every validator
   * waits out `commitMs` (late precommits, as CometBFT's timeout_commit): building (executing the
   * block) was the part of a height only the proposer ran while the others waited. Only with work
   * pending: an idle node builds at proposing, so what arrives during the wait goes in. The block
   * is built on the state just committed with the time of now; its lastCommit, outside the
   * header, is the one known at proposing. A build that fails is built again at proposing.
   */
  private prebuild(height: number, valset: ValidatorSet, commit: Commit, lastBlockTime: number): void {
    this.prebuilt = null;
    if (!this.priv || this.timeouts.commitMs <= 0 || !this.hasWork()) return;
    if (valset.proposer(0).address.toLowerCase() !== this.priv.address.toLowerCase()) return;
    const time = Math.max(Math.floor(this.clock.now()), lastBlockTime + 1);
    const block = this.executor.createBlock({ height, round: 0, proposer: this.priv.address, time, lastCommit: commit, evidence: this.pendingEvidence() }).catch((e: unknown) => {
      this.log?.warn({ ...errFields(e), height }, 'could not build the next block ahead; building it at proposing');
      return null;
    });
    this.prebuilt = { height, block };
  }

  private halt(e: unknown, why: string): void {
    this.log?.error({ ...errFields(e), height: this.h, round: this.r }, `consensus halted: ${why}`);
    this.stop();
    this.emit(() => this.events.onHalt?.(e));
  }

  // ---------------------------------------------------------------- signing and persistence

  private async castVote(type: VoteType, blockHash: Hex): Promise<void> {
    const priv = this.priv;
    if (!priv) return;
    const me = this.valset!.get(priv.address);
    if (!me) return;
    let vote: Vote;
    try {
      vote = await priv.signVote(this.chainId, { type, height: this.h, round: this.r, blockHash });
    } catch (e) {
      // The private validator holds a different (or a later) message for this step, e.g. one
      // signed before a crash that the vote record missed: staying silent is safe. The step still
      // ends by its timeout, as if the quorum wait had begun, so a round in which this validator
      // cannot vote moves on (to nil or the next round) instead of waiting for votes that may
      // never come.
      this.log?.warn({ ...errFields(e), height: this.h, round: this.r, type }, 'private validator refused to sign a vote');
      if (!this.stopped) {
        const step = type === VoteType.Prevote ? Step.Prevote : Step.Precommit;
        if (this.firstTime(step === Step.Prevote ? 'prevote-wait' : 'precommit-wait', this.r)) this.scheduleTimeout(step, this.r);
      }
      return;
    }
    // Recorded even when the engine stopped meanwhile: the signature exists, and a restart must send it again.
    const own: Vote = { ...vote, validator: me.address };
    this.hs!.votes(type, this.r).add(own, me.power);
    this.noteRound(me.address, this.r);
    this.ownVotes.push(own);
    if (this.ownVotes.length > MAX_OWN_VOTES) this.ownVotes.shift();
    await this.persist(); // the vote is on disk before it leaves, so a restart re-sends it
    if (this.stopped) return;
    this.transport.broadcast({ kind: 'vote', vote });
  }

  /** Takes back own votes of this height from the store (checked: signer and signature). */
  private restoreOwnVotes(votes: Vote[]): Vote[] {
    const priv = this.priv;
    const me = priv && this.valset!.get(priv.address);
    if (!me) return [];
    const out: Vote[] = [];
    for (const v of votes.slice(-MAX_OWN_VOTES)) {
      if (v.height !== this.h || v.validator.toLowerCase() !== me.address || !this.sigs.vote(this.chainId, v)) continue;
      const own: Vote = { ...v, validator: me.address };
      if (this.hs!.votes(v.type, v.round).add(own, me.power) !== 'added') continue;
      this.noteRound(me.address, v.round);
      out.push(own);
    }
    this.ownVotes = [...out];
    return out;
  }

  private lockState(): ConsensusLockState {
    return {
      height: this.h,
      round: this.r,
      lockedRound: this.lockedRound,
      lockedBlockHash: this.lockedHash,
      validRound: this.validRound,
      validBlockHash: this.validHash,
      votes: [...this.ownVotes],
    };
  }

  private async persist(): Promise<void> {
    const state = this.lockState();
    const key = JSON.stringify(state);
    if (key === this.persistedKey) return;
    try {
      if (this.validBlock && this.validHash !== this.persistedValidHash) await this.store.putBlock(this.validBlock);
      await this.store.save(state);
    } catch (e) {
      // Signing on top of a lock that is not durable could break safety after a crash.
      this.halt(e, 'could not persist the lock state');
      throw e;
    }
    this.persistedKey = key;
    this.persistedValidHash = this.validHash;
  }

  // ---------------------------------------------------------------- incoming messages

  private async onMessage(msg: ConsensusMessage): Promise<void> {
    if (!this.hs) return;
    if (this.ingestSafely(msg)) await this.evaluate();
  }

  /** Records a message; true when it may make a rule fire. */
  private ingestSafely(msg: ConsensusMessage): boolean {
    try {
      switch (msg?.kind) {
        case 'vote':
          return this.ingestVote(msg.vote);
        case 'proposal':
          return this.ingestProposal(msg.proposal);
        case 'decided':
          return this.ingestDecided(msg.block, msg.commit);
        default:
          return false;
      }
    } catch (e) {
      this.log?.debug({ ...errFields(e), height: this.h }, 'dropped malformed consensus message');
      return false;
    }
  }

  private bufferNextHeight(key: string, msg: ConsensusMessage): void {
    if (this.nextHeight.has(key) || this.nextHeight.size >= MAX_NEXT_HEIGHT_BUFFER) return;
    this.nextHeight.set(key, msg);
  }

  private ingestVote(raw: Vote): boolean {
    const hs = this.hs!;
    if (typeof raw !== 'object' || raw === null) return false;
    if (!isHex(raw.blockHash, 32) || !isHex(raw.validator, 20) || !isHex(raw.signature, 65)) return false;
    // Hex case is not signed: normalise, or a relayer could re-case an honest vote into a fake equivocation.
    const vote: Vote = { type: raw.type, height: raw.height, round: raw.round, blockHash: raw.blockHash.toLowerCase(), validator: raw.validator.toLowerCase(), signature: raw.signature.toLowerCase() };
    if (vote.type !== VoteType.Prevote && vote.type !== VoteType.Precommit) return false;
    if (!Number.isSafeInteger(vote.round) || vote.round < 0 || vote.round > MAX_ROUND) return false;
    if (vote.height === this.h + 1) {
      this.bufferNextHeight(`v/${vote.type}/${vote.round}/${vote.validator}/${vote.blockHash}`, { kind: 'vote', vote });
      return false;
    }
    if (vote.height !== this.h) return false;
    const val = this.valset!.get(vote.validator);
    if (!val) return false;
    if (vote.round > this.r + FUTURE_ROUND_WINDOW) {
      if (!this.sigs.vote(this.chainId, vote)) return false;
      this.keepFuture(val.address, vote.round, { kind: 'vote', vote });
      return true;
    }
    const set = hs.votes(vote.type, vote.round);
    // Cheap checks first: gossip repeats every vote, and a signature check costs a millisecond.
    if (set.has(val.address, vote.blockHash) || set.isFull(val.address)) return false;
    if (!this.sigs.vote(this.chainId, vote)) return false;
    const result = set.add(vote, val.power);
    if (result === 'conflict') this.recordEquivocation(set.first(val.address)!, vote);
    this.noteRound(val.address, vote.round);
    return result === 'added' || result === 'conflict';
  }

  private recordEquivocation(first: Vote, second: Vote): void {
    const e = duplicateVoteEvidence(first, second);
    const key = evidenceKey(e);
    if (this.committedEvidence.has(key) || this.pending.has(key)) return;
    if (this.pending.size >= MAX_PENDING_EVIDENCE) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(key, e);
    this.log?.warn({ validator: first.validator, height: first.height, round: first.round, type: first.type }, 'validator equivocated');
    this.emit(() => this.events.onEvidence?.(e));
  }

  private ingestProposal(p: Proposal): boolean {
    const hs = this.hs!;
    if (typeof p !== 'object' || p === null || !isHex(p.signature, 65) || typeof p.proposer !== 'string') return false;
    if (!Number.isSafeInteger(p.round) || p.round < 0 || p.round > MAX_ROUND) return false;
    if (!Number.isSafeInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) return false;
    if (p.height === this.h + 1) {
      this.bufferNextHeight(`p/${p.round}/${p.signature.toLowerCase()}`, { kind: 'proposal', proposal: p });
      return false;
    }
    if (p.height !== this.h || p.round > this.r + MAX_PROPOSAL_LOOKAHEAD) return false;
    const proposer = hs.proposer(p.round);
    if (p.proposer.toLowerCase() !== proposer) return false;
    const existing = hs.proposals.get(p.round);
    if (existing) return false; // a repeat, or the proposer signed a second block for the round: first wins
    const block = p.block;
    if (!block?.header || block.header.height !== this.h || block.header.chainId !== this.chainId || !Array.isArray(block.txs) || !Array.isArray(block.evidence)) return false;
    const hash = headerHash(block.header);
    if (this.sigs.proposalSigner(this.chainId, p, hash) !== proposer) return false;
    if (p.round > this.r + FUTURE_ROUND_WINDOW) {
      this.keepFuture(proposer, p.round, { kind: 'proposal', proposal: p });
      return true;
    }
    hs.proposals.set(p.round, { ...p, proposer });
    hs.proposalHash.set(p.round, hash);
    this.addCandidate(hash, block);
    this.noteRound(proposer, p.round);
    return true;
  }

  private ingestDecided(block: Block, commit: Commit): boolean {
    const hs = this.hs!;
    if (!block?.header || !commit) return false;
    if (block.header.chainId !== this.chainId || !Array.isArray(block.txs) || !Array.isArray(block.evidence)) return false;
    if (block.header.height === this.h + 1) {
      // Arrives while this height is still committing (block sync, or a peer's gossip): keep it
      // for the next height, where its commit is checked against that height's set.
      this.bufferNextHeight(`d/${headerHash(block.header)}`, { kind: 'decided', block, commit });
      return false;
    }
    if (hs.decision || hs.decidedCandidate || block.header.height !== this.h) return false;
    const hash = headerHash(block.header);
    verifyCommit(this.chainId, this.valset!, commit, this.h, hash); // throws on anything short of a valid 2/3+ commit
    hs.decidedCandidate = { block, commit: { height: commit.height, round: commit.round, blockHash: hash, signatures: commit.signatures.map((s) => ({ validator: s.validator.toLowerCase(), signature: s.signature })) } };
    this.addCandidate(hash, block);
    return true;
  }

  private noteRound(validator: Hex, round: number): void {
    const hs = this.hs!;
    if (round > (hs.maxRound.get(validator) ?? -1)) hs.maxRound.set(validator, round);
  }

  /** Keeps only each validator's highest far-future round, so a byzantine signer cannot fill memory with rounds. */
  private keepFuture(validator: Hex, round: number, msg: ConsensusMessage): void {
    const hs = this.hs!;
    const slot = hs.future.get(validator);
    if (!slot || round > slot.round) hs.future.set(validator, { round, msgs: [msg] });
    else if (round === slot.round && slot.msgs.length < 4) slot.msgs.push(msg);
    this.noteRound(validator, round);
  }

  private promoteFuture(): void {
    const hs = this.hs!;
    for (const [validator, slot] of [...hs.future]) {
      if (slot.round > this.r + FUTURE_ROUND_WINDOW) continue;
      hs.future.delete(validator);
      for (const msg of slot.msgs) this.ingestSafely(msg);
    }
  }

  // ---------------------------------------------------------------- blocks

  private addCandidate(hash: Hex, block: Block): void {
    const hs = this.hs!;
    const list = hs.candidates.get(hash) ?? [];
    if (list.some((b) => sameBlock(b, block)) || list.length >= 4) return;
    list.push(block);
    hs.candidates.set(hash, list);
  }

  /** A block with this header hash that passed validation, or null. validateBlock runs once per distinct block. */
  private async validBlockFor(hash: Hex): Promise<Block | null> {
    for (const b of this.hs!.candidates.get(hash) ?? []) if (await this.isValid(b)) return b;
    return null;
  }

  private async isValid(block: Block): Promise<boolean> {
    const known = this.verdicts.get(block);
    if (known !== undefined) return known;
    let ok = true;
    try {
      await this.executor.validateBlock(block, { height: this.h, round: this.r, now: this.clock.now() });
    } catch (e) {
      ok = false;
      this.log?.info({ ...errFields(e), height: this.h, blockHash: headerHash(block.header) }, 'proposed block is invalid');
    }
    this.verdicts.set(block, ok);
    return ok;
  }

  private emit(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log?.warn({ ...errFields(e) }, 'consensus event handler threw');
    }
  }
}

/** Same content (only the unhashed lastCommit can differ between blocks with one header hash, but compare all). */
function sameBlock(a: Block, b: Block): boolean {
  if (a === b) return true;
  if (a.txs.length !== b.txs.length || a.evidence.length !== b.evidence.length || (a.lastCommit === null) !== (b.lastCommit === null)) return false;
  return canonicalJson(blockToJSON(a)) === canonicalJson(blockToJSON(b));
}
