/**
 * Conservation property: three end chains and the hub, driven by a seeded PRNG through random
 * sends (natives and vouchers, every direction, multi-hop), hub decisions, deliveries, error acks,
 * timeouts, queue releases and forged packets, in random order. After every step the books must
 * balance exactly (see checkBooks).
 */
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../../../hub-chain/modules/packets/types.ts';
import { balanceOf, escrowAccount } from '../../../../hub-chain/modules/transfer/bank.ts';
import type { GenesisAccounts } from '../../../../hub-chain/modules/transfer/msgs.ts';
import { onwardOf, outstandingOf } from '../../../../hub-chain/modules/transfer/policy.ts';
import { decodeTransferPayload, denomTrace, encodeTransferPayload, unwrapVoucher } from '../../../../hub-chain/modules/transfer/transfer.ts';
import { type InFlight, Network } from './harness.ts';

/** splitmix32-style generator: deterministic per seed, no dependency. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)], chance: (p: number) => next() < p };
}

const CHAINS = ['chain-a', 'chain-b', 'chain-c'] as const;
const NATIVES: Record<string, string[]> = { 'chain-a': ['uatom', 'ufoo'], 'chain-b': ['ubtc'], 'chain-c': ['ucat'] };
const GENESIS_EACH = 1_000_000n;
const USERS: Record<string, string[]> = Object.fromEntries(CHAINS.map((c, i) => [c, [1, 2, 3].map((u) => '0x' + (i * 16 + u).toString(16).padStart(2, '0').repeat(20))]));
const BAD_RECEIVER = 'bad-receiver';

/** How a packet moves the books: which escrowing route it belongs to and by how much. */
interface Flow {
  kind: 'escrow' | 'return';
  src: string;
  dst: string;
  denom: string;
  amount: bigint;
}
function flowOf(p: Packet): Flow {
  const t = decodeTransferPayload(p.payload);
  const inner = unwrapVoucher(t.denom, p.dstChain);
  return inner !== undefined ? { kind: 'return', src: p.dstChain, dst: p.srcChain, denom: inner, amount: t.value } : { kind: 'escrow', src: p.srcChain, dst: p.dstChain, denom: t.denom, amount: t.value };
}

