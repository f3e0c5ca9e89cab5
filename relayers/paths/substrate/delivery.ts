/**
 * Hub -> Substrate delivery by a multisig of hub validators (DELIVERY.md). A Substrate runtime
 * we do not build cannot verify the hub, so what the hub committed for the chain in one block is
 * written there by a `pallet_multisig` account of the validators' Substrate keys. Every co-signer
 * derives the call from its own node's state alone, so honest ones compute the same bytes and the
 * same call hash, and the threshold of approvals meets on one call.
 *
 * The call: `utility.batchAll([system.remarkWithEvent("PNTS" ++ SCALE pairs)])`. Per packet
 * delivered, in batch order: `(pkt/rcpt/<ch>/<seq>, 0x01)`, `(pkt/ack/<ch>/<seq>, keccak256(ack))`
 * and `(pkt/ack-data/<ch>/<seq>, ack)`: the receipt and acknowledgement commitment a Pontis chain
 * would write, as remark writes the hub's `substrate` client proves, and the ack's bytes a relayer
 * carries back. Then per packet past its timeout on the chain: `(pkt/rcpt-none/<ch>/<seq>, 0x01)`,
 * the timeout record the hub's client takes as the receipt's absence
 * (hub-chain/light-clients/substrate/records.ts).
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
import { type Ack, type Packet, ackCommitment, channelId, encodeAck, encodeBatchValue, packetCommitment, packetId, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { RelayerError } from '../../errors.ts';
import { type PontisReader, readStates } from '../pontis/endpoint.ts';

/** A co-signer's refusal or failure; retryable as the relayer's error catalog says. */
export class SubstrateDeliveryError extends RelayerError {
  override name = 'SubstrateDeliveryError';
}

/** The only application a Substrate chain without Pontis code "runs": a plain message is received as is. */
export const SUBSTRATE_MSG_APP = 'msg';
/** The error ack of a packet for an application the chain does not have (a transfer, until value moves are built). */
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
export async function readHubBatch(hub: PontisReader, chain: string, height: number): Promise<HubBatch | undefined> {
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
  for (const tx of (await hub.blockEvents(height)).txs) {
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

/** The acknowledgement the Substrate chain gives a packet: success with an empty result for a plain message, else no such app. */
export function substrateAck(p: Packet): Ack {
  return p.dstApp === SUBSTRATE_MSG_APP ? { ok: true, result: '0x' } : { ok: false, error: SUBSTRATE_NO_APP };
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
}

/**
 * The call for one hub block: the delivery of `packets` and the timeout records of `timeouts` (the
 * caller has dropped delivered and recorded ones, and judged the timeouts). Only the call's bytes
 * depend on the runtime (its pallet and call indices), so every co-signer connected to the same
 * runtime builds the same bytes.
 */
export function deliveryCall(api: ApiPromise, packets: Packet[], timeouts: Packet[] = []): DeliveryCall {
  if (!packets.length && !timeouts.length) throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_BATCH_INVALID', 'a delivery call needs packets');
  const payload = toHex(encodeRemarkPayload([...deliveryPairs(packets), ...timeoutPairs(timeouts)]));
  const call = api.tx.utility.batchAll([api.tx.system.remarkWithEvent(payload)]).method.toHex() as Hex;
  return { call, callHash: blake2AsHex(fromHex(call)) as Hex, payload, packets, timeouts };
}

/** The receipt key of a packet as the delivered index keeps it (utf-8 of `pkt/rcpt/<ch>/<seq>`). */
export const receiptKeyOf = (p: Packet): string => `pkt/rcpt/${channelId(p)}/${p.sequence}`;

/** The timeout record's key of a packet as the delivered index keeps it (utf-8 of `pkt/rcpt-none/<ch>/<seq>`). */
export const timeoutKeyOf = (p: Packet): string => `${RECEIPT_NONE_PREFIX}${channelId(p)}/${p.sequence}`;

const RECEIPT_PREFIX = utf8('pkt/rcpt/');
const NONE_PREFIX = utf8(RECEIPT_NONE_PREFIX);

/** The keys under `prefix` a remark payload writes with value 0x01. */
function flagKeysIn(pairs: [Bytes, Bytes][], prefix: Bytes): string[] {
  return pairs.filter(([k, v]) => k.length > prefix.length && equalBytes(k.subarray(0, prefix.length), prefix) && equalBytes(v, Uint8Array.of(1))).map(([k]) => Buffer.from(k).toString('utf8'));
}

/** The receipt keys a remark payload writes (what the delivered index learns from a delivery on chain). */
export const receiptKeysIn = (pairs: [Bytes, Bytes][]): string[] => flagKeysIn(pairs, RECEIPT_PREFIX);

/** The timeout record keys a remark payload writes. */
export const timeoutKeysIn = (pairs: [Bytes, Bytes][]): string[] => flagKeysIn(pairs, NONE_PREFIX);

