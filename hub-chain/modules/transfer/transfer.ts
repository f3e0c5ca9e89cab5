/**
 * The `transfer` packet app: fungible tokens between end chains, lock/mint and burn/unlock.
 *
 * A denom records its path. `uatom` of chain A arriving on B becomes the voucher `t/A/uatom`
 * (minted on B); sent on from B to C it becomes `t/B/t/A/uatom`. Sending a voucher toward the
 * chain its outermost hop names (`t/A/...` from B to A) burns it, and A releases the inner denom
 * from its escrow for B; anything else is escrowed per destination chain. The hub routes packets
 * but is never a hop in a trace: srcChain/dstChain are the end chains. See
 * docs/adr/0007-transfers.md.
 */
import { z } from 'zod';
import type { Module, ModuleEnv } from '../../app/module.ts';
import { type Hex, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import { PontisError, parseSchema } from '../../errors.ts';
import { validateChainId } from '../../types/header.ts';
import { type Ack, MAX_PAYLOAD_BYTES, type Packet, TIMEOUT_ERROR } from '../packets/types.ts';
import type { PacketApp, PacketSender } from './app-interface.ts';
import {
  ZERO_ADDRESS,
  balanceOf,
  burnCoins,
  escrowAccount,
  isAccountAddress,
  isDenom,
  mintCoins,
  parseAmount,
  parseMsg,
  requireDenom,
  requireKnownDenom,
  sendCoins,
} from './bank.ts';
import { type TransferSendMsg, transferSendSchema } from './msgs.ts';

export class TransferError extends PontisError {
  override name = 'TransferError';
}

export const TRANSFER_APP = 'transfer';
/** Applied when a send names neither timeout, so escrowed funds can never be stranded. */
export const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

/** The voucher a chain mints for `denom` arriving from `srcChain`. */
export const voucherDenom = (srcChain: string, denom: string): string => `t/${srcChain}/${denom}`;

/** If `denom` is a voucher of `chain`'s tokens (`t/<chain>/<inner>`), the inner denom as `chain` names it. */
export function unwrapVoucher(denom: string, chain: string): string | undefined {
  const prefix = `t/${chain}/`;
  return denom.startsWith(prefix) ? denom.slice(prefix.length) : undefined;
}

/** The hops of a denom, nearest first, and the native denom at its origin: `t/B/t/A/uatom` -> [B, A], uatom. */
export function denomTrace(denom: string): { hops: string[]; base: string } {
  const hops: string[] = [];
  let rest = denom;
  for (let m = /^t\/([^/]+)\/(.+)$/.exec(rest); m; m = /^t\/([^/]+)\/(.+)$/.exec(rest)) {
    hops.push(m[1]);
    rest = m[2];
  }
  return { hops, base: rest };
}

/** Packet payload: canonical JSON, amounts as decimal strings. `denom` is the full trace on the sending chain. */
export interface TransferPayload {
  denom: string;
  amount: string;
  sender: string;
  receiver: string;
  memo?: string;
}
const payloadSchema = z.strictObject({
  denom: z.string(),
  amount: z.string(),
  sender: z.string().min(1).max(128),
  receiver: z.string().max(128),
  memo: z.string().max(256).optional(),
});

export const encodeTransferPayload = (p: TransferPayload): Hex => toHex(utf8(canonicalJson(p)));

/** Parses and checks a payload (shape, canonical bytes, denom, positive amount); throws the code the error ack carries. */
export function decodeTransferPayload(payload: Hex): TransferPayload & { value: bigint } {
  const bad = (msg: string, cause?: unknown) => new TransferError('PNT_ERR_TRANSFER_INVALID_PAYLOAD', msg, { cause });
  if (typeof payload !== 'string' || payload.length > 2 + 2 * MAX_PAYLOAD_BYTES) throw bad('payload missing or too large');
  let text: string;
  let obj: unknown;
  try {
    text = Buffer.from(fromHex(payload)).toString('utf8');
    obj = JSON.parse(text);
  } catch (e) {
    throw bad('payload is not hex-encoded JSON', e);
  }
  const data = parseSchema(payloadSchema, obj, (i) => bad(`payload ${i.path || '(root)'}: ${i.message}`));
  // One encoding per transfer: the commitment then pins its meaning exactly.
  if (canonicalJson(data) !== text) throw bad('payload is not canonical JSON');
  requireDenom(data.denom);
  return { ...data, value: parseAmount(data.amount) };
}

const FOREIGN_RECEIVER_RE = /^[\x21-\x7e]{1,128}$/;
/** The source cannot know every destination's address format; it refuses what no chain accepts and the zero address. */
function requireForeignReceiver(s: string): void {
  if (!FOREIGN_RECEIVER_RE.test(s) || /^0x0*$/.test(s)) throw new TransferError('PNT_ERR_TRANSFER_INVALID_RECEIVER', 'receiver must be 1-128 printable ASCII characters and not the zero address', { details: { receiver: s.slice(0, 130) } });
}
/** On this chain (Pontis) a receiver is a non-zero account address. */
function requireLocalReceiver(s: string): void {
  if (!isAccountAddress(s) || s === ZERO_ADDRESS) throw new TransferError('PNT_ERR_TRANSFER_INVALID_RECEIVER', 'receiver must be a non-zero 0x-prefixed 20-byte lower-case hex address', { details: { receiver: s.slice(0, 130) } });
}

function requireCounterparty(env: ModuleEnv, chain: string): void {
  try {
    validateChainId(chain);
  } catch (e) {
    throw new TransferError('PNT_ERR_TRANSFER_INVALID_CHAIN', `invalid destination chain id`, { cause: e, details: { dstChain: chain.slice(0, 70) } });
  }
  if (chain === env.chainId) throw new TransferError('PNT_ERR_TRANSFER_INVALID_CHAIN', 'cannot transfer to this chain itself', { details: { dstChain: chain } });
}

export interface TransferApp extends PacketApp {
  /** Runs `transfer/send` on the source: burns or escrows, then sends the packet. */
  send(env: ModuleEnv, msg: TransferSendMsg): Packet;
}

export function transferApp(sender: PacketSender): TransferApp {
  function refund(env: ModuleEnv, packet: Packet, reason: string): void {
    const p = decodeTransferPayload(packet.payload);
    // Mirror of send: what was burned is minted back, what was escrowed is released.
    if (unwrapVoucher(p.denom, packet.dstChain) !== undefined) mintCoins(env.store, p.sender, p.denom, p.value);
    else sendCoins(env.store, escrowAccount(packet.dstChain), p.sender, p.denom, p.value);
    env.emit('transfer/refund', { sender: p.sender, denom: p.denom, amount: p.amount, dstChain: packet.dstChain, sequence: String(packet.sequence), reason });
  }

  return {
    name: TRANSFER_APP,

    send(env, msg) {
      requireCounterparty(env, msg.dstChain);
      requireForeignReceiver(msg.receiver);
      const denom = requireDenom(msg.denom);
      const amount = parseAmount(msg.amount);
      const timeoutHeight = msg.timeoutHeight ?? 0;
      const timeoutTimestamp = msg.timeoutTimestamp ?? (timeoutHeight === 0 ? env.time + DEFAULT_TIMEOUT_MS : 0);
      if (timeoutHeight === 0 && timeoutTimestamp === 0) throw new TransferError('PNT_ERR_TRANSFER_INVALID_TIMEOUT', 'a transfer needs a timeout height or timestamp');
      if (timeoutTimestamp !== 0 && timeoutTimestamp <= env.time) throw new TransferError('PNT_ERR_TRANSFER_INVALID_TIMEOUT', 'timeout timestamp is not in the future', { details: { timeoutTimestamp, now: env.time } });
      requireKnownDenom(env.store, denom);
      const burn = unwrapVoucher(denom, msg.dstChain) !== undefined;
      if (burn) burnCoins(env.store, env.sender, denom, amount);
      else {
        // Refused here rather than by an error ack from the destination after a round trip.
        if (!isDenom(voucherDenom(env.chainId, denom))) throw new TransferError('PNT_ERR_TRANSFER_TRACE_TOO_LONG', `the voucher for ${denom} on ${msg.dstChain} would exceed 128 characters`, { details: { denom } });
        sendCoins(env.store, env.sender, escrowAccount(msg.dstChain), denom, amount);
      }
      const payload = encodeTransferPayload({ denom, amount: amount.toString(), sender: env.sender, receiver: msg.receiver, memo: msg.memo });
      const packet = sender.sendPacket(env, { srcApp: TRANSFER_APP, dstChain: msg.dstChain, dstApp: TRANSFER_APP, payload, timeoutHeight, timeoutTimestamp, ordered: false });
      env.emit('transfer/send', { sender: env.sender, receiver: msg.receiver, dstChain: msg.dstChain, denom, amount: amount.toString(), kind: burn ? 'burn' : 'escrow', sequence: String(packet.sequence) });
      return packet;
    },

    onRecv(env, packet) {
      // Only a transfer app on the other end burns or escrows before sending.
      if (packet.srcApp !== TRANSFER_APP || packet.dstApp !== TRANSFER_APP) throw new TransferError('PNT_ERR_TRANSFER_WRONG_APP', `transfer accepts packets only from ${TRANSFER_APP}`, { details: { srcApp: packet.srcApp } });
      const p = decodeTransferPayload(packet.payload);
      requireLocalReceiver(p.receiver);
      const inner = unwrapVoucher(p.denom, env.chainId);
      let denom: string;
      if (inner !== undefined) {
        denom = inner;
        const escrow = escrowAccount(packet.srcChain);
        const held = balanceOf(env.store, escrow, inner);
        if (held < p.value) throw new TransferError('PNT_ERR_TRANSFER_ESCROW_INSUFFICIENT', `escrow for ${packet.srcChain} holds ${held} ${inner}, return needs ${p.value}`, { details: { srcChain: packet.srcChain, denom: inner } });
        sendCoins(env.store, escrow, p.receiver, inner, p.value);
      } else {
        denom = voucherDenom(packet.srcChain, p.denom);
        if (!isDenom(denom)) throw new TransferError('PNT_ERR_TRANSFER_TRACE_TOO_LONG', `voucher for ${p.denom} from ${packet.srcChain} would exceed 128 characters`);
        mintCoins(env.store, p.receiver, denom, p.value);
      }
      env.emit('transfer/recv', { srcChain: packet.srcChain, sequence: String(packet.sequence), receiver: p.receiver, denom, amount: p.amount, kind: inner !== undefined ? 'unescrow' : 'mint' });
      return toHex(utf8(canonicalJson({ denom })));
    },

    onAck(env, packet, ack: Ack) {
      if (ack.ok) env.emit('transfer/acknowledged', { dstChain: packet.dstChain, sequence: String(packet.sequence) });
      else refund(env, packet, ack.error);
    },

    onTimeout(env, packet) {
      refund(env, packet, TIMEOUT_ERROR);
    },
  };
}

/** The `transfer/send` message handler (the app itself is registered with the packet module). */
export function transferModule(sender: PacketSender): Module {
  const app = transferApp(sender);
  return {
    name: 'transfer',
    msgTypes: ['transfer/send'],
    handleMsg(env, raw) {
      app.send(env, parseMsg(transferSendSchema, raw));
    },
  };
}
