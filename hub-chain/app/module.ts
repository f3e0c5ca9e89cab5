/**
 * How a module plugs into the application: its messages (zod schemas with a literal `type`,
 * declared in the module's msgs.ts and listed in app/tx.ts), its governance actions (literal
 * `kind`), and handlers that run inside a transaction's write overlay.
 */
import type { ValidatorSet } from '../types/validator-set.ts';
import type { Bytes, Hex } from '../crypto/bytes.ts';
import type { Genesis } from './genesis.ts';

/** The part of the state store the app needs (a working state, or a read view of it). */
export interface KVView {
  get(key: Bytes): Bytes | undefined;
}
export interface KVStore extends KVView {
  set(key: Bytes, value: Bytes): void;
  delete(key: Bytes): void;
}

export interface AppEvent {
  type: string;
  attributes: Record<string, string>;
}

export interface ModuleEnv {
  chainId: string;
  height: number;
  /** Block time, ms. */
  time: number;
  txHash: Hex;
  /** Account that signed the transaction (for governance actions: the proposal's proposer). */
  sender: Hex;
  /** This chain's validator set at this height. */
  validators: ValidatorSet;
  /** The transaction's write overlay: discarded if the handler throws. */
  store: KVStore;
  genesis: Genesis;
  emit(type: string, attributes: Record<string, string>): void;
  events: AppEvent[];
}

export interface Module {
  readonly name: string;
  /** Message types this module handles (the `type` literals of its schemas). */
  readonly msgTypes: readonly string[];
  /**
   * State key prefixes of records no packet application may write (an inbound packet must never
   * change clients, the registry, packet state, ...): the packet keeper's protected list is built
   * from every module's, with the app's core prefixes (app.ts CORE_PROTECTED_PREFIXES).
   */
  readonly protectedPrefixes?: readonly string[];
  /** Governance action kinds this module executes. */
  readonly govActionKinds?: readonly string[];
  /** Writes the module's genesis state into block 1. */
  initGenesis?(env: ModuleEnv): void;
  /** Runs a message; throw a PontisError to fail the transaction (its writes are discarded). */
  handleMsg(env: ModuleEnv, msg: { type: string }): void;
  /** Runs a governance action that passed. */
  handleGovAction?(env: ModuleEnv, action: { kind: string }): void;
  /** Runs at the end of every block, after all transactions (e.g. releasing rate-limited queues). */
  endBlock?(env: ModuleEnv): void;
}
