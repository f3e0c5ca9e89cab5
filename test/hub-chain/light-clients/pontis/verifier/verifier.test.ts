import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../../../hub-chain/crypto/hash.ts';
import { headerHash } from '../../../../../hub-chain/types/header.ts';
import { ValidatorSet } from '../../../../../hub-chain/types/validator-set.ts';
import {
  LC_ERR,
  LightClientError,
  type SignedHeader,
  type TrustedState,
  type VerifyOptions,
  trustedStateFrom,
  verifyHeader,
} from '../../../../../hub-chain/light-clients/pontis/verifier/index.ts';
import { ChainBuilder } from '../../../../support/chain-builder.ts';
import { expectCode as expectErrorCode } from '../../../../support/errors.ts';

const DAY = 86_400_000;
const randomHash = (tag: string) => toHex(keccak256(utf8(tag)));

/** Six validators of 10: exactly 2/3 (4 of 6) and exactly 1/3 (2 of 6) are expressible. */
function sixValidatorChain(height = 30) {
  return new ChainBuilder({ powers: [10, 10, 10, 10, 10, 10], seed: 'verifier-test' }).extendTo(height);
}

/** The shared expectCode, and the error must be a LightClientError. */
function expectCode(f: () => unknown, code: string, cause?: string): LightClientError {
  const err = expectErrorCode<LightClientError>(f, code, cause);
  expect(err).toBeInstanceOf(LightClientError);
  return err;
}

describe('verifyHeader: valid chains', () => {
  const chain = sixValidatorChain();
  const opts: VerifyOptions = { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, now: chain.header(30).time + 1000 };
  const fetch = (h: number) => [chain.signedHeader(h), chain.validatorSet(h), chain.validatorSet(h + 1)] as const;

  it('behavior: accepts each adjacent header from height 1 to 30 and returns the new trusted state', () => {
    let trusted = chain.trustedState(1);
    for (let h = 2; h <= 30; h++) {
      trusted = verifyHeader(trusted, ...fetch(h), opts);
      expect(trusted.header).toEqual(chain.header(h));
      expect(trusted.validators.hash()).toBe(chain.header(h).validatorsHash);
      expect(trusted.nextValidators.hash()).toBe(chain.header(h).nextValidatorsHash);
    }
  });

  it('behavior: skips from height 1 straight to 30 when the set is unchanged', () => {
    expect(verifyHeader(chain.trustedState(1), ...fetch(30), opts).header.height).toBe(30);
  });

  it('behavior: a header exactly at now + maxClockDrift is accepted (the bound is inclusive)', () => {
    const h = chain.header(30);
    expect(verifyHeader(chain.trustedState(29), ...fetch(30), { ...opts, now: h.time - opts.maxClockDriftMs }).header.height).toBe(30);
  });

  it('behavior: the trusted state is usable until 1 ms before time + trustingPeriod', () => {
    const t = chain.trustedState(1);
    expect(() => verifyHeader(t, ...fetch(2), { ...opts, now: t.header.time + DAY - 1 })).not.toThrow();
    expectCode(() => verifyHeader(t, ...fetch(2), { ...opts, now: t.header.time + DAY }), LC_ERR.TRUSTED_EXPIRED);
  });
});

