/**
 * Bad and hostile input on a node's RPC: every refusal answers the documented shape
 * { error: { code, message, retryable, details? } } with its stable code, parser-level abuse
 * included (raw sockets); slow clients are cut by the configured timeouts; admission control
 * (connection cap, per-client rate) refuses with retryable codes; the RPC worker is restarted
 * when it dies. Afterwards the node is still committing and nothing changed state. Runs real
 * single-validator nodes (LMDB on disk, the RPC in its worker thread) in this process.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type StateProof, verifyMembership, verifyNonMembership } from '../../hub-chain/state/proof.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { decodeTxObject, signTx } from '../../hub-chain/app/tx.ts';
import { paths } from '../../hub-chain/node/config.ts';
import { initNode } from '../../hub-chain/node/init.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { RpcHost } from '../../hub-chain/rpc/host.ts';
import { freeBasePort } from './harness.ts';
import { get, rawRequest } from './raw-http.ts';

const chainId = 'rpc-test-1';

async function startNode(rpc: Record<string, unknown>): Promise<{ dir: string; node: HubNode; client: HubClient; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pontis-rpc-'));
  const base = await freeBasePort(1);
  initNode(dir, { chainId, rpcPort: base, p2pPort: base + 1000 });
  const f = paths(dir).config;
  const cfg = JSON.parse(readFileSync(f, 'utf8'));
  Object.assign(cfg.rpc, rpc);
  writeFileSync(f, JSON.stringify(cfg, null, 2));
  const node = HubNode.fromHome(dir, { logger: pino({ level: 'silent' }) });
  await node.start();
  const client = new HubClient(node.rpcUrl);
  await client.waitForHeight(1, 20_000);
  return { dir, node, client, port: base };
}

/** The documented error shape, exactly: one `error` key holding code, message, retryable and maybe details. */
function expectErrorShape(body: unknown, code: string): { code: string; message: string; retryable: boolean; details?: Record<string, unknown> } {
  expect(body, 'a JSON error body').toBeTypeOf('object');
  expect(Object.keys(body as object)).toEqual(['error']);
  const e = (body as { error: Record<string, unknown> }).error;
  expect(e.code).toBe(code);
  expect(e.message).toBeTypeOf('string');
  expect(e.retryable).toBeTypeOf('boolean');
  for (const k of Object.keys(e)) expect(['code', 'message', 'retryable', 'details']).toContain(k);
  return e as never;
}

async function expectFetchError(r: Response, status: number, code: string) {
  expect(r.status).toBe(status);
  return expectErrorShape(await r.json(), code);
}

