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
export const MAX_SHARED_PARTS = 64;
const shared = z.array(z.unknown()).min(1).max(MAX_SHARED_PARTS).optional();

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
/** The batch part of a batch proof (types.ts BatchProof): a batch of at most 2^32 packets. */
const batchPartSchema = z.strictObject({ height: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), root: hex32, count: z.number().int().min(1).max(2 ** 32), proof: z.unknown() });
/** Batch parts checked already, by the object a relay message's shared list holds (one per batch, however many items use it). */
const batchParts = new WeakMap<object, BatchProof['batch']>();

/**
 * The proof as a batch proof when it has the shape of one (an object with a `batch` field), else
 * undefined (a proof of the packet's own key). A proof with a `batch` field that is not a valid
 * batch proof is refused, never read as another kind: exactly {batch, index, path}, an index in
 * 0..2^32, a path of at most 64 siblings of 32 bytes. The batch part is checked once per object,
 * and the same checked object is returned for every item sharing it.
 */
export function asBatchProof(proof: unknown): BatchProof | undefined {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof) || !('batch' in proof)) return undefined;
  const bad = (m: string) => new PacketError('PNT_ERR_PACKET_BATCH_PROOF', `malformed batch proof: ${m}`);
  const { batch, index, path } = proof as Record<string, unknown>;
  if (Object.keys(proof).length !== 3 || !('index' in proof) || !('path' in proof)) throw bad('expected exactly {batch, index, path}');
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index > 2 ** 32) throw bad('index: an integer in 0..2^32');
  // hex digits are checked where the path is decoded (keeper: a byte count short of the length is refused)
  if (typeof path !== 'string' || !path.startsWith('0x') || (path.length - 2) % 64 !== 0 || path.length > 2 + 64 * 64) throw bad('path: 0x and at most 64 siblings of 32 bytes in hex');
  if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) throw bad('batch: an object');
  let b = batchParts.get(batch);
  if (!b) {
    b = parseSchema(batchPartSchema, batch, (first) => bad(`batch.${first.field}: ${first.message}`)) as BatchProof['batch'];
    batchParts.set(batch, b);
  }
  return { batch: b, index, path: path as BatchProof['path'] };
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