describe('verifyHeader: validator-set changes (decided at H, effective at H+2)', () => {
  // 6 validators; at 5 three are replaced (overlap 1/2); at 15 the remaining three originals go.
  const chain = new ChainBuilder({ powers: [10, 10, 10, 10, 10, 10], seed: 'valset-change' });
  const originals = chain.validatorsAt(1);
  const fresh = Array.from({ length: 6 }, () => chain.newValidator());
  chain.changeValidators(5, [...originals.slice(0, 3).map((v) => ({ validator: v, power: 0 })), ...fresh.slice(0, 3).map((v) => ({ validator: v, power: 10 }))]);
  chain.changeValidators(15, [...originals.slice(3).map((v) => ({ validator: v, power: 0 })), ...fresh.slice(3).map((v) => ({ validator: v, power: 10 }))]);
  chain.extendTo(30);
  const opts: VerifyOptions = { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, now: chain.header(30).time };
  const fetch = (h: number) => [chain.signedHeader(h), chain.validatorSet(h), chain.validatorSet(h + 1)] as const;

  it('behavior: adjacent verification walks through both changes', () => {
    let trusted = chain.trustedState(1);
    for (let h = 2; h <= 30; h++) trusted = verifyHeader(trusted, ...fetch(h), opts);
    expect(trusted.validators.validators.map((v) => v.address).sort()).toEqual(fresh.map((v) => v.address).sort());
  });

  it('behavior: skipping across a change where half of the trusted next set still signs (> 1/3)', () => {
    expect(verifyHeader(chain.trustedState(1), ...fetch(10), opts).header.height).toBe(10);
  });

  it('error: skipping with a 2/3 trust level refuses the same half overlap', () => {
    expectCode(() => verifyHeader(chain.trustedState(1), ...fetch(10), { ...opts, trustLevel: { numerator: 2, denominator: 3 } }), LC_ERR.INSUFFICIENT_TRUST);
  });

  it('error: skipping across both changes (whole set replaced) is insufficient trust', () => {
    const err = expectCode(() => verifyHeader(chain.trustedState(1), ...fetch(20), opts), LC_ERR.INSUFFICIENT_TRUST);
    expect(err.details).toMatchObject({ power: 0, total: 60 });
  });

  it('error: overlap of exactly 1/3 is not enough; the skipped-to commit needs more than trustLevel', () => {
    // From 10 (next set: 3 fresh + 3 originals), a header at 20 signed by all of its set (the
    // 6 fresh) has 3 of 6 trusted signers: accepted. Dropping two of them leaves exactly 1/3.
    expect(verifyHeader(chain.trustedState(10), ...fetch(20), opts).header.height).toBe(20);
    const overlap = fresh.slice(0, 3).map((v) => v.address);
    const signers = chain.validatorsAt(20).filter((v) => !overlap.includes(v.address)).concat(chain.key(overlap[0]), chain.key(overlap[1]));
    const twoOfSix = chain.withSigners(20, signers); // 5 of 6 of the new set: a valid commit
    const err = expectCode(() => verifyHeader(chain.trustedState(10), twoOfSix, chain.validatorSet(20), chain.validatorSet(21), opts), LC_ERR.INSUFFICIENT_TRUST);
    expect(err.details).toMatchObject({ power: 20, total: 60 });
  });
});

interface Case {
  name: string;
  code: string;
  cause?: string;
  /** Only for this mode (default both). */
  onlyIn?: 'adjacent' | 'skipping';
  malleate(c: Ctx): void;
}
interface Ctx {
  chain: ChainBuilder;
  trusted: TrustedState;
  untrusted: SignedHeader;
  vals: ValidatorSet;
  next: ValidatorSet;
  opts: VerifyOptions;
}

