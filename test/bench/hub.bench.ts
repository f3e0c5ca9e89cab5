/**
 * npm run bench:hub — a 4-validator hub (separate processes on loopback) under a stream of signed
 * transactions. Phase 1: small transactions (one record write each) for transactions/s. Phase 2:
 * transactions of 100 writes each for state writes/s. Prints what it did, where the time goes,
 * and one JSON line of figures at the end.
 */
import { performance } from 'node:perf_hooks';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type AccountKey, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { decodeTx, encodeTx, signTx, type SignedTx, verifyTxSignature } from '../../hub-chain/app/tx.ts';
import type { BlockEvent } from '../../hub-chain/rpc-client/client.ts';
import { Testnet } from '../e2e/harness.ts';

const VALIDATORS = 4;
const SMALL_TXS = Number(process.env.BENCH_HUB_TXS ?? 20_000);
const BIG_TXS = Number(process.env.BENCH_HUB_BIG_TXS ?? 1_000);
const WRITES_PER_BIG_TX = 100;
const ACCOUNTS = 200;
const BATCH = 500;
const say = (s: string) => process.stdout.write(s + '\n');

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};

function makeTxs(chainId: string, accounts: AccountKey[], count: number, writes: number, tag: string, nonces: Map<string, number>): SignedTx[] {
  const txs: SignedTx[] = [];
  for (let i = 0; i < count; i++) {
    const a = accounts[i % accounts.length];
    const nonce = nonces.get(a.address) ?? 0;
    nonces.set(a.address, nonce + 1);
    const entries = Array.from({ length: writes }, (_, w) => ({ key: toHex(utf8(`${tag}-${i}-${w}`)), value: toHex(utf8(`v${i}`)) }));
    txs.push(signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries }] }, a));
  }
  return txs;
}

async function runPhase(net: Testnet, txs: SignedTx[], label: string) {
  const submitAt = new Map<string, number>();
  const commitAt = new Map<string, number>();
  const blockTimes: number[] = [];
  const hashes = txs.map((t) => decodeTx(encodeTx(t)).hash);
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const unsub = net.clients[0].subscribeBlocks((b: BlockEvent) => {
    const now = performance.now();
    blockTimes.push(b.time);
    for (const h of b.txHashes) if (submitAt.has(h) && !commitAt.has(h)) commitAt.set(h, now);
    if (commitAt.size === txs.length) resolveDone();
  });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < txs.length; i += BATCH) {
    const batch = txs.slice(i, i + BATCH);
    const client = net.clients[(i / BATCH) % VALIDATORS];
    const at = performance.now();
    batch.forEach((_, j) => submitAt.set(hashes[i + j], at));
    inflight.push(
      client.submitBatch(batch).then((r) => {
        const bad = r.results.filter((x) => 'error' in x);
        if (bad.length) throw new Error(`${bad.length} transactions refused, first: ${JSON.stringify(bad[0])}`);
      }),
    );
    if (inflight.length >= 8) await inflight.shift();
  }
  await Promise.all(inflight);
  const submitted = performance.now();
  const timeout = setTimeout(() => resolveDone(), 180_000);
  await done;
  clearTimeout(timeout);
  unsub();
  const t1 = Math.max(...commitAt.values());
  const lat = [...commitAt.entries()].map(([h, t]) => t - submitAt.get(h)!);
  const intervals = blockTimes.slice(1).map((t, i) => t - blockTimes[i]);
  const secs = (t1 - t0) / 1000;
  say(`${label}: ${commitAt.size}/${txs.length} committed in ${secs.toFixed(2)} s (submission took ${((submitted - t0) / 1000).toFixed(2)} s) over ${blockTimes.length} blocks`);
  return { committed: commitAt.size, secs, lat, intervals };
}

async function main() {
  say(`bench:hub: starting ${VALIDATORS} validator processes on loopback (LMDB on disk, secp256k1 commits, ed25519 transactions)`);
  const net = await Testnet.create(VALIDATORS, { logLevel: 'warn', consensus: { commitMs: 100, proposeMs: 1000, prevoteMs: 500, precommitMs: 500 } });
  await net.startAll();
  try {
    await net.clients[0].waitForHeight(2, 60_000);
    const chainId = (await net.clients[0].status()).chainId;
    const accounts = Array.from({ length: ACCOUNTS }, generateAccountKey);
    const nonces = new Map<string, number>();
    say(`signing ${SMALL_TXS} one-write transactions and ${BIG_TXS} transactions of ${WRITES_PER_BIG_TX} writes from ${ACCOUNTS} accounts...`);
    const small = makeTxs(chainId, accounts, SMALL_TXS, 1, 's', nonces);
    const big = makeTxs(chainId, accounts, BIG_TXS, WRITES_PER_BIG_TX, 'b', nonces);

    // Where the time goes: the per-transaction work every validator repeats, measured on one core here.
    const sample = small.slice(0, 2000).map((t) => encodeTx(t));
    let t = performance.now();
    const decoded = sample.map((b) => decodeTx(b));
    const decodeUs = ((performance.now() - t) * 1000) / sample.length;
    t = performance.now();
    for (const d of decoded) verifyTxSignature(d);
    const verifyUs = ((performance.now() - t) * 1000) / decoded.length;

    say(`phase 1: ${SMALL_TXS} transactions, batches of ${BATCH} per request spread over the ${VALIDATORS} nodes`);
    const p1 = await runPhase(net, small, 'phase 1');
    say(`phase 2: ${BIG_TXS} transactions x ${WRITES_PER_BIG_TX} writes`);
    const p2 = await runPhase(net, big, 'phase 2');

    const txPerS = p1.committed / p1.secs;
    const writesPerS = (p2.committed * WRITES_PER_BIG_TX) / p2.secs;
    const allIntervals = [...p1.intervals, ...p2.intervals];
    const perTxCpuUs = decodeUs + verifyUs;
    say('');
    say(`committed transactions/s: ${txPerS.toFixed(0)}; committed state writes/s (100 per tx): ${writesPerS.toFixed(0)}`);
    say(`block interval p50 ${pct(allIntervals, 50)} ms; commit latency p50 ${pct(p1.lat, 50).toFixed(0)} ms, p99 ${pct(p1.lat, 99).toFixed(0)} ms (phase 1, submit -> block event at node0)`);
    say(`where the time goes: every validator decodes (${decodeUs.toFixed(1)} us) and verifies the ed25519 signature (${verifyUs.toFixed(1)} us) of every transaction once;`);
    say(`  at ${txPerS.toFixed(0)} tx/s that is ${(((perTxCpuUs * txPerS * VALIDATORS) / 1e6) * 100).toFixed(0)}% of one core across ${VALIDATORS} validators, on a machine with 2 cores shared by validators and this load generator;`);
    say('  the rest is gossip and proposals (binary frames), execution, state-tree hashing and the LMDB commit per block.');
    const out = {
      bench: 'hub',
      validators: VALIDATORS,
      tx_count: SMALL_TXS,
      batch_size: BATCH,
      tx_per_s: Math.round(txPerS),
      writes_per_s: Math.round(writesPerS),
      block_interval_ms_p50: pct(allIntervals, 50),
      commit_latency_ms_p50: Math.round(pct(p1.lat, 50)),
      commit_latency_ms_p99: Math.round(pct(p1.lat, 99)),
    };
    say(JSON.stringify(out));
  } finally {
    await net.destroy();
  }
}

await main();
