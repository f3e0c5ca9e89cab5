/**
 * Verification of hub headers by a light client, after the CometBFT light client spec
 * ("Core Verification"): a header is trusted when it is committed by > 2/3 of its own validator
 * set and that set is linked to what we already trust, either directly (adjacent: it is the
 * trusted header's next set) or by overlap (skipping: signers holding > trustLevel of the trusted
 * next set signed it; with trustLevel >= 1/3 at least one of them is correct while the trusted
 * state is inside its trusting period).
 *
 * The checks run in a fixed order so that a given bad header always yields the same code; the
 * Solidity client applies the same checks in the same order (docs/adr/0003-light-client.md).
 */
import { type Hex } from '../../../crypto/bytes.ts';
import { type Header, headerHash } from '../../../types/header.ts';
import type { ValidatorSet } from '../../../types/validator-set.ts';
import { type Commit, verifyCommit } from '../../../types/vote.ts';
import { LC_ERR, LightClientError } from './errors.ts';

export interface SignedHeader {
  header: Header;
  commit: Commit;
}

/** A verified header with the set that signed it and the set that signs the next height. */
export interface TrustedState {
  header: Header;
  validators: ValidatorSet;
  nextValidators: ValidatorSet;
}

export interface Fraction {
  numerator: number;
  denominator: number;
}

export interface VerifyOptions {
  /** How long a trusted header's next validators stay trusted; must be below the unbonding period. */
  trustingPeriodMs: number;
  /** How far a header's time may lie ahead of the local clock. */
  maxClockDriftMs: number;
  /** Local time in ms (passed in so that verification is a pure function). */
  now: number;
  /** Fraction of the trusted next set that must sign a skipped-to header; default 1/3, range [1/3, 1]. */
  trustLevel?: Fraction;
}

export const DEFAULT_TRUST_LEVEL: Readonly<Fraction> = Object.freeze({ numerator: 1, denominator: 3 });

/** Throws PNT_ERR_LC_TRUST_LEVEL unless 1/3 <= n/d <= 1 with positive safe integers. */
export function validateTrustLevel(tl: Fraction): void {
  const { numerator: n, denominator: d } = tl;
  // Below 1/3 a skipped-to header could be signed only by faulty validators of the trusted set.
  const ok = Number.isSafeInteger(n) && Number.isSafeInteger(d) && n > 0 && d > 0 && n <= d && 3 * n >= d;
  if (!ok) throw new LightClientError(LC_ERR.TRUST_LEVEL, 'trust level must be a fraction in [1/3, 1]', { details: { numerator: n, denominator: d } });
}

function validateOptions(opts: VerifyOptions): Fraction {
  const { trustingPeriodMs, maxClockDriftMs, now } = opts;
  if (!Number.isSafeInteger(trustingPeriodMs) || trustingPeriodMs <= 0 || !Number.isSafeInteger(maxClockDriftMs) || maxClockDriftMs < 0 || !Number.isSafeInteger(now) || now < 0) {
    throw new LightClientError(LC_ERR.OPTIONS, 'trustingPeriodMs must be > 0, maxClockDriftMs >= 0 and now a non-negative integer (ms)', {
      details: { trustingPeriodMs, maxClockDriftMs, now },
    });
  }
  const tl = opts.trustLevel ?? DEFAULT_TRUST_LEVEL;
  validateTrustLevel(tl);
  return tl;
}

/** headerHash, with encoding failures turned into PNT_ERR_LC_HEADER_MALFORMED. */
export function checkedHeaderHash(h: Header): Hex {
  if (!Number.isSafeInteger(h?.height) || h.height < 1 || !Number.isSafeInteger(h.time) || h.time < 0) {
    throw new LightClientError(LC_ERR.HEADER_MALFORMED, 'header height must be >= 1 and time a non-negative integer', { details: { height: h?.height, time: h?.time } });
  }
  try {
    return headerHash(h);
  } catch (e) {
    throw new LightClientError(LC_ERR.HEADER_MALFORMED, 'header cannot be encoded', { cause: e, details: { height: h.height } });
  }
}

/** True when the trusted state can no longer vouch for anything (now >= time + trustingPeriod). */
export function isExpired(trustedHeader: Header, trustingPeriodMs: number, now: number): boolean {
  return now >= trustedHeader.time + trustingPeriodMs;
}

/**
 * Builds the first TrustedState (from genesis or a hash obtained by social consensus), checking
 * that the sets are the ones the header names. Pass `expectedHash` to pin the header itself.
 */
export function trustedStateFrom(header: Header, validators: ValidatorSet, nextValidators: ValidatorSet, expectedHash?: Hex): TrustedState {
  const hash = checkedHeaderHash(header);
  if (expectedHash !== undefined && hash !== expectedHash.toLowerCase()) {
    throw new LightClientError(LC_ERR.TRUSTED_STATE_INVALID, 'header does not have the expected hash', { details: { height: header.height, hash, expectedHash } });
  }
  const state = { header, validators, nextValidators };
  checkTrustedState(state);
  return state;
}

function checkTrustedState(t: TrustedState): void {
  if (t.validators.hash() !== t.header.validatorsHash || t.nextValidators.hash() !== t.header.nextValidatorsHash) {
    throw new LightClientError(LC_ERR.TRUSTED_STATE_INVALID, 'trusted validator sets do not match the trusted header', { details: { height: t.header.height } });
  }
}

