/**
 * Fungible transfers across real chains through the hub: escrow on the source, a voucher that
 * records its path on the destination, burn and unlock on return, refunds on timeout, and the
 * hub's refusal of anything that would let minted exceed escrowed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { balanceOf, escrowAccount, supplyOf } from '../../hub-chain/modules/transfer/bank.ts';
import { outstandingOf } from '../../hub-chain/modules/transfer/policy.ts';
import { relayTimeouts } from '../../relayers/paths/pontis/path.ts';
import type { TestChain } from '../support/coordinator.ts';
import { type Net, makeNet, relayAll, sentPacket } from './setup.ts';

let net: Net;
afterEach(async () => net?.close());
const view = (c: TestChain) => ({ get: (k: Uint8Array) => c.chain.state.get(k) });

const alice = generateAccountKey();
const bob = generateAccountKey();
const genesis = {
  a: { accounts: [{ address: alice.address, balances: [{ denom: 'uatom', amount: '1000' }] }] },
  b: { accounts: [{ address: bob.address, balances: [{ denom: 'ubob', amount: '5' }] }] },
};

function invariant(a: TestChain, b: TestChain, hub: TestChain) {
  // vouchers of uatom on B never exceed what A holds in escrow for B, and the hub's books agree
  const minted = supplyOf(view(b), 't/a/uatom');
  const escrowed = balanceOf(view(a), escrowAccount('b'), 'uatom');
  expect(minted <= escrowed).toBe(true);
  expect(supplyOf(view(a), 'uatom')).toBe(1000n);
  expect(outstandingOf(view(hub), 'a', 'b', 'uatom') >= minted).toBe(true);
}

describe('token transfers A -> hub -> B', () => {
  it('behavior: a round trip A -> B -> A conserves supply at every step', async () => {
    net = await makeNet(['a', 'b'], { genesis });
    const { a, b } = net.spokes;
    const r = await a.exec([{ type: 'transfer/send', dstChain: 'b', receiver: bob.address, denom: 'uatom', amount: '300', timeoutTimestamp: 1_900_000_000_000 }], alice);
    expect(r.code).toBe('ok');
    expect(balanceOf(view(a), alice.address, 'uatom')).toBe(700n);
    expect(balanceOf(view(a), escrowAccount('b'), 'uatom')).toBe(300n);
    invariant(a, b, net.hub);
    await relayAll(net);
    expect(balanceOf(view(b), bob.address, 't/a/uatom')).toBe(300n);
    invariant(a, b, net.hub);
    const back = await b.exec([{ type: 'transfer/send', dstChain: 'a', receiver: alice.address, denom: 't/a/uatom', amount: '120', timeoutTimestamp: 1_900_000_000_000 }], bob);
    expect(back.code).toBe('ok');
    expect(supplyOf(view(b), 't/a/uatom')).toBe(180n); // burned on the way back
    invariant(a, b, net.hub);
    await relayAll(net);
    expect(balanceOf(view(a), alice.address, 'uatom')).toBe(820n);
    expect(balanceOf(view(a), escrowAccount('b'), 'uatom')).toBe(180n);
    invariant(a, b, net.hub);
  });

  it('behavior: a transfer that times out on B is refunded on A exactly once', async () => {
    net = await makeNet(['a', 'b'], { genesis });
    const { a, b } = net.spokes;
    const r = await a.exec([{ type: 'transfer/send', dstChain: 'b', receiver: bob.address, denom: 'uatom', amount: '50', timeoutTimestamp: net.clock.now() + 2500 }], alice);
    const p = sentPacket(r);
    await relayAll(net); // the hub forwards at +2000; B would receive at +3000: too late
    expect(balanceOf(view(b), bob.address, 't/a/uatom')).toBe(0n);
    expect((await relayTimeouts(net.hub, b, [p]))?.code).toBe('ok');
    await relayAll(net);
    expect(balanceOf(view(a), alice.address, 'uatom')).toBe(1000n);
    expect(balanceOf(view(a), escrowAccount('b'), 'uatom')).toBe(0n);
    expect(outstandingOf(view(net.hub), 'a', 'b', 'uatom')).toBe(0n);
    await relayAll(net);
    expect(balanceOf(view(a), alice.address, 'uatom')).toBe(1000n); // not twice
  });

  it('behavior: a token of C named like A\'s native token arrives on A as a distinct voucher (denominations record their path)', async () => {
    net = await makeNet(['a', 'b', 'c'], { genesis: { ...genesis, c: { accounts: [{ address: bob.address, balances: [{ denom: 'uatom', amount: '999' }] }] } } });
    const { a, b, c } = net.spokes;
    await a.exec([{ type: 'transfer/send', dstChain: 'b', receiver: bob.address, denom: 'uatom', amount: '10', timeoutTimestamp: 1_900_000_000_000 }], alice);
    await relayAll(net);
    // C has its own native "uatom"; sending it to A arrives as a voucher t/c/uatom, never as A's uatom
    await c.exec([{ type: 'transfer/send', dstChain: 'a', receiver: alice.address, denom: 'uatom', amount: '500', timeoutTimestamp: 1_900_000_000_000 }], bob);
    await relayAll(net);
    expect(balanceOf(view(a), alice.address, 'uatom')).toBe(990n);
    expect(balanceOf(view(a), alice.address, 't/c/uatom')).toBe(500n);
    invariant(a, b, net.hub);
  });
});
