import { describe, expect, it } from 'vitest';
import { HubApp } from '../../../../hub-chain/app/app.ts';
import { genesisValidatorSet } from '../../../../hub-chain/app/genesis.ts';
import { decodeTx, encodeTx, signTx } from '../../../../hub-chain/app/tx.ts';
import { generateAccountKey } from '../../../../hub-chain/crypto/ed25519.ts';
import type { Packet } from '../../../../hub-chain/modules/packets/types.ts';
import { balanceOf } from '../../../../hub-chain/modules/transfer/bank.ts';
import { onwardOf, outstandingOf, rateLimitOf, transferPolicyModule } from '../../../../hub-chain/modules/transfer/policy.ts';
import { encodeTransferPayload } from '../../../../hub-chain/modules/transfer/transfer.ts';
import { Network, testGenesis } from './harness.ts';
import { MapStore } from '../../../support/kv.ts';

const alice = '0x' + 'a1'.repeat(20);
const bob = '0x' + 'b2'.repeat(20);
const carol = '0x' + 'c3'.repeat(20);
const A = 'chain-a';
const B = 'chain-b';
const C = 'chain-c';

function network() {
  return new Network({
    [A]: [{ address: alice, balances: [{ denom: 'uatom', amount: '1000' }, { denom: 'ufoo', amount: '1000' }] }],
    [B]: [{ address: bob, balances: [{ denom: 'ubtc', amount: '1000' }] }],
    [C]: [{ address: carol, balances: [{ denom: 'ucat', amount: '1000' }] }],
  });
}
const xfer = (dstChain: string, receiver: string, denom: string, amount: string) => ({ dstChain, receiver, denom, amount });
/** A packet as a compromised chain could commit it: nothing burned or escrowed behind it. */
let forgedSeq = 1000;
const forged = (srcChain: string, dstChain: string, denom: string, amount: string, over: Partial<Packet> = {}): Packet => ({
  srcChain,
  srcApp: 'transfer',
  dstChain,
  dstApp: 'transfer',
  sequence: forgedSeq++,
  ordered: false,
  payload: encodeTransferPayload({ denom, amount, sender: bob, receiver: alice }),
  timeoutHeight: 0,
  timeoutTimestamp: 0,
  ...over,
});
const forward = (net: Network, p: Packet) => net.hub.atomically((env) => net.policy.onForward(env, p));

