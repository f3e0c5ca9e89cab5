/**
 * Deterministic simulation of N consensus engines in one process.
 *
 * One seeded PRNG drives everything random (message delay, loss, duplication, and so reordering;
 * gossip phases; the equivocator's split). One event queue holds every future event (message
 * deliveries, engine timers, gossip ticks) keyed by simulated time; after each event the harness
 * waits until every engine is idle and then checks the safety invariants, so a violation is
 * reported at the first event that causes it.
 *
 * Each node has a "disk" that survives a crash: its executor's committed blocks, its private
 * validator's last-sign state and its consensus lock store. A crash drops the engine and the
 * private validator object; a restart builds new ones over the same disk.
 */
import { ConsensusEngine } from '../../hub-chain/consensus/engine.ts';
import { GuardedPrivValidator, MemorySignStateStore } from '../../hub-chain/consensus/priv-validator.ts';
import { MemoryConsensusStateStore } from '../../hub-chain/consensus/state-store.ts';
import type { ConsensusLogger, ConsensusMessage, PrivValidator, Proposal, TimeoutConfig } from '../../hub-chain/consensus/types.ts';
import { SignatureCache } from '../../hub-chain/consensus/vote-book.ts';
import { type Bytes, type Hex, ZERO_HASH, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../hub-chain/crypto/hash.ts';
import { addressFromPublicKey, validatorPublicKey } from '../../hub-chain/crypto/secp256k1.ts';
import type { Evidence } from '../../hub-chain/types/block.ts';
import { headerHash } from '../../hub-chain/types/header.ts';
import { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import { type Vote, isNil, signVote } from '../../hub-chain/types/vote.ts';
import { SimExecutor } from './executor.ts';
import { Prng } from './prng.ts';
import { EventQueue, SimClock } from './scheduler.ts';

export const CHAIN_ID = 'pontis-sim';
const START_TIME = 1_700_000_000_000;

export const SIM_TIMEOUTS: TimeoutConfig = {
  proposeMs: 400,
  proposeDeltaMs: 200,
  prevoteMs: 200,
  prevoteDeltaMs: 100,
  precommitMs: 200,
  precommitDeltaMs: 100,
  commitMs: 100,
};

export interface NetConfig {
  minDelayMs: number;
  maxDelayMs: number;
  dropRate: number;
  dupRate: number;
}

export const GOOD_NET: NetConfig = { minDelayMs: 5, maxDelayMs: 40, dropRate: 0, dupRate: 0 };

export interface SimOptions {
  seed: number;
  powers: number[];
  /** Indexes (into `powers`) of validators that equivocate on every vote. */
  byzantine?: number[];
  net?: NetConfig;
  timeouts?: TimeoutConfig;
  gossipMs?: number;
  /** For debugging a seed: a logger per node. */
  logger?: (node: number) => ConsensusLogger;
  /** Whether node i has work for a block (the engine's `hasWork`); unset: always. */
  hasWork?: (node: number) => boolean;
}

/** What travels between simulated nodes: consensus messages, or a status asking for a decided block. */
type Packet = { kind: 'consensus'; msgs: ConsensusMessage[] } | { kind: 'status'; height: number };

export class SimNode {
  readonly address: Hex;
  readonly signDisk = new MemorySignStateStore();
  readonly lockDisk = new MemoryConsensusStateStore();
  readonly executor: SimExecutor;
  engine: ConsensusEngine | null = null;
  crashed = true;
  readonly evidence: Evidence[] = [];

  constructor(
    readonly index: number,
    readonly secretKey: Bytes,
    readonly power: number,
    readonly byzantine: boolean,
    genesis: ValidatorSet,
    sigs: SignatureCache,
  ) {
    this.address = addressFromPublicKey(validatorPublicKey(secretKey));
    this.executor = new SimExecutor(CHAIN_ID, genesis, START_TIME - 1000, sigs);
  }

  get height(): number {
    return this.executor.height;
  }
}

export class SimViolation extends Error {
  override name = 'SimViolation';
}

export class Simulation {
  readonly queue = new EventQueue();
  readonly clock = new SimClock(this.queue, START_TIME);
  readonly rng: Prng;
  readonly nodes: SimNode[];
  readonly valset: ValidatorSet;
  readonly sigs = new SignatureCache();
  net: NetConfig;
  /**
   * Scripted adversarial network (checked at delivery, per message): false drops it. `msg` is
   * null for a block-sync status request.
   */
  filter: ((from: number, to: number, msg: ConsensusMessage | null) => boolean) | null = null;
  events = 0;
  private groups: number[][] | null = null;
  private readonly timeouts: TimeoutConfig;
  private readonly gossipMs: number;
  /** First block hash any honest node committed at each height. */
  private readonly decided = new Map<number, Hex>();
  private readonly checkedUpTo: number[];
  /** Everything an honest private validator signed: `${node}/${kind}/${height}/${round}` -> digest subject. */
  private readonly signed = new Map<string, Hex>();
  private violation: string | null = null;

  constructor(readonly opts: SimOptions) {
    this.rng = new Prng(opts.seed);
    this.net = opts.net ?? GOOD_NET;
    this.timeouts = opts.timeouts ?? SIM_TIMEOUTS;
    this.gossipMs = opts.gossipMs ?? 250;
    const keys = opts.powers.map((_, i) => keccak256(utf8(`pontis-sim/${opts.seed}/${i}`)));
    this.valset = new ValidatorSet(keys.map((k, i) => ({ address: '', publicKey: toHex(validatorPublicKey(k)), power: opts.powers[i] })));
    const byz = new Set(opts.byzantine ?? []);
    this.nodes = keys.map((k, i) => new SimNode(i, k, opts.powers[i], byz.has(i), this.valset, this.sigs));
    this.checkedUpTo = this.nodes.map(() => 0);
  }

  get now(): number {
    return this.clock.now();
  }

  honest(): SimNode[] {
    return this.nodes.filter((n) => !n.byzantine);
  }

  /** Highest height any node has committed. */
  maxHeight(): number {
    return Math.max(...this.nodes.map((n) => n.height));
  }

  minHeight(nodes: SimNode[] = this.nodes): number {
    return Math.min(...nodes.map((n) => n.height));
  }

  async boot(): Promise<void> {
    for (const n of this.nodes) await this.restart(n.index);
    for (const n of this.nodes) this.scheduleGossip(n, this.rng.int(0, this.gossipMs));
  }

  // ------------------------------------------------------------ faults

  crash(i: number): void {
    const n = this.nodes[i];
    n.engine?.stop();
    n.engine = null;
    n.crashed = true;
  }

  /** Starts node i over its disk (also used to boot). */
  async restart(i: number): Promise<void> {
    const n = this.nodes[i];
    const inner = await GuardedPrivValidator.create(n.secretKey, n.signDisk);
    const priv = n.byzantine ? inner : this.recordingPriv(n, inner);
    const engine = new ConsensusEngine({
      chainId: CHAIN_ID,
      executor: n.executor,
      privValidator: priv,
      transport: { broadcast: (msg) => this.broadcastFrom(n, msg) },
      clock: this.clock,
      timeouts: this.timeouts,
      store: n.lockDisk,
      signatureCache: this.sigs,
      logger: this.opts.logger?.(i),
      ...(this.opts.hasWork ? { hasWork: () => this.opts.hasWork!(i) } : {}),
      events: {
        onEvidence: (e) => n.evidence.push(e),
        // Ask for the next decided block at once: a node catching up moves one height per round trip.
        onCommit: () => this.requestNext(n),
        onHalt: (e) => this.fail(`node ${i} halted: ${String(e)}`),
      },
    });
    n.engine = engine;
    n.crashed = false;
    const ex = n.executor;
    ex.now = () => this.now;
    await engine.start(ex.height + 1, ex.valsetFor(ex.height + 1), ex.lastCommit(), ex.lastTime());
    await this.settle();
  }

  /** Splits the network; messages between groups are dropped (also those already in flight). */
  partition(groups: number[][]): void {
    this.groups = groups;
  }

  heal(): void {
    this.groups = null;
  }

  private connected(a: number, b: number): boolean {
    if (!this.groups) return true;
    return this.groups.some((g) => g.includes(a) && g.includes(b));
  }

  // ------------------------------------------------------------ running

  /** Runs events until `done()` holds (checked after each event) or `ms` of simulated time pass. */
  async runUntil(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = this.now + ms;
    while (!done()) {
      if (!(await this.step(deadline))) return done();
    }
    return true;
  }

  async runFor(ms: number): Promise<void> {
    await this.runUntil(() => false, ms);
  }

  private async step(deadline: number): Promise<boolean> {
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.time > deadline) {
        this.clock.time = Math.max(this.clock.time, deadline);
        return false;
      }
      const ev = this.queue.pop()!;
      if (ev.cancelled) continue;
      this.clock.time = ev.time;
      await ev.fn();
      this.events++;
      await this.settle();
      this.checkInvariants();
      return true;
    }
  }

  private async settle(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.engine?.idle()));
  }

  // ------------------------------------------------------------ network

  private broadcastFrom(n: SimNode, msg: ConsensusMessage): void {
    const peers = this.nodes.filter((p) => p !== n).map((p) => p.index);
    if (n.byzantine && msg.kind === 'vote') {
      // Equivocate: half of the peers get the real vote, the other half a conflicting one,
      // signed with the raw key (bypassing the private validator's protection).
      const v = msg.vote;
      const other = isNil(v.blockHash) ? toHex(this.rng.bytes(32)) : ZERO_HASH;
      const alt = signVote(CHAIN_ID, { type: v.type, height: v.height, round: v.round, blockHash: other }, n.secretKey, n.address);
      const order = this.rng.shuffle(peers);
      const half = Math.ceil(order.length / 2);
      order.forEach((p, k) => this.send(n.index, p, { kind: 'consensus', msgs: [k < half ? msg : { kind: 'vote', vote: alt }] }));
      return;
    }
    for (const p of peers) this.send(n.index, p, { kind: 'consensus', msgs: [msg] });
  }

  private send(from: number, to: number, packet: Packet): void {
    if (this.nodes[from].crashed || !this.connected(from, to)) return;
    if (this.rng.chance(this.net.dropRate)) return;
    const copies = this.rng.chance(this.net.dupRate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = this.rng.int(this.net.minDelayMs, this.net.maxDelayMs + 1);
      this.queue.push(this.now + delay, () => this.deliver(from, to, packet));
    }
  }

  private deliver(from: number, to: number, packet: Packet): void {
    const n = this.nodes[to];
    if (n.crashed || !n.engine || !this.connected(from, to)) return;
    if (packet.kind === 'status') {
      if (this.filter && !this.filter(from, to, null)) return;
      // Block sync in miniature: a peer behind gets the decided block it is missing.
      const b = n.executor.blocks[packet.height - 1];
      if (b) this.send(to, from, { kind: 'consensus', msgs: [{ kind: 'decided', block: b.block, commit: b.commit }] });
      return;
    }
    // Each node gets its own copy, as it would after decoding from the wire.
    for (const m of packet.msgs) if (!this.filter || this.filter(from, to, m)) n.engine.receive(structuredClone(m));
  }

  private requestNext(n: SimNode): void {
    for (const p of this.nodes) if (p !== n) this.send(n.index, p.index, { kind: 'status', height: n.height + 1 });
  }

  private scheduleGossip(n: SimNode, delay: number): void {
    this.queue.push(this.now + delay, () => {
      if (!n.crashed && n.engine) {
        const msgs = n.engine.gossipState();
        for (const p of this.nodes) if (p !== n && msgs.length > 0) this.send(n.index, p.index, { kind: 'consensus', msgs });
        this.requestNext(n);
      }
      this.scheduleGossip(n, this.gossipMs);
    });
  }

  // ------------------------------------------------------------ invariants

  private recordingPriv(n: SimNode, inner: PrivValidator): PrivValidator {
    const note = (kind: string, height: number, round: number, subject: Hex): void => {
      const key = `${n.index}/${kind}/${height}/${round}`;
      const prev = this.signed.get(key);
      if (prev !== undefined && prev !== subject) this.fail(`honest node ${n.index} signed conflicting ${kind} at ${height}/${round}: ${prev} vs ${subject}`);
      this.signed.set(key, subject);
    };
    return {
      address: inner.address,
      signVote: async (chainId, v): Promise<Vote> => {
        const out = await inner.signVote(chainId, v);
        note(`vote${out.type}`, out.height, out.round, out.blockHash);
        return out;
      },
      signProposal: async (chainId, p): Promise<Proposal> => {
        const out = await inner.signProposal(chainId, p);
        note('proposal', out.height, out.round, `${out.polRound}/${headerHash(out.block.header)}`);
        return out;
      },
    };
  }

  /** What honest node `i` signed as its proposal at (height, round): `${polRound}/${blockHash}`. */
  signedProposal(i: number, height: number, round: number): string | undefined {
    return this.signed.get(`${i}/proposal/${height}/${round}`);
  }

  private fail(why: string): void {
    this.violation ??= `seed ${this.opts.seed} t=${this.now - START_TIME}ms: ${why}`;
  }

  /** Agreement among honest nodes, checked incrementally; throws at the first violation. */
  checkInvariants(): void {
    for (const n of this.nodes) {
      if (n.byzantine) continue;
      const blocks = n.executor.blocks;
      for (let h = this.checkedUpTo[n.index] + 1; h <= blocks.length; h++) {
        const hash = blocks[h - 1].hash;
        const first = this.decided.get(h);
        if (first === undefined) this.decided.set(h, hash);
        else if (first !== hash) this.fail(`honest nodes committed different blocks at height ${h}: ${first} vs ${hash} (node ${n.index})`);
      }
      this.checkedUpTo[n.index] = blocks.length;
    }
    if (this.violation) throw new SimViolation(this.violation);
  }
}
