import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { type Packet, TIMEOUT_ERROR } from '../../../../hub-chain/modules/packets/types.ts';
import { balanceOf, escrowAccount, supplyOf } from '../../../../hub-chain/modules/transfer/bank.ts';
import type { TransferSendMsg } from '../../../../hub-chain/modules/transfer/msgs.ts';
import { outstandingOf } from '../../../../hub-chain/modules/transfer/policy.ts';
import { DEFAULT_TIMEOUT_MS, decodeTransferPayload, denomTrace, encodeTransferPayload } from '../../../../hub-chain/modules/transfer/transfer.ts';
import { Network } from './harness.ts';

const alice = '0x' + 'a1'.repeat(20);
const bob = '0x' + 'b2'.repeat(20);
const carol = '0x' + 'c3'.repeat(20);
const A = 'chain-a';
const B = 'chain-b';
const C = 'chain-c';
const longNative = 'u' + 'x'.repeat(120);

function network() {
  return new Network({
    [A]: [{ address: alice, balances: [{ denom: 'uatom', amount: '1000' }, { denom: longNative, amount: '5' }] }],
    [B]: [{ address: bob, balances: [{ denom: 'ubtc', amount: '1000' }] }],
    [C]: [{ address: carol, balances: [{ denom: 'ucat', amount: '1000' }] }],
  });
}
const xfer = (dstChain: string, receiver: string, denom: string, amount: string, extra: Partial<TransferSendMsg> = {}) => ({ dstChain, receiver, denom, amount, ...extra });
const bal = (net: Network, chain: string, holder: string, denom: string) => balanceOf(net.chain(chain).store, holder, denom);
const supply = (net: Network, chain: string, denom: string) => supplyOf(net.chain(chain).store, denom);

describe('transfer: escrow, mint, burn, release', () => {
  it('behavior: a native token is escrowed on its chain, minted as a voucher, burned on return and released', () => {
    const net = network();
    const rec = net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!;
    expect(rec.packet).toMatchObject({ srcChain: A, srcApp: 'transfer', dstChain: B, dstApp: 'transfer', sequence: 1, ordered: false, timeoutHeight: 0, timeoutTimestamp: net.time + DEFAULT_TIMEOUT_MS });
    expect(Buffer.from(rec.packet.payload.slice(2), 'hex').toString('utf8')).toBe(`{"amount":"100","denom":"uatom","receiver":"${bob}","sender":"${alice}"}`);
    expect(bal(net, A, alice, 'uatom')).toBe(900n);
    expect(bal(net, A, escrowAccount(B), 'uatom')).toBe(100n);
    expect(supply(net, A, 'uatom')).toBe(1000n);

    net.relay(rec);
    expect(rec.ack?.ok).toBe(true);
    expect(rec.ack).toEqual({ ok: true, result: toHex(utf8('{"denom":"t/chain-a/uatom"}')) });
    expect(bal(net, B, bob, 't/chain-a/uatom')).toBe(100n);
    expect(supply(net, B, 't/chain-a/uatom')).toBe(100n);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(100n);

    const back = net.send(B, bob, xfer(A, alice, 't/chain-a/uatom', '40')).value!;
    expect(supply(net, B, 't/chain-a/uatom')).toBe(60n);
    net.relay(back);
    expect(back.ack?.ok).toBe(true);
    expect(bal(net, A, alice, 'uatom')).toBe(940n);
    expect(bal(net, A, escrowAccount(B), 'uatom')).toBe(60n);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(60n);
    expect(supply(net, A, 'uatom')).toBe(1000n);
  });

  it('behavior: a voucher sent on (A -> B -> C) carries its full trace and unwinds hop by hop', () => {
    const net = network();
    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!);
    const onward = net.relay(net.send(B, bob, xfer(C, carol, 't/chain-a/uatom', '30')).value!);
    expect(decodeTransferPayload(onward.packet.payload).denom).toBe('t/chain-a/uatom');
    expect(bal(net, B, escrowAccount(C), 't/chain-a/uatom')).toBe(30n);
    expect(bal(net, C, carol, 't/chain-b/t/chain-a/uatom')).toBe(30n);
    expect(denomTrace('t/chain-b/t/chain-a/uatom')).toEqual({ hops: [B, A], base: 'uatom' });
    expect(outstandingOf(net.hub.store, B, C, 't/chain-a/uatom')).toBe(30n);

    // Sending C's voucher straight to A is not a return: A mints a voucher of a voucher.
    const sideways = net.relay(net.send(C, carol, xfer(A, alice, 't/chain-b/t/chain-a/uatom', '5')).value!);
    expect(sideways.ack?.ok).toBe(true);
    expect(bal(net, A, alice, 't/chain-c/t/chain-b/t/chain-a/uatom')).toBe(5n);
    net.relay(net.send(A, alice, xfer(C, carol, 't/chain-c/t/chain-b/t/chain-a/uatom', '5')).value!);

    net.relay(net.send(C, carol, xfer(B, bob, 't/chain-b/t/chain-a/uatom', '30')).value!);
    expect(supply(net, C, 't/chain-b/t/chain-a/uatom')).toBe(0n);
    expect(bal(net, B, bob, 't/chain-a/uatom')).toBe(100n);
    net.relay(net.send(B, bob, xfer(A, alice, 't/chain-a/uatom', '100')).value!);
    expect(bal(net, A, alice, 'uatom')).toBe(1000n);
    expect(supply(net, B, 't/chain-a/uatom')).toBe(0n);
    expect(supply(net, A, 't/chain-c/t/chain-b/t/chain-a/uatom')).toBe(0n);
    expect(net.hub.store.entries('transfer/outstanding/')).toEqual([]);
    expect(net.hub.store.entries('transfer/onward/')).toEqual([]);
  });
});

