/**
 * Wire shapes of the clients module, schema first (types are inferred from them). Depends on zod
 * only, so app/tx.ts can import msgs.ts without pulling in verification code (and import cycles).
 */
import { z } from 'zod';

const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lower-case 0x-hex`);
export const hash32Schema = hex(32);
export const addressSchema = hex(20);
export const signature65Schema = hex(65);
/** Same rule as hub headers (types/header.ts); also keeps `/` out of state keys. */
export const chainIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'chain id must be 1-64 chars of [a-z0-9._-]');
const uint = z.number().int().min(0);
const height = z.number().int().min(1);
/** Hub validator sets hold at most 150 validators (types/validator-set.ts MAX_VALIDATORS). */
const MAX_VALIDATORS = 150;

export const headerSchema = z.strictObject({
  chainId: chainIdSchema,
  height,
  time: uint,
  prevHash: hash32Schema,
  txRoot: hash32Schema,
  stateRoot: hash32Schema,
  validatorsHash: hash32Schema,
  nextValidatorsHash: hash32Schema,
  evidenceHash: hash32Schema,
  resultsHash: hash32Schema,
  proposer: addressSchema,
});

export const commitSchema = z.strictObject({
  height,
  round: z.number().int().min(0).max(0xffffffff),
  blockHash: hash32Schema,
  signatures: z.array(z.strictObject({ validator: addressSchema, signature: signature65Schema })).max(MAX_VALIDATORS),
});

/** ValidatorSet.toJSON() (priorities are optional: they do not enter the set's hash). */
export const validatorSetSchema = z.strictObject({
  validators: z.array(z.strictObject({ address: addressSchema, publicKey: hex(65), power: z.number().int().min(1) })).min(1).max(MAX_VALIDATORS),
  priorities: z.array(z.number().int()).max(MAX_VALIDATORS).optional(),
});

const fraction = z.strictObject({ numerator: z.number().int().min(1), denominator: z.number().int().min(1) });
const period = z.number().int().min(1);
const drift = z.number().int().min(0).max(3_600_000);

// ---- pontis ----
export const pontisParamsSchema = z.strictObject({ trustingPeriodMs: period, maxClockDriftMs: drift, trustLevel: fraction.optional() });
export const pontisInitialSchema = z.strictObject({ header: headerSchema, validators: validatorSetSchema, nextValidators: validatorSetSchema });
export const pontisUpdateSchema = z.strictObject({
  signedHeader: z.strictObject({ header: headerSchema, commit: commitSchema }),
  validators: validatorSetSchema,
  nextValidators: validatorSetSchema,
  trustedHeight: height,
});
export const pontisMisbehaviourSchema = z.strictObject({ a: pontisUpdateSchema, b: pontisUpdateSchema });

// ---- attested ----
export const proofKindSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'proof kind must be 1-32 chars of [a-z0-9-]');
export const attestedParamsSchema = z.strictObject({
  trustingPeriodMs: period,
  maxClockDriftMs: drift,
  proofKind: proofKindSchema,
  /** Votes at heights <= latestHeight - voteWindow are refused and pruned (default 256). */
  voteWindow: z.number().int().min(1).max(1_000_000).optional(),
});
export const attestedInitialSchema = z.strictObject({ height, hash: hash32Schema, stateRoot: hash32Schema, receiptsRoot: hash32Schema.optional(), timestamp: uint });
export const attestationVoteSchema = z.strictObject({
  chainId: chainIdSchema,
  height,
  hash: hash32Schema,
  stateRoot: hash32Schema,
  /** The zero hash when the chain has no receipts root. */
  receiptsRoot: hash32Schema,
  /** Counterparty block time in ms. */
  timestamp: uint,
  validator: addressSchema,
  signature: signature65Schema,
});

export type PontisParams = z.infer<typeof pontisParamsSchema>;
export type PontisInitial = z.infer<typeof pontisInitialSchema>;
export type PontisUpdate = z.infer<typeof pontisUpdateSchema>;
export type PontisMisbehaviour = z.infer<typeof pontisMisbehaviourSchema>;
export type AttestedParams = z.infer<typeof attestedParamsSchema>;
export type AttestedInitial = z.infer<typeof attestedInitialSchema>;
export type AttestationVote = z.infer<typeof attestationVoteSchema>;
