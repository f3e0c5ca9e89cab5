/**
 * `pontis chain ...` (the chain registry, changed by governance) and the interchain queries
 * (`pontis query packet|pending|client|chain`). Registry commands submit a `gov/propose` signed
 * with the home's operator key and print the proposal's id and status.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';
import { PontisError, parseSchema } from '../errors.ts';
import { HubClient, parsePacketId } from '../rpc-client/client.ts';
import type { AccountKey } from '../crypto/ed25519.ts';
import type { GovAction } from '../app/tx.ts';
import { loadHome } from '../node/config.ts';
import { createClientRouter } from '../app/client-types.ts';
import { CHAIN_KINDS, type ChainKind } from '../modules/registry/chain-kind.ts';
import type { ClientTypeEnv } from '../modules/clients/types.ts';
import { badOption } from '../modules/clients/cli.ts';

export interface CliDeps {
  print(v: unknown): void;
  operatorKey(home: string): AccountKey;
  /** `--node <url>` with the default hub URL. */
  nodeOption(): Option;
}

const CHAIN_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Client types come from the app's router: each registration says how to register a chain with it. */
const clientTypes = createClientRouter();
const typeEnv: ClientTypeEnv = { pontisRpc: (url) => new HubClient(url) };
const DEFAULT_TRUSTING_PERIOD_MS = 14 * 24 * 3600_000;
const DEFAULT_MAX_CLOCK_DRIFT_MS = 10_000;


const chainIdArg = (name: string) => (v: string) => {
  if (!CHAIN_ID_RE.test(v)) throw new InvalidArgumentError(`${name} must be 1-64 characters of [a-z0-9._-] starting with a letter or digit`);
  return v;
};

const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
  return n;
};

const routesArg = (v: string): string[] => {
  const routes = v.split(',').map((r) => r.trim()).filter((r) => r !== '');
  for (const r of routes) if (r !== '*' && !CHAIN_ID_RE.test(r)) throw new InvalidArgumentError(`--routes: ${JSON.stringify(r)} is neither a chain id nor '*'`);
  if (routes.length > 1000) throw new InvalidArgumentError('--routes: at most 1000 routes');
  return [...new Set(routes)];
};

