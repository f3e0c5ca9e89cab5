import { describe, expect, it } from 'vitest';
import { toHex, ZERO_HASH } from '../../../hub-chain/crypto/bytes.ts';
import { generateValidatorKey, validatorPublicKey, addressFromPublicKey, recoverAddress, recoverAddressNoble, signDigest, signDigestNoble } from '../../../hub-chain/crypto/secp256k1.ts';
import { keccak256 } from '../../../hub-chain/crypto/hash.ts';
import { ValidatorSet } from '../../../hub-chain/types/validator-set.ts';
import { VoteType, signVote, verifyCommit, verifyVoteSignature, voteDigest } from '../../../hub-chain/types/vote.ts';
import { hasCode } from '../../../hub-chain/errors.ts';

function makeVals(powers: number[]) {
  return powers.map((power) => {
    const sk = generateValidatorKey();
    const publicKey = toHex(validatorPublicKey(sk));
    return { sk, v: { address: addressFromPublicKey(validatorPublicKey(sk)), publicKey, power } };
  });
}

describe('validator keys and votes', () => {
  it('behavior: a signed vote recovers to its validator; a changed field does not', () => {
    const [a] = makeVals([1]);
    const vote = signVote('hub-1', { type: VoteType.Precommit, height: 5, round: 1, blockHash: '0x' + '11'.repeat(32) }, a.sk, a.v.address);
    expect(verifyVoteSignature('hub-1', vote)).toBe(true);
    expect(verifyVoteSignature('hub-2', vote)).toBe(false);
    expect(verifyVoteSignature('hub-1', { ...vote, round: 2 })).toBe(false);
    expect(verifyVoteSignature('hub-1', { ...vote, type: VoteType.Prevote })).toBe(false);
  });

  it('error: high-s and bad-v signatures do not recover (the ecrecover rules)', () => {
    const [a] = makeVals([1]);
    const d = voteDigest('hub-1', VoteType.Prevote, 1, 0, ZERO_HASH);
    const sig = signDigest(d, a.sk);
    expect(recoverAddress(d, sig)).toBe(a.v.address);
    const badV = Uint8Array.from(sig);
    badV[64] = 1;
    expect(recoverAddress(d, badV)).toBeNull();
    // s' = n - s gives the same point with high s: must be refused
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(toHex(sig.subarray(32, 64)));
    const hi = Uint8Array.from(sig);
    hi.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
    hi[64] = sig[64] === 27 ? 28 : 27;
    expect(recoverAddress(d, hi)).toBeNull();
  });

  it('behavior: native signatures are byte for byte noble\'s (RFC 6979, low s) and recover to the signer', () => {
    for (let i = 0; i < 50; i++) {
      const [a] = makeVals([1]);
      const d = keccak256(Uint8Array.of(i, 7));
      const sig = signDigest(d, a.sk);
      expect(toHex(sig)).toBe(toHex(signDigestNoble(d, a.sk)));
      expect(recoverAddress(d, sig)).toBe(a.v.address);
    }
  });

  it('behavior: the native recovery agrees with noble on valid, tampered and out-of-range signatures', () => {
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const word = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
    const cases: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 20; i++) {
      const [a] = makeVals([1]);
      const d = keccak256(Uint8Array.of(i, 1, 2, 3));
      const sig = signDigest(d, a.sk);
      cases.push([d, sig]);
      const flipped = Uint8Array.from(sig);
      flipped[i % 64] ^= 1 << i % 8; // one bit of r or s
      cases.push([d, flipped]);
      const otherV = Uint8Array.from(sig);
      otherV[64] = sig[64] === 27 ? 28 : 27; // the other candidate point: a different signer or none
      cases.push([d, otherV]);
      cases.push([keccak256(d), sig]); // another digest
    }
    const base = cases[0][1];
    for (const [r, s] of [[0n, 1n], [1n, 0n], [n, 1n], [n + 1n, 1n], [1n, n / 2n + 1n], [n - 1n, n / 2n]]) {
      const sig = Uint8Array.from(base);
      sig.set(word(r), 0);
      sig.set(word(s), 32);
      cases.push([cases[0][0], sig]);
    }
    cases.push([cases[0][0], base.subarray(0, 64)], [cases[0][0].subarray(0, 31), base]);
    let recovered = 0;
    for (const [d, sig] of cases) {
      const got = recoverAddress(d, sig);
      expect(got).toBe(recoverAddressNoble(d, sig));
      if (got !== null) recovered++;
    }
    expect(recovered).toBeGreaterThanOrEqual(20); // the untouched signatures at least
  });
});

