/**
 * A local Substrate chain for the devnet, the benchmarks and the tests: chopsticks (npm
 * `@acala-network/chopsticks`, a dev dependency) running the asset-hub parachain runtime offline
 * from the chain spec shipped in `@substrate/connect-known-chains` (`rococo_v2_2_asset_hub`, an
 * Aura parachain: balances, assets, multisig, utility, system.remark), with the dev accounts
 * funded. test/support/chopsticks.ts re-exports it with a free port and a watchdog for tests.
 *
 * What chopsticks is not (checked on 1.1.0 with this runtime): a full node. Its headers carry a
 * zero state root and it serves no `state_getReadProof`; it builds a block when transactions
 * arrive (`Batch`), at once (`Instant`), or on `dev_newBlock` (`Manual`), and `blockTimeMs` here
 * drives a block every interval through `dev_newBlock`.
 *
 * Its clock: each block's `Timestamp.Now` is the parent's plus the runtime's slot (12 s), whatever
 * the wall clock says (the runtime refuses less than half a slot), so a block a second makes the
 * chain's clock run 12 times as fast as the wall clock. `clockBehindMs` starts it in the past and
 * `maxLeadMs` skips a block while the next one would lead the wall clock by more than that:
 * blocks come every `blockTimeMs` until the lead is reached, then one a slot.
 */
import { TIMESTAMP_NOW_KEY } from '../adapters/substrate/reader.ts';
import { jsonRpc } from './json-rpc.ts';
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PontisError } from '../hub-chain/errors.ts';

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
/** `Timestamp.Now` (twox128("Timestamp") ++ twox128("Now")). */
/** With `steady`, the least time between one block's end and the next one's start. */
const MIN_GAP_MS = 200;

export interface ChopsticksOptions {
  port: number;
  /** A block every `blockTimeMs` (through dev_newBlock); omitted means a block when transactions arrive. */
  blockTimeMs?: number;
  /** Count `blockTimeMs` from the start of the previous block's building (a steady cadence), not from its end. */
  steady?: boolean;
  /** Build a block for each transaction at once (chopsticks' `Instant` mode). */
  instant?: boolean;
  /** Accounts (SS58) to fund besides the dev accounts. */
  fund?: string[];
  /** Start the chain's clock this far behind the wall clock (ms); default: chopsticks' own start (the wall clock). */
  clockBehindMs?: number;
  /** With `blockTimeMs`: no block while the next one's time would lead the wall clock by more than this (ms). */
  maxLeadMs?: number;
  /** Where chopsticks' output goes (default: drained and dropped, the last lines kept for errors). */
  logFile?: string;
  /** Scheduling niceness of the process (0..19): the devnet starts it at 10, so its wasm compilation yields the CPU to validators starting beside it. */
  nice?: number;
  /** Called with the process once spawned (a test's watchdog, the devnet's list of children). */
  onSpawn?: (proc: ChildProcess) => void;
  /** How long to wait for its RPC (default 60 s). */
  startTimeoutMs?: number;
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
  /** The driven blocks so far (`blockTimeMs`): built, skipped to keep the clock's lead, and the time spent building (ms). */
  blockStats(): { built: number; skipped: number; buildMs: number };
  stop(): Promise<void>;
}

/** The chopsticks CLI entry, or undefined when the package is not installed. */
export function chopsticksBin(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('@acala-network/chopsticks')), '..', '..', 'chopsticks.cjs');
  } catch {
    return undefined;
  }
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

const stopProcess = (p: ChildProcess, graceMs: number) =>
  new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
    p.once('exit', () => (clearTimeout(t), resolve()));
    p.kill('SIGTERM');
  });

export async function startChopsticks(opts: ChopsticksOptions): Promise<ChopsticksNode> {
  const bin = chopsticksBin();
  if (!bin) throw new PontisError('PNT_ERR_CHOPSTICKS_MISSING', 'chopsticks (npm @acala-network/chopsticks, a dev dependency) is not installed');
  const { port } = opts;
  const spec = await chainSpec();
  const mode = opts.blockTimeMs !== undefined ? 'Manual' : opts.instant ? 'Instant' : 'Batch';
  const args = [bin, '--genesis', spec, '--host', '127.0.0.1', '--port', String(port), '--build-block-mode', mode];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (opts.nice && proc.pid) {
    try {
      setPriority(proc.pid, opts.nice);
    } catch {
      // not allowed here: it runs at the default priority
    }
  }
  opts.onSpawn?.(proc);
  const log = opts.logFile ? createWriteStream(opts.logFile) : undefined;
  let out = '';
  const collect = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
    log?.write(d);
  };
  proc.stderr!.on('data', collect);
  proc.stdout!.on('data', collect);
  const listening = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), opts.startTimeoutMs ?? 60_000);
    const seen = () => {
      if (!out.includes('RPC listening on')) return;
      clearTimeout(t);
      proc.stdout!.off('data', seen);
      resolve(true);
    };
    proc.stdout!.on('data', seen);
    proc.once('exit', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
  if (!listening) {
    proc.kill('SIGKILL');
    throw new PontisError('PNT_ERR_CHOPSTICKS_START', `chopsticks did not start (port ${port}): ${out.slice(-2000)}`, { details: { port } });
  }
  const httpUrl = `http://127.0.0.1:${port}`;
  const rpc = <T = unknown>(method: string, params: unknown[] = []) => jsonRpc<T>(httpUrl, method, params, 'chopsticks');
  const funded = [...Object.values(DEV_ACCOUNTS), ...(opts.fund ?? [])];
  const account = { nonce: 0, consumers: 0, providers: 1, sufficients: 0, data: { free: DEV_BALANCE.toString() } };
  await rpc('dev_setStorage', [{ System: { Account: funded.map((a) => [[a], account]) } }]);
  // before the first block: the block takes the parent's time plus a slot, and Aura's slot follows
  if (opts.clockBehindMs) await rpc('dev_timeTravel', [Date.now() - opts.clockBehindMs]);
  await rpc('dev_newBlock', [{ count: 1 }]);

  const headTime = async () => {
    const v = await rpc<string | null>('state_getStorage', [TIMESTAMP_NOW_KEY]);
    return v ? Number(Buffer.from(v.slice(2), 'hex').readBigUInt64LE()) : Date.now();
  };
  const stats = { built: 0, skipped: 0, buildMs: 0 };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  if (opts.blockTimeMs !== undefined) {
    const every = opts.blockTimeMs;
    let slot = 12_000;
    let last = await headTime();
    const build = async () => {
      if (opts.maxLeadMs !== undefined && last + slot - Date.now() > opts.maxLeadMs) {
        stats.skipped++;
        return;
      }
      const t = Date.now();
      await rpc('dev_newBlock', [{ count: 1 }]);
      stats.built++;
      stats.buildMs += Date.now() - t;
      const now = await headTime();
      if (now > last) slot = now - last;
      last = now;
    };
    const loop = (delay: number) => {
      timer = setTimeout(async () => {
        const began = Date.now();
        await build().catch(() => undefined); // a block that failed is tried again next time
        if (stopped) return;
        // steady: the next block `every` after this one began (a breath between blocks for its RPC, when
        // building takes longer than that); else `every` after it was built
        loop(opts.steady ? Math.max(MIN_GAP_MS, every - (Date.now() - began)) : every);
      }, delay);
    };
    loop(every);
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
    blockStats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await stopProcess(proc, 3000);
      log?.end();
    },
  };
}
