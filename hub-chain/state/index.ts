/** The hub's authenticated state: the LMDB-backed store and the pure proof format and verifiers. */
export { StateStore, type StateStoreOptions, type WorkingState } from './store.ts';
export { type StateProof, encodeProof, decodeProof, verifyMembership, verifyNonMembership, EMPTY_ROOT, MAX_PROOF_DEPTH } from './proof.ts';
export { StateError, ProofError, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './errors.ts';
