/**
 * Named fault scenarios on four validator processes: one validator paused (SIGSTOP) and one
 * killed for a stretch of blocks; each rejoins by block sync and agrees on every block hash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testnet } from './harness.ts';

describe('hub: validators that fall behind catch up', () => {
  let net: Testnet;
  beforeAll(async () => {
    net = await Testnet.create(4);
    await net.startAll();
    await Promise.all(net.clients.map((c) => c.waitForHeight(3, 60_000)));
  });
  afterAll(async () => {
    await net?.destroy();
  });

  const height = async (i: number) => (await net.clients[i].status()).latestHeight;

  async function sameHashes(upTo: number): Promise<void> {
    const ref = await Promise.all(Array.from({ length: upTo }, (_, k) => net.clients[0].block(k + 1).then((b) => b.hash)));
    for (let i = 1; i < 4; i++) {
      const got = await Promise.all(Array.from({ length: upTo }, (_, k) => net.clients[i].block(k + 1).then((b) => b.hash)));
      expect(got).toEqual(ref);
    }
  }

  /** Waits until node i is within one block of the best of the others, returns its height then. */
  async function rejoined(i: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const others = await Promise.all([0, 1, 2, 3].filter((k) => k !== i).map(height));
      const mine = await height(i);
      if (mine >= Math.max(...others) - 1) return mine;
      if (Date.now() > deadline) throw new Error(`node ${i} at ${mine}, others at ${others.join(',')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('behavior: a validator paused with SIGSTOP for 20 blocks resumes, block-syncs to the tip and keeps committing with the others', async () => {
    const before = await height(3);
    net.pause(3);
    await net.clients[0].waitForHeight(before + 20, 90_000);
    net.resume(3);
    await rejoined(3, 60_000);
    const tip = await height(0);
    // it stays with the chain afterwards: consensus took over from sync
    await net.clients[3].waitForHeight(tip + 5, 30_000);
    expect(net.log(3)).toMatch(/block sync: caught up/);
    const metrics = await (await fetch(`${net.rpcUrls[3]}/metrics`)).text();
    expect(Number(/^pontis_block_sync_applied_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(15);
    expect(metrics).toMatch(/^pontis_block_sync_running 0$/m);
    await sameHashes(tip);
  });

  it('behavior: a validator killed for 20 blocks restarts from its LMDB, block-syncs to the tip and agrees on every hash', async () => {
    await net.kill9(2);
    const h = await height(0);
    await net.clients[0].waitForHeight(h + 20, 90_000);
    net.start(2);
    await net.clients[2].waitForHeight(h + 20, 60_000);
    await rejoined(2, 60_000);
    const tip = await height(0);
    await net.clients[2].waitForHeight(tip + 5, 30_000);
    await sameHashes(tip);
  });
});
