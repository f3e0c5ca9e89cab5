/**
 * npm run bench:fabric — a packet stream from the government chain on Fabric to a department
 * side-chain: gov -> hub -> dept-a, through `relayer start` worker processes on a Redis of their own.
 *
 * Setup: a hub of PONTIS_BENCH_VALIDATORS (2) validator processes and dept-a (one validator
 * process), registered both ways, both cutting idle blocks at most once a second (as the devnet); the Fabric network stand-in (3 orgs, 2 of 3 endorse, blocks cut
 * every BATCH_TIMEOUT_MS) with the Pontis chaincode as a service, in this process; gov registered
 * on the hub by governance (a `fabric` client) and the chaincode's hub client created.
 * PONTIS_BENCH_WORKERS (2) relayer processes share one queue prefix, relaying batches of
 * PONTIS_BENCH_BATCH (500). Each process's CPU is measured idle for 5 s first, then over the run.
 *
 * The offer: Org1's user sends PONTIS_BENCH_PACKETS (5000) msg packets gov -> dept-a as
 * `sendPackets` transactions of PER_TX (500) packets, one after another (a second transaction
 * on the same channel in flight would lose the MVCC race on its sequence). Latency of a packet:
 * from its Fabric transaction committed (the client holds the commit status) to its receipt seen
 * in a dept-a block (polled every POLL_MS). Delivered packets/s: packets received on dept-a /
 * (last seen - first send started). Endorsements verified/s: the hub's check of an endorsed
 * transaction (2 endorsements + the creator, P-256 through node:crypto) timed alone on a block
 * of the run, one core.
 *
 * Prints what it did and where the time goes; ends with one JSON line:
 * {"bench":"fabric","packets_per_s":N,"latency_ms_p50":N,"latency_ms_p99":N,"endorsements_verified_per_s":N}
 */
import { performance } from 'node:perf_hooks';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { MspRegistry } from '../../hub-chain/light-clients/fabric/msp.ts';
import { verifyEndorsedTransaction } from '../../hub-chain/light-clients/fabric/transaction.ts';
import { decodeBlock } from '../../hub-chain/light-clients/fabric/block.ts';
import { type Packet, channelId } from '../../hub-chain/modules/packets/types.ts';
import { blockTxs } from '../../adapters/fabric/index.ts';
import { chaincodeCalls } from '../../contracts/fabric/calls.ts';
import { decodeEvents, sentPackets } from '../../contracts/fabric/events.ts';
import type { RelayerConfigInput } from '../../relayers/config.ts';
import { p256KeyHex } from '../../relayers/paths/fabric/index.ts';
import { IDLE_BLOCKS_CONSENSUS, Testnet } from '../e2e/harness.ts';
import { RelayerProcess, metricSum } from '../relayers/harness.ts';
import { type FabricFixture, connectFabricToHub, startFabricFixture } from '../support/fabric.ts';
import { freePort } from '../support/ports.ts';
import { RedisServer } from '../support/redis.ts';
import { registerPontisChain } from '../support/register-chain.ts';
import { cpuSeconds } from './cpu.ts';
import { quantile } from './evm.bench.ts';

const HUB = 'pontis-hub-1';
const GOV = 'gov';
const env = process.env;
const VALIDATORS = Number(env.PONTIS_BENCH_VALIDATORS ?? 2);
const WORKERS = Number(env.PONTIS_BENCH_WORKERS ?? 2);
const PACKETS = Number(env.PONTIS_BENCH_PACKETS ?? 5000);
const PER_TX = Math.min(1000, Number(env.PONTIS_BENCH_PER_TX ?? 500));
const BATCH = Number(env.PONTIS_BENCH_BATCH ?? 500);
const BATCH_TIMEOUT_MS = Number(env.PONTIS_BENCH_BLOCK_MS ?? 50);
const POLL_MS = 100;
const IDLE_MS = 5000;
const DRAIN_MS = Number(env.PONTIS_BENCH_DRAIN_S ?? 180) * 1000;
const TARGET_RATE = 1000;
const TARGET_P50_MS = 3000;

