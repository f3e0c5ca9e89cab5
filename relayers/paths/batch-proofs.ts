/**
 * Batch proofs (ADR 0017) as relayers build them: the batch a Pontis chain committed for a next
 * hop in one block (its root and size, proven by one state proof) and each packet's Merkle path
 * in it. Every relay path toward a chain that verifies batches uses this.
 */
import { type Bytes, type Hex, concat, equalBytes, latin1Id, toHex } from '../../hub-chain/crypto/bytes.ts';
import { merkleProofs, merkleRoot } from '../../hub-chain/crypto/merkle.ts';
import { type BatchProof, type Packet, encodeBatchValue, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import type { PontisReader } from './pontis/endpoint.ts';

/**
 * The batch `src` committed for `hop` in block `h`, proven at `height`, and each of `packets`'
 * place in it; undefined when `src` has no such batch or a packet is not in it.
 */
export async function batchProofs(src: PontisReader, hop: string, h: number, height: number, packets: Packet[]): Promise<{ batch: BatchProof['batch']; paths: { index: number; path: Hex }[] } | undefined> {
  const leafBytes = await src.readState(packetKeys.batchLeaves(hop, h));
  if (!leafBytes || leafBytes.length === 0 || leafBytes.length % 32 !== 0) return undefined;
  const leaves: Bytes[] = [];
  const at = new Map<string, number>();
  for (let o = 0; o < leafBytes.length; o += 32) {
    at.set(latin1Id(leafBytes.subarray(o, o + 32)), leaves.length);
    leaves.push(leafBytes.subarray(o, o + 32));
  }
  const indices = packets.map((p) => at.get(latin1Id(packetCommitment(p))));
  if (indices.some((i) => i === undefined)) return undefined;
  const { value, proof } = await src.proveState(packetKeys.batch(hop, h), height);
  const root = merkleRoot(leaves);
  if (!value || !equalBytes(value, encodeBatchValue(root, leaves.length))) return undefined;
  const paths = merkleProofs(leaves, indices as number[]).map((m) => ({ index: m.index, path: toHex(concat(...m.siblings)) }));
  return { batch: { height: h, root: toHex(root), count: leaves.length, proof }, paths };
}
