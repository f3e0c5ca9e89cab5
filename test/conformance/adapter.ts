/**
 * The conformance suite every chain adapter must pass. An adapter's test file calls
 * `chainAdapterConformance(name, factory)` at top level; the factory starts (or connects to) a
 * real node and returns a harness. Test support, not runtime code: it imports vitest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../adapters/core/checkpoint.ts';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { EventScanner, type ScanBatch } from '../../adapters/core/scanner.ts';
import type { ChainEvent, ChainReader, EventFilter } from '../../adapters/core/types.ts';

export interface ConformanceHarness {
  /** A reader of a live chain. */
  reader: ChainReader;
  /** Matches the events `emit` produces (and nothing else on this chain). */
  filter: EventFilter;
  /** Puts `n` new matching events on chain; resolves when they are readable. */
  emit(n: number): Promise<void>;
  /** A reader of the same chain through an endpoint that accepts connections and never answers (short timeout). */
  hangingReader(): Promise<ChainReader>;
  /** Through an endpoint that answers every request with a server failure (HTTP 500 or the transport's equivalent). */
  failingReader(): Promise<ChainReader>;
  /** Through an endpoint where nothing listens. */
  unreachableReader(): Promise<ChainReader>;
  /** Submits something the chain executes and reverts; must reject with the adapter's error. Omit for read-only adapters. */
  submitReverting?(): Promise<unknown>;
  cleanup(): Promise<void>;
}

const id = (e: ChainEvent) => `${e.blockHash}:${e.index}`;

async function expectAdapterError(p: Promise<unknown>, code: string, retryable: boolean): Promise<AdapterError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeInstanceOf(AdapterError);
  const ae = err as AdapterError;
  expect(ae.code).toBe(code);
  expect(ae.retryable).toBe(retryable);
  expect(ae.code.startsWith('PNT_ERR_ADAPTER_')).toBe(true);
  return ae;
}

/** Steps until the scanner reached the head, collecting events (and applying reported reorgs). */
async function drain(scanner: EventScanner, into: ChainEvent[]): Promise<ScanBatch[]> {
  const batches: ScanBatch[] = [];
  for (let i = 0; i < 1000; i++) {
    const b = await scanner.step((batch) => {
      if (batch.reverted) {
        const { fromHeight, toHeight } = batch.reverted;
        for (let j = into.length - 1; j >= 0; j--) if (into[j].height >= fromHeight && into[j].height <= toHeight) into.splice(j, 1);
      }
      into.push(...batch.events);
    });
    batches.push(b);
    if (b.caughtUp) return batches;
  }
  throw new Error('scanner did not catch up');
}

export interface ConformanceOptions {
  /** The adapter writes (its harness has `submitReverting`): registers the write tests. */
  writes?: boolean;
}

