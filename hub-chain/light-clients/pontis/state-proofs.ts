/**
 * The hub's own state proofs (sparse Merkle tree, hub-chain/state/proof.ts) as a client-side
 * verifier: used by the `pontis` type and registered as the `pontis-smt` proof kind of `attested`.
 * A proof arrives as the JSON StateProof or its compact byte form (bytes or 0x-hex).
 */
import { type Bytes, type Hex, concat, fromHex, isHex, utf8 } from '../../crypto/bytes.ts';
import { ProofError } from '../../state/errors.ts';
import { RECEIPT_BITS_PER_WORD, RECEIPT_WORD_BYTES, receiptBitSet } from '../../modules/packets/types.ts';
import { type StateProof, decodeProof, verifyMembership, verifyMembershipCompact, verifyNonMembership, verifyNonMembershipCompact } from '../../state/proof.ts';

export function toStateProof(proof: unknown): StateProof {
  const c = compactOf(proof);
  return c ? decodeProof(c) : (proof as StateProof); // the JSON form's shape is checked by the verifiers (PNT_ERR_PROOF_MALFORMED)
}

/** A proof in compact form (bytes, or 0x-hex of them), or undefined for the JSON form. */
function compactOf(proof: unknown): Bytes | undefined {
  if (proof instanceof Uint8Array) return proof;
  if (typeof proof !== 'string') return undefined;
  if (!isHex(proof)) throw new ProofError('PNT_ERR_PROOF_MALFORMED', 'proof string must be 0x-hex of the compact form');
  return fromHex(proof);
}

export function verifySmtMembership(root: Hex, key: Bytes, value: Bytes, proof: unknown): void {
  const c = compactOf(proof);
  if (c) verifyMembershipCompact(root, key, value, c);
  else verifyMembership(root, key, value, proof as StateProof);
}

export function verifySmtNonMembership(root: Hex, key: Bytes, proof: unknown): void {
  const c = compactOf(proof);
  if (c) verifyNonMembershipCompact(root, key, c);
  else verifyNonMembership(root, key, proof as StateProof);
}

/**
 * A receipt question's answer from a Pontis chain (ADR 0017 decision 3): the state proof of the
 * receipt word at `pkt/rcpt-bits/<ch>/<seq / 256>`, with the word (null: the proof shows it absent).
 */
export interface ReceiptAbsenceProof {
  word: Hex | null;
  proof: unknown;
}

const RECEIPT_QUESTION = /^pkt\/rcpt\/(.+)\/([1-9][0-9]{0,15})$/s;

const RECEIPT_PREFIX = 'pkt/rcpt/';

/** `pkt/rcpt/<channel>/<seq>` parsed (the channel as its raw bytes), or null for any other key. */
function receiptQuestion(key: Bytes): { ch: Bytes; seq: number } | null {
  const m = RECEIPT_QUESTION.exec(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1'));
  if (!m) return null;
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? { ch: key.subarray(RECEIPT_PREFIX.length, RECEIPT_PREFIX.length + m[1].length), seq } : null;
}

/** The receipt word key of a question: `pkt/rcpt-bits/<channel>/<seq / 256>`, the channel byte for byte (packetKeys.receiptBits for UTF-8 channel ids). */
const receiptWordKey = (q: { ch: Bytes; seq: number }): Bytes => concat(utf8('pkt/rcpt-bits/'), q.ch, utf8(`/${Math.floor(q.seq / RECEIPT_BITS_PER_WORD)}`));

/**
 * Non-membership as a Pontis chain answers it. Such a chain never writes `pkt/rcpt/...` keys: the
 * receipt question is answered by its receipt word, proven present with the bit clear or proven
 * absent; a bare absence proof of the question key (true of every packet, received or not) is
 * refused. Any other key: the tree's own non-membership.
 */
export function verifyPontisNonMembership(root: Hex, key: Bytes, proof: unknown): void {
  const q = receiptQuestion(key);
  if (q === null) return verifySmtNonMembership(root, key, proof);
  const r = proof as Partial<ReceiptAbsenceProof> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r) || !('word' in r) || !('proof' in r) || Object.keys(r).length !== 2) {
    throw new ProofError('PNT_ERR_PROOF_MALFORMED', 'a receipt is answered by its receipt word: { word, proof }');
  }
  const wordKey = receiptWordKey(q);
  if (r.word === null) return verifySmtNonMembership(root, wordKey, r.proof);
  if (typeof r.word !== 'string' || !isHex(r.word) || r.word.length !== 2 + 2 * RECEIPT_WORD_BYTES) throw new ProofError('PNT_ERR_PROOF_MALFORMED', `a receipt word is ${RECEIPT_WORD_BYTES} bytes of 0x-hex`);
  verifySmtMembership(root, wordKey, fromHex(r.word), r.proof);
  if (receiptBitSet(r.word, q.seq)) throw new ProofError('PNT_ERR_PROOF_KEY_PRESENT', `packet ${Buffer.from(q.ch).toString('utf8')}/${q.seq} was received: its receipt bit is set`);
}
