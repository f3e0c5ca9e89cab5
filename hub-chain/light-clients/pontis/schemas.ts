/** Wire shapes of the `pontis` client type (schema first; types inferred). */
import { z } from 'zod';
import {
  MAX_VALIDATORS,
  addressSchema,
  chainIdSchema,
  clockDriftSchema,
  hash32Schema,
  heightSchema,
  hexSchema,
  signature65Schema,
  trustingPeriodSchema,
  uintSchema,
} from '../../modules/clients/schemas.ts';

export const headerSchema = z.strictObject({
  chainId: chainIdSchema,
  height: heightSchema,
  time: uintSchema,
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
  height: heightSchema,
  round: z.number().int().min(0).max(0xffffffff),
  blockHash: hash32Schema,
  signatures: z.array(z.strictObject({ validator: addressSchema, signature: signature65Schema })).max(MAX_VALIDATORS),
});

/** ValidatorSet.toJSON() (priorities are optional: they do not enter the set's hash). */
export const validatorSetSchema = z.strictObject({
  validators: z.array(z.strictObject({ address: addressSchema, publicKey: hexSchema(65), power: z.number().int().min(1) })).min(1).max(MAX_VALIDATORS),
  priorities: z.array(z.number().int()).max(MAX_VALIDATORS).optional(),
});

const fraction = z.strictObject({ numerator: z.number().int().min(1), denominator: z.number().int().min(1) });

export const pontisParamsSchema = z.strictObject({ trustingPeriodMs: trustingPeriodSchema, maxClockDriftMs: clockDriftSchema, trustLevel: fraction.optional() });
export const pontisInitialSchema = z.strictObject({ header: headerSchema, validators: validatorSetSchema, nextValidators: validatorSetSchema });
export const pontisUpdateSchema = z.strictObject({
  signedHeader: z.strictObject({ header: headerSchema, commit: commitSchema }),
  validators: validatorSetSchema,
  nextValidators: validatorSetSchema,
  trustedHeight: heightSchema,
});
export const pontisMisbehaviourSchema = z.strictObject({ a: pontisUpdateSchema, b: pontisUpdateSchema });

export type PontisParams = z.infer<typeof pontisParamsSchema>;
export type PontisInitial = z.infer<typeof pontisInitialSchema>;
export type PontisUpdate = z.infer<typeof pontisUpdateSchema>;
export type PontisMisbehaviour = z.infer<typeof pontisMisbehaviourSchema>;
