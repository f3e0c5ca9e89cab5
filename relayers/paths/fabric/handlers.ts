/**
 * `PathHandlers` for paths between the hub and Fabric channels running the Pontis chaincode, over
 * the legs in to-hub.ts (Fabric -> hub: the hub's `fabric` client, committed-transaction proofs)
 * and from-hub.ts (hub -> Fabric: the chaincode's `pontis` client of the hub, hub state proofs).
 * Only paths whose non-hub end is one of its channels: anything else is PNT_ERR_RELAY_UNKNOWN_CHAIN.
 *
 * Fabric -> hub deliveries prove at the height the hub's client holds, moving it first (in the
 * same hub transaction) when it is below the events. `pending` (clearing) covers the hub ->
 * Fabric leg from hub state; the Fabric -> hub leg rests on the scanners (world state cannot be
 * enumerated by a client without a range query the chaincode does not expose).
 */
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { type Packet, channelId, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import type { ItemResult } from '../../../contracts/fabric/gateway.ts';
import { FABRIC_ERR } from '../../../hub-chain/light-clients/fabric/errors.ts';
import { RelayerError, isFatalCode, isRetryableCode } from '../../errors.ts';
import { relayTxOutcome } from '../hub.ts';
import { clientHeight, consensusOn, scan } from '../pontis/path.ts';
import type { ClearingItem, ConsensusDivergence, DeliveryOutcome, HubEndpoint, PacketEvent, PathHandlers } from '../types.ts';
import { type FabricEndpoint, blockPacketEvents, hubClientOnFabric, hubConsensusOnFabric, isPresent, readKeys } from './endpoint.ts';
import { SerialQueues } from '../serial.ts';
import { type FabricBatchResult, acknowledgeOnFabric, deliverToFabric, fabricTimeoutMsgs, hubHeightOnFabric, timeoutOnFabric, updateHubClientOnFabric } from './from-hub.ts';
import { fabricAckBatches, fabricClientUpdates, fabricRecvBatches } from './to-hub.ts';

const NOTHING: DeliveryOutcome = { submitted: false, accepted: 0, redundant: 0 };
/** Blocks read per Deliver stream while scanning. */
const SCAN_CHUNK = 200;

export class FabricPathHandlers implements PathHandlers {
  private readonly hubId: string;
  /** Each Fabric chain's writing jobs in this process, one at a time (onFabric). */
  private readonly fabricWrites = new SerialQueues();

  constructor(
    private readonly hub: HubEndpoint,
    private readonly fabrics: ReadonlyMap<string, FabricEndpoint>,
  ) {
    this.hubId = hub.chainId;
  }

  private fabric(id: string): FabricEndpoint {
    const f = this.fabrics.get(id);
    if (!f) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `${id} is not a Fabric chain of this relayer`, { details: { chain: id } });
    return f;
  }

  private pair(a: string, b: string): FabricEndpoint {
    if (a === this.hubId) return this.fabric(b);
    if (b === this.hubId) return this.fabric(a);
    throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `${a} <-> ${b} is not a path between the hub and a Fabric chain`, { details: { src: a, dst: b } });
  }

  async latestHeight(chain: string): Promise<number> {
    if (chain === this.hubId) return this.hub.latestHeight();
    return this.fabric(chain).writer.latestHeight();
  }

  async scanBlocks(src: string, dst: string, from: number, to: number) {
    const f = this.pair(src, dst);
    const out: { height: number; packets: PacketEvent[]; acks: PacketEvent[] }[] = [];
    if (src === f.chainId) {
      for (let lo = from + 1; lo <= to; lo += SCAN_CHUNK) {
        for (const block of await f.writer.blocks(lo, Math.min(to, lo + SCAN_CHUNK - 1))) {
          const r = blockPacketEvents(f, block);
          if (r.packets.length || r.acks.length) out.push({ height: block.getHeader()!.getNumber(), ...r });
        }
      }
      return out;
    }
    for (let h = from + 1; h <= to; h++) {
      const r = await scan(this.hub, dst, this.hubId, h - 1, h);
      if (r.packets.length || r.acks.length) out.push({ height: h, ...r });
    }
    return out;
  }

  /**
   * Runs a job's writes into Fabric chain `f` after the ones this process started before it.
   * Every delivery, ack and timeout the chaincode checks reads its hub client's record, which a
   * client update writes: run side by side, an update committed between another job's
   * endorsement and its commit invalidates that job's transaction (MVCC_READ_CONFLICT, retried
   * whole). One at a time per chain, each job's update lands before its own proofs are endorsed.
   */
  private onFabric<T>(f: FabricEndpoint, job: () => Promise<T>): Promise<T> {
    return this.fabricWrites.run(f.chainId, job);
  }

  /**
   * The Fabric height to prove `events` at on the hub: its client's, after moving the client to
   * the Fabric tip when it is below the events. The update is a transaction of its own, cheap to
   * lose when several jobs race to move the client (a stale update is refused, and the client has
   * moved anyway); the large proof transactions then never fail for it.
   */
  private async fabricHeightOnHub(f: FabricEndpoint, events: PacketEvent[]): Promise<number> {
    const need = Math.max(0, ...events.map((e) => e.height));
    let p = await clientHeight(this.hub, f.chainId);
    if (p >= need) return p;
    const updates = await fabricClientUpdates(this.hub, f, Math.max(need, await f.writer.latestHeight()));
    if (updates.length) {
      const r = await this.hub.submit(updates);
      if (r.code !== 'ok' && r.code !== FABRIC_ERR.HEADER_STALE) throw new RelayerError(r.code, `update of ${f.chainId}'s client on ${this.hubId} failed: ${r.log ?? r.code}`, { retryable: isRetryableCode(r.code), details: { chain: this.hubId } });
    }
    p = await clientHeight(this.hub, f.chainId);
    if (p < need) throw new RelayerError('PNT_ERR_RELAY_NO_CONSENSUS', `the hub's client of ${f.chainId} holds ${p}, events are at ${need}`, { retryable: true, details: { chain: f.chainId, held: p, needed: need } });
    return p;
  }

  /** Proof messages for `events` at the height the hub's client holds, one hub transaction each. */
  private async toHub(f: FabricEndpoint, events: PacketEvent[], build: (p: number) => Promise<Msg[]>, what: string): Promise<DeliveryOutcome> {
    const batches = await build(await this.fabricHeightOnHub(f, events));
    if (!batches.length) return NOTHING;
    const total: DeliveryOutcome = { submitted: true, accepted: 0, redundant: 0, items: [] };
    for (const b of batches) {
      const o = relayTxOutcome(this.hubId, await this.hub.submit([b]), what);
      total.accepted += o.accepted;
      total.redundant += o.redundant;
      total.txHeight = o.txHeight;
      total.items!.push(...(o.items ?? []));
    }
    return total;
  }

  async relayPackets(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const f = this.pair(src, dst);
    if (src === f.chainId) return this.toHub(f, events, (p) => fabricRecvBatches(f, this.hub, events, p), 'packet/recv');
    return this.onFabric(f, async () => {
      const h = await hubHeightOnFabric(this.hub, f, Math.max(0, ...events.map((e) => e.height)));
      return fabricOutcome(f.chainId, await deliverToFabric(this.hub, f, events, h));
    });
  }

  async relayAcks(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const f = this.pair(src, dst);
    if (src === f.chainId) return this.toHub(f, events, (p) => fabricAckBatches(f, this.hub, events, p), 'packet/ack');
    return this.onFabric(f, async () => {
      const h = await hubHeightOnFabric(this.hub, f, Math.max(0, ...events.map((e) => e.height)));
      return fabricOutcome(f.chainId, await acknowledgeOnFabric(this.hub, f, events, h));
    });
  }

  /** `src` holds the commitments; `dst` never received them. */
  async timeouts(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const f = this.pair(src, dst);
    if (src === f.chainId) {
      const r = await this.onFabric(f, () => timeoutOnFabric(this.hub, f, events.map((e) => e.packet)));
      if (!r) throw notDue(src);
      return fabricOutcome(f.chainId, r);
    }
    const r = await this.onFabric(f, () => fabricTimeoutMsgs(this.hub, f, events));
    if (!r || !r.msgs.length) {
      // marked on Fabric (or not due yet): the hub's part needs the marker committed and a later header
      throw notDue(src, r?.marked.length ?? 0);
    }
    return relayTxOutcome(this.hubId, await this.hub.submit(r.msgs), 'packet/timeout');
  }

  async updateClient(src: string, dst: string): Promise<DeliveryOutcome> {
    const f = this.pair(src, dst);
    if (src === f.chainId) {
      const updates = await fabricClientUpdates(this.hub, f, await f.writer.latestHeight());
      if (!updates.length) return NOTHING;
      const r = await this.hub.submit(updates);
      if (r.code !== 'ok') throw new RelayerError(r.code, `update of ${f.chainId}'s client on ${this.hubId} failed: ${r.log ?? r.code}`, { retryable: true, details: { chain: this.hubId } });
      return { submitted: true, accepted: updates.length, redundant: 0, txHeight: r.height };
    }
    return (await this.onFabric(f, async () => updateHubClientOnFabric(this.hub, f, await this.hub.latestHeight()))) ? { submitted: true, accepted: 1, redundant: 0 } : NOTHING;
  }

  async clientLag(src: string, dst: string): Promise<number> {
    const f = this.pair(src, dst);
    if (src === f.chainId) return (await f.writer.latestHeight()) - (await clientHeight(this.hub, f.chainId));
    return (await this.hub.latestHeight()) - (await hubClientOnFabric(f, this.hubId)).latestHeight;
  }

  async consensusDivergence(src: string, dst: string): Promise<ConsensusDivergence | null> {
    const f = this.pair(src, dst);
    if (src === f.chainId) {
      const height = await clientHeight(this.hub, f.chainId);
      const [cons, chainRoot] = await Promise.all([consensusOn(this.hub, f.chainId, height), f.writer.blockHash(height)]);
      if (!cons || !chainRoot) return null;
      return cons.root === chainRoot ? null : { height, clientRoot: cons.root, chainRoot };
    }
    const height = (await hubClientOnFabric(f, this.hubId)).latestHeight;
    const cons = await hubConsensusOnFabric(f, this.hubId, height);
    if (!cons) return null;
    const chainRoot = (await this.hub.signedHeader(height)).header.stateRoot.toLowerCase();
    return cons.root.toLowerCase() === chainRoot ? null : { height, clientRoot: cons.root, chainRoot };
  }

  /**
   * Evidence is not built by this relayer on either leg yet: the hub's `fabric` client keeps
   * header hashes, not the orderer signatures a second signed header would be compared with, and
   * the chaincode's client takes evidence only from an operator today. A divergence is reported
   * (metrics, logs) and stops here.
   */
  async submitMisbehaviour(src: string, dst: string, ev: ConsensusDivergence): Promise<DeliveryOutcome> {
    this.pair(src, dst);
    throw new RelayerError('PNT_ERR_RELAY_MISBEHAVIOUR_UNSUPPORTED', `divergence of ${src}'s client on ${dst} at ${ev.height}: Fabric paths take evidence from an operator`, { retryable: false, details: { src, dst, height: ev.height } });
  }

  /**
   * Clearing, hub -> Fabric leg: packets the hub forwarded to the channel and still holds, each
   * waiting for delivery or, past its timeout (by this machine's clock, as the chaincode judges by
   * its transaction's), a timeout.
   */
  async pending(chain: string, hub: string, otherChains: string[]): Promise<ClearingItem[]> {
    const f = this.fabric(chain);
    if (!this.hub.client) return [];
    const now = Date.now();
    const groups = new Map<string, ClearingItem>();
    for (const s of [hub, ...otherChains].filter((c) => c !== chain)) {
      const pend = (await this.hub.client.pendingPackets(s, chain, { limit: 1000 })).packets.filter((p) => p.status);
      const receipts = await readKeys(f, pend.map((p) => packetKeys.receipt(channelId(p.status!.packet), p.status!.packet.sequence)));
      pend.forEach((p, i) => {
        const packet: Packet = p.status!.packet;
        if (receipts[i] === '0x01') return; // received: its ack comes through the scanner
        const ch = channelId(packet);
        const due = packet.timeoutTimestamp !== 0 && now >= packet.timeoutTimestamp;
        const kind = due || isPresent(receipts[i]) ? 'timeouts' : 'relay-packets';
        const k = `${kind}|${ch}`;
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { kind, src: hub, dst: chain, channel: ch, events: [], times: [] }));
        g.events.push({ height: Math.max(0, ...p.status!.steps.map((st) => st.height)), packet });
        g.times.push(Math.max(0, ...p.status!.steps.map((st) => st.time)));
      });
    }
    return [...groups.values()];
  }
}

