/**
 * Typed client for a hub node's RPC: what relayers, the CLI and applications use.
 * Errors from the node come back as PontisError with the node's code.
 */
import { PontisError } from '../errors.ts';
import { canonicalJson } from '../encoding/canonical-json.ts';
import type { Hex } from '../crypto/bytes.ts';
import type { AccountKey } from '../crypto/ed25519.ts';
import { MAX_TX_BYTES, type Msg, type SignedTx, signTx } from '../app/tx.ts';
import type { Validator } from '../types/validator-set.ts';
import { type HttpAnswer, httpText } from './http.ts';

export type {
  NodeStatus, BlockResponse, BlockResultsResponse, StateResponse, BlockEvent, TxStatus, SignedHeaderResponse, PacketRef, PacketQuery, PendingPackets, ClientSummary, ClientQuery, ChainList, ChainQuery,
  MsgInboxEntry, MsgInboxList, MsgOutcome, Balances, Supply, TransferRoute, AttestationAnswer,
} from '../rpc/wire.ts';
import type {
  NodeStatus, BlockResponse, BlockResultsResponse, StateResponse, BlockEvent, TxStatus, SignedHeaderResponse, PacketRef, PacketQuery, PendingPackets, ClientQuery, ChainList, ChainQuery,
  MsgInboxEntry, MsgInboxList, MsgOutcome, Balances, Supply, TransferRoute, AttestationAnswer,
} from '../rpc/wire.ts';

/** Parses `srcChain/srcApp/dstChain/dstApp/sequence`. */
export function parsePacketId(id: string): PacketRef {
  const parts = id.split('/');
  const sequence = Number(parts[4]);
  if (parts.length !== 5 || parts.some((p) => p === '') || !Number.isSafeInteger(sequence) || sequence < 1) {
    throw new PontisError('PNT_ERR_PACKET_ID_INVALID', `packet id must be srcChain/srcApp/dstChain/dstApp/sequence, got ${JSON.stringify(id)}`);
  }
  return { srcChain: parts[0], srcApp: parts[1], dstChain: parts[2], dstApp: parts[3], sequence };
}

const seg = encodeURIComponent;
/** Tries of a call the node refused with "slow down" (rate limit, busy), waiting 0.5 s, 1 s, ... between them. */
const SLOW_DOWN_ATTEMPTS = 4;
const SLOW_DOWN_WAIT_MS = 500;

export class HubClient {
  constructor(readonly url: string, private readonly timeoutMs = 10_000) {}

