/**
 * Pending transactions. Each sender's transactions are either executable (nonces contiguous from
 * the account's committed nonce: what the next block can take) or future (above a nonce gap,
 * waiting for it to close). Future ones are few per sender, within a short nonce window, and
 * expire soon; every transaction expires after an overall TTL. When the pool is full (count or
 * bytes) future transactions give way first, then the largest holder's highest nonce gives way to
 * a sender holding fewer (fair share: the chain has no fees to rank by). `add` and `takePromoted`
 * report the transactions that became executable, the only ones worth gossiping. Reaping takes
 * transactions in arrival order while keeping each sender's nonces contiguous, so a block never
 * holds a nonce gap. Signatures are checked once on entry. Why it is built so: docs/adr/0010-mempool.md.
 */
import type { Hex } from '../crypto/bytes.ts';
import { errorTable } from '../errors.ts';
import { type DecodedTx, TxError, txGas, verifyTxSignature } from './tx.ts';

/** Codes `Mempool.add` refuses with (TxError). Retryable ones can succeed later, unchanged. */
export const MEMPOOL_ERR = {
  /** The same transaction (same hash) is already pending. */
  DUPLICATE: 'PNT_ERR_TX_DUPLICATE',
  /** The body names another chain. */
  WRONG_CHAIN: 'PNT_ERR_TX_WRONG_CHAIN',
  /** The nonce is below the account's committed nonce (details.expected). */
  STALE_NONCE: 'PNT_ERR_TX_STALE_NONCE',
  /** Above a nonce gap and more than `futureNonceWindow` past the sender's next executable nonce (details.expected: that nonce). */
  NONCE_TOO_FAR: 'PNT_ERR_TX_NONCE_TOO_FAR',
  /** Another transaction with this sender and nonce is pending. */
  NONCE_TAKEN: 'PNT_ERR_TX_NONCE_TAKEN',
  /** The ed25519 signature does not verify. */
  BAD_SIGNATURE: 'PNT_ERR_TX_BAD_SIGNATURE',
  /** Retryable: the sender already holds `maxFuturePerSender` transactions above a nonce gap; the missing nonce must come first. */
  FUTURE_FULL: 'PNT_ERR_MEMPOOL_FUTURE_FULL',
  /** Retryable: the sender already holds `maxPerSender` pending transactions; retry once some commit. */
  SENDER_FULL: 'PNT_ERR_MEMPOOL_SENDER_FULL',
  /** Retryable: the pool is full (count or bytes) and nothing in it ranks below this transaction. */
  FULL: 'PNT_ERR_MEMPOOL_FULL',
} as const;

/** Catalog entries of every code admission refuses with (the ones RPC answers 503). */
export const MEMPOOL_ERRORS = errorTable(MEMPOOL_ERR, {
  [MEMPOOL_ERR.FUTURE_FULL]: { retryable: true },
  [MEMPOOL_ERR.SENDER_FULL]: { retryable: true, httpStatus: 503 },
  [MEMPOOL_ERR.FULL]: { retryable: true, httpStatus: 503 },
});

export interface MempoolConfig {
  /** Pending transactions held, executable and future together. */
  maxTxs: number;
  /** Bytes of pending transactions held. */
  maxBytes: number;
  /** Pending transactions per sender, executable and future together. */
  maxPerSender: number;
  /** Transactions above a nonce gap per sender. */
  maxFuturePerSender: number;
  /** How far past the sender's next executable nonce a transaction above a gap may be. */
  futureNonceWindow: number;
  /** A transaction above a gap is dropped this long after it arrived unless the gap closed. */
  futureTtlMs: number;
  /** Any pending transaction is dropped this long after it arrived. */
  ttlMs: number;
}
/** Relayers keep dozens to a few hundred transactions in flight per key; the hub bench ~100. */
export const DEFAULT_MEMPOOL: MempoolConfig = {
  maxTxs: 100_000,
  maxBytes: 256 * 1024 * 1024,
  maxPerSender: 512,
  maxFuturePerSender: 16,
  futureNonceWindow: 64,
  futureTtlMs: 30_000,
  ttlMs: 600_000,
};

