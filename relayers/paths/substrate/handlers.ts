/**
 * `PathHandlers` for paths between the hub and Substrate chains (a `substrate` client on the hub,
 * writer accounts on the chain; to-hub.ts). Only paths whose non-hub end is one of its Substrate
 * chains: anything else is refused (PNT_ERR_RELAY_UNKNOWN_CHAIN).
 *
 * Substrate -> hub: deliveries prove each remark at its own block, which the hub's client must
 * hold; above the client's height the job waits (PNT_ERR_RELAY_NO_CONSENSUS, retryable). The
 * hub validators' observers move the client (attested mode), so `updateClient` toward the hub is
 * a no-op, and a divergence needs their attention, not a relayer's evidence.
 *
 * hub -> Substrate: packets are delivered into the chain, and the hub's acks of packets it sent
 * written back, by the hub validators' multisig (`pontis relayer cosign`, DELIVERY.md), not by
 * relayers. What comes back of that leg is relayed
 * here: the multisig's acks (`relayAcks` from the chain) and its timeout records, found by the
 * chain's scanner and submitted as `packets/timeout` on the hub (`timeouts` from the hub). The legs
 * relayers cannot do answer `towardSubstrate()` (PNT_ERR_RELAY_DIRECTION_UNSUPPORTED, fatal):
 * delivering packets, acks of the chain's own packets and client updates into the chain.
 */
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { RelayerError } from '../../errors.ts';
import { relayTxOutcome } from '../hub.ts';
import { clientHeight, consensusOn, dropDone, notReceived, scan, stillOutstanding } from '../pontis/path.ts';
import type { ClearingItem, ConsensusDivergence, DeliveryOutcome, HubEndpoint, PacketEvent, PathHandlers } from '../types.ts';
import type { SubstrateEndpoint } from './endpoint.ts';
import { scanSubstrate, substrateAckMessages, substrateRecvMessages, substrateTimeoutMessages } from './to-hub.ts';

const NOTHING: DeliveryOutcome = { submitted: false, accepted: 0, redundant: 0 };
/** Message bytes (JSON) per hub transaction: well inside MAX_TX_BYTES (1 MiB) with the signature and envelope. */
const TX_BUDGET = 768 * 1024;

/** A write into a Substrate chain: relayers have no way in (the chain runs no Pontis code); the hub validators' co-signers write what the hub committed. */
export function towardSubstrate(what: string, chain: string): never {
  throw new RelayerError('PNT_ERR_RELAY_DIRECTION_UNSUPPORTED', `${what} toward Substrate chain ${chain}: relayers do not write into Substrate; the hub validators' co-signers deliver what the hub committed and write back its acks of the chain's packets (pontis relayer cosign, relayers/paths/substrate/DELIVERY.md)`, { retryable: false, details: { chain, what } });
}

export class SubstratePathHandlers implements PathHandlers {
  private readonly hubId: string;

  constructor(
    private readonly hub: HubEndpoint,
    private readonly subs: ReadonlyMap<string, SubstrateEndpoint>,
  ) {
    this.hubId = hub.chainId;
  }

