/**
 * The hub's own state proofs (sparse Merkle tree, hub-chain/state/proof.ts) as a client-side
 * verifier: used by the `pontis` type and registered as the `pontis-smt` proof kind of `attested`.
 * A proof arrives as the JSON StateProof or its compact byte form (bytes or 0x-hex).
 */
import { type Bytes, type Hex, fromHex, isHex } from '../../crypto/bytes.ts';
import { ProofError } from '../../state/errors.ts';
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