export interface AddOptions {
  /** The caller verified the ed25519 signature already (e.g. an RPC worker thread): record it as verified, do not check again. */
  signatureChecked?: boolean;
}

/**
 * Why transactions left the pool other than by commit: `ttl` (overall TTL, and an expired
 * executable's higher nonces, which can no longer run), `future_ttl`, `pool_full` (a future
 * transaction made room for an executable one), `fair_share` (the largest holder's highest nonce
 * made room for a smaller holder), `sender_cap` (a sender's farthest future transaction replaced
 * by a nearer one at its cap).
 */
export type EvictionReason = 'ttl' | 'future_ttl' | 'pool_full' | 'fair_share' | 'sender_cap';

export interface MempoolStats {
  txs: number;
  bytes: number;
  executable: number;
  future: number;
  senders: number;
  evicted: Record<EvictionReason, number>;
}

interface Entry {
  readonly d: DecodedTx;
  readonly q: SenderQueue;
  /** Arrival time (the pool's clock) and arrival sequence number. */
  readonly at: number;
  readonly seq: number;
  future: boolean;
}

interface SenderQueue {
  readonly sender: Hex;
  /** The account nonce as last read from state. */
  base: number;
  /** Nonces base .. next-1 are all pending: the executable run. */
  next: number;
  readonly byNonce: Map<number, Entry>;
  /** Nonces of this sender's future transactions (at most maxFuturePerSender). */
  readonly future: Set<number>;
}

const VERIFIED_CACHE = 200_000;

const first = <V>(c: Map<unknown, V> | Set<V>): V | undefined => c.values().next().value;
const nonceOf = (e: Entry) => e.d.tx.body.nonce;

export class Mempool {
  private readonly cfg: MempoolConfig;
  private readonly now: () => number;
  /** Every pending transaction, in arrival order (reap order and overall TTL order). */
  private readonly txs = new Map<Hex, Entry>();
  /** Future transactions, in arrival order (future TTL order, eviction order). */
  private readonly futures = new Map<Hex, Entry>();
  private readonly senders = new Map<Hex, SenderQueue>();
  /** Senders by how many transactions they hold, and the largest count: finds the largest holder in O(1). */
  private readonly holders = new Map<number, Set<SenderQueue>>();
  private maxHeld = 0;
  /** Hashes made executable by a commit, not yet taken for gossip. */
  private readonly promoted = new Set<Hex>();
  /** Hashes whose signature was checked here (kept after removal: block validation reuses it). */
  private readonly verified = new Map<Hex, true>();
  private readonly evictions: Record<EvictionReason, number> = { ttl: 0, future_ttl: 0, pool_full: 0, fair_share: 0, sender_cap: 0 };
  private bytes = 0;
  private seq = 0;

  /** `cfg` fields left out take DEFAULT_MEMPOOL's; `now` (default Date.now) drives the TTLs. */
  constructor(
    cfg: Partial<MempoolConfig>,
    private readonly chainId: string,
    private readonly nonceOf: (sender: Hex) => number,
    opts: { now?: () => number } = {},
  ) {
    this.cfg = { ...DEFAULT_MEMPOOL, ...cfg };
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.txs.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }
  has(hash: Hex): boolean {
    return this.txs.has(hash);
  }
  get(hash: Hex): DecodedTx | undefined {
    return this.txs.get(hash)?.d;
  }
  /** Whether a pending transaction can run now or waits above a nonce gap. */
  kind(hash: Hex): 'executable' | 'future' | undefined {
    const e = this.txs.get(hash);
    return e && (e.future ? 'future' : 'executable');
  }

  /** Transactions a block could take now (not waiting above a nonce gap). */
  get executable(): number {
    return this.txs.size - this.futures.size;
  }

  stats(): MempoolStats {
    return { txs: this.txs.size, bytes: this.bytes, executable: this.txs.size - this.futures.size, future: this.futures.size, senders: this.senders.size, evicted: { ...this.evictions } };
  }

