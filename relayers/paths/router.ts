/**
 * The pipeline's one `PathHandlers`: each call goes to the handlers of the kind of the path's
 * non-hub chain (the kind that chain was configured with). No kind stands in for another: a
 * chain no kind opened is refused.
 */
import { RelayerError } from '../errors.ts';
import type { ConsensusDivergence, HubEndpoint, PacketEvent, PathHandlers } from './types.ts';

export class PathRouter implements PathHandlers {
  constructor(
    private readonly hub: HubEndpoint,
    /** Handlers by non-hub chain id. */
    private readonly byChain: ReadonlyMap<string, PathHandlers>,
  ) {}

  /** The handlers of the chain at the other end from the hub. */
  private of(src: string, dst: string): PathHandlers {
    // (called inside async methods: a refusal is a rejected promise, like any delivery failure)
    const chain = src === this.hub.chainId ? dst : src;
    const h = this.byChain.get(chain);
    if (!h) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `no chain ${chain} is configured`, { details: { chain } });
    return h;
  }

  async latestHeight(chain: string): Promise<number> {
    return chain === this.hub.chainId ? this.hub.latestHeight() : this.of(chain, this.hub.chainId).latestHeight(chain);
  }
  async scanTip(src: string, dst: string): Promise<number> {
    const h = this.of(src, dst);
    return h.scanTip ? h.scanTip(src, dst) : h.latestHeight(src);
  }
  async scanBlocks(src: string, dst: string, from: number, to: number) {
    return this.of(src, dst).scanBlocks(src, dst, from, to);
  }
  async relayPackets(src: string, dst: string, events: PacketEvent[]) {
    return this.of(src, dst).relayPackets(src, dst, events);
  }
  async relayAcks(src: string, dst: string, events: PacketEvent[]) {
    return this.of(src, dst).relayAcks(src, dst, events);
  }
  async timeouts(src: string, dst: string, events: PacketEvent[]) {
    return this.of(src, dst).timeouts(src, dst, events);
  }
  async updateClient(src: string, dst: string) {
    return this.of(src, dst).updateClient(src, dst);
  }
  async pending(chain: string, hub: string, otherChains: string[]) {
    return this.of(chain, hub).pending(chain, hub, otherChains);
  }
  async clientLag(src: string, dst: string) {
    return this.of(src, dst).clientLag(src, dst);
  }
  async consensusDivergence(src: string, dst: string) {
    return this.of(src, dst).consensusDivergence(src, dst);
  }
  async submitMisbehaviour(src: string, dst: string, evidence: ConsensusDivergence) {
    return this.of(src, dst).submitMisbehaviour(src, dst, evidence);
  }
}
