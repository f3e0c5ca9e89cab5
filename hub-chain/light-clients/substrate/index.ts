/**
 * Client type `substrate`: Substrate chains, headers trusted through GRANDPA justifications or
 * the hub validators' attestation votes, state through read proofs of the chain's trie (raw
 * storage keys) and remarks of registered writer accounts via `System.Events`. Registered on the
 * app's ClientRouter as `substrateClientType`.
 */
import { z } from 'zod';
import { chainIdSchema } from '../../modules/clients/schemas.ts';
import type { ClientTypeRegistration } from '../../modules/clients/types.ts';
import { attestVoteMsg } from '../attested/index.ts';
import { attestationVoteSchema } from '../attested/schemas.ts';
import { decodeHeader } from './header.ts';
import { type SubstrateClientRecord, type SubstrateClientState, type SubstrateConsensusExtra, substrateClient } from './module.ts';
import { type SubstrateInitial, substrateHeaderMsgSchema, substrateInitialSchema, substrateParamsSchema } from './schemas.ts';
import { substrateTrustRoot } from './registration.ts';
import { substrateFinalizedSource } from './source.ts';

/** A node's `observers` entry for a Substrate chain (validators vote its finalized blocks for `substrate` clients in attested mode). */
export const substrateObserverConfigSchema = z.strictObject({
  chainId: chainIdSchema,
  kind: z.literal('substrate'),
  rpc: z.string().regex(/^https?:\/\/[^\s/]+(\/.*)?$/, 'must be an http(s):// URL'),
  intervalMs: z.number().int().min(50).max(600_000).default(1000),
  stride: z.number().int().min(1).max(10_000).default(1),
});
type SubstrateObserverConfig = z.infer<typeof substrateObserverConfigSchema>;

export const substrateClientType: ClientTypeRegistration<SubstrateClientState, SubstrateConsensusExtra> = {
  module: substrateClient,
  chainKinds: ['substrate'],
  schemas: { params: substrateParamsSchema, initial: substrateInitialSchema, messages: [substrateHeaderMsgSchema, attestationVoteSchema], evidence: [substrateHeaderMsgSchema] },
  // attested mode keeps the `attested` type's votes and tallies
  storePrefixes: ['attest/'],
  msgs: [attestVoteMsg],
  accepts: (msgType, rec: SubstrateClientRecord) => msgType === attestVoteMsg.type && rec.state.trust?.mode === 'attested',
  observer: {
    kind: 'substrate',
    configSchema: substrateObserverConfigSchema,
    source: (cfg) => substrateFinalizedSource((cfg as SubstrateObserverConfig).rpc),
  },
  cli: {
    // attested unless --params says grandpa; `writers` and `events` (substrateEventTypes) come with --params
    defaultParams: () => ({ trust: { mode: 'attested' } }),
    trustedHeight: (initial) => {
      const i = initial as SubstrateInitial;
      return 'header' in i ? decodeHeader(i.header).number : i.height;
    },
    // the finalized head as attested mode's initial state (a grandpa client needs its authority set from governance)
    trustFrom: async (url) => {
      const b = await substrateTrustRoot(url);
      return { initial: { height: b.height, hash: b.hash, stateRoot: b.stateRoot, timestamp: b.timestamp }, height: b.height };
    },
  },
};

export { SUBSTRATE_CLIENT_TYPE, type SubstrateClientRecord, type SubstrateClientState, type SubstrateConsensusExtra, type SubstrateConsensusRecord, substrateClient } from './module.ts';
export { SUB_ERR, SUBSTRATE_ERRORS, SubstrateClientError } from './errors.ts';
export { type EventTypeTable, decodeEvents, eventTypeTable, eventTypeTableHash, readMetadataV14, remarkedOf } from './events.ts';
export { type GrandpaJustification, decodeJustification, encodeJustification, precommitPayload, verifyJustification } from './grandpa.ts';
export { type Authority, type AuthorityChange, type RpcHeader, type SubstrateHeader, authorityChanges, checkParentLink, decodeHeader, encodeHeader, headerFromRpc, headerHash, scheduledChangeDigest, verifiedHeaderFromRpc } from './header.ts';
export { REMARK_MAGIC, decodeRemarkPayload, encodeRemarkPayload, verifyRemarkWrite } from './remark.ts';
export { SYSTEM_EVENTS_KEY, TIMESTAMP_NOW_KEY, blake2_128Concat, storageValueKey, systemAccountKey, twox128 } from './storage.ts';
export { type SubstrateFinalizedSource, type SubstrateRpc, readFullState, substrateBlockAt, substrateFinalizedSource, substrateHttpRpc } from './source.ts';
export { SUBSTRATE_REGISTRATION_DEFAULTS, type SubstrateChainRegistrationOptions, type SubstrateRegisterChainAction, substrateChainRegistration, substrateEventTypes, substrateTrustRoot } from './registration.ts';
export { EMPTY_TRIE_ROOT, type TrieVersion, blake2_256, buildReadProof, trieRoot, verifyReadProof } from './trie.ts';
export { type SubstrateHeaderMsg, type SubstrateInitial, type SubstrateParams, type SubstrateProof, substrateHeaderMsgSchema, substrateInitialSchema, substrateParamsSchema, substrateProofSchema } from './schemas.ts';
