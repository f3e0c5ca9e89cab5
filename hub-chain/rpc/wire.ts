/**
 * The RPC's wire shapes: what a node's RPC server (hub-chain/rpc/) answers and its client
 * (hub-chain/rpc-client/) reads. One file, so the two cannot drift apart.
 */
import type { Hex } from '../crypto/bytes.ts';
import type { TxResult } from '../app/app.ts';
import type { SignedTx } from '../app/tx.ts';
import type { Header } from '../types/header.ts';
import type { TxResultProof } from '../types/results.ts';
import type { Commit } from '../types/vote.ts';
import type { Evidence } from '../types/block.ts';
import type { PacketStatus } from '../modules/packets/types.ts';
import type { ClientRecord, ClientStatus, ConsensusRecord } from '../modules/clients/types.ts';
import type { ChainEntry } from '../modules/registry/registry.ts';
import type { MsgEnvelope } from '../modules/packets/msg-app.ts';
import type { RateLimit } from '../modules/transfer/policy.ts';
import type { AttestationRecord, AttestationStatus } from '../modules/attest/app.ts';
import type { HubAttestationStatus } from '../modules/attest/issuers.ts';

export interface NodeStatus {
  chainId: string;
  nodeId: Hex | null;
  moniker: string;
  latestHeight: number;
  latestBlockHash: Hex | null;
  latestBlockTime: number | null;
  stateRoot: Hex | null;
  validators: { address: Hex; power: number }[];
  catchingUp: boolean;
  mempool: { txs: number; bytes: number };
  /** The peer links this node dialled, with the height each last reported. */
  peers?: { url: string; node?: Hex; height: number; connected: boolean }[];
}

export interface BlockResponse {
  height: number;
  hash: Hex;
  header: Header;
  commit: Commit;
  lastCommit: Commit | null;
  evidence: Evidence[];
  txs: { hash: Hex; sender: Hex; tx: SignedTx; result: TxResult }[];
  events: { type: string; attributes: Record<string, string> }[];
}

/** `GET /blocks/:height/results`: a block less its transactions' bodies. */
export type BlockResultsResponse = Omit<BlockResponse, 'txs' | 'lastCommit' | 'evidence'> & { results: TxResult[] };

export interface StateResponse<P = unknown> {
  key: Hex;
  height: number;
  root: Hex;
  exists: boolean;
  value: Hex | null;
  proof?: P;
}

export interface BlockEvent {
  height: number;
  hash: Hex;
  time: number;
  stateRoot: Hex;
  txs: number;
  txHashes: Hex[];
  failed: number;
}

/** `proof` (asked for with prove) shows `result` under the resultsHash of the header at `height`. */
export type TxStatus = { hash: Hex; status: 'pending' } | { hash: Hex; status: 'committed'; height: number; index: number; result: TxResult; proof?: TxResultProof };

/** A header with its commit (GET /headers/:height): what a light client fetches. */
export interface SignedHeaderResponse {
  height: number;
  hash: Hex;
  header: Header;
  commit: Commit;
}

/** A packet by channel and sequence. */
export interface PacketRef {
  srcChain: string;
  srcApp: string;
  dstChain: string;
  dstApp: string;
  sequence: number;
}

/** GET /packets/:srcChain/:srcApp/:dstChain/:dstApp/:sequence */
export interface PacketQuery {
  /** `srcChain/srcApp/dstChain/dstApp/sequence` */
  id: string;
  /** Committed height the answer was read at. */
  height: number;
  /** What this chain recorded: state, ack, and every step with its height and tx hash. */
  status: PacketStatus;
  /** The packet's provable keys here (UTF-8) and whether each exists at `height` (prove them with GET /state?keyText=...&prove=true). */
  keys: Record<'commitment' | 'receipt' | 'ack', { key: string; exists: boolean }>;
}

