/**
 * npm run bench:packets — verified packets/s accepted by a 4-validator hub (separate processes on
 * loopback) from relay transactions that carry batches of packets with proofs.
 *
 * Setup: a 1-validator side-chain (its own process) registered on the hub and the hub on it, by
 * governance, as in test/e2e/interchain-multiprocess.test.ts. The side-chain commits N packets
 * (msg/send, 1000 per transaction) addressed to the hub itself: the hub verifies each proof
 * against its client of the side-chain and delivers the packet to its `msg` app (receipt, inbox,
 * ack, status), the same verification a forwarded packet gets. One clients/update moves the hub's
 * client to the side-chain height the proofs are taken at; every proof is fetched before the clock
 * starts, so proof fetching is not measured.
 *
 * Measured: relay transactions of B packets each (B = the most that fits MAX_TX_BYTES), signed by
 * distinct relayer accounts, spread over the 4 hub nodes, at most INFLIGHT submitted and not yet
 * committed; packets/s = packets whose `packet/recv/result` is `ok` / (last commit - first
 * submission); latency = per transaction, submission -> commit (block event at node0). Prints what
 * it did, where the time goes, and one JSON line last.
 *
 * INFLIGHT bounds the block: the proposer takes everything pending. 6 relay transactions (~900
 * packets, ~1.3 MiB) execute within the first round's timeouts here; full 4 MiB blocks (~2800
 * packets, INFLIGHT >= 19) do not, so most heights take several rounds and every validator
 * executes a new block each round (measured 130 packets/s at INFLIGHT=32 against ~500-770 at 6).
 *
 * Knobs (env): BENCH_PACKETS (20000), BENCH_PACKETS_BATCH (largest that fits a transaction),
 * BENCH_PACKETS_INFLIGHT (relay transactions in flight, 6), BENCH_PACKETS_PROOF (compact | json),
 * BENCH_PACKETS_BUDGET_S (75: submitting stops then; 30 s more to commit), BENCH_PACKETS_PROPOSE_MS (1000).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { merkleRootFromProof } from '../../hub-chain/crypto/merkle.ts';
import { batchProofs } from '../../relayers/paths/batch-proofs.ts';
import { keccakReady } from '../../hub-chain/crypto/hash.ts';
import { type AccountKey, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { MAX_TX_BYTES, type Msg, type SignedTx, decodeTx, encodeTx, signTx, txHash, verifyTxSignature } from '../../hub-chain/app/tx.ts';
import type { BlockEvent } from '../../hub-chain/rpc-client/client.ts';
import { type Packet, channelId, encodeBatchValue, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { toStateProof } from '../../hub-chain/light-clients/pontis/state-proofs.ts';
import { type StateProof, encodeProof, verifyMembership } from '../../hub-chain/state/proof.ts';
import { clientUpdate, recvBatch } from '../../relayers/paths/pontis/path.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { addressFromPublicKey, validatorPublicKey } from '../../hub-chain/crypto/secp256k1.ts';
import { headerHash } from '../../hub-chain/types/header.ts';
import { VoteType, signVote } from '../../hub-chain/types/vote.ts';
import { Testnet } from '../e2e/harness.ts';
import { cpuSeconds } from './cpu.ts';
import { SharedClock, TestChain, connect } from '../support/coordinator.ts';
import { registerPontisChain as register } from '../support/register-chain.ts';

const VALIDATORS = 4;
const HUB = 'pontis-hub-1';
const SIDE = 'bench-side';
const PACKETS = Number(process.env.BENCH_PACKETS ?? 20_000);
const SENDS_PER_TX = 1000;
const INFLIGHT = Number(process.env.BENCH_PACKETS_INFLIGHT ?? 6);
/** batch: each packet proven by its side-chain block's batch (ADR 0017; one shared state proof, a Merkle path each), as the relayer does; compact / json: a state proof of its own key. */
const PROOF_FORM = (process.env.BENCH_PACKETS_PROOF ?? 'batch') as 'batch' | 'compact' | 'json';
const RELAYERS = 64;
/** Submitting stops after this long; what was submitted then gets GRACE_MS more to commit. */
const BUDGET_MS = Number(process.env.BENCH_PACKETS_BUDGET_S ?? 75) * 1000;
const GRACE_MS = 30_000;
const PROVE_CONCURRENCY = 32;
const MAX_BLOCK_BYTES = 4 * 1024 * 1024; // genesis params default (the harness does not change it)
const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};
const median = (xs: number[]) => pct(xs, 50);

