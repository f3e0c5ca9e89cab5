/**
 * npm run bench:sharing: government data requests answered end to end, and audit verification.
 *
 * Setup: a hub of PONTIS_BENCH_VALIDATORS (4) validator processes and two department chains,
 * dept-a (the source) and dept-b (the requester), one validator process each, registered both
 * ways, all three cutting idle blocks at most once a second (as the devnet runs them); `relayer start` worker processes (PONTIS_BENCH_WORKERS, 2) on a Redis of their own relay
 * both paths. The hub registers both departments; dept-a lists a dataset that needs consent with
 * one allow rule; dept-b registers a node key; N citizens each sign a grant, recorded before the
 * clock starts.
 *
 * Measured: dept-b sends N requests (transactions of PER_TX requests from several accounts at
 * once); each passes the hub's decision (policy + consent) and reaches dept-a; dept-a's agent
 * (in this process, the SDK's prepareAnswer: hub records proven at its client's height, decided
 * again, the record sealed to dept-b's node key) answers in transactions of ANSWERS_PER_TX; the
 * answer passes the hub's release check and lands on dept-b. requests/s = answers on dept-b /
 * (last answer - first request); latency = request committed on dept-b -> answer on dept-b. A
 * sample of answers is opened with the node key. Then `audit verify` runs against the hub from
 * its genesis (the real log), and the verifier alone is timed on a synthetic log of AUDIT_EVENTS
 * events: audit_events_verified_per_s.
 *
 * Knobs (env): PONTIS_BENCH_REQUESTS (2000), PONTIS_BENCH_PER_TX (100),
 * PONTIS_BENCH_ANSWERS_PER_TX (40), PONTIS_BENCH_DRAIN_S (240), PONTIS_BENCH_AUDIT_EVENTS (200000).
 */
