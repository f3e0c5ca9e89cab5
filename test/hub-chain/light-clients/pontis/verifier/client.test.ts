import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../../../hub-chain/crypto/hash.ts';
import { hasCode } from '../../../../../hub-chain/errors.ts';
import { ValidatorSet } from '../../../../../hub-chain/types/validator-set.ts';
import { LC_ERR, LightClient, type LightClientOptions } from '../../../../../hub-chain/light-clients/pontis/verifier/index.ts';
import { ChainBuilder } from '../../../../support/chain-builder.ts';
import { expectCodeAsync as rejectsWith } from '../../../../support/errors.ts';

const DAY = 86_400_000;

/**
 * 4 validators; every `every` blocks the two longest-serving are replaced by fresh keys, so the
 * set drifts by half each step and is wholly new after two steps: long skips need bisection.
 */
function rotatingChain(height: number, every = 4, seed = 'client-test') {
  const chain = new ChainBuilder({ powers: [10, 10, 10, 10], seed });
  const members = chain.validatorsAt(1).map((v) => v.address);
  for (let decided = every; decided <= height; decided += every) {
    const out = members.splice(0, 2);
    const added = [chain.newValidator(), chain.newValidator()];
    members.push(...added.map((v) => v.address));
    chain.changeValidators(decided, [...out.map((a) => ({ validator: a, power: 0 })), ...added.map((v) => ({ validator: v, power: 10 }))]);
  }
  return chain.extendTo(height);
}

function clientOpts(chain: ChainBuilder, extra: Partial<LightClientOptions> = {}): LightClientOptions {
  return { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, now: () => chain.header(chain.height).time + 1000, ...extra };
}

describe('LightClient.verifyTo', () => {
  it('behavior: jumps straight to the target when the set never changes (one fetch)', async () => {
    const chain = new ChainBuilder({ seed: 'static' }).extendTo(40);
    const source = chain.source();
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    const s = await lc.verifyTo(40);
    expect(s.header).toEqual(chain.header(40));
    expect(source.requested).toEqual([40]);
    expect(lc.trustedHeights()).toEqual([1, 40]);
  });

  it('behavior: bisects through a rotating validator set and keeps the pivots it verified', async () => {
    const chain = rotatingChain(40);
    const source = chain.source();
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    const s = await lc.verifyTo(40);
    expect(s.header).toEqual(chain.header(40));
    expect(source.requested[0]).toBe(40);
    expect(source.requested[1]).toBe(20); // the first pivot halves the gap from 1
    expect(source.requested.length).toBeGreaterThan(2);
    for (const h of lc.trustedHeights()) expect(lc.trustedAt(h)!.header).toEqual(chain.header(h));
    expect(lc.latest.header.height).toBe(40);
  });

  it('behavior: with the whole set replaced every block, bisection ends in adjacent steps', async () => {
    const chain = new ChainBuilder({ powers: [10, 10, 10], seed: 'replace-all' });
    for (let d = 1; d <= 14; d++) {
      chain.extendTo(d - 1);
      const gone = chain.validatorSet(d + 1).validators.map((v) => ({ validator: v.address, power: 0 }));
      chain.changeValidators(d, [...gone, ...[0, 1, 2].map(() => ({ validator: chain.newValidator(), power: 10 }))]);
    }
    chain.extendTo(16);
    const source = chain.source();
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    await lc.verifyTo(16);
    expect([...source.requested].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 2));
  });

  it('behavior: update() follows the source to its latest height', async () => {
    const chain = rotatingChain(25);
    const lc = new LightClient(chain.source(), chain.trustedState(1), clientOpts(chain));
    expect((await lc.update()).header.height).toBe(25);
    expect((await lc.update()).header.height).toBe(25);
  });

  it('behavior: a height below the trusted one is verified backwards along prevHash', async () => {
    const chain = rotatingChain(30);
    const source = chain.source();
    const lc = new LightClient(source, chain.trustedState(30), clientOpts(chain));
    const s = await lc.verifyTo(12);
    expect(s.header).toEqual(chain.header(12));
    expect(s.validators.hash()).toBe(chain.header(12).validatorsHash);
    expect(source.requested).toEqual([29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12]);
    // now 12 is trusted; 20 is reached forward from it
    expect((await lc.verifyTo(20)).header).toEqual(chain.header(20));
  });

  it('behavior: the store stays bounded and never drops the latest state', async () => {
    const chain = rotatingChain(40);
    const lc = new LightClient(chain.source(), chain.trustedState(1), clientOpts(chain, { maxTrustedStates: 3 }));
    for (const h of [10, 20, 30, 40]) await lc.verifyTo(h);
    expect(lc.trustedHeights().length).toBeLessThanOrEqual(3);
    expect(lc.latest.header.height).toBe(40);
    expect(lc.trustedAt(1)).toBeUndefined();
  });

  it('behavior: concurrent verifyTo calls agree', async () => {
    const chain = rotatingChain(40);
    const lc = new LightClient(chain.source(), chain.trustedState(1), clientOpts(chain));
    const [a, b, c] = await Promise.all([lc.verifyTo(40), lc.verifyTo(33), lc.verifyTo(40)]);
    expect(a.header).toEqual(chain.header(40));
    expect(b.header).toEqual(chain.header(33));
    expect(c).toBe(a);
  });
});

