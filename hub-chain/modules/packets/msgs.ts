/**
 * Messages of the packet module and governance actions of the chain registry (zod, strict).
 * No `.default()` anywhere: a transaction is signed as sent, and decoding must not add fields.
 */
import { z } from 'zod';
import { parseSchema } from '../../errors.ts';
import { chainKindSchema } from '../registry/chain-kind.ts';
import { APP_NAME_RE, type BatchProof, MAX_PAYLOAD_BYTES, PacketError } from './types.ts';

const chainId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/);
const app = z.string().regex(APP_NAME_RE);
const hex = (max?: number) => z.string().regex(/^0x([0-9a-f]{2})*$/).max(max === undefined ? 2 + 2 * 1024 * 1024 : 2 + 2 * max);
const height = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const packetSchema = z.strictObject({
  srcChain: chainId,
  srcApp: app,
  dstChain: chainId,
  dstApp: app,
  sequence: z.number().int().min(1),
  ordered: z.boolean(),
  payload: hex(MAX_PAYLOAD_BYTES),
  timeoutHeight: height,
  timeoutTimestamp: height,
});

/** Proofs are client-type specific (a Pontis state proof, an EVM storage proof, ...): checked by the client, bounded here. */
const proof = z.unknown().refine((p) => p !== undefined && JSON.stringify(p).length <= 256 * 1024, 'proof missing or larger than 256 KiB');
const MAX_BATCH = 5000;
/**
 * Proof parts several items share (a Fabric block, an endorsed query): given once per message, and
 * referenced from an item's proof as a top-level field `{"$shared": i}` (see `withShared`).
 */
const shared = z.array(z.unknown()).min(1).max(64).optional();

export const packetMsgSchemas = [
  /** An application message to another chain (the `msg` app). */
  z.strictObject({
    type: z.literal('msg/send'),
    dstChain: chainId,
    dstApp: app.optional(),
    payload: hex(MAX_PAYLOAD_BYTES),
    timeoutHeight: height.optional(),
    timeoutTimestamp: height.optional(),
    ordered: z.boolean().optional(),
  }),
  /** Relay: packets proven committed by the counterparty at `proofHeight`. */
  z.strictObject({ type: z.literal('packets/recv'), proofHeight: height, packets: z.array(z.strictObject({ packet: packetSchema, proof })).min(1).max(MAX_BATCH), shared }),
  /** Relay: acknowledgements proven written by the counterparty at `proofHeight`. */
  z.strictObject({ type: z.literal('packets/ack'), proofHeight: height, packets: z.array(z.strictObject({ packet: packetSchema, ack: hex(64 * 1024), proof })).min(1).max(MAX_BATCH), shared }),
  /** Relay: receipts proven absent on the counterparty at `proofHeight`, past the packets' timeouts. */
  z.strictObject({ type: z.literal('packets/timeout'), proofHeight: height, packets: z.array(z.strictObject({ packet: packetSchema, proof })).min(1).max(MAX_BATCH), shared }),
];

const kind = chainKindSchema;
export const registryGovActionSchemas = [
  z.strictObject({
    kind: z.literal('registry/register-chain'),
    chainId,
    chainKind: kind,
    clientType: z.string().min(1).max(32),
    clientParams: z.unknown(),
    clientInitial: z.unknown(),
    /** Destination chains this chain may send to ('*' for any registered chain). */
    routes: z.array(z.union([chainId, z.literal('*')])).max(1000),
  }),
  z.strictObject({ kind: z.literal('registry/pause-chain'), chainId }),
  z.strictObject({ kind: z.literal('registry/resume-chain'), chainId }),
  z.strictObject({ kind: z.literal('registry/retire-chain'), chainId }),
  z.strictObject({ kind: z.literal('registry/pause-route'), srcChain: chainId, dstChain: chainId }),
  z.strictObject({ kind: z.literal('registry/resume-route'), srcChain: chainId, dstChain: chainId }),
  z.strictObject({ kind: z.literal('registry/set-routes'), chainId, routes: z.array(z.union([chainId, z.literal('*')])).max(1000) }),
];

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
/** A batch proof (types.ts BatchProof): a path of at most 64 siblings under a batch of at most 2^32 packets. */
const batchProofSchema = z.strictObject({
  batch: z.strictObject({ height: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), root: hex32, count: z.number().int().min(1).max(2 ** 32), proof: z.unknown() }),
  index: z.number().int().min(0).max(2 ** 32),
  path: z.string().regex(/^0x([0-9a-f]{64}){0,64}$/),
});

/**
 * The proof as a batch proof when it has the shape of one (an object with a `batch` field), else
 * undefined (a proof of the packet's own key). A proof with a `batch` field that is not a valid
 * batch proof is refused, never read as another kind.
 */
export function asBatchProof(proof: unknown): BatchProof | undefined {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof) || !('batch' in proof)) return undefined;
  return parseSchema(batchProofSchema, proof, (first) => new PacketError('PNT_ERR_PACKET_BATCH_PROOF', `malformed batch proof: ${first.field}: ${first.message}`)) as BatchProof;
}

const isRef = (v: unknown): v is { $shared: number } => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $shared?: unknown }).$shared === 'number';

/**
 * An item's proof with its references to the message's shared parts resolved: each top-level
 * field whose value is exactly `{"$shared": i}`, with `i` an index of `shared`, becomes
 * `shared[i]` (the same value for every item, not a copy). Anything else is left as it is, so a
 * reference out of range reaches the client type as written and fails its schema.
 */
export function withShared(proof: unknown, sharedParts: readonly unknown[] | undefined): unknown {
  if (!sharedParts || typeof proof !== 'object' || proof === null || Array.isArray(proof)) return proof;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(proof)) {
    if (!isRef(v) || !Number.isInteger(v.$shared) || v.$shared < 0 || v.$shared >= sharedParts.length) continue;
    out ??= { ...(proof as Record<string, unknown>) };
    out[k] = sharedParts[v.$shared];
  }
  return out ?? proof;
}
