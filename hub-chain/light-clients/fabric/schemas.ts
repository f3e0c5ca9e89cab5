/** Wire shapes of the `fabric` client type (schema first; types inferred). */
import { z } from 'zod';
import { clockDriftSchema, hash32Schema, heightSchema, trustingPeriodSchema, uintSchema } from '../../modules/clients/schemas.ts';

const mspIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'an MSP id of 1-64 chars of [A-Za-z0-9._-]');
const pemSchema = z.string().max(16_384).regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/, 'a PEM certificate');
const rootsSchema = z.record(mspIdSchema, z.array(pemSchema).min(1).max(8));
/** Protobuf bytes, base64 (a block or an envelope; 8 MiB at most). */
const b64Schema = z.string().max(11_200_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
/**
 * The same in a membership or timeout proof, where a relay message shares one block or query
 * among many items (the very same string): its characters are not scanned per item; bytes that
 * are not base64 decode to something that is not a block or an envelope, refused by the checks.
 */
const sharedB64Schema = z.string().min(1).max(11_200_000);

/** The trust root governance registers for a Fabric channel. */
export const fabricParamsSchema = z
  .strictObject({
    trustingPeriodMs: trustingPeriodSchema,
    maxClockDriftMs: clockDriftSchema,
    channel: z.string().regex(/^[a-z][a-z0-9.-]{0,248}$/, 'a Fabric channel name'),
    /** The Pontis chaincode: proofs are of writes in its namespace and answers of its GetState. */
    chaincode: z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/, 'a chaincode name'),
    /** Root CA certificates of each peer org's MSP. */
    msps: rootsSchema,
    /** The ordering service: its MSPs' root CAs and how many distinct orderers must sign a block. */
    orderers: z.strictObject({ msps: rootsSchema, threshold: z.number().int().min(1).max(64) }),
    /** The Pontis chaincode's endorsement policy: at least `outOf` of these orgs. */
    policy: z.strictObject({ outOf: z.number().int().min(1), orgs: z.array(mspIdSchema).min(1).max(64) }),
  })
  .refine((p) => Object.keys(p.msps).length > 0 && Object.keys(p.orderers.msps).length > 0, 'msps and orderers.msps name at least one MSP')
  .refine((p) => p.policy.orgs.every((o) => o in p.msps) && p.policy.outOf <= new Set(p.policy.orgs).size, 'the policy names MSPs of `msps` and needs at most as many orgs as it names');

/** A block header as Fabric hashes it (32-byte hashes as 0x-hex). */
export const fabricHeaderSchema = z.strictObject({ number: heightSchema, previousHash: hash32Schema, dataHash: hash32Schema });

/** The trusted block header the client starts from, and when it was trusted (ms). */
export const fabricInitialSchema = z.strictObject({ header: fabricHeaderSchema, timestamp: uintSchema });

/** Headers extending the client's latest, the last with its orderer signatures (block metadata SIGNATURES). */
export const fabricUpdateSchema = z.strictObject({ headers: z.array(fabricHeaderSchema).min(1).max(1000), signatures: b64Schema });

const signedHeaderSchema = z.strictObject({ header: fabricHeaderSchema, signatures: b64Schema });
/** Two different headers at one height, each signed by the orderers: a fork of the channel. */
export const fabricMisbehaviourSchema = z.strictObject({ a: signedHeaderSchema, b: signedHeaderSchema });

/**
 * Membership: the block holding the transaction, its index there, the headers after that block up
 * to the proof height (none when the block is at the proof height), and an endorsed GetState of the key.
 */
export const fabricTxProofSchema = z.strictObject({ block: sharedB64Schema, txIndex: uintSchema, headers: z.array(fabricHeaderSchema).max(1000).optional(), query: sharedB64Schema });

/** Non-membership (a packet timed out on Fabric): an endorsed GetState showing the TIMEOUT marker at the key. */
export const fabricQueryProofSchema = z.strictObject({ query: sharedB64Schema });

export type FabricParams = z.infer<typeof fabricParamsSchema>;
export type FabricHeader = z.infer<typeof fabricHeaderSchema>;
export type FabricInitial = z.infer<typeof fabricInitialSchema>;
export type FabricUpdate = z.infer<typeof fabricUpdateSchema>;
export type FabricMisbehaviour = z.infer<typeof fabricMisbehaviourSchema>;
