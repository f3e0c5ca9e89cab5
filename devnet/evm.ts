/**
 * The devnet's EVM part: two anvil chains (`evm-a`, `evm-b`, a block every second) next to the
 * hub, each with PontisClient + Gateway + EchoApp + TokenBridge deployed (contracts/evm/deploy.ts;
 * evm-a also a SampleToken and an AttestationIssuer, evm-b an AttestationVerifier trusting it),
 * observed by every hub validator (an `evm` observer in each node config, written before the
 * nodes start), registered on the hub by governance as `evm` clients attested by the hub's
 * validators. The flow: a message EchoApp on evm-a -> hub -> EchoApp on evm-b with its
 * acknowledgement back, a token round trip and an attestation issued and revoked
 * (devnet-evm-flow.ts), relayed by the devnet's BullMQ relayer workers (both chains are
 * `kind: evm` chains of its config), or in this process with `relayRound` without Redis.
 *
 * Used by devnet.ts in four calls: `startEvmChains` (before the hub nodes start), `deploy` (in the
 * background as soon as the hub has a block), `register` (before the relayer starts) and `runFlow`;
 * `stop` ends the relaying loops (the anvil processes are in the devnet's children list).
 * Set PONTIS_DEVNET_EVM=0 to leave the EVM chains out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { httpJsonRpc } from '../hub-chain/light-clients/evm/json-rpc.ts';
import { buildContracts } from '../contracts/evm/build.ts';
import { deployPontisContracts, type PontisEvmDeployment } from '../contracts/evm/deploy.ts';
import { evmChainRegistration, evmTrustRoot } from '../hub-chain/light-clients/evm/registration.ts';
import { EvmWriter } from '../adapters/evm/writer.ts';
import { type EvmGatewayEndpoint, evmGatewayEndpoint } from '../relayers/paths/evm/endpoint.ts';
import { EvmPathHandlers } from '../relayers/paths/evm/handlers.ts';
import { RpcEndpoint } from '../relayers/paths/pontis/rpc-endpoint.ts';
import { relayRound } from '../relayers/round.ts';
import { HubClient } from '../hub-chain/rpc-client/client.ts';
import { pontisTrustRoot, proposeAndPass } from '../hub-chain/rpc-client/registry.ts';
import { fromHex, toHex, utf8 } from '../hub-chain/crypto/bytes.ts';
import { accountKeyFromSeed, generateAccountKey } from '../hub-chain/crypto/ed25519.ts';
import { PontisError } from '../hub-chain/errors.ts';
import { channelId, type Packet, packetId, packetKeys, type PacketStatus } from '../hub-chain/modules/packets/types.ts';
import { loadHome, paths } from '../hub-chain/node/config.ts';
import { until } from './sample-flow.ts';
import { type EvmFlowContext, type Say, evmFlowApps, runAttestation, runTokenRoundTrip } from './evm-flow.ts';

/** anvil's well-known development accounts 0 (deployer and user) and 1 (relayer): test keys, funded on every anvil. */
const ANVIL_DEV_KEYS = ['0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'] as const;
export const DEVNET_EVM_CHAINS = [
  { chainId: 'evm-a', chainIdNumber: 31_001 },
  { chainId: 'evm-b', chainIdNumber: 31_002 },
] as const;

interface EvmNode {
  chainId: string;
  chainIdNumber: number;
  url: string;
  provider: JsonRpcProvider;
  deployer: Wallet;
  deployed?: PontisEvmDeployment;
  endpoint?: EvmGatewayEndpoint;
  cursor: Record<string, number>;
}

