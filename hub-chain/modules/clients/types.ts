/**
 * The light-client framework on a Pontis chain: one narrow interface for every client type
 * (in the spirit of ibc-go's LightClientModule), a router keyed by client type, and the records
 * kept in provable state. One client per connected chain; its id is the chain id.
 */
import type { Bytes, Hex } from '../../crypto/bytes.ts';
import { PontisError } from '../../errors.ts';
import type { z } from 'zod';
import type { KVStore, KVView } from '../../app/module.ts';
import type { Header } from '../../types/header.ts';
import type { ChainKind } from '../registry/chain-kind.ts';
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
  /**
   * The same checks for many proofs at one height: the client's status and consensus state are
   * read and parsed once. A client that is not active, or has no state at `height`, fails every
   * proof with the error verifyMembership would throw. Valid while nothing under `clients/` changes.
   */
  proofsAt(s: KVView, chainId: string, height: number, now: number): ClientProofs;
}

/** Proof checks against one client at one height (ClientVerifier.proofsAt). */
export interface ClientProofs {
  membership(key: Bytes, value: Bytes, proof: unknown): void;
  nonMembership(key: Bytes, proof: unknown): void;
}

// ---- registration: what a client type contributes ----

/** A counterparty block an observer attests to (final under the counterparty's own rules). */
export interface FinalizedBlock {
  height: number;
  hash: Hex;
  stateRoot: Hex;
  receiptsRoot?: Hex;
  /** Block time in ms. */
  timestamp: number;
}

/** Where an observer reads a counterparty's finalized blocks. */
export interface FinalizedSource {
  /** The latest finalized block (null when not available yet). */
  fetchFinalized(): Promise<FinalizedBlock | null>;
  /** The finalized block at a height (lets all validators vote the same heights). */
  fetchAt?(height: number): Promise<FinalizedBlock | null>;
}

/**
 * What the node or the CLI hands a client type so it can read a Pontis chain (the node's own RPC
 * client, passed in so that no client type depends on it).
 */
export interface PontisRpcReader {
  readonly url: string;
  status(): Promise<{ chainId: string; latestHeight: number }>;
  block(height: number | 'latest'): Promise<{ header: Header }>;
  validators(height: number): Promise<{ validators: { address: string; publicKey: string; power: number }[] }>;
}

export interface ClientTypeEnv {
  pontisRpc(url: string): PontisRpcReader;
}

/** Validators watching chains of one kind sign attestation votes for their finalized blocks. */
export interface ObserverPlugin<C extends { kind: ChainKind; rpc: string } = { kind: ChainKind; rpc: string }> {
  /** The chain kind it watches: the `kind` of its entry in a node's `observers` config. */
  readonly kind: ChainKind;
  /** Its config entry, with `kind: z.literal(kind)`, `chainId`, `rpc`, `intervalMs`, `stride`. */
  readonly configSchema: z.ZodObject;
  source(config: C, env: ClientTypeEnv): FinalizedSource;
}

/**
 * A message type a client type adds beyond `clients/update` and `clients/misbehaviour` (the
 * `attested` type's `attest/vote`). The clients module routes it to the client it names, and
 * refuses it unless that client's type `accepts` it.
 */
export interface ClientTypeMsg {
  readonly type: string;
  readonly schema: z.ZodObject;
  chainIdOf(msg: never): string;
  /** The client message handed to the keeper's update. */
  clientMessage(msg: never): unknown;
  /** The error for a client whose type does not accept it. */
  refused(chainId: string, clientType: string): Error;
}

/** How operators register a chain with this client type (`pontis chain register`). */
export interface ClientTypeCli {
  /** Parameter defaults over `{trustingPeriodMs, maxClockDriftMs}` for a chain of `kind`. */
  defaultParams?(kind: ChainKind): Record<string, unknown>;
  /** The counterparty height an initial state trusts. */
  trustedHeight(initial: unknown): number;
  /** The trusted initial state read from the chain's own RPC (`--trust-from`), when the type can. */
  trustFrom?(url: string, chainId: string, kind: ChainKind, env: ClientTypeEnv): Promise<{ initial: unknown; height: number }>;
}

/**
 * Everything one client type brings, registered once on the app's ClientRouter. Shared code
 * (keeper, module, messages, node, CLI) reaches a type only through this.
 */
export interface ClientTypeRegistration<S = unknown, E = unknown> {
  readonly module: LightClientModule<S, E>;
  /** Chain kinds it can verify. */
  readonly chainKinds: readonly ChainKind[];
  readonly schemas: {
    params: z.ZodType;
    initial: z.ZodType;
    /** Shapes of its `clients/update` messages. */
    messages: readonly z.ZodType[];
    /** Shapes of its `clients/misbehaviour` evidence. */
    evidence: readonly z.ZodType[];
  };
  /**
   * State it keeps outside `clients/<chainId>/`, each as `<prefix><chainId>/` (e.g. `attest/`).
   * The keeper hands the type a store limited to these and its client's own keys.
   */
  readonly storePrefixes?: readonly string[];
  readonly msgs?: readonly ClientTypeMsg[];
  /** Whether the client `rec` takes message type `msgType` (one of some type's `msgs`). */
  accepts?(msgType: string, rec: ClientRecord<S>): boolean;
  readonly observer?: ObserverPlugin;
  readonly cli: ClientTypeCli;
}
