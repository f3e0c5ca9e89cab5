/** Wire shapes of the `attested` client type (schema first; types inferred). */
import { z } from 'zod';
import { addressSchema, chainIdSchema, clockDriftSchema, hash32Schema, heightSchema, signature65Schema, trustingPeriodSchema, uintSchema } from '../../modules/clients/schemas.ts';

export const proofKindSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'proof kind must be 1-32 chars of [a-z0-9-]');
export const attestedParamsSchema = z.strictObject({
  trustingPeriodMs: trustingPeriodSchema,
  maxClockDriftMs: clockDriftSchema,
  proofKind: proofKindSchema,
  /** Votes at heights <= latestHeight - voteWindow are refused and pruned (default 256). */
  voteWindow: z.number().int().min(1).max(1_000_000).optional(),
});
export const attestedInitialSchema = z.strictObject({ height: heightSchema, hash: hash32Schema, stateRoot: hash32Schema, receiptsRoot: hash32Schema.optional(), timestamp: uintSchema });
export const attestationVoteSchema = z.strictObject({
  chainId: chainIdSchema,
  height: heightSchema,
  hash: hash32Schema,
  stateRoot: hash32Schema,
  /** The zero hash when the chain has no receipts root. */
  receiptsRoot: hash32Schema,
  /** Counterparty block time in ms. */
  timestamp: uintSchema,
  validator: addressSchema,
  signature: signature65Schema,
});

/** `attest/vote`: a hub validator's vote for a counterparty block (the `attested` type's own message). */
export const attestVoteMsgSchema = z.strictObject({ type: z.literal('attest/vote'), vote: attestationVoteSchema });

export type AttestVoteMsg = z.infer<typeof attestVoteMsgSchema>;
export type AttestedParams = z.infer<typeof attestedParamsSchema>;
export type AttestedInitial = z.infer<typeof attestedInitialSchema>;
export type AttestationVote = z.infer<typeof attestationVoteSchema>;
