/**
 * A node's home directory: config.json (schema below), genesis.json, keys/, data/.
 * Only this module reads files to configure a node; errors name the bad field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PontisError, parseSchema } from '../errors.ts';
import { type Genesis, parseGenesis } from '../app/genesis.ts';
import { DEFAULT_TIMEOUTS } from '../consensus/types.ts';
import { DEFAULT_MEMPOOL } from '../app/mempool.ts';
import { type Bytes, fromHex } from '../crypto/bytes.ts';
import { createClientRouter } from '../app/client-types.ts';
import type { ChainKind } from '../modules/registry/chain-kind.ts';

/** One `observers` entry shape per chain kind a registered client type can observe. */
const observerConfigSchemas = (): z.ZodObject[] => [...createClientRouter().observers().values()].map((o) => o.configSchema);

export class ConfigError extends PontisError {
  override name = 'ConfigError';
}

const port = z.number().int().min(1).max(65535);
export const STATESYNC_DEFAULTS = { enable: true, snapshotInterval: 1000, keepSnapshots: 2, discoveryMs: 5000, trustingPeriodMs: 14 * 24 * 3600 * 1000 };
const ms = z.number().int().min(1).max(600_000);

export const nodeConfigSchema = z.strictObject({
  moniker: z.string().min(1).max(64).default('pontis-node'),
  rpc: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port,
      /** Body limit of every route but POST /txs/batch (one transaction is at most 1 MiB). */
      bodyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(2 * 1024 * 1024),
      batchBodyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
      maxConnections: z.number().int().min(1).max(1_000_000).default(1024),
      /** Requests per second per client address (token bucket); 0 disables the limit. */
      rateLimitPerSec: z.number().int().min(0).default(1000),
      rateBurst: z.number().int().min(1).default(2000),
      headersTimeoutMs: ms.default(10_000),
      /** Whole request (headers and body) must arrive within this. */
      requestTimeoutMs: ms.default(30_000),
      keepAliveTimeoutMs: ms.default(20_000),
      maxJsonDepth: z.number().int().min(1).max(10_000).default(64),
      /** Transactions (and mempool lookups) handed to the consensus thread and not yet answered. */
      maxInFlightTxs: z.number().int().min(1).default(20_000),
      /** Nice value of the RPC worker thread (Linux): RPC load yields the CPU to consensus. */
      nice: z.number().int().min(0).max(19).default(10),
    })
    .refine((r) => r.headersTimeoutMs <= r.requestTimeoutMs, { path: ['headersTimeoutMs'], message: 'must not exceed rpc.requestTimeoutMs' }),
  p2p: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port,
    peers: z.array(z.string().regex(/^wss?:\/\/[^\s/]+(\/.*)?$/, 'must be a ws:// or wss:// URL')).default([]),
    /** Largest peer message; unset: derived from genesis params.maxBlockBytes (see peerMessageLimit). */
    maxMessageBytes: z.number().int().min(1024).optional(),
    maxInboundPeers: z.number().int().min(1).max(10_000).default(64),
    /** Per-link budget of what a peer may send (token buckets; burst = 2 s worth). */
    maxMessagesPerSec: z.number().int().min(1).default(2000),
    maxBytesPerSec: z.number().int().min(1024).default(64 * 1024 * 1024),
    /** A link whose outbound buffer passes this (a peer reading too slowly) is closed; unset: 4 x maxMessageBytes. */
    maxBufferedBytes: z.number().int().min(1024).optional(),
  }),
  consensus: z
    .strictObject({
      proposeMs: ms.default(DEFAULT_TIMEOUTS.proposeMs),
      proposeDeltaMs: ms.default(DEFAULT_TIMEOUTS.proposeDeltaMs),
      prevoteMs: ms.default(DEFAULT_TIMEOUTS.prevoteMs),
      prevoteDeltaMs: ms.default(DEFAULT_TIMEOUTS.prevoteDeltaMs),
      precommitMs: ms.default(DEFAULT_TIMEOUTS.precommitMs),
      precommitDeltaMs: ms.default(DEFAULT_TIMEOUTS.precommitDeltaMs),
      commitMs: z.number().int().min(0).max(600_000).default(DEFAULT_TIMEOUTS.commitMs),
      /** Idle, a block at most this often (ms; 0: a block every height at once, empty or not). */
      emptyBlocksIntervalMs: z.number().int().min(0).max(3_600_000).default(0),
    })
    .default({ ...DEFAULT_TIMEOUTS, emptyBlocksIntervalMs: 0 }),
  mempool: z
    .strictObject({
      maxTxs: z.number().int().min(1).default(DEFAULT_MEMPOOL.maxTxs),
      maxBytes: z.number().int().min(1024).default(DEFAULT_MEMPOOL.maxBytes),
      maxPerSender: z.number().int().min(1).default(DEFAULT_MEMPOOL.maxPerSender),
      /** 0 refuses every transaction above a nonce gap. */
      maxFuturePerSender: z.number().int().min(0).default(DEFAULT_MEMPOOL.maxFuturePerSender),
      futureNonceWindow: z.number().int().min(1).default(DEFAULT_MEMPOOL.futureNonceWindow),
      futureTtlMs: z.number().int().min(100).max(3_600_000).default(DEFAULT_MEMPOOL.futureTtlMs),
      ttlMs: z.number().int().min(1000).max(7 * 24 * 3_600_000).default(DEFAULT_MEMPOOL.ttlMs),
    })
    .default(DEFAULT_MEMPOOL),
  storage: z.strictObject({ retainVersions: z.number().int().min(0).default(0) }).default({ retainVersions: 0 }),
  /** Snapshots this node makes for others, and whether an empty node restores one instead of replaying from genesis. */
  statesync: z
    .strictObject({
      enable: z.boolean().default(STATESYNC_DEFAULTS.enable),
      /** Write a state snapshot every N heights (0: never). */
      snapshotInterval: z.number().int().min(0).default(STATESYNC_DEFAULTS.snapshotInterval),
      keepSnapshots: z.number().int().min(1).max(100).default(STATESYNC_DEFAULTS.keepSnapshots),
      discoveryMs: ms.default(STATESYNC_DEFAULTS.discoveryMs),
      /** How long a verified header vouches for its validators (keep it below their unbonding time). */
      trustingPeriodMs: z.number().int().min(1).default(STATESYNC_DEFAULTS.trustingPeriodMs),
      /** Trust root other than genesis: a height and its header hash obtained out of band (both or neither). */
      trustHeight: z.number().int().min(1).optional(),
      trustHash: z.string().regex(/^0x[0-9a-f]{64}$/, 'must be a 0x-prefixed 32-byte lower-case hex hash').optional(),
    })
    .refine((s) => (s.trustHeight === undefined) === (s.trustHash === undefined), { message: 'trustHeight and trustHash go together', path: ['trustHash'] })
    .default(STATESYNC_DEFAULTS),
  /** Chains this validator watches for `attested` clients: it signs a vote for their finalized headers. */
  observers: z
    .array(z.discriminatedUnion('kind', observerConfigSchemas() as unknown as [z.ZodObject, ...z.ZodObject[]]))
    .default([]),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info') }).default({ level: 'info' }),
});
export type NodeConfig = Omit<z.infer<typeof nodeConfigSchema>, 'observers'> & { observers: ObserverConfig[] };
/** The fields every observer entry has (its kind's plug-in adds its own). */
export interface ObserverConfig {
  chainId: string;
  kind: ChainKind;
  rpc: string;
  intervalMs: number;
  stride: number;
  [field: string]: unknown;
}

