/**
 * State proofs against a verified hub header. A header's stateRoot is the state after executing
 * that block, so a proof generated at height H is checked against header H. The tree rules live
 * in hub-chain/state/proof.ts; the ProofError it throws (PNT_ERR_PROOF_*) reaches the caller
 * unchanged, so a relayer sees the same code here as on the hub or in the contract.
 */
import type { Bytes } from '../../../crypto/bytes.ts';
import { type StateProof, verifyMembership, verifyNonMembership } from '../../../state/proof.ts';
import type { Header } from '../../../types/header.ts';
import type { TrustedState } from './verifier.ts';

/** Only pass a header that a light client verified (a TrustedState, or its header). */
function rootOf(trusted: TrustedState | Header): Header['stateRoot'] {
  return 'header' in trusted ? trusted.header.stateRoot : trusted.stateRoot;
}

/** Throws ProofError unless `proof` shows key -> value in the state of the verified header. */
export function verifyStateMembership(trusted: TrustedState | Header, key: Bytes, value: Bytes, proof: StateProof): void {
  verifyMembership(rootOf(trusted), key, value, proof);
}

/** Throws ProofError unless `proof` shows `key` absent from the state of the verified header. */
export function verifyStateNonMembership(trusted: TrustedState | Header, key: Bytes, proof: StateProof): void {
  verifyNonMembership(rootOf(trusted), key, proof);
}
