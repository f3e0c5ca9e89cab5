/**
 * A block: header, opaque transactions, evidence of misbehaviour, and the commit of the
 * previous block that the proposer saw. The block hash is the header hash.
 */
import { type Bytes, type Hex, toHex, utf8 } from '../crypto/bytes.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import { canonicalJson } from '../encoding/canonical-json.ts';
import type { Header } from './header.ts';
import type { Commit, Vote } from './vote.ts';

/** Two votes by one validator for the same height, round and type with different block hashes. */
export interface DuplicateVoteEvidence {
  kind: 'duplicate-vote';
  voteA: Vote;
  voteB: Vote;
}
export type Evidence = DuplicateVoteEvidence;

export interface Block {
  header: Header;
  txs: Bytes[];
  evidence: Evidence[];
  lastCommit: Commit | null;
}

export function txRoot(txs: Bytes[]): Hex {
  return toHex(merkleRoot(txs));
}

export function evidenceHash(evidence: Evidence[]): Hex {
  return toHex(merkleRoot(evidence.map((e) => utf8(canonicalJson(e)))));
}

/** JSON form of a block for the wire and RPC: transactions as base64. */
export interface BlockJSON {
  header: Header;
  txs: string[];
  evidence: Evidence[];
  lastCommit: Commit | null;
}

export function blockToJSON(b: Block): BlockJSON {
  return { header: b.header, txs: b.txs.map((t) => Buffer.from(t).toString('base64')), evidence: b.evidence, lastCommit: b.lastCommit };
}

export function blockFromJSON(j: BlockJSON): Block {
  return { header: j.header, txs: j.txs.map((t) => new Uint8Array(Buffer.from(t, 'base64'))), evidence: j.evidence ?? [], lastCommit: j.lastCommit ?? null };
}
