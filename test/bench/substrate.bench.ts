/**
 * npm run bench:substrate — packets Substrate -> hub: remarked on a real runtime, attested, proven
 * and received by the hub.
 *
 * Setup: chopsticks running the asset-hub runtime (devnet/chopsticks.ts) building a block every
 * second (steady cadence; its clock started an hour behind, as the devnet's), a hub of
 * PONTIS_BENCH_VALIDATORS (2) validator processes whose `substrate` observers vote every block
 * (stride 1; chopsticks' headers carry no state root, so each observer computes it from the
 * block's whole storage), `sub-1` registered on the hub by governance with LANES writer accounts
 * (//Alice, //Bob, ...). The destination is the hub itself: packets go to its `msg` app, which
 * records the receipt, the inbox entry and the ack (as bench:packets), so what is measured is the
 * Substrate leg, not a second hop.
 *
 * Load: each lane (one writer, its own channel `sub-1/bench-<k>/pontis-hub-1/msg`) takes, every
 * TICK_MS, the packets due at PONTIS_BENCH_RATE/LANES a second, numbers them, and remarks them in
 * remarks of at most PONTIS_BENCH_PER_REMARK packets (`sentPairs` + `remarkBatch`: the bytes
 * `sendFromSubstrate` writes, which waits for each remark's block before the next; here remarks
 * are pipelined, each tracked to its block on its own), for PONTIS_BENCH_SECONDS.
 *
 * Remark size was the main knob while the hub's client checked each packet against its remark by
 * hashing and decoding the whole remark payload once per packet on every validator (~30 ns a byte
 * of its remark: ~3 ms in a 96 KiB remark of ~180 packets, measured under load); it now checks a
 * remark once per relay message (the remark is the message's shared part) and looks each packet's
 * pairs up in it. A relaying loop in this process (the relayer's SubstratePathHandlers:
 * scan writer remarks up to the hub client's height, prove each remark's System.Events, submit)
 * runs all along.
 *
 * Latency of a packet = from the start of its remark's send to the hub block holding its receipt
 * seen at node 0 (a block event); split into remark (send -> in a block, seen by the writer),
 * attest (-> the hub's client holds that block, polled every 100 ms) and relay (-> received on the
 * hub). packets/s = packets received / (last receipt - first send). Prints what it did and where
 * the time goes (chopsticks' block building, observers, proof sizes, hub transactions), then one
 * JSON line.
 *
 * Measured here (2 cores shared with other engineers' suites; 30 s of load), far from the targets
 * (>= 200 packets/s, p50 < 6 s): 4 validators, 400/s offered, 100 a remark, one delivery at a time,
 * load 0.9 -> 6: 19 packets/s, p50 187 s (the hub: ~18 ms of validator CPU a packet, a third of it
 * the observers' full-state roots); 2 validators, 250/s, 50 a remark: 99 packets/s, p50 17 s
 * (remark 15 s: chopsticks builds a block in ~1.4 s and tracks each remark's inclusion slowly;
 * relay 6 s). Where the time goes, per Substrate block on chopsticks: a block 0.4-1.5 s, each
 * validator's observer reads the whole state (the 600 KB runtime code included) and hashes it
 * (~0.1-0.2 s), the relayer builds the System.Events proof from the whole state too (0.15-0.35 s);
 * per packet on each validator, before the client checked a remark once per message: it hashed and
 * decoded its whole remark (0.25 ms + ~25 ns a remark byte: 0.35 ms at 10 a remark, 1.8 ms at 100).
 *
 * What chopsticks charges is per extrinsic, not per byte (measured on an idle machine, 2026-12-06):
 * accepting a signed remark into its pool (validate_transaction) ~170 ms, applying it in a block
 * ~80 ms more, whether the remark holds 1 KB, 35 KB or 90 KB. So the gateway batches: one lane
 * remarking what is due every tick, up to 180 packets a remark (~70 KiB at 250/s), is two
 * extrinsics a second. With two lanes of at most 100 a remark (~66 packets, 35 KiB each) it was
 * four, and chopsticks fell behind: 79-88 packets/s, p50 53-58 s, remarks waiting 21-27 s for a
 * block. One lane of 180: 202-226 packets/s, p50 4.9-7.8 s (4 or 8 deliveries in flight); then
 * with the reader keeping each block's events, remarks and state for the proofs of the same round
 * (the scan and the proof read each twice): 217-221 packets/s, p50 4.0-4.8 s, relay stage 1.0-1.4 s.
 *
 * Knobs (env): PONTIS_BENCH_RATE (250), PONTIS_BENCH_SECONDS (30), PONTIS_BENCH_LANES (1),
 * PONTIS_BENCH_PER_REMARK (180), PONTIS_BENCH_CONCURRENCY (8 deliveries in flight),
 * PONTIS_BENCH_VALIDATORS (2, as bench:relay), PONTIS_BENCH_BLOCK_MS (1000), PONTIS_BENCH_DRAIN_S (90).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { type Hex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import { paths } from '../../hub-chain/node/config.ts';
import { type Packet, packetId } from '../../hub-chain/modules/packets/types.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { SubstrateReader } from '../../adapters/substrate/reader.ts';
import { SubstrateWriter } from '../../adapters/substrate/writer.ts';
import { MAX_REMARK_BYTES, sentPairs } from '../../adapters/substrate/packets.ts';
import { clientHeight } from '../../relayers/paths/pontis/path.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { substrateEndpoint } from '../../relayers/paths/substrate/endpoint.ts';
import { SubstratePathHandlers } from '../../relayers/paths/substrate/handlers.ts';
import type { PacketEvent } from '../../relayers/paths/types.ts';
import { Testnet } from '../e2e/harness.ts';
import { startChopsticks } from '../support/chopsticks.ts';
import { registerSubstrateChain } from '../support/register-chain.ts';
import { cpuSeconds } from './cpu.ts';

const HUB = 'pontis-hub-1';
const SUB = 'sub-1';
const env = process.env;
const RATE = Number(env.PONTIS_BENCH_RATE ?? 250);
const SECONDS = Number(env.PONTIS_BENCH_SECONDS ?? 30);
const LANES = Number(env.PONTIS_BENCH_LANES ?? 1);
const PER_REMARK = Number(env.PONTIS_BENCH_PER_REMARK ?? 180);
const TICK_MS = 500;
/** Deliveries to the hub in flight at once (the relayer's `tuning.concurrency`). */
const RELAY_CONCURRENCY = Number(env.PONTIS_BENCH_CONCURRENCY ?? 8);
const VALIDATORS = Number(env.PONTIS_BENCH_VALIDATORS ?? 2);
const BLOCK_MS = Number(env.PONTIS_BENCH_BLOCK_MS ?? 1000);
const DRAIN_MS = Number(env.PONTIS_BENCH_DRAIN_S ?? 90) * 1000;
const WRITERS = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'];
const TARGET_RATE = 200;
const TARGET_P50_MS = 6000;
const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const ms = (x: number) => Math.round(x);
const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

