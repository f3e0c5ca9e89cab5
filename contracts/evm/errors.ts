/**
 * Catalog entries of the EVM contracts' tooling: building (build.ts), encoding for the contracts
 * (encode.ts) and deploying (deploy.ts). A deployment that failed on the way to the node says
 * `retryable` itself; one the chain refused does not.
 */
import { errorTable } from '../../hub-chain/errors.ts';

export const CONTRACT_ERRORS = errorTable(
  [
    /** No sources, solc failed, or one contract name defined twice. */
    'PNT_ERR_CONTRACT_BUILD',
    /** Another build holds the build lock past the deadline. */
    'PNT_ERR_CONTRACT_BUILD_LOCK',
    /** A value the contracts cannot take (e.g. a signer outside the validator set). */
    'PNT_ERR_CONTRACT_ENCODING',
    'PNT_ERR_EVM_DEPLOY_APP_NAME',
    /** No compiled artifact: run `npm run build:contracts`. */
    'PNT_ERR_EVM_DEPLOY_ARTIFACT',
    /** A deployment or setup transaction failed (the error is retryable when the node could not be reached, not when the chain refused it). */
    'PNT_ERR_EVM_DEPLOY_FAILED',
    /** The EVM chain has no block at the tag asked for yet. */
    'PNT_ERR_EVM_DEPLOY_NO_BLOCK',
    'PNT_ERR_EVM_DEPLOY_SIGNER',
    'PNT_ERR_EVM_DEPLOY_TRUST_ROOT',
  ],
  { PNT_ERR_EVM_DEPLOY_FAILED: { retryable: true }, PNT_ERR_EVM_DEPLOY_NO_BLOCK: { retryable: true } },
);
