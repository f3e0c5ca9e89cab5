/**
 * Starts real hub validator processes on loopback for end-to-end tests: a testnet home per
 * node, `pontis node start` per process, kill -9 and restart on demand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { initFullNode, initTestnet, P2P_PORT_OFFSET, type TestnetOptions } from '../../hub-chain/node/init.ts';
import { loadHome } from '../../hub-chain/node/config.ts';
import { freePortRange } from '../support/ports.ts';
import { isRunning, kill9, stopProcess } from '../support/process.ts';

const BIN = resolve(import.meta.dirname, '../../bin/pontis.js');

/** A base port whose RPC and peer ranges are free right now. */
export async function freeBasePort(n: number): Promise<number> {
  const offsets = Array.from({ length: n }, (_, i) => i);
  return freePortRange([...offsets, ...offsets.map((i) => P2P_PORT_OFFSET + i)]);
}

/** The test nets' timeouts (short, for tests on a shared machine). */
export const TEST_CONSENSUS = { commitMs: 100, proposeMs: 800, prevoteMs: 300, precommitMs: 300 };
/** The same with idle blocks at most once a second, as the devnet runs: work still commits at once (benchmarks that measure CPU use it). */
export const IDLE_BLOCKS_CONSENSUS = { ...TEST_CONSENSUS, emptyBlocksIntervalMs: 1000 };

export class Testnet {
  readonly clients: HubClient[];
  private readonly procs: (ChildProcess | undefined)[];
  private readonly validators: number;

  private constructor(
    readonly root: string,
    readonly homes: string[],
    readonly rpcUrls: string[],
  ) {
    this.clients = rpcUrls.map((u) => new HubClient(u));
    this.procs = homes.map(() => undefined);
    this.validators = homes.length;
  }

  /** Adds a home for a non-validating node that dials every validator (not started); returns its index. */
  async addFullNode(): Promise<number> {
    const i = this.homes.length;
    const port = await freeBasePort(1);
    const validatorHomes = this.homes.slice(0, this.validators).map((h) => loadHome(h));
    const home = join(this.root, `full${i}`);
    initFullNode(home, {
      genesis: validatorHomes[0].genesis,
      peers: validatorHomes.map((h) => `ws://127.0.0.1:${h.config.p2p.port}`),
      rpcPort: port,
      p2pPort: port + P2P_PORT_OFFSET,
      moniker: `full${i}`,
      config: { consensus: validatorHomes[0].config.consensus, log: validatorHomes[0].config.log },
    });
    this.homes.push(home);
    this.rpcUrls.push(`http://127.0.0.1:${port}`);
    this.clients.push(new HubClient(`http://127.0.0.1:${port}`));
    this.procs.push(undefined);
    return i;
  }

  static async create(n: number, opts: Partial<TestnetOptions> = {}): Promise<Testnet> {
    const root = mkdtempSync(join(tmpdir(), 'pontis-e2e-'));
    const basePort = await freeBasePort(n);
    const { homes, rpcUrls } = initTestnet(root, { validators: n, basePort, consensus: TEST_CONSENSUS, logLevel: 'info', ...opts });
    return new Testnet(root, homes, rpcUrls);
  }

  start(i: number): void {
    const log = createWriteStream(join(this.homes[i], 'node.log'), { flags: 'a' });
    // PONTIS_NODE_FLAGS passes node flags to validator processes (e.g. --cpu-prof when profiling a benchmark)
    const flags = process.env.PONTIS_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    const p = spawn(process.execPath, [...flags, BIN, 'node', 'start', '--home', this.homes[i], '--exit-with-parent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.pipe(log);
    p.stderr!.pipe(log);
    this.procs[i] = p;
  }

  /** Starts every node; resolves once each answers on its RPC (a node serves its RPC from a thread that may come up after consensus). */
  async startAll(timeoutMs = 90_000): Promise<void> {
    this.homes.forEach((_, i) => this.start(i));
    await Promise.all(
      this.clients.map((c, i) =>
        c.waitForHeight(0, timeoutMs).catch((e: Error) => {
          // say why: a node that exited, or what its log ends with (the home is removed at teardown)
          const p = this.procs[i];
          const state = !p ? 'not started' : this.running(i) ? 'running' : `exited (code ${p.exitCode}, signal ${p.signalCode})`;
          throw new Error(`node ${i} (${this.rpcUrls[i]}) did not answer: ${e.message}; the process is ${state}; its log ends:\n${this.log(i).slice(-3000)}`, { cause: e });
        }),
      ),
    );
  }

  /** OS process id of node i while it runs (benchmarks read its CPU time from /proc). */
  pid(i: number): number | undefined {
    return this.running(i) ? this.procs[i]!.pid : undefined;
  }

  running(i: number): boolean {
    return isRunning(this.procs[i]);
  }

  /** kill -9: no shutdown hooks run. */
  async kill9(i: number): Promise<void> {
    await kill9(this.procs[i]);
  }

  /** SIGSTOP: the process keeps its sockets and state but runs nothing until resumed. */
  pause(i: number): void {
    this.procs[i]?.kill('SIGSTOP');
  }

  resume(i: number): void {
    this.procs[i]?.kill('SIGCONT');
  }

  async stop(i: number): Promise<void> {
    await stopProcess(this.procs[i]);
  }

  /** Stops every running node at the same moment: a graceful signal (what Ctrl-C on a devnet sends) or kill -9. */
  async stopAll(how: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): Promise<void> {
    await Promise.all(this.procs.map((p) => (how === 'SIGKILL' ? kill9(p) : stopProcess(p, 5000, how))));
  }

  log(i: number): string {
    try {
      return readFileSync(join(this.homes[i], 'node.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async destroy(): Promise<void> {
    this.procs.forEach((_, i) => this.resume(i)); // a stopped process would ignore SIGTERM
    await Promise.all(this.homes.map((_, i) => this.stop(i)));
    // PONTIS_KEEP_TESTNET=1 keeps homes and logs for a post-mortem
    if (!process.env.PONTIS_KEEP_TESTNET) rmSync(this.root, { recursive: true, force: true });
  }
}
