/**
 * Connecting a Substrate chain to the hub: the block a new `substrate` client starts from (the
 * finalized head, header checked against its hash, state root as the observer computes it), and the
 * client params' event type table read from the node's runtime metadata (no @polkadot needed),
 * and the governance action registering the chain with an attested client.
 */
import { type Hex, fromHex, isHex } from '../../crypto/bytes.ts';
import type { FinalizedBlock } from '../../modules/clients/types.ts';
import { CLIENT_ERR } from '../../modules/clients/errors.ts';
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

export interface SubstrateChainRegistrationOptions {
  /** Pontis chain id. */
  chainId: string;
  /** The block the client starts from (`substrateTrustRoot`). */
  initial: FinalizedBlock;
  /** Accounts (32-byte ids, hex) whose remarks are the chain's writes: its gateway, assigning its packets' sequences. */
  writers: Hex[];
  /** `substrateEventTypes` of the chain's runtime (remark proofs decode `System.Events` with it). */
  events: { hash: Hex; table: EventTypeTable };
  trustingPeriodMs?: number;
  maxClockDriftMs?: number;
  /** Destinations this chain may send to; default every registered chain. */
  routes?: string[];
  voteWindow?: number;
}

/** A `registry/register-chain` governance action for a Substrate chain. */
export interface SubstrateRegisterChainAction {
  kind: 'registry/register-chain';
  chainId: string;
  chainKind: 'substrate';
  clientType: 'substrate';
  clientParams: Record<string, unknown>;
  clientInitial: { height: number; hash: string; stateRoot: string; timestamp: number };
  routes: string[];
  [field: string]: unknown;
}

/**
 * The hub governance action that registers a Substrate chain with a `substrate` client in
 * attested mode (the validators' configs need a `substrate` observer of the chain, `stride: 1`:
 * a remark is proven at its own block, so every block must be voted).
 */
export function substrateChainRegistration(o: SubstrateChainRegistrationOptions): SubstrateRegisterChainAction {
  const writers = o.writers.map((w) => w.toLowerCase() as Hex);
  if (!writers.length || writers.some((w) => !isHex(w, 32))) throw new SubstrateClientError(CLIENT_ERR.PARAMS_INVALID, 'writers must be 32-byte account ids (hex), at least one');
  const clientParams: Record<string, unknown> = {
    trustingPeriodMs: o.trustingPeriodMs ?? SUBSTRATE_REGISTRATION_DEFAULTS.trustingPeriodMs,
    maxClockDriftMs: o.maxClockDriftMs ?? SUBSTRATE_REGISTRATION_DEFAULTS.maxClockDriftMs,
    trust: { mode: 'attested' },
    writers,
    events: o.events,
  };
  if (o.voteWindow !== undefined) clientParams.voteWindow = o.voteWindow;
  const i = o.initial;
  return {
    kind: 'registry/register-chain',
    chainId: o.chainId,
    chainKind: 'substrate',
    clientType: 'substrate',
    clientParams,
    clientInitial: { height: i.height, hash: i.hash, stateRoot: i.stateRoot, timestamp: i.timestamp },
    routes: o.routes ?? ['*'],
  };
}
