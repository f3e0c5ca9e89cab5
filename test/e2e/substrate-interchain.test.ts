/**
 * Substrate <-> hub end to end, every part real: chopsticks running the asset-hub runtime, a hub of
 * two validator processes whose `substrate` observers vote its finalized blocks (attested
 * `substrate` clients), governance registering the chain with Alice and the validators' delivery
 * multisig as its writers (the last test runs the co-signers as processes), packets sent
 * by `sendFromSubstrate` (remarks), and the relayer's `SubstratePathHandlers` scanning the remarks
 * and proving them to the hub. The same chopsticks is registered twice (`sub-1` and `sub-2`): a
 * packet from sub-1 to sub-2 is forwarded by the hub, and sub-2's gateway acknowledges it by
 * remark, which the hub records as delivered. Forged relays are refused with stable codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Keyring } from '@polkadot/api';
import { cryptoWaitReady, decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { decodeRemarkPayload } from '../../hub-chain/light-clients/substrate/remark.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { paths } from '../../hub-chain/node/config.ts';
import { type Packet, channelId, encodeAck, packetId } from '../../hub-chain/modules/packets/types.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import type { PacketQuery } from '../../hub-chain/rpc-client/client.ts';
import { SubstrateReader } from '../../adapters/substrate/reader.ts';
import { SubstrateWriter } from '../../adapters/substrate/writer.ts';
import { ackFromSubstrate, sendFromSubstrate, sentPairs, sequencesFromRemarks } from '../../adapters/substrate/packets.ts';
import { isFatalCode } from '../../relayers/errors.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { substrateEndpoint } from '../../relayers/paths/substrate/endpoint.ts';
import { SubstratePathHandlers } from '../../relayers/paths/substrate/handlers.ts';
import type { PacketEvent } from '../../relayers/paths/types.ts';
import { multisigAccount } from '../../relayers/paths/substrate/cosigner.ts';
import { DEV_ACCOUNTS, type ChopsticksNode, startChopsticks } from '../support/chopsticks.ts';
import { stopProcess } from '../support/process.ts';
import { registerSubstrateChain } from '../support/register-chain.ts';
import { Testnet } from './harness.ts';
import { RedisServer, RelayerProcess, freePort, metricSum, until } from '../relayers/harness.ts';

const HUB = 'pontis-hub-1';
const SUB = 'sub-1';
const SUB2 = 'sub-2';
const APP = 'sub-app';
/** The widest drift a client allows: chopsticks' block times lead the wall clock by 12 s a block. */
const CLIENT_PARAMS = { trustingPeriodMs: 7 * 24 * 3600_000, maxClockDriftMs: 3_600_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let chop: ChopsticksNode;
let hub: Testnet;
let alice: SubstrateWriter;
let bob: SubstrateWriter;
let reader: SubstrateReader;
let reader2: SubstrateReader;
let hubEp: RpcEndpoint;
let handlers: SubstratePathHandlers;
const sequences = new Map<string, number>();
let registeredAt = 0;
/** The two hub validators' Substrate keys (SS58) and their delivery multisig (2 of 2). */
let cosignKeys: string[] = [];
let multisig: Hex;

const hubPacket = async (id: string): Promise<PacketQuery | undefined> => {
  try {
    return await hub.clients[0].packet(id);
  } catch (e) {
    if (e instanceof PontisError && e.code === 'PNT_ERR_PACKET_NOT_FOUND') return undefined;
    throw e;
  }
};

const fields = (dstChain: string, payload: string): Omit<Packet, 'sequence'> => ({ srcChain: SUB, srcApp: APP, dstChain, dstApp: APP, ordered: false, payload: toHex(utf8(payload)), timeoutHeight: 0, timeoutTimestamp: 0 });

/** Scans `src` (SUB or SUB2) toward the hub from `from` until the hub's client holds `height`; returns what the scan found. */
async function scanUntil(src: string, from: number, height: number, timeoutMs = 60_000): Promise<{ packets: PacketEvent[]; acks: PacketEvent[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tip = await handlers.scanTip(src, HUB);
    if (tip >= height) {
      const blocks = await handlers.scanBlocks(src, HUB, from, tip);
      return { packets: blocks.flatMap((b) => b.packets), acks: blocks.flatMap((b) => b.acks) };
    }
    if (Date.now() > deadline) throw new Error(`the hub's client of ${src} did not reach ${height} (at ${tip})`);
    await sleep(300);
  }
}

/**
 * `send` again when its transaction was not included in time: chopsticks (1.1.0, Manual mode)
 * now and then leaves a transaction out of the blocks it builds. Resending the same packets is
 * safe: the counter moved only for remarks that landed, and the hub takes a packet once.
 */
async function landed<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (attempt >= 3 || !(e instanceof PontisError) || e.code !== 'PNT_ERR_ADAPTER_NOT_MINED') throw e;
    }
  }
}

