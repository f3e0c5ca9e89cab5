/**
 * The relayer pipeline on EVM paths: two anvil chains (Gateway + PontisClient + EchoApp each)
 * and a hub of validator processes attesting them (test/e2e/evm-fixture.ts), relayed only by
 * `pontis relayer start` processes whose config names both chains `kind: evm`, on a Redis of
 * their own. A stream of EchoApp messages evm-a -> hub -> evm-b flows while a relayer is
 * kill -9'd and restarted, Redis is flushed, Redis is restarted, and relayers race; afterwards
 * every packet was received exactly once on evm-b and acknowledged exactly once on evm-a,
 * counted from the Gateways' logs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keccak256 as ethKeccak, toUtf8Bytes } from 'ethers';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { TIMEOUT_ERROR, channelId, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { RelayerConfigInput } from '../../relayers/config.ts';
import { EvmWriter } from '../../adapters/evm/writer.ts';
import { evmGatewayEndpoint } from '../../relayers/paths/evm/endpoint.ts';
import { evmClientHeight, evmSideProofHeight } from '../../relayers/paths/evm/from-hub.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { EvmHubWorld, HUB, type EvmChain } from '../e2e/evm-fixture.ts';
import { RedisServer, RelayerProcess, freePort, metricSum, until } from './harness.ts';

let w: EvmHubWorld;
let redis: RedisServer;
const relayers: RelayerProcess[] = [];

beforeAll(async () => {
  [w, redis] = await Promise.all([
    EvmHubWorld.start([
      { id: 'evm-a', chainIdNumber: 31_101, apps: { echo: true } },
      { id: 'evm-b', chainIdNumber: 31_102, apps: { echo: true } },
    ]),
    RedisServer.start(),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all(relayers.map((r) => r.stop()));
  for (const r of relayers) r.cleanup();
  await redis?.stop();
  await w?.destroy();
});

function config(prefix: string, apiPort: number): RelayerConfigInput {
  const chain = (c: EvmChain, env: string) => ({ id: c.id, kind: 'evm' as const, rpc: c.node.url, evmChainId: c.node.chainId, gateway: c.deployed.gateway.address, hubClient: c.deployed.client.address, signer: { env } });
  return {
    hub: { chainId: HUB, rpc: w.hub.rpcUrls[0], signer: { env: 'RELAYER_KEY_HUB' } },
    chains: [chain(w.chains['evm-a'], 'RELAYER_KEY_A'), chain(w.chains['evm-b'], 'RELAYER_KEY_B')],
    paths: [
      { id: 'path-a', chain: 'evm-a', hub: HUB },
      { id: 'path-b', chain: 'evm-b', hub: HUB },
    ],
    redis: { url: redis.url, prefix },
    tuning: { batchSize: 20, concurrency: 4, clearIntervalMs: 3000, backoffMs: 200, maxAttempts: 30, lookbackBlocks: 400, scanIntervalMs: 200, lockMs: 3000 },
    api: { host: '127.0.0.1', port: apiPort },
  };
}

/** Signer env for one relayer process: fresh hub seeds, and anvil accounts `k`, `k+1` on both EVM chains (no two processes share an EVM key). */
function env(k: number): Record<string, string> {
  const evm = [w.chains['evm-a'].node.accounts[k], w.chains['evm-a'].node.accounts[k + 1]].join(',');
  return { RELAYER_KEY_HUB: [generateAccountKey(), generateAccountKey()].map((x) => toHex(x.secretKey)).join(','), RELAYER_KEY_A: evm, RELAYER_KEY_B: evm };
}

/** EchoApp on evm-a sends `n` messages to EchoApp on evm-b; returns their sequences. */
async function send(n: number, tag: string): Promise<number[]> {
  const a = w.chains['evm-a'];
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const now = (await a.provider.getBlock('latest'))!.timestamp * 1000;
    const rcpt = await (await a.echo.sendTo('evm-b', 'echo', toHex(utf8(`${tag} #${i}`)), 0, now + 3_600_000, false)).wait();
    const sent = rcpt.logs.map((l: never) => a.gateway.interface.parseLog(l)).find((x: { name: string } | null) => x?.name === 'PacketSent');
    seqs.push(Number(sent.args.sequence));
  }
  return seqs;
}

const CHANNEL = channelId({ srcChain: 'evm-a', srcApp: 'echo', dstChain: 'evm-b', dstApp: 'echo' });

/** How many times each sequence of the channel was received on evm-b / acknowledged on evm-a, from every Gateway log. */
async function logCounts(c: EvmChain, event: 'PacketReceived' | 'PacketAcknowledged'): Promise<Map<number, number>> {
  const logs = await c.gateway.queryFilter(c.gateway.filters[event](ethKeccak(toUtf8Bytes(CHANNEL))), 0, 'latest');
  const m = new Map<number, number>();
  for (const l of logs) {
    const seq = Number((l as unknown as { args: { sequence: bigint } }).args.sequence);
    m.set(seq, (m.get(seq) ?? 0) + 1);
  }
  return m;
}

