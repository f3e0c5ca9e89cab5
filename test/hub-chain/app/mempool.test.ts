/**
 * The mempool's bounds: the future-nonce window and caps, TTLs on an injected clock, promotion
 * when a gap closes, eviction by priority and fair share when full, reaping contiguous nonces,
 * pre-checked signatures, and exact count and byte accounting through a seeded random workload.
 */
import { describe, expect, it } from 'vitest';
import { type AccountKey, generateAccountKey } from '../../../hub-chain/crypto/ed25519.ts';
import { type MempoolConfig, Mempool } from '../../../hub-chain/app/mempool.ts';
import { type DecodedTx, decodeTxObject, signTx } from '../../../hub-chain/app/tx.ts';
import { Prng } from '../../sim/prng.ts';
import { codeOf } from '../../support/errors.ts';

const chainId = 'mempool-test-1';
const keys = Array.from({ length: 8 }, generateAccountKey);
const [alice, bob, carol, dave, erin] = keys;

/** A pool over a map of account nonces and a clock the test moves; `seen` is every transaction offered to it. */
function world(cfg: Partial<MempoolConfig> = {}) {
  const w = {
    nonces: new Map<string, number>(),
    t: 1_000_000,
    seen: [] as DecodedTx[],
    pool: undefined as unknown as Mempool,
    add(d: DecodedTx, opts?: { signatureChecked?: boolean }) {
      w.seen.push(d);
      return w.pool.add(d, opts).map((r) => r.tx.body.nonce);
    },
    /** Commits `txs` as a block would: account nonces move past them, then the pool is told. */
    commit(txs: DecodedTx[]) {
      for (const d of txs) w.nonces.set(d.sender, Math.max(w.nonces.get(d.sender) ?? 0, d.tx.body.nonce + 1));
      return w.pool.update(txs).map((r) => r.tx.body.nonce);
    },
    held: () => [...new Map(w.seen.map((d) => [d.hash, d])).values()].filter((d) => w.pool.has(d.hash)),
    heldNonces: (k: AccountKey, kind?: 'executable' | 'future') =>
      w.held()
        .filter((d) => d.sender === k.address && (!kind || w.pool.kind(d.hash) === kind))
        .map((d) => d.tx.body.nonce)
        .sort((a, b) => a - b),
  };
  w.pool = new Mempool({ maxTxs: 1000, maxBytes: 1 << 24, ...cfg }, chainId, (a) => w.nonces.get(a) ?? 0, { now: () => w.t });
  return w;
}
type World = ReturnType<typeof world>;

const tx = (k: AccountKey, nonce: number, pad = 0) => decodeTxObject(signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: '0x' + '02'.repeat(1 + pad) }] }] }, k));
const code = (fn: () => unknown) => codeOf(fn) ?? 'admitted';

/** What must hold after every operation: exact counts and bytes, and each sender's executable nonces contiguous from its account nonce. */
function checkInvariants(w: World) {
  const held = w.held();
  const s = w.pool.stats();
  expect(w.pool.size).toBe(held.length);
  expect(w.pool.totalBytes).toBe(held.reduce((n, d) => n + d.bytes.length, 0));
  expect(s.executable + s.future).toBe(held.length);
  expect(s.future).toBe(held.filter((d) => w.pool.kind(d.hash) === 'future').length);
  for (const sender of new Set(held.map((d) => d.sender))) {
    const mine = held.filter((d) => d.sender === sender).sort((a, b) => a.tx.body.nonce - b.tx.body.nonce);
    let want = w.nonces.get(sender) ?? 0;
    let contiguous = true;
    for (const d of mine) {
      contiguous &&= d.tx.body.nonce === want;
      if (contiguous) want++;
      expect(w.pool.kind(d.hash)).toBe(contiguous ? 'executable' : 'future');
    }
  }
}

