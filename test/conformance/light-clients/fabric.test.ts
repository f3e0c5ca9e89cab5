/**
 * The `fabric` type against the conformance suite, on real Fabric data: the Pontis chaincode as a
 * service on the network stand-in (3 orgs, 2 of 3 endorse), driven through the official
 * fabric-gateway client. The update is a delivered block's header with the orderer's signature;
 * membership is an attestation packet's commitment written in that block, with a GetState
 * endorsed by two orgs; non-membership is a packet that timed out on Fabric (the TIMEOUT marker).
 */
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Gateway, connect, hash, signers } from '@hyperledger/fabric-gateway';
import { common, gateway as gp } from '@hyperledger/fabric-protos';
import { type Bytes, type Hex, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { blockHeaderHash } from '../../../hub-chain/light-clients/fabric/block.ts';
import { FABRIC_ERR } from '../../../hub-chain/light-clients/fabric/errors.ts';
import { toLowS } from '../../../hub-chain/light-clients/fabric/msp.ts';
import { type Packet, channelId, packetKeys as K } from '../../../hub-chain/modules/packets/types.ts';
import { recordRequest } from '../../../contracts/fabric/apps/records.ts';
import { CHAINCODE_NAME, type ChaincodeCall, chaincodeCalls } from '../../../contracts/fabric/calls.ts';
import { decodeEvents, sentPackets } from '../../../contracts/fabric/events.ts';
import { type RunningChaincode, startChaincodeServer } from '../../../contracts/fabric/server.ts';
import { newSigner } from '../../../devnet/fabric/identity.ts';
import { type FabricNetwork, type FabricOrgEndpoint, fabricClientParams, startFabricNetwork } from '../../../devnet/fabric/network.ts';
import { signBlock } from '../../../devnet/fabric/orderer.ts';
import { ChainBuilder } from '../../support/chain-builder.ts';
import { freePort } from '../../support/ports.ts';
import { CLIENT_PARAMS, FABRIC, HUB, HubSim } from '../../contracts/fabric/world.ts';
import { lightClientConformance } from '../light-client.ts';

const DAY = 86_400_000;
const hubChain = new ChainBuilder({ chainId: 'hub-conf', seed: 'conformance-fabric-hub' });

let dir: string;
let hub: HubSim;
let cc: RunningChaincode;
let net: FabricNetwork;
const open: { gateway: Gateway; client: grpc.Client }[] = [];
let now: number;

interface Header {
  number: number;
  previousHash: Hex;
  dataHash: Hex;
}
const data = {} as {
  initial: Header;
  update: { header: Header; signatures: string; block: common.Block };
  forged: { header: Header; signatures: string };
  membership: { key: Bytes; value: Bytes; proof: unknown };
  absence: { key: Bytes; proof: unknown };
};

function gatewayAs(org: FabricOrgEndpoint, who: 'user' | 'admin'): Gateway {
  let [cert, key] = [org.userCertPem, org.userKeyPem];
  if (who === 'admin') {
    const domain = org.mspId.replace(/^Org(\d+)MSP$/, 'org$1.example.com');
    const msp = join(dir, 'organizations', 'peerOrganizations', domain, 'users', `Admin@${domain}`, 'msp');
    [cert, key] = [readFileSync(join(msp, 'signcerts', `Admin@${domain}-cert.pem`), 'utf8'), readFileSync(join(msp, 'keystore', 'priv_sk'), 'utf8')];
  }
  const client = new grpc.Client(org.endpoint, grpc.credentials.createSsl(Buffer.from(org.tlsCaCertPem)), { 'grpc.ssl_target_name_override': 'localhost' });
  const gateway = connect({ client, identity: { mspId: org.mspId, credentials: Buffer.from(cert) }, signer: signers.newPrivateKeySigner(createPrivateKey(key)), hash: hash.sha256 });
  open.push({ gateway, client });
  return gateway;
}

const header = (b: common.Block): Header => {
  const h = b.getHeader()!;
  return { number: h.getNumber(), previousHash: toHex(h.getPreviousHash_asU8()), dataHash: toHex(h.getDataHash_asU8()) };
};
const signaturesOf = (b: common.Block) => Buffer.from(b.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES]).toString('base64');

