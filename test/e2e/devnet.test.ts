/**
 * The README's main command, as a new user runs it: `pontis devnet` starts the hub, two Pontis
 * side-chains and two anvil chains as processes, relays with BullMQ workers on the local Redis,
 * and runs the whole sample flow; `--blocks 0` makes it stop once the flow is done. The test
 * checks that it exits 0 having printed each stage's outcome.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../../bin/pontis.js');

it('behavior: `pontis devnet --blocks 0` runs the whole sample flow on real processes and exits 0', async () => {
  // a port range of its own: validators, side-chains, relayer API and anvil chains use base .. base+9, peers base+1000..
  const base = 40_000 + Math.floor(Math.random() * 200) * 20;
  const child = spawn(process.execPath, [BIN, 'devnet', '--blocks', '0', '--base-port', String(base)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  expect(out, out).toContain('sample flow done');
  expect(code).toBe(0);
  expect(out).toContain('relayer workers (BullMQ');
  expect(out).toMatch(/paths path-dept-a, path-dept-b, path-evm-a, path-evm-b/);
  expect(out).toContain('dept-b inbox holds it; dept-a records the outcome: delivered');
  expect(out).toContain("EchoApp recorded it");
  expect(out).toMatch(/round trip done: evm-a escrow for evm-b 0, evm-b wrapped supply 0/);
  expect(out).toContain('AttestationVerifier recorded the revocation; isValid = false');
  expect(out).not.toContain('sample flow failed');
}, 240_000);
