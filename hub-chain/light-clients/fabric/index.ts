/**
 * Client type `fabric`: a Hyperledger Fabric channel running the Pontis chaincode, trusted
 * through its MSP roots, its orderers and the chaincode's endorsement policy
 * (docs/adr/0015-fabric-spoke.md). Relayers submit its headers; no observer votes on it.
 */
import type { ClientTypeRegistration } from '../../modules/clients/types.ts';
import { type FabricClientState, fabricClient } from './module.ts';
import { type FabricInitial, fabricInitialSchema, fabricMisbehaviourSchema, fabricParamsSchema, fabricUpdateSchema } from './schemas.ts';

export const fabricClientType: ClientTypeRegistration<FabricClientState> = {
  module: fabricClient,
  chainKinds: ['fabric'],
  schemas: { params: fabricParamsSchema, initial: fabricInitialSchema, messages: [fabricUpdateSchema], evidence: [fabricMisbehaviourSchema] },
  cli: {
    trustedHeight: (initial) => (initial as FabricInitial).header.number,
  },
};

export { FABRIC_CLIENT_TYPE, type FabricClientRecord, type FabricClientState, fabricClient } from './module.ts';
export { FABRIC_ERR, FABRIC_ERRORS, FabricClientError } from './errors.ts';
export { type BlockHeaderFields, type DecodedBlock, blockDataHash, blockHeaderBytes, blockHeaderHash, decodeBlock, txValidationCode, verifyOrdererSignatures } from './block.ts';
export { MspRegistry, isHighS, serializeIdentity, toLowS } from './msp.ts';
export { type EndorsementPolicy, policySatisfied } from './policy.ts';
export { FABRIC_TIMEOUT_MARKER, GET_STATE_FN, verifyEndorsedQuery } from './query.ts';
export { type EndorsedTx, type EndorsedTxRules, computeTxId, proposalHash, verifyEndorsedTransaction } from './transaction.ts';
export { type FabricHeader, type FabricInitial, type FabricMisbehaviour, type FabricParams, type FabricUpdate, fabricHeaderSchema, fabricInitialSchema, fabricMisbehaviourSchema, fabricParamsSchema, fabricQueryProofSchema, fabricTxProofSchema, fabricUpdateSchema } from './schemas.ts';
export { type FabricRegisterChainAction, fabricChainRegistration } from './registration.ts';
