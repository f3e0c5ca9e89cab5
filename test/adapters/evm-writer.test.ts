/**
 * EVM writer on a real anvil node: concurrent nonces over several keys, restart, replacement of
 * a transaction that is not mined, reverts at estimation and on chain, unfunded signers.
 */
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { bumpFee, EvmWriter, type EvmWriterOptions } from '../../adapters/evm/writer.ts';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';
import { deployEmitter, EMITTER_ABI, noteCall } from './emitter.ts';
import { switchableProxy } from './faulty-rpc.ts';

let anvil: AnvilNode;
let emitter: string;
const writers: EvmWriter[] = [];

const makeWriter = (keys: string[], extra: Partial<EvmWriterOptions> = {}) => {
  const w = new EvmWriter({ url: anvil.url, evmChainId: anvil.chainId, abi: EMITTER_ABI, privateKeys: keys, pollIntervalMs: 20, ...extra });
  writers.push(w);
  return w;
};

beforeAll(async () => {
  anvil = await startAnvil();
  emitter = await deployEmitter(makeWriter([anvil.accounts[0]]));
});

afterAll(async () => {
  for (const w of writers) await w.close();
  await anvil?.stop();
});

const nonceOf = async (address: string) => Number(await anvil.rpc<string>('eth_getTransactionCount', [address, 'latest']));

describe('EVM writer: nonces', () => {
  it('behavior: 50 concurrent transactions from 3 keys are all mined, with no nonce error, spread over the keys', async () => {
    const keys = anvil.accounts.slice(1, 4) as string[];
    const w = makeWriter(keys);
    const before = await Promise.all(w.addresses.map(nonceOf));
    const results = await w.submit(Array.from({ length: 50 }, (_, i) => ({ to: emitter, data: noteCall(1000 + i) })));
    expect(results.filter((r) => r.status !== 'success').map((r) => r.error?.code)).toEqual([]);
    expect(new Set(results.map((r) => r.txHash)).size).toBe(50);
    const after = await Promise.all(w.addresses.map(nonceOf));
    const used = after.map((n, i) => n - before[i]);
    expect(used.reduce((a, b) => a + b, 0)).toBe(50);
    expect(Math.min(...used)).toBeGreaterThanOrEqual(16); // round-robin: 17, 17, 16
  });

  it('behavior: a restarted writer (a new instance on the same keys) continues from the node’s pending nonce', async () => {
    const keys = [anvil.accounts[4]];
    const first = makeWriter(keys);
    expect((await first.submit([{ to: emitter, data: noteCall(1) }, { to: emitter, data: noteCall(2) }])).map((r) => r.status)).toEqual(['success', 'success']);
    await first.close();
    const second = makeWriter(keys);
    const r = await second.submit([{ to: emitter, data: noteCall(3) }, { to: emitter, data: noteCall(4) }]);
    expect(r.map((x) => x.status)).toEqual(['success', 'success']);
    expect(await nonceOf(second.addresses[0])).toBe(4);
  });

  it('behavior: EvmWriter.connect learns the chain id from the node and sends with it', async () => {
    const w = await EvmWriter.connect({ url: anvil.url, privateKeys: [anvil.accounts[7]], pollIntervalMs: 20 });
    writers.push(w);
    expect(w.evmChainId).toBe(anvil.chainId);
    expect((await w.send({ to: emitter, data: noteCall(5) })).status).toBe('success');
  });

  it('behavior: a nonce used behind the writer’s back (another process on the same key) is re-read and the send succeeds', async () => {
    const key = anvil.accounts[5];
    const w = makeWriter([key]);
    await w.send({ to: emitter, data: noteCall(1) }); // the writer now counts nonce 1 next
    const other = new Wallet(key);
    const raw = await other.signTransaction({ type: 2, chainId: anvil.chainId, nonce: 1, to: other.address, value: 1n, gasLimit: 21000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n });
    await anvil.rpc('eth_sendRawTransaction', [raw]);
    const r = await w.send({ to: emitter, data: noteCall(2) });
    expect(r.nonce).toBe(2);
  });
});

