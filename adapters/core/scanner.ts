/**
 * Resumable event scanning over any `ChainReader`, with a durable cursor. Each step scans a
 * bounded range after the cursor, hands the events to a handler, and only then stores the new
 * cursor, so a crash repeats at most the last batch and never skips one (at-least-once; exact
 * once on a clean stop). The cursor keeps the hashes of scanned blocks that were not yet final:
 * when the stored hash is no longer on chain, the step rewinds to the last block both chains
 * share and reports the orphaned heights as `reverted`, instead of skipping or duplicating.
 */
import type { Logger } from 'pino';
import type { CheckpointStore, Cursor } from './checkpoint.ts';
import { AdapterError, AdapterErrorCode } from './errors.ts';
import type { BlockRef, ChainEvent, ChainReader, EventFilter } from './types.ts';

export interface EventScannerOptions {
  /** The checkpoint key; one per (chain, consumer). */
  key: string;
  filter: EventFilter;
  /** First height to scan when there is no checkpoint. */
  startHeight?: number;
  /** Most heights per step (keeps eth_getLogs-style queries within node limits). */
  maxRange?: number;
  /** Scan up to the finalized height (no reorgs reach the consumer) or the latest (faster, reorgs reported). */
  head?: 'finalized' | 'latest';
  /** Cap on remembered non-final block hashes (reorgs deeper than this are fatal). */
  maxTracked?: number;
  logger?: Logger;
}

export interface ScanBatch<A extends Record<string, unknown> = Record<string, unknown>> {
  /** Heights scanned, inclusive; `toHeight < fromHeight` when there was nothing new. */
  fromHeight: number;
  toHeight: number;
  events: ChainEvent<A>[];
  /**
   * Set after a reorg: events delivered earlier from these heights are no longer canonical and
   * must be discarded; the canonical ones are (re)delivered in this or later batches.
   */
  reverted?: { fromHeight: number; toHeight: number };
  /** True when the scan reached the head it follows. */
  caughtUp: boolean;
}

const reorg = (msg: string, details: Record<string, unknown>, retryable = true) => new AdapterError(AdapterErrorCode.REORG, msg, { retryable, details, operation: 'scan' });

export class EventScanner<A extends Record<string, unknown> = Record<string, unknown>> {
  private readonly startHeight: number;
  private readonly maxRange: number;
  private readonly head: 'finalized' | 'latest';
  private readonly maxTracked: number;

