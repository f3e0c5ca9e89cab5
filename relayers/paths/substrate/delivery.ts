/**
 * Hub -> Substrate delivery by a multisig of hub validators (DELIVERY.md). A Substrate runtime
 * we do not build cannot verify the hub, so what the hub committed for the chain in one block is
 * written there by a `pallet_multisig` account of the validators' Substrate keys. Every co-signer
 * derives the call from its own node's state alone, so honest ones compute the same bytes and the
 * same call hash, and the threshold of approvals meets on one call.
 *
 * The call: `utility.batchAll([system.remarkWithEvent("PNTS" ++ SCALE pairs), ...value moves])`.
 * Per packet delivered, in batch order: `(pkt/rcpt/<ch>/<seq>, 0x01)`, `(pkt/ack/<ch>/<seq>,
 * keccak256(ack))` and `(pkt/ack-data/<ch>/<seq>, ack)`: the receipt and acknowledgement commitment
 * a Pontis chain would write, as remark writes the hub's `substrate` client proves, and the ack's
 * bytes a relayer carries back. Then per packet past its timeout on the chain:
 * `(pkt/rcpt-none/<ch>/<seq>, 0x01)`, the timeout record the hub's client takes as the receipt's
 * absence (hub-chain/light-clients/substrate/records.ts). Then per packet the chain sent that the
 * hub acknowledged in that block: `(pkt/acked/<ch>/<seq>, ack)`, the ack written back for the
 * sending application. The value moves (adapters/substrate/transfers.ts): a transfer coming home
 * released from escrow to its receiver, and a failed transfer the chain sent refunded to its sender.
 *
 * The packet itself is not in the remark: the relayer reads it from the hub, which committed it and
 * holds it until it is resolved (its status record), and the hub checks the fields a relayer gives
 * against its own `pkt/out` commitment, so a wrong read only fails. A payload can be tens of KiB;
 * carrying it would grow a call every co-signer must build byte for byte, for nothing the hub lacks.
 */
