/**
 * `pontis`: one CLI, noun/verb commands. Library code never prints; this file and its
 * siblings in cli/ are where output to a terminal happens.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { PontisError } from '../errors.ts';
import { HubClient } from '../rpc-client/client.ts';
import { accountKeyFromSeed } from '../crypto/ed25519.ts';
import { fromHex, isHex, toHex, utf8 } from '../crypto/bytes.ts';
import { loadHome, paths } from '../node/config.ts';
import { initFullNode, initNode, initTestnet } from '../node/init.ts';
import { parseGenesis } from '../app/genesis.ts';
import { readFileSync } from 'node:fs';
import { stopOnSignals } from './process.ts';
import { addChainCommands, addInterchainQueries, type CliDeps } from './chain.ts';
import { addDataCommands } from './data.ts';

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
  return n;
};
const DEFAULT_NODE = 'http://127.0.0.1:26657';
const print = (v: unknown): void => {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
};

function operatorKey(home: string) {
  const h = loadHome(home);
  if (!h.operatorKey) throw new PontisError('PNT_ERR_CONFIG_MISSING', `no operator key in ${paths(home).operatorKey}`);
  return accountKeyFromSeed(fromHex(h.operatorKey.seed, 32));
}

/**
 * The hub's commands. The `pontis` binary (bin/cli.ts) adds the relayer's and the devnet's to it:
 * nothing here depends on them.
 */