/** A reader that times the proofs it builds (chopsticks serves no state_getReadProof: the adapter builds them from the block's storage). */
class TimedReader extends SubstrateReader {
  proofMs: number[] = [];
  proofBytes: number[] = [];
  override async readProof(keys: string[], at: Parameters<SubstrateReader["readProof"]>[1]): ReturnType<SubstrateReader["readProof"]> {
    const t = performance.now();
    const r = await super.readProof(keys, at);
    this.proofMs.push(performance.now() - t);
    this.proofBytes.push(r.nodes.reduce((n, x) => n + (x.length - 2) / 2, 0));
    return r;
  }
}

/** The hub endpoint, timing each relay transaction from submission to its commit and recording its size. */
class TimedHub extends RpcEndpoint {
  txs: { ms: number; bytes: number; packets: number; remarks: number }[] = [];
  /** Packet id -> the hub height that received it (each transaction's own `packets/recv/result` events). */
  received = new Map<string, number>();
  override async submit(msgs: Msg[]) {
    const t = performance.now();
    const r = await super.submit(msgs);
    const items = msgs.reduce((n, m) => n + ((m as { packets?: unknown[] }).packets?.length ?? 0), 0);
    this.txs.push({ ms: performance.now() - t, bytes: JSON.stringify(msgs).length, packets: items, remarks: msgs.length });
    for (const e of r.events ?? []) if (e.type === 'packet/recv/result' && e.attributes.result === 'ok') this.received.set(e.attributes.id, r.height);
    return r;
  }
}

