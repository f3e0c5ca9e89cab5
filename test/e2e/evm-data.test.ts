/**
 * Data sharing with an EVM chain as the requesting department: `DataRequester` on an anvil chain
 * sends a data request whose canonical JSON the hub decides on; the source (dept-a, a Pontis
 * side-chain process) answers through its agent; the answer lands in the contract as ciphertext
 * and opens only with the department's node key. A request without consent is refused by the
 * hub and the contract records the code. Real hub validators (attesting the anvil chain), real
 * side-chain, relayed by the relayer's own rounds in this process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Contract } from 'ethers';
import { type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { generateEncryptionKey, generateSigningKey } from '../../hub-chain/crypto/sealed.ts';
import { openAnswer } from '../../hub-chain/modules/data-sharing/agent.ts';
import { decodeDataPayload } from '../../hub-chain/modules/data-sharing/types.ts';
import { DataSharingClient, DepartmentClient, signGrant } from '../../hub-chain/rpc-client/data.ts';
import { proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { relayRound } from '../../relayers/round.ts';
import { until } from '../../devnet/sample-flow.ts';
import { registerPontisChain } from '../support/register-chain.ts';
import { type BackgroundRelaying, type EvmChain, EvmHubWorld, HUB } from './evm-fixture.ts';
import { Testnet } from './harness.ts';

const DATASET = 'household-registry';
const PURPOSE = 'benefit-eligibility';
const RECORD = utf8('{"household":"H-3301","members":5}');
let world: EvmHubWorld;
let evm: EvmChain;
let a: Testnet;
let requester: Contract;
let evmRelay: BackgroundRelaying;
let stopPontis = () => {};
let sharing: DataSharingClient;
let deptA: DepartmentClient;
const opA = generateAccountKey();
const opEvm = generateAccountKey();
const node = generateEncryptionKey('intl');
const citizen = generateSigningKey('intl');

beforeAll(async () => {
  world = await EvmHubWorld.start([{ id: 'evm-b', chainIdNumber: 31_021 }]);
  evm = world.chains['evm-b'];
  a = await Testnet.create(1, { chainId: 'dept-a', hubChainId: HUB });
  await a.startAll();
  await a.clients[0].waitForHeight(2, 60_000);
  await registerPontisChain(world.hub, a, 'dept-a');
  await registerPontisChain(a, world.hub, HUB);
  requester = await world.deployOn(evm, 'DataRequester', evm.deployed.gateway.address);
  evmRelay = world.startRelaying([evm]);
  const hubEp = new RpcEndpoint(HUB, world.hub.rpcUrls[0], generateAccountKey());
  const handlers = new PontisPathHandlers(new Map([[HUB, hubEp], ['dept-a', new RpcEndpoint('dept-a', a.rpcUrls[0], generateAccountKey())]]), HUB);
  let on = true;
  let cursor: Record<string, number> = { 'dept-a': (await a.clients[0].status()).latestHeight, [HUB]: await hubEp.latestHeight() };
  void (async () => {
    while (on) {
      try {
        cursor = (await relayRound(handlers, 'dept-a', HUB, cursor)).cursor;
      } catch {
        // the next round retries
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  stopPontis = () => (on = false);

  const members = world.hub.homes.map((_, i) => world.operator(i));
  for (const d of [{ chain: 'dept-a', operators: [opA.address] }, { chain: 'evm-b', operators: [opEvm.address] }]) {
    expect((await proposeAndPass(world.hub.clients[0], members, { kind: 'data/register-department', org: `${d.chain} office`, regulator: false, ...d })).status).toBe('executed');
  }
  sharing = new DataSharingClient(world.hub.clients[0]);
  await sharing.catalogAdd(opA, { id: DATASET, ownerChain: 'dept-a', dataClass: 'household', schemaHash: toHex(new Uint8Array(32).fill(9)), sensitivity: 'confidential', consentRequired: true });
  await sharing.setPolicy(opA, { ownerChain: 'dept-a', dataset: DATASET, rules: [{ id: 'benefits', effect: 'allow', requester: 'evm-b', purposes: [PURPOSE], consentRequired: true, notBefore: 0, notAfter: 0, maxRecords: 1 }] });
  await sharing.registerNodeKey(opEvm, 'evm-b', 'node-1', node.publicKey);
  deptA = new DepartmentClient(a.clients[0], world.hub.clients[0]);
}, 240_000);

afterAll(async () => {
  stopPontis();
  await evmRelay?.stop().catch(() => {});
  await a?.destroy();
  await world?.destroy();
});

async function request(grantId: Hex): Promise<{ sequence: number; requestId: string }> {
  const tx = await requester.request('dept-a', DATASET, PURPOSE, citizen.publicKey, 1, 'node-1', grantId, BigInt(Date.now() + 3_600_000));
  const receipt = await tx.wait();
  const ev = receipt.logs.map((l: { topics: string[]; data: string }) => requester.interface.parseLog(l)).find((l: { name?: string } | null) => l?.name === 'DataRequested');
  const sequence = Number(ev.args.sequence);
  return { sequence, requestId: `evm-b:${sequence}` };
}

describe('data sharing with an EVM chain as the requester', () => {
  it('behavior: the contract\'s request is decided by the hub, answered by dept-a, and opens only with the node key', async () => {
    const g = signGrant('intl', citizen.secretKey, { scope: `dataset:${DATASET}`, requester: 'evm-b', purpose: PURPOSE, expiresAt: Date.now() + 86_400_000, nonce: 'e1' });
    await sharing.grant(opEvm, g);
    const { sequence, requestId } = await request(g.grantId);
    const hubRecord = await until(`${requestId} on the hub`, async () => (await sharing.request(requestId).catch(() => undefined)) ?? undefined, 120_000);
    expect(hubRecord).toMatchObject({ requester: 'evm-b', owner: 'dept-a', from: (await evm.deployer.getAddress()).toLowerCase(), rule: `dataset:${DATASET}#benefits`, grantId: g.grantId });
    await until(`${requestId} pending on dept-a`, async () => ((await deptA.inbound(requestId))?.status === 'pending' ? true : undefined), 120_000);
    expect(await deptA.answerRequest(opA, requestId, async () => RECORD)).toEqual({});
    await until('the answer in DataRequester', async () => (Number(await requester.answerCount()) === 1 ? true : undefined), 120_000);
    const answer = decodeDataPayload(toHex(fromHex((await requester.answers(0)) as Hex)));
    if (answer.type !== 'data/answer') throw new Error('not an answer');
    expect(answer.requestId).toBe(requestId);
    expect(openAnswer('intl', requestId, { chain: 'evm-b', keyId: 'node-1', secretKey: node.secretKey }, answer.envelope as Hex, answer.commitment as Hex)).toEqual(RECORD);
    expect(() => openAnswer('intl', requestId, { chain: 'evm-b', keyId: 'node-1', secretKey: generateEncryptionKey('intl').secretKey }, answer.envelope as Hex, answer.commitment as Hex)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
    // Pending: the request's ack came back ok (it may arrive after the answer)
    await until('the request ack on evm-b', async () => (Number(await requester.status(sequence)) === 2 ? true : undefined), 120_000);
    await until('the delivery on the hub', async () => ((await sharing.request(requestId)).status === 'delivered' ? true : undefined), 120_000);
  }, 240_000);

  it('error: a request without the subject\'s consent is refused by the hub; the contract records the code', async () => {
    const { sequence } = await request(`0x${'00'.repeat(32)}`);
    await until('the refusal on evm-b', async () => (Number(await requester.status(sequence)) === 3 ? true : undefined), 120_000);
    expect(Buffer.from(fromHex((await requester.refusal(sequence)) as Hex)).toString('utf8')).toBe('PNT_ERR_DATA_CONSENT_REQUIRED');
  }, 180_000);

  it('error: names the hub could not take unescaped are refused by the contract before anything is sent', async () => {
    await expect(requester.request('dept-a', 'Bad"Name', PURPOSE, citizen.publicKey, 1, 'node-1', `0x${'00'.repeat(32)}`, BigInt(Date.now() + 60_000))).rejects.toThrow();
    await expect(requester.request('dept-a', DATASET, PURPOSE, new Uint8Array(0), 1, 'node-1', `0x${'00'.repeat(32)}`, BigInt(Date.now() + 60_000))).rejects.toThrow();
  }, 60_000);
});
