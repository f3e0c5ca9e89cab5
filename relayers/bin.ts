/**
 * Stand-alone entry for the relayer commands (`node --import tsx relayers/bin.ts relayer ...`),
 * used by tests and by operators until the hub CLI wires registerRelayerCommands in.
 */
import { Command } from 'commander';
import { registerRelayerCommands } from './cli.ts';

const program = new Command('pontis').showHelpAfterError();
registerRelayerCommands(program);
await program.parseAsync(process.argv);