  private sub(id: string): SubstrateEndpoint {
    const s = this.subs.get(id);
    if (!s) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `${id} is not a Substrate chain of this relayer`, { details: { chain: id } });
    return s;
  }

  /** The Substrate end of a hub <-> Substrate pair. */
  private pair(a: string, b: string): SubstrateEndpoint {
    if (a === this.hubId) return this.sub(b);
    if (b === this.hubId) return this.sub(a);
    throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `${a} <-> ${b} is not a path between the hub and a Substrate chain`, { details: { src: a, dst: b } });
  }

  /** A Substrate chain's height is its finalized one: nothing above it is relayed. */
  async latestHeight(chain: string): Promise<number> {
    if (chain === this.hubId) return this.hub.latestHeight();
    return this.sub(chain).read((r) => r.finalizedHeight());
  }

  /** Substrate blocks are scanned as far as the hub's client of the chain holds (deliveries prove there); the hub to its tip. */
  async scanTip(src: string, dst: string): Promise<number> {
    const sub = this.pair(src, dst);
    if (src !== sub.chainId) return this.latestHeight(src);
    return Math.min(await this.latestHeight(src), await clientHeight(this.hub, sub.chainId));
  }

  async scanBlocks(src: string, dst: string, from: number, to: number) {
    const sub = this.pair(src, dst);
    type Block = { height: number; packets: PacketEvent[]; acks: PacketEvent[]; timeouts: PacketEvent[] };
    const out: Block[] = [];
    if (src === sub.chainId) {
      const found = await scanSubstrate(sub, this.hub, from, to);
      const byHeight = new Map<number, Block>();
      const at = (h: number) => byHeight.get(h) ?? byHeight.set(h, { height: h, packets: [], acks: [], timeouts: [] }).get(h)!;
      for (const e of found.packets) at(e.height).packets.push(e);
      for (const e of found.acks) at(e.height).acks.push(e);
      for (const e of found.timeouts) at(e.height).timeouts.push(e);
      return [...byHeight.values()].sort((x, y) => x.height - y.height);
    }
    for (let h = from + 1; h <= to; h++) {
      const r = await scan(this.hub, dst, this.hubId, h - 1, h);
      if (r.packets.length || r.acks.length) out.push({ height: h, ...r, timeouts: [] });
    }
    return out;
  }

  /**
   * Submits the messages (one per remark), each dropped of what another relayer delivered
   * meanwhile, in hub transactions of at most TX_BUDGET bytes of messages. A transaction that
   * fails stops the job; those before it stay done (the retry skips their items).
   */
  private async submit(msgs: Msg[], what: string): Promise<DeliveryOutcome> {
    const left = (await Promise.all(msgs.map((m) => dropDone(this.hub, m)))).filter((m) => m !== null);
    const txs: Msg[][] = [];
    let size = 0;
    for (const m of left) {
      const n = JSON.stringify(m).length;
      if (!txs.length || size + n > TX_BUDGET) {
        txs.push([]);
        size = 0;
      }
      txs.at(-1)!.push(m);
      size += n;
    }
    let out: DeliveryOutcome = NOTHING;
    for (const tx of txs) {
      const r = relayTxOutcome(this.hubId, await this.hub.submit(tx), what);
      out = { submitted: true, accepted: out.accepted + r.accepted, redundant: out.redundant + r.redundant, txHeight: r.txHeight, items: [...(out.items ?? []), ...(r.items ?? [])] };
    }
    return out;
  }

  async relayPackets(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const sub = this.pair(src, dst);
    if (src !== sub.chainId) return towardSubstrate('packet delivery', sub.chainId);
    const todo = await notReceived(this.hub, events);
    if (!todo.length) return NOTHING;
    return this.submit(await substrateRecvMessages(sub, this.hub, todo), 'packet/recv');
  }

  async relayAcks(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const sub = this.pair(src, dst);
    if (src !== sub.chainId) return towardSubstrate('ack delivery', sub.chainId);
    const todo = await stillOutstanding(this.hub, events);
    if (!todo.length) return NOTHING;
    return this.submit(await substrateAckMessages(sub, this.hub, todo), 'packet/ack');
  }

  /**
   * Timeouts on the hub of packets it sent the chain: each event names the chain's block holding the
   * delivery multisig's timeout record (the scanner's `timeouts`), which the hub's client takes as
   * the receipt's absence. The other way, the chain's own timeouts, would be written into the chain.
   */
  async timeouts(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome> {
    const sub = this.pair(src, dst);
    if (src !== this.hubId) return towardSubstrate('timeout', sub.chainId);
    const todo = await stillOutstanding(this.hub, events.filter((e) => e.packet.dstChain === sub.chainId));
    if (!todo.length) return NOTHING;
    return this.submit(await substrateTimeoutMessages(sub, this.hub, todo), 'packet/timeout');
  }

  async updateClient(src: string, dst: string): Promise<DeliveryOutcome> {
    const sub = this.pair(src, dst);
    // the hub's client of a Substrate chain in attested mode is moved by the hub validators' votes
    if (src === sub.chainId) return NOTHING;
    return towardSubstrate('client update', sub.chainId);
  }

  /** Toward the hub: finalized height minus the client's. The chain holds no client of the hub yet: 0. */
  async clientLag(src: string, dst: string): Promise<number> {
    const sub = this.pair(src, dst);
    if (src !== sub.chainId) return 0;
    return Math.max(0, (await this.latestHeight(src)) - (await clientHeight(this.hub, sub.chainId)));
  }

  /** The block hash (and, where the header carries one, the state root) the hub's client holds at its height, against the chain's. */
  async consensusDivergence(src: string, dst: string): Promise<ConsensusDivergence | null> {
    const sub = this.pair(src, dst);
    if (src !== sub.chainId) return null;
    const height = await clientHeight(this.hub, sub.chainId);
    const cons = await consensusOn(this.hub, sub.chainId, height);
    if (!cons) return null;
    const head = await sub.read((r) => r.header(height)).catch(() => undefined);
    if (!head) return null;
    const held = ((cons.extra as { hash?: string } | undefined)?.hash ?? '').toLowerCase();
    if (held !== head.hash.toLowerCase()) return { height, clientRoot: cons.root, chainRoot: await sub.read((r) => r.stateRoot(head.hash)) };
    return null;
  }

  async submitMisbehaviour(src: string, dst: string, ev: ConsensusDivergence): Promise<DeliveryOutcome> {
    const sub = this.pair(src, dst);
    if (src === sub.chainId) {
      throw new RelayerError('PNT_ERR_RELAY_MISBEHAVIOUR_UNSUPPORTED', `the hub's client of ${sub.chainId} is attested by the hub's validators; a divergence at ${ev.height} needs their attention, not a relayer's evidence`, { retryable: false, details: { chain: dst, height: ev.height } });
    }
    return towardSubstrate('misbehaviour evidence', sub.chainId);
  }

  /**
   * Clearing: nothing. Packets the hub sent the chain are delivered (or recorded as timed out) by
   * the co-signers, not by relayers; what they write, and the Substrate -> hub leg, are remarks,
   * events rather than enumerable state, so they rest on the scanners.
   */
  async pending(chain: string): Promise<ClearingItem[]> {
    this.sub(chain);
    return [];
  }
}