export interface EvmDevnet {
  /** Deploys the contracts on both chains against the hub's current header (start it early; `register` waits for it). */
  deploy(hubRpc: string, hubChainId: string): void;
  /** Registers both chains on the hub by governance; returns them as relayer config `chains` entries (kind evm). */
  register(hubRpc: string, hubHomes: string[], hubChainId: string): Promise<EvmRelayerChain[]>;
  /** The sample flow: a message evm-a -> hub -> evm-b and its ack back, a token round trip, an attestation issued and revoked. `relayHere`: relay in this process (no BullMQ relayer). */
  runFlow(hubRpc: string, hubChainId: string, o: { relayHere: boolean; say?: Say }): Promise<void>;
  /** evm-b's AttestationVerifier (deployed by `deploy`): its chain, app name and `isValid(subject)`. */
  verifier(): { chainId: string; app: string; isValid(subject: string): Promise<boolean> };
  stop(): void;
}

/** An EVM chain as the relayer config names it (relayers/config.ts, `kind: evm`). */
export interface EvmRelayerChain {
  id: string;
  kind: 'evm';
  rpc: string;
  evmChainId: number;
  gateway: string;
  hubClient: string;
  signer: { env: string };
}

/** The environment variable the devnet's relayer reads its EVM key from (anvil dev account 1). */
export const EVM_RELAYER_KEY_ENV = 'PONTIS_DEVNET_EVM_RELAYER_KEY';
export const EVM_RELAYER_KEY = ANVIL_DEV_KEYS[1];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const short = (h: string) => `${h.slice(0, 10)}…${h.slice(-4)}`;


async function chainIdOf(url: string): Promise<number | undefined> {
  try {
    return Number(await httpJsonRpc(url, { timeoutMs: 2_000 }).send('eth_chainId', []));
  } catch {
    return undefined;
  }
}

/**
 * Starts the two anvil chains on ports basePort and basePort+1 (their processes join `children`)
 * and writes an `evm` observer of each into every hub home's config. Returns null (and says why)
 * when the EVM part is switched off or anvil is not installed.
 */
