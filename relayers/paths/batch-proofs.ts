/**
 * Batch proofs (ADR 0017) as relayers build them: the batch a Pontis chain sealed for a hop in one
 * block (its root and size, proven by one state proof) and each item's Merkle path in it. Packet
 * batches hold packet commitments; ack batches hold ack leaves (`ackLeaf`). Every relay path
 * toward a chain that verifies batches uses this.
 */
import { type Bytes, type Hex, concat, equalBytes, latin1Id, toHex } from '../../hub-chain/crypto/bytes.ts';
import { merkleProofs, merkleRoot } from '../../hub-chain/crypto/merkle.ts';
import { type BatchProof, type Packet, ackLeaf, encodeBatchValue, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { PontisReader } from './pontis/endpoint.ts';

/**
 * `events` grouped by the block their event names, for blocks up to `height` (the proof height):
 * the events of one block are proven by that block's batch. `rest`: events naming no block (0)
 * or one above `height`, which no batch at `height` can prove.
 */
export function byBlock<E extends { height: number }>(events: readonly E[], height: number): { blocks: Map<number, E[]>; rest: E[] } {
  const blocks = new Map<number, E[]>();
  const rest: E[] = [];
  for (const e of events) {
    if (e.height <= 0 || e.height > height) rest.push(e);
    else {
      const list = blocks.get(e.height);
      if (list) list.push(e);
      else blocks.set(e.height, [e]);
    }
  }
  return { blocks, rest };
}

export type BatchProven = { batch: BatchProof['batch']; paths: { index: number; path: Hex }[] };

/**
 * The batch `src` committed for `hop` in block `h`, proven at `height`, and each of `packets`'
 * place in it; undefined when `src` has no such batch or a packet is not in it.
 */
export function batchProofs(src: PontisReader, hop: string, h: number, height: number, packets: Packet[]): Promise<BatchProven | undefined> {
  return proveLeaves(src, packetKeys.batch(hop, h), packetKeys.batchLeaves(hop, h), h, height, packets.map(packetCommitment));
}

/**
 * The ack batch `src` wrote for `hop` in block `h`, proven at `height`, and each ack's place in it
 * (`acks[i]` the ack bytes of `packets[i]`); undefined when `src` has no such batch or an ack is
 * not in it.
 */
export function ackBatchProofs(src: PontisReader, hop: string, h: number, height: number, items: { packet: Packet; ack: Bytes }[]): Promise<BatchProven | undefined> {
  return proveLeaves(src, packetKeys.ackBatch(hop, h), packetKeys.ackBatchLeaves(hop, h), h, height, items.map((i) => ackLeaf(i.packet, i.ack)));
}

async function proveLeaves(src: PontisReader, rootKey: Bytes, leavesKey: Bytes, h: number, height: number, wanted: Bytes[]): Promise<BatchProven | undefined> {
  const leafBytes = await src.readState(leavesKey);
  if (!leafBytes || leafBytes.length === 0 || leafBytes.length % 32 !== 0) return undefined;
  const leaves: Bytes[] = [];
  const at = new Map<string, number>();
  for (let o = 0; o < leafBytes.length; o += 32) {
    at.set(latin1Id(leafBytes.subarray(o, o + 32)), leaves.length);
    leaves.push(leafBytes.subarray(o, o + 32));
  }
  const indices = wanted.map((l) => at.get(latin1Id(l)));
  if (indices.some((i) => i === undefined)) return undefined;
  const { value, proof } = await src.proveState(rootKey, height);
  const root = merkleRoot(leaves);
  if (!value || !equalBytes(value, encodeBatchValue(root, leaves.length))) return undefined;
  const paths = merkleProofs(leaves, indices as number[]).map((m) => ({ index: m.index, path: toHex(concat(...m.siblings)) }));
  return { batch: { height: h, root: toHex(root), count: leaves.length, proof }, paths };
}
