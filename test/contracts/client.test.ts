/**
 * PontisClient on a real anvil node: commit verification, validator-set changes, freezing on
 * conflicting headers, and agreement with the TypeScript header / vote / validator-set encodings.
 */
import type { Contract } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateClientArgs, validatorArrays, solidityHeader } from '../../contracts/evm/encode.ts';
import { toHex, ZERO_HASH } from '../../hub-chain/crypto/bytes.ts';
import { type Header, headerHash } from '../../hub-chain/types/header.ts';
import { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import { VoteType, voteDigest } from '../../hub-chain/types/vote.ts';
import { ChainBuilder, type TestValidator } from '../support/chain-builder.ts';
import { Prng } from '../sim/prng.ts';
import { type Anvil, revertOf, startAnvil } from './anvil.ts';
import { deployClient, recentGenesis, submit } from './client-fixture.ts';

let anvil: Anvil;
beforeAll(async () => {
  anvil = await startAnvil();
});
afterAll(async () => {
  await anvil?.stop();
});

const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Six validators, total power 30: 2/3 is exactly 20. */
function weightedChain(): ChainBuilder {
  return new ChainBuilder({ chainId: 'pontis-hub-1', powers: [10, 6, 5, 4, 4, 1], genesisTime: recentGenesis(20), seed: 'evm-client-weighted' }).extendTo(12);
}

function byPower(chain: ChainBuilder, height: number, powers: number[]): TestValidator[] {
  const left = chain.validatorSet(height).validators.map((v) => ({ v, k: chain.key(v.address) }));
  return powers.map((p) => {
    const i = left.findIndex((e) => e.v.power === p);
    if (i < 0) throw new Error(`no validator of power ${p} left`);
    return left.splice(i, 1)[0].k;
  });
}

describe('PontisClient commit verification', () => {
  const chain = weightedChain();

  it('behavior: a header signed by just over 2/3 of the power (21 of 30) is accepted and its state root stored', async () => {
    const client = await deployClient(anvil, chain, 1);
    const sh = chain.withSigners(2, byPower(chain, 2, [10, 6, 4, 1]));
    await submit(client, sh, chain.validatorSet(2));
    expect(await client.latestHeight()).toBe(2n);
    expect(await client.stateRootAt(2)).toBe(chain.header(2).stateRoot);
    expect(await client.timestampAt(2)).toBe(BigInt(chain.header(2).time));
    expect(await client.headerHashAt(2)).toBe(headerHash(chain.header(2)));
    expect(await client.nextValidatorsHash()).toBe(chain.header(2).nextValidatorsHash);
  });

  it('error: a header signed by exactly 2/3 of the power (20 of 30) is rejected', async () => {
    const client = await deployClient(anvil, chain, 1);
    const sh = chain.withSigners(2, byPower(chain, 2, [10, 6, 4]));
    expect(await revertOf(submit(client, sh, chain.validatorSet(2)))).toBe('InsufficientPower');
    expect(await client.latestHeight()).toBe(1n);
  });

  it('error: a signer counted twice, or signers out of address order, are rejected', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    // 10 + 6 + 4 = 20 is not enough; repeating the 10 would reach 30 if duplicates counted
    const args = updateClientArgs(chain.withSigners(2, byPower(chain, 2, [10, 6, 4])), set);
    const dupArgs = [args[0], args[1], [...args[2], args[2][args[2].length - 1]], args[3], args[4]] as const;
    expect(await revertOf(client.updateClient(...dupArgs))).toBe('SignersNotAscending');
    const full = updateClientArgs(chain.signedHeader(2), set);
    const reversed = [full[0], full[1], [...full[2]].reverse(), full[3], full[4]] as const;
    expect(await revertOf(client.updateClient(...reversed))).toBe('SignersNotAscending');
    expect(await client.latestHeight()).toBe(1n);
  });

  it('error: signatures over another header, or over another chain id, do not count', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    const other = chain.forkHeader(2, { stateRoot: toHex(new Uint8Array(32).fill(7)) });
    const swapped = { header: chain.header(2), commit: other.commit };
    expect(['SignerNotValidator', 'SignersNotAscending']).toContain(await revertOf(submit(client, swapped, set)));
    const otherChain = chain.withSigners(2, chain.validatorsAt(2), { chainId: 'pontis-other-1' });
    expect(['SignerNotValidator', 'SignersNotAscending']).toContain(await revertOf(submit(client, otherChain, set)));
    // a whole header of another chain (signed for it) is refused before any signature is checked
    const foreign = chain.forkHeader(2, { chainId: 'pontis-other-1' });
    expect(await revertOf(submit(client, foreign, set))).toBe('WrongChainId');
    expect(await client.latestHeight()).toBe(1n);
  });

  it('error: a high-s twin of a valid signature, or a v other than 27/28, is rejected', async () => {
    const client = await deployClient(anvil, chain, 1);
    const args = updateClientArgs(chain.signedHeader(2), chain.validatorSet(2));
    const sigs = args[2].map((s) => ({ ...s }));
    const s0 = sigs[0];
    // (r, n - s, flipped v) recovers the same signer: only the low-s rule refuses it
    const highS = { ...s0, s: '0x' + (SECP_N - BigInt(s0.s)).toString(16).padStart(64, '0'), v: s0.v === 27 ? 28 : 27 };
    expect(await revertOf(client.updateClient(args[0], args[1], [highS, ...sigs.slice(1)], args[3], args[4]))).toBe('BadSignature');
    expect(await revertOf(client.updateClient(args[0], args[1], [{ ...s0, v: s0.v - 27 }, ...sigs.slice(1)], args[3], args[4]))).toBe('BadSignature');
    // the untouched commit passes, so the rejections above came from the tampered signature
    await submit(client, chain.signedHeader(2), chain.validatorSet(2));
    expect(await client.latestHeight()).toBe(2n);
  });

  it('error: a stale height is rejected; resubmitting a stored header is a no-op', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    await submit(client, chain.signedHeader(2), set);
    await submit(client, chain.signedHeader(4), set);
    expect(await revertOf(submit(client, chain.signedHeader(3), set))).toBe('StaleHeight');
    const again = await submit(client, chain.signedHeader(4), set);
    expect(again.frozenEvent).toBe(false);
    expect(await client.latestHeight()).toBe(4n);
    expect(await client.frozen()).toBe(false);
  });

  it('error: a header naming a validator set other than the trusted next set, or a set that does not hash to it, is rejected', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    const untrusted = chain.forkHeader(2, { validatorsHash: toHex(new Uint8Array(32).fill(9)) });
    expect(await revertOf(submit(client, untrusted, set))).toBe('UntrustedValidators');
    const args = updateClientArgs(chain.signedHeader(2), set);
    // the last validator dropped: a well-formed set, but not the one the header names
    expect(await revertOf(client.updateClient(args[0], args[1], args[2].filter((s) => s.validatorIndex < 5), args[3].slice(0, 5), args[4].slice(0, 5)))).toBe('ValidatorSetMismatch');
    // non-canonical order is refused even before comparing hashes
    const swapped = [args[3][1], args[3][0], ...args[3].slice(2)];
    const swappedPowers = [args[4][1], args[4][0], ...args[4].slice(2)];
    expect(await revertOf(client.updateClient(args[0], args[1], args[2], swapped, swappedPowers))).toBe('ValidatorSetInvalid');
  });

  it('error: an adjacent header that does not extend the trusted one (prevHash) is rejected', async () => {
    const client = await deployClient(anvil, chain, 1);
    const fork = chain.forkHeader(2, { prevHash: toHex(new Uint8Array(32).fill(3)) });
    expect(await revertOf(submit(client, fork, chain.validatorSet(2)))).toBe('PrevHashMismatch');
  });
});

