/**
 * npm run bench:relay — sustained relaying evm-a -> hub -> evm-b through the BullMQ relayer
 * workers, for N worker processes (PONTIS_BENCH_WORKERS, default "1,2,4").
 *
 * Setup (afresh for each configuration, so what one leaves undelivered does not load the next): two anvil chains mining a block every second with the block gas limit raised to
 * BLOCK_GAS_LIMIT, a hub of PONTIS_BENCH_VALIDATORS (2) validator processes whose observers attest
 * both chains (depth 0: anvil does not reorg), PontisClient + Gateway deployed on each chain and
 * the chains registered on the hub by governance, and StreamApp (contracts/evm/src/test) deployed
 * on both under the app name "stream".
 *
 * Per configuration: a fresh redis-server of our own (so INFO stats counts only the relayers'
 * commands), N `relayer start` processes sharing one queue prefix, each with its own keys (two
 * fresh ed25519 seeds for the hub, two anvil dev accounts of its own on both chains). A's
 * StreamApp then sends PONTIS_BENCH_RATE (1000) packets/s for PONTIS_BENCH_SECONDS (10) s, as a
 * few `sendMany` transactions per block; the bench waits (bounded) until every packet is received
 * on B and acknowledged on A. Latency of a packet = from A's send receipt in hand to B's
 * PacketReceived log seen (both polled every POLL_MS, so figures carry up to ~2 polls of delay);
 * delivered packets/s = packets received / (last one seen on B - first send submitted);
 * redundant submissions = the workers' pontis_relayer_redundant_submissions_total summed; Redis
 * ops per packet = total_commands_processed delta over the stream and its drain / packets.
 *
 * BENCH_RELAY_OPERATORS=2 runs instead (at 100 packets/s unless PONTIS_BENCH_RATE says otherwise) one configuration of two relayer operators racing on the
 * same paths: one process each on its own queue prefix (so each scans and submits on its own),
 * each with its own keys; the second waits PONTIS_BENCH_JITTER_MS ("min-max", default 6000-9000)
 * before its delivery jobs run (tuning.jitter), and every job re-checks the destination before
 * it submits. Its JSON line carries "operators", "submissions" (every relay transaction of both),
 * "redundant_submissions" and whether every packet was delivered once.
 *
 * Prints what it did in words; each configuration ends with one JSON line.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type Contract, Interface, type JsonRpcProvider, type Wallet } from 'ethers';
import type { PontisEvmDeployment } from '../../contracts/evm/deploy.ts';
import { toHex } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import type { RelayerConfigInput } from '../../relayers/config.ts';
import { GATEWAY_RELAY_ABI } from '../../relayers/paths/evm/abi.ts';
import type { AnvilNode } from '../support/anvil.ts';
import type { Testnet } from '../e2e/harness.ts';
import { type EvmChain, EvmHubWorld } from '../e2e/evm-fixture.ts';
import { RelayerProcess, metricSum } from '../relayers/harness.ts';
import { freePort } from '../support/ports.ts';
import { RedisServer, withRedis } from '../support/redis.ts';
import { quantile } from './evm.bench.ts';
import { cpuSeconds } from './cpu.ts';
import { measureAnvilCeiling } from '../contracts/anvil-ceiling.ts';

const HUB = 'pontis-hub-1';
const APP = 'stream';
const env = process.env;
const VALIDATORS = Number(env.PONTIS_BENCH_VALIDATORS ?? 2);
const OPERATORS = Number(env.BENCH_RELAY_OPERATORS ?? 0);
const [JITTER_MIN, JITTER_MAX] = (env.PONTIS_BENCH_JITTER_MS ?? '6000-9000').split('-').map(Number);
const WORKERS = (env.PONTIS_BENCH_WORKERS ?? '1,2,4').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
/**
 * Offered packets/s. The racing-operators case offers 100/s by default: a load one operator
 * carries, so it measures what racing wastes; past what the pipeline carries (300/s measured
 * 32% redundant) every job waits longer than the backup's jitter and both operators deliver.
 */