import { performance } from 'node:perf_hooks';
import { type Bytes, type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type AccountKey, accountKeyFromSeed, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { generateEncryptionKey, generateSigningKey } from '../../hub-chain/crypto/sealed.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import { loadHome } from '../../hub-chain/node/config.ts';
import { MerkleTree, leafHash, logHashOf } from '../../hub-chain/modules/audit/merkle-log.ts';
import { verifyAuditLog } from '../../hub-chain/modules/audit/verify.ts';
import { type AgentReaders, openAnswer, prepareAnswer } from '../../hub-chain/modules/data-sharing/agent.ts';
import { decodeDataPayload } from '../../hub-chain/modules/data-sharing/types.ts';
import type { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { verifyAuditFromGenesis } from '../../hub-chain/rpc-client/audit.ts';
import { DataSharingClient, sendOk, signGrant } from '../../hub-chain/rpc-client/data.ts';
import { proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import type { RelayerConfigInput } from '../../relayers/config.ts';
import { IDLE_BLOCKS_CONSENSUS, Testnet } from '../e2e/harness.ts';
import { RelayerProcess, metricSum } from '../relayers/harness.ts';
import { freePort } from '../support/ports.ts';
import { RedisServer } from '../support/redis.ts';
import { registerPontisChain } from '../support/register-chain.ts';
import { cpuSeconds } from './cpu.ts';
import { quantile } from './evm.bench.ts';

const HUB = 'pontis-hub-1';
const env = process.env;
const VALIDATORS = Number(env.PONTIS_BENCH_VALIDATORS ?? 4);
const WORKERS = Number(env.PONTIS_BENCH_WORKERS ?? 2);
const REQUESTS = Number(env.PONTIS_BENCH_REQUESTS ?? 2000);
const PER_TX = Math.min(1000, Number(env.PONTIS_BENCH_PER_TX ?? 100));
const ANSWERS_PER_TX = Number(env.PONTIS_BENCH_ANSWERS_PER_TX ?? 40);
const SENDERS = 4;
const OPERATORS = 4;
const DRAIN_MS = Number(env.PONTIS_BENCH_DRAIN_S ?? 240) * 1000;
const AUDIT_EVENTS = Number(env.PONTIS_BENCH_AUDIT_EVENTS ?? 200_000);
const DATASET = 'household-registry';
const PURPOSE = 'benefit-eligibility';
const TARGET_RATE = 1000;
const TARGET_AUDIT = 50_000;
const POLL_MS = 100;
const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hub: Testnet | undefined;
let a: Testnet | undefined;
let b: Testnet | undefined;
let redis: RedisServer | undefined;
const relayers: RelayerProcess[] = [];

async function cleanup(): Promise<void> {
  await Promise.allSettled(relayers.map((r) => r.stop()));
  relayers.forEach((r) => r.cleanup());
  await Promise.allSettled([hub?.destroy(), a?.destroy(), b?.destroy(), redis?.stop()]);
}

/** Calls `f` with each new block's transactions' events, until stopped. */
function watchBlocks(c: HubClient, from: number, f: (events: { type: string; attributes: Record<string, string> }[]) => void): { stop: () => Promise<void> } {
  let on = true;
  let height = from;
  const done = (async () => {
    while (on) {
      const tip = (await c.status()).latestHeight;
      for (let h = height + 1; h <= tip; h++) for (const r of (await c.blockResults(h)).results) f(r.events);
      height = tip;
      await sleep(POLL_MS);
    }
  })();
  return {
    stop: async () => {
      on = false;
      await done;
    },
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  [hub, a, b, redis] = await Promise.all([Testnet.create(VALIDATORS, { chainId: HUB, consensus: IDLE_BLOCKS_CONSENSUS }), Testnet.create(1, { chainId: 'dept-a', hubChainId: HUB, consensus: IDLE_BLOCKS_CONSENSUS }), Testnet.create(1, { chainId: 'dept-b', hubChainId: HUB, consensus: IDLE_BLOCKS_CONSENSUS }), RedisServer.start()]);
  await Promise.all([hub, a, b].map((n) => n.startAll()));
  await Promise.all([hub, a, b].map((n) => n.clients[0].waitForHeight(2, 60_000)));
  for (const [s, id] of [[a, 'dept-a'], [b, 'dept-b']] as const) {
    await registerPontisChain(hub, s, id);
    await registerPontisChain(s, hub, HUB);
  }
  const relayerCfg = (apiPort: number): RelayerConfigInput => ({
    hub: { chainId: HUB, rpc: hub!.rpcUrls[0], signer: { env: 'RELAYER_KEY_HUB' } },
    chains: [
      { id: 'dept-a', kind: 'pontis', rpc: a!.rpcUrls[0], signer: { env: 'RELAYER_KEY_A' } },
      { id: 'dept-b', kind: 'pontis', rpc: b!.rpcUrls[0], signer: { env: 'RELAYER_KEY_B' } },
    ],
    paths: [
      { id: 'path-a', chain: 'dept-a', hub: HUB },
      { id: 'path-b', chain: 'dept-b', hub: HUB },
    ],
    redis: { url: redis!.url, prefix: 'sharing-bench' },
    tuning: { batchSize: 500, concurrency: 4, clearIntervalMs: 10_000, backoffMs: 200, maxAttempts: 60, lookbackBlocks: 400, scanIntervalMs: 100, lockMs: 10_000 },
    api: { host: '127.0.0.1', port: apiPort },
  });
  for (let i = 0; i < WORKERS; i++) {
    const r = new RelayerProcess(relayerCfg(await freePort()), {
      RELAYER_KEY_HUB: [generateAccountKey(), generateAccountKey()].map((k) => toHex(k.secretKey)).join(','),
      RELAYER_KEY_A: toHex(generateAccountKey().secretKey),
      RELAYER_KEY_B: toHex(generateAccountKey().secretKey),
    });
    relayers.push(r);
    await r.start();
  }

  // ---- the departments, the dataset, the node key, the citizens' grants ----
  const hubClient = hub.clients[0];
  const members = hub.homes.map((h) => accountKeyFromSeed(fromHex(loadHome(h).operatorKey!.seed, 32)));
  const opsA = Array.from({ length: OPERATORS }, () => generateAccountKey());
  const opB = generateAccountKey();
  for (const [chain, ops] of [['dept-a', opsA], ['dept-b', [opB]]] as const) {
    const r = await proposeAndPass(hubClient, members, { kind: 'data/register-department', chain, org: `${chain}-office`, operators: ops.map((k) => k.address), regulator: false });
    if (r.status !== 'executed') throw new Error(`registering department ${chain}: ${r.status}`);
  }
  const sharing = new DataSharingClient(hubClient);
  await sharing.catalogAdd(opsA[0], { id: DATASET, ownerChain: 'dept-a', dataClass: 'household', schemaHash: toHex(new Uint8Array(32).fill(1)), sensitivity: 'confidential', consentRequired: true });
  await sharing.setPolicy(opsA[0], { ownerChain: 'dept-a', dataset: DATASET, rules: [{ id: 'benefits', effect: 'allow', requester: 'dept-b', purposes: [PURPOSE], consentRequired: true, notBefore: 0, notAfter: 0, maxRecords: 1 }] });
  const node = generateEncryptionKey('intl');
  await sharing.registerNodeKey(opB, 'dept-b', 'node-1', node.publicKey);
  const citizens = Array.from({ length: REQUESTS }, () => generateSigningKey('intl'));
  const grants = citizens.map((c, i) => signGrant('intl', c.secretKey, { scope: `dataset:${DATASET}`, requester: 'dept-b', purpose: PURPOSE, expiresAt: Date.now() + 86_400_000, nonce: `b${i}` }));
  const carrier = generateAccountKey();
  for (let i = 0; i < grants.length; i += 500) await sendOk(hubClient, carrier, grants.slice(i, i + 500).map((g) => ({ type: 'data/consent-grant', grant: g.grant, signature: g.signature }) as Msg));
  const records = new Map(citizens.map((c, i) => [toHex(c.publicKey), utf8(JSON.stringify({ household: `H-${100_000 + i}`, members: 1 + (i % 6), district: 'Harbour' }))]));
  say(`setup (${((performance.now() - t0) / 1000).toFixed(1)} s): hub ${HUB} of ${VALIDATORS} validator processes, dept-a and dept-b (1 each), ${WORKERS} relayer processes; departments, dataset ${DATASET} (consent required), dept-b's node key and ${REQUESTS} citizens' grants recorded`);

  // ---- the source's agent: answers every request that arrives on dept-a ----
  const aClient = a.clients[0];
  const bClient = b.clients[0];
  const proofCache = new Map<string, Promise<{ value: Bytes | undefined; proof: unknown }>>();
  let hubProofCalls = 0;
  const readers = (hubHeight: number): AgentReaders => ({
    proveHub: (key, height) => {
      const k = `${height}/${toHex(key)}`;
      let p = proofCache.get(k);
      if (!p) {
        hubProofCalls++;
        p = hubClient.state({ hex: toHex(key) }, { height, prove: true }).then((r) => ({ value: r.value === null ? undefined : fromHex(r.value), proof: r.proof }));
        proofCache.set(k, p);
      }
      return p;
    },
    readSpoke: async (key) => {
      const r = await aClient.state({ hex: toHex(key) });
      return r.value === null ? undefined : fromHex(r.value);
    },
    hubClientHeight: async () => hubHeight,
    spokeTime: async () => Date.now(),
  });
  const arrived: string[] = [];
  const stage = { arrivedFirst: 0, arrivedLast: 0, answeredFirst: 0, answeredLast: 0 };
  const aWatch = watchBlocks(aClient, (await aClient.status()).latestHeight, (events) => {
    for (const e of events) {
      if (e.type !== 'packet/received' || !e.attributes.id.startsWith('dept-b/data/dept-a/data/')) continue;
      arrived.push(`dept-b:${e.attributes.id.split('/').pop()}`);
      stage.arrivedFirst ||= performance.now();
      stage.arrivedLast = performance.now();
    }
  });
  let agentOn = true;
  const agentStats = { answered: 0, prepareMs: 0, submitMs: 0, txs: 0, bytes: 0 };
  const agent = (async () => {
    let turn = 0;
    while (agentOn) {
      if (arrived.length === 0) {
        await sleep(POLL_MS);
        continue;
      }
      const batch = arrived.splice(0, ANSWERS_PER_TX * OPERATORS);
      const hubHeight = (await aClient.clientStatus(HUB)).record.latestHeight;
      const tp = performance.now();
      const msgs = await Promise.all(batch.map(async (requestId) => (await prepareAnswer({ profile: 'intl', chainId: 'dept-a', requestId, readers: readers(hubHeight), lookup: async (req) => records.get(req.request.subject) ?? { refused: 'PNT_ERR_DATA_NO_RECORD' } })).msg as unknown as Msg));
      agentStats.prepareMs += performance.now() - tp;
      const ts = performance.now();
      await Promise.all(
        Array.from({ length: Math.ceil(msgs.length / ANSWERS_PER_TX) }, (_, i) => {
          const part = msgs.slice(i * ANSWERS_PER_TX, (i + 1) * ANSWERS_PER_TX);
          agentStats.bytes += JSON.stringify(part).length;
          agentStats.txs++;
          return sendOk(aClient, opsA[(turn + i) % OPERATORS], part);
        }),
      );
      turn++;
      agentStats.submitMs += performance.now() - ts;
      stage.answeredFirst ||= performance.now();
      stage.answeredLast = performance.now();
      agentStats.answered += msgs.length;
    }
  })();

  // ---- dept-b: requests out, answers in ----
  const sentAt = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  const answers = new Map<string, { envelope: Hex; commitment: Hex }>();
  const bWatch = watchBlocks(bClient, (await bClient.status()).latestHeight, (events) => {
    for (const e of events) {
      if (e.type !== 'packet/received' || !e.attributes.id.startsWith('dept-a/data/dept-b/data/')) continue;
      const d = decodeDataPayload(JSON.parse(e.attributes.packet).payload);
      if (d.type === 'data/answer' && d.envelope && !answeredAt.has(d.requestId)) {
        answeredAt.set(d.requestId, performance.now());
        answers.set(d.requestId, { envelope: d.envelope as Hex, commitment: d.commitment as Hex });
      }
    }
  });
  const procs: [string, () => number | undefined][] = [
    ['bench process (dept-a agent, watchers)', () => process.pid],
    ...Array.from({ length: VALIDATORS }, (_, i) => [`hub validator ${i}`, () => hub!.pid(i)] as [string, () => number | undefined]),
    ['dept-a validator', () => a!.pid(0)],
    ['dept-b validator', () => b!.pid(0)],
    ...relayers.map((r, i) => [`relayer ${i}`, () => r.pid()] as [string, () => number | undefined]),
  ];
  // what the network costs doing nothing (blocks every ~200 ms on three chains, relayers scanning): the floor under every figure below
  const idle0 = procs.map(([, pid]) => cpuSeconds(pid()));
  await sleep(5000);
  const idle = procs.reduce((t, [, pid], i) => t + cpuSeconds(pid()) - idle0[i], 0) / 5;
  say(`idle network: ${Math.round(100 * idle)}% CPU (100% = one core) with no requests in flight`);
  const cpuBefore = procs.map(([, pid]) => cpuSeconds(pid()));
  const hubStart = (await hubClient.status()).latestHeight;
  const start = performance.now();
  const senders: AccountKey[] = Array.from({ length: SENDERS }, () => generateAccountKey());
  say(`offer: ${REQUESTS} requests dept-b -> dept-a in transactions of ${PER_TX}, ${SENDERS} senders at once; dept-a's agent answers in transactions of ${ANSWERS_PER_TX} from ${OPERATORS} operator accounts`);
  let next = 0;
  await Promise.all(
    senders.map(async (key) => {
      while (next < REQUESTS) {
        const from = next;
        next = Math.min(REQUESTS, next + PER_TX);
        const msgs = citizens.slice(from, next).map((c, j) => ({ type: 'data/request', dstChain: 'dept-a', dataset: DATASET, purpose: PURPOSE, subject: toHex(c.publicKey), records: 1, recipientKey: 'node-1', grantId: grants[from + j].grantId }) as Msg);
        const r = await sendOk(bClient, key, msgs);
        const t = performance.now();
        for (const e of r.result.events) if (e.type === 'data/requested') sentAt.set(e.attributes.requestId, t);
      }
    }),
  );
  const offered = performance.now();
  say(`  requests committed on dept-b in ${((offered - start) / 1000).toFixed(1)} s (${Math.round(REQUESTS / ((offered - start) / 1000))}/s offered)`);
  const deadline = performance.now() + DRAIN_MS;
  while (performance.now() < deadline && answeredAt.size < sentAt.size) await sleep(200);
  agentOn = false;
  await Promise.all([aWatch.stop(), bWatch.stop(), agent]);
  const wall = (performance.now() - start) / 1000;
  const busy = procs.map(([name, pid], i) => `${name} ${Math.round((100 * (cpuSeconds(pid()) - cpuBefore[i])) / wall)}%`);
  const used = procs.reduce((t, [, pid], i) => t + cpuSeconds(pid()) - cpuBefore[i], 0);
  say(`CPU over the ${wall.toFixed(1)} s of stream and drain (100% = one core; the machine has 2): ${busy.join(', ')}; in all ${Math.round((100 * used) / wall)}%, ${Math.round((1000 * (used - idle * wall)) / REQUESTS)} ms of CPU per request above the idle network`);

  const lat = [...sentAt].filter(([id]) => answeredAt.has(id)).map(([id, t]) => answeredAt.get(id)! - t);
  const done = lat.length;
  const last = Math.max(...answeredAt.values());
  const rate = done / ((last - start) / 1000);
  const p50 = Math.round(quantile(lat, 0.5));
  const p99 = Math.round(quantile(lat, 0.99));
  say(`answered: ${done}/${REQUESTS} answers sealed on dept-b; ${rate.toFixed(0)} requests/s from the first request to the last answer; latency p50 ${p50} ms, p99 ${p99} ms`);
  let opened = 0;
  for (const [id, ans] of [...answers].slice(0, 50)) {
    const pt = openAnswer('intl', id, { chain: 'dept-b', keyId: 'node-1', secretKey: node.secretKey }, ans.envelope, ans.commitment);
    if (pt.length > 0) opened++;
  }
  say(`  ${opened} answers opened with dept-b's node key and matched their commitments`);

  // where the time goes
  const hubEnd = (await hubClient.status()).latestHeight;
  const times: number[] = [];
  for (let h = hubStart; h <= hubEnd; h++) times.push((await hubClient.block(h)).header.time);
  const intervals = times.slice(1).map((t, i) => t - times[i]);
  say(`hub: ${hubEnd - hubStart} blocks, interval p50 ${Math.round(quantile(intervals, 0.5))} ms; each request is two packets through the hub (request, answer), each with its ack back: 4 proof checks and 4 relay legs`);
  const at = (t: number) => `${((t - start) / 1000).toFixed(1)} s`;
  const firstAnswerOnB = Math.min(...answeredAt.values());
  say(`timeline from the first request: requests on dept-a from ${at(stage.arrivedFirst)} to ${at(stage.arrivedLast)}; answers committed on dept-a from ${at(stage.answeredFirst)} to ${at(stage.answeredLast)}; answers on dept-b from ${at(firstAnswerOnB)} to ${at(last)}`);
  say(`dept-a agent: ${agentStats.answered} answers in ${agentStats.txs} transactions (${Math.round(agentStats.bytes / Math.max(agentStats.txs, 1) / 1024)} KiB each: every answer carries its hub records with proofs); preparing ${(agentStats.prepareMs / 1000).toFixed(1)} s (${hubProofCalls} hub proofs fetched, shared ones cached), submitting ${(agentStats.submitMs / 1000).toFixed(1)} s`);
  const metrics = await Promise.all(relayers.map((r) => r.metrics()));
  const sum = (name: string, labels: Record<string, string> = {}) => metrics.reduce((s, m) => s + metricSum(m, name, labels), 0);
  say(`relayers: ${sum('pontis_relayer_packets_relayed_total', { path: 'path-a' })} items relayed on path-a, ${sum('pontis_relayer_packets_relayed_total', { path: 'path-b' })} on path-b; ${sum('pontis_relayer_redundant_submissions_total')} redundant submissions`);

  // ---- audit verification: the real log from genesis, then the verifier alone on a large log ----
  const real = await verifyAuditFromGenesis({ client: hubClient, genesis: loadHome(hub.homes[0]).genesis });
  say(`audit verify from genesis on the real log: ${real.ok ? 'clean' : `FINDINGS ${real.findings.map((f) => f.reason).join(',')}`}, ${real.events} events (${real.releases} releases), fetch and light client ${real.timings.fetchMs} ms, verification ${real.timings.verifyMs} ms`);
  const synthetic: string[] = [];
  for (let i = 0; synthetic.length < AUDIT_EVENTS; i++) {
    const g = `0x${i.toString(16).padStart(64, '0')}`;
    const id = `dept-b:${i + 1}`;
    const base = (type: string, f: Record<string, unknown>) => synthetic.push(JSON.stringify(Object.fromEntries(Object.entries({ ...f, i: synthetic.length, type, height: 100 + i, time: 1_800_000_000_000 + i }).sort(([x], [y]) => (x < y ? -1 : 1)))));
    base('consent-grant', { grantId: g, subject: `0x${'ab'.repeat(32)}`, scope: `dataset:${DATASET}`, requester: 'dept-b', purpose: PURPOSE, expiresAt: 1_900_000_000_000, via: 'dept-b' });
    base('request-allowed', { requestId: id, requester: 'dept-b', from: '0x00', dataset: DATASET, owner: 'dept-a', purpose: PURPOSE, subject: `0x${'ab'.repeat(32)}`, records: 1, rule: `dataset:${DATASET}#benefits`, grantId: g, consent: 'active' });
    base('release', { requestId: id, owner: 'dept-a', requester: 'dept-b', dataset: DATASET, grantId: g, envelopeHash: g, commitment: g });
    base('delivery', { requestId: id, requester: 'dept-b' });
  }
  synthetic.length = AUDIT_EVENTS;
  const h = logHashOf('intl');
  const tree = new MerkleTree(h, synthetic.map((e) => leafHash(h, utf8(e))));
  const half = Math.floor(AUDIT_EVENTS / 2);
  const consistency = tree.consistencyProof(half, AUDIT_EVENTS).map(toHex);
  const tv = performance.now();
  const report = verifyAuditLog({ profile: 'intl', first: { height: 1, size: half, root: toHex(tree.root(half)) }, second: { height: 2, size: AUDIT_EVENTS, root: toHex(tree.root()) }, consistency, events: synthetic });
  const verifyS = (performance.now() - tv) / 1000;
  const auditRate = Math.round(AUDIT_EVENTS / verifyS);
  say(`audit verifier alone: ${AUDIT_EVENTS} events (grants, decisions, releases, deliveries) in ${verifyS.toFixed(2)} s on one core: both roots recomputed, consistency checked, the log replayed (${report.ok ? 'clean' : 'FINDINGS'}): ${auditRate} events/s`);

  say(`targets: >= ${TARGET_RATE} requests/s: ${rate >= TARGET_RATE ? 'met' : 'NOT met'}; audit >= ${TARGET_AUDIT} events/s: ${auditRate >= TARGET_AUDIT ? 'met' : 'NOT met'}`);
  say(JSON.stringify({ bench: 'sharing', requests_per_s: Math.round(rate), latency_ms_p50: p50, audit_events_verified_per_s: auditRate }));
}

main()
  .then(cleanup, async (e) => {
    say(`bench failed: ${(e as Error).stack ?? e}`);
    await cleanup();
    process.exitCode = 1;
  })
  .finally(() => process.exit());