const say = (s: string) => process.stdout.write(s + '\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hub: Testnet | undefined;
let a: Testnet | undefined;
let fx: FabricFixture | undefined;
let redis: RedisServer | undefined;
const relayers: RelayerProcess[] = [];

async function cleanup(): Promise<void> {
  await Promise.allSettled(relayers.map((r) => r.stop()));
  relayers.forEach((r) => r.cleanup());
  await fx?.close().catch(() => {});
  await Promise.allSettled([hub?.destroy(), a?.destroy(), redis?.stop()]);
}

function relayerConfig(prefix: string, apiPort: number): RelayerConfigInput {
  const org = fx!.net.orgs[0];
  return {
    hub: { chainId: HUB, rpc: hub!.rpcUrls[0], signer: { env: 'RELAYER_KEY_HUB' } },
    chains: [
      { id: 'dept-a', kind: 'pontis', rpc: a!.rpcUrls[0], signer: { env: 'RELAYER_KEY_A' } },
      { id: GOV, kind: 'fabric', channel: fx!.net.channel, chaincode: 'pontis', peer: { endpoint: org.endpoint, tlsCaCert: org.tlsCaCertPath, serverName: 'localhost' }, mspId: org.mspId, cert: org.userCertPath, signer: { env: 'RELAYER_KEY_GOV' }, endorsingOrgs: ['Org1MSP', 'Org2MSP'] },
    ],
    paths: [
      { id: 'path-a', chain: 'dept-a', hub: HUB },
      { id: 'path-gov', chain: GOV, hub: HUB },
    ],
    redis: { url: redis!.url, prefix },
    tuning: { batchSize: BATCH, concurrency: 4, clearIntervalMs: 10_000, backoffMs: 200, maxAttempts: 60, lookbackBlocks: 400, scanIntervalMs: 100, lockMs: 10_000 },
    api: { host: '127.0.0.1', port: apiPort },
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  [hub, a, fx, redis] = await Promise.all([
    Testnet.create(VALIDATORS, { chainId: HUB, consensus: IDLE_BLOCKS_CONSENSUS }),
    Testnet.create(1, { chainId: 'dept-a', hubChainId: HUB, consensus: IDLE_BLOCKS_CONSENSUS }),
    startFabricFixture({ chainId: GOV, batchTimeoutMs: BATCH_TIMEOUT_MS }),
    RedisServer.start(),
  ]);
  await Promise.all([hub, a].map((n) => n.startAll()));
  await Promise.all([hub, a].map((n) => n.clients[0].waitForHeight(2, 60_000)));
  await registerPontisChain(hub, a, 'dept-a');
  await registerPontisChain(a, hub, HUB);
  await connectFabricToHub(fx, hub, HUB, GOV);
  say(`setup (${((performance.now() - t0) / 1000).toFixed(1)} s): hub ${HUB} of ${VALIDATORS} validator processes, dept-a (1), gov on the Fabric network stand-in (3 orgs, 2 of 3 endorse, blocks cut every ${BATCH_TIMEOUT_MS} ms) in this process, ${WORKERS} relayer processes`);
  for (let i = 0; i < WORKERS; i++) {
    const r = new RelayerProcess(relayerConfig('fabric-bench', await freePort()), {
      RELAYER_KEY_HUB: [generateAccountKey(), generateAccountKey()].map((k) => toHex(k.secretKey)).join(','),
      RELAYER_KEY_A: toHex(generateAccountKey().secretKey),
      RELAYER_KEY_GOV: p256KeyHex(fx.net.orgs[0].userKeyPem),
    });
    relayers.push(r);
    await r.start();
  }

  // dept-a's receipts, seen block by block
  const seen = new Map<string, number>();
  let watching = true;
  const aClient = a.clients[0];
  let aHeight = (await aClient.status()).latestHeight;
  const watcher = (async () => {
    while (watching) {
      const tip = (await aClient.status()).latestHeight;
      for (let h = aHeight + 1; h <= tip; h++) {
        for (const r of (await aClient.blockResults(h)).results) for (const e of r.events) if (e.type === 'packet/recv/result' && e.attributes.result === 'ok' && !seen.has(e.attributes.id)) seen.set(e.attributes.id, performance.now());
      }
      aHeight = tip;
      await sleep(POLL_MS);
    }
  })();

  const procs: [string, () => number | undefined][] = [
    ['bench process (Fabric peers, orderer, chaincode)', () => process.pid],
    ...Array.from({ length: VALIDATORS }, (_, i) => [`hub validator ${i}`, () => hub!.pid(i)] as [string, () => number | undefined]),
    ['dept-a validator', () => a!.pid(0)],
    ...relayers.map((r, i) => [`relayer ${i}`, () => r.pid()] as [string, () => number | undefined]),
  ];
  // what the network burns doing nothing (empty blocks, polling): the floor under the stream's figures
  const idleBefore = procs.map(([, pid]) => cpuSeconds(pid()));
  await sleep(IDLE_MS);
  const idle = procs.map(([, pid], i) => (100 * (cpuSeconds(pid()) - idleBefore[i])) / (IDLE_MS / 1000));
  say(`idle for ${IDLE_MS / 1000} s before the stream: ${procs.map(([name], i) => `${name} ${Math.round(idle[i])}%`).join(', ')} (${Math.round(idle.reduce((a, b) => a + b, 0))}% in all)`);
  const cpuBefore = procs.map(([, pid]) => cpuSeconds(pid()));
  const gov = fx.writer(0, { conflictRetries: 5 });
  const committedAt = new Map<string, number>();
  const sendTimes: number[] = [];
  const start = performance.now();
  say(`offer: ${PACKETS} msg packets gov -> dept-a as sendPackets transactions of ${PER_TX}, one after another`);
  let lastTx = { height: 0, txId: '' };
  for (let sent = 0; sent < PACKETS; sent += PER_TX) {
    const n = Math.min(PER_TX, PACKETS - sent);
    const ts = performance.now();
    const r = await gov.submitTx(chaincodeCalls.sendPackets(Array.from({ length: n }, (_, i) => ({ dstChain: 'dept-a', dstApp: 'msg', data: toHex(utf8(`bench #${sent + i}`)), timeoutTimestamp: Date.now() + 3_600_000, ordered: false }))));
    const done = performance.now();
    sendTimes.push(done - ts);
    const [block] = await gov.blocks(r.height, r.height);
    const tx = blockTxs(block).find((t) => t.txId === r.txId)!;
    for (const p of sentPackets(decodeEvents(tx.event!.payload)) as Packet[]) committedAt.set(`${channelId(p)}/${p.sequence}`, done);
    lastTx = { height: r.height, txId: r.txId };
  }
  const offered = performance.now();
  say(`  sent in ${((offered - start) / 1000).toFixed(1)} s (${Math.round(PACKETS / ((offered - start) / 1000))} packets/s offered); a sendPackets of ${PER_TX} took p50 ${Math.round(quantile(sendTimes, 0.5))} ms to endorse (2 orgs), order and commit`);
  const deadline = performance.now() + DRAIN_MS;
  while (performance.now() < deadline && [...committedAt.keys()].some((id) => !seen.has(id))) await sleep(200);
  watching = false;
  await watcher;
  const wall = (performance.now() - start) / 1000;
  const busy = procs.map(([, pid], i) => (100 * (cpuSeconds(pid()) - cpuBefore[i])) / wall);
  say(`CPU over the ${wall.toFixed(1)} s of stream and drain (100% = one core; the machine has 2): ${procs.map(([name], i) => `${name} ${Math.round(busy[i])}%`).join(', ')} (${Math.round(busy.reduce((a, b) => a + b, 0))}% in all)`);
  // what a packet costs each process (all of its CPU over the run, idle work included, by the packets sent)
  const usPer = (pct: number) => Math.round((pct / 100) * wall * 1e6 / PACKETS);
  say(`CPU a packet: ${procs.map(([name], i) => `${name} ${usPer(busy[i])} us`).join(', ')}; ${usPer(busy.reduce((a, b) => a + b, 0))} us in all (1,000 packets/s on 2 cores allows 2,000)`);

  const lat = [...committedAt].filter(([id]) => seen.has(id)).map(([id, t]) => seen.get(id)! - t);
  const received = lat.length;
  const last = Math.max(...[...committedAt.keys()].map((id) => seen.get(id) ?? 0));
  const rate = received / ((last - start) / 1000);
  const p50 = Math.round(quantile(lat, 0.5));
  const p99 = Math.round(quantile(lat, 0.99));
  say(`delivered: ${received}/${PACKETS} received on dept-a; ${rate.toFixed(0)} packets/s from the first send to the last receipt; latency p50 ${p50} ms, p99 ${p99} ms`);

  // where the time goes: the relayer's own counters, and the hub transactions that carried the proofs
  const metrics = await Promise.all(relayers.map((r) => r.metrics()));
  const sum = (name: string, labels: Record<string, string> = {}) => metrics.reduce((s, m) => s + metricSum(m, name, labels), 0);
  say(`relayers: ${sum('pontis_relayer_packets_relayed_total', { path: 'path-gov' })} items relayed on path-gov, ${sum('pontis_relayer_packets_relayed_total', { path: 'path-a' })} on path-a; ${sum('pontis_relayer_redundant_submissions_total')} redundant submissions; ${sum('pontis_relayer_failures_total')} job failures (retried)`);
  const hubTip = (await hub.clients[0].status()).latestHeight;
  let recvTxs = 0;
  let recvBytes = 0;
  for (let h = Math.max(1, hubTip - 2000); h <= hubTip; h++) {
    const b = await hub.clients[0].block(h);
    for (const tx of b.txs) {
      if (!tx.result.events.some((e) => e.type === 'packet/recv/result' && e.attributes.id?.startsWith(`${GOV}/`))) continue;
      recvTxs++;
      recvBytes += JSON.stringify(tx).length;
    }
  }
  if (recvTxs) say(`hub: ${recvTxs} transactions received gov's packets, ${Math.round(recvBytes / recvTxs / 1024)} KiB each as the RPC returns them with their results (the block, its header path and endorsed queries once per message; the hub's 1 MiB transaction limit caps a Fabric transaction at about 600 packets)`);

  // the hub's check of endorsed transactions, alone on one core: a small one (signatures dominate) and one of the stream
  const msps = new MspRegistry(Object.fromEntries(fx.net.orgs.map((o) => [o.mspId, [o.caCertPem]])));
  const rules = { channelId: fx.net.channel, msps, policy: () => ({ outOf: 2, orgs: fx!.net.orgs.map((o) => o.mspId) }), at: new Date() };
  const envelopeOf = async (height: number, txId: string) => {
    const [b] = await gov.blocks(height, height);
    return decodeBlock(b.serializeBinary()).data[blockTxs(b).find((t) => t.txId === txId)!.index];
  };
  const timeChecks = (env: Uint8Array, n: number) => {
    const t = performance.now();
    let endorsements = 0;
    for (let i = 0; i < n; i++) endorsements += verifyEndorsedTransaction(env, rules).endorsers.length;
    const s = (performance.now() - t) / 1000;
    return { perS: endorsements / s, msPerTx: (1000 * s) / n };
  };
  const rec = await gov.submitTx(chaincodeCalls.putRecord('bench-check', '0x01', []));
  const small = await envelopeOf(rec.height, rec.txId);
  const big = await envelopeOf(lastTx.height, lastTx.txId);
  const s1 = timeChecks(small, 2000);
  const s2 = timeChecks(big, 20);
  const endorsementsPerS = Math.round(s1.perS);
  say(`hub's fabric checks on one core: ${endorsementsPerS} endorsements verified/s in transactions of ${small.length} bytes (creator + 2 endorsements, P-256 through node:crypto, ${s1.msPerTx.toFixed(2)} ms a transaction); a transaction of ${PER_TX} packets (${big.length} bytes) takes ${s2.msPerTx.toFixed(1)} ms, mostly protobuf decoding, once per relay message`);

  say(`targets: >= ${TARGET_RATE} packets/s: ${rate >= TARGET_RATE ? 'met' : 'NOT met'}; p50 < ${TARGET_P50_MS} ms: ${p50 < TARGET_P50_MS ? 'met' : 'NOT met'}`);
  say(JSON.stringify({ bench: 'fabric', packets_per_s: Math.round(rate), latency_ms_p50: p50, latency_ms_p99: p99, endorsements_verified_per_s: endorsementsPerS }));
}

main()
  .then(cleanup, async (e) => {
    say(`bench failed: ${(e as Error).stack ?? e}`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => process.exit());