async function blockAt(g: Gateway, n: bigint): Promise<common.Block> {
  const events = await g.getNetwork(net.channel).getBlockEvents({ startBlock: n });
  try {
    return (await events[Symbol.asyncIterator]().next()).value!;
  } finally {
    events.close();
  }
}

/** A GetState of `keys` endorsed by two orgs and signed by org1's user, never submitted (base64 envelope). */
async function endorsedQuery(g: Gateway, keys: string[]): Promise<string> {
  const c: ChaincodeCall = chaincodeCalls.getState(keys);
  const tx = await g.getNetwork(net.channel).getContract(CHAINCODE_NAME).newProposal(c.fn, { arguments: c.args, endorsingOrganizations: ['Org1MSP', 'Org2MSP'] }).endorse();
  const env = gp.PreparedTransaction.deserializeBinary(tx.getBytes()).getEnvelope()!;
  env.setSignature(toLowS(sign('sha256', env.getPayload_asU8(), { key: createPrivateKey(net.orgs[0].userKeyPem), dsaEncoding: 'der' })));
  return Buffer.from(env.serializeBinary()).toString('base64');
}

const fkey = (k: Bytes) => Buffer.from(k).toString('utf8');
const h32 = (): Hex => toHex(randomBytes(32));

lightClientConformance({
  type: 'fabric',
  chainId: 'gov-conf',
  async before() {
    dir = mkdtempSync(join(tmpdir(), 'pontis-fabric-conf-'));
    hub = HubSim.start('fabric-conformance', Date.now() - 20_000);
    await hub.commit();
    const address = `127.0.0.1:${await freePort()}`;
    cc = await startChaincodeServer({ ccid: 'pontis:1', address });
    net = await startFabricNetwork({ orgs: 3, dir, chaincodes: { [CHAINCODE_NAME]: address }, policy: { outOf: 2 }, batchTimeoutMs: 20 });
    const user = gatewayAs(net.orgs[0], 'user');
    const contract = user.getNetwork(net.channel).getContract(CHAINCODE_NAME);
    const submit = (c: ChaincodeCall) => contract.submitTransaction(c.fn, ...c.args);
    const init = chaincodeCalls.initHubClient({ chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(1));
    await gatewayAs(net.orgs[0], 'admin').getNetwork(net.channel).getContract(CHAINCODE_NAME).submitTransaction(init.fn, ...init.args);

    // a packet sent to gov whose timeout passed before anyone delivered it: the chaincode writes the TIMEOUT marker
    const late: Packet = { srcChain: 'dept-a', srcApp: 'records', dstChain: FABRIC, dstApp: 'records', sequence: 1, ordered: false, payload: recordRequest('none'), timeoutHeight: 0, timeoutTimestamp: Date.now() - 1000 };
    const h = await hub.forward(late);
    await submit(chaincodeCalls.updateClient(hub.update(h, 1)));
    await submit(chaincodeCalls.timeoutPacket(h, late, hub.proof(K.outbound(channelId(late), late.sequence), h)));
    const rcpt = K.receipt(channelId(late), late.sequence);
    data.absence = { key: rcpt, proof: { query: await endorsedQuery(user, [fkey(rcpt)]) } };

    // the trusted header, then a block holding an attestation packet's commitment
    const trusted = await blockAt(user, BigInt(net.height() - 1));
    data.initial = header(trusted);
    const issue = chaincodeCalls.issueAttestation({ kind: 'judicial-evidence', subject: h32(), expiresAtMs: Date.now() + DAY }, { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp: Date.now() + 600_000 });
    const tx = await contract.submitAsync(issue.fn, { arguments: issue.args });
    const status = await tx.getStatus();
    if (status.blockNumber !== BigInt(data.initial.number + 1)) throw new Error(`the attestation landed in block ${status.blockNumber}, expected ${data.initial.number + 1}`);
    const block = await blockAt(user, status.blockNumber);
    data.update = { header: header(block), signatures: signaturesOf(block), block };
    const txIndex = block.getData()!.getDataList_asU8().findIndex((e) => common.ChannelHeader.deserializeBinary(common.Payload.deserializeBinary(common.Envelope.deserializeBinary(e).getPayload_asU8()).getHeader()!.getChannelHeader_asU8()).getTxId() === tx.getTransactionId());
    const events = await user.getNetwork(net.channel).getChaincodeEvents(CHAINCODE_NAME, { startBlock: status.blockNumber });
    const sent = sentPackets(decodeEvents((await events[Symbol.asyncIterator]().next()).value!.payload))[0];
    events.close();
    const key = K.outbound(channelId(sent), sent.sequence);
    const get = chaincodeCalls.getState([fkey(key)]);
    const [commitment] = JSON.parse(Buffer.from(await contract.evaluateTransaction(get.fn, ...get.args)).toString('utf8')) as string[];
    data.membership = { key, value: Buffer.from(commitment.slice(2), 'hex'), proof: { block: Buffer.from(block.serializeBinary()).toString('base64'), txIndex, query: await endorsedQuery(user, [fkey(key)]) } };

    // the same height with other data, signed by the channel's orderer: a fork
    const ordererMsp = join(dir, 'organizations', 'ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com', 'msp');
    const orderer = newSigner(net.orderer.mspId, net.orderer.certPem, createPrivateKey(readFileSync(join(ordererMsp, 'keystore', 'priv_sk'), 'utf8')));
    const fork = common.Block.deserializeBinary(block.serializeBinary());
    fork.getHeader()!.setDataHash(randomBytes(32));
    signBlock(fork, orderer);
    data.forged = { header: header(fork), signatures: signaturesOf(fork) };
    now = Date.now();
  },
  async after() {
    for (const o of open) {
      o.gateway.close();
      o.client.close();
    }
    await net?.stop();
    await cc?.close();
    await hub?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
  hubChainId: () => 'hub-conf',
  hubValidators: () => hubChain.validatorSet(1),
  now: () => now,
  params: () => fabricClientParams(net, CHAINCODE_NAME, { trustingPeriodMs: DAY, maxClockDriftMs: 10_000 }),
  initial: () => ({ header: data.initial, timestamp: now - 1000 }),
  get initialHeight() {
    return data.initial.number;
  },
  trustingPeriodMs: DAY,
  update: () => [{ headers: [data.update.header], signatures: data.update.signatures }],
  get updateHeight() {
    return data.update.header.number;
  },
  updateTimestamp: () => now,
  stale: () => ({ msg: { headers: [data.update.header], signatures: data.update.signatures }, code: FABRIC_ERR.HEADER_STALE }),
  future: () => ({ msg: { headers: [{ number: data.update.header.number + 2, previousHash: h32(), dataHash: h32() }], signatures: data.update.signatures }, code: FABRIC_ERR.HEADER_GAP }),
  // the next header, chained right, under the previous block's signatures
  wrongSignature: () => ({ msg: { headers: [{ number: data.update.header.number + 1, previousHash: toHex(blockHeaderHash({ ...data.update.header, previousHash: Buffer.from(data.update.header.previousHash.slice(2), 'hex'), dataHash: Buffer.from(data.update.header.dataHash.slice(2), 'hex') })), dataHash: h32() }], signatures: data.update.signatures }, code: FABRIC_ERR.ORDERER_SIGNATURE }),
  // a header of another channel's chain (its previous hash is not ours)
  otherChain: () => ({ msg: { headers: [{ number: data.update.header.number + 1, previousHash: h32(), dataHash: h32() }], signatures: data.update.signatures }, code: FABRIC_ERR.HEADER_CHAIN }),
  misbehaviour: () => [{ a: { header: data.update.header, signatures: data.update.signatures }, b: data.forged }],
  proofs: () => ({ key: data.membership.key, value: data.membership.value, proof: data.membership.proof, absentKey: data.absence.key, absentProof: data.absence.proof }),
});
