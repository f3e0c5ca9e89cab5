/**
 * Gossip carries only transactions that can run: two validator processes on loopback; a
 * transaction above a nonce gap sent to node 0 stays there, and once the gap closes on node 0
 * both nodes commit both transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { decodeTxObject, signTx } from '../../hub-chain/app/tx.ts';
import { Testnet } from './harness.ts';

describe('mempool gossip: 2 validator processes', () => {
  let net: Testnet;
  let chainId: string;
  beforeAll(async () => {
    net = await Testnet.create(2);
    await net.startAll();
    await net.clients[0].waitForHeight(2, 60_000);
    await net.clients[1].waitForHeight(2, 60_000);
    chainId = (await net.clients[0].status()).chainId;
  });
  afterAll(async () => {
    await net?.destroy();
  });

  it('behavior: a gapped transaction is not gossiped; after the gap fills on node 0 both commit on both nodes', async () => {
    const user = generateAccountKey();
    const put = (nonce: number) => signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: toHex(utf8(`k${nonce}`)), value: '0x01' }] }] }, user);
    const [n0, n1] = net.clients;
    const gapped = put(1);
    const gappedHash = decodeTxObject(gapped).hash;
    await n0.submit(gapped);
    // let several blocks pass (each takes gossip rounds and commits on both nodes)
    const h = (await n0.status()).latestHeight;
    await n0.waitForHeight(h + 3, 30_000);
    await n1.waitForHeight(h + 3, 30_000);
    expect(await n0.tx(gappedHash)).toMatchObject({ status: 'pending' });
    await expect(n1.tx(gappedHash)).rejects.toMatchObject({ code: 'PNT_ERR_TX_NOT_FOUND' });

    const filler = put(0);
    await n0.submit(filler);
    for (const c of net.clients) {
      const done = await c.waitForTx(gappedHash, 30_000);
      expect(done.result.code).toBe('ok');
      expect((await c.waitForTx(decodeTxObject(filler).hash, 30_000)).result.code).toBe('ok');
      expect((await c.account(user.address)).nonce).toBe(2);
    }
  });

  it('behavior: a gapped transaction waiting on node 1 stays off node 0, and runs once the missing nonce reaches node 1 from its peer', async () => {
    const user = generateAccountKey();
    const put = (nonce: number) => signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: '0x01' }] }] }, user);
    const [n0, n1] = net.clients;
    const gapped = decodeTxObject(put(2)).hash;
    await n1.submit(put(2));
    await n1.submit(put(0)); // executable: gossiped; nonce 2 still waits behind 1
    const zero = await n0.waitForTx(decodeTxObject(put(0)).hash, 30_000);
    expect(zero.result.code).toBe('ok');
    await n0.waitForHeight(zero.height + 2, 30_000);
    await expect(n0.tx(gapped)).rejects.toMatchObject({ code: 'PNT_ERR_TX_NOT_FOUND' });
    expect(await n1.tx(gapped)).toMatchObject({ status: 'pending' });
    // nonce 1 arrives at node 0 only: node 1 learns it by gossip and its waiting nonce 2 runs
    await n0.submit(put(1));
    for (const c of net.clients) expect((await c.waitForTx(gapped, 30_000)).result.code).toBe('ok');
    expect((await n1.account(user.address)).nonce).toBe(3);
  });
});

describe('idle blocks: 2 validator processes with consensus.emptyBlocksIntervalMs', () => {
  // far longer than the test: any block after height 1 is one that work woke
  const EVERY = 600_000;
  let net: Testnet;
  let chainId: string;
  beforeAll(async () => {
    net = await Testnet.create(2, { consensus: { commitMs: 100, proposeMs: 800, prevoteMs: 300, precommitMs: 300, emptyBlocksIntervalMs: EVERY } });
    // no block until work arrives or the interval passes since genesis
    await net.startAll();
    chainId = (await net.clients[0].status()).chainId;
  });
  afterAll(async () => {
    await net?.destroy();
  });

  it('behavior: an idle hub cuts no block, nor for a transaction waiting above a nonce gap; an executable one commits in the next block without waiting out the interval', async () => {
    const user = generateAccountKey();
    const put = (nonce: number) => signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: toHex(utf8(`idle${nonce}`)), value: '0x01' }] }] }, user);
    const [n0, n1] = net.clients;
    const h = (await n0.status()).latestHeight;
    await n0.submit(put(1)); // above a gap: nothing a block could take
    await new Promise((r) => setTimeout(r, 2500));
    const idle = (await n0.status()).latestHeight;
    expect(idle).toBe(h);
    await n1.submit(put(0));
    const done = await n0.waitForTx(decodeTxObject(put(0)).hash, 60_000);
    expect(done.result.code).toBe('ok');
    expect(done.height).toBe(idle + 1);
    // the gapped transaction became executable with it: committed in that block or the next
    expect((await n0.waitForTx(decodeTxObject(put(1)).hash, 20_000)).result.code).toBe('ok');
    expect((await n1.account(user.address)).nonce).toBe(2);
  });
});
