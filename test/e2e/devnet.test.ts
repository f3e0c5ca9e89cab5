/**
 * The README's main command, as a new user runs it: `pontis devnet` starts the hub, two Pontis
 * side-chains and two anvil chains as processes, the government chain on the Fabric network stand-in, relays with BullMQ workers on the local Redis,
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
  expect(out).toMatch(/paths path-dept-a, path-dept-b, path-evm-a, path-evm-b, path-gov/);
  expect(out).toContain('dept-b inbox holds it; dept-a records the outcome: delivered');
  expect(out).toContain("EchoApp recorded it");
  expect(out).toMatch(/round trip done: evm-a escrow for evm-b 0, evm-b wrapped supply 0/);
  expect(out).toContain('AttestationVerifier recorded the revocation; isValid = false');
  // the government chain on Fabric: an attestation valid on evm-b and dept-a, then revoked; a record request answered, one refused
  expect(out).toContain('evm-b: AttestationVerifier isValid = true (issuer Org1MSP of gov');
  expect(out).toContain('dept-a: attest app holds it from gov/attest, issuer Org1MSP: valid');
  expect(out).toContain('dept-a: attest app status revoked');
  expect(out).toMatch(/dept-a: acknowledgement carries the record: \{"data":"0x[0-9a-f]+","id":"household-42","owner":"Org1MSP"\}/);
  expect(out).toContain('dept-a: error acknowledgement PNT_ERR_RECORDS_ACCESS_DENIED');
  expect(out).not.toContain('sample flow failed');
}, 240_000);
