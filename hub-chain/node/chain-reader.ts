/**
 * The read side of a node's chain, for a thread that is not the one running consensus (the RPC
 * worker). It opens the same LMDB env and the same named sub-databases as Chain (lmdb-js lets
 * several threads share one env) and never writes. Reads see the snapshot of the env's current
 * read transaction; `refresh()` after each commit notification moves it to the newest height.
 */
import { open as openLmdb, type Database, type RootDatabase } from 'lmdb';
import type { Hex } from '../crypto/bytes.ts';
import { HubApp } from '../app/app.ts';
import type { Genesis } from '../app/genesis.ts';
import { createModules, type Wiring } from '../app/modules.ts';
import { StateStore } from '../state/store.ts';
import type { Header } from '../types/header.ts';
import { ValidatorSet, type Validator } from '../types/validator-set.ts';
import { BlockError, CHAIN_DBS, type StoredBlock } from './chain.ts';

/** Decoded blocks a chain reader keeps (the newest asked for). */
const RECENT_BLOCKS = 8;

/** Where an open env lives and its map size, so another thread opens it alike (lmdb-js keeps both on the root store; its typings omit them). */
export interface EnvLocation {
  path: string;
  mapSize: number;
}

export function envLocation(env: RootDatabase): EnvLocation {
  const e = env as unknown as { path?: unknown; mapSize?: unknown };
  if (typeof e.path !== 'string') throw new BlockError('PNT_ERR_STORE_CORRUPT', 'LMDB env has no path');
  return { path: e.path, mapSize: typeof e.mapSize === 'number' ? e.mapSize : 64 * 1024 ** 3 };
}

export class ChainReader {
  readonly state: StateStore;
  readonly wiring: Wiring;
  private readonly app: HubApp;
  private readonly blocks: Database<StoredBlock, number>;
  private readonly valsets: Database<{ validators: Validator[]; priorities: number[] }, number>;
  private readonly txIndex: Database<[number, number], string>;
  private header: Header | undefined;
  private readonly recent = new Map<number, StoredBlock>();

  private constructor(
    private readonly env: RootDatabase,
    readonly genesis: Genesis,
  ) {
    this.wiring = createModules();
    this.app = new HubApp(genesis, this.wiring.modules);
    this.state = StateStore.open(env); // only ever read here
    this.blocks = env.openDB(CHAIN_DBS.blocks);
    this.valsets = env.openDB(CHAIN_DBS.valsets);
    this.txIndex = env.openDB(CHAIN_DBS.txIndex);
  }

  static open(at: EnvLocation, genesis: Genesis): ChainReader {
    return new ChainReader(openLmdb({ path: at.path, mapSize: at.mapSize }), genesis);
  }

  get chainId(): string {
    return this.genesis.chainId;
  }

  /** Moves reads to the newest committed snapshot (call after a commit notification). */
  refresh(): void {
    this.env.resetReadTxn();
  }

  latestHeight(): number {
    return this.state.latestVersion();
  }

  latestHeader(): Header | undefined {
    const h = this.latestHeight();
    if (h === 0) return undefined;
    if (this.header?.height !== h) this.header = this.blocks.get(h)?.block.header;
    return this.header;
  }

  latestBlockTime(): number {
    return this.latestHeader()?.time ?? this.genesis.genesisTime;
  }

  /**
   * A committed block, decoded. The last few are kept decoded: a block's transactions, results and
   * header are asked for in bursts (relayers waiting on its transactions), and decoding a block of
   * relay transactions (up to megabytes) is the costly part of each answer. A committed block never
   * changes, so what is kept is never stale.
   */
  stored(height: number): StoredBlock | undefined {
    const kept = this.recent.get(height);
    if (kept) return kept;
    const s = this.blocks.get(height);
    if (s) {
      if (this.recent.size >= RECENT_BLOCKS) this.recent.delete(this.recent.keys().next().value!);
      this.recent.set(height, s);
    }
    return s;
  }

  txLocation(hash: Hex): { height: number; index: number } | undefined {
    const r = this.txIndex.get(hash);
    return r ? { height: r[0], index: r[1] } : undefined;
  }

  /** The validator set for a height up to latest + 1. */
  validatorSet(height: number): ValidatorSet {
    const j = this.valsets.get(height);
    if (!j) throw new BlockError('PNT_ERR_VALSET_UNKNOWN', `no validator set stored for height ${height}`);
    return ValidatorSet.fromJSON(j);
  }

  nonceOf(addr: Hex): number {
    return this.app.accountNonce({ get: (k) => this.state.get(k) }, addr);
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}
