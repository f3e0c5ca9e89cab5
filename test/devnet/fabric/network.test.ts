/**
 * The Fabric network stand-in driven by the official @hyperledger/fabric-gateway client, unchanged,
 * as an application would: submit, evaluate, commit status, chaincode events with checkpoint
 * replay, block events (full and filtered) whose blocks verify (hash chain, data hash, orderer
 * signature, validation filter), and its error paths (chaincode failure, MVCC conflict, unknown
 * chaincode, untrusted identity, bad signatures). One 3-org network (2 of 3 policy) for the file.
 */
import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointers, CommitStatusError, EndorseError, GatewayError, type Gateway, type SubmitError } from '@hyperledger/fabric-gateway';
import { common, gateway as gp, ledger as lp, msp, peer } from '@hyperledger/fabric-protos';
import { credentials, type Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockDataHash, blockHeaderBytes, blockHeaderHash, decodeBlock, txValidationCode, verifyOrdererSignatures } from '../../../hub-chain/light-clients/fabric/block.ts';
import { MspRegistry, serializeIdentity } from '../../../hub-chain/light-clients/fabric/msp.ts';
import { createCa, issue } from '../../../devnet/fabric/ca.ts';
import { toLowS } from '../../../hub-chain/light-clients/fabric/msp.ts';
import { startFabricNetwork, type FabricNetwork } from '../../../devnet/fabric/network.ts';
import { gatewayFor } from './client.ts';
import { startKvChaincode } from './kv-chaincode.ts';
import { startRecordsChaincode } from './records-contract.ts';
import { codeOf } from '../../support/errors.ts';

const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const S = { OK: 0, UNKNOWN: 2, FAILED_PRECONDITION: 9, ABORTED: 10, PERMISSION_DENIED: 7, INVALID_ARGUMENT: 3 };

let dir: string;
let cc: Awaited<ReturnType<typeof startKvChaincode>>;
let records: Awaited<ReturnType<typeof startRecordsChaincode>>;
let tlsCc: Awaited<ReturnType<typeof startKvChaincode>>;
let net: FabricNetwork;
let gw: Gateway;
let grpcClient: Client;
const closers: (() => void)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-net-'));
  cc = await startKvChaincode();
  records = await startRecordsChaincode();
  // the same chaincode served over TLS, its certificate from a CA of its own; once trusted, once not
  const ccCa = await createCa('ca.chaincode.example.com', 'chaincode.example.com');
  const otherCa = await createCa('ca.other.example.com', 'other.example.com');
  tlsCc = await startKvChaincode(0, await issue(ccCa, { commonName: 'kv.chaincode', org: 'chaincode.example.com', ou: 'peer', tlsHosts: ['127.0.0.1', 'localhost'] }));
  net = await startFabricNetwork({
    orgs: 3,
    dir,
    chaincodes: {
      kv: cc.address,
      records: records.address,
      kvtls: { address: tlsCc.address, tls: { caPem: ccCa.certPem } },
      kvuntrusted: { address: tlsCc.address, tls: { caPem: otherCa.certPem } },
    }, policy: { outOf: 2 }, batchTimeoutMs: 50 });
  ({ gateway: gw, client: grpcClient } = gatewayFor(net.orgs[0]));
});