const RATE = Number(env.PONTIS_BENCH_RATE ?? (OPERATORS >= 2 ? 100 : 1000));
const SECONDS = Number(env.PONTIS_BENCH_SECONDS ?? 10);
/**
 * Relayer tuning: packets per job, jobs in flight per queue per process. 240 packets is about
 * what one EVM transaction takes under Osaka's 2^24 gas cap at ~67k gas a batched receive; the
 * hub leg cuts a job's relay transaction to MAX_TX_BYTES (relayers/paths/pontis/fit.ts).
 * Measured (one worker, 1000/s offered): 100 -> ~55-100 packets/s, 240 -> 116 packets/s with
 * the machine's 2 cores busy (182%).
 */
const BATCH = Number(env.PONTIS_BENCH_BATCH ?? 240);
const CONCURRENCY = Number(env.PONTIS_BENCH_CONCURRENCY ?? 8);
/** anvil --gas-limit: 1e9 gas per block, 30x mainnet's, so a second's packets fit in a block. */
const BLOCK_GAS_LIMIT = 1_000_000_000;
/** Packets per sendMany: below Osaka's per-transaction gas cap (2^24) at ~60k gas a send. */
const MAX_PER_TX = 200;
const POLL_MS = 100;
/** How long to wait, after the last send, for every packet to be received and acknowledged. */
const DRAIN_MS = Number(env.PONTIS_BENCH_DRAIN_S ?? 150) * 1000;
const TARGET_RATE = 1000;
const TARGET_P50_MS = 4000;

const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gwIface = new Interface(GATEWAY_RELAY_ABI as unknown as string[]);
const TOPIC = {
  sent: gwIface.getEvent('PacketSent')!.topicHash,
  received: gwIface.getEvent('PacketReceived')!.topicHash,
  acked: gwIface.getEvent('PacketAcknowledged')!.topicHash,
};

/** What a Ctrl-C must not leave behind (hub nodes and anvil go with this process on their own). */
const live = { redis: new Set<RedisServer>(), relayers: new Set<RelayerProcess>() };
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const p of live.relayers) void p.kill9();
    for (const r of live.redis) void r.stop();
    setTimeout(() => process.exit(130), 500);
  });
}

interface Side {
  id: string;
  node: AnvilNode;
  provider: JsonRpcProvider;
  deployer: Wallet;
  d: PontisEvmDeployment;
  stream: Contract;
}

interface World {
  hub: Testnet;
  a: Side;
  b: Side;
  destroy(): Promise<void>;
}

// ---------------------------------------------------------------- setup

async function startWorld(): Promise<World> {
  const anvilArgs = ['--gas-limit', String(BLOCK_GAS_LIMIT)];
  const w = await EvmHubWorld.start(
    [
      { id: 'evm-a', chainIdNumber: 31_201, blockTime: 1, anvilArgs },
      { id: 'evm-b', chainIdNumber: 31_202, blockTime: 1, anvilArgs },
    ],
    { validators: VALIDATORS, logLevel: 'warn', observerIntervalMs: 100 },
  );
  try {
    const side = async (c: EvmChain): Promise<Side> => {
      const stream = await w.deployOn(c, 'StreamApp', c.deployed.gateway.address, APP);
      say(`  ${c.id} (${c.node.url}): PontisClient ${c.deployed.client.address}, Gateway ${c.deployed.gateway.address}, StreamApp "${APP}" ${await stream.getAddress()}; registered on the hub`);
      return { ...c, d: c.deployed, stream };
    };
    return { hub: w.hub, a: await side(w.chains['evm-a']), b: await side(w.chains['evm-b']), destroy: () => w.destroy() };
  } catch (e) {
    await w.destroy();
    throw e;
  }
}

// ---------------------------------------------------------------- relayers

/**
 * N relayer processes on one Redis and one queue prefix; process i signs with anvil accounts 1+2i
 * and 2+2i on both chains. As separate operators: a queue prefix each, and all but the first wait
 * out the jitter before delivering.
 */