const key = (...parts: string[]) => parts.join('|');
const add = (m: Map<string, bigint>, k: string, v: bigint) => {
  if (v !== 0n) m.set(k, (m.get(k) ?? 0n) + v);
};
const nonZero = (m: Map<string, bigint>) => new Map([...m].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * The books after one step:
 * - every stored amount is a positive canonical decimal (no negative, no zero left behind), and
 *   the balances of each denom on each chain sum to its supply;
 * - each native denom's supply is its genesis supply;
 * - each voucher t/X/r on Y has supply <= what X escrows for Y in r (minted never exceeds locked);
 * - hub: outstanding[X->Y][r] = supply of t/X/r on Y + escrows forwarded but not yet minted or
 *   undone + returns burned but not (or no longer) deducted by the hub;
 * - X's escrow for Y in r = outstanding[X->Y][r] + escrows not (or no longer) counted by the hub
 *   and not refunded + returns deducted by the hub but not yet released;
 * - onward[X][d] = sum over Y of outstanding[X->Y][d] for each voucher d.
 */
function checkBooks(net: Network, recs: Map<InFlight, Flow>, where: string): void {
  // Violations are collected as text and asserted once: thousands of expect() calls per step are slow.
  const bad: string[] = [];
  const sameBooks = (what: string, actual: Map<string, bigint>, expected: Map<string, bigint>) => {
    const a = nonZero(actual);
    const e = nonZero(expected);
    for (const k of new Set([...a.keys(), ...e.keys()])) if (a.get(k) !== e.get(k)) bad.push(`${what} ${k}: ${a.get(k) ?? 0n} != expected ${e.get(k) ?? 0n}`);
  };
  const supplies = new Map<string, bigint>();
  const escrows = new Map<string, bigint>();
  for (const chain of CHAINS) {
    const sums = new Map<string, bigint>();
    const sup = new Map<string, bigint>();
    for (const [k, v] of net.chain(chain).store.entries('bank/')) {
      if (!/^[1-9][0-9]*$/.test(v)) bad.push(`${chain} ${k} holds ${v}`);
      if (k.startsWith('bank/supply/')) sup.set(k.slice('bank/supply/'.length), BigInt(v));
      else {
        const parts = k.slice('bank/bal/'.length).split('/');
        const holderParts = parts[0] === 'escrow' ? 2 : 1;
        const denom = parts.slice(holderParts).join('/');
        add(sums, denom, BigInt(v));
        if (holderParts === 2) add(escrows, key(chain, parts[1], denom), BigInt(v));
      }
    }
    sameBooks(`${chain} balances vs supply`, sums, sup);
    for (const n of NATIVES[chain]) if (sup.get(n) !== GENESIS_EACH * 3n) bad.push(`${chain} native ${n} supply ${sup.get(n)}`);
    for (const [denom, s] of sup) {
      if (NATIVES[chain].includes(denom)) continue;
      const hop = denomTrace(denom).hops[0];
      if (!(CHAINS as readonly string[]).includes(hop)) {
        bad.push(`${chain} holds ${denom} of no known chain`);
        continue;
      }
      const inner = unwrapVoucher(denom, hop)!;
      const locked = balanceOf(net.chain(hop).store, escrowAccount(chain), inner);
      if (s > locked) bad.push(`${denom} minted on ${chain} (${s}) exceeds ${inner} escrowed on ${hop} (${locked})`);
      add(supplies, key(hop, chain, inner), s);
    }
  }

  const outstanding = new Map<string, bigint>();
  for (const [k, v] of net.hub.store.entries('transfer/outstanding/')) {
    const [src, dst, ...denom] = k.slice('transfer/outstanding/'.length).split('/');
    outstanding.set(key(src, dst, denom.join('/')), BigInt(v));
  }
  const expectedOutstanding = new Map(supplies);
  const expectedEscrow = new Map(outstanding);
  for (const [rec, f] of recs) {
    if (rec.state === 'done') continue; // a resolved packet is fully reflected in balances
    const k = key(f.src, f.dst, f.denom);
    if (f.kind === 'escrow') {
      if (rec.hubCounted && !rec.credited) add(expectedOutstanding, k, f.amount);
      if (!rec.hubCounted) add(expectedEscrow, k, f.amount);
    } else {
      if (!rec.hubCounted) add(expectedOutstanding, k, f.amount);
      if (rec.hubCounted && !rec.credited) add(expectedEscrow, k, f.amount);
    }
  }
  sameBooks('hub outstanding vs minted + in flight', outstanding, expectedOutstanding);
  sameBooks('escrow vs outstanding + not yet counted or released', escrows, expectedEscrow);

  const onward = new Map<string, bigint>();
  for (const [k, v] of outstanding) {
    const [src, , denom] = k.split('|');
    if (denom.startsWith('t/')) add(onward, key(src, denom), v);
  }
  const storedOnward = new Map<string, bigint>();
  for (const [k, v] of net.hub.store.entries('transfer/onward/')) {
    const [chain, ...denom] = k.slice('transfer/onward/'.length).split('/');
    storedOnward.set(key(chain, denom.join('/')), BigInt(v));
  }
  sameBooks('onward vs sum of outstanding', storedOnward, onward);
  if (bad.length > 0) expect(bad, where).toEqual([]);
}

type Stats = Record<string, number>;

function run(seed: number, steps: number, stats: Stats): void {
  const r = prng(seed);
  const genesis: Record<string, GenesisAccounts> = Object.fromEntries(CHAINS.map((c) => [c, USERS[c].map((address) => ({ address, balances: NATIVES[c].map((denom) => ({ denom, amount: GENESIS_EACH.toString() })) }))]));
  const net = new Network(genesis);
  net.time = 10_000_000;
  // Every native route is limited (alternately rejecting and queueing), plus two voucher routes.
  const limits = [
    ...CHAINS.flatMap((src, i) =>
      CHAINS.filter((dst) => dst !== src).flatMap((dst, j) =>
        NATIVES[src].map((denom) => ({ srcChain: src, dstChain: dst, denom, maxAmount: String(10_000 + 2_000 * i), windowMs: 20_000, overflow: (i + j) % 2 === 0 ? ('reject' as const) : ('queue' as const) })),
      ),
    ),
    { srcChain: 'chain-b', dstChain: 'chain-c', denom: 't/chain-a/uatom', maxAmount: '8000', windowMs: 20_000, overflow: 'queue' as const },
    { srcChain: 'chain-b', dstChain: 'chain-a', denom: 't/chain-a/uatom', maxAmount: '12000', windowMs: 15_000, overflow: 'reject' as const },
  ];
  for (const l of limits) expect(net.setRateLimit(l).ok).toBe(true);
  const recs = new Map<InFlight, Flow>();
  const receivers = new Map<InFlight, string>();
  const count = (k: string) => void (stats[k] = (stats[k] ?? 0) + 1);
  const inState = (s: InFlight['state']) => [...recs.keys()].filter((x) => x.state === s);

  const send = () => {
    const src = r.pick(CHAINS);
    const user = r.pick(USERS[src]);
    const dst = r.pick(CHAINS.filter((c) => c !== src));
    const held = net.chain(src).store.entries(`bank/bal/${user}/`).map(([k, v]) => [k.slice(`bank/bal/${user}/`.length), BigInt(v)] as const);
    let denom = 'unknown-denom';
    let amount = '1';
    let expectCode: string | undefined = 'PNT_ERR_BANK_UNKNOWN_DENOM';
    if (held.length > 0 && !r.chance(0.03)) {
      // Vouchers are favoured so that returns and multi-hop paths happen often.
      const vouchers = held.filter(([d]) => d.startsWith('t/'));
      const [d, bal] = vouchers.length > 0 && r.chance(0.6) ? r.pick(vouchers) : r.pick(held);
      denom = d;
      const roll = r.next();
      if (roll < 0.04) [amount, expectCode] = ['0', 'PNT_ERR_BANK_INVALID_AMOUNT'];
      else if (roll < 0.08) [amount, expectCode] = [(bal + 1n).toString(), 'PNT_ERR_BANK_INSUFFICIENT'];
      else if (roll < 0.14) [amount, expectCode] = [bal.toString(), undefined];
      else [amount, expectCode] = [(1n + BigInt(r.int(Number(bal < 9_000n ? bal : 9_000n)))).toString(), undefined];
    }
    const receiver = r.chance(0.08) ? BAD_RECEIVER : r.pick(USERS[dst]);
    const out = net.send(src, user, { dstChain: dst, receiver, denom, amount });
    if (out.ok) {
      recs.set(out.value!, flowOf(out.value!.packet));
      receivers.set(out.value!, receiver);
      count(flowOf(out.value!.packet).kind === 'escrow' ? 'sent-escrow' : 'sent-return');
    } else {
      // A too-long trace is the one refusal the sender cannot see from its balance.
      if (out.code !== 'PNT_ERR_TRANSFER_TRACE_TOO_LONG') expect(out.code, `send ${amount} ${denom}`).toBe(expectCode);
      count(`send-refused:${out.code}`);
    }
  };

  const hubReceive = (rec: InFlight) => {
    const wasQueued = rec.state === 'queued';
    const out = net.hubReceive(rec);
    if (!out.ok) {
      // Honest chains never trip the escrow accounting: only rate limits refuse them.
      expect(out.code).toBe('PNT_ERR_RATE_LIMITED');
      count('hub-rate-limited');
    } else count(out.value === 'queue' ? 'hub-queued' : wasQueued ? 'hub-forwarded-from-queue' : 'hub-forwarded');
  };

  const deliver = (rec: InFlight) => {
    const out = net.deliver(rec);
    // An honest packet fails on the destination exactly when its receiver is bad there.
    expect(out.ok, `deliver ${out.code}`).toBe(receivers.get(rec) !== BAD_RECEIVER);
    if (out.ok) {
      const f = recs.get(rec)!;
      count(f.kind === 'return' ? 'released' : denomTrace(decodeTransferPayload(rec.packet.payload).denom).hops.length > 0 ? 'minted-multi-hop' : 'minted');
    } else count(`recv-failed:${out.code}`);
  };

  const forge = () => {
    const entries = net.hub.store.entries('transfer/outstanding/');
    const src = r.pick(CHAINS);
    const dst = r.pick(CHAINS.filter((c) => c !== src));
    let denom = r.pick(NATIVES[src]);
    if (entries.length > 0 && r.chance(0.7)) {
      const [k] = r.pick(entries);
      const parts = k.slice('transfer/outstanding/'.length).split('/');
      if (parts[0] === src && parts[1] === dst) denom = parts.slice(2).join('/');
    }
    let packet: Packet;
    if (r.chance(0.5) || !denom.startsWith('t/')) {
      // dst returns more than went out over src->dst
      const amount = outstandingOf(net.hub.store, src, dst, denom) + 1n + BigInt(r.int(1000));
      packet = forgedPacket(dst, src, `t/${src}/${denom}`, amount);
    } else {
      // src forwards more of a voucher than its origin route carried
      const hop = denomTrace(denom).hops[0];
      const target = r.pick(CHAINS.filter((c) => c !== src && c !== hop));
      const amount = outstandingOf(net.hub.store, hop, src, unwrapVoucher(denom, hop)!) - onwardOf(net.hub.store, src, denom) + 1n + BigInt(r.int(100));
      packet = forgedPacket(src, target, denom, amount);
    }
    const before = new Map(net.hub.store.m);
    const out = net.hub.atomically((env) => net.policy.onForward(env, packet));
    expect(out.code, 'forged packet').toBe('PNT_ERR_TRANSFER_EXCEEDS_ESCROW');
    expect(net.hub.store.m).toEqual(before);
    count('forged-refused');
  };

  const actions: [number, () => void][] = [
    [30, send],
    [14, () => maybe(inState('sent'), hubReceive)],
    [3, () => maybe(inState('queued'), hubReceive)],
    [14, () => maybe(inState('forwarded'), deliver)],
    [10, () => maybe(inState('delivered'), (x) => net.hubAck(x))],
    [10, () => maybe(inState('acked'), (x) => (count(x.ack!.ok ? 'acked-ok' : `refund:${x.ack!.ok ? '' : x.ack!.error}`), net.ackSource(x)))],
    [3, () => maybe(inState('forwarded'), (x) => (count('timeout-destination'), net.timeoutOnDestination(x)))],
    [2, () => maybe(inState('sent'), (x) => (count('timeout-hub-leg'), net.timeoutOnHub(x)))],
    [3, () => maybe(inState('queued'), (x) => (count('queue-expired'), net.expireQueued(x)))],
    [2, forge],
  ];
  const total = actions.reduce((a, [w]) => a + w, 0);
  const maybe = (xs: InFlight[], f: (x: InFlight) => void) => {
    if (xs.length > 0) f(r.pick(xs));
  };

  for (let i = 0; i < steps; i++) {
    net.time += r.int(1500);
    let roll = r.int(total);
    const action = actions.find(([w]) => (roll -= w) < 0)![1];
    action();
    checkBooks(net, recs, `seed ${seed} step ${i}`);
  }

  // Drain: every packet resolves; then nothing is in flight and the books match exactly.
  for (let round = 0; [...recs.keys()].some((x) => x.state !== 'done'); round++) {
    expect(round, 'drain terminates').toBeLessThan(1000);
    net.time += 10_000;
    for (const x of [...recs.keys()].filter((y) => y.state !== 'done')) {
      if (x.state === 'sent' || x.state === 'queued') hubReceive(x);
      if (x.state === 'forwarded') deliver(x);
      if (x.state === 'delivered') net.hubAck(x);
      if (x.state === 'acked') net.ackSource(x);
      checkBooks(net, recs, `seed ${seed} drain ${round}`);
    }
  }
  for (const [k, v] of net.hub.store.entries('transfer/outstanding/')) {
    const [src, dst, ...denom] = k.slice('transfer/outstanding/'.length).split('/');
    expect(balanceOf(net.chain(src).store, escrowAccount(dst), denom.join('/'))).toBe(BigInt(v));
  }
}

function forgedPacket(srcChain: string, dstChain: string, denom: string, amount: bigint): Packet {
  const payload = encodeTransferPayload({ denom, amount: amount.toString(), sender: USERS[srcChain][0], receiver: USERS[dstChain][0] });
  return { srcChain, srcApp: 'transfer', dstChain, dstApp: 'transfer', sequence: 1_000_000, ordered: false, payload, timeoutHeight: 0, timeoutTimestamp: 0 };
}

describe('transfer conservation', () => {
  const stats: Stats = {};
  it.each([1, 2, 3, 4, 5, 6])('behavior: minted never exceeds escrowed and the hub books balance after every step (seed %i)', (seed) => {
    run(seed, 1500, stats);
  });

  it('behavior: the random runs exercised every path (returns, multi-hop, refunds, timeouts, limits, forgeries)', () => {
    for (const seed of [101, 102]) run(seed, 1500, stats);
    for (const k of [
      'sent-escrow',
      'sent-return',
      'minted',
      'minted-multi-hop',
      'released',
      'recv-failed:PNT_ERR_TRANSFER_INVALID_RECEIVER',
      'refund:PNT_ERR_TRANSFER_INVALID_RECEIVER',
      'refund:PNT_ERR_PACKET_TIMEOUT',
      'refund:PNT_ERR_RATE_LIMITED',
      'timeout-destination',
      'timeout-hub-leg',
      'hub-rate-limited',
      'hub-queued',
      'hub-forwarded-from-queue',
      'queue-expired',
      'forged-refused',
      'send-refused:PNT_ERR_BANK_INSUFFICIENT',
      'send-refused:PNT_ERR_BANK_INVALID_AMOUNT',
      'send-refused:PNT_ERR_BANK_UNKNOWN_DENOM',
    ]) expect(stats[k] ?? 0, `${k} happened`).toBeGreaterThan(0);
  });
});
