/**
 * The hub's forwarding policy for `transfer` packets: per-route, per-asset accounting and rate
 * limits, in provable state on the hub.
 *
 *   transfer/outstanding/<X>/<Y>/<d>  value of `d` (as X names it) that X escrowed for Y and the
 *                                     hub forwarded, less what came back: what Y may have minted
 *   transfer/onward/<X>/<d>           sum over Y of outstanding[X->Y][d], kept for vouchers `d`
 *   transfer/rate-limit/<X>/<Y>/<d>   governance limit on `d` leaving X for Y, with its window usage
 *
 * Invariant: a route never carries back more than it carried out, so no chain can release
 * escrow for vouchers the hub never saw minted, whatever that chain's state machine does. The
 * onward check extends this to a middle chain: it cannot forward more of a voucher than its own
 * origin route holds. See docs/adr/0007-transfers.md.
 */
import type { KVStore, KVView } from '../../app/module.ts';
import type { Module, ModuleEnv } from '../../app/module.ts';
import { utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import { validateChainId } from '../../types/header.ts';
import type { Packet } from '../packets/types.ts';
import type { ForwardPolicy } from './app-interface.ts';
import { MAX_AMOUNT, isDenom, parseMsg } from './bank.ts';
import { AMOUNT_RE, type SetRateLimitAction, setRateLimitSchema } from './msgs.ts';
import { TRANSFER_APP, TransferError, decodeTransferPayload, denomTrace, unwrapVoucher } from './transfer.ts';

export const MAX_WINDOW_MS = 366 * 24 * 60 * 60 * 1000;

export const policyKeys = {
  outstanding: (src: string, dst: string, denom: string) => utf8(`transfer/outstanding/${src}/${dst}/${denom}`),
  onward: (chain: string, denom: string) => utf8(`transfer/onward/${chain}/${denom}`),
  rateLimit: (src: string, dst: string, denom: string) => utf8(`transfer/rate-limit/${src}/${dst}/${denom}`),
};

/** A rate limit and its usage in the current fixed window [windowStart, windowStart + windowMs). */
export interface RateLimit {
  maxAmount: string;
  windowMs: number;
  overflow: 'reject' | 'queue';
  windowStart: number;
  used: string;
}

const readAmount = (b: Uint8Array | undefined): bigint => (b === undefined ? 0n : BigInt(Buffer.from(b).toString('utf8')));
function writeAmount(s: KVStore, key: Uint8Array, v: bigint): void {
  if (v === 0n) s.delete(key);
  else s.set(key, utf8(v.toString()));
}

export const outstandingOf = (s: KVView, src: string, dst: string, denom: string): bigint => readAmount(s.get(policyKeys.outstanding(src, dst, denom)));
export const onwardOf = (s: KVView, chain: string, denom: string): bigint => readAmount(s.get(policyKeys.onward(chain, denom)));
export function rateLimitOf(s: KVView, src: string, dst: string, denom: string): RateLimit | undefined {
  const b = s.get(policyKeys.rateLimit(src, dst, denom));
  return b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as RateLimit);
}

/** Moves outstanding[src->dst][denom] by delta, and the onward sum with it when `denom` is a voucher. */
function adjustOutstanding(s: KVStore, src: string, dst: string, denom: string, delta: bigint): void {
  const out = outstandingOf(s, src, dst, denom) + delta;
  if (out < 0n) throw new TransferError('PNT_ERR_TRANSFER_ACCOUNTING', `outstanding ${denom} on ${src}->${dst} would go negative`, { details: { src, dst, denom } });
  writeAmount(s, policyKeys.outstanding(src, dst, denom), out);
  if (denomTrace(denom).hops.length > 0) writeAmount(s, policyKeys.onward(src, denom), onwardOf(s, src, denom) + delta);
}

/**
 * What a transfer packet does to the accounting. `route` is the escrowing direction whose
 * outstanding changes: the packet's own for an escrow, the reverse one for a return.
 */
interface Flow {
  kind: 'escrow' | 'return';
  route: { src: string; dst: string; denom: string };
  amount: bigint;
  /** The payload's denom: what the source names it, and what rate limits are keyed by. */
  denom: string;
}

function flowOf(packet: Packet): Flow {
  if (packet.srcApp !== TRANSFER_APP || packet.dstApp !== TRANSFER_APP) throw new TransferError('PNT_ERR_TRANSFER_WRONG_APP', `transfer packets travel between ${TRANSFER_APP} apps`, { details: { srcApp: packet.srcApp, dstApp: packet.dstApp } });
  const p = decodeTransferPayload(packet.payload);
  const inner = unwrapVoucher(p.denom, packet.dstChain);
  return inner !== undefined
    ? { kind: 'return', route: { src: packet.dstChain, dst: packet.srcChain, denom: inner }, amount: p.value, denom: p.denom }
    : { kind: 'escrow', route: { src: packet.srcChain, dst: packet.dstChain, denom: p.denom }, amount: p.value, denom: p.denom };
}

const exceeds = (msg: string, details: Record<string, unknown>) => new TransferError('PNT_ERR_TRANSFER_EXCEEDS_ESCROW', msg, { details });