describe('EVM writer: fees and replacement', () => {
  it('behavior: a transaction not mined in time is replaced with the same nonce and both fees raised by at least 12.5%, and the replacement is mined', async () => {
    const sent: { txHash: string; nonce: number; attempt: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }[] = [];
    let replaced!: () => void;
    const replacedOnce = new Promise<void>((r) => (replaced = r));
    const w = makeWriter([anvil.accounts[6]], {
      replaceAfterMs: 150,
      minedTimeoutMs: 5_000, // a writer that never replaces fails the test with NOT_MINED, quickly
      onBroadcast: (e) => {
        sent.push(e);
        if (e.attempt === 1) replaced();
      },
    });
    await anvil.rpc('evm_setAutomine', [false]); // the pool holds the transaction: it is stuck until a block is mined
    try {
      const pending = w.send({ to: emitter, data: noteCall(7) });
      await Promise.race([replacedOnce, pending]); // a send that fails instead of replacing fails the test below, not by timeout
      await anvil.mine(1);
      const r = await pending;
      expect(r.replacements).toBeGreaterThanOrEqual(1);
      expect(sent[0].attempt).toBe(0);
      expect(new Set(sent.map((s) => s.nonce)).size).toBe(1);
      expect(r.txHash).toBe(sent[r.replacements].txHash);
      expect(r.txHash).not.toBe(sent[0].txHash);
      expect(sent[1].maxFeePerGas * 1000n).toBeGreaterThanOrEqual(sent[0].maxFeePerGas * 1125n);
      expect(sent[1].maxPriorityFeePerGas * 1000n).toBeGreaterThanOrEqual(sent[0].maxPriorityFeePerGas * 1125n);
      expect(await anvil.rpc('eth_getTransactionReceipt', [sent[0].txHash])).toBeNull();
    } finally {
      await anvil.rpc('evm_setAutomine', [true]);
    }
  });

  it('behavior: a transaction priced out by a base-fee spike stays unmined while blocks are produced, and its fee-raised replacement is mined', async () => {
    const GWEI = 1_000_000_000n;
    const spike = 50n * GWEI;
    const sent: { txHash: string; attempt: number; maxFeePerGas: bigint }[] = [];
    let waiter: { min: bigint; resolve: () => void } | undefined;
    const sentAtLeast = (min: bigint) =>
      new Promise<void>((resolve) => {
        if (sent.some((x) => x.maxFeePerGas >= min)) resolve();
        else waiter = { min, resolve };
      });
    const w = makeWriter([anvil.accounts[3]], {
      replaceAfterMs: 150,
      minedTimeoutMs: 5_000, // a writer that never replaces fails the test with NOT_MINED, quickly
      maxReplacements: 20,
      onBroadcast: (e) => {
        sent.push(e);
        if (waiter && e.maxFeePerGas >= waiter.min) waiter.resolve();
      },
    });
    await anvil.rpc('evm_setAutomine', [false]);
    try {
      const pending = w.send({ to: emitter, data: noteCall(11) });
      await Promise.race([sentAtLeast(0n), pending]);
      expect(sent[0].maxFeePerGas).toBeLessThan(spike);
      await anvil.rpc('anvil_setNextBlockBaseFeePerGas', ['0x' + spike.toString(16)]);
      await anvil.mine(1);
      expect(await anvil.rpc('eth_getTransactionReceipt', [sent[0].txHash])).toBeNull(); // a block came, the transaction could not pay for it
      // the next block's base fee is below the spike (an empty block lowers it): a replacement priced for the spike fits
      await Promise.race([sentAtLeast(spike), pending]);
      await anvil.mine(1);
      const r = await pending;
      expect(r.replacements).toBeGreaterThanOrEqual(1);
      expect(r.txHash).not.toBe(sent[0].txHash);
      expect(sent.find((x) => x.txHash === r.txHash)!.maxFeePerGas).toBeGreaterThanOrEqual(spike);
    } finally {
      await anvil.rpc('evm_setAutomine', [true]);
    }
  });

  it('behavior: with confirmations 3 a send resolves only once two more blocks are on top of its own', async () => {
    let broadcast!: () => void;
    const sentOnce = new Promise<void>((r) => (broadcast = r));
    const w = makeWriter([anvil.accounts[9]], { confirmations: 3, onBroadcast: () => broadcast() });
    let done = false;
    const pending = w.send({ to: emitter, data: noteCall(9) }).finally(() => (done = true));
    // after the transaction's own block, add a block now and then (polls run several times in between) until the writer is satisfied
    const miner = (async () => {
      await sentOnce;
      for (;;) {
        await new Promise((r) => setTimeout(r, 100));
        if (done) return;
        await anvil.mine(1);
      }
    })();
    const r = await pending;
    const latestAtResolve = await anvil.blockNumber();
    await miner;
    expect(latestAtResolve).toBeGreaterThanOrEqual(r.height + 2);
  });

  it('behavior: fees follow the base fee (maxFeePerGas = 2 * baseFee + tip)', async () => {
    const tip = 3_000_000_000n;
    const seen: bigint[] = [];
    const w = makeWriter([anvil.accounts[7]], { priorityFeeWei: tip, onBroadcast: (e) => seen.push(e.maxFeePerGas, e.maxPriorityFeePerGas) });
    await anvil.rpc('anvil_setNextBlockBaseFeePerGas', ['0x' + (5_000_000_000n).toString(16)]);
    await anvil.mine(1);
    const base = BigInt((await anvil.rpc<{ baseFeePerGas: string }>('eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
    await w.send({ to: emitter, data: noteCall(8) });
    expect(seen).toEqual([base * 2n + tip, tip]);
  });

  it('behavior: bumpFee raises by 12.5% rounded up, and by at least one wei', () => {
    expect(bumpFee(1000n)).toBe(1125n);
    expect(bumpFee(1001n)).toBe(1127n);
    expect(bumpFee(1n)).toBe(2n);
    expect(bumpFee(0n)).toBe(1n);
  });
});

describe('EVM writer: node failures after broadcast', () => {
  it('behavior: a broadcast transaction is watched through a spell of HTTP 500s and its receipt is returned once the node answers again', async () => {
    const proxy = await switchableProxy(anvil.url);
    let broadcast!: () => void;
    const sentOnce = new Promise<void>((r) => (broadcast = r));
    const w = makeWriter([anvil.accounts[2]], { url: proxy.url, onBroadcast: () => broadcast() });
    await anvil.rpc('evm_setAutomine', [false]);
    try {
      let settled = false;
      const pending = w.send({ to: emitter, data: noteCall(12) }).finally(() => (settled = true));
      await sentOnce;
      proxy.mode = 'fail';
      while (proxy.failed < 5 && !settled) await new Promise((r) => setTimeout(r, 20)); // several receipt polls hit the failure
      await anvil.mine(1);
      proxy.mode = 'pass';
      const r = await pending;
      expect(r.status).toBe('success');
      expect(r.replacements).toBe(0);
    } finally {
      proxy.mode = 'pass';
      await anvil.rpc('evm_setAutomine', [true]);
      await proxy.close();
    }
  });
});

describe('EVM writer: errors', () => {
  it('error: a call that reverts at estimation fails with PNT_ERR_ADAPTER_REVERTED, not retryable, with the custom error decoded', async () => {
    const w = makeWriter([anvil.accounts[8]]);
    const err = await w.send({ to: emitter, data: '0x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    const ae = err as AdapterError;
    expect(ae.code).toBe(AdapterErrorCode.REVERTED);
    expect(ae.retryable).toBe(false);
    expect(ae.details?.error).toEqual({ name: 'Nope', args: [7n] });
  });

  it('error: a transaction mined with a revert is reported as status reverted with PNT_ERR_ADAPTER_REVERTED and its block', async () => {
    const w = makeWriter([anvil.accounts[8]]);
    const [r] = await w.submit([{ to: emitter, data: '0x', gasLimit: 100_000n }]);
    expect(r.status).toBe('reverted');
    expect(r.error?.code).toBe(AdapterErrorCode.REVERTED);
    expect(r.error?.retryable).toBe(false);
    expect(r.height).toBeGreaterThan(0);
    expect(await anvil.rpc<{ status: string }>('eth_getTransactionReceipt', [r.txHash])).toMatchObject({ status: '0x0' });
  });

  it('error: an unfunded signer fails with PNT_ERR_ADAPTER_INSUFFICIENT_FUNDS, not retryable, and no ethers error escapes submit', async () => {
    const w = makeWriter([Wallet.createRandom().privateKey]);
    const [r] = await w.submit([{ to: emitter, data: noteCall(1) }]);
    expect(r.status).toBe('failed');
    expect(r.error).toBeInstanceOf(AdapterError);
    expect(r.error?.code).toBe(AdapterErrorCode.INSUFFICIENT_FUNDS);
    expect(r.error?.retryable).toBe(false);
  });

  it('error: a malformed destination is an invalid request, reported per transaction', async () => {
    const w = makeWriter([anvil.accounts[9]]);
    const r = await w.submit([{ to: '0x1234', data: '0x' }, { to: emitter, data: noteCall(2) }]);
    expect(r.map((x) => [x.status, x.error?.code])).toEqual([
      ['failed', AdapterErrorCode.INVALID_REQUEST],
      ['success', undefined],
    ]);
  });
});
