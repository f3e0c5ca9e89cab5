/**
 * `pontis devnet`: the main job. A hub of N validator processes and two department side-chains
 * (one validator process each) on loopback, registered with each other by governance, a relayer
 * loop between them, and a sample flow: a record proven to a light client, a message A -> hub -> B
 * with its acknowledgement, and a token transfer A -> B and back; then the EVM chains (evm.ts) and
 * the government chain on Fabric (gov.ts) and the Substrate chain (substrate.ts) with their flows.
 * Ctrl-C stops every process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HubClient } from '../hub-chain/rpc-client/client.ts';
import { type AccountKey, generateAccountKey } from '../hub-chain/crypto/ed25519.ts';
import { initTestnet } from '../hub-chain/node/init.ts';
import { loadHome } from '../hub-chain/node/config.ts';
import { Redis } from 'ioredis';
import { writeFileSync } from 'node:fs';
import { toHex } from '../hub-chain/crypto/bytes.ts';
import { sourceDir } from '../hub-chain/source-dir.ts';
import { connectChains, relayInProcess, runInterchainFlow, runSampleFlow, type DevChain } from './sample-flow.ts';
import { pontisSource, runDataFlow } from './data-flow.ts';
import { EVM_RELAYER_KEY, EVM_RELAYER_KEY_ENV, type EvmDevnet, type EvmRelayerChain, startEvmChains } from './evm.ts';
import { inOrder } from './in-order.ts';
import { DEVNET_GOV, type FabricRelayerChain, type GovDevnet, startGov } from './gov.ts';
import { type SubstrateDevnet, type SubstrateRelayerChain, startSubstrate } from './substrate.ts';

export interface DevnetOptions {
  validators: number;
  basePort: number;
  home?: string;
  blocks?: number;
}

const BIN = resolve(sourceDir(import.meta.url), '../bin/pontis.js');
/** With nothing to do, a devnet chain makes a block a second instead of several (ADR 0017): the flows' work still commits at once. */
const DEVNET_IDLE_BLOCK_MS = 1000;
const say = (s: string) => process.stdout.write(s + '\n');
export const DEVNET_HUB = 'pontis-hub-1';
export const DEVNET_SPOKES = ['dept-a', 'dept-b'];

const REDIS_URL = process.env.PONTIS_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/**
 * The relayer's keys as `NAME=value` lines (what `node --env-file` reads), in a file only its
 * owner can read: the relayer can then be restarted by hand with the command the devnet prints.
 * The values are never printed; only the file's path is.
 */
function writeKeysFile(file: string, env: Record<string, string>): void {
  writeFileSync(file, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
  chmodSync(file, 0o600); // the mode above applies only when the file is new (a kept --home)
}

/**
 * Relayer workers as their own process on BullMQ/Redis (the way an operator runs them), from the
 * relayer's home `<root>/relayer/`: its config, its keys file (a fresh hub/side-chain key, the EVM
 * and gov keys) and its log. Without a reachable Redis, relays in this process instead and says so.
 */
async function startRelayer(root: string, chains: DevChain[], evmChains: (EvmRelayerChain | FabricRelayerChain | SubstrateRelayerChain)[], extraEnv: Record<string, string>, o: DevnetOptions, children: ChildProcess[], say: (s: string) => void): Promise<{ stop: () => void; inProcess: boolean }> {
  if (!(await redisReachable(REDIS_URL))) {
    say(`no Redis at ${REDIS_URL} (set PONTIS_REDIS_URL): relaying in this process instead of BullMQ workers`);
    return { stop: await relayInProcess(chains, say), inProcess: true };
  }
  const [hub, ...spokes] = chains;
  const apiPort = o.basePort + o.validators + spokes.length;
  const cfg = {
    hub: { chainId: hub.chainId, rpc: hub.rpcUrls[0], signer: { env: 'PONTIS_DEVNET_RELAYER_KEY' } },
    chains: [...spokes.map((s) => ({ id: s.chainId, kind: 'pontis', rpc: s.rpcUrls[0], signer: { env: 'PONTIS_DEVNET_RELAYER_KEY' } })), ...evmChains],
    paths: [...spokes.map((s) => s.chainId), ...evmChains.map((c) => c.id)].map((id) => ({ id: `path-${id}`, chain: id, hub: hub.chainId })),
    redis: { url: REDIS_URL, prefix: `pontis-devnet-${process.pid}` },
    tuning: { scanIntervalMs: 300, lookbackBlocks: 200 },
    api: { host: '127.0.0.1', port: apiPort },
  };
  const home = join(root, 'relayer');
  mkdirSync(home, { recursive: true });
  const file = join(home, 'relayer.json');
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  const keysFile = join(home, 'keys.env');
  const keys = { PONTIS_DEVNET_RELAYER_KEY: toHex(generateAccountKey().secretKey), [EVM_RELAYER_KEY_ENV]: EVM_RELAYER_KEY, ...extraEnv };
  writeKeysFile(keysFile, keys);
  const logFile = join(home, 'relayer.log');
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [BIN, 'relayer', 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...keys } });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  children.push(child);
  say(`relayer workers (BullMQ on ${REDIS_URL}, queues under "${cfg.redis.prefix}"): PID ${child.pid}, ops API http://127.0.0.1:${apiPort}, config ${file}, keys ${keysFile} (mode 0600), log ${logFile}`);
  say(`  paths ${cfg.paths.map((p) => p.id).join(', ')}; ops API http://127.0.0.1:${apiPort}/healthz  /readyz  /metrics  /packets/<id>`);
  say(`  restart it by hand: node --env-file=${keysFile} ${BIN} relayer start --config ${file} >> ${logFile} 2>&1 &`);
  return { stop: () => {}, inProcess: false };
}

