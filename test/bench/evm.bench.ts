/**
 * npm run bench:evm — what Pontis costs and how fast it is on EVM chains.
 *
 * Gas (each on its own anvil, automine): PontisClient.updateClient for hub sets of 4, 7 and 21
 * validators with every validator signing (`measureClientGas`); Gateway.recvPackets with real hub
 * state proofs (`measureRecvGas`): one packet and a batch of 50 to SinkApp (an app that writes
 * nothing and answers one byte, so the figure is the Gateway's receive with proof verification),
 * and the same to EchoApp (which writes a counter and the payload), one-packet deliveries broken
 * down by call frame; EchoApp's send (same world); the TokenBridge's mint and unlock
 * deliveries (`measureBridgeGas`). Every figure is a transaction's gasUsed (21000 intrinsic and
 * calldata included). gas_receive_1 is a later packet of a channel already in use (the first
 * packet of a channel also writes the channel's ordering: gas_receive_1_first).
 *
 * Latency: two anvil chains mining a block every second (`--block-time 1`), a hub of
 * BENCH_EVM_VALIDATORS (2) validator processes whose observers attest both chains (depth
 * BENCH_EVM_DEPTH, 0: anvil does not reorg), PontisClient + Gateway + EchoApp deployed on each by
 * contracts/evm/deploy.ts and the chains registered on the hub by governance. Two relaying loops
 * (one per EVM path, `relayRound`) run in this process. EchoApp on A sends BENCH_EVM_MESSAGES
 * (20) messages to EchoApp on B, one every BENCH_EVM_SPACING_MS (1500); latency = from the moment
 * A's send receipt is in hand to the moment B's Gateway PacketReceived log is seen (a watcher
 * polls B every 50 ms, so figures carry up to ~50 ms of polling delay).
 *
 * Prints what it did in words, then one JSON line last.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { buildContracts } from '../../contracts/evm/build.ts';
import { deployPontisContracts, type PontisEvmDeployment } from '../../contracts/evm/deploy.ts';
import { evmChainRegistration, evmTrustRoot } from '../../hub-chain/light-clients/evm/registration.ts';
import { EvmWriter } from '../../adapters/evm/writer.ts';
import { fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { accountKeyFromSeed, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { loadHome, paths } from '../../hub-chain/node/config.ts';
import { pontisTrustRoot, proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { type EvmGatewayEndpoint, evmGatewayEndpoint } from '../../relayers/paths/evm/endpoint.ts';
import { EvmPathHandlers } from '../../relayers/paths/evm/handlers.ts';
import { relayRound } from '../../relayers/round.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { measureBridgeGas } from '../contracts/bridge-gas.ts';
import { measureClientGas } from '../contracts/gas.ts';
import { measureRecvGas, type RecvGasReport } from '../contracts/gateway-gas.ts';
import { type AnvilNode, startAnvil } from '../support/anvil.ts';
import { Testnet } from '../e2e/harness.ts';

const HUB = 'pontis-hub-1';
const VALIDATORS = Number(process.env.BENCH_EVM_VALIDATORS ?? 2);
const DEPTH = Number(process.env.BENCH_EVM_DEPTH ?? 0);
const MESSAGES = Number(process.env.BENCH_EVM_MESSAGES ?? 20);
const SPACING_MS = Number(process.env.BENCH_EVM_SPACING_MS ?? 1500);
const TARGET_RECV_GAS = 120_000;
const TARGET_BATCH_GAS = 50_000;
const TARGET_P50_MS = 4_000;

const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The q-quantile of xs (nearest rank); NaN when empty. */
export const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

// ---------------------------------------------------------------- gas

