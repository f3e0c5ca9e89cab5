/**
 * Misbehaviour, end to end on real processes: dept-a's validator key signs a second header at a
 * height (another state root) and that fork is fed to the hub's client of dept-a as an ordinary
 * update. The relayer's clearing pass finds the client's consensus differing from dept-a's own
 * header there, enqueues one `misbehaviour` job, and the job submits dept-a's real signed header
 * as evidence: the hub freezes the client. The client of dept-b, which agrees with its chain,
 * is left alone.
 */
import { receivedVia } from '../support/receipts.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type Packet, channelId, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { addressFromPublicKey, validatorPublicKey } from '../../hub-chain/crypto/secp256k1.ts';
import { loadHome } from '../../hub-chain/node/config.ts';
import { headerHash } from '../../hub-chain/types/header.ts';
import { VoteType, signVote } from '../../hub-chain/types/vote.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { clientHeight, consensusOn } from '../../relayers/paths/pontis/path.ts';
import { resolveSigners, validateRelayerConfig } from '../../relayers/config.ts';
import { Relayer, jobId } from '../../relayers/relayer.ts';
import { HUB, RedisServer, freePort, relayerConfig, signerEnv, startInterchain, until, type Interchain } from './harness.ts';

let redis: RedisServer;
let net: Interchain;
beforeAll(async () => {
  [redis, net] = await Promise.all([RedisServer.start(), startInterchain()]);
}, 180_000);
afterAll(async () => {
  await redis?.stop();
  await net?.destroy();
});

it('behavior: a fork fed to the hub client is detected by clearing and frozen by the submitted evidence, once; an agreeing client is left alone; packets from the frozen client fail with its code without blocking others', async () => {
  const a = new RpcEndpoint('dept-a', net.a.rpcUrls[0]);
  const hub = new RpcEndpoint(HUB, net.hub.rpcUrls[0], generateAccountKey());
  const trusted = await clientHeight(hub, 'dept-a');
  await net.a.clients[0].waitForHeight(trusted + 2, 30_000);
  const height = await a.latestHeight();

  // dept-a's only validator signs a second header at `height`: a fork with another state root
  const real = await a.signedHeader(height);
  const forged = { ...real.header, stateRoot: `0x${'ee'.repeat(32)}` as const };
  const secret = loadHome(net.a.homes[0]).validatorKey!;
  const validator = addressFromPublicKey(validatorPublicKey(secret));
  const vote = signVote('dept-a', { type: VoteType.Precommit, height, round: 0, blockHash: headerHash(forged) }, secret, validator);
  const commit = { height, round: 0, blockHash: vote.blockHash, signatures: [{ validator: vote.validator, signature: vote.signature }] };
  const [vals, next] = await Promise.all([a.validatorSet(height), a.validatorSet(height + 1)]);
  const upd = await hub.submit([{ type: 'clients/update', chainId: 'dept-a', message: { signedHeader: { header: forged, commit }, validators: vals.toJSON(), nextValidators: next.toJSON(), trustedHeight: trusted } }]);
  expect(upd.code).toBe('ok');
  expect((await consensusOn(hub, 'dept-a', height))!.root).toBe(forged.stateRoot);

  const cfg = validateRelayerConfig(relayerConfig(net, redis.url, 'mb', await freePort(), { clearIntervalMs: 500 }));
  const r = new Relayer(cfg, { signers: resolveSigners(cfg, signerEnv()), logger: pino({ level: process.env.DBG_LOG ?? 'silent' }) });
  await r.start();
  try {
    await until('the hub client of dept-a frozen', async () => (await net.hub.clients[0].clientStatus('dept-a')).status === 'frozen', 60_000);
    const st = await net.hub.clients[0].clientStatus('dept-a');
    expect(st.record.frozen).toEqual({ atHeight: height, evidence: 'conflicting-header' });
    expect(st.evidenceCount).toBe(1);
    const id = jobId('misbehaviour', 'path-a', 'dept-a', { heights: [height, height] });
    await until('misbehaviour job completed', async () => (await (await r.queue('path-a').getJob(id))?.isCompleted()) === true);
    expect((await r.queue('path-a').getJob(id))!.data.evidence).toEqual({ height, clientRoot: forged.stateRoot, chainRoot: real.header.stateRoot });
    // clearing keeps running: the same detection is not submitted again
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.metrics.misbehaviour.get({ path: 'path-a', chain: HUB, counterparty: 'dept-a' })).toBe(1);
    expect(r.metrics.submissions.get({ path: 'path-a', kind: 'misbehaviour', chain: HUB })).toBe(1);
    expect((await net.hub.clients[0].clientStatus('dept-a')).evidenceCount).toBe(1);
    expect((await net.hub.clients[0].clientStatus('dept-b')).status).toBe('active');
    expect(await r.queue('path-b').getJobs(['completed', 'wait', 'active', 'failed', 'delayed']).then((js) => js.filter((j) => j.name === 'misbehaviour'))).toEqual([]);

    // poison from a frozen client: dept-a's packet fails once with the client's code; dept-b's still reaches dept-a
    const user = generateAccountKey();
    const sendFrom = async (c: Interchain['a'], dst: string) => {
      const res = await c.clients[0].send(user, [{ type: 'msg/send', dstChain: dst, payload: toHex(utf8(`after the freeze to ${dst}`)), timeoutTimestamp: Date.now() + 600_000 }]);
      return res.result.events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet)[0];
    };
    const [fromA, fromB] = [await sendFrom(net.a, 'dept-b'), await sendFrom(net.b, 'dept-a')];
    await until('dept-b\'s message received on dept-a', () => receivedVia(net.a.clients[0], fromB), 60_000);
    const failedA = async () => (await r.queue('path-a').getJobs(['failed'])).filter((j) => j.name === 'relay-packets' && j.data.events.some((e) => e.packet.sequence === fromA.sequence && e.packet.srcChain === 'dept-a'));
    await until('dept-a\'s relay job failed', async () => (await failedA()).length > 0, 30_000);
    const [job] = await failedA();
    expect(job.failedReason).toMatch(/^PNT_ERR_CLIENT_FROZEN:/);
    // a fatal code stops the job at once: it never runs out its retries (an earlier attempt may
    // have met a transient error on a loaded machine)
    expect(job.attemptsMade).toBeLessThan(cfg.tuning.maxAttempts);
    expect(job.attemptsMade).toBeLessThanOrEqual(2);
    expect(await receivedVia(net.hub.clients[0], fromA)).toBe(false);
  } finally {
    await r.stop();
  }
});
