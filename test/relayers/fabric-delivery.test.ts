/**
 * The `fabric` relay path on real processes: a hub and side-chain dept-a (validator processes),
 * the Fabric network stand-in running the Pontis chaincode as the government chain `gov`
 * (3 orgs, 2 of 3 endorse), and a private Redis. First the legs step by step in this process
 * (each delivery exactly once, a replay redundant, timeouts both ways: the hub's absence proof on
 * Fabric, and Fabric's TIMEOUT marker proven to the hub), then relayer worker processes moving
 * gov -> dept-a messages and dept-a -> gov record requests while one is kill -9'd and Redis is
 * flushed; chain state and chain events judge: every packet received once, acknowledged once.
 */
import { receivedVia } from '../support/receipts.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { type Hex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { msgKeys } from '../../hub-chain/modules/packets/msg-app.ts';
import { type Packet, channelId, decodeAck, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { FABRIC_TIMEOUT_MARKER } from '../../hub-chain/light-clients/fabric/query.ts';
import { chaincodeCalls } from '../../contracts/fabric/calls.ts';
import { recordRequest } from '../../contracts/fabric/apps/records.ts';
import { decodeEvents, sentPackets } from '../../contracts/fabric/events.ts';
import { blockTxs, type FabricWriter } from '../../adapters/fabric/index.ts';
import { FabricPathHandlers } from '../../relayers/paths/fabric/handlers.ts';
import { type FabricEndpoint, readKeys } from '../../relayers/paths/fabric/endpoint.ts';
import { p256KeyHex } from '../../relayers/paths/fabric/index.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import type { RelayerConfigInput } from '../../relayers/config.ts';
import { Testnet } from '../e2e/harness.ts';
import { type FabricFixture, connectFabricToHub, startFabricFixture } from '../support/fabric.ts';
import { registerPontisChain } from '../support/register-chain.ts';
import { HUB, RedisServer, RelayerProcess, freePort, until } from './harness.ts';

const GOV = 'gov';
let hub: Testnet;
let a: Testnet;
let fx: FabricFixture;
let redis: RedisServer;
let gov: FabricWriter;
let hubEp: RpcEndpoint;
let fabricHandlers: FabricPathHandlers;
let pontisHandlers: PontisPathHandlers;
const relayers: RelayerProcess[] = [];
const user = generateAccountKey();

beforeAll(async () => {
  [hub, a, fx, redis] = await Promise.all([Testnet.create(1, { chainId: HUB }), Testnet.create(1, { chainId: 'dept-a', hubChainId: HUB }), startFabricFixture({ chainId: GOV }), RedisServer.start()]);
  await Promise.all([hub, a].map((n) => n.startAll()));
  await Promise.all([hub, a].map((n) => n.clients[0].waitForHeight(2, 60_000)));
  await registerPontisChain(hub, a, 'dept-a');
  await registerPontisChain(a, hub, HUB);
  await connectFabricToHub(fx, hub, HUB, GOV);
  gov = fx.writer(0, { conflictRetries: 5 });
  hubEp = new RpcEndpoint(HUB, hub.rpcUrls[0], generateAccountKey());
  const deptA = new RpcEndpoint('dept-a', a.rpcUrls[0], generateAccountKey());
  const endpoint: FabricEndpoint = { chainId: GOV, writer: fx.writer(1), endorsingOrgs: ['Org1MSP', 'Org2MSP'] };
  fabricHandlers = new FabricPathHandlers(hubEp, new Map([[GOV, endpoint]]));
  pontisHandlers = new PontisPathHandlers(new Map([[HUB, hubEp], ['dept-a', deptA]]), HUB);
  // records on gov: one dept-a may read, one it may not
  await gov.submitTx(chaincodeCalls.putRecord('household-42', toHex(utf8('{"members":3}')), ['dept-a']));
  await gov.submitTx(chaincodeCalls.putRecord('judicial-7', toHex(utf8('{"case":"sealed"}')), []));
}, 180_000);

afterAll(async () => {
  await Promise.all(relayers.map((r) => r.stop()));
  relayers.forEach((r) => r.cleanup());
  await fx?.close();
  await Promise.all([hub?.destroy(), a?.destroy(), redis?.stop()]);
});

const has = async (c: HubClient, key: Uint8Array) => (await c.state({ text: Buffer.from(key).toString('utf8') })).exists;
const later = (ms: number) => Date.now() + ms;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` msg packets gov -> dept-a in one Fabric transaction; their packets and block. */
async function sendFromGov(n: number, tag: string, timeoutMs = 600_000): Promise<{ packets: Packet[]; height: number }> {
  const r = await gov.submitTx(chaincodeCalls.sendPackets(Array.from({ length: n }, (_, i) => ({ dstChain: 'dept-a', dstApp: 'msg', data: toHex(utf8(`${tag} #${i}`)), timeoutTimestamp: later(timeoutMs), ordered: false }))));
  const [block] = await gov.blocks(r.height, r.height);
  const tx = blockTxs(block).find((t) => t.txId === r.txId)!;
  return { packets: sentPackets(decodeEvents(tx.event!.payload)), height: r.height };
}

