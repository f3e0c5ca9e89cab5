/**
 * Block sync: how a node that fell behind gets back to the tip at the speed of its disk.
 *
 * Two or more heights behind the best peer, the node leaves consensus (a validator that is
 * behind cannot vote usefully anyway), fetches blocks in windows from its peers with several
 * requests in flight, checks each block's commit against the validator set its own state names
 * for that height, and executes and commits the blocks back to back. Once no peer reports a
 * height above its own it hands over to consensus again. One height behind, the engine is fed the
 * missing block as a `decided` message (the engine keeps one that arrives early), so a node that
 * merely missed a commit does not leave consensus.
 *
 * Nothing a peer sends is trusted: a block whose commit does not verify, or that does not execute
 * to its header, is dropped with everything else buffered from that peer, and the peer is left
 * out of requests for a while. Peers that claim heights they cannot serve are treated alike.
 */
import type { Logger } from 'pino';
import { PontisError, errFields } from '../errors.ts';
import type { Block } from '../types/block.ts';
import { type WireBlock, blockFromWire } from './wire.ts';
import type { Commit } from '../types/vote.ts';
import type { Chain } from './chain.ts';
import type { WireMessage } from './wire.ts';

/** Blocks asked for per request; replies are also byte-bounded by the serving peer. */
export const SYNC_WINDOW = 50;
/** Requests in flight at once (spread over peers). */
const MAX_IN_FLIGHT = 4;
/** How far past the next height to request ahead (bounds buffered memory). */
const LOOKAHEAD = 400;
const REQUEST_TIMEOUT_MS = 5_000;
const BAN_MS = 30_000;
/** One height behind and no progress for this long: fetch the missing block for the engine. */
const LAG_ONE_FETCH_MS = 1_000;
/** Blocks committed in one LMDB transaction (one flush to disk per run, not per block). */
const MAX_RUN = 32;

export class SyncError extends PontisError {
  override name = 'SyncError';
}

export interface SyncPeer {
  /** The link the peer's status came in on; replies to requests sent on it come back with this id. */
  id: string;
  height: number;
  send(m: WireMessage): void;
}

export interface BlockSyncDeps {
  chain: Chain;
  log: Logger;
  peers(): SyncPeer[];
  /** Stops the consensus engine and waits until it is idle. */
  pauseConsensus(): Promise<void>;
  /** Starts consensus at the chain's next height. */
  resumeConsensus(): Promise<void>;
  /** Hands a block one height ahead to the running engine (lag of one). */
  feedDecided(block: Block, commit: Commit): void;
  /** Milliseconds since the chain last committed. */
  sinceProgressMs(): number;
}

interface Request {
  peer: string;
  from: number;
  to: number;
  at: number;
}

interface Buffered {
  block: Block;
  commit: Commit;
  peer: string;
}

export interface SyncStats {
  running: boolean;
  applied: number;
  lastRateBlocksPerS: number;
}

export class BlockSync {
  private running = false;
  private stopped = false;
  private readonly requests = new Map<number, Request>();
  private readonly buffer = new Map<number, Buffered>();
  private readonly banned = new Map<string, number>();
  private wake: (() => void) | undefined;
  private lagOneAskedAt = 0;
  private appliedTotal = 0;
  private lastRate = 0;

  constructor(private readonly d: BlockSyncDeps) {}

  get isRunning(): boolean {
    return this.running;
  }

