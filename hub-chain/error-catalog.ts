/**
 * The hub's error catalog: every PNT_ERR_* code raised under hub-chain/, with whether trying again
 * later can help (`retryable`) and the HTTP status the RPC answers it with (`httpStatus`).
 * Modules with their own table keep it beside their code (clients, light clients, state, mempool,
 * RPC); the codes of areas that raise them inline are listed here, one section per area. Codes not
 * listed: not retryable, HTTP 400. Adapters, contracts and relayers add their tables in the full
 * catalog (relayers/error-catalog.ts); test/errors/catalog.test.ts fails on a code nobody lists.
 */
import { ErrorCatalog, errorTable, type ErrorTable } from './errors.ts';
import { MEMPOOL_ERRORS } from './app/mempool.ts';
import { ATTEST_ERRORS } from './light-clients/attested/errors.ts';
import { EVM_ERRORS } from './light-clients/evm/errors.ts';
import { FABRIC_ERRORS } from './light-clients/fabric/errors.ts';
import { SUBSTRATE_ERRORS } from './light-clients/substrate/errors.ts';
import { LC_ERRORS } from './light-clients/pontis/verifier/errors.ts';
import { CLIENT_ERRORS } from './modules/clients/errors.ts';
import { DATA_ERRORS } from './modules/data-sharing/types.ts';
import { AUDIT_ERRORS } from './modules/audit/merkle-log.ts';
import { DATA_CRYPTO_ERRORS } from './crypto/data-errors.ts';
import { RPC_ERRORS } from './rpc/codes.ts';
import { PROOF_ERRORS, STATE_ERRORS } from './state/errors.ts';

const notFound = { httpStatus: 404 } as const;
const retryable = { retryable: true } as const;

/** Transactions, genesis and governance (app/). */
const APP_ERRORS = errorTable(
  [
    'PNT_ERR_TX_MALFORMED',
    'PNT_ERR_TX_NOT_CANONICAL',
    'PNT_ERR_TX_TOO_LARGE',
    /** A committed transaction whose nonce is not the account's next (block execution). */
    'PNT_ERR_TX_BAD_NONCE',
    'PNT_ERR_TX_NOT_FOUND',
    'PNT_ERR_GENESIS_INVALID',
    'PNT_ERR_MSG_UNKNOWN',
    'PNT_ERR_GOV_BAD_VALIDATOR_SET',
    'PNT_ERR_GOV_CLOSED',
    'PNT_ERR_GOV_DUPLICATE_MEMBER',
    'PNT_ERR_GOV_EXPIRED',
    'PNT_ERR_GOV_NOT_MEMBER',
    'PNT_ERR_GOV_NO_MEMBERS',
    'PNT_ERR_GOV_UNKNOWN_ACTION',
    'PNT_ERR_GOV_UNKNOWN_PROPOSAL',
  ],
  { PNT_ERR_TX_NOT_FOUND: notFound, PNT_ERR_GOV_UNKNOWN_PROPOSAL: notFound },
);

/** Block validation, the block store and state sync (node/). */
const NODE_ERRORS = errorTable(
  [
    'PNT_ERR_BLOCK_CHAIN_ID',
    'PNT_ERR_BLOCK_EVIDENCE',
    'PNT_ERR_BLOCK_EVIDENCE_HASH',
    'PNT_ERR_BLOCK_FROM_FUTURE',
    'PNT_ERR_BLOCK_GAS',
    'PNT_ERR_BLOCK_HEIGHT',
    'PNT_ERR_BLOCK_NEXT_VALIDATORS',
    'PNT_ERR_BLOCK_NOT_FOUND',
    'PNT_ERR_BLOCK_PREV_HASH',
    'PNT_ERR_BLOCK_PROPOSER',
    'PNT_ERR_BLOCK_RESULTS_HASH',
    'PNT_ERR_BLOCK_STATE_ROOT',
    'PNT_ERR_BLOCK_TIME',
    'PNT_ERR_BLOCK_TOO_LARGE',
    'PNT_ERR_BLOCK_TOO_MANY_TXS',
    'PNT_ERR_BLOCK_TX_INVALID',
    'PNT_ERR_BLOCK_TX_ROOT',
    'PNT_ERR_BLOCK_TX_SIGNATURE',
    'PNT_ERR_BLOCK_VALIDATORS',
    'PNT_ERR_STORE_CORRUPT',
    'PNT_ERR_VALSET_UNKNOWN',
    'PNT_ERR_RESTORE_NOT_EMPTY',
    'PNT_ERR_HOME_EXISTS',
    'PNT_ERR_CONFIG_INVALID',
    'PNT_ERR_CONFIG_MISSING',
    'PNT_ERR_P2P_MALFORMED',
    'PNT_ERR_SYNC_BAD_QUERY',
    'PNT_ERR_SYNC_BLOCK_MISMATCH',
    'PNT_ERR_SYNC_GENESIS_MISMATCH',
    'PNT_ERR_SYNC_HEADER_MISMATCH',
    'PNT_ERR_SYNC_INTERNAL',
    'PNT_ERR_SYNC_NOT_FOUND',
    'PNT_ERR_SYNC_PEER_REFUSED',
    /** A peer did not answer in time; another peer (or the same one later) may. */
    'PNT_ERR_SYNC_PEER_TIMEOUT',
    'PNT_ERR_SYNC_STOPPED',
    'PNT_ERR_SNAPSHOT_CHUNK_HASH',
    'PNT_ERR_SNAPSHOT_CHUNK_MALFORMED',
    'PNT_ERR_SNAPSHOT_ENTRIES',
    'PNT_ERR_SNAPSHOT_MANIFEST',
    'PNT_ERR_SNAPSHOT_ROOT',
  ],
  { PNT_ERR_BLOCK_NOT_FOUND: notFound, PNT_ERR_SYNC_PEER_TIMEOUT: retryable },
);