export async function runDevnet(o: DevnetOptions): Promise<void> {
  const temp = !o.home;
  const root = o.home ? resolve(o.home) : mkdtempSync(join(tmpdir(), 'pontis-devnet-'));
  const user = generateAccountKey();
  const hubNet = initTestnet(join(root, 'hub'), { validators: o.validators, basePort: o.basePort, chainId: DEVNET_HUB, consensus: { commitMs: 200, emptyBlocksIntervalMs: DEVNET_IDLE_BLOCK_MS } });
  const chains: DevChain[] = [{ chainId: DEVNET_HUB, homes: hubNet.homes, rpcUrls: hubNet.rpcUrls }];
  DEVNET_SPOKES.forEach((id, k) => {
    const n = initTestnet(join(root, id), {
      validators: 1,
      basePort: o.basePort + o.validators + k,
      chainId: id,
      hubChainId: DEVNET_HUB,
      consensus: { commitMs: 200, emptyBlocksIntervalMs: DEVNET_IDLE_BLOCK_MS },
      accounts: k === 0 ? [{ address: user.address, balances: [{ denom: 'ucredit', amount: '1000000' }] }] : undefined,
    });
    chains.push({ chainId: id, homes: n.homes, rpcUrls: n.rpcUrls });
  });
  say(`Pontis devnet: hub ${DEVNET_HUB} (${o.validators} validators) and side-chains ${DEVNET_SPOKES.join(', ')}; homes in ${root}`);
  say(`  devnet process: PID ${process.pid} (Ctrl-C or kill -INT ${process.pid} stops every process it started)`);

  let stopping = false;
  const children: ChildProcess[] = [];
  // ---- the government chain gov (gov.ts): the Fabric network stand-in with the Pontis chaincode, in this process
  let gov: GovDevnet | null = null;
  try {
    gov = await startGov({ root, basePort: o.basePort + o.validators + DEVNET_SPOKES.length + 3, say });
  } catch (e) {
    say(`government chain ${DEVNET_GOV} not started: ${(e as Error).message}`);
  }
  // ---- EVM chains (evm.ts): anvil nodes up and hub observers configured before the hub nodes start
  let evm: EvmDevnet | null = null;
  try {
    evm = await startEvmChains({ root, hubHomes: hubNet.homes, basePort: o.basePort + o.validators + DEVNET_SPOKES.length + 1, children, say, moreIssuers: gov ? [{ chain: DEVNET_GOV, app: 'attest' }] : [] });
  } catch (e) {
    say(`EVM chains not started: ${(e as Error).message}`);
  }
  // ---- the Substrate chain sub-1 (substrate.ts): observers configured now, chopsticks comes up in the background meanwhile
  let sub: SubstrateDevnet | null = null;
  try {
    sub = await startSubstrate({ root, hubHomes: hubNet.homes, port: o.basePort + o.validators + DEVNET_SPOKES.length + 7, children, say });
  } catch (e) {
    say(`Substrate chain not started: ${(e as Error).message}`);
  }
  // ----
  for (const c of chains) {
    c.homes.forEach((home, i) => {
      const log = createWriteStream(join(home, 'node.log'));
      const child = spawn(process.execPath, [BIN, 'node', 'start', '--home', home, '--exit-with-parent'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
      child.on('exit', (code, sig) => {
        if (!stopping) say(`${c.chainId} validator ${i} exited (${sig ?? code}); its log: ${join(home, 'node.log')}`);
      });
      children.push(child);
      say(`  ${c.chainId.padEnd(13)} validator ${i}: PID ${child.pid}, RPC ${c.rpcUrls[i]}, p2p ws://127.0.0.1:${loadHome(home).config.p2p.port}, home ${home}, log ${join(home, 'node.log')}`);
    });
  }

  let unsubscribe = () => {};
  let stopRelaying = () => {};
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    unsubscribe();
    stopRelaying();
    evm?.stop();
    await sub?.stop().catch(() => {});
    await gov?.stop().catch(() => {});
    say('stopping validators...');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once('exit', () => r());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
    if (temp) rmSync(root, { recursive: true, force: true });
    say('devnet stopped');
    process.exit(code);
  };
  // `on`, not `once`: a second Ctrl-C must not kill us before the validators are down.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    // two minutes: on a busy machine the first block of every chain (and chopsticks' start beside them) takes a while
    await Promise.all(chains.map((c) => new HubClient(c.rpcUrls[0]).waitForHeight(1, 120_000)));
  } catch (e) {
    say(`a chain did not produce a block: ${(e as Error).message}`);
    return stop(1);
  }
  const hub = new HubClient(hubNet.rpcUrls[0]);
  evm?.deploy(hubNet.rpcUrls[0], DEVNET_HUB); // EVM: contracts deploy in the background meanwhile
  try {
    await runSampleFlow(hub, hubNet.homes[0], say);
    await connectChains(chains, say);
    const evmChains = evm ? await evm.register(hubNet.rpcUrls[0], hubNet.homes, DEVNET_HUB) : [];
    const govChains = gov ? [await gov.connect(hubNet.rpcUrls[0], hubNet.homes, DEVNET_HUB)] : [];
    const subChains = sub ? [await sub.register(hubNet.rpcUrls[0], hubNet.homes, DEVNET_HUB)] : [];
    const relaying = await startRelayer(root, chains, [...evmChains, ...govChains, ...subChains], { ...gov?.env(), ...sub?.env() }, o, children, say);
    stopRelaying = relaying.stop;
    await sub?.startCosigners(hubNet.rpcUrls, DEVNET_HUB);
    // The flows run at once (their output in order, see inOrder); each sends from its own dept-a account.
    const deptA = (key: AccountKey) => ({ chainId: chains[1].chainId, rpc: chains[1].rpcUrls[0], user: key });
    await inOrder(say, [
      (s) => runInterchainFlow(chains, user, s),
      // Substrate: sub-1 -> hub -> dept-b with dept-b's ack, dept-a -> hub -> sub-1 delivered by the validators' multisig
      async (s) => sub && sub.runFlow({ hubRpc: hubNet.rpcUrls[0], hubChainId: DEVNET_HUB, deptA: deptA(generateAccountKey()), deptB: { chainId: chains[2].chainId, rpc: chains[2].rpcUrls[0] }, relayHere: relaying.inProcess, say: s }),
      async (s) => evm && evm.runFlow(hubNet.rpcUrls[0], DEVNET_HUB, { relayHere: relaying.inProcess, say: s }), // EVM: evm-a -> hub -> evm-b
      async (s) => {
        if (gov) await gov.runFlow({ hubRpc: hubNet.rpcUrls[0], hubChainId: DEVNET_HUB, deptA: deptA(generateAccountKey()), verifier: evm?.verifier(), relayHere: relaying.inProcess, say: s });
        // data sharing: dept-b asks the government chain (or dept-a when gov is left out)
        await runDataFlow({ root, hub: chains[0], source: gov ? gov.dataSource() : pontisSource(chains[1], hubNet.rpcUrls[0]), requester: chains[2], say: s });
      },
    ]);
  } catch (e) {
    say(`sample flow failed: ${(e as Error).message}`);
    return stop(1);
  }
  say(`sample flow done; hub at height ${(await hub.status()).latestHeight}. The network keeps running (Ctrl-C stops it); a line every 10 s:`);
  if (o.blocks === 0) return stop(0);
  let seen = 0;
  let last = 0;
  unsubscribe = hub.subscribeBlocks(
    (b) => {
      if (Date.now() - last > 10_000) {
        say(`hub block ${b.height}  ${b.hash.slice(0, 18)}…  txs ${b.txs}  state ${b.stateRoot.slice(0, 12)}…`);
        last = Date.now();
      }
      if (o.blocks && ++seen >= o.blocks) void stop(0);
    },
    (e) => say(`block stream ended: ${(e as Error).message}`),
  );
}
