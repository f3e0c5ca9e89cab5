/**
 * The chain-agnostic face of an adapter: a reader for watching a chain and a writer (a reader
 * that can also sign) for submitting to it, Hyperlane-style. Relayer logic is written against
 * these; each adapter (evm, substrate, fabric, hub) implements them with its client library and
 * throws only `AdapterError`.
 */

/** A block an adapter has seen: the height and the chain's own block id (hash). */
export interface BlockRef {
  height: number;
  blockHash: string;
}

/** Which events to return. Fields are AND-ed; each list is OR-ed; an absent field matches all. */
export interface EventFilter {
  /** Emitters: contract addresses (EVM), pallet names (substrate), chaincode ids (fabric). */
  sources?: string[];
  /** Event names as the adapter's ABI/metadata knows them (EVM: `Transfer` or `Transfer(address,address,uint256)`). */
  names?: string[];
}

/** One decoded event, with where it happened so it can be proven and deduplicated. */
export interface ChainEvent<A extends Record<string, unknown> = Record<string, unknown>> {
  chainId: string;
  height: number;
  blockHash: string;
  txHash: string;
  /** Position of the event in its block (EVM logIndex): with blockHash, unique. */
  index: number;
  /** The emitter (EVM: checksummed contract address). */
  source: string;
  /** The event's name; empty when the adapter has no ABI entry for it. */
  name: string;
  /** Decoded arguments by name (EVM: integers as bigint, bytes as 0x hex). */
  args: A;
  /** The undecoded event as the chain reported it (EVM: `{ topics, data }`). */
  raw: unknown;
}

export interface ChainReader {
  /** The Pontis chain id this adapter serves (as registered on the hub). */
  readonly chainId: string;
  latestHeight(): Promise<number>;
  /** The highest height that can no longer be reorganised, by the chain's rules or the configured depth. */
  finalizedHeight(): Promise<number>;
  /** The block id at `height` on the node's current canonical chain; undefined above the tip. */
  blockHash(height: number): Promise<string | undefined>;
  /** Block timestamp in unix milliseconds. */
  blockTime(height: number): Promise<number>;
  /** Events in heights [fromHeight, toHeight] (inclusive), in chain order. */
  events<A extends Record<string, unknown> = Record<string, unknown>>(filter: EventFilter, fromHeight: number, toHeight: number): Promise<ChainEvent<A>[]>;
  /** Releases connections; the reader is unusable afterwards. */
  close(): Promise<void>;
}

export type SubmitStatus = 'success' | 'reverted' | 'failed';

/** The outcome of one transaction of a batch. `error` is set unless status is 'success'. */
export interface SubmitResult {
  status: SubmitStatus;
  /** The hash of the transaction that was mined (after replacements), or the last one sent. */
  txHash?: string;
  height?: number;
  blockHash?: string;
  /** How many times the transaction was re-sent with higher fees before it was mined. */
  replacements: number;
  error?: import('./errors.ts').AdapterError;
}

/**
 * A reader that can sign. `submit` sends every transaction of the batch (nonces and fees are the
 * writer's business), waits until each is mined or failed, and reports each one; it rejects only
 * when the batch as a whole could not be attempted.
 */
export interface ChainWriter<Tx = unknown> extends ChainReader {
  submit(txs: Tx[]): Promise<SubmitResult[]>;
}
