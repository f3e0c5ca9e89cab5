/**
 * One Substrate chain as a relayer sees it: readers of the adapter (adapters/substrate) over one
 * or several nodes of the chain, tried in order when a node cannot be reached, and the signer
 * key kept for a delivery account (hub -> Substrate is the co-signers': DELIVERY.md).
 */
import { PontisError } from '../../../hub-chain/errors.ts';
import type { SubstrateReader } from '../../../adapters/substrate/reader.ts';
import { RelayerError } from '../../errors.ts';

export class SubstrateRelayError extends PontisError {
  override name = 'SubstrateRelayError';
}

export interface SubstrateEndpoint {
  /** The Pontis chain id the chain is registered under on the hub. */
  readonly chainId: string;
  readonly readers: readonly SubstrateReader[];
  /** `fn` on the first node that answers: a node that cannot be reached (a retryable failure) passes the call to the next. */
  read<T>(fn: (r: SubstrateReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function substrateEndpoint(chainId: string, readers: SubstrateReader[]): SubstrateEndpoint {
  if (!readers.length) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_CHAIN', `${chainId}: no node to read`, { details: { chain: chainId } });
  // the node that answered last is asked first
  let first = 0;
  return {
    chainId,
    readers,
    async read(fn) {
      let last: unknown;
      for (let i = 0; i < readers.length; i++) {
        const at = (first + i) % readers.length;
        try {
          const v = await fn(readers[at]);
          first = at;
          return v;
        } catch (e) {
          // a node's verdict (a bad request, a missing block) is the chain's: no other node is asked
          if (!(e instanceof PontisError) || !e.retryable) throw e;
          last = e;
        }
      }
      throw last;
    },
    close: async () => {
      await Promise.allSettled(readers.map((r) => r.close()));
    },
  };
}