it('behavior: a message stream evm-a -> hub -> evm-b is received and acknowledged exactly once through kill -9, Redis flush, Redis restart and racing relayers', async () => {
  const [a, b] = [w.chains['evm-a'], w.chains['evm-b']];
  const r1 = new RelayerProcess(config('rly', await freePort()), env(2));
  relayers.push(r1);
  await r1.start();
  const sent: number[] = [];

  // (a) kill -9 a relayer mid-stream, keep sending, restart it (same keys: its nonces come from the chain)
  sent.push(...(await send(6, 'stream-1')));
  await until('first deliveries on evm-b', async () => Number(await b.echo.received()) >= 1, 60_000);
  expect(metricSum(await r1.metrics(), 'pontis_relayer_packets_relayed_total')).toBeGreaterThan(0);
  await r1.kill9();
  sent.push(...(await send(6, 'stream-2')));
  await r1.start();

  // (b) flush Redis while packets are in flight: cursors, leases and jobs are rebuilt from chain state
  await until('some of the second batch delivered', async () => Number(await b.echo.received()) >= 8, 60_000);
  await redis.flushAll();

  // (c) restart Redis (no persistence: everything is lost again); not ready while it is down
  await redis.stop();
  const down = await fetch(`${r1.apiUrl}/readyz`);
  expect(down.status).toBe(503);
  const checks = ((await down.json()) as { checks: Record<string, string> }).checks;
  expect(checks.redis).toMatch(/^down/);
  expect(checks['chain:evm-a']).toBe('ok');
  sent.push(...(await send(4, 'stream-3')));
  await redis.start();
  await until('relayer ready again', async () => (await fetch(`${r1.apiUrl}/readyz`)).status === 200);

  // (d) two more relayers: one on the same prefix (work split through the queue), one on another (every submission races)
  const r2 = new RelayerProcess(config('rly', await freePort()), env(4));
  const r3 = new RelayerProcess(config('rly-other', await freePort()), env(6));
  relayers.push(r2, r3);
  await Promise.all([r2.start(), r3.start()]);
  sent.push(...(await send(4, 'stream-4')));
  expect(sent).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

  await until('every message acknowledged on evm-a', async () => Number(await a.echo.acked()) >= sent.length, 150_000);
  // exactly once, from the Gateways' own logs: one receipt on evm-b and one acknowledgement on evm-a per packet
  const [recv, acked] = await Promise.all([logCounts(b, 'PacketReceived'), logCounts(a, 'PacketAcknowledged')]);
  for (const seq of sent) {
    expect(recv.get(seq), `received ${seq}`).toBe(1);
    expect(acked.get(seq), `acked ${seq}`).toBe(1);
    expect(await w.stored(a, packetKeys.outbound(CHANNEL, seq))).toBe(`0x${'0'.repeat(64)}`);
    expect(await w.received(b, CHANNEL, seq)).toBe(true);
  }
  expect(Number(await b.echo.received())).toBe(sent.length);
  expect(Number(await a.echo.acked())).toBe(sent.length);

  // the ops API reports each hop of a packet, the EVM ones from the Gateways' commitments
  const hops = (await (await fetch(`${r1.apiUrl}/packets/evm-a/echo/evm-b/echo/1`)).json()) as { hops: { chain: string; state: string | null }[] };
  expect(hops.hops.map((h) => [h.chain, h.state])).toEqual([
    ['evm-a', 'resolved-or-unknown'],
    [HUB, 'delivered'],
    ['evm-b', 'received+acked'],
  ]);
  const m = await Promise.all(relayers.map((r) => r.metrics()));
  expect(metricSum(m[0], 'pontis_relayer_packets_relayed_total') + metricSum(m[0], 'pontis_relayer_jobs_already_done_total')).toBeGreaterThan(0);
  // r3 raced every submission on its own prefix: some of its work found the destination done
  expect(metricSum(m[2], 'pontis_relayer_packets_relayed_total') + metricSum(m[2], 'pontis_relayer_jobs_already_done_total') + metricSum(m[2], 'pontis_relayer_redundant_submissions_total')).toBeGreaterThan(0);
  expect(m[0]).toMatch(/pontis_relayer_signer_balance\{chain="evm-a",address="0x[0-9a-fA-F]{40}"\} \d/);
  expect(metricSum(m[0], 'pontis_relayer_misbehaviour_detected_total')).toBe(0);
  await Promise.all(relayers.map((r) => r.stop()));
}, 300_000);

