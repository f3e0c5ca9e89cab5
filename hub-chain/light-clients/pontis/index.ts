/**
 * Client type `pontis`: chains running this software (department side-chains, the hub as seen
 * from a side-chain). Registered on the app's ClientRouter as `pontisClientType`.
 */
import { z } from 'zod';
import { chainIdSchema } from '../../modules/clients/schemas.ts';
import type { ClientTypeRegistration } from '../../modules/clients/types.ts';
import { type PontisClientState, type PontisConsensusExtra, pontisClient } from './module.ts';
import { type PontisInitial, pontisInitialSchema, pontisMisbehaviourSchema, pontisParamsSchema, pontisUpdateSchema } from './schemas.ts';
import { pontisFinalizedSource, pontisTrustFrom } from './source.ts';

/** A node's `observers` entry for a Pontis chain (validators vote its headers for `attested` clients). */
export const pontisObserverConfigSchema = z.strictObject({
  chainId: chainIdSchema,
  kind: z.literal('pontis'),
  rpc: z.string().regex(/^https?:\/\/[^\s/]+(\/.*)?$/, 'must be an http(s):// URL'),
  intervalMs: z.number().int().min(50).max(600_000).default(1000),
  /** Vote every stride-th height, so all validators vote the same heights. */
  stride: z.number().int().min(1).max(10_000).default(1),
});

export const pontisClientType: ClientTypeRegistration<PontisClientState, PontisConsensusExtra> = {
  module: pontisClient,
  chainKinds: ['pontis'],
  schemas: {
    params: pontisParamsSchema,
    initial: pontisInitialSchema,
    messages: [pontisUpdateSchema, pontisMisbehaviourSchema],
    evidence: [pontisMisbehaviourSchema, pontisUpdateSchema],
  },
  observer: {
    kind: 'pontis',
    configSchema: pontisObserverConfigSchema,
    source: (cfg, env) => pontisFinalizedSource(env.pontisRpc(cfg.rpc)),
  },
  cli: {
    trustedHeight: (initial) => (initial as PontisInitial).header.height,
    trustFrom: pontisTrustFrom((t) => t.pontis),
  },
};

export { PONTIS_CLIENT_TYPE, pontisClient, type PontisClientRecord, type PontisConsensusRecord, type PontisClientState, type PontisConsensusExtra } from './module.ts';
export { pontisFinalizedBlock, pontisFinalizedSource, pontisTrustRoot, type PontisTrustRoot } from './source.ts';