async function startRelayers(w: World, redis: RedisServer, n: number, operators = false): Promise<RelayerProcess[]> {
  const procs: RelayerProcess[] = [];
  const evm = (s: Side) => ({ id: s.id, kind: 'evm' as const, rpc: s.node.url, evmChainId: s.node.chainId, gateway: s.d.gateway.address, hubClient: s.d.client.address, signer: { env: 'RELAYER_KEY_EVM' } });
  for (let i = 0; i < n; i++) {
    const cfg: RelayerConfigInput = {
      hub: { chainId: HUB, rpc: w.hub.rpcUrls[i % w.hub.rpcUrls.length], signer: { env: 'RELAYER_KEY_HUB' } },
      chains: [evm(w.a), evm(w.b)],
      paths: [
        { id: 'path-evm-a', chain: 'evm-a', hub: HUB },
        { id: 'path-evm-b', chain: 'evm-b', hub: HUB },
      ],
      redis: { url: redis.url, prefix: operators ? `bench-op${i}` : 'bench-relay' },
      // a short lookback: the chains' earlier blocks (setup, previous configurations) hold nothing left to do
      tuning: {
        batchSize: BATCH,
        concurrency: CONCURRENCY,
        scanIntervalMs: 200,
        lookbackBlocks: 5,
        clearIntervalMs: 60_000,
        backoffMs: 250,
        maxAttempts: 30,
        lockMs: 30_000,
        ...(operators && i > 0 ? { jitter: { minMs: JITTER_MIN, maxMs: JITTER_MAX } } : {}),
      },
      api: { host: '127.0.0.1', port: await freePort() },
    };
    const keys = {
      RELAYER_KEY_HUB: [generateAccountKey(), generateAccountKey()].map((k) => toHex(k.secretKey)).join(','),
      RELAYER_KEY_EVM: [w.a.node.accounts[1 + 2 * i], w.a.node.accounts[2 + 2 * i]].join(','),
    };
    procs.push(new RelayerProcess(cfg, keys));
  }
  for (const p of procs) live.relayers.add(p);
  await Promise.all(procs.map((p) => p.start()));
  return procs;
}

async function redisCommands(url: string): Promise<number> {
  const info = await withRedis(url, (c) => c.info('stats'));
  return Number(/total_commands_processed:(\d+)/.exec(info)![1]);
}

// ---------------------------------------------------------------- watching the chains