function sayRecv(r: RecvGasReport, name: string, what: string): void {
  const b = r.breakdown;
  say(`  Gateway.recvPackets to ${name} (${what}), 1 packet: ${r.single} gas (the first packet of a channel: ${r.first}); ${r.batch.packets} packets in one transaction, each with its own state proof: ${r.batch.gasUsed} gas (${r.batch.perPacket} per packet)`);
  say(`  Gateway.recvBatches to ${name}: ${r.batched.packets} packets of one hub batch (one state proof of the batch root, a Merkle path each; ADR 0017): ${r.batched.gasUsed} gas (${r.batched.perPacket} per packet)`);
  say(
    `    1 packet to ${name}: intrinsic ${b.intrinsic} (21000 + ${b.calldataBytes} B calldata); recvOne ${b.recvOne}, of which PontisClient.verifyMembership ${b.verifyMembership} and ${name}.onRecvPacket ${b.app}; recvPackets around it ${r.single - b.intrinsic - b.recvOne}`,
  );
}

async function measureGas() {
  say('gas: deploying PontisClient/Gateway and apps on fresh anvil nodes (automine) and measuring transactions; contracts built by contracts/evm/build.ts (solc optimizer, 200 runs, legacy codegen; viaIR only for files too deep for it)');
  const client = await measureClientGas([4, 7, 21]);
  const all = (n: number) => client.updates.find((u) => u.validators === n && u.signers === n)!.gasUsed;
  for (const u of client.updates) say(`  updateClient, ${u.validators} validators, ${u.signers} signing: ${u.gasUsed} gas (${u.calldataBytes} B calldata)`);
  const { recv: [sink, echo], send } = await measureRecvGas(50, ['sink', 'echo']);
  sayRecv(sink, 'SinkApp', "writes nothing: the Gateway's own cost");
  sayRecv(echo, 'EchoApp', 'writes a counter and the payload');
  say(`  EchoApp send: ${send!.first} first of a channel, ${send!.next} later`);
  let bridge: Awaited<ReturnType<typeof measureBridgeGas>> | null = null;
  try {
    bridge = await measureBridgeGas();
    say(`  TokenBridge (measureBridgeGas): recvPackets delivering a mint ${bridge.recvMint} gas, an unlock ${bridge.recvUnlock} gas`);
  } catch (e) {
    say(`  TokenBridge: measureBridgeGas failed (${(e as Error).message.split('\n')[0]}); gas_mint and gas_unlock are null`);
  }
  return {
    gas_client_update_4: all(4),
    gas_client_update_7: all(7),
    gas_client_update_21: all(21),
    gas_receive_1: sink.single,
    gas_receive_1_first: sink.first,
    gas_receive_1_echo: echo.single,
    gas_receive_batch_50: sink.batched.gasUsed,
    gas_per_packet_batch_50: sink.batched.perPacket,
    gas_receive_50_own_proofs: sink.batch.gasUsed,
    gas_mint: bridge?.recvMint ?? null,
    gas_unlock: bridge?.recvUnlock ?? null,
  };
}

// ---------------------------------------------------------------- latency

interface Side {
  id: string;
  node: AnvilNode;
  provider: JsonRpcProvider;
  d: PontisEvmDeployment;
  gateway: Contract;
  echo: Contract;
  endpoint: EvmGatewayEndpoint;
  hubEp: RpcEndpoint;
  cursor: Record<string, number>;
}

