import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../../../hub-chain/crypto/hash.ts';
import { ValidatorSet } from '../../../../../hub-chain/types/validator-set.ts';
import { verifyVoteSignature } from '../../../../../hub-chain/types/vote.ts';
import { type ConflictTrust, LC_ERR, detectConflict } from '../../../../../hub-chain/light-clients/pontis/verifier/index.ts';
import { ChainBuilder } from '../../../../support/chain-builder.ts';
import { expectCode } from '../../../../support/errors.ts';

const DAY = 86_400_000;
const root = (tag: string) => toHex(keccak256(utf8(tag)));

describe('detectConflict', () => {
  const chain = new ChainBuilder({ powers: [10, 10, 10, 10, 10, 10], seed: 'misbehaviour' }).extendTo(12);
  const H = 10;
  const vals = chain.validatorSet(H);
  const trust: ConflictTrust = { trusted: chain.trustedState(5), opts: { trustingPeriodMs: DAY, now: chain.header(12).time } };

  it('behavior: the same header twice is no conflict', () => {
    expect(detectConflict(chain.signedHeader(H), chain.withSigners(H, chain.validatorsAt(H).slice(1)), vals)).toBeNull();
  });

  it('behavior: a second header at the same height signed by the same set is a fork; same-round signers are equivocators', () => {
    const fork = chain.forkHeader(H, { stateRoot: root('fork') }, { signers: chain.validatorsAt(H).slice(0, 5) });
    const m = detectConflict(chain.signedHeader(H), fork, vals)!;
    expect(m).not.toBeNull();
    expect(m.kind).toBe('fork');
    expect(m.height).toBe(H);
    expect(m.chainId).toBe(chain.chainId);
    expect(new Set([m.hashA, m.hashB]).size).toBe(2);
    expect(m.duplicateVotes.map((d) => d.voteA.validator).sort()).toEqual(chain.validatorsAt(H).slice(0, 5).map((v) => v.address).sort());
    for (const d of m.duplicateVotes) {
      expect(verifyVoteSignature(chain.chainId, d.voteA)).toBe(true);
      expect(verifyVoteSignature(chain.chainId, d.voteB)).toBe(true);
      expect(d.voteA.blockHash).not.toBe(d.voteB.blockHash);
    }
    // evidence does not depend on argument order
    expect(detectConflict(fork, chain.signedHeader(H), vals)).toEqual(m);
  });

  it('behavior: a fork committed in another round is still a fork, with no duplicate votes', () => {
    const fork = chain.forkHeader(H, { txRoot: root('tx') }, { round: 1 });
    const m = detectConflict(chain.signedHeader(H), fork, vals)!;
    expect(m.kind).toBe('fork');
    expect(m.duplicateVotes).toEqual([]);
  });

  it('behavior: a fork by another set that skipping verification would accept (overlap > 1/3) is a fork', () => {
    // 3 of the 6 trusted validators plus 3 newcomers sign a header naming their own set
    const newcomers = [0, 1, 2].map(() => chain.newValidator());
    const signers = [...chain.validatorsAt(H).slice(0, 3), ...newcomers];
    const forkSet = new ValidatorSet(signers.map((k) => ({ address: k.address, publicKey: k.publicKey, power: 10 })));
    const fork = chain.forkHeader(H, { validatorsHash: forkSet.hash() }, { signers });
    const m = detectConflict(chain.signedHeader(H), fork, [vals, forkSet], trust);
    expect(m?.kind).toBe('fork');
  });

  it('error: a fork by a set with no trusted overlap is not evidence (a freeze attack)', () => {
    const impostors = [0, 1, 2, 3].map(() => chain.newValidator());
    const fakeSet = new ValidatorSet(impostors.map((k) => ({ address: k.address, publicKey: k.publicKey, power: 10 })));
    const fork = chain.forkHeader(H, { validatorsHash: fakeSet.hash() }, { signers: impostors });
    expectCode(() => detectConflict(chain.signedHeader(H), fork, [vals, fakeSet], trust), LC_ERR.INSUFFICIENT_TRUST);
    expectCode(() => (detectConflict as (...a: unknown[]) => unknown)(chain.signedHeader(H), fork, [vals, fakeSet]), LC_ERR.MISBEHAVIOUR_INVALID);
  });

  it('error: a fork backed only by an expired trusted state is not evidence', () => {
    const fork = chain.forkHeader(H, { stateRoot: root('late') });
    expectCode(() => detectConflict(chain.signedHeader(H), fork, vals, { ...trust, opts: { ...trust.opts, now: chain.header(5).time + DAY } }), LC_ERR.TRUSTED_EXPIRED);
  });

  it.each([
    { name: 'one side has exactly 2/3', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_INSUFFICIENT_POWER', other: () => chain.forkHeader(H, { stateRoot: root('a') }, { signers: chain.validatorsAt(H).slice(0, 4) }) },
    { name: 'one side has a duplicated signer', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_DUPLICATE_SIGNER', other: () => chain.withDuplicateSigner(chain.forkHeader(H, { stateRoot: root('b') }, { signers: chain.validatorsAt(H).slice(0, 4) })) },
    { name: 'one side was tampered after signing', code: LC_ERR.INVALID_COMMIT, cause: 'PNT_ERR_COMMIT_BLOCK', other: () => chain.tamper(chain.signedHeader(H), { stateRoot: root('c') }) },
    { name: 'the headers are at different heights', code: LC_ERR.MISBEHAVIOUR_INVALID, other: () => chain.signedHeader(H + 1) },
    { name: 'the headers are for different chains', code: LC_ERR.CHAIN_ID, other: () => chain.forkHeader(H, { chainId: 'other-chain' }) },
    { name: 'the set does not match the other header', code: LC_ERR.VALSET_MISMATCH, other: () => chain.tamper(chain.signedHeader(H), { validatorsHash: root('v') }) },
  ])('error: $name -> $code', ({ code, cause, other }) => {
    expectCode(() => detectConflict(chain.signedHeader(H), other(), vals), code, cause);
  });
});
