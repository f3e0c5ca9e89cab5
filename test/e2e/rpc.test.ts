/**
 * Bad input on a node's RPC: typed errors with stable codes, the node keeps running, nothing
 * changes state. Runs a real single-validator node (LMDB on disk, Fastify) in this process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../hub-chain/client/client.ts';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { decodeTxObject, signTx } from '../../hub-chain/app/tx.ts';
import { initNode } from '../../hub-chain/node/init.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { freeBasePort } from './harness.ts';

describe('RPC bad input', () => {
  let dir: string;
  let node: HubNode;
  let client: HubClient;
  let url: string;
  const chainId = 'rpc-test-1';
  const user = generateAccountKey();
  const put = (nonce: number, v = 'x') => signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: toHex(utf8('a')), value: toHex(utf8(v)) }] }] }, user);
  const post = (body: string, type = 'application/json') => fetch(`${url}/txs`, { method: 'POST', headers: { 'content-type': type }, body });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontis-rpc-'));
    const base = await freeBasePort(1);
    initNode(dir, { chainId, rpcPort: base, p2pPort: base + 1000 });
    node = HubNode.fromHome(dir, { logger: pino({ level: 'silent' }) });
    await node.start();
    url = node.rpcUrl;
    client = new HubClient(url);
    await client.waitForHeight(1, 20_000);
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('error: malformed JSON answers PNT_ERR_RPC_BAD_JSON', async () => {
    const r = await post('{"body": ');
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe('PNT_ERR_RPC_BAD_JSON');
  });

  it('error: wrong field types answer PNT_ERR_TX_MALFORMED naming the field', async () => {
    const tx = put(0) as unknown as { body: { nonce: unknown } };
    tx.body.nonce = 'zero';
    const r = await post(JSON.stringify(tx));
    const j = await r.json();
    expect(r.status).toBe(400);
    expect(j.error.code).toBe('PNT_ERR_TX_MALFORMED');
    expect(j.error.details.path).toBe('body.nonce');
  });

  it('error: unknown fields are refused', async () => {
    const r = await post(JSON.stringify({ ...put(0), extra: 1 }));
    expect((await r.json()).error.code).toBe('PNT_ERR_TX_MALFORMED');
  });

  it('error: an oversized body answers 413 PNT_ERR_RPC_BODY_TOO_LARGE', async () => {
    const r = await post(JSON.stringify({ pad: 'x'.repeat(17 * 1024 * 1024) }));
    expect(r.status).toBe(413);
    expect((await r.json()).error.code).toBe('PNT_ERR_RPC_BODY_TOO_LARGE');
  });

  it('error: a bad signature answers PNT_ERR_TX_BAD_SIGNATURE', async () => {
    const tx = put(0);
    const forged = { ...tx, body: { ...tx.body, memo: 'changed after signing' } };
    const r = await post(JSON.stringify(forged));
    expect((await r.json()).error.code).toBe('PNT_ERR_TX_BAD_SIGNATURE');
  });

  it('error: a transaction for another chain answers PNT_ERR_TX_WRONG_CHAIN', async () => {
    const tx = signTx({ chainId: 'other-chain', nonce: 0, msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: '0x02' }] }] }, user);
    expect((await (await post(JSON.stringify(tx))).json()).error.code).toBe('PNT_ERR_TX_WRONG_CHAIN');
  });

  it('error: unknown routes and missing blocks answer 404 with a code', async () => {
    const r = await fetch(`${url}/nope`);
    expect(r.status).toBe(404);
    expect((await r.json()).error.code).toBe('PNT_ERR_RPC_NOT_FOUND');
    await expect(client.block(10_000_000)).rejects.toMatchObject({ code: 'PNT_ERR_BLOCK_NOT_FOUND' });
    const bad = await fetch(`${url}/blocks/abc`);
    expect((await bad.json()).error.code).toBe('PNT_ERR_RPC_BAD_REQUEST');
    const badKey = await fetch(`${url}/state?key=zz`);
    expect((await badKey.json()).error.code).toBe('PNT_ERR_RPC_BAD_REQUEST');
  });

  it('behavior: after all the bad input nothing changed; a replayed nonce is refused and the node keeps committing', async () => {
    expect((await client.account(user.address)).nonce).toBe(0);
    const first = put(0, 'first');
    const { hash } = await client.submit(first);
    const done = await client.waitForTx(hash);
    expect(done.result.code).toBe('ok');
    expect((await client.account(user.address)).nonce).toBe(1);
    await expect(client.submit(first)).rejects.toMatchObject({ code: 'PNT_ERR_TX_STALE_NONCE' });
    await expect(client.submit(put(0, 'second'))).rejects.toMatchObject({ code: 'PNT_ERR_TX_STALE_NONCE' });
    const pending = put(1, 'third');
    await client.submit(pending);
    await expect(client.submit(pending)).rejects.toMatchObject({ code: 'PNT_ERR_TX_DUPLICATE' });
    await client.waitForTx(decodeTxObject(pending).hash);
    const h = (await client.status()).latestHeight;
    await client.waitForHeight(h + 2, 20_000);
    expect((await client.account(user.address)).nonce).toBe(2);
    const s = await client.state({ text: `rec/${user.address}/${toHex(utf8('a')).slice(2)}` });
    expect(s.value).toBe(toHex(utf8('third')));
  });
});