describe('RPC bad input', () => {
  let dir: string;
  let node: HubNode;
  let client: HubClient;
  let url: string;
  let port: number;
  const user = generateAccountKey();
  const put = (nonce: number, v = 'x') => signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: toHex(utf8('a')), value: toHex(utf8(v)) }] }] }, user);
  const post = (body: string, type = 'application/json', path = '/txs') => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  const recordKey = () => `rec/${user.address}/${toHex(utf8('a')).slice(2)}`;

  beforeAll(async () => {
    // small timeouts so slow clients are cut within the test
    ({ dir, node, client, port } = await startNode({ headersTimeoutMs: 1000, requestTimeoutMs: 2000 }));
    url = node.rpcUrl;
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('error: malformed JSON answers PNT_ERR_RPC_BAD_JSON', async () => {
    await expectFetchError(await post('{"body": '), 400, 'PNT_ERR_RPC_BAD_JSON');
  });

  it('error: __proto__ keys are refused (PNT_ERR_RPC_BAD_JSON)', async () => {
    await expectFetchError(await post('{"__proto__": {"polluted": 1}}'), 400, 'PNT_ERR_RPC_BAD_JSON');
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  it('error: wrong field types answer PNT_ERR_TX_MALFORMED naming the field', async () => {
    const tx = put(0) as unknown as { body: { nonce: unknown } };
    tx.body.nonce = 'zero';
    const e = await expectFetchError(await post(JSON.stringify(tx)), 400, 'PNT_ERR_TX_MALFORMED');
    expect(e.details?.path).toBe('body.nonce');
  });

  it('error: unknown fields are refused', async () => {
    await expectFetchError(await post(JSON.stringify({ ...put(0), extra: 1 })), 400, 'PNT_ERR_TX_MALFORMED');
  });

  it('error: bodies over the route limit answer 413 PNT_ERR_RPC_BODY_TOO_LARGE (2 MiB for /txs, 16 MiB for /txs/batch)', async () => {
    // the node answers from the declared length alone: send the head and no body, so that no unread
    // upload makes the node's close a reset that could drop its answer
    const oversized = async (path: string, bytes: number) => {
      const u = new URL(url);
      const r = await rawRequest(Number(u.port), [`POST ${path} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n\r\n`]);
      r.socket.destroy();
      return { status: r.status, code: (r.json as { error?: { code?: string } })?.error?.code };
    };
    expect(await oversized('/txs', 3 * 1024 * 1024)).toEqual({ status: 413, code: 'PNT_ERR_RPC_BODY_TOO_LARGE' });
    expect(await oversized('/txs/batch', 17 * 1024 * 1024)).toEqual({ status: 413, code: 'PNT_ERR_RPC_BODY_TOO_LARGE' });
  });

  it('error: deeply nested JSON answers PNT_ERR_RPC_JSON_TOO_DEEP without parsing it (1 MB on /txs, 10 MB on /txs/batch)', async () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    await expectFetchError(await post(deep(512 * 1024)), 400, 'PNT_ERR_RPC_JSON_TOO_DEEP');
    await expectFetchError(await post(`{"txs":${deep(5 * 1024 * 1024)}}`, 'application/json', '/txs/batch'), 400, 'PNT_ERR_RPC_JSON_TOO_DEEP');
    // 64 levels is the default bound: just under it parses (and is then refused as a transaction)
    await expectFetchError(await post(`{"a":${deep(62)}}`), 400, 'PNT_ERR_TX_MALFORMED');
  });

  it('error: a body that is not JSON answers 415 PNT_ERR_RPC_MEDIA_TYPE', async () => {
    await expectFetchError(await post('hello', 'text/plain'), 415, 'PNT_ERR_RPC_MEDIA_TYPE');
  });

  it('error: a bad signature answers PNT_ERR_TX_BAD_SIGNATURE', async () => {
    const tx = put(0);
    const forged = { ...tx, body: { ...tx.body, memo: 'changed after signing' } };
    await expectFetchError(await post(JSON.stringify(forged)), 400, 'PNT_ERR_TX_BAD_SIGNATURE');
  });

  it('error: a transaction for another chain answers PNT_ERR_TX_WRONG_CHAIN', async () => {
    const tx = signTx({ chainId: 'other-chain', nonce: 0, msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: '0x02' }] }] }, user);
    await expectFetchError(await post(JSON.stringify(tx)), 400, 'PNT_ERR_TX_WRONG_CHAIN');
  });

  it('error: unknown routes and missing blocks answer 404 with a code', async () => {
    await expectFetchError(await fetch(`${url}/nope`), 404, 'PNT_ERR_RPC_NOT_FOUND');
    await expect(client.block(10_000_000)).rejects.toMatchObject({ code: 'PNT_ERR_BLOCK_NOT_FOUND' });
    await expectFetchError(await fetch(`${url}/state?key=zz`), 400, 'PNT_ERR_RPC_BAD_REQUEST');
    expect((await expectFetchError(await fetch(`${url}/state?keyText=a&bogus=1`), 400, 'PNT_ERR_RPC_BAD_REQUEST')).details).toEqual({ param: 'querystring.bogus' });
    expect((await expectFetchError(await fetch(`${url}/accounts/0xABC`), 400, 'PNT_ERR_RPC_BAD_REQUEST')).details).toEqual({ param: 'params.address' });
    expect((await expectFetchError(await post('{"txs": 5}', 'application/json', '/txs/batch'), 400, 'PNT_ERR_RPC_BAD_REQUEST')).details).toEqual({ param: 'body.txs' });
  });

  const badNumbers: [path: string, param: string][] = [
    ['/blocks/abc', 'height'],
    ['/blocks/0x10', 'height'],
    ['/blocks/+1', 'height'],
    ['/blocks/01', 'height'],
    ['/blocks/1.0', 'height'],
    ['/blocks/1e3', 'height'],
    ['/blocks/-1', 'height'],
    ['/blocks/0', 'height'],
    ['/blocks/9007199254740993', 'height'],
    ['/blocks/%201', 'height'],
    ['/validators?height=1e400', 'height'],
    ['/validators?height=', 'height'],
    ['/state?keyText=a&height=1e400', 'height'],
    ['/state?keyText=a&height=0x1', 'height'],
    ['/gov/proposals/1.5', 'id'],
    ['/packets/pending?srcChain=a&dstChain=b&limit=1e2', 'limit'],
    ['/packets/pending?srcChain=a&dstChain=b&limit=5000', 'limit'],
    ['/chains?limit=+5', 'limit'],
    ['/packets/dept-a/msg/dept-b/msg/00', 'sequence'],
  ];
  it.each(badNumbers)('error: %s answers 400 PNT_ERR_RPC_BAD_NUMBER naming %s', async (path, param) => {
    const r = await rawRequest(port, [get(path)]);
    expect(r.status).toBe(400);
    expect(expectErrorShape(r.json, 'PNT_ERR_RPC_BAD_NUMBER').details).toEqual({ param });
    r.socket.destroy();
  });

  it('behavior: plain decimals still work and a flag is exactly true or false', async () => {
    expect((await client.block(1)).height).toBe(1);
    expect((await (await fetch(`${url}/validators?height=1`)).json()).height).toBe(1);
    const proved = await (await fetch(`${url}/state?keyText=a&height=1&prove=true`)).json();
    expect(proved.proof).toBeDefined();
    const plain = await (await fetch(`${url}/state?keyText=a&height=1&prove=false`)).json();
    expect(plain.proof).toBeUndefined();
    const e = await expectFetchError(await fetch(`${url}/state?keyText=a&prove=1`), 400, 'PNT_ERR_RPC_BAD_REQUEST');
    expect(e.details).toEqual({ param: 'prove' });
  });

  it('behavior: POST /state/batch with prove answers each key with its proof at that height (membership and absence verify against the root); oversized, idx/ and future requests are refused with codes', async () => {
    const keys = [utf8('params'), utf8(recordKey()), utf8('gov/members')];
    const post = (body: unknown) => fetch(`${url}/state/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const r = await client.stateManyProven<StateProof>(keys.map(toHex), 1);
    expect(r.height).toBe(1);
    expect(r.root).toBe((await client.block(1)).header.stateRoot);
    expect(r.values.map((v) => v !== null)).toEqual([true, false, true]);
    verifyMembership(r.root, keys[0], fromHex(r.values[0]!), r.proofs[0]);
    verifyNonMembership(r.root, keys[1], r.proofs[1]);
    verifyMembership(r.root, keys[2], fromHex(r.values[2]!), r.proofs[2]);
    // the same answers as /state?prove=true, key by key
    for (const [i, k] of keys.entries()) expect((await client.state({ hex: toHex(k) }, { height: 1, prove: true })).proof).toEqual(r.proofs[i]);
    // a proof does not verify for another key
    expect(() => verifyMembership(r.root, keys[2], fromHex(r.values[0]!), r.proofs[0])).toThrow();

    const tooMany = Array.from({ length: 257 }, (_, i) => toHex(utf8(`k${i}`)));
    expect((await expectFetchError(await post({ keys: tooMany, height: 1, prove: true }), 400, 'PNT_ERR_RPC_BAD_REQUEST')).details).toMatchObject({ param: 'keys', count: 257 });
    expect((await (await post({ keys: tooMany, height: 1 })).json()).values).toHaveLength(257); // without proofs the bound is 1,000
    await expectFetchError(await post({ keys: [toHex(utf8('idx/pkt/x'))], height: 1, prove: true }), 400, 'PNT_ERR_STATE_NOT_PROVABLE');
    await expectFetchError(await post({ keys: [toHex(utf8('params'))], height: 1e9, prove: true }), 404, 'PNT_ERR_STATE_VERSION_UNKNOWN');
    await expectFetchError(await post({ keys: [toHex(utf8('params'))], prove: 'yes' }), 400, 'PNT_ERR_RPC_BAD_REQUEST');
  });

  // What no HTTP client sends: the parser refuses it, and the answer is still the documented shape.
  const parserCases: [name: string, status: number, code: string, parts: string[]][] = [
    ['an unknown method', 400, 'PNT_ERR_RPC_BAD_HTTP', ['FOO /status HTTP/1.1\r\nHost: x\r\n\r\n']],
    ['Content-Length with Transfer-Encoding', 400, 'PNT_ERR_RPC_BAD_HTTP', ['POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n']],
    ['a bad chunk size', 400, 'PNT_ERR_RPC_BAD_HTTP', ['POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n']],
    ['a NUL byte in a header', 400, 'PNT_ERR_RPC_BAD_HTTP', ['GET /status HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n']],
    ['a 20 KB header', 431, 'PNT_ERR_RPC_HEADERS_TOO_LARGE', [`GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`]],
    ['2,000 headers in one write', 431, 'PNT_ERR_RPC_HEADERS_TOO_LARGE', [`GET /status HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2000 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`]],
    ['2,000 headers written one by one', 431, 'PNT_ERR_RPC_HEADERS_TOO_LARGE', ['GET /status HTTP/1.1\r\nHost: x\r\n', ...Array.from({ length: 2000 }, (_, i) => `X-Header-${i}: value-${i}\r\n`), '\r\n']],
  ];
  it.each(parserCases)('error: %s answers %i %s in the documented shape and closes', async (_name, status, code, parts) => {
    const r = await rawRequest(port, parts, { waitClose: true });
    expect(r.status).toBe(status);
    expectErrorShape(r.json, code);
    expect(r.closed).toBe(true);
  });

  it('error: a malformed percent-escape answers 400 PNT_ERR_RPC_BAD_URL; a 200-character parameter 414 PNT_ERR_RPC_PARAM_TOO_LONG', async () => {
    const bad = await rawRequest(port, [get('/blocks/%zz')]);
    expect(bad.status).toBe(400);
    expectErrorShape(bad.json, 'PNT_ERR_RPC_BAD_URL');
    bad.socket.destroy();
    const long = await rawRequest(port, [get(`/txs/0x${'a'.repeat(198)}`)]);
    expect(long.status).toBe(414);
    expectErrorShape(long.json, 'PNT_ERR_RPC_PARAM_TOO_LONG');
    long.socket.destroy();
  });

  it('error: a body that stops half-way is cut with 408 PNT_ERR_RPC_TIMEOUT (requestTimeoutMs 2000)', async () => {
    const head = 'POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n';
    // generous bound: the point is that it is cut at all, not how fast
    const r = await rawRequest(port, [head, '{"body": {'], { waitClose: true, timeoutMs: 30_000 });
    expect(r.closed).toBe(true);
    expect(r.status).toBe(408);
    expectErrorShape(r.json, 'PNT_ERR_RPC_TIMEOUT');
  });

  it('error: headers that stop half-way are cut with 408 PNT_ERR_RPC_TIMEOUT (headersTimeoutMs 1000)', async () => {
    const r = await rawRequest(port, ['GET /status HTTP/1.1\r\nHost: x\r\n'], { waitClose: true, timeoutMs: 30_000 });
    expect(r.closed).toBe(true);
    expect(r.status).toBe(408);
    expectErrorShape(r.json, 'PNT_ERR_RPC_TIMEOUT');
  });

  it('behavior: after all the bad input nothing changed state and the node kept committing', async () => {
    const h = (await client.status()).latestHeight;
    await client.waitForHeight(h + 2, 20_000);
    expect((await client.account(user.address)).nonce).toBe(0);
    expect((await client.state({ text: recordKey() })).exists).toBe(false);
  });

  it('behavior: a replayed nonce is refused, /txs/batch admits each transaction on its own, and the node keeps committing', async () => {
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
    const forged = { ...put(3), signature: toHex(new Uint8Array(64)) };
    const batch = await client.submitBatch([put(2, 'fourth'), forged]);
    expect(batch.results[0]).toMatchObject({ status: 'pending' });
    expect(batch.results[1]).toMatchObject({ error: { code: 'PNT_ERR_TX_BAD_SIGNATURE' } });
    await client.waitForTx(decodeTxObject(put(2, 'fourth')).hash);
    // the SDK posts canonical bytes (decoded the fast way); any other spelling of the object is taken too, with the same hash
    const plain = put(3, 'fifth');
    const res = await post(JSON.stringify({ signature: plain.signature, publicKey: plain.publicKey, body: plain.body }));
    expect(res.status).toBe(202);
    expect(((await res.json()) as { hash: string }).hash).toBe(decodeTxObject(plain).hash);
    await expect(client.submit({ ...put(4), signature: toHex(new Uint8Array(64)) })).rejects.toMatchObject({ code: 'PNT_ERR_TX_BAD_SIGNATURE' });
    await client.waitForTx(decodeTxObject(plain).hash);
    // a spelling that begins as canonical bytes do but is not (whitespace inside): left unparsed at first, then taken as an object
    const spaced = put(4, 'sixth');
    const text = `{"body":${JSON.stringify(spaced.body, null, 1)},"publicKey":"${spaced.publicKey}","signature":"${spaced.signature}"}`;
    const res2 = await post(text);
    expect(res2.status).toBe(202);
    expect(((await res2.json()) as { hash: string }).hash).toBe(decodeTxObject(spaced).hash);
    await expectFetchError(await post(`{"body":${JSON.stringify(spaced.body)},"publicKey":`), 400, 'PNT_ERR_RPC_BAD_JSON');
    await client.waitForTx(decodeTxObject(spaced).hash);
    const h = (await client.status()).latestHeight;
    await client.waitForHeight(h + 2, 20_000);
    expect((await client.account(user.address)).nonce).toBe(5);
    expect((await client.state({ text: recordKey() })).value).toBe(toHex(utf8('sixth')));
  });

  it('behavior: /events/blocks streams every committed block, matching /blocks/:height; /metrics has the node and the RPC thread', async () => {
    const events: { height: number; hash: string; txs: number }[] = [];
    const stop = client.subscribeBlocks((b) => events.push(b));
    try {
      const deadline = Date.now() + 20_000;
      while (events.length < 3) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      stop();
    }
    for (let i = 1; i < events.length; i++) expect(events[i].height).toBe(events[i - 1].height + 1);
    for (const e of events.slice(0, 3)) expect((await client.block(e.height)).hash).toBe(e.hash);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^pontis_block_height \d+$/m);
    expect(metrics).toMatch(/^pontis_rpc_requests_total \d+$/m);
    expect(metrics).toMatch(/^pontis_rpc_connections \d+$/m);
  });

  it('behavior: a dead RPC worker is restarted on the same port while consensus keeps committing', async () => {
    const spare = (await freeBasePort(1)) + 1;
    const home = { ...node.home, config: { ...node.home.config, rpc: { ...node.home.config.rpc, port: spare } } };
    const host = await RpcHost.start({ home, env: node.env, metrics: node.metrics, mempool: node.mempool, status: () => node.status(), submitTx: (d, o) => node.submitTx(d, o) }, pino({ level: 'silent' }));
    try {
      const other = new HubClient(`http://127.0.0.1:${host.port}`);
      const before = (await other.status()).latestHeight;
      await host.thread!.terminate();
      expect(host.thread).toBeUndefined();
      // the node's own RPC (another worker) and consensus are untouched
      await client.waitForHeight(before + 2, 20_000);
      const deadline = Date.now() + 20_000;
      while (host.restarts === 0 || !host.thread) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 50));
      }
      const after = await other.waitForHeight(before + 2, 20_000);
      expect(after.latestHeight).toBeGreaterThanOrEqual(before + 2);
      expect(host.restarts).toBe(1);
    } finally {
      await host.close();
    }
  });
});