/** First time (performance.now()) each sequence's log with `topic` was seen on a chain's Gateway, polled every POLL_MS. */
class LogWatch {
  readonly seen = new Map<number, number>();
  /** Every matching log, duplicates included. */
  logs = 0;
  private stopped = false;
  private readonly done: Promise<void>;
  constructor(side: Side, topic: string, from: number) {
    const gateway = side.d.gateway.address;
    this.done = (async () => {
      let next = from;
      while (!this.stopped) {
        try {
          const tip = await side.node.blockNumber();
          if (tip >= next) {
            const logs = await side.node.rpc<{ topics: string[] }[]>('eth_getLogs', [{ address: gateway, fromBlock: `0x${next.toString(16)}`, toBlock: `0x${tip.toString(16)}`, topics: [topic] }]);
            const now = performance.now();
            this.logs += logs.length;
            for (const l of logs) {
              const seq = Number(BigInt(l.topics[2]));
              if (!this.seen.has(seq)) this.seen.set(seq, now);
            }
            next = tip + 1;
          }
        } catch {
          // a slow poll on a loaded machine: try again
        }
        await sleep(POLL_MS);
      }
    })();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

// ---------------------------------------------------------------- one configuration

interface Figures {
  workers: number;
  submissions: number;
  /** PacketReceived logs on B's Gateway for the stream (more than `received` would be a double delivery). */
  receivedLogs: number;
  /** B's StreamApp counter moved by this much. */
  streamReceived: number;
  packets: number;
  received: number;
  acked: number;
  packetsPerS: number;
  p50: number | null;
  p99: number | null;
  redundant: number;
  redisPerPacket: number;
  /** Microseconds of CPU both anvils spent per packet received. */
  anvilUs: number;
}

async function runConfiguration(w: World, n: number, operators = false): Promise<Figures> {
  const total = RATE * SECONDS;
  const txPerS = Math.max(4, Math.ceil(RATE / MAX_PER_TX));
  const perTx = Math.ceil(RATE / txPerS);
  const txs = Math.ceil(total / perTx);
  const redis = await RedisServer.start();
  live.redis.add(redis);
  let procs: RelayerProcess[] = [];
  try {
    if (operators) say(`\n${n} relayer operators racing: fresh redis-server on ${redis.url}, queue prefixes ${Array.from({ length: n }, (_, i) => `"bench-op${i}"`).join(', ')}, one process each; operators after the first wait ${JITTER_MIN}-${JITTER_MAX} ms (tuning.jitter) before delivering; tuning batchSize ${BATCH}, concurrency ${CONCURRENCY}, scan every 200 ms`);
    else say(`\n${n} relayer worker process(es): fresh redis-server on ${redis.url}, queue prefix "bench-relay"; tuning batchSize ${BATCH}, concurrency ${CONCURRENCY} per queue per process, scan every 200 ms`);
    procs = await startRelayers(w, redis, n, operators);
    // let the workers' first scans and clearing pass run over the quiet chains before the stream
    await sleep(3000);
    const a = w.a;
    const b = w.b;
    const [fromA, fromB] = await Promise.all([a.node.blockNumber(), b.node.blockNumber()]);
    const recvWatch = new LogWatch(b, TOPIC.received, fromB + 1);
    const ackWatch = new LogWatch(a, TOPIC.acked, fromA + 1);
    const [recvBefore, ackedBefore] = [Number(await b.stream.received()), Number(await a.stream.acked())];
    const redisBefore = await redisCommands(redis.url);
    // how busy each process is over the stream and its drain, so the next bottleneck has a name
    const cpuProcs: [string, () => number | undefined][] = [
      ...Array.from({ length: VALIDATORS }, (_, i) => [`hub validator ${i}`, () => w.hub.pid(i)] as [string, () => number | undefined]),
      ['anvil evm-a', () => a.node.pid],
      ['anvil evm-b', () => b.node.pid],
      ...procs.map((r, i) => [`relayer ${i}`, () => r.pid()] as [string, () => number | undefined]),
      ['this bench process', () => process.pid],
    ];
    const cpuBefore = cpuProcs.map(([, pid]) => cpuSeconds(pid()));
    const cpuT0 = performance.now();

    say(`  stream: ${total} packets evm-a -> hub -> evm-b at ${RATE}/s for ${SECONDS} s: ${txs} sendMany transactions of ${perTx} packets, ${txPerS} per second`);
    const latest = await a.provider.getBlock('latest');
    const timeoutMs = BigInt(latest!.timestamp * 1000 + 3_600_000);
    const stream = a.stream.connect(a.deployer) as Contract;
    const sendData = stream.interface.encodeFunctionData('sendMany', ['evm-b', APP, perTx, timeoutMs]);
    const gasLimit = ((await stream.sendMany.estimateGas('evm-b', APP, perTx, timeoutMs)) * 13n) / 10n;
    let nonce = await a.provider.getTransactionCount(a.deployer.address, 'pending');
    const sentAt = new Map<number, number>();
    const sendGas: bigint[] = [];
    const waits: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < txs; i++) {
      const slot = t0 + (i * 1000) / txPerS;
      if (performance.now() < slot) await sleep(slot - performance.now());
      const count = Math.min(perTx, total - i * perTx);
      const data = count === perTx ? sendData : stream.interface.encodeFunctionData('sendMany', ['evm-b', APP, count, timeoutMs]);
      const tx = await a.deployer.sendTransaction({ to: await stream.getAddress(), data, nonce: nonce++, gasLimit });
      waits.push(
        tx.wait().then((rcpt) => {
          const now = performance.now();
          sendGas.push(rcpt!.gasUsed);
          for (const l of rcpt!.logs) if (l.topics[0] === TOPIC.sent) sentAt.set(Number(BigInt(l.topics[2])), now);
        }),
      );
    }
    const sendSpan = performance.now() - t0;
    await Promise.all(waits);
    say(`  sent in ${(sendSpan / 1000).toFixed(1)} s (all receipts in ${((performance.now() - t0) / 1000).toFixed(1)} s); ${Number(sendGas.reduce((x, y) => x + y, 0n)) / total | 0} gas per packet sent on evm-a`);

    // bounded wait for every packet received on B and acknowledged on A
    const deadline = performance.now() + DRAIN_MS;
    let lastReport = performance.now();
    const allIn = () => [...sentAt.keys()].every((s) => recvWatch.seen.has(s) && ackWatch.seen.has(s));
    while (!allIn() && performance.now() < deadline) {
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        say(`  ... ${((performance.now() - t0) / 1000).toFixed(0)} s: received on evm-b ${[...sentAt.keys()].filter((s) => recvWatch.seen.has(s)).length}, acknowledged on evm-a ${[...sentAt.keys()].filter((s) => ackWatch.seen.has(s)).length} of ${total}`);
      }
      await sleep(250);
    }
    const redisAfter = await redisCommands(redis.url);
    const cpuWall = (performance.now() - cpuT0) / 1000;
    const cpuUsed = cpuProcs.map(([, pid], i) => cpuSeconds(pid()) - cpuBefore[i]);
    await Promise.all([recvWatch.stop(), ackWatch.stop()]);

    const lat: number[] = [];
    let lastRecv = t0;
    let firstRecv = Infinity;
    for (const [seq, t] of sentAt) {
      const tb = recvWatch.seen.get(seq);
      if (tb === undefined) continue;
      lat.push(tb - t);
      lastRecv = Math.max(lastRecv, tb);
      firstRecv = Math.min(firstRecv, tb);
    }
    const received = lat.length;
    const acked = [...sentAt.keys()].filter((s) => ackWatch.seen.has(s)).length;
    const packetsPerS = received ? received / ((lastRecv - t0) / 1000) : 0;
    const metrics = await Promise.all(procs.map((p) => p.metrics().catch(() => '')));
    const sum = (name: string, labels: Record<string, string> = {}) => metrics.reduce((x, m) => x + metricSum(m, name, labels), 0);
    const redundant = sum('pontis_relayer_redundant_submissions_total');
    const redisPerPacket = (redisAfter - redisBefore) / Math.max(1, received);
    const p50 = lat.length ? Math.round(quantile(lat, 0.5)) : null;
    const p99 = lat.length ? Math.round(quantile(lat, 0.99)) : null;

    say(`  delivered: ${received} of ${total} received on evm-b, ${acked} acknowledged on evm-a (StreamApp counters: +${Number(await b.stream.received()) - recvBefore} received on B, +${Number(await a.stream.acked()) - ackedBefore} acks on A)`);
    say(`  throughput ${packetsPerS.toFixed(0)} packets/s (first send -> last receipt seen on evm-b: ${((lastRecv - t0) / 1000).toFixed(1)} s); latency A's send receipt -> B's PacketReceived: p50 ${p50} ms, p99 ${p99} ms, min ${Math.round(Math.min(...lat))} ms, max ${Math.round(Math.max(...lat))} ms`);
    if (received > 1) say(`  rate while packets were arriving on evm-b (first -> last receipt seen there, the stream's latency left out): ${(received / Math.max(0.001, (lastRecv - firstRecv) / 1000)).toFixed(0)} packets/s`);
    say(`  relayers: ${sum('pontis_relayer_submissions_total')} submissions, ${sum('pontis_relayer_packets_relayed_total')} items accepted, ${redundant} redundant submissions, ${sum('pontis_relayer_jobs_already_done_total')} jobs found their work done, ${sum('pontis_relayer_failures_total')} failed attempts${failureCodes(metrics)}`);
    say(`  Redis: ${redisAfter - redisBefore} commands over the stream and its drain, ${redisPerPacket.toFixed(1)} per packet`);
    const cpuTotal = cpuUsed.reduce((x, y) => x + y, 0);
    const anvilUs = Math.round((cpuProcs.reduce((acc, [name], i) => acc + (name.startsWith('anvil') ? cpuUsed[i] : 0), 0) * 1e6) / Math.max(1, received));
    say(`  CPU over the ${cpuWall.toFixed(1)} s of stream and drain (100% = one core; the machine has ${cpus().length}): ${cpuProcs.map(([name], i) => `${name} ${Math.round((100 * cpuUsed[i]) / cpuWall)}%`).join(', ')}; in all ${Math.round((100 * cpuTotal) / cpuWall)}%, ${Math.round((cpuTotal * 1e6) / Math.max(1, received))} us of CPU per packet delivered`);
    const st = await stageReport(w, metrics, sentAt, recvWatch.seen, { fromB, t0 });
    const sustained = received > 1 ? received / Math.max(0.001, (lastRecv - firstRecv) / 1000) : 0;
    if (p50 === null || p50 >= TARGET_P50_MS || packetsPerS < TARGET_RATE) {
      say(
        `  where the time goes: the relayers carried ${sustained.toFixed(0)} packets/s against ${RATE}/s offered${sustained < 0.9 * RATE ? ', so packets queued in front of them' : ''}: ` +
          `the A -> hub leg took ${st.toHubP50} ms (p50), the hub -> B leg ${st.hubToBP50} ms; the slowest job kind waited ${st.slowestJob} from creation to its destination's commit. ` +
          `EVM gas was not the limit: the busiest evm-b block used ${st.maxGas} of ${BLOCK_GAS_LIMIT} gas (${st.gasPerPacket} gas per packet received).`,
      );
    }
    if (received < total || acked < total) {
      for (const p of procs) {
        const tail = p.log().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-3);
        if (tail.length) say(`  last warnings of ${p.dir}/relayer.log:\n    ${tail.join('\n    ')}`);
      }
    }
    const submissions = sum('pontis_relayer_submissions_total');
    const streamReceived = Number(await b.stream.received()) - recvBefore;
    if (operators) {
      for (const [i, m] of metrics.entries()) say(`  operator ${i} (bench-op${i}): ${metricSum(m, 'pontis_relayer_submissions_total')} submissions, ${metricSum(m, 'pontis_relayer_redundant_submissions_total')} redundant, ${metricSum(m, 'pontis_relayer_jobs_already_done_total')} jobs found their work done`);
    }
    return { workers: n, packets: total, received, acked, packetsPerS, p50, p99, redundant, redisPerPacket, submissions, receivedLogs: recvWatch.logs, streamReceived, anvilUs };
  } finally {
    await Promise.allSettled(procs.map((p) => p.stop()));
    for (const p of procs) {
      p.cleanup();
      live.relayers.delete(p);
    }
    await redis.stop();
    live.redis.delete(redis);
  }
}