describe('commit verification', () => {
  const chainId = 'hub-1';
  const block = '0x' + 'ab'.repeat(32);
  const vals = makeVals([10, 10, 10, 10]);
  const set = new ValidatorSet(vals.map((x) => x.v));
  const sigs = (ks: typeof vals, round = 0, hash = block) =>
    ks.map((k) => {
      const v = signVote(chainId, { type: VoteType.Precommit, height: 7, round, blockHash: hash }, k.sk, k.v.address);
      return { validator: v.validator, signature: v.signature };
    });

  it('behavior: accepts 3 of 4 equal validators (> 2/3)', () => {
    expect(verifyCommit(chainId, set, { height: 7, round: 0, blockHash: block, signatures: sigs(vals.slice(0, 3)) }, 7, block)).toBe(30);
  });
  it('error: rejects 2 of 4 (not > 2/3)', () => {
    expect(() => verifyCommit(chainId, set, { height: 7, round: 0, blockHash: block, signatures: sigs(vals.slice(0, 2)) }, 7, block)).toThrow(expect.objectContaining({ code: 'PNT_ERR_COMMIT_INSUFFICIENT_POWER' }));
  });
  it('error: rejects a duplicated signer', () => {
    const s = sigs(vals.slice(0, 2));
    try {
      verifyCommit(chainId, set, { height: 7, round: 0, blockHash: block, signatures: [...s, s[0]] }, 7, block);
      expect.unreachable();
    } catch (e) {
      expect(hasCode(e, 'PNT_ERR_COMMIT_DUPLICATE_SIGNER')).toBe(true);
    }
  });
  it('error: rejects signatures from another chain id or another round', () => {
    expect(() => verifyCommit('hub-2', set, { height: 7, round: 0, blockHash: block, signatures: sigs(vals.slice(0, 3)) }, 7, block)).toThrow(expect.objectContaining({ code: 'PNT_ERR_COMMIT_SIGNATURE' }));
    expect(() => verifyCommit(chainId, set, { height: 7, round: 1, blockHash: block, signatures: sigs(vals.slice(0, 3), 0) }, 7, block)).toThrow(expect.objectContaining({ code: 'PNT_ERR_COMMIT_SIGNATURE' }));
  });
});

describe('proposer rotation', () => {
  it('behavior: proposals are shared in proportion to voting power', () => {
    const vals = makeVals([30, 20, 10]);
    let set = new ValidatorSet(vals.map((x) => x.v));
    const counts = new Map<string, number>();
    for (let h = 0; h < 600; h++) {
      const p = set.proposer(0).address;
      counts.set(p, (counts.get(p) ?? 0) + 1);
      set = set.nextHeightSet();
    }
    expect(counts.get(vals[0].v.address)).toBe(300);
    expect(counts.get(vals[1].v.address)).toBe(200);
    expect(counts.get(vals[2].v.address)).toBe(100);
  });
  it('behavior: round r picks a different proposer than round 0 with equal powers', () => {
    const set = new ValidatorSet(makeVals([1, 1, 1, 1]).map((x) => x.v));
    const ps = [0, 1, 2, 3].map((r) => set.proposer(r).address);
    expect(new Set(ps).size).toBe(4);
  });
});
