/**
 * Misbehaving RPC endpoints on loopback for error-path tests: one that accepts connections and
 * never answers, one that answers every request with HTTP 500, and a port where nothing listens.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { freePort } from '../fixtures/anvil.ts';

export interface FaultyEndpoint {
  url: string;
  close(): Promise<void>;
}

export async function hangingEndpoint(): Promise<FaultyEndpoint> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.resume(); // read and drop the request: the answer never comes
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export async function http500Endpoint(): Promise<FaultyEndpoint> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain');
      res.end('internal error');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A loopback URL whose port had no listener a moment ago. */
export async function unreachableEndpoint(): Promise<FaultyEndpoint> {
  return { url: `http://127.0.0.1:${await freePort()}`, close: async () => undefined };
}
