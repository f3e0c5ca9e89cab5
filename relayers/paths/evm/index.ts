/**
 * The `evm` chain kind: EVM chains with a Pontis Gateway and a PontisClient (the hub's light
 * client) deployed. The hub verifies them through its attested `evm` client; they verify the hub
 * with the PontisClient. Reads and writes go through adapters/evm. Registered in paths/registry.ts.
 */
import { computeAddress } from 'ethers';
import { z } from 'zod';
import { PontisError } from '../../../hub-chain/errors.ts';
import { packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { EvmWriter } from '../../../adapters/evm/writer.ts';
import { RelayerError } from '../../errors.ts';
import { RPC_URLS, chainBase, rpcUrls, type ChainConfig } from '../../schema.ts';
import { FailoverJsonRpc } from './failover-rpc.ts';
import type { GaugeValue, OpenKind, PacketRef, PathKind } from '../types.ts';
import { type EvmGatewayEndpoint, evmGatewayEndpoint, gatewayReceived, gatewayWord, isSet } from './endpoint.ts';
import { EvmPathHandlers } from './handlers.ts';

const EVM_ADDRESS = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address (0x...)');

const chainSchema = z.strictObject({
  id: chainBase.id,
  kind: z.literal('evm'),
  /** One node's JSON-RPC URL or several nodes of the chain (health by block number). */
  rpc: RPC_URLS,
  /** EIP-155 chain id the RPC must report. */
  evmChainId: z.int().min(1),
  gateway: EVM_ADDRESS,
  /** PontisClient: the hub's light client on this chain. */
  hubClient: EVM_ADDRESS,
  /** secp256k1 private keys (hex), one nonce sequence each. */
  signer: chainBase.signer,
});
export type EvmChainConfig = z.infer<typeof chainSchema>;

/** Which of its commitments a Gateway holds for a packet (it keeps commitments, not statuses). */
async function gatewayHop(chain: string, evm: EvmGatewayEndpoint, ref: PacketRef): Promise<Record<string, unknown>> {
  try {
    const [height, sent, received] = await Promise.all([
      evm.writer.latestHeight(),
      gatewayWord(evm, packetKeys.outbound(ref.channel, ref.sequence), 'latest').then(isSet),
      gatewayReceived(evm, ref.channel, ref.sequence, 'latest'),
    ]);
    // the Gateway acks in the call that receives (the ack is in its PacketReceived event)
    const ack = received;
    const state = received ? 'received+acked' : sent ? 'sent' : chain === ref.srcChain ? 'resolved-or-unknown' : null;
    return { chain, known: true, kind: 'evm', height, state, commitments: { sent, received, ack } };
  } catch (e) {
    return { chain, known: true, kind: 'evm', error: e instanceof PontisError ? e.code : 'PNT_ERR_RPC_UNREACHABLE' };
  }
}

export const evmPaths: PathKind = {
  kind: 'evm',
  chainSchema,
  signerAddress: (key) => computeAddress(key),
  open(chains: ChainConfig[], { hub, signers, logger, health }): OpenKind {
    const evms = new Map<string, EvmGatewayEndpoint>();
    const rpcs = new Map<string, FailoverJsonRpc>();
    for (const c of chains as EvmChainConfig[]) {
      const keys = signers.get(c.id) ?? [];
      if (!keys.length) throw new RelayerError('PNT_ERR_RELAY_NO_SIGNER', `no signer key for ${c.id}`);
      const urls = rpcUrls(c.rpc);
      const sender = new FailoverJsonRpc(c.id, urls, health);
      rpcs.set(c.id, sender);
      const writer = new EvmWriter({ url: urls[0], sender, evmChainId: c.evmChainId, chainId: c.id, privateKeys: keys, pollIntervalMs: 100, logger: logger.child({ chainId: c.id }) });
      evms.set(c.id, evmGatewayEndpoint(c.id, writer, c.gateway, c.hubClient));
    }
    const endpoint = (id: string) => evms.get(id)!;
    return {
      handlers: new EvmPathHandlers(hub, evms),
      signerAddresses: () => Object.fromEntries([...evms].map(([id, e]) => [id, e.writer.addresses])),
      async signerBalances() {
        const out: GaugeValue[] = [];
        for (const [id, evm] of evms) {
          for (const address of evm.writer.addresses) {
            const wei = await evm.writer.balance(address);
            out.push({ labels: { chain: id, address }, value: Number(wei / 10n ** 9n) / 1e9 });
          }
        }
        return out;
      },
      packetHop: (chain, ref) => gatewayHop(chain, endpoint(chain), ref),
      probe: (chain) => endpoint(chain).writer.latestHeight(),
      async readiness(chain) {
        const set = rpcs.get(chain)!.endpoints;
        await set.probeAll();
        return set.readiness();
      },
      endpointStatus: () => [...rpcs.values()].flatMap((r) => r.endpoints.status()),
      close: async () => {
        for (const r of rpcs.values()) r.close();
        await Promise.allSettled([...evms.values()].map((e) => e.writer.close()));
      },
    };
  },
};