/** The consensus engine, evidence and the private validator (consensus/). */
const CONSENSUS_ERRORS = errorTable(['PNT_ERR_DOUBLE_SIGN', 'PNT_ERR_EVIDENCE_INVALID', 'PNT_ERR_LOCK_STATE_CORRUPT', 'PNT_ERR_SIGN_REQUEST', 'PNT_ERR_SIGN_STATE_CORRUPT']);

/** Headers, commits, validator sets and results (types/), hashing and encoding (crypto/, encoding/). */
const TYPES_ERRORS = errorTable([
  'PNT_ERR_BAD_CHAIN_ID',
  'PNT_ERR_COMMIT_BLOCK',
  'PNT_ERR_COMMIT_DUPLICATE_SIGNER',
  'PNT_ERR_COMMIT_HEIGHT',
  'PNT_ERR_COMMIT_INSUFFICIENT_POWER',
  'PNT_ERR_COMMIT_SIGNATURE',
  'PNT_ERR_COMMIT_SIGNATURES',
  'PNT_ERR_COMMIT_UNKNOWN_SIGNER',
  'PNT_ERR_VALIDATOR_ADDRESS',
  'PNT_ERR_VALIDATOR_KEY',
  'PNT_ERR_VALIDATOR_POWER',
  'PNT_ERR_VALSET_DUPLICATE',
  'PNT_ERR_VALSET_EMPTY',
  'PNT_ERR_VALSET_POWER',
  'PNT_ERR_VALSET_PRIORITIES',
  'PNT_ERR_VALSET_TOO_LARGE',
  'PNT_ERR_MERKLE_INDEX',
  'PNT_ERR_MERKLE_PROOF',
  'PNT_ERR_BAD_DIGEST',
  'PNT_ERR_BAD_HEX',
  'PNT_ERR_INT_RANGE',
  'PNT_ERR_CANONICAL_NUMBER',
  'PNT_ERR_CANONICAL_TYPE',
]);

