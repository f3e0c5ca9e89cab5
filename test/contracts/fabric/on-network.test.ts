/**
 * The Pontis chaincode as a service on the Fabric network stand-in (3 orgs, 2 of 3 endorse),
 * used through the official @hyperledger/fabric-gateway client as a department's application
 * and a relayer would: an org admin creates the hub client, records are written and read, a
 * request packet proven by the hub is received with the record in its ack (endorsed by two orgs,
 * ordered, validated, committed), a replay is already-done, an attestation's packet is committed
 * and announced by a chaincode event, and GetState answers what the hub's `fabric` client reads.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EndorseError, type Gateway, connect, hash, signers } from '@hyperledger/fabric-gateway';
import { common, gateway as gp, peer } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { MspRegistry, toLowS } from '../../../hub-chain/light-clients/fabric/msp.ts';
import { verifyEndorsedQuery } from '../../../hub-chain/light-clients/fabric/query.ts';
import { channelId, packetCommitment, type Packet, packetKeys as K } from '../../../hub-chain/modules/packets/types.ts';
import { recordRequest } from '../../../contracts/fabric/apps/records.ts';
import { CHAINCODE_NAME, type ChaincodeCall, chaincodeCalls, chaincodeErrorCode, parseItemResults } from '../../../contracts/fabric/calls.ts';
import { decodeEvents, PONTIS_EVENT_NAME, sentPackets } from '../../../contracts/fabric/events.ts';
import { type RunningChaincode, startChaincodeServer } from '../../../contracts/fabric/server.ts';
import { type FabricNetwork, type FabricOrgEndpoint, startFabricNetwork } from '../../../devnet/fabric/network.ts';
import { freePort } from '../../support/ports.ts';
import { CLIENT_PARAMS, FABRIC, HUB, HubSim } from './world.ts';
import { codeOf } from '../../support/errors.ts';

let dir: string;
let hub: HubSim;
let cc: RunningChaincode;
let net: FabricNetwork;
const open: { gateway: Gateway; client: grpc.Client }[] = [];

/** A gateway to `org`'s peer as its User1, or as its Admin (files laid out like Fabric's test-network). */
function gatewayAs(org: FabricOrgEndpoint, who: 'user' | 'admin'): Gateway {
  let cert = org.userCertPem;
  let key = org.userKeyPem;
  if (who === 'admin') {
    const domain = org.mspId.replace(/^Org(\d+)MSP$/, 'org$1.example.com');
    const msp = join(dir, 'organizations', 'peerOrganizations', domain, 'users', `Admin@${domain}`, 'msp');
    cert = readFileSync(join(msp, 'signcerts', `Admin@${domain}-cert.pem`), 'utf8');
    key = readFileSync(join(msp, 'keystore', 'priv_sk'), 'utf8');
  }
  const client = new grpc.Client(org.endpoint, grpc.credentials.createSsl(Buffer.from(org.tlsCaCertPem)), { 'grpc.ssl_target_name_override': 'localhost' });
  const gateway = connect({ client, identity: { mspId: org.mspId, credentials: Buffer.from(cert) }, signer: signers.newPrivateKeySigner(createPrivateKey(key)), hash: hash.sha256 });
  open.push({ gateway, client });
  return gateway;
}

const pontis = (g: Gateway) => g.getNetwork(net.channel).getContract(CHAINCODE_NAME);
const submit = (g: Gateway, c: ChaincodeCall) => pontis(g).submitTransaction(c.fn, ...c.args);
const evaluate = (g: Gateway, c: ChaincodeCall) => pontis(g).evaluateTransaction(c.fn, ...c.args);
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const fkey = (k: Uint8Array) => text(k);

