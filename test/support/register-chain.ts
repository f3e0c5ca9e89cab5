/**
 * Connecting chains in tests: the `registry/register-chain` governance action, and registering one
 * chain of validator processes on another (every operator votes until the proposal executes).
 */
import { fromHex } from '../../hub-chain/crypto/bytes.ts';
import { type AccountKey, accountKeyFromSeed } from '../../hub-chain/crypto/ed25519.ts';
import { loadHome } from '../../hub-chain/node/config.ts';
import type { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { pontisTrustRoot, proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { substrateChainRegistration, substrateEventTypes, substrateTrustRoot } from '../../hub-chain/light-clients/substrate/registration.ts';

/** Client parameters the process tests use unless they say otherwise: a week of trust, 10 s of clock drift. */
export const DEFAULT_CLIENT_PARAMS = { trustingPeriodMs: 7 * 24 * 3600_000, maxClockDriftMs: 10_000 };

export interface RegisterChainOptions {
  chainId: string;
  /** The client's trusted initial state (e.g. pontisTrustRoot(...).pontis). */
  clientInitial: unknown;
  /** Default 'pontis'. */
  clientType?: string;
  /** Default 'pontis'. */
  chainKind?: string;
  /** Default DEFAULT_CLIENT_PARAMS. */
  clientParams?: Record<string, unknown>;
  /** Default every destination ('*'). */
  routes?: string[];
}

/** The governance action that registers a chain and creates its light client. */
export function registerChainAction(o: RegisterChainOptions) {
  return {
    kind: 'registry/register-chain' as const,
    chainId: o.chainId,
    chainKind: o.chainKind ?? 'pontis',
    clientType: o.clientType ?? 'pontis',
    clientParams: o.clientParams ?? DEFAULT_CLIENT_PARAMS,
    clientInitial: o.clientInitial,
    routes: o.routes ?? ['*'],
  };
}

/** A chain of validator processes as far as governance needs it (the e2e Testnet is one): its RPC clients and node homes. */
export interface GovernedChain {
  clients: HubClient[];
  homes: string[];
}

/** The operator (governance member) key of node `i` of a chain of validator processes. */
export function operatorKey(n: GovernedChain, i = 0): AccountKey {
  return accountKeyFromSeed(fromHex(loadHome(n.homes[i]).operatorKey!.seed, 32));
}

/**
 * Governance on `on` registers `other` as `chainId` with a `pontis` client trusting `other`'s
 * current header; every operator of `on` votes. Throws unless the proposal executes.
 */
export async function registerPontisChain(on: GovernedChain, other: GovernedChain, chainId: string, clientParams: Record<string, unknown> = DEFAULT_CLIENT_PARAMS): Promise<void> {
  const root = await pontisTrustRoot(other.clients[0], chainId);
  const action = registerChainAction({ chainId, clientInitial: root.pontis, clientParams });
  const r = await proposeAndPass(on.clients[0], on.homes.map((_, i) => operatorKey(on, i)), action);
  if (r.status !== 'executed') throw new Error(`registering ${chainId} on ${on.clients[0].url}: proposal ${r.id} ${r.status}`);
}

/**
 * Governance on `on` registers a Substrate chain (a node's HTTP JSON-RPC, chopsticks' `httpUrl`)
 * as `chainId` with a `substrate` client in attested mode, starting at its finalized head, whose
 * remarks count from `writers` (32-byte account ids, hex). The validators' configs need a
 * `substrate` observer of the chain. Throws unless the proposal executes.
 */
export async function registerSubstrateChain(on: GovernedChain, rpcUrl: string, chainId: string, writers: string[], o: { routes?: string[]; clientParams?: { trustingPeriodMs: number; maxClockDriftMs: number } } = {}): Promise<{ height: number }> {
  const [initial, events] = await Promise.all([substrateTrustRoot(rpcUrl), substrateEventTypes(rpcUrl)]);
  const action = substrateChainRegistration({ chainId, initial, writers, events, ...(o.routes ? { routes: o.routes } : {}), ...(o.clientParams ?? DEFAULT_CLIENT_PARAMS) });
  const r = await proposeAndPass(on.clients[0], on.homes.map((_, i) => operatorKey(on, i)), action);
  if (r.status !== 'executed') throw new Error(`registering ${chainId} on ${on.clients[0].url}: proposal ${r.id} ${r.status}`);
  return { height: initial.height };
}
