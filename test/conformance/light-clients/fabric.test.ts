/**
 * The `fabric` type against the conformance suite, on real Fabric data: the Pontis chaincode as a
 * service on the network stand-in (3 orgs, 2 of 3 endorse), driven through the Fabric adapter
 * (the official fabric-gateway client) and the relayer's endorsed query. The update is a delivered block's header with the orderer's signature;
 * membership is an attestation packet's commitment written in that block, with a GetState
 * endorsed by two orgs; non-membership is a packet that timed out on Fabric (the TIMEOUT marker).
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { blockTxs, headerOf, ordererSignaturesOf } from '../../../adapters/fabric/index.ts';
import { type Bytes, type Hex, fromHex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { blockHeaderHash } from '../../../hub-chain/light-clients/fabric/block.ts';
import { FABRIC_ERR } from '../../../hub-chain/light-clients/fabric/errors.ts';
import { type Packet, channelId, packetKeys as K } from '../../../hub-chain/modules/packets/types.ts';
import { recordRequest } from '../../../contracts/fabric/apps/records.ts';
import { chaincodeCalls } from '../../../contracts/fabric/calls.ts';
import { decodeEvents, sentPackets } from '../../../contracts/fabric/events.ts';
import { newSigner } from '../../../devnet/fabric/identity.ts';
import { signBlock } from '../../../devnet/fabric/orderer.ts';
import { endorsedQuery } from '../../../relayers/paths/fabric/endpoint.ts';
import { ChainBuilder } from '../../support/chain-builder.ts';
import { type FabricFixture, startFabricFixture } from '../../support/fabric.ts';
import { CLIENT_PARAMS, FABRIC, HUB, HubSim } from '../../contracts/fabric/world.ts';
import { lightClientConformance } from '../light-client.ts';

const DAY = 86_400_000;
const hubChain = new ChainBuilder({ chainId: 'hub-conf', seed: 'conformance-fabric-hub' });

let fx: FabricFixture;
let hub: HubSim;
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

const h32 = (): Hex => toHex(randomBytes(32));

lightClientConformance({
  type: 'fabric',
  chainId: 'gov-conf',
  async before() {
    fx = await startFabricFixture({ chainId: 'gov-conf' });
    hub = HubSim.start('fabric-conformance', Date.now() - 20_000);
    await hub.commit();
    const user = fx.writer(0);
    const ep = { chainId: 'gov-conf', writer: user, endorsingOrgs: ['Org1MSP', 'Org2MSP'] };
    await fx.writer(0, { who: 'admin' }).submitTx(chaincodeCalls.initHubClient({ chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(1)));

    // a packet sent to gov whose timeout passed before anyone delivered it: the chaincode writes the TIMEOUT marker
    const late: Packet = { srcChain: 'dept-a', srcApp: 'records', dstChain: FABRIC, dstApp: 'records', sequence: 1, ordered: false, payload: recordRequest('none'), timeoutHeight: 0, timeoutTimestamp: Date.now() - 1000 };
    const h = await hub.forward(late);
    await user.submitTx(chaincodeCalls.updateClient(hub.update(h, 1)));
    await user.submitTx(chaincodeCalls.timeoutPacket(h, late, hub.proof(K.outbound(channelId(late), late.sequence), h)));
    const rcpt = K.receipt(channelId(late), late.sequence);
    data.absence = { key: rcpt, proof: { query: (await endorsedQuery(ep, [rcpt])).query } };

    // the trusted header, then a block holding an attestation packet's commitment
    data.initial = headerOf((await user.block(await user.latestHeight()))!);
    const issue = chaincodeCalls.issueAttestation({ kind: 'judicial-evidence', subject: h32(), expiresAtMs: Date.now() + DAY }, { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp: Date.now() + 600_000 });
    const r = await user.submitTx(issue);
    if (r.height !== data.initial.number + 1) throw new Error(`the attestation landed in block ${r.height}, expected ${data.initial.number + 1}`);
    const block = (await user.block(r.height))!;
    data.update = { header: headerOf(block), signatures: ordererSignaturesOf(block), block };
    const tx = blockTxs(block).find((t) => t.txId === r.txId)!;
    const sent = sentPackets(decodeEvents(tx.event!.payload))[0];
    const key = K.outbound(channelId(sent), sent.sequence);
    const q = await endorsedQuery(ep, [key]);
    data.membership = { key, value: fromHex(q.values[0]!), proof: { block: Buffer.from(block.serializeBinary()).toString('base64'), txIndex: tx.index, query: q.query } };

    // the same height with other data, signed by the channel's orderer: a fork
    const ordererMsp = join(fx.dir, 'organizations', 'ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com', 'msp');
    const orderer = newSigner(fx.net.orderer.mspId, fx.net.orderer.certPem, createPrivateKey(readFileSync(join(ordererMsp, 'keystore', 'priv_sk'), 'utf8')));
    const fork = common.Block.deserializeBinary(block.serializeBinary());
    fork.getHeader()!.setDataHash(randomBytes(32));
    signBlock(fork, orderer);
    data.forged = { header: headerOf(fork), signatures: ordererSignaturesOf(fork) };
    now = Date.now();
  },
  async after() {
    await fx?.close();
    await hub?.close();
  },
  hubChainId: () => 'hub-conf',
  hubValidators: () => hubChain.validatorSet(1),
  now: () => now,
  params: () => fx.clientParams(DAY),
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