/** Per-item results of a relay transaction submitted as is. */
async function submitRaw(msg: Msg): Promise<string[]> {
  const r = await hubEp.submit([msg]);
  if (r.code !== 'ok') return [r.code];
  return r.events.filter((e) => e.type.endsWith('/result')).map((e) => e.attributes.result ?? '');
}

/** The message the relayer would send for `events` (built, not submitted). */
async function recvMessage(events: PacketEvent[]): Promise<Msg & { proofHeight: number; packets: { packet: Packet; proof: unknown }[]; shared: { events: unknown; index: number; payload: string }[] }> {
  const { substrateRecvMessages } = await import('../../relayers/paths/substrate/to-hub.ts');
  const ep = substrateEndpoint(SUB, [reader]);
  const msgs = await substrateRecvMessages(ep, hubEp, events);
  expect(msgs).toHaveLength(1);
  return msgs[0] as never;
}

beforeAll(async () => {
  // chopsticks moves Timestamp.Now 12 s a block (the runtime's slot): a block every 1.5 s keeps the
  // chain's clock within CLIENT_PARAMS' drift (1 h) of the hub's for ~8 minutes, far longer than this file
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  cosignKeys = [0, 1].map((i) => keyring.addFromUri(`//PontisE2EValidator${i}`).address);
  multisig = multisigAccount({ signatories: cosignKeys, threshold: 2 });
  chop = await startChopsticks({ blockTimeMs: 1500, fund: [...cosignKeys, encodeAddress(multisig, 42)] });
  try {
    hub = await Testnet.create(2, { chainId: HUB });
    for (const home of hub.homes) {
      const f = paths(home).config;
      const cfg = JSON.parse(readFileSync(f, 'utf8'));
      // stride 1: a remark is proven at its own block, so every block is voted
      cfg.observers = [SUB, SUB2].map((chainId) => ({ chainId, kind: 'substrate', rpc: chop.httpUrl, intervalMs: 300, stride: 1 }));
      writeFileSync(f, JSON.stringify(cfg, null, 2));
    }
    await hub.startAll();
    await hub.clients[0].waitForHeight(2, 60_000);
    const writer = u8aToHex(decodeAddress(DEV_ACCOUNTS.alice));
    // sub-1's writers: Alice (the chain's gateway) and the hub validators' delivery multisig (2 of 2)
    registeredAt = (await registerSubstrateChain(hub, chop.httpUrl, SUB, [writer, multisig], { clientParams: CLIENT_PARAMS })).height;
    await registerSubstrateChain(hub, chop.httpUrl, SUB2, [writer], { clientParams: CLIENT_PARAMS });
    alice = new SubstrateWriter({ url: chop.url, chainId: SUB, signer: '//Alice', inclusionTimeoutMs: 15_000 });
    bob = new SubstrateWriter({ url: chop.url, chainId: SUB, signer: '//Bob', inclusionTimeoutMs: 15_000 });
    reader = new SubstrateReader({ url: chop.url, chainId: SUB });
    reader2 = new SubstrateReader({ url: chop.url, chainId: SUB2 });
    hubEp = new RpcEndpoint(HUB, hub.rpcUrls[0], generateAccountKey());
    handlers = new SubstratePathHandlers(
      hubEp,
      new Map([
        [SUB, substrateEndpoint(SUB, [reader])],
        [SUB2, substrateEndpoint(SUB2, [reader2])],
      ]),
    );
  } catch (e) {
    await chop.stop();
    await hub?.destroy();
    throw e;
  }
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close(), reader?.close(), reader2?.close()]);
  await hub?.destroy();
  await chop?.stop();
});

