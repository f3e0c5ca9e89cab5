/**
 * Results are committed (header resultsHash) and checked, not trusted: an application or relayer
 * reading through VerifiedReader gets a transaction's result only with a Merkle proof under a
 * header its light client verified. Against a real node, honest answers verify; through a proxy
 * that changes a result, a block's events or a header, every lie is refused with its code.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { VerifiedReader } from '../../hub-chain/rpc-client/verified.ts';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { initNode } from '../../hub-chain/node/init.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { headerHash } from '../../hub-chain/types/header.ts';
import { freeBasePort } from './harness.ts';

type Rewrite = (path: string, body: Record<string, unknown>) => Record<string, unknown>;

describe('verified reads: transaction results and block events under resultsHash', () => {
  let dir: string;
  let node: HubNode;
  let proxy: Server;
  let proxyUrl: string;
  let rewrite: Rewrite = (_p, b) => b;
  const user = generateAccountKey();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontis-verified-'));
    const base = await freeBasePort(1);
    initNode(dir, { chainId: 'verified-1', rpcPort: base, p2pPort: base + 1000 });
    node = HubNode.fromHome(dir, { logger: pino({ level: 'silent' }) });
    await node.start();
    await new HubClient(node.rpcUrl).waitForHeight(2, 20_000);
    // a proxy in front of the node that can rewrite its JSON answers
    proxy = createServer(async (req, res) => {
      const r = await fetch(node.rpcUrl + req.url, { method: req.method });
      const body = (await r.json()) as Record<string, unknown>;
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.ok ? rewrite(req.url!, body) : body));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    proxy?.close();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function sendTx(tag: string) {
    const c = new HubClient(node.rpcUrl);
    return c.send(user, [{ type: 'records/put', entries: [{ key: toHex(utf8(tag)), value: toHex(utf8('v')) }] }]);
  }

  it('behavior: an honest node: the result verifies under the verified header, and a whole block\'s results and events too', async () => {
    const sent = await sendTx('a');
    const trusted: unknown[] = [];
    const r = new VerifiedReader(new HubClient(proxyUrl), { onTrust: (t) => trusted.push(t) });
    const t = await r.tx(sent.hash);
    expect(t.result.code).toBe('ok');
    expect(t.height).toBe(sent.height);
    expect(t.proof!.total).toBeGreaterThanOrEqual(2);
    expect(trusted).toHaveLength(1);
    const b = await r.block(sent.height);
    expect(b.txs.map((x) => x.hash)).toContain(sent.hash);
    // the same block's results without the transactions' bodies, checked the same way
    const lean = await r.blockResults(sent.height);
    expect(lean.results).toEqual(b.txs.map((x) => x.result));
    expect(lean.header).toEqual(b.header);
    expect(lean).not.toHaveProperty('txs');
  });

  it('error: a node that changes a result, swaps in another transaction\'s result, changes block events or forges a header is caught', async () => {
    const first = await sendTx('b');
    const sent = await sendTx('c');
    const reader = () => new VerifiedReader(new HubClient(proxyUrl), { trust: { height: 1, hash: headerHash(node.chain.stored(1)!.block.header) } });
    const refusal = async (f: () => Promise<unknown>) => f().then(() => 'accepted', (e) => (e as { code: string }).code);

    rewrite = (p, b) => (p.startsWith(`/txs/${sent.hash}`) ? { ...b, result: { ...(b.result as object), code: 'PNT_ERR_SOMETHING' } } : b);
    expect(await refusal(() => reader().tx(sent.hash))).toBe('PNT_ERR_RESULT_PROOF_INVALID');

    rewrite = (p, b) => (p.startsWith(`/txs/${sent.hash}`) ? { ...b, result: { ...(b.result as object), events: [] } } : b);
    expect(await refusal(() => reader().tx(sent.hash))).toBe('PNT_ERR_RESULT_PROOF_INVALID');

    const other = await new HubClient(node.rpcUrl).tx(first.hash, { prove: true });
    rewrite = (p, b) => (p.startsWith(`/txs/${sent.hash}`) ? { ...other } : b);
    expect(await refusal(() => reader().tx(sent.hash))).toBe('PNT_ERR_RESULT_PROOF_INVALID');

    rewrite = (p, b) => (p.startsWith(`/txs/${sent.hash}`) ? { ...b, proof: undefined } : b);
    expect(await refusal(() => reader().tx(sent.hash))).toBe('PNT_ERR_RESULT_PROOF_MISSING');

    rewrite = (p, b) => (p === `/blocks/${sent.height}` ? { ...b, events: [{ type: 'packet/sent', attributes: { id: 'forged' } }] } : b);
    expect(await refusal(() => reader().block(sent.height))).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    rewrite = (p, b) => (p === `/blocks/${sent.height}/results` ? { ...b, results: (b.results as { hash: string }[]).map((x) => (x.hash === sent.hash ? { ...x, code: 'PNT_ERR_SOMETHING' } : x)) } : b);
    expect(await refusal(() => reader().blockResults(sent.height))).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    rewrite = (p, b) => (p === `/blocks/${sent.height}/results` ? { ...b, results: (b.results as unknown[]).slice(1) } : b);
    expect(await refusal(() => reader().blockResults(sent.height))).toBe('PNT_ERR_RESULT_PROOF_INVALID');

    // a header with a different resultsHash: its commit no longer verifies
    rewrite = (p, b) => (p === `/headers/${sent.height}` ? { ...b, header: { ...(b.header as object), resultsHash: `0x${'11'.repeat(32)}` } } : b);
    expect(await refusal(() => reader().tx(sent.hash))).toBe('PNT_ERR_LC_INVALID_COMMIT');

    rewrite = (_p, b) => b;
    expect((await reader().tx(sent.hash)).result.code).toBe('ok');
  });

  it('behavior: below its trust root the reader follows the hash chain down (a forged parent is refused), walking it once for a scan upwards', async () => {
    const sent = await sendTx('d');
    const c = new HubClient(node.rpcUrl);
    await c.waitForHeight(sent.height + 2, 20_000);
    const top = (await c.status()).latestHeight;
    const pinned = { height: top, hash: headerHash(node.chain.stored(top)!.block.header) };
    let headerFetches = 0;
    rewrite = (p, b) => {
      if (p.startsWith('/headers/')) headerFetches++;
      return b;
    };
    const r = new VerifiedReader(new HubClient(proxyUrl), { trust: pinned });
    for (let h = sent.height; h <= top; h++) expect((await r.block(h)).height).toBe(h);
    expect((await r.tx(sent.hash)).height).toBe(sent.height);
    expect(headerFetches).toBeLessThanOrEqual(top - sent.height + 2);
    rewrite = (p, b) => (p === `/headers/${sent.height - 1}` ? { ...b, header: { ...(b.header as object), time: 12345 } } : b);
    await expect(new VerifiedReader(new HubClient(proxyUrl), { trust: pinned }).block(sent.height - 1)).rejects.toMatchObject({ code: 'PNT_ERR_BLOCK_NOT_VERIFIED' });
    rewrite = (_p, b) => b;
  });
});
