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
      const body = JSON.parse(raw) as { id: number; method: string };
      behaviours[body.method](req, res, body);
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
  });
});
