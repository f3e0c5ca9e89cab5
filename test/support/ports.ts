/** Loopback ports for test servers and processes. */
import { createServer } from 'node:net';

/** A loopback port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be listened on at 127.0.0.1 right now. */
export async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A base port such that base+o is free for every offset in `offsets`. Ranges stay below the
 * kernel's ephemeral range (32768 and up on Linux), where any outgoing connection may take a
 * port between the check and the listen.
 */
export async function freePortRange(offsets: number[]): Promise<number> {
  const top = 32_768 - Math.max(...offsets) - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * (top - 10_000));
    let ok = true;
    for (const o of offsets) if (!(await portFree(base + o))) { ok = false; break; }
    if (ok) return base;
  }
  throw new Error(`no free port range for offsets ${offsets.join(',')}`);
}
