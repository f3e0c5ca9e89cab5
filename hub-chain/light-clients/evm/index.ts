/**
 * The `evm` light client. Importing this module registers the type on the node's default client
 * router (idempotent), so hub-chain/app/modules.ts only needs `import '../light-clients/evm/index.ts'`.
 */
import { registerEvmClient } from './module.ts';

registerEvmClient();

export { EVM_CLIENT_TYPE, type EvmClientRecord, type EvmConsensusExtra, type EvmClientState, type EvmConsensusRecord, evmClient, registerEvmClient, verifyGatewayEvent } from './module.ts';
export { EVM_ERR, EvmClientError } from './errors.ts';
export { type EvmHeader, type RpcBlock, checkHeaderChain, checkParentLink, decodeHeader, encodeHeader, headerFromRpc, headerHash, verifiedHeaderFromRpc } from './header.ts';
export { EMPTY_TRIE_ROOT, type EvmLog, type EvmReceipt, type StorageProof, decodeReceipt, logAt, verifyAccountProof, verifyMptProof, verifyReceiptProof, verifyStorageProof } from './mpt.ts';
export { MemoryTrie, type ReceiptProof, type RpcReceipt, type AccountProof, buildReceiptProof, buildReceiptsTrie, encodeReceipt, fetchAccountProof, fetchPontisProof, fetchStorageProof, pontisSlot, storageProofAt } from './proofs.ts';
export { type QbftExtra, decodeQbftExtra, encodeQbftExtra, qbftBlockHash, qbftCommitters, qbftSealDigest, sealQbftHeader, verifyQbftSeals } from './qbft.ts';
export { decodeRlp, encodeRlp, type RlpItem } from './rlp.ts';
export { type EvmEventProof, type EvmHeaderMsg, type EvmInitial, type EvmParams, evmEventProofSchema, evmHeaderMsgSchema, evmInitialSchema, evmParamsSchema, evmStorageProofSchema } from './schemas.ts';
export { type EvmFinalizedSource, evmFinalizedSource, finalizedBlockOf } from './source.ts';
export { EVM_RPC_ERR, EvmRpcError, JsonRpcClient, type JsonRpcSender, httpJsonRpc } from './json-rpc.ts';
