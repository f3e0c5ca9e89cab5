/**
 * `PathHandlers` for paths between the hub and Pontis side-chains: both ends verify each other
 * with Pontis light clients, so every delivery is a batch proven at one height, with a client
 * update in the same transaction when the destination's client is not there yet.
 */
import { type Packet, channelId, encodeAck, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { toHex } from '../../../hub-chain/crypto/bytes.ts';
import type { PacketStatus } from '../../../hub-chain/modules/packets/types.ts';
import type { HubClient } from '../../../hub-chain/rpc-client/client.ts';
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { type PontisWriter, receivedOn } from './endpoint.ts';
import { ackBatch, clientHeight, clientUpdate, consensusOn, clientRecord, dropDone, notReceived, recvBatch, relayTimeouts, scan, stillOutstanding } from './path.ts';
import { RelayerError } from '../../errors.ts';
import { relayTxOutcome } from '../hub.ts';
import { isRetryableCode } from '../../errors.ts';
import type { ClearingItem, ConsensusDivergence, DeliveryKind, DeliveryOutcome, PacketEvent, PathHandlers } from '../types.ts';

export class PontisPathHandlers implements PathHandlers {
  constructor(
    private readonly endpoints: Map<string, PontisWriter & { client?: HubClient }>,
    private readonly hubId: string,
  ) {}

  private ep(id: string): PontisWriter & { client?: HubClient } {
    const e = this.endpoints.get(id);
    if (!e) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `no endpoint for chain ${id}`, { details: { chain: id } });
    return e;
  }

  latestHeight(chain: string): Promise<number> {
    return this.ep(chain).latestHeight();
  }

  async scanBlocks(src: string, dst: string, from: number, to: number) {
    const out: { height: number; packets: PacketEvent[]; acks: PacketEvent[] }[] = [];
    for (let h = from + 1; h <= to; h++) {
      const r = await scan(this.ep(src), dst, this.hubId, h - 1, h);
      if (r.packets.length || r.acks.length) out.push({ height: h, ...r });
    }
    return out;
  }

  /**
   * The height to prove at: the destination's client of `src` when it has already verified a
   * height at or past every event (no update needed, so racing relayers do not fight over
   * client heights), else the source's tip with a client update in the same transaction.
   */
  private async proofHeight(src: PontisWriter, dst: PontisWriter, minHeight: number): Promise<{ height: number; update: Msg | null }> {
    const trusted = await clientHeight(dst, src.chainId);
    if (trusted >= minHeight && (await consensusOn(dst, src.chainId, trusted))) return { height: trusted, update: null };
    const height = await src.latestHeight();
    return { height, update: await clientUpdate(src, dst, height) };
  }

  async relayPackets(srcId: string, dstId: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const src = this.ep(srcId);
    const dst = this.ep(dstId);
    const todo = await notReceived(dst, events);
    if (!todo.length) return { submitted: false, accepted: 0, redundant: 0 };
    const { height, update } = await this.proofHeight(src, dst, Math.max(...todo.map((e) => e.height)));
    // proofs take a while: look at the destination again just before submitting
    const batch = await recvBatch(src, dst, todo, height).then((b) => b && dropDone(dst, b));
    if (!batch) return { submitted: false, accepted: 0, redundant: 0 };
    return this.submit(dst, update ? [update, batch] : [batch], 'packet/recv');
  }

  async relayAcks(srcId: string, dstId: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const src = this.ep(srcId);
    const dst = this.ep(dstId);
    const todo = await stillOutstanding(dst, events);
    if (!todo.length) return { submitted: false, accepted: 0, redundant: 0 };
    const { height, update } = await this.proofHeight(src, dst, Math.max(...todo.map((e) => e.height)));
    const batch = await ackBatch(src, dst, todo, height).then((b) => b && dropDone(dst, b));
    if (!batch) return { submitted: false, accepted: 0, redundant: 0 };
    return this.submit(dst, update ? [update, batch] : [batch], 'packet/ack');
  }

  /** `src` holds the commitments; `dst` is the next hop that never received them. Submits on `src`. */
  async timeouts(srcId: string, dstId: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const src = this.ep(srcId);
    const dst = this.ep(dstId);
    const open = (await stillOutstanding(src, events)).map((e) => e.packet);
    if (!open.length) return { submitted: false, accepted: 0, redundant: 0 };
    const r = await relayTimeouts(src, dst, open);
    if (!r) throw new RelayerError('PNT_ERR_RELAY_TIMEOUT_NOT_DUE', `no packet of the batch can be timed out on ${srcId} yet`, { retryable: true });
    return relayTxOutcome(srcId, r, 'packet/timeout');
  }

  async updateClient(srcId: string, dstId: string): Promise<DeliveryOutcome> {
    const src = this.ep(srcId);
    const dst = this.ep(dstId);
    const upd = await clientUpdate(src, dst, await src.latestHeight());
    if (!upd) return { submitted: false, accepted: 0, redundant: 0 };
    const r = await dst.submit([upd]);
    if (r.code !== 'ok') throw new RelayerError(r.code, `client update of ${srcId} on ${dstId} failed: ${r.log ?? r.code}`, { retryable: isRetryableCode(r.code), details: { chain: dstId } });
    return { submitted: true, accepted: 1, redundant: 0, txHeight: r.height };
  }

  async clientLag(srcId: string, dstId: string): Promise<number> {
    return (await this.ep(srcId).latestHeight()) - (await clientHeight(this.ep(dstId), srcId));
  }

  async consensusDivergence(srcId: string, dstId: string): Promise<ConsensusDivergence | null> {
    const height = await clientHeight(this.ep(dstId), srcId);
    const cons = await consensusOn(this.ep(dstId), srcId, height);
    if (!cons) return null;
    const chainRoot = (await this.ep(srcId).signedHeader(height)).header.stateRoot;
    return cons.root === chainRoot ? null : { height, clientRoot: cons.root, chainRoot };
  }

  async submitMisbehaviour(srcId: string, dstId: string, ev: ConsensusDivergence): Promise<DeliveryOutcome> {
    const src = this.ep(srcId);
    const dst = this.ep(dstId);
    const rec = await clientRecord(dst, srcId);
    if (!rec || rec.frozen) return { submitted: false, accepted: 0, redundant: 0 };
    const trusted = await trustedBelow(dst, srcId, ev.height);
    const [signedHeader, validators, nextValidators] = await Promise.all([src.signedHeader(ev.height), src.validatorSet(ev.height), src.validatorSet(ev.height + 1)]);
    const evidence = { signedHeader, validators: validators.toJSON(), nextValidators: nextValidators.toJSON(), trustedHeight: trusted };
    const r = await dst.submit([{ type: 'clients/misbehaviour', chainId: srcId, evidence }]);
    if (r.code !== 'ok') throw new RelayerError(r.code, `misbehaviour of ${srcId} on ${dstId} refused: ${r.log ?? r.code}`, { retryable: false, details: { chain: dstId, height: ev.height } });
    return { submitted: true, accepted: 1, redundant: 0, txHeight: r.height };
  }

  private async submit(dst: PontisWriter, msgs: Msg[], what: string): Promise<DeliveryOutcome> {
    return relayTxOutcome(dst.chainId, await dst.submit(msgs), what);
  }

  /**
   * Clearing from chain state: every commitment outstanding on either end of the path, and what
   * it is waiting for. For each leg src -> dst: no receipt on dst and past its timeout: a timeout;
   * no receipt: the packet; a receipt and an ack on dst: the ack back to src.
   */
  async pending(chain: string, hub: string, otherChains: string[]): Promise<ClearingItem[]> {
    const items: ClearingItem[] = [];
    const legs: { src: string; dst: string; pairs: [string, string][] }[] = [
      // packets the side-chain sent (to any chain), next hop the hub
      { src: chain, dst: hub, pairs: [hub, ...otherChains].filter((c) => c !== chain).map((c) => [chain, c]) },
      // packets the hub forwarded to the side-chain, from any other chain
      { src: hub, dst: chain, pairs: [hub, ...otherChains].filter((c) => c !== chain).map((c) => [c, chain]) },
    ];
    for (const leg of legs) {
      const src = this.ep(leg.src);
      const dst = this.ep(leg.dst);
      if (!src.client || !dst.client) continue;
      const dstHeight = await dst.latestHeight();
      const dstTime = (await dst.signedHeader(dstHeight)).header.time;
      const groups = new Map<string, ClearingItem>();
      const add = (kind: DeliveryKind, from: string, to: string, ch: string, e: PacketEvent, time: number) => {
        const k = `${kind}|${ch}`;
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { kind, src: from, dst: to, channel: ch, events: [], times: [] }));
        g.events.push(e);
        g.times.push(time);
      };
      for (const [s, d] of leg.pairs) {
        // the RPC answers at most 1000 per query; the rest is cleared on a later pass once these resolve
        const pend = await src.client.pendingPackets(s, d, { limit: 1000 });
        for (const p of pend.packets) {
          if (!p.status) continue;
          const packet: Packet = p.status.packet;
          const ch = channelId(packet);
          const height = Math.max(0, ...p.status.steps.map((st) => st.height));
          const time = Math.max(0, ...p.status.steps.map((st) => st.time));
          const onDst = await readStatus(dst.client, ch, packet.sequence);
          const [received] = await receivedOn(dst, [packet]);
          if (!received) {
            const due = (packet.timeoutTimestamp !== 0 && dstTime >= packet.timeoutTimestamp) || (packet.timeoutHeight !== 0 && leg.dst === packet.dstChain && dstHeight >= packet.timeoutHeight);
            add(due ? 'timeouts' : 'relay-packets', leg.src, leg.dst, ch, { height, packet }, time);
          } else if (onDst?.ack) {
            const ackHeight = Math.max(0, ...onDst.steps.map((st) => st.height));
            add('relay-acks', leg.dst, leg.src, ch, { height: ackHeight, packet, ack: toHex(encodeAck(onDst.ack)) }, Math.max(0, ...onDst.steps.map((st) => st.time)));
          }
        }
      }
      items.push(...groups.values());
    }
    return items;
  }
}

/** The highest height below `height` at which `dst`'s client of `srcId` holds a consensus record (searched back at most 2000 heights). */
async function trustedBelow(dst: PontisWriter, srcId: string, height: number): Promise<number> {
  for (let top = height - 1; top >= Math.max(1, height - 2000); top -= 50) {
    const hs = Array.from({ length: Math.min(50, top) }, (_, i) => top - i).filter((h) => h >= 1);
    const found = await Promise.all(hs.map((h) => consensusOn(dst, srcId, h)));
    const i = found.findIndex((c) => c !== undefined);
    if (i >= 0) return hs[i];
  }
  throw new RelayerError('PNT_ERR_RELAY_NO_CONSENSUS', `${dst.chainId}'s client of ${srcId} holds no consensus below ${height} to verify evidence from`, { retryable: false });
}

async function readStatus(c: HubClient, ch: string, seq: number): Promise<PacketStatus | undefined> {
  const r = await c.state({ text: Buffer.from(packetKeys.status(ch, seq)).toString('utf8') });
  return r.value === null ? undefined : (JSON.parse(Buffer.from(r.value.slice(2), 'hex').toString('utf8')) as PacketStatus);
}
