/**
 * A real anvil node per test file (the process is test/support/anvil.ts's). Plus a tiny contract written by hand
 * in bytecode: call it with (slot, value) and it SSTOREs value at slot, emits LOG1(topic = slot,
 * data = value) and LOG0(data = value).
 */
import type { Hex } from '../../../../hub-chain/crypto/bytes.ts';
import { type JsonRpcSender, httpJsonRpc } from '../../../../hub-chain/light-clients/evm/json-rpc.ts';
import { startAnvil as startFixtureAnvil } from '../../../support/anvil.ts';

export interface Anvil {
  url: string;
  rpc: JsonRpcSender;
  from: Hex;
  call<T = unknown>(method: string, ...params: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export async function startAnvil(chainId = 31337): Promise<Anvil> {
  // the shared fixture owns the process: free port, readiness, and a watchdog if this process dies
  const node = await startFixtureAnvil({ chainId });
  const url = node.url;
  const rpc = httpJsonRpc(url);
  const call = async <T>(method: string, ...params: unknown[]) => (await rpc.send(method, params)) as T;
  const [from] = await call<Hex[]>('eth_accounts');
  return {
    url,
    rpc,
    from: from.toLowerCase(),
    call,
    stop: () => node.stop(),
  };
}

/** Runtime: sstore(cd[0], cd[32]); mstore(0, cd[32]); log1(0, 32, cd[0]); log0(0, 32); stop. */
const RUNTIME = '6020356000358181558160005260206000a160206000a000';
/** Init: codecopy(0, 11, len); return(0, len). */
const INIT = `0x601880600b6000396000f3${RUNTIME}`;

export async function waitReceipt(a: Anvil, tx: Hex): Promise<Record<string, any>> {
  for (let i = 0; i < 250; i++) {
    const r = await a.call<Record<string, any> | null>('eth_getTransactionReceipt', tx);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`no receipt for ${tx}`);
}

/** Deploys the store-and-log contract; returns its address. */
export async function deployStore(a: Anvil): Promise<Hex> {
  const tx = await a.call<Hex>('eth_sendTransaction', { from: a.from, data: INIT });
  const r = await waitReceipt(a, tx);
  return String(r.contractAddress).toLowerCase();
}

export const word = (n: bigint | number): Hex => '0x' + BigInt(n).toString(16).padStart(64, '0');

/** Sends store(slot, value) (not waiting for it to be mined). */
export function sendStore(a: Anvil, contract: Hex, slot: Hex, value: Hex): Promise<Hex> {
  return a.call<Hex>('eth_sendTransaction', { from: a.from, to: contract, data: '0x' + slot.slice(2) + value.slice(2), gas: '0x30000' });
}

export async function blockNumber(a: Anvil): Promise<number> {
  return Number(BigInt(await a.call<string>('eth_blockNumber')));
}