/** dept-a's user sends record requests to gov's `records` app; their packets. */
async function requestFromA(ids: string[], timeoutMs = 600_000): Promise<Packet[]> {
  const r = await a.clients[0].send(user, ids.map((id) => ({ type: 'msg/send' as const, dstChain: GOV, dstApp: 'records', payload: recordRequest(id), timeoutTimestamp: later(timeoutMs) })));
  expect(r.result.code).toBe('ok');
  return r.result.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
}

/** The ack dept-a recorded for one of its packets (from its `packet/acknowledged` events). */
async function ackOnA(p: Packet): Promise<Hex | undefined> {
  const id = `${channelId(p)}/${p.sequence}`;
  const tip = (await a.clients[0].status()).latestHeight;
  for (let h = tip; h >= 1; h--) {
    for (const tx of (await a.clients[0].block(h)).txs) for (const e of tx.result.events) if (e.type === 'packet/acknowledged' && e.attributes.id === id) return e.attributes.ack as Hex;
  }
  return undefined;
}

describe('legs step by step', () => {
  it('behavior: gov -> hub: a batch proven by committed-transaction proofs is received once; the replay is redundant', async () => {
    const { packets, height } = await sendFromGov(5, 'step');
    const scanned = (await fabricHandlers.scanBlocks(GOV, HUB, height - 1, height)).flatMap((b) => b.packets);
    expect(scanned.map((e) => e.packet.sequence)).toEqual(packets.map((p) => p.sequence));
    const first = await fabricHandlers.relayPackets(GOV, HUB, scanned);
    expect(first.accepted).toBe(5);
    for (const p of packets) expect(await receivedVia(hub.clients[0], p)).toBe(true);
    const again = await fabricHandlers.relayPackets(GOV, HUB, scanned);
    expect(again.accepted).toBe(0);
    // hub -> dept-a -> hub -> gov, then the acks, each scanned in the block its step committed: the commitments on gov are gone
    const inBlock = (h: number | undefined) => [h! - 1, h!] as const;
    const fwd = (await pontisHandlers.scanBlocks(HUB, 'dept-a', ...inBlock(first.txHeight))).flatMap((b) => b.packets).filter((e) => e.packet.srcChain === GOV);
    expect(fwd).toHaveLength(5);
    const onA = await pontisHandlers.relayPackets(HUB, 'dept-a', fwd);
    const acksA = (await pontisHandlers.scanBlocks('dept-a', HUB, ...inBlock(onA.txHeight))).flatMap((b) => b.acks).filter((e) => e.packet.srcChain === GOV);
    expect(acksA).toHaveLength(5);
    const acksOnHub = await pontisHandlers.relayAcks('dept-a', HUB, acksA);
    const acksHub = (await fabricHandlers.scanBlocks(HUB, GOV, ...inBlock(acksOnHub.txHeight))).flatMap((b) => b.acks);
    const acked = await fabricHandlers.relayAcks(HUB, GOV, acksHub);
    expect(acked.accepted).toBe(5);
    const left = await readKeys({ chainId: GOV, writer: gov, endorsingOrgs: [] }, packets.map((p) => packetKeys.outbound(channelId(p), p.sequence)));
    expect(left).toEqual(packets.map(() => null));
  });

  it('behavior: a packet gov sent that the hub never received times out on gov with the hub\'s absence proof', async () => {
    const { packets, height } = await sendFromGov(1, 'late', 1500);
    await sleep(2500);
    await hub.clients[0].waitForHeight((await hubEp.latestHeight()) + 1, 20_000);
    const r = await fabricHandlers.timeouts(GOV, HUB, [{ height, packet: packets[0] }]);
    expect(r.accepted).toBe(1);
    expect(await readKeys({ chainId: GOV, writer: gov, endorsingOrgs: [] }, [packetKeys.outbound(channelId(packets[0]), packets[0].sequence)])).toEqual([null]);
    // and the hub can no longer receive it
    await expect(fabricHandlers.relayPackets(GOV, HUB, [{ height, packet: packets[0] }])).resolves.toMatchObject({ accepted: 0 });
  });

  it('behavior: a packet the hub forwarded to gov and nobody delivered in time: gov marks it, the hub times it out, dept-a learns it timed out', async () => {
    const [p] = await requestFromA(['household-42'], 3000);
    const aTip = (await a.clients[0].status()).latestHeight;
    const out = (await pontisHandlers.scanBlocks('dept-a', HUB, Math.max(0, aTip - 5), aTip)).flatMap((b) => b.packets).filter((e) => e.packet.sequence === p.sequence && e.packet.dstChain === GOV);
    const onHub = await pontisHandlers.relayPackets('dept-a', HUB, out);
    expect(onHub.accepted).toBe(1);
    await sleep(3500);
    const fwd = (await fabricHandlers.scanBlocks(HUB, GOV, onHub.txHeight! - 1, onHub.txHeight!)).flatMap((b) => b.packets).filter((e) => e.packet.sequence === p.sequence && e.packet.srcChain === 'dept-a');
    expect(fwd).toHaveLength(1);
    // first call marks it on gov; the hub's part follows once the marker is committed
    let timedOut: Awaited<ReturnType<FabricPathHandlers['timeouts']>> | undefined;
    for (let i = 0; i < 5 && !timedOut; i++) {
      try {
        timedOut = await fabricHandlers.timeouts(HUB, GOV, fwd);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('PNT_ERR_RELAY_TIMEOUT_NOT_DUE');
      }
    }
    expect(timedOut?.accepted).toBe(1);
    const [marker] = await readKeys({ chainId: GOV, writer: gov, endorsingOrgs: [] }, [packetKeys.receipt(channelId(p), p.sequence)]);
    expect(marker).toBe(toHex(FABRIC_TIMEOUT_MARKER));
    expect(await has(hub.clients[0], packetKeys.outbound(channelId(p), p.sequence))).toBe(false);
    // a late delivery of it to gov is refused there
    await expect(fabricHandlers.relayPackets(HUB, GOV, fwd)).resolves.toMatchObject({ accepted: 0 });
    // the hub's timeout error ack goes back to dept-a
    const back = (await pontisHandlers.scanBlocks(HUB, 'dept-a', timedOut!.txHeight! - 1, timedOut!.txHeight!)).flatMap((b) => b.acks).filter((e) => e.packet.sequence === p.sequence && e.packet.dstChain === GOV);
    expect(back).toHaveLength(1);
    await pontisHandlers.relayAcks(HUB, 'dept-a', back);
    const outcome = await a.clients[0].state({ text: Buffer.from(msgKeys.outcome(GOV, p.sequence)).toString() });
    expect(Buffer.from(outcome.value!.slice(2), 'hex').toString()).toBe('timed-out');
  });
});