/** GET /packets/pending?srcChain=&dstChain= */
export interface PendingPackets {
  srcChain: string;
  dstChain: string;
  height: number;
  packets: { id: string; srcApp: string; dstApp: string; sequence: number; status: PacketStatus | null }[];
  /** More packets are pending than were returned. */
  truncated: boolean;
}

export interface ClientSummary {
  clientType: string;
  status: ClientStatus;
  latestHeight: number;
  /** When the client expires unless updated (latest consensus time + trusting period), ms. */
  expiresAt: number | null;
}

/** GET /clients/:chainId */
export interface ClientQuery {
  chainId: string;
  height: number;
  /** The block time the status was judged at (the node's latest block). */
  now: number;
  status: ClientStatus;
  expiresAt: number | null;
  /** Consensus records below this height predate the last recovery and are not served. */
  validFrom: number;
  evidenceCount: number;
  record: ClientRecord;
  latestConsensus: ConsensusRecord | null;
}

/** GET /chains */
export interface ChainList {
  height: number;
  chains: (ChainEntry & { client: ClientSummary | null })[];
  truncated: boolean;
}

/** GET /chains/:chainId */
export interface ChainQuery {
  height: number;
  chain: ChainEntry;
  client: ClientSummary | null;
  /** Paused routes from or to this chain; `since` is the height the pause passed. */
  pausedRoutes: { src: string; dst: string; since: number }[];
}

// ---- packet apps' state (hub-chain/rpc/app-routes.ts); `key` is the UTF-8 state key read ----

/** GET /apps/msg/inbox/:srcChain/:sequence: a message this chain's `msg` app received. */
export interface MsgInboxEntry {
  height: number;
  srcChain: string;
  sequence: number;
  key: string;
  message: MsgEnvelope & { srcApp: string; height: number };
}

/** GET /apps/msg/inbox/:srcChain?from=&limit=: received messages in sequence order. */
export interface MsgInboxList {
  height: number;
  srcChain: string;
  messages: (MsgEnvelope & { sequence: number; srcApp: string; height: number })[];
  /** More messages follow (ask again with `from` past the last sequence). */
  truncated: boolean;
}

/** GET /apps/msg/outcome/:dstChain/:sequence: what became of a message this chain sent. */
export interface MsgOutcome {
  height: number;
  dstChain: string;
  sequence: number;
  key: string;
  /** `pending`: sent, neither acknowledged nor timed out yet (no outcome key written). */
  outcome: 'delivered' | 'failed' | 'timed-out' | 'pending';
  /** The error code of a `failed` outcome. */
  code?: string;
}

/** GET /bank/balances/:address, GET /bank/escrow/:chainId: balances (decimal strings) by denom. */
export interface Balances {
  height: number;
  /** An account address, or `escrow/<chainId>`. */
  holder: string;
  balances: { denom: string; amount: string; key: string }[];
  /** Only when the holder has more than 1,000 denoms. */
  truncated?: boolean;
}

/** GET /bank/supply?denom= */
export interface Supply {
  height: number;
  denom: string;
  supply: string;
  key: string;
}

/** GET /transfer/routes/:src/:dst?denom= (the hub only): its accounting of a transfer route. */
export interface TransferRoute {
  height: number;
  src: string;
  dst: string;
  denom: string;
  /** What `src` escrowed for `dst` that the hub forwarded, less what came back. */
  outstanding: string;
  /** For a voucher denom: the sum over destinations of what `src` sent onward. */
  onward: string;
  rateLimit: RateLimit | null;
  keys: { outstanding: string; onward: string; rateLimit: string };
}

/** GET /attestations/:chain/:subject?issuer=: the hub's status record and/or the `attest` app's record here. */
export interface AttestationAnswer {
  height: number;
  /** The block time the status was judged at (the node's latest block), ms. */
  now: number;
  chain: string;
  issuer: string;
  subject: Hex;
  hub: { key: string; status: AttestationStatus; record: HubAttestationStatus } | null;
  app: { key: string; status: AttestationStatus; record: AttestationRecord } | null;
}