/** The Pontis code a refused endorsement carries (the chaincode leads its message with it). */
async function refusedWith(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EndorseError);
  const messages = [(e as EndorseError).message, ...(e as EndorseError).details.map((d) => d.message)];
  for (const m of messages) {
    const code = /(PNT_ERR_[A-Z0-9_]+)/.exec(m)?.[1];
    if (code) return code;
  }
  return undefined;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pontis-cc-net-'));
  hub = HubSim.start('fabric-cc-on-network', Date.now() - 20_000);
  await hub.commit();
  const address = `127.0.0.1:${await freePort()}`;
  cc = await startChaincodeServer({ ccid: 'pontis:1', address });
  net = await startFabricNetwork({ orgs: 3, dir, chaincodes: { [CHAINCODE_NAME]: address }, policy: { outOf: 2 }, batchTimeoutMs: 50 });
}, 60_000);

afterAll(async () => {
  for (const o of open) {
    o.gateway.close();
    o.client.close();
  }
  await net?.stop();
  await cc?.close();
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('behavior: through fabric-gateway, an admin creates the hub client, a proven request gets the record in its ack once, and an attestation packet is committed and announced', async () => {
  const [org1, org2] = net.orgs;
  const user1 = gatewayAs(org1, 'user');
  const user2 = gatewayAs(org2, 'user');
  const init = chaincodeCalls.initHubClient({ chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(1));
  expect(await refusedWith(submit(user1, init))).toBe('PNT_ERR_FABRIC_CC_NOT_ADMIN');
  expect(JSON.parse(text(await submit(gatewayAs(org1, 'admin'), init)))).toEqual({ latestHeight: 1 });

  await submit(user1, chaincodeCalls.putRecord('deed-9', toHex(utf8('parcel 9')), ['dept-a']));
  expect(JSON.parse(text(await evaluate(user1, chaincodeCalls.getRecord('deed-9'))))).toMatchObject({ id: 'deed-9', owner: 'Org1MSP' });
  expect(await refusedWith(submit(user2, chaincodeCalls.getRecord('deed-9')))).toBe('PNT_ERR_RECORDS_ACCESS_DENIED');

  // dept-a asks for the record; the hub forwarded it at h; a relayer moves the hub client and delivers
  const p: Packet = { srcChain: 'dept-a', srcApp: 'records', dstChain: FABRIC, dstApp: 'records', sequence: 1, ordered: false, payload: recordRequest('deed-9'), timeoutHeight: 0, timeoutTimestamp: Date.now() + 600_000 };
  const h = await hub.forward(p);
  await submit(user2, chaincodeCalls.updateClient(hub.update(h, 1)));
  const recv = chaincodeCalls.recvPackets(h, [{ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h) }]);
  const tx = await pontis(user2).submitAsync(recv.fn, { arguments: recv.args });
  expect(parseItemResults(tx.getResult())).toEqual([{ id: `${channelId(p)}/1`, result: 'ok' }]);
  const status = await tx.getStatus();
  expect(status.successful).toBe(true);
  expect(parseItemResults(await submit(user1, recv))).toEqual([{ id: `${channelId(p)}/1`, result: 'already-done' }]);

  // what the hub's `fabric` client reads: the receipt, the ack commitment; nothing for sequence 2
  const [receipt, ackCommit, none] = JSON.parse(text(await evaluate(user2, chaincodeCalls.getState([fkey(K.receipt(channelId(p), 1)), fkey(K.ack(channelId(p), 1)), fkey(K.receipt(channelId(p), 2))])))) as (string | null)[];
  expect(receipt).toBe('0x01');
  expect(ackCommit).toMatch(/^0x[0-9a-f]{64}$/);
  expect(none).toBeNull();

  // an attestation issued on gov travels as a packet: committed, and announced by the block's chaincode event
  const events = await user1.getNetwork(net.channel).getChaincodeEvents(CHAINCODE_NAME, { startBlock: status.blockNumber + 1n });
  try {
    const subject = toHex(new Uint8Array(32).fill(0x42));
    await submit(user2, chaincodeCalls.issueAttestation({ kind: 'judicial-evidence', subject, expiresAtMs: Date.now() + 86_400_000 }, { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp: Date.now() + 600_000 }));
    let sent: Packet | undefined;
    for await (const ev of events) {
      expect(ev.eventName).toBe(PONTIS_EVENT_NAME);
      sent = sentPackets(decodeEvents(ev.payload))[0];
      if (sent) break;
    }
    expect(sent).toMatchObject({ srcChain: FABRIC, srcApp: 'attest', dstChain: 'evm-a', dstApp: 'attest', sequence: 1 });
    const [commitment] = JSON.parse(text(await evaluate(user1, chaincodeCalls.getState([fkey(K.outbound(channelId(sent!), 1))])))) as string[];
    expect(commitment).toBe(toHex(packetCommitment(sent!)));
  } finally {
    events.close();
  }
}, 120_000);

it('behavior: a GetState endorsed by 2 of 3 orgs and never submitted is an endorsed-query proof; one org only, another function or chaincode, or an altered answer are refused', async () => {
  const [org1] = net.orgs;
  const user1 = gatewayAs(org1, 'user');
  const p: Packet = { srcChain: 'dept-a', srcApp: 'records', dstChain: FABRIC, dstApp: 'records', sequence: 1, ordered: false, payload: recordRequest('deed-9'), timeoutHeight: 0, timeoutTimestamp: 0 };
  const keys = [fkey(K.receipt(channelId(p), 1)), fkey(K.receipt(channelId(p), 99))];
  /** Endorsed on the named orgs' peers, signed by org1's user as a relayer would, never submitted. */
  const endorsed = async (c: ChaincodeCall, orgs = ['Org1MSP', 'Org2MSP'], tamper?: (prp: peer.ProposalResponsePayload) => void): Promise<Uint8Array> => {
    const tx = await pontis(user1).newProposal(c.fn, { arguments: c.args, endorsingOrganizations: orgs }).endorse();
    const env = gp.PreparedTransaction.deserializeBinary(tx.getBytes()).getEnvelope()!;
    if (tamper) {
      const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
      const t = peer.Transaction.deserializeBinary(payload.getData_asU8());
      const cap = peer.ChaincodeActionPayload.deserializeBinary(t.getActionsList()[0].getPayload_asU8());
      const prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction()!.getProposalResponsePayload_asU8());
      tamper(prp);
      cap.getAction()!.setProposalResponsePayload(prp.serializeBinary());
      t.getActionsList()[0].setPayload(cap.serializeBinary());
      payload.setData(t.serializeBinary());
      env.setPayload(payload.serializeBinary());
    }
    env.setSignature(toLowS(sign('sha256', env.getPayload_asU8(), { key: createPrivateKey(org1.userKeyPem), dsaEncoding: 'der' })));
    return env.serializeBinary();
  };
  const rules = { channelId: net.channel, chaincode: CHAINCODE_NAME, msps: new MspRegistry(Object.fromEntries(net.orgs.map((o) => [o.mspId, [o.caCertPem]]))), policy: (ns: string) => net.policies[ns] };

  const values = verifyEndorsedQuery(await endorsed(chaincodeCalls.getState(keys)), rules);
  expect([...values.keys()]).toEqual(keys);
  expect(toHex(values.get(keys[0])!)).toBe('0x01');
  expect(values.get(keys[1])).toBeNull();

  const oneOrg = await endorsed(chaincodeCalls.getState(keys), ['Org1MSP']);
  expect(codeOf(() => verifyEndorsedQuery(oneOrg, rules))).toBe('PNT_ERR_FABRIC_TX_INVALID');
  const status = await endorsed(chaincodeCalls.clientStatus());
  expect(codeOf(() => verifyEndorsedQuery(status, rules))).toBe('PNT_ERR_FABRIC_QUERY_INVALID');
  const good = await endorsed(chaincodeCalls.getState(keys));
  expect(codeOf(() => verifyEndorsedQuery(good, { ...rules, chaincode: 'other' }))).toBe('PNT_ERR_FABRIC_QUERY_INVALID');
  const altered = await endorsed(chaincodeCalls.getState(keys), undefined, (prp) => {
    const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
    action.getResponse()!.setPayload(Buffer.from(JSON.stringify([null, null])));
    prp.setExtension$(action.serializeBinary());
  });
  expect(codeOf(() => verifyEndorsedQuery(altered, rules))).toBe('PNT_ERR_FABRIC_TX_INVALID');
}, 60_000);
