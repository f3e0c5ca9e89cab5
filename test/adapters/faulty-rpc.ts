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

export interface SwitchableProxy extends FaultyEndpoint {
  /** 'pass' forwards to the target; 'fail' answers HTTP 500. */
  mode: 'pass' | 'fail';
  /** Requests answered with 500 so far. */
  failed: number;
}

/** An HTTP proxy in front of a node that a test can make fail for a while. */
export async function switchableProxy(target: string): Promise<SwitchableProxy> {
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (proxy.mode === 'fail') {
        proxy.failed++;
        res.statusCode = 500;
        res.end('down for a moment');
        return;
      }
      try {
        const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        res.statusCode = upstream.status;
        res.setHeader('content-type', 'application/json');
        res.end(Buffer.from(await upstream.arrayBuffer()));
      } catch {
        res.statusCode = 502;
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const proxy: SwitchableProxy = {
    url: `http://127.0.0.1:${port}`,
    mode: 'pass',
    failed: 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return proxy;
}
