/**
 * EVM event scanning on a real anvil node: restart from a file checkpoint, reorgs below the
 * checkpoint (anvil snapshot/revert, then different transactions), finality, raw headers and
 * proofs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore, MemoryCheckpointStore, type CheckpointStore } from '../../adapters/core/checkpoint.ts';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { EventScanner, type EventScannerOptions } from '../../adapters/core/scanner.ts';
import type { ChainEvent } from '../../adapters/core/types.ts';
import { EvmReader } from '../../adapters/evm/reader.ts';
import { EvmWriter } from '../../adapters/evm/writer.ts';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';
import { deployEmitter, EMITTER_ABI, noteCall } from './emitter.ts';
import { interceptingProxy } from './faulty-rpc.ts';

let anvil: AnvilNode;
let writer: EvmWriter;
let emitter: string;
const dirs: string[] = [];

beforeAll(async () => {
  anvil = await startAnvil();
  writer = new EvmWriter({ url: anvil.url, evmChainId: anvil.chainId, abi: EMITTER_ABI, privateKeys: [anvil.accounts[0], anvil.accounts[1]], pollIntervalMs: 20 });
  emitter = await deployEmitter(writer);
});

afterAll(async () => {
  await writer?.close();
  await anvil?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const reader = (extra: Partial<ConstructorParameters<typeof EvmReader>[0]> = {}) => new EvmReader({ url: anvil.url, evmChainId: anvil.chainId, abi: EMITTER_ABI, ...extra });
const seqOf = (e: ChainEvent) => Number(e.args.seq as bigint);
const key = (e: ChainEvent) => `${e.blockHash}:${e.index}`;

/** Emits Note(seq) for each seq, one transaction each (anvil automines a block per transaction). */
async function emit(seqs: number[]): Promise<void> {
  for (const s of seqs) {
    const r = await writer.send({ to: emitter, data: noteCall(s) });
    expect(r.status).toBe('success');
  }
}

/** A consumer that applies reverted ranges, as a relayer must. */
async function drain(scanner: EventScanner, into: ChainEvent[], reverted: { fromHeight: number; toHeight: number }[] = []): Promise<void> {
  for (;;) {
    const b = await scanner.step((batch) => {
      if (batch.reverted) {
        reverted.push(batch.reverted);
        const { fromHeight, toHeight } = batch.reverted;
        for (let i = into.length - 1; i >= 0; i--) if (into[i].height >= fromHeight && into[i].height <= toHeight) into.splice(i, 1);
      }
      into.push(...batch.events);
    });
    if (b.caughtUp) return;
  }
}

function scanner(r: EvmReader, store: CheckpointStore, opts: Partial<EventScannerOptions> & { key: string }): EventScanner {
  return new EventScanner(r, store, { filter: { sources: [emitter], names: ['Note'] }, head: 'latest', maxRange: 3, ...opts });
}

