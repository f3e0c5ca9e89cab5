/**
 * The shared anvil fixture other suites rely on: its keys are anvil's funded accounts, its
 * snapshot/revert/mine helpers work, and stop() really ends the node.
 */
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';
import { kill9 } from '../support/process.ts';

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

  it('behavior: a node is killed when the process that started it dies by SIGKILL (no exit handler runs)', async () => {
    // a child process starts a node, reports its port, and is killed before it can stop it
    const { spawn } = await import('node:child_process');
    const script = `import { startAnvil } from ${JSON.stringify(new URL('../support/anvil.ts', import.meta.url).pathname)}; const a = await startAnvil(); process.stdout.write(String(a.port) + '\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', () => reject(new Error('child exited before starting anvil')));
    });
    const url = `http://127.0.0.1:${port}`;
    const alive = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' }).then(() => true, () => false);
    expect(await alive()).toBe(true);
    await kill9(child);
    let up = true;
    for (let i = 0; i < 100 && up; i++) {
      up = await alive();
      if (up) await new Promise((r) => setTimeout(r, 50));
    }
    expect(up).toBe(false);
  });

  it('error: a port already in use makes startAnvil fail instead of talking to the other node', async () => {
    const a = await startAnvil();
    started.push(a);
    await expect(startAnvil({ port: a.port })).rejects.toThrow(/anvil exited during startup/);
  });
});