describe('mempool: admission window', () => {
  // each case changes an admissible setting a little and names the refusal, or admission
  const cases: { name: string; cfg?: Partial<MempoolConfig>; before: [AccountKey, number][]; offer: [AccountKey, number]; expected: string }[] = [
    { name: 'the next nonce is executable', before: [], offer: [alice, 0], expected: 'admitted' },
    { name: 'a gap within the window waits as future', cfg: { futureNonceWindow: 8 }, before: [], offer: [alice, 8], expected: 'admitted' },
    { name: 'a gap past the window', cfg: { futureNonceWindow: 8 }, before: [], offer: [alice, 9], expected: 'PNT_ERR_TX_NONCE_TOO_FAR' },
    { name: 'the window counts from the next executable nonce, not the account nonce', cfg: { futureNonceWindow: 8 }, before: [0, 1, 2, 3, 4].map((n) => [alice, n]), offer: [alice, 13], expected: 'admitted' },
    { name: 'past the window from the next executable nonce', cfg: { futureNonceWindow: 8 }, before: [0, 1, 2, 3, 4].map((n) => [alice, n]), offer: [alice, 14], expected: 'PNT_ERR_TX_NONCE_TOO_FAR' },
    { name: 'a sender at maxFuturePerSender', cfg: { maxFuturePerSender: 2 }, before: [[alice, 3], [alice, 4]], offer: [alice, 5], expected: 'PNT_ERR_MEMPOOL_FUTURE_FULL' },
    { name: 'maxFuturePerSender 0 takes nothing above a gap', cfg: { maxFuturePerSender: 0 }, before: [], offer: [alice, 1], expected: 'PNT_ERR_MEMPOOL_FUTURE_FULL' },
    { name: 'the future cap is per sender', cfg: { maxFuturePerSender: 2 }, before: [[alice, 3], [alice, 4]], offer: [bob, 5], expected: 'admitted' },
    { name: 'a sender at maxPerSender', cfg: { maxPerSender: 3 }, before: [[alice, 0], [alice, 1], [alice, 2]], offer: [alice, 3], expected: 'PNT_ERR_MEMPOOL_SENDER_FULL' },
    { name: 'a taken nonce', before: [[alice, 0]], offer: [alice, 0], expected: 'PNT_ERR_TX_NONCE_TAKEN' },
  ];
  for (const c of cases) {
    it(`${c.expected === 'admitted' ? 'behavior' : 'error'}: ${c.name}: ${c.expected}`, () => {
      const w = world(c.cfg);
      for (const [k, n] of c.before) w.add(tx(k, n));
      const before = { size: w.pool.size, bytes: w.pool.totalBytes, stats: w.pool.stats() };
      const offered = tx(...c.offer, 1); // other content than anything before it
      expect(code(() => w.add(offered))).toBe(c.expected);
      if (c.expected !== 'admitted') {
        expect({ size: w.pool.size, bytes: w.pool.totalBytes, stats: w.pool.stats() }).toEqual(before);
        expect(w.pool.has(offered.hash)).toBe(false);
      }
      checkInvariants(w);
    });
  }

  it('error: retryable codes say so (full pool, sender cap, future cap); a nonce too far does not', () => {
    const w = world({ maxFuturePerSender: 1, futureNonceWindow: 4 });
    w.add(tx(alice, 2));
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as { code: string; retryable: boolean };
      }
      throw new Error('admitted');
    };
    expect(err(() => w.add(tx(alice, 3)))).toMatchObject({ code: 'PNT_ERR_MEMPOOL_FUTURE_FULL', retryable: true });
    expect(err(() => w.add(tx(alice, 10)))).toMatchObject({ code: 'PNT_ERR_TX_NONCE_TOO_FAR', retryable: false });
    const capped = world({ maxPerSender: 2 });
    capped.add(tx(alice, 0));
    capped.add(tx(alice, 1));
    expect(err(() => capped.add(tx(alice, 2)))).toMatchObject({ code: 'PNT_ERR_MEMPOOL_SENDER_FULL', retryable: true });
    const full = world({ maxTxs: 2 });
    full.add(tx(alice, 0));
    full.add(tx(alice, 1));
    expect(err(() => full.add(tx(alice, 2)))).toMatchObject({ code: 'PNT_ERR_MEMPOOL_FULL', retryable: true });
  });

  it('behavior: at its future cap a sender may swap its farthest future transaction for a nearer one', () => {
    const w = world({ maxFuturePerSender: 3 });
    for (const n of [5, 6, 7]) w.add(tx(alice, n));
    expect(w.add(tx(alice, 2))).toEqual([]);
    expect(w.heldNonces(alice, 'future')).toEqual([2, 5, 6]);
    expect(w.pool.stats().evicted.sender_cap).toBe(1);
    checkInvariants(w);
  });

  it('behavior: at its sender cap, an executable transaction displaces the sender\'s farthest future one', () => {
    const w = world({ maxPerSender: 3 });
    for (const n of [0, 4, 5]) w.add(tx(alice, n));
    expect(w.add(tx(alice, 1))).toEqual([1]);
    expect(w.heldNonces(alice)).toEqual([0, 1, 4]);
    expect(w.heldNonces(alice, 'executable')).toEqual([0, 1]);
    checkInvariants(w);
  });
});