/** Failed attempts by error code, as ` (CODE xN, ...)`. */
function failureCodes(metrics: string[]): string {
  const by = new Map<string, number>();
  for (const m of metrics) {
    for (const line of m.split('\n')) {
      if (!line.startsWith('pontis_relayer_failures_total{')) continue;
      const code = /code="([^"]+)"/.exec(line)?.[1] ?? '?';
      const kind = /kind="([^"]+)"/.exec(line)?.[1] ?? '?';
      by.set(`${kind} ${code}`, (by.get(`${kind} ${code}`) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
  }
  return by.size ? ` (${[...by].map(([k, v]) => `${k} x${v}`).join(', ')})` : '';
}

/**
 * Where the time goes: the hub leg of a sample of packets (A's send receipt -> the hub block that
 * forwarded it), the relayer jobs' mean time from creation to the destination's commit by path
 * and kind, and the EVM gas B's blocks carried.
 */
async function stageReport(
  w: World,
  metrics: string[],
  sentAt: Map<number, number>,
  atB: Map<number, number>,
  o: { fromB: number; t0: number },
): Promise<{ toHubP50: number | string; hubToBP50: number | string; slowestJob: string; maxGas: number; gasPerPacket: number | string }> {
  const seqs = [...sentAt.keys()].sort((x, y) => x - y);
  const sample = seqs.filter((_, i) => i % Math.max(1, Math.floor(seqs.length / 40)) === 0);
  const toHub: number[] = [];
  const hubToB: number[] = [];
  const wallOffset = Date.now() - performance.now();
  for (const seq of sample) {
    const q = await w.hub.clients[0].packet(`evm-a/${APP}/evm-b/${APP}/${seq}`).catch(() => undefined);
    const fwd = q?.status.steps.find((st) => st.step === 'forwarded');
    if (!fwd) continue;
    toHub.push(fwd.time - (sentAt.get(seq)! + wallOffset));
    const tb = atB.get(seq);
    if (tb !== undefined) hubToB.push(tb + wallOffset - fwd.time);
  }
  const r = (x: number) => (Number.isFinite(x) ? Math.round(x) : 'n/a');
  say(`  stages (${toHub.length} sampled packets, p50): A's send receipt -> hub block that forwarded it ${r(quantile(toHub, 0.5))} ms; that hub block -> B's PacketReceived seen ${r(quantile(hubToB, 0.5))} ms`);
  const jobs: string[] = [];
  let slowestJob = 'n/a';
  let slowestMs = -1;
  for (const path of ['path-evm-a', 'path-evm-b']) {
    for (const kind of ['relay-packets', 'relay-acks']) {
      const labels = { path, kind };
      const count = metrics.reduce((x, m) => x + metricSum(m, 'pontis_relayer_relay_latency_seconds_count', labels), 0);
      const s = metrics.reduce((x, m) => x + metricSum(m, 'pontis_relayer_relay_latency_seconds_sum', labels), 0);
      if (!count) continue;
      const mean = Math.round((s / count) * 1000);
      jobs.push(`${path} ${kind} ${count} jobs, mean ${mean} ms`);
      if (mean > slowestMs) [slowestMs, slowestJob] = [mean, `${mean} ms on average (${path} ${kind})`];
    }
  }
  say(`  relayer jobs (created -> destination commit): ${jobs.join('; ') || 'none'}`);
  const tipB = await w.b.node.blockNumber();
  let maxGas = 0;
  let gas = 0;
  let blocks = 0;
  for (let h = o.fromB + 1; h <= tipB; h++) {
    const blk = await w.b.node.rpc<{ gasUsed: string }>('eth_getBlockByNumber', [`0x${h.toString(16)}`, false]);
    const g = Number(BigInt(blk.gasUsed));
    gas += g;
    maxGas = Math.max(maxGas, g);
    if (g) blocks++;
  }
  const gasPerPacket = atB.size ? Math.round(gas / atB.size) : 'n/a';
  say(`  evm-b blocks: ${blocks} with transactions, ${gas} gas in all (${gasPerPacket} per packet received, client updates included), busiest block ${maxGas} gas of the ${BLOCK_GAS_LIMIT} limit`);
  return { toHubP50: r(quantile(toHub, 0.5)), hubToBP50: r(quantile(hubToB, 0.5)), slowestJob, maxGas, gasPerPacket };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  if (OPERATORS > 0) return racingOperators(started);
  say(`bench:relay — a sustained stream evm-a -> hub -> evm-b through BullMQ relayer workers (N = ${WORKERS.join(', ')})`);
  say(`setup: two anvil chains, 1-second blocks, block gas limit raised to ${BLOCK_GAS_LIMIT} (--gas-limit); a hub of ${VALIDATORS} validator processes observing both (depth 0)`);
  const floor = await measureAnvilCeiling();
  say(
    `anvil's own floor (test/contracts/anvil-ceiling.ts: the send, the receive and the ack of a packet, each executed once with a fixed gas limit in transactions as full as below): ` +
      `${floor.totalUs} us of anvil CPU a packet (send ${floor.sendUs}, receive ${floor.recvUs}, ack ${floor.ackUs}; ${floor.sendGas}/${floor.recvGas}/${floor.ackGas} gas), so two anvils alone would allow ~${Math.round(2e6 / floor.totalUs)} packets/s on 2 cores`,
  );
  for (const n of WORKERS) {
    // a fresh world per configuration: what one left undelivered must not load the next one's relayers
    say(`\nconfiguration N = ${n}: fresh chains and hub`);
    const w = await startWorld();
    try {
      const f = await runConfiguration(w, n);
      const rateMet = f.packetsPerS >= TARGET_RATE;
      const p50Met = f.p50 !== null && f.p50 < TARGET_P50_MS;
      say(`  anvils spent ${f.anvilUs} us of CPU a packet here against the ${floor.totalUs} us floor: the rest is the relayers' reads (logs, proofs, receipt checks) and eth_estimateGas re-executions`);
      say(`  targets: >= ${TARGET_RATE} packets/s end to end: ${rateMet ? 'met' : 'NOT met'} (${f.packetsPerS.toFixed(0)}${RATE < TARGET_RATE ? `; offered load was only ${RATE}/s` : ''}); p50 < ${TARGET_P50_MS} ms: ${p50Met ? 'met' : 'NOT met'} (${f.p50} ms)`);
      say(
        JSON.stringify({
          bench: 'relay',
          workers: n,
          packets_per_s: Math.round(f.packetsPerS),
          latency_ms_p50: f.p50,
          latency_ms_p99: f.p99,
          redundant_submissions: f.redundant,
          redis_ops_per_packet: Math.round(f.redisPerPacket * 10) / 10,
          packets: f.packets,
          delivered: f.received,
          acknowledged: f.acked,
          anvil_us_per_packet: f.anvilUs,
          anvil_floor_us_per_packet: floor.totalUs,
        }),
      );
    } finally {
      await w.destroy();
    }
  }
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** BENCH_RELAY_OPERATORS=N: N operators (a queue prefix and keys each) racing on the same paths. */
async function racingOperators(started: number): Promise<void> {
  say(`bench:relay — ${OPERATORS} relayer operators racing on evm-a -> hub -> evm-b (separate queue prefixes)`);
  const w = await startWorld();
  try {
    const f = await runConfiguration(w, OPERATORS, true);
    const once = f.received === f.packets && f.receivedLogs === f.packets && f.streamReceived === f.packets;
    const share = f.submissions ? f.redundant / f.submissions : 0;
    say(`  redundant submissions: ${f.redundant} of ${f.submissions} (${(100 * share).toFixed(1)}%; target at most 10%): ${share <= 0.1 ? 'met' : 'NOT met'}; every packet delivered once: ${once ? 'yes' : 'NO'} (${f.receivedLogs} PacketReceived logs, StreamApp +${f.streamReceived}, ${f.packets} sent)`);
    say(
      JSON.stringify({
        bench: 'relay',
        operators: OPERATORS,
        jitter_ms: [JITTER_MIN, JITTER_MAX],
        submissions: f.submissions,
        redundant_submissions: f.redundant,
        redundant_share: Math.round(share * 1000) / 1000,
        packets: f.packets,
        delivered: f.received,
        acknowledged: f.acked,
        delivered_once: once,
        packets_per_s: Math.round(f.packetsPerS),
        latency_ms_p50: f.p50,
        latency_ms_p99: f.p99,
      }),
    );
  } finally {
    await w.destroy();
  }
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench:relay failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
