/** `pontis devnet`: the quickstart's local network and sample flows (devnet.ts). */
import { type Command, InvalidArgumentError } from 'commander';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
  return n;
};

/** `--chaincode name=host:port`, repeatable. */
function chaincodeOption(v: string, acc: Record<string, string>): Record<string, string> {
  const m = /^([A-Za-z0-9_.-]+)=([^\s=]+:\d+)$/.exec(v);
  if (!m) throw new InvalidArgumentError('--chaincode must be name=host:port');
  return { ...acc, [m[1]]: m[2] };
}

function registerFabricNetCommand(program: Command): void {
  const fabric = program.command('fabric-net').description('the Fabric network stand-in (peers, orderer, CAs) for the government chain');
  fabric
    .command('start')
    .description('start a Fabric network of N orgs; writes crypto material and connection profiles like the test-network')
    .option('--orgs <n>', 'number of peer orgs', int('--orgs', 1, 10), 3)
    .requiredOption('--out <dir>', 'where crypto material, connection profiles and the ledger live (reused on restart)')
    .option('--chaincode <name=address>', 'a chaincode-as-a-service server the peers dial (repeatable)', chaincodeOption, {})
    .option('--channel <name>', 'channel name', 'mychannel')
    .option('--base-port <port>', 'peer port of org1; org i uses base+i-1 (0: any free port)', int('--base-port', 0, 64000), 7051)
    .option('--policy <n>', 'endorsement policy: n of the orgs (default: a majority)', int('--policy', 1, 10))
    .action(async (o) =>
      (await import('./fabric/run.ts')).runFabricNet({ orgs: o.orgs, out: o.out, chaincode: o.chaincode, channel: o.channel, basePort: o.basePort, policy: o.policy }),
    );
}

export function registerDevnetCommand(program: Command): Command {
  registerFabricNetCommand(program);
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