describe('mempool: expiry', () => {
  it('behavior: a future transaction expires after futureTtlMs unless its gap closes', () => {
    const w = world({ futureTtlMs: 30_000, ttlMs: 600_000 });
    const stuck = tx(alice, 3);
    const unblocked = tx(bob, 1);
    w.add(stuck);
    w.add(unblocked);
    w.t += 29_999;
    w.pool.sweep();
    expect(w.pool.has(stuck.hash)).toBe(true);
    expect(w.add(tx(bob, 0))).toEqual([0, 1]); // bob's gap closes in time
    w.t += 1;
    w.pool.sweep();
    expect(w.pool.has(stuck.hash)).toBe(false);
    expect(w.pool.has(unblocked.hash)).toBe(true);
    expect(w.pool.stats().evicted).toMatchObject({ future_ttl: 1, ttl: 0 });
    checkInvariants(w);
  });

  it('behavior: every transaction expires after ttlMs; an expired one takes its sender\'s higher nonces with it', () => {
    const w = world({ futureTtlMs: 30_000, ttlMs: 600_000 });
    w.add(tx(alice, 0));
    w.t += 10_000;
    for (const n of [1, 2]) w.add(tx(alice, n));
    w.add(tx(bob, 0));
    w.t += 590_000 - 1;
    w.commit([]);
    expect(w.pool.size).toBe(4);
    w.t += 1;
    w.commit([]); // each commit sweeps
    expect(w.heldNonces(alice)).toEqual([]);
    expect(w.heldNonces(bob)).toEqual([0]);
    expect(w.pool.stats().evicted.ttl).toBe(3);
    w.t += 10_000;
    w.pool.sweep();
    expect(w.pool.size).toBe(0);
    expect(w.pool.totalBytes).toBe(0);
    // the sender starts again from its account nonce
    expect(w.add(tx(alice, 0, 1))).toEqual([0]);
    checkInvariants(w);
  });

  it('behavior: a full pool drops expired transactions before refusing', () => {
    const w = world({ maxTxs: 3, futureTtlMs: 1_000 });
    w.add(tx(alice, 0));
    w.add(tx(alice, 1));
    w.add(tx(bob, 5));
    // erin's future transaction may not displace alice's executable ones (alice is the largest holder)
    expect(code(() => w.add(tx(erin, 3)))).toBe('PNT_ERR_MEMPOOL_FULL');
    w.t += 1_000;
    expect(code(() => w.add(tx(erin, 3)))).toBe('admitted');
    expect(w.heldNonces(bob)).toEqual([]);
    expect(w.pool.stats().evicted).toMatchObject({ future_ttl: 1, pool_full: 0, fair_share: 0 });
    checkInvariants(w);
  });
});

