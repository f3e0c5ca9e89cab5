/**
 * The hub's `transfer` app (docs/adr/0007-transfers.md) on a Substrate chain without contracts.
 * The chain's tokens travel; it mints no vouchers of other chains' tokens (that would need an
 * asset class per trace, created and administered by the delivery multisig).
 *
 * Denoms, as transfer payloads name the chain's tokens:
 *   `native`        the runtime's balances pallet (DOT, KSM, ... on asset hub)
 *   `asset/<id>`    pallets-assets asset `<id>` (u32)
 *
 * Escrow is the hub validators' delivery multisig account (relayers/paths/substrate/DELIVERY.md):
 * only a threshold of validators releases from it, for what the hub committed.
 *   - **Sending** (`sendTransferFromSubstrate`): a writer sends one `utility.batchAll` of the move
 *     of `amount` from its own account into escrow and the remark of the packet, so the lock and
 *     the packet land together or not at all. The hub takes the writer's remark as the chain's word,
 *     as it takes a TokenBridge contract's packet: writers are the chain's gateway.
 *   - **Receiving** (the co-signers' delivery call): a payload denom `t/<chain>/<d>` comes home and
 *     `d` is released from escrow to the receiver; anything else is refused with an error ack
 *     (`PNT_ERR_TRANSFER_NO_VOUCHERS`), so the source refunds.
 *   - **Refunds**: when the hub acknowledges a transfer the chain sent with an error (a refusal, a
 *     timeout), the co-signers write the ack back and release the amount to the payload's sender.
 */
