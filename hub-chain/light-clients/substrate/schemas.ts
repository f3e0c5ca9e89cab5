/** Wire shapes of the `substrate` client (schema first; types inferred). */
import { z } from 'zod';
import { clockDriftSchema, hash32Schema, heightSchema, trustingPeriodSchema, uintSchema } from '../../modules/clients/schemas.ts';

const hexBytes = z.string().regex(/^0x([0-9a-f]{2})*$/, 'expected lower-case 0x-hex bytes');
const u64String = z.string().regex(/^(0|[1-9][0-9]{0,19})$/, 'expected a decimal u64').refine((s) => BigInt(s) < 1n << 64n, 'above u64');
const typeId = z.number().int().min(0).max(0xffffffff);

const fieldSchema = z.strictObject({ name: z.string().max(128).optional(), type: typeId });
const typeDefSchema = z.union([
  z.strictObject({ composite: z.array(fieldSchema).max(256) }),
  z.strictObject({ variant: z.array(z.strictObject({ name: z.string().max(128), index: z.number().int().min(0).max(255), fields: z.array(fieldSchema).max(256) })).max(256) }),
  z.strictObject({ sequence: typeId }),
  z.strictObject({ array: z.strictObject({ len: z.number().int().min(0).max(1 << 20), type: typeId }) }),
  z.strictObject({ tuple: z.array(typeId).max(64) }),
  z.strictObject({ primitive: z.enum(['bool', 'char', 'str', 'u8', 'u16', 'u32', 'u64', 'u128', 'u256', 'i8', 'i16', 'i32', 'i64', 'i128', 'i256']) }),
  z.strictObject({ compact: typeId }),
  z.strictObject({ bitSequence: z.strictObject({ store: typeId, order: typeId }) }),
]);

/** The runtime's types for `System.Events` (events.ts: eventTypeTable derives it from metadata V14) and their hash. */
export const eventTypesSchema = z.strictObject({
  hash: hash32Schema,
  table: z.strictObject({ root: typeId, types: z.array(z.tuple([typeId, typeDefSchema])).max(4096) }),
});

export const grandpaAuthoritySchema = z.strictObject({ id: hash32Schema, weight: u64String.refine((s) => s !== '0', 'weight must be positive') });

export const substrateTrustSchema = z.discriminatedUnion('mode', [
  /** GRANDPA finality: the authority set and its id the client trusts now (it follows scheduled changes). */
  z.strictObject({ mode: z.literal('grandpa'), authorities: z.array(grandpaAuthoritySchema).min(1).max(10_000), setId: u64String }),
  /** The hub validators' attestation votes (the `attested` type's votes and tally). */
  z.strictObject({ mode: z.literal('attested') }),
]);

export const substrateParamsSchema = z.strictObject({
  trustingPeriodMs: trustingPeriodSchema,
  maxClockDriftMs: clockDriftSchema,
  trust: substrateTrustSchema,
  /** Accounts (32-byte ids) whose `System.remark_with_event` payloads count as the chain's writes (remark proofs). */
  writers: z.array(hash32Schema).max(64).optional(),
  events: eventTypesSchema.optional(),
  /** Attested mode: votes at heights <= latestHeight - voteWindow are refused and pruned (default 256). */
  voteWindow: z.number().int().min(1).max(1_000_000).optional(),
});

/** The trusted starting point: a SCALE header with its block time (ms), or the block's fields. */
export const substrateInitialSchema = z.union([
  z.strictObject({ header: hexBytes, timestamp: uintSchema }),
  z.strictObject({ height: heightSchema, hash: hash32Schema, stateRoot: hash32Schema, timestamp: uintSchema }),
]);

/**
 * Grandpa mode: a finalized header (SCALE), its GRANDPA justification (SCALE) and a read proof of
 * `Timestamp.Now` under the header's state root (the block time the consensus record keeps).
 */
export const substrateHeaderMsgSchema = z.strictObject({ header: hexBytes, justification: hexBytes, timestampProof: z.array(hexBytes).max(64) });

/** A read proof of one raw storage key: the encoded trie nodes (a node's `state_getReadProof`). */
export const substrateStorageProofSchema = z.strictObject({ nodes: z.array(hexBytes).max(256) });

/** A pair written by a registered writer's remark: `System.Events` proven, the Remarked event at `index`, and the remark's payload. */
export const substrateRemarkPartSchema = z.strictObject({ events: substrateStorageProofSchema, index: z.number().int().min(0).max(1_000_000), payload: hexBytes });
export const substrateRemarkProofSchema = z.strictObject({ remark: substrateRemarkPartSchema });

export const substrateProofSchema = z.union([substrateStorageProofSchema, substrateRemarkProofSchema]);

export type SubstrateParams = z.infer<typeof substrateParamsSchema>;
export type SubstrateInitial = z.infer<typeof substrateInitialSchema>;
export type SubstrateHeaderMsg = z.infer<typeof substrateHeaderMsgSchema>;
export type SubstrateProof = z.infer<typeof substrateProofSchema>;