describe('RPC admission control', () => {
  let dir: string;
  let node: HubNode;
  let port: number;
  let client: HubClient;

  beforeAll(async () => {
    ({ dir, node, port, client } = await startNode({ maxConnections: 8, rateLimitPerSec: 20, rateBurst: 40 }));
  });
  afterAll(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('error: a client over its request rate gets 429 PNT_ERR_RPC_RATE_LIMITED (retryable), then is served again; HubClient retries through it', async () => {
    // the bucket refills at 20/s: after startNode's own polling, 2 s fill it to its burst again
    await new Promise((r) => setTimeout(r, 2100));
    // one keep-alive connection, requests back to back: the burst (40) is spent, then refusals
    const statuses: number[] = [];
    let refusal: unknown;
    const r0 = await rawRequest(port, [get('/healthz')]);
    const sock = r0.socket;
    statuses.push(r0.status);
    for (let i = 0; i < 80; i++) {
      const r = await new Promise<{ status: number; json: unknown }>((resolve) => {
        let buf = '';
        const onData = (d: Buffer) => {
          buf += d.toString();
          const end = buf.indexOf('\r\n\r\n');
          const len = Number(/content-length: (\d+)/i.exec(buf)?.[1] ?? -1);
          if (end >= 0 && len >= 0 && buf.length >= end + 4 + len) {
            sock.off('data', onData);
            resolve({ status: Number(buf.slice(9, 12)), json: JSON.parse(buf.slice(end + 4, end + 4 + len)) });
          }
        };
        sock.on('data', onData);
        sock.write(get('/healthz'));
      });
      statuses.push(r.status);
      if (r.status === 429) refusal = r.json;
    }
    sock.destroy();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(40);
    expect(statuses).toContain(429);
    expect(expectErrorShape(refusal, 'PNT_ERR_RPC_RATE_LIMITED').retryable).toBe(true);
    // the SDK waits and retries when told to slow down, so its callers never see the refusal
    expect((await client.status()).chainId).toBe(chainId);
    await new Promise((r) => setTimeout(r, 2500));
    expect((await fetch(`${node.rpcUrl}/healthz`)).status).toBe(200);
  });

  it('error: past maxConnections a new connection gets 503 PNT_ERR_RPC_TOO_MANY_CONNECTIONS and is closed; freed slots are served again', async () => {
    // keep-alive connections, each confirmed by an answered request, until one is refused
    // (this process may hold a few idle ones already, in fetch's pool)
    const held = [];
    let refused: Awaited<ReturnType<typeof rawRequest>> | undefined;
    for (let i = 0; i < 9 && !refused; i++) {
      const r = await rawRequest(port, [get('/healthz')], { timeoutMs: 5000 });
      if (r.status === 200) held.push(r.socket);
      else refused = r;
    }
    expect(held.length).toBeLessThanOrEqual(8);
    expect(refused?.status).toBe(503);
    expect(expectErrorShape(refused?.json, 'PNT_ERR_RPC_TOO_MANY_CONNECTIONS').retryable).toBe(true);
    // and the server closes it
    if (!refused!.socket.destroyed) await new Promise((r) => refused!.socket.once('close', r));
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const again = await rawRequest(port, [get('/healthz')]);
    expect(again.status).toBe(200);
    again.socket.destroy();
  });

  it('behavior: the refused clients did not stop the node', async () => {
    await new Promise((r) => setTimeout(r, 2500)); // let the rate budget refill
    const h = (await client.status()).latestHeight;
    expect((await client.waitForHeight(h + 2, 20_000)).latestHeight).toBeGreaterThanOrEqual(h + 2);
  });
});
