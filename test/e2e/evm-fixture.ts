/**
 * Shared setup for end-to-end tests across EVM chains and the hub: a hub of real validator
 * processes (harness.ts Testnet) whose observers attest real anvil chains, each chain with
 * PontisClient + Gateway (+ the apps a test asks for) deployed by contracts/evm/deploy.ts and
 * registered on the hub by governance as an `evm` client attested by the hub's validators.
 * Relaying is done in the test process with `relayRound` over `EvmPathHandlers`: step by step (`relayUntil`) or as
 * background loops (`startRelaying`) while flow functions wait for delivery on their own.
 */
import { packetKeys, receiptBitSet } from '../../hub-chain/modules/packets/types.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { Contract, ContractFactory, Interface, JsonRpcProvider, type Signer, Wallet, keccak256 as ethKeccak } from 'ethers';
import { buildContracts, type ContractArtifact } from '../../contracts/evm/build.ts';
import { type DeployPontisOptions, type PontisEvmDeployment, deployPontisContracts } from '../../contracts/evm/deploy.ts';
import { evmChainRegistration, evmTrustRoot } from '../../hub-chain/light-clients/evm/registration.ts';
import { EvmWriter } from '../../adapters/evm/writer.ts';
import { type Hex, fromHex } from '../../hub-chain/crypto/bytes.ts';
import { type AccountKey, accountKeyFromSeed, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { loadHome, paths } from '../../hub-chain/node/config.ts';
import { pontisTrustRoot, proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import type { PacketQuery } from '../../hub-chain/rpc-client/client.ts';
import { type EvmGatewayEndpoint, evmGatewayEndpoint } from '../../relayers/paths/evm/endpoint.ts';
import { EvmPathHandlers } from '../../relayers/paths/evm/handlers.ts';
import { type RelayRoundResult, relayRound } from '../../relayers/round.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { type AnvilNode, startAnvil } from '../support/anvil.ts';
import { Testnet } from './harness.ts';

export const HUB = 'pontis-hub-1';
export const APP_GAS = 1_000_000;
export const TRUSTING_MS = 3_600_000;
export const DRIFT_MS = 60_000;
export const ZERO_WORD = `0x${'0'.repeat(64)}`;

/** The apps deployed next to PontisClient + Gateway on a chain (deploy.ts options). */
export type EvmAppOptions = Pick<DeployPontisOptions, 'echo' | 'tokenBridge' | 'sampleToken' | 'attestationVerifier' | 'attestationIssuer'>;

export interface EvmChainSpec {
  /** Pontis chain id (the Gateway's chainId). */
  id: string;
  /** EIP-155 chain id of its anvil. */
  chainIdNumber: number;
  apps?: EvmAppOptions;
  /** Seconds between anvil blocks (as the devnet runs it); default a block per transaction. */
  blockTime?: number;
  /** Extra anvil flags (e.g. a raised `--gas-limit`). */
  anvilArgs?: string[];
}

export interface EvmChain {
  id: string;
  node: AnvilNode;
  provider: JsonRpcProvider;
  /** anvil account 0: deployed the contracts, owns them, and is the user of the flows. */
  deployer: Wallet;
  deployed: PontisEvmDeployment;
  client: Contract;
  gateway: Contract;
  /** EchoApp, when deployed. */
  echo: Contract;
  /** The relayer's side of the chain (anvil account 1 signs). */
  endpoint: EvmGatewayEndpoint;
  /** Where relaying on this chain's path resumes (`relayRound`'s cursor). */
  cursor: Record<string, number>;
}

export interface BackgroundRelaying {
  /** Errors the loops met (they retry after each). */
  readonly errors: Error[];
  /** Rounds that submitted something. */
  readonly rounds: RelayRoundResult[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hub of validator processes and anvil chains connected to it. */
export class EvmHubWorld {
  /** Every error of every contract, to decode reverts and per-packet failure reasons. */
  readonly errors: Interface;
  readonly chains: Record<string, EvmChain> = {};
  /** A hub endpoint for step-by-step relaying (background loops get their own accounts). */
  readonly hubEp: RpcEndpoint;

  private constructor(
    readonly hub: Testnet,
    readonly artifacts: Record<string, ContractArtifact>,
  ) {
    const frags = new Map<string, Record<string, unknown>>();
    for (const a of Object.values(artifacts)) for (const f of a.abi) if (f.type === 'error') frags.set(JSON.stringify(f), f);
    this.errors = new Interface([...frags.values()] as never);
    this.hubEp = new RpcEndpoint(HUB, hub.rpcUrls[0], generateAccountKey());
  }

  /**
   * Starts one anvil per spec and a hub of `validators` processes observing all of them, then
   * deploys each chain's contracts and registers it on the hub. Call `destroy()` afterwards;
   * when this throws half way, it has stopped what it started.
   */
  static async start(specs: EvmChainSpec[], o: { validators?: number; logLevel?: string; observerIntervalMs?: number } = {}): Promise<EvmHubWorld> {
    const artifacts = buildContracts();
    const nodes = await Promise.all(specs.map((s) => startAnvil({ chainId: s.chainIdNumber, ...(s.blockTime ? { blockTime: s.blockTime } : {}), ...(s.anvilArgs ? { args: s.anvilArgs } : {}) })));
    let hub: Testnet;
    try {
      hub = await Testnet.create(o.validators ?? 2, { chainId: HUB, ...(o.logLevel ? { logLevel: o.logLevel as 'info' } : {}) });
    } catch (e) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw e;
    }
    const w = new EvmHubWorld(hub, artifacts);
    w.nodes = nodes;
    try {
      await w.connect(specs, o.observerIntervalMs ?? 200);
    } catch (e) {
      await w.destroy();
      throw e;
    }
    return w;
  }

  private nodes: AnvilNode[] = [];
  private loops: BackgroundRelaying[] = [];

  private async connect(specs: EvmChainSpec[], observerIntervalMs: number): Promise<void> {
    const { hub, nodes } = this;
    // every validator observes every EVM chain through its own config: depth 0, since anvil mines
    // a block per transaction and has no reorgs (its `finalized` tag would lag 64 blocks)
    for (const home of hub.homes) {
      const f = paths(home).config;
      const cfg = JSON.parse(readFileSync(f, 'utf8'));
      cfg.observers = specs.map((s, i) => ({ chainId: s.id, kind: 'evm', rpc: nodes[i].url, intervalMs: observerIntervalMs, stride: 1, depth: 0, chainIdNumber: nodes[i].chainId }));
      writeFileSync(f, JSON.stringify(cfg, null, 2));
    }
    await hub.startAll();
    await hub.clients[0].waitForHeight(2, 60_000);
    for (const [i, s] of specs.entries()) this.chains[s.id] = await this.setUpChain(s, nodes[i]);
  }

  /** The hub validator `i`'s operator key (governance votes). */
  operator(i: number): AccountKey {
    return accountKeyFromSeed(fromHex(loadHome(this.hub.homes[i]).operatorKey!.seed, 32));
  }

  private async setUpChain(s: EvmChainSpec, node: AnvilNode): Promise<EvmChain> {
    const provider = new JsonRpcProvider(node.url, node.chainId, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
    const deployer = new Wallet(node.accounts[0], provider);
    // the hub's light client on this chain starts from the hub's current header and validator set
    const trustRoot = await pontisTrustRoot(this.hub.clients[0], HUB);
    const deployed = await deployPontisContracts(deployer, { trustRoot, chainId: s.id, trustingPeriodMs: TRUSTING_MS, maxClockDriftMs: DRIFT_MS, appGasLimit: APP_GAS, artifacts: this.artifacts, ...s.apps });
    const writer = new EvmWriter({ url: node.url, evmChainId: node.chainId, chainId: s.id, privateKeys: [node.accounts[1]], pollIntervalMs: 50 });
    const endpoint = evmGatewayEndpoint(s.id, writer, deployed.gateway.address, deployed.client.address);

    // registered on the hub by governance: an `evm` client (attested by the hub's validators) starting at the current block
    const block = await evmTrustRoot(node.url);
    const action = evmChainRegistration({ chainId: s.id, chainIdNumber: node.chainId, gateway: deployed.gateway.address, initial: block, trustingPeriodMs: TRUSTING_MS, maxClockDriftMs: DRIFT_MS });
    const r = await proposeAndPass(this.hub.clients[0], this.hub.homes.map((_, i) => this.operator(i)), action);
    if (r.status !== 'executed') throw new Error(`registering ${s.id}: proposal ${r.id} ${r.status}`);
    const cursor = { [s.id]: block.height, [HUB]: await this.hubEp.latestHeight() };
    const at = (name: string, address: string | undefined) => new Contract(address ?? '0x0000000000000000000000000000000000000000', this.artifacts[name].abi as never, deployer);
    return { id: s.id, node, provider, deployer, deployed, client: at('PontisClient', deployed.client.address), gateway: at('Gateway', deployed.gateway.address), echo: at('EchoApp', deployed.echo?.address), endpoint, cursor };
  }

  /** A contract at `address` with a built artifact's ABI, signed by `runner` (default: nothing, read only). */
  at(name: string, address: string, runner?: Signer | JsonRpcProvider): Contract {
    const a = this.artifacts[name];
    if (!a) throw new Error(`no artifact ${name}`);
    return new Contract(address, a.abi as never, runner);
  }

  /** Deploys a built contract on `chain`, signed by its deployer (a test's extra app or token). */
  async deployOn(chain: EvmChain, name: string, ...args: unknown[]): Promise<Contract> {
    const a = this.artifacts[name];
    if (!a) throw new Error(`no artifact ${name}`);
    const c = await new ContractFactory(a.abi as never, a.bytecode, chain.deployer).deploy(...args);
    await c.waitForDeployment();
    return c as Contract;
  }

  /** Relay rounds on `chain`'s path until `done` holds (or the deadline passes); returns every round's result. */
  async relayUntil(chain: EvmChain, done: () => Promise<boolean>, timeoutMs = 60_000): Promise<RelayRoundResult[]> {
    const rounds: RelayRoundResult[] = [];
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`relaying ${chain.id}: condition not reached; rounds: ${JSON.stringify(rounds.map((r) => r.submitted))}`);
      const r = await relayRound(new EvmPathHandlers(this.hubEp, new Map([[chain.id, chain.endpoint]])), chain.id, HUB, chain.cursor);
      chain.cursor = r.cursor;
      rounds.push(r);
      if (!r.submitted.length) await sleep(250);
    }
    return rounds;
  }

  /**
   * Relays every chain's path in background loops (one hub account each, so their hub
   * transactions never race for a nonce) until `stop()`. Do not relay step by step meanwhile.
   */
  startRelaying(chains: EvmChain[] = Object.values(this.chains)): BackgroundRelaying {
    let stopped = false;
    const errors: Error[] = [];
    const rounds: RelayRoundResult[] = [];
    const loops = chains.map(async (c) => {
      const hubEp = new RpcEndpoint(HUB, this.hub.rpcUrls[0], generateAccountKey());
      const handlers = new EvmPathHandlers(hubEp, new Map([[c.id, c.endpoint]]));
      while (!stopped) {
        try {
          const r = await relayRound(handlers, c.id, HUB, c.cursor);
          c.cursor = r.cursor;
          if (r.submitted.length) rounds.push(r);
          else await sleep(200);
        } catch (e) {
          errors.push(e as Error);
          await sleep(500);
        }
      }
    });
    const handle: BackgroundRelaying = {
      errors,
      rounds,
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
        this.loops = this.loops.filter((l) => l !== handle);
      },
    };
    this.loops.push(handle);
    return handle;
  }

  /** What the hub recorded about packet `id`, or undefined when it has nothing. */
  async hubPacket(id: string): Promise<PacketQuery | undefined> {
    try {
      return await this.hub.clients[0].packet(id);
    } catch (e) {
      if (e instanceof PontisError && e.code === 'PNT_ERR_PACKET_NOT_FOUND') return undefined;
      throw e;
    }
  }

  /** The Gateway's provable word for a Pontis key (commitment, receipt bits). */
  stored(c: EvmChain, key: Uint8Array): Promise<string> {
    return c.gateway.pontisStore(ethKeccak(key));
  }

  /** Whether chain `c`'s Gateway has received packet `seq` of channel `ch` (its receipt bit). */
  async received(c: EvmChain, ch: string, seq: number): Promise<boolean> {
    const w = await this.stored(c, packetKeys.receiptBits(ch, seq));
    return receiptBitSet(BigInt(w) === 0n ? null : (w as Hex), seq);
  }

  /** The per-packet results a Gateway transaction logged, failure reasons decoded to error names. */
  failures(c: EvmChain, rcpt: { logs: readonly { topics: readonly string[]; data: string }[] }): { seq: number; result: number; error?: string }[] {
    return rcpt.logs
      .map((l) => c.gateway.interface.parseLog(l as never))
      .filter((d) => d?.name === 'PacketResult')
      .map((d) => {
        const reason = d!.args.reason as string;
        return { seq: Number(d!.args.sequence), result: Number(d!.args.result), ...(reason.length > 2 ? { error: this.errors.parseError(reason)?.name ?? reason } : {}) };
      });
  }

  async destroy(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
    for (const c of Object.values(this.chains)) {
      await c.endpoint.writer.close();
      c.provider.destroy();
    }
    await Promise.all(this.nodes.map((n) => n.stop()));
    await this.hub.destroy();
  }
}
