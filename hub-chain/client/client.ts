/**
 * Typed client for a hub node's RPC: what relayers, the CLI and applications use.
 * Errors from the node come back as PontisError with the node's code.
 */
import { PontisError } from '../errors.ts';
import type { Hex } from '../crypto/bytes.ts';
import type { AccountKey } from '../crypto/ed25519.ts';
import { type Msg, type SignedTx, signTx } from '../app/tx.ts';
import type { TxResult } from '../app/app.ts';
import type { Header } from '../types/header.ts';
import type { Commit } from '../types/vote.ts';
import type { Validator } from '../types/validator-set.ts';
import type { Evidence } from '../types/block.ts';

export interface NodeStatus {
  chainId: string;
  nodeId: Hex | null;
  moniker: string;
  latestHeight: number;
  latestBlockHash: Hex | null;
  latestBlockTime: number | null;
  stateRoot: Hex | null;
  validators: { address: Hex; power: number }[];
  catchingUp: boolean;
  mempool: { txs: number; bytes: number };
}

export interface BlockResponse {
  height: number;
  hash: Hex;
  header: Header;
  commit: Commit;
  lastCommit: Commit | null;
  evidence: Evidence[];
  txs: { hash: Hex; sender: Hex; tx: SignedTx; result: TxResult }[];
  events: { type: string; attributes: Record<string, string> }[];
}

export interface StateResponse<P = unknown> {
  key: Hex;
  height: number;
  root: Hex;
  exists: boolean;
  value: Hex | null;
  proof?: P;
}

export interface BlockEvent {
  height: number;
  hash: Hex;
  time: number;
  stateRoot: Hex;
  txs: number;
  txHashes: Hex[];
  failed: number;
}

export type TxStatus = { hash: Hex; status: 'pending' } | { hash: Hex; status: 'committed'; height: number; index: number; result: TxResult };

export class HubClient {
  constructor(readonly url: string, private readonly timeoutMs = 10_000) {}

  status(): Promise<NodeStatus> {
    return this.get('/status');
  }
  block(height: number | 'latest'): Promise<BlockResponse> {
    return this.get(`/blocks/${height}`);
  }
  validators(height?: number): Promise<{ height: number; hash: Hex; totalPower: number; validators: Validator[] }> {
    return this.get(`/validators${height ? `?height=${height}` : ''}`);
  }
  state<P = unknown>(key: { hex: Hex } | { text: string }, opts: { height?: number; prove?: boolean } = {}): Promise<StateResponse<P>> {
    const q = new URLSearchParams('hex' in key ? { key: key.hex } : { keyText: key.text });
    if (opts.height) q.set('height', String(opts.height));
    if (opts.prove) q.set('prove', 'true');
    return this.get(`/state?${q}`);
  }
  account(address: Hex): Promise<{ address: Hex; nonce: number }> {
    return this.get(`/accounts/${address}`);
  }
  proposal(id: number): Promise<Record<string, unknown> & { status: string }> {
    return this.get(`/gov/proposals/${id}`);
  }
  tx(hash: Hex): Promise<TxStatus> {
    return this.get(`/txs/${hash}`);
  }
  submit(tx: SignedTx): Promise<{ hash: Hex; status: 'pending' }> {
    return this.request('POST', '/txs', tx);
  }
  submitBatch(txs: SignedTx[]): Promise<{ results: ({ hash: Hex; status: 'pending' } | { error: { code: string; message: string } })[] }> {
    return this.request('POST', '/txs', { txs });
  }

  /** Signs `msgs` with `key` at the account's next nonce, submits, and waits for the commit. */
  async send(key: AccountKey, msgs: Msg[], opts: { chainId?: string; timeoutMs?: number } = {}): Promise<Extract<TxStatus, { status: 'committed' }>> {
    const chainId = opts.chainId ?? (await this.status()).chainId;
    const { nonce } = await this.account(key.address);
    const { hash } = await this.submit(signTx({ chainId, nonce, msgs }, key));
    return this.waitForTx(hash, opts.timeoutMs);
  }

  async waitForTx(hash: Hex, timeoutMs = 30_000): Promise<Extract<TxStatus, { status: 'committed' }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = await this.tx(hash);
        if (s.status === 'committed') return s;
      } catch (e) {
        if (!(e instanceof PontisError && e.code === 'PNT_ERR_TX_NOT_FOUND')) throw e;
      }
      if (Date.now() > deadline) throw new PontisError('PNT_ERR_TX_TIMEOUT', `transaction ${hash} not committed within ${timeoutMs} ms`, { retryable: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async waitForHeight(height: number, timeoutMs = 30_000): Promise<NodeStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = await this.status();
        if (s.latestHeight >= height) return s;
      } catch (e) {
        if (!(e instanceof PontisError && e.retryable)) throw e;
      }
      if (Date.now() > deadline) throw new PontisError('PNT_ERR_HEIGHT_TIMEOUT', `height ${height} not reached within ${timeoutMs} ms`, { retryable: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Calls `onBlock` for each committed block until the returned function is called. */
  subscribeBlocks(onBlock: (b: BlockEvent) => void, onError?: (e: unknown) => void): () => void {
    const ctrl = new AbortController();
    void (async () => {
      try {
        const res = await fetch(`${this.url}/events/blocks`, { signal: ctrl.signal, headers: { accept: 'text/event-stream' } });
        if (!res.body) throw new PontisError('PNT_ERR_RPC_UNAVAILABLE', 'no event stream', { retryable: true });
        const decoder = new TextDecoder();
        let buf = '';
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = frame.split('\n').find((l) => l.startsWith('data: '));
            if (data) onBlock(JSON.parse(data.slice(6)));
          }
        }
      } catch (e) {
        if (!ctrl.signal.aborted) onError?.(e);
      }
    })();
    return () => ctrl.abort();
  }

  private get<T>(path: string): Promise<T> {
    return this.request('GET', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new PontisError('PNT_ERR_RPC_UNAVAILABLE', `cannot reach ${this.url}: ${(e as Error).message}`, { retryable: true, cause: e });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PontisError('PNT_ERR_RPC_BAD_RESPONSE', `${method} ${path}: HTTP ${res.status}, not JSON`, { retryable: res.status >= 500 });
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown>; retryable?: boolean } }).error;
      throw new PontisError(err?.code ?? 'PNT_ERR_RPC_HTTP', err?.message ?? `HTTP ${res.status}`, { details: err?.details, retryable: err?.retryable ?? res.status >= 500 });
    }
    return json as T;
  }
}
