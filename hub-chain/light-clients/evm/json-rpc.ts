/**
 * The one EVM JSON-RPC client: the hub's attestation observers, the EVM adapter (relayers'
 * reads and writes) and the tools that deploy contracts all speak to EVM nodes through it. HTTP
 * by Node's fetch with a per-request timeout; every failure leaves as an `EvmRpcError` with one
 * of the codes below (retryable unless the request itself is at fault), so callers decide on a
 * code and never parse a node's message. No retries here: callers' poll loops and job queues retry.
 */
import { PontisError } from '../../errors.ts';
import { HttpFailure, httpText } from '../../rpc-client/http.ts';

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
  /** Per HTTP request; default 10 s. */
  timeoutMs?: number;
  /**
   * Calls made in the same turn of the event loop go out as one JSON-RPC batch of at most this
   * many (default 100; 1 sends every call alone). Relay paths read many slots and receipts at
   * once: one round trip instead of one each.
   */
  batchMax?: number;
  /**
   * A batch's HTTP body stays under this many bytes (default 1 MiB); a call larger alone goes
   * alone. Nodes refuse larger bodies: anvil answers "Invalid request" past 2 MiB, or closes the
   * connection mid-body (EPIPE); geth's limit is 5 MiB. Under bench:relay, 8 Gateway calls of
   * ~700 KB each estimated in one batch were refused this way, again and again.
   */
  maxBodyBytes?: number;
}

interface Pending {
  id: number;
  method: string;
  /** The call's JSON-RPC request, serialized once. */
  body: string;
  bytes: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

type RpcAnswer = { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } } | null;

export class JsonRpcClient implements JsonRpcSender {
  private id = 0;
  private readonly timeoutMs: number;
  private readonly batchMax: number;
  private readonly maxBodyBytes: number;
  private queue: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly url: string,
    opts: JsonRpcClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.batchMax = Math.max(1, opts.batchMax ?? 100);
    this.maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  }

  send(method: string, params: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = ++this.id;
      const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
      this.queue.push({ id, method, body, bytes: Buffer.byteLength(body), resolve, reject });
      if (this.queue.length >= this.batchMax) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), 0);
    });
  }

  /** Sends the queued calls as batches of at most batchMax calls and maxBodyBytes bytes (`[`, `,` and `]` counted). */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const calls = this.queue;
    this.queue = [];
    let batch: Pending[] = [];
    let bytes = 1;
    for (const p of calls) {
      if (batch.length && (batch.length >= this.batchMax || bytes + p.bytes + 1 > this.maxBodyBytes)) {
        void this.post(batch);
        batch = [];
        bytes = 1;
      }
      batch.push(p);
      bytes += p.bytes + 1;
    }
    if (batch.length) void this.post(batch);
  }

  private async post(batch: Pending[]): Promise<void> {
    const single = batch.length === 1;
    const what = single ? batch[0].method : `batch of ${batch.length} (${batch[0].method}, ...)`;
    const details = { method: what };
    let body: unknown;
    try {
      const res = await httpText('POST', this.url, single ? batch[0].body : `[${batch.map((p) => p.body).join(',')}]`, this.timeoutMs);
      if (res.status < 200 || res.status >= 300) {
        // 4xx other than throttling means the request itself is wrong
        const clientSide = res.status >= 400 && res.status < 500 && res.status !== 429;
        throw new EvmRpcError(EVM_RPC_ERR.UNAVAILABLE, `EVM RPC ${what}: HTTP ${res.status}`, { retryable: !clientSide, details: { ...details, status: res.status } });
      }
      try {
        body = JSON.parse(res.text);
      } catch (e) {
        throw new EvmRpcError(EVM_RPC_ERR.BAD_RESPONSE, `EVM RPC ${what}: the answer is not JSON`, { retryable: true, cause: e, details });
      }
    } catch (e) {
      const err =
        e instanceof EvmRpcError
          ? e
          : e instanceof HttpFailure && e.timeout
            ? new EvmRpcError(EVM_RPC_ERR.TIMEOUT, `EVM RPC ${what}: no answer in ${this.timeoutMs} ms`, { retryable: true, cause: e, details })
            : unreachable(what, e);
      for (const p of batch) p.reject(err);
      return;
    }
    if (single) return settle(batch[0], body as RpcAnswer);
    // one answer for the whole batch (a node refusing it: overloaded, too large): each call gets it, so its error message is not lost
    if (!Array.isArray(body)) {
      for (const p of batch) settle(p, body as RpcAnswer);
      return;
    }
    const answers = new Map<unknown, RpcAnswer>(body.map((r: RpcAnswer) => [r?.id, r] as const));
    for (const p of batch) {
      const r = answers.get(p.id);
      if (r === undefined) p.reject(new EvmRpcError(EVM_RPC_ERR.BAD_RESPONSE, `EVM RPC ${p.method}: the batch answer has no response for it`, { retryable: true, details: { method: p.method } }));
      else settle(p, r);
    }
  }
}

function unreachable(what: string, e: unknown): EvmRpcError {
  const sys = e instanceof HttpFailure ? e.sysCode : undefined;
  return new EvmRpcError(EVM_RPC_ERR.UNAVAILABLE, `EVM RPC ${what}: cannot reach the node${typeof sys === 'string' ? ` (${sys})` : ''}`, {
    retryable: true,
    cause: e,
    details: { method: what, ...(typeof sys === 'string' ? { sysCode: sys } : {}) },
  });
}

/** One call's answer: its result, or its error as an EvmRpcError. */
function settle(p: Pending, r: RpcAnswer): void {
  const details = { method: p.method };
  if (!r || typeof r !== 'object' || Array.isArray(r)) return p.reject(new EvmRpcError(EVM_RPC_ERR.BAD_RESPONSE, `EVM RPC ${p.method}: not a JSON-RPC response`, { retryable: true, details }));
  if (r.error) {
    const message = typeof r.error.message === 'string' ? r.error.message : 'unknown error';
    return p.reject(new EvmRpcError(EVM_RPC_ERR.ERROR, `EVM RPC ${p.method}: ${message}`, { retryable: true, details: { ...details, rpcCode: r.error.code, message, ...(r.error.data !== undefined ? { data: r.error.data } : {}) } }));
  }
  if (!('result' in r)) return p.reject(new EvmRpcError(EVM_RPC_ERR.BAD_RESPONSE, `EVM RPC ${p.method}: response has neither result nor error`, { retryable: true, details }));
  p.resolve(r.result);
}

/** A client for `url` (the observers' and tools' short form). */
export function httpJsonRpc(url: string, opts: JsonRpcClientOptions = {}): JsonRpcClient {
  return new JsonRpcClient(url, opts);
}
