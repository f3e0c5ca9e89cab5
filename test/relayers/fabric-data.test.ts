/**
 * Data sharing with the government chain as the source: dept-b (a Pontis side-chain) asks `gov`
 * (the Fabric network stand-in running the Pontis chaincode) for a citizen's household record.
 * The hub decides the request; the chaincode's `data` app keeps it pending; gov's agent (an
 * Org1 member: the MSP the hub's department record names) proves the hub's records against the
 * chaincode's hub client and answers sealed to dept-b's node key; the hub releases it; dept-b
 * opens it. A member of an org the department record does not name cannot answer, and an answer
 * whose proofs were tampered with is refused by the chaincode. Relayed in this process by the
 * relayer's own rounds over real hub and side-chain processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { generateEncryptionKey, generateSigningKey } from '../../hub-chain/crypto/sealed.ts';
import { hasCode } from '../../hub-chain/errors.ts';
import { type AgentReaders, openAnswer, prepareAnswer } from '../../hub-chain/modules/data-sharing/agent.ts';
import { type InboundRequest, spokeKeys } from '../../hub-chain/modules/data-sharing/spoke.ts';
import { DataSharingClient, DepartmentClient, signGrant } from '../../hub-chain/rpc-client/data.ts';
import { proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { accountKeyFromSeed } from '../../hub-chain/crypto/ed25519.ts';
import { loadHome } from '../../hub-chain/node/config.ts';
import { chaincodeCalls } from '../../contracts/fabric/calls.ts';
import type { FabricWriter } from '../../adapters/fabric/index.ts';
import { FabricPathHandlers } from '../../relayers/paths/fabric/handlers.ts';
import { type FabricEndpoint, readKeys } from '../../relayers/paths/fabric/endpoint.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { relayRound } from '../../relayers/round.ts';
import { Testnet } from '../e2e/harness.ts';
import { type FabricFixture, connectFabricToHub, startFabricFixture } from '../support/fabric.ts';
import { registerPontisChain } from '../support/register-chain.ts';
import { until } from '../../devnet/sample-flow.ts';
import { HUB } from './harness.ts';

const GOV = 'gov';
const DATASET = 'household-registry';
const PURPOSE = 'benefit-eligibility';
const RECORD = utf8('{"household":"H-2044","members":2}');
let hub: Testnet;
let b: Testnet;
let fx: FabricFixture;
let org1: FabricWriter;
let org2: FabricWriter;
let endpoint: FabricEndpoint;
let deptB: DepartmentClient;
let sharing: DataSharingClient;
let stopRelay = () => {};
const opB = generateAccountKey();
const govHubOp = generateAccountKey();
const node = generateEncryptionKey('intl');
const citizen = generateSigningKey('intl');

beforeAll(async () => {
  [hub, b, fx] = await Promise.all([Testnet.create(1, { chainId: HUB }), Testnet.create(1, { chainId: 'dept-b', hubChainId: HUB }), startFabricFixture({ chainId: GOV })]);
  await Promise.all([hub, b].map((n) => n.startAll()));
  await Promise.all([hub, b].map((n) => n.clients[0].waitForHeight(2, 60_000)));
  await registerPontisChain(hub, b, 'dept-b');
  await registerPontisChain(b, hub, HUB);
  await connectFabricToHub(fx, hub, HUB, GOV);
  org1 = fx.writer(0, { conflictRetries: 5 });
  org2 = fx.writer(1, { conflictRetries: 5 });
  endpoint = { chainId: GOV, writer: fx.writer(0, { conflictRetries: 5 }), endorsingOrgs: ['Org1MSP', 'Org2MSP'] };
  const hubEp = new RpcEndpoint(HUB, hub.rpcUrls[0], generateAccountKey());
  const fabricHandlers = new FabricPathHandlers(new RpcEndpoint(HUB, hub.rpcUrls[0], generateAccountKey()), new Map([[GOV, endpoint]]));
  const pontisHandlers = new PontisPathHandlers(new Map([[HUB, hubEp], ['dept-b', new RpcEndpoint('dept-b', b.rpcUrls[0], generateAccountKey())]]), HUB);
  // one relaying loop per path, as a relayer runs them
  let on = true;
  const loop = async (run: (cursor: Record<string, number>) => Promise<{ cursor: Record<string, number> }>, cursor: Record<string, number>) => {
    while (on) {
      try {
        cursor = (await run(cursor)).cursor;
      } catch {
        // a racing client update or a node not caught up: the next round retries
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const hubTip = await hubEp.latestHeight();
  void loop((c) => relayRound(fabricHandlers, GOV, HUB, c), { [GOV]: await endpoint.writer.latestHeight(), [HUB]: hubTip });
  void loop((c) => relayRound(pontisHandlers, 'dept-b', HUB, c), { 'dept-b': await b.clients[0].status().then((s) => s.latestHeight), [HUB]: hubTip });
  stopRelay = () => (on = false);

  const members = hub.homes.map((h) => accountKeyFromSeed(fromHex(loadHome(h).operatorKey!.seed, 32)));
  for (const d of [{ chain: GOV, operators: [govHubOp.address], msps: ['Org1MSP'] }, { chain: 'dept-b', operators: [opB.address] }]) {
    const r = await proposeAndPass(hub.clients[0], members, { kind: 'data/register-department', org: `${d.chain} office`, regulator: false, ...d });
    expect(r.status).toBe('executed');
  }
  sharing = new DataSharingClient(hub.clients[0]);
  await sharing.catalogAdd(govHubOp, { id: DATASET, ownerChain: GOV, dataClass: 'household', schemaHash: toHex(new Uint8Array(32).fill(5)), sensitivity: 'confidential', consentRequired: true });
  await sharing.setPolicy(govHubOp, { ownerChain: GOV, dataset: DATASET, rules: [{ id: 'benefits', effect: 'allow', requester: 'dept-b', purposes: [PURPOSE], consentRequired: true, notBefore: 0, notAfter: 0, maxRecords: 1 }] });
  await sharing.registerNodeKey(opB, 'dept-b', 'node-1', node.publicKey);
  deptB = new DepartmentClient(b.clients[0], hub.clients[0]);
}, 240_000);

afterAll(async () => {
  stopRelay();
  await fx?.close();
  await Promise.all([hub?.destroy(), b?.destroy()]);
});

/** gov's agent readers: the hub by RPC with proofs, gov's own state by an endorsed query, its hub client's height. */
function govReaders(): AgentReaders {
  return {
    proveHub: async (key, height) => {
      const r = await hub.clients[0].state({ hex: toHex(key) }, { height, prove: true });
      return { value: r.value === null ? undefined : fromHex(r.value), proof: r.proof };
    },
    readSpoke: async (key) => {
      const [v] = await readKeys(endpoint, [key]);
      return v === null ? undefined : fromHex(v);
    },
    hubClientHeight: async () => JSON.parse(Buffer.from(await org1.evaluate(chaincodeCalls.clientStatus())).toString('utf8')).latestHeight,
    spokeTime: async () => Date.now(),
  };
}