export function chainAdapterConformance(name: string, factory: () => Promise<ConformanceHarness>, opts: ConformanceOptions = {}): void {
  describe(`${name}: chain adapter conformance`, () => {
    let h: ConformanceHarness;
    beforeAll(async () => {
      h = await factory();
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('behavior: heights are ordered (finalized <= latest) and a block past the tip has no hash', async () => {
      await h.emit(1);
      const latest = await h.reader.latestHeight();
      const finalized = await h.reader.finalizedHeight();
      expect(finalized).toBeGreaterThanOrEqual(0);
      expect(finalized).toBeLessThanOrEqual(latest);
      expect(await h.reader.blockHash(latest)).toMatch(/\S/);
      expect(await h.reader.blockHash(latest + 1_000_000)).toBeUndefined();
      expect(await h.reader.blockTime(latest)).toBeGreaterThanOrEqual(await h.reader.blockTime(0));
    });

    it('behavior: events come back decoded, in chain order, each once, with the block they are in', async () => {
      const from = (await h.reader.latestHeight()) + 1;
      await h.emit(3);
      const to = await h.reader.latestHeight();
      const evs = await h.reader.events(h.filter, from, to);
      expect(evs).toHaveLength(3);
      expect(new Set(evs.map(id)).size).toBe(3);
      for (let i = 1; i < evs.length; i++) {
        const order = evs[i].height - evs[i - 1].height || evs[i].index - evs[i - 1].index;
        expect(order).toBeGreaterThan(0);
      }
      for (const e of evs) {
        expect(e.chainId).toBe(h.reader.chainId);
        expect(e.name).not.toBe('');
        expect(e.blockHash).toBe(await h.reader.blockHash(e.height));
      }
      expect(await h.reader.events(h.filter, to, to - 1)).toEqual([]);
    });

    it('behavior: a new scanner resumes from the stored checkpoint without missing or repeating an event', async () => {
      const store = new MemoryCheckpointStore();
      const start = (await h.reader.latestHeight()) + 1;
      const opts = { key: `conformance-${h.reader.chainId}`, filter: h.filter, startHeight: start, maxRange: 2, head: 'latest' as const };
      const got: ChainEvent[] = [];
      await h.emit(3);
      await drain(new EventScanner(h.reader, store, opts), got);
      expect(got).toHaveLength(3);
      await h.emit(4);
      // a fresh scanner stands for a restarted process: all it has is the store
      await drain(new EventScanner(h.reader, store, opts), got);
      const truth = await h.reader.events(h.filter, start, (await store.get(opts.key))!.height);
      expect(got.map(id)).toEqual(truth.map(id));
      expect(new Set(got.map(id)).size).toBe(7);
    });

    it('behavior: a batch whose handler fails is delivered again (the checkpoint moves only after the handler)', async () => {
      const store = new MemoryCheckpointStore();
      const start = (await h.reader.latestHeight()) + 1;
      const opts = { key: 'conformance-retry', filter: h.filter, startHeight: start, maxRange: 1000, head: 'latest' as const };
      await h.emit(2);
      const scanner = new EventScanner(h.reader, store, opts);
      await expect(
        scanner.step(() => {
          throw new Error('consumer crashed');
        }),
      ).rejects.toThrow('consumer crashed');
      expect(await store.get(opts.key)).toBeUndefined();
      const got: ChainEvent[] = [];
      await drain(scanner, got);
      expect(got).toHaveLength(2);
    });

    it('error: an endpoint where nothing listens fails with a retryable PNT_ERR_ADAPTER_RPC_UNAVAILABLE', async () => {
      const r = await h.unreachableReader();
      try {
        await expectAdapterError(r.latestHeight(), AdapterErrorCode.RPC_UNAVAILABLE, true);
      } finally {
        await r.close();
      }
    });

    it('error: an endpoint that never answers fails with a retryable PNT_ERR_ADAPTER_RPC_TIMEOUT', async () => {
      const r = await h.hangingReader();
      try {
        await expectAdapterError(r.latestHeight(), AdapterErrorCode.RPC_TIMEOUT, true);
        await expectAdapterError(r.events(h.filter, 0, 1), AdapterErrorCode.RPC_TIMEOUT, true);
      } finally {
        await r.close();
      }
    });

    it('error: an endpoint that answers with server failures fails with a retryable PNT_ERR_ADAPTER_RPC_UNAVAILABLE', async () => {
      const r = await h.failingReader();
      try {
        await expectAdapterError(r.latestHeight(), AdapterErrorCode.RPC_UNAVAILABLE, true);
        await expectAdapterError(r.blockHash(1), AdapterErrorCode.RPC_UNAVAILABLE, true);
      } finally {
        await r.close();
      }
    });

    it('error: a negative height is an invalid request, not retryable', async () => {
      await expectAdapterError(h.reader.events(h.filter, -1, 3), AdapterErrorCode.INVALID_REQUEST, false);
    });

    it('error: a scan whose chain fails underneath it throws a retryable AdapterError and keeps its checkpoint', async () => {
      const r = await h.failingReader();
      const store = new MemoryCheckpointStore();
      await store.put('k', { height: 1, blockHash: 'x' });
      try {
        await expectAdapterError(new EventScanner(r, store, { key: 'k', filter: h.filter }).step(() => undefined), AdapterErrorCode.RPC_UNAVAILABLE, true);
        expect(await store.get('k')).toEqual({ height: 1, blockHash: 'x' });
      } finally {
        await r.close();
      }
    });

    if (opts.writes) {
      it('error: a submission that reverts fails with PNT_ERR_ADAPTER_REVERTED, not retryable', async () => {
        expect(h.submitReverting, 'a writing adapter must provide submitReverting').toBeTypeOf('function');
        await expectAdapterError(h.submitReverting!(), AdapterErrorCode.REVERTED, false);
      });
    }
  });
}