describe('transfer: refunds', () => {
  it('behavior: an error ack releases escrowed funds to the sender and the destination keeps nothing', () => {
    const net = network();
    const rec = net.send(A, alice, xfer(B, 'not-a-pontis-address', 'uatom', '100')).value!;
    net.hubReceive(rec);
    expect(net.deliver(rec)).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_INVALID_RECEIVER' });
    expect(supply(net, B, 't/chain-a/uatom')).toBe(0n);
    expect(net.chain(B).store.entries('bank/').filter(([k]) => k.includes('t/chain-a'))).toEqual([]);
    net.hubAck(rec);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(0n);
    net.ackSource(rec);
    expect(bal(net, A, alice, 'uatom')).toBe(1000n);
    expect(bal(net, A, escrowAccount(B), 'uatom')).toBe(0n);
    expect(net.chain(A).events.at(-1)).toMatchObject({ type: 'transfer/refund', attributes: { reason: 'PNT_ERR_TRANSFER_INVALID_RECEIVER' } });
  });

  it('behavior: an error ack mints a burned voucher back to its sender', () => {
    const net = network();
    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!);
    const rec = net.send(B, bob, xfer(A, '0xabc', 't/chain-a/uatom', '60')).value!;
    expect(supply(net, B, 't/chain-a/uatom')).toBe(40n);
    net.relay(rec);
    expect(rec.ack).toEqual({ ok: false, error: 'PNT_ERR_TRANSFER_INVALID_RECEIVER' });
    expect(bal(net, B, bob, 't/chain-a/uatom')).toBe(100n);
    expect(supply(net, B, 't/chain-a/uatom')).toBe(100n);
    expect(bal(net, A, escrowAccount(B), 'uatom')).toBe(100n);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(100n);
  });

  it('behavior: a timeout refunds on the hub leg and on the destination leg, for escrowed and burned funds', () => {
    const net = network();
    const hubLeg = net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!;
    net.timeoutOnHub(hubLeg);
    expect(bal(net, A, alice, 'uatom')).toBe(1000n);

    const dstLeg = net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!;
    net.hubReceive(dstLeg);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(100n);
    net.timeoutOnDestination(dstLeg);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(0n);
    net.ackSource(dstLeg);
    expect(bal(net, A, alice, 'uatom')).toBe(1000n);
    expect(bal(net, A, escrowAccount(B), 'uatom')).toBe(0n);

    net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '100')).value!);
    const burned = net.send(B, bob, xfer(A, alice, 't/chain-a/uatom', '100')).value!;
    net.hubReceive(burned);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(0n);
    net.timeoutOnDestination(burned);
    net.ackSource(burned);
    expect(burned.ack).toEqual({ ok: false, error: TIMEOUT_ERROR });
    expect(bal(net, B, bob, 't/chain-a/uatom')).toBe(100n);
    expect(outstandingOf(net.hub.store, A, B, 'uatom')).toBe(100n);
  });

  it('behavior: a transfer the hub refuses comes back as an error ack with the hub code and is refunded', () => {
    const net = network();
    net.setRateLimit({ srcChain: A, dstChain: B, denom: 'uatom', maxAmount: '10', windowMs: 60_000, overflow: 'reject' });
    const rec = net.relay(net.send(A, alice, xfer(B, bob, 'uatom', '50')).value!);
    expect(rec.ack).toEqual({ ok: false, error: 'PNT_ERR_RATE_LIMITED' });
    expect(rec.hubCounted).toBe(false);
    expect(bal(net, A, alice, 'uatom')).toBe(1000n);
  });
});

