/**
 * Relayer configuration: a zod schema first, its types inferred from it. Strict everywhere
 * (an unknown field is a typo an operator wants to hear about); signer keys are referenced
 * (an environment variable or a file), never written in the config, never logged.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { accountKeyFromSeed, type AccountKey } from '../hub-chain/crypto/ed25519.ts';
import { fromHex } from '../hub-chain/crypto/bytes.ts';
import { parseSchema } from '../hub-chain/errors.ts';
import { RelayerConfigError } from './errors.ts';

// ':' separates Redis key parts and is refused in BullMQ job ids, which embed these names
const NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (no ":" or "/"), at most 64');
const HTTP_URL = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const EVM_ADDRESS = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address (0x...)');
const REDIS_URL = z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' });

const SignerRef = z.union([z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }), z.strictObject({ file: z.string().min(1) })]);
/** One reference or several; each referenced value holds one or more hex seeds (comma or whitespace separated). */
const Signer = z.union([SignerRef, z.array(SignerRef).min(1)]);

/**
 * What the relayer's light client of a Pontis chain starts from: a height and its header hash
 * obtained out of band. Without it the node's latest header is trusted on first use (and logged).
 */
const TrustRoot = z.strictObject({ height: z.int().min(1), hash: z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte lower-case hex header hash (0x...)') });
/** Check block events and transaction outcomes against verified headers (resultsHash) rather than trusting the node. */
const VERIFY_RESULTS = z.boolean().default(true);

export const RelayerConfigSchema = z
  .strictObject({
    hub: z.strictObject({ chainId: NAME, rpc: HTTP_URL, signer: Signer, trust: TrustRoot.optional(), verifyResults: VERIFY_RESULTS }),
    chains: z
      .array(
        z.discriminatedUnion('kind', [
          z.strictObject({ id: NAME, kind: z.literal('pontis'), rpc: HTTP_URL, signer: Signer, trust: TrustRoot.optional(), verifyResults: VERIFY_RESULTS }),
          z.strictObject({
            id: NAME,
            kind: z.literal('evm'),
            rpc: HTTP_URL,
            /** EIP-155 chain id the RPC must report. */
            evmChainId: z.int().min(1),
            gateway: EVM_ADDRESS,
            /** PontisClient: the hub's light client on this chain. */
            hubClient: EVM_ADDRESS,
            /** secp256k1 private keys (hex), one nonce sequence each. */
            signer: Signer,
          }),
        ]),
      )
      .min(1),
    paths: z.array(z.strictObject({ id: NAME, chain: NAME, hub: NAME })).min(1),
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

export type RelayerConfig = z.infer<typeof RelayerConfigSchema>;
export type RelayerConfigInput = z.input<typeof RelayerConfigSchema>;
export type ChainConfig = RelayerConfig['chains'][number];
export type EvmChainConfig = Extract<ChainConfig, { kind: 'evm' }>;
export type PathConfig = RelayerConfig['paths'][number];
export type SignerConfig = z.infer<typeof Signer>;

/** Validates a parsed config; the error names the first bad field (details.field) and lists every issue. */
export function validateRelayerConfig(raw: unknown): RelayerConfig {
  // `field` names an unknown key itself (zod reports it at its parent) so the operator finds the typo
  return parseSchema(RelayerConfigSchema, raw, (first, all) => {
    const issues = all.map(({ field, message }) => ({ field, message }));
    return new RelayerConfigError('PNT_ERR_CONFIG_INVALID', `relayer config: ${first.field}: ${first.message}`, { details: { field: first.field, issues } });
  });
}

/** Reads a YAML or JSON file (JSON is YAML) and validates it. */
export function loadRelayerConfig(file: string): RelayerConfig {
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
  return validateRelayerConfig(raw);
}

/**
 * Resolves signer references to the 32-byte hex keys they hold (ed25519 seeds for the hub and
 * Pontis chains, secp256k1 private keys for EVM chains). The only place the relayer reads the
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

/** A signer reference resolved to ed25519 account keys (the hub, Pontis chains). */
export function resolveSigner(signer: SignerConfig, field: string, env: NodeJS.ProcessEnv = process.env): AccountKey[] {
  return resolveSignerKeys(signer, field, env).map((hex) => accountKeyFromSeed(fromHex(hex, 32)));
}

/** What the relayer signs with: ed25519 keys for the hub and Pontis chains, secp256k1 private keys (hex) for EVM chains. */
export interface RelayerSigners {
  pontis: Map<string, AccountKey[]>;
  evm: Map<string, string[]>;
}

/** Every chain's signing keys by chain id (the hub included). */
export function resolveSigners(cfg: RelayerConfig, env: NodeJS.ProcessEnv = process.env): RelayerSigners {
  const pontis = new Map<string, AccountKey[]>([[cfg.hub.chainId, resolveSigner(cfg.hub.signer, 'hub.signer', env)]]);
  const evm = new Map<string, string[]>();
  cfg.chains.forEach((c, i) => {
    if (c.kind === 'evm') evm.set(c.id, resolveSignerKeys(c.signer, `chains.${i}.signer`, env));
    else pontis.set(c.id, resolveSigner(c.signer, `chains.${i}.signer`, env));
  });
  return { pontis, evm };
}
