/**
 * The one EVM JSON-RPC client: the hub's attestation observers, the EVM adapter (relayers'
 * reads and writes) and the tools that deploy contracts all speak to EVM nodes through it. HTTP
 * by Node's fetch with a per-request timeout; every failure leaves as an `EvmRpcError` with one
 * of the codes below (retryable unless the request itself is at fault), so callers decide on a
 * code and never parse a node's message. No retries here: callers' poll loops and job queues retry.
 */
import { PontisError } from '../../errors.ts';

/** Anything that can make a JSON-RPC call (the client below; a test double). */
export interface JsonRpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export const EVM_RPC_ERR = {
  /** The node did not answer within the timeout. */
  TIMEOUT: 'PNT_ERR_EVM_RPC_TIMEOUT',
  /** The node could not be reached, or answered with an HTTP failure (details.status; a 4xx other than 429 is not retryable). */
  UNAVAILABLE: 'PNT_ERR_EVM_RPC_UNAVAILABLE',
  /** The node answered with a JSON-RPC error (details.rpcCode, details.message, details.data: revert data, if any). */
  ERROR: 'PNT_ERR_EVM_RPC_ERROR',
  /** The answer is not a JSON-RPC response. */
  BAD_RESPONSE: 'PNT_ERR_EVM_RPC_BAD_RESPONSE',
} as const;

export class EvmRpcError extends PontisError {
  override name = 'EvmRpcError';
}

export interface JsonRpcClientOptions {
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export class JsonRpcClient implements JsonRpcSender {
  private id = 0;
  private readonly timeoutMs: number;

  constructor(
    readonly url: string,
    opts: JsonRpcClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async send(method: string, params: unknown[]): Promise<unknown> {
    const details = { method };
    let res: Response;
    let body: unknown;
    try {
      res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }), signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        // 4xx other than throttling means the request itself is wrong
        const clientSide = res.status >= 400 && res.status < 500 && res.status !== 429;
        throw new EvmRpcError(EVM_RPC_ERR.UNAVAILABLE, `EVM RPC ${method}: HTTP ${res.status}`, { retryable: !clientSide, details: { ...details, status: res.status } });
      }
      body = await res.json().catch((e: unknown) => {
        if ((e as Error)?.name === 'TimeoutError') throw e;
        throw new EvmRpcError(EVM_RPC_ERR.BAD_RESPONSE, `EVM RPC ${method}: the answer is not JSON`, { retryable: true, cause: e, details });
      });
    } catch (e) {
      if (e instanceof EvmRpcError) throw e;
      if ((e as Error)?.name === 'TimeoutError') throw new EvmRpcError(EVM_RPC_ERR.TIMEOUT, `EVM RPC ${method}: no answer in ${this.timeoutMs} ms`, { retryable: true, cause: e, details });
      const sys = (e as { cause?: { code?: unknown } })?.cause?.code;
      throw new EvmRpcError(EVM_RPC_ERR.UNAVAILABLE, `EVM RPC ${method}: cannot reach the node${typeof sys === 'string' ? ` (${sys})` : ''}`, { retryable: true, cause: e, details: { ...details, ...(typeof sys === 'string' ? { sysCode: sys } : {}) } });
    }
    const r = body as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } } | null;
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new EvmRpcError(EVM_RPC_ERR.BAD_RESPONSE, `EVM RPC ${method}: not a JSON-RPC response`, { retryable: true, details });
    if (r.error) {
      const message = typeof r.error.message === 'string' ? r.error.message : 'unknown error';
      throw new EvmRpcError(EVM_RPC_ERR.ERROR, `EVM RPC ${method}: ${message}`, { retryable: true, details: { ...details, rpcCode: r.error.code, message, ...(r.error.data !== undefined ? { data: r.error.data } : {}) } });
    }
    if (!('result' in r)) throw new EvmRpcError(EVM_RPC_ERR.BAD_RESPONSE, `EVM RPC ${method}: response has neither result nor error`, { retryable: true, details });
    return r.result;
  }
}

/** A client for `url` (the observers' and tools' short form). */
export function httpJsonRpc(url: string, opts: JsonRpcClientOptions = {}): JsonRpcClient {
  return new JsonRpcClient(url, opts);
}