describe('EVM scanning with durable checkpoints', () => {
  it('behavior: a restarted scanner (new reader, new file store on the same directory) resumes without missing or repeating an event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-ckpt-'));
    dirs.push(dir);
    const start = (await anvil.blockNumber()) + 1;
    await emit([1, 2, 3]);

    const r1 = reader();
    const first: ChainEvent[] = [];
    await drain(scanner(r1, new FileCheckpointStore(dir), { key: 'restart', startHeight: start }), first);
    await r1.close();
    expect(first.map(seqOf)).toEqual([1, 2, 3]);

    await emit([4, 5, 6, 7]); // while the scanner is down

    const r2 = reader();
    const second: ChainEvent[] = [];
    await drain(scanner(r2, new FileCheckpointStore(dir), { key: 'restart', startHeight: start }), second);
    await r2.close();
    expect(second.map(seqOf)).toEqual([4, 5, 6, 7]);
    const truth = await writer.events({ sources: [emitter], names: ['Note'] }, start, await anvil.blockNumber());
    expect([...first, ...second].map(key)).toEqual(truth.map(key));
  });

  it('behavior: a reorg below the checkpoint is detected, the scan rewinds to the fork point, and the consumer ends with exactly the canonical events', async () => {
    const start = (await anvil.blockNumber()) + 1;
    await emit([10, 11]);
    const forkHeight = await anvil.blockNumber();
    const snap = await anvil.snapshot();
    await emit([20, 21, 22]);

    const store = new MemoryCheckpointStore();
    const r = reader();
    const got: ChainEvent[] = [];
    const reverted: { fromHeight: number; toHeight: number }[] = [];
    await drain(scanner(r, store, { key: 'reorg', startHeight: start }), got, reverted);
    expect(got.map(seqOf)).toEqual([10, 11, 20, 21, 22]);
    const before = (await store.get('reorg'))!;
    expect(before.height).toBe(forkHeight + 3);

    // the chain forks just after forkHeight: the same heights now hold other transactions, and one more block
    await anvil.revert(snap);
    writer.resyncNonces(); // anvil drops the reverted transactions instead of returning them to the pool
    await emit([30, 31, 32, 33]);
    expect(await r.blockHash(before.height)).not.toBe(before.blockHash);

    await drain(scanner(r, store, { key: 'reorg', startHeight: start }), got, reverted);
    expect(reverted).toEqual([{ fromHeight: forkHeight + 1, toHeight: forkHeight + 3 }]);
    expect(got.map(seqOf)).toEqual([10, 11, 30, 31, 32, 33]);
    const truth = await r.events({ sources: [emitter], names: ['Note'] }, start, await anvil.blockNumber());
    expect(got.map(key)).toEqual(truth.map(key));
    await r.close();
  });

  it('behavior: a reorg to a shorter chain (the checkpoint height no longer exists) rewinds too', async () => {
    const start = (await anvil.blockNumber()) + 1;
    await emit([40]);
    const snap = await anvil.snapshot();
    await emit([41, 42, 43]);
    const store = new MemoryCheckpointStore();
    const r = reader();
    const got: ChainEvent[] = [];
    await drain(scanner(r, store, { key: 'shorter', startHeight: start }), got);
    await anvil.revert(snap);
    writer.resyncNonces(); // anvil drops the reverted transactions instead of returning them to the pool
    await emit([50]);
    const reverted: { fromHeight: number; toHeight: number }[] = [];
    await drain(scanner(r, store, { key: 'shorter', startHeight: start }), got, reverted);
    expect(reverted).toEqual([{ fromHeight: start + 1, toHeight: start + 3 }]);
    expect(got.map(seqOf)).toEqual([40, 50]);
    await r.close();
  });

  it('error: a reorg deeper than the non-final blocks the checkpoint tracks is a non-retryable PNT_ERR_ADAPTER_REORG', async () => {
    const start = (await anvil.blockNumber()) + 1;
    await emit([60]);
    const snap = await anvil.snapshot();
    await emit([61, 62, 63]);
    // depth 1: everything but the tip counts as final, so no fork point below the tip is remembered
    const r = reader({ useFinalizedTag: false, finalityDepth: 1 });
    const store = new MemoryCheckpointStore();
    await drain(scanner(r, store, { key: 'deep', startHeight: start }), []);
    await anvil.revert(snap);
    writer.resyncNonces(); // anvil drops the reverted transactions instead of returning them to the pool
    await emit([70, 71, 72, 73]);
    const err = await scanner(r, store, { key: 'deep', startHeight: start })
      .step(() => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).code).toBe(AdapterErrorCode.REORG);
    expect((err as AdapterError).retryable).toBe(false);
    await r.close();
  });
});

