import { describe, expect, it } from 'vitest';
import { ZERO_HASH } from '../../../../../hub-chain/crypto/bytes.ts';
import { headerHash } from '../../../../../hub-chain/types/header.ts';
import { verifyCommit } from '../../../../../hub-chain/types/vote.ts';
import { ChainBuilder } from '../../../../support/chain-builder.ts';

describe('chain-builder fixture', () => {
  it('behavior: headers link by prevHash, carry their sets hashes, and commits verify', () => {
    const chain = new ChainBuilder({ seed: 'fixture' }).extendTo(8);
    expect(chain.header(1).prevHash).toBe(ZERO_HASH);
    for (let h = 1; h <= 8; h++) {
      const { header, commit } = chain.signedHeader(h);
      if (h > 1) expect(header.prevHash).toBe(headerHash(chain.header(h - 1)));
      expect(header.validatorsHash).toBe(chain.validatorSet(h).hash());
      expect(header.nextValidatorsHash).toBe(chain.validatorSet(h + 1).hash());
      expect(header.time).toBe(chain.defaultTime(h));
      expect(verifyCommit(chain.chainId, chain.validatorSet(h), commit, h, headerHash(header))).toBe(40);
    }
  });

  it('behavior: a change decided at H shows as nextValidatorsHash at H+1 and signs from H+2', () => {
    const chain = new ChainBuilder({ seed: 'fixture-h2' });
    const joiner = chain.newValidator();
    chain.changeValidators(5, [{ validator: joiner, power: 10 }]).extendTo(8);
    const before = chain.validatorSet(5).hash();
    expect(chain.header(5).validatorsHash).toBe(before);
    expect(chain.header(5).nextValidatorsHash).toBe(before);
    expect(chain.header(6).validatorsHash).toBe(before);
    expect(chain.header(6).nextValidatorsHash).not.toBe(before);
    expect(chain.header(7).validatorsHash).toBe(chain.header(6).nextValidatorsHash);
    expect(chain.validatorSet(7).get(joiner.address)?.power).toBe(10);
    expect(chain.signedHeader(7).commit.signatures.map((s) => s.validator)).toContain(joiner.address);
  });

  it('behavior: keys are deterministic per seed, and per-height settings apply', () => {
    const a = new ChainBuilder({ seed: 'same' }).setTime(3, 1_800_000_000_000).setStateRoot(2, '0x' + '22'.repeat(32)).extendTo(3);
    const b = new ChainBuilder({ seed: 'same' }).extendTo(3);
    expect(a.header(1)).toEqual(b.header(1));
    expect(a.header(2).stateRoot).toBe('0x' + '22'.repeat(32));
    expect(a.header(3).time).toBe(1_800_000_000_000);
  });

  it('error: settings for an already built height are refused', () => {
    const chain = new ChainBuilder({ seed: 'late' }).extendTo(4);
    expect(() => chain.setStateRoot(4, ZERO_HASH)).toThrow(/built to 4/);
    expect(() => chain.changeValidators(4, [])).toThrow(/built to 4/);
  });

  it('behavior: signersWithPower picks exactly or strictly more than a fraction', () => {
    const chain = new ChainBuilder({ powers: [10, 10, 10, 10, 10, 10], seed: 'frac' }).extendTo(1);
    expect(chain.signersWithPower(1, 2, 3)).toHaveLength(4);
    expect(chain.signersWithPower(1, 2, 3, true)).toHaveLength(5);
  });
});
