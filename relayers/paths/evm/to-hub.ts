/**
 * The EVM -> hub leg. The hub's `evm` client of the chain holds consensus records made from its
 * validators' attestation votes; deliveries prove at exactly the client's latest height P (a
 * record exists there) and carry only what the EVM chain wrote in blocks up to P: packets sent
 * (`PacketSent` -> `packets/recv`) and packets received there (`PacketReceived`, carrying the
 * ack -> `packets/ack`), each proven by its log: a receipt proof of its transaction, rebuilt from
 * eth_getBlockReceipts and checked against the block's receiptsRoot, and the headers from its
 * block up to P (ADR 0017); plus timeouts of packets the hub forwarded that the chain never
 * received (the Gateway's receipt bit, proven clear at P by the adapter's eth_getProof, checked
 * here against the hub's record of that block before it is submitted).
 */
import type { Hex } from '../../../hub-chain/crypto/bytes.ts';
import { MAX_TX_BYTES, type Msg } from '../../../hub-chain/app/tx.ts';
import { type Packet, channelId, packetKeys, receiptBitSet } from '../../../hub-chain/modules/packets/types.ts';
import { keccak256 } from '../../../hub-chain/crypto/hash.ts';
import { toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { PACKET_RECEIVED_TOPIC, PACKET_SENT_TOPIC } from '../../../hub-chain/light-clients/evm/gateway-records.ts';
import { encodeHeader, verifiedHeaderFromRpc, type RpcBlock } from '../../../hub-chain/light-clients/evm/header.ts';
import { type RpcReceipt, buildReceiptProof } from '../../../hub-chain/light-clients/evm/proofs.ts';
import { pontisSlot, storageProofAt } from '../../../hub-chain/light-clients/evm/proofs.ts';
import { type StorageProof, verifyStorageProof } from '../../../hub-chain/light-clients/evm/mpt.ts';
import type { PontisReader, PontisWriter } from '../pontis/endpoint.ts';
import { clientHeight, consensusOn, notReceived, stillOutstanding } from '../pontis/path.ts';
import type { PacketEvent } from '../types.ts';
import { isRetryableCode } from '../../errors.ts';
import { GATEWAY_TOPIC, decodeGatewayLog } from './abi.ts';
import { MAX_SHARED_PARTS } from '../../../hub-chain/modules/packets/msgs.ts';
import { type EvmGatewayEndpoint, type EvmTimeoutOutcome, EvmRelayError, READS_IN_FLIGHT, isSet, packetFromEvent } from './endpoint.ts';
import { mapLimit } from '../map-limit.ts';


/** The height of the hub's client of the EVM chain at which proofs can be made (a consensus record exists there). */
export async function hubProofHeight(hub: PontisReader, evmChainId: string): Promise<number> {
  const h = await clientHeight(hub, evmChainId);
  if (!(await consensusOn(hub, evmChainId, h))) {
    throw new EvmRelayError('PNT_ERR_RELAY_NO_CONSENSUS', `the hub's client of ${evmChainId} has no consensus record at its latest height ${h}`, { retryable: true, details: { height: h } });
  }
  return h;
}

/**
 * Packets sent and packets received (acks to carry back) on the EVM Gateway in blocks
 * (from, to] whose next hop is the hub: every packet of a spoke goes to the hub, and so does
 * every ack it writes.
 */
export async function scanEvm(evm: EvmGatewayEndpoint, from: number, to: number): Promise<{ packets: PacketEvent[]; acks: PacketEvent[] }> {
  const out = { packets: [] as PacketEvent[], acks: [] as PacketEvent[] };
  if (to <= from) return out;
  const names = [GATEWAY_TOPIC.PacketSent, GATEWAY_TOPIC.PacketReceived];
  // the adapter bounds eth_getLogs ranges (providers refuse large ones) and drops removed logs
  for (const ev of await evm.writer.events({ sources: [evm.gateway], names }, from + 1, to)) {
    const d = decodeGatewayLog(ev.raw as { topics: string[]; data: string });
    if (!d) continue;
    const packet = packetFromEvent(d.args.packet);
    if (d.name === 'PacketSent') out.packets.push({ height: ev.height, packet });
    else out.acks.push({ height: ev.height, packet, ack: (d.args.ack as string).toLowerCase() as Hex });
  }
  return out;
}

/**
 * eth_getProof of a Pontis key at `height`, checked here against `root` before it goes to the
 * hub, and fetched again when it does not verify: anvil (1.7.1) answers for its latest block from
 * the next block's state while mining it, and the hub would refuse such a proof for good. Returns
 * the proven word (null: unset) with the proof.
 */
async function checkedProof(evm: EvmGatewayEndpoint, key: Uint8Array, height: number, root: Hex): Promise<{ word: Hex | null; proof: StorageProof }> {
  const gateway = evm.gateway.toLowerCase() as Hex;
  const slot = pontisSlot(key);
  for (let attempt = 1; ; attempt++) {
    const proof = storageProofAt(await evm.writer.getProof(gateway, [slot], height), 0);
    try {
      const w = verifyStorageProof(root, gateway, slot, proof);
      return { word: w !== null && isSet(w) ? w : null, proof };
    } catch (e) {
      if (attempt >= 3) {
        throw new EvmRelayError('PNT_ERR_RELAY_EVM_BAD_PROOF', `eth_getProof on ${evm.chainId} at ${height} does not verify against the hub's record of that block`, { retryable: true, cause: e, details: { chain: evm.chainId, height, slot } });
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Headers a log proof may carry from the log's block up to the proof height (the client's limit). */
const MAX_PROOF_HEADERS = 256;
/**
 * JSON bytes of shared parts and items one relay message carries, under the hub's transaction
 * limit (MAX_TX_BYTES, with room for the signed envelope). A receipt proof carries its whole
 * receipt: ~170 KB for a Gateway call of 240 packets, whose PacketReceived logs hold each packet
 * and ack; a few of them exceed a hub transaction, which the hub refuses for good.
 */
export const MESSAGE_BUDGET = Math.floor(MAX_TX_BYTES * 0.85);

/**
 * Proofs of the Gateway logs (`topic`: PacketSent or PacketReceived) of `events`, at a height the
 * hub's client of the chain holds: one receipt proof per transaction and the headers from each
 * block up to the proof height, as shared parts of the message; a log index per event. Events
 * whose log is not in the block they name are left out (a later scan names the right one).
 */
async function gatewayLogProofs(evm: EvmGatewayEndpoint, hub: PontisReader, open: PacketEvent[], latest: number, topic: Hex, budget: number): Promise<{ height: number; shared: unknown[]; items: { event: PacketEvent; proof: unknown }[] } | null> {
  open = open.filter((e) => e.height >= 1 && e.height <= latest);
  if (!open.length) return null;
  // logs older than the headers a proof may carry: prove them at a lower height the client holds too
  let height = latest;
  const oldest = Math.min(...open.map((e) => e.height));
  if (latest - oldest >= MAX_PROOF_HEADERS && (await consensusOn(hub, evm.chainId, oldest + MAX_PROOF_HEADERS - 1))) height = oldest + MAX_PROOF_HEADERS - 1;
  const cons = await consensusOn(hub, evm.chainId, height);
  if (!cons?.extra) throw new EvmRelayError('PNT_ERR_RELAY_NO_CONSENSUS', `the hub's client of ${evm.chainId} has no consensus record at ${height}`, { retryable: true, details: { height } });
  const held = cons.extra as { hash: Hex; receiptsRoot: Hex };
  const due = open.filter((e) => e.height <= height && height - e.height < MAX_PROOF_HEADERS);
  if (!due.length) return null;
  const byBlock = new Map<number, PacketEvent[]>();
  for (const e of due) byBlock.set(e.height, [...(byBlock.get(e.height) ?? []), e]);
  // headers from the oldest block with a log up to the proof height, each checked against its hash, linked by the client
  const lowest = Math.min(...byBlock.keys());
  const headers = await mapLimit(
    Array.from({ length: height - lowest + 1 }, (_, i) => lowest + i),
    READS_IN_FLIGHT,
    async (h) => {
      const b = await evm.writer.blockHeader(h);
      if (!b) throw new EvmRelayError('PNT_ERR_RELAY_EVM_BAD_PROOF', `${evm.chainId} has no block ${h}`, { retryable: true, details: { height: h } });
      const { header, hash } = verifiedHeaderFromRpc(b as unknown as RpcBlock);
      return { header, hash, rlp: toHex(encodeHeader(header)) };
    },
  );
  if (headers[headers.length - 1].hash !== held.hash) {
    throw new EvmRelayError('PNT_ERR_RELAY_EVM_BAD_PROOF', `${evm.chainId} block ${height} is not the block the hub's client holds`, { retryable: true, details: { height } });
  }
  const gateway = evm.gateway.toLowerCase();
  const shared: unknown[] = [];
  const items: { event: PacketEvent; proof: unknown }[] = [];
  let bytes = 0;
  const full = (more: number) => items.length > 0 && bytes + more > budget;
  for (const [h, evs] of byBlock) {
    if (shared.length + 2 > MAX_SHARED_PARTS || full(0)) break; // the rest go in the next message
    const headerPart = h < height ? headers.slice(h - lowest).map((x) => x.rlp) : undefined;
    const headersBytes = headerPart ? JSON.stringify(headerPart).length : 0;
    if (full(headersBytes)) break;
    const headersRef = headerPart ? shared.push(headerPart) - 1 : undefined;
    bytes += headersBytes;
    const receipts = await evm.writer.rpc<RpcReceipt[]>('eth_getBlockReceipts', [`0x${h.toString(16)}`]);
    // where each packet's log is: (receipt, log index within it)
    const at = new Map<string, { tx: number; log: number }>();
    for (const r of receipts) {
      r.logs.forEach((l, i) => {
        if (l.address.toLowerCase() !== gateway || l.topics[0] !== topic) return;
        at.set(`${l.topics[1]}|${BigInt(l.topics[2])}`, { tx: Number(r.transactionIndex), log: i });
      });
    }
    const parts = new Map<number, number>();
    for (const e of evs) {
      const found = at.get(`${toHex(keccak256(utf8(channelId(e.packet))))}|${e.packet.sequence}`);
      if (!found) continue;
      let ref = parts.get(found.tx);
      if (ref === undefined) {
        if (shared.length >= MAX_SHARED_PARTS) break;
        const part = { txIndex: found.tx, proof: buildReceiptProof(receipts, found.tx, headers[h - lowest].header.receiptsRoot).proof };
        const partBytes = JSON.stringify(part).length;
        if (full(partBytes)) break;
        ref = shared.push(part) - 1;
        bytes += partBytes;
        parts.set(found.tx, ref);
      }
      const item = { event: e, proof: { receipt: { $shared: ref }, ...(headersRef !== undefined ? { headers: { $shared: headersRef } } : {}), logIndex: found.log } };
      const itemBytes = JSON.stringify(e.packet).length + (e.ack?.length ?? 0) + 64;
      if (full(itemBytes)) break;
      items.push(item);
      bytes += itemBytes;
    }
  }
  return items.length ? { height, shared, items } : null;
}

/** `packets/recv` on the hub for packets the EVM Gateway sent, each proven by its PacketSent log; null when none is due. */
export async function evmRecvBatch(evm: EvmGatewayEndpoint, hub: PontisReader, events: PacketEvent[], latest: number, budget = MESSAGE_BUDGET): Promise<Msg | null> {
  const r = await gatewayLogProofs(evm, hub, await notReceived(hub, events), latest, PACKET_SENT_TOPIC, budget);
  return r ? { type: 'packets/recv', proofHeight: r.height, packets: r.items.map((i) => ({ packet: i.event.packet, proof: i.proof })), shared: r.shared } : null;
}

/** `packets/ack` on the hub for acks the EVM Gateway wrote, each proven by its PacketReceived log; null when none is due. */
export async function evmAckBatch(evm: EvmGatewayEndpoint, hub: PontisReader, events: PacketEvent[], latest: number, budget = MESSAGE_BUDGET): Promise<Msg | null> {
  const r = await gatewayLogProofs(evm, hub, await stillOutstanding(hub, events), latest, PACKET_RECEIVED_TOPIC, budget);
  return r ? { type: 'packets/ack', proofHeight: r.height, packets: r.items.map((i) => ({ packet: i.event.packet, ack: i.event.ack!, proof: i.proof })), shared: r.shared } : null;
}

/**
 * Destination leg, EVM destination: packets the hub forwarded to the EVM chain that it never
 * received before their timeout. Proven at the height P the hub's client of the chain holds:
 * the Gateway's receipt bit is clear at P, and P's block time (or P itself, for a height
 * timeout) is at or past the timeout. The hub then records an error ack `PNT_ERR_PACKET_TIMEOUT`
 * for the source (relayed back by the next round or job). Returns null when none is due yet.
 */
export async function relayEvmTimeouts(hub: PontisWriter, evm: EvmGatewayEndpoint, packets: Packet[]): Promise<EvmTimeoutOutcome | null> {
  const p = await hubProofHeight(hub, evm.chainId);
  const cons = (await consensusOn(hub, evm.chainId, p))!;
  const items = [];
  const open = await stillOutstanding(hub, packets.filter((pkt) => pkt.dstChain === evm.chainId).map((packet) => ({ packet })));
  for (const { packet: pkt } of open) {
    const ch = channelId(pkt);
    const due = (pkt.timeoutTimestamp !== 0 && cons.timestamp >= pkt.timeoutTimestamp) || (pkt.timeoutHeight !== 0 && p >= pkt.timeoutHeight);
    if (!due) continue;
    const { word, proof } = await checkedProof(evm, packetKeys.receiptBits(ch, pkt.sequence), p, cons.root);
    if (receiptBitSet(word, pkt.sequence)) continue; // received after all: it will be acknowledged
    items.push({ packet: pkt, proof });
  }
  if (!items.length) return null;
  const r = await hub.submit([{ type: 'packets/timeout', proofHeight: p, packets: items }]);
  if (r.code !== 'ok') throw new EvmRelayError('PNT_ERR_RELAY_SUBMIT_FAILED', `timeout transaction on ${hub.chainId} failed: ${r.code} ${r.log ?? ''}`, { retryable: isRetryableCode(r.code), details: { code: r.code } });
  const out = r.events.filter((e) => e.type === 'packet/timeout/result').map((e) => ({ id: `timeout:${e.attributes.id ?? ''}`, result: e.attributes.result ?? '' }));
  return { chain: hub.chainId, height: r.height, proofHeight: p, items: out };
}