describe('PontisClient header times', () => {
  const base = recentGenesis(10);
  const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: base, seed: 'evm-client-times' })
    .setTime(3, base + 1000) // equal to height 2's time
    .setTime(5, Date.now() + 3_600_000) // an hour ahead of any clock here
    .extendTo(6);

  it('error: a header whose time does not increase is rejected; one from the future too', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    await submit(client, chain.signedHeader(2), set);
    expect(await revertOf(submit(client, chain.signedHeader(3), set))).toBe('TimeNotIncreasing');
    await submit(client, chain.signedHeader(4), set);
    expect(await revertOf(submit(client, chain.signedHeader(5), set))).toBe('HeaderFromFuture');
    expect(await client.latestHeight()).toBe(4n);
  });
});

describe('PontisClient validator-set changes', () => {
  const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(12), seed: 'evm-client-valset' });
  const joiner = chain.newValidator();
  const first = chain.validatorsAt(1);
  // decided at 3: height 4 names the new set as next, height 5 is signed by it
  chain.changeValidators(3, [
    { validator: joiner, power: 20 },
    { validator: first[0], power: 0 },
  ]);
  chain.setSigners(5, [joiner, first[1], first[2]]); // 40 of 50 in the new set, half of it the joiner's
  chain.extendTo(10);

  it('behavior: the client follows a set change through nextValidatorsHash and skips heights while the set is unchanged', async () => {
    expect(chain.header(5).validatorsHash).not.toBe(chain.header(4).validatorsHash);
    const client = await deployClient(anvil, chain, 1);
    await submit(client, chain.signedHeader(4), chain.validatorSet(4)); // skip 1 -> 4: same set
    expect(await client.nextValidatorsHash()).toBe(chain.validatorSet(5).hash());
    await submit(client, chain.signedHeader(5), chain.validatorSet(5));
    await submit(client, chain.signedHeader(9), chain.validatorSet(9)); // skip 5 -> 9 under the new set
    expect(await client.latestHeight()).toBe(9n);
    expect(await client.validatorsHashAt(9)).toBe(chain.validatorSet(9).hash());
  });

  it('error: skipping across the change is refused, and the old set cannot sign for the new one', async () => {
    const client = await deployClient(anvil, chain, 1);
    expect(await revertOf(submit(client, chain.signedHeader(6), chain.validatorSet(6)))).toBe('UntrustedValidators');
    await submit(client, chain.signedHeader(4), chain.validatorSet(4));
    const { validators, powers } = validatorArrays(chain.validatorSet(4));
    const oldSigned = chain.signHeader(chain.header(5), { signers: chain.validatorsAt(4) });
    const args = updateClientArgs({ header: chain.header(5), commit: oldSigned }, chain.validatorSet(4));
    expect(await revertOf(client.updateClient(args[0], args[1], args[2], validators, powers))).toBe('ValidatorSetMismatch');
    expect(await client.latestHeight()).toBe(4n);
  });
});

