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
    const chain = src === this.hub.chainId ? dst : src;
    const h = this.byChain.get(chain);
    if (!h) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `no chain ${chain} is configured`, { details: { chain } });
    return h;
  }

  latestHeight(chain: string): Promise<number> {
    return chain === this.hub.chainId ? this.hub.latestHeight() : this.of(chain, this.hub.chainId).latestHeight(chain);
  }
  scanTip(src: string, dst: string): Promise<number> {
    const h = this.of(src, dst);
    return h.scanTip ? h.scanTip(src, dst) : h.latestHeight(src);
  }
  scanBlocks(src: string, dst: string, from: number, to: number) {
    return this.of(src, dst).scanBlocks(src, dst, from, to);
  }
  relayPackets(src: string, dst: string, events: PacketEvent[]) {
    return this.of(src, dst).relayPackets(src, dst, events);
  }
  relayAcks(src: string, dst: string, events: PacketEvent[]) {
    return this.of(src, dst).relayAcks(src, dst, events);
  }
  timeouts(src: string, dst: string, events: PacketEvent[]) {
    return this.of(src, dst).timeouts(src, dst, events);
  }
  updateClient(src: string, dst: string) {
    return this.of(src, dst).updateClient(src, dst);
  }
  pending(chain: string, hub: string, otherChains: string[]) {
    return this.of(chain, hub).pending(chain, hub, otherChains);
  }
  clientLag(src: string, dst: string) {
    return this.of(src, dst).clientLag(src, dst);
  }
  consensusDivergence(src: string, dst: string) {
    return this.of(src, dst).consensusDivergence(src, dst);
  }
  submitMisbehaviour(src: string, dst: string, evidence: ConsensusDivergence) {
    return this.of(src, dst).submitMisbehaviour(src, dst, evidence);
  }
}
