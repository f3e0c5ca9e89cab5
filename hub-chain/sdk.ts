/** The application developer's entry point: `import { HubClient, ... } from 'pontis/sdk'`. */
export { HubClient, type BlockEvent, type BlockResponse, type NodeStatus, type StateResponse, type TxStatus } from './rpc-client/client.ts';
export { RpcHeaderSource } from './rpc-client/header-source.ts';
export { generateAccountKey, accountKeyFromSeed, type AccountKey } from './crypto/ed25519.ts';
export { toHex, fromHex, utf8, type Hex, type Bytes } from './crypto/bytes.ts';
export { signTx, type Msg, type SignedTx, type TxBody } from './app/tx.ts';
export { keys as stateKeys } from './app/app.ts';
export { LightClient, type HeaderSource } from './light-clients/pontis/verifier/client.ts';
export { verifyHeader, trustedStateFrom, type TrustedState, type SignedHeader } from './light-clients/pontis/verifier/verifier.ts';
export { verifyMembership, verifyNonMembership, type StateProof } from './state/proof.ts';
export { verifyTxResult, resultsHash, type TxResultProof } from './types/results.ts';
export { VerifiedReader, type TrustRoot } from './rpc-client/verified.ts';
export { ValidatorSet } from './types/validator-set.ts';
export { headerHash, type Header } from './types/header.ts';
export { verifyCommit, type Commit } from './types/vote.ts';
export { PontisError, hasCode } from './errors.ts';
export { pontisTrustRoot, proposeAndPass, type PontisTrustRoot } from './rpc-client/registry.ts';
