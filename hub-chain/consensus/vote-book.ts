/**
 * Vote bookkeeping for one height: the first vote of each validator per (round, type), with
 * voting power tallied per block hash, and a memo of signature checks.
 */
import { type Hex, fromHex } from '../crypto/bytes.ts';
import { recoverAddress } from '../crypto/secp256k1.ts';
import type { CommitSignature, Vote } from '../types/vote.ts';
import { proposalDigest, verifyVoteSignature } from '../types/vote.ts';
import type { Proposal } from './types.ts';

/** Distinct block hashes kept per validator in one (round, type): its first vote plus conflicting ones. */
export const MAX_VOTES_PER_VALIDATOR = 3;

export type AddResult = 'added' | 'conflict' | 'duplicate' | 'full';

/**
 * The votes of one type in one round.
 *
 * The round's total (the paper's "2f+1 of any value") counts each validator once, by its first
 * vote. The tally of a block hash counts every validator that signed that hash, an equivocator's
 * later votes included: the paper counts messages per value, and quorum intersection keeps it
 * safe (two > 2/3 sets for different values share > 1/3, so an honest validator would have
 * signed both). Counting only first votes per value would let one equivocator hide a polka from
 * half of the honest nodes for ever: those locked on it could then never be joined by the rest.
 */
export class VoteSet {
  private readonly byValidator = new Map<Hex, Vote[]>();
  private readonly powerByHash = new Map<Hex, number>();
  private totalPower = 0;

  /** The validator's first vote. */
  first(validator: Hex): Vote | undefined {
    return this.byValidator.get(validator)?.[0];
  }

  has(validator: Hex, blockHash: Hex): boolean {
    return this.byValidator.get(validator)?.some((v) => v.blockHash === blockHash) ?? false;
  }

  isFull(validator: Hex): boolean {
    return (this.byValidator.get(validator)?.length ?? 0) >= MAX_VOTES_PER_VALIDATOR;
  }

  /** Adds a verified vote; `conflict` means the validator had voted for another hash (equivocation). */
  add(vote: Vote, power: number): AddResult {
    const mine = this.byValidator.get(vote.validator);
    if (mine?.some((v) => v.blockHash === vote.blockHash)) return 'duplicate';
    if (mine && mine.length >= MAX_VOTES_PER_VALIDATOR) return 'full';
    this.powerByHash.set(vote.blockHash, (this.powerByHash.get(vote.blockHash) ?? 0) + power);
    if (mine) {
      mine.push(vote);
      return 'conflict';
    }
    this.byValidator.set(vote.validator, [vote]);
    this.totalPower += power;
    return 'added';
  }

  get total(): number {
    return this.totalPower;
  }

  powerFor(blockHash: Hex): number {
    return this.powerByHash.get(blockHash) ?? 0;
  }

  tallies(): IterableIterator<[Hex, number]> {
    return this.powerByHash.entries();
  }

  /** Every vote held, conflicting ones included (what gossip re-sends). */
  *votes(): IterableIterator<Vote> {
    for (const list of this.byValidator.values()) yield* list;
  }

  /** Signatures of the votes for `blockHash`, in the order given (canonical validator order). */
  signaturesFor(blockHash: Hex, order: readonly { address: Hex }[]): CommitSignature[] {
    const out: CommitSignature[] = [];
    for (const { address } of order) {
      const v = this.byValidator.get(address)?.find((x) => x.blockHash === blockHash);
      if (v) out.push({ validator: v.validator, signature: v.signature });
    }
    return out;
  }
}

/**
 * Memo of signature checks keyed by the signed fields and the signature. Gossip repeats every
 * message; several engines in one process (the simulation) can share one cache.
 */
export class SignatureCache {
  private readonly results = new Map<string, Hex | null>();

  constructor(private readonly capacity = 50_000) {}

  /** True when `vote` is well formed and signed by `vote.validator`. */
  vote(chainId: string, v: Vote): boolean {
    const key = `v|${chainId}|${v.type}|${v.height}|${v.round}|${v.blockHash}|${v.validator}|${v.signature}`;
    let r = this.results.get(key);
    if (r === undefined) {
      r = verifyVoteSignature(chainId, v) ? v.validator : null;
      this.remember(key, r);
    }
    return r !== null;
  }

  /** The address that signed `p` (over proposalDigest with `blockHash`), or null. */
  proposalSigner(chainId: string, p: Proposal, blockHash: Hex): Hex | null {
    const key = `p|${chainId}|${p.height}|${p.round}|${p.polRound}|${blockHash}|${p.signature}`;
    let r = this.results.get(key);
    if (r === undefined) {
      r = recoverAddress(proposalDigest(chainId, p.height, p.round, p.polRound, blockHash), fromHex(p.signature, 65));
      this.remember(key, r);
    }
    return r;
  }

  private remember(key: string, r: Hex | null): void {
    if (this.results.size >= this.capacity) {
      // Oldest first (Map keeps insertion order); a miss only costs a re-check.
      const oldest = this.results.keys().next().value;
      if (oldest !== undefined) this.results.delete(oldest);
    }
    this.results.set(key, r);
  }
}
