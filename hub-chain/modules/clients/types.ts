/**
 * The light-client framework on a Pontis chain: one narrow interface for every client type
 * (in the spirit of ibc-go's LightClientModule), a router keyed by client type, and the records
 * kept in provable state. One client per connected chain; its id is the chain id.
 */
import type { Bytes, Hex } from '../../crypto/bytes.ts';
import { PontisError } from '../../errors.ts';
import type { KVStore, KVView } from '../../app/app.ts';
import type { ValidatorSet } from '../../types/validator-set.ts';

export class ClientError extends PontisError {
  override name = 'ClientError';
}

export type ClientStatus = 'active' | 'frozen' | 'expired';

/** What every client keeps, whatever its type (stored as JSON at clients/<chainId>/state). */
export interface ClientRecord<S = unknown> {
  chainId: string;
  clientType: string;
  /** Type-specific parameters and state (trusting period, validator set, proof kind, ...). */
  state: S;
  latestHeight: number;
  trustingPeriodMs: number;
  maxClockDriftMs: number;
  frozen: null | { atHeight: number; evidence: string };
}

/** A verified view of the counterparty at one height (stored at clients/<chainId>/consensus/<height>). */
export interface ConsensusRecord<E = unknown> {
  height: number;
  timestamp: number;
  /** Root that membership proofs are checked against (state root, or storage/receipt roots in `extra`). */
  root: Hex;
  extra?: E;
}

export interface ClientContext {
  /** This chain's block time and height. */
  now: number;
  height: number;
  /** This chain's current validator set (the `attested` type counts their votes). */
  validators: ValidatorSet;
  chainId: string;
  store: KVStore;
  /** Emits an event of the transaction (the module passes ModuleEnv.emit; absent in pure tests). */
  emit?(type: string, attributes: Record<string, string>): void;
}

/** One client type. Implementations are pure over the records they are given. */
export interface LightClientModule<S = unknown, E = unknown> {
  readonly type: string;
  /** Validates creation parameters and the initial trusted consensus state. */
  initialise(chainId: string, params: unknown, initial: unknown): { record: ClientRecord<S>; consensus: ConsensusRecord<E> };
  /** Throws ClientError unless `msg` is a valid update for this client. */
  verifyClientMessage(ctx: ClientContext, rec: ClientRecord<S>, msg: unknown): void;
  /** True when `msg` (already verified) proves misbehaviour (e.g. a conflicting header). */
  checkForMisbehaviour(ctx: ClientContext, rec: ClientRecord<S>, msg: unknown): boolean;
  /** Applies a verified update; returns the new record and the consensus states to store. */
  updateState(ctx: ClientContext, rec: ClientRecord<S>, msg: unknown): { record: ClientRecord<S>; consensus: ConsensusRecord<E>[] };
  /** Freezes the client on verified misbehaviour; returns the frozen record. */
  updateStateOnMisbehaviour(ctx: ClientContext, rec: ClientRecord<S>, msg: unknown): ClientRecord<S>;
  /**
   * What the keeper stores as evidence for verified misbehaviour `msg` (called before
   * updateStateOnMisbehaviour). Default: `msg` itself.
   */
  evidenceOf?(ctx: ClientContext, rec: ClientRecord<S>, msg: unknown): unknown;
  verifyMembership(rec: ClientRecord<S>, cons: ConsensusRecord<E>, key: Bytes, value: Bytes, proof: unknown): void;
  verifyNonMembership(rec: ClientRecord<S>, cons: ConsensusRecord<E>, key: Bytes, proof: unknown): void;
  status(rec: ClientRecord<S>, latest: ConsensusRecord<E> | undefined, now: number): ClientStatus;
}

/** What the packet module needs from the clients module (implemented by ClientKeeper). */
export interface ClientVerifier {
  status(s: KVView, chainId: string, now: number): ClientStatus;
  consensusAt(s: KVView, chainId: string, height: number): ConsensusRecord | undefined;
  /** Latest height the client has verified (0 when unknown). */
  latestHeight?(s: KVView, chainId: string): number;
  /** Throws unless the client is active, has a consensus state at `height`, and the proof holds. */
  verifyMembership(s: KVView, chainId: string, height: number, now: number, key: Bytes, value: Bytes, proof: unknown): void;
  verifyNonMembership(s: KVView, chainId: string, height: number, now: number, key: Bytes, proof: unknown): void;
}