/** Runs `fn` over `items` with at most `n` at once. */
async function pool<T, R>(items: T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

interface ChainLine {
  msg: string;
  ms: number;
  height: number;
  round?: number;
  txs?: number;
}

/** Debug lines of the chain module in a node log (built / validated proposal, persisted block) for `heights`. */
function chainLines(log: string, heights: Set<number>): ChainLine[] {
  const out: ChainLine[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"mod":"chain"')) continue;
    try {
      const j = JSON.parse(line) as ChainLine;
      if (heights.has(j.height)) out.push(j);
    } catch {
      // a partial line at the end of the file
    }
  }
  return out;
}


/**
 * The same work without processes, transport or consensus: an in-process hub and side-chain (the
 * node's Chain on LMDB, test/support/coordinator.ts), `n` packets relayed in transactions of
 * `batch`, all in one hub block. Returns the hub's CPU time per packet to execute that block
 * (what the proposer and every validator do) and to persist it; signatures were checked on entry
 * to the mempool, as in a node.
 */
async function inProcessBlock(n: number, batch: number): Promise<{ execUs: number; persistUs: number; ok: number }> {
  await keccakReady; // a validator waits for it too
  const clock = new SharedClock();
  const hub = new TestChain(clock, { chainId: HUB });
  const side = new TestChain(clock, { chainId: SIDE, hubChainId: HUB });
  try {
    await hub.makeBlock();
    await side.makeBlock();
    await connect(hub, side);
    await connect(side, hub);
    const events: { height: number; packet: Packet }[] = [];
    for (let i = 0; i < n; i += SENDS_PER_TX) {
      const msgs: Msg[] = Array.from({ length: Math.min(SENDS_PER_TX, n - i) }, (_, j) => ({ type: 'msg/send', dstChain: HUB, payload: toHex(utf8(`pkt ${i + j}`)), timeoutTimestamp: clock.now() + 3600_000 }));
      const r = await side.exec(msgs, generateAccountKey());
      const at = side.chain.latestHeight();
      for (const e of r.events) if (e.type === 'packet/sent') events.push({ height: at, packet: JSON.parse(e.attributes.packet) as Packet });
    }
    await side.makeBlock();
    const h = side.chain.latestHeight();
    await hub.exec([(await clientUpdate(side, hub, h))!]);
    for (let i = 0; i < events.length; i += batch) {
      const chunk = events.slice(i, i + batch);
      const msg: Msg =
        PROOF_FORM === 'batch'
          ? (await recvBatch(side, hub, chunk, h))!
          : { type: 'packets/recv', proofHeight: h, packets: chunk.map(({ packet: p }) => ({ packet: p, proof: toHex(encodeProof(side.chain.state.getWithProof(packetKeys.outbound(channelId(p), p.sequence), h).proof)) })) };
      hub.chain.mempool.add(decodeTx(encodeTx(signTx({ chainId: HUB, nonce: 0, msgs: [msg] }, generateAccountKey()))));
    }
    const c0 = process.cpuUsage();
    const height = hub.chain.latestHeight() + 1;
    clock.advance(1000);
    const block = await hub.chain.createBlock({ height, round: 0, proposer: hub.chain.validatorSet(height).proposer(0).address, time: clock.now(), lastCommit: hub.chain.stored(height - 1)?.commit ?? null, evidence: [] });
    const c1 = process.cpuUsage(c0);
    // commit it the way TestChain.makeBlock does (its one validator signs)
    const hash = headerHash(block.header);
    const k = hub.keys[0];
    const v = signVote(HUB, { type: VoteType.Precommit, height, round: 0, blockHash: hash }, k, addressFromPublicKey(validatorPublicKey(k)));
    const c2 = process.cpuUsage();
    await hub.chain.commitBlock(block, { height, round: 0, blockHash: hash, signatures: [{ validator: v.validator, signature: v.signature }] });
    const c3 = process.cpuUsage(c2);
    const ok = hub.chain.stored(height)!.results.flatMap((r) => r.events).filter((e) => e.type === 'packet/recv/result' && e.attributes.result === 'ok').length;
    return { execUs: (c1.user + c1.system) / Math.max(1, ok), persistUs: (c3.user + c3.system) / Math.max(1, ok), ok };
  } finally {
    await hub.close();
    await side.close();
  }
}

async function main() {
  const tStart = performance.now();
  say(`bench:packets: ${VALIDATORS}-validator hub ${HUB} and a 1-validator side-chain ${SIDE}, separate processes on loopback; ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} at start`);
  const consensus = { commitMs: 100, proposeMs: Number(process.env.BENCH_PACKETS_PROPOSE_MS ?? 1000), prevoteMs: 500, precommitMs: 500 };
  const hub = await Testnet.create(VALIDATORS, { chainId: HUB, logLevel: 'debug', consensus });
  const side = await Testnet.create(1, { chainId: SIDE, hubChainId: HUB, logLevel: 'warn', consensus });
  await Promise.all([hub.startAll(), side.startAll()]);
  try {
    await Promise.all([hub, side].map((n) => n.clients[0].waitForHeight(2, 60_000)));
    await register(hub, side, SIDE);
    await register(side, hub, HUB);
    say(`registered ${SIDE} on the hub and the hub on ${SIDE} by governance (pontis light clients, routes *)`);

    // ---- 1. the side-chain commits N packets addressed to the hub ----
    const timeoutTimestamp = Date.now() + 3600_000;
    const senders = Array.from({ length: Math.ceil(PACKETS / SENDS_PER_TX) }, generateAccountKey);
    const sendTxs = senders.map((k, i) => {
      const n = Math.min(SENDS_PER_TX, PACKETS - i * SENDS_PER_TX);
      const msgs: Msg[] = Array.from({ length: n }, (_, j) => ({ type: 'msg/send', dstChain: HUB, payload: toHex(utf8(`pkt ${i * SENDS_PER_TX + j}`)), timeoutTimestamp }));
      return signTx({ chainId: SIDE, nonce: 0, msgs }, k);
    });
    let t = performance.now();
    const sc = side.clients[0];
    const sub = await sc.submitBatch(sendTxs);
    const refused = sub.results.filter((r) => 'error' in r);
    if (refused.length) throw new Error(`side-chain refused ${refused.length} send transactions: ${JSON.stringify(refused[0])}`);
    const packets: Packet[] = [];
    let sentHeight = 0;
    const sentAt = new Map<Packet, number>();
    for (const r of sub.results) {
      const c = await sc.waitForTx((r as { hash: string }).hash, 120_000);
      if (c.result.code !== 'ok') throw new Error(`send transaction failed: ${c.result.code} ${c.result.log ?? ''}`);
      for (const e of c.result.events) {
        if (e.type !== 'packet/sent') continue;
        const p = JSON.parse(e.attributes.packet) as Packet;
        packets.push(p);
        sentAt.set(p, c.height);
      }
      sentHeight = Math.max(sentHeight, c.height);
    }
    say(`side-chain committed ${packets.length} packets (${sendTxs.length} transactions of up to ${SENDS_PER_TX} msg/send) by height ${sentHeight} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // ---- 2. one clients/update: the hub's client of the side-chain at the proof height ----
    const relayer0 = generateAccountKey();
    const sideEp = new RpcEndpoint(SIDE, side.rpcUrls[0]);
    const hubEp = new RpcEndpoint(HUB, hub.rpcUrls[0], relayer0);
    const proofHeight = await sideEp.latestHeight();
    const upd = await clientUpdate(sideEp, hubEp, proofHeight);
    if (upd) {
      const r = await hubEp.submit([upd]);
      if (r.code !== 'ok') throw new Error(`clients/update failed: ${r.code} ${r.log ?? ''}`);
    }
    const root = (await sc.block(proofHeight)).header.stateRoot;
    say(`hub's client of ${SIDE} updated to height ${proofHeight} (one clients/update transaction)`);

    // ---- 3. every proof, fetched before the clock starts ----
    t = performance.now();
    const items = await pool(packets, PROVE_CONCURRENCY, async (p) => {
      const key = packetKeys.outbound(channelId(p), p.sequence);
      const r = await sc.state<StateProof>({ hex: toHex(key) }, { height: proofHeight, prove: true });
      if (r.value === null) throw new Error(`no commitment for ${channelId(p)}/${p.sequence} at ${proofHeight}`);
      return { packet: p, json: r.proof! };
    });
    const proveSecs = (performance.now() - t) / 1000;
    const itemOf = (x: (typeof items)[number]) => ({ packet: x.packet, proof: PROOF_FORM === 'compact' ? toHex(encodeProof(x.json)) : x.json });
    // batch form: one state proof per side-chain block (shared by the relay transactions that carry its packets) and a Merkle path per packet
    const blockBatches = new Map<number, NonNullable<Awaited<ReturnType<typeof batchProofs>>>>();
    const batchItem = new Map<Packet, { block: number; index: number; path: string }>();
    if (PROOF_FORM === 'batch') {
      const byBlock = new Map<number, Packet[]>();
      for (const p of packets) byBlock.set(sentAt.get(p)!, [...(byBlock.get(sentAt.get(p)!) ?? []), p]);
      for (const [h, ps] of byBlock) {
        const proven = await batchProofs(sideEp, HUB, h, proofHeight, ps);
        if (!proven) throw new Error(`no batch of ${SIDE} block ${h} for ${HUB}`);
        blockBatches.set(h, proven);
        ps.forEach((p, i) => batchItem.set(p, { block: h, index: proven.paths[i].index, path: proven.paths[i].path }));
      }
    }
    type RelayItem = { packet: Packet; proof: unknown };
    const relayItems: RelayItem[] = PROOF_FORM === 'batch' ? packets.map((p) => ({ packet: p, proof: { batch: { $shared: 0 }, index: batchItem.get(p)!.index, path: batchItem.get(p)!.path } })) : items.map(itemOf);
    /** The packets/recv message of a slice of relayItems (batch form: its own `shared` list). */
    const recvMsg = (slice: RelayItem[]): Msg => {
      if (PROOF_FORM !== 'batch') return { type: 'packets/recv', proofHeight, packets: slice };
      const shared: unknown[] = [];
      const at = new Map<number, number>();
      const out = slice.map((x) => {
        const b = batchItem.get(x.packet)!;
        if (!at.has(b.block)) {
          at.set(b.block, shared.length);
          shared.push(blockBatches.get(b.block)!.batch);
        }
        return { packet: x.packet, proof: { batch: { $shared: at.get(b.block)! }, index: b.index, path: b.path } };
      });
      return { type: 'packets/recv', proofHeight, packets: out, shared };
    };
    const itemBytes = relayItems.map((x) => JSON.stringify(x).length);
    const jsonProofBytes = median(items.map((x) => JSON.stringify(x.json).length));
    const compactProofBytes = median(items.map((x) => toHex(encodeProof(x.json)).length));
    const depth = median(items.map((x) => x.json.siblings.length));
    say(`fetched ${items.length} membership proofs at height ${proofHeight} in ${proveSecs.toFixed(1)} s (${PROVE_CONCURRENCY} concurrent GET /state?prove=true); median depth ${depth}`);

    // ---- 4. relay transactions of B packets: as many as fit MAX_TX_BYTES, unless told ----
    // room for the shared batch parts (a state proof each) of the few blocks a transaction spans
    const sharedRoom = PROOF_FORM === 'batch' ? 4 * Math.max(...[...blockBatches.values()].map((b) => JSON.stringify(b.batch).length)) : 0;
    const fit = Math.floor((MAX_TX_BYTES - 1024 - sharedRoom) / (Math.max(...itemBytes) + 1));
    const BATCH = Math.min(Number(process.env.BENCH_PACKETS_BATCH ?? fit), 5000);
    const relayers = Array.from({ length: RELAYERS }, generateAccountKey);
    const relayTxs: SignedTx[] = [];
    for (let i = 0, n = 0; i < relayItems.length; i += BATCH, n++) {
      relayTxs.push(signTx({ chainId: HUB, nonce: Math.floor(n / RELAYERS), msgs: [recvMsg(relayItems.slice(i, i + BATCH))] }, relayers[n % RELAYERS]));
    }
    const relayBytes = relayTxs.map((x) => encodeTx(x));
    const hashes = relayBytes.map((b) => txHash(b));
    const txKiB = median(relayBytes.map((b) => b.length)) / 1024;
    const packetBytes = median(items.map((x) => JSON.stringify(x.packet).length));
    const batchPathBytes = PROOF_FORM === 'batch' ? median(relayItems.map((x) => JSON.stringify(x.proof).length)) : 0;
    say(`relay items: median ${Math.round(median(itemBytes))} bytes of JSON per packet (packet ${packetBytes} bytes + proof in ${PROOF_FORM} form ${PROOF_FORM === 'batch' ? `${batchPathBytes} bytes (a Merkle path; plus one shared state proof per side-chain block: ${blockBatches.size} blocks)` : `${PROOF_FORM === 'compact' ? compactProofBytes : jsonProofBytes} bytes`}; own-key proofs would be compact ${compactProofBytes}, JSON ${jsonProofBytes})`);
    say(`batch size B = ${BATCH} packets per relay transaction${process.env.BENCH_PACKETS_BATCH ? '' : ` (the most that fits MAX_TX_BYTES = ${MAX_TX_BYTES / 1024} KiB)`}: ${relayTxs.length} relay transactions of ~${txKiB.toFixed(0)} KiB from ${Math.min(RELAYERS, relayTxs.length)} relayer accounts`);

    // ---- where the time goes, per packet, measured in this process (CPU time, so other load on the machine counts less) ----
    const cpuUs = (fn: () => void): number => {
      const c = process.cpuUsage();
      fn();
      const d = process.cpuUsage(c);
      return d.user + d.system;
    };
    const sampleTx = relayBytes[0];
    const sampleN = Math.min(BATCH, relayItems.length); // packets in the first relay transaction
    const REP = 5;
    let decoded = decodeTx(sampleTx);
    const decodeUs = cpuUs(() => {
      for (let i = 0; i < REP; i++) decoded = decodeTx(sampleTx);
    }) / REP / sampleN;
    const sigUs = cpuUs(() => {
      for (let i = 0; i < REP; i++) verifyTxSignature(decoded);
    }) / REP / sampleN;
    const sample = relayItems.slice(0, Math.min(4000, relayItems.length));
    let commitments: Uint8Array[] = [];
    const commitUs = cpuUs(() => {
      commitments = sample.map((x) => packetCommitment(x.packet));
    }) / sample.length;
    const verifyUs =
      PROOF_FORM === 'batch'
        ? cpuUs(() => {
            // a Merkle path per packet, and each block's batch state proof once (amortised over the sample)
            sample.forEach((x, i) => {
              const b = batchItem.get(x.packet)!;
              const path = fromHex(b.path as Hex);
              const siblings = Array.from({ length: path.length / 32 }, (_, k) => path.subarray(32 * k, 32 * k + 32));
              merkleRootFromProof(commitments[i], { index: b.index, total: blockBatches.get(b.block)!.batch.count, siblings });
            });
            for (const b of new Set(sample.map((x) => batchItem.get(x.packet)!.block))) {
              const { batch: bb } = blockBatches.get(b)!;
              verifyMembership(root, packetKeys.batch(HUB, bb.height), encodeBatchValue(fromHex(bb.root), bb.count), toStateProof(bb.proof));
            }
          }) / sample.length
        : cpuUs(() => {
            sample.forEach((x, i) => verifyMembership(root, packetKeys.outbound(channelId(x.packet), x.packet.sequence), commitments[i], toStateProof(x.proof)));
          }) / sample.length;

    const ref = await inProcessBlock(INFLIGHT * BATCH, BATCH);

    // ---- 5. the measured run ----
    const submitAt = new Map<string, number>();
    const commitAt = new Map<string, number>();
    const ours = new Set(hashes);
    const blocks: BlockEvent[] = [];
    let inflight = 0;
    let wake: () => void = () => {};
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const unsub = hub.clients[0].subscribeBlocks((b: BlockEvent) => {
      const now = performance.now();
      let mine = 0;
      for (const h of b.txHashes) {
        if (ours.has(h) && !commitAt.has(h)) {
          commitAt.set(h, now);
          inflight--;
          mine++;
        }
      }
      if (mine) blocks.push(b);
      wake();
      if (commitAt.size === relayTxs.length) resolveDone();
    });
    await sleep(300);
    // the harness keeps its child processes private; their pids let us read their CPU time from /proc
    const pids = (hub as unknown as { procs: ({ pid: number } | undefined)[] }).procs.map((p) => p?.pid ?? 0);
    const cpu0 = pids.map(cpuSeconds);
    const selfCpu0 = process.cpuUsage();
    say(`submitting: ${relayTxs.length} relay transactions, one per POST /txs, round-robin over the ${VALIDATORS} hub nodes, at most ${INFLIGHT} in flight (submitted, not yet committed), so a block holds at most ~${INFLIGHT * BATCH} packets`);
    const tRun = performance.now();
    const submitErrors: string[] = [];
    let submitted = 0;
    for (let i = 0; i < relayTxs.length; i++) {
      while (inflight >= INFLIGHT && performance.now() - tRun < BUDGET_MS) await Promise.race([new Promise<void>((r) => (wake = r)), sleep(500)]);
      if (performance.now() - tRun >= BUDGET_MS) break; // out of time: measure what was submitted
      inflight++;
      submitted++;
      submitAt.set(hashes[i], performance.now());
      hub.clients[i % VALIDATORS].submit(relayTxs[i]).catch((e) => {
        submitErrors.push(String(e));
        inflight--;
      });
    }
    // the submitted ones get until the budget plus a grace period to commit
    while (commitAt.size + submitErrors.length < submitted && performance.now() - tRun < BUDGET_MS + GRACE_MS) await Promise.race([done, sleep(200)]);
    unsub();
    const selfCpu = process.cpuUsage(selfCpu0);
    const cpu1 = pids.map(cpuSeconds);
    if (submitErrors.length) say(`${submitErrors.length} submissions failed, first: ${submitErrors[0]}`);
    if (submitted < relayTxs.length || commitAt.size < submitted) say(`time budget (${BUDGET_MS / 1000} s to submit, ${GRACE_MS / 1000} s more to commit) ran out: ${submitted} of ${relayTxs.length} relay transactions submitted, ${commitAt.size} committed; the figures below are for what committed`);
    // all submitted committed: the run ends at the last commit; otherwise it ends now (the rest was still in flight)
    const tLast = commitAt.size === submitted ? Math.max(...commitAt.values()) : performance.now();
    const secs = (tLast - tRun) / 1000;
    const lat = [...commitAt.entries()].map(([h, c]) => c - submitAt.get(h)!);

    // ---- 6. count accepted packets from the committed blocks' per-item results ----
    const results = new Map<string, number>();
    let txFailed = 0;
    const heights = [...new Set(blocks.map((b) => b.height))].sort((a, b) => a - b);
    for (const h of heights) {
      const b = await hub.clients[0].block(h);
      for (const x of b.txs) {
        if (!ours.has(x.hash)) continue;
        if (x.result.code !== 'ok') txFailed++;
        for (const e of x.result.events) if (e.type === 'packet/recv/result') results.set(e.attributes.result, (results.get(e.attributes.result) ?? 0) + 1);
      }
    }
    const accepted = results.get('ok') ?? 0;
    const packetsPerS = accepted / secs;
    const perBlock = blocks.map((b) => b.txs);
    const intervals = blocks.slice(1).map((b, i) => b.time - blocks[i].time);

    // ---- report ----
    say('');
    say(`accepted ${accepted} of ${relayItems.length} packets (per-item results: ${[...results.entries()].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; failed transactions ${txFailed}) in ${commitAt.size}/${relayTxs.length} relay transactions`);
    say(`  from first submission to last commit (or the end of the time budget): ${secs.toFixed(2)} s over ${heights.length} blocks (heights ${heights[0]}..${heights[heights.length - 1]}), ${median(perBlock)} relay transactions (~${median(perBlock) * BATCH} packets) per block, block interval p50 ${median(intervals)} ms`);
    say(`verified packets/s: ${packetsPerS.toFixed(0)}; relay transaction latency submission -> commit p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms`);

    // what the validators logged for the measured heights: every execution of a proposal (one per
    // round that got a proposal: a new round means a new block time, so a new execution) and the LMDB commit
    const lines = hub.homes.flatMap((_, i) => chainLines(hub.log(i), new Set(heights)));
    const execs = lines.filter((l) => (l.msg === 'built proposal' || l.msg === 'validated proposal') && (l.txs ?? 0) > 0);
    const execUsPerPacket = execs.map((l) => (l.ms * 1000) / ((l.txs ?? 1) * BATCH));
    const persists = lines.filter((l) => l.msg === 'persisted block');
    const persistMsTotal = persists.reduce((a, l) => a + l.ms, 0);
    const roundsAt = new Map<number, number>();
    for (const l of lines) if (l.round !== undefined) roundsAt.set(l.height, Math.max(roundsAt.get(l.height) ?? 0, l.round + 1));
    const multiRound = [...roundsAt.values()].filter((r) => r > 1).length;
    const hubCpu = cpu1.map((c, i) => c - cpu0[i]);
    const hubCpuTotal = hubCpu.reduce((a, b) => a + b, 0);
    const selfCpuS = (selfCpu.user + selfCpu.system) / 1e6;
    const inProcUs = decodeUs + sigUs + commitUs + verifyUs;
    const cpuPerPacketUs = (hubCpuTotal * 1e6) / Math.max(1, accepted);
    const execMs = median(execs.map((l) => l.ms));
    const execUs = median(execUsPerPacket);
    const persistMs = median(persists.map((l) => l.ms));
    const perBlockPackets = median(perBlock) * BATCH;
    const machineShare = (hubCpuTotal + selfCpuS) / (secs * cpus().length);
    say('');
    say('where the time goes:');
    say(`  per packet, CPU time in this process: relay tx decode (JSON parse, schema, canonical check, sha256) ${decodeUs.toFixed(1)} us + its ed25519 signature ${sigUs.toFixed(1)} us + keccak packet commitment ${commitUs.toFixed(1)} us + ${PROOF_FORM === 'batch' ? 'batch path + the block batch\'s SMT proof amortised' : `SMT membership proof (${PROOF_FORM} form decoded, depth ${depth})`} ${verifyUs.toFixed(1)} us = ${inProcUs.toFixed(0)} us,`);
    say(`    i.e. ~${(1e6 / inProcUs).toFixed(0)} packets/s per core for verification alone, and each of the ${VALIDATORS} validators repeats all of it`);
    say(`  in the validators (their chain debug log, for the ${heights.length} measured heights): executing a block of ~${perBlockPackets} packets (packets keeper: client and consensus-state reads, proof, commitment, receipt/ack/inbox tree writes, the status index record; then the state root) p50 ${execMs} ms = ${execUs.toFixed(0)} us per packet, wall time on shared cores;`);
    say(`    ${execs.length} executions for ${heights.length} blocks (${VALIDATORS} per block when every height decides in its first round); ${multiRound} of ${heights.length} heights needed more than one round: a proposal not executed and voted on within the round's timeouts is replaced by a new block that every validator executes again`);
    say(`  persisting a block (state tree commit, block, results into LMDB): p50 ${persistMs} ms, ${((persistMsTotal * 1000) / Math.max(1, accepted * VALIDATORS)).toFixed(0)} us per packet per validator`);
    say(`  CPU during the run: validators ${hubCpu.map((c) => c.toFixed(1)).join(' + ')} = ${hubCpuTotal.toFixed(1)} s, this load generator ${selfCpuS.toFixed(1)} s, in ${secs.toFixed(1)} s on ${cpus().length} cores (${(machineShare * 100).toFixed(0)}% of the machine; load average now ${loadavg()[0].toFixed(1)}, other work on the machine included)`);
    const blockWorkUs = ref.execUs + ref.persistUs;
    const eachUs = cpuPerPacketUs / VALIDATORS;
    say(`    = ${cpuPerPacketUs.toFixed(0)} us of validator CPU per accepted packet, ${eachUs.toFixed(0)} us in each validator`);
    say(`  the same block in-process (an in-process hub on LMDB, no transport, no consensus; ${ref.ok} packets in one block): execute ${ref.execUs.toFixed(0)} us CPU per packet + persist ${ref.persistUs.toFixed(0)} us = ${blockWorkUs.toFixed(0)} us;`);
    say(`    so of the ${eachUs.toFixed(0)} us a validator spends per packet, ~${Math.min(100, (blockWorkUs / eachUs) * 100).toFixed(0)}% is executing and persisting the block once and ~${Math.max(0, 100 - (blockWorkUs / eachUs) * 100).toFixed(0)}% is around it: POST /txs (JSON body, decode, signature), tx gossip (every peer decodes and verifies again),`);
    say('    the proposal to every peer (a binary frame with the transactions attached; re-sent by the heartbeat when the chain stalls), consensus votes (secp256k1 recovery), GC');
    say(`  block size: maxBlockBytes ${(MAX_BLOCK_BYTES / 1024 / 1024).toFixed(0)} MiB holds ${Math.floor(MAX_BLOCK_BYTES / (txKiB * 1024))} relay transactions of ~${txKiB.toFixed(0)} KiB (~${Math.floor(MAX_BLOCK_BYTES / (txKiB * 1024)) * BATCH} packets); maxBlockGas 20000 would allow ~${Math.floor(20_000 / (BATCH + 1)) * BATCH}; MAX_TX_BYTES limits B to ${fit}`);
    const TARGET = 10_000;
    say('');
    const serialMs = 2 * execMs + persistMs;
    say(`what limited it: blocks of ~${perBlockPackets} packets every ${median(intervals)} ms (p50) = ${((perBlockPackets * 1000) / Math.max(1, median(intervals))).toFixed(0)} packets/s. A height runs the block's execution twice in a row (the proposer builds it, ~${execMs} ms; the others then check it, again ~${execMs} ms, in parallel on the shared cores)`);
    say(`  and then persists it (~${persistMs} ms): ~${serialMs} ms of the ${median(intervals)} ms interval, the rest is sending the ~${((perBlockPackets / BATCH) * txKiB / 1024).toFixed(1)} MiB proposal, the votes and the 100 ms commit wait. Blocks cannot simply grow: once their execution no longer fits the`);
    say(`  ${process.env.BENCH_PACKETS_PROPOSE_MS ?? 1000} ms propose timeout (${multiRound ? `${multiRound} of ${heights.length} heights here` : 'none here; see BENCH_PACKETS_INFLIGHT=32'}), heights need more rounds and every round's new block is executed again by every validator. CPU: the validators' ${cpuPerPacketUs.toFixed(0)} us per packet would bound ${cpus().length} fully busy cores at ~${((cpus().length * 1e6) / cpuPerPacketUs).toFixed(0)} packets/s`);
    if (packetsPerS >= TARGET) say(`target ${TARGET} verified packets/s: met (${packetsPerS.toFixed(0)})`);
    else say(`target ${TARGET} verified packets/s: missed by ${(TARGET - packetsPerS).toFixed(0)} (${((packetsPerS / TARGET) * 100).toFixed(1)}% of it): at ${VALIDATORS} validators on ${cpus().length} cores it needs <= ${((cpus().length * 1e6) / TARGET).toFixed(0)} us of validator CPU per packet in all, ${(cpuPerPacketUs / ((cpus().length * 1e6) / TARGET)).toFixed(0)}x less than measured`);
    say(`whole benchmark took ${((performance.now() - tStart) / 1000).toFixed(0)} s`);

    const out = {
      bench: 'packets',
      validators: VALIDATORS,
      packets_per_s: Math.round(packetsPerS),
      latency_ms_p50: Math.round(pct(lat, 50)),
      latency_ms_p99: Math.round(pct(lat, 99)),
      packets: relayItems.length,
      accepted,
      batch_size: BATCH,
      relay_txs: relayTxs.length,
      inflight: INFLIGHT,
      proof_form: PROOF_FORM,
      bytes_per_packet: Math.round(median(itemBytes)),
      blocks: heights.length,
      seconds: Number(secs.toFixed(2)),
      verify_us_per_packet: Number(inProcUs.toFixed(1)),
      exec_us_per_packet: Math.round(execUs),
      inproc_exec_us_per_packet: Math.round(ref.execUs),
      inproc_persist_us_per_packet: Math.round(ref.persistUs),
      validator_cpu_us_per_packet: Math.round(cpuPerPacketUs),
      multi_round_heights: multiRound,
    };
    say(JSON.stringify(out));
  } finally {
    await Promise.all([hub.destroy(), side.destroy()]);
  }
}

await main();
