/**
 * The devnet's government chain `gov`: the Fabric network stand-in (devnet/fabric, 3 orgs, the
 * Pontis chaincode endorsed by 2 of 3) with the chaincode running as a service, connected to the
 * hub both ways (the chaincode's `pontis` client of the hub; the hub's `fabric` client of the
 * channel, registered by governance) and relayed as a `kind: fabric` chain. Its flows, printed
 * step by step: an attestation Org1 issues on gov becomes valid in the AttestationVerifier on an
 * EVM chain and in the `attest` app of dept-a, then is revoked on both; dept-a asks gov for a
 * record and gets it in the acknowledgement, and an error ack for a record it may not read.
 *
 * Used by devnet.ts: `startGov` (before the relayer starts), `connect` (registers it, returns its
 * relayer config entry), `runFlow`, `stop`. Set PONTIS_DEVNET_FABRIC=0 to leave it out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { type AccountKey, accountKeyFromSeed, generateAccountKey } from '../hub-chain/crypto/ed25519.ts';
import { type Hex, fromHex, toHex, utf8 } from '../hub-chain/crypto/bytes.ts';
import { PontisError } from '../hub-chain/errors.ts';
import { type AttestationRecord, attestationKey, attestationStatus } from '../hub-chain/modules/attest/app.ts';
import { attestKeys, hubAttestationStatus } from '../hub-chain/modules/attest/issuers.ts';
import { type StateProof, verifyMembership } from '../hub-chain/state/proof.ts';
import { type Packet, decodeAck, packetId } from '../hub-chain/modules/packets/types.ts';
import { loadHome } from '../hub-chain/node/config.ts';
import { HubClient } from '../hub-chain/rpc-client/client.ts';
import { pontisTrustRoot, proposeAndPass } from '../hub-chain/rpc-client/registry.ts';
import { fabricChainRegistration } from '../hub-chain/light-clients/fabric/registration.ts';
import { FabricWriter, blockTxs, headerOf } from '../adapters/fabric/index.ts';
import { recordRequest } from '../contracts/fabric/apps/records.ts';
import { CHAINCODE_NAME, chaincodeCalls } from '../contracts/fabric/calls.ts';
import { decodeEvents, sentPackets } from '../contracts/fabric/events.ts';
import { type RunningChaincode, startChaincodeServer } from '../contracts/fabric/server.ts';
import { FabricPathHandlers } from '../relayers/paths/fabric/handlers.ts';
import { p256KeyHex } from '../relayers/paths/fabric/index.ts';
import { RpcEndpoint } from '../relayers/paths/pontis/rpc-endpoint.ts';
import { relayRound } from '../relayers/round.ts';
import { type FabricNetwork, fabricClientParams, startFabricNetwork } from './fabric/network.ts';
import { until } from './sample-flow.ts';
import type { DataSource } from './data-flow.ts';
import type { Say } from './evm-flow.ts';
import { readKeys } from '../relayers/paths/fabric/endpoint.ts';
import { type InboundRequest, spokeKeys } from '../hub-chain/modules/data-sharing/spoke.ts';

export const DEVNET_GOV = 'gov';
/** The environment variable the devnet's relayer reads gov's signer key from (Org1's user key, as hex). */
export const GOV_RELAYER_KEY_ENV = 'PONTIS_DEVNET_GOV_RELAYER_KEY';
const DAY = 86_400_000;

/** gov as the relayer config names it (`kind: fabric`). */
export interface FabricRelayerChain {
  id: string;
  kind: 'fabric';
  channel: string;
  chaincode: string;
  peer: { endpoint: string; tlsCaCert: string; serverName: string };
  mspId: string;
  cert: string;
  signer: { env: string };
  endorsingOrgs: string[];
}

export interface GovDevnet {
  /** Registers gov on the hub and creates the chaincode's hub client; returns its relayer config entry. */
  connect(hubRpc: string, hubHomes: string[], hubChainId: string): Promise<FabricRelayerChain>;
  /** The environment the relayer needs for gov (its signer key). */
  env(): Record<string, string>;
  /** gov as the source of the data-sharing flow: Org1's members answer for the department. */
  dataSource(): DataSource;
  runFlow(o: { hubRpc: string; hubChainId: string; deptA: { chainId: string; rpc: string; user: AccountKey }; verifier?: { chainId: string; app: string; isValid(subject: string): Promise<boolean> }; relayHere: boolean; say?: Say }): Promise<void>;
  stop(): Promise<void>;
}

