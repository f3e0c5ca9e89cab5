/**
 * `pontis relayer ...` commands (noun/verb): `relayer start --config FILE` and
 * `relayer config validate FILE`. The hub CLI wires them in with registerRelayerCommands.
 */
import type { Command } from 'commander';
import { stopOnSignals } from '../hub-chain/cli/process.ts';
import { PontisError } from '../hub-chain/errors.ts';
// The relayer's modules (BullMQ, ethers, the adapters) load only when a relayer command runs,
// so that other commands (a validator's `node start`) start fast.

const print = (v: unknown): void => {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
};

function fail(e: unknown): never {
  const body = e instanceof PontisError ? { error: e.toJSON() } : { error: { code: 'PNT_ERR_UNEXPECTED', message: (e as Error).message } };
  process.stderr.write(JSON.stringify(body, null, 2) + '\n');
  process.exit(1);
}

export function registerRelayerCommands(program: Command): Command {
  const relayer = program.command('relayer').description('relay packets, acknowledgements and timeouts between side-chains and the hub');
  relayer
    .command('start')
    .description('run a relayer worker (scanners, job workers, clearing, ops API) from a config file')
    .requiredOption('--config <file>', 'relayer config (YAML or JSON)')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--exit-with-parent', 'stop when the parent process goes away (used by tests)')
    .action(async (o: { config: string; logLevel: string; exitWithParent?: boolean }) => {
      let running: Awaited<ReturnType<typeof import('./run.ts').startRelayer>>;
      try {
        const [{ loadRelayerConfig }, { startRelayer }, { default: pino }] = await Promise.all([import('./config.ts'), import('./run.ts'), import('pino')]);
        const cfg = loadRelayerConfig(o.config);
        running = await startRelayer(cfg, { logger: pino({ level: o.logLevel }) });
      } catch (e) {
        fail(e);
      }
      stopOnSignals(() => running.close(), { exitWithParent: o.exitWithParent });
    });
  const config = relayer.command('config').description('relayer configuration');
  config
    .command('validate')
    .description('check a relayer config file (and that every signer reference resolves); errors name the field')
    .argument('<file>', 'relayer config (YAML or JSON)')
    .option('--no-signers', 'do not resolve signer references')
    .action(async (file: string, o: { signers: boolean }) => {
      try {
        const [{ loadRelayerConfig, resolveSigners }, { defaultPathKinds }] = await Promise.all([import('./config.ts'), import('./paths/registry.ts')]);
        const kinds = defaultPathKinds();
        const cfg = loadRelayerConfig(file, kinds);
        const signers = o.signers ? kinds.signerAddresses(cfg, resolveSigners(cfg)) : undefined;
        print({ ok: true, hub: cfg.hub.chainId, chains: cfg.chains.map((c) => c.id), paths: cfg.paths.map((p) => p.id), ...(signers ? { signers } : {}) });
      } catch (e) {
        fail(e);
      }
    });
  return relayer;
}