function notDue(src: string, marked = 0): RelayerError {
  return new RelayerError('PNT_ERR_RELAY_TIMEOUT_NOT_DUE', marked ? `${marked} packet(s) marked timed out on Fabric; the hub's part follows` : `no packet of the batch can be timed out on ${src} yet`, { retryable: true, details: { marked } });
}

/** Per-item results of a chaincode batch as an outcome; failed items become a RelayerError with their Pontis code. */
function fabricOutcome(chain: string, r: FabricBatchResult | null): DeliveryOutcome {
  if (!r) return NOTHING;
  let accepted = 0;
  let redundant = 0;
  const failed: Extract<ItemResult, { result: 'failed' }>[] = [];
  for (const i of r.items) {
    if (i.result === 'ok') accepted++;
    else if (i.result === 'already-done') redundant++;
    else failed.push(i);
  }
  const items = r.items.map((i) => ({ id: i.id, result: i.result === 'failed' ? i.code : i.result }));
  if (failed.length) {
    const fatal = failed.find((f) => isFatalCode(f.code));
    const f = fatal ?? failed[0];
    throw new RelayerError(f.code, `${failed.length} item(s) failed on ${chain}, first ${f.id}: ${f.code}`, { retryable: !fatal, details: { chain, failed, items, accepted, txHeight: r.height } });
  }
  return { submitted: true, accepted, redundant, txHeight: r.height, items };
}
