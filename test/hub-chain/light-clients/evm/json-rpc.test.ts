/**
 * The EVM JSON-RPC client's failures, each as its stable code with the right retry flag: a node
 * that never answers, HTTP failures (server side retryable, a request refused as malformed not),
 * JSON-RPC errors (their code, message and revert data kept), answers that are not JSON-RPC, and
 * a port where nothing listens. Loopback servers stand in for misbehaving nodes.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVM_RPC_ERR, EvmRpcError, JsonRpcClient } from '../../../../hub-chain/light-clients/evm/json-rpc.ts';

let url = '';
let posts = 0;
/** Body size of each POST, in bytes. */
const bodies: number[] = [];
let closeServer: () => Promise<void>;
/** What the loopback node does, by the requested method. */
const behaviours: Record<string, (req: IncomingMessage, res: ServerResponse, body: { id: number }) => void> = {
  ok: (_q, res, b) => res.end(JSON.stringify({ jsonrpc: '2.0', id: b.id, result: '0x2a' })),
  reverts: (_q, res, b) => res.end(JSON.stringify({ jsonrpc: '2.0', id: b.id, error: { code: 3, message: 'execution reverted', data: '0xdeadbeef' } })),
  http500: (_q, res) => ((res.statusCode = 500), res.end('boom')),
  http400: (_q, res) => ((res.statusCode = 400), res.end('bad')),
  notJson: (_q, res) => res.end('<html>'),
  noResult: (_q, res, b) => res.end(JSON.stringify({ jsonrpc: '2.0', id: b.id })),
  hang: () => undefined,
};

beforeAll(async () => {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      posts++;
      bodies.push(Buffer.byteLength(raw));
      const parsed = JSON.parse(raw) as { id: number; method: string } | { id: number; method: string }[];
      if (!Array.isArray(parsed)) return behaviours[parsed.method](req, res, parsed);
      // a node refusing a whole batch answers one error object (as some nodes do when overloaded)
      // large calls (params padded): every one answered, as a node under its body limit does
      if (parsed[0].method === 'big') return res.end(JSON.stringify(parsed.map((b) => ({ jsonrpc: '2.0', id: b.id, result: '0x1' }))));
      if (parsed[0].method === 'refuseBatch') return res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32005, message: 'batch too large' } }));
      // a batch: answered in reverse order (ids, not positions, pair them), the last call left out
      const answers = parsed.slice(0, -1).map((b) => (b.method === 'ok' ? { jsonrpc: '2.0', id: b.id, result: `0x${b.id.toString(16)}` } : { jsonrpc: '2.0', id: b.id, error: { code: 3, message: 'execution reverted' } }));
      res.end(JSON.stringify(answers.reverse()));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  closeServer = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
});
afterAll(() => closeServer());

const failure = async (p: Promise<unknown>): Promise<EvmRpcError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EvmRpcError);
  return e as EvmRpcError;
};

describe('JsonRpcClient', () => {
  it('behavior: a result comes back as the node sent it', async () => {
    expect(await new JsonRpcClient(url).send('ok', [])).toBe('0x2a');
  });

  const cases = [
    { name: 'a JSON-RPC error keeps its code, message and revert data', method: 'reverts', code: EVM_RPC_ERR.ERROR, retryable: true, details: { rpcCode: 3, message: 'execution reverted', data: '0xdeadbeef' } },
    { name: 'HTTP 500 is a retryable unavailable node', method: 'http500', code: EVM_RPC_ERR.UNAVAILABLE, retryable: true, details: { status: 500 } },
    { name: 'HTTP 400 (the request refused) is not retryable', method: 'http400', code: EVM_RPC_ERR.UNAVAILABLE, retryable: false, details: { status: 400 } },
    { name: 'an answer that is not JSON', method: 'notJson', code: EVM_RPC_ERR.BAD_RESPONSE, retryable: true, details: {} },
    { name: 'a response with neither result nor error', method: 'noResult', code: EVM_RPC_ERR.BAD_RESPONSE, retryable: true, details: {} },
    { name: 'a node that never answers times out', method: 'hang', code: EVM_RPC_ERR.TIMEOUT, retryable: true, details: {} },
  ];
  for (const c of cases) {
    it(`error: ${c.name}: ${c.code}`, async () => {
      const e = await failure(new JsonRpcClient(url, { timeoutMs: 300 }).send(c.method, []));
      expect(e.code).toBe(c.code);
      expect(e.retryable).toBe(c.retryable);
      expect(e.details).toMatchObject({ method: c.method, ...c.details });
    });
  }

  it('error: a port where nothing listens is a retryable unavailable node', async () => {
    const e = await failure(new JsonRpcClient('http://127.0.0.1:9', { timeoutMs: 2000 }).send('ok', []));
    expect(e.code).toBe(EVM_RPC_ERR.UNAVAILABLE);
    expect(e.retryable).toBe(true);
    expect(e.details).toMatchObject({ sysCode: 'ECONNREFUSED' });
  });
});

