/**
 * Simple binary Merkle tree over an ordered list (RFC 6962 shape): leaf = sha256(0x00 || item),
 * node = sha256(0x01 || left || right), an odd node at a level is promoted unchanged; empty = zero.
 * Used for a block's tx root and evidence hash (not for state; that is the sparse tree in state/).
 */
import { type Bytes, ZERO32 } from './bytes.ts';
import { sha256 } from './hash.ts';

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function merkleRoot(items: Bytes[]): Bytes {
  if (items.length === 0) return ZERO32;
  let level = items.map((it) => sha256(LEAF, it));
  while (level.length > 1) {
    const next: Bytes[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? sha256(NODE, level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}