import type { ApiPromise } from '@polkadot/api';
import { blake2AsHex } from '@polkadot/util-crypto';
import { type Bytes, type Hex, equalBytes, fromHex, latin1Id, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { merkleRoot } from '../../../hub-chain/crypto/merkle.ts';
import { RECEIPT_NONE_PREFIX, RECEIPT_NONE_VALUE, receiptNoneKey } from '../../../hub-chain/light-clients/substrate/records.ts';
import { encodeRemarkPayload } from '../../../hub-chain/light-clients/substrate/remark.ts';
import { substratePacketKeys } from '../../../adapters/substrate/packets.ts';
import { type ReceivePlan, receiveTransfer, refundOf, tokenMove } from '../../../adapters/substrate/transfers.ts';
import { type Ack, type Packet, TIMEOUT_ERROR, ackCommitment, ackLeaf, channelId, decodeAck, encodeAck, encodeBatchValue, packetCommitment, packetId, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { TRANSFER_APP } from '../../../hub-chain/modules/transfer/transfer.ts';
import { RelayerError } from '../../errors.ts';
import { type BlockEvents, type PontisReader, readStates } from '../pontis/endpoint.ts';

/** A co-signer's refusal or failure; retryable as the relayer's error catalog says. */
export class SubstrateDeliveryError extends RelayerError {
  override name = 'SubstrateDeliveryError';
}

/** The only application a Substrate chain without Pontis code "runs": a plain message is received as is. */
export const SUBSTRATE_MSG_APP = 'msg';
/** The error ack of a packet for an application the chain does not have (neither a plain message nor a transfer). */
export const SUBSTRATE_NO_APP = 'PNT_ERR_RELAY_SUBSTRATE_NO_APP';

/** What the hub committed for `chain` in hub block `height`, as one node shows it. */
export interface HubBatch {
  chain: string;
  height: number;
  /** Still outstanding on the hub, in the order it committed them (the batch's leaf order). */
  packets: Packet[];
  /** Resolved on the hub since (`pkt/out` gone: acknowledged or timed out by what the chain wrote): nothing to sign for them. */
  resolved: Packet[];
}

/**
 * Reads the batch the hub committed for `chain` in block `height` from `hub` and checks it
 * against that node's state: the batch key holds the root and size of the leaves, the block's
 * `packet/sent` / `packet/forwarded` events for `chain` are exactly those leaves in order, and
 * every packet is either still committed (`pkt/out` equal to its commitment) or resolved (no
 * `pkt/out`: the hub took the chain's ack or timeout record). Undefined when the block committed
 * nothing for `chain`. Throws `PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID` when the node's records
 * disagree, `PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED` for a packet whose outbound commitment is
 * another.
 */
export async function readHubBatch(hub: PontisReader, chain: string, height: number, events: () => Promise<BlockEvents> = () => hub.blockEvents(height)): Promise<HubBatch | undefined> {
  const leafBytes = await hub.readState(packetKeys.batchLeaves(chain, height));
  if (!leafBytes || leafBytes.length === 0) return undefined;
  const bad = (msg: string) => new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID', `hub batch ${chain}@${height}: ${msg}`, { details: { chain, height } });
  if (leafBytes.length % 32 !== 0) throw bad('leaves are not 32-byte commitments');
  const leaves: Bytes[] = [];
  for (let o = 0; o < leafBytes.length; o += 32) leaves.push(leafBytes.subarray(o, o + 32));
  const value = await hub.readState(packetKeys.batch(chain, height));
  // the leaves are an index record: only the batch key is consensus state
  if (!value || !equalBytes(value, encodeBatchValue(merkleRoot(leaves), leaves.length))) throw bad('the batch key does not commit to the indexed leaves');

  const packets: Packet[] = [];
  for (const tx of (await events()).txs) {
    for (const e of tx.events) {
      if ((e.type !== 'packet/sent' && e.type !== 'packet/forwarded') || !e.attributes.packet) continue;
      const p = JSON.parse(e.attributes.packet) as Packet;
      if (p.dstChain === chain) packets.push(p);
    }
  }
  if (packets.length !== leaves.length) throw bad(`${packets.length} packet events for ${leaves.length} leaves`);
  const seen = new Set<string>();
  for (const [i, p] of packets.entries()) {
    const c = packetCommitment(p);
    if (!equalBytes(c, leaves[i])) throw bad(`packet ${packetId(p)} is not leaf ${i}`);
    if (seen.has(latin1Id(c))) throw bad(`packet ${packetId(p)} twice`);
    seen.add(latin1Id(c));
  }
  const outs = await readStates(hub, packets.map((p) => packetKeys.outbound(channelId(p), p.sequence)));
  const resolved = packets.filter((_, i) => outs[i] === undefined);
  const open = packets.filter((_, i) => outs[i] !== undefined);
  await assertCommitted(hub, open);
  return { chain, height, packets: open, resolved };
}

/** Every packet's `pkt/out` on `hub` equals its commitment (the hub sent or forwarded it and has not resolved it). */
export async function assertCommitted(hub: PontisReader, packets: Packet[]): Promise<void> {
  for (const p of packets) {
    const out = await hub.readState(packetKeys.outbound(channelId(p), p.sequence));
    if (!out || !equalBytes(out, packetCommitment(p))) {
      throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED', `the hub holds no outbound commitment ${out ? 'equal to' : 'for'} packet ${packetId(p)}`, { details: { packet: packetId(p), present: out !== undefined } });
    }
  }
}

/**
 * What the Substrate chain does with a packet delivered into it, decided from the packet alone: a
 * plain message succeeds with an empty result, a transfer of the chain's own token coming home is
 * released from escrow (adapters/substrate/transfers.ts), anything else gets an error ack.
 */
export function receivePlan(p: Packet): ReceivePlan {
  if (p.dstApp === SUBSTRATE_MSG_APP) return { ack: { ok: true, result: '0x' } };
  if (p.dstApp === TRANSFER_APP) return receiveTransfer(p.dstChain, p);
  return { ack: { ok: false, error: SUBSTRATE_NO_APP } };
}

/** The acknowledgement the Substrate chain gives a packet (`receivePlan`'s). */
export const substrateAck = (p: Packet): Ack => receivePlan(p).ack;

/** An acknowledgement the hub wrote for a packet the chain sent: what the co-signers write back into the chain. */
export interface HubAck {
  packet: Packet;
  /** The ack's bytes (`encodeAck`). */
  ack: Bytes;
}

/** The hub events that resolve a packet at its hop before the source, with the ack they carry. */
const ACK_EVENTS: Record<string, (a: Record<string, string>) => string | undefined> = {
  'packet/acknowledged': (a) => a.ack,
  'packet/refused': (a) => a.ack,
  'packet/received': (a) => a.ack,
  'packet/timed-out': () => toHex(encodeAck({ ok: false, error: TIMEOUT_ERROR })),
};

/**
 * The acks the hub wrote in block `height` for packets `chain` sent (the destination's ack passed
 * on, the hub's refusal or timeout, or its own ack as the destination), in event order, checked
 * against the node's records: the block's ack batch for `chain` must hold each ack's leaf
 * (`ackLeaf`; `PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID` otherwise).
 */
export async function readHubAcks(hub: PontisReader, chain: string, height: number, events: () => Promise<BlockEvents> = () => hub.blockEvents(height)): Promise<HubAck[]> {
  const out: HubAck[] = [];
  const seen = new Set<string>();
  for (const tx of (await events()).txs) {
    for (const e of tx.events) {
      const ackOf = ACK_EVENTS[e.type];
      if (!ackOf || !e.attributes.packet) continue;
      const p = JSON.parse(e.attributes.packet) as Packet;
      const ack = ackOf(e.attributes);
      if (p.srcChain !== chain || !ack || seen.has(packetId(p))) continue;
      seen.add(packetId(p));
      out.push({ packet: p, ack: fromHex(ack as Hex) });
    }
  }
  if (!out.length) return out;
  // the block's ack batch for the chain (ADR 0017) holds each ack's leaf
  const [leafBytes] = await readStates(hub, [packetKeys.ackBatchLeaves(chain, height)]);
  const held = new Set<string>();
  for (let o = 0; leafBytes && o + 32 <= leafBytes.length; o += 32) held.add(latin1Id(leafBytes.subarray(o, o + 32)));
  for (const a of out) {
    if (!held.has(latin1Id(ackLeaf(a.packet, a.ack)))) {
      throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID', `hub block ${height}: the ack of ${packetId(a.packet)} in its events is not the one its state holds`, { details: { chain, height, packet: packetId(a.packet) } });
    }
  }
  return out;
}

/** A packet timed out at the Substrate chain's block `height` with time `timeMs` (the receiver's rule: at or past either bound). */
export function timedOutAt(p: Packet, height: number, timeMs: number): boolean {
  return (p.timeoutHeight !== 0 && height >= p.timeoutHeight) || (p.timeoutTimestamp !== 0 && timeMs >= p.timeoutTimestamp);
}

/**
 * Ordered channels on a chain that enforces nothing: an ordered packet is due only once the
 * channel's previous sequence is delivered (`delivered`) or goes before it in the same call.
 * Returns the packets due, in their order, and those held back (a gap; after a timeout the gap
 * never closes, as an ordered channel closes).
 */
export function inChannelOrder(packets: Packet[], delivered: (receiptKey: string) => boolean): { due: Packet[]; held: Packet[] } {
  const due: Packet[] = [];
  const held: Packet[] = [];
  const inCall = new Set<string>();
  for (const p of packets) {
    const prev = `pkt/rcpt/${channelId(p)}/${p.sequence - 1}`;
    if (p.ordered && p.sequence > 1 && !delivered(prev) && !inCall.has(prev)) {
      held.push(p);
      continue;
    }
    due.push(p);
    inCall.add(receiptKeyOf(p));
  }
  return { due, held };
}

/** The receipt, ack-commitment and ack-bytes pairs a delivery writes for `packets`, in their order. */
export function deliveryPairs(packets: Packet[]): [Bytes, Bytes][] {
  const out: [Bytes, Bytes][] = [];
  for (const p of packets) {
    const ch = channelId(p);
    const ack = encodeAck(substrateAck(p));
    out.push([packetKeys.receipt(ch, p.sequence), Uint8Array.of(1)]);
    out.push([packetKeys.ack(ch, p.sequence), ackCommitment(ack)]);
    out.push([substratePacketKeys.ackData(ch, p.sequence), ack]);
  }
  return out;
}

/** The timeout records for `packets` (past their timeout on the chain, never delivered), in their order. */
export function timeoutPairs(packets: Packet[]): [Bytes, Bytes][] {
  return packets.map((p) => [receiptNoneKey(channelId(p), p.sequence), RECEIPT_NONE_VALUE]);
}

/** The key of an ack written back for a packet the chain sent (utf-8 `pkt/acked/<ch>/<seq>`); its value is the ack's bytes. */
export const ackedKey = (ch: string, seq: number): Bytes => utf8(`pkt/acked/${ch}/${seq}`);

/** The acks written back, in their order. */
export function ackBackPairs(acks: HubAck[]): [Bytes, Bytes][] {
  return acks.map((a) => [ackedKey(channelId(a.packet), a.packet.sequence), a.ack]);
}

export interface DeliveryCall {
  /** The SCALE call (`utility.batchAll`), as `asMulti` takes it. */
  call: Hex;
  /** blake2-256 of `call`: what `approveAsMulti` approves and `Multisig.Multisigs` is keyed by. */
  callHash: Hex;
  /** The remark inside it. */
  payload: Hex;
  /** Packets it delivers. */
  packets: Packet[];
  /** Packets it records as timed out. */
  timeouts: Packet[];
  /** Acks it writes back (packets the chain sent). */
  acks: HubAck[];
}

/**
 * The call for one hub block: the delivery of `packets` and the timeout records of `timeouts` (the
 * caller has dropped delivered and recorded ones, and judged the timeouts). Only the call's bytes
 * depend on the runtime (its pallet and call indices), so every co-signer connected to the same
 * runtime builds the same bytes.
 */
export function deliveryCall(api: ApiPromise, packets: Packet[], timeouts: Packet[] = [], acks: HubAck[] = []): DeliveryCall {
  if (!packets.length && !timeouts.length && !acks.length) throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID', 'a delivery call needs packets');
  const payload = toHex(encodeRemarkPayload([...deliveryPairs(packets), ...timeoutPairs(timeouts), ...ackBackPairs(acks)]));
  const moves = [...packets.map((p) => receivePlan(p).release), ...acks.map((a) => refundOf(a.packet, decodeAck(a.ack)))].filter((m) => m !== undefined);
  const calls = [api.tx.system.remarkWithEvent(payload), ...moves.map((m) => tokenMove(m.token, m.to, m.amount)).map((c) => api.tx[c.pallet][c.call](...(c.args ?? [])))];
  const call = api.tx.utility.batchAll(calls).method.toHex() as Hex;
  return { call, callHash: blake2AsHex(fromHex(call)) as Hex, payload, packets, timeouts, acks };
}

/** The receipt key of a packet as the delivered index keeps it (utf-8 of `pkt/rcpt/<ch>/<seq>`). */
export const receiptKeyOf = (p: Packet): string => `pkt/rcpt/${channelId(p)}/${p.sequence}`;

/** The timeout record's key of a packet as the delivered index keeps it (utf-8 of `pkt/rcpt-none/<ch>/<seq>`). */
export const timeoutKeyOf = (p: Packet): string => `${RECEIPT_NONE_PREFIX}${channelId(p)}/${p.sequence}`;

const RECEIPT_PREFIX = utf8('pkt/rcpt/');
const ACKED_PREFIX = utf8('pkt/acked/');
const NONE_PREFIX = utf8(RECEIPT_NONE_PREFIX);

/** The keys under `prefix` a remark payload writes with value 0x01. */
function flagKeysIn(pairs: [Bytes, Bytes][], prefix: Bytes): string[] {
  return pairs.filter(([k, v]) => k.length > prefix.length && equalBytes(k.subarray(0, prefix.length), prefix) && equalBytes(v, Uint8Array.of(1))).map(([k]) => Buffer.from(k).toString('utf8'));
}

/** The receipt keys a remark payload writes (what the delivered index learns from a delivery on chain). */
export const receiptKeysIn = (pairs: [Bytes, Bytes][]): string[] => flagKeysIn(pairs, RECEIPT_PREFIX);

/** The timeout record keys a remark payload writes. */
export const timeoutKeysIn = (pairs: [Bytes, Bytes][]): string[] => flagKeysIn(pairs, NONE_PREFIX);

/** The keys of acks written back a remark payload holds (any value: the ack's bytes). */
export const ackedKeysIn = (pairs: [Bytes, Bytes][]): string[] => pairs.filter(([k]) => k.length > ACKED_PREFIX.length && equalBytes(k.subarray(0, ACKED_PREFIX.length), ACKED_PREFIX)).map(([k]) => Buffer.from(k).toString('utf8'));

/** The key of `p`'s written-back ack as the delivered index keeps it. */
export const ackedKeyOf = (p: Packet): string => `pkt/acked/${channelId(p)}/${p.sequence}`;