describe('PontisClient misbehaviour', () => {
  const chain = weightedChain();

  it('behavior: a second validly signed header at a stored height freezes the client; everything afterwards reverts', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    await submit(client, chain.signedHeader(2), set);
    await submit(client, chain.signedHeader(3), set);
    const fork = chain.forkHeader(2, { stateRoot: toHex(new Uint8Array(32).fill(0xee)) });
    const r = await submit(client, fork, set);
    expect(r.frozenEvent).toBe(true);
    expect(await client.frozen()).toBe(true);
    expect(await client.status()).toBe(1n);
    expect(await revertOf(submit(client, chain.signedHeader(4), set))).toBe('ClientFrozenError');
    expect(await revertOf(client.verifyNonMembership(3, new Uint8Array([1]), '0x000000'))).toBe('ClientFrozenError');
  });

  it('error: a conflicting header without a quorum of the trusted set does not freeze', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    await submit(client, chain.signedHeader(2), set);
    const fork = chain.forkHeader(2, { stateRoot: toHex(new Uint8Array(32).fill(0xee)) }, { signers: byPower(chain, 2, [10, 6, 4]) });
    expect(await revertOf(submit(client, fork, set))).toBe('InsufficientPower');
    expect(await client.frozen()).toBe(false);
  });

  it('behavior: only the owner recovers a frozen client, from a newer trusted header; older heights stay refused', async () => {
    const client = await deployClient(anvil, chain, 1);
    const set = chain.validatorSet(2);
    await submit(client, chain.signedHeader(2), set);
    await submit(client, chain.signedHeader(3), set);
    expect(await revertOf(client.recoverClient(solidityHeader(chain.header(6)), ...Object.values(validatorArrays(chain.validatorSet(6)))))).toBe('ClientNotRecoverable');
    await submit(client, chain.forkHeader(3, { txRoot: toHex(new Uint8Array(32).fill(1)) }), set);
    expect(await client.frozen()).toBe(true);
    const { validators, powers } = validatorArrays(chain.validatorSet(6));
    const asOther = client.connect(anvil.other) as Contract;
    expect(await revertOf(asOther.recoverClient(solidityHeader(chain.header(6)), validators, powers))).toBe('NotOwner');
    expect(await revertOf(client.recoverClient(solidityHeader(chain.header(3)), validators, powers))).toBe('StaleHeight');
    await (await client.recoverClient(solidityHeader(chain.header(6)), validators, powers)).wait();
    expect(await client.frozen()).toBe(false);
    expect(await client.trustedFloor()).toBe(6n);
    await submit(client, chain.signedHeader(7), chain.validatorSet(7));
    expect(await client.latestHeight()).toBe(7n);
    expect(await revertOf(client.verifyNonMembership(3, new Uint8Array([1]), '0x000000'))).toBe('HeightBelowFloor');
  });
});

