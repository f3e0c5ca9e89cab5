/**
 * The Fabric network stand-in in one process: per org a CA and one peer (own identity, own TLS
 * port) serving `gateway.Gateway`, `protos.Deliver` and `protos.Endorser`; the peers dial the chaincode servers
 * (chaincode-as-a-service) to endorse; one orderer cuts signed blocks; the committer validates
 * them (policy, signatures, MVCC) into one LMDB ledger under `dir` that every peer reads (all
 * peers would hold the same ledger anyway). A peer's gateway endorses on its own peer in process
 * and on other orgs' peers over gRPC/TLS (`protos.Endorser`), as Fabric's gateway does. Starting
 * again on the same `dir` resumes the ledger, the world state and the identities. Writes a
 * test-network style layout and per-org connection profiles so any Fabric client can connect.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { common, gateway as gp, peer as pp } from '@hyperledger/fabric-protos';
import { orgMaterial, ordererMaterial, writeConnectionProfile, type OrgMaterial } from './ca.ts';
import { FabricNetworkError } from './errors.ts';
import { genesisEnvelope } from './genesis.ts';
import { MspRegistry } from '../../hub-chain/light-clients/fabric/msp.ts';
import { newSigner } from './identity.ts';
import { Ledger } from './ledger.ts';
import { headerHashOf, newBlock, Orderer, signBlock } from './orderer.ts';
import { ChaincodeDialer, type ChaincodeEndpoint } from './peer/chaincode.ts';
import { DeliverService } from './peer/deliver.ts';
import { Endorser, endorserService, RemoteEndorser } from './peer/endorser.ts';
import { GatewayService, type GatewayPeer } from './peer/gateway.ts';
import type { EndorsementPolicy } from '../../hub-chain/light-clients/fabric/policy.ts';
import { Validator } from './peer/validator.ts';

export type { EndorsementPolicy } from '../../hub-chain/light-clients/fabric/policy.ts';
export type { ChaincodeEndpoint } from './peer/chaincode.ts';

export { FabricNetworkError } from './errors.ts';

export interface FabricNetworkOptions {
  /** Number of peer orgs (Org1MSP..OrgNMSP), 1..10. */
  orgs: number;
  /** Where the crypto material, profiles and ledger live; reused on restart. */
  dir: string;
  /** Chaincode name -> its chaincode-as-a-service server: host:port (plain gRPC) or an endpoint with TLS. */
  chaincodes: Record<string, string | ChaincodeEndpoint>;
  /** Endorsement policy: one for every chaincode, or per chaincode name. Default: a majority of the orgs. */
  policy?: { outOf: number } | Record<string, EndorsementPolicy>;
  channel?: string;
  /** Port of org1's peer; org i listens on basePort + i - 1. Default 0: any free ports. */
  basePort?: number;
  host?: string;
  batchSize?: number;
  batchTimeoutMs?: number;
  /** The channel's BatchSize.PreferredMaxBytes (orderer.ts; default 512 KiB). */
  preferredMaxBytes?: number;
  /** Where a block that failed to commit is reported (none: not reported). */
  logger?: Logger;
}

/** What a client of one org needs to connect: endpoint, TLS CA, user identity. */
export interface FabricOrgEndpoint {
  mspId: string;
  /** host:port of the org's peer (TLS; server name `localhost`). */
  endpoint: string;
  connectionProfile: string;
  tlsCaCertPem: string;
  tlsCaCertPath: string;
  caCertPem: string;
  userCertPem: string;
  userKeyPem: string;
  userCertPath: string;
  userKeyPath: string;
}

export interface FabricNetwork {
  channel: string;
  dir: string;
  orgs: FabricOrgEndpoint[];
  orderer: { mspId: string; certPem: string; caCertPem: string };
  policies: Record<string, EndorsementPolicy>;
  /** Committed block height of the channel. */
  height(): number;
  /** Takes one org's peer off the network (its port closes), as a crashed peer: the other gateways see it unavailable. */
  stopPeer(mspId: string): void;
  stop(): Promise<void>;
}