describe('EVM reader', () => {
  it("behavior: the finalized height is the node's finalized tag when served, else latest minus the configured depth", async () => {
    await anvil.mine(80);
    const latest = await anvil.blockNumber();
    const tagged = await anvil.rpc<{ number: string }>('eth_getBlockByNumber', ['finalized', false]);
    const r = reader();
    expect(await r.finalizedHeight()).toBe(Number(tagged.number));
    const byDepth = reader({ useFinalizedTag: false, finalityDepth: 5 });
    expect(await byDepth.finalizedHeight()).toBe(latest - 5);
    await r.close();
    await byDepth.close();
  });

  it('behavior: a node that rejects the finalized tag is read with latest minus the configured depth, and the tag is not asked again', async () => {
    const proxy = await interceptingProxy(anvil.url, (r) => (r.method === 'eth_getBlockByNumber' && r.params?.[0] === 'finalized' ? { error: { code: -32602, message: 'invalid block tag finalized' } } : undefined));
    const r = reader({ url: proxy.url, finalityDepth: 7 });
    try {
      const latest = await anvil.blockNumber();
      expect(await r.finalizedHeight()).toBe(latest - 7);
      expect(await r.finalizedHeight()).toBe(latest - 7);
      expect(proxy.intercepted).toBe(1);
    } finally {
      await r.close();
      await proxy.close();
    }
  });

  it('behavior: an eth_getLogs range the node refuses is split until it is accepted, with no event lost', async () => {
    const from = (await anvil.blockNumber()) + 1;
    await emit([81, 82, 83, 84, 85]);
    const to = await anvil.blockNumber();
    // like hosted RPCs that cap eth_getLogs at a few blocks
    const proxy = await interceptingProxy(anvil.url, (r) => {
      if (r.method !== 'eth_getLogs') return undefined;
      const q = r.params![0] as { fromBlock: string; toBlock: string };
      return Number(q.toBlock) - Number(q.fromBlock) + 1 > 2 ? { error: { code: -32005, message: 'query exceeds max block range 2' } } : undefined;
    });
    const r = reader({ url: proxy.url });
    try {
      const evs = await r.events({ sources: [emitter], names: ['Note'] }, from, to);
      expect(evs.map(seqOf)).toEqual([81, 82, 83, 84, 85]);
      expect(proxy.intercepted).toBeGreaterThan(0);
    } finally {
      await r.close();
      await proxy.close();
    }
  });

  it('behavior: blockHeader and getProof return the raw node JSON at a height', async () => {
    const r = reader();
    const h = await anvil.blockNumber();
    const header = (await r.blockHeader(h))!;
    expect(Number(header.number)).toBe(h);
    expect(header.stateRoot).toMatch(/^0x[0-9a-f]{64}$/);
    const proof = await r.getProof(emitter, ['0x' + '00'.repeat(32)], h);
    expect(proof.address.toLowerCase()).toBe(emitter.toLowerCase());
    expect(proof.accountProof.length).toBeGreaterThan(0);
    expect(proof.storageProof[0].value).toBe('0x0');
    expect(await r.blockHeader(h + 1000)).toBeUndefined();
    await r.close();
  });

  it('behavior: events without an ABI entry come back undecoded with their raw topics and data', async () => {
    const from = (await anvil.blockNumber()) + 1;
    await emit([99]);
    const r = reader({ abi: undefined });
    const evs = await r.events({ sources: [emitter] }, from, await anvil.blockNumber());
    expect(evs).toHaveLength(1);
    expect(evs[0].name).toBe('');
    expect((evs[0].raw as { data: string }).data).toBe(noteCall(99));
    await r.close();
  });

  it('error: an event name missing from the ABI is an invalid request, not retryable', async () => {
    const r = reader();
    const err = await r.events({ names: ['Missing'] }, 0, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).code).toBe(AdapterErrorCode.INVALID_REQUEST);
    expect((err as AdapterError).retryable).toBe(false);
    await r.close();
  });

  it('error: a closed reader refuses calls with a non-retryable invalid request', async () => {
    const r = reader();
    await r.close();
    const err = await r.latestHeight().catch((e: unknown) => e);
    expect((err as AdapterError).code).toBe(AdapterErrorCode.INVALID_REQUEST);
    expect((err as AdapterError).retryable).toBe(false);
  });

  it('error: connecting to a node of another chain id fails with PNT_ERR_ADAPTER_CHAIN_MISMATCH', async () => {
    const err = await EvmReader.connect({ url: anvil.url, evmChainId: 1 }).catch((e: unknown) => e);
    expect((err as AdapterError).code).toBe(AdapterErrorCode.CHAIN_MISMATCH);
    const ok = await EvmReader.connect({ url: anvil.url });
    expect(ok.evmChainId).toBe(anvil.chainId);
    await ok.close();
  });
});
