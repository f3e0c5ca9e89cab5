/**
 * The `pontis` command: the hub's commands, the relayer's and the devnet's. The one place the
 * packages meet (hub-chain depends on none of the others).
 */
import { hubProgram, runCli } from '../hub-chain/cli/main.ts';
import { registerRelayerCommands } from '../relayers/cli.ts';
import { registerDevnetCommand } from '../devnet/cli.ts';

const program = hubProgram();
registerDevnetCommand(program);
registerRelayerCommands(program);
await runCli(program);