/**
 * Verifies `untrusted` (with its validator set and the next one) from `trusted` and returns the
 * new TrustedState, or throws LightClientError. Adjacent when untrusted height = trusted + 1,
 * skipping otherwise.
 */
export function verifyHeader(trusted: TrustedState, untrusted: SignedHeader, untrustedVals: ValidatorSet, untrustedNextVals: ValidatorSet, opts: VerifyOptions): TrustedState {
  const trustLevel = validateOptions(opts);
  checkTrustedState(trusted);
  const th = trusted.header;
  const h = untrusted.header;
  if (isExpired(th, opts.trustingPeriodMs, opts.now)) {
    throw new LightClientError(LC_ERR.TRUSTED_EXPIRED, `trusted header at ${th.height} expired at ${th.time + opts.trustingPeriodMs}`, {
      details: { trustedHeight: th.height, trustedTime: th.time, trustingPeriodMs: opts.trustingPeriodMs, now: opts.now },
    });
  }
  const hash = checkedHeaderHash(h);
  if (h.chainId !== th.chainId) throw new LightClientError(LC_ERR.CHAIN_ID, `header is for chain ${h.chainId}, expected ${th.chainId}`, { details: { got: h.chainId, expected: th.chainId } });
  if (h.height <= th.height) {
    throw new LightClientError(LC_ERR.HEIGHT_NOT_INCREASING, `header height ${h.height} is not above trusted height ${th.height}`, { details: { height: h.height, trustedHeight: th.height } });
  }
  if (h.time <= th.time) throw new LightClientError(LC_ERR.TIME_NOT_INCREASING, `header time ${h.time} is not after trusted time ${th.time}`, { details: { time: h.time, trustedTime: th.time } });
  if (h.time > opts.now + opts.maxClockDriftMs) {
    throw new LightClientError(LC_ERR.HEADER_FROM_FUTURE, `header time ${h.time} is beyond now + drift (${opts.now + opts.maxClockDriftMs})`, {
      retryable: true,
      details: { time: h.time, now: opts.now, maxClockDriftMs: opts.maxClockDriftMs },
    });
  }
  if (untrustedVals.hash() !== h.validatorsHash) {
    throw new LightClientError(LC_ERR.VALSET_MISMATCH, 'validator set does not match header.validatorsHash', { details: { height: h.height, got: untrustedVals.hash(), expected: h.validatorsHash } });
  }
  if (untrustedNextVals.hash() !== h.nextValidatorsHash) {
    throw new LightClientError(LC_ERR.NEXT_VALSET_MISMATCH, 'next validator set does not match header.nextValidatorsHash', {
      details: { height: h.height, got: untrustedNextVals.hash(), expected: h.nextValidatorsHash },
    });
  }
  const adjacent = h.height === th.height + 1;
  if (adjacent) {
    if (h.validatorsHash !== th.nextValidatorsHash) {
      throw new LightClientError(LC_ERR.ADJACENT_VALSET_MISMATCH, 'adjacent header is not signed by the trusted next validator set', {
        details: { height: h.height, validatorsHash: h.validatorsHash, trustedNextValidatorsHash: th.nextValidatorsHash },
      });
    }
    // The trusted header is final, so a committed successor that does not build on it is a fork.
    if (h.prevHash !== checkedHeaderHash(th)) {
      throw new LightClientError(LC_ERR.PREV_HASH_MISMATCH, 'adjacent header does not build on the trusted header', { details: { height: h.height, prevHash: h.prevHash } });
    }
  }
  const signers = verifyCommitOf(h.chainId, untrustedVals, untrusted.commit, h.height, hash);
  if (!adjacent) checkTrustOverlap(trusted.nextValidators, signers, trustLevel, h.height);
  return { header: h, validators: untrustedVals, nextValidators: untrustedNextVals };
}

/**
 * verifyCommit with its CommitError kept as cause. Returns the distinct signer addresses (all
 * already proven members of `vals` with valid signatures).
 */
export function verifyCommitOf(chainId: string, vals: ValidatorSet, commit: Commit, height: number, hash: Hex): Set<Hex> {
  try {
    verifyCommit(chainId, vals, commit, height, hash);
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    throw new LightClientError(LC_ERR.INVALID_COMMIT, `commit for height ${height} is not valid${typeof code === 'string' ? ` (${code})` : ''}`, { cause: e, details: { height, commitCode: code } });
  }
  return new Set(commit.signatures.map((s) => s.validator.toLowerCase()));
}

/**
 * Power in `trustedNext` of `signers` (each counted once) must exceed trustLevel of its total.
 * Members are matched by address, which ValidatorSet binds to the public key.
 */
export function checkTrustOverlap(trustedNext: ValidatorSet, signers: Iterable<Hex>, trustLevel: Fraction, height: number): number {
  let power = 0;
  for (const a of new Set(signers)) power += trustedNext.get(a)?.power ?? 0;
  // power / total > n / d, in integers (BigInt: total * n can pass 2^53).
  if (BigInt(power) * BigInt(trustLevel.denominator) <= BigInt(trustedNext.totalPower) * BigInt(trustLevel.numerator)) {
    throw new LightClientError(LC_ERR.INSUFFICIENT_TRUST, `signers hold ${power} of ${trustedNext.totalPower} trusted power, need more than ${trustLevel.numerator}/${trustLevel.denominator}`, {
      details: { height, power, total: trustedNext.totalPower, trustLevel },
    });
  }
  return power;
}