  status(): Promise<NodeStatus> {
    return this.get('/status');
  }
  block(height: number | 'latest'): Promise<BlockResponse> {
    return this.get(`/blocks/${height}`);
  }
  /** The block's header, commit, transaction results and events, without the transactions' bodies. */
  blockResults(height: number): Promise<BlockResultsResponse> {
    return this.get(`/blocks/${height}/results`);
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
  /** Values of many keys (hex) at one height, the latest by default, in one round trip (POST /state/batch, at most 1000 keys; no proofs). */
  stateMany(keys: Hex[], opts: { height?: number } = {}): Promise<{ height: number; values: (Hex | null)[] }> {
    return this.request('POST', '/state/batch', { keys, ...(opts.height ? { height: opts.height } : {}) });
  }
  /** Values of many keys (hex) at `height` with a proof each against that height's state root (POST /state/batch with prove, at most 256 keys). */
  stateManyProven<P = unknown>(keys: Hex[], height: number): Promise<{ height: number; root: Hex; values: (Hex | null)[]; proofs: P[] }> {
    return this.request('POST', '/state/batch', { keys, height, prove: true });
  }
  account(address: Hex): Promise<{ address: Hex; nonce: number }> {
    return this.get(`/accounts/${address}`);
  }
  proposal(id: number): Promise<Record<string, unknown> & { status: string }> {
    return this.get(`/gov/proposals/${id}`);
  }
  tx(hash: Hex, opts: { prove?: boolean } = {}): Promise<TxStatus> {
    return this.get(`/txs/${hash}${opts.prove ? '?prove=true' : ''}`);
  }
  /** The header at `height` with its commit (not its transactions). */
  signedHeader(height: number): Promise<SignedHeaderResponse> {
    return this.get(`/headers/${height}`);
  }

  /** What this chain recorded about a packet (404 PNT_ERR_PACKET_NOT_FOUND when nothing). */
  async packet(id: string | PacketRef): Promise<PacketQuery> {
    const r = typeof id === 'string' ? parsePacketId(id) : id;
    return this.get(`/packets/${seg(r.srcChain)}/${seg(r.srcApp)}/${seg(r.dstChain)}/${seg(r.dstApp)}/${r.sequence}`);
  }
  /** Packets from `srcChain` to `dstChain` whose commitment is still outstanding on this chain. */
  pendingPackets(srcChain: string, dstChain: string, opts: { limit?: number } = {}): Promise<PendingPackets> {
    const q = new URLSearchParams({ srcChain, dstChain });
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    return this.get(`/packets/pending?${q}`);
  }
  /** This chain's light client of `chainId` (404 PNT_ERR_CLIENT_NOT_FOUND when none). */
  clientStatus(chainId: string): Promise<ClientQuery> {
    return this.get(`/clients/${seg(chainId)}`);
  }
  /** The chain registry. */
  chains(opts: { limit?: number } = {}): Promise<ChainList> {
    return this.get(`/chains${opts.limit !== undefined ? `?limit=${opts.limit}` : ''}`);
  }
  /** One registry entry with its client summary and paused routes (404 PNT_ERR_CHAIN_UNKNOWN when not registered). */
  chain(chainId: string): Promise<ChainQuery> {
    return this.get(`/chains/${seg(chainId)}`);
  }

  // ---- packet apps' state (404 PNT_ERR_MSG_NOT_FOUND / PNT_ERR_ATTESTATION_NOT_FOUND when nothing is recorded) ----

  /** A message this chain's `msg` app received from `srcChain` (the sequence of its packet). */
  msgInbox(srcChain: string, sequence: number): Promise<MsgInboxEntry> {
    return this.get(`/apps/msg/inbox/${seg(srcChain)}/${sequence}`);
  }
  /** Messages received from `srcChain`, in sequence order from `from` (default 1), at most `limit` (1..1000, default 100). */
  msgInboxList(srcChain: string, opts: { from?: number; limit?: number } = {}): Promise<MsgInboxList> {
    const q = new URLSearchParams();
    if (opts.from !== undefined) q.set('from', String(opts.from));
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    return this.get(`/apps/msg/inbox/${seg(srcChain)}${q.size ? `?${q}` : ''}`);
  }
  /** What became of message `sequence` this chain sent to `dstChain`: delivered, failed (with its code), timed-out, or pending. */
  msgOutcome(dstChain: string, sequence: number): Promise<MsgOutcome> {
    return this.get(`/apps/msg/outcome/${seg(dstChain)}/${sequence}`);
  }
  /** An account's balances (every denom it holds, or one). */
  balances(address: Hex, opts: { denom?: string } = {}): Promise<Balances> {
    return this.get(`/bank/balances/${address}${opts.denom ? `?denom=${seg(opts.denom)}` : ''}`);
  }
  /** What this chain holds in escrow toward `chainId` (every denom, or one). */
  escrow(chainId: string, opts: { denom?: string } = {}): Promise<Balances> {
    return this.get(`/bank/escrow/${seg(chainId)}${opts.denom ? `?denom=${seg(opts.denom)}` : ''}`);
  }
  /** A denom's total supply on this chain. */
  supply(denom: string): Promise<Supply> {
    return this.get(`/bank/supply?denom=${seg(denom)}`);
  }
  /** The hub's accounting of transfers of `denom` from `src` to `dst` (outstanding, onward, rate limit); hub nodes only. */
  transferRoute(src: string, dst: string, denom: string): Promise<TransferRoute> {
    return this.get(`/transfer/routes/${seg(src)}/${seg(dst)}?denom=${seg(denom)}`);
  }
  /** An attestation by `issuer` on `chain` about `subject`: the hub's status record and/or the `attest` app's record here. */
  attestation(chain: string, issuer: string, subject: Hex): Promise<AttestationAnswer> {
    return this.get(`/attestations/${seg(chain)}/${subject}?issuer=${seg(issuer)}`);
  }

  /**
   * Sent as the transaction's canonical bytes, which the node decodes the fast way. A transaction
   * over MAX_TX_BYTES is refused here, as the node would: sent, its body would meet the server's
   * limit mid-upload, and the connection reset then reads as an unreachable node.
   */
  submit(tx: SignedTx): Promise<{ hash: Hex; status: 'pending' }> {
    const body = canonicalJson(tx);
    if (Buffer.byteLength(body, 'utf8') > MAX_TX_BYTES) {
      return Promise.reject(new PontisError('PNT_ERR_TX_TOO_LARGE', `transaction is ${Buffer.byteLength(body, 'utf8')} bytes, limit ${MAX_TX_BYTES}`));
    }
    return this.request('POST', '/txs', new RawJson(body));
  }
  /** Up to 10,000 transactions in one request (POST /txs/batch, its own body limit); each is admitted or refused on its own. */
  submitBatch(txs: SignedTx[]): Promise<{ results: ({ hash: Hex; status: 'pending' } | { error: { code: string; message: string } })[] }> {
    return this.request('POST', '/txs/batch', { txs });
  }

  /** Signs `msgs` with `key` at the account's next nonce, submits, and waits for the commit. */
  async send(key: AccountKey, msgs: Msg[], opts: { chainId?: string; timeoutMs?: number } = {}): Promise<Extract<TxStatus, { status: 'committed' }>> {
    const chainId = opts.chainId ?? (await this.status()).chainId;
    const { nonce } = await this.account(key.address);
    const { hash } = await this.submit(signTx({ chainId, nonce, msgs }, key));
    return this.waitForTx(hash, opts.timeoutMs);
  }

  async waitForTx(hash: Hex, timeoutMs = 60_000, opts: { prove?: boolean } = {}): Promise<Extract<TxStatus, { status: 'committed' }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = await this.tx(hash, opts);
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

  /** A GET of any route, typed by the caller (routes without a method here: /data/..., /audit/...). */
  get<T>(path: string): Promise<T> {
    return this.request('GET', path);
  }

  /** One call, retried a few times when the node asks the client to slow down (429 rate limited, 503 busy): nothing was done for it then. */
  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.requestOnce<T>(method, path, body);
      } catch (e) {
        const slowDown = e instanceof PontisError && (e.code === 'PNT_ERR_RPC_RATE_LIMITED' || e.code === 'PNT_ERR_RPC_BUSY');
        if (!slowDown || attempt >= SLOW_DOWN_ATTEMPTS) throw e;
        await new Promise((r) => setTimeout(r, SLOW_DOWN_WAIT_MS * attempt));
      }
    }
  }

  private async requestOnce<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: HttpAnswer;
    try {
      res = await httpText(method, this.url + path, body === undefined ? undefined : body instanceof RawJson ? body.text : JSON.stringify(body), this.timeoutMs);
    } catch (e) {
      throw new PontisError('PNT_ERR_RPC_UNAVAILABLE', `cannot reach ${this.url}: ${(e as Error).message}`, { retryable: true, cause: e });
    }
    const { text } = res;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PontisError('PNT_ERR_RPC_BAD_RESPONSE', `${method} ${path}: HTTP ${res.status}, not JSON`, { retryable: res.status >= 500 });
    }
    if (res.status < 200 || res.status >= 300) {
      const err = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown>; retryable?: boolean } }).error;
      throw new PontisError(err?.code ?? 'PNT_ERR_RPC_HTTP', err?.message ?? `HTTP ${res.status}`, { details: err?.details, retryable: err?.retryable ?? res.status >= 500 });
    }
    return json as T;
  }
}

/** A request body already encoded as JSON text. */
class RawJson {
  constructor(readonly text: string) {}
}