afterAll(async () => {
  for (const c of closers) c();
  gw?.close();
  grpcClient?.close();
  await net?.stop();
  cc?.stop();
  records?.stop();
  tlsCc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const contract = () => gw.getNetwork('mychannel').getContract('kv');

describe('layout', () => {
  it('behavior: writes test-network style crypto material and connection profiles', () => {
    const org1 = join(dir, 'organizations', 'peerOrganizations', 'org1.example.com');
    for (const p of [
      'ca/ca.org1.example.com-cert.pem',
      'tlsca/tlsca.org1.example.com-cert.pem',
      'peers/peer0.org1.example.com/tls/server.crt',
      'users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem',
      'users/User1@org1.example.com/msp/keystore/priv_sk',
      'users/Admin@org1.example.com/msp/signcerts/Admin@org1.example.com-cert.pem',
    ]) {
      expect(existsSync(join(org1, p)), p).toBe(true);
    }
    const profile = JSON.parse(readFileSync(net.orgs[0].connectionProfile, 'utf8'));
    expect(profile.organizations.org1.mspid).toBe('Org1MSP');
    expect(profile.peers['peer0.org1.example.com'].url).toBe(`grpcs://${net.orgs[0].endpoint}`);
    const user = new X509Certificate(net.orgs[0].userCertPem);
    expect(user.subject).toContain('OU=client');
    expect(user.checkIssued(new X509Certificate(net.orgs[0].caCertPem))).toBe(true);
    expect(user.checkIssued(new X509Certificate(net.orgs[1].caCertPem))).toBe(false);
  });
});

describe('normal flows', () => {
  it('behavior: submit commits, evaluate reads it back, the commit status says VALID', async () => {
    const result = await contract().submitTransaction('put', 'k1', 'v1');
    expect(utf8(result)).toBe('v1');
    expect(utf8(await contract().evaluateTransaction('get', 'k1'))).toBe('v1');
    // the same flow step by step: endorse, submit, commit status
    const tx = await contract().newProposal('put', { arguments: ['k2', 'v2'] }).endorse();
    const submitted = await tx.submit();
    const status = await submitted.getStatus();
    expect(status.successful).toBe(true);
    expect(status.code).toBe(peer.TxValidationCode.VALID);
    expect(status.blockNumber).toBeGreaterThan(0n);
    expect(utf8(await contract().evaluateTransaction('range', 'k', 'l'))).toBe(JSON.stringify([['k1', 'v1'], ['k2', 'v2']]));
    // evaluate through another org's gateway peer sees the same world state
    const other = gatewayFor(net.orgs[2]);
    closers.push(() => (other.gateway.close(), other.client.close()));
    expect(utf8(await other.gateway.getNetwork('mychannel').getContract('kv').evaluateTransaction('get', 'k2'))).toBe('v2');
  });

  it('behavior: GetHistoryForKey lists a key\'s committed changes newest first, deletes included', async () => {
    const ids: string[] = [];
    for (const args of [['put', 'h', '1'], ['put', 'h', '2'], ['del', 'h']]) {
      const tx = await contract().newProposal(args[0], { arguments: args.slice(1) }).endorse();
      ids.push(tx.getTransactionId());
      expect((await (await tx.submit()).getStatus()).successful).toBe(true);
    }
    expect(JSON.parse(utf8(await contract().evaluateTransaction('history', 'h')))).toEqual([
      [ids[2], null],
      [ids[1], '2'],
      [ids[0], '1'],
    ]);
  });

  it('behavior: endorsements come from 2 orgs, signed over payload || endorser, and the rwset carries read versions', async () => {
    await contract().submitTransaction('put', 'src', 'S');
    const tx = await contract().newProposal('copy', { arguments: ['src', 'dst'] }).endorse();
    const env = gp.PreparedTransaction.deserializeBinary(tx.getBytes()).getEnvelope()!;
    const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
    const cap = peer.ChaincodeActionPayload.deserializeBinary(peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0].getPayload_asU8());
    const action = cap.getAction()!;
    const prp = action.getProposalResponsePayload_asU8();
    const orgs = action.getEndorsementsList().map((e) => {
      const id = msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8());
      const cert = new X509Certificate(Buffer.from(id.getIdBytes_asU8()));
      expect(verify('sha256', Buffer.concat([prp, e.getEndorser_asU8()]), cert.publicKey, e.getSignature_asU8())).toBe(true);
      return id.getMspid();
    });
    expect(new Set(orgs).size).toBe(2);
    const ccAction = peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(prp).getExtension_asU8());
    const rw = lp.rwset.TxReadWriteSet.deserializeBinary(ccAction.getResults_asU8()).getNsRwsetList()[0];
    expect(rw.getNamespace()).toBe('kv');
    const kv = lp.rwset.kvrwset.KVRWSet.deserializeBinary(rw.getRwset_asU8());
    const read = kv.getReadsList().find((r) => r.getKey() === 'src')!;
    expect(read.getVersion()!.getBlockNum()).toBeGreaterThan(0);
    expect(kv.getWritesList().map((w) => [w.getKey(), utf8(w.getValue_asU8())])).toEqual([['dst', 'S']]);
    expect((await (await tx.submit()).getStatus()).successful).toBe(true);
  });

  it('behavior: a peer\'s protos.Endorser answers ProcessProposal with its signed endorsement; a bad signature gets status 500', async () => {
    const unsigned = contract().newProposal('get', { arguments: ['k1'] });
    const signed = gp.ProposedTransaction.deserializeBinary(unsigned.getBytes()).getProposal()!;
    const key = createPrivateKey(net.orgs[0].userKeyPem);
    signed.setSignature(toLowS(sign('sha256', signed.getProposalBytes_asU8(), { key, dsaEncoding: 'der' })));
    const org2 = net.orgs[1];
    const ec = new peer.EndorserClient(org2.endpoint, credentials.createSsl(Buffer.from(org2.tlsCaCertPem)), { 'grpc.ssl_target_name_override': 'localhost' });
    closers.push(() => ec.close());
    const call = (sp: peer.SignedProposal) => new Promise<peer.ProposalResponse>((resolve, reject) => ec.processProposal(sp, (e, r) => (e ? reject(e) : resolve(r!))));
    const res = await call(signed);
    expect(res.getResponse()!.getStatus()).toBe(200);
    expect(utf8(res.getResponse()!.getPayload_asU8())).toBe('v1');
    const e = res.getEndorsement()!;
    expect(msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8()).getMspid()).toBe('Org2MSP');
    const cert = new X509Certificate(Buffer.from(msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8()).getIdBytes_asU8()));
    expect(verify('sha256', Buffer.concat([res.getPayload_asU8(), e.getEndorser_asU8()]), cert.publicKey, e.getSignature_asU8())).toBe(true);
    signed.setSignature(toLowS(sign('sha256', Buffer.from('something else'), { key, dsaEncoding: 'der' })));
    const bad = await call(signed);
    expect(bad.getResponse()!.getStatus()).toBe(500);
    expect(bad.getEndorsement()).toBeUndefined();
  });

  it('behavior: chaincode events arrive for committed transactions and replay from a checkpoint', async () => {
    const start = BigInt(net.height());
    const txIds: string[] = [];
    for (const i of [1, 2, 3]) {
      const tx = await contract().newProposal('emit', { arguments: [`e${i}`, `p${i}`, 'Stored'] }).endorse();
      txIds.push(tx.getTransactionId());
      expect((await (await tx.submit()).getStatus()).successful).toBe(true);
    }
    const checkpointer = checkpointers.inMemory();
    const events = await gw.getNetwork('mychannel').getChaincodeEvents('kv', { startBlock: start });
    const first = (await events[Symbol.asyncIterator]().next()).value!;
    events.close();
    expect(first.eventName).toBe('Stored');
    expect(first.transactionId).toBe(txIds[0]);
    expect(utf8(first.payload)).toBe('p1');
    await checkpointer.checkpointChaincodeEvent(first);
    // resume after the checkpoint: the next events are the 2nd and 3rd, not the 1st again
    const resumed = await gw.getNetwork('mychannel').getChaincodeEvents('kv', { checkpoint: checkpointer, startBlock: 0n });
    const it2 = resumed[Symbol.asyncIterator]();
    const second = (await it2.next()).value!;
    const third = (await it2.next()).value!;
    resumed.close();
    expect([second.transactionId, third.transactionId]).toEqual([txIds[1], txIds[2]]);
    expect(utf8(third.payload)).toBe('p3');
  });

  it('behavior: a fabric-contract-api contract runs through the peers: transactions, errors, events', async () => {
    const rc = gw.getNetwork('mychannel').getContract('records', 'records');
    expect(utf8(await rc.submitTransaction('store', 'r-1', 'birth certificate'))).toBe('Org1MSP');
    expect(utf8(await rc.evaluateTransaction('read', 'r-1'))).toBe('birth certificate');
    const missing = await rc.evaluateTransaction('read', 'r-404').catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(GatewayError);
    expect((missing as GatewayError).details[0].message).toMatch(/record r-404 does not exist/);
    const events = await gw.getNetwork('mychannel').getChaincodeEvents('records', { startBlock: 0n });
    const ev = (await events[Symbol.asyncIterator]().next()).value!;
    events.close();
    expect([ev.chaincodeName, ev.eventName, utf8(ev.payload)]).toEqual(['records', 'RecordStored', 'r-1']);
  });

  it('behavior: peers reach a chaincode server over TLS when configured; a server certificate from an untrusted CA fails the endorsement', async () => {
    const tlsContract = gw.getNetwork('mychannel').getContract('kvtls');
    expect(utf8(await tlsContract.submitTransaction('put', 't', 'over tls'))).toBe('over tls');
    expect(utf8(await tlsContract.evaluateTransaction('get', 't'))).toBe('over tls');
    const e = await gw.getNetwork('mychannel').getContract('kvuntrusted').evaluateTransaction('get', 't').catch((x: unknown) => x);
    expect((e as GatewayError).code).toBe(S.ABORTED);
    expect((e as GatewayError).details[0].message).toMatch(/cannot reach chaincode kvuntrusted/);
  });

  it('behavior: block events deliver chained, orderer-signed blocks with the validation filter', async () => {
    const tx = await contract().newProposal('put', { arguments: ['blk', 'x'] }).endorse();
    const status = await (await tx.submit()).getStatus();
    const blocks = await gw.getNetwork('mychannel').getBlockEvents({ startBlock: 0n });
    const it = blocks[Symbol.asyncIterator]();
    let prevHash: Uint8Array = new Uint8Array();
    const ordererKey = new X509Certificate(net.orderer.certPem).publicKey;
    for (let n = 0n; n <= status.blockNumber; n++) {
      const b: common.Block = (await it.next()).value!;
      const h = b.getHeader()!;
      expect(BigInt(h.getNumber())).toBe(n);
      expect(Buffer.from(h.getPreviousHash_asU8()).equals(Buffer.from(prevHash))).toBe(true);
      expect(Buffer.from(h.getDataHash_asU8()).equals(Buffer.from(blockDataHash(b.getData()!.getDataList_asU8())))).toBe(true);
      const md = common.Metadata.deserializeBinary(b.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES]);
      const sig = md.getSignaturesList()[0];
      const signed = Buffer.concat([md.getValue_asU8(), sig.getSignatureHeader_asU8(), blockHeaderBytes({ number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() })]);
      expect(verify('sha256', signed, ordererKey, sig.getSignature_asU8())).toBe(true);
      prevHash = blockHeaderHash({ number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() });
      if (n === status.blockNumber) {
        const ids = b.getData()!.getDataList_asU8().map((e) => common.ChannelHeader.deserializeBinary(common.Payload.deserializeBinary(common.Envelope.deserializeBinary(e).getPayload_asU8()).getHeader()!.getChannelHeader_asU8()).getTxId());
        const filter = b.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
        expect(filter[ids.indexOf(tx.getTransactionId())]).toBe(peer.TxValidationCode.VALID);
      }
    }
    blocks.close();
    const filtered = await gw.getNetwork('mychannel').getFilteredBlockEvents({ startBlock: status.blockNumber });
    const fb: peer.FilteredBlock = (await filtered[Symbol.asyncIterator]().next()).value!;
    filtered.close();
    const ft = fb.getFilteredTransactionsList().find((t) => t.getTxid() === tx.getTransactionId())!;
    expect(ft.getTxValidationCode()).toBe(peer.TxValidationCode.VALID);
    expect(fb.getChannelId()).toBe('mychannel');
  });

  it('behavior: the hub\'s block checks accept delivered blocks and refuse tampered ones (data, signatures stripped, signed by a non-orderer, threshold not met)', async () => {
    const status = await (await contract().newProposal('put', { arguments: ['blk2', 'y'] }).endorse()).submit().then((s) => s.getStatus());
    const blocks = await gw.getNetwork('mychannel').getBlockEvents({ startBlock: status.blockNumber });
    const b: common.Block = (await blocks[Symbol.asyncIterator]().next()).value!;
    blocks.close();
    const orderers = new MspRegistry({ [net.orderer.mspId]: [net.orderer.caCertPem] });
    const d = decodeBlock(b.serializeBinary());
    expect(BigInt(d.header.number)).toBe(status.blockNumber);
    expect(verifyOrdererSignatures(d.header, d.metadata[common.BlockMetadataIndex.SIGNATURES], orderers, 1)).toBe(1);
    expect(txValidationCode(d, 0)).toBe(peer.TxValidationCode.VALID);
    // a threshold of 2 with one orderer, and signatures checked by an MSP that is not the orderers'
    expect(codeOf(() => verifyOrdererSignatures(d.header, d.metadata[common.BlockMetadataIndex.SIGNATURES], orderers, 2))).toBe('PNT_ERR_FABRIC_ORDERER_SIGNATURE');
    const peersOnly = new MspRegistry(Object.fromEntries(net.orgs.map((o) => [o.mspId, [o.caCertPem]])));
    expect(codeOf(() => verifyOrdererSignatures(d.header, d.metadata[common.BlockMetadataIndex.SIGNATURES], peersOnly, 1))).toBe('PNT_ERR_FABRIC_ORDERER_SIGNATURE');
    // the signatures stripped, or another header under them
    expect(codeOf(() => verifyOrdererSignatures(d.header, undefined, orderers, 1))).toBe('PNT_ERR_FABRIC_ORDERER_SIGNATURE');
    expect(codeOf(() => verifyOrdererSignatures({ ...d.header, number: d.header.number + 1 }, d.metadata[common.BlockMetadataIndex.SIGNATURES], orderers, 1))).toBe('PNT_ERR_FABRIC_ORDERER_SIGNATURE');
    // signed by org1's user instead of the orderer (a valid signature of the wrong party)
    const md = common.Metadata.deserializeBinary(d.metadata[common.BlockMetadataIndex.SIGNATURES]);
    const sh = new common.SignatureHeader();
    sh.setCreator(serializeIdentity(net.orgs[0].mspId, net.orgs[0].userCertPem));
    const forged = new common.MetadataSignature();
    forged.setSignatureHeader(sh.serializeBinary());
    forged.setSignature(toLowS(sign('sha256', Buffer.concat([md.getValue_asU8(), sh.serializeBinary(), blockHeaderBytes(d.header)]), { key: createPrivateKey(net.orgs[0].userKeyPem), dsaEncoding: 'der' })));
    md.setSignaturesList([forged]);
    expect(codeOf(() => verifyOrdererSignatures(d.header, md.serializeBinary(), orderers, 1))).toBe('PNT_ERR_FABRIC_ORDERER_SIGNATURE');
    // an envelope changed under the header
    const tampered = common.Block.deserializeBinary(b.serializeBinary());
    const data = tampered.getData()!.getDataList_asU8();
    data[0] = Buffer.concat([data[0], Buffer.from([0])]);
    tampered.getData()!.setDataList(data);
    expect(codeOf(() => decodeBlock(tampered.serializeBinary()))).toBe('PNT_ERR_FABRIC_BLOCK_INVALID');
    expect(codeOf(() => decodeBlock(Buffer.from('not a block')))).toBe('PNT_ERR_FABRIC_BLOCK_INVALID');
  });
});

