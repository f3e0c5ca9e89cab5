/**
 * npm run bench:rpc-load — does consensus keep its pace while one validator's RPC is flooded, and
 * how fast does a stopped validator get back to the tip?
 *
 * A hub of 4 validator processes on loopback (test/e2e/harness.ts timings). Three phases:
 *  1. idle: the chain's block rate with no RPC load (PONTIS_BENCH_IDLE_S, 20 s);
 *  2. flood: validator 3's RPC takes, from a separate process (test/bench/rpc-flood.ts), as fast
 *     as it answers: keep-alive reads and state proofs on PONTIS_BENCH_CONNECTIONS (200)
 *     connections, deeply nested JSON bodies (10 MB, then just under the transaction limit), slow
 *     bodies that send a byte a second, and signed transactions far above their account's nonce
 *     (PONTIS_BENCH_FLOOD_S, 30 s). The block rate is read from the other three; how far validator 3
 *     falls behind from its own /status and from what its peers last heard from it. Its per-client
 *     rate limit is off (PONTIS_BENCH_RATE_LIMIT, 0), so what it serves is all it can;
 *  3. catch-up: validator 2 is killed for PONTIS_BENCH_STOP_S (60) s, restarted, and timed until it
 *     is within one block of the others; its log gives the block-sync rate.
 *
 * Prints what it did and where the time goes (CPU seconds of validator 3's threads: consensus
 * thread, RPC worker thread, the rest), then one JSON line:
 * {"bench":"rpc-load","blocks_per_s_idle":N,"blocks_per_s_flood":N,"max_lag_blocks":N,"catchup_blocks_per_s":N,"rpc_requests_per_s":N,...}
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { Testnet } from '../e2e/harness.ts';

const env = process.env;
const IDLE_S = Number(env.PONTIS_BENCH_IDLE_S ?? 20);
const FLOOD_S = Number(env.PONTIS_BENCH_FLOOD_S ?? 30);
const STOP_S = Number(env.PONTIS_BENCH_STOP_S ?? 60);
const CONNECTIONS = Number(env.PONTIS_BENCH_CONNECTIONS ?? 200);
/** The flooded validator's per-client request rate (0: off, so the flood is served at full speed and only the thread split keeps consensus ahead). */
const RATE_LIMIT = Number(env.PONTIS_BENCH_RATE_LIMIT ?? 0);
const FLOODED = 3;
const STOPPED = 2;
const TARGET_FLOOD_RATIO = 0.8;
const TARGET_MAX_LAG = 2;
const TARGET_CATCHUP_S = 10;

const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = 100;

/** CPU seconds per thread of a process, split by what the thread is: the RPC worker runs reniced (nice > 0). */
function threadCpu(pid: number | undefined): { main: number; rpc: number; other: number } {
  const out = { main: 0, rpc: 0, other: 0 };
  if (!pid) return out;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const secs = (Number(f[11]) + Number(f[12])) / CLK_TCK;
      const nice = Number(f[16]);
      if (Number(tid) === pid) out.main += secs;
      else if (nice > 0) out.rpc += secs;
      else out.other += secs;
    }
  } catch {
    // process gone
  }
  return out;
}
const diff = (a: ReturnType<typeof threadCpu>, b: ReturnType<typeof threadCpu>) => ({ main: b.main - a.main, rpc: b.rpc - a.rpc, other: b.other - a.other });

async function heightOf(c: HubClient): Promise<number | undefined> {
  try {
    return (await c.status()).latestHeight;
  } catch {
    return undefined;
  }
}

/** Node i's height as its peers last heard it (status heartbeats from its consensus thread). */
async function seenByPeers(net: Testnet, i: number): Promise<number | undefined> {
  const id = (await net.clients[0].status().catch(() => undefined))?.peers;
  const port = net.homes[i] ? JSON.parse(readFileSync(resolve(net.homes[i], 'config.json'), 'utf8')).p2p.port : 0;
  return id?.find((p) => p.url.endsWith(`:${port}`))?.height;
}

