/**
 * A node that joins late restores a verified state snapshot instead of replaying the chain, then
 * block-syncs to the tip and follows consensus: four validator processes plus a fifth, non-validating
 * process started empty once the chain is past a few snapshot heights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { accountKeyFromSeed } from '../../hub-chain/crypto/ed25519.ts';
import { keys } from '../../hub-chain/app/app.ts';
import { loadHome } from '../../hub-chain/node/config.ts';
import { verifyMembership, type StateProof } from '../../hub-chain/state/proof.ts';
import { Testnet } from './harness.ts';

describe('hub: state sync of a node far behind', () => {
  let net: Testnet;
  beforeAll(async () => {
    net = await Testnet.create(4, { statesync: { snapshotInterval: 10 } });
    await net.startAll();
    await net.clients[0].waitForHeight(2, 60_000);
  });
  afterAll(async () => {
    await net?.destroy();
  });

  it('behavior: an empty node restores the newest verified snapshot (no block below it), block-syncs to the tip, then follows consensus; its state and proofs match', async () => {
    const op = accountKeyFromSeed(fromHex(loadHome(net.homes[0]).operatorKey!.seed, 32));
    const entries = Array.from({ length: 200 }, (_, i) => ({ key: toHex(utf8(`k${i}`)), value: toHex(utf8(`value ${i} `.repeat(i % 7 === 0 ? 80 : 1))) }));
    const put = await net.clients[0].send(op, [{ type: 'records/put', entries }]);
    expect(put.result.code).toBe('ok');
    await net.clients[0].waitForHeight(Math.max(put.height, 30) + 2, 90_000);
    const full = await net.addFullNode();
    net.start(full);
    await net.clients[full].waitForHeight((await net.clients[0].status()).latestHeight, 90_000);
    const tip = (await net.clients[full].status()).latestHeight;
    const log = net.log(full);
    const restored = log.split('\n').map((l) => (l.includes('state sync: restored a verified snapshot') ? JSON.parse(l) : null)).find(Boolean);
    expect(restored).toBeTruthy();
    expect(restored.height % 10).toBe(0);
    expect(restored.height).toBeGreaterThanOrEqual(put.height);
    // it never replayed the blocks below the snapshot
    await expect(net.clients[full].block(1)).rejects.toMatchObject({ code: 'PNT_ERR_BLOCK_NOT_FOUND' });
    await expect(net.clients[full].block(restored.height - 1)).rejects.toMatchObject({ code: 'PNT_ERR_BLOCK_NOT_FOUND' });
    // from the snapshot on it has the same chain
    for (let h = restored.height; h <= tip; h++) expect((await net.clients[full].block(h)).hash).toBe((await net.clients[0].block(h)).hash);
    // state written before the snapshot is there, provable against the header
    const k = keys.record(op.address, entries[7].key);
    const s = await net.clients[full].state<StateProof>({ hex: toHex(k) }, { height: tip, prove: true });
    expect(s.value).toBe(entries[7].value);
    verifyMembership((await net.clients[0].block(tip)).header.stateRoot, k, fromHex(s.value!), s.proof!);
    // and it follows consensus afterwards
    await net.clients[full].waitForHeight(tip + 5, 30_000);
    expect((await net.clients[full].block(tip + 5)).hash).toBe((await net.clients[0].waitForHeight(tip + 5, 30_000).then(() => net.clients[0].block(tip + 5))).hash);
    expect((await net.clients[full].status()).catchingUp).toBe(false);
    const metrics = await (await fetch(`${net.rpcUrls[full]}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^pontis_state_sync_restored_height ${restored.height}$`, 'm'));
  });
});
