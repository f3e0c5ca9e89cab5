/**
 * An HTTP proxy in front of a real node's RPC that passes everything through, except that it can
 * make the node's `/status` say what a syncing or stuck node says: `catchingUp: true`, or a height
 * frozen where it was (its peers' heights keep moving). Relayer tests use it to put a node in
 * those states on demand; a real node's are brief and racy.
 */
import { createServer, type Server } from 'node:http';
import { freePort } from './ports.ts';

export type ProxyMode = 'pass' | 'catching-up' | 'frozen';

export class RpcProxy {
  mode: ProxyMode = 'pass';
  private frozenAt: number | undefined;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<RpcProxy> {
    const port = await freePort();
    let proxy!: RpcProxy;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        try {
          const body = chunks.length ? Buffer.concat(chunks) : undefined;
          const r = await fetch(target + req.url, { method: req.method, headers: body ? { 'content-type': req.headers['content-type'] ?? 'application/json' } : {}, body });
          let text = await r.text();
          if (req.url === '/status' && r.ok) text = JSON.stringify(proxy.rewriteStatus(JSON.parse(text) as Record<string, unknown>));
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        } catch (e) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'PNT_ERR_RPC_UNAVAILABLE', message: (e as Error).message } }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    proxy = new RpcProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  private rewriteStatus(s: Record<string, unknown>): Record<string, unknown> {
    if (this.mode === 'pass') {
      this.frozenAt = undefined;
      return s;
    }
    if (this.mode === 'catching-up') return { ...s, catchingUp: true };
    this.frozenAt ??= s.latestHeight as number;
    return { ...s, latestHeight: this.frozenAt };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
