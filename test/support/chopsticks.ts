/**
 * Chopsticks for tests: devnet/chopsticks.ts (the asset-hub runtime offline, dev accounts funded)
 * on a free port, killed on `stop()` and whenever the test process exits (a watchdog).
 */
import { type ChopsticksNode, type ChopsticksOptions, startChopsticks as start } from '../../devnet/chopsticks.ts';
import { freePort } from './ports.ts';
import { supervise } from './process.ts';

export { DEV_ACCOUNTS, DEV_BALANCE, type ChopsticksNode } from '../../devnet/chopsticks.ts';

export async function startChopsticks(opts: Omit<ChopsticksOptions, 'port'> & { port?: number } = {}): Promise<ChopsticksNode> {
  return start({ ...opts, port: opts.port ?? (await freePort()), onSpawn: supervise });
}
