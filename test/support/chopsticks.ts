/**
 * Starts a real Substrate runtime for tests: chopsticks (npm `@acala-network/chopsticks`) running
 * the asset-hub parachain runtime offline from the chain spec shipped in
 * `@substrate/connect-known-chains` (`rococo_v2_2_asset_hub`, an Aura parachain: balances,
 * assets, multisig, utility, system.remark). The process is killed on `stop()` and when the test
 * process exits.
 *
 * What chopsticks is not (checked on 1.1.0 with this runtime): a full node. Its headers carry a
 * zero state root and it serves no `state_getReadProof`; it builds a block when transactions
 * arrive (`Batch`), at once (`Instant`), or on `dev_newBlock` (`Manual`), and `blockTimeMs` here
 * drives a block every interval through `dev_newBlock`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './ports.ts';
import { jsonRpc, stopProcess, supervise } from './process.ts';

const require = createRequire(import.meta.url);
const CHOPSTICKS_BIN: string = join(dirname(require.resolve('@acala-network/chopsticks')), '..', '..', 'chopsticks.cjs');

/** Dev accounts chopsticks funds at start (sr25519 from `//Name` on the dev phrase); 10^6 units (10^18 planck) each. */
export const DEV_ACCOUNTS = {
  alice: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
  bob: '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty',
  charlie: '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y',
  dave: '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy',
  eve: '5HGjWAeFDfFCWPsjFQdVV2Msvz2XtMktvgocEZcCj68kUMaw',
  ferdie: '5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL',
} as const;
export const DEV_BALANCE = 10n ** 18n;

export interface ChopsticksOptions {
  /** A block every `blockTimeMs` (through dev_newBlock); omitted means a block when transactions arrive. */
  blockTimeMs?: number;
  /** Build a block for each transaction at once (chopsticks' `Instant` mode). */
  instant?: boolean;
  port?: number;
  /** Accounts (SS58) to fund besides the dev accounts. */
  fund?: string[];
}

export interface ChopsticksNode {
  /** ws:// endpoint (chopsticks answers HTTP JSON-RPC on the same port: `httpUrl`). */
  url: string;
  httpUrl: string;
  port: number;
  pid: number | undefined;
  /** The chain spec file chopsticks runs (its `id` is the chain's name). */
  chainSpecPath: string;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Builds `count` blocks now. */
  newBlock(count?: number): Promise<void>;
  /** `dev_setStorage`: chopsticks' storage override, in its pallet/item form or as raw [key, value] pairs. */
  setStorage(values: unknown, blockHash?: string): Promise<void>;
  stop(): Promise<void>;
}

let chainSpecFile: string | undefined;

/** The asset-hub chain spec from `@substrate/connect-known-chains`, written once per process. */
async function chainSpec(): Promise<string> {
  if (chainSpecFile) return chainSpecFile;
  const { rococo_v2_2_asset_hub } = (await import('@substrate/connect-known-chains')) as { rococo_v2_2_asset_hub: string };
  const dir = mkdtempSync(join(tmpdir(), 'pontis-chopsticks-'));
  chainSpecFile = join(dir, 'asset-hub-rococo.json');
  writeFileSync(chainSpecFile, rococo_v2_2_asset_hub);
  return chainSpecFile;
}

export async function startChopsticks(opts: ChopsticksOptions = {}): Promise<ChopsticksNode> {
  const port = opts.port ?? (await freePort());
  const spec = await chainSpec();
  const mode = opts.blockTimeMs !== undefined ? 'Manual' : opts.instant ? 'Instant' : 'Batch';
  const args = [CHOPSTICKS_BIN, '--genesis', spec, '--host', '127.0.0.1', '--port', String(port), '--build-block-mode', mode];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  supervise(proc);
  let out = '';
  const collect = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  };
  proc.stderr!.on('data', collect);
  const listening = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 60_000);
    proc.stdout!.on('data', (d: Buffer) => {
      collect(d);
      if (out.includes('RPC listening on')) {
        clearTimeout(t);
        resolve(true);
      }
    });
    proc.once('exit', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
  // keep draining its logs so the pipes never fill and block it
  proc.stdout!.removeAllListeners('data');
  proc.stdout!.resume();
  proc.stderr!.removeAllListeners('data');
  proc.stderr!.resume();
  if (!listening) {
    proc.kill('SIGKILL');
    throw new Error(`chopsticks did not start (port ${port}): ${out.slice(-2000)}`);
  }
  const httpUrl = `http://127.0.0.1:${port}`;
  const rpc = <T = unknown>(method: string, params: unknown[] = []) => jsonRpc<T>(httpUrl, method, params, 'chopsticks');
  const funded = [...Object.values(DEV_ACCOUNTS), ...(opts.fund ?? [])];
  const account = { nonce: 0, consumers: 0, providers: 1, sufficients: 0, data: { free: DEV_BALANCE.toString() } };
  await rpc('dev_setStorage', [{ System: { Account: funded.map((a) => [[a], account]) } }]);
  await rpc('dev_newBlock', [{ count: 1 }]);
  let timer: NodeJS.Timeout | undefined;
  if (opts.blockTimeMs !== undefined) {
    const every = opts.blockTimeMs;
    const tick = () => {
      timer = setTimeout(() => {
        rpc('dev_newBlock', [{ count: 1 }]).then(tick, () => undefined);
      }, every);
    };
    tick();
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl,
    port,
    pid: proc.pid,
    chainSpecPath: spec,
    rpc,
    newBlock: async (count = 1) => {
      await rpc('dev_newBlock', [{ count }]);
    },
    setStorage: async (values, blockHash) => {
      await rpc('dev_setStorage', blockHash ? [values, blockHash] : [values]);
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await stopProcess(proc, 3000);
    },
  };
}