async function othersMax(net: Testnet, skip: number): Promise<number> {
  const hs = await Promise.all(net.clients.map((c, i) => (i === skip ? undefined : heightOf(c))));
  return Math.max(...hs.filter((h): h is number => h !== undefined));
}

async function main(): Promise<void> {
  say(`bench:rpc-load: 4 validator processes; idle ${IDLE_S} s, flood of validator ${FLOODED} for ${FLOOD_S} s, validator ${STOPPED} stopped ${STOP_S} s`);
  const net = await Testnet.create(4, { logLevel: 'info' });
  const cfgFile = resolve(net.homes[FLOODED], 'config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  cfg.rpc.rateLimitPerSec = RATE_LIMIT;
  writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
  say(`validator ${FLOODED}'s RPC rate limit per client: ${RATE_LIMIT || 'off'}`);
  let code = 0;
  try {
    await net.startAll();
    await net.clients[0].waitForHeight(5, 60_000);
    const chainId = (await net.clients[0].status()).chainId;

    // ---- 1. idle
    const i0 = await othersMax(net, -1);
    const ti0 = performance.now();
    await sleep(IDLE_S * 1000);
    const i1 = await othersMax(net, -1);
    const idleRate = (i1 - i0) / ((performance.now() - ti0) / 1000);
    say(`idle: ${i1 - i0} blocks in ${IDLE_S} s = ${idleRate.toFixed(2)} blocks/s`);

    // ---- 2. flood
    const flooded = net.clients[FLOODED];
    const cpu0 = threadCpu(net.pid(FLOODED));
    const others0 = net.clients.map((_, i) => (i === FLOODED ? undefined : threadCpu(net.pid(i))));
    const opts = { url: flooded.url, chainId, seconds: FLOOD_S, connections: CONNECTIONS, deepBodies: 2, slowBodies: 20, gapLoops: 4, gapAccounts: 500 };
    const gen = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'rpc-flood.ts'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let genOut = '';
    gen.stdout.on('data', (d) => (genOut += d));
    const genDone = new Promise<void>((r) => gen.once('exit', () => r()));
    await sleep(1500); // the generator signs its gap transactions first
    const f0 = await othersMax(net, FLOODED);
    const tf0 = performance.now();
    let maxLag = 0;
    let samples = 0;
    let lagSum = 0;
    const lagPoll = async () => {
      while (performance.now() - tf0 < FLOOD_S * 1000 - 1500) {
        const [others, direct, heard] = await Promise.all([othersMax(net, FLOODED), heightOf(flooded), seenByPeers(net, FLOODED)]);
        const mine = Math.max(direct ?? 0, heard ?? 0);
        const lag = Math.max(0, others - mine);
        maxLag = Math.max(maxLag, lag);
        lagSum += lag;
        samples++;
        await sleep(250);
      }
    };
    await lagPoll();
    const f1 = await othersMax(net, FLOODED);
    const floodSecs = (performance.now() - tf0) / 1000;
    const floodRate = (f1 - f0) / floodSecs;
    await genDone;
    const cpu = diff(cpu0, threadCpu(net.pid(FLOODED)));
    const othersCpu = others0.map((c, i) => (c ? diff(c, threadCpu(net.pid(i))) : undefined)).filter(Boolean) as ReturnType<typeof diff>[];
    const load = genOut.trim() ? JSON.parse(genOut.trim().split('\n').pop()!) : { perSecond: 0, answered: 0, counts: {}, statuses: {} };
    const afterFlood = await heightOf(flooded);
    say(`flood: ${f1 - f0} blocks in ${floodSecs.toFixed(1)} s = ${floodRate.toFixed(2)} blocks/s (${((floodRate / idleRate) * 100).toFixed(0)}% of idle)`);
    say(`  RPC of validator ${FLOODED} answered ${load.answered} requests (${load.perSecond}/s): ${JSON.stringify(load.counts)}; statuses ${JSON.stringify(load.statuses)}`);
    say(`  validator ${FLOODED} lag: max ${maxLag} blocks, mean ${(lagSum / Math.max(1, samples)).toFixed(2)} over ${samples} samples; at the end at ${afterFlood} vs ${await othersMax(net, FLOODED)}`);
    say(`  where the time goes (CPU s over the flood): validator ${FLOODED} consensus thread ${cpu.main.toFixed(1)}, RPC worker ${cpu.rpc.toFixed(1)}, other threads (GC, I/O) ${cpu.other.toFixed(1)}; other validators' main threads ${othersCpu.map((c) => c.main.toFixed(1)).join(', ')}; 2 cores = ${(2 * floodSecs).toFixed(0)} CPU s`);

    // ---- 3. catch-up
    const before = await heightOf(net.clients[STOPPED]);
    await net.kill9(STOPPED);
    say(`catch-up: validator ${STOPPED} killed at height ${before}; restarting in ${STOP_S} s`);
    await sleep(STOP_S * 1000);
    const tipAtRestart = await othersMax(net, STOPPED);
    const logBefore = net.log(STOPPED).length;
    const tr0 = performance.now();
    net.start(STOPPED);
    let upAt = 0;
    let caughtAt = 0;
    for (;;) {
      const h = await heightOf(net.clients[STOPPED]);
      if (h !== undefined && !upAt) upAt = performance.now();
      if (h !== undefined && h >= (await othersMax(net, STOPPED)) - 1) {
        caughtAt = performance.now();
        break;
      }
      if (performance.now() - tr0 > 120_000) break;
      await sleep(100);
    }
    const catchupSecs = caughtAt ? (caughtAt - tr0) / 1000 : Infinity;
    const syncLines = net
      .log(STOPPED)
      .slice(logBefore)
      .split('\n')
      .filter((l) => l.includes('block sync: caught up'))
      .map((l) => JSON.parse(l) as { applied: number; seconds: number; blocksPerS: number });
    const applied = syncLines.reduce((a, l) => a + l.applied, 0);
    const syncSecs = syncLines.reduce((a, l) => a + l.seconds, 0);
    const syncRate = syncSecs > 0 ? applied / syncSecs : 0;
    say(`  behind by ${tipAtRestart - (before ?? 0)} blocks at restart; RPC up after ${((upAt - tr0) / 1000).toFixed(1)} s; within one block of the tip after ${catchupSecs.toFixed(1)} s`);
    say(`  where the time goes: process start ${((upAt - tr0) / 1000).toFixed(1)} s, block sync ${applied} blocks in ${syncSecs.toFixed(2)} s (${syncRate.toFixed(0)} blocks/s) over ${syncLines.length} session(s)`);

    const figures = {
      bench: 'rpc-load',
      blocks_per_s_idle: Number(idleRate.toFixed(2)),
      blocks_per_s_flood: Number(floodRate.toFixed(2)),
      max_lag_blocks: maxLag,
      catchup_blocks_per_s: Math.round(syncRate),
      rpc_requests_per_s: load.perSecond,
      catchup_seconds: Number(catchupSecs.toFixed(1)),
    };
    const misses: string[] = [];
    if (floodRate < TARGET_FLOOD_RATIO * idleRate) misses.push(`flood block rate ${(floodRate / idleRate).toFixed(2)} of idle < ${TARGET_FLOOD_RATIO}`);
    if (maxLag > TARGET_MAX_LAG) misses.push(`max lag ${maxLag} > ${TARGET_MAX_LAG}`);
    if (catchupSecs > TARGET_CATCHUP_S) misses.push(`catch-up ${catchupSecs.toFixed(1)} s > ${TARGET_CATCHUP_S} s`);
    say(misses.length ? `targets missed: ${misses.join('; ')}` : 'targets met: flood >= 80% of idle block rate, lag <= 2 blocks, back at the tip within 10 s');
    say(JSON.stringify(figures));
  } catch (e) {
    code = 1;
    process.stderr.write(`bench failed: ${(e as Error).stack}\n`);
  } finally {
    await net.destroy();
  }
  process.exit(code);
}

void main();