/** JSON given inline, or `@file` to read it from a file. */
const jsonArg = (name: string) => (v: string) => {
  let src = v;
  if (v.startsWith('@')) {
    try {
      src = readFileSync(v.slice(1), 'utf8');
    } catch (e) {
      throw new InvalidArgumentError(`${name}: cannot read ${v.slice(1)}: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(src) as unknown;
  } catch {
    throw new InvalidArgumentError(`${name} must be JSON (or @file holding JSON)`);
  }
};

const packetIdArg = (v: string) => {
  try {
    return parsePacketId(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

/** Parses with `schema`; a failure names the option and the field. */
function check<S extends z.ZodType>(schema: S, value: unknown, option: string): z.infer<S> {
  return parseSchema(schema, value, ({ path, message }) => badOption(`${option}${path ? ` ${path}` : ''}: ${message}`));
}

/** The RPC URL a home's node serves (what registry commands talk to unless --node is given). */
function homeRpcUrl(home: string): string {
  const { host, port } = loadHome(home).config.rpc;
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** The client's trusted initial state read from the chain's RPC (`--trust-from`), by the client type. */
async function trustFrom(url: string, chainId: string, clientType: string, kind: ChainKind): Promise<{ initial: unknown; height: number }> {
  const hook = clientTypes.registration(clientType).cli.trustFrom;
  if (!hook) throw badOption(`--client-type ${clientType} cannot read a trust root; give --initial`);
  try {
    return await hook(url, chainId, kind, typeEnv);
  } catch (e) {
    if (e instanceof PontisError && (e.code === 'PNT_ERR_TRUST_ROOT_CHAIN' || e.code === 'PNT_ERR_TRUST_ROOT_EMPTY')) throw badOption(`--trust-from ${e.message}`);
    if (e instanceof PontisError && e.code !== 'PNT_ERR_CLI_BAD_OPTION') throw new PontisError(e.code, `--trust-from ${url}: ${e.message}`, { cause: e, retryable: e.retryable });
    throw e;
  }
}

export interface ProposeOpts {
  home: string;
  node?: string;
  description?: string;
}

/** Submits a governance action as a proposal signed by the home's operator key and prints its id and status (and what the other members run). */
export async function proposeAction(d: CliDeps, o: ProposeOpts, action: GovAction, shown: Record<string, unknown> = action): Promise<void> {
  const key = d.operatorKey(o.home);
  const client = new HubClient(o.node ?? homeRpcUrl(o.home));
  const r = await client.send(key, [{ type: 'gov/propose', action, ...(o.description ? { description: o.description } : {}) }]);
  if (r.result.code !== 'ok') throw new PontisError(r.result.code, `proposal refused: ${r.result.log ?? r.result.code}`);
  const id = Number(r.result.events.find((e) => e.type === 'gov/proposed')?.attributes.id);
  const p = await client.proposal(id);
  const out: Record<string, unknown> = { proposal: id, status: p.status, action: shown, tx: r.hash, height: r.height };
  if (p.result) out.result = p.result;
  if (p.status === 'voting') out.next = `passes at > 2/3 of governance weight: other members run "pontis gov vote --home <their home> --proposal ${id}"`;
  d.print(out);
  if (p.status === 'failed' || p.status === 'rejected') process.exitCode = 1;
}

export function addChainCommands(program: Command, d: CliDeps): void {
  const propose = (o: ProposeOpts, action: GovAction, shown?: Record<string, unknown>) => proposeAction(d, o, action, shown);

  const homeOpt = () => new Option('--home <dir>', 'home of a governance member (its keys/operator_key.json signs)').makeOptionMandatory();
  const nodeOpt = () => new Option('--node <url>', "RPC URL of the chain to change (default: the home's own node)");
  const chainOpt = () => new Option('--chain-id <id>', 'chain id of the connected chain').argParser(chainIdArg('--chain-id')).makeOptionMandatory();
  const withCommon = (c: Command) => c.addOption(homeOpt()).addOption(nodeOpt()).option('--description <text>', 'why (stored with the proposal)');

  const chain = program.command('chain').description('the chain registry: connect, pause, resume and retire chains by governance');

  withCommon(
    chain
      .command('register')
      .description('propose connecting a chain: registry entry, light client and allowed routes')
      .addOption(chainOpt())
      .addOption(new Option('--kind <kind>', 'what the chain runs').choices(CHAIN_KINDS).makeOptionMandatory())
      .addOption(new Option('--client-type <type>', 'light client type that verifies it').choices(clientTypes.typeNames()).makeOptionMandatory())
      .requiredOption('--routes <list>', "comma-separated destination chain ids it may send to, or '*' for any registered chain", routesArg)
      .option('--trust-from <url>', "RPC URL of the (pontis) chain: its latest header and validator sets become the client's trusted initial state")
      .option('--params <json>', `client parameters as JSON or @file, over the defaults {"trustingPeriodMs": ${DEFAULT_TRUSTING_PERIOD_MS}, "maxClockDriftMs": ${DEFAULT_MAX_CLOCK_DRIFT_MS}}`, jsonArg('--params'))
      .option('--initial <json>', 'trusted initial client state as JSON or @file (instead of --trust-from)', jsonArg('--initial')),
  ).action(async (o) => {
    const kind = o.kind as ChainKind;
    const clientType = o.clientType as string;
    const reg = clientTypes.registration(clientType);
    if (!reg.chainKinds.includes(kind)) {
      const alternatives = clientTypes.registrations().filter((r) => r.chainKinds.includes(kind)).map((r) => r.module.type);
      throw badOption(`--client-type ${clientType} verifies ${reg.chainKinds.join(', ')} chains only; for --kind ${kind} use --client-type ${alternatives.join(' or ')}`);
    }
    if ((o.trustFrom === undefined) === (o.initial === undefined)) throw badOption('give exactly one of --trust-from or --initial');
    if (o.params !== undefined && (typeof o.params !== 'object' || o.params === null || Array.isArray(o.params))) throw badOption('--params must be a JSON object');
    const defaults: Record<string, unknown> = { trustingPeriodMs: DEFAULT_TRUSTING_PERIOD_MS, maxClockDriftMs: DEFAULT_MAX_CLOCK_DRIFT_MS, ...reg.cli.defaultParams?.(kind) };
    const clientParams = check(reg.schemas.params, { ...defaults, ...(o.params as object | undefined) }, '--params');
    let clientInitial: unknown;
    let trustedHeight: number | undefined;
    if (o.trustFrom !== undefined) {
      const t = await trustFrom(o.trustFrom, o.chainId, clientType, kind);
      clientInitial = t.initial;
      trustedHeight = t.height;
    } else {
      clientInitial = check(reg.schemas.initial, o.initial, '--initial');
      trustedHeight = reg.cli.trustedHeight(clientInitial);
    }
    const action = { kind: 'registry/register-chain', chainId: o.chainId, chainKind: kind, clientType, clientParams, clientInitial, routes: o.routes as string[] };
    await propose(o, action, { kind: action.kind, chainId: o.chainId, chainKind: kind, clientType, clientParams, routes: action.routes, trustedHeight });
  });

  for (const [verb, kind, what] of [
    ['pause', 'registry/pause-chain', 'propose pausing a chain: its packets wait until it resumes'],
    ['resume', 'registry/resume-chain', 'propose resuming a paused chain'],
    ['retire', 'registry/retire-chain', 'propose retiring a chain for good'],
  ] as const) {
    withCommon(chain.command(verb).description(what).addOption(chainOpt())).action((o) => propose(o, { kind, chainId: o.chainId }));
  }
  for (const [verb, kind, what] of [
    ['pause-route', 'registry/pause-route', 'propose pausing one route (src -> dst): its packets wait until it resumes'],
    ['resume-route', 'registry/resume-route', 'propose resuming a paused route'],
  ] as const) {
    withCommon(
      chain
        .command(verb)
        .description(what)
        .addOption(new Option('--src <chainId>', 'source chain of the route').argParser(chainIdArg('--src')).makeOptionMandatory())
        .addOption(new Option('--dst <chainId>', 'destination chain of the route').argParser(chainIdArg('--dst')).makeOptionMandatory()),
    ).action((o) => propose(o, { kind, srcChain: o.src, dstChain: o.dst }));
  }

  chain
    .command('list')
    .description('registered chains with their status and client summary')
    .option('--limit <n>', 'at most this many (1..1000)', intArg('--limit', 1, 1000))
    .addOption(d.nodeOption())
    .action(async (o) => d.print(await new HubClient(o.node).chains({ limit: o.limit })));
}

export function addInterchainQueries(query: Command, d: CliDeps): void {
  query
    .command('packet')
    .description('what this chain recorded about a packet: state, ack, heights and tx hashes of each step, and its keys here')
    .argument('<id>', 'srcChain/srcApp/dstChain/dstApp/sequence', packetIdArg)
    .addOption(d.nodeOption())
    .action(async (id, o) => d.print(await new HubClient(o.node).packet(id)));
  query
    .command('pending')
    .description('packets from --src to --dst whose commitment is still outstanding on this chain')
    .addOption(new Option('--src <chainId>', 'source chain').argParser(chainIdArg('--src')).makeOptionMandatory())
    .addOption(new Option('--dst <chainId>', 'destination chain').argParser(chainIdArg('--dst')).makeOptionMandatory())
    .option('--limit <n>', 'at most this many (1..1000, default 100)', intArg('--limit', 1, 1000))
    .addOption(d.nodeOption())
    .action(async (o) => d.print(await new HubClient(o.node).pendingPackets(o.src, o.dst, { limit: o.limit })));
  query
    .command('client')
    .description("this chain's light client of a connected chain: record, status (active|frozen|expired), latest consensus state")
    .argument('<chainId>', 'connected chain', chainIdArg('chainId'))
    .addOption(d.nodeOption())
    .action(async (id, o) => d.print(await new HubClient(o.node).clientStatus(id)));
  query
    .command('chain')
    .description('a registry entry with its client status and paused routes; every entry when chainId is omitted')
    .argument('[chainId]', 'connected chain (default: list all)', chainIdArg('chainId'))
    .option('--limit <n>', 'list at most this many (1..1000)', intArg('--limit', 1, 1000))
    .addOption(d.nodeOption())
    .action(async (id: string | undefined, o) => {
      const c = new HubClient(o.node);
      d.print(id === undefined ? await c.chains({ limit: o.limit }) : await c.chain(id));
    });
}