import { type Hex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { canonicalJson } from '../../hub-chain/encoding/canonical-json.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { type Ack, type Packet } from '../../hub-chain/modules/packets/types.ts';
import { TRANSFER_APP, decodeTransferPayload, encodeTransferPayload, unwrapVoucher } from '../../hub-chain/modules/transfer/transfer.ts';
import { AdapterError, AdapterErrorCode } from '../core/errors.ts';
import { accountId } from './reader.ts';
import type { SubstrateCall } from './writer.ts';

export const NATIVE_DENOM = 'native';
const ASSET_RE = /^asset\/(0|[1-9][0-9]{0,9})$/;
const U128_MAX = (1n << 128n) - 1n;

/** The error ack of a transfer into the chain of a token that is not the chain's own (it mints no vouchers). */
export const NO_VOUCHERS = 'PNT_ERR_TRANSFER_NO_VOUCHERS';

/** A token of the chain: the native balance or a pallets-assets asset. */
export type SubstrateToken = { kind: 'native' } | { kind: 'asset'; id: number };

/** The token a denom names on the chain, or undefined when it names none (a voucher, a malformed id). */
export function substrateToken(denom: string): SubstrateToken | undefined {
  if (denom === NATIVE_DENOM) return { kind: 'native' };
  const m = ASSET_RE.exec(denom);
  if (!m || Number(m[1]) > 0xffff_ffff) return undefined;
  return { kind: 'asset', id: Number(m[1]) };
}

/** A move of `amount` of `token` to the account `to` (32-byte id), keeping the sender alive: `balances.transferKeepAlive` / `assets.transferKeepAlive`. */
export function tokenMove(token: SubstrateToken, to: Hex, amount: bigint): SubstrateCall {
  const dest = { Id: to };
  return token.kind === 'native' ? { pallet: 'balances', call: 'transferKeepAlive', args: [dest, amount] } : { pallet: 'assets', call: 'transferKeepAlive', args: [token.id, dest, amount] };
}

/** A 32-byte account id of the chain (SS58 or 0x hex), or undefined: where value can be sent and refunded. */
export function account32(address: string): Hex | undefined {
  const id = accountId(address);
  return id && id.length === 66 ? id : undefined;
}

/** What a co-signer's delivery does with a packet for the chain: its acknowledgement, and the value it releases (if any). */
export interface ReceivePlan {
  ack: Ack;
  release?: { token: SubstrateToken; to: Hex; amount: bigint };
}

/**
 * The chain's answer to a `transfer` packet it receives, decided from the packet alone (every
 * co-signer decides the same): a token of this chain coming home is released to the receiver and
 * acknowledged with `{denom}` (canonical JSON, as the hub's transfer app); anything else is an
 * error ack with a stable code, and the source refunds.
 */
export function receiveTransfer(chain: string, p: Packet): ReceivePlan {
  const refuse = (error: string): ReceivePlan => ({ ack: { ok: false, error } });
  if (p.srcApp !== TRANSFER_APP) return refuse('PNT_ERR_TRANSFER_WRONG_APP');
  let payload: ReturnType<typeof decodeTransferPayload>;
  try {
    payload = decodeTransferPayload(p.payload);
  } catch (e) {
    if (e instanceof PontisError) return refuse(e.code);
    throw e;
  }
  const to = account32(payload.receiver);
  if (!to || /^0x0*$/.test(to)) return refuse('PNT_ERR_TRANSFER_INVALID_RECEIVER');
  const inner = unwrapVoucher(payload.denom, chain);
  const token = inner === undefined ? undefined : substrateToken(inner);
  if (!token) return refuse(NO_VOUCHERS);
  if (payload.value > U128_MAX) return refuse('PNT_ERR_BANK_INVALID_AMOUNT');
  return { ack: { ok: true, result: toHex(utf8(canonicalJson({ denom: inner }))) }, release: { token, to, amount: payload.value } };
}

/**
 * The refund of a transfer the chain sent, when the hub acknowledged it with an error: the amount
 * back to the payload's sender from escrow. Undefined for a successful ack, another app, or a
 * payload naming no token of the chain or no account (nothing was locked that escrow could return).
 */
export function refundOf(p: Packet, ack: Ack): ReceivePlan['release'] {
  if (ack.ok || p.srcApp !== TRANSFER_APP) return undefined;
  let payload: ReturnType<typeof decodeTransferPayload>;
  try {
    payload = decodeTransferPayload(p.payload);
  } catch {
    return undefined;
  }
  const token = substrateToken(payload.denom);
  const to = account32(payload.sender);
  if (!token || !to || payload.value > U128_MAX) return undefined;
  return { token, to, amount: payload.value };
}

/** A transfer to send from the chain: `denom` is one of its tokens, `sender` (default the writer) gets any refund. */
export interface SubstrateTransfer {
  dstChain: string;
  denom: string;
  amount: bigint | string;
  /** The account on the destination, in its own format. */
  receiver: string;
  sender?: string;
  memo?: string;
  timeoutHeight?: number;
  timeoutTimestamp?: number;
}

/** The packet fields and lock of a transfer (before the gateway numbers it); throws INVALID_REQUEST for what the hub or the chain would refuse. */
export function transferFields(chain: string, writer: Hex, t: SubstrateTransfer): { fields: Omit<Packet, 'sequence'>; token: SubstrateToken; amount: bigint } {
  const bad = (msg: string) => new AdapterError(AdapterErrorCode.INVALID_REQUEST, `transfer: ${msg}`, { chainId: chain, operation: 'sendTransferFromSubstrate' });
  const token = substrateToken(t.denom);
  if (!token) throw bad(`${t.denom} is no token of this chain (native or asset/<id>)`);
  const amount = typeof t.amount === 'bigint' ? t.amount : /^[1-9][0-9]{0,38}$/.test(t.amount) ? BigInt(t.amount) : -1n;
  if (amount <= 0n || amount > U128_MAX) throw bad('amount must be a positive u128');
  if ((t.timeoutHeight ?? 0) === 0 && (t.timeoutTimestamp ?? 0) === 0) throw bad('a transfer needs a timeout height or timestamp');
  // what no chain accepts, as the hub's transfer app refuses it at a source
  if (!/^[\x21-\x7e]{1,128}$/.test(t.receiver) || /^0x0*$/.test(t.receiver)) throw bad('receiver must be 1-128 printable ASCII characters and not the zero address');
  // the refund goes back to it from escrow: a 32-byte account of this chain
  const sender = account32(t.sender ?? writer);
  if (!sender) throw bad('sender is not an account of this chain');
  const payload = encodeTransferPayload({ denom: t.denom, amount: amount.toString(), sender, receiver: t.receiver, ...(t.memo !== undefined ? { memo: t.memo } : {}) });
  // the hub's own checks, here rather than after a round trip
  decodeTransferPayload(payload);
  const fields = { srcChain: chain, srcApp: TRANSFER_APP, dstChain: t.dstChain, dstApp: TRANSFER_APP, ordered: false, payload, timeoutHeight: t.timeoutHeight ?? 0, timeoutTimestamp: t.timeoutTimestamp ?? 0 };
  return { fields, token, amount };
}
