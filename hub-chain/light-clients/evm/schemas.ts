/** Wire shapes of the `evm` client (schema first; types inferred). The lead can add them to clients/msgs.ts unions. */
import { z } from 'zod';
import { addressSchema, hash32Schema } from '../../modules/clients/schemas.ts';

const hexBytes = z.string().regex(/^0x([0-9a-f]{2})+$/, 'expected lower-case 0x-hex bytes');

export const evmTrustSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('attested') }),
  z.strictObject({ mode: z.literal('qbft'), validators: z.array(addressSchema).min(1).max(150) }),
]);

export const evmParamsSchema = z.strictObject({
  trustingPeriodMs: z.number().int().min(1),
  maxClockDriftMs: z.number().int().min(0).max(3_600_000),
  /** The Pontis gateway contract: membership proofs are of its storage only. */
  gateway: addressSchema,
  /** EIP-155 chain id of the EVM chain (what the observers' RPC must report). */
  chainIdNumber: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  trust: evmTrustSchema,
  /** Blocks below the tip that observers treat as final when the chain has no `finalized` tag. */
  finalityDepth: z.number().int().min(0).max(100_000).optional(),
  /** Attested mode: votes at heights <= latestHeight - voteWindow are refused and pruned (default 256). */
  voteWindow: z.number().int().min(1).max(1_000_000).optional(),
});

/** The trusted starting point: the header's RLP (hash and roots are computed from it), or its attested fields (timestamp in ms). */
export const evmInitialSchema = z.union([
  z.strictObject({ headerRlp: hexBytes }),
  z.strictObject({ height: z.number().int().min(1), hash: hash32Schema, stateRoot: hash32Schema, receiptsRoot: hash32Schema, timestamp: z.number().int().min(0) }),
]);

/** Qbft mode: a sealed header (extraData carries the committed seals) that extends a header the client holds. */
export const evmHeaderMsgSchema = z.strictObject({ headerRlp: hexBytes });

/** A proof of one gateway slot: eth_getProof's account proof and the slot's storage proof. */
export const evmStorageProofSchema = z.strictObject({
  accountProof: z.array(hexBytes).max(64),
  storageProof: z.array(hexBytes).max(64),
});

/** The receipt of one transaction, proven against its block's receiptsRoot: shared by every log of it a relay message proves. */
export const evmReceiptPartSchema = z.strictObject({
  txIndex: z.number().int().min(0),
  proof: z.array(hexBytes).min(1).max(64),
});

/** Headers h..P (RLP, oldest first) linking block h to the block the client holds at the proof height P. */
export const evmHeadersPartSchema = z.array(hexBytes).min(1).max(256);

/**
 * Membership of a Gateway record by the log that wrote it (gateway-records.ts): `pkt/ack/...` by
 * PacketReceived, `pkt/out/...` by PacketSent; in block P itself, or in block h < P with `headers` h..P.
 */
export const evmLogProofSchema = z.strictObject({
  receipt: z.unknown(),
  headers: z.unknown().optional(),
  logIndex: z.number().int().min(0),
});

export type EvmParams = z.infer<typeof evmParamsSchema>;
export type EvmInitial = z.infer<typeof evmInitialSchema>;
export type EvmHeaderMsg = z.infer<typeof evmHeaderMsgSchema>;
export type EvmStorageProofWire = z.infer<typeof evmStorageProofSchema>;
export type EvmReceiptPart = z.infer<typeof evmReceiptPartSchema>;
