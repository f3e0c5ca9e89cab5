/**
 * Fork detection. Two different headers at one height, each committed by > 2/3 of a validator
 * set the client trusts (or could have skipped to), prove that more than the tolerated share of
 * validators misbehaved: the client must freeze. Validators that precommitted both headers in
 * the same round equivocated and are reported for slashing; a fork across rounds (amnesia) or by
 * another set (lunatic) is still a fork, only with no duplicate votes to show.
 */
import type { Hex } from '../../../crypto/bytes.ts';
import type { DuplicateVoteEvidence } from '../../../types/block.ts';
import type { ValidatorSet } from '../../../types/validator-set.ts';
import { type Commit, type Vote, VoteType } from '../../../types/vote.ts';
import { LC_ERR, LightClientError } from './errors.ts';
import { type SignedHeader, type TrustedState, type VerifyOptions, checkTrustOverlap, checkedHeaderHash, isExpired, verifyCommitOf, DEFAULT_TRUST_LEVEL, validateTrustLevel } from './verifier.ts';

export interface LightClientMisbehaviour {
  kind: 'fork';
  chainId: string;
  height: number;
  /** The two headers, ordered by header hash so equal evidence compares equal. */
  headerA: SignedHeader;
  headerB: SignedHeader;
  hashA: Hex;
  hashB: Hex;
  /** Validators that precommitted both headers in the same round. */
  duplicateVotes: DuplicateVoteEvidence[];
}

/**
 * Ties a header whose validator set the caller does not already trust to a trusted state, as
 * skipping verification would: the trusted state is unexpired and below the header, and the
 * header's signers hold > trustLevel of trusted.nextValidators (adjacent: the set must be it).
 */
export interface ConflictTrust {
  trusted: TrustedState;
  opts: Pick<VerifyOptions, 'trustingPeriodMs' | 'now' | 'trustLevel'>;
}

/**
 * Checks two signed headers for a fork. Returns null when they are the same header, the
 * misbehaviour when they are a proven fork, and throws PNT_ERR_LC_* when they are not valid
 * evidence (different chains or heights, a bad commit, a set not tied to trust).
 *
 * `valsAtHeight`: one set both headers must be committed by (the caller trusts it at that
 * height, e.g. from its store), or one set per header together with `trust` linking each to a
 * trusted state (the conflicting header may come from another set, as in a lunatic attack).
 */
export function detectConflict(a: SignedHeader, b: SignedHeader, valsAtHeight: ValidatorSet): LightClientMisbehaviour | null;
export function detectConflict(a: SignedHeader, b: SignedHeader, valsAtHeight: ValidatorSet | readonly [ValidatorSet, ValidatorSet], trust: ConflictTrust): LightClientMisbehaviour | null;
export function detectConflict(a: SignedHeader, b: SignedHeader, valsAtHeight: ValidatorSet | readonly [ValidatorSet, ValidatorSet], trust?: ConflictTrust): LightClientMisbehaviour | null {
  const hashA = checkedHeaderHash(a.header);
  const hashB = checkedHeaderHash(b.header);
  if (hashA === hashB) return null;
  if (a.header.chainId !== b.header.chainId) throw invalid(LC_ERR.CHAIN_ID, 'headers are for different chains');
  if (a.header.height !== b.header.height) throw invalid(LC_ERR.MISBEHAVIOUR_INVALID, `headers are at different heights (${a.header.height}, ${b.header.height})`);
  const [valsA, valsB] = Array.isArray(valsAtHeight) ? (valsAtHeight as readonly [ValidatorSet, ValidatorSet]) : [valsAtHeight as ValidatorSet, valsAtHeight as ValidatorSet];
  if (!trust && valsA !== valsB) throw invalid(LC_ERR.MISBEHAVIOUR_INVALID, 'one validator set per header needs a trusted state to tie them to');
  checkSide(a, hashA, valsA, trust);
  checkSide(b, hashB, valsB, trust);
  const [first, second] = hashA < hashB ? [a, b] : [b, a];
  return {
    kind: 'fork',
    chainId: a.header.chainId,
    height: a.header.height,
    headerA: first,
    headerB: second,
    hashA: hashA < hashB ? hashA : hashB,
    hashB: hashA < hashB ? hashB : hashA,
    duplicateVotes: duplicateVotes(first.commit, second.commit),
  };
}

function checkSide(sh: SignedHeader, hash: Hex, vals: ValidatorSet, trust: ConflictTrust | undefined): void {
  const h = sh.header;
  if (vals.hash() !== h.validatorsHash) throw invalid(LC_ERR.VALSET_MISMATCH, `validator set does not match header ${hash}`);
  const signers = verifyCommitOf(h.chainId, vals, sh.commit, h.height, hash);
  if (!trust) return;
  const t = trust.trusted.header;
  const tl = trust.opts.trustLevel ?? DEFAULT_TRUST_LEVEL;
  validateTrustLevel(tl);
  // An expired trusted set may have unbonded: its signatures cost nothing and prove nothing.
  if (isExpired(t, trust.opts.trustingPeriodMs, trust.opts.now)) throw invalid(LC_ERR.TRUSTED_EXPIRED, `trusted header at ${t.height} has expired`);
  if (t.chainId !== h.chainId) throw invalid(LC_ERR.CHAIN_ID, 'trusted state is for another chain');
  if (h.height <= t.height) throw invalid(LC_ERR.HEIGHT_NOT_INCREASING, `conflict at ${h.height} is not above trusted height ${t.height}`);
  if (trust.trusted.nextValidators.hash() !== t.nextValidatorsHash) throw invalid(LC_ERR.TRUSTED_STATE_INVALID, 'trusted next validators do not match the trusted header');
  if (h.height === t.height + 1) {
    if (h.validatorsHash !== t.nextValidatorsHash) throw invalid(LC_ERR.ADJACENT_VALSET_MISMATCH, 'adjacent header is not signed by the trusted next validator set');
  } else {
    checkTrustOverlap(trust.trusted.nextValidators, signers, tl, h.height);
  }
}

function duplicateVotes(a: Commit, b: Commit): DuplicateVoteEvidence[] {
  if (a.round !== b.round) return [];
  const inB = new Map(b.signatures.map((s) => [s.validator.toLowerCase(), s.signature]));
  const out: DuplicateVoteEvidence[] = [];
  for (const s of a.signatures) {
    const other = inB.get(s.validator.toLowerCase());
    if (other === undefined) continue;
    const vote = (c: Commit, signature: Hex): Vote => ({ type: VoteType.Precommit, height: c.height, round: c.round, blockHash: c.blockHash, validator: s.validator.toLowerCase(), signature });
    out.push({ kind: 'duplicate-vote', voteA: vote(a, s.signature), voteB: vote(b, other) });
  }
  return out;
}

function invalid(code: (typeof LC_ERR)[keyof typeof LC_ERR], message: string): LightClientError {
  return new LightClientError(code, `not a valid conflict: ${message}`);
}
