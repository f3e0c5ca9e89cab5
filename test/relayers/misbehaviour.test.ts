/**
 * Misbehaviour detection in the pipeline, with the chain side stubbed (a fork cannot be staged
 * on the test chains): the clearing pass sees a client whose consensus differs from the chain it
 * tracks, enqueues a `misbehaviour` job, and the job reports it (detection only, no submission).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { validateRelayerConfig } from '../../relayers/config.ts';
import type { ConsensusDivergence, PathHandlers } from '../../relayers/paths.ts';
import { Relayer, jobId } from '../../relayers/relayer.ts';
import { RedisServer, until } from './harness.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

function stubHandlers(divergent: Record<string, ConsensusDivergence>): PathHandlers {
  const none = async () => ({ submitted: false, accepted: 0, redundant: 0 });
  return {
    scanBlocks: async () => [],
    latestHeight: async () => 10,
    relayPackets: none,
    relayAcks: none,
    timeouts: none,
    updateClient: none,
    pending: async () => [],
    clientLag: async () => 0,
    consensusDivergence: async (src, dst) => divergent[`${src}>${dst}`] ?? null,
  };
}

it('behavior: a client diverging from its chain yields one misbehaviour job per height, reported and counted; agreeing clients yield none', async () => {
  const cfg = validateRelayerConfig({
    hub: { chainId: 'hub', rpc: 'http://127.0.0.1:1', signer: { env: 'K' } },
    chains: [
      { id: 'a', kind: 'pontis', rpc: 'http://127.0.0.1:2', signer: { env: 'K' } },
      { id: 'b', kind: 'pontis', rpc: 'http://127.0.0.1:3', signer: { env: 'K' } },
    ],
    paths: [
      { id: 'pa', chain: 'a', hub: 'hub' },
      { id: 'pb', chain: 'b', hub: 'hub' },
    ],
    redis: { url: redis.url, prefix: 'mb' },
    tuning: { clearIntervalMs: 200, scanIntervalMs: 100 },
  });
  const key = generateAccountKey();
  const evidence = { height: 7, clientRoot: '0x' + '01'.repeat(32), chainRoot: '0x' + '02'.repeat(32) };
  const r = new Relayer(cfg, { signers: { pontis: new Map(['hub', 'a', 'b'].map((c) => [c, [key]])), evm: new Map() }, handlers: stubHandlers({ 'a>hub': evidence }), logger: pino({ level: 'silent' }) });
  await r.start();
  try {
    const id = jobId('misbehaviour', 'pa', 'a', { heights: [7, 7] });
    await until('misbehaviour job completed', async () => (await (await r.queue('pa').getJob(id))?.isCompleted()) === true);
    // clearing runs every 200 ms; the job id dedupes the same detection while the job is kept
    await new Promise((res) => setTimeout(res, 600));
    expect(r.metrics.misbehaviour.get({ path: 'pa', chain: 'hub', counterparty: 'a' })).toBe(1);
    expect((await r.queue('pa').getJob(id))!.data.evidence).toEqual(evidence);
    expect(await r.queue('pb').getJobs(['completed', 'wait', 'active', 'failed'])).toEqual([]);
    expect(r.metrics.render()).toContain('pontis_relayer_misbehaviour_detected_total{path="pa",chain="hub",counterparty="a"} 1');
  } finally {
    await r.stop();
  }
});
