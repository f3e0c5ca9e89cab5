/**
 * A small in-memory BlockExecutor for the simulation. Blocks carry a few dummy transactions; the
 * state root is a hash chain over every transaction ever committed. What it records is the
 * node's "disk": it survives a simulated crash.
 */
import { evidenceKey, verifyDuplicateVoteEvidence } from '../../hub-chain/consensus/evidence.ts';
import type { BlockExecutor, ProposeContext, ValidateContext } from '../../hub-chain/consensus/types.ts';
import type { SignatureCache } from '../../hub-chain/consensus/vote-book.ts';
import { type Hex, ZERO_HASH, concat, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../hub-chain/crypto/hash.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { type Block, type Evidence, evidenceHash, txRoot } from '../../hub-chain/types/block.ts';
import { headerHash } from '../../hub-chain/types/header.ts';
import type { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import type { Commit } from '../../hub-chain/types/vote.ts';

export interface CommittedBlock {
  block: Block;
  commit: Commit;
  hash: Hex;
  /** Simulated time this node committed it (when the executor has a clock). */
  at?: number;
}

/** How far ahead of the local clock a block time may be. */
const MAX_CLOCK_DRIFT_MS = 5_000;

export class SimExecutor implements BlockExecutor {
  readonly blocks: CommittedBlock[] = [];
  /** valsets[h - 1] is the set (with priorities) for height h. */
  private readonly valsets: ValidatorSet[];
  private readonly committedEvidence = new Set<string>();
  validateCalls = 0;
  /** The simulation's clock, when set: commits and builds record their time. */
  now?: () => number;
  /** Every createBlock call: the height and round asked for, the block time, and when (simulated). */
  readonly builds: { height: number; round: number; time: number; at?: number }[] = [];

  constructor(
    readonly chainId: string,
    genesis: ValidatorSet,
    readonly genesisTime: number,
    private readonly sigs: SignatureCache,
  ) {
    this.valsets = [genesis];
  }

  get height(): number {
    return this.blocks.length;
  }
  valsetFor(height: number): ValidatorSet {
    return this.valsets[height - 1];
  }
  lastCommit(): Commit | null {
    return this.blocks.at(-1)?.commit ?? null;
  }
  lastTime(): number {
    return this.blocks.at(-1)?.block.header.time ?? this.genesisTime;
  }
  private lastHash(): Hex {
    return this.blocks.at(-1)?.hash ?? ZERO_HASH;
  }
  private lastStateRoot(): Hex {
    return this.blocks.at(-1)?.block.header.stateRoot ?? ZERO_HASH;
  }

  async createBlock(ctx: ProposeContext): Promise<Block> {
    const height = this.height + 1;
    if (ctx.height !== height) throw new PontisError('PNT_ERR_SIM_HEIGHT', `asked to build ${ctx.height}, next is ${height}`);
    this.builds.push({ height, round: ctx.round, time: ctx.time, at: this.now?.() });
    const txs = [0, 1, 2].map((i) => utf8(`h${height}/r${ctx.round}/${ctx.proposer.slice(2, 10)}/tx${i}`));
    const evidence = this.usableEvidence(ctx.evidence, height);
    const valset = this.valsetFor(height);
    const header = {
      chainId: this.chainId,
      height,
      time: ctx.time,
      prevHash: this.lastHash(),
      txRoot: txRoot(txs),
      stateRoot: stateRootAfter(this.lastStateRoot(), txs),
      validatorsHash: valset.hash(),
      nextValidatorsHash: valset.hash(),
      evidenceHash: evidenceHash(evidence),
      resultsHash: ZERO_HASH,
      proposer: ctx.proposer,
    };
    return { header, txs, evidence, lastCommit: ctx.lastCommit };
  }

  async validateBlock(block: Block, ctx: ValidateContext): Promise<void> {
    this.validateCalls++;
    const h = block.header;
    const height = this.height + 1;
    const fail = (why: string): never => {
      throw new PontisError('PNT_ERR_SIM_BLOCK_INVALID', why);
    };
    if (h.chainId !== this.chainId || h.height !== height) fail('wrong chain or height');
    if (h.prevHash !== this.lastHash()) fail('wrong previous hash');
    if (h.time <= this.lastTime() || h.time > ctx.now + MAX_CLOCK_DRIFT_MS) fail('bad time');
    if (h.txRoot !== txRoot(block.txs)) fail('tx root');
    if (h.stateRoot !== stateRootAfter(this.lastStateRoot(), block.txs)) fail('state root');
    const valset = this.valsetFor(height);
    if (h.validatorsHash !== valset.hash() || h.nextValidatorsHash !== valset.hash()) fail('validators hash');
    if (!valset.get(h.proposer)) fail('proposer is not a validator');
    if (h.evidenceHash !== evidenceHash(block.evidence)) fail('evidence hash');
    if (this.usableEvidence(block.evidence, height).length !== block.evidence.length) fail('bad evidence');
    if (height === 1 ? block.lastCommit !== null : block.lastCommit?.height !== height - 1 || block.lastCommit.blockHash !== this.lastHash()) fail('last commit');
  }

  async commitBlock(block: Block, commit: Commit): Promise<ValidatorSet> {
    const hash = headerHash(block.header);
    if (block.header.height !== this.height + 1 || commit.blockHash !== hash) throw new PontisError('PNT_ERR_SIM_COMMIT', 'commit out of order');
    this.blocks.push({ block, commit, hash, at: this.now?.() });
    for (const e of block.evidence) this.committedEvidence.add(evidenceKey(e));
    const next = this.valsetFor(block.header.height).nextHeightSet();
    this.valsets.push(next);
    return next;
  }

  private usableEvidence(list: Evidence[], height: number): Evidence[] {
    const seen = new Set<string>();
    return list.filter((e) => {
      const key = evidenceKey(e);
      if (seen.has(key) || this.committedEvidence.has(key) || !(e.voteA.height < height)) return false;
      try {
        verifyDuplicateVoteEvidence(this.chainId, e, { valset: this.valsetFor(e.voteA.height), verifySignature: (c, v) => this.sigs.vote(c, v) });
      } catch {
        return false;
      }
      seen.add(key);
      return true;
    });
  }
}

/** The "state": a hash chain over every transaction applied. */
export function stateRootAfter(prev: Hex, txs: Uint8Array[]): Hex {
  let s = fromHex(prev, 32);
  for (const tx of txs) s = keccak256(concat(s, tx));
  return toHex(s);
}
