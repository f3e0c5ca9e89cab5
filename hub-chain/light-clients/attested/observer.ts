/**
 * AttestationObserver: run by each validator node of this chain for every `attested` client. It
 * polls the counterparty through the validator's own source, signs a vote for each new finalized
 * height and submits it. Safety rule: it never signs two values for one height. It keeps a
 * high-water mark, persists it (when given a store) BEFORE signing, and signs only above it, so a
 * restart cannot lead to a second, different vote; a signed vote whose submission failed is
 * resubmitted as is, never re-signed.
 */
import { type Bytes, ZERO_HASH, isHex } from '../../crypto/bytes.ts';
import { type AttestationVote, signAttestation } from './module.ts';
import { ATTEST_ERR } from './errors.ts';
import type { AttestVoteMsg } from './schemas.ts';
import { ClientError, type FinalizedBlock } from '../../modules/clients/types.ts';
import { PontisError, hasCode } from '../../errors.ts';

export type { FinalizedBlock } from '../../modules/clients/types.ts';

/** Where the mark survives restarts (a small file or a DB key next to the validator key). */
export interface VoteMarkStore {
  load(): number | Promise<number>;
  save(height: number): void | Promise<void>;
}

export interface AttestationObserverOptions {
  /** The counterparty's chain id (the attested client's id). */
  chainId: string;
  /** This chain's id: bound into every signature. */
  hubChainId: string;
  /** The counterparty's latest finalized block (null when not available yet). */
  fetchFinalized(): Promise<FinalizedBlock | null>;
  /**
   * The finalized block at a height. With it the observer votes every `stride`-th height up to
   * the latest, so all validators vote the same heights; without it, only the latest block.
   */
  fetchAt?(height: number): Promise<FinalizedBlock | null>;
  /** Vote only heights divisible by this (with fetchAt). Default 1. */
  stride?: number;
  /** Most votes signed per poll (the newest heights win). Default 16. */
  maxPerPoll?: number;
  /** The validator's secp256k1 consensus key. */
  secretKey: Bytes;
  submit(msg: AttestVoteMsg): Promise<void>;
  intervalMs: number;
  mark?: VoteMarkStore;
  /** Failed polls and submissions (the loop keeps going). */
  onError?(e: unknown): void;
}

/** Signed votes kept for resubmission, at most this many (oldest dropped). */
const MAX_PENDING = 256;

export class AttestationObserver {
  private mark: number | undefined;
  private pending: AttestationVote[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<void> | undefined;

  constructor(private readonly opts: AttestationObserverOptions) {
    if (!Number.isSafeInteger(opts.intervalMs) || opts.intervalMs < 1) throw new ClientError('PNT_ERR_ATTEST_OBSERVER_OPTIONS', 'intervalMs must be a positive integer');
    const stride = opts.stride ?? 1;
    if (!Number.isSafeInteger(stride) || stride < 1) throw new ClientError('PNT_ERR_ATTEST_OBSERVER_OPTIONS', 'stride must be a positive integer');
  }

  /** Highest height signed (or loaded from the mark store); undefined before the first poll. */
  get highWaterMark(): number | undefined {
    return this.mark;
  }

  /** Votes signed but not yet accepted by `submit`. */
  get pendingVotes(): readonly AttestationVote[] {
    return this.pending;
  }

  /** One round: resubmit pending votes, sign votes for new finalized heights, submit them. Returns the votes signed. */
  async poll(): Promise<AttestationVote[]> {
    if (this.mark === undefined) this.mark = (await this.opts.mark?.load()) ?? 0;
    await this.flush();
    const latest = await this.opts.fetchFinalized();
    if (!latest) return [];
    checkBlock(latest);
    if (latest.height <= this.mark) return [];
    const signed: AttestationVote[] = [];
    for (const h of this.targets(latest.height)) {
      const block = h === latest.height ? latest : await this.opts.fetchAt!(h);
      if (!block) break; // the source cannot serve it yet; later heights wait too, to keep the mark honest
      checkBlock(block);
      if (block.height !== h) throw new ClientError(ATTEST_ERR.SOURCE_INVALID, `source returned height ${block.height} for ${h}`);
      // Persist first: a crash after signing must not let a restart sign this height again.
      await this.opts.mark?.save(h);
      this.mark = h;
      const vote = signAttestation(
        this.opts.hubChainId,
        { chainId: this.opts.chainId, height: h, hash: block.hash, stateRoot: block.stateRoot, receiptsRoot: block.receiptsRoot ?? ZERO_HASH, timestamp: block.timestamp },
        this.opts.secretKey,
      );
      signed.push(vote);
      this.pending.push(vote);
    }
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    await this.flush();
    return signed;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = (): void => {
      this.current = this.poll()
        .then(() => undefined)
        .catch((e) => this.opts.onError?.(e))
        .finally(() => {
          if (this.running) this.timer = setTimeout(tick, this.opts.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
  }

  /** Heights to vote: multiples of stride in (mark, latest], the newest maxPerPoll, ascending. */
  private targets(latest: number): number[] {
    if (!this.opts.fetchAt) return [latest];
    const stride = this.opts.stride ?? 1;
    const max = this.opts.maxPerPoll ?? 16;
    const out: number[] = [];
    for (let h = latest - (latest % stride); h > this.mark! && out.length < max; h -= stride) out.push(h);
    return out.reverse();
  }

  private async flush(): Promise<void> {
    const keep: AttestationVote[] = [];
    for (const vote of this.pending) {
      try {
        await this.opts.submit({ type: 'attest/vote', vote });
      } catch (e) {
        // Already on chain (an earlier attempt went through): done.
        if (hasCode(e, ATTEST_ERR.DUPLICATE_VOTE)) continue;
        this.opts.onError?.(e);
        // The chain refused the vote itself (too old, not a validator, frozen client): retrying cannot help.
        if (e instanceof PontisError && !e.retryable && /^PNT_ERR_(ATTEST|CLIENT)_/.test(e.code)) continue;
        keep.push(vote);
      }
    }
    this.pending = keep;
  }
}

function checkBlock(b: FinalizedBlock): void {
  const ok =
    Number.isSafeInteger(b?.height) && b.height >= 1 && Number.isSafeInteger(b.timestamp) && b.timestamp >= 0 && isHex(b.hash, 32) && isHex(b.stateRoot, 32) && (b.receiptsRoot === undefined || isHex(b.receiptsRoot, 32));
  if (!ok) throw new ClientError(ATTEST_ERR.SOURCE_INVALID, 'finalized block from the source is malformed', { details: { height: b?.height } });
}
