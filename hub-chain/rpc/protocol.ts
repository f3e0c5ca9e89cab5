/**
 * Messages between a node's consensus thread (main) and its RPC worker thread. The worker reads
 * the chain from LMDB itself; main tells it what only main knows: each commit, a status snapshot
 * (consensus step, peers, mempool, metrics), whether a transaction is pending in the mempool, and
 * the outcome of each submission. Every request the worker makes carries an id main answers.
 */
import type { Hex } from '../crypto/bytes.ts';
import type { DecodedTx } from '../app/tx.ts';
import type { Genesis } from '../app/genesis.ts';
import type { NodeConfig } from '../node/config.ts';
import type { EnvLocation } from '../node/chain-reader.ts';

export type RpcConfig = NodeConfig['rpc'];

/** What GET /status answers (HubNode.status()), as main last saw it, and the metrics text main renders. */
export interface StatusSnapshot {
  status: { latestHeight: number } & Record<string, unknown>;
  metrics: string;
}

export interface RpcWorkerInit {
  env: EnvLocation;
  genesis: Genesis;
  rpc: RpcConfig;
  /** The port to bind: the configured one, or the port the first worker bound (restarts keep it). */
  port: number;
  /** pino level of the node's logger; the worker's records go to main's logger. */
  logLevel: string;
  snapshot: StatusSnapshot;
}

export interface ErrorJSON {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

export type SubmitResult = { hash: Hex; status: 'pending' } | { error: ErrorJSON };

export type ToWorker =
  | { t: 'commit'; height: number; snapshot: StatusSnapshot }
  | { t: 'status'; snapshot: StatusSnapshot }
  | { t: 'submitted'; id: number; results: SubmitResult[] }
  | { t: 'pending'; id: number; pending: boolean }
  | { t: 'close' };

export type FromWorker =
  | { t: 'listening'; port: number }
  | { t: 'failed'; error: ErrorJSON }
  /** Transactions already decoded and signature-checked by the worker. */
  | { t: 'submit'; id: number; txs: DecodedTx[] }
  | { t: 'pending?'; id: number; hash: Hex }
  /** One pino record (a JSON line) for main's logger. */
  | { t: 'log'; line: string }
  | { t: 'closed' };