  /**
   * Checks and admits a transaction; throws TxError (codes in MEMPOOL_ERR) when it is refused.
   * Returns the transactions that became executable through it, in nonce order: itself and any
   * future ones of its sender it unblocked; nothing when it waits above a gap.
   */
  add(d: DecodedTx, opts: AddOptions = {}): DecodedTx[] {
    const now = this.now();
    this.expire(now);
    if (this.txs.has(d.hash)) throw new TxError(MEMPOOL_ERR.DUPLICATE, 'transaction is already pending', { details: { hash: d.hash } });
    if (d.tx.body.chainId !== this.chainId) throw new TxError(MEMPOOL_ERR.WRONG_CHAIN, `transaction is for chain ${d.tx.body.chainId}, this is ${this.chainId}`);
    const nonce = d.tx.body.nonce;
    const base = this.nonceOf(d.sender);
    if (nonce < base) throw new TxError(MEMPOOL_ERR.STALE_NONCE, `nonce ${nonce} already used; account nonce is ${base}`, { details: { expected: base } });
    let q = this.senders.get(d.sender);
    if (q && q.base < base) {
      this.advance(q, base); // a commit this pool was not told of
      q = this.senders.get(d.sender);
    }
    if (q?.byNonce.has(nonce)) throw new TxError(MEMPOOL_ERR.NONCE_TAKEN, `a different transaction with nonce ${nonce} is pending for this sender`);
    const next = q?.next ?? base;
    const future = nonce > next;
    if (future && nonce - next > this.cfg.futureNonceWindow) {
      throw new TxError(MEMPOOL_ERR.NONCE_TOO_FAR, `nonce ${nonce} is more than ${this.cfg.futureNonceWindow} past this sender's next executable nonce ${next}`, { details: { expected: next } });
    }

    // at a per-sender cap, a nearer nonce may take the place of the sender's farthest future one
    let own: Entry | undefined;
    const atFutureCap = future && (q?.future.size ?? 0) >= this.cfg.maxFuturePerSender;
    const atSenderCap = (q?.byNonce.size ?? 0) >= this.cfg.maxPerSender;
    if (atFutureCap || atSenderCap) {
      own = q && this.highestFuture(q);
      if (!own || nonceOf(own) < nonce) {
        if (atFutureCap) throw new TxError(MEMPOOL_ERR.FUTURE_FULL, `this sender already has ${q?.future.size ?? 0} transactions waiting above a nonce gap; send nonce ${next} first`, { retryable: true, details: { expected: next } });
        throw new TxError(MEMPOOL_ERR.SENDER_FULL, `this sender already has ${this.cfg.maxPerSender} pending transactions`, { retryable: true });
      }
    }
    // refuse before the signature check when nothing could make room (cheap under a flood)
    const len = d.bytes.length;
    const full = () => this.txs.size >= this.cfg.maxTxs || this.bytes + len > this.cfg.maxBytes;
    const fullAfterOwn = this.txs.size - (own ? 1 : 0) >= this.cfg.maxTxs || this.bytes - (own?.d.bytes.length ?? 0) + len > this.cfg.maxBytes;
    if (fullAfterOwn && !this.victim(q, future)) throw new TxError(MEMPOOL_ERR.FULL, 'mempool is full', { retryable: true });

    if (opts.signatureChecked) this.remember(d.hash);
    else if (!this.checkSignature(d)) throw new TxError(MEMPOOL_ERR.BAD_SIGNATURE, 'signature does not verify');

    if (own) this.evict(own, 'sender_cap');
    // Victims rank below this transaction, so the ones evicted stay evicted even if, for lack of
    // bytes, it is refused after all; each eviction is O(1) and each transaction is evicted once.
    while (full()) {
      const v = this.victim(this.senders.get(d.sender), future);
      if (!v) throw new TxError(MEMPOOL_ERR.FULL, 'mempool is full', { retryable: true });
      this.evict(v.e, v.reason);
    }

    q = this.senders.get(d.sender);
    if (!q) this.senders.set(d.sender, (q = { sender: d.sender, base, next: base, byNonce: new Map(), future: new Set() }));
    const e: Entry = { d, q, at: now, seq: this.seq++, future };
    this.txs.set(d.hash, e);
    q.byNonce.set(nonce, e);
    this.recount(q, q.byNonce.size - 1);
    this.bytes += len;
    if (future) {
      q.future.add(nonce);
      this.futures.set(d.hash, e);
      return [];
    }
    q.next = nonce + 1;
    return [d, ...this.promote(q)];
  }

