/**
 * What a block's execution committed to besides state: each transaction's result code and
 * events, and the block's own events (evidence, end-of-block work). The header's resultsHash is
 * the Merkle root (crypto/merkle.ts) of
 *   [ txResultLeaf(result 0), ..., txResultLeaf(result n-1), blockEventsLeaf(block events) ]
 * where a tx leaf is the UTF-8 canonical JSON of {code, events, hash} and the block leaf that of
 * {events}; a result's free-text `log` is informative only and not committed. The block leaf is
 * always present and always last, so an empty block's root is that of one leaf.
 */
import { type Bytes, type Hex, fromHex, toHex, utf8 } from '../crypto/bytes.ts';
import { type MerkleProof, MerkleProofError, merkleProof, merkleRoot, merkleRootFromProof } from '../crypto/merkle.ts';
import { canonicalJson } from '../encoding/canonical-json.ts';

export interface ResultEvent {
  type: string;
  attributes: Record<string, string>;
}
/** The committed part of a transaction's result. */
export interface CommittedTxResult {
  hash: Hex;
  code: string;
  events: ResultEvent[];
}

/** A Merkle proof of one transaction's result in JSON form (hex siblings), as the RPC serves it. */
export interface TxResultProof {
  index: number;
  total: number;
  siblings: Hex[];
}

export function txResultLeaf(r: CommittedTxResult): Bytes {
  return utf8(canonicalJson({ code: r.code, events: r.events, hash: r.hash }));
}

export function blockEventsLeaf(events: ResultEvent[]): Bytes {
  return utf8(canonicalJson({ events }));
}

function leaves(results: readonly CommittedTxResult[], blockEvents: ResultEvent[]): Bytes[] {
  return [...results.map(txResultLeaf), blockEventsLeaf(blockEvents)];
}

export function resultsHash(results: readonly CommittedTxResult[], blockEvents: ResultEvent[]): Hex {
  return toHex(merkleRoot(leaves(results, blockEvents)));
}

export function txResultProof(results: readonly CommittedTxResult[], blockEvents: ResultEvent[], index: number): TxResultProof {
  return txResultProver(results, blockEvents)(index);
}

/** Proofs of a block's results by index, its leaves encoded once (a server answering for many of its transactions). */
export function txResultProver(results: readonly CommittedTxResult[], blockEvents: ResultEvent[]): (index: number) => TxResultProof {
  const ls = leaves(results, blockEvents);
  return (index) => {
    if (index >= results.length) throw new MerkleProofError('PNT_ERR_MERKLE_INDEX', `block has ${results.length} transactions`);
    const p = merkleProof(ls, index);
    return { index: p.index, total: p.total, siblings: p.siblings.map(toHex) };
  };
}

/**
 * Throws PNT_ERR_RESULT_PROOF_INVALID (or PNT_ERR_MERKLE_PROOF for a malformed proof) unless
 * `result` is the committed result at `proof.index` under `resultsHashOfHeader`. Pass the
 * resultsHash of a header a light client verified.
 */
export function verifyTxResult(resultsHashOfHeader: Hex, result: CommittedTxResult, proof: TxResultProof): void {
  if (!Number.isSafeInteger(proof?.total) || !Number.isSafeInteger(proof?.index) || proof.index >= proof.total - 1) {
    throw new MerkleProofError('PNT_ERR_MERKLE_PROOF', 'a transaction result cannot sit at or past the block-events leaf', { details: { index: proof?.index, total: proof?.total } });
  }
  if (!Array.isArray(proof.siblings) || proof.siblings.some((s) => typeof s !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(s))) {
    throw new MerkleProofError('PNT_ERR_MERKLE_PROOF', 'siblings must be 32-byte hex');
  }
  const root = merkleRootFromProof(txResultLeaf(result), { index: proof.index, total: proof.total, siblings: proof.siblings.map((s) => fromHex(s, 32)) });
  if (toHex(root) !== resultsHashOfHeader.toLowerCase()) {
    throw new MerkleProofError('PNT_ERR_RESULT_PROOF_INVALID', 'result does not match the header\'s results hash', { details: { index: proof.index, hash: result.hash } });
  }
}

export type { MerkleProof };
