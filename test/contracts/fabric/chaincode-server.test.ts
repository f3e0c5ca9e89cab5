/**
 * The chaincode as a service, driven over the real chaincode protocol: the server of server.ts
 * (fabric-shim's ChaincodeServer over mutual TLS, fabric-contract-api routing the contracts)
 * dialled by a minimal peer side (peer.ts) that sends real signed proposals and serves world
 * state. What runs is what a Fabric 2.5 peer would run with the ccaas builder.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, fromHex, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { merkleProof, merkleRoot } from '../../../hub-chain/crypto/merkle.ts';
import { ackCommitment, ackLeaf, channelId, decodeAck, encodeAck, encodeBatchValue, packetCommitment, type Packet, packetKeys as K } from '../../../hub-chain/modules/packets/types.ts';
import { recordRequest } from '../../../contracts/fabric/apps/records.ts';
import { chaincodeCalls, chaincodeErrorCode, parseItemResults } from '../../../contracts/fabric/calls.ts';
import { decodeEvents, PONTIS_EVENT_NAME, sentPackets } from '../../../contracts/fabric/events.ts';
import { FABRIC_TIMEOUT_MARKER } from '../../../contracts/fabric/gateway.ts';
import { type RunningChaincode, startChaincodeServer } from '../../../contracts/fabric/server.ts';
import { freePort } from '../../support/ports.ts';
import { TestCa } from './certs.ts';
import { type Identity, TestPeer } from './peer.ts';
import { CLIENT_PARAMS, FABRIC, HUB, HubSim } from './world.ts';

const shimLogger = createRequire(import.meta.url)('fabric-shim/lib/logger.js') as { setLevel(level: string): void };
const CCID = 'pontis_0.1:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
let server: RunningChaincode;
let peerSide: TestPeer;
let hub: HubSim;
let admin: Identity;
let org1: Identity;
let org2: Identity;

const key = (k: Uint8Array) => Buffer.from(k).toString('utf8');

beforeAll(async () => {
  // fabric-shim logs every transaction at info on stdout
  shimLogger.setLevel('warning');
  const ca = await TestCa.create('ca.org1.example.com');
  const ca2 = await TestCa.create('ca.org2.example.com');
  const [serverTls, peerTls, admin1, user1, user2] = await Promise.all([
    ca.issue('pontis-cc', { server: true }),
    ca.issue('peer0.org1.example.com'),
    ca.issue('Admin@org1', { ou: 'admin' }),
    ca.issue('User1@org1', { ou: 'client' }),
    ca2.issue('User1@org2', { ou: 'client' }),
  ]);
  admin = { mspId: 'Org1MSP', ...admin1 };
  org1 = { mspId: 'Org1MSP', ...user1 };
  org2 = { mspId: 'Org2MSP', ...user2 };
  const address = `127.0.0.1:${await freePort()}`;
  server = await startChaincodeServer({ ccid: CCID, address, tls: { key: Buffer.from(serverTls.keyPem), cert: Buffer.from(serverTls.certPem), clientCACerts: Buffer.from(ca.certPem) } });
  peerSide = await TestPeer.connect(address, { caPem: ca.certPem, certPem: peerTls.certPem, keyPem: peerTls.keyPem, serverName: 'localhost' }, FABRIC);
  // hub headers a little in the past: the chaincode's clock is the proposal's, checked against the wall clock
  hub = HubSim.start('fabric-cc-server', Date.now() - 20_000);
  await hub.commit();
});

afterAll(async () => {
  peerSide?.close();
  await server?.close();
  await hub?.close();
});

describe('chaincode server (ccaas) over the chaincode protocol', () => {
  it('behavior: registers with its package id; the transactions of all three contracts are discovered without decorators', async () => {
    expect(peerSide.registeredAs).toBe(CCID);
    const r = await peerSide.invoke('org.hyperledger.fabric:GetMetadata', [], org1);
    expect(r.status).toBe(200);
    const meta = JSON.parse(r.payload) as { contracts: Record<string, { transactions: { name: string }[] }> };
    const names = (c: string) => meta.contracts[c].transactions.map((t) => t.name).sort();
    expect(names('PontisGateway')).toEqual(['GetState', 'acknowledgePackets', 'clientStatus', 'initHubClient', 'recvPackets', 'sendPacket', 'sendPackets', 'timeoutPacket', 'timeoutPackets', 'updateClient']);
    expect(names('records')).toEqual(['getRecord', 'putRecord']);
    expect(names('attestations')).toEqual(['issue', 'revoke']);
  });

  it('behavior: hub client, a record, a request packet and an attestation through the real stub; results, world state and the PontisEvents event', async () => {
    const byUser = await peerSide.invoke('PontisGateway:initHubClient', [FABRIC, HUB, JSON.stringify(CLIENT_PARAMS), JSON.stringify(hub.initial(1))], org1);
    expect(byUser.message).toMatch(/^PNT_ERR_FABRIC_CC_NOT_ADMIN: /);
    const init = await peerSide.invoke('PontisGateway:initHubClient', [FABRIC, HUB, JSON.stringify(CLIENT_PARAMS), JSON.stringify(hub.initial(1))], admin);
    expect(init).toMatchObject({ status: 200, payload: '{"latestHeight":1}' });
    expect([...peerSide.ledger.keys()]).toContain('pontis-client/config');
    expect((await peerSide.invoke('records:putRecord', ['deed-9', toHex(utf8('parcel 9')), '["dept-a"]'], org1)).status).toBe(200);

    const p: Packet = { srcChain: 'dept-a', srcApp: 'records', dstChain: FABRIC, dstApp: 'records', sequence: 1, ordered: false, payload: recordRequest('deed-9'), timeoutHeight: 0, timeoutTimestamp: Date.now() + 600_000 };
    const h = await hub.forward(p);
    const upd = await peerSide.invoke('updateClient', [JSON.stringify(hub.update(h, 1))], org1);
    expect(upd.status).toBe(200);
    expect(JSON.parse(upd.payload)).toMatchObject({ kind: 'updated', latestHeight: h });

    const c = chaincodeCalls.recvPackets(h, [{ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h) }]);
    const recv = await peerSide.invoke(c.fn, c.args, org1);
    expect(recv.status).toBe(200);
    expect(parseItemResults(recv.payload)).toEqual([{ id: `${channelId(p)}/1`, result: 'ok' }]);
    const replay = await peerSide.invoke(c.fn, c.args, org2);
    expect(parseItemResults(replay.payload)).toEqual([{ id: `${channelId(p)}/1`, result: 'already-done' }]);
    expect(recv.event?.name).toBe(PONTIS_EVENT_NAME);
    const received = decodeEvents(utf8(recv.event!.payload)).find((e) => e.type === 'packet/received')!;
    const ack = decodeAck(fromHex(received.attributes.ack));
    expect(ack.ok && JSON.parse(Buffer.from(fromHex(ack.result)).toString('utf8'))).toEqual({ id: 'deed-9', owner: 'Org1MSP', data: toHex(utf8('parcel 9')) });
    expect(toHex(peerSide.ledger.get(key(K.receipt(channelId(p), 1)))!)).toBe('0x01');
    expect(toHex(peerSide.ledger.get(key(K.ack(channelId(p), 1)))!)).toBe(toHex(ackCommitment(fromHex(received.attributes.ack))));

    const get = chaincodeCalls.getState([key(K.receipt(channelId(p), 1)), key(K.receipt(channelId(p), 2))]);
    const read = await peerSide.invoke(get.fn, get.args, org2);
    expect(JSON.parse(read.payload)).toEqual(['0x01', null]);

    const subject = toHex(new Uint8Array(32).fill(0x42));
    const iss = chaincodeCalls.issueAttestation({ kind: 'judicial-evidence', subject, expiresAtMs: Date.now() + 86_400_000 }, { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp: 0 });
    const issued = await peerSide.invoke(iss.fn, iss.args, org2);
    expect(issued.status).toBe(200);
    const [sent] = sentPackets(decodeEvents(utf8(issued.event!.payload)));
    expect(sent).toMatchObject({ srcChain: FABRIC, srcApp: 'attest', dstChain: 'evm-a', dstApp: 'attest', sequence: 1 });
    expect(toHex(peerSide.ledger.get(key(K.outbound(channelId(sent), 1)))!)).toBe(toHex(packetCommitment(sent)));
  });

  it('behavior: a receive and a TIMEOUT marker of one packet both read and write its receipt key, so MVCC commits only one of them', async () => {
    const rcptOf = (p: Packet) => key(K.receipt(channelId(p), p.sequence));
    const live: Packet = { srcChain: 'dept-a', srcApp: 'records', dstChain: FABRIC, dstApp: 'records', sequence: 2, ordered: false, payload: recordRequest('deed-9'), timeoutTimestamp: Date.now() + 600_000, timeoutHeight: 0 };
    const late: Packet = { ...live, sequence: 3, timeoutTimestamp: Date.now() - 1000 };
    await hub.forward(live);
    const h = await hub.forward(late);
    const trusted = (JSON.parse((await peerSide.invoke('PontisGateway:clientStatus', [], org1)).payload) as { latestHeight: number }).latestHeight;
    const upd = chaincodeCalls.updateClient(hub.update(h, trusted));
    expect((await peerSide.invoke(upd.fn, upd.args, org1)).status).toBe(200);
    const proof = (p: Packet) => hub.proof(K.outbound(channelId(p), p.sequence), h);

    const rc = chaincodeCalls.recvPackets(h, [{ packet: live, proof: proof(live) }]);
    const recv = await peerSide.invoke(rc.fn, rc.args, org1);
    expect(recv.reads.has(rcptOf(live))).toBe(true);
    expect(toHex(recv.writes.get(rcptOf(live))!)).toBe('0x01');

    const tc = chaincodeCalls.timeoutPacket(h, late, proof(late));
    const timeout = await peerSide.invoke(tc.fn, tc.args, org1);
    expect(timeout.status).toBe(200);
    expect(timeout.reads.has(rcptOf(late))).toBe(true);
    expect(toHex(timeout.writes.get(rcptOf(late))!)).toBe(toHex(FABRIC_TIMEOUT_MARKER));
    expect(decodeEvents(utf8(timeout.event!.payload)).map((e) => e.type)).toEqual(['packet/timeout-marked']);
  });

  it("behavior: acks proven by the hub's ack batch, carried once per call as a shared part ({shared, proofs}); a malformed shared form is refused, a reference to no part fails its item alone", async () => {
    const subjects = [0x51, 0x52].map((b) => toHex(new Uint8Array(32).fill(b)));
    const sent: Packet[] = [];
    for (const subject of subjects) {
      const iss = chaincodeCalls.issueAttestation({ kind: 'judicial-evidence', subject, expiresAtMs: Date.now() + 86_400_000 }, { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp: 0 });
      const issued = await peerSide.invoke(iss.fn, iss.args, org2);
      expect(issued.status).toBe(200);
      sent.push(...sentPackets(decodeEvents(utf8(issued.event!.payload))));
    }
    const acks = sent.map((_, i) => encodeAck({ ok: true, result: toHex(utf8(`answer ${i}`)) }));
    const leaves = sent.map((p, i) => ackLeaf(p, acks[i]));
    const root = merkleRoot(leaves);
    const h = await hub.commit([[K.ackBatch(FABRIC, 777), encodeBatchValue(root, leaves.length)]]);
    const trusted = (JSON.parse((await peerSide.invoke('PontisGateway:clientStatus', [], org1)).payload) as { latestHeight: number }).latestHeight;
    const upd = chaincodeCalls.updateClient(hub.update(h, trusted));
    expect((await peerSide.invoke(upd.fn, upd.args, org1)).status).toBe(200);
    const batch = { height: 777, root: toHex(root), count: leaves.length, proof: hub.proof(K.ackBatch(FABRIC, 777), h) };
    const items = sent.map((packet, i) => ({ packet, ack: toHex(acks[i]), proof: { batch: { $shared: 0 }, index: i, path: toHex(concat(...merkleProof(leaves, i).siblings)) } }));
    const c = chaincodeCalls.acknowledgePackets(h, items, [batch]);
    expect(JSON.parse(c.args[3])).toMatchObject({ shared: [batch] });
    const outstanding = () => sent.map((p) => peerSide.ledger.has(key(K.outbound(channelId(p), p.sequence))));
    expect(outstanding()).toEqual([true, true]);

    const proofsArg = (o: unknown) => [...c.args.slice(0, 3), JSON.stringify(o)];
    const proofsOf = items.map((i) => i.proof);
    for (const bad of [{ shared: [], proofs: proofsOf }, { shared: [batch], proofs: proofsOf, extra: 1 }, { shared: Array(65).fill(batch), proofs: proofsOf }, { proofs: proofsOf }]) {
      const r = await peerSide.invoke(c.fn, proofsArg(bad), org1);
      expect(r.status).toBe(500);
      expect(chaincodeErrorCode(r.message), r.message).toBe('PNT_ERR_FABRIC_CC_BAD_ARGUMENT');
      expect(r.writes.size).toBe(0);
    }
    const dangling = await peerSide.invoke(c.fn, proofsArg({ shared: [batch], proofs: [{ ...proofsOf[0], batch: { $shared: 1 } }, proofsOf[1]] }), org1);
    expect(parseItemResults(dangling.payload).map((r) => r.result === 'failed' ? r.code : r.result)).toEqual(['PNT_ERR_PACKET_BATCH_PROOF', 'ok']);
    expect(outstanding()).toEqual([true, false]);

    const ok = await peerSide.invoke(c.fn, c.args, org1);
    expect(parseItemResults(ok.payload).map((r) => r.result)).toEqual(['ok', 'already-done']);
    expect(outstanding()).toEqual([false, false]);
  });

  it('error: failures answer status 500 with the code first and write nothing (clock skew, bad arguments, another org reading a record)', async () => {
    const before = new Map(peerSide.ledger);
    const cases: [string, string[], Identity, number, string][] = [
      ['records:putRecord', ['deed-10', '0x01', '[]'], org1, Date.now() - 120_000, 'PNT_ERR_FABRIC_CC_CLOCK_SKEW'],
      ['PontisGateway:recvPackets', ['1', 'not json', '[]'], org1, Date.now(), 'PNT_ERR_FABRIC_CC_BAD_ARGUMENT'],
      ['PontisGateway:recvPackets', ['1', '[{"srcChain":"x"}]', '[0]'], org1, Date.now(), 'PNT_ERR_FABRIC_CC_BAD_ARGUMENT'],
      ['records:getRecord', ['deed-9'], org2, Date.now(), 'PNT_ERR_RECORDS_ACCESS_DENIED'],
      ['PontisGateway:initHubClient', [FABRIC, HUB, JSON.stringify(CLIENT_PARAMS), JSON.stringify(hub.initial(1))], admin, Date.now(), 'PNT_ERR_FABRIC_CC_ALREADY_INITIALISED'],
    ];
    for (const [fn, args, who, at, code] of cases) {
      const r = await peerSide.invoke(fn, args, who, at);
      expect(r.status, fn).toBe(500);
      expect(chaincodeErrorCode(r.message), r.message).toBe(code);
      expect(r.writes.size).toBe(0);
    }
    expect(peerSide.ledger).toEqual(before);
  });
});
