/**
 * The chain adapter conformance suite for the Fabric adapter (adapters/fabric over the official
 * fabric-gateway client) against the network stand-in running the Pontis chaincode, then what is
 * Fabric's own: typed errors for an MVCC conflict, a chaincode refusal, an unknown chaincode and
 * a peer that went away; endorsed envelopes that are never submitted; writes and events found in
 * a delivered block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { toHex } from '../../hub-chain/crypto/bytes.ts';
import { blockTxs, FabricWriter } from '../../adapters/fabric/index.ts';
import { CHAINCODE_NAME, chaincodeCalls } from '../../contracts/fabric/calls.ts';
import { decodeEvents, PONTIS_EVENT_NAME, sentPackets } from '../../contracts/fabric/events.ts';
import { verifyEndorsedQuery } from '../../hub-chain/light-clients/fabric/query.ts';
import { MspRegistry } from '../../hub-chain/light-clients/fabric/msp.ts';
import { chainAdapterConformance } from '../conformance/adapter.ts';
import { CLIENT_PARAMS, FABRIC, HUB, HubSim } from '../contracts/fabric/world.ts';
import { type FabricFixture, startFabricFixture } from '../support/fabric.ts';
import { hangingEndpoint, unreachableEndpoint } from './faulty-rpc.ts';

const hostPort = (url: string) => url.replace(/^http:\/\//, '');
const send = (i: number) => chaincodeCalls.sendPacket({ dstChain: 'dept-a', dstApp: 'msg', data: `0x${i.toString(16).padStart(4, '0')}`, timeoutTimestamp: Date.now() + 3_600_000, ordered: false });

async function started(): Promise<{ fx: FabricFixture; hub: HubSim }> {
  const fx = await startFabricFixture({ chainId: FABRIC });
  const hub = HubSim.start('fabric-adapter', Date.now() - 20_000);
  await hub.commit();
  const init = chaincodeCalls.initHubClient({ chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(1));
  await fx.writer(0, { who: 'admin' }).submitTx(init);
  return { fx, hub };
}

async function failure(p: Promise<unknown>): Promise<AdapterError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AdapterError);
  return e as AdapterError;
}

chainAdapterConformance(
  'fabric (network stand-in, Pontis chaincode)',
  async () => {
    const { fx, hub } = await started();
    const writer = fx.writer(0);
    const faulty: { close(): unknown }[] = [];
    let seq = 0;
    return {
      reader: writer,
      filter: { sources: [CHAINCODE_NAME], names: [PONTIS_EVENT_NAME] },
      async emit(n) {
        // one at a time: each is its own transaction, so each its own event, in chain order
        for (let i = 0; i < n; i++) await writer.submitTx(send(seq++));
      },
      async hangingReader() {
        const ep = await hangingEndpoint();
        faulty.push(ep);
        return fx.writer(0, { endpoint: hostPort(ep.url), timeoutMs: 300 });
      },
      async failingReader() {
        const ep = await fx.failingEndpoint();
        return fx.writer(0, { endpoint: ep.endpoint, timeoutMs: 2000 });
      },
      async unreachableReader() {
        const ep = await unreachableEndpoint();
        return fx.writer(0, { endpoint: hostPort(ep.url), timeoutMs: 2000 });
      },
      // a record nobody wrote: the chaincode refuses, so the gateway gets no endorsement
      submitReverting: () => writer.submitTx(chaincodeCalls.getRecord('no-such-record')),
      async cleanup() {
        for (const f of faulty) await f.close();
        await fx.close();
        await hub.close();
      },
    };
  },
  { writes: true },
);

describe('fabric adapter: what is Fabric\'s own', () => {
  let fx: FabricFixture;
  let hub: HubSim;
  let writer: FabricWriter;
  beforeAll(async () => {
    ({ fx, hub } = await started());
    writer = fx.writer(0);
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await hub?.close();
  });

  it('behavior: a delivered block shows the transaction, its event with the packet, and the commitment it wrote', async () => {
    const r = await writer.submitTx(send(1000));
    const [block] = await writer.blocks(r.height, r.height);
    const tx = blockTxs(block).find((t) => t.txId === r.txId)!;
    expect(tx.validationCode).toBe(0);
    const [packet] = sentPackets(decodeEvents(tx.event!.payload));
    expect(JSON.parse(Buffer.from(packet.payload.slice(2), 'hex').toString('utf8')).data).toBe('0x03e8');
    const writes = tx.writes.get(CHAINCODE_NAME)!;
    expect([...writes.keys()].some((k) => k.startsWith(`pkt/out/${FABRIC}/`) && k.endsWith(`/${packet.sequence}`))).toBe(true);
    // a range through the Deliver service agrees with single blocks
    const range = await writer.blocks(r.height - 2, r.height);
    expect(range.map((b) => b.getHeader()!.getNumber())).toEqual([r.height - 2, r.height - 1, r.height]);
  });

  it('behavior: an endorsed envelope is signed by the policy\'s orgs and never reaches the ledger', async () => {
    const before = await writer.latestHeight();
    const { envelope: env, result } = await writer.endorsedEnvelope(chaincodeCalls.getState(['pontis-client/config']), ['Org1MSP', 'Org3MSP']);
    const msps = new MspRegistry(Object.fromEntries(fx.net.orgs.map((o) => [o.mspId, [o.caCertPem]])));
    const values = verifyEndorsedQuery(env, { channelId: fx.net.channel, chaincode: CHAINCODE_NAME, msps, policy: () => ({ outOf: 2, orgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'] }), at: new Date() });
    expect(values.get('pontis-client/config')).not.toBeNull();
    // the answer handed back is the one the endorsers signed
    expect(JSON.parse(Buffer.from(result).toString('utf8'))).toEqual([toHex(values.get('pontis-client/config')!)]);
    await new Promise((r) => setTimeout(r, 200));
    expect(await writer.latestHeight()).toBe(before);
  });

  it('error: two transactions racing on one key: one commits, the other is a retryable PNT_ERR_ADAPTER_CONFLICT', async () => {
    // both read the next sequence of the same channel and write it
    const rs = await writer.submit([send(1), send(2), send(3)]);
    const ok = rs.filter((r) => r.status === 'success');
    const lost = rs.filter((r) => r.status !== 'success');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    for (const l of lost) {
      expect(l.error?.code).toBe(AdapterErrorCode.CONFLICT);
      expect(l.error?.retryable).toBe(true);
      expect(l.error?.details?.validationCode).toBe('MVCC_READ_CONFLICT');
    }
  });

  it('error: a chaincode refusal keeps the chaincode\'s code; not retryable', async () => {
    const e = await failure(writer.submitTx(chaincodeCalls.putRecord('r1', '0x01', ['dept-a'])).then(() => fx.writer(1).submitTx(chaincodeCalls.putRecord('r1', '0x02', []))));
    expect(e.code).toBe(AdapterErrorCode.REVERTED);
    expect(e.details?.code).toBe('PNT_ERR_RECORDS_ACCESS_DENIED');
    expect(e.retryable).toBe(false);
  });

  it('error: an unknown chaincode is an invalid request, not retryable', async () => {
    const other = new FabricWriter({ chainId: FABRIC, channel: fx.net.channel, chaincode: 'nope', endpoint: fx.net.orgs[0].endpoint, tlsCaCertPem: fx.net.orgs[0].tlsCaCertPem, serverName: 'localhost', identity: fx.identity(0) });
    try {
      const e = await failure(other.evaluate(chaincodeCalls.clientStatus()));
      expect(e.code).toBe(AdapterErrorCode.INVALID_REQUEST);
      expect(e.retryable).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('error: endorsement that needs a peer that is down fails retryably (unavailable), and nothing is committed', async () => {
    const before = await writer.latestHeight();
    const probe = fx.writer(0);
    await probe.latestHeight();
    fx.net.stopPeer('Org3MSP');
    const e = await failure(probe.endorsedEnvelope(chaincodeCalls.getState(['pontis-client/config']), ['Org1MSP', 'Org3MSP']));
    expect(e.code).toBe(AdapterErrorCode.RPC_UNAVAILABLE);
    expect(e.retryable).toBe(true);
    expect(await writer.latestHeight()).toBe(before);
  });
});
