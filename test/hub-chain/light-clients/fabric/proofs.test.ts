/**
 * The hub's `fabric` client against well-formed proofs from a real channel (the network stand-in
 * running the Pontis chaincode, 3 orgs, 2 of 3 endorse), altered one way at a time: each must be
 * refused with a typed error, and the untouched proof accepted. The block holding the write sits
 * below the height the client holds, so proofs chain to it through the headers after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { common } from '@hyperledger/fabric-protos';
import { blockTxs, headerOf, type FabricWriter } from '../../../../adapters/fabric/index.ts';
import { type Bytes, toHex } from '../../../../hub-chain/crypto/bytes.ts';
import { fabricClient, type FabricClientRecord } from '../../../../hub-chain/light-clients/fabric/module.ts';
import type { ConsensusRecord } from '../../../../hub-chain/modules/clients/types.ts';
import { channelId, packetKeys as K } from '../../../../hub-chain/modules/packets/types.ts';
import { chaincodeCalls } from '../../../../contracts/fabric/calls.ts';
import { decodeEvents, sentPackets } from '../../../../contracts/fabric/events.ts';
import { type FabricEndpoint, endorsedQuery } from '../../../../relayers/paths/fabric/endpoint.ts';
import { CLIENT_PARAMS, FABRIC, HUB, HubSim } from '../../../contracts/fabric/world.ts';
import { type FabricFixture, startFabricFixture } from '../../../support/fabric.ts';
import { codeOf } from '../../../support/errors.ts';

const DAY = 86_400_000;
let fx: FabricFixture;
let hub: HubSim;
let gov: FabricWriter;
let rec: FabricClientRecord;
let cons: ConsensusRecord;
const m = {} as { key: Bytes; value: Bytes; block: common.Block; txIndex: number; headers: ReturnType<typeof headerOf>[]; query: string; otherQuery: string; oneOrgQuery: string; absentQuery: string };

const b64 = (b: common.Block) => Buffer.from(b.serializeBinary()).toString('base64');
const proof = (o: Partial<{ block: string; txIndex: number; headers: unknown[]; query: string }> = {}) => ({ block: b64(m.block), txIndex: m.txIndex, headers: m.headers, query: m.query, ...o });
const copy = (b: common.Block) => common.Block.deserializeBinary(b.serializeBinary());

beforeAll(async () => {
  fx = await startFabricFixture({ chainId: FABRIC });
  hub = HubSim.start('fabric-lc-proofs', Date.now() - 20_000);
  await hub.commit();
  await fx.writer(0, { who: 'admin' }).submitTx(chaincodeCalls.initHubClient({ chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(1)));
  gov = fx.writer(0);
  const r = await gov.submitTx(chaincodeCalls.issueAttestation({ kind: 'judicial-evidence', subject: toHex(new Uint8Array(32).fill(9)), expiresAtMs: Date.now() + DAY }, { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp: Date.now() + 600_000 }));
  // two more blocks above it: the client will hold the newest
  await gov.submitTx(chaincodeCalls.putRecord('p-1', '0x01', []));
  const last = await gov.submitTx(chaincodeCalls.putRecord('p-2', '0x02', []));
  const blocks = await gov.blocks(r.height, last.height);
  m.block = blocks[0];
  const tx = blockTxs(m.block).find((t) => t.txId === r.txId)!;
  m.txIndex = tx.index;
  const [p] = sentPackets(decodeEvents(tx.event!.payload));
  m.key = K.outbound(channelId(p), p.sequence);
  m.value = tx.writes.get('pontis')!.get(Buffer.from(m.key).toString('utf8'))!;
  m.headers = blocks.slice(1).map(headerOf);
  const ep: FabricEndpoint = { chainId: FABRIC, writer: gov, endorsingOrgs: ['Org1MSP', 'Org2MSP'] };
  m.query = (await endorsedQuery(ep, [m.key])).query;
  m.otherQuery = (await endorsedQuery(ep, [K.outbound(channelId(p), p.sequence + 100)])).query;
  m.oneOrgQuery = (await endorsedQuery({ ...ep, endorsingOrgs: ['Org1MSP'] }, [m.key])).query;
  m.absentQuery = (await endorsedQuery(ep, [K.receipt('hub/msg/gov/records', 1)])).query;
  const init = fabricClient.initialise(FABRIC, fx.clientParams(DAY), { header: headerOf(blocks[blocks.length - 1]), timestamp: Date.now() });
  rec = init.record as FabricClientRecord;
  cons = init.consensus;
}, 90_000);

afterAll(async () => {
  await fx?.close();
  await hub?.close();
});

describe('fabric client: committed-transaction proofs', () => {
  it('behavior: a write two blocks below the client\'s height is proven through the headers after its block', () => {
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof()))).toBeUndefined();
  });

  it('error: a header of the path altered breaks the chain to the held header', () => {
    const headers = m.headers.map((h, i) => (i === 0 ? { ...h, dataHash: toHex(new Uint8Array(32).fill(1)) } : h));
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ headers })))).toBe('PNT_ERR_PROOF_INVALID');
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ headers: m.headers.slice(1) })))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: a header path that is not a list of headers is malformed, and one checked before does not vouch for another list', () => {
    for (const headers of [{ 0: m.headers[0] }, [{ ...m.headers[0], dataHash: '0x12' }], [...m.headers, 'header'], 'headers'] as unknown[]) {
      expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ headers: headers as unknown[] })))).toBe('PNT_ERR_PROOF_MALFORMED');
    }
    // the same path checked through one list (remembered), then a copy with one header altered
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof()))).toBeUndefined();
    const altered = m.headers.map((h, i) => (i === m.headers.length - 1 ? { ...h, previousHash: toHex(new Uint8Array(32).fill(2)) } : h));
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ headers: altered })))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: the unsigned validation flag set to a failure code refuses the proof', () => {
    const b = copy(m.block);
    const md = b.getMetadata()!.getMetadataList_asU8();
    const filter = new Uint8Array(md[common.BlockMetadataIndex.TRANSACTIONS_FILTER]);
    filter[m.txIndex] = 11; // MVCC_READ_CONFLICT
    md[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = filter;
    b.getMetadata()!.setMetadataList(md);
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ block: b64(b) })))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: a transaction index that is not the write (beyond the block) is refused', () => {
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ txIndex: 50 })))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: an envelope altered inside the block no longer matches the data hash', () => {
    const b = copy(m.block);
    const data = b.getData()!.getDataList_asU8().map((d) => new Uint8Array(d));
    data[m.txIndex][data[m.txIndex].length - 5] ^= 0xff;
    b.getData()!.setDataList(data);
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ block: b64(b) })))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: another value for the key is a value mismatch', () => {
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, new Uint8Array(32), proof()))).toBe('PNT_ERR_PROOF_VALUE_MISMATCH');
  });

  it('error: an endorsed query of another key, or endorsed by one org only (1 of 3 when 2 are needed), is refused', () => {
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ query: m.otherQuery })))).toBe('PNT_ERR_PROOF_INVALID');
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ query: m.oneOrgQuery })))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: an endorsement signature of the query tampered is refused', () => {
    const env = Buffer.from(m.query, 'base64');
    env[env.length - 20] ^= 0x01;
    expect(codeOf(() => fabricClient.verifyMembership(rec, cons, m.key, m.value, proof({ query: env.toString('base64') })))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: a client registered for another channel, or trusting another CA for an org, refuses the same proof', () => {
    const other = { ...rec, state: { ...rec.state, channel: 'otherchannel' } };
    expect(codeOf(() => fabricClient.verifyMembership(other, cons, m.key, m.value, proof()))).toBe('PNT_ERR_PROOF_INVALID');
    const msps = { ...rec.state.msps, Org1MSP: rec.state.msps.Org3MSP };
    expect(codeOf(() => fabricClient.verifyMembership({ ...rec, state: { ...rec.state, msps } }, cons, m.key, m.value, proof()))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: at a consensus time after the certificates expired the proof is refused', () => {
    expect(codeOf(() => fabricClient.verifyMembership(rec, { ...cons, timestamp: Date.now() + 20 * 365 * DAY }, m.key, m.value, proof()))).toBe('PNT_ERR_PROOF_INVALID');
  });
});

describe('fabric client: non-membership (timeouts)', () => {
  it('error: plain absence shown by an endorsed query is not a timeout on Fabric', () => {
    expect(codeOf(() => fabricClient.verifyNonMembership(rec, cons, K.receipt('hub/msg/gov/records', 1), { query: m.absentQuery }))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('error: a key that holds a value (not the marker) is present', () => {
    expect(codeOf(() => fabricClient.verifyNonMembership(rec, cons, m.key, { query: m.query }))).toBe('PNT_ERR_PROOF_KEY_PRESENT');
  });
});
