/**
 * Connecting a Substrate chain to the hub: the block a new `substrate` client starts from (the
 * finalized head, header checked against its hash, state root as the observer computes it), and the
 * client params' event type table read from the node's runtime metadata (no @polkadot needed).
 */
import { type Hex, fromHex, isHex } from '../../crypto/bytes.ts';
import type { FinalizedBlock } from '../../modules/clients/types.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { type EventTypeTable, eventTypeTable, eventTypeTableHash } from './events.ts';
import { type SubstrateRpc, substrateFinalizedSource, substrateHttpRpc } from './source.ts';

export const SUBSTRATE_REGISTRATION_DEFAULTS = { trustingPeriodMs: 14 * 24 * 3600_000, maxClockDriftMs: 60_000 } as const;

/** The finalized block a new client of the chain starts from. */
export async function substrateTrustRoot(rpc: string | SubstrateRpc): Promise<FinalizedBlock> {
  const b = await substrateFinalizedSource(rpc).fetchFinalized();
  if (!b) throw new SubstrateClientError(SUB_ERR.SOURCE_INVALID, 'the chain has no finalized block above genesis yet', { retryable: true });
  return b;
}

/** `params.events` for the chain's current runtime: its event type table and the table's hash. */
export async function substrateEventTypes(rpc: string | SubstrateRpc, at?: Hex): Promise<{ hash: Hex; table: EventTypeTable }> {
  const call = typeof rpc === 'string' ? substrateHttpRpc(rpc) : rpc;
  const metadata = await call<Hex>('state_getMetadata', at ? [at] : []);
  if (!isHex(metadata)) throw new SubstrateClientError(SUB_ERR.SOURCE_INVALID, 'state_getMetadata returned no bytes');
  const table = eventTypeTable(fromHex(metadata));
  return { hash: eventTypeTableHash(table), table };
}
