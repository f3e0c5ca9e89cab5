/**
 * The shared anvil fixture other suites rely on: its keys are anvil's funded accounts, its
 * snapshot/revert/mine helpers work, and stop() really ends the node.
 */
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../fixtures/anvil.ts';

const started: AnvilNode[] = [];
afterAll(async () => {
  for (const a of started) await a.stop();
});

describe('anvil fixture', () => {
  it("behavior: accounts are the private keys of anvil's funded default accounts, and the chainId option is applied", async () => {
    const a = await startAnvil({ chainId: 4242 });
    started.push(a);
    const listed = await a.rpc<string[]>('eth_accounts');
    expect(a.accounts.map((k) => new Wallet(k).address.toLowerCase())).toEqual(listed.map((x) => x.toLowerCase()));
    for (const addr of listed) expect(BigInt(await a.rpc<string>('eth_getBalance', [addr, 'latest']))).toBeGreaterThan(0n);
    expect(Number(await a.rpc<string>('eth_chainId'))).toBe(4242);
  });

  it('behavior: mine, snapshot and revert move the chain as anvil does', async () => {
    const a = await startAnvil();
    started.push(a);
    const snap = await a.snapshot();
    await a.mine(5);
    expect(await a.blockNumber()).toBe(5);
    await a.revert(snap);
    expect(await a.blockNumber()).toBe(0);
  });

  it('behavior: stop() ends the node, so its port stops answering', async () => {
    const a = await startAnvil();
    await a.stop();
    await expect(a.blockNumber()).rejects.toThrow();
    await a.stop(); // idempotent
  });

  it('error: a port already in use makes startAnvil fail instead of talking to the other node', async () => {
    const a = await startAnvil();
    started.push(a);
    await expect(startAnvil({ port: a.port })).rejects.toThrow(/anvil exited during startup/);
  });
});
