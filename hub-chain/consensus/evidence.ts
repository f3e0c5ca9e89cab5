/**
 * Duplicate-vote evidence: building it in a canonical form (so every node that sees the same
 * equivocation builds the same bytes) and checking it (what a block validator runs).
 */
import { PontisError } from '../errors.ts';
import type { DuplicateVoteEvidence, Evidence } from '../types/block.ts';
import type { ValidatorSet } from '../types/validator-set.ts';
import { type Vote, verifyVoteSignature } from '../types/vote.ts';

export class EvidenceError extends PontisError {
  override name = 'EvidenceError';
}

/** Evidence from two conflicting votes; voteA is the one with the lower block hash. */
export function duplicateVoteEvidence(a: Vote, b: Vote): DuplicateVoteEvidence {
  const [voteA, voteB] = a.blockHash < b.blockHash ? [a, b] : [b, a];
  return { kind: 'duplicate-vote', voteA: copyVote(voteA), voteB: copyVote(voteB) };
}

/** Identifies one offence (validator, height, round, type), whichever pair of votes proves it. */
export function evidenceKey(e: Evidence): string {
  const v = e.voteA;
  return `${v.validator.toLowerCase()}/${v.height}/${v.round}/${v.type}`;
}

/**
 * Throws EvidenceError unless `e` proves that one validator signed two different votes of the
 * same type at the same height and round. With `valset`, the validator must also be a member;
 * `verifySignature` lets a caller plug in a memo (SignatureCache.vote).
 */
export function verifyDuplicateVoteEvidence(
  chainId: string,
  e: Evidence,
  opts: { valset?: ValidatorSet; verifySignature?: (chainId: string, v: Vote) => boolean } = {},
): void {
  const { valset, verifySignature = verifyVoteSignature } = opts;
  const fail = (why: string): never => {
    throw new EvidenceError('PNT_ERR_EVIDENCE_INVALID', `invalid duplicate-vote evidence: ${why}`);
  };
  if (e?.kind !== 'duplicate-vote' || !e.voteA || !e.voteB) fail('malformed');
  const { voteA: a, voteB: b } = e;
  if (a.validator?.toLowerCase() !== b.validator?.toLowerCase()) fail('votes from different validators');
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type) fail('votes for different height, round or type');
  // hex case is not signed: one honest vote re-cased is no conflict
  if (String(a.blockHash).toLowerCase() === String(b.blockHash).toLowerCase()) fail('votes are for the same block');
  if (!verifySignature(chainId, a) || !verifySignature(chainId, b)) fail('bad signature');
  if (valset && !valset.get(a.validator)) fail('validator is not in the set');
}

function copyVote(v: Vote): Vote {
  return { type: v.type, height: v.height, round: v.round, blockHash: v.blockHash, validator: v.validator, signature: v.signature };
}