async function main(): Promise<void> {
  await cryptoWaitReady();
  const load0 = loadavg();
  say(`bench:substrate — ${RATE} packets/s offered for ${SECONDS} s over ${LANES} writer lane(s), chopsticks block every ${BLOCK_MS} ms, ${VALIDATORS} hub validators; ${cpus().length} cores, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const lanes = WRITERS.slice(0, LANES).map((uri) => keyring.addFromUri(uri));
  if (lanes.length < LANES) throw new Error(`at most ${WRITERS.length} lanes`);

  const t0 = performance.now();
  // chopsticks and the hub come up side by side
  const [chop, hub] = await Promise.all([
    startChopsticks({ blockTimeMs: BLOCK_MS, steady: true, clockBehindMs: 3_600_000, maxLeadMs: 3_000_000 }),
    Testnet.create(VALIDATORS, { chainId: HUB }),
  ]);
  const readers: SubstrateReader[] = [];
  const writers: SubstrateWriter[] = [];
  try {
    for (const home of hub.homes) {
      const f = paths(home).config;
      const cfg = JSON.parse(readFileSync(f, 'utf8'));
      cfg.observers = [{ chainId: SUB, kind: 'substrate', rpc: chop.httpUrl, intervalMs: 200, stride: 1 }];
      writeFileSync(f, JSON.stringify(cfg, null, 2));
    }
    await hub.startAll();
    await hub.clients[0].waitForHeight(2, 60_000);
    const reg = await registerSubstrateChain(hub, chop.httpUrl, SUB, lanes.map((p) => u8aToHex(p.publicKey)), { clientParams: { trustingPeriodMs: 7 * 24 * 3600_000, maxClockDriftMs: 3_600_000 } });
    say(`setup ${((performance.now() - t0) / 1000).toFixed(1)} s: chopsticks (PID ${chop.pid}) and ${VALIDATORS} validators up, ${SUB} registered from block ${reg.height} with ${LANES} writer(s)`);

    const reader = new TimedReader({ url: chop.url, chainId: SUB, timeoutMs: 60_000 });
    readers.push(reader);
    // one hub signer per delivery in flight (a key's transactions go one at a time: its nonce)
    const slots = Array.from({ length: RELAY_CONCURRENCY }, () => {
      const ep = new TimedHub(HUB, hub.rpcUrls[0], generateAccountKey());
      return { ep, handlers: new SubstratePathHandlers(ep, new Map([[SUB, substrateEndpoint(SUB, [reader])]])), busy: false };
    });
    const handlers = slots[0].handlers;
    const receivedAt = (id: string) => slots.find((x) => x.ep.received.has(id))?.ep.received.get(id);
    const hubReader = new RpcEndpoint(HUB, hub.clients[0]);

    // hub block times (node 0's block events) and when the hub's client first held each Substrate height
    const blockSeen = new Map<number, number>();
    const unsub = hub.clients[0].subscribeBlocks((b) => blockSeen.set(b.height, performance.now()));
    const attestedAt = new Map<number, number>();
    let stop = false;
    let attested = reg.height;
    const polling = (async () => {
      while (!stop) {
        try {
          const h = await clientHeight(hubReader, SUB);
          for (let x = attested + 1; x <= h; x++) attestedAt.set(x, performance.now());
          attested = Math.max(attested, h);
        } catch {
          // a node busy for a moment
        }
        await sleep(100);
      }
    })();

    // per packet: send start, remark block, remark in hand, hub height
    const sentAt = new Map<string, { send: number; included: number; height: number }>();
    const relayErrors: string[] = [];
    const scanMs: number[] = [];
    let cursor = reg.height;
    // the relayer's workers keep several deliveries in flight (tuning.concurrency); so does this loop:
    // each scanned range is one delivery, and a range that failed is delivered again
    const inFlight = new Set<Promise<void>>();
    const deliver = (found: PacketEvent[]): void => {
      const slot = slots.find((x) => !x.busy);
      if (!slot) {
        setTimeout(() => deliver(found), 200);
        return;
      }
      slot.busy = true;
      const p: Promise<void> = slot.handlers.relayPackets(SUB, HUB, found).then(
        () => undefined,
        (e: unknown) => {
          relayErrors.push((e as { code?: string }).code ?? (e as Error).message);
          if (!stop) setTimeout(() => deliver(found), 500);
        },
      );
      inFlight.add(p);
      void p.finally(() => {
        slot.busy = false;
        inFlight.delete(p);
      });
    };
    const relaying = (async () => {
      while (!stop) {
        try {
          const tip = await handlers.scanTip(SUB, HUB);
          if (tip > cursor && slots.some((x) => !x.busy)) {
            const t = performance.now();
            const blocks = await handlers.scanBlocks(SUB, HUB, cursor, tip);
            scanMs.push(performance.now() - t);
            const found = blocks.flatMap((b) => b.packets);
            if (found.length) deliver(found);
            cursor = tip;
          }
        } catch (e) {
          relayErrors.push((e as { code?: string }).code ?? (e as Error).message);
        }
        await sleep(100);
      }
      await Promise.allSettled([...inFlight]);
    })();

    // the load
    const perPacketBytes: number[] = [];
    const remarkSizes: number[] = [];
    const remarkMs: number[] = [];
    const notMined: string[] = [];
    const start = performance.now();
    const laneRuns = lanes.map(async (pair, k) => {
      const w = new SubstrateWriter({ url: chop.url, chainId: SUB, signer: pair, inclusionTimeoutMs: 60_000, timeoutMs: 60_000 });
      writers.push(w);
      let next = 1; // the lane's channel sequence (unordered: a packet sent again keeps its own)
      let generated = 0;
      const retry: Packet[] = [];
      const inFlight: Promise<void>[] = [];
      const from = toHex(pair.publicKey);
      // every TICK_MS, what is due goes out at once, without waiting for what is still on its way in:
      // the writer's nonces keep the remarks in order, and each is tracked to its block on its own
      while (performance.now() - start < SECONDS * 1000) {
        await sleep(TICK_MS);
        const due = Math.floor(((performance.now() - start) / 1000) * (RATE / LANES)) - generated;
        const packets: Packet[] = retry.splice(0);
        for (let i = 0; i < due; i++) {
          packets.push({
            srcChain: SUB,
            srcApp: `bench-${k}`,
            dstChain: HUB,
            dstApp: 'msg',
            sequence: next++,
            ordered: false,
            payload: toHex(utf8(JSON.stringify({ from, data: toHex(utf8(`packet ${generated + i} of lane ${k}`)) }))),
            timeoutHeight: 0,
            timeoutTimestamp: 0,
          });
        }
        generated += Math.max(0, due);
        for (let i = 0; i < packets.length; i += PER_REMARK) {
          const chunk = packets.slice(i, i + PER_REMARK);
          const t = performance.now();
          inFlight.push(
            w.remarkBatch(sentPairs(chunk)).then(
              (r) => {
                const done = performance.now();
                remarkMs.push(done - t);
                remarkSizes.push((r.payload.length - 2) / 2);
                perPacketBytes.push((r.payload.length - 2) / 2 / chunk.length);
                for (const p of chunk) sentAt.set(packetId(p), { send: sentAt.get(packetId(p))?.send ?? t, included: done, height: r.height });
              },
              (e: unknown) => {
                // not seen included in time, or chopsticks too busy to answer: sent again (a remark that did land
                // is then written twice; the hub takes a packet once)
                if (!(e instanceof PontisError && e.retryable)) throw e;
                notMined.push(e.code);
                for (const p of chunk) if (!sentAt.has(packetId(p))) retry.push(p);
              },
            ),
          );
        }
      }
      await Promise.all(inFlight);
      if (retry.length) notMined.push(`${retry.length} packets of lane ${k} never landed`);
    });
    await Promise.all(laneRuns);
    const sendEnd = performance.now();
    say(`sent ${sentAt.size} packets in ${((sendEnd - start) / 1000).toFixed(1)} s (${remarkSizes.length} remarks, ${notMined.length} not seen included in time and sent again${notMined.length ? `: ${[...new Set(notMined)].join(', ')}` : ''}); draining...`);
    const drainUntil = performance.now() + DRAIN_MS;
    while (performance.now() < drainUntil && [...sentAt.keys()].some((id) => receivedAt(id) === undefined)) await sleep(250);
    stop = true;
    await Promise.all([relaying, polling]);
    unsub();
    const load1 = loadavg();

    // ---- results
    const lat: number[] = [];
    const stRemark: number[] = [];
    const stAttest: number[] = [];
    const stRelay: number[] = [];
    let last = 0;
    for (const [id, s] of sentAt) {
      const h = receivedAt(id);
      if (h === undefined) continue;
      const seen = blockSeen.get(h) ?? performance.now();
      const att = attestedAt.get(s.height) ?? s.included;
      lat.push(seen - s.send);
      stRemark.push(s.included - s.send);
      stAttest.push(Math.max(0, att - s.included));
      stRelay.push(Math.max(0, seen - Math.max(att, s.included)));
      last = Math.max(last, seen);
    }
    const received = lat.length;
    const rate = received && last > start ? received / ((last - start) / 1000) : 0;
    const blocks = chop.blockStats();
    const chopCpu = cpuSeconds(chop.pid);
    const valCpu = hub.homes.map((_, i) => cpuSeconds(hub.pid(i)));
    const selfCpu = process.cpuUsage();
    const wall = (performance.now() - start) / 1000;
    const txs = slots.flatMap((x) => x.ep.txs);

    say(`received on the hub: ${received} of ${sentAt.size} packets; ${rate.toFixed(0)} packets/s (first send -> last receipt), latency p50 ${ms(pct(lat, 50))} ms, p99 ${ms(pct(lat, 99))} ms`);
    say(`where the time goes (per packet, p50): remark in a block ${ms(pct(stRemark, 50))} ms, the hub's client holding that block ${ms(pct(stAttest, 50))} ms later, received on the hub ${ms(pct(stRelay, 50))} ms after that`);
    say(`  chopsticks: ${blocks.built} blocks built, ${ms(blocks.buildMs / Math.max(1, blocks.built))} ms each on average (dev_newBlock; ${blocks.skipped} skipped for the clock's lead), ${chopCpu.toFixed(1)} CPU s over ${wall.toFixed(0)} s (${((100 * chopCpu) / wall).toFixed(0)}% of a core) incl. the observers' full-state reads`);
    say(`  remarks: ${remarkSizes.length}, ${kb(mean(remarkSizes))} on average (cap ${kb(MAX_REMARK_BYTES)}: ~${ms(MAX_REMARK_BYTES / (mean(perPacketBytes) || 1))} packets at ${ms(mean(perPacketBytes))} bytes a packet; here at most ${PER_REMARK} a remark), send -> in a block seen by the writer ${ms(pct(remarkMs, 50))} ms p50`);
    say(`  relayer (this process): scans ${ms(pct(scanMs, 50))} ms p50; System.Events proofs ${reader.proofMs.length}, built from the block's storage in ${ms(pct(reader.proofMs, 50))} ms p50, ${kb(mean(reader.proofBytes))} each`);
    say(`  hub: ${txs.length} relay transactions of ${(mean(txs.map((t) => t.packets)) || 0).toFixed(0)} packets / ${(mean(txs.map((t) => t.remarks)) || 0).toFixed(1)} remarks / ${kb(mean(txs.map((t) => t.bytes)))} on average, submission -> commit ${ms(pct(txs.map((t) => t.ms), 50))} ms p50, ${ms(pct(txs.map((t) => t.ms), 99))} ms p99`);
    say(`  hub validators' CPU (observers' votes, relay verification, consensus): ${valCpu.map((c) => c.toFixed(1)).join(' / ')} s; this process ${((selfCpu.user + selfCpu.system) / 1e6).toFixed(1)} s`);
    if (relayErrors.length) say(`  relay loop retried ${relayErrors.length} time(s): ${[...new Set(relayErrors)].slice(0, 4).join(', ')}`);
    say(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at end (the machine is shared)`);
    say(`targets: >= ${TARGET_RATE} packets/s ${rate >= TARGET_RATE ? 'met' : 'NOT met'}, p50 < ${TARGET_P50_MS} ms ${pct(lat, 50) < TARGET_P50_MS && received ? 'met' : 'NOT met'}`);
    say(
      JSON.stringify({
        bench: 'substrate',
        packets_per_s: Math.round(rate),
        latency_ms_p50: ms(pct(lat, 50)),
        latency_ms_p99: ms(pct(lat, 99)),
        received,
        sent: sentAt.size,
        offered_per_s: RATE,
        seconds: SECONDS,
        lanes: LANES,
        validators: VALIDATORS,
        stage_remark_ms_p50: ms(pct(stRemark, 50)),
        stage_attest_ms_p50: ms(pct(stAttest, 50)),
        stage_relay_ms_p50: ms(pct(stRelay, 50)),
        chopsticks_block_ms_mean: ms(blocks.buildMs / Math.max(1, blocks.built)),
        chopsticks_blocks: blocks.built,
        chopsticks_cpu_s: Number(chopCpu.toFixed(1)),
        remarks: remarkSizes.length,
        remark_bytes_mean: ms(mean(remarkSizes)),
        proof_ms_p50: ms(pct(reader.proofMs, 50)),
        proof_bytes_mean: ms(mean(reader.proofBytes)),
        hub_txs: txs.length,
        hub_tx_bytes_mean: ms(mean(txs.map((t) => t.bytes))),
        hub_tx_commit_ms_p50: ms(pct(txs.map((t) => t.ms), 50)),
        loadavg_start: Number(load0[0].toFixed(2)),
        loadavg_end: Number(load1[0].toFixed(2)),
      }),
    );
  } finally {
    await Promise.allSettled([...writers, ...readers].map((w) => w.close()));
    await hub.destroy();
    await chop.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench:substrate failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
