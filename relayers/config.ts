/**
 * Relayer configuration: a zod schema first, its types inferred from it; each `chains[]` entry is
 * the schema of its chain kind (paths/registry.ts). Strict everywhere
 * (an unknown field is a typo an operator wants to hear about); signer keys are referenced
 * (an environment variable or a file), never written in the config, never logged.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseSchema } from '../hub-chain/errors.ts';
import { RelayerConfigError } from './errors.ts';
import { type PathKindRegistry, defaultPathKinds } from './paths/registry.ts';
import { Jitter, NAME, RPC_URLS, Signer, type SignerConfig, TrustRoot, VERIFY_RESULTS } from './schema.ts';

export type { ChainConfig, SignerConfig } from './schema.ts';

const REDIS_URL = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' });

/** The relayer config schema; each `chains[]` entry is checked by the schema of its kind. */
export function relayerConfigSchema(kinds: PathKindRegistry = defaultPathKinds()) {
  return z
    .strictObject({
      hub: z.strictObject({ chainId: NAME, rpc: RPC_URLS, signer: Signer, trust: TrustRoot.optional(), verifyResults: VERIFY_RESULTS }),
      chains: z.array(kinds.chainSchema()).min(1),
      /** This relayer operator's name: the `operator` label of its metrics (default: the Redis prefix, one per operator). */
      operator: NAME.optional(),
      /** `jitter` overrides tuning.jitter for a hot path. */
      paths: z.array(z.strictObject({ id: NAME, chain: NAME, hub: NAME, jitter: Jitter.optional() })).min(1),
      redis: z.strictObject({ url: REDIS_URL, prefix: NAME.default('pontis-relayer') }),
      tuning: z
        .strictObject({
          batchSize: z.int().min(1).max(1000).default(50),
          concurrency: z.int().min(1).max(256).default(4),
          clearIntervalMs: z.int().min(100).default(60_000),
          backoffMs: z.int().min(10).default(1000),
          maxAttempts: z.int().min(1).max(100).default(8),
          /** Blocks scanned back from the tip when Redis has no cursor for a path (lost or new). */
          lookbackBlocks: z.int().min(0).default(1000),
          scanIntervalMs: z.int().min(50).default(500),
          /** BullMQ job lock: a job held by a killed worker is picked up again after about this long. */
          lockMs: z.int().min(1000).default(15_000),
          /** Update a destination's client when it lags the source by more than this many blocks. */
          clientRefreshBlocks: z.int().min(1).default(5000),
          /** An RPC endpoint more than this many blocks below the best endpoint of its chain (or its own peers) is skipped. */
          maxLagBlocks: z.int().min(0).max(10_000).default(5),
          /** How often every RPC endpoint is probed for health (its node's /status). */
          probeIntervalMs: z.int().min(100).max(600_000).default(1000),
          /**
           * Delivery jobs (packets, acks, timeouts) wait a random time in [minMs, maxMs] before they
           * run; the job then re-checks the destination and drops what another operator delivered.
           * None by default.
           */
          jitter: Jitter.optional(),
        })
        .prefault({}),
      api: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.int().min(0).max(65535).default(3001) }).prefault({}),
    })
    .superRefine((c, ctx) => {
      const ids = new Set<string>();
      c.chains.forEach((ch, i) => {
        if (ch.id === c.hub.chainId || ids.has(ch.id)) ctx.addIssue({ code: 'custom', path: ['chains', i, 'id'], message: `duplicate chain id ${ch.id}` });
        ids.add(ch.id);
      });
      const pathIds = new Set<string>();
      c.paths.forEach((p, i) => {
        if (pathIds.has(p.id)) ctx.addIssue({ code: 'custom', path: ['paths', i, 'id'], message: `duplicate path id ${p.id}` });
        pathIds.add(p.id);
        if (!ids.has(p.chain)) ctx.addIssue({ code: 'custom', path: ['paths', i, 'chain'], message: `unknown chain ${p.chain}` });
        if (p.hub !== c.hub.chainId) ctx.addIssue({ code: 'custom', path: ['paths', i, 'hub'], message: `unknown hub ${p.hub} (the hub is ${c.hub.chainId})` });
      });
    });
}

type Schema = ReturnType<typeof relayerConfigSchema>;
export type RelayerConfig = z.infer<Schema>;
export type RelayerConfigInput = z.input<Schema>;
export type PathConfig = RelayerConfig['paths'][number];

/** Validates a parsed config; the error names the first bad field (details.field) and lists every issue. */
export function validateRelayerConfig(raw: unknown, kinds?: PathKindRegistry): RelayerConfig {
  // `field` names an unknown key itself (zod reports it at its parent) so the operator finds the typo
  return parseSchema(relayerConfigSchema(kinds), raw, (first, all) => {
    const issues = all.map(({ field, message }) => ({ field, message }));
    return new RelayerConfigError('PNT_ERR_CONFIG_INVALID', `relayer config: ${first.field}: ${first.message}`, { details: { field: first.field, issues } });
  });
}

/** Reads a YAML or JSON file (JSON is YAML) and validates it. */
export function loadRelayerConfig(file: string, kinds?: PathKindRegistry): RelayerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RelayerConfigError('PNT_ERR_CONFIG_MISSING', `cannot read relayer config ${file}`, { cause: e, details: { file } });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new RelayerConfigError('PNT_ERR_CONFIG_INVALID', `relayer config ${file} is not valid YAML or JSON`, { cause: e, details: { field: '(root)', file } });
  }
  return validateRelayerConfig(raw, kinds);
}

/**
 * Resolves signer references to the 32-byte hex keys they hold (what they are, an ed25519 seed
 * or a secp256k1 private key, is the chain kind's business). The only place the relayer reads the
 * environment; errors name the reference (variable or file), never the value.
 */
export function resolveSignerKeys(signer: SignerConfig, field: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const refs = Array.isArray(signer) ? signer : [signer];
  const keys: string[] = [];
  for (const ref of refs) {
    let value: string | undefined;
    const where = 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
    if ('env' in ref) value = env[ref.env];
    else {
      try {
        value = readFileSync(ref.file, 'utf8');
      } catch (e) {
        throw new RelayerConfigError('PNT_ERR_CONFIG_SIGNER', `${field}: cannot read signer ${where}`, { cause: e, details: { field } });
      }
    }
    const seeds = (value ?? '').split(/[\s,]+/).filter(Boolean);
    if (!seeds.length) throw new RelayerConfigError('PNT_ERR_CONFIG_SIGNER', `${field}: signer ${where} is empty or unset`, { details: { field } });
    for (const s of seeds) {
      const hex = s.startsWith('0x') ? s.toLowerCase() : `0x${s.toLowerCase()}`;
      if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new RelayerConfigError('PNT_ERR_CONFIG_SIGNER', `${field}: signer ${where} must hold 32-byte hex keys`, { details: { field } });
      keys.push(hex);
    }
  }
  return keys;
}

/** Every chain's signing keys (hex) by chain id, the hub included. */
export type RelayerSigners = Map<string, string[]>;

export function resolveSigners(cfg: RelayerConfig, env: NodeJS.ProcessEnv = process.env): RelayerSigners {
  const keys: RelayerSigners = new Map([[cfg.hub.chainId, resolveSignerKeys(cfg.hub.signer, 'hub.signer', env)]]);
  cfg.chains.forEach((c, i) => keys.set(c.id, resolveSignerKeys(c.signer, `chains.${i}.signer`, env)));
  return keys;
}