export function transferForwardPolicy(): ForwardPolicy {
  return {
    app: TRANSFER_APP,

    onForward(env: ModuleEnv, packet: Packet): 'forward' | 'queue' {
      const f = flowOf(packet);
      const { src, dst, denom } = f.route;
      // Checks first, writes last: a 'queue' answer must leave no trace.
      if (f.kind === 'return') {
        const out = outstandingOf(env.store, src, dst, denom);
        if (out < f.amount) throw exceeds(`${packet.srcChain} returns ${f.amount} ${f.denom} but only ${out} went out over ${src}->${dst}`, { src, dst, denom, outstanding: out.toString(), amount: f.amount.toString() });
      } else {
        const hop = denomTrace(denom).hops[0];
        // A voucher's backing is on the route from the chain it names; the hub's own tokens reach
        // spokes by the hub's own sends, which its bank and transfer app already bound.
        if (hop !== undefined && hop !== env.chainId) {
          const inner = unwrapVoucher(denom, hop)!;
          const backing = outstandingOf(env.store, hop, src, inner);
          const onward = onwardOf(env.store, src, denom);
          if (onward + f.amount > backing) throw exceeds(`${src} forwards ${onward + f.amount} ${denom} in all, more than the ${backing} that ${hop}->${src} carried`, { src, denom, backing: backing.toString(), onward: onward.toString(), amount: f.amount.toString() });
        }
      }
      const rl = rateLimitOf(env.store, packet.srcChain, packet.dstChain, f.denom);
      let rlNext: RateLimit | undefined;
      if (rl) {
        const windowStart = env.time - (env.time % rl.windowMs);
        const used = rl.windowStart === windowStart ? BigInt(rl.used) : 0n;
        const max = BigInt(rl.maxAmount);
        const details = { srcChain: packet.srcChain, dstChain: packet.dstChain, denom: f.denom, used: used.toString(), maxAmount: rl.maxAmount, windowStart };
        // Larger than a whole window: queueing would only hold it until it times out.
        if (f.amount > max) throw new TransferError('PNT_ERR_RATE_LIMITED', `${f.amount} ${f.denom} exceeds the per-window limit ${max} on ${packet.srcChain}->${packet.dstChain}`, { details });
        if (used + f.amount > max) {
          if (rl.overflow === 'queue') return 'queue';
          throw new TransferError('PNT_ERR_RATE_LIMITED', `${f.denom} on ${packet.srcChain}->${packet.dstChain}: ${used} of ${max} used in this window`, { details, retryable: true });
        }
        rlNext = { ...rl, windowStart, used: (used + f.amount).toString() };
      }
      adjustOutstanding(env.store, src, dst, denom, f.kind === 'escrow' ? f.amount : -f.amount);
      if (rlNext) env.store.set(policyKeys.rateLimit(packet.srcChain, packet.dstChain, f.denom), utf8(canonicalJson(rlNext)));
      env.emit('transfer/forward', { srcChain: packet.srcChain, dstChain: packet.dstChain, sequence: String(packet.sequence), denom: f.denom, amount: f.amount.toString(), kind: f.kind });
      return 'forward';
    },

    onForwardFailed(env: ModuleEnv, packet: Packet): void {
      const f = flowOf(packet);
      const { src, dst, denom } = f.route;
      // Rate-limit usage stays counted: the window measures what left, refunded or not.
      adjustOutstanding(env.store, src, dst, denom, f.kind === 'escrow' ? -f.amount : f.amount);
      env.emit('transfer/forward-failed', { srcChain: packet.srcChain, dstChain: packet.dstChain, sequence: String(packet.sequence), denom: f.denom, amount: f.amount.toString(), kind: f.kind });
    },
  };
}

function invalidLimit(msg: string, cause?: unknown): TransferError {
  return new TransferError('PNT_ERR_TRANSFER_INVALID_RATE_LIMIT', msg, { cause });
}

/** Sets or replaces a route's rate limit; usage in the current window is kept. */
export function setRateLimit(env: ModuleEnv, a: SetRateLimitAction): void {
  for (const c of [a.srcChain, a.dstChain]) {
    try {
      validateChainId(c);
    } catch (e) {
      throw invalidLimit(`invalid chain id ${c.slice(0, 70)}`, e);
    }
  }
  if (a.srcChain === a.dstChain) throw invalidLimit('source and destination are the same chain');
  if (!isDenom(a.denom)) throw invalidLimit('denom must match [a-z][a-z0-9/._-]{1,127}');
  if (!AMOUNT_RE.test(a.maxAmount) || BigInt(a.maxAmount) > MAX_AMOUNT) throw invalidLimit('maxAmount must be a canonical decimal string up to 2^256 - 1');
  if (!Number.isSafeInteger(a.windowMs) || a.windowMs < 1 || a.windowMs > MAX_WINDOW_MS) throw invalidLimit(`windowMs must be 1..${MAX_WINDOW_MS}`);
  const prev = rateLimitOf(env.store, a.srcChain, a.dstChain, a.denom);
  const next: RateLimit = { maxAmount: a.maxAmount, windowMs: a.windowMs, overflow: a.overflow, windowStart: prev?.windowStart ?? 0, used: prev?.used ?? '0' };
  env.store.set(policyKeys.rateLimit(a.srcChain, a.dstChain, a.denom), utf8(canonicalJson(next)));
  env.emit('transfer/rate-limit-set', { srcChain: a.srcChain, dstChain: a.dstChain, denom: a.denom, maxAmount: a.maxAmount, windowMs: String(a.windowMs), overflow: a.overflow });
}

/** Governance of the hub's transfer policy (no messages; one action kind). */
export function transferPolicyModule(): Module {
  return {
    name: 'transfer-policy',
    msgTypes: [],
    govActionKinds: ['transfer/set-rate-limit'],
    handleMsg(_env, msg) {
      throw new TransferError('PNT_ERR_MSG_UNKNOWN', `transfer-policy handles no message ${msg.type}`);
    },
    handleGovAction(env, action) {
      setRateLimit(env, parseMsg(setRateLimitSchema, action));
    },
  };
}
