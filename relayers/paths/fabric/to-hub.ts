/**
 * The Fabric -> hub leg. The hub's `fabric` client follows the channel's blocks: an update is the
 * headers after the client's latest, the newest with the orderers' signatures. A packet (or ack)
 * written on Fabric is proven at the client's latest height P by a committed-transaction proof:
 * the block holding the transaction, its index, the headers from there up to P, and a GetState of
 * the key endorsed by the configured orgs (one query for up to 100 keys). Blocks, header paths and
 * queries travel once per hub message as its shared parts, referenced from each item's proof. The hub rejects what
 * does not check; the relayer checks what it can cheaply first (the write is in the block, the
 * query shows it) so a refused batch means a bug or a lying peer, not a routine race.
 */
import type { common } from '@hyperledger/fabric-protos';
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { type Bytes, type Hex, equalBytes, fromHex } from '../../../hub-chain/crypto/bytes.ts';
import { ackCommitment, channelId, packetCommitment, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { blockTxs, headerOf, ordererSignaturesOf } from '../../../adapters/fabric/block.ts';
import { MAX_TX_BYTES } from '../../../hub-chain/app/tx.ts';
import { MAX_SHARED_PARTS } from '../../../hub-chain/modules/packets/msgs.ts';
import { type PontisReader, readStates, receivedOn } from '../pontis/endpoint.ts';
import { clientHeight } from '../pontis/path.ts';
import type { PacketEvent } from '../types.ts';
import { type FabricEndpoint, FabricRelayError, endorsedQuery, fabricKey, isPresent } from './endpoint.ts';

/** Headers one update may carry (the hub's `fabric` client bound). */
const MAX_HEADERS_PER_UPDATE = 1000;
/** Keys per endorsed query of a proof batch (a proof holds one query; the hub bounds a proof at 256 KiB). */
const KEYS_PER_PROOF_QUERY = 100;
/** A hub transaction of proofs is cut below this many bytes of JSON (the hub's limit is MAX_TX_BYTES; the rest is the signature and envelope). */
const TX_BUDGET = MAX_TX_BYTES - 16 * 1024;

/**
 * `clients/update` messages moving the hub's client of `f` from its latest height to `target`
 * (several when more than one message's headers are needed); empty when it is there.
 */
export async function fabricClientUpdates(hub: PontisReader, f: FabricEndpoint, target: number): Promise<Msg[]> {
  const p = await clientHeight(hub, f.chainId);
  const msgs: Msg[] = [];
  for (let from = p + 1; from <= target; from += MAX_HEADERS_PER_UPDATE) {
    const blocks = await f.writer.blocks(from, Math.min(target, from + MAX_HEADERS_PER_UPDATE - 1));
    msgs.push({ type: 'clients/update', chainId: f.chainId, message: { headers: blocks.map(headerOf), signatures: ordererSignaturesOf(blocks[blocks.length - 1]) } });
  }
  return msgs;
}

interface Wanted {
  event: PacketEvent;
  key: Bytes;
  value: Bytes;
}

/**
 * The position of the VALID transaction of `block` that wrote `key` = `value` in the chaincode's
 * namespace. `writes` memoises each block's decoded writes (key -> [tx index, value] in block
 * order) for one batch of proofs: decoding a block is the costly part, and a block holds many of
 * the batch's items.
 */
function txIndexOf(f: FabricEndpoint, block: common.Block, key: string, value: Bytes, writes: WeakMap<common.Block, Map<string, [number, Bytes][]>>): number {
  let w = writes.get(block);
  if (w === undefined) {
    w = new Map();
    for (const tx of blockTxs(block)) {
      if (tx.validationCode !== 0) continue;
      for (const [k, v] of tx.writes.get(f.writer.chaincode) ?? []) {
        if (v === null) continue; // a delete
        const list = w.get(k);
        if (list) list.push([tx.index, v]);
        else w.set(k, [[tx.index, v]]);
      }
    }
    writes.set(block, w);
  }
  for (const [index, v] of w.get(key) ?? []) if (equalBytes(v, value)) return index;
  throw new FabricRelayError('PNT_ERR_RELAY_FABRIC_NO_WRITE', `block ${block.getHeader()!.getNumber()} of ${f.chainId} has no valid transaction writing ${key}`, { retryable: false, details: { chain: f.chainId, key } });
}

interface ProofBatch {
  /** The blocks, header paths and endorsed queries the batch's proofs reference (`{"$shared": i}`). */
  shared: unknown[];
  items: { item: Wanted; proof: unknown }[];
}

/**
 * Committed-transaction proofs of `wanted` at Fabric height `p` (the hub's client holds it), in
 * batches that fit a hub transaction. Each block, each block's header path up to `p` and each
 * endorsed query goes once into the message's shared parts; an item's proof references them.
 * Items whose key the endorsed query shows no longer holding the value (resolved on Fabric
 * meanwhile) are dropped.
 */
async function proofBatches(f: FabricEndpoint, wanted: Wanted[], p: number): Promise<ProofBatch[]> {
  if (!wanted.length) return [];
  const low = Math.min(...wanted.map((w) => w.event.height));
  if (p - low > MAX_HEADERS_PER_UPDATE) {
    throw new FabricRelayError('PNT_ERR_RELAY_FABRIC_PROOF_TOO_DEEP', `block ${low} of ${f.chainId} is ${p - low} blocks below the hub's client (at most ${MAX_HEADERS_PER_UPDATE})`, { retryable: false, details: { chain: f.chainId, block: low, clientHeight: p } });
  }
  const blocks = await f.writer.blocks(low, p);
  const at = (h: number) => blocks[h - low];
  const headers = blocks.map(headerOf);
  const writes = new WeakMap<common.Block, Map<string, [number, Bytes][]>>();
  const batches: ProofBatch[] = [];
  let cur: ProofBatch = { shared: [], items: [] };
  let bytes = 0;
  let refs = new Map<string, number>();
  /** The index of a shared part in the current batch, adding it (and its size) the first time. */
  const ref = (id: string, make: () => unknown): { $shared: number } => {
    let i = refs.get(id);
    if (i === undefined) {
      const v = make();
      bytes += JSON.stringify(v).length;
      i = cur.shared.push(v) - 1;
      refs.set(id, i);
    }
    return { $shared: i };
  };
  for (let i = 0; i < wanted.length; i += KEYS_PER_PROOF_QUERY) {
    const part = wanted.slice(i, i + KEYS_PER_PROOF_QUERY);
    const { query, values } = await endorsedQuery(f, part.map((w) => w.key));
    for (const [j, w] of part.entries()) {
      // no longer held on Fabric (the packet was resolved there meanwhile): nothing to prove
      const v = values[j];
      if (!isPresent(v) || !equalBytes(fromHex(v), w.value)) continue;
      const h = w.event.height;
      // a new batch when this item and any part it adds would pass the budget or the shared-parts bound
      // the item's own JSON: the packet, its ack, and the proof's references and index
      const own = JSON.stringify(w.event.packet).length + (w.event.ack?.length ?? 0) + 160;
      const adds = (refs.has(`b${h}`) ? 0 : Math.ceil(at(h).serializeBinary().length * 1.34) + (p - h) * 220) + (refs.has(`q${i}`) ? 0 : query.length + 2);
      if (cur.items.length && (bytes + adds + own > TX_BUDGET || cur.shared.length + 3 > MAX_SHARED_PARTS)) {
        batches.push(cur);
        cur = { shared: [], items: [] };
        bytes = 0;
        refs = new Map();
      }
      const proof = {
        block: ref(`b${h}`, () => Buffer.from(at(h).serializeBinary()).toString('base64')),
        txIndex: txIndexOf(f, at(h), fabricKey(w.key), w.value, writes),
        headers: ref(`h${h}`, () => headers.slice(h - low + 1)),
        query: ref(`q${i}`, () => query),
      };
      cur.items.push({ item: w, proof });
      bytes += own;
    }
  }
  if (cur.items.length) batches.push(cur);
  return batches;
}

/**
 * `packets/recv` messages (one per hub transaction) for packets committed on Fabric and not yet
 * received by the hub, proven at Fabric height `p`.
 */
export async function fabricRecvBatches(f: FabricEndpoint, hub: PontisReader, events: PacketEvent[], p: number): Promise<Msg[]> {
  const received = await receivedOn(hub, events.map((e) => e.packet));
  const wanted = events.filter((_, i) => !received[i]).map((event) => ({ event, key: packetKeys.outbound(channelId(event.packet), event.packet.sequence), value: packetCommitment(event.packet) }));
  const batches = await proofBatches(f, wanted, p);
  return batches.map((b) => ({ type: 'packets/recv', proofHeight: p, packets: b.items.map(({ item, proof }) => ({ packet: item.event.packet, proof })), shared: b.shared }));
}

/** `packets/ack` messages for acks Fabric wrote whose packet the hub still holds, proven at Fabric height `p`. */
export async function fabricAckBatches(f: FabricEndpoint, hub: PontisReader, events: PacketEvent[], p: number): Promise<Msg[]> {
  const pending = await readStates(hub, events.map((e) => packetKeys.outbound(channelId(e.packet), e.packet.sequence)));
  const wanted = events.filter((_, i) => pending[i] !== undefined).map((event) => ({ event, key: packetKeys.ack(channelId(event.packet), event.packet.sequence), value: ackCommitment(fromHex(event.ack as Hex)) }));
  const batches = await proofBatches(f, wanted, p);
  return batches.map((b) => ({ type: 'packets/ack', proofHeight: p, packets: b.items.map(({ item, proof }) => ({ packet: item.event.packet, ack: item.event.ack!, proof })), shared: b.shared }));
}
