/**
 * EventScanner over an in-memory chain whose blocks a test can replace at any moment, including
 * in the middle of a step: the races a real node cannot be made to hit on demand.
 */
import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../adapters/core/checkpoint.ts';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { EventScanner } from '../../adapters/core/scanner.ts';
import type { ChainEvent, ChainReader, EventFilter } from '../../adapters/core/types.ts';

/** Block i holds one event per label; a block's hash names its fork and height. */
class FakeChain implements ChainReader {
  readonly chainId = 'fake-1';
  blocks: { hash: string; labels: string[] }[] = [{ hash: 'g', labels: [] }];
  finality = 0;
  /** Runs once, inside the next events() call (a reorg landing mid-scan). */
  duringEvents: (() => void) | undefined;

  append(fork: string, labelsPerBlock: string[][]): void {
    for (const labels of labelsPerBlock) this.blocks.push({ hash: `${fork}${this.blocks.length}`, labels });
  }
  /** Drops every block above `height`. */
  truncate(height: number): void {
    this.blocks.length = height + 1;
  }
  async latestHeight() {
    return this.blocks.length - 1;
  }
  async finalizedHeight() {
    return Math.max(0, this.blocks.length - 1 - this.finality);
  }
  async blockHash(h: number) {
    return this.blocks[h]?.hash;
  }
  async blockTime(h: number) {
    return h * 1000;
  }
  async events<A extends Record<string, unknown>>(_f: EventFilter, from: number, to: number): Promise<ChainEvent<A>[]> {
    const snapshot = this.blocks.slice(from, to + 1).map((b, i) => ({ ...b, height: from + i }));
    const hook = this.duringEvents;
    this.duringEvents = undefined;
    hook?.();
    return snapshot.flatMap((b) => b.labels.map((label, index) => ({ chainId: this.chainId, height: b.height, blockHash: b.hash, txHash: `${b.hash}-tx`, index, source: 'fake', name: 'Label', args: { label } as unknown as A, raw: null })));
  }
  async close() {}
}

const labels = (evs: ChainEvent[]) => evs.map((e) => e.args.label);

describe('EventScanner', () => {
  it('error: a reorg landing between the block hashes and the events of a step is a retryable PNT_ERR_ADAPTER_REORG and stores nothing', async () => {
    const chain = new FakeChain();
    chain.finality = 100;
    chain.append('a', [['a1'], ['a2'], ['a3']]);
    const store = new MemoryCheckpointStore();
    const scanner = new EventScanner(chain, store, { key: 'k', filter: {}, startHeight: 1, head: 'latest' });
    chain.duringEvents = () => {
      chain.truncate(1);
      chain.append('b', [['b2'], ['b3']]);
    };
    const handled: string[] = [];
    const err = await scanner.step((b) => handled.push(...(labels(b.events) as string[]))).catch((e: unknown) => e);
    expect((err as AdapterError).code).toBe(AdapterErrorCode.REORG);
    expect((err as AdapterError).retryable).toBe(true);
    expect(handled).toEqual([]);
    expect(await store.get('k')).toBeUndefined();
    const retry = await scanner.step(() => undefined);
    expect(labels(retry.events)).toEqual(['a1', 'b2', 'b3']);
  });

  it('behavior: a reorg of the whole scanned range (all of it non-final) reports it reverted and rescans from the start height', async () => {
    const chain = new FakeChain();
    chain.finality = 100;
    chain.append('a', [['a1'], ['a2']]);
    const store = new MemoryCheckpointStore();
    const scanner = new EventScanner(chain, store, { key: 'k', filter: {}, startHeight: 1, head: 'latest' });
    await scanner.step(() => undefined);
    chain.truncate(0);
    chain.append('b', [['b1'], [], ['b3']]);
    const b = await scanner.step(() => undefined);
    expect(b.reverted).toEqual({ fromHeight: 1, toHeight: 2 });
    expect(labels(b.events)).toEqual(['b1', 'b3']);
  });

  it('behavior: the cursor forgets block hashes once they are final, and keeps the non-final ones', async () => {
    const chain = new FakeChain();
    chain.finality = 2;
    chain.append('a', Array.from({ length: 10 }, (_, i) => [`a${i + 1}`]));
    const store = new MemoryCheckpointStore();
    const scanner = new EventScanner(chain, store, { key: 'k', filter: {}, startHeight: 1, head: 'latest', maxRange: 4 });
    while (!(await scanner.step(() => undefined)).caughtUp);
    const c = (await store.get('k'))!;
    expect(c.height).toBe(10);
    expect(c.recent!.map((r) => r.height)).toEqual([9]); // finalized is 8: only 9 (below the cursor, above final) is kept
  });

  it("behavior: head 'finalized' never delivers a block above the finalized height", async () => {
    const chain = new FakeChain();
    chain.finality = 3;
    chain.append('a', Array.from({ length: 6 }, (_, i) => [`a${i + 1}`]));
    const scanner = new EventScanner(chain, new MemoryCheckpointStore(), { key: 'k', filter: {}, startHeight: 1 });
    const b = await scanner.step(() => undefined);
    expect(labels(b.events)).toEqual(['a1', 'a2', 'a3']);
    expect(b.caughtUp).toBe(true);
    const again = await scanner.step(() => {
      throw new Error('nothing new: the handler is not called');
    });
    expect(again.events).toEqual([]);
  });

  it('error: a reorg below a final checkpoint (finality violated) is a non-retryable PNT_ERR_ADAPTER_REORG', async () => {
    const chain = new FakeChain();
    chain.finality = 0;
    chain.append('a', [['a1'], ['a2'], ['a3']]);
    const store = new MemoryCheckpointStore();
    const scanner = new EventScanner(chain, store, { key: 'k', filter: {}, startHeight: 1 });
    await scanner.step(() => undefined);
    chain.truncate(1);
    chain.append('b', [['b2'], ['b3']]);
    const err = await scanner.step(() => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).code).toBe(AdapterErrorCode.REORG);
    expect((err as AdapterError).retryable).toBe(false);
  });
});
