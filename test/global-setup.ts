/**
 * Before any test, two background processes while the unit tests run:
 * - the Solidity contracts compile (a clean clone has no contracts/evm/out; solc-js takes ~30 s of
 *   one core). Tests that need them call buildContracts(), which waits on the same cross-process
 *   lock and then finds the outputs fresh, so the compile leaves the system tests' serial path.
 *   When the artifacts are already fresh the process only checks their hash.
 * - with PONTIS_TYPECHECK=1 (`npm test` sets it), the type check (`tsc --noEmit`): its errors
 *   print at the end and fail the run.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

function background(cmd: string, args: string[]): { exited: Promise<number | null>; output: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { exited: new Promise((r) => child.once('exit', (code) => r(code))), output: () => out };
}

export default function setup(): () => Promise<void> {
  const typecheck = process.env.PONTIS_TYPECHECK === '1' ? background(resolve(import.meta.dirname, '../node_modules/.bin/tsc'), ['--noEmit', '-p', resolve(import.meta.dirname, '../tsconfig.json')]) : undefined;
  const build = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../contracts/evm/build.ts')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  build.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => build.once('exit', (code) => r(code)));
  // Not killed at teardown: a build stopped mid-way would leave its lock for the next run to wait out.
  return async () => {
    const code = await exited;
    // a failed build is reported by the tests that call buildContracts() (they compile again and throw)
    if (code !== 0) process.stderr.write(`background contract build exited ${code}: ${stderr.slice(-2000)}\n`);
    if (typecheck && (await typecheck.exited) !== 0) {
      // vitest reports an error thrown here but still exits 0: set the exit code instead
      process.stderr.write(`\ntype check failed (tsc --noEmit):\n${typecheck.output()}\n`);
      process.exitCode = 1;
    }
  };
}