describe('Substrate -> hub, proven by remarks of the registered writer', () => {
  let sent: Packet[] = [];
  let found: PacketEvent[] = [];
  let remarkHeight = 0;

  it('delivers packets sent in one remark: one forwarded to sub-2, one refused (no such chain)', async () => {
    const r = await landed(() => sendFromSubstrate(alice, [fields(SUB2, 'to sub-2'), fields('nowhere-9', 'to nowhere')], sequences));
    sent = r.packets;
    expect(r.remarks).toHaveLength(1); // batched
    expect(sent.map((p) => p.sequence)).toEqual([1, 1]); // two channels, each from 1
    expect(sequences.get(channelId(sent[0]))).toBe(2);
    remarkHeight = r.remarks[0].height;

    const scanned = await scanUntil(SUB, registeredAt, remarkHeight);
    found = scanned.packets;
    expect(found.map((e) => packetId(e.packet)).sort()).toEqual(sent.map(packetId).sort());
    expect(found.every((e) => e.height === remarkHeight)).toBe(true);

    const out = await handlers.relayPackets(SUB, HUB, found);
    expect(out).toMatchObject({ submitted: true, accepted: 2, redundant: 0 });
    expect((await hubPacket(packetId(sent[0])))?.status.state).toBe('forwarded');
    const refused = (await hubPacket(packetId(sent[1])))!;
    expect(refused.status.ack).toMatchObject({ ok: false });
    expect((refused.status.ack as { error: string }).error).toMatch(/^PNT_ERR_/);
  });

  it('a replay is a no-op: the relayer skips it, and submitted as is the hub answers already-received', async () => {
    expect(await handlers.relayPackets(SUB, HUB, found)).toEqual({ submitted: false, accepted: 0, redundant: 0 });
    const msg = await recvMessage(found);
    const before = await hubPacket(packetId(sent[0]));
    expect(await submitRaw(msg)).toEqual(['already-received', 'already-received']);
    const after = await hubPacket(packetId(sent[0]));
    expect({ status: after?.status, keys: after?.keys }).toEqual({ status: before?.status, keys: before?.keys });
  });

  it('the sequence counter can be rebuilt from the writer remarks', async () => {
    const rebuilt = await sequencesFromRemarks(reader, [DEV_ACCOUNTS.alice], registeredAt, remarkHeight);
    expect(Object.fromEntries(rebuilt)).toEqual(Object.fromEntries(sequences));
  });

  it('forged relays are refused with stable codes and change nothing', async () => {
    // a fresh packet, scanned but not relayed, as the base of each forgery
    const r = await landed(() => sendFromSubstrate(alice, [fields(SUB2, 'forgery base')], sequences));
    const [base] = r.packets;
    const { packets } = await scanUntil(SUB, remarkHeight, r.remarks[0].height);
    const ev = packets.find((e) => packetId(e.packet) === packetId(base))!;
    expect(ev).toBeDefined();
    const genuine = await recvMessage([ev]);

    // fields that do not match the proven commitment
    const tamperedFields = { ...genuine, packets: [{ ...genuine.packets[0], packet: { ...base, payload: toHex(utf8('forged payload')) } }] };
    expect(await submitRaw(tamperedFields as Msg)).toEqual(['PNT_ERR_PROOF_VALUE_MISMATCH']);

    // a tampered payload (another commitment under the key): no longer the remarked bytes
    const forgedPayload = toHex(fromHex(genuine.shared[0].payload).map((b, i, a) => (i === a.length - 1 ? b ^ 1 : b)));
    const tamperedPayload = { ...genuine, shared: [{ ...genuine.shared[0], payload: forgedPayload }] };
    expect(await submitRaw(tamperedPayload as Msg)).toEqual(['PNT_ERR_SUBSTRATE_REMARK_INVALID']);

    // a proof at a height the client does not hold
    const farHeight = { ...genuine, proofHeight: genuine.proofHeight + 100_000 };
    expect(await submitRaw(farHeight as Msg)).toEqual(['PNT_ERR_CLIENT_NO_CONSENSUS']);

    // a height the client holds, but not the remark's block: its System.Events proof is not under that root
    expect(await submitRaw({ ...genuine, proofHeight: genuine.proofHeight - 1 } as Msg)).toEqual(['PNT_ERR_PROOF_INCOMPLETE']);

    // an event naming a packet no writer remarked: the relayer finds nothing to prove
    expect(await handlers.relayPackets(SUB, HUB, [{ ...ev, packet: { ...base, sequence: 77 } }])).toEqual({ submitted: false, accepted: 0, redundant: 0 });

    // the same packet remarked by an account that is not a writer (Bob): the scanner ignores it, the hub refuses it
    const b = await landed(() => bob.remarkBatch(sentPairs([{ ...base, sequence: 99 }])));
    const bobScan = await scanUntil(SUB, b.height - 1, b.height);
    expect(bobScan.packets.filter((e) => e.packet.sequence === 99)).toEqual([]);
    const bobProof = await reader.remarkProof(b.blockHash, b.eventIndex);
    const byBob = { type: 'packets/recv', proofHeight: b.height, packets: [{ packet: { ...base, sequence: 99 }, proof: { remark: bobProof } }] };
    expect(await submitRaw(byBob as Msg)).toEqual(['PNT_ERR_SUBSTRATE_REMARK_INVALID']);

    // none of it reached the hub; the genuine relay still goes through
    expect(await hubPacket(`${channelId(base)}/99`)).toBeUndefined();
    expect((await hubPacket(packetId(base)))).toBeUndefined();
    expect(await handlers.relayPackets(SUB, HUB, [ev])).toMatchObject({ submitted: true, accepted: 1 });
    expect((await hubPacket(packetId(base)))?.status.state).toBe('forwarded');
  });

  it('large packets: one remark each, and their relay split over hub transactions under the size limit', async () => {
    const big = (i: number) => ({ ...fields(SUB2, ''), payload: toHex(new Uint8Array(60 * 1024).fill(i)) });
    const r = await landed(() => sendFromSubstrate(alice, [big(1), big(2), big(3)], sequences));
    expect(r.remarks).toHaveLength(3);
    const top = Math.max(...r.remarks.map((x) => x.height));
    const { packets } = await scanUntil(SUB, Math.min(...r.remarks.map((x) => x.height)) - 1, top);
    const mine = packets.filter((e) => r.packets.some((p) => packetId(p) === packetId(e.packet)));
    expect(mine).toHaveLength(3);
    // three messages of ~370 KB each: one transaction would pass the hub's 1 MiB limit
    const out = await handlers.relayPackets(SUB, HUB, mine);
    expect(out).toMatchObject({ submitted: true, accepted: 3, redundant: 0 });
    for (const p of r.packets) expect((await hubPacket(packetId(p)))?.status.state).toBe('forwarded');
  });

  it("sub-2's gateway acknowledges the forwarded packet by remark: the hub records it delivered", async () => {
    const pkt = sent[0];
    const gateway2 = new SubstrateWriter({ url: chop.url, chainId: SUB2, signer: '//Alice', inclusionTimeoutMs: 15_000 });
    try {
      const ack = encodeAck({ ok: true, result: toHex(utf8('got it')) });
      const r = await landed(() => ackFromSubstrate(gateway2, [{ packet: pkt, ack }]));
      const { acks } = await scanUntil(SUB2, r.height - 1, r.height);
      expect(acks.map((e) => packetId(e.packet))).toEqual([packetId(pkt)]);
      expect(await handlers.relayAcks(SUB2, HUB, acks)).toMatchObject({ submitted: true, accepted: 1 });
      const atHub = (await hubPacket(packetId(pkt)))!;
      expect(atHub.status.state).toBe('delivered');
      expect(atHub.status.ack).toEqual({ ok: true, result: toHex(utf8('got it')) });
      // the ack for sub-1 now waits on the hub -> Substrate leg, which answers with a fatal typed error
      expect(await handlers.relayAcks(SUB2, HUB, acks)).toEqual({ submitted: false, accepted: 0, redundant: 0 });
    } finally {
      await gateway2.close();
    }
  });

  it('writes into the chain a relayer cannot make answer PNT_ERR_RELAY_DIRECTION_UNSUPPORTED (fatal); hub timeouts of packets for the chain are relayed', async () => {
    const ev = { height: 1, packet: sent[0] };
    for (const leg of [() => handlers.relayPackets(HUB, SUB, [ev]), () => handlers.relayAcks(HUB, SUB, [ev]), () => handlers.timeouts(SUB, HUB, [ev]), () => handlers.updateClient(HUB, SUB)]) {
      const e = await leg().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PontisError);
      expect((e as PontisError).code).toBe('PNT_ERR_RELAY_DIRECTION_UNSUPPORTED');
      expect((e as PontisError).retryable).toBe(false);
    }
    expect(isFatalCode('PNT_ERR_RELAY_DIRECTION_UNSUPPORTED')).toBe(true);
    // timeouts on the hub of packets it sent the chain go by the co-signers' timeout records (test/relayers/substrate-delivery.test.ts); this packet is not for sub-1
    expect(await handlers.timeouts(HUB, SUB, [ev])).toEqual({ submitted: false, accepted: 0, redundant: 0 });
    expect(await handlers.updateClient(SUB, HUB)).toEqual({ submitted: false, accepted: 0, redundant: 0 });
    expect(await handlers.consensusDivergence(SUB, HUB)).toBeNull();
    expect(await handlers.clientLag(SUB, HUB)).toBeGreaterThanOrEqual(0);
  });

  /** The relayer process and its Redis, shared by the two tests below (stopped after them). */
  let shared: { redis: RedisServer; rly: RelayerProcess } | undefined;
  afterAll(async () => {
    await shared?.rly.stop();
    shared?.rly.cleanup();
    await shared?.redis.stop();
  });

  it('the relayer pipeline (`pontis relayer start`, kind substrate, real Redis) delivers a remarked packet; the hub -> Substrate leg fails fatally with its code; packets and acks arrive exactly once through kill -9 and a Redis flush', async () => {
    const redis = await RedisServer.start();
    const port = await freePort();
    const rly = new RelayerProcess(
      {
        hub: { chainId: HUB, rpc: hub.rpcUrls[0], signer: { env: 'RELAYER_KEY_HUB' } },
        chains: [
          { id: SUB, kind: 'substrate', rpc: chop.url, signer: { env: 'RELAYER_KEY_SUB' } },
          { id: SUB2, kind: 'substrate', rpc: chop.url, signer: { env: 'RELAYER_KEY_SUB' } },
        ],
        paths: [
          { id: 'path-sub', chain: SUB, hub: HUB },
          { id: 'path-sub2', chain: SUB2, hub: HUB },
        ],
        redis: { url: redis.url, prefix: 'rly-sub' },
        tuning: { batchSize: 20, concurrency: 2, clearIntervalMs: 3000, backoffMs: 200, maxAttempts: 5, lookbackBlocks: 50, scanIntervalMs: 300, lockMs: 3000 },
        api: { host: '127.0.0.1', port },
      },
      { RELAYER_KEY_HUB: toHex(generateAccountKey().secretKey), RELAYER_KEY_SUB: toHex(new Uint8Array(32).fill(7)) },
    );
    shared = { redis, rly };
    {
      await rly.start();
      const r = await landed(() => sendFromSubstrate(alice, [fields(SUB2, 'through the pipeline'), fields('nowhere-9', 'refused again')], sequences));
      const [forwarded, refused] = r.packets;
      await until('the pipeline delivered the packets to the hub', async () => (await hubPacket(packetId(forwarded)))?.status.state === 'forwarded' && (await hubPacket(packetId(refused))) !== undefined, 90_000);
      expect((await hubPacket(packetId(refused)))!.status.ack).toMatchObject({ ok: false });
      // the refusal's ack goes back toward sub-1: a job the relayer stops at once with the code
      await until('the ack job toward sub-1 failed with its code', async () => metricSum(await rly.metrics(), 'pontis_relayer_failures_total', { code: 'PNT_ERR_RELAY_DIRECTION_UNSUPPORTED' }) >= 1, 60_000);
      // the hub shows the packets once committed, a moment before the relayer's submission returns and counts them
      await until('the relayer counted its deliveries', async () => metricSum(await rly.metrics(), 'pontis_relayer_packets_relayed_total', { path: 'path-sub', kind: 'relay-packets' }) >= 2, 30_000);

      // exactly once through crashes: Redis flushed while packets are in flight, then the relayer killed (-9)
      // with acks and packets waiting, Redis flushed again while it is down
      const from = await hubEp.latestHeight();
      const state = async (p: Packet) => (await hubPacket(packetId(p)))?.status.state;
      const remark = async (tag: string) => (await landed(() => sendFromSubstrate(alice, [0, 1, 2, 3].map((i) => fields(SUB2, `${tag}-${i}`)), sequences))).packets;
      const stream = await remark('before-flush');
      await until('the first of the stream forwarded', async () => (await state(stream[0])) === 'forwarded', 60_000);
      // cursors, leases and jobs are gone: the relayer rebuilds them from the chains (lookbackBlocks)
      await redis.flushAll();
      stream.push(...(await remark('after-flush')));
      await until('every packet of the stream forwarded', async () => (await Promise.all(stream.map(state))).every((x) => x === 'forwarded'), 120_000);

      // sub-2's gateway acknowledges them all; the relayer is killed as the ack remark lands, more packets are remarked while it is down
      const gateway2 = new SubstrateWriter({ url: chop.url, chainId: SUB2, signer: '//Alice', inclusionTimeoutMs: 15_000 });
      try {
        await landed(() => ackFromSubstrate(gateway2, stream.map((packet) => ({ packet, ack: encodeAck({ ok: true, result: '0x' }) }))));
      } finally {
        await gateway2.close();
      }
      await rly.kill9();
      const whileDown = await remark('while-down');
      await redis.flushAll();
      await rly.start();
      await until('every ack taken by the hub, every packet sent while the relayer was down forwarded', async () => (await Promise.all(stream.map(state))).every((x) => x === 'delivered') && (await Promise.all(whileDown.map(state))).every((x) => x === 'forwarded'), 120_000);

      // what the hub executed: each packet received once and acknowledged once; a retried job's items the hub had taken are answered as such
      const ids = new Set([...stream, ...whileDown].map(packetId));
      const results = new Map<string, string[]>();
      for (let h = from + 1; h <= (await hubEp.latestHeight()); h++) {
        for (const tx of (await hubEp.blockEvents(h)).txs) {
          for (const e of tx.events) {
            if (!e.type.endsWith('/result') || !ids.has(e.attributes.id)) continue;
            const k = `${e.type} ${e.attributes.id}`;
            results.set(k, [...(results.get(k) ?? []), e.attributes.result]);
          }
        }
      }
      for (const id of ids) expect(results.get(`packet/recv/result ${id}`)?.filter((r) => r === 'ok'), id).toEqual(['ok']);
      for (const p of stream) expect(results.get(`packet/ack/result ${packetId(p)}`)?.filter((r) => r === 'ok'), packetId(p)).toEqual(['ok']);
      // a redundant item is at most one job retried after its transaction committed (the kill), never a stream of them
      const redundant = [...results.values()].flat().filter((r) => r !== 'ok');
      expect(redundant.every((r) => r === 'already-received' || r === 'already-resolved'), redundant.join()).toBe(true);
      expect(redundant.length).toBeLessThanOrEqual(stream.length);
    }
  });

  it('hub -> sub-1 on real processes: two `pontis relayer cosign` processes (2 of 2) deliver a hub packet and record another past its timeout; the relayer process brings back the ack and the timeout; each is written once', async () => {
    // the relayer process of the test above, still running
    expect(shared?.rly.running()).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'pontis-cosign-e2e-'));
    const from = (await hubEp.latestHeight()) + 1;
    const cosigners: ChildProcess[] = [0, 1].map((i) => {
      const p = spawn(process.execPath, [resolve(import.meta.dirname, '../../bin/pontis.js'), 'relayer', 'cosign', '--hub-rpc', hub.rpcUrls[i], '--substrate', chop.url, '--chain', SUB, '--signatories', cosignKeys.join(','), '--threshold', '2', '--key-env', 'COSIGN_KEY', '--from', String(from), '--from-block', String(registeredAt), '--index-file', join(dir, `v${i}.json`)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, COSIGN_KEY: `//PontisE2EValidator${i}` },
      });
      const log = createWriteStream(join(dir, `cosign-${i}.log`));
      p.stdout!.pipe(log);
      p.stderr!.pipe(log);
      return p;
    });
    try {
      // the chain's clock runs ahead of the hub's: timeouts are set by the chain's time
      const chainNow = await reader.blockTime(await reader.latestHeight());
      const user = generateAccountKey();
      const sent = await hub.clients[0].send(user, [
        { type: 'msg/send', dstChain: SUB, payload: toHex(utf8('to sub-1 from the hub')), timeoutTimestamp: chainNow + 3_600_000 },
        { type: 'msg/send', dstChain: SUB, payload: toHex(utf8('too late for sub-1')), timeoutTimestamp: chainNow + 1 },
      ]);
      const [onTime, late] = sent.result.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
      await until('the ack of the delivered packet and the timeout of the late one on the hub', async () => (await hubPacket(packetId(onTime)))?.status.state === 'acknowledged' && (await hubPacket(packetId(late)))?.status.state === 'timed-out', 120_000);
      expect((await hubPacket(packetId(onTime)))!.status.ack).toEqual({ ok: true, result: '0x' });

      // on sub-1: one remark of the multisig holds the receipt of one packet and the timeout record of the other, once each
      const tip = await reader.latestHeight();
      const keys: string[] = [];
      for (const ev of await reader.events({ sources: ['system'], names: ['Remarked'] }, registeredAt, tip)) {
        if (u8aToHex(decodeAddress(String(ev.args.sender))) !== multisig) continue;
        for (const [k] of decodeRemarkPayload(fromHex(await reader.remarkPayload(ev.blockHash, ev.index)))) keys.push(Buffer.from(k).toString('utf8'));
      }
      expect(keys.filter((k) => k === `pkt/rcpt/${channelId(onTime)}/${onTime.sequence}`)).toHaveLength(1);
      expect(keys.filter((k) => k === `pkt/rcpt-none/${channelId(late)}/${late.sequence}`)).toHaveLength(1);
      expect(keys).not.toContain(`pkt/rcpt/${channelId(late)}/${late.sequence}`);
    } finally {
      await Promise.all(cosigners.map((p) => stopProcess(p)));
    }
  });
});
