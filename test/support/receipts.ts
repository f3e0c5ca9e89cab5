/** Whether a Pontis chain (hub or side-chain) has received a packet, read over its RPC: the packet's bit in its receipt word (ADR 0017). */
import type { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { type Packet, channelId, packetKeys, receiptBitSet } from '../../hub-chain/modules/packets/types.ts';

export async function receivedVia(c: HubClient, p: Pick<Packet, 'srcChain' | 'srcApp' | 'dstChain' | 'dstApp' | 'sequence'>): Promise<boolean> {
  const r = await c.state({ text: Buffer.from(packetKeys.receiptBits(channelId(p), p.sequence)).toString('utf8') });
  return receiptBitSet(r.value, p.sequence);
}