describe('JSON-RPC batching', () => {
  it('behavior: calls made together go out as one batch; each gets its own answer or error, paired by id', async () => {
    const c = new JsonRpcClient(url, { timeoutMs: 2000 });
    const before = posts;
    const calls = [c.send('ok', []), c.send('reverts', []), c.send('ok', []), c.send('ok', [])].map((p) => p.then((v) => ({ v }), (e: EvmRpcError) => ({ code: e.code })));
    const got = await Promise.all(calls);
    expect(posts - before).toBe(1);
    expect(got[0]).toEqual({ v: '0x1' });
    expect(got[1]).toEqual({ code: EVM_RPC_ERR.ERROR });
    expect(got[2]).toEqual({ v: '0x3' });
    // the server left the last call out of its answer
    expect(got[3]).toEqual({ code: EVM_RPC_ERR.BAD_RESPONSE });
  });

  it('error: a batch refused with one error object fails each call with that error, its message kept (retryable)', async () => {
    const c = new JsonRpcClient(url, { timeoutMs: 2000 });
    const errs = await Promise.all([c.send('refuseBatch', []), c.send('ok', [])].map(failure));
    for (const e of errs) {
      expect(e.code).toBe(EVM_RPC_ERR.ERROR);
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(/batch too large/);
      expect(e.details).toMatchObject({ rpcCode: -32005 });
    }
  });

  it('behavior: batches hold at most batchMax calls; batchMax 1 sends each alone', async () => {
    const c = new JsonRpcClient(url, { timeoutMs: 2000, batchMax: 2 });
    let before = posts;
    await Promise.allSettled([1, 2, 3, 4, 5].map(() => c.send('ok', [])));
    expect(posts - before).toBe(3);
    const alone = new JsonRpcClient(url, { timeoutMs: 2000, batchMax: 1 });
    before = posts;
    expect(await Promise.all([alone.send('ok', []), alone.send('ok', [])])).toEqual(['0x2a', '0x2a']);
    expect(posts - before).toBe(2);
  });

  it('behavior: a batch body stays under maxBodyBytes; a call larger than that goes alone', async () => {
    behaviours.big = (_q, res, b) => res.end(JSON.stringify({ jsonrpc: '2.0', id: b.id, result: '0x1' }));
    const c = new JsonRpcClient(url, { timeoutMs: 5000, maxBodyBytes: 100_000 });
    const pad = (n: number) => '0x' + 'ab'.repeat(n);
    const from = bodies.length;
    // 8 calls of ~30 KB: 3 fit a body, so 3 posts; then one of ~150 KB alone, and a small one after it
    const calls = [...Array.from({ length: 8 }, () => c.send('big', [pad(15_000)])), c.send('big', [pad(75_000)]), c.send('big', [pad(10)])];
    expect(await Promise.all(calls)).toEqual(Array(10).fill('0x1'));
    const sent = bodies.slice(from);
    expect(sent).toHaveLength(5);
    expect(sent.filter((n) => n > 100_000)).toHaveLength(1); // the large call, alone
    expect(sent.filter((n) => n <= 100_000).every((n) => n > 30_000 || n < 1_000)).toBe(true);
    // the default keeps bodies under anvil's 2 MiB limit: 8 calls of ~700 KB (an acknowledge batch's calldata) go in 8 posts
    const d = new JsonRpcClient(url, { timeoutMs: 5000 });
    const before = bodies.length;
    expect(await Promise.all(Array.from({ length: 8 }, () => d.send('big', [pad(350_000)])))).toEqual(Array(8).fill('0x1'));
    expect(bodies.slice(before).every((n) => n <= 1024 * 1024)).toBe(true);
    expect(bodies.length - before).toBe(8);
  });
});