describe('PontisClient agrees with the TypeScript encodings', () => {
  const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(4), seed: 'evm-client-agree' }).extendTo(2);
  let client: Contract;
  beforeAll(async () => {
    client = await deployClient(anvil, chain, 1);
  });

  const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789._-';
  function randomChainId(rng: Prng): string {
    const n = rng.int(1, 65);
    let s = CHARS[rng.int(0, 36)];
    for (let i = 1; i < n; i++) s += CHARS[rng.int(0, CHARS.length)];
    return s;
  }
  const hash = (rng: Prng) => toHex(rng.bytes(32));
  const u53 = (rng: Prng) => rng.int(0, 2 ** 21) * 2 ** 32 + rng.int(0, 2 ** 32);

  it('behavior: header hashes match headerHash for random headers', async () => {
    const rng = new Prng(4242);
    const headers: Header[] = Array.from({ length: 60 }, () => ({
      chainId: randomChainId(rng),
      height: u53(rng),
      time: u53(rng),
      prevHash: rng.chance(0.2) ? ZERO_HASH : hash(rng),
      txRoot: hash(rng),
      stateRoot: hash(rng),
      validatorsHash: hash(rng),
      nextValidatorsHash: hash(rng),
      evidenceHash: hash(rng),
      resultsHash: hash(rng),
      proposer: toHex(rng.bytes(20)),
    }));
    const got = await Promise.all(headers.map((h) => client.hashHeader(solidityHeader(h))));
    expect(got).toEqual(headers.map((h) => headerHash(h)));
  });

  it('behavior: precommit digests match voteDigest for random heights, rounds and block hashes', async () => {
    const rng = new Prng(777);
    const cases = Array.from({ length: 60 }, () => ({ height: u53(rng), round: rng.chance(0.5) ? rng.int(0, 4) : rng.int(0, 2 ** 32), blockHash: hash(rng) }));
    cases.push({ height: Number.MAX_SAFE_INTEGER, round: 2 ** 32 - 1, blockHash: ZERO_HASH });
    const got = await Promise.all(cases.map((c) => client.precommitDigest(c.height, c.round, c.blockHash)));
    expect(got).toEqual(cases.map((c) => toHex(voteDigest(chain.chainId, VoteType.Precommit, c.height, c.round, c.blockHash))));
  });

  it('behavior: validator-set hashes and total powers match ValidatorSet for random sets', async () => {
    const rng = new Prng(99);
    const sets = Array.from({ length: 12 }, () => {
      const n = rng.int(1, 30);
      return new ValidatorSet(Array.from({ length: n }, () => ({ ...chain.newValidator(), power: rng.chance(0.3) ? 7 : rng.int(1, 2 ** 40) })));
    });
    const got = await Promise.all(sets.map((s) => client.hashValidatorSet(...Object.values(validatorArrays(s)))));
    expect(got.map((r) => [r[0], r[1]])).toEqual(sets.map((s) => [s.hash(), BigInt(s.totalPower)]));
  });
});
