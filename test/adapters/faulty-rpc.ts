/**
 * Misbehaving RPC endpoints on loopback for error-path tests: one that accepts connections and
 * never answers, one that answers every request with HTTP 500, and a port where nothing listens.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { freePort } from '../support/ports.ts';

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

interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: number | string;
  method: string;
  params?: unknown[];
}

/**
 * A JSON-RPC proxy in front of a node that answers some requests itself (as a node with other
 * limits or another version would) and forwards the rest, single or batched.
 */
export async function interceptingProxy(target: string, intercept: (req: JsonRpcRequest) => { result?: unknown; error?: { code: number; message: string } } | undefined): Promise<FaultyEndpoint & { intercepted: number }> {
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonRpcRequest | JsonRpcRequest[];
      const list = Array.isArray(body) ? body : [body];
      const answers = new Map<JsonRpcRequest, unknown>();
      for (const r of list) {
        const own = intercept(r);
        if (own) {
          ep.intercepted++;
          answers.set(r, { jsonrpc: '2.0', id: r.id, ...own });
        }
      }
      const forward = list.filter((r) => !answers.has(r));
      if (forward.length) {
        const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forward) });
        const got = (await upstream.json()) as { id: number | string }[];
        for (const r of forward) answers.set(r, got.find((g) => g.id === r.id));
      }
      const out = list.map((r) => answers.get(r));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(body) ? out : out[0]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const ep = {
    url: `http://127.0.0.1:${port}`,
    intercepted: 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return ep;
}
