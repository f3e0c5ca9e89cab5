/**
 * The Substrate -> hub leg. What a Substrate chain without contracts writes is what the writer
 * accounts registered on the hub (its `substrate` client's `writers`) remark
 * (adapters/substrate/packets.ts: `pkt/out` + `pkt/data` for a packet sent, `pkt/ack` +
 * `pkt/ack-data` for an ack written). A remark is proven through the `System.Events` of its own
 * block, so a delivery proves each remark at the height of its block: the hub's client must hold
 * a consensus record there (attested mode: the hub validators' observers vote every finalized
 * block with `stride: 1`). One `packets/recv` (or `packets/ack`) per remark, its one shared part
 * the remark (`{events, index, payload}`) the items point at; the handlers submit them in as few
 * hub transactions as the transaction size allows. Proofs are checked here against the hub's record before they are sent.
 *
 * The hub validators' delivery multisig is a writer too (DELIVERY.md): its remarks, executed inside
 * `multisig.asMulti(utility.batchAll([...]))` and signed by a co-signer, carry the acks of packets
 * the hub sent the chain and timeout records of packets it will never receive. Writers are matched
 * by the `Remarked` event's sender (the account that remarked: the multisig), as the hub's client
 * checks them, never by the extrinsic's signer. Those remarks name packets by channel and sequence;
 * their fields are read back from the hub (its status record), which checks them against its own
 * commitment.
 */
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { type Bytes, type Hex, fromHex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { PontisError } from '../../../hub-chain/errors.ts';
import { type Packet, type PacketStatus, channelId, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { decodeRemarkPayload } from '../../../hub-chain/light-clients/substrate/remark.ts';
import { verifyReadProof } from '../../../hub-chain/light-clients/substrate/trie.ts';
import { SYSTEM_EVENTS_KEY } from '../../../hub-chain/light-clients/substrate/storage.ts';
import { type PacketRef, packetsOfRemark, substratePacketKeys } from '../../../adapters/substrate/packets.ts';
import { accountId } from '../../../adapters/substrate/reader.ts';
import { type PontisReader, readStates } from '../pontis/endpoint.ts';
import { clientHeight, clientRecord, consensusOn } from '../pontis/path.ts';
import type { PacketEvent } from '../types.ts';
import { type SubstrateEndpoint, SubstrateRelayError } from './endpoint.ts';

/** The writer accounts (32-byte ids, hex) the hub's client of the chain counts remarks of. */
export async function hubWriters(hub: PontisReader, chainId: string): Promise<Hex[]> {
  const rec = await clientRecord(hub, chainId);
  if (!rec) throw new SubstrateRelayError('PNT_ERR_RELAY_NO_CLIENT', `${hub.chainId} has no client of ${chainId}`, { details: { chain: chainId } });
  return ((rec.state as { writers?: Hex[] }).writers ?? []).map((w) => w.toLowerCase());
}

/** A writer's remark: where it is and what it says. */
export interface WriterRemark {
  height: number;
  blockHash: Hex;
  /** Its `System.Remarked` event's index in `System.Events`. */
  index: number;
  payload: Hex;
}

/** The remarks of `writers` (the `Remarked` event's sender) in blocks [from, to], their payload taken from the extrinsic (at the top or nested in batch/multisig calls). */
export async function writerRemarks(sub: SubstrateEndpoint, writers: readonly Hex[], from: number, to: number): Promise<WriterRemark[]> {
  if (!writers.length || to < from) return [];
  const events = await sub.read((r) => r.events({ sources: ['system'], names: ['Remarked'] }, from, to));
  const out: WriterRemark[] = [];
  for (const ev of events) {
    const sender = accountId(ev.args.sender);
    if (!sender || !writers.includes(sender)) continue;
    try {
      const payload = await sub.read((r) => r.remarkPayload(ev.blockHash, ev.index));
      out.push({ height: ev.height, blockHash: ev.blockHash.toLowerCase() as Hex, index: ev.index, payload: payload.toLowerCase() as Hex });
    } catch (e) {
      if (e instanceof PontisError && e.retryable) throw e;
    }
  }
  return out;
}

export interface SubstrateScan {
  packets: PacketEvent[];
  acks: PacketEvent[];
  /** Packets the writers recorded as never to be received (timeout records), at the record's block. */
  timeouts: PacketEvent[];
}

/**
 * Packets sent, acks written and timeout records by the chain's writers in blocks (from, to]:
 * every packet of a spoke goes to the hub, and so does every ack it writes. Only packets from the
 * chain itself (the hub proves a packet against its source's client), acks of packets addressed
 * to it, and timeout records of packets the hub sent it.
 */
export async function scanSubstrate(sub: SubstrateEndpoint, hub: PontisReader, from: number, to: number): Promise<SubstrateScan> {
  const out: SubstrateScan = { packets: [], acks: [], timeouts: [] };
  if (to <= from) return out;
  // packets the multisig's remarks name by channel and sequence, read back from the hub in one go
  const refs: { height: number; ref: PacketRef; ack?: Hex }[] = [];
  for (const r of await writerRemarks(sub, await hubWriters(hub, sub.chainId), from + 1, to)) {
    const got = packetsOfRemark(fromHex(r.payload));
    for (const p of got.packets) if (p.srcChain === sub.chainId) out.packets.push({ height: r.height, packet: p });
    for (const a of got.acks) if (a.packet.dstChain === sub.chainId) out.acks.push({ height: r.height, packet: a.packet, ack: a.ack });
    for (const a of got.ackRefs) refs.push({ height: r.height, ref: a, ack: a.ack });
    for (const t of got.timeouts) refs.push({ height: r.height, ref: t });
  }
  const packets = await hubPackets(hub, refs.map((x) => x.ref), sub.chainId);
  refs.forEach((x, i) => {
    const packet = packets[i];
    if (!packet) return;
    if (x.ack) out.acks.push({ height: x.height, packet, ack: x.ack });
    else out.timeouts.push({ height: x.height, packet });
  });
  return out;
}

/**
 * The packets the hub holds under `refs` for destination `chain` (their status records), undefined
 * where the hub does not know one or holds it for another chain: nothing this chain can resolve.
 * Not trusted: the hub checks the fields against its own commitment. An unreadable record is
 * skipped like an unknown one rather than failing the whole scan.
 */
async function hubPackets(hub: PontisReader, refs: PacketRef[], chain: string): Promise<(Packet | undefined)[]> {
  if (!refs.length) return [];
  const raws = await readStates(hub, refs.map((r) => packetKeys.status(r.channel, r.sequence)));
  return raws.map((raw, i) => {
    if (!raw) return undefined;
    let p: Packet | undefined;
    try {
      p = (JSON.parse(Buffer.from(raw).toString('utf8')) as PacketStatus).packet;
    } catch {
      return undefined; // not a status record this relayer can read: nothing to resolve, and the scan goes on
    }
    const ref = refs[i];
    return p && channelId(p) === ref.channel && p.sequence === ref.sequence && p.dstChain === chain ? p : undefined;
  });
}

/**
 * The hub's record of Substrate block `height`, checked against the chain's block there: missing
 * above the client's height is a wait (retryable); missing below it, the validators never voted
 * that block, and no remark of it can be proven (fatal, the observers' `stride` must be 1).
 */
async function heldBlock(sub: SubstrateEndpoint, hub: PontisReader, height: number): Promise<{ root: Hex; hash: Hex }> {
  const cons = await consensusOn(hub, sub.chainId, height);
  if (!cons) {
    const latest = await clientHeight(hub, sub.chainId);
    const waiting = height > latest;
    throw new SubstrateRelayError('PNT_ERR_RELAY_NO_CONSENSUS', waiting ? `the hub's client of ${sub.chainId} holds height ${latest}, the remark is at ${height}: waiting for attestation` : `the hub's client of ${sub.chainId} holds no record of block ${height} (below its height ${latest}): its remarks cannot be proven`, {
      retryable: waiting,
      details: { chain: sub.chainId, height, attested: latest },
    });
  }
  const hash = ((cons.extra as { hash?: string } | undefined)?.hash ?? '').toLowerCase() as Hex;
  const own = (await sub.read((r) => r.blockHash(height)))?.toLowerCase();
  if (own !== hash) {
    throw new SubstrateRelayError('PNT_ERR_RELAY_SUBSTRATE_BAD_PROOF', `${sub.chainId} block ${height} is ${own ?? 'absent'}, the hub holds ${hash}`, { retryable: true, details: { chain: sub.chainId, height } });
  }
  return { root: cons.root.toLowerCase() as Hex, hash };
}

/** One remark's proof part, shared by the items it proves. */
interface RemarkPart {
  events: { nodes: Hex[] };
  index: number;
  payload: Hex;
}

/**
 * The messages proving, block by block, that the chain's writers wrote `key(e)` for each event:
 * `packets/recv` or `packets/ack` items built by `item`. Events whose key no writer remark of
 * their block holds are dropped (a stale event: a later scan names the right block).
 */
export async function remarkMessages(
  sub: SubstrateEndpoint,
  hub: PontisReader,
  events: PacketEvent[],
  type: 'packets/recv' | 'packets/ack' | 'packets/timeout',
  key: (ch: string, seq: number) => Bytes,
): Promise<Msg[]> {
  const writers = await hubWriters(hub, sub.chainId);
  const byHeight = new Map<number, PacketEvent[]>();
  for (const e of events) byHeight.set(e.height, [...(byHeight.get(e.height) ?? []), e]);
  const msgs: Msg[] = [];
  for (const [height, evs] of [...byHeight].sort(([a], [b]) => a - b)) {
    const held = await heldBlock(sub, hub, height);
    const remarks = await writerRemarks(sub, writers, height, height);
    // which remark writes which key (a key written twice in one block: the first remark)
    const where = new Map<string, number>();
    remarks.forEach((r, i) => {
      let pairs: [Bytes, Bytes][];
      try {
        pairs = decodeRemarkPayload(fromHex(r.payload));
      } catch {
        return;
      }
      for (const [k] of pairs) if (!where.has(toHex(k))) where.set(toHex(k), i);
    });
    const due = evs.map((e) => ({ e, at: where.get(toHex(key(channelId(e.packet), e.packet.sequence))) })).filter((x) => x.at !== undefined) as { e: PacketEvent; at: number }[];
    if (!due.length) continue;
    const proof = await sub.read((r) => r.readProof([toHex(SYSTEM_EVENTS_KEY)], held.hash));
    // the node's state must be the one the hub holds (a fork, or a node serving another chain)
    if (verifyReadProof(fromHex(held.root), proof.nodes.map((n) => fromHex(n)), SYSTEM_EVENTS_KEY) === null) {
      throw new SubstrateRelayError('PNT_ERR_RELAY_SUBSTRATE_BAD_PROOF', `System.Events of ${sub.chainId} block ${height} does not verify against the hub's record`, { retryable: true, details: { chain: sub.chainId, height } });
    }
    const nodes = proof.nodes.map((n) => n.toLowerCase() as Hex);
    // one message per remark: its proof part is shared by its items, and a message stays far below the hub's transaction limit
    const byRemark = new Map<number, PacketEvent[]>();
    for (const { e, at } of due) byRemark.set(at, [...(byRemark.get(at) ?? []), e]);
    for (const [at, es] of [...byRemark].sort(([a], [b]) => a - b)) {
      const shared: RemarkPart[] = [{ events: { nodes }, index: remarks[at].index, payload: remarks[at].payload }];
      const proofRef = { remark: { $shared: 0 } };
      const items = es.map((e) => (type === 'packets/ack' ? { packet: e.packet, ack: e.ack, proof: proofRef } : { packet: e.packet, proof: proofRef }));
      msgs.push({ type, proofHeight: height, packets: items, shared } as unknown as Msg);
    }
  }
  return msgs;
}

/** `packets/recv` messages for packets the chain's writers sent. */
export function substrateRecvMessages(sub: SubstrateEndpoint, hub: PontisReader, events: PacketEvent[]): Promise<Msg[]> {
  return remarkMessages(sub, hub, events, 'packets/recv', substratePacketKeys.outbound);
}

/** `packets/ack` messages for acks the chain's writers wrote. */
export function substrateAckMessages(sub: SubstrateEndpoint, hub: PontisReader, events: PacketEvent[]): Promise<Msg[]> {
  return remarkMessages(sub, hub, events.filter((e) => e.ack !== undefined), 'packets/ack', substratePacketKeys.ack);
}

/** `packets/timeout` messages for packets the delivery multisig recorded as timed out (the hub asks the receipt's absence; the client answers with the record). */
export function substrateTimeoutMessages(sub: SubstrateEndpoint, hub: PontisReader, events: PacketEvent[]): Promise<Msg[]> {
  return remarkMessages(sub, hub, events, 'packets/timeout', substratePacketKeys.receiptNone);
}
