/**
 * The relayer pipeline against real processes: a hub and two side-chains (validator processes),
 * a private redis-server, and relayer worker processes. A stream of messages dept-a -> hub ->
 * dept-b must be received exactly once and acknowledged exactly once while relayers are killed,
 * Redis is flushed and restarted, and relayers race on the same path; chain state is the judge.
 */
import { receivedVia } from '../support/receipts.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { Redis } from 'ioredis';
import { accountKeyFromSeed, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { msgKeys } from '../../hub-chain/modules/packets/msg-app.ts';
import { type Packet, channelId, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { validateRelayerConfig } from '../../relayers/config.ts';
import { Relayer, jobId } from '../../relayers/relayer.ts';
import { startRelayer } from '../../relayers/run.ts';
import { PooledEndpoint } from '../../relayers/paths/pontis/pooled-endpoint.ts';
import { resolveSigners } from '../../relayers/config.ts';
import { HUB, RedisServer, RelayerProcess, freePort, metricSum, relayerConfig, signerEnv, startInterchain, until, type Interchain } from './harness.ts';
import { RpcProxy } from '../support/rpc-proxy.ts';

let net: Interchain;
let redis: RedisServer;
const relayers: RelayerProcess[] = [];
const user = generateAccountKey();

/** A non-validating node of the hub (the relayer's first hub endpoint in the failover tests). */
let hubFull: number;

beforeAll(async () => {
  [net, redis] = await Promise.all([startInterchain(), RedisServer.start()]);
  hubFull = await net.hub.addFullNode();
  net.hub.start(hubFull);
  await net.hub.clients[hubFull].waitForHeight((await net.hub.clients[0].status()).latestHeight, 60_000);
});
afterAll(async () => {
  await Promise.all(relayers.map((r) => r.stop()));
  relayers.forEach((r) => r.cleanup());
  await Promise.all([net?.destroy(), redis?.stop()]);
});

/** Sends `n` messages dept-a -> dept-b in one transaction; returns their packets. */
async function send(n: number, tag: string): Promise<Packet[]> {
  const msgs = Array.from({ length: n }, (_, i) => ({ type: 'msg/send' as const, dstChain: 'dept-b', payload: toHex(utf8(`${tag} #${i}`)), timeoutTimestamp: Date.now() + 600_000 }));
  const r = await net.a.clients[0].send(user, msgs);
  expect(r.result.code).toBe('ok');
  return r.result.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
}

const has = async (c: HubClient, key: Uint8Array) => (await c.state({ text: Buffer.from(key).toString('utf8') })).exists;

/** Per packet id, how often `type/result` said ok in any block of the chain. */
async function okCounts(c: HubClient, what: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const tip = (await c.status()).latestHeight;
  for (let h = 1; h <= tip; h++) {
    const b = await c.block(h);
    for (const tx of b.txs) for (const e of tx.result.events) if (e.type === `${what}/result` && e.attributes.result === 'ok') counts.set(e.attributes.id, (counts.get(e.attributes.id) ?? 0) + 1);
  }
  return counts;
}

it('behavior: one signer key keeps several transactions in flight: concurrent submissions get consecutive nonces and share blocks', async () => {
  const key = generateAccountKey();
  const ep = new PooledEndpoint('dept-a', net.a.rpcUrls[0], [key]);
  const rs = await Promise.all(Array.from({ length: 5 }, (_, i) => ep.submit([{ type: 'msg/send', dstChain: 'dept-b', payload: toHex(utf8(`pipelined #${i}`)), timeoutTimestamp: Date.now() + 600_000 }])));
  expect(rs.map((r) => r.code)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  expect((await net.a.clients[0].account(key.address)).nonce).toBe(5);
  // broadcasts do not wait for each other's commit, so they are not one block apart
  expect(new Set(rs.map((r) => r.height)).size).toBeLessThan(5);
});

it('error: a poison job (altered packet, bad proof) fails with its code and the next job still delivers', async () => {
  const [p1, p2] = await send(2, 'poison');
  const cfg = validateRelayerConfig(relayerConfig(net, redis.url, 'poison', 0));
  const r = new Relayer(cfg, { signers: resolveSigners(cfg, signerEnv()), scan: false, clear: false, logger: pino({ level: 'silent' }) });
  await r.start();
  try {
    const q = r.queue('path-a');
    const h = (await net.a.clients[0].status()).latestHeight;
    const altered = { ...p1, payload: toHex(utf8('forged')) };
    const bad = await q.add('relay-packets', { path: 'path-a', kind: 'relay-packets', src: 'dept-a', dst: HUB, events: [{ height: h, packet: altered }] }, { jobId: jobId('relay-packets', 'path-a', 'dept-a', { heights: [h, h], part: 9 }) });
    const good = await q.add('relay-packets', { path: 'path-a', kind: 'relay-packets', src: 'dept-a', dst: HUB, events: [{ height: h, packet: p2 }] }, { jobId: jobId('relay-packets', 'path-a', 'dept-a', { heights: [h, h], part: 8 }) });
    await until('poison job to fail and good job to complete', async () => (await bad.isFailed()) && (await good.isCompleted()), 40_000);
    const failed = (await q.getJob(bad.id!))!;
    expect(failed.failedReason).toMatch(/^PNT_ERR_(PROOF|LC|PACKET_COMMITMENT)_[A-Z_]*:/);
    // UnrecoverableError: one attempt, no retries of a job that cannot succeed
    expect(failed.attemptsMade).toBe(1);
    expect(await receivedVia(net.hub.clients[0], p2)).toBe(true);
    expect(await receivedVia(net.hub.clients[0], p1)).toBe(false);
    expect(r.metrics.failures.get({ path: 'path-a', kind: 'relay-packets', code: failed.failedReason!.split(':')[0] })).toBe(1);
  } finally {
    await r.stop();
  }
});

it('behavior: clearing from chain state delivers packets older than the scanner lookback; the API shows them hop by hop', async () => {
  const old = await send(3, 'before any relayer');
  // lookback 0: the scanner starts at the tip, so only the clearing pass can find these packets
  const cfg = validateRelayerConfig(relayerConfig(net, redis.url, 'clearing', await freePort(), { lookbackBlocks: 0, clearIntervalMs: 600_000 }));
  const run = await startRelayer(cfg, { env: signerEnv(), logger: pino({ level: 'silent' }) });
  try {
    const ch = channelId(old[0]);
    await until('cleared packets acknowledged on dept-a', async () => {
      for (const p of old) if (await has(net.a.clients[0], packetKeys.outbound(ch, p.sequence))) return false;
      return true;
    }, 60_000);
    for (const p of old) expect(await has(net.b.clients[0], msgKeys.inbox('dept-a', p.sequence))).toBe(true);

    const id = `${ch}/${old[0].sequence}`;
    const res = await fetch(`${run.url}/packets/${id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; hops: { chain: string; state: string | null }[] };
    expect(body.hops.map((h) => [h.chain, h.state])).toEqual([
      ['dept-a', 'acknowledged'],
      [HUB, 'delivered'],
      ['dept-b', 'received'],
    ]);
    expect((await fetch(`${run.url}/packets/not-a-packet-id`)).status).toBe(400);

    // once nothing is outstanding (earlier tests' packets included: this relayer clears them too), a manual clear finds no work
    await until('a manual clear finding no work', async () => {
      const cleared = await fetch(`${run.url}/paths/path-a/clear`, { method: 'POST' });
      expect(cleared.status).toBe(200);
      return ((await cleared.json()) as { items: number }).items === 0;
    }, 60_000);
    expect((await fetch(`${run.url}/paths/no-such-path/clear`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${run.url}/readyz`)).status).toBe(200);
  } finally {
    await run.close();
  }
});

it('behavior: a packet past its timeout is timed out from chain state (dept-a records timed-out) and a lagging client is refreshed', async () => {
  const timeoutTimestamp = Date.now() + 1500;
  const r = await net.a.clients[0].send(user, [{ type: 'msg/send', dstChain: 'dept-b', payload: toHex(utf8('too late')), timeoutTimestamp }]);
  expect(r.result.code).toBe('ok');
  const p = JSON.parse(r.result.events.find((e) => e.type === 'packet/sent')!.attributes.packet) as Packet;
  await until('hub time past the timeout', async () => {
    const c = net.hub.clients[0];
    return (await c.block((await c.status()).latestHeight)).header.time > timeoutTimestamp;
  });
  const bClientBefore = (await net.b.clients[0].clientStatus(HUB)).record.latestHeight;
  const cfg = validateRelayerConfig(relayerConfig(net, redis.url, 'timeouts', await freePort(), { clientRefreshBlocks: 1, clearIntervalMs: 600_000 }));
  const run = await startRelayer(cfg, { env: signerEnv(), logger: pino({ level: 'silent' }) });
  try {
    const outcome = async () => {
      const v = await net.a.clients[0].state({ text: Buffer.from(msgKeys.outcome('dept-b', p.sequence)).toString() });
      return v.value === null ? undefined : Buffer.from(v.value.slice(2), 'hex').toString();
    };
    await until('timeout recorded on dept-a', async () => (await outcome()) !== undefined, 40_000);
    expect(await outcome()).toBe('timed-out');
    expect(await has(net.a.clients[0], packetKeys.outbound(channelId(p), p.sequence))).toBe(false);
    expect(await receivedVia(net.hub.clients[0], p)).toBe(false);
    // the job sees its transaction committed a moment after the chain state shows it
    await until('timeout counted', async () => run.relayer.metrics.packetsRelayed.get({ path: 'path-a', kind: 'timeouts' }) === 1);
    // path-b carried nothing, so only an update-client job moves dept-b's client of the hub
    await until('dept-b client of the hub refreshed', async () => (await net.b.clients[0].clientStatus(HUB)).record.latestHeight > bClientBefore, 20_000);
    expect(run.relayer.metrics.submissions.get({ path: 'path-b', kind: 'update-client', chain: 'dept-b' })).toBeGreaterThanOrEqual(1);
  } finally {
    await run.close();
  }
});

it('behavior: 30 messages are received and acknowledged exactly once through kill -9, Redis flush, Redis restart and racing relayers', async () => {
  const env1 = signerEnv();
  const r1 = new RelayerProcess(relayerConfig(net, redis.url, 'rly', await freePort()), env1);
  relayers.push(r1);
  await r1.start();
  const sent: Packet[] = [];
  const ch = channelId({ srcChain: 'dept-a', srcApp: 'msg', dstChain: 'dept-b', dstApp: 'msg' });
  const receivedOnB = async () => {
    let n = 0;
    for (const p of sent) if (await receivedVia(net.b.clients[0], p)) n++;
    return n;
  };

  // (a) kill -9 a relayer mid-stream, keep sending, restart it
  sent.push(...(await send(10, 'stream-1')));
  await until('first deliveries on dept-b', async () => (await receivedOnB()) >= 1, 40_000);
  const metricsBefore = await r1.metrics();
  expect(metricSum(metricsBefore, 'pontis_relayer_packets_relayed_total')).toBeGreaterThan(0);
  await r1.kill9();
  sent.push(...(await send(10, 'stream-2')));
  await r1.start();

  // (b) flush Redis while packets are in flight: cursors, leases and jobs are rebuilt from chain state
  await until('some of the second batch delivered', async () => (await receivedOnB()) >= 12, 40_000);
  await redis.flushAll();

  // (c) restart Redis (no persistence: everything in it is lost again); not ready while it is down
  await redis.stop();
  const down = await fetch(`${r1.apiUrl}/readyz`);
  expect(down.status).toBe(503);
  expect(((await down.json()) as { checks: Record<string, string> }).checks.redis).toMatch(/^down/);
  sent.push(...(await send(5, 'stream-3')));
  await redis.start();
  await until('relayer ready again', async () => (await fetch(`${r1.apiUrl}/readyz`)).status === 200);

  // (d) two more relayers racing: one on the same Redis prefix (work split through the queue),
  // one on another prefix (a separate operator: every submission races r1's)
  const r2 = new RelayerProcess(relayerConfig(net, redis.url, 'rly', await freePort()), signerEnv());
  const r3 = new RelayerProcess(relayerConfig(net, redis.url, 'rly-other', await freePort()), signerEnv());
  relayers.push(r2, r3);
  await Promise.all([r2.start(), r3.start()]);
  sent.push(...(await send(5, 'stream-4')));
  expect(sent.length).toBe(30);

  const outcomes = async () => {
    let n = 0;
    for (const p of sent) if ((await net.a.clients[0].state({ text: Buffer.from(msgKeys.outcome('dept-b', p.sequence)).toString() })).exists) n++;
    return n;
  };
  await until('every outcome recorded on dept-a', async () => (await outcomes()) === sent.length, 90_000);

  for (const p of sent) {
    const seq = p.sequence;
    const outcome = await net.a.clients[0].state({ text: Buffer.from(msgKeys.outcome('dept-b', seq)).toString() });
    expect(Buffer.from(outcome.value!.slice(2), 'hex').toString()).toBe('delivered');
    expect(await has(net.b.clients[0], msgKeys.inbox('dept-a', seq))).toBe(true);
    expect(await receivedVia(net.b.clients[0], p)).toBe(true);
    expect(await receivedVia(net.hub.clients[0], p)).toBe(true);
    // commitments gone on the source and on the hub: nothing left to relay
    expect(await has(net.a.clients[0], packetKeys.outbound(ch, seq))).toBe(false);
    expect(await has(net.hub.clients[0], packetKeys.outbound(ch, seq))).toBe(false);
  }
  // exactly once, counted from every block: one successful receive on B and one successful ack on A per packet
  const [recvB, ackA] = await Promise.all([okCounts(net.b.clients[0], 'packet/recv'), okCounts(net.a.clients[0], 'packet/ack')]);
  for (const p of sent) {
    expect(recvB.get(`${ch}/${p.sequence}`)).toBe(1);
    expect(ackA.get(`${ch}/${p.sequence}`)).toBe(1);
  }

  // metrics are per process (r1's were lost with kill -9). r1 rescanned after the flush and r3 scans on its own
  // prefix, so both did work; r2 shares r1's queue and may or may not have been handed a job
  const m = await Promise.all(relayers.map((r) => r.metrics()));
  const work = (t: string) => metricSum(t, 'pontis_relayer_packets_relayed_total') + metricSum(t, 'pontis_relayer_jobs_already_done_total') + metricSum(t, 'pontis_relayer_redundant_submissions_total');
  expect(work(m[0]), 'r1 jobs').toBeGreaterThan(0);
  expect(work(m[2]), 'r3 jobs').toBeGreaterThan(0);
  // r1 ran clearing passes, each comparing every client with its chain: no false misbehaviour
  expect(r1.log()).toContain('clearing');
  expect(metricSum(m[0], 'pontis_relayer_misbehaviour_detected_total')).toBe(0);
  // two signer keys per chain, used in turn: both of r1's hub keys signed relay transactions
  for (const seed of env1.RELAYER_KEY_HUB.split(',')) expect((await net.hub.clients[0].account(accountKeyFromSeed(fromHex(seed, 32)).address)).nonce, 'hub key nonce').toBeGreaterThan(0);
  // Redis lost the cursors twice; the restarted relayer rebuilt them from the chains
  expect(r1.log().split('scanner cursor rebuilt').length - 1).toBeGreaterThanOrEqual(4);
  expect(m[0]).toMatch(/pontis_relayer_relay_latency_seconds_count\{/);
  expect(m[0]).toMatch(/pontis_relayer_queue_depth\{path="path-a",kind="relay-packets",state="waiting"\} \d+/);
  await Promise.all(relayers.map((r) => r.stop()));
}, 180_000);

it('behavior: when the relayer holding a path lease is killed, another relayer on the same Redis takes the lease and relays', async () => {
  const prefix = 'lease';
  const [x, y] = [new RelayerProcess(relayerConfig(net, redis.url, prefix, await freePort()), signerEnv()), new RelayerProcess(relayerConfig(net, redis.url, prefix, await freePort()), signerEnv())];
  relayers.push(x, y);
  await Promise.all([x.start(), y.start()]);
  const instance = async (r: RelayerProcess) => ((await (await fetch(`${r.apiUrl}/healthz`)).json()) as { instance: string }).instance;
  const ids = new Map([
    [await instance(x), x],
    [await instance(y), y],
  ]);
  const c = new Redis(redis.url);
  try {
    const holder = async () => c.get(`${prefix}:relayer:lease:path-a`);
    await until('a lease holder', async () => ids.has((await holder()) ?? ''));
    const first = (await holder())!;
    await ids.get(first)!.kill9();
    const [p] = await send(1, 'after failover');
    // the lease expires (it is not released by a killed process) and the survivor takes it
    await until('the other relayer holds the lease', async () => ids.has((await holder()) ?? '') && (await holder()) !== first, 20_000);
    await until('the message acknowledged on dept-a', async () => !(await has(net.a.clients[0], packetKeys.outbound(channelId(p), p.sequence))), 40_000);
    expect(await has(net.b.clients[0], msgKeys.inbox('dept-a', p.sequence))).toBe(true);
  } finally {
    c.disconnect();
  }
}, 90_000);

// ---- endpoints, readiness and racing operators (issue #15) ----

/** Waits until every packet's outcome is recorded on dept-a; returns the outcomes. */
async function outcomesOf(ps: Packet[], timeoutMs = 60_000): Promise<string[]> {
  const read = async (p: Packet) => {
    const v = await net.a.clients[0].state({ text: Buffer.from(msgKeys.outcome('dept-b', p.sequence)).toString() });
    return v.value === null ? undefined : Buffer.from(v.value.slice(2), 'hex').toString();
  };
  await until('outcomes recorded on dept-a', async () => (await Promise.all(ps.map(read))).every((o) => o !== undefined), timeoutMs);
  return Promise.all(ps.map(async (p) => (await read(p))!));
}

/** Relayer processes left running by earlier tests would race the ones below. */
async function stopEarlierRelayers(): Promise<void> {
  await Promise.all(relayers.map((r) => r.stop()));
}

it('behavior: a relayer with two hub endpoints keeps delivering while the first is stopped, and moves back when it returns', async () => {
  await stopEarlierRelayers();
  const full = net.hub.rpcUrls[hubFull];
  const cfg = validateRelayerConfig({ ...relayerConfig(net, redis.url, 'failover', await freePort(), { probeIntervalMs: 300 }), hub: { chainId: HUB, rpc: [full, net.hub.rpcUrls[0]], signer: { env: 'RELAYER_KEY_HUB' } } });
  const run = await startRelayer(cfg, { env: signerEnv(), logger: pino({ level: 'silent' }) });
  const hubEndpoints = () => run.relayer.endpointStatus().filter((e) => e.chain === HUB);
  try {
    const first = await send(2, 'failover: both up');
    expect(await outcomesOf(first)).toEqual(['delivered', 'delivered']);
    expect(hubEndpoints().map((e) => [e.up, e.submitting])).toEqual([
      [true, true],
      [true, false],
    ]);

    await net.hub.stop(hubFull);
    const during = await send(3, 'failover: first endpoint stopped');
    expect(await outcomesOf(during)).toEqual(['delivered', 'delivered', 'delivered']);
    const down = hubEndpoints();
    expect(down.map((e) => [e.up, e.submitting])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(down[0].reason).toMatch(/^down: /);
    expect(down[0].errors).toBeGreaterThan(0);
    expect((await fetch(`${run.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${run.url}/metrics`)).text();
    expect(metricSum(metrics, 'pontis_relayer_endpoint_up', { chain: HUB, endpoint: full })).toBe(0);
    expect(metricSum(metrics, 'pontis_relayer_endpoint_up', { chain: HUB, endpoint: net.hub.rpcUrls[0] })).toBe(1);
    expect(metricSum(metrics, 'pontis_relayer_endpoint_errors_total', { chain: HUB, endpoint: full })).toBeGreaterThan(0);

    net.hub.start(hubFull);
    await until('the first endpoint healthy and submitted to again', async () => {
      const [a] = hubEndpoints();
      return a.up && a.submitting;
    }, 60_000);
    const requestsBack = hubEndpoints()[0].requests;
    const after = await send(3, 'failover: first endpoint back');
    expect(await outcomesOf(after)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(hubEndpoints()[0].requests).toBeGreaterThan(requestsBack);
    // exactly once on the hub, through both endpoints
    const recvHub = await okCounts(net.hub.clients[0], 'packet/recv');
    const ch = channelId(first[0]);
    for (const p of [...first, ...during, ...after]) expect(recvHub.get(`${ch}/${p.sequence}`)).toBe(1);
  } finally {
    await run.close();
  }
}, 180_000);

it('behavior: a relayer whose only hub endpoint is catching up, or lags its peers, is not ready and says why', async () => {
  // the hub's full node behind a proxy that makes its /status say what a syncing or stuck node says
  const proxy = await RpcProxy.start(net.hub.rpcUrls[hubFull]);
  const cfg = validateRelayerConfig({ ...relayerConfig(net, redis.url, 'readiness', 0, { probeIntervalMs: 300, maxLagBlocks: 3 }), hub: { chainId: HUB, rpc: proxy.url, signer: { env: 'RELAYER_KEY_HUB' } } });
  const run = await startRelayer(cfg, { env: signerEnv(), logger: pino({ level: 'silent' }), scan: false, clear: false });
  const ready = async () => {
    const r = await fetch(`${run.url}/readyz`);
    return { status: r.status, body: (await r.json()) as { ok: boolean; checks: Record<string, string>; reasons: string[] } };
  };
  try {
    // ready once its Redis connection is up
    await until('relayer ready', async () => (await ready()).status === 200, 20_000);

    proxy.mode = 'catching-up';
    const syncing = await ready();
    expect(syncing.status).toBe(503);
    expect(syncing.body.ok).toBe(false);
    expect(syncing.body.checks[`chain:${HUB}`]).toBe(`no healthy endpoint: ${proxy.url} catching up`);
    expect(syncing.body.reasons).toEqual([`chain:${HUB}: no healthy endpoint: ${proxy.url} catching up`]);
    expect(syncing.body.checks['chain:dept-a']).toBe('ok');
    expect((await fetch(`${run.url}/healthz`)).status).toBe(200);

    proxy.mode = 'frozen';
    await ready(); // freezes the reported height here
    const h = (await net.hub.clients[0].status()).latestHeight;
    await net.hub.clients[0].waitForHeight(h + 5, 30_000);
    await until('the full node\u2019s peers report the new height', async () => ((await net.hub.clients[hubFull].status()).peers ?? []).some((p) => p.height >= h + 4));
    const stuck = await ready();
    expect(stuck.status).toBe(503);
    expect(stuck.body.checks[`chain:${HUB}`]).toMatch(new RegExp(`^no healthy endpoint: ${proxy.url} \\d+ blocks behind \\(max 3\\)$`));

    proxy.mode = 'pass';
    expect((await ready()).status).toBe(200);
  } finally {
    await run.close();
    await proxy.close();
  }
}, 120_000);

it('behavior: two operators racing on one path deliver exactly once, and the one with jitter finds the other\u2019s work done instead of submitting it again', async () => {
  await stopEarlierRelayers();
  // two operators: own Redis prefixes (each scans and submits everything itself), own keys; the second waits 5-6 s before
  // delivering (at 3-4 s a loaded CI machine once let the first operator's delivery run past the wait: 1 of 5 relay transactions wasted)
  const second = relayerConfig(net, redis.url, 'race-1', await freePort());
  const ops = [
    new RelayerProcess(relayerConfig(net, redis.url, 'race-0', await freePort()), signerEnv()),
    new RelayerProcess({ ...second, operator: 'second', tuning: { ...second.tuning, jitter: { minMs: 5000, maxMs: 6000 } } }, signerEnv()),
  ];
  relayers.push(...ops);
  await Promise.all(ops.map((r) => r.start()));
  const sent: Packet[] = [];
  for (let i = 0; i < 4; i++) sent.push(...(await send(5, `race ${i}`)));
  expect(await outcomesOf(sent, 90_000)).toEqual(sent.map(() => 'delivered'));

  // the second operator looks once its jitter has passed (the first may have finished before that): wait for it
  const deadline = Date.now() + 60_000;
  while (metricSum(await ops[1].metrics(), 'pontis_relayer_jobs_already_done_total') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));

  const ch = channelId(sent[0]);
  const ids = new Set(sent.map((p) => `${ch}/${p.sequence}`));
  const [recvHub, recvB, ackHub, ackA] = await Promise.all([okCounts(net.hub.clients[0], 'packet/recv'), okCounts(net.b.clients[0], 'packet/recv'), okCounts(net.hub.clients[0], 'packet/ack'), okCounts(net.a.clients[0], 'packet/ack')]);
  for (const id of ids) for (const c of [recvHub, recvB, ackHub, ackA]) expect(c.get(id)).toBe(1);

  // wasted transactions, counted on chain: relay transactions for these packets where every item was done already
  let wasted = 0;
  let relayTxs = 0;
  for (const c of [net.hub.clients[0], net.a.clients[0], net.b.clients[0]]) {
    const tip = (await c.status()).latestHeight;
    for (let h = 1; h <= tip; h++) {
      for (const tx of (await c.block(h)).txs) {
        const results = tx.result.events.filter((e) => /^packet\/(recv|ack)\/result$/.test(e.type) && ids.has(e.attributes.id));
        if (!results.length) continue;
        relayTxs++;
        if (results.every((e) => e.attributes.result.startsWith('already-'))) wasted++;
      }
    }
  }
  const m = await Promise.all(ops.map((r) => r.metrics()));
  const redundant = m.map((t) => metricSum(t, 'pontis_relayer_redundant_submissions_total'));
  expect(redundant[0] + redundant[1]).toBe(wasted);
  // the operator label: the second one's series carry its name
  if (redundant[1] > 0) expect(metricSum(m[1], 'pontis_relayer_redundant_submissions_total', { operator: 'second', path: 'path-a' }) + metricSum(m[1], 'pontis_relayer_redundant_submissions_total', { operator: 'second', path: 'path-b' })).toBe(redundant[1]);
  // 20 packets cross four hops (two deliveries, two acks): at least 4 relay transactions. At most one in ten wasted (the issue
  // saw 661 of 1,690), and one on a run this small: the jitter makes a race unlikely, not impossible (a hop of the first
  // operator that outlasts the 5-6 s wait on a loaded machine).
  expect(relayTxs).toBeGreaterThanOrEqual(4);
  expect(wasted, `${wasted} of ${relayTxs} relay transactions changed nothing`).toBeLessThanOrEqual(Math.max(1, Math.floor(relayTxs / 10)));
  // the second operator did look: it found the work done
  expect(metricSum(m[1], 'pontis_relayer_jobs_already_done_total')).toBeGreaterThan(0);
  await Promise.all(ops.map((r) => r.stop()));
}, 180_000);
