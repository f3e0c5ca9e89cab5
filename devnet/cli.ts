/** `pontis devnet`: the quickstart's local network and sample flows (devnet.ts). */
import { type Command, InvalidArgumentError } from 'commander';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
  return n;
};

export function registerDevnetCommand(program: Command): Command {
  program
    .command('devnet')
    .description('run a local hub of N validator processes on loopback and a sample flow (the quickstart)')
    .option('--validators <n>', 'number of validators', int('--validators', 1, 20), 4)
    .option('--base-port <port>', 'RPC port of validator 0; validator i uses base+i', int('--base-port', 1024, 64000), 26657)
    .option('--home <dir>', 'where node homes live (default: a new temporary directory, removed on exit)')
    .option('--blocks <n>', 'after the sample flow, exit after this many more hub blocks (0: at once; default: run until Ctrl-C)', int('--blocks', 0, 1_000_000))
    // loaded on use, so that other commands start fast
    .action(async (o) => (await import('./devnet.ts')).runDevnet({ validators: o.validators, basePort: o.basePort, home: o.home, blocks: o.blocks }));
  return program;
}