describe('transfer: refusals', () => {
  it.each([
    ['zero amount', xfer(B, bob, 'uatom', '0'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['negative amount', xfer(B, bob, 'uatom', '-5'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['non-canonical amount', xfer(B, bob, 'uatom', '010'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['more than the balance', xfer(B, bob, 'uatom', '1001'), 'PNT_ERR_BANK_INSUFFICIENT'],
    ['the zero address as receiver', xfer(B, '0x' + '00'.repeat(20), 'uatom', '1'), 'PNT_ERR_TRANSFER_INVALID_RECEIVER'],
    ['an empty receiver', xfer(B, '', 'uatom', '1'), 'PNT_ERR_TRANSFER_INVALID_RECEIVER'],
    ['a receiver with spaces', xfer(B, 'bob smith', 'uatom', '1'), 'PNT_ERR_TRANSFER_INVALID_RECEIVER'],
    ['an unknown denom', xfer(B, bob, 'ufoo', '1'), 'PNT_ERR_BANK_UNKNOWN_DENOM'],
    ['a voucher this chain never minted', xfer(B, bob, 't/chain-b/ubtc', '1'), 'PNT_ERR_BANK_UNKNOWN_DENOM'],
    ['an invalid denom', xfer(B, bob, 'UATOM', '1'), 'PNT_ERR_BANK_INVALID_DENOM'],
    ['this chain as destination', xfer(A, bob, 'uatom', '1'), 'PNT_ERR_TRANSFER_INVALID_CHAIN'],
    ['an invalid chain id', xfer('Chain B', bob, 'uatom', '1'), 'PNT_ERR_TRANSFER_INVALID_CHAIN'],
    ['a timeout in the past', xfer(B, bob, 'uatom', '1', { timeoutTimestamp: 5 }), 'PNT_ERR_TRANSFER_INVALID_TIMEOUT'],
    ['no timeout at all', xfer(B, bob, 'uatom', '1', { timeoutTimestamp: 0, timeoutHeight: 0 }), 'PNT_ERR_TRANSFER_INVALID_TIMEOUT'],
    ['a voucher trace that would exceed 128 characters', xfer(B, bob, longNative, '1'), 'PNT_ERR_TRANSFER_TRACE_TOO_LONG'],
    ['an unknown field', { ...xfer(B, bob, 'uatom', '1'), fee: '1' }, 'PNT_ERR_TX_MALFORMED'],
  ])('error: a send with %s is refused with its code, sends nothing and changes nothing', (_name, msg, code) => {
    const net = network();
    const before = new Map(net.chain(A).store.m);
    expect(net.send(A, alice, msg)).toMatchObject({ ok: false, code });
    expect(net.packets).toEqual([]);
    expect(net.chain(A).store.m).toEqual(before);
  });

  it('behavior: a height-only timeout is accepted and carried in the packet', () => {
    const net = network();
    const rec = net.send(A, alice, xfer(B, bob, 'uatom', '1', { timeoutHeight: 500 })).value!;
    expect(rec.packet).toMatchObject({ timeoutHeight: 500, timeoutTimestamp: 0 });
  });

  const valid = { denom: 'uatom', amount: '5', sender: alice, receiver: bob };
  const packetFrom = (src: string, payload: string, over: Partial<Packet> = {}): Packet => ({ srcChain: src, srcApp: 'transfer', dstChain: B, dstApp: 'transfer', sequence: 1, ordered: false, payload, timeoutHeight: 0, timeoutTimestamp: 0, ...over });
  const raw = (s: string) => toHex(utf8(s));
  it.each([
    ['payload that is not JSON', raw('{nope'), 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
    ['payload that is not hex', '0xzz', 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
    ['payload in non-canonical key order', raw(`{"denom":"uatom","amount":"5","receiver":"${bob}","sender":"${alice}"}`), 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
    ['payload with an extra field', encodeTransferPayload({ ...valid, extra: 1 } as never), 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
    ['payload with a numeric amount', raw(`{"amount":5,"denom":"uatom","receiver":"${bob}","sender":"${alice}"}`), 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
    ['zero amount', encodeTransferPayload({ ...valid, amount: '0' }), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['a zero receiver', encodeTransferPayload({ ...valid, receiver: '0x' + '00'.repeat(20) }), 'PNT_ERR_TRANSFER_INVALID_RECEIVER'],
    ['a foreign-format receiver', encodeTransferPayload({ ...valid, receiver: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY' }), 'PNT_ERR_TRANSFER_INVALID_RECEIVER'],
    ['an invalid denom', encodeTransferPayload({ ...valid, denom: '../uatom' }), 'PNT_ERR_BANK_INVALID_DENOM'],
    ['a return the escrow cannot cover', encodeTransferPayload({ ...valid, denom: 't/chain-b/ubtc' }), 'PNT_ERR_TRANSFER_ESCROW_INSUFFICIENT'],
    ['a denom whose voucher would exceed 128 characters', encodeTransferPayload({ ...valid, denom: 'u' + 'x'.repeat(118) }), 'PNT_ERR_TRANSFER_TRACE_TOO_LONG'],
  ])('error: onRecv refuses %s (an error ack; its writes are discarded)', (_name, payload, code) => {
    const net = network();
    const before = new Map(net.chain(B).store.m);
    const r = net.chain(B).atomically((env) => net.app.onRecv(env, packetFrom(A, payload)));
    expect(r).toMatchObject({ ok: false, code });
    expect(net.chain(B).store.m).toEqual(before);
  });

  it('error: onRecv refuses packets from an app other than transfer', () => {
    const net = network();
    const r = net.chain(B).atomically((env) => net.app.onRecv(env, packetFrom(A, encodeTransferPayload(valid), { srcApp: 'attest' })));
    expect(r).toMatchObject({ ok: false, code: 'PNT_ERR_TRANSFER_WRONG_APP' });
  });
});
