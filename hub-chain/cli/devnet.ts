/**
 * `pontis devnet`: N validator processes on loopback from a fresh testnet home, a progress line
 * per block, and a sample flow (a signed transaction, then its state proof checked against a
 * commit of the validators, as a light client would). Ctrl-C stops every process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubClient } from '../client/client.ts';
import { loadHome } from '../node/config.ts';
import { initTestnet } from '../node/init.ts';
import { runSampleFlow } from './sample-flow.ts';

export interface DevnetOptions {
  validators: number;
  basePort: number;
  home?: string;
  blocks?: number;
}

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/pontis.js');
const say = (s: string) => process.stdout.write(s + '\n');

export async function runDevnet(o: DevnetOptions): Promise<void> {
  const temp = !o.home;
  const root = o.home ? resolve(o.home) : mkdtempSync(join(tmpdir(), 'pontis-devnet-'));
  const { homes, rpcUrls } = initTestnet(root, { validators: o.validators, basePort: o.basePort, consensus: { commitMs: 200 } });
  say(`Pontis devnet: ${o.validators} validators, chain ${loadHome(homes[0]).genesis.chainId}, homes in ${root}`);
  const children: ChildProcess[] = homes.map((home, i) => {
    const log = createWriteStream(join(home, 'node.log'));
    const child = spawn(process.execPath, [BIN, 'node', 'start', '--home', home, '--exit-with-parent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    child.on('exit', (code, sig) => {
      if (!stopping) say(`validator ${i} exited (${sig ?? code}); its log: ${join(home, 'node.log')}`);
    });
    return child;
  });
  rpcUrls.forEach((u, i) => say(`  validator ${i}: RPC ${u}   log ${join(homes[i], 'node.log')}`));

  let stopping = false;
  let unsubscribe = () => {};
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    unsubscribe();
    say('stopping validators...');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once('exit', () => r());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    if (temp) rmSync(root, { recursive: true, force: true });
    say('devnet stopped');
    process.exit(code);
  };
  // `on`, not `once`: a second Ctrl-C must not kill us before the validators are down.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const client = new HubClient(rpcUrls[0]);
  try {
    await client.waitForHeight(1, 30_000);
  } catch (e) {
    say(`the hub did not produce a block: ${(e as Error).message}`);
    return stop(1);
  }
  let seen = 0;
  unsubscribe = client.subscribeBlocks(
    (b) => {
      say(`block ${String(b.height).padStart(6)}  ${b.hash.slice(0, 18)}…  txs ${b.txs}${b.failed ? ` (${b.failed} failed)` : ''}  state ${b.stateRoot.slice(0, 12)}…`);
      if (o.blocks && ++seen >= o.blocks) void stop(0);
    },
    (e) => say(`block stream ended: ${(e as Error).message}`),
  );
  try {
    await runSampleFlow(client, homes[0], say);
  } catch (e) {
    say(`sample flow failed: ${(e as Error).message}`);
    return stop(1);
  }
  say('devnet running; Ctrl-C stops it');
}
