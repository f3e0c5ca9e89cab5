/**
 * Connecting an EVM chain to the hub: the block a new `evm` client starts from, read from the
 * chain's RPC with its header checked against its hash, and the governance action that registers
 * the chain (registry entry, `evm` client, routes).
 */
import type { FinalizedBlock } from '../../modules/clients/types.ts';
import { EvmClientError } from './errors.ts';
import type { RpcBlock } from './header.ts';
import { type JsonRpcSender, httpJsonRpc } from './json-rpc.ts';
import { finalizedBlockOf } from './source.ts';

export const EVM_REGISTRATION_DEFAULTS = { trustingPeriodMs: 14 * 24 * 3600_000, maxClockDriftMs: 60_000 } as const;

/** The block a new `evm` client of the chain starts from (default: the latest), its header checked against its hash. */
export async function evmTrustRoot(rpc: string | JsonRpcSender, blockTag: number | 'latest' | 'finalized' = 'latest'): Promise<FinalizedBlock> {
  const sender = typeof rpc === 'string' ? httpJsonRpc(rpc) : rpc;
  const tag = typeof blockTag === 'number' ? `0x${blockTag.toString(16)}` : blockTag;
  const b = (await sender.send('eth_getBlockByNumber', [tag, false])) as RpcBlock | null;
  if (!b) throw new EvmClientError('PNT_ERR_EVM_DEPLOY_NO_BLOCK', `the EVM chain has no block ${String(blockTag)}`, { retryable: true });
  return finalizedBlockOf(b);
}

export interface EvmChainRegistrationOptions {
  /** Pontis chain id (the Gateway's chainId). */
  chainId: string;
  /** EIP-155 chain id. */
  chainIdNumber: number;
  /** Gateway address: the hub's client proves this contract's storage only. */
  gateway: string;
  /** The block the client starts from (`evmTrustRoot`). */
  initial: FinalizedBlock;
  trustingPeriodMs?: number;
  maxClockDriftMs?: number;
  /** Default: attested by the hub's validators (their configs need an `evm` observer of the chain). */
  trust?: { mode: 'attested' } | { mode: 'qbft'; validators: string[] };
  /** Blocks below the tip observers treat as final when the chain has no `finalized` tag. */
  finalityDepth?: number;
  /** Destinations this chain may send to; default every registered chain. */
  routes?: string[];
}

/** A `registry/register-chain` governance action for an EVM chain. */
export interface EvmRegisterChainAction {
  kind: 'registry/register-chain';
  chainId: string;
  chainKind: 'evm';
  clientType: 'evm';
  clientParams: Record<string, unknown>;
  clientInitial: { height: number; hash: string; stateRoot: string; receiptsRoot: string; timestamp: number };
  routes: string[];
  [field: string]: unknown;
}

/** The hub governance action that registers an EVM chain with an `evm` light client. */
export function evmChainRegistration(o: EvmChainRegistrationOptions): EvmRegisterChainAction {
  if (!o.initial.receiptsRoot) throw new EvmClientError('PNT_ERR_EVM_DEPLOY_TRUST_ROOT', 'the initial block has no receiptsRoot');
  if (!/^0x[0-9a-fA-F]{40}$/.test(o.gateway)) throw new EvmClientError('PNT_ERR_EVM_DEPLOY_TRUST_ROOT', `gateway ${o.gateway} is not an address`);
  const clientParams: Record<string, unknown> = {
    trustingPeriodMs: o.trustingPeriodMs ?? EVM_REGISTRATION_DEFAULTS.trustingPeriodMs,
    maxClockDriftMs: o.maxClockDriftMs ?? EVM_REGISTRATION_DEFAULTS.maxClockDriftMs,
    gateway: o.gateway.toLowerCase(),
    chainIdNumber: o.chainIdNumber,
    trust: o.trust ?? { mode: 'attested' },
  };
  if (o.finalityDepth !== undefined) clientParams.finalityDepth = o.finalityDepth;
  const i = o.initial;
  return {
    kind: 'registry/register-chain',
    chainId: o.chainId,
    chainKind: 'evm',
    clientType: 'evm',
    clientParams,
    clientInitial: { height: i.height, hash: i.hash, stateRoot: i.stateRoot, receiptsRoot: i.receiptsRoot!, timestamp: i.timestamp },
    routes: o.routes ?? ['*'],
  };
}
