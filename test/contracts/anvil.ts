/**
 * A real anvil node per test file (or bench run) on a free loopback port, plus deploy helpers.
 * The process itself is test/support/anvil.ts's (spawned directly, watched, killed with the test).
 */
import { ContractFactory, type Contract, Interface, JsonRpcProvider, type JsonRpcSigner } from 'ethers';
import { buildContracts, type ContractArtifact } from '../../contracts/evm/build.ts';
import { startAnvil as startFixtureAnvil } from '../support/anvil.ts';

export interface Anvil {
  url: string;
  /** The anvil process (for the benchmarks' CPU figures). */
  pid: number | undefined;
  provider: JsonRpcProvider;
  signer: JsonRpcSigner;
  /** A second funded account (for "not the owner" checks). */
  other: JsonRpcSigner;
  artifacts: Record<string, ContractArtifact>;
  deploy(name: string, ...args: unknown[]): Promise<Contract>;
  /** Moves the node's clock forward and mines a block. */
  increaseTime(seconds: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startAnvil(): Promise<Anvil> {
  const artifacts = buildContracts();
  // the shared fixture owns the process: free port, readiness, and a watchdog if this process dies
  const node = await startFixtureAnvil({ args: ['--gas-limit', '100000000'] });
  const url = node.url;
  // cacheTimeout -1: ethers otherwise replays an identical call's answer for 250 ms, even across a state change
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 50, batchMaxCount: 50, cacheTimeout: -1 });
  const signer = await provider.getSigner(0);
  const other = await provider.getSigner(1);
  return {
    url,
    pid: node.pid,
    provider,
    signer,
    other,
    artifacts,
    async deploy(name, ...args) {
      const a = artifacts[name];
      if (!a) throw new Error(`no artifact ${name}`);
      const c = await new ContractFactory(a.abi as never, a.bytecode, signer).deploy(...args);
      await c.waitForDeployment();
      return c as unknown as Contract;
    },
    async increaseTime(seconds) {
      await provider.send('evm_increaseTime', [seconds]);
      await provider.send('evm_mine', []);
    },
    async stop() {
      provider.destroy();
      await node.stop();
    },
  };
}

let errorsInterface: Interface | undefined;
/** Every custom error of every built contract: ethers decodes reverts of calls but not of sent transactions. */
function allErrors(): Interface {
  if (!errorsInterface) {
    const frags = new Map<string, Record<string, unknown>>();
    for (const a of Object.values(buildContracts())) for (const f of a.abi) if (f.type === 'error') frags.set(JSON.stringify(f), f);
    errorsInterface = new Interface([...frags.values()] as never);
  }
  return errorsInterface;
}

/** The custom error name a reverted call or transaction carries (undefined when it did not revert). */
export async function revertOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    const r = await p;
    if (r && typeof r === 'object' && 'wait' in r && typeof (r as { wait: unknown }).wait === 'function') await (r as { wait: () => Promise<unknown> }).wait();
  } catch (e) {
    const err = e as { revert?: { name?: string }; data?: string; shortMessage?: string; message?: string };
    if (err.revert?.name) return err.revert.name;
    if (typeof err.data === 'string' && err.data.length >= 10) {
      const parsed = allErrors().parseError(err.data);
      if (parsed) return parsed.name;
    }
    return `unknown: ${err.shortMessage ?? err.message}`;
  }
  return undefined;
}

/**
 * Many eth_calls in few JSON-RPC batch requests (ethers sends at most batchMaxCount per request
 * and builds an exception per revert, which dominates when thousands of calls are expected to fail).
 * Returns per call undefined (no revert) or the custom error name.
 */
export async function callBatch(url: string, calls: { to: string; data: string }[], perRequest = 400): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  for (let start = 0; start < calls.length; start += perRequest) {
    const chunk = calls.slice(start, start + perRequest);
    const body = chunk.map((c, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_call', params: [{ to: c.to, data: c.data }, 'latest'] }));
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const replies = (await res.json()) as { id: number; result?: string; error?: { message?: string; data?: string } }[];
    const byId = new Map(replies.map((r) => [r.id, r]));
    chunk.forEach((_, i) => {
      const r = byId.get(i);
      if (!r) out.push('unknown: no reply');
      else if (r.error === undefined) out.push(undefined);
      else {
        const data = r.error.data;
        out.push(typeof data === 'string' && data.length >= 10 ? (allErrors().parseError(data)?.name ?? `unknown: ${data.slice(0, 10)}`) : `unknown: ${r.error.message}`);
      }
    });
  }
  return out;
}
