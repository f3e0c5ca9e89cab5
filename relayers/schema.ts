/**
 * Config atoms every part of the relayer config is built from (names, URLs, signer references,
 * trust roots): the shared schema in config.ts and each chain kind's own `chains[]` entry use
 * them, so a kind's config reads like the rest. zod only.
 */
import { z } from 'zod';

// ':' separates Redis key parts and is refused in BullMQ job ids, which embed these names
export const NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (no ":" or "/"), at most 64');
export const HTTP_URL = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/**
 * A chain's RPC: one URL, or several nodes of the same chain (reads spread over the healthy ones,
 * submissions to one at a time; paths/endpoint-set.ts). No URL twice.
 */
export const RPC_URLS = z.union([HTTP_URL, z.array(HTTP_URL).min(1, 'at least one endpoint').max(16, 'at most 16 endpoints')]).superRefine((v, ctx) => {
  if (!Array.isArray(v)) return;
  v.forEach((u, i) => {
    if (v.indexOf(u) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate endpoint ${u}` });
  });
});
/** The URLs of an `rpc` field, one or several. */
export const rpcUrls = (rpc: string | string[]): string[] => (typeof rpc === 'string' ? [rpc] : rpc);

/** A random wait before a delivery job runs, so racing operators find each other's work done instead of repeating it. */
export const Jitter = z
  .strictObject({ minMs: z.int().min(0).max(600_000).default(0), maxMs: z.int().min(0).max(600_000) })
  .refine((j) => j.minMs <= j.maxMs, { message: 'minMs must not exceed maxMs', path: ['minMs'] });

const SignerRef = z.union([z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }), z.strictObject({ file: z.string().min(1) })]);
/** One reference or several; each referenced value holds one or more hex keys (comma or whitespace separated). */
export const Signer = z.union([SignerRef, z.array(SignerRef).min(1)]);
export type SignerConfig = z.infer<typeof Signer>;

/**
 * What the relayer's light client of a Pontis chain starts from: a height and its header hash
 * obtained out of band. Without it the node's latest header is trusted on first use (and logged).
 */
export const TrustRoot = z.strictObject({ height: z.int().min(1), hash: z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte lower-case hex header hash (0x...)') });
/** Check block events and transaction outcomes against verified headers (resultsHash) rather than trusting the node. */
export const VERIFY_RESULTS = z.boolean().default(true);

/** What every `chains[]` entry has, whatever its kind; a kind's schema adds its own fields (strictly). */
export const chainBase = { id: NAME, signer: Signer };

/** A validated `chains[]` entry as shared code sees it: the kind's own fields stay opaque. */
export interface ChainConfig {
  id: string;
  kind: string;
  signer: SignerConfig;
  [field: string]: unknown;
}
/** A `chains[]` entry as written (before defaults). */
export interface ChainConfigInput {
  id: string;
  kind: string;
  [field: string]: unknown;
}
