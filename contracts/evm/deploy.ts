/**
 * Connecting an EVM chain to a Pontis hub, for operators and tools:
 *
 * - `deployPontisContracts(signer, { trustRoot, chainId })` deploys PontisClient (the hub's light
 *   client, initialised from a hub trust root: `pontisTrustRoot()` in hub-chain/client/registry.ts),
 *   Gateway (bound to that client, under the Pontis chain id the EVM chain is registered with) and
 *   optionally the apps: the sample EchoApp, TokenBridge (the hub's `transfer` app) with a
 *   SampleToken to bridge, AttestationVerifier (trusting configured issuer apps) and
 *   AttestationIssuer, with any ethers v6 signer connected to the chain's RPC;
 * - `evmTrustRoot(rpc)` reads the block the hub's `evm` client of the chain starts from;
 * - `evmChainRegistration(...)` builds the hub's `registry/register-chain` governance action for
 *   the chain (an `evm` client bound to the Gateway, attested by the hub's validators by default).
 *
 * Artifacts come from contracts/evm/out (compiled on demand by build.ts) unless given.
 */
import { Contract, ContractFactory, type Signer, getAddress } from 'ethers';
import { PontisError } from '../../hub-chain/errors.ts';
import type { GovAction } from '../../hub-chain/app/tx.ts';
import type { PontisTrustRoot } from '../../hub-chain/rpc-client/registry.ts';
import type { Header } from '../../hub-chain/types/header.ts';
import { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import type { RpcBlock } from '../../hub-chain/light-clients/evm/header.ts';
import { type JsonRpcSender, httpJsonRpc } from '../../hub-chain/light-clients/evm/json-rpc.ts';
import { finalizedBlockOf } from '../../hub-chain/light-clients/evm/source.ts';
import type { FinalizedBlock } from '../../hub-chain/light-clients/attested/observer.ts';
import { type ContractArtifact, buildContracts } from './build.ts';
import { solidityHeader, validatorArrays } from './encode.ts';

export class EvmDeployError extends PontisError {
  override name = 'EvmDeployError';
}

/** Defaults shared by the contracts and the hub's client of the chain. */
export const EVM_DEPLOY_DEFAULTS = { trustingPeriodMs: 14 * 24 * 3600_000, maxClockDriftMs: 60_000, appGasLimit: 1_000_000 } as const;

export interface DeployPontisOptions {
  /** The hub's latest header with its validator sets (`pontisTrustRoot(hubClient, hubChainId)`). */
  trustRoot: PontisTrustRoot;
  /** The Pontis chain id this EVM chain is registered under on the hub (the Gateway's chainId). */
  chainId: string;
  /** PontisClient trusting period and clock drift (ms). */
  trustingPeriodMs?: number;
  maxClockDriftMs?: number;
  /** Gas every app callback gets from the Gateway. */
  appGasLimit?: number;
  /** Also deploy EchoApp registered under this app name (`true`: "echo"). */
  echo?: boolean | string;
  /** Also deploy TokenBridge, registered as app "transfer" (the hub's transfer app); admin: the signer unless given. */
  tokenBridge?: boolean | { admin?: string };
  /** Also deploy SampleToken (a plain ERC-20 the signer owns), `initialSupply` minted to the signer. */
  sampleToken?: { name?: string; symbol?: string; initialSupply: bigint };
  /** Also deploy AttestationVerifier under `app` (default "attest"), accepting attestations from each (chain, app). */
  attestationVerifier?: { app?: string; issuers: { chain: string; app: string }[] };
  /** Also deploy AttestationIssuer under `app` (default "attest-issuer"), owned by the signer. */
  attestationIssuer?: boolean | { app?: string };
  /** Compiled contracts; default: build.ts's output (compiled if stale). */
  artifacts?: Record<string, ContractArtifact>;
}

export interface DeployedContract {
  address: string;
  txHash: string;
  blockNumber: number;
}

export interface PontisEvmDeployment {
  chainId: string;
  /** EIP-155 chain id the signer's provider reports. */
  evmChainId: number;
  hubChainId: string;
  /** The hub height the PontisClient trusts initially. */
  trustedHubHeight: number;
  client: DeployedContract;
  gateway: DeployedContract;
  echo?: DeployedContract & { app: string };
  tokenBridge?: DeployedContract & { app: typeof TRANSFER_APP };
  sampleToken?: DeployedContract;
  attestationVerifier?: DeployedContract & { app: string; issuers: { chain: string; app: string }[] };
  attestationIssuer?: DeployedContract & { app: string };
}

/** The app name TokenBridge registers (its APP constant): the hub's transfer app, which forwards and accounts its packets. */
export const TRANSFER_APP = 'transfer';
export const DEFAULT_VERIFIER_APP = 'attest';
export const DEFAULT_ISSUER_APP = 'attest-issuer';

const APP_NAME = /^[a-z][a-z0-9-]{0,31}$/;

async function deployOne(signer: Signer, artifacts: Record<string, ContractArtifact>, name: string, args: unknown[]): Promise<DeployedContract> {
  const a = artifacts[name];
  if (!a) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_ARTIFACT', `no compiled artifact for ${name} (run npm run build:contracts)`);
  try {
    const c = await new ContractFactory(a.abi as never, a.bytecode, signer).deploy(...args);
    const tx = c.deploymentTransaction();
    const rcpt = await tx?.wait();
    if (!tx || !rcpt || rcpt.status !== 1 || !rcpt.contractAddress) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_FAILED', `${name}: deployment transaction failed`, { details: { txHash: tx?.hash } });
    return { address: getAddress(rcpt.contractAddress), txHash: tx.hash, blockNumber: rcpt.blockNumber };
  } catch (e) {
    if (e instanceof PontisError) throw e;
    throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_FAILED', `deploying ${name}: ${(e as Error).message}`, { cause: e, retryable: true });
  }
}

/** Sends one configuration call to a deployed contract and waits for it. */
async function callOne(signer: Signer, artifacts: Record<string, ContractArtifact>, name: string, address: string, method: string, args: unknown[]): Promise<string> {
  try {
    const c = new Contract(address, artifacts[name].abi as never, signer);
    const tx = await c.getFunction(method)(...args);
    const rcpt = await tx.wait();
    if (!rcpt || rcpt.status !== 1) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_FAILED', `${name}.${method}: transaction failed`, { details: { txHash: tx.hash } });
    return tx.hash as string;
  } catch (e) {
    if (e instanceof PontisError) throw e;
    throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_FAILED', `${name}.${method}: ${(e as Error).message}`, { cause: e, retryable: true });
  }
}

function appNameOf(name: string | undefined, fallback: string): string {
  const app = name ?? fallback;
  if (!APP_NAME.test(app)) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_APP_NAME', `app name ${JSON.stringify(app)} must match ${APP_NAME}`);
  return app;
}

/**
 * Deploys PontisClient (trusting `trustRoot`'s header and validator set), Gateway and, if asked,
 * EchoApp, TokenBridge, SampleToken, AttestationVerifier (with its issuers set) and
 * AttestationIssuer, in that order, each waited for. The signer pays; it becomes the PontisClient's owner
 * (which can only hand ownership over and recover a frozen or expired client).
 */
export async function deployPontisContracts(signer: Signer, o: DeployPontisOptions): Promise<PontisEvmDeployment> {
  if (!signer.provider) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_SIGNER', 'the signer must be connected to a provider');
  const appName = o.echo === true ? 'echo' : o.echo || undefined;
  if (appName !== undefined && !APP_NAME.test(appName)) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_APP_NAME', `app name ${JSON.stringify(appName)} must match ${APP_NAME}`);
  const verifierApp = o.attestationVerifier ? appNameOf(o.attestationVerifier.app, DEFAULT_VERIFIER_APP) : undefined;
  const issuerApp = o.attestationIssuer ? appNameOf(o.attestationIssuer === true ? undefined : o.attestationIssuer.app, DEFAULT_ISSUER_APP) : undefined;
  // one name per app on a Gateway: refused here rather than by a reverted deployment halfway through
  const names = [appName, o.tokenBridge ? TRANSFER_APP : undefined, verifierApp, issuerApp].filter((n): n is string => n !== undefined);
  if (new Set(names).size !== names.length) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_APP_NAME', `app names must differ: ${names.join(', ')}`);
  const header = o.trustRoot.pontis.header as Header;
  if (!header || typeof header.chainId !== 'string' || header.height !== o.trustRoot.height) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_TRUST_ROOT', 'trust root has no header at its height');
  const set = new ValidatorSet(o.trustRoot.pontis.validators.validators as never);
  const { validators, powers } = validatorArrays(set);
  const artifacts = o.artifacts ?? buildContracts();
  const evmChainId = Number((await signer.provider.getNetwork()).chainId);

  const client = await deployOne(signer, artifacts, 'PontisClient', [
    header.chainId,
    o.trustingPeriodMs ?? EVM_DEPLOY_DEFAULTS.trustingPeriodMs,
    o.maxClockDriftMs ?? EVM_DEPLOY_DEFAULTS.maxClockDriftMs,
    solidityHeader(header),
    validators,
    powers,
  ]);
  const gateway = await deployOne(signer, artifacts, 'Gateway', [client.address, o.chainId, o.appGasLimit ?? EVM_DEPLOY_DEFAULTS.appGasLimit]);
  const out: PontisEvmDeployment = { chainId: o.chainId, evmChainId, hubChainId: header.chainId, trustedHubHeight: header.height, client, gateway };
  if (appName !== undefined) out.echo = { ...(await deployOne(signer, artifacts, 'EchoApp', [gateway.address, appName])), app: appName };
  const owner = await signer.getAddress();
  if (o.tokenBridge) {
    const admin = (o.tokenBridge !== true && o.tokenBridge.admin) || owner;
    out.tokenBridge = { ...(await deployOne(signer, artifacts, 'TokenBridge', [gateway.address, admin])), app: TRANSFER_APP };
  }
  if (o.sampleToken) out.sampleToken = await deployOne(signer, artifacts, 'SampleToken', [o.sampleToken.name ?? 'Pontis Sample Token', o.sampleToken.symbol ?? 'PST', o.sampleToken.initialSupply]);
  if (o.attestationVerifier && verifierApp) {
    const v = await deployOne(signer, artifacts, 'AttestationVerifier', [gateway.address, owner, verifierApp]);
    for (const i of o.attestationVerifier.issuers) await callOne(signer, artifacts, 'AttestationVerifier', v.address, 'setIssuer', [i.chain, i.app, true]);
    out.attestationVerifier = { ...v, app: verifierApp, issuers: o.attestationVerifier.issuers.map((i) => ({ ...i })) };
  }
  if (issuerApp) out.attestationIssuer = { ...(await deployOne(signer, artifacts, 'AttestationIssuer', [gateway.address, owner, issuerApp])), app: issuerApp };
  return out;
}

/** The block a new `evm` client of the chain starts from (default: the latest), its header checked against its hash. */
export async function evmTrustRoot(rpc: string | JsonRpcSender, blockTag: number | 'latest' | 'finalized' = 'latest'): Promise<FinalizedBlock> {
  const sender = typeof rpc === 'string' ? httpJsonRpc(rpc) : rpc;
  const tag = typeof blockTag === 'number' ? `0x${blockTag.toString(16)}` : blockTag;
  const b = (await sender.send('eth_getBlockByNumber', [tag, false])) as RpcBlock | null;
  if (!b) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_NO_BLOCK', `the EVM chain has no block ${String(blockTag)}`, { retryable: true });
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

/** The hub governance action that registers an EVM chain with an `evm` light client. */
export function evmChainRegistration(o: EvmChainRegistrationOptions): GovAction {
  if (!o.initial.receiptsRoot) throw new EvmDeployError('PNT_ERR_EVM_DEPLOY_TRUST_ROOT', 'the initial block has no receiptsRoot');
  const clientParams: Record<string, unknown> = {
    trustingPeriodMs: o.trustingPeriodMs ?? EVM_DEPLOY_DEFAULTS.trustingPeriodMs,
    maxClockDriftMs: o.maxClockDriftMs ?? EVM_DEPLOY_DEFAULTS.maxClockDriftMs,
    gateway: getAddress(o.gateway).toLowerCase(),
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
    clientInitial: { height: i.height, hash: i.hash, stateRoot: i.stateRoot, receiptsRoot: i.receiptsRoot, timestamp: i.timestamp },
    routes: o.routes ?? ['*'],
  };
}