const TRUSTED = 10;
const cases: Case[] = [
  { name: 'commit with exactly 2/3 of the power', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_INSUFFICIENT_POWER', malleate: (c) => (c.untrusted = c.chain.withSigners(c.untrusted.header.height, c.chain.signersWithPower(c.untrusted.header.height, 2, 3))) },
  { name: 'commit below 2/3', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_INSUFFICIENT_POWER', malleate: (c) => (c.untrusted = c.chain.withSigners(c.untrusted.header.height, c.chain.validatorsAt(c.untrusted.header.height).slice(0, 3))) },
  {
    name: 'duplicated signer (exactly 2/3 distinct, > 2/3 if counted twice)',
    code: LC_ERR.INVALID_COMMIT,
    cause: 'PNT_ERR_COMMIT_DUPLICATE_SIGNER',
    malleate: (c) => (c.untrusted = c.chain.withDuplicateSigner(c.chain.withSigners(c.untrusted.header.height, c.chain.signersWithPower(c.untrusted.header.height, 2, 3)))),
  },
  { name: 'header for another chain id (validly signed for it)', code: LC_ERR.CHAIN_ID, malleate: (c) => (c.untrusted = c.chain.forkHeader(c.untrusted.header.height, { chainId: 'other-chain' })) },
  { name: 'commit signed under another chain id', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_SIGNATURE', malleate: (c) => (c.untrusted = c.chain.withSigners(c.untrusted.header.height, c.chain.validatorsAt(c.untrusted.header.height), { chainId: 'other-chain' })) },
  { name: 'height equal to the trusted one (same header)', code: LC_ERR.HEIGHT_NOT_INCREASING, malleate: (c) => (c.untrusted = c.chain.signedHeader(TRUSTED)) },
  { name: 'height below the trusted one', code: LC_ERR.HEIGHT_NOT_INCREASING, malleate: (c) => (c.untrusted = c.chain.signedHeader(TRUSTED - 3)) },
  { name: 'equal height, different header (validly signed)', code: LC_ERR.HEIGHT_NOT_INCREASING, malleate: (c) => (c.untrusted = c.chain.forkHeader(TRUSTED, { stateRoot: randomHash('fork') })) },
  { name: 'time equal to the trusted time', code: LC_ERR.TIME_NOT_INCREASING, malleate: (c) => (c.untrusted = c.chain.forkHeader(c.untrusted.header.height, { time: c.trusted.header.time })) },
  { name: 'time before the trusted time', code: LC_ERR.TIME_NOT_INCREASING, malleate: (c) => (c.untrusted = c.chain.forkHeader(c.untrusted.header.height, { time: c.trusted.header.time - 1 })) },
  { name: 'header from the future (1 ms beyond drift)', code: LC_ERR.HEADER_FROM_FUTURE, malleate: (c) => (c.opts.now = c.untrusted.header.time - c.opts.maxClockDriftMs - 1) },
  { name: 'expired trusted state', code: LC_ERR.TRUSTED_EXPIRED, malleate: (c) => (c.opts.now = c.trusted.header.time + c.opts.trustingPeriodMs) },
  { name: 'validator set that does not hash to validatorsHash', code: LC_ERR.VALSET_MISMATCH, malleate: (c) => (c.vals = otherSet(c.chain)) },
  { name: 'next validator set that does not hash to nextValidatorsHash', code: LC_ERR.NEXT_VALSET_MISMATCH, malleate: (c) => (c.next = otherSet(c.chain)) },
  {
    name: 'commit over another header (its own block hash)',
    code: LC_ERR.INVALID_COMMIT,
    cause: 'PNT_ERR_COMMIT_BLOCK',
    malleate: (c) => (c.untrusted = { header: c.untrusted.header, commit: c.chain.signHeader({ ...c.untrusted.header, txRoot: randomHash('other') }) }),
  },
  {
    name: 'signatures over another header relabelled with this block hash',
    code: LC_ERR.INVALID_COMMIT,
    cause: 'PNT_ERR_COMMIT_SIGNATURE',
    malleate: (c) => {
      const commit = c.chain.signHeader({ ...c.untrusted.header, txRoot: randomHash('other') });
      c.untrusted = { header: c.untrusted.header, commit: { ...commit, blockHash: headerHash(c.untrusted.header) } };
    },
  },
  { name: 'commit for another height', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_HEIGHT', malleate: (c) => (c.untrusted = c.chain.withSigners(c.untrusted.header.height, c.chain.validatorsAt(c.untrusted.header.height), { height: c.untrusted.header.height + 1 })) },
  {
    name: 'a signer outside the validator set',
    code: LC_ERR.INVALID_COMMIT,
    cause: 'PNT_ERR_COMMIT_UNKNOWN_SIGNER',
    malleate: (c) => (c.untrusted = c.chain.withSigners(c.untrusted.header.height, [...c.chain.validatorsAt(c.untrusted.header.height).slice(0, 5), c.chain.newValidator()])),
  },
  { name: 'stateRoot tampered after signing', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_BLOCK', malleate: (c) => (c.untrusted = c.chain.tamper(c.untrusted, { stateRoot: randomHash('evil-state') })) },
  { name: 'time tampered after signing', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_BLOCK', malleate: (c) => (c.untrusted = c.chain.tamper(c.untrusted, { time: c.untrusted.header.time + 1 })) },
  { name: 'proposer tampered after signing', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_BLOCK', malleate: (c) => (c.untrusted = c.chain.tamper(c.untrusted, { proposer: '0x' + '11'.repeat(20) })) },
  {
    name: 'validatorsHash tampered after signing (with a matching set)',
    code: LC_ERR.INVALID_COMMIT,
    cause: 'PNT_ERR_COMMIT_BLOCK',
    onlyIn: 'skipping',
    malleate: (c) => {
      c.vals = otherSet(c.chain);
      c.untrusted = c.chain.tamper(c.untrusted, { validatorsHash: c.vals.hash() });
    },
  },
  { name: 'malformed header (short stateRoot)', code: LC_ERR.HEADER_MALFORMED, malleate: (c) => (c.untrusted = c.chain.tamper(c.untrusted, { stateRoot: '0x1234' })) },
  {
    name: 'adjacent header signed by a set other than the trusted next set',
    code: LC_ERR.ADJACENT_VALSET_MISMATCH,
    onlyIn: 'adjacent',
    malleate: (c) => impostor(c),
  },
  { name: 'adjacent header that does not build on the trusted header', code: LC_ERR.PREV_HASH_MISMATCH, onlyIn: 'adjacent', malleate: (c) => (c.untrusted = c.chain.forkHeader(c.untrusted.header.height, { prevHash: randomHash('elsewhere') })) },
  { name: 'skipping to a header signed by a wholly different set', code: LC_ERR.INSUFFICIENT_TRUST, onlyIn: 'skipping', malleate: (c) => impostor(c) },
  { name: 'trust level below 1/3', code: LC_ERR.TRUST_LEVEL, malleate: (c) => (c.opts.trustLevel = { numerator: 1, denominator: 4 }) },
  { name: 'trust level above 1', code: LC_ERR.TRUST_LEVEL, malleate: (c) => (c.opts.trustLevel = { numerator: 4, denominator: 3 }) },
  { name: 'non-positive trusting period', code: LC_ERR.OPTIONS, malleate: (c) => (c.opts.trustingPeriodMs = 0) },
  { name: 'trusted state whose next set does not match its header', code: LC_ERR.TRUSTED_STATE_INVALID, malleate: (c) => (c.trusted = { ...c.trusted, nextValidators: otherSet(c.chain) }) },
];

/** A set of fresh keys (not the chain's). */
function otherSet(chain: ChainBuilder): ValidatorSet {
  return new ValidatorSet(Array.from({ length: 4 }, () => ({ ...pub(chain.newValidator()), power: 10 })));
}
function pub(v: { address: string; publicKey: string }) {
  return { address: v.address, publicKey: v.publicKey };
}
/** The untrusted header re-made as if an unrelated set were the chain's validators. */
function impostor(c: Ctx): void {
  const keys = Array.from({ length: 4 }, () => c.chain.newValidator());
  c.vals = new ValidatorSet(keys.map((k) => ({ ...pub(k), power: 10 })));
  c.next = c.vals;
  c.untrusted = c.chain.forkHeader(c.untrusted.header.height, { validatorsHash: c.vals.hash(), nextValidatorsHash: c.vals.hash() }, { signers: keys });
}

describe.each([
  { mode: 'adjacent' as const, target: TRUSTED + 1 },
  { mode: 'skipping' as const, target: TRUSTED + 7 },
])('verifyHeader: malleated $mode header is rejected', ({ mode, target }) => {
  const chain = sixValidatorChain();
  const base = (): Ctx => ({
    chain,
    trusted: chain.trustedState(TRUSTED),
    untrusted: chain.signedHeader(target),
    vals: chain.validatorSet(target),
    next: chain.validatorSet(target + 1),
    opts: { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, now: chain.header(target).time + 5_000 },
  });

  it('behavior: the unmalleated happy path verifies', () => {
    const c = base();
    expect(verifyHeader(c.trusted, c.untrusted, c.vals, c.next, c.opts).header).toEqual(chain.header(target));
  });

  it.each(cases.filter((k) => !k.onlyIn || k.onlyIn === mode))('error: $name -> $code', (k) => {
    const c = base();
    k.malleate(c);
    expectCode(() => verifyHeader(c.trusted, c.untrusted, c.vals, c.next, c.opts), k.code, k.cause);
  });
});

describe('trustedStateFrom', () => {
  const chain = sixValidatorChain(5);
  it('behavior: builds a trusted state pinned to an expected hash', () => {
    const s = trustedStateFrom(chain.header(3), chain.validatorSet(3), chain.validatorSet(4), headerHash(chain.header(3)));
    expect(s.header.height).toBe(3);
  });
  it('error: refuses a header with another hash or sets that do not match', () => {
    expectCode(() => trustedStateFrom(chain.header(3), chain.validatorSet(3), chain.validatorSet(4), headerHash(chain.header(2))), LC_ERR.TRUSTED_STATE_INVALID);
    expectCode(() => trustedStateFrom(chain.header(3), chain.validatorSet(3), otherSet(chain)), LC_ERR.TRUSTED_STATE_INVALID);
  });
  it('error: a future header is retryable; a bad commit is not', () => {
    const opts = { trustingPeriodMs: DAY, maxClockDriftMs: 0, now: chain.header(4).time - 1 };
    const e1 = expectCode(() => verifyHeader(chain.trustedState(3), chain.signedHeader(4), chain.validatorSet(4), chain.validatorSet(5), opts), LC_ERR.HEADER_FROM_FUTURE);
    expect(e1.retryable).toBe(true);
    const bad = chain.withSigners(4, chain.validatorsAt(4).slice(0, 2));
    const e2 = expectCode(() => verifyHeader(chain.trustedState(3), bad, chain.validatorSet(4), chain.validatorSet(5), { ...opts, now: opts.now + 1 }), LC_ERR.INVALID_COMMIT);
    expect(e2.retryable).toBe(false);
  });
});
