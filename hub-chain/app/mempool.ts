/**
 * Pending transactions: de-duplicated by hash, one per (sender, nonce), bounded in count and
 * bytes, signatures checked once on entry. Reaping takes transactions in arrival order while
 * keeping each sender's nonces contiguous, so a block never holds a nonce gap.
 */
import type { Hex } from '../crypto/bytes.ts';
import { type DecodedTx, TxError, txGas, verifyTxSignature } from './tx.ts';

export interface MempoolConfig {
  maxTxs: number;
  maxBytes: number;
  /** How far past its account nonce a sender may queue. */
  maxPerSender: number;
}
export const DEFAULT_MEMPOOL: MempoolConfig = { maxTxs: 100_000, maxBytes: 256 * 1024 * 1024, maxPerSender: 10_000 };

const VERIFIED_CACHE = 200_000;

export class Mempool {
  private readonly txs = new Map<Hex, DecodedTx>();
  private readonly bySenderNonce = new Map<string, Hex>();
  /** Hashes whose signature was checked here (kept after removal: block validation reuses it). */
  private readonly verified = new Map<Hex, true>();
  private bytes = 0;

  constructor(
    private readonly cfg: MempoolConfig,
    private readonly chainId: string,
    private readonly nonceOf: (sender: Hex) => number,
  ) {}

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
    return this.txs.get(hash);
  }

  /**
   * Checks and admits a transaction; throws TxError with a stable code when it is refused.
   * `signatureChecked`: the caller (the RPC worker) already verified the signature.
   */
  add(d: DecodedTx, opts: { signatureChecked?: boolean } = {}): void {
    if (this.txs.has(d.hash)) throw new TxError('PNT_ERR_TX_DUPLICATE', 'transaction is already pending', { details: { hash: d.hash } });
    if (d.tx.body.chainId !== this.chainId) throw new TxError('PNT_ERR_TX_WRONG_CHAIN', `transaction is for chain ${d.tx.body.chainId}, this is ${this.chainId}`);
    const nonce = d.tx.body.nonce;
    const expected = this.nonceOf(d.sender);
    if (nonce < expected) throw new TxError('PNT_ERR_TX_STALE_NONCE', `nonce ${nonce} already used; account nonce is ${expected}`, { details: { expected } });
    if (nonce >= expected + this.cfg.maxPerSender) throw new TxError('PNT_ERR_TX_NONCE_TOO_FAR', `nonce ${nonce} is too far ahead of ${expected}`);
    const sn = `${d.sender}/${nonce}`;
    if (this.bySenderNonce.has(sn)) throw new TxError('PNT_ERR_TX_NONCE_TAKEN', `a different transaction with nonce ${nonce} is pending for this sender`);
    if (this.txs.size >= this.cfg.maxTxs || this.bytes + d.bytes.length > this.cfg.maxBytes) throw new TxError('PNT_ERR_MEMPOOL_FULL', 'mempool is full', { retryable: true });
    if (opts.signatureChecked) this.rememberVerified(d.hash);
    else if (!this.checkSignature(d)) throw new TxError('PNT_ERR_TX_BAD_SIGNATURE', 'signature does not verify');
    this.txs.set(d.hash, d);
    this.bySenderNonce.set(sn, d.hash);
    this.bytes += d.bytes.length;
  }

  /** Signature check with memory: each transaction is verified at most once per node. */
  checkSignature(d: DecodedTx): boolean {
    if (this.verified.has(d.hash)) return true;
    if (!verifyTxSignature(d)) return false;
    this.rememberVerified(d.hash);
    return true;
  }

  private rememberVerified(hash: Hex): void {
    if (this.verified.size >= VERIFIED_CACHE) {
      let n = VERIFIED_CACHE / 4;
      for (const k of this.verified.keys()) {
        this.verified.delete(k);
        if (--n === 0) break;
      }
    }
    this.verified.set(hash, true);
  }

  /** Up to `maxTxs` / `maxBytes` transactions, arrival order, each sender's nonces contiguous from its account nonce. */
  reap(maxTxs: number, maxBytes: number, maxGas = Infinity): DecodedTx[] {
    const next = new Map<Hex, number>();
    const out: DecodedTx[] = [];
    let bytes = 0;
    let gas = 0;
    let pending = [...this.txs.values()];
    // A later pass picks up transactions that arrived before a lower nonce of the same sender.
    for (let pass = 0; pass < 4 && pending.length > 0; pass++) {
      const skipped: DecodedTx[] = [];
      for (const d of pending) {
        if (out.length >= maxTxs) return out;
        const want = next.get(d.sender) ?? this.nonceOf(d.sender);
        if (d.tx.body.nonce !== want) {
          if (d.tx.body.nonce > want) skipped.push(d);
          continue;
        }
        const g = txGas(d);
        if (bytes + d.bytes.length > maxBytes || gas + g > maxGas) return out;
        out.push(d);
        bytes += d.bytes.length;
        gas += g;
        next.set(d.sender, want + 1);
      }
      if (skipped.length === pending.length) break;
      pending = skipped;
    }
    return out;
  }

  /** After a commit: drop included transactions and any whose nonce is now used. */
  update(committed: readonly DecodedTx[]): void {
    const senders = new Map<Hex, number>();
    for (const c of committed) {
      this.remove(c.hash);
      senders.set(c.sender, -1);
    }
    if (senders.size === 0) return;
    for (const d of this.txs.values()) {
      let n = senders.get(d.sender);
      if (n === undefined) continue;
      if (n < 0) senders.set(d.sender, (n = this.nonceOf(d.sender)));
      if (d.tx.body.nonce < n) this.remove(d.hash);
    }
  }

  private remove(hash: Hex): void {
    const d = this.txs.get(hash);
    if (!d) return;
    this.txs.delete(hash);
    this.bySenderNonce.delete(`${d.sender}/${d.tx.body.nonce}`);
    this.bytes -= d.bytes.length;
  }
}
