/**
 * Client type `evm`: EVM chains with a Pontis Gateway, headers trusted through the hub
 * validators' attestation votes or QBFT seals, state through eth_getProof of the gateway's
 * storage. Registered on the app's ClientRouter as `evmClientType`.
 */
import { z } from 'zod';
import { chainIdSchema } from '../../modules/clients/schemas.ts';
import type { ClientTypeRegistration } from '../../modules/clients/types.ts';
import { attestVoteMsg } from '../attested/index.ts';
import { attestationVoteSchema } from '../attested/schemas.ts';
import { decodeHeader } from './header.ts';
import { type EvmClientRecord, type EvmClientState, type EvmConsensusExtra, evmClient } from './module.ts';
import { type EvmInitial, evmHeaderMsgSchema, evmInitialSchema, evmParamsSchema } from './schemas.ts';
import { evmFinalizedSource } from './source.ts';

/** A node's `observers` entry for an EVM chain (validators vote its finalized blocks for `evm` clients in attested mode). */
export const evmObserverConfigSchema = z.strictObject({
  chainId: chainIdSchema,
  kind: z.literal('evm'),
  rpc: z.string().regex(/^https?:\/\/[^\s/]+(\/.*)?$/, 'must be an http(s):// URL'),
  intervalMs: z.number().int().min(50).max(600_000).default(1000),
  stride: z.number().int().min(1).max(10_000).default(1),
  /** Blocks behind latest that count as final when the node has no `finalized` tag. */
  depth: z.number().int().min(0).max(10_000).optional(),
  /** EIP-155 chain id the RPC must report. */
  chainIdNumber: z.number().int().min(1).optional(),
});
type EvmObserverConfig = z.infer<typeof evmObserverConfigSchema>;

export const evmClientType: ClientTypeRegistration<EvmClientState, EvmConsensusExtra> = {
  module: evmClient,
  chainKinds: ['evm'],
  schemas: { params: evmParamsSchema, initial: evmInitialSchema, messages: [evmHeaderMsgSchema, attestationVoteSchema], evidence: [evmHeaderMsgSchema] },
  // attested mode keeps the `attested` type's votes and tallies
  storePrefixes: ['attest/'],
  msgs: [attestVoteMsg],
  accepts: (msgType, rec: EvmClientRecord) => msgType === attestVoteMsg.type && rec.state.trust?.mode === 'attested',
  observer: {
    kind: 'evm',
    configSchema: evmObserverConfigSchema,
    source: (cfg) => {
      const o = cfg as EvmObserverConfig;
      return evmFinalizedSource(o.rpc, { depth: o.depth, chainIdNumber: o.chainIdNumber });
    },
  },
  cli: {
    trustedHeight: (initial) => {
      const i = initial as EvmInitial;
      return 'headerRlp' in i ? decodeHeader(i.headerRlp).number : i.height;
    },
  },
};

export { EVM_CLIENT_TYPE, type EvmClientRecord, type EvmConsensusExtra, type EvmClientState, type EvmConsensusRecord, evmClient } from './module.ts';
export { EVM_ERR, EvmClientError } from './errors.ts';
export { type EvmHeader, type RpcBlock, checkHeaderChain, checkParentLink, decodeHeader, encodeHeader, headerFromRpc, headerHash, verifiedHeaderFromRpc } from './header.ts';
export { EMPTY_TRIE_ROOT, type EvmLog, type EvmReceipt, type StorageProof, decodeReceipt, logAt, verifyAccountProof, verifyMptProof, verifyReceiptProof, verifyStorageProof } from './mpt.ts';
export { MemoryTrie, type ReceiptProof, type RpcReceipt, type AccountProof, buildReceiptProof, buildReceiptsTrie, encodeReceipt, fetchAccountProof, fetchPontisProof, fetchStorageProof, pontisSlot, storageProofAt } from './proofs.ts';
export { type QbftExtra, decodeQbftExtra, encodeQbftExtra, qbftBlockHash, qbftCommitters, qbftSealDigest, sealQbftHeader, verifyQbftSeals } from './qbft.ts';
export { decodeRlp, encodeRlp, type RlpItem } from './rlp.ts';
export { type EvmHeaderMsg, type EvmInitial, type EvmParams, evmHeaderMsgSchema, evmInitialSchema, evmParamsSchema, evmStorageProofSchema } from './schemas.ts';
export { type EvmFinalizedSource, evmFinalizedSource, finalizedBlockOf } from './source.ts';
export { EVM_RPC_ERR, EvmRpcError, JsonRpcClient, type JsonRpcSender, httpJsonRpc } from './json-rpc.ts';
export { type EvmChainRegistrationOptions, EVM_REGISTRATION_DEFAULTS, evmChainRegistration, evmTrustRoot } from './registration.ts';
