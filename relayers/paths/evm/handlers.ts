/**
 * `PathHandlers` for paths between the hub and EVM chains (a Gateway and a PontisClient
 * deployed), over the two legs in to-hub.ts and from-hub.ts. Only paths whose non-hub end is one
 * of its EVM chains: anything else is refused (PNT_ERR_RELAY_UNKNOWN_CHAIN).
 *
 * EVM -> hub deliveries prove at the height the hub's attested client of the chain holds; when
 * that is still below a job's events the job is retried (PNT_ERR_RELAY_NO_CONSENSUS, retryable):
 * hub validators' observers move the client, not the relayer (`updateClient` toward the hub is a
 * no-op). hub -> EVM deliveries move the PontisClient to the hub's tip when it does not hold a
 * height at or past the events.
 *
 * `pending` (clearing) covers the hub -> EVM leg from hub state (outstanding forwarded packets:
 * delivery, timeout). The EVM -> hub leg rests on the scanners: a Gateway's mapping cannot be
 * enumerated, and acks written on the EVM chain are known only from its events.
 */
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { type Packet, channelId, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { RelayerError, isFatalCode } from '../../errors.ts';
import { relayTxOutcome } from '../hub.ts';
import { clientHeight, consensusOn, dropDone, notReceived, scan, stillOutstanding } from '../pontis/path.ts';
import type { ClearingItem, ConsensusDivergence, DeliveryOutcome, HubEndpoint, PacketEvent, PathHandlers } from '../types.ts';
import { gatewayErrorCode } from './abi.ts';
import { type EvmGatewayEndpoint, gatewayFilter, gatewayReceived, receivedFilter } from './endpoint.ts';
import { type GatewayItemResult, acknowledgeOnEvm, deliverToEvm, evmClientHeight, evmClientStateRoot, evmSideProofHeight, itemId, submitHubHeader, timeoutOnEvm, updateEvmClient } from './from-hub.ts';
import { MESSAGE_BUDGET, evmAckBatch, evmRecvBatch, hubProofHeight, relayEvmTimeouts, scanEvm } from './to-hub.ts';

const NOTHING: DeliveryOutcome = { submitted: false, accepted: 0, redundant: 0 };
const ALREADY = new Set(['already-received', 'already-resolved']);
/** Hub transactions one delivery job submits at most (the events of a job fit a few; what is left waits for clearing). */
const MAX_MESSAGES_PER_JOB = 16;

export class EvmPathHandlers implements PathHandlers {
  private readonly hubId: string;

  constructor(
    private readonly hub: HubEndpoint,
    private readonly evms: ReadonlyMap<string, EvmGatewayEndpoint>,
    /** JSON bytes of proofs and items one hub message carries (default MESSAGE_BUDGET, under the hub's transaction limit). */
    private readonly messageBudget = MESSAGE_BUDGET,
  ) {
    this.hubId = hub.chainId;
  }

  /** An EVM chain of these handlers. */
  private evm(id: string): EvmGatewayEndpoint {
    const e = this.evms.get(id);
    if (!e) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `${id} is not an EVM chain of this relayer`, { details: { chain: id } });
    return e;
  }

  /** The EVM end of a hub <-> EVM pair. */
  private pair(a: string, b: string): EvmGatewayEndpoint {
    if (a === this.hubId) return this.evm(b);
    if (b === this.hubId) return this.evm(a);
    throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `${a} <-> ${b} is not a path between the hub and an EVM chain`, { details: { src: a, dst: b } });
  }

  async latestHeight(chain: string): Promise<number> {
    if (chain === this.hubId) return this.hub.latestHeight();
    return this.evm(chain).writer.latestHeight();
  }

  /** EVM blocks are scanned only as far as the hub's client of the chain holds (deliveries prove there); anything else to its tip. */
  async scanTip(src: string, dst: string): Promise<number> {
    const evm = this.pair(src, dst);
    if (src !== evm.chainId) return this.latestHeight(src);
    return Math.min(await evm.writer.latestHeight(), await hubProofHeight(this.hub, evm.chainId));
  }

  async scanBlocks(src: string, dst: string, from: number, to: number) {
    const evm = this.pair(src, dst);
    const out: { height: number; packets: PacketEvent[]; acks: PacketEvent[] }[] = [];
    if (src === evm.chainId) {
      const found = await scanEvm(evm, from, to);
      const byHeight = new Map<number, { height: number; packets: PacketEvent[]; acks: PacketEvent[] }>();
      const at = (h: number) => byHeight.get(h) ?? byHeight.set(h, { height: h, packets: [], acks: [] }).get(h)!;
      for (const e of found.packets) at(e.height).packets.push(e);
      for (const e of found.acks) at(e.height).acks.push(e);
      out.push(...[...byHeight.values()].sort((x, y) => x.height - y.height));
      return out;
    }
    for (let h = from + 1; h <= to; h++) {
      const r = await scan(this.hub, dst, this.hubId, h - 1, h);
      if (r.packets.length || r.acks.length) out.push({ height: h, ...r });
    }
    return out;
  }

  /** The EVM height the hub's client holds, refused (retryably) while it is below the events. */
  private async attestedHeight(evm: EvmGatewayEndpoint, events: PacketEvent[]): Promise<number> {
    const p = await hubProofHeight(this.hub, evm.chainId);
    const need = Math.max(0, ...events.map((e) => e.height));
    if (p < need) {
      throw new RelayerError('PNT_ERR_RELAY_NO_CONSENSUS', `the hub's client of ${evm.chainId} holds height ${p}, events are at ${need}: waiting for attestation`, {
        retryable: true,
        details: { chain: evm.chainId, attested: p, needed: need },
      });
    }
    return p;
  }

  /** The hub height to prove at on the EVM chain: the PontisClient's when it covers the events, else the hub's tip (updating the client). */
  private async hubHeightOnEvm(evm: EvmGatewayEndpoint, events: PacketEvent[]): Promise<number> {
    const latest = await evmClientHeight(evm);
    if (latest >= Math.max(0, ...events.map((e) => e.height))) return latest;
    return (await evmSideProofHeight(this.hub, evm, await this.hub.latestHeight())).height;
  }

  async relayPackets(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const evm = this.pair(src, dst);
    if (src === evm.chainId) {
      return this.toHubInParts('packet/recv', async () => {
        const todo = await notReceived(this.hub, events);
        if (!todo.length) return null;
        const p = await this.attestedHeight(evm, todo);
        // storage proofs take a while: look at the hub again just before submitting
        return evmRecvBatch(evm, this.hub, todo, p, this.messageBudget).then((b) => b && dropDone(this.hub, b));
      });
    }
    // nothing left to deliver: no client update either
    const todo = await receivedFilter(evm, events, false);
    if (!todo.length) return NOTHING;
    const r = await deliverToEvm(this.hub, evm, todo, await this.hubHeightOnEvm(evm, todo));
    return r ? evmOutcome(evm.chainId, r) : NOTHING;
  }

  async relayAcks(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const evm = this.pair(src, dst);
    if (src === evm.chainId) {
      return this.toHubInParts('packet/ack', async () => {
        const todo = await stillOutstanding(this.hub, events);
        if (!todo.length) return null;
        const p = await this.attestedHeight(evm, todo);
        return evmAckBatch(evm, this.hub, todo, p, this.messageBudget).then((b) => b && dropDone(this.hub, b));
      });
    }
    const todo = await gatewayFilter(evm, events, packetKeys.outbound, true);
    if (!todo.length) return NOTHING;
    const r = await acknowledgeOnEvm(this.hub, evm, todo, await this.hubHeightOnEvm(evm, todo));
    return r ? evmOutcome(evm.chainId, r) : NOTHING;
  }

  /**
   * Submits the hub messages `next` builds until it has nothing left: a message carries what fits
   * one hub transaction (gatewayLogProofs), and `next` reads the hub again each time, so what a
   * message delivered is not built again (after a crash, the job's retry starts from the hub too).
   */
  private async toHubInParts(what: string, next: () => Promise<Msg | null>): Promise<DeliveryOutcome> {
    let out: DeliveryOutcome = NOTHING;
    for (let part = 0; part < MAX_MESSAGES_PER_JOB; part++) {
      const msg = await next();
      if (!msg) break;
      const r = relayTxOutcome(this.hubId, await this.hub.submit([msg]), what);
      out = { submitted: true, accepted: out.accepted + r.accepted, redundant: out.redundant + r.redundant, txHeight: r.txHeight, items: [...(out.items ?? []), ...(r.items ?? [])] };
    }
    return out;
  }

  /** `src` holds the commitments; `dst` never received them. */
  async timeouts(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const evm = this.pair(src, dst);
    const packets = events.map((e) => e.packet);
    const r = src === this.hubId ? await relayEvmTimeouts(this.hub, evm, packets) : await timeoutOnEvm(this.hub, evm, packets);
    if (!r) throw new RelayerError('PNT_ERR_RELAY_TIMEOUT_NOT_DUE', `no packet of the batch can be timed out on ${src} yet`, { retryable: true });
    let accepted = 0;
    let redundant = 0;
    for (const i of r.items) {
      if (i.result === 'ok') accepted++;
      else if (i.result === 'already-done' || ALREADY.has(i.result)) redundant++;
    }
    return { submitted: true, accepted, redundant, txHeight: r.height, items: r.items };
  }

  async updateClient(src: string, dst: string): Promise<DeliveryOutcome> {
    const evm = this.pair(src, dst);
    // the hub's client of an EVM chain is moved by the hub validators' attestations
    if (src === evm.chainId) return NOTHING;
    const tx = await updateEvmClient(this.hub, evm, await this.hub.latestHeight());
    return tx ? { submitted: true, accepted: 1, redundant: 0 } : NOTHING;
  }

  async clientLag(src: string, dst: string): Promise<number> {
    const evm = this.pair(src, dst);
    if (src === evm.chainId) return (await evm.writer.latestHeight()) - (await clientHeight(this.hub, evm.chainId));
    return (await this.hub.latestHeight()) - (await evmClientHeight(evm));
  }

  async consensusDivergence(src: string, dst: string): Promise<ConsensusDivergence | null> {
    const evm = this.pair(src, dst);
    if (src === evm.chainId) {
      const height = await clientHeight(this.hub, evm.chainId);
      const cons = await consensusOn(this.hub, evm.chainId, height);
      const block = await evm.writer.blockHeader(height);
      if (!cons || !block) return null;
      const chainRoot = block.stateRoot.toLowerCase();
      return cons.root.toLowerCase() === chainRoot ? null : { height, clientRoot: cons.root, chainRoot };
    }
    const height = await evmClientHeight(evm);
    const clientRoot = await evmClientStateRoot(evm, height);
    const chainRoot = (await this.hub.signedHeader(height)).header.stateRoot.toLowerCase();
    return clientRoot === chainRoot ? null : { height, clientRoot, chainRoot };
  }

  /**
   * hub -> EVM: the PontisClient freezes itself when given a validly signed hub header that
   * conflicts with the one it stored at that height, so the evidence is the hub's own header
   * there. EVM -> hub: the hub's client of an EVM chain is attested by the hub's own validators
   * (a fork shows up in their votes), so there is nothing a relayer can submit.
   */
  async submitMisbehaviour(src: string, dst: string, ev: ConsensusDivergence): Promise<DeliveryOutcome> {
    const evm = this.pair(src, dst);
    if (src === evm.chainId) {
      throw new RelayerError('PNT_ERR_RELAY_MISBEHAVIOUR_UNSUPPORTED', `the hub's client of ${evm.chainId} is attested by the hub's validators; a divergence at ${ev.height} needs their attention, not a relayer's evidence`, { retryable: false, details: { chain: dst, height: ev.height } });
    }
    await submitHubHeader(this.hub, evm, ev.height);
    return { submitted: true, accepted: 1, redundant: 0 };
  }

  /**
   * Clearing, hub -> EVM leg: packets the hub forwarded to the EVM chain and still holds, each
   * waiting for delivery or (past its timeout by the EVM chain's latest block time) a timeout.
   */
  async pending(chain: string, hub: string, otherChains: string[]): Promise<ClearingItem[]> {
    const evm = this.evm(chain);
    if (!this.hub.client) return [];
    const latest = await evm.writer.latestHeight();
    const time = await evm.writer.blockTime(latest);
    const groups = new Map<string, ClearingItem>();
    for (const s of [hub, ...otherChains].filter((c) => c !== chain)) {
      const pend = await this.hub.client.pendingPackets(s, chain, { limit: 1000 });
      for (const p of pend.packets) {
        if (!p.status) continue;
        const packet: Packet = p.status.packet;
        const ch = channelId(packet);
        if (await gatewayReceived(evm, ch, packet.sequence, 'latest')) continue; // received: its ack comes through the scanner
        const due = (packet.timeoutTimestamp !== 0 && time >= packet.timeoutTimestamp) || (packet.timeoutHeight !== 0 && latest >= packet.timeoutHeight);
        const kind = due ? 'timeouts' : 'relay-packets';
        const k = `${kind}|${ch}`;
        let g = groups.get(k);
        if (!g) groups.set(k, (g = { kind, src: hub, dst: chain, channel: ch, events: [], times: [] }));
        g.events.push({ height: Math.max(0, ...p.status.steps.map((st) => st.height)), packet });
        g.times.push(Math.max(0, ...p.status.steps.map((st) => st.time)));
      }
    }
    return [...groups.values()];
  }
}

/** Per-packet PacketResult events of a Gateway batch as an outcome; failed items become a RelayerError with their Pontis code. */
function evmOutcome(chain: string, r: { height: number; items: GatewayItemResult[] }): DeliveryOutcome {
  let accepted = 0;
  let redundant = 0;
  const failed: { id: string; code: string }[] = [];
  const items = r.items.map((i) => ({ id: itemId(i), result: i.result }));
  for (const i of r.items) {
    if (i.result === 'ok') accepted++;
    else if (i.result === 'already-done') redundant++;
    else failed.push({ id: `${i.channel}/${i.sequence}`, code: gatewayErrorCode(i.reason) });
  }
  if (failed.length) {
    const fatal = failed.find((f) => isFatalCode(f.code));
    const f = fatal ?? failed[0];
    throw new RelayerError(f.code, `${failed.length} item(s) failed on ${chain}, first ${f.id}: ${f.code}`, { retryable: !fatal, details: { chain, failed, items, accepted, txHeight: r.height } });
  }
  return { submitted: true, accepted, redundant, txHeight: r.height, items };
}