describe('hub accounting', () => {
  it('behavior: escrows add to the route, returns take from the reverse route, and a failed forward is undone', () => {
    const net = network();
    const out = () => outstandingOf(net.hub.store, A, B, 'uatom');
    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!);
    expect(out()).toBe(100n);
    expect(net.hub.events.at(-1)).toMatchObject({ type: 'transfer/forward', attributes: { kind: 'escrow', amount: '100' } });

    const failedEscrow = net.send(A, alice, xfer(B, bob, 'uatom', '50')).value!;
    net.hubReceive(failedEscrow);
    expect(out()).toBe(150n);
    net.timeoutOnDestination(failedEscrow);
    expect(out()).toBe(100n);

    const ret = net.send(B, bob, xfer(A, alice, 't/chain-a/uatom', '30')).value!;
    net.hubReceive(ret);
    expect(out()).toBe(70n);
    net.timeoutOnDestination(ret);
    expect(out()).toBe(100n);
    expect(outstandingOf(net.hub.store, B, A, 't/chain-a/uatom')).toBe(0n);
  });

  it('error: a return larger than what went out over the route is refused with PNT_ERR_TRANSFER_EXCEEDS_ESCROW', () => {
    const net = network();
    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!);
    const before = new Map(net.hub.store.m);
    expect(forward(net, forged(B, A, 't/chain-a/uatom', '101'))).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_EXCEEDS_ESCROW' });
    // Per route: nothing went out from A to C, so C can return nothing, whatever A->B holds.
    expect(forward(net, forged(C, A, 't/chain-a/uatom', '1'))).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_EXCEEDS_ESCROW' });
    // Per asset: uatom going out does not back a return of another denom.
    expect(forward(net, forged(B, A, 't/chain-a/ufoo', '1'))).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_EXCEEDS_ESCROW' });
    expect(net.hub.store.m).toEqual(before);
    expect(forward(net, forged(B, A, 't/chain-a/uatom', '100'))).toMatchObject({ ok: true, value: 'forward' });
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(0n);
  });

  it('error: a return the route no longer covers is refused; the source sees the error ack and mints the voucher back', () => {
    const net = network();
    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!);
    // A compromised B drains the route with a forged return (within what went out, so the hub cannot tell)...
    expect(forward(net, forged(B, A, 't/chain-a/uatom', '100')).value).toBe('forward');
    // ...after which an honest holder's return finds nothing outstanding.
    const rec = net.relay(net.send(B, bob, xfer(A, alice, 't/chain-a/uatom', '100')).value!);
    expect(rec.ack).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_EXCEEDS_ESCROW' });
    expect(balanceOf(net.chain(B).store, bob, 't/chain-a/uatom')).toBe(100n);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(0n);
  });

  it('error: a middle chain cannot forward more of a voucher than its origin route carried', () => {
    const net = network();
    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!);
    net.relay(net.send(B, bob, xfer(C, carol, 't/chain-a/uatom', '60')).value!);
    expect(onwardOf(net.hub.store, B, 't/chain-a/uatom')).toBe(60n);
    expect(forward(net, forged(B, C, 't/chain-a/uatom', '41'))).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_EXCEEDS_ESCROW' });
    expect(forward(net, forged(B, 'chain-d', 't/chain-a/uatom', '41'))).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_EXCEEDS_ESCROW' });
    expect(forward(net, forged(B, C, 't/chain-x/uatom', '1'))).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_EXCEEDS_ESCROW' });
    expect(forward(net, forged(B, C, 't/chain-a/uatom', '40'))).toMatchObject({ ok: true, value: 'forward' });
    expect(onwardOf(net.hub.store, B, 't/chain-a/uatom')).toBe(100n);
  });

  it("behavior: vouchers of the hub's own tokens are not checked against routes the hub never forwarded", () => {
    const net = network();
    expect(forward(net, forged(B, C, 't/hub-1/uhub', '5'))).toMatchObject({ ok: true, value: 'forward' });
  });

  it.each([
    ['another source app', forged(A, B, 'uatom', '1', { srcApp: 'attest' }), 'PNT_ERR_TRANSFER_WRONG_APP'],
    ['another destination app', forged(A, B, 'uatom', '1', { dstApp: 'attest' }), 'PNT_ERR_TRANSFER_WRONG_APP'],
    ['a malformed payload', forged(A, B, 'uatom', '1', { payload: '0x7b7d' }), 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
    ['a zero amount', forged(A, B, 'uatom', '0'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
  ])('error: the hub refuses to forward a packet with %s', (_name, p, code) => {
    expect(forward(network(), p)).toMatchObject({ ok: false, code });
  });
});

describe('rate limits', () => {
  const limit = (net: Network, maxAmount: string, overflow: 'reject' | 'queue', denom = 'uatom') => expect(net.setRateLimit({ srcChain: A, dstChain: B, denom, maxAmount, windowMs: 10_000, overflow }).ok).toBe(true);

  it('behavior: over the limit a packet is refused with PNT_ERR_RATE_LIMITED until the next window', () => {
    const net = network();
    net.time = 2_000_000;
    limit(net, '100', 'reject');
    expect(forward(net, forged(A, B, 'uatom', '60')).value).toBe('forward');
    const before = new Map(net.hub.store.m);
    const r = forward(net, forged(A, B, 'uatom', '50'));
    expect(r).toMatchObject({ ok: false, code: 'PNT_ERR_RATE_LIMITED' });
    expect((r.error as { retryable: boolean }).retryable).toBe(true);
    expect(net.hub.store.m).toEqual(before);
    expect(forward(net, forged(A, B, 'uatom', '40')).value).toBe('forward');
    expect(rateLimitOf(net.hub.store, A, B, 'uatom')).toMatchObject({ used: '100', windowStart: 2_000_000 });
    net.time += 9_999;
    expect(forward(net, forged(A, B, 'uatom', '1')).code).toBe('PNT_ERR_RATE_LIMITED');
    net.time += 1;
    expect(forward(net, forged(A, B, 'uatom', '100')).value).toBe('forward');
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(200n);
  });

  it('behavior: with queueing, a packet over the limit is held without any write and forwarded in a later window', () => {
    const net = network();
    net.time = 3_000_000;
    limit(net, '100', 'queue');
    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '80')).value!);
    const rec = net.send(A, alice, xfer(B, bob, 'uatom', '30')).value!;
    const before = new Map(net.hub.store.m);
    expect(net.hubReceive(rec).value).toBe('queue');
    expect(rec.state).toBe('queued');
    expect(net.hub.store.m).toEqual(before);
    expect(net.hubReceive(rec).value).toBe('queue');
    net.time += 10_000;
    expect(net.hubReceive(rec).value).toBe('forward');
    net.relay(rec);
    expect(balanceOf(net.chain(B).store, bob, 't/chain-a/uatom')).toBe(110n);
  });

  it('error: a packet larger than a whole window is refused even when queueing is configured', () => {
    const net = network();
    limit(net, '100', 'queue');
    expect(forward(net, forged(A, B, 'uatom', '101')).code).toBe('PNT_ERR_RATE_LIMITED');
    limit(net, '0', 'reject');
    expect(forward(net, forged(A, B, 'uatom', '1')).code).toBe('PNT_ERR_RATE_LIMITED');
  });

  it('behavior: a limit applies to its route and denom only', () => {
    const net = network();
    limit(net, '10', 'reject');
    expect(forward(net, forged(A, B, 'uatom', '11')).code).toBe('PNT_ERR_RATE_LIMITED');
    expect(forward(net, forged(A, C, 'uatom', '11')).value).toBe('forward');
    expect(forward(net, forged(A, B, 'ufoo', '11')).value).toBe('forward');
    net.relay(net.send(A, alice, xfer(C, carol, 'uatom', '20')).value!);
    expect(forward(net, forged(C, A, 't/chain-a/uatom', '20')).value).toBe('forward');
  });

  it.each([
    ['the same chain twice', { srcChain: A, dstChain: A }, 'PNT_ERR_TRANSFER_INVALID_RATE_LIMIT'],
    ['an invalid chain id', { srcChain: 'Chain A' }, 'PNT_ERR_TRANSFER_INVALID_RATE_LIMIT'],
    ['an invalid denom', { denom: 'U' }, 'PNT_ERR_TRANSFER_INVALID_RATE_LIMIT'],
    ['a negative maxAmount', { maxAmount: '-1' }, 'PNT_ERR_TRANSFER_INVALID_RATE_LIMIT'],
    ['a non-canonical maxAmount', { maxAmount: '010' }, 'PNT_ERR_TRANSFER_INVALID_RATE_LIMIT'],
    ['a window of 0 ms', { windowMs: 0 }, 'PNT_ERR_TX_MALFORMED'],
    ['a window over a year', { windowMs: 400 * 24 * 3600 * 1000 }, 'PNT_ERR_TRANSFER_INVALID_RATE_LIMIT'],
    ['an unknown overflow mode', { overflow: 'drop' }, 'PNT_ERR_TX_MALFORMED'],
  ])('error: a rate limit with %s is refused with its code', (_name, over, code) => {
    const net = network();
    const r = net.setRateLimit({ srcChain: A, dstChain: B, denom: 'uatom', maxAmount: '10', windowMs: 1000, overflow: 'reject', ...(over as object) });
    expect(r).toMatchObject({ ok: false, code });
    expect(net.hub.store.entries('transfer/rate-limit/')).toEqual([]);
  });

  it('behavior: transfer/set-rate-limit passes governance in the application and takes effect', () => {
    const member = generateAccountKey();
    const genesis = { ...testGenesis('hub-1'), governance: { members: [{ address: member.address, weight: 1 }] } };
    const app = new HubApp(genesis, [transferPolicyModule()]);
    const s = new MapStore();
    const action = { kind: 'transfer/set-rate-limit', srcChain: A, dstChain: B, denom: 'uatom', maxAmount: '500', windowMs: 60_000, overflow: 'queue' };
    const tx = decodeTx(encodeTx(signTx({ chainId: 'hub-1', nonce: 0, msgs: [{ type: 'gov/propose', action }] }, member)));
    const r = app.executeBlock(s, { height: 1, time: 1000, proposer: '0x' + '00'.repeat(20), validators: genesisValidatorSet(genesis) }, [tx], []);
    expect(r.results[0].code).toBe('ok');
    expect(r.results[0].events.map((e) => e.type)).toEqual(expect.arrayContaining(['transfer/rate-limit-set', 'gov/executed']));
    expect(rateLimitOf(s, A, B, 'uatom')).toEqual({ maxAmount: '500', windowMs: 60_000, overflow: 'queue', windowStart: 0, used: '0' });
  });
});