  /** Signature check with memory: each transaction is verified at most once per node. */
  checkSignature(d: DecodedTx): boolean {
    if (this.verified.has(d.hash)) return true;
    if (!verifyTxSignature(d)) return false;
    this.remember(d.hash);
    return true;
  }

  /** Up to `maxTxs` / `maxBytes` / `maxGas`: executable transactions in arrival order, each sender's nonces contiguous from its account nonce. */
  reap(maxTxs: number, maxBytes: number, maxGas = Infinity): DecodedTx[] {
    const want = new Map<SenderQueue, number>();
    const out: DecodedTx[] = [];
    let bytes = 0;
    let gas = 0;
    const take = (e: Entry): boolean => {
      if (out.length >= maxTxs) return false;
      const g = txGas(e.d);
      if (bytes + e.d.bytes.length > maxBytes || gas + g > maxGas) return false;
      out.push(e.d);
      bytes += e.d.bytes.length;
      gas += g;
      return true;
    };
    for (const e of this.txs.values()) {
      if (e.future) continue;
      const q = e.q;
      let n = want.get(q) ?? q.base;
      if (nonceOf(e) !== n) continue; // above n: it arrived before a lower nonce and follows that one
      if (!take(e)) return out;
      n++;
      // higher nonces of this sender that arrived earlier were passed over: they follow now
      for (let f = q.byNonce.get(n); f && !f.future && f.seq < e.seq; f = q.byNonce.get(n)) {
        if (!take(f)) return out;
        n++;
      }
      want.set(q, n);
    }
    return out;
  }

  /**
   * After a commit: drops transactions whose nonce is now used (the committed ones among them),
   * promotes future transactions whose gap closed, and drops expired ones. Returns the promoted
   * transactions; they are also kept for `takePromoted`, since the caller here is the chain and
   * not the gossip.
   */
  update(committed: readonly DecodedTx[]): DecodedTx[] {
    const out: DecodedTx[] = [];
    const seen = new Set<Hex>();
    for (const c of committed) {
      if (seen.has(c.sender)) continue;
      seen.add(c.sender);
      const q = this.senders.get(c.sender);
      if (q) out.push(...this.advance(q, this.nonceOf(c.sender)));
    }
    this.expire(this.now());
    return out;
  }

  /** Transactions that commits made executable since the last call, in nonce order per sender (for gossip). */
  takePromoted(): DecodedTx[] {
    const out: DecodedTx[] = [];
    for (const h of this.promoted) out.push(this.txs.get(h)!.d);
    this.promoted.clear();
    return out;
  }

  /** Drops expired transactions now (`add` and `update` also do). */
  sweep(): void {
    this.expire(this.now());
  }

  private remember(hash: Hex): void {
    if (this.verified.has(hash)) return;
    if (this.verified.size >= VERIFIED_CACHE) {
      let n = VERIFIED_CACHE / 4;
      for (const k of this.verified.keys()) {
        this.verified.delete(k);
        if (--n === 0) break;
      }
    }
    this.verified.set(hash, true);
  }

