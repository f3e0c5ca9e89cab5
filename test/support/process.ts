/** Child processes of tests (validators, relayers, redis-server, anvil): liveness, kill -9, graceful stop, and waiting for a condition. */
import { spawn, type ChildProcess } from 'node:child_process';

/** Whether `p` was started and has neither exited nor been killed. */
export function isRunning(p: ChildProcess | undefined): p is ChildProcess {
  return !!p && p.exitCode === null && p.signalCode === null;
}

/** Resolves once `p` has exited (at once when it already has). */
export function exited(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => p.once('exit', () => resolve()));
}

/** kill -9 (no shutdown hooks run); resolves once the process is gone. Nothing to do when it is not running. */
export async function kill9(p: ChildProcess | undefined): Promise<void> {
  if (!isRunning(p)) return;
  const gone = exited(p);
  p.kill('SIGKILL');
  await gone;
}

/** SIGTERM (or `signal`), then SIGKILL if it is still running after `graceMs`; resolves once the process is gone. */
export async function stopProcess(p: ChildProcess | undefined, graceMs = 5000, signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): Promise<void> {
  if (!isRunning(p)) return;
  const gone = exited(p);
  p.kill(signal);
  const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

/** Polls `f` every 100 ms until it resolves true (a throw counts as not yet); throws after `ms`. */
export async function until(what: string, f: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await f()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the one signal that needs no cooperation
  process.once('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

/**
 * A test runner may end its worker with a signal, and then no 'exit' handler runs. A tiny
 * watchdog process holds a pipe from us: when we die, by any signal, the pipe closes and the
 * watchdog kills the node.
 */
const WATCHDOG = `
const pid = Number(process.argv[1]);
const kill = () => { try { process.kill(pid, 'SIGKILL'); } catch {} process.exit(0); };
process.stdin.on('end', kill); process.stdin.on('error', kill); process.stdin.resume();
setInterval(() => { try { process.kill(pid, 0); } catch { process.exit(0); } }, 1000);
`;

function watchdog(pid: number): ChildProcess {
  const w = spawn(process.execPath, ['-e', WATCHDOG, String(pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  w.unref();
  (w.stdin as unknown as { unref?: () => void }).unref?.();
  return w;
}

/** Kills `proc` when the test process exits, however it exits (an exit hook, and a watchdog for signals). */
export function supervise(proc: ChildProcess): void {
  installExitHook();
  running.add(proc);
  const guard = watchdog(proc.pid!);
  proc.once('exit', () => {
    guard.kill('SIGKILL');
    running.delete(proc);
  });
}

export { jsonRpc } from '../../devnet/json-rpc.ts';
