/**
 * The `substrate` chain kind: Substrate chains without contracts, whose Pontis writes are remarks
 * of writer accounts registered on the hub (adapters/substrate/packets.ts). The hub verifies
 * them with its `substrate` client (attested by its validators, or GRANDPA); the relayer reads
 * them through adapters/substrate over one or several WebSocket nodes. The signer (a 32-byte
 * sr25519 seed, hex, like every other signer key) is not used by relayers: the delivery into the
 * chain is the hub validators' co-signers' (DELIVERY.md). Registered in paths/registry.ts.
 */
import { Keyring } from '@polkadot/keyring';
import { z } from 'zod';
import { PontisError } from '../../../hub-chain/errors.ts';
import { SubstrateReader } from '../../../adapters/substrate/reader.ts';
import { chainBase, type ChainConfig } from '../../schema.ts';
import type { OpenKind, PacketRef, PathKind } from '../types.ts';
import { type SubstrateEndpoint, substrateEndpoint } from './endpoint.ts';
import { SubstratePathHandlers } from './handlers.ts';

const WS_URL = z.url({ protocol: /^wss?$/, error: 'must be a ws(s) URL' });

const chainSchema = z.strictObject({
  id: chainBase.id,
  kind: z.literal('substrate'),
  /** One node's WebSocket JSON-RPC URL, or several nodes of the chain (tried in order when one cannot be reached). */
  rpc: z.union([WS_URL, z.array(WS_URL).min(1).max(16)]),
  /** The chain's genesis hash: a node of another chain is refused. */
  genesisHash: z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte lower-case hex hash (0x...)').optional(),
  /** sr25519 seeds (32-byte hex): kept for a delivery account; relayers write nothing into the chain (DELIVERY.md). */
  signer: chainBase.signer,
});
export type SubstrateChainConfig = z.infer<typeof chainSchema>;

/** The SS58 address (generic prefix 42) of an sr25519 seed. */
function signerAddress(key: string): string {
  return new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri(key).address;
}

/** What the chain's writers wrote for a packet, as far as the relayer can tell without scanning: the chain's height only. */
async function substrateHop(chain: string, sub: SubstrateEndpoint, ref: PacketRef): Promise<Record<string, unknown>> {
  try {
    const height = await sub.read((r) => r.finalizedHeight());
    // remarks are events: whether one wrote the packet is known to the scanners, not from state
    return { chain, known: true, kind: 'substrate', height, state: chain === ref.srcChain ? 'resolved-or-unknown' : null };
  } catch (e) {
    return { chain, known: true, kind: 'substrate', error: e instanceof PontisError ? e.code : 'PNT_ERR_RPC_UNREACHABLE' };
  }
}

export const substratePaths: PathKind = {
  kind: 'substrate',
  chainSchema,
  signerAddress,
  open(chains: ChainConfig[], { hub, signers, logger }): OpenKind {
    const subs = new Map<string, SubstrateEndpoint>();
    for (const c of chains as SubstrateChainConfig[]) {
      const urls = typeof c.rpc === 'string' ? [c.rpc] : c.rpc;
      const readers = urls.map((url) => new SubstrateReader({ url, chainId: c.id, ...(c.genesisHash ? { genesisHash: c.genesisHash } : {}), logger }));
      subs.set(c.id, substrateEndpoint(c.id, readers));
    }
    const endpoint = (id: string) => subs.get(id)!;
    return {
      handlers: new SubstratePathHandlers(hub, subs),
      signerAddresses: () => Object.fromEntries([...subs.keys()].map((id) => [id, (signers.get(id) ?? []).map(signerAddress)])),
      // relayers pay no fees on the chain: the co-signers' keys do (DELIVERY.md)
      signerBalances: async () => [],
      packetHop: (chain, ref) => substrateHop(chain, endpoint(chain), ref),
      probe: (chain) => endpoint(chain).read((r) => r.finalizedHeight()),
      close: async () => {
        await Promise.allSettled([...subs.values()].map((s) => s.close()));
      },
    };
  },
};
