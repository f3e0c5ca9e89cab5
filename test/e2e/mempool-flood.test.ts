/**
 * A nonce-gap flood against a real single-validator node (LMDB, Fastify, consensus, in this
 * process), over its RPC: 200 accounts each send transactions above a gap. The pool stays within
 * its bound, transactions past the window are refused, the rest expire, and an honest sender's
 * transactions commit throughout.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type AccountKey, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { decodeTxObject, signTx } from '../../hub-chain/app/tx.ts';
import { initNode } from '../../hub-chain/node/init.ts';
import { paths } from '../../hub-chain/node/config.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { freeBasePort } from './harness.ts';

const MAX_TXS = 1000;
// long enough that nothing expires while the flood and the honest sender are submitted
const FUTURE_TTL_MS = 15_000;

describe('mempool: nonce-gap flood on a real node', () => {
  let dir: string;
  let node: HubNode;
  let client: HubClient;
  const chainId = 'mempool-flood-1';
  const put = (k: AccountKey, nonce: number, v = 'x') => signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: toHex(utf8('a')), value: toHex(utf8(v)) }] }] }, k);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontis-mempool-'));
    const base = await freeBasePort(1);
    initNode(dir, { chainId, rpcPort: base, p2pPort: base + 1000 });
    // a pool small enough that the flood alone would fill it many times over
    const file = paths(dir).config;
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    cfg.mempool = { ...cfg.mempool, maxTxs: MAX_TXS, futureTtlMs: FUTURE_TTL_MS };
    writeFileSync(file, JSON.stringify(cfg));
    node = HubNode.fromHome(dir, { logger: pino({ level: 'silent' }) });
    await node.start();
    client = new HubClient(node.rpcUrl);
    await client.waitForHeight(1, 20_000);
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('behavior: the flood neither fills the pool past its bound nor blocks an honest sender; past the window is refused, the rest expires', async () => {
    const flooders = Array.from({ length: 200 }, generateAccountKey);
    // nonce 0 never comes: nonces 1..8 wait above the gap; 100 is past the 64-nonce window
    const flood = flooders.flatMap((k) => [...Array.from({ length: 8 }, (_, i) => put(k, i + 1)), put(k, 100)]);
    const codes = new Map<string, number>();
    let largestSeen = 0;
    for (let i = 0; i < flood.length; i += 300) {
      const { results } = await client.submitBatch(flood.slice(i, i + 300));
      for (const r of results) {
        const c = 'error' in r ? r.error.code : 'pending';
        codes.set(c, (codes.get(c) ?? 0) + 1);
      }
      largestSeen = Math.max(largestSeen, (await client.status()).mempool.txs);
    }
    expect(codes.get('PNT_ERR_TX_NONCE_TOO_FAR')).toBe(200);
    expect(codes.get('pending')).toBeGreaterThan(0);
    expect(largestSeen).toBeLessThanOrEqual(MAX_TXS);
    // 1,600 admissible gapped transactions were offered: the pool is full of them, and only of them
    expect(node.mempool.stats()).toMatchObject({ txs: MAX_TXS, executable: 0, future: MAX_TXS });

    // an honest sender with nothing pending, sending while the pool is full of the flood
    const honest = generateAccountKey();
    const mine = Array.from({ length: 20 }, (_, n) => put(honest, n, `h${n}`));
    const { results } = await client.submitBatch(mine);
    expect(results.map((r) => ('error' in r ? r.error.code : r.status))).toEqual(mine.map(() => 'pending'));
    const last = await client.waitForTx(decodeTxObject(mine[19]).hash, 30_000);
    expect(last.result.code).toBe('ok');
    expect((await client.account(honest.address)).nonce).toBe(20);
    expect((await client.status()).mempool.txs).toBeLessThanOrEqual(MAX_TXS);

    // the gapped transactions never run and leave once their TTL passes (swept on each commit)
    const deadline = Date.now() + FUTURE_TTL_MS + 30_000;
    while ((await client.status()).mempool.txs > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const status = await client.status();
    expect(status.mempool).toEqual({ txs: 0, bytes: 0 });
    for (const k of flooders.slice(0, 10)) expect((await client.account(k.address)).nonce).toBe(0);
    const metrics = await (await fetch(`${node.rpcUrl}/metrics`)).text();
    const evicted = (reason: string) => Number(new RegExp(`pontis_mempool_evicted_total\\{reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(evicted('future_ttl')).toBeGreaterThan(0);
    expect(evicted('pool_full')).toBeGreaterThanOrEqual(20); // the honest transactions displaced flood ones
    expect(metrics).toMatch(/pontis_mempool_future_txs 0/);
  });
});
