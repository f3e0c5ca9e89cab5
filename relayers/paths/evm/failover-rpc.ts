/**
 * An EVM chain's JSON-RPC over several nodes, as one `JsonRpcSender` for the adapter: health by
 * block number (paths/endpoint-set.ts: a node more than maxLagBlocks below the best, or failing,
 * is skipped), reads in turn over the healthy nodes, transactions and what follows them (nonces,
 * receipts, gas estimates) to one healthy node at a time. A call that cannot reach its node marks
 * it down and is tried once on another, as is a read the node answered with an error (it may lack
 * the block asked for). Proofs are verified against the hub's record as before.
 */
import { JsonRpcClient, type JsonRpcSender } from '../../../hub-chain/light-clients/evm/json-rpc.ts';
import { endpointVerdict } from '../../error-catalog.ts';
import { PontisError } from '../../../hub-chain/errors.ts';
import { EndpointSet, type EndpointSetOptions } from '../endpoint-set.ts';

const WRITER_METHODS = new Set(['eth_sendRawTransaction', 'eth_getTransactionCount', 'eth_getTransactionReceipt', 'eth_getTransactionByHash', 'eth_estimateGas']);

export class FailoverJsonRpc implements JsonRpcSender {
  readonly endpoints: EndpointSet<JsonRpcClient>;

  constructor(chainId: string, urls: string[], opts: EndpointSetOptions & { timeoutMs?: number }) {
    this.endpoints = new EndpointSet(
      chainId,
      urls.map((url) => ({ url, client: new JsonRpcClient(url, { timeoutMs: opts.timeoutMs ?? 10_000 }) })),
      async (c) => ({ height: Number(BigInt((await c.send('eth_blockNumber', [])) as string)) }),
      opts,
    );
  }

  async send(method: string, params: unknown[]): Promise<unknown> {
    const write = WRITER_METHODS.has(method);
    const block = blockOf(method, params);
    const first = write ? this.endpoints.writer() : block !== undefined ? this.endpoints.readerAt(block) : this.endpoints.reader();
    try {
      return await first.send(method, params);
    } catch (e) {
      const verdict = endpointVerdict(e instanceof PontisError ? e.code : '');
      if (verdict === 'down') this.endpoints.markDown(first, (e as Error).message);
      // a refused transaction is the chain's answer, not the node's failing
      else if (write || verdict === 'answer') throw e;
      const other = this.endpoints.fallback(first);
      if (!other) throw e;
      return other.send(method, params);
    }
  }

  close(): void {
    this.endpoints.close();
  }
}

/** Where a read names its block: the position of the block tag in each method's params. */
const BLOCK_PARAM: Record<string, number> = { eth_getBlockByNumber: 0, eth_getStorageAt: 2, eth_getProof: 2, eth_call: 1, eth_getBalance: 1, eth_getCode: 1 };

/** The block number a read is about (eth_getLogs: its toBlock), when it names one rather than a tag like 'latest'. */
function blockOf(method: string, params: unknown[]): number | undefined {
  const tag = method === 'eth_getLogs' ? (params[0] as { toBlock?: unknown } | undefined)?.toBlock : BLOCK_PARAM[method] !== undefined ? params[BLOCK_PARAM[method]] : undefined;
  return typeof tag === 'string' && /^0x[0-9a-f]+$/i.test(tag) ? Number(BigInt(tag)) : undefined;
}