describe('mempool: promotion', () => {
  it('behavior: add reports what became executable, in nonce order; nothing for a transaction above a gap', () => {
    const w = world();
    expect(w.add(tx(alice, 2))).toEqual([]);
    expect(w.add(tx(alice, 3))).toEqual([]);
    expect(w.add(tx(alice, 1))).toEqual([]);
    expect(w.heldNonces(alice, 'future')).toEqual([1, 2, 3]);
    expect(w.add(tx(alice, 0))).toEqual([0, 1, 2, 3]);
    expect(w.heldNonces(alice, 'executable')).toEqual([0, 1, 2, 3]);
    expect(w.pool.stats()).toMatchObject({ executable: 4, future: 0 });
    expect(w.pool.takePromoted()).toEqual([]); // promotions by add are reported by add
    checkInvariants(w);
  });

  it('behavior: a commit that closes a gap promotes the waiting transactions and keeps them for gossip once', () => {
    const w = world();
    const waiting = [tx(alice, 2), tx(alice, 3)];
    for (const d of waiting) w.add(d);
    w.add(tx(alice, 5));
    // nonces 0 and 1 were committed from another node's pool
    expect(w.commit([tx(alice, 0), tx(alice, 1)])).toEqual([2, 3]);
    expect(w.heldNonces(alice, 'executable')).toEqual([2, 3]);
    expect(w.heldNonces(alice, 'future')).toEqual([5]);
    expect(w.pool.takePromoted().map((d) => d.hash)).toEqual(waiting.map((d) => d.hash));
    expect(w.pool.takePromoted()).toEqual([]);
    expect(w.pool.reap(100, 1 << 20).map((d) => d.tx.body.nonce)).toEqual([2, 3]);
    checkInvariants(w);
  });

  it('behavior: a commit drops used nonces, including a different transaction committed at a pending nonce', () => {
    const w = world();
    for (const n of [0, 1, 2]) w.add(tx(alice, n));
    const rival = tx(alice, 0, 3); // same nonce, other content, committed elsewhere
    w.commit([rival]);
    expect(w.heldNonces(alice, 'executable')).toEqual([1, 2]);
    expect(w.pool.reap(100, 1 << 20).map((d) => d.tx.body.nonce)).toEqual([1, 2]);
    checkInvariants(w);
  });

  it('behavior: a transaction promoted and later expiring by the overall TTL is not offered for gossip', () => {
    const w = world({ ttlMs: 60_000 });
    w.add(tx(alice, 1));
    w.commit([tx(alice, 0)]);
    w.t += 60_000;
    w.pool.sweep();
    expect(w.pool.takePromoted()).toEqual([]);
  });
});