async function measureLatency() {
  const artifacts = buildContracts();
  const [nodeA, nodeB] = await Promise.all([startAnvil({ chainId: 31_101, blockTime: 1 }), startAnvil({ chainId: 31_102, blockTime: 1 })]);
  const hub = await Testnet.create(VALIDATORS, { chainId: HUB, logLevel: 'warn' });
  const sides: Side[] = [];
  let stop = false;
  const loops: Promise<void>[] = [];
  try {
    for (const home of hub.homes) {
      const f = paths(home).config;
      const cfg = JSON.parse(readFileSync(f, 'utf8'));
      cfg.observers = [nodeA, nodeB].map((n, k) => ({ chainId: k ? 'evm-b' : 'evm-a', kind: 'evm', rpc: n.url, intervalMs: 100, stride: 1, depth: DEPTH, chainIdNumber: n.chainId }));
      writeFileSync(f, JSON.stringify(cfg, null, 2));
    }
    await hub.startAll();
    await hub.clients[0].waitForHeight(2, 60_000);
    say(`latency: hub ${HUB} of ${VALIDATORS} validator processes observing anvil chains evm-a (${nodeA.url}) and evm-b (${nodeB.url}), 1-second blocks, observer depth ${DEPTH}`);
    const operators = hub.homes.map((h) => accountKeyFromSeed(fromHex(loadHome(h).operatorKey!.seed, 32)));

    for (const [id, node] of [
      ['evm-a', nodeA],
      ['evm-b', nodeB],
    ] as const) {
      const provider = new JsonRpcProvider(node.url, node.chainId, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
      const deployer = new Wallet(node.accounts[0], provider);
      const d = await deployPontisContracts(deployer, { trustRoot: await pontisTrustRoot(hub.clients[0], HUB), chainId: id, echo: true, artifacts });
      const action = evmChainRegistration({ chainId: id, chainIdNumber: node.chainId, gateway: d.gateway.address, initial: await evmTrustRoot(node.url), finalityDepth: DEPTH });
      const r = await proposeAndPass(hub.clients[0], operators, action);
      if (r.status !== 'executed') throw new Error(`registering ${id}: proposal ${r.id} ${r.status}`);
      const writer = new EvmWriter({ url: node.url, evmChainId: node.chainId, chainId: id, privateKeys: [node.accounts[1]], pollIntervalMs: 50 });
      const endpoint = evmGatewayEndpoint(id, writer, d.gateway.address, d.client.address);
      const hubEp = new RpcEndpoint(HUB, hub.rpcUrls[sides.length % hub.rpcUrls.length], generateAccountKey());
      const gateway = new Contract(d.gateway.address, artifacts.Gateway.abi as never, deployer);
      const echo = new Contract(d.echo!.address, artifacts.EchoApp.abi as never, deployer);
      sides.push({ id, node, provider, d, gateway, echo, endpoint, hubEp, cursor: { [id]: (await evmTrustRoot(node.url)).height, [HUB]: await hubEp.latestHeight() } });
      say(`  ${id}: PontisClient ${d.client.address} (trusts hub height ${d.trustedHubHeight}), Gateway ${d.gateway.address}, EchoApp ${d.echo!.address}; registered on the hub by governance proposal ${r.id}`);
    }
    const [a, b] = sides;

    // relaying: one loop per EVM path, as two relayer workers would
    let relayErrors = 0;
    for (const s of sides) {
      loops.push(
        (async () => {
          while (!stop) {
            try {
              const r = await relayRound(new EvmPathHandlers(s.hubEp, new Map([[s.id, s.endpoint]])), s.id, HUB, s.cursor);
              s.cursor = r.cursor;
              if (!r.submitted.length) await sleep(50);
            } catch (e) {
              relayErrors++;
              if (!stop) await sleep(200);
              void e;
            }
          }
        })(),
      );
    }

    // B's receipts, seen by polling its Gateway's PacketReceived logs
    const atB = new Map<number, number>();
    let from = await b.provider.getBlockNumber();
    const received = b.gateway.filters.PacketReceived();
    loops.push(
      (async () => {
        while (!stop) {
          const to = await b.provider.getBlockNumber();
          if (to >= from) {
            for (const log of await b.gateway.queryFilter(received, from, to)) {
              const seq = Number((log as unknown as { args: { sequence: bigint } }).args.sequence);
              if (!atB.has(seq)) atB.set(seq, performance.now());
            }
            from = to + 1;
          }
          await sleep(50);
        }
      })(),
    );

    say(`  sending ${MESSAGES} messages from EchoApp on evm-a to EchoApp on evm-b, one every ${SPACING_MS} ms; relaying in this process with relayRound (one loop per path)`);
    const sentAt = new Map<number, number>();
    const sentWall = new Map<number, number>();
    const t0 = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      const slot = t0 + i * SPACING_MS;
      if (performance.now() < slot) await sleep(slot - performance.now());
      const latest = await a.provider.getBlock('latest');
      const tx = await a.echo.sendTo('evm-b', 'echo', toHex(utf8(`bench message ${i}`)), 0, latest!.timestamp * 1000 + 600_000, false);
      const rcpt = await tx.wait();
      const now = performance.now();
      const log = rcpt.logs.map((l: never) => a.gateway.interface.parseLog(l)).find((x: { name: string } | null) => x?.name === 'PacketSent');
      sentAt.set(Number(log.args.sequence), now);
      sentWall.set(Number(log.args.sequence), Date.now());
    }
    const deadline = performance.now() + 60_000;
    while (atB.size < MESSAGES && performance.now() < deadline) await sleep(100);

    const lat: number[] = [];
    const toHub: number[] = [];
    for (const [seq, t] of sentAt) {
      const tb = atB.get(seq);
      if (tb !== undefined) lat.push(tb - t);
    }
    // the hub leg: the time of the hub block that forwarded it (its proposer's clock, this machine)
    for (const [seq, t] of sentWall) {
      const q = await hub.clients[0].packet(`evm-a/echo/evm-b/echo/${seq}`).catch(() => undefined);
      const fwd = q?.status.steps.find((st) => st.step === 'forwarded');
      if (fwd) toHub.push(fwd.time - t);
    }
    const p50 = Math.round(quantile(lat, 0.5));
    const p99 = Math.round(quantile(lat, 0.99));
    say(`  delivered on evm-b: ${lat.length} of ${MESSAGES}${relayErrors ? ` (${relayErrors} relay rounds failed and were retried)` : ''}`);
    say(`  A's send receipt -> the hub block that forwarded it (attested A's block, verified the proof): p50 ${Math.round(quantile(toHub, 0.5))} ms; -> B's Gateway received it (the hub's client on B updated, then recvPackets): p50 ${p50} ms, p99 ${p99} ms, min ${Math.round(Math.min(...lat))} ms, max ${Math.round(Math.max(...lat))} ms`);
    return { latency_ms_p50: lat.length ? p50 : null, latency_ms_p99: lat.length ? p99 : null, delivered: lat.length };
  } finally {
    stop = true;
    await Promise.allSettled(loops);
    for (const s of sides) {
      await s.endpoint.writer.close();
      s.provider.destroy();
    }
    await hub.destroy();
    await Promise.all([nodeA.stop(), nodeB.stop()]);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  say(`bench:evm — gas of the EVM contracts, and message latency EVM A -> hub -> EVM B`);
  const gas = await measureGas();
  const lat = await measureLatency();
  const recvMet = gas.gas_receive_1 < TARGET_RECV_GAS;
  const batchMet = gas.gas_per_packet_batch_50 < TARGET_BATCH_GAS;
  say(
    `targets: receive of one packet < ${TARGET_RECV_GAS} gas (SinkApp, proof included): ${recvMet ? 'met' : 'NOT met'} (${gas.gas_receive_1}); < ${TARGET_BATCH_GAS} per packet in a batch of 50: ${batchMet ? 'met' : 'NOT met'} (${gas.gas_per_packet_batch_50}); to EchoApp: ${gas.gas_receive_1_echo}`,
  );
  say(`         p50 latency < ${TARGET_P50_MS} ms: ${lat.latency_ms_p50 !== null && lat.latency_ms_p50 < TARGET_P50_MS ? 'met' : 'NOT met'} (${lat.latency_ms_p50} ms)`);
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  say(JSON.stringify({ bench: 'evm', ...gas, latency_ms_p50: lat.latency_ms_p50, latency_ms_p99: lat.latency_ms_p99 }));
}

// run only as the script (relay.bench.ts imports the helpers above)
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench:evm failed: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