describe('LightClient: refusing a lying or failing source', () => {
  it('error: a source lying consistently about height 40 (fork by an unrelated set) is caught at its parent', async () => {
    const chain = new ChainBuilder({ seed: 'liar' }).extendTo(40);
    const source = chain.source();
    const impostors = [0, 1, 2, 3].map(() => chain.newValidator());
    const fakeSet = new ValidatorSet(impostors.map((k) => ({ address: k.address, publicKey: k.publicKey, power: 10 })));
    source.override.set(40, chain.forkHeader(40, { validatorsHash: fakeSet.hash() }, { signers: impostors }));
    source.validatorSet = async (h) => (h === 40 ? fakeSet : chain.validatorSet(h));
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    // 1 -> 40 lacks overlap, so it bisects down to 39, whose nextValidatorsHash exposes the lie
    await rejectsWith(lc.verifyTo(40), LC_ERR.NEXT_VALSET_MISMATCH);
    expect(source.requested).toEqual([40, 20, 30, 35, 37, 38, 39]);
    expect(lc.trustedAt(40)).toBeUndefined();
    expect(lc.latest.header.height).toBe(38);
  });

  it('error: a forged header whose set the source does not back is a valset mismatch', async () => {
    const chain = new ChainBuilder({ seed: 'liar-2' }).extendTo(40);
    const source = chain.source();
    const impostors = [0, 1, 2, 3].map(() => chain.newValidator());
    const fakeSet = new ValidatorSet(impostors.map((k) => ({ address: k.address, publicKey: k.publicKey, power: 10 })));
    source.override.set(40, chain.forkHeader(40, { validatorsHash: fakeSet.hash() }, { signers: impostors }));
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    await rejectsWith(lc.verifyTo(40), LC_ERR.VALSET_MISMATCH);
    expect(lc.trustedHeights()).toEqual([1]);
  });

  it('error: a header with a 2/3-only commit is refused with the commit cause', async () => {
    const chain = new ChainBuilder({ powers: [10, 10, 10], seed: 'weak' }).extendTo(10);
    const source = chain.source();
    source.override.set(10, chain.withSigners(10, chain.validatorsAt(10).slice(0, 2)));
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    const err = await rejectsWith(lc.verifyTo(10), LC_ERR.INVALID_COMMIT);
    expect(hasCode(err, 'PNT_ERR_COMMIT_INSUFFICIENT_POWER')).toBe(true);
  });

  it('error: a source answering with another height', async () => {
    const chain = new ChainBuilder({ seed: 'wrong-height' }).extendTo(10);
    const source = chain.source();
    source.override.set(10, chain.signedHeader(9));
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    await rejectsWith(lc.verifyTo(10), LC_ERR.SOURCE_MISMATCH);
  });

  it('error: backwards verification refuses a header that is not the parent', async () => {
    const chain = new ChainBuilder({ seed: 'backwards-fork' }).extendTo(20);
    const source = chain.source();
    source.override.set(15, chain.forkHeader(15, { stateRoot: toHex(keccak256(utf8('forged'))) }));
    const lc = new LightClient(source, chain.trustedState(20), clientOpts(chain));
    await rejectsWith(lc.verifyTo(10), LC_ERR.PREV_HASH_MISMATCH);
    expect(lc.trustedAt(10)).toBeUndefined();
  });

  it('error: an expired trusted state cannot reach forward', async () => {
    const chain = new ChainBuilder({ seed: 'expired' }).extendTo(10);
    const lc = new LightClient(chain.source(), chain.trustedState(1), clientOpts(chain, { now: () => chain.header(1).time + DAY }));
    await rejectsWith(lc.verifyTo(10), LC_ERR.TRUSTED_EXPIRED);
  });

  it('error: a failing source is a retryable SOURCE_UNAVAILABLE with the original cause', async () => {
    const chain = new ChainBuilder({ seed: 'down' }).extendTo(10);
    const source = chain.source();
    const boom = new Error('ECONNREFUSED');
    source.signedHeader = async () => {
      throw boom;
    };
    const lc = new LightClient(source, chain.trustedState(1), clientOpts(chain));
    const err = (await rejectsWith(lc.verifyTo(10), LC_ERR.SOURCE_UNAVAILABLE)) as { retryable: boolean; cause: unknown };
    expect(err.retryable).toBe(true);
    expect(err.cause).toBe(boom);
    // the client is still usable after a failure
    source.signedHeader = async (h) => chain.signedHeader(h);
    expect((await lc.verifyTo(10)).header.height).toBe(10);
  });

  it('error: bisection stops at maxFetches', async () => {
    const chain = rotatingChain(40);
    const lc = new LightClient(chain.source(), chain.trustedState(1), clientOpts(chain, { maxFetches: 2 }));
    await rejectsWith(lc.verifyTo(40), LC_ERR.BISECTION_LIMIT);
  });

  it('error: a bad height or a trusted state whose sets do not match is refused', async () => {
    const chain = new ChainBuilder({ seed: 'bad-args' }).extendTo(5);
    const lc = new LightClient(chain.source(), chain.trustedState(1), clientOpts(chain));
    await rejectsWith(lc.verifyTo(0), LC_ERR.INVALID_ARGUMENT);
    expect(() => new LightClient(chain.source(), { ...chain.trustedState(2), nextValidators: chain.validatorSet(1).applyUpdates([{ ...chain.validatorSet(1).validators[0], power: 99 }]) }, clientOpts(chain))).toThrow(
      expect.objectContaining({ code: LC_ERR.TRUSTED_STATE_INVALID }),
    );
  });
});
