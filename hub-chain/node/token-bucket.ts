/**
 * Token buckets for admission control: one bucket per RPC client address and one per peer link.
 * A bucket refills continuously at `ratePerSec` up to `burst`; a request (or a message, or its
 * bytes) spends tokens, and is refused when the bucket cannot pay.
 */

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Spends `n` tokens if the bucket holds them; false (and nothing spent) otherwise. */
  take(n = 1, now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Full again: nothing spent that has not been refilled (an idle client's bucket can be forgotten). */
  isFull(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
      this.last = now;
    }
  }
}

/**
 * One bucket per key (a client address), bounded in memory: full buckets are forgotten on a
 * sweep, and past `maxKeys` a new key shares one overflow bucket rather than growing the map.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly overflow: TokenBucket;
  private lastSweep = Date.now();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
  ) {
    this.overflow = new TokenBucket(ratePerSec, burst);
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, n = 1, now = Date.now()): boolean {
    if (now - this.lastSweep > 10_000) this.sweep(now);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) return this.overflow.take(n, now);
      b = new TokenBucket(this.ratePerSec, this.burst, now);
      this.buckets.set(key, b);
    }
    return b.take(n, now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(k);
  }
}
