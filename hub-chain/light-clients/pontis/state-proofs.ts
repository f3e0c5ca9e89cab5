/**
 * The hub's own state proofs (sparse Merkle tree, hub-chain/state/proof.ts) as a client-side
 * verifier: used by the `pontis` type and registered as the `pontis-smt` proof kind of `attested`.
 * A proof arrives as the JSON StateProof or its compact byte form (bytes or 0x-hex).
 */
import { type Bytes, type Hex, fromHex, isHex } from '../../crypto/bytes.ts';
import { ProofError } from '../../state/errors.ts';
import { type StateProof, decodeProof, verifyMembership, verifyNonMembership } from '../../state/proof.ts';

export function toStateProof(proof: unknown): StateProof {
  if (proof instanceof Uint8Array) return decodeProof(proof);
  if (typeof proof === 'string') {
    if (!isHex(proof)) throw new ProofError('PNT_ERR_PROOF_MALFORMED', 'proof string must be 0x-hex of the compact form');
    return decodeProof(fromHex(proof));
  }
  return proof as StateProof; // shape checked by the verifiers (PNT_ERR_PROOF_MALFORMED)
}

export function verifySmtMembership(root: Hex, key: Bytes, value: Bytes, proof: unknown): void {
  verifyMembership(root, key, value, toStateProof(proof));
}

export function verifySmtNonMembership(root: Hex, key: Bytes, proof: unknown): void {
  verifyNonMembership(root, key, toStateProof(proof));
}
