/**
 * The `pontis` chain kind: side-chains running the Pontis node, verified by the hub's Pontis
 * light client and verifying the hub with theirs. Registered in paths/registry.ts.
 */
import { z } from 'zod';
import { RPC_URLS, TrustRoot, VERIFY_RESULTS, chainBase, type ChainConfig } from '../../schema.ts';
import { pontisPacketHop } from '../hub.ts';
import type { OpenKind, PathKind } from '../types.ts';
import { PontisPathHandlers } from './handlers.ts';
import { type PooledEndpoint, pontisAccountKey, pooledEndpoint } from './pooled-endpoint.ts';

const chainSchema = z.strictObject({ id: chainBase.id, kind: z.literal('pontis'), rpc: RPC_URLS, signer: chainBase.signer, trust: TrustRoot.optional(), verifyResults: VERIFY_RESULTS });
export type PontisChainConfig = z.infer<typeof chainSchema>;

export const pontisPaths: PathKind = {
  kind: 'pontis',
  chainSchema,
  signerAddress: (key) => pontisAccountKey(key).address,
  open(chains: ChainConfig[], { hub, signers, logger, health }): OpenKind {
    const own = new Map<string, PooledEndpoint>();
    for (const c of chains as PontisChainConfig[]) own.set(c.id, pooledEndpoint(c.id, c, signers.get(c.id) ?? [], logger, health));
    const handlers = new PontisPathHandlers(new Map([[hub.chainId, hub], ...own]), hub.chainId);
    return {
      handlers,
      signerAddresses: () => Object.fromEntries([...own].map(([id, e]) => [id, e.addresses])),
      signerBalances: async () => [], // Pontis chains charge no fees
      packetHop: (chain, ref) => pontisPacketHop(chain, own.get(chain), ref),
      probe: (chain) => handlers.latestHeight(chain),
      readiness: (chain) => own.get(chain)!.readiness(),
      endpointStatus: () => [...own.values()].flatMap((e) => e.endpointStatus()),
      close: async () => {
        for (const e of own.values()) e.close();
      },
    };
  },
};
