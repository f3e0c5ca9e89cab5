/**
 * Simple binary Merkle tree over an ordered list: leaf = sha256(0x00 || item),
 * node = sha256(0x01 || left || right), an odd node at the end of a level is promoted unchanged
 * to the next level; the root of an empty list is 32 zero bytes. Used for a block's tx root,
 * evidence hash and results hash (not for state; that is the sparse tree in state/).
 *
 * An inclusion proof for item i of n lists the siblings met on the way up, leaf level first;
 * a level where i's node is the promoted last one contributes no sibling. Verifying needs i and
 * n, so both are part of the proof, but neither is bound by it: n shapes the path only where a
 * promotion happens (item 4 has the same path in lists of 9 to 16 items), and a proof of item 4
 * of 6 also verifies as item 2 of 4. What a proof binds is the item's bytes under the root, so a
 * leaf's position must never carry meaning (results leaves name their transaction).
 */
import { type Bytes, ZERO32 } from './bytes.ts';
import { sha256, sha256Buf } from './hash.ts';
import { PontisError } from '../errors.ts';

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);
/** More items than any block can hold; bounds the work a forged proof can ask for. */
export const MAX_MERKLE_ITEMS = 2 ** 32;

export interface MerkleProof {
  index: number;
  total: number;
  siblings: Bytes[];
}

export class MerkleProofError extends PontisError {
  override name = 'MerkleProofError';
}

export const merkleLeaf = (item: Bytes): Bytes => (item.length === 32 ? leaf32(item) : sha256(LEAF, item));
// nodes (and 32-byte leaves, a batch's packet commitments) hash from one scratch buffer: no concatenation per hash
const nodeScratch = Buffer.alloc(65, 1);
const leafScratch = Buffer.alloc(33, 0);
function merkleNode(left: Bytes, right: Bytes): Bytes {
  if (left.length !== 32 || right.length !== 32) return sha256(NODE, left, right);
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 33);
  return sha256Buf(nodeScratch);
}
function leaf32(item: Bytes): Bytes {
  leafScratch.set(item, 1);
  return sha256Buf(leafScratch);
}

function nextLevel(level: Bytes[]): Bytes[] {
  const next: Bytes[] = [];
  for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? merkleNode(level[i], level[i + 1]) : level[i]);
  return next;
}

export function merkleRoot(items: Bytes[]): Bytes {
  if (items.length === 0) return ZERO32;
  let level = items.map(merkleLeaf);
  while (level.length > 1) level = nextLevel(level);
  return level[0];
}

export function merkleProof(items: Bytes[], index: number): MerkleProof {
  return merkleProofs(items, [index])[0];
}

/**
 * The inclusion proofs of items `indices` of `items`, the tree built once (merkleProof rebuilds
 * it for every proof): what a relayer needs for every packet of a batch.
 */
export function merkleProofs(items: Bytes[], indices: number[]): MerkleProof[] {
  const levels: Bytes[][] = [items.map(merkleLeaf)];
  while (levels[levels.length - 1].length > 1) levels.push(nextLevel(levels[levels.length - 1]));
  return indices.map((index) => {
    if (!Number.isSafeInteger(index) || index < 0 || index >= items.length) throw new MerkleProofError('PNT_ERR_MERKLE_INDEX', `index ${index} is outside 0..${items.length - 1}`);
    const siblings: Bytes[] = [];
    let i = index;
    for (let l = 0; l < levels.length - 1; l++) {
      const sib = i % 2 === 1 ? i - 1 : i + 1;
      if (sib < levels[l].length) siblings.push(levels[l][sib]);
      i = Math.floor(i / 2);
    }
    return { index, total: items.length, siblings };
  });
}

/**
 * The root an inclusion proof of `item` leads to. Throws PNT_ERR_MERKLE_PROOF when the proof's
 * shape is impossible for its (index, total): too few or too many siblings, an index outside the
 * list, a total out of range.
 */
export function merkleRootFromProof(item: Bytes, proof: MerkleProof): Bytes {
  const { index, total, siblings } = proof ?? ({} as MerkleProof);
  const bad = (m: string) => new MerkleProofError('PNT_ERR_MERKLE_PROOF', m, { details: { index, total } });
  if (!Number.isSafeInteger(total) || total < 1 || total > MAX_MERKLE_ITEMS) throw bad('total must be an integer in 1..2^32');
  if (!Number.isSafeInteger(index) || index < 0 || index >= total) throw bad('index must be inside 0..total-1');
  if (!Array.isArray(siblings) || siblings.some((s) => !(s instanceof Uint8Array) || s.length !== 32)) throw bad('siblings must be 32-byte values');
  let node = merkleLeaf(item);
  let i = index;
  let n = total;
  let used = 0;
  while (n > 1) {
    if (i % 2 === 1) {
      if (used >= siblings.length) throw bad('too few siblings');
      node = merkleNode(siblings[used++], node);
    } else if (i + 1 < n) {
      if (used >= siblings.length) throw bad('too few siblings');
      node = merkleNode(node, siblings[used++]);
    } // else: the last node of an odd level is promoted
    i = Math.floor(i / 2);
    n = Math.ceil(n / 2);
  }
  if (used !== siblings.length) throw bad('too many siblings');
  return node;
}
