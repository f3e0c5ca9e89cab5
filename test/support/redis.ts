/** Redis for relayer tests and benchmarks: a private redis-server process (so a test may flush, stop and restart it) and short-lived connections. */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { kill9, until } from './process.ts';

/** Runs `f` on a fresh connection to `url` and disconnects afterwards, whatever happens. */
export async function withRedis<T>(url: string, f: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(url);
  try {
    return await f(c);
  } finally {
    c.disconnect();
  }
}

/** A redis-server of our own: no persistence, so a restart loses everything (the worst case). */
export class RedisServer {
  private proc: ChildProcess | undefined;
  private constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  static async start(): Promise<RedisServer> {
    const r = new RedisServer(await freePort());
    await r.start();
    return r;
  }
  async start(): Promise<void> {
    this.proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await until('redis', async () => {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    });
  }
  /** kill -9: the data is gone (no persistence). */
  async stop(): Promise<void> {
    await kill9(this.proc);
  }
  async flushAll(): Promise<void> {
    await withRedis(this.url, (c) => c.flushall());
  }
}
