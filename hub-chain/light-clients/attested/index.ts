/**
 * Client type `attested`: a chain whose finalized blocks this chain's own validators vote on (for
 * kinds without a light client here yet, or as a second opinion). Its votes travel as
 * `attest/vote` messages, which other types may take too (`evm` in attested mode).
 */
import { CHAIN_KINDS } from '../../modules/registry/chain-kind.ts';
import type { ClientTypeMsg, ClientTypeRegistration } from '../../modules/clients/types.ts';
import { ClientError } from '../../modules/clients/types.ts';
import { pontisTrustFrom } from '../pontis/source.ts';
import { ATTEST_ERR } from './errors.ts';
import { ATTESTED_CLIENT_TYPE, type AttestedClientState, type AttestedConsensusExtra, type ProofKindRegistry, createAttestedClient } from './module.ts';
import { type AttestVoteMsg, type AttestedInitial, attestVoteMsgSchema, attestationVoteSchema, attestedInitialSchema, attestedParamsSchema } from './schemas.ts';

/** `attest/vote`: routed to the client of the chain the vote names. */
export const attestVoteMsg: ClientTypeMsg = {
  type: 'attest/vote',
  schema: attestVoteMsgSchema,
  chainIdOf: (m: AttestVoteMsg) => m.vote.chainId,
  clientMessage: (m: AttestVoteMsg) => m.vote,
  refused: (chainId, clientType) => new ClientError(ATTEST_ERR.NOT_ATTESTED, `client ${chainId} is of type ${clientType}, not ${ATTESTED_CLIENT_TYPE}`, { details: { chainId } }),
};

/** The `attested` registration over a proof-kind registry (default: the hub's sparse Merkle proofs). */
export function attestedClientTypeWith(proofKinds?: ProofKindRegistry): ClientTypeRegistration<AttestedClientState, AttestedConsensusExtra> {
  return {
    module: createAttestedClient(proofKinds),
    chainKinds: CHAIN_KINDS,
    schemas: { params: attestedParamsSchema, initial: attestedInitialSchema, messages: [attestationVoteSchema], evidence: [] },
    storePrefixes: ['attest/'],
    msgs: [attestVoteMsg],
    accepts: (msgType) => msgType === attestVoteMsg.type,
    cli: {
      defaultParams: (kind) => (kind === 'pontis' ? { proofKind: 'pontis-smt' } : {}),
      trustedHeight: (initial) => (initial as AttestedInitial).height,
      trustFrom: pontisTrustFrom((t) => t.attested),
    },
  };
}

export const attestedClientType = attestedClientTypeWith();

export {
  ATTESTED_CLIENT_TYPE,
  ATTESTATION_TYPE,
  DEFAULT_VOTE_WINDOW,
  ProofKindRegistry,
  type ProofKindVerifier,
  attestationDigest,
  attestedClient,
  createAttestedClient,
  defaultProofKinds,
  pontisSmtProofKind,
  signAttestation,
  verifyAttestationSignature,
} from './module.ts';
export { ATTEST_ERR } from './errors.ts';
export { AttestationObserver } from './observer.ts';
