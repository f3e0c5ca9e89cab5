/**
 * Before any test: compile the sources once for the processes the tests start (bin/compile.js;
 * every `pontis` process would otherwise find the build missing and make it, racing the others).
 * And compile the Solidity contracts in a background process while the unit tests
 * run (a clean clone has no contracts/evm/out; solc-js takes ~30 s of one core). Tests that need
 * the contracts call buildContracts(), which waits on the same cross-process lock and then finds
 * the outputs fresh, so the compile leaves the system tests' serial path. When the artifacts are
 * already fresh the process only checks their hash. (The type check stays a step before vitest:
 * run in the background too, the multi-threaded tsc slowed the unit tests by more than it saved.)
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { compiled } from '../bin/compile.js';

export default async function setup(): Promise<() => Promise<void>> {
  await compiled();
  const build = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../contracts/evm/build.ts')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  build.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => build.once('exit', (code) => r(code)));
  // Not killed at teardown: a build stopped mid-way would leave its lock for the next run to wait out.
  return async () => {
    const code = await exited;
    // a failed build is reported by the tests that call buildContracts() (they compile again and throw)
    if (code !== 0) process.stderr.write(`background contract build exited ${code}: ${stderr.slice(-2000)}\n`);
  };
}