export function parseNodeConfig(raw: unknown, source = 'config'): NodeConfig {
  return parseSchema(nodeConfigSchema, raw, (i) => {
    const field = i.path || '(root)';
    return new ConfigError('PNT_ERR_CONFIG_INVALID', `${source}: field "${field}": ${i.message}`, { details: { field } });
  }) as NodeConfig;
}

export interface ValidatorKeyFile {
  address: string;
  publicKey: string;
  secretKey: string;
}
export interface OperatorKeyFile {
  address: string;
  publicKey: string;
  seed: string;
}

export interface Home {
  dir: string;
  config: NodeConfig;
  genesis: Genesis;
  validatorKey: Bytes | undefined;
  operatorKey: OperatorKeyFile | undefined;
}

export const paths = (dir: string) => ({
  config: join(dir, 'config.json'),
  genesis: join(dir, 'genesis.json'),
  validatorKey: join(dir, 'keys', 'validator_key.json'),
  operatorKey: join(dir, 'keys', 'operator_key.json'),
  data: join(dir, 'data'),
  privValidatorState: join(dir, 'data', 'priv_validator_state.json'),
});

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new ConfigError('PNT_ERR_CONFIG_MISSING', `missing ${file} (run "pontis node init" or "pontis testnet init")`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('PNT_ERR_CONFIG_INVALID', `${file} is not valid JSON`, { cause: e });
  }
}

export function loadHome(dir: string): Home {
  const p = paths(dir);
  const config = parseNodeConfig(readJson(p.config), p.config);
  const genesis = parseGenesis(readJson(p.genesis));
  const vk = existsSync(p.validatorKey) ? (readJson(p.validatorKey) as ValidatorKeyFile) : undefined;
  const ok = existsSync(p.operatorKey) ? (readJson(p.operatorKey) as OperatorKeyFile) : undefined;
  return { dir, config, genesis, validatorKey: vk ? fromHex(vk.secretKey, 32) : undefined, operatorKey: ok };
}