  /** The account nonce moved to `base`: drop what it used, then promote what became contiguous. */
  private advance(q: SenderQueue, base: number): DecodedTx[] {
    if (base <= q.base) return [];
    if (base - q.base <= q.byNonce.size) {
      for (let n = q.base; n < base; n++) {
        const e = q.byNonce.get(n);
        if (e) this.drop(e);
      }
    } else {
      for (const [n, e] of q.byNonce) if (n < base) this.drop(e);
    }
    q.base = base;
    if (q.next < base) q.next = base;
    const promoted = this.promote(q);
    for (const d of promoted) this.promoted.add(d.hash);
    return promoted;
  }

  /** Moves future transactions that now continue the executable run into it. */
  private promote(q: SenderQueue): DecodedTx[] {
    const out: DecodedTx[] = [];
    for (let e = q.byNonce.get(q.next); e; e = q.byNonce.get(q.next)) {
      if (e.future) {
        e.future = false;
        q.future.delete(q.next);
        this.futures.delete(e.d.hash);
        out.push(e.d);
      }
      q.next++;
    }
    return out;
  }

  private highestFuture(q: SenderQueue): Entry | undefined {
    let top = -1;
    for (const n of q.future) if (n > top) top = n;
    return top < 0 ? undefined : q.byNonce.get(top);
  }

  /**
   * What gives way to an incoming transaction of sender `s` (undefined: nothing). An executable
   * one displaces the oldest future transaction of another sender; then, by fair share, a sender
   * holding fewer than the largest holder displaces that holder's highest nonce (a future one
   * only displaces a future one).
   */
  private victim(s: SenderQueue | undefined, incomingFuture: boolean): { e: Entry; reason: EvictionReason } | undefined {
    if (!incomingFuture) {
      for (const e of this.futures.values()) if (e.q !== s) return { e, reason: 'pool_full' };
    }
    if ((s?.byNonce.size ?? 0) >= this.maxHeld) return undefined;
    const largest = first(this.holders.get(this.maxHeld)!)!;
    const top = this.highestFuture(largest) ?? largest.byNonce.get(largest.next - 1)!;
    if (incomingFuture && !top.future) return undefined;
    return { e: top, reason: 'fair_share' };
  }

  /** Removes a future transaction or the top of an executable run (never opening a gap in it). */
  private evict(e: Entry, reason: EvictionReason): void {
    if (!e.future) e.q.next = nonceOf(e);
    this.drop(e);
    this.evictions[reason]++;
  }

  private expire(now: number): void {
    for (let e = first(this.futures); e && now - e.at >= this.cfg.futureTtlMs; e = first(this.futures)) this.evict(e, 'future_ttl');
    for (let e = first(this.txs); e && now - e.at >= this.cfg.ttlMs; e = first(this.txs)) {
      if (e.future) {
        this.evict(e, 'ttl');
        continue;
      }
      // the sender's higher executable nonces cannot run without this one: they go too
      const q = e.q;
      for (let n = q.next - 1; n >= nonceOf(e); n--) this.evict(q.byNonce.get(n)!, 'ttl');
    }
  }

  /** Removes an entry from every index; callers keep the sender's executable run contiguous. */
  private drop(e: Entry): void {
    const q = e.q;
    const hash = e.d.hash;
    this.txs.delete(hash);
    this.promoted.delete(hash);
    if (e.future) {
      this.futures.delete(hash);
      q.future.delete(nonceOf(e));
    }
    q.byNonce.delete(nonceOf(e));
    this.recount(q, q.byNonce.size + 1);
    this.bytes -= e.d.bytes.length;
    if (q.byNonce.size === 0) this.senders.delete(q.sender);
  }

  /** Moves a sender between holder buckets after its count changed from `before`. */
  private recount(q: SenderQueue, before: number): void {
    const after = q.byNonce.size;
    if (before > 0) {
      const b = this.holders.get(before)!;
      b.delete(q);
      if (b.size === 0) this.holders.delete(before);
    }
    if (after > 0) {
      let b = this.holders.get(after);
      if (!b) this.holders.set(after, (b = new Set()));
      b.add(q);
    }
    if (after > this.maxHeld) this.maxHeld = after;
    while (this.maxHeld > 0 && !this.holders.has(this.maxHeld)) this.maxHeld--;
  }
}