describe('relayer worker processes', () => {
  function config(prefix: string, apiPort: number): RelayerConfigInput {
    const org = fx.net.orgs[0];
    return {
      hub: { chainId: HUB, rpc: hub.rpcUrls[0], signer: { env: 'RELAYER_KEY_HUB' } },
      chains: [
        { id: 'dept-a', kind: 'pontis', rpc: a.rpcUrls[0], signer: { env: 'RELAYER_KEY_A' } },
        { id: GOV, kind: 'fabric', channel: fx.net.channel, chaincode: 'pontis', peer: { endpoint: org.endpoint, tlsCaCert: org.tlsCaCertPath, serverName: 'localhost' }, mspId: org.mspId, cert: org.userCertPath, signer: { env: 'RELAYER_KEY_GOV' }, endorsingOrgs: ['Org1MSP', 'Org2MSP'] },
      ],
      paths: [
        { id: 'path-a', chain: 'dept-a', hub: HUB },
        { id: 'path-gov', chain: GOV, hub: HUB },
      ],
      redis: { url: redis.url, prefix },
      tuning: { batchSize: 50, concurrency: 4, clearIntervalMs: 3000, backoffMs: 200, maxAttempts: 40, lookbackBlocks: 400, scanIntervalMs: 200, lockMs: 3000 },
      api: { host: '127.0.0.1', port: apiPort },
    };
  }
  const env = () => ({
    RELAYER_KEY_HUB: [generateAccountKey(), generateAccountKey()].map((k) => toHex(k.secretKey)).join(','),
    RELAYER_KEY_A: [generateAccountKey()].map((k) => toHex(k.secretKey)).join(','),
    RELAYER_KEY_GOV: p256KeyHex(fx.net.orgs[0].userKeyPem),
  });

  it('behavior: gov -> dept-a messages and dept-a -> gov record requests, through kill -9 and a Redis flush: each received once, acknowledged once', async () => {
    for (let i = 0; i < 2; i++) {
      const r = new RelayerProcess(config('fabric-e2e', await freePort()), env());
      relayers.push(r);
      await r.start();
    }
    const first = await sendFromGov(20, 'proc-1');
    const requests = await requestFromA(['household-42', 'judicial-7']);
    await sleep(1500);
    await relayers[0].kill9();
    const redisClient = new Redis(redis.url);
    await redisClient.flushall();
    redisClient.disconnect();
    const second = await sendFromGov(20, 'proc-2');
    await relayers[0].start();
    const sent = [...first.packets, ...second.packets];
    const govState = { chainId: GOV, writer: gov, endorsingOrgs: [] };
    await until(
      'every gov packet acknowledged on gov',
      async () => (await readKeys(govState, sent.map((p) => packetKeys.outbound(channelId(p), p.sequence)))).every((v) => v === null),
      120_000,
    );
    for (const p of sent) expect(await has(a.clients[0], msgKeys.inbox(GOV, p.sequence))).toBe(true);
    await until('both record requests acknowledged on dept-a', async () => (await Promise.all(requests.map(ackOnA))).every((x) => x !== undefined), 120_000);
    const [okAck, denied] = await Promise.all(requests.map(ackOnA));
    const ok = decodeAck(Buffer.from(okAck!.slice(2), 'hex'));
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(JSON.parse(Buffer.from(ok.result.slice(2), 'hex').toString('utf8'))).toMatchObject({ id: 'household-42', owner: 'Org1MSP' });
    expect(decodeAck(Buffer.from(denied!.slice(2), 'hex'))).toEqual({ ok: false, error: 'PNT_ERR_RECORDS_ACCESS_DENIED' });

    // exactly once, from chain events: each gov packet received once on dept-a, acknowledged once on gov
    const received = new Map<string, number>();
    const aTip = (await a.clients[0].status()).latestHeight;
    for (let h = 1; h <= aTip; h++) for (const tx of (await a.clients[0].block(h)).txs) for (const e of tx.result.events) if (e.type === 'packet/recv/result' && e.attributes.result === 'ok') received.set(e.attributes.id, (received.get(e.attributes.id) ?? 0) + 1);
    const acked = new Map<string, number>();
    for (const block of await gov.blocks(1, await gov.latestHeight())) {
      for (const tx of blockTxs(block)) {
        if (tx.validationCode !== 0 || !tx.event) continue;
        for (const e of decodeEvents(tx.event.payload)) if (e.type === 'packet/acknowledged') acked.set(e.attributes.id, (acked.get(e.attributes.id) ?? 0) + 1);
      }
    }
    for (const p of sent) {
      const id = `${channelId(p)}/${p.sequence}`;
      expect(received.get(id), id).toBe(1);
      expect(acked.get(id), id).toBe(1);
    }
  });
});