async function inboundOnGov(requestId: string): Promise<InboundRequest | undefined> {
  const [v] = await readKeys(endpoint, [spokeKeys.inbound(requestId)]);
  return v === null ? undefined : JSON.parse(Buffer.from(fromHex(v)).toString('utf8'));
}

describe('data sharing with the government chain (Fabric) as the source', () => {
  let requestId: string;

  it('behavior: dept-b request passes the hub and waits on gov as pending, with the chaincode data app', async () => {
    const g = signGrant('intl', citizen.secretKey, { scope: `dataset:${DATASET}`, requester: 'dept-b', purpose: PURPOSE, expiresAt: Date.now() + 86_400_000, nonce: 'f1' });
    await sharing.grant(opB, g);
    requestId = await deptB.request(opB, { dstChain: GOV, dataset: DATASET, purpose: PURPOSE, subject: toHex(citizen.publicKey), records: 1, recipientKey: 'node-1', grantId: g.grantId });
    const inb = await until(`${requestId} on gov`, async () => inboundOnGov(requestId), 120_000);
    expect(inb).toMatchObject({ status: 'pending', requester: 'dept-b' });
    expect((await sharing.request(requestId)).status).toMatch(/^(allowed|accepted)$/);
  }, 180_000);

  it('error: an Org2 member cannot answer for gov (the department names Org1MSP), and tampered proofs are refused by the chaincode', async () => {
    const { msg } = await prepareAnswer({ profile: 'intl', chainId: GOV, requestId, readers: govReaders(), lookup: async () => RECORD });
    await expect(org2.submitTx(chaincodeCalls.dataAnswer(msg as unknown as Record<string, unknown>))).rejects.toSatisfy((e: unknown) => hasCode(e, 'PNT_ERR_DATA_NOT_OPERATOR') || String((e as Error).message).includes('PNT_ERR_DATA_NOT_OPERATOR'));
    const tampered = { ...msg, hubState: msg.hubState.map((i, n) => (n === 2 ? { ...i, value: toHex(utf8(Buffer.from(fromHex(i.value!)).toString('utf8').replace('"household"', '"judicial"'))) } : i)) };
    await expect(org1.submitTx(chaincodeCalls.dataAnswer(tampered as unknown as Record<string, unknown>))).rejects.toSatisfy((e: unknown) => String((e as Error).message).includes('PNT_ERR_DATA_SOURCE_CHECK') || hasCode(e, 'PNT_ERR_DATA_SOURCE_CHECK'));
    expect((await inboundOnGov(requestId))?.status).toBe('pending');
  }, 120_000);

  it('behavior: Org1 answers sealed to dept-b node-1; the hub releases it; dept-b opens it and records the receipt', async () => {
    const { msg, refused } = await prepareAnswer({ profile: 'intl', chainId: GOV, requestId, readers: govReaders(), lookup: async () => RECORD });
    expect(refused).toBeUndefined();
    await org1.submitTx(chaincodeCalls.dataAnswer(msg as unknown as Record<string, unknown>));
    const ans = await until(`the answer on dept-b`, async () => (await deptB.answer(requestId)) ?? undefined, 120_000);
    const plain = await deptB.fetchAnswer({ operator: opB, requestId, keyId: 'node-1', secretKey: node.secretKey });
    expect(plain).toEqual(RECORD);
    expect(() => openAnswer('intl', requestId, { chain: 'dept-b', keyId: 'node-1', secretKey: generateEncryptionKey('intl').secretKey }, ans.envelope as Hex, ans.commitment as Hex)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
    const r = await until('the delivery on the hub', async () => {
      const q = await sharing.request(requestId);
      return q.status === 'delivered' ? q : undefined;
    }, 120_000);
    expect(r.release?.commitment).toBe(ans.commitment);
    const events = (await hub.clients[0].get<{ events: string[] }>('/audit/events?from=0&limit=1000')).events.map((e) => JSON.parse(e) as { type: string; requestId?: string });
    expect(events.filter((e) => e.requestId === requestId).map((e) => e.type)).toEqual(expect.arrayContaining(['request-allowed', 'release', 'delivery', 'decrypt']));
  }, 180_000);
});
