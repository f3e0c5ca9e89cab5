/**
 * The network keeps its ledger, world state and identities across a restart on the same
 * directory: committed values read back, block numbers and the hash chain continue, the old
 * chaincode events replay, and the same user identity is still trusted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayError } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockHeaderHash } from '../../../hub-chain/light-clients/fabric/block.ts';
import { startFabricNetwork, type FabricNetwork } from '../../../devnet/fabric/network.ts';
import { gatewayFor } from './client.ts';
import { startKvChaincode } from './kv-chaincode.ts';

const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');
let dir: string;
let cc: Awaited<ReturnType<typeof startKvChaincode>>;
let net: FabricNetwork | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-restart-'));
  cc = await startKvChaincode();
});

afterAll(async () => {
  await net?.stop();
  cc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('restart', () => {
  it('behavior: ledger, state, events and identities survive a stop and start on the same directory', async () => {
    net = await startFabricNetwork({ orgs: 2, dir, chaincodes: { kv: cc.address }, policy: { outOf: 2 }, batchTimeoutMs: 20 });
    const userCert = net.orgs[0].userCertPem;
    let c = gatewayFor(net.orgs[0]);
    const contract = () => c.gateway.getNetwork('mychannel').getContract('kv');
    await contract().submitTransaction('put', 'a', '1');
    const tx = await contract().newProposal('emit', { arguments: ['b', '2', 'Kept'] }).endorse();
    const sub = await tx.submit();
    const before = await sub.getStatus();
    const heightBefore = net.height();
    c.gateway.close();
    c.client.close();
    await net.stop();

    net = await startFabricNetwork({ orgs: 2, dir, chaincodes: { kv: cc.address }, policy: { outOf: 2 }, batchTimeoutMs: 20 });
    expect(net.height()).toBe(heightBefore);
    expect(net.orgs[0].userCertPem).toBe(userCert);
    c = gatewayFor(net.orgs[0]);
    expect(utf8(await contract().evaluateTransaction('get', 'a'))).toBe('1');
    expect(utf8(await contract().evaluateTransaction('get', 'b'))).toBe('2');
    // the committed transaction's status is still known
    const again = await c.gateway.newCommit(sub.getBytes()).getStatus();
    expect([again.successful, again.blockNumber]).toEqual([true, before.blockNumber]);
    // a new transaction continues the chain
    const after = await (await (await contract().newProposal('put', { arguments: ['a', '3'] }).endorse()).submit()).getStatus();
    expect(after.successful).toBe(true);
    expect(after.blockNumber).toBe(BigInt(heightBefore));
    const blocks = await c.gateway.getNetwork('mychannel').getBlockEvents({ startBlock: after.blockNumber - 1n });
    const it = blocks[Symbol.asyncIterator]();
    const prev: common.Block = (await it.next()).value!;
    const next: common.Block = (await it.next()).value!;
    blocks.close();
    const h = prev.getHeader()!;
    expect(Buffer.from(next.getHeader()!.getPreviousHash_asU8())).toEqual(Buffer.from(blockHeaderHash({ number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() })));
    // the event committed before the restart replays
    const events = await c.gateway.getNetwork('mychannel').getChaincodeEvents('kv', { startBlock: before.blockNumber });
    const ev = (await events[Symbol.asyncIterator]().next()).value!;
    events.close();
    expect([ev.eventName, ev.transactionId, ev.blockNumber]).toEqual(['Kept', tx.getTransactionId(), before.blockNumber]);
    c.gateway.close();
    c.client.close();
  });

  it('behavior: a peer re-dials a chaincode that restarted; while it is down, endorsement fails with ABORTED', async () => {
    const c = gatewayFor(net!.orgs[1]);
    const contract = c.gateway.getNetwork('mychannel').getContract('kv');
    const port = Number(cc.address.split(':')[1]);
    cc.stop();
    const down = await contract.evaluateTransaction('get', 'a').catch((x: unknown) => x);
    expect((down as GatewayError).code).toBe(10);
    expect((down as GatewayError).details[0].message).toMatch(/cannot reach chaincode kv/);
    cc = await startKvChaincode(port);
    expect(utf8(await contract.evaluateTransaction('get', 'a'))).toBe('3');
    c.gateway.close();
    c.client.close();
  });
});
