/**
 * The RPC client's HTTP exchange (hub-chain/rpc-client/http.ts) against real sockets: kept-alive
 * connections are reused; a call sent on a kept-alive socket that the server closed meanwhile is
 * sent once more on a fresh one; a fresh connection's failure and a silent server are failures.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpFailure, httpText } from '../../../hub-chain/rpc-client/http.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())).then(() => server?.closeAllConnections()));

/** A server whose handler sees the request, its index on its connection (0-based) and the count of connections so far. */
async function serve(handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, onConnection: number, connections: number) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const perSocket = new WeakMap<Socket, number>();
  server = createServer((req, res) => {
    const i = perSocket.get(req.socket) ?? 0;
    perSocket.set(req.socket, i + 1);
    handle(req, res, i, connections);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, connections: () => connections };
}

describe('RPC client HTTP', () => {
  it('behavior: calls reuse one kept-alive connection, and a body goes with its length', async () => {
    const s = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, body })));
    });
    for (let i = 0; i < 3; i++) expect(JSON.parse((await httpText('GET', `${s.url}/x`, undefined, 5000)).text)).toEqual({ method: 'GET', body: '' });
    const r = await httpText('POST', `${s.url}/y`, '{"é":1}', 5000);
    expect([r.status, JSON.parse(r.text)]).toEqual([200, { method: 'POST', body: '{"é":1}' }]);
    expect(s.connections()).toBe(1);
  });

  it('behavior: a call on a kept-alive socket the server dropped is sent again on a fresh connection, once', async () => {
    // the server drops every connection at its second request without answering (as one closing an idle socket races the call)
    const s = await serve((req, res, onConnection) => (onConnection === 0 ? res.end('first') : req.socket.destroy()));
    expect((await httpText('GET', `${s.url}/a`, undefined, 5000)).text).toBe('first');
    expect((await httpText('GET', `${s.url}/b`, undefined, 5000)).text).toBe('first');
    expect(s.connections()).toBe(2);
  });

  it('error: a fresh connection dropped before an answer, and a server that never answers, are failures', async () => {
    const s = await serve((req) => req.socket.destroy());
    await expect(httpText('GET', `${s.url}/a`, undefined, 5000)).rejects.toBeInstanceOf(HttpFailure);
    expect(s.connections()).toBe(1); // not retried: nothing stale about it
    server!.close();
    server!.closeAllConnections();
    const silent = await serve(() => {});
    await expect(httpText('GET', `${silent.url}/a`, undefined, 300)).rejects.toMatchObject({ timeout: true, message: 'no answer within 300 ms' });
  });
});
