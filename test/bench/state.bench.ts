/**
 * State tree throughput: preload keys, then commit blocks of mixed writes (updates, inserts,
 * deletes) through a working state into LMDB with pruning on, committing the way the node does
 * (commitInTxn inside env.transactionSync), then measure proof size and verification speed.
 * Run: node --import tsx test/bench/state.bench.ts [preloadKeys] [writesPerBlock] [blocks] [retainVersions]
 * Prints what it did in words, then one JSON line. Wall-clock figures: on a shared machine they
 * move with the load of other processes, so the CPU time of the block is printed next to them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { decodeProof, encodeProof, verifyMembership, verifyNonMembership } from '../../hub-chain/state/proof.ts';
import { StateStore } from '../../hub-chain/state/store.ts';

const PRELOAD = Number(process.argv[2] ?? 200_000);
const WRITES = Number(process.argv[3] ?? 20_000);
const BLOCKS = Number(process.argv[4] ?? 10);
const RETAIN = Number(process.argv[5] ?? 8);

let seed = 0x5eed;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const key = (i: number): Buffer => Buffer.from(`acct/${i.toString(16).padStart(8, '0')}/balance`);
// Values are slices of one random pool, so making them costs the bench almost nothing.
const pool = randomBytes(1 << 20);
function value(): Buffer {
  const len = 32 + Math.floor(rand() * 64);
  const at = Math.floor(rand() * (pool.length - len));
  return pool.subarray(at, at + len);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'pontis-state-bench-'));
const env = open({ path: dir, maxDbs: 12 });
const store = StateStore.open(env, { retainVersions: RETAIN });
const say = (s: string): void => void process.stdout.write(s + '\n');

try {
  let next = 0;
  const live: number[] = [];
  let version = 0;
  const t0 = performance.now();
  while (next < PRELOAD) {
    const ws = store.working();
    const end = Math.min(PRELOAD, next + WRITES);
    for (; next < end; next++) {
      ws.set(key(next), value());
      live.push(next);
    }
    await store.commit(ws, ++version);
  }
  say(`preloaded ${PRELOAD} keys in ${version} blocks of up to ${WRITES} inserts: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const rootMs: number[] = [];
  const commitMs: number[] = [];
  const blockMs: number[] = [];
  const cpuMs: number[] = [];
  let writes = 0;
  let totalMs = 0;
  // Warm-up blocks (not timed) until pruning deletes what updates replaced: the steady state of a long-running node.
  const warmup = RETAIN + 2;
  for (let b = 0; b < warmup + BLOCKS; b++) {
    // the block's writes are drawn first, so only the state's own work is timed
    const ops: [Buffer, Buffer | undefined][] = [];
    for (let w = 0; w < WRITES; w++) {
      const r = rand();
      if (r < 0.8) ops.push([key(live[Math.floor(rand() * live.length)]), value()]);
      else if (r < 0.95) {
        ops.push([key(next), value()]);
        live.push(next++);
      } else {
        const at = Math.floor(rand() * live.length);
        ops.push([key(live[at]), undefined]);
        live[at] = live[live.length - 1];
        live.pop();
      }
    }
    const cpu0 = process.cpuUsage();
    const tb = performance.now();
    const ws = store.working();
    for (const [k, v] of ops) {
      if (v === undefined) ws.delete(k);
      else ws.set(k, v);
    }
    const tr = performance.now();
    ws.root();
    const tc = performance.now();
    const h = ++version;
    env.transactionSync(() => store.commitInTxn(ws, h));
    const te = performance.now();
    const cpu = process.cpuUsage(cpu0);
    if (b < warmup) continue;
    rootMs.push(tc - tr);
    commitMs.push(te - tc);
    blockMs.push(te - tb);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    totalMs += te - tb;
    writes += WRITES;
  }
  const totalS = totalMs / 1000;
  const writesPerS = Math.round(writes / totalS);
  say(
    `after ${warmup} warm-up blocks, committed ${BLOCKS} blocks of ${WRITES} writes (80% updates, 15% inserts, 5% deletes) on ${live.length} live keys, keeping ${RETAIN} versions: ` +
      `median block ${median(blockMs).toFixed(0)} ms wall, ${median(cpuMs).toFixed(0)} ms CPU (working-state writes, root ${median(rootMs).toFixed(0)} ms, ` +
      `LMDB commit with pruning ${median(commitMs).toFixed(0)} ms), ${writesPerS} writes/s`,
  );

  const root = store.root();
  const proofs: { k: Buffer; v: Buffer | undefined; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 2000; i++) {
    const present = i % 4 !== 0;
    const k = present ? key(live[Math.floor(rand() * live.length)]) : Buffer.from(`absent/${i}`);
    const { value: v, proof } = store.getWithProof(k, version);
    if ((v !== undefined) !== present) throw new Error('bench: proof lookup disagrees with the key set');
    proofs.push({ k, v: v === undefined ? undefined : Buffer.from(v), bytes: encodeProof(proof) });
  }
  const proofBytesAvg = Math.round(proofs.reduce((s, p) => s + p.bytes.length, 0) / proofs.length);
  const rounds = 5;
  const tv = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const p of proofs) {
      const proof = decodeProof(p.bytes);
      if (p.v !== undefined) verifyMembership(root, p.k, p.v, proof);
      else verifyNonMembership(root, p.k, proof);
    }
  }
  const verifyPerS = Math.round((rounds * proofs.length) / ((performance.now() - tv) / 1000));
  say(`proofs: ${proofs.length} (3/4 membership, 1/4 absence) average ${proofBytesAvg} bytes encoded; decode + verify ${verifyPerS}/s`);
  const counts = store.recordCounts();
  say(`LMDB records: ${counts.nodes} pages, ${counts.values} value records, ${counts.stale} stale lists, ${counts.roots} roots`);
  say(
    JSON.stringify({
      bench: 'state',
      keys: live.length,
      writes_per_block: WRITES,
      blocks: BLOCKS,
      writes_per_s: writesPerS,
      block_ms_median: Math.round(median(blockMs)),
      block_cpu_ms_median: Math.round(median(cpuMs)),
      root_ms_median: Math.round(median(rootMs)),
      commit_ms_median: Math.round(median(commitMs)),
      proof_bytes_avg: proofBytesAvg,
      proof_verify_per_s: verifyPerS,
    }),
  );
} finally {
  await env.close();
  rmSync(dir, { recursive: true, force: true });
}