it('behavior: a packet whose destination chain stops past its timeout is timed out once and A gets the timeout ack, never also delivered', async () => {
  const [a, b] = [w.chains['evm-a'], w.chains['evm-b']];
  const r = new RelayerProcess(config('rly-timeout', await freePort()), env(2));
  relayers.push(r);
  await r.start();
  const [ackedBefore, receivedBefore] = [Number(await a.echo.acked()), Number(await b.echo.received())];
  // evm-b stops producing blocks: relay transactions to it wait in its mempool
  await b.node.rpc('evm_setAutomine', [false]);
  const now = (await a.provider.getBlock('latest'))!.timestamp * 1000;
  const rcpt = await (await a.echo.sendTo('evm-b', 'echo', toHex(utf8('too late')), 0, Math.max(now, Date.now()) + 6000, false)).wait();
  const seq = Number(rcpt.logs.map((l: never) => a.gateway.interface.parseLog(l)).find((x: { name: string } | null) => x?.name === 'PacketSent').args.sequence);
  const id = `evm-a/echo/evm-b/echo/${seq}`;
  await until('the hub forwarded it', async () => (await w.hubPacket(id))?.status?.state === 'forwarded', 60_000);
  await new Promise((res) => setTimeout(res, 7000));
  // evm-b comes back past the timeout: whatever was waiting lands in a block too late to receive
  await b.node.rpc('evm_setAutomine', [true]);
  await b.node.mine(1);
  await until('the timeout ack on evm-a', async () => Number(await a.echo.acked()) > ackedBefore, 120_000);
  expect(Buffer.from((await a.echo.lastAck()).slice(2), 'hex').toString('utf8')).toBe(`\u0000${TIMEOUT_ERROR}`);
  expect((await w.hubPacket(id))!.status!.state).toBe('timed-out');
  expect(await w.received(b, CHANNEL, seq)).toBe(false);
  expect(Number(await b.echo.received())).toBe(receivedBefore);
  // once: one acknowledgement of this sequence on evm-a, and it stays so while clearing keeps running
  await new Promise((res) => setTimeout(res, 4000));
  expect((await logCounts(a, 'PacketAcknowledged')).get(seq)).toBe(1);
  expect(Number(await a.echo.acked())).toBe(ackedBefore + 1);
}, 240_000);

it('behavior: a relayer whose EVM client update lost the race to a higher one proves at the height the client holds instead of failing', async () => {
  const a = w.chains['evm-a'];
  const hub = new RpcEndpoint(HUB, w.hub.rpcUrls[0]);
  // two relayers (separate keys): one moves the client to a higher hub height just before the other's lower update lands
  const [high, low] = [4, 5].map((k) => evmGatewayEndpoint(a.id, new EvmWriter({ url: a.node.url, evmChainId: a.node.chainId, chainId: a.id, privateKeys: [a.node.accounts[k]], pollIntervalMs: 100 }), a.deployed.gateway.address, a.deployed.client.address));
  const pending = async () => Number((await a.node.rpc<{ pending: string }>('txpool_status', [])).pending);
  try {
    const before = await evmClientHeight(high);
    await until('the hub two blocks past the client', async () => (await hub.latestHeight()) >= before + 3, 30_000);
    const top = await hub.latestHeight();
    await a.node.rpc('evm_setAutomine', [false]);
    let lowResult: Promise<{ height: number; updateTx: string | null }>;
    try {
      const highResult = evmSideProofHeight(hub, high, top);
      await until('the higher update in the mempool', async () => (await pending()) === 1, 10_000);
      lowResult = evmSideProofHeight(hub, low, top - 1);
      // the lower update was read against the old client and is refused now, or waits to be mined after the higher one
      await until('the lower update in the mempool or refused', async () => (await pending()) === 2 || (await Promise.race([lowResult.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))])), 10_000);
      await a.node.mine(1);
      expect((await highResult).height).toBe(top);
    } finally {
      await a.node.rpc('evm_setAutomine', [true]);
    }
    // the lower update landed after the higher one and reverted, or was refused as stale while the
    // higher one was pending (then the job retries): either way no failure that stops the job
    const got = await lowResult!.catch(async (e: unknown) => {
      expect((e as { code?: string }).code).toBe('PNT_ERR_RELAY_CLIENT_UPDATE_RACE');
      expect((e as { retryable?: boolean }).retryable).toBe(true);
      return evmSideProofHeight(hub, low, top - 1);
    });
    expect(await evmClientHeight(low)).toBe(top);
    expect(got).toEqual({ height: top, updateTx: null });
    expect(await a.client.stateRootAt(got.height)).not.toBe(`0x${'0'.repeat(64)}`);
  } finally {
    await Promise.all([high, low].map((e) => e.writer.close()));
  }
}, 120_000);