  stats(): SyncStats {
    return { running: this.running, applied: this.appliedTotal, lastRateBlocksPerS: this.lastRate };
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** Called on every peer status and heartbeat: starts a sync session, or fetches one block for the engine. */
  check(): void {
    if (this.running || this.stopped) return;
    const mine = this.d.chain.latestHeight();
    const best = this.bestHeight();
    if (best >= mine + 2) {
      void this.run();
      return;
    }
    const now = Date.now();
    if (best === mine + 1 && this.d.sinceProgressMs() > LAG_ONE_FETCH_MS && now - this.lagOneAskedAt > LAG_ONE_FETCH_MS) {
      const peer = this.pickPeer(mine + 1);
      if (!peer) return;
      this.lagOneAskedAt = now;
      peer.send({ t: 'get-blocks', from: mine + 1, to: mine + 1 });
    }
  }

  /** A `blocks` reply from the peer behind link `from`. */
  onBlocks(from: string, items: { block: unknown; commit: unknown }[]): void {
    if (!Array.isArray(items)) return;
    if (!this.running) {
      // outside a session only the next block is wanted, for the engine, which checks its commit
      const next = this.d.chain.latestHeight() + 1;
      for (const it of items) {
        const parsed = parseItem(it);
        if (parsed?.block.header.height === next) this.d.feedDecided(parsed.block, parsed.commit);
      }
      return;
    }
    const reqs = [...this.requests.values()].filter((r) => r.peer === from);
    if (reqs.length === 0) return; // unsolicited, or answered after its timeout
    let got = 0;
    for (const it of items) {
      const parsed = parseItem(it);
      if (!parsed) continue;
      const h = parsed.block.header.height;
      if (!reqs.some((r) => h >= r.from && h <= r.to) || this.buffer.has(h) || h <= this.d.chain.latestHeight()) continue;
      this.buffer.set(h, { ...parsed, peer: from });
      got++;
    }
    // a reply answers the request it starts in; a short reply leaves the rest for a new request
    const first = items.length > 0 ? parseItem(items[0])?.block.header.height : undefined;
    for (const r of reqs) {
      if (first !== undefined ? first >= r.from && first <= r.to : true) this.requests.delete(r.from);
    }
    if (got === 0 && items.length === 0) this.distrust(from, 'peer had none of the blocks it claimed');
    this.wake?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    const startHeight = this.d.chain.latestHeight();
    const t0 = performance.now();
    let applied = 0;
    this.d.log.info({ height: startHeight, best: this.bestHeight() }, 'block sync: behind the network, leaving consensus to catch up');
    try {
      await this.d.pauseConsensus();
      while (!this.stopped) {
        const next = this.d.chain.latestHeight() + 1;
        const best = this.bestHeight();
        if (best < next) break;
        this.expireRequests();
        this.fillRequests(next, best);
        // the contiguous run of buffered blocks from `next`, committed in one transaction
        const run: Buffered[] = [];
        for (let h = next; run.length < MAX_RUN && this.buffer.has(h); h++) run.push(this.buffer.get(h)!);
        if (run.length === 0) {
          await this.waitForData(250);
          continue;
        }
        for (const it of run) this.buffer.delete(it.block.header.height);
        const r = this.d.chain.commitSynced(run);
        applied += r.applied;
        this.appliedTotal += r.applied;
        if (r.error !== undefined) {
          const bad = run[r.applied];
          this.d.log.warn({ ...errFields(r.error), height: bad.block.header.height, peer: bad.peer }, 'block sync: dropped a block that does not verify');
          this.distrust(bad.peer, 'sent a block that does not verify');
        }
        await new Promise((res) => setImmediate(res)); // peer messages, RPC status and timers between runs
      }
    } catch (e) {
      this.d.log.error({ ...errFields(e) }, 'block sync failed');
    } finally {
      this.requests.clear();
      this.buffer.clear();
      const secs = (performance.now() - t0) / 1000;
      this.lastRate = applied > 0 ? Math.round(applied / Math.max(secs, 1e-3)) : 0;
      this.d.log.info({ applied, from: startHeight, height: this.d.chain.latestHeight(), seconds: Number(secs.toFixed(2)), blocksPerS: this.lastRate }, 'block sync: caught up, rejoining consensus');
      this.running = false;
      if (!this.stopped) await this.d.resumeConsensus();
    }
  }

  private bestHeight(): number {
    let best = 0;
    for (const p of this.d.peers()) if (!this.isBanned(p.id) && p.height > best) best = p.height;
    return best;
  }

  private isBanned(peer: string): boolean {
    const until = this.banned.get(peer);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.banned.delete(peer);
    return false;
  }

  private distrust(peer: string, why: string): void {
    this.banned.set(peer, Date.now() + BAN_MS);
    for (const [h, b] of this.buffer) if (b.peer === peer) this.buffer.delete(h);
    for (const [k, r] of this.requests) if (r.peer === peer) this.requests.delete(k);
    this.d.log.warn({ peer, why }, 'block sync: leaving a peer out for a while');
  }

  private pickPeer(height: number): SyncPeer | undefined {
    const load = new Map<string, number>();
    for (const r of this.requests.values()) load.set(r.peer, (load.get(r.peer) ?? 0) + 1);
    let best: SyncPeer | undefined;
    for (const p of this.d.peers()) {
      if (p.height < height || this.isBanned(p.id)) continue;
      if (!best || (load.get(p.id) ?? 0) < (load.get(best.id) ?? 0)) best = p;
    }
    return best;
  }

  private fillRequests(next: number, best: number): void {
    const limit = Math.min(best, next + LOOKAHEAD);
    let h = next;
    while (this.requests.size < MAX_IN_FLIGHT && h <= limit) {
      if (this.buffer.has(h)) {
        h++;
        continue;
      }
      const covering = [...this.requests.values()].find((r) => h >= r.from && h <= r.to);
      if (covering) {
        h = covering.to + 1;
        continue;
      }
      const peer = this.pickPeer(h);
      if (!peer) return;
      let to = Math.min(h + SYNC_WINDOW - 1, peer.height, limit);
      for (let k = h + 1; k <= to; k++) {
        if (this.buffer.has(k) || [...this.requests.values()].some((r) => k >= r.from && k <= r.to)) {
          to = k - 1;
          break;
        }
      }
      this.requests.set(h, { peer: peer.id, from: h, to, at: Date.now() });
      peer.send({ t: 'get-blocks', from: h, to });
      h = to + 1;
    }
  }

  private expireRequests(): void {
    const now = Date.now();
    for (const [k, r] of this.requests) {
      if (now - r.at > REQUEST_TIMEOUT_MS) {
        this.requests.delete(k);
        this.d.log.debug({ peer: r.peer, from: r.from, to: r.to }, 'block sync: request timed out');
      }
    }
  }

  private waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}

function parseItem(it: { block: unknown; commit: unknown }): { block: Block; commit: Commit } | undefined {
  try {
    const block = blockFromWire(it.block as WireBlock);
    const commit = it.commit as Commit;
    if (!Number.isSafeInteger(block.header?.height) || typeof commit !== 'object' || commit === null || !Array.isArray(commit.signatures)) return undefined;
    return { block, commit };
  } catch {
    return undefined;
  }
}
