/** One JSON-RPC 2.0 call over HTTP to a local node the devnet or a test started (anvil, chopsticks). */
import { PontisError } from '../hub-chain/errors.ts';

/** `who` names the node in the error (`PNT_ERR_DEVNET_RPC`, with the method) when it answers with a JSON-RPC error. */
export async function jsonRpc<T>(url: string, method: string, params: unknown[], who: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw new PontisError('PNT_ERR_DEVNET_RPC', `${who} ${method}: ${body.error.message}`, { details: { who, method } });
  return body.result as T;
}