/** Packets, the message app and the chain registry (modules/packets, modules/registry). */
const PACKET_ERRORS = errorTable(
  [
    'PNT_ERR_PACKET_APP_DUPLICATE',
    'PNT_ERR_PACKET_APP_WRITE_DENIED',
    /** A batch proof (ADR 0017) that is malformed, or whose path does not lead to its batch's root. */
    'PNT_ERR_PACKET_BATCH_PROOF',
    'PNT_ERR_PACKET_COMMITMENT_MISMATCH',
    'PNT_ERR_PACKET_NOT_FOUND',
    /** A timeout submitted before the packet's timeout passed on the destination: it will pass. */
    'PNT_ERR_PACKET_NOT_TIMED_OUT',
    'PNT_ERR_PACKET_NO_TIMEOUT',
    'PNT_ERR_PACKET_ORDERING',
    /** An ordered channel's next sequence is not this one yet: the packets before it come first. */
    'PNT_ERR_PACKET_OUT_OF_ORDER',
    'PNT_ERR_PACKET_POLICY_DUPLICATE',
    /** A receipt word (ADR 0017) that is not 32 bytes. */
    'PNT_ERR_PACKET_RECEIPT_WORD',
    'PNT_ERR_PACKET_TIMED_OUT',
    /** The error an acknowledgement carries for a packet that timed out. */
    'PNT_ERR_PACKET_TIMEOUT',
    'PNT_ERR_PACKET_TO_SELF',
    'PNT_ERR_PACKET_UNKNOWN_APP',
    'PNT_ERR_PACKET_WRONG_CHAIN',
    'PNT_ERR_CHANNEL_CLOSED',
    'PNT_ERR_ACK_MALFORMED',
    'PNT_ERR_MSG_EMPTY',
    /** RPC: no inbox entry (or no outcome, and no outstanding packet) for that chain and sequence here. */
    'PNT_ERR_MSG_NOT_FOUND',
    /** The `attest` app: a payload that is not the attestation ABI encoding, names another issuer chain, was revoked or has expired. */
    'PNT_ERR_ATTESTATION_MALFORMED',
    'PNT_ERR_ATTESTATION_CHAIN_MISMATCH',
    'PNT_ERR_ATTESTATION_REVOKED',
    'PNT_ERR_ATTESTATION_EXPIRED',
    /** An attestation of a kind governance closed, from an issuer not registered (or retired) for it. */
    'PNT_ERR_ATTESTATION_ISSUER',
    /** RPC: neither the hub's status record nor an `attest` app record of that attestation here. */
    'PNT_ERR_ATTESTATION_NOT_FOUND',
    'PNT_ERR_MSG_MALFORMED',
    'PNT_ERR_CHAIN_EXISTS',
    /** Governance paused the chain; it may resume. */
    'PNT_ERR_CHAIN_PAUSED',
    'PNT_ERR_CHAIN_RETIRED',
    'PNT_ERR_CHAIN_SELF',
    'PNT_ERR_CHAIN_UNKNOWN',
    /** Governance paused the route; it may resume. */
    'PNT_ERR_ROUTE_PAUSED',
    'PNT_ERR_ROUTE_UNKNOWN',
  ],
  {
    PNT_ERR_PACKET_NOT_FOUND: notFound,
    PNT_ERR_MSG_NOT_FOUND: notFound,
    PNT_ERR_ATTESTATION_NOT_FOUND: notFound,
    PNT_ERR_CHAIN_UNKNOWN: notFound,
    PNT_ERR_PACKET_NOT_TIMED_OUT: retryable,
    PNT_ERR_PACKET_OUT_OF_ORDER: retryable,
    PNT_ERR_CHAIN_PAUSED: retryable,
    PNT_ERR_ROUTE_PAUSED: retryable,
  },
);

/** Token transfers and the bank (modules/transfer). */
const TRANSFER_ERRORS = errorTable(
  [
    'PNT_ERR_TRANSFER_ACCOUNTING',
    'PNT_ERR_TRANSFER_ESCROW_INSUFFICIENT',
    'PNT_ERR_TRANSFER_EXCEEDS_ESCROW',
    'PNT_ERR_TRANSFER_INVALID_CHAIN',
    'PNT_ERR_TRANSFER_INVALID_PAYLOAD',
    'PNT_ERR_TRANSFER_INVALID_RATE_LIMIT',
    'PNT_ERR_TRANSFER_INVALID_RECEIVER',
    'PNT_ERR_TRANSFER_INVALID_TIMEOUT',
    'PNT_ERR_TRANSFER_TRACE_TOO_LONG',
    'PNT_ERR_TRANSFER_WRONG_APP',
    /** A chain that mints no vouchers (a Substrate chain without contracts) refuses another chain's token: the source refunds. */
    'PNT_ERR_TRANSFER_NO_VOUCHERS',
    /** The route's rate-limit window is spent; a later window has room. */
    'PNT_ERR_RATE_LIMITED',
    'PNT_ERR_BANK_INSUFFICIENT',
    'PNT_ERR_BANK_INVALID_ADDRESS',
    'PNT_ERR_BANK_INVALID_AMOUNT',
    'PNT_ERR_BANK_INVALID_DENOM',
    'PNT_ERR_BANK_OVERFLOW',
    'PNT_ERR_BANK_UNKNOWN_DENOM',
  ],
  { PNT_ERR_RATE_LIMITED: retryable },
);