export function hubProgram(): Command {
  const program = new Command('pontis').description('Pontis interchain hub: validators, light clients, relayers').version('0.1.0').showHelpAfterError();

  const node = program.command('node').description('run and set up a hub validator node');
  node
    .command('init')
    .description('create a home directory for a single-validator chain (keys, genesis, config)')
    .requiredOption('--home <dir>', 'node home directory')
    .option('--chain-id <id>', 'chain id', 'pontis-hub-1')
    .option('--moniker <name>', 'node name', 'node0')
    .option('--rpc-port <port>', 'RPC port', int('--rpc-port', 1, 65535), 26657)
    .option('--p2p-port <port>', 'peer port', int('--p2p-port', 1, 65535), 26656)
    .action((o) => print(initNode(o.home, { chainId: o.chainId, moniker: o.moniker, rpcPort: o.rpcPort, p2pPort: o.p2pPort })));
  node
    .command('join')
    .description('create a home for a node that follows an existing network without validating (it state-syncs when it starts empty)')
    .requiredOption('--home <dir>', 'node home directory')
    .requiredOption('--genesis <file>', "the network's genesis.json")
    .requiredOption('--peer <url...>', 'ws:// peer URLs of nodes to dial (repeatable)')
    .option('--moniker <name>', 'node name', 'full-node')
    .option('--rpc-port <port>', 'RPC port', int('--rpc-port', 1, 65535), 26657)
    .option('--p2p-port <port>', 'peer port', int('--p2p-port', 1, 65535), 26656)
    .action((o) =>
      print(initFullNode(o.home, { genesis: parseGenesis(JSON.parse(readFileSync(o.genesis, 'utf8'))), peers: o.peer, moniker: o.moniker, rpcPort: o.rpcPort, p2pPort: o.p2pPort })),
    );
  node
    .command('start')
    .description('start a node from its home directory (Ctrl-C stops it cleanly)')
    .requiredOption('--home <dir>', 'node home directory')
    .option('--exit-with-parent', 'stop when the parent process goes away (used by devnet and tests)')
    .action(async (o) => {
      // a halted engine (it could not persist) stops the node; the process then exits non-zero
      const { HubNode } = await import('../node/node.ts'); // loaded on use: every command starts fast
      const n = HubNode.fromHome(o.home, { onHalt: () => process.exit(70) });
      await n.start();
      stopOnSignals(() => n.stop(), { exitWithParent: o.exitWithParent });
    });

  program
    .command('testnet')
    .description('local multi-validator networks')
    .command('init')
    .description('genesis, keys and configs for N local validators in OUT/node0..OUT/node{N-1}; node i serves RPC on BASE+i')
    .requiredOption('--out <dir>', 'output directory')
    .option('--validators <n>', 'number of validators', int('--validators', 1, 50), 4)
    .option('--base-port <port>', 'RPC port of node0 (peer ports are base+1000+i)', int('--base-port', 1024, 64000), 26657)
    .option('--chain-id <id>', 'chain id', 'pontis-hub-1')
    .option('--hub-chain-id <id>', 'make this a side-chain whose packets go through that hub')
    .action((o) => print(initTestnet(o.out, { validators: o.validators, basePort: o.basePort, chainId: o.chainId, hubChainId: o.hubChainId })));

  const nodeOpt = () => new Option('--node <url>', 'RPC URL of a hub node').default(DEFAULT_NODE);
  const query = program.command('query').description('read from a hub node');
  query.command('status').description('chain id, height, validators').addOption(nodeOpt()).action(async (o) => print(await new HubClient(o.node).status()));
  query
    .command('block')
    .description('a block with its header, commit and transactions')
    .argument('[height]', 'height (default: latest)')
    .addOption(nodeOpt())
    .action(async (h, o) => print(await new HubClient(o.node).block(h ? int('height', 1, Number.MAX_SAFE_INTEGER)(h) : 'latest')));
  query
    .command('state')
    .description('a state value, optionally with its Merkle proof')
    .argument('<key>', 'key as 0x hex, or text')
    .option('--height <h>', 'height (default: latest)', int('--height', 1, Number.MAX_SAFE_INTEGER))
    .option('--prove', 'include a membership / non-membership proof')
    .addOption(nodeOpt())
    .action(async (key, o) => print(await new HubClient(o.node).state(isHex(key) ? { hex: key } : { text: key }, { height: o.height, prove: o.prove })));
  query.command('tx').description('a transaction by hash').argument('<hash>').addOption(nodeOpt()).action(async (h, o) => print(await new HubClient(o.node).tx(h)));
  query.command('account').description('an account nonce').argument('<address>').addOption(nodeOpt()).action(async (a, o) => print(await new HubClient(o.node).account(a)));
  query.command('proposal').description('a governance proposal').argument('<id>').addOption(nodeOpt()).action(async (id, o) => print(await new HubClient(o.node).proposal(int('id', 1, Number.MAX_SAFE_INTEGER)(id))));
  query
    .command('validators')
    .description('the validator set at a height')
    .option('--height <h>', 'height', int('--height', 1, Number.MAX_SAFE_INTEGER))
    .addOption(nodeOpt())
    .action(async (o) => print(await new HubClient(o.node).validators(o.height)));

  const deps: CliDeps = { print, operatorKey, nodeOption: nodeOpt };
  addInterchainQueries(query, deps);

  const tx = program.command('tx').description('sign and send transactions with a home directory\'s operator key');
  tx
    .command('record')
    .description('write a record (key/value) under your address')
    .requiredOption('--home <dir>', 'home holding keys/operator_key.json')
    .argument('<key>', 'record key (text)')
    .argument('<value>', 'record value (text)')
    .addOption(nodeOpt())
    .action(async (key, value, o) => print(await new HubClient(o.node).send(operatorKey(o.home), [{ type: 'records/put', entries: [{ key: toHex(utf8(key)), value: toHex(utf8(value)) }] }])));

  const gov = program.command('gov').description('governance: the only way to change validators or governance members');
  gov
    .command('propose-validators')
    .description('propose validator power changes (power 0 removes); effective two blocks after it passes')
    .requiredOption('--home <dir>', 'home of a governance member')
    .requiredOption('--set <pubkey:power...>', 'uncompressed secp256k1 public key and power, e.g. 0x04ab..:10')
    .option('--description <text>', 'why')
    .addOption(nodeOpt())
    .action(async (o) => {
      const updates = (o.set as string[]).map((s) => {
        const [publicKey, power] = s.split(':');
        if (!isHex(publicKey, 65)) throw new InvalidArgumentError(`bad public key in ${s}`);
        return { publicKey, power: int('power', 0, 2 ** 40)(power) };
      });
      print(await new HubClient(o.node).send(operatorKey(o.home), [{ type: 'gov/propose', action: { kind: 'set-validators', updates }, description: o.description }]));
    });
  gov
    .command('vote')
    .description('vote on a proposal')
    .requiredOption('--home <dir>', 'home of a governance member')
    .requiredOption('--proposal <id>', 'proposal id', int('--proposal', 1, Number.MAX_SAFE_INTEGER))
    .option('--reject', 'vote against (default: for)')
    .addOption(nodeOpt())
    .action(async (o) => print(await new HubClient(o.node).send(operatorKey(o.home), [{ type: 'gov/vote', proposalId: o.proposal, approve: !o.reject }])));

  addChainCommands(program, deps);
  addDataCommands(program, deps);

  program
    .command('config')
    .description('configuration files')
    .command('validate')
    .description('check a node home (config.json and genesis.json) and name any bad field')
    .argument('<home>', 'node home directory')
    .action((home) => {
      const h = loadHome(home);
      print({ ok: true, chainId: h.genesis.chainId, moniker: h.config.moniker, validator: !!h.validatorKey });
    });
  return program;
}

/** Parses the command line and runs the command; a PontisError ends the process with its code. */
export async function runCli(program: Command, argv: string[] = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof PontisError) {
      process.stderr.write(`error ${e.code}: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
