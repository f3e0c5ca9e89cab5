/**
 * Fixtures for relayer tests: a private redis-server process (test/support/redis.ts), a hub and
 * two side-chains as validator processes registered both ways, and relayer worker processes
 * started from a config file (kill -9 and restart on demand).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { toHex } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey, type AccountKey } from '../../hub-chain/crypto/ed25519.ts';
import type { RelayerConfigInput } from '../../relayers/config.ts';
import { Testnet } from '../e2e/harness.ts';
import { isRunning, kill9, stopProcess, until } from '../support/process.ts';
import { registerPontisChain as register } from '../support/register-chain.ts';

// the relayer tests import these from here
export { freePort } from '../support/ports.ts';
export { RedisServer } from '../support/redis.ts';
export { until };

export const HUB = 'pontis-hub-1';

export interface Interchain {
  hub: Testnet;
  a: Testnet;
  b: Testnet;
  destroy(): Promise<void>;
}

/** Hub and side-chains dept-a and dept-b, one validator each, every client registered both ways. */
export async function startInterchain(): Promise<Interchain> {
  const hub = await Testnet.create(1, { chainId: HUB });
  const a = await Testnet.create(1, { chainId: 'dept-a', hubChainId: HUB });
  const b = await Testnet.create(1, { chainId: 'dept-b', hubChainId: HUB });
  await Promise.all([hub, a, b].map((n) => n.startAll()));
  await Promise.all([hub, a, b].map((n) => n.clients[0].waitForHeight(2, 60_000)));
  await register(hub, a, 'dept-a');
  await register(hub, b, 'dept-b');
  await register(a, hub, HUB);
  await register(b, hub, HUB);
  return { hub, a, b, destroy: async () => void (await Promise.all([hub, a, b].map((n) => n.destroy()))) };
}

/** A relayer config for the interchain, signer seeds in environment variables RELAYER_KEY_<CHAIN>. */
export function relayerConfig(net: Interchain, redisUrl: string, prefix: string, apiPort: number, tuning: Record<string, number> = {}): RelayerConfigInput {
  return {
    hub: { chainId: HUB, rpc: net.hub.rpcUrls[0], signer: { env: 'RELAYER_KEY_HUB' }, verifyResults: process.env.DBG_NOVERIFY ? false : true },
    chains: [
      { id: 'dept-a', kind: 'pontis', rpc: net.a.rpcUrls[0], signer: { env: 'RELAYER_KEY_A' }, verifyResults: !process.env.DBG_NOVERIFY },
      { id: 'dept-b', kind: 'pontis', rpc: net.b.rpcUrls[0], signer: { env: 'RELAYER_KEY_B' }, verifyResults: !process.env.DBG_NOVERIFY },
    ],
    paths: [
      { id: 'path-a', chain: 'dept-a', hub: HUB },
      { id: 'path-b', chain: 'dept-b', hub: HUB },
    ],
    redis: { url: redisUrl, prefix },
    tuning: { batchSize: 20, concurrency: 4, clearIntervalMs: 3000, backoffMs: 200, maxAttempts: 20, lookbackBlocks: 400, scanIntervalMs: 200, lockMs: 3000, ...tuning },
    api: { host: '127.0.0.1', port: apiPort },
  };
}

/** Fresh signer seeds (two per chain, exercising the round-robin pool) as the env a relayer process reads. */
export function signerEnv(): Record<string, string> {
  const two = () => [generateAccountKey(), generateAccountKey()].map((k: AccountKey) => toHex(k.secretKey)).join(',');
  return { RELAYER_KEY_HUB: two(), RELAYER_KEY_A: two(), RELAYER_KEY_B: two() };
}

const BIN = resolve(import.meta.dirname, '../../bin/pontis.js');

/** A relayer worker process: `relayer start --config FILE` (PONTIS_RELAYER_CPU_PROF=DIR writes a V8 CPU profile of each there on exit). */
export class RelayerProcess {
  private proc: ChildProcess | undefined;
  readonly dir: string;
  readonly configFile: string;
  constructor(
    cfg: RelayerConfigInput,
    private readonly env: Record<string, string>,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'pontis-relayer-'));
    this.configFile = join(this.dir, 'relayer.yaml');
    writeFileSync(this.configFile, stringify(cfg));
    this.apiUrl = `http://${cfg.api!.host}:${cfg.api!.port}`;
  }
  readonly apiUrl: string;

  async start(): Promise<void> {
    const log = createWriteStream(join(this.dir, 'relayer.log'), { flags: 'a' });
    const p = spawn(process.execPath, [...(process.env.PONTIS_RELAYER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PONTIS_RELAYER_CPU_PROF}`] : []), BIN, 'relayer', 'start', '--config', this.configFile, '--exit-with-parent', '--log-level', 'debug'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    this.proc = p;
    await until('relayer API', async () => (await fetch(`${this.apiUrl}/healthz`)).ok);
  }
  running(): boolean {
    return isRunning(this.proc);
  }
  pid(): number | undefined {
    return this.running() ? this.proc?.pid : undefined;
  }
  async kill9(): Promise<void> {
    await kill9(this.proc);
  }
  async stop(): Promise<void> {
    await stopProcess(this.proc);
  }
  log(): string {
    try {
      return readFileSync(join(this.dir, 'relayer.log'), 'utf8');
    } catch {
      return '';
    }
  }
  async metrics(): Promise<string> {
    return (await fetch(`${this.apiUrl}/metrics`)).text();
  }
  cleanup(): void {
    if (!process.env.PONTIS_KEEP_TESTNET) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sum of a Prometheus series over every label set matching `labels`. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
