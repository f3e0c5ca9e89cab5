/**
 * `pontis relayer ...` commands (noun/verb): `relayer start --config FILE`,
 * `relayer config validate FILE` and `relayer cosign` (a hub validator's Substrate co-signer). The hub CLI wires them in with registerRelayerCommands.
 */
import type { Command } from 'commander';
import { stopOnSignals } from '../hub-chain/cli/process.ts';
import { PontisError, errFields } from '../hub-chain/errors.ts';
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
  relayer
    .command('cosign')
    .description('co-sign deliveries into a Substrate chain as one hub validator (relayers/paths/substrate/DELIVERY.md): one hub block with --height, or every block from --from on')
    .requiredOption('--hub-rpc <url>', "this validator's own hub node")
    .requiredOption('--substrate <url>', 'ws(s):// endpoint of the Substrate chain')
    .requiredOption('--chain <id>', "the Substrate chain's id on the hub")
    .requiredOption('--signatories <list>', 'comma-separated SS58 addresses of every validator key in the delivery multisig')
    .requiredOption('--threshold <n>', 'approvals the multisig needs (more than 2/3 of the signatories)')
    .requiredOption('--key-env <var>', "environment variable holding this validator's Substrate secret URI (never on the command line)")
    .option('--height <h>', 'co-sign the batch of this hub block and exit')
    .option('--from <h>', 'follow the hub from this block on')
    .option('--call-hash <hex>', "with --height: a call hash another party proposed; refused unless this node's state gives it")
    .option('--index-file <file>', "where to keep, across restarts, the multisig's receipts and timeout records and this co-signer's open approvals (without it, a restart records no timeouts while an approval of it is open)")
    .option('--from-block <n>', 'first Substrate block to scan for the multisig\'s deliveries', '1')
    .option('--hub-chain <id>', "the hub's chain id", 'pontis-hub-1')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (o: { hubRpc: string; substrate: string; chain: string; signatories: string; threshold: string; keyEnv: string; height?: string; from?: string; callHash?: string; indexFile?: string; fromBlock: string; hubChain: string; logLevel: string }) => {
      try {
        const [{ RpcEndpoint }, { SubstrateWriter }, { Cosigner, DeliveredIndex, followHub, multisigAccount }, { default: pino }] = await Promise.all([
          import('./paths/pontis/rpc-endpoint.ts'),
          import('../adapters/substrate/writer.ts'),
          import('./paths/substrate/cosigner.ts'),
          import('pino'),
        ]);
        const secret = process.env[o.keyEnv];
        if (!secret) throw new PontisError('PNT_ERR_CONFIG_SIGNER', `environment variable ${o.keyEnv} is not set`);
        if ((o.height === undefined) === (o.from === undefined)) throw new PontisError('PNT_ERR_CLI_BAD_OPTION', 'give exactly one of --height and --from');
        const logger = pino({ level: o.logLevel });
        const hub = new RpcEndpoint(o.hubChain, o.hubRpc);
        const writer = new SubstrateWriter({ url: o.substrate, chainId: o.chain, signer: secret, logger });
        const multisig = { signatories: o.signatories.split(',').map((a) => a.trim()).filter(Boolean), threshold: Number(o.threshold) };
        const index = new DeliveredIndex(writer, multisigAccount(multisig), { fromHeight: Number(o.fromBlock), file: o.indexFile });
        const cosigner = new Cosigner({ hub, chainId: o.chain, writer, multisig, index, logger });
        if (o.height !== undefined) {
          try {
            print(await cosigner.cosign(Number(o.height), o.callHash ? { callHash: o.callHash as `0x${string}` } : {}));
          } finally {
            await writer.close();
          }
          return;
        }
        const stop = new AbortController();
        const done = followHub(cosigner, hub, {
          from: Number(o.from),
          signal: stop.signal,
          onHeight: (height, r) => (r instanceof Error ? logger.warn({ ...errFields(r), height }, 'co-signing failed') : r.status !== 'nothing-due' && logger.info({ ...r }, 'co-signed')),
        });
        stopOnSignals(async () => {
          stop.abort();
          await done;
          await writer.close();
        });
      } catch (e) {
        fail(e);
      }
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