export async function startEvmChains(o: { root: string; hubHomes: string[]; basePort: number; children: ChildProcess[]; say: (s: string) => void; moreIssuers?: { chain: string; app: string }[] }): Promise<EvmDevnet | null> {
  if (process.env.PONTIS_DEVNET_EVM === '0') return null;
  let bin: string;
  try {
    bin = createRequire(import.meta.url).resolve('@foundry-rs/anvil-linux-amd64/bin/anvil');
  } catch {
    o.say('EVM chains: anvil (npm @foundry-rs/anvil, a dev dependency) is not installed; running without them');
    return null;
  }
  const nodes: EvmNode[] = [];
  for (const [k, c] of DEVNET_EVM_CHAINS.entries()) {
    const port = o.basePort + k;
    const url = `http://127.0.0.1:${port}`;
    if ((await chainIdOf(url)) !== undefined) throw new PontisError('PNT_ERR_DEVNET_PORT', `port ${port} (for ${c.chainId}) already serves an RPC; pick another --base-port`);
    const dir = join(o.root, c.chainId);
    mkdirSync(dir, { recursive: true });
    const log = createWriteStream(join(dir, 'anvil.log'));
    const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(c.chainIdNumber), '--block-time', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    o.children.push(child);
    await until(`anvil ${c.chainId} on port ${port}`, async () => ((await chainIdOf(url)) === c.chainIdNumber ? true : child.exitCode !== null ? Promise.reject(new PontisError('PNT_ERR_DEVNET_ANVIL', `anvil for ${c.chainId} exited; log ${join(dir, 'anvil.log')}`)) : undefined), 15_000);
    const provider = new JsonRpcProvider(url, c.chainIdNumber, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
    nodes.push({ chainId: c.chainId, chainIdNumber: c.chainIdNumber, url, provider, deployer: new Wallet(ANVIL_DEV_KEYS[0], provider), cursor: {} });
    o.say(`  ${c.chainId.padEnd(13)} anvil (EVM chain id ${c.chainIdNumber}, 1-second blocks): PID ${child.pid}, RPC ${url}, log ${join(dir, 'anvil.log')}`);
  }
  // every hub validator attests both chains through its own observer (depth 0: anvil does not reorg)
  for (const home of o.hubHomes) {
    const f = paths(home).config;
    const cfg = JSON.parse(readFileSync(f, 'utf8'));
    cfg.observers = [...(cfg.observers ?? []), ...nodes.map((n) => ({ chainId: n.chainId, kind: 'evm', rpc: n.url, intervalMs: 200, stride: 1, depth: 0, chainIdNumber: n.chainIdNumber }))];
    writeFileSync(f, JSON.stringify(cfg, null, 2));
  }

  let deploying: Promise<void> | undefined;
  let stopped = false;
  const artifacts = buildContracts();
  const deploy = (hubRpc: string, hubChainId: string): void => {
    deploying = (async () => {
      const hub = new HubClient(hubRpc);
      const apps = evmFlowApps(nodes[0].chainId, { moreIssuers: o.moreIssuers });
      await Promise.all(
        nodes.map(async (n, i) => {
          n.deployed = await deployPontisContracts(n.deployer, { trustRoot: await pontisTrustRoot(hub, hubChainId), chainId: n.chainId, echo: true, artifacts, ...(i === 0 ? apps.a : apps.b) });
        }),
      );
    })();
    deploying.catch(() => {}); // awaited (and reported) by register
  };
  return {
    deploy,
    async register(hubRpc, hubHomes, hubChainId) {
      const say = o.say;
      if (!deploying) deploy(hubRpc, hubChainId);
      await deploying;
      const hub = new HubClient(hubRpc);
      say(`EVM chains: PontisClient + Gateway + EchoApp deployed on each, the client trusting the hub's header and validator set`);
      for (const n of nodes) {
        const d = n.deployed!;
        say(`  ${n.chainId}: PontisClient ${d.client.address} (tx ${short(d.client.txHash)}, trusts hub height ${d.trustedHubHeight}), Gateway ${d.gateway.address} (tx ${short(d.gateway.txHash)}), EchoApp ${d.echo!.address} (tx ${short(d.echo!.txHash)})`);
      }
      const operators = hubHomes.map((h) => accountKeyFromSeed(fromHex(loadHome(h).operatorKey!.seed, 32)));
      for (const n of nodes) {
        const initial = await evmTrustRoot(n.url);
        const { id, status } = await proposeAndPass(hub, operators, evmChainRegistration({ chainId: n.chainId, chainIdNumber: n.chainIdNumber, gateway: n.deployed!.gateway.address, initial, finalityDepth: 0 }));
        if (status !== 'executed') throw new PontisError('PNT_ERR_DEVNET_REGISTER', `registering ${n.chainId} on ${hubChainId}: proposal ${id} is ${status}`);
        say(`  ${hubChainId} registered ${n.chainId} (governance proposal ${id}; an evm client attested by the hub's validators, from block ${initial.height})`);
        n.cursor = { [n.chainId]: initial.height, [hubChainId]: (await hub.status()).latestHeight };
      }
      return nodes.map((n) => ({ id: n.chainId, kind: 'evm' as const, rpc: n.url, evmChainId: n.chainIdNumber, gateway: n.deployed!.gateway.address, hubClient: n.deployed!.client.address, signer: { env: EVM_RELAYER_KEY_ENV } }));
    },

    async runFlow(hubRpc, hubChainId, { relayHere, say = o.say }) {
      const hub = new HubClient(hubRpc);
      if (relayHere) {
        // no BullMQ relayer (no Redis): one relaying loop per EVM path in this process
        say(`  relaying the EVM paths in this process (relayRound)`);
        for (const n of nodes) {
          const writer = new EvmWriter({ url: n.url, evmChainId: n.chainIdNumber, chainId: n.chainId, privateKeys: [EVM_RELAYER_KEY], pollIntervalMs: 100 });
          n.endpoint = evmGatewayEndpoint(n.chainId, writer, n.deployed!.gateway.address, n.deployed!.client.address);
          const hubEp = new RpcEndpoint(hubChainId, hubRpc, generateAccountKey());
          const handlers = new EvmPathHandlers(hubEp, new Map([[n.chainId, n.endpoint]]));
          void (async () => {
            while (!stopped) {
              try {
                const r = await relayRound(handlers, n.chainId, hubChainId, n.cursor);
                n.cursor = r.cursor;
                for (const s of r.submitted) say(`  evm relayer: ${s.kind} -> ${s.dst} at ${s.dst === hubChainId ? 'height' : 'block'} ${s.outcome.txHeight} (${(s.outcome.items ?? []).map((i) => i.result).join(', ')})`);
                for (const f of r.failed) say(`  evm relayer: ${f.kind} -> ${f.dst} refused: ${f.code}`);
                if (!r.submitted.length) await sleep(200);
              } catch (e) {
                if (!stopped) say(`  evm relayer (${n.chainId}): ${(e as Error).message} (retrying)`);
                await sleep(500);
              }
            }
          })();
        }
      }

      const [a, b] = nodes;
      const echoA = new Contract(a.deployed!.echo!.address, artifacts.EchoApp.abi as never, a.deployer);
      const gatewayA = new Contract(a.deployed!.gateway.address, artifacts.Gateway.abi as never, a.deployer);
      const echoB = new Contract(b.deployed!.echo!.address, artifacts.EchoApp.abi as never, b.deployer);
      const text = 'records request #1 from evm-a';
      say(`message: EchoApp on ${a.chainId} sends "${text}" to EchoApp on ${b.chainId}`);
      const latest = await a.provider.getBlock('latest');
      const tx = await echoA.sendTo(b.chainId, 'echo', toHex(utf8(text)), 0, latest!.timestamp * 1000 + 600_000, false);
      const rcpt = await tx.wait();
      const log = rcpt.logs.map((l: never) => gatewayA.interface.parseLog(l)).find((x: { name: string } | null) => x?.name === 'PacketSent');
      const p: Packet = { srcChain: a.chainId, srcApp: 'echo', dstChain: b.chainId, dstApp: 'echo', sequence: Number(log.args.sequence), ordered: false, payload: toHex(utf8(text)), timeoutHeight: 0, timeoutTimestamp: latest!.timestamp * 1000 + 600_000 };
      say(`  sent on ${a.chainId}: packet ${packetId(p)} in tx ${short(tx.hash)} at block ${rcpt.blockNumber}`);
      await until(`EchoApp on ${b.chainId} to receive it`, async () => ((await echoB.received()) >= 1n ? true : undefined));
      say(`  ${b.chainId}: EchoApp received it (payload "${Buffer.from(fromHex(await echoB.lastPayload())).toString('utf8')}") and answered keccak256(payload)`);
      await until(`the acknowledgement on ${a.chainId}`, async () => ((await echoA.acked()) >= 1n ? true : undefined));
      const status = await hub.state({ hex: toHex(packetKeys.status(channelId(p), p.sequence)) });
      const st = status.value ? (JSON.parse(Buffer.from(fromHex(status.value)).toString('utf8')) as PacketStatus) : undefined;
      if (st) say(`  hub ${hubChainId}: ${st.steps.map((s) => `${s.step} at height ${s.height} (tx ${s.tx.slice(0, 12)}…)`).join(', ')}`);
      say(`  ${a.chainId}: the Gateway verified the hub's ack and EchoApp recorded it (ack ${short(await echoA.lastAck())}): delivered`);

      const ctx: EvmFlowContext = { hubChainId, hub, artifacts, a: { chainId: a.chainId, provider: a.provider, signer: a.deployer, deployed: a.deployed! }, b: { chainId: b.chainId, provider: b.provider, signer: b.deployer, deployed: b.deployed! } };
      await runTokenRoundTrip(ctx, say);
      await runAttestation(ctx, say, { revoke: true });
    },

    verifier() {
      const b = nodes[1];
      const v = b.deployed!.attestationVerifier!;
      const c = new Contract(v.address, artifacts.AttestationVerifier.abi as never, b.provider);
      return { chainId: b.chainId, app: v.app, isValid: async (subject: string) => (await c.isValid(subject)) as boolean };
    },

    stop() {
      stopped = true;
      for (const n of nodes) {
        void n.endpoint?.writer.close();
        n.provider.destroy();
      }
    },
  };
}
