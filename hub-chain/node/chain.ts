/**
 * The node's chain: block store, validator sets per height, and the BlockExecutor the
 * consensus engine drives. A block, its commit, its results and the state it produced are
 * written in one LMDB transaction, so a crash leaves either all of height H or none of it.
 */
import type { Database, RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import { PontisError } from '../errors.ts';
import { type Hex, ZERO_HASH } from '../crypto/bytes.ts';
import type { BlockExecutor, ProposeContext, ValidateContext } from '../consensus/types.ts';
import { HubApp, type AppEvent, type BlockExecution, type TxResult, readNextValidators } from '../app/app.ts';
import { createModules, type Wiring } from '../app/modules.ts';
import type { Genesis } from '../app/genesis.ts';
import { genesisValidatorSet } from '../app/genesis.ts';
import { Mempool } from '../app/mempool.ts';
import { type DecodedTx, decodeTx, txGas, txHash } from '../app/tx.ts';
import { StateStore, type WorkingState } from '../state/store.ts';
import { type Block, type Evidence, evidenceHash, txRoot } from '../types/block.ts';
import { resultsHash } from '../types/results.ts';
import { type Header, headerHash } from '../types/header.ts';
import { ValidatorSet, type Validator } from '../types/validator-set.ts';
import { type Commit, VoteType, verifyCommit, verifyVoteSignature } from '../types/vote.ts';

export class BlockError extends PontisError {
  override name = 'BlockError';
}

export interface StoredBlock {
  block: Block;
  commit: Commit;
  results: TxResult[];
  /** Events of the block itself (evidence, end-of-block work such as released packets). */
  events?: AppEvent[];
}

export interface CommittedInfo {
  block: Block;
  commit: Commit;
  hash: Hex;
  execution: BlockExecution;
}

interface Executed {
  ws: WorkingState;
  execution: BlockExecution;
}

const EVIDENCE_MAX_AGE = 10_000;
const VALSET_CACHE = 64;

/** The chain's named sub-databases; the RPC worker (chain-reader.ts) opens the same ones to read. */
export const CHAIN_DBS = {
  blocks: { name: 'blocks', keyEncoding: 'uint32' },
  valsets: { name: 'valsets', keyEncoding: 'uint32' },
  txIndex: { name: 'tx-index' },
} as const;

export class Chain implements BlockExecutor {
  readonly app: HubApp;
  /** The modules' keepers (clients, registry, packets), for queries and for tests that add apps. */
  readonly wiring: Wiring;
  readonly state: StateStore;
  private readonly blocks: Database<StoredBlock, number>;
  private readonly valsets: Database<{ validators: Validator[]; priorities: number[] }, number>;
  private readonly txIndex: Database<[number, number], string>;
  private readonly executed = new Map<Hex, Executed>();
  private readonly valsetCache = new Map<number, ValidatorSet>();
  private readonly listeners: ((c: CommittedInfo) => void)[] = [];
  private latest: Header | undefined;
  private readonly log: Logger | undefined;

  constructor(
    readonly env: RootDatabase,
    readonly genesis: Genesis,
    readonly mempool: Mempool,
    opts: { retainVersions?: number; logger?: Logger } = {},
  ) {
    this.log = opts.logger;
    this.wiring = createModules();
    this.app = new HubApp(genesis, this.wiring.modules);
    this.state = StateStore.open(env, { retainVersions: opts.retainVersions ?? 0 });
    this.blocks = env.openDB(CHAIN_DBS.blocks);
    this.valsets = env.openDB(CHAIN_DBS.valsets);
    this.txIndex = env.openDB(CHAIN_DBS.txIndex);
    const h = this.state.latestVersion();
    this.latest = h > 0 ? this.blocks.get(h)?.block.header : undefined;
    if (h > 0 && !this.latest) throw new BlockError('PNT_ERR_STORE_CORRUPT', `state is at version ${h} but block ${h} is missing`);
    if (!this.valsets.get(1)) this.valsets.putSync(1, genesisValidatorSet(genesis).toJSON());
  }

  get chainId(): string {
    return this.genesis.chainId;
  }
  latestHeight(): number {
    return this.latest?.height ?? 0;
  }
  latestHeader(): Header | undefined {
    return this.latest;
  }
  latestBlockTime(): number {
    return this.latest?.time ?? this.genesis.genesisTime;
  }
  stored(height: number): StoredBlock | undefined {
    return this.blocks.get(height);
  }
  txLocation(hash: Hex): { height: number; index: number } | undefined {
    const r = this.txIndex.get(hash);
    return r ? { height: r[0], index: r[1] } : undefined;
  }
  onCommit(fn: (c: CommittedInfo) => void): void {
    this.listeners.push(fn);
  }

  /** The consensus validator set (with proposer priorities) for a height up to latest + 1. */
  validatorSet(height: number): ValidatorSet {
    // decoding a set derives every address (a keccak each): sets are immutable, so recent ones are kept
    const cached = this.valsetCache.get(height);
    if (cached) return cached;
    const j = this.valsets.get(height);
    if (!j) throw new BlockError('PNT_ERR_VALSET_UNKNOWN', `no validator set stored for height ${height}`);
    const vs = ValidatorSet.fromJSON(j);
    if (this.valsetCache.size >= VALSET_CACHE) this.valsetCache.delete(this.valsetCache.keys().next().value!);
    this.valsetCache.set(height, vs);
    return vs;
  }

  /** Membership for latest + 2 (not yet in the valsets table): what governance scheduled, if anything. */
  private membershipAfterNext(): ValidatorSet {
    const next = this.latestHeight() + 1;
    const changed = this.app.validatorsEffectiveAt(this.readView(), next + 1);
    return changed ? new ValidatorSet(changed) : this.validatorSet(next);
  }

  private readView() {
    return { get: (k: Uint8Array) => this.state.get(k) };
  }

  nonceOf = (addr: Hex): number => this.app.accountNonce(this.readView(), addr);

  // ---- BlockExecutor ----

  async createBlock(ctx: ProposeContext): Promise<Block> {
    const t0 = performance.now();
    this.requireNext(ctx.height);
    const p = this.genesis.params;
    const candidates = this.mempool.reap(p.maxBlockTxs, p.maxBlockBytes, p.maxBlockGas);
    const ws = this.state.working();
    const evidence = ctx.evidence.filter((e) => this.evidenceProblem(e, ctx.height) === undefined);
    const execution = this.app.executeBlock(ws, { height: ctx.height, time: ctx.time, proposer: ctx.proposer, validators: this.validatorSet(ctx.height) }, candidates, evidence, true);
    const header = this.makeHeader(ctx.height, ctx.time, ctx.proposer, execution.included.map((d) => d.bytes), evidence, ws.root(), resultsHash(execution.results, execution.events));
    const block: Block = { header, txs: execution.included.map((d) => d.bytes), evidence, lastCommit: ctx.lastCommit };
    this.executed.set(headerHash(header), { ws, execution });
    this.log?.debug({ height: ctx.height, round: ctx.round, txs: block.txs.length, ms: Math.round(performance.now() - t0) }, 'built proposal');
    return block;
  }

  async validateBlock(block: Block, ctx: ValidateContext): Promise<void> {
    const hash = headerHash(block.header);
    if (this.executed.has(hash)) return;
    const t0 = performance.now();
    this.checkHeader(block, ctx.now);
    this.executed.set(hash, this.execute(block));
    this.log?.debug({ height: ctx.height, round: ctx.round, txs: block.txs.length, ms: Math.round(performance.now() - t0) }, 'validated proposal');
  }

  async commitBlock(block: Block, commit: Commit): Promise<ValidatorSet> {
    const hash = headerHash(block.header);
    this.requireNext(block.header.height);
    let ex = this.executed.get(hash);
    if (!ex) {
      this.checkHeader(block, undefined);
      ex = this.execute(block);
    }
    this.env.transactionSync(() => this.write(block, commit, ex));
    return this.committed(block, commit, hash, ex);
  }

  /**
   * Block sync: verifies (commit against the set for its height, header, execution) and commits
   * decided blocks in order, all in one LMDB transaction, so a run of blocks costs one flush to
   * disk instead of one each. Stops at the first block that fails a check and commits the ones
   * before it; returns how many were committed and the failure, if any. Nothing in memory moves
   * (latest height, listeners, mempool) until the transaction is committed.
   */
  commitSynced(items: readonly { block: Block; commit: Commit }[]): { applied: number; error?: unknown } {
    const done: { block: Block; commit: Commit; hash: Hex; ex: Executed }[] = [];
    const before = this.latest;
    let error: unknown;
    try {
      this.env.transactionSync(() => {
        for (const { block, commit } of items) {
          try {
            const hash = headerHash(block.header);
            this.requireNext(block.header.height);
            verifyCommit(this.chainId, this.validatorSet(block.header.height), commit, block.header.height, hash);
            this.checkHeader(block, undefined);
            const ex = this.execute(block);
            this.write(block, commit, ex);
            this.latest = block.header; // the next block's checks and execution build on this one
            done.push({ block, commit, hash, ex });
          } catch (e) {
            error = e;
            return;
          }
        }
      });
    } catch (e) {
      // the transaction itself failed (storage): none of it was committed
      this.latest = before;
      this.valsetCache.clear();
      throw e;
    }
    this.latest = before;
    for (const d of done) this.committed(d.block, d.commit, d.hash, d.ex);
    return { applied: done.length, error };
  }

  /** The writes of one committed block (inside the caller's transaction). */
  private write(block: Block, commit: Commit, ex: Executed): void {
    const h = block.header.height;
    this.state.commitInTxn(ex.ws, h);
    this.blocks.put(h, { block, commit, results: ex.execution.results, events: ex.execution.events });
    this.valsets.put(h + 1, ex.execution.nextValidators.toJSON());
    ex.execution.included.forEach((d, i) => this.txIndex.put(d.hash, [h, i]));
  }

  /** What follows a block's commit in memory: latest header, mempool, listeners. */
  private committed(block: Block, commit: Commit, hash: Hex, ex: Executed): ValidatorSet {
    this.latest = block.header;
    this.executed.clear();
    this.mempool.update(ex.execution.included);
    const info: CommittedInfo = { block, commit, hash, execution: ex.execution };
    for (const l of this.listeners) l(info);
    return ex.execution.nextValidators;
  }

  /**
   * State sync: installs a restored state at the height of `block` in an empty chain, with the
   * block, its commit and results. The caller verified the header, commit and results; this checks
   * that the state has the header's root and names the header's next validator set.
   */
  restore(r: { block: Block; commit: Commit; results: TxResult[]; events: AppEvent[]; validators: ValidatorSet; state: WorkingState }): void {
    const h = r.block.header;
    if (this.latestHeight() !== 0) throw new BlockError('PNT_ERR_RESTORE_NOT_EMPTY', `chain already holds height ${this.latestHeight()}`);
    if (r.state.root() !== h.stateRoot) throw new BlockError('PNT_ERR_BLOCK_STATE_ROOT', 'restored state does not have the header state root');
    if (r.validators.hash() !== h.validatorsHash) throw new BlockError('PNT_ERR_BLOCK_VALIDATORS', 'validator set does not match the header');
    const next = readNextValidators(r.state);
    if (!next || next.height !== h.height + 1 || next.set.hash() !== h.nextValidatorsHash) {
      throw new BlockError('PNT_ERR_BLOCK_NEXT_VALIDATORS', 'restored state does not name the header next validator set');
    }
    this.env.transactionSync(() => {
      this.state.commitRestoredInTxn(r.state, h.height);
      this.blocks.put(h.height, { block: r.block, commit: r.commit, results: r.results, events: r.events });
      this.valsets.put(h.height, r.validators.toJSON());
      this.valsets.put(h.height + 1, next.set.toJSON());
      r.block.txs.forEach((t, i) => this.txIndex.put(txHash(t), [h.height, i]));
    });
    this.latest = h;
    this.executed.clear();
  }

  private requireNext(height: number): void {
    if (height !== this.latestHeight() + 1) throw new BlockError('PNT_ERR_BLOCK_HEIGHT', `expected height ${this.latestHeight() + 1}, got ${height}`);
  }

  private makeHeader(height: number, time: number, proposer: Hex, txs: Uint8Array[], evidence: Evidence[], stateRoot: Hex, results: Hex): Header {
    return {
      chainId: this.chainId,
      height,
      time,
      prevHash: this.latest ? headerHash(this.latest) : ZERO_HASH,
      txRoot: txRoot(txs),
      stateRoot,
      validatorsHash: this.validatorSet(height).hash(),
      nextValidatorsHash: this.membershipAfterNext().hash(),
      evidenceHash: evidenceHash(evidence),
      resultsHash: results,
      proposer,
    };
  }

  /** Everything about a block that does not need execution. `now` undefined: a block already decided (no clock bound). */
  private checkHeader(block: Block, now: number | undefined): void {
    const h = block.header;
    const fail = (code: string, msg: string) => {
      throw new BlockError(code, msg, { details: { height: h.height } });
    };
    this.requireNext(h.height);
    if (h.chainId !== this.chainId) fail('PNT_ERR_BLOCK_CHAIN_ID', `block is for chain ${h.chainId}`);
    if (h.prevHash !== (this.latest ? headerHash(this.latest) : ZERO_HASH)) fail('PNT_ERR_BLOCK_PREV_HASH', 'block does not extend our latest block');
    if (h.time <= this.latestBlockTime()) fail('PNT_ERR_BLOCK_TIME', 'block time does not increase');
    if (now !== undefined && h.time > now + this.genesis.params.maxClockDriftMs) fail('PNT_ERR_BLOCK_FROM_FUTURE', `block time is ${h.time - now} ms ahead of our clock`);
    const vs = this.validatorSet(h.height);
    if (h.validatorsHash !== vs.hash()) fail('PNT_ERR_BLOCK_VALIDATORS', 'validators hash does not match');
    if (h.nextValidatorsHash !== this.membershipAfterNext().hash()) fail('PNT_ERR_BLOCK_NEXT_VALIDATORS', 'next validators hash does not match');
    if (h.proposer !== h.proposer?.toLowerCase() || !vs.get(h.proposer)) fail('PNT_ERR_BLOCK_PROPOSER', 'proposer is not a validator address in lower-case hex');
    if (h.txRoot !== txRoot(block.txs)) fail('PNT_ERR_BLOCK_TX_ROOT', 'tx root does not match the transactions');
    if (h.evidenceHash !== evidenceHash(block.evidence)) fail('PNT_ERR_BLOCK_EVIDENCE_HASH', 'evidence hash does not match');
    const seen = new Set<string>();
    for (const e of block.evidence) {
      const problem = this.evidenceProblem(e, h.height);
      if (problem) fail('PNT_ERR_BLOCK_EVIDENCE', problem);
      const id = `${e.voteA.height}/${e.voteA.validator}`;
      if (seen.has(id)) fail('PNT_ERR_BLOCK_EVIDENCE', 'duplicate evidence');
      seen.add(id);
    }
    const p = this.genesis.params;
    if (block.txs.length > p.maxBlockTxs) fail('PNT_ERR_BLOCK_TOO_MANY_TXS', 'too many transactions');
    if (block.txs.reduce((a, t) => a + t.length, 0) > p.maxBlockBytes) fail('PNT_ERR_BLOCK_TOO_LARGE', 'block too large');
    if (h.height > 1 && block.lastCommit) {
      verifyCommit(this.chainId, this.validatorSet(h.height - 1), block.lastCommit, h.height - 1, h.prevHash);
    }
  }

  private evidenceProblem(e: Evidence, height: number): string | undefined {
    if (e.kind !== 'duplicate-vote') return 'unknown evidence kind';
    const a = e.voteA;
    const b = e.voteB;
    // one offence has one form (what duplicateVoteEvidence builds): lower-case hex, voteA's block
    // hash first; else a re-spelt copy could be recorded again under another key
    const lower = (v: typeof a) => [v.validator, v.blockHash, v.signature].every((x) => typeof x === 'string' && x === x.toLowerCase());
    if (!lower(a) || !lower(b)) return 'evidence is not in canonical (lower-case hex) form';
    if (a.validator !== b.validator || a.height !== b.height || a.round !== b.round || a.type !== b.type) return 'votes are not for the same validator, height, round and type';
    if (a.blockHash === b.blockHash) return 'votes do not conflict';
    if (a.blockHash > b.blockHash) return 'evidence is not in canonical order (voteA.blockHash < voteB.blockHash)';
    if (a.type !== VoteType.Prevote && a.type !== VoteType.Precommit) return 'bad vote type';
    if (a.height >= height || a.height < height - EVIDENCE_MAX_AGE || a.height < 1) return 'evidence height out of range';
    if (!this.valsets.get(a.height) || !this.validatorSet(a.height).get(a.validator)) return 'not a validator at that height';
    if (!verifyVoteSignature(this.chainId, a) || !verifyVoteSignature(this.chainId, b)) return 'bad vote signature';
    if (this.state.get(this.app.evidenceKey(a.height, a.validator)) !== undefined) return 'evidence already recorded';
    return undefined;
  }

  private execute(block: Block): Executed {
    const h = block.header;
    let gas = 0;
    const decoded: DecodedTx[] = block.txs.map((bytes) => {
      // most transactions of a proposal already sit decoded in our mempool (same hash, same bytes)
      const d = this.mempool.get(txHash(bytes)) ?? decodeTx(bytes);
      if (!this.mempool.checkSignature(d)) throw new BlockError('PNT_ERR_BLOCK_TX_SIGNATURE', `transaction ${d.hash} has a bad signature`);
      gas += txGas(d);
      return d;
    });
    if (gas > this.genesis.params.maxBlockGas) throw new BlockError('PNT_ERR_BLOCK_GAS', `block uses ${gas} gas, limit ${this.genesis.params.maxBlockGas}`);
    const ws = this.state.working();
    let execution: BlockExecution;
    try {
      execution = this.app.executeBlock(ws, { height: h.height, time: h.time, proposer: h.proposer, validators: this.validatorSet(h.height) }, decoded, block.evidence, false);
    } catch (e) {
      if (e instanceof PontisError) throw new BlockError('PNT_ERR_BLOCK_TX_INVALID', `block holds a transaction the chain refuses: ${e.message}`, { cause: e });
      throw e;
    }
    if (ws.root() !== h.stateRoot) throw new BlockError('PNT_ERR_BLOCK_STATE_ROOT', 'state root after execution does not match the header');
    if (resultsHash(execution.results, execution.events) !== h.resultsHash) throw new BlockError('PNT_ERR_BLOCK_RESULTS_HASH', 'results after execution do not match the header');
    return { ws, execution };
  }
}
