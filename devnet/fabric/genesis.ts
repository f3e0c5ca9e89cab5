/**
 * The channel's genesis block: block 0 holding one CONFIG envelope whose `ConfigEnvelope` lists
 * the channel's MSPs as Fabric's channel config does (Channel/Application/<Org>/MSP and
 * Channel/Orderer/OrdererOrg/MSP, each a `msp.MSPConfig` of type FABRIC with its root CAs). The
 * stand-in keeps its MSP trust in code; the block records it where Fabric tools look for it.
 * No policies, no capabilities: this network has no config transactions after genesis.
 */
import { randomBytes } from 'node:crypto';
import { common, msp } from '@hyperledger/fabric-protos';
import type { Signer } from './identity.ts';
import { computeTxId } from './proposal.ts';

function mspGroup(mspId: string, rootCertPems: string[]): common.ConfigGroup {
  const f = new msp.FabricMSPConfig();
  f.setName(mspId);
  f.setRootCertsList(rootCertPems.map((p) => Buffer.from(p)));
  const m = new msp.MSPConfig();
  m.setType(0); // FABRIC
  m.setConfig(f.serializeBinary());
  const v = new common.ConfigValue();
  v.setValue(m.serializeBinary());
  const g = new common.ConfigGroup();
  g.getValuesMap().set('MSP', v);
  return g;
}

/** The genesis envelope's bytes, signed by the orderer (`orgs`: mspId -> root CA PEMs). */
export function genesisEnvelope(channelId: string, orgs: Record<string, string[]>, ordererMsp: { mspId: string; rootCertPems: string[] }, signer: Signer): Uint8Array {
  const app = new common.ConfigGroup();
  for (const [id, roots] of Object.entries(orgs)) app.getGroupsMap().set(id.replace(/MSP$/, ''), mspGroup(id, roots));
  const ord = new common.ConfigGroup();
  ord.getGroupsMap().set('OrdererOrg', mspGroup(ordererMsp.mspId, ordererMsp.rootCertPems));
  const channel = new common.ConfigGroup();
  channel.getGroupsMap().set('Application', app);
  channel.getGroupsMap().set('Orderer', ord);
  const config = new common.Config();
  config.setSequence(0);
  config.setChannelGroup(channel);
  const ce = new common.ConfigEnvelope();
  ce.setConfig(config);
  const nonce = randomBytes(24);
  const ch = new common.ChannelHeader();
  ch.setType(common.HeaderType.CONFIG);
  ch.setChannelId(channelId);
  ch.setTxId(computeTxId(nonce, signer.creator));
  const sh = new common.SignatureHeader();
  sh.setCreator(signer.creator);
  sh.setNonce(nonce);
  const header = new common.Header();
  header.setChannelHeader(ch.serializeBinary());
  header.setSignatureHeader(sh.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(ce.serializeBinary());
  const env = new common.Envelope();
  const pb = payload.serializeBinary();
  env.setPayload(pb);
  env.setSignature(signer.sign(pb));
  return env.serializeBinary();
}
