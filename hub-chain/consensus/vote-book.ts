/**
 * Vote bookkeeping for one height: the first vote of each validator per (round, type), with
 * voting power tallied per block hash, and a memo of signature checks.
 */
import { type Hex, fromHex } from '../crypto/bytes.ts';
import { recoverAddress } from '../crypto/secp256k1.ts';
import type { CommitSignature, Vote } from '../types/vote.ts';
import { proposalDigest, verifyVoteSignature } from '../types/vote.ts';
import type { Proposal } from './types.ts';

/** The votes of one type in one round. Only a validator's first vote counts (equivocations do not add power). */
export class VoteSet {
  private readonly byValidator = new Map<Hex, Vote>();
  private readonly powerByHash = new Map<Hex, number>();
  private totalPower = 0;

  get(validator: Hex): Vote | undefined {
    return this.byValidator.get(validator);
  }

  /** Adds the first vote of `vote.validator`; the caller has checked it is not already present. */
  add(vote: Vote, power: number): void {
    this.byValidator.set(vote.validator, vote);
    this.powerByHash.set(vote.blockHash, (this.powerByHash.get(vote.blockHash) ?? 0) + power);
    this.totalPower += power;
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

  votes(): IterableIterator<Vote> {
    return this.byValidator.values();
  }

  /** Signatures of the votes for `blockHash`, in the order given (canonical validator order). */
  signaturesFor(blockHash: Hex, order: readonly { address: Hex }[]): CommitSignature[] {
    const out: CommitSignature[] = [];
    for (const { address } of order) {
      const v = this.byValidator.get(address);
      if (v && v.blockHash === blockHash) out.push({ validator: v.validator, signature: v.signature });
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