const short = (h: string) => `${h.slice(0, 10)}…${h.slice(-4)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startGov(o: { root: string; basePort: number; say: (s: string) => void }): Promise<GovDevnet | null> {
  if (process.env.PONTIS_DEVNET_FABRIC === '0') return null;
  const say = o.say;
  const dir = join(o.root, DEVNET_GOV);
  const ccAddress = `127.0.0.1:${o.basePort + 3}`;
  const cc: RunningChaincode = await startChaincodeServer({ ccid: `${CHAINCODE_NAME}:1`, address: ccAddress , logLevel: process.env.CORE_CHAINCODE_LOGGING_LEVEL ? undefined : 'CRITICAL' });
  let net: FabricNetwork;
  try {
    net = await startFabricNetwork({ orgs: 3, dir, chaincodes: { [CHAINCODE_NAME]: ccAddress }, policy: { outOf: 2 }, basePort: o.basePort, batchTimeoutMs: 100 });
  } catch (e) {
    await cc.close();
    throw e;
  }
  say(`  ${DEVNET_GOV.padEnd(13)} Hyperledger Fabric (network stand-in, in the devnet process, PID ${process.pid}), channel ${net.channel}, orgs ${net.orgs.map((g) => g.mspId).join(', ')}; chaincode ${CHAINCODE_NAME} as a service at ${ccAddress}, endorsed by 2 of 3 orgs; ledger and crypto material in ${dir}`);
  for (const g of net.orgs) say(`                ${g.mspId} peer ${g.endpoint} (TLS), connection profile ${g.connectionProfile}`);

  const org = net.orgs[0];
  const admin = (() => {
    const msp = join(dir, 'organizations', 'peerOrganizations', 'org1.example.com', 'users', 'Admin@org1.example.com', 'msp');
    return { mspId: org.mspId, certPem: readFileSync(join(msp, 'signcerts', 'Admin@org1.example.com-cert.pem'), 'utf8'), keyPem: readFileSync(join(msp, 'keystore', 'priv_sk'), 'utf8') };
  })();
  const writer = (identity = { mspId: org.mspId, certPem: org.userCertPem, keyPem: org.userKeyPem }) =>
    new FabricWriter({ chainId: DEVNET_GOV, channel: net.channel, chaincode: CHAINCODE_NAME, endpoint: org.endpoint, tlsCaCertPem: org.tlsCaCertPem, serverName: 'localhost', identity, conflictRetries: 5 });
  const user = writer();
  const steward = generateAccountKey();
  let stopped = false;
  let relayer: FabricWriter | undefined;

  return {
    env: () => ({ [GOV_RELAYER_KEY_ENV]: p256KeyHex(org.userKeyPem) }),

    dataSource() {
      const endpoint = { chainId: DEVNET_GOV, writer: user, endorsingOrgs: [net.orgs[0].mspId, net.orgs[1].mspId] };
      const read = async (key: Uint8Array) => {
        const [v] = await readKeys(endpoint, [key]);
        return v === null ? undefined : fromHex(v);
      };
      return {
        chainId: DEVNET_GOV,
        label: `${DEVNET_GOV} (Hyperledger Fabric; ${org.mspId} answers)`,
        // gov's steward on the hub: keeps its catalog and policy (its answers are signed by Org1 members on the channel)
        operator: steward,
        msps: [org.mspId],
        readers: (hub) => ({
          proveHub: async (key, height) => {
            const r = await hub.state({ hex: toHex(key) }, { height, prove: true });
            return { value: r.value === null ? undefined : fromHex(r.value), proof: r.proof };
          },
          readSpoke: read,
          hubClientHeight: async () => JSON.parse(Buffer.from(await user.evaluate(chaincodeCalls.clientStatus())).toString('utf8')).latestHeight,
          spokeTime: async () => Date.now(),
        }),
        inbound: async (id) => {
          const v = await read(spokeKeys.inbound(id));
          return v && (JSON.parse(Buffer.from(v).toString('utf8')) as InboundRequest);
        },
        submitAnswer: async (msg) => void (await user.submitTx(chaincodeCalls.dataAnswer(msg as unknown as Record<string, unknown>))),
      };
    },

    async connect(hubRpc, hubHomes, hubChainId) {
      const hub = new HubClient(hubRpc);
      const root = await pontisTrustRoot(hub, hubChainId);
      const adm = writer(admin);
      try {
        const r = await adm.submitTx(chaincodeCalls.initHubClient({ chainId: DEVNET_GOV, hubChainId }, { trustingPeriodMs: 14 * DAY, maxClockDriftMs: 10_000 }, root.pontis));
        say(`  ${DEVNET_GOV}: Org1's admin created the chaincode's client of ${hubChainId} (trusts hub height ${root.pontis.header.height}; tx ${short(r.txId)} in block ${r.height})`);
      } finally {
        await adm.close();
      }
      const block = (await user.block(await user.latestHeight()))!;
      const params = fabricClientParams(net, CHAINCODE_NAME, { trustingPeriodMs: 14 * DAY, maxClockDriftMs: 10_000 });
      const operators = hubHomes.map((h) => accountKeyFromSeed(fromHex(loadHome(h).operatorKey!.seed, 32)));
      const action = fabricChainRegistration({ chainId: DEVNET_GOV, params, header: headerOf(block), timestamp: Date.now() });
      const { id, status } = await proposeAndPass(hub, operators, action);
      if (status !== 'executed') throw new PontisError('PNT_ERR_DEVNET_REGISTER', `registering ${DEVNET_GOV} on ${hubChainId}: proposal ${id} is ${status}`);
      say(`  ${hubChainId} registered ${DEVNET_GOV} (governance proposal ${id}; a fabric client trusting the 3 orgs' root CAs, the orderer and "2 of 3 orgs", from block ${block.getHeader()!.getNumber()})`);
      const issuer = await proposeAndPass(hub, operators, { kind: 'attest/register-issuer', type: 'judicial-evidence', chain: DEVNET_GOV, issuer: net.orgs[0].mspId });
      if (issuer.status !== 'executed') throw new PontisError('PNT_ERR_DEVNET_REGISTER', `registering ${net.orgs[0].mspId} as an issuer: proposal ${issuer.id} is ${issuer.status}`);
      say(`  ${hubChainId} governance registered ${net.orgs[0].mspId} of ${DEVNET_GOV} as the issuer of judicial-evidence attestations (proposal ${issuer.id}): the kind is closed to anyone else`);
      return { id: DEVNET_GOV, kind: 'fabric', channel: net.channel, chaincode: CHAINCODE_NAME, peer: { endpoint: org.endpoint, tlsCaCert: org.tlsCaCertPath, serverName: 'localhost' }, mspId: org.mspId, cert: org.userCertPath, signer: { env: GOV_RELAYER_KEY_ENV }, endorsingOrgs: [net.orgs[0].mspId, net.orgs[1].mspId] };
    },

    async runFlow({ hubRpc, hubChainId, deptA, verifier, relayHere, say = o.say }) {
      if (relayHere) {
        // no BullMQ relayer (no Redis): one relaying loop for gov in this process
        relayer = writer();
        const handlers = new FabricPathHandlers(new RpcEndpoint(hubChainId, hubRpc, generateAccountKey()), new Map([[DEVNET_GOV, { chainId: DEVNET_GOV, writer: relayer, endorsingOrgs: [net.orgs[0].mspId, net.orgs[1].mspId] }]]));
        let cursor: Record<string, number> = { [DEVNET_GOV]: await user.latestHeight(), [hubChainId]: (await new HubClient(hubRpc).status()).latestHeight };
        say(`  relaying gov in this process (relayRound)`);
        void (async () => {
          while (!stopped) {
            try {
              const r = await relayRound(handlers, DEVNET_GOV, hubChainId, cursor);
              cursor = r.cursor;
              if (!r.submitted.length) await sleep(300);
            } catch (e) {
              if (!stopped) say(`  gov relayer: ${(e as Error).message} (retrying)`);
              await sleep(500);
            }
          }
        })();
      }
      const a = new HubClient(deptA.rpc);
      const subject = toHex(createHash('sha256').update('evidence bundle 2026/117: court order scan').digest());
      const targets = [...(verifier ? [{ chainId: verifier.chainId, app: verifier.app }] : []), { chainId: deptA.chainId, app: 'attest' }];
      say(`attestation: Org1MSP on ${DEVNET_GOV} attests ${short(subject)} (sha256 of an evidence bundle, kind judicial-evidence) to ${targets.map((t) => `${t.chainId}/${t.app}`).join(' and ')}`);
      const expiresAtMs = Date.now() + 30 * DAY;
      for (const t of targets) {
        const r = await user.submitTx(chaincodeCalls.issueAttestation({ kind: 'judicial-evidence', subject, expiresAtMs }, { dstChain: t.chainId, dstApp: t.app, timeoutTimestamp: Date.now() + 600_000 }));
        say(`  ${DEVNET_GOV}: packet ${packetId(await sentIn(user, r.txId, r.height))} committed in block ${r.height} (tx ${short(r.txId)}), endorsed by 2 of 3 orgs`);
      }
      const onA = async () => {
        const rec = await a.state({ hex: toHex(attestationKey(DEVNET_GOV, org.mspId, subject)) });
        return rec.value === null ? undefined : (JSON.parse(Buffer.from(fromHex(rec.value)).toString('utf8')) as AttestationRecord);
      };
      if (verifier) {
        await until(`the attestation to be valid on ${verifier.chainId}`, async () => ((await verifier.isValid(subject)) ? true : undefined), 120_000);
        say(`  ${verifier.chainId}: AttestationVerifier isValid = true (issuer ${org.mspId} of ${DEVNET_GOV}, proven through the hub)`);
      }
      const rec = await until(`the attestation on ${deptA.chainId}`, onA, 120_000);
      say(`  ${deptA.chainId}: attest app holds it from ${rec.srcChain}/${rec.srcApp}, issuer ${rec.issuer}: ${attestationStatus(rec, Date.now())}`);
      const hubStatus = async () => {
        const hub = new HubClient(hubRpc);
        const key = attestKeys.status(DEVNET_GOV, org.mspId, subject);
        const r = await hub.state<StateProof>({ hex: toHex(key) }, { prove: true });
        if (r.value === null) return undefined;
        verifyMembership((await hub.signedHeader(r.height)).header.stateRoot, key, fromHex(r.value), r.proof!);
        return { height: r.height, status: hubAttestationStatus(JSON.parse(Buffer.from(fromHex(r.value)).toString('utf8')), Date.now()) };
      };
      const hs = await until(`the attestation's status on ${hubChainId}`, hubStatus, 60_000);
      say(`  ${hubChainId}: status ${hs.status} in hub state, its proof checked against header ${hs.height}'s state root (provable on every connected chain)`);

      say(`revocation: Org1MSP revokes it on ${DEVNET_GOV}`);
      for (const t of targets) {
        const r = await user.submitTx(chaincodeCalls.revokeAttestation(subject, { dstChain: t.chainId, dstApp: t.app, timeoutTimestamp: Date.now() + 600_000 }));
        say(`  ${DEVNET_GOV}: revocation packet ${packetId(await sentIn(user, r.txId, r.height))} in block ${r.height}`);
      }
      if (verifier) {
        await until(`the revocation on ${verifier.chainId}`, async () => ((await verifier.isValid(subject)) ? undefined : true), 120_000);
        say(`  ${verifier.chainId}: AttestationVerifier isValid = false`);
      }
      await until(`the revocation on ${deptA.chainId}`, async () => ((await onA())?.revoked ? true : undefined), 120_000);
      say(`  ${deptA.chainId}: attest app status revoked`);
      say(`  ${hubChainId}: status ${(await until(`the revocation on ${hubChainId}`, async () => ((await hubStatus())?.status === 'revoked' ? 'revoked' : undefined), 60_000))} in hub state`);

      say(`records: Org1MSP keeps household-42 on ${DEVNET_GOV} (${deptA.chainId} may read it) and judicial-7 (no other chain may)`);
      await user.submitTx(chaincodeCalls.putRecord('household-42', toHex(utf8('{"household":42,"members":3,"district":"north"}')), [deptA.chainId]));
      await user.submitTx(chaincodeCalls.putRecord('judicial-7', toHex(utf8('{"case":7,"sealed":true}')), []));
      for (const id of ['household-42', 'judicial-7']) {
        const m = await a.send(deptA.user, [{ type: 'msg/send', dstChain: DEVNET_GOV, dstApp: 'records', payload: recordRequest(id), timeoutTimestamp: Date.now() + 600_000 }]);
        const p = JSON.parse(m.result.events.find((e) => e.type === 'packet/sent')!.attributes.packet) as Packet;
        say(`  ${deptA.chainId} asks ${DEVNET_GOV} for ${id}: packet ${packetId(p)} at height ${m.height}`);
        const ack = await until(`the acknowledgement of ${id} on ${deptA.chainId}`, () => ackOn(a, p, m.height), 120_000);
        const decoded = decodeAck(fromHex(ack));
        if (decoded.ok) say(`  ${deptA.chainId}: acknowledgement carries the record: ${Buffer.from(fromHex(decoded.result)).toString('utf8')}`);
        else say(`  ${deptA.chainId}: error acknowledgement ${decoded.error}`);
      }
    },

    async stop() {
      stopped = true;
      await Promise.allSettled([user.close(), relayer?.close()]);
      await net.stop();
      await cc.close();
    },
  };
}

/** The packet a gov transaction sent (from its PontisEvents). */
async function sentIn(w: FabricWriter, txId: string, height: number): Promise<Packet> {
  const [block] = await w.blocks(height, height);
  const tx = blockTxs(block).find((t) => t.txId === txId);
  const p = tx?.event ? sentPackets(decodeEvents(tx.event.payload))[0] : undefined;
  if (!p) throw new PontisError('PNT_ERR_DEVNET_FLOW', `transaction ${txId} sent no packet`);
  return p;
}

/** The ack a Pontis chain recorded for its packet `p` (its `packet/acknowledged` event), searched from `from`. */
async function ackOn(c: HubClient, p: Packet, from: number): Promise<Hex | undefined> {
  const id = packetId(p);
  const tip = (await c.status()).latestHeight;
  for (let h = from; h <= tip; h++) {
    for (const tx of (await c.block(h)).txs) for (const e of tx.result.events) if (e.type === 'packet/acknowledged' && e.attributes.id === id) return e.attributes.ack as Hex;
  }
  return undefined;
}