describe('mempool: eviction when full', () => {
  it('behavior: a sender holding fewer displaces the largest holder\'s highest nonce; what stays is contiguous', () => {
    const w = world({ maxTxs: 10 });
    for (let n = 0; n < 8; n++) w.add(tx(alice, n));
    w.add(tx(bob, 0));
    w.add(tx(bob, 1));
    expect(w.add(tx(carol, 0))).toEqual([0]);
    expect(w.heldNonces(alice)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(w.add(tx(bob, 2))).toEqual([2]);
    expect(w.heldNonces(alice)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(w.pool.stats().evicted.fair_share).toBe(2);
    expect(w.pool.size).toBe(10);
    // alice's next nonce is the one after what stays: executable again, not a gap
    w.commit(w.pool.reap(100, 1 << 20));
    expect(w.add(tx(alice, 6, 1))).toEqual([6]);
    checkInvariants(w);
  });

  it('error: no sender can take a larger share than the largest holder: equal holders are refused', () => {
    const w = world({ maxTxs: 4 });
    for (const k of [alice, bob]) for (const n of [0, 1]) w.add(tx(k, n));
    expect(code(() => w.add(tx(alice, 2)))).toBe('PNT_ERR_MEMPOOL_FULL');
    expect(code(() => w.add(tx(carol, 0)))).toBe('admitted'); // 0 < 2: displaces a top nonce
    expect(code(() => w.add(tx(carol, 1)))).toBe('admitted'); // 1 < 2
    expect(code(() => w.add(tx(carol, 2)))).toBe('PNT_ERR_MEMPOOL_FULL'); // 2 = largest
    expect(w.heldNonces(alice).length + w.heldNonces(bob).length).toBe(2);
    checkInvariants(w);
  });

  it('behavior: a flood of gapped transactions from many keys cannot lock out an honest sender', () => {
    const w = world({ maxTxs: 50, maxFuturePerSender: 4 });
    const flood = Array.from({ length: 30 }, generateAccountKey);
    const refused = new Map<string, number>();
    for (const k of flood) {
      for (let n = 1; n <= 6; n++) {
        const c = code(() => w.add(tx(k, n)));
        refused.set(c, (refused.get(c) ?? 0) + 1);
      }
    }
    expect(w.pool.size).toBe(50);
    expect([...refused.keys()].sort()).toEqual(['PNT_ERR_MEMPOOL_FULL', 'PNT_ERR_MEMPOOL_FUTURE_FULL', 'admitted']);
    for (const k of flood) expect(w.heldNonces(k).length).toBeLessThanOrEqual(4);
    for (let n = 0; n < 20; n++) expect(w.add(tx(dave, n))).toEqual([n]);
    expect(w.heldNonces(dave, 'executable')).toHaveLength(20);
    expect(w.pool.stats().future).toBe(30);
    checkInvariants(w);
  });

  it('behavior: future transactions give way before executable ones, oldest first', () => {
    const w = world({ maxTxs: 6 });
    for (const n of [0, 1, 2]) w.add(tx(alice, n));
    const oldFuture = tx(bob, 4);
    const newFuture = tx(carol, 7);
    w.add(oldFuture);
    w.add(tx(bob, 5));
    w.add(newFuture);
    expect(w.add(tx(dave, 0))).toEqual([0]);
    expect(w.pool.has(oldFuture.hash)).toBe(false);
    expect(w.pool.has(newFuture.hash)).toBe(true);
    expect(w.heldNonces(alice)).toEqual([0, 1, 2]);
    expect(w.pool.stats().evicted.pool_full).toBe(1);
    // a future transaction never displaces an executable one
    const w2 = world({ maxTxs: 3 });
    for (const n of [0, 1, 2]) w2.add(tx(alice, n));
    expect(code(() => w2.add(tx(erin, 3)))).toBe('PNT_ERR_MEMPOOL_FULL');
    expect(w2.heldNonces(alice)).toEqual([0, 1, 2]);
    // but may displace the largest holder's highest nonce when that one is future too
    const w3 = world({ maxTxs: 3 });
    for (const n of [0, 1, 5]) w3.add(tx(alice, n));
    expect(code(() => w3.add(tx(erin, 3)))).toBe('admitted');
    expect(w3.heldNonces(alice)).toEqual([0, 1]);
    expect(w3.pool.stats().evicted.fair_share).toBe(1);
    checkInvariants(w);
    checkInvariants(w3);
  });

  it('behavior: an executable transaction does not evict the future ones of its own sender that it unblocks', () => {
    const w = world({ maxTxs: 3 });
    w.add(tx(bob, 0));
    w.add(tx(alice, 1));
    w.add(tx(alice, 2));
    // bob and alice hold 1 and 2; alice's nonce 0 may not displace her own futures, nor take fair share from herself
    expect(code(() => w.add(tx(alice, 0)))).toBe('PNT_ERR_MEMPOOL_FULL');
    expect(w.heldNonces(alice, 'future')).toEqual([1, 2]);
    checkInvariants(w);
  });

  it('behavior: when bytes run out, as many lower-ranked transactions leave as needed and the accounting stays exact', () => {
    const small = [1, 2, 3, 4].map((n) => tx(bob, n, 100)); // bob's wait above a gap
    const S = small[0].bytes.length;
    const maxBytes = tx(alice, 0).bytes.length + 4 * S + 10;
    // a transaction 2.5 times as large needs three of bob's to leave, not four
    const big = tx(carol, 0, Math.ceil((2.5 * S - tx(carol, 0).bytes.length) / 2));
    expect(big.bytes.length).toBeGreaterThan(2 * S + 10);
    expect(big.bytes.length).toBeLessThanOrEqual(3 * S + 10);
    const w = world({ maxBytes });
    w.add(tx(alice, 0));
    for (const d of small) w.add(d);
    expect(w.add(big)).toEqual([0]);
    expect(w.pool.totalBytes).toBeLessThanOrEqual(maxBytes);
    expect(w.heldNonces(alice)).toEqual([0]);
    expect(w.heldNonces(bob)).toEqual([4]); // oldest first
    expect(w.pool.stats().evicted.pool_full).toBe(3);
    checkInvariants(w);
  });
});

describe('mempool: reap', () => {
  it('behavior: arrival order, each sender contiguous from its account nonce; nothing above a gap', () => {
    const w = world();
    w.add(tx(alice, 2));
    w.add(tx(alice, 0));
    w.add(tx(alice, 1));
    w.add(tx(bob, 0));
    w.add(tx(alice, 4));
    const reaped = w.pool.reap(100, 1 << 20).map((d) => `${d.sender === alice.address ? 'a' : 'b'}${d.tx.body.nonce}`);
    expect(reaped).toEqual(['a0', 'a1', 'a2', 'b0']);
    expect(w.pool.reap(2, 1 << 20)).toHaveLength(2);
  });

  it('behavior: a sender whose transactions arrived in reverse order is reaped whole', () => {
    const w = world({ maxFuturePerSender: 19 });
    for (let n = 19; n >= 0; n--) w.add(tx(alice, n));
    expect(w.pool.reap(100, 1 << 20).map((d) => d.tx.body.nonce)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('behavior: the byte and gas limits stop the block without leaving a gap', () => {
    const w = world();
    for (let n = 0; n < 5; n++) w.add(tx(alice, n));
    const one = tx(alice, 0).bytes.length;
    expect(w.pool.reap(100, one * 3 + 1).map((d) => d.tx.body.nonce)).toEqual([0, 1, 2]);
    expect(w.pool.reap(100, 1 << 20, 4).map((d) => d.tx.body.nonce)).toEqual([0, 1]); // 2 gas each
  });
});

describe('mempool: signatures', () => {
  const forged = () => {
    const d = tx(alice, 0);
    return { ...d, tx: { ...d.tx, signature: '0x' + '11'.repeat(64) } };
  };
  it('behavior: signatureChecked admits without verifying and records the transaction as verified', () => {
    const w = world();
    const d = forged(); // a caller that vouches for a signature is trusted: the mempool does not look again
    expect(w.add(d, { signatureChecked: true })).toEqual([0]);
    expect(w.pool.checkSignature(d)).toBe(true);
  });
  it('error: without it a bad signature is refused and nothing changes', () => {
    const w = world();
    expect(code(() => w.add(forged()))).toBe('PNT_ERR_TX_BAD_SIGNATURE');
    expect(w.pool.size).toBe(0);
    expect(w.pool.totalBytes).toBe(0);
  });
});

describe('mempool: accounting under a random workload', () => {
  for (const seed of [1, 2, 3]) {
    it(`behavior: seed ${seed}: counts, bytes, caps and contiguity hold after every step`, () => {
      const cfg = { maxTxs: 40, maxBytes: 6_000, maxPerSender: 12, maxFuturePerSender: 3, futureNonceWindow: 6, futureTtlMs: 5_000, ttlMs: 40_000 };
      const w = world(cfg);
      const rng = new Prng(seed);
      const senders = keys.slice(0, 6);
      for (let step = 0; step < 600; step++) {
        const r = rng.float();
        if (r < 0.75) {
          const k = senders[rng.int(0, senders.length)];
          const base = w.nonces.get(k.address) ?? 0;
          code(() => w.add(tx(k, base + rng.int(0, 10), rng.int(0, 200))));
        } else if (r < 0.85) {
          w.t += rng.int(0, 4_000);
          w.pool.sweep();
        } else {
          w.commit(w.pool.reap(rng.int(1, 10), 1 << 20));
        }
        checkInvariants(w);
        expect(w.pool.size).toBeLessThanOrEqual(cfg.maxTxs);
        expect(w.pool.totalBytes).toBeLessThanOrEqual(cfg.maxBytes);
        const held = w.held();
        for (const k of senders) {
          const mine = held.filter((d) => d.sender === k.address);
          expect(mine.length).toBeLessThanOrEqual(cfg.maxPerSender);
          expect(mine.filter((d) => w.pool.kind(d.hash) === 'future').length).toBeLessThanOrEqual(cfg.maxFuturePerSender);
        }
      }
      const s = w.pool.stats();
      // the workload is meant to reach every kind of eviction; a seed that does not is a weak test
      expect(s.evicted.future_ttl + s.evicted.ttl).toBeGreaterThan(0);
      expect(s.evicted.pool_full + s.evicted.fair_share).toBeGreaterThan(0);
    });
  }
});
