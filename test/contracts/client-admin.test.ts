/**
 * PontisClient construction, ownership and expiry. Its own anvil: the expiry test moves the
 * node's clock forward, which the other client tests must not see.
 */
import type { Contract } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidityHeader, validatorArrays } from '../../contracts/evm/encode.ts';
import { ChainBuilder } from '../support/chain-builder.ts';
import { type Anvil, revertOf, startAnvil } from './anvil.ts';
import { CLOCK_DRIFT_MS, deployClient, LONG_TRUSTING_MS, recentGenesis, submit } from './client-fixture.ts';

let anvil: Anvil;
beforeAll(async () => {
  anvil = await startAnvil();
});
afterAll(async () => {
  await anvil?.stop();
});

const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(10), seed: 'evm-client-admin' }).extendTo(8);
const other = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: recentGenesis(10), seed: 'evm-client-admin-other' }).extendTo(1);

function deployRaw(hubChainId: string, trustingMs: bigint, height: number, set = validatorArrays(chain.validatorSet(height))): Promise<Contract> {
  return anvil.deploy('PontisClient', hubChainId, trustingMs, CLOCK_DRIFT_MS, solidityHeader(chain.header(height)), set.validators, set.powers);
}

describe('PontisClient construction and ownership', () => {
  it('error: construction refuses a zero trusting period, a chain id other than the header’s, and a validator set that does not hash to the header’s', async () => {
    expect(await revertOf(deployRaw('pontis-hub-1', 0n, 1))).toBe('BadParameter');
    expect(await revertOf(deployRaw('pontis-hub-2', LONG_TRUSTING_MS, 1))).toBe('WrongChainId');
    expect(await revertOf(deployRaw('pontis-hub-1', LONG_TRUSTING_MS, 1, validatorArrays(other.validatorSet(1))))).toBe('ValidatorSetMismatch');
    const ok = await deployRaw('pontis-hub-1', LONG_TRUSTING_MS, 1);
    expect(await ok.latestHeight()).toBe(1n);
    expect(await ok.status()).toBe(0n);
  });

  it('behavior: ownership moves only in two steps, to a non-zero address that accepts it', async () => {
    const client = await deployClient(anvil, chain, 1);
    const me = await anvil.signer.getAddress();
    const them = await anvil.other.getAddress();
    const asThem = client.connect(anvil.other) as Contract;
    expect(await revertOf(asThem.transferOwnership(them))).toBe('NotOwner');
    expect(await revertOf(client.transferOwnership('0x0000000000000000000000000000000000000000'))).toBe('ZeroAddress');
    await (await client.transferOwnership(them)).wait();
    expect(await client.owner()).toBe(me);
    expect(await revertOf(client.acceptOwnership())).toBe('NotOwner');
    await (await asThem.acceptOwnership()).wait();
    expect(await client.owner()).toBe(them);
    expect(await revertOf(client.transferOwnership(me))).toBe('NotOwner');
  });
});

describe('PontisClient expiry', () => {
  it('error: past the trusting period the client is expired: no updates, no proofs, until the owner recovers it', async () => {
    const hourMs = 3_600_000n;
    const client = await deployClient(anvil, chain, 1, hourMs);
    await submit(client, chain.signedHeader(2), chain.validatorSet(2));
    await anvil.increaseTime(2 * 3600);
    expect(await client.status()).toBe(2n);
    expect(await revertOf(submit(client, chain.signedHeader(3), chain.validatorSet(3)))).toBe('ClientExpired');
    expect(await revertOf(client.verifyNonMembership(2, new Uint8Array([1]), '0x000000'))).toBe('ClientExpired');
    // the chain's own headers are now too old to recover from; a fresh one is needed
    const { validators, powers } = validatorArrays(chain.validatorSet(8));
    expect(await revertOf(client.recoverClient(solidityHeader(chain.header(8)), validators, powers))).toBe('ClientExpired');
    const block = await anvil.provider.getBlock('latest');
    const fresh = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: block!.timestamp * 1000 - 5000, seed: 'evm-client-admin' }).extendTo(9);
    const f = validatorArrays(fresh.validatorSet(9));
    await (await client.recoverClient(solidityHeader(fresh.header(9)), f.validators, f.powers)).wait();
    expect(await client.status()).toBe(0n);
    expect(await client.latestHeight()).toBe(9n);
  });
});