function policiesFor(o: FabricNetworkOptions, mspIds: string[]): Map<string, EndorsementPolicy> {
  const m = new Map<string, EndorsementPolicy>();
  const p = o.policy;
  for (const cc of Object.keys(o.chaincodes)) {
    if (p && 'outOf' in p && typeof p.outOf === 'number') m.set(cc, { outOf: p.outOf, orgs: mspIds });
    else if (p && (p as Record<string, EndorsementPolicy>)[cc]) m.set(cc, (p as Record<string, EndorsementPolicy>)[cc]);
    else m.set(cc, { outOf: Math.floor(mspIds.length / 2) + 1, orgs: mspIds });
  }
  for (const [cc, pol] of m) {
    if (!Number.isInteger(pol.outOf) || pol.outOf < 1 || pol.outOf > pol.orgs.length || pol.orgs.some((x) => !mspIds.includes(x))) {
      throw new FabricNetworkError('PNT_ERR_FABNET_CONFIG', `endorsement policy of ${cc} must name channel orgs and need 1..${pol.orgs.length} of them`);
    }
  }
  return m;
}

export async function startFabricNetwork(o: FabricNetworkOptions): Promise<FabricNetwork> {
  if (!Number.isInteger(o.orgs) || o.orgs < 1 || o.orgs > 10) throw new FabricNetworkError('PNT_ERR_FABNET_CONFIG', 'orgs must be an integer in 1..10');
  const channel = o.channel ?? 'mychannel';
  const host = o.host ?? '127.0.0.1';
  mkdirSync(o.dir, { recursive: true });
  const orgs: OrgMaterial[] = [];
  for (let i = 1; i <= o.orgs; i++) orgs.push(await orgMaterial(o.dir, i));
  const ord = await ordererMaterial(o.dir);
  const msps = new MspRegistry(Object.fromEntries(orgs.map((g) => [g.mspId, [g.caCertPem]])));
  const policies = policiesFor(
    o,
    orgs.map((g) => g.mspId),
  );
  const ordererSigner = newSigner(ord.mspId, ord.orderer.certPem, ord.orderer.key);
  const ledger = Ledger.open(join(o.dir, 'ledger', channel));
  const closers: (() => Promise<void> | void)[] = [() => ledger.close()];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const c of closers.reverse()) await c();
    })());
  try {
    if (ledger.height === 0) {
      const env = genesisEnvelope(channel, Object.fromEntries(orgs.map((g) => [g.mspId, [g.caCertPem]])), { mspId: ord.mspId, rootCertPems: [ord.caCertPem] }, ordererSigner);
      const genesis = newBlock(0, new Uint8Array(), [env]);
      signBlock(genesis, ordererSigner);
      const list = genesis.getMetadata()!.getMetadataList_asU8();
      list[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = new Uint8Array([pp.TxValidationCode.VALID]);
      genesis.getMetadata()!.setMetadataList(list);
      await ledger.commit(0, genesis.serializeBinary(), [{ txId: '', code: pp.TxValidationCode.VALID }], []);
    }
    const tipBlock = common.Block.deserializeBinary(ledger.block(ledger.height - 1)!);
    const validator = new Validator({ channelId: channel, msps, ledger, policies });
    const orderer = new Orderer({
      channelId: channel,
      signer: ordererSigner,
      msps,
      tip: { number: ledger.height - 1, headerHash: headerHashOf(tipBlock) },
      batchSize: o.batchSize,
      batchTimeoutMs: o.batchTimeoutMs,
      preferredMaxBytes: o.preferredMaxBytes,
      onDeliverError: (e, blockNumber) => o.logger?.error({ err: e, blockNumber, channel }, 'block not committed'),
      deliver: async (block) => {
        const results = validator.validateBlock(block);
        const list = block.getMetadata()!.getMetadataList_asU8();
        list[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = new Uint8Array(results.map((r) => r.code));
        block.getMetadata()!.setMetadataList(list);
        await ledger.commit(
          block.getHeader()!.getNumber(),
          block.serializeBinary(),
          results.map((r) => ({ txId: r.txId, code: r.code, timestampMs: r.timestampMs })),
          results.flatMap((r, tx) => r.writes.map((w) => ({ tx, w }))),
        );
      },
    });
    closers.push(() => orderer.stop());

    // each peer: its chaincode connections, its endorser, then its gRPC server
    const servers: grpc.Server[] = [];
    const gatewayPeers: GatewayPeer[] = [];
    const endorsers: Endorser[] = [];
    const ports: number[] = [];
    for (const [i, g] of orgs.entries()) {
      const server = new grpc.Server();
      const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(g.peerTls.keyPem), cert_chain: Buffer.from(g.peerTls.certPem) }], false);
      const want = o.basePort ? o.basePort + i : 0;
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`${host}:${want}`, creds, (e, p) => (e ? reject(new FabricNetworkError('PNT_ERR_FABNET_PORT', `peer of ${g.mspId} cannot listen on ${host}:${want}: ${e.message}`, { cause: e })) : resolve(p))),
      );
      servers.push(server);
      closers.push(() => server.forceShutdown()); // open event streams would hold a graceful shutdown forever
      ports.push(port);
      // each peer dials its chaincodes on first use and again after a chaincode restart, as Fabric's peers do
      const chaincodes = new Map(Object.entries(o.chaincodes).map(([name, ep]) => [name, new ChaincodeDialer(name, typeof ep === 'string' ? { address: ep } : ep)]));
      for (const d of chaincodes.values()) closers.push(() => d.close());
      const address = `${host}:${port}`;
      const endorser = new Endorser({ mspId: g.mspId, address, signer: newSigner(g.mspId, g.peer.certPem, g.peer.key), msps, ledger, channelId: channel, chaincodes });
      endorsers.push(endorser);
      gatewayPeers.push({ mspId: g.mspId, address, endorser });
    }
    for (const [i, server] of servers.entries()) {
      // this peer's gateway reaches the other orgs' peers over TLS, trusting their TLS CAs
      const peers = gatewayPeers.map((p, j) => {
        if (j === i) return p;
        const remote = new RemoteEndorser(p.address, orgs[j].tlsCaCertPem);
        closers.push(() => remote.close());
        return { ...p, endorser: remote };
      });
      const gw = new GatewayService({ channelId: channel, local: gatewayPeers[i], peers, policies, msps, ledger, orderer });
      server.addService(gp.GatewayService, gw.implementation());
      server.addService(pp.DeliverService, new DeliverService({ channelId: channel, msps, ledger }).implementation());
      server.addService(pp.EndorserService, endorserService(endorsers[i]));
    }
    const endpoints: FabricOrgEndpoint[] = orgs.map((g, i) => {
      const endpoint = `${host}:${ports[i]}`;
      const userKeyPath = join(g.userKeyDir, 'priv_sk');
      return {
        mspId: g.mspId,
        endpoint,
        connectionProfile: writeConnectionProfile(g, endpoint, channel),
        tlsCaCertPem: g.tlsCaCertPem,
        tlsCaCertPath: g.tlsCaCertPath,
        caCertPem: g.caCertPem,
        userCertPem: g.user.certPem,
        userKeyPem: readFileSync(userKeyPath, 'utf8'),
        userCertPath: g.userCertPath,
        userKeyPath,
      };
    });
    return {
      channel,
      dir: o.dir,
      orgs: endpoints,
      orderer: { mspId: ord.mspId, certPem: ord.orderer.certPem, caCertPem: ord.caCertPem },
      policies: Object.fromEntries(policies),
      height: () => ledger.height,
      stopPeer: (mspId) => {
        const i = orgs.findIndex((g) => g.mspId === mspId);
        if (i < 0) throw new FabricNetworkError('PNT_ERR_FABNET_CONFIG', `no org ${mspId} in this network`);
        servers[i].forceShutdown();
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/**
 * The trust root a hub's `fabric` client is registered with for this network's channel: every
 * org's root CA, the orderer's (one signature needed) and the chaincode's policy as the network
 * enforces it.
 */
export function fabricClientParams(net: FabricNetwork, chaincode: string, o: { trustingPeriodMs: number; maxClockDriftMs: number }) {
  const policy = net.policies[chaincode];
  if (!policy) throw new FabricNetworkError('PNT_ERR_FABNET_CONFIG', `no chaincode ${chaincode} on this network`);
  return {
    ...o,
    channel: net.channel,
    chaincode,
    msps: Object.fromEntries(net.orgs.map((g) => [g.mspId, [g.caCertPem]])),
    orderers: { msps: { [net.orderer.mspId]: [net.orderer.caCertPem] }, threshold: 1 },
    policy: { outOf: policy.outOf, orgs: policy.orgs },
  };
}