/** The hub's RPC client and the verified reader (rpc-client/). */
const RPC_CLIENT_ERRORS = errorTable(
  [
    /** A non-JSON answer (the error says retryable only when the node answered 5xx). */
    'PNT_ERR_RPC_BAD_RESPONSE',
    /** An HTTP failure without a PNT_ERR_* body (the error says retryable only when 5xx). */
    'PNT_ERR_RPC_HTTP',
    'PNT_ERR_TX_TIMEOUT',
    'PNT_ERR_HEIGHT_TIMEOUT',
    /** The node served a header or block that does not chain to the verified ones (it may be lagging or switching). */
    'PNT_ERR_BLOCK_NOT_VERIFIED',
    'PNT_ERR_RESULT_PROOF_MISSING',
    'PNT_ERR_RESULT_PROOF_INVALID',
    'PNT_ERR_TRUST_ROOT_CHAIN',
    /** The chain has no committed block yet. */
    'PNT_ERR_TRUST_ROOT_EMPTY',
    'PNT_ERR_PACKET_ID_INVALID',
  ],
  {
    PNT_ERR_RPC_BAD_RESPONSE: retryable,
    PNT_ERR_RPC_HTTP: retryable,
    PNT_ERR_TX_TIMEOUT: retryable,
    PNT_ERR_HEIGHT_TIMEOUT: retryable,
    PNT_ERR_BLOCK_NOT_VERIFIED: retryable,
    PNT_ERR_RESULT_PROOF_MISSING: retryable,
    PNT_ERR_RESULT_PROOF_INVALID: retryable,
    PNT_ERR_TRUST_ROOT_EMPTY: retryable,
  },
);

/** The command line and the devnet flows (cli/). */
const CLI_ERRORS = errorTable(
  [
    'PNT_ERR_CLI_BAD_OPTION',
    'PNT_ERR_DEVNET_ANVIL',
    'PNT_ERR_DEVNET_PORT',
    'PNT_ERR_DEVNET_REGISTER',
    'PNT_ERR_DEVNET_TIMEOUT',
    'PNT_ERR_EVM_FLOW_BALANCE',
    'PNT_ERR_EVM_FLOW_NOT_DEPLOYED',
    'PNT_ERR_EVM_FLOW_REFUSED',
    'PNT_ERR_EVM_FLOW_SUPPLY',
    'PNT_ERR_EVM_FLOW_TIMEOUT',
    'PNT_ERR_EVM_FLOW_TX_FAILED',
    'PNT_ERR_EVM_FLOW_UNTRUSTED_ISSUER',
    /** Fabric network stand-in (devnet/fabric/): bad options (org count, endorsement policy). */
    'PNT_ERR_FABNET_CONFIG',
    /** Fabric network stand-in: a peer cannot listen on its port. */
    'PNT_ERR_FABNET_PORT',
    /** Fabric network stand-in: a peer cannot reach a chaincode server (it may not be up yet). */
    'PNT_ERR_FABNET_CHAINCODE',
    /** Fabric network stand-in: a proposal that does not unpack (headers, chaincode spec, txid derivation). */
    'PNT_ERR_FABNET_PROPOSAL',
  ],
  { PNT_ERR_EVM_FLOW_TIMEOUT: retryable, PNT_ERR_FABNET_CHAINCODE: retryable, PNT_ERR_FABNET_PORT: retryable },
);

/** Every hub table by owner: the full catalog merges these with the adapters', contracts' and relayer's. */
export const HUB_ERROR_TABLES: Readonly<Record<string, ErrorTable>> = {
  'hub-chain/app': APP_ERRORS,
  'hub-chain/app/mempool': MEMPOOL_ERRORS,
  'hub-chain/node': NODE_ERRORS,
  'hub-chain/consensus': CONSENSUS_ERRORS,
  'hub-chain/types': TYPES_ERRORS,
  'hub-chain/state': STATE_ERRORS,
  'hub-chain/state (proofs)': PROOF_ERRORS,
  'hub-chain/modules/clients': CLIENT_ERRORS,
  'hub-chain/modules/packets': PACKET_ERRORS,
  'hub-chain/modules/transfer': TRANSFER_ERRORS,
  'hub-chain/modules/data-sharing': DATA_ERRORS,
  'hub-chain/modules/audit': AUDIT_ERRORS,
  'hub-chain/crypto (data sharing)': DATA_CRYPTO_ERRORS,
  'hub-chain/light-clients/pontis': LC_ERRORS,
  'hub-chain/light-clients/attested': ATTEST_ERRORS,
  'hub-chain/light-clients/evm': EVM_ERRORS,
  'hub-chain/light-clients/fabric': FABRIC_ERRORS,
  'hub-chain/light-clients/substrate': SUBSTRATE_ERRORS,
  'hub-chain/rpc': RPC_ERRORS,
  'hub-chain/rpc-client': RPC_CLIENT_ERRORS,
  'hub-chain/cli': CLI_ERRORS,
};

export const HUB_ERRORS = new ErrorCatalog(HUB_ERROR_TABLES);
