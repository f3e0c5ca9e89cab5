/**
 * A Fabric network stand-in (devnet/fabric) running the Pontis chaincode as a service, for tests:
 * 3 orgs, 2 of 3 endorse. Identities are read from the test-network layout the network writes,
 * as an application would; `writer(i)` is the Fabric adapter as org i's user (or admin).
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { gateway as gp, peer as pp } from '@hyperledger/fabric-protos';
import type { Logger } from 'pino';
import { type FabricIdentity, FabricWriter, headerOf } from '../../adapters/fabric/index.ts';
import { CHAINCODE_NAME, chaincodeCalls } from '../../contracts/fabric/calls.ts';
import { type RunningChaincode, startChaincodeServer } from '../../contracts/fabric/server.ts';
import { type FabricNetwork, fabricClientParams, startFabricNetwork } from '../../devnet/fabric/network.ts';
import { pontisTrustRoot, proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { freePort } from './ports.ts';
import { fabricChainRegistration } from '../../hub-chain/light-clients/fabric/registration.ts';
import { DEFAULT_CLIENT_PARAMS, type GovernedChain, operatorKey } from './register-chain.ts';

export interface FabricFixture {
  dir: string;
  net: FabricNetwork;
  cc: RunningChaincode;
  /** Org `i`'s (0-based) user or admin, from the files the network wrote. */
  identity(i: number, who?: 'user' | 'admin'): FabricIdentity;
  /** The Fabric adapter as org `i`'s user (or admin); closed with the fixture. */
  writer(i: number, opts?: { who?: 'user' | 'admin'; chainId?: string; timeoutMs?: number; endpoint?: string; conflictRetries?: number }): FabricWriter;
  /** The trust root the hub's `fabric` client is registered with for this channel. */
  clientParams(trustingPeriodMs?: number): ReturnType<typeof fabricClientParams>;
  /** A TLS gRPC server with org 1's peer certificate that answers every gateway and deliver call with INTERNAL. */
  failingEndpoint(): Promise<{ endpoint: string; close(): void }>;
  close(): Promise<void>;
}

const domainOf = (i: number) => `org${i + 1}.example.com`;

export async function startFabricFixture(o: { batchTimeoutMs?: number; logger?: Logger; chainId?: string } = {}): Promise<FabricFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pontis-fabric-'));
  const address = `127.0.0.1:${await freePort()}`;
  const cc = await startChaincodeServer({ ccid: 'pontis:1', address , logLevel: process.env.CORE_CHAINCODE_LOGGING_LEVEL ? undefined : 'ERROR' });
  let net: FabricNetwork;
  try {
    net = await startFabricNetwork({ orgs: 3, dir, chaincodes: { [CHAINCODE_NAME]: address }, policy: { outOf: 2 }, batchTimeoutMs: o.batchTimeoutMs ?? 20, logger: o.logger });
  } catch (e) {
    await cc.close();
    throw e;
  }
  const opened: { close(): unknown }[] = [];
  const identity = (i: number, who: 'user' | 'admin' = 'user'): FabricIdentity => {
    const domain = domainOf(i);
    const name = `${who === 'admin' ? 'Admin' : 'User1'}@${domain}`;
    const msp = join(dir, 'organizations', 'peerOrganizations', domain, 'users', name, 'msp');
    return { mspId: net.orgs[i].mspId, certPem: readFileSync(join(msp, 'signcerts', `${name}-cert.pem`), 'utf8'), keyPem: readFileSync(join(msp, 'keystore', 'priv_sk'), 'utf8') };
  };
  return {
    dir,
    net,
    cc,
    identity,
    writer(i, w = {}) {
      const org = net.orgs[i];
      const writer = new FabricWriter({
        chainId: w.chainId ?? o.chainId ?? 'gov',
        channel: net.channel,
        chaincode: CHAINCODE_NAME,
        endpoint: w.endpoint ?? org.endpoint,
        tlsCaCertPem: org.tlsCaCertPem,
        serverName: 'localhost',
        identity: identity(i, w.who),
        timeoutMs: w.timeoutMs,
        conflictRetries: w.conflictRetries,
      });
      opened.push(writer);
      return writer;
    },
    clientParams: (trustingPeriodMs = 14 * 86_400_000) => fabricClientParams(net, CHAINCODE_NAME, { trustingPeriodMs, maxClockDriftMs: 10_000 }),
    async failingEndpoint() {
      const tls = join(dir, 'organizations', 'peerOrganizations', domainOf(0), 'peers', `peer0.${domainOf(0)}`, 'tls');
      const server = new grpc.Server();
      const fail = (_call: unknown, cb: (e: Partial<grpc.ServiceError>) => void) => cb({ code: grpc.status.INTERNAL, details: 'peer failure' });
      const failStream = (call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>) => call.emit('error', { code: grpc.status.INTERNAL, details: 'peer failure' });
      const impl = (svc: grpc.ServiceDefinition) => Object.fromEntries(Object.entries(svc).map(([k, d]) => [k, d.responseStream ? failStream : fail]));
      server.addService(gp.GatewayService, impl(gp.GatewayService) as grpc.UntypedServiceImplementation);
      server.addService(pp.DeliverService, impl(pp.DeliverService) as grpc.UntypedServiceImplementation);
      const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: readFileSync(join(tls, 'server.key')), cert_chain: readFileSync(join(tls, 'server.crt')) }], false);
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
      const ep = { endpoint: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
      opened.push(ep);
      return ep;
    },
    async close() {
      for (const x of opened) await x.close();
      await net.stop();
      await cc.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Connects the channel and a hub both ways, as operators would: org 1's admin creates the
 * chaincode's client of the hub from the hub's current header, and the hub's governance
 * registers the channel as `chainId` (kind and client type `fabric`) from its newest block.
 */
export async function connectFabricToHub(fx: FabricFixture, hub: GovernedChain, hubChainId: string, chainId = 'gov'): Promise<void> {
  const root = await pontisTrustRoot(hub.clients[0], hubChainId);
  await fx.writer(0, { who: 'admin', chainId }).submitTx(chaincodeCalls.initHubClient({ chainId, hubChainId }, DEFAULT_CLIENT_PARAMS, root.pontis));
  const w = fx.writer(0, { chainId });
  const block = (await w.block(await w.latestHeight()))!;
  const action = fabricChainRegistration({ chainId, params: fx.clientParams(), header: headerOf(block), timestamp: Date.now() });
  const r = await proposeAndPass(hub.clients[0], hub.homes.map((_, i) => operatorKey(hub, i)), action);
  if (r.status !== 'executed') throw new Error(`registering ${chainId} on the hub: proposal ${r.id} ${r.status}`);
}