describe('error paths', () => {
  it('error: a chaincode failure is an EndorseError (ABORTED) with one detail per endorsing org', async () => {
    const e = await contract().submitTransaction('fail', 'no such record').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EndorseError);
    expect((e as EndorseError).code).toBe(S.ABORTED);
    const details = (e as EndorseError).details;
    expect(details.length).toBe(2);
    expect(details[0].message).toBe('chaincode response 500, no such record');
    expect(details.map((d) => d.mspId).sort()).toEqual(['Org1MSP', 'Org2MSP']);
    const ev = await contract().evaluateTransaction('fail', 'nope').catch((x: unknown) => x);
    expect(ev).toBeInstanceOf(GatewayError);
    expect((ev as GatewayError).code).toBe(S.UNKNOWN);
  });

  it('error: two transactions reading the same version: the second commits as MVCC_READ_CONFLICT and changes nothing', async () => {
    await contract().submitTransaction('put', 'm', 'base');
    const a = await contract().newProposal('copy', { arguments: ['m', 'm'] }).endorse();
    const c = await contract().newProposal('copy', { arguments: ['m', 'm2'] }).endorse();
    const sa = await a.submit();
    expect((await sa.getStatus()).code).toBe(peer.TxValidationCode.VALID);
    const sc = await c.submit(); // read m at the version before a's write
    const st = await sc.getStatus();
    expect(st.code).toBe(peer.TxValidationCode.MVCC_READ_CONFLICT);
    expect(st.successful).toBe(false);
    expect(utf8(await contract().evaluateTransaction('get', 'm2'))).toBe('');
    // a write-write race on one key: both read n at one version, only the first commits
    await contract().submitTransaction('put', 'n', '1');
    const d1 = await contract().newProposal('copy', { arguments: ['n', 'n'] }).endorse();
    const d2 = await contract().newProposal('put', { arguments: ['n', '3'] }).endorse(); // blind write: no read, no conflict
    const d3 = await contract().newProposal('copy', { arguments: ['n', 'n'] }).endorse();
    const [s1, s2, s3] = [await d1.submit(), await d2.submit(), await d3.submit()];
    expect([(await s1.getStatus()).code, (await s2.getStatus()).code, (await s3.getStatus()).code]).toEqual([
      peer.TxValidationCode.VALID,
      peer.TxValidationCode.VALID,
      peer.TxValidationCode.MVCC_READ_CONFLICT,
    ]);
    expect(utf8(await contract().evaluateTransaction('get', 'n'))).toBe('3');
  });

  it('error: a key inserted into a range after it was read commits as PHANTOM_READ_CONFLICT; an undisturbed range stays VALID', async () => {
    await contract().submitTransaction('put', 'p/a', '1');
    const calm = await contract().newProposal('range', { arguments: ['p/', 'p0'] }).endorse();
    const phantom = await contract().newProposal('range', { arguments: ['p/', 'p0'] }).endorse();
    expect(utf8(phantom.getResult())).toBe(JSON.stringify([['p/a', '1']]));
    expect((await (await calm.submit()).getStatus()).code).toBe(peer.TxValidationCode.VALID);
    await contract().submitTransaction('put', 'p/b', '2'); // a new key inside the range
    expect((await (await phantom.submit()).getStatus()).code).toBe(peer.TxValidationCode.PHANTOM_READ_CONFLICT);
  });

  it('error: endorsed by 1 of 3 orgs commits as ENDORSEMENT_POLICY_FAILURE; a resubmitted transaction as DUPLICATE_TXID; neither changes state', async () => {
    const one = await contract().newProposal('put', { arguments: ['pol', 'one-org'], endorsingOrganizations: ['Org3MSP'] }).endorse();
    const st = await (await one.submit()).getStatus();
    expect(st.code).toBe(peer.TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
    expect(utf8(await contract().evaluateTransaction('get', 'pol'))).toBe('');

    const tx = await contract().newProposal('put', { arguments: ['dup', 'first'] }).endorse();
    const submitted = await tx.submit();
    const first = await submitted.getStatus();
    expect(first.code).toBe(peer.TxValidationCode.VALID);
    await gw.newTransaction(tx.getBytes()).submit(); // the same signed envelope again
    const blocks = await gw.getNetwork('mychannel').getBlockEvents({ startBlock: first.blockNumber + 1n });
    const b: common.Block = (await blocks[Symbol.asyncIterator]().next()).value!;
    blocks.close();
    expect(b.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER][0]).toBe(peer.TxValidationCode.DUPLICATE_TXID);
    // the commit status keeps answering for the original
    const again = await gw.newCommit(submitted.getBytes()).getStatus();
    expect([again.code, again.blockNumber]).toEqual([peer.TxValidationCode.VALID, first.blockNumber]);
  });

  it('error: an unknown chaincode is refused with FAILED_PRECONDITION on evaluate and endorse', async () => {
    const c = gw.getNetwork('mychannel').getContract('nope');
    const ev = await c.evaluateTransaction('get', 'a').catch((x: unknown) => x);
    expect(ev).toBeInstanceOf(GatewayError);
    expect((ev as GatewayError).code).toBe(S.FAILED_PRECONDITION);
    const en = await c.submitTransaction('put', 'a', 'b').catch((x: unknown) => x);
    expect(en).toBeInstanceOf(EndorseError);
    expect((en as EndorseError).code).toBe(S.FAILED_PRECONDITION);
  });

  it('error: an identity from a CA outside the channel cannot endorse or read events', async () => {
    const ca = await createCa('ca.evil.example.com', 'evil.example.com');
    const leaf = await issue(ca, { commonName: 'User1@org1.example.com', org: 'org1.example.com', ou: 'client' });
    const evil = gatewayFor(net.orgs[0], leaf.certPem, leaf.keyPem);
    closers.push(() => (evil.gateway.close(), evil.client.close()));
    const c = evil.gateway.getNetwork('mychannel').getContract('kv');
    const ev = await c.evaluateTransaction('get', 'k1').catch((x: unknown) => x);
    expect(ev).toBeInstanceOf(GatewayError);
    expect((ev as GatewayError).code).toBe(S.ABORTED);
    expect((ev as GatewayError).details[0].message).toMatch(/not issued by a CA of Org1MSP/);
    const en = await c.submitTransaction('put', 'k1', 'evil').catch((x: unknown) => x);
    expect(en).toBeInstanceOf(EndorseError);
    const events = await evil.gateway.getNetwork('mychannel').getChaincodeEvents('kv', { startBlock: 0n });
    const ce = await events[Symbol.asyncIterator]().next().catch((x: unknown) => x);
    expect((ce as GatewayError).code).toBe(S.PERMISSION_DENIED);
    expect(utf8(await contract().evaluateTransaction('get', 'k1'))).toBe('v1');
  });

  it('error: a transaction with a bad client signature is refused by the orderer (SubmitError), a bad commit-status signature is PERMISSION_DENIED', async () => {
    const key = createPrivateKey(net.orgs[1].userKeyPem); // another identity's key: a valid signature by the wrong signer
    const unsigned = await contract().newProposal('put', { arguments: ['sig', 'x'] }).endorse();
    const forged = gw.newSignedTransaction(unsigned.getBytes(), sign('sha256', unsigned.getDigest(), { key, dsaEncoding: 'der' }));
    const e = await forged.submit().catch((x: unknown) => x);
    expect((e as Error).name).toBe('SubmitError'); // the package exports SubmitError as a type only
    expect((e as SubmitError).code).toBe(S.ABORTED);
    expect((e as SubmitError).message).toMatch(/status=FORBIDDEN/);
    const good = await (await contract().newProposal('put', { arguments: ['sig', 'y'] }).endorse()).submit();
    await good.getStatus();
    const commit = gw.newSignedCommit(good.getBytes(), sign('sha256', good.getDigest(), { key, dsaEncoding: 'der' }));
    const ce = await commit.getStatus().catch((x: unknown) => x);
    expect(ce).toBeInstanceOf(CommitStatusError);
    expect((ce as CommitStatusError).code).toBe(S.PERMISSION_DENIED);
    expect(utf8(await contract().evaluateTransaction('get', 'sig'))).toBe('y');
  });

  // last in the file: it takes org3's peer off the network
  it('error: an unavailable peer: endorsing with its org fails with its detail, the other orgs still endorse and commit', async () => {
    net.stopPeer('Org3MSP');
    const e = await contract()
      .newProposal('put', { arguments: ['down', 'x'], endorsingOrganizations: ['Org1MSP', 'Org3MSP'] })
      .endorse()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EndorseError);
    const d = (e as EndorseError).details.find((x) => x.mspId === 'Org3MSP')!;
    expect(d.address).toBe(net.orgs[2].endpoint);
    expect(d.message).toMatch(/UNAVAILABLE/);
    expect(utf8(await contract().submitTransaction('put', 'down', 'y'))).toBe('y'); // Org1 + Org2 meet 2 of 3
  });
});