  constructor(
    private readonly reader: ChainReader,
    private readonly store: CheckpointStore,
    private readonly opts: EventScannerOptions,
  ) {
    this.startHeight = opts.startHeight ?? 0;
    this.maxRange = opts.maxRange ?? 1000;
    this.head = opts.head ?? 'finalized';
    this.maxTracked = opts.maxTracked ?? 512;
    if (this.maxRange < 1) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'maxRange must be at least 1');
  }

  /** The stored cursor (undefined before the first step). */
  cursor(): Promise<Cursor | undefined> {
    return this.store.get(this.opts.key);
  }

  /**
   * Scans the next range and calls `handle` with it (also when only a reorg is to be reported);
   * stores the cursor after `handle` resolves. Returns the batch.
   */
  async step(handle: (batch: ScanBatch<A>) => unknown | Promise<unknown>): Promise<ScanBatch<A>> {
    const stored = await this.store.get(this.opts.key);
    const { base, reverted } = stored ? await this.verify(stored) : { base: undefined, reverted: undefined };

    const from = base ? base.height + 1 : this.startHeight;
    const headHeight = this.head === 'finalized' ? await this.reader.finalizedHeight() : await this.reader.latestHeight();
    const finalized = this.head === 'finalized' ? headHeight : await this.reader.finalizedHeight();
    const to = Math.min(headHeight, from + this.maxRange - 1);

    if (to < from) {
      const batch: ScanBatch<A> = { fromHeight: from, toHeight: from - 1, events: [], caughtUp: true, ...(reverted ? { reverted } : {}) };
      if (reverted) {
        await handle(batch);
        // the rewound cursor (or none: everything scanned was orphaned) must replace the orphaned one
        await this.store.put(this.opts.key, base ?? { height: from - 1, blockHash: '', recent: [] });
      }
      return batch;
    }

    // hashes of every non-final height scanned (to locate a future fork point), and of `to`
    const heights: number[] = [];
    for (let h = Math.max(from, finalized + 1); h <= to; h++) heights.push(h);
    if (heights[heights.length - 1] !== to) heights.push(to);
    const hashes = await Promise.all(heights.map((h) => this.reader.blockHash(h)));
    const seen = new Map<number, string>();
    heights.forEach((h, i) => {
      const hash = hashes[i];
      if (hash === undefined) throw reorg(`block ${h} vanished while scanning ${this.reader.chainId}`, { height: h });
      seen.set(h, hash);
    });

    const events = await this.reader.events<A>(this.opts.filter, from, to);

    // the chain must not have moved under the scan: same tip hash, events from the blocks we hashed, base still canonical
    const [tipAfter, baseAfter] = await Promise.all([this.reader.blockHash(to), base && base.blockHash ? this.reader.blockHash(base.height) : Promise.resolve(undefined)]);
    if (tipAfter !== seen.get(to)) throw reorg(`chain ${this.reader.chainId} reorganised at ${to} during a scan`, { height: to });
    if (base && base.blockHash && baseAfter !== base.blockHash) throw reorg(`chain ${this.reader.chainId} reorganised at ${base.height} during a scan`, { height: base.height });
    for (const e of events) {
      const want = seen.get(e.height);
      if (want !== undefined && e.blockHash !== want) throw reorg(`event from block ${e.blockHash} at ${e.height} is not on the scanned chain`, { height: e.height });
    }

    const recent: BlockRef[] = [...(base?.recent ?? []), ...(base && base.blockHash ? [{ height: base.height, blockHash: base.blockHash }] : [])];
    for (const h of heights) if (h < to) recent.push({ height: h, blockHash: seen.get(h)! });
    const kept = recent.filter((r) => r.height > finalized).slice(-this.maxTracked);
    const next: Cursor = { height: to, blockHash: seen.get(to)!, recent: kept };

    const batch: ScanBatch<A> = { fromHeight: from, toHeight: to, events, caughtUp: to >= headHeight, ...(reverted ? { reverted } : {}) };
    await handle(batch);
    await this.store.put(this.opts.key, next);
    this.opts.logger?.debug({ chainId: this.reader.chainId, key: this.opts.key, from, to, events: events.length }, 'scanned');
    return batch;
  }

  /** Checks the stored cursor against the chain; on a reorg, finds the fork point. */
  private async verify(stored: Cursor): Promise<{ base: Cursor | undefined; reverted?: { fromHeight: number; toHeight: number } }> {
    // a cursor with no hash means "nothing scanned yet" (left by a reorg that orphaned everything)
    if (!stored.blockHash) return { base: undefined };
    const onChain = await this.reader.blockHash(stored.height);
    if (onChain === stored.blockHash) return { base: stored };

    const tracked = [...(stored.recent ?? [])].reverse();
    const current = await Promise.all(tracked.map((r) => this.reader.blockHash(r.height)));
    const i = tracked.findIndex((r, j) => current[j] === r.blockHash);
    const reverted = (fork: number) => ({ fromHeight: fork + 1, toHeight: stored.height });
    if (i >= 0) {
      const fork = tracked[i];
      this.opts.logger?.warn({ chainId: this.reader.chainId, key: this.opts.key, forkHeight: fork.height, orphanedTo: stored.height }, 'reorg below checkpoint: rewinding');
      return { base: { ...fork, recent: (stored.recent ?? []).filter((r) => r.height < fork.height) }, reverted: reverted(fork.height) };
    }
    // every block ever scanned was non-final and is gone: start again from the configured start
    const lowest = tracked.length ? tracked[tracked.length - 1].height : stored.height;
    if (lowest <= this.startHeight) {
      this.opts.logger?.warn({ chainId: this.reader.chainId, key: this.opts.key, orphanedTo: stored.height }, 'reorg below every scanned block: rescanning');
      return { base: undefined, reverted: reverted(this.startHeight - 1) };
    }
    throw reorg(
      `chain ${this.reader.chainId} reorganised below the ${tracked.length} non-final blocks tracked under height ${stored.height}: finality was violated`,
      { height: stored.height, lowestTracked: lowest },
      false,
    );
  }
}
