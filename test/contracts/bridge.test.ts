/**
 * TokenBridge on a real anvil: two EVM chains (evm-a, evm-b) joined through a hub whose state and
 * signed headers are real, every packet delivered, acknowledged or timed out through the Gateways
 * with real hub proofs (bridge-fixture.ts).
 */
import { type Contract, ZeroAddress } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidityPacket } from '../../contracts/evm/encode.ts';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type Packet, channelId, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { decodeTransferPayload, encodeTransferPayload } from '../../hub-chain/modules/transfer/transfer.ts';
import { revertOf } from './anvil.ts';
import { BridgeWorld, ackError, ackResult } from './bridge-fixture.ts';
import { formatBridgeGas, measureBridgeGas } from './bridge-gas.ts';

let w: BridgeWorld;
let user: string; // lower-case hex, as payloads carry it
let other: string;

beforeAll(async () => {
  w = await BridgeWorld.start();
  user = (await w.anvil.signer.getAddress()).toLowerCase();
  other = (await w.anvil.other.getAddress()).toLowerCase();
});

afterAll(async () => {
  await w?.stop();
});

async function newToken(name = 'plain'): Promise<Contract> {
  const t = await w.deployTest('TestToken', name);
  await (await t.mint(user, 10n ** 24n)).wait();
  await (await t.approve(await w.a.bridge.getAddress(), 2n ** 256n - 1n)).wait();
  return t;
}

const erc20Denom = async (t: Contract) => `erc20/${(await t.getAddress()).toLowerCase()}`;

describe('TokenBridge transfers', () => {
  it('behavior: lock on A mints on B and burn on B releases on A; escrow on A equals wrapped supply on B plus in-flight after every step (acks, error acks, timeouts)', async () => {
    const token = await newToken();
    const tokenAddr = await token.getAddress();
    const denom = await erc20Denom(token);
    const voucher = `t/evm-a/${denom}`;
    const wrappedAddr = await w.b.bridge.predictWrapped(voucher);
    const wrapped = w.at('WrappedToken', wrappedAddr);
    // locked on A and not yet forwarded by the hub (nor refunded); burned on B and not yet forwarded (nor refunded)
    let lockedPending = 0n;
    let burnedPending = 0n;
    const check = async (step: string) => {
      const escrow = (await w.a.bridge.escrowed('evm-b', tokenAddr)) as bigint;
      const supply = (await w.anvil.provider.getCode(wrappedAddr)) === '0x' ? 0n : ((await wrapped.totalSupply()) as bigint);
      expect(escrow, step).toBe(supply + lockedPending + burnedPending);
      expect(supply <= escrow, step).toBe(true);
      // the bridge holds exactly what it accounts for
      expect(await token.balanceOf(await w.a.bridge.getAddress()), step).toBe(escrow);
      // and the hub's own accounting of the route agrees: what went out, less what came back
      expect(w.accounting.outstanding('evm-a', 'evm-b', denom), step).toBe(supply + burnedPending);
    };
    const sendAB = async (amount: bigint, timeoutTimestamp = 0) => {
      const p = await w.sent(w.a.bridge.sendToken(tokenAddr, amount, 'evm-b', user, timeoutTimestamp, ''));
      lockedPending += amount;
      await check(`sent ${amount}`);
      return p;
    };
    const sendBA = async (amount: bigint) => {
      const p = await w.sent(w.b.bridge.sendToken(wrappedAddr, amount, 'evm-a', user, 0, ''));
      burnedPending += amount;
      await check(`returned ${amount}`);
      return p;
    };

    // 1. A -> B, delivered and acknowledged
    const p1 = await sendAB(1000n);
    expect(decodeTransferPayload(p1.payload)).toMatchObject({ amount: '1000', denom, sender: user, receiver: user, value: 1000n });
    expect(p1.payload).toBe(encodeTransferPayload({ amount: '1000', denom, sender: user, receiver: user })); // canonical, as the hub writes it
    expect(p1).toMatchObject({ srcApp: 'transfer', dstApp: 'transfer', ordered: false });
    const d1 = await w.deliver(p1);
    lockedPending -= 1000n;
    expect(ackError(d1.ack)).toBeUndefined();
    expect(ackResult(d1.ack)).toBe(JSON.stringify({ denom: voucher }));
    expect(await w.b.bridge.wrappedToken(voucher)).toBe(wrappedAddr);
    expect(await wrapped.name()).toBe(voucher);
    expect(await wrapped.balanceOf(user)).toBe(1000n);
    await check('delivered 1000');
    await w.acknowledge(p1, d1.ack);
    await check('acked 1000');

    // 2. A -> B refused by the hub (error ack): A refunds
    const before = (await token.balanceOf(user)) as bigint;
    const p2 = await sendAB(300n);
    const refundLogs = await w.hubRefuses(p2);
    lockedPending -= 300n;
    expect(refundLogs.some((l) => l.name === 'Refunded' && l.args.paid === true)).toBe(true);
    expect(await token.balanceOf(user)).toBe(before);
    await check('refunded 300');

    // 3. A -> B never reaches the hub: timeout, A refunds
    const p3 = await sendAB(200n, (await w.nowMs()) + 20_000);
    await w.timeOut(p3);
    lockedPending -= 200n;
    await check('timed out 200');

    // 4. B -> A: burned on B, released on A
    const p4 = await sendBA(400n);
    expect(decodeTransferPayload(p4.payload).denom).toBe(voucher);
    expect(await wrapped.balanceOf(user)).toBe(600n);
    const d4 = await w.deliver(p4);
    burnedPending -= 400n;
    expect(ackResult(d4.ack)).toBe(JSON.stringify({ denom }));
    await check('released 400');
    await w.acknowledge(p4, d4.ack);
    await check('return acked');

    // 5. B -> A refused by the hub: B mints the burned vouchers back
    const p5 = await sendBA(100n);
    await w.hubRefuses(p5);
    burnedPending -= 100n;
    expect(await wrapped.balanceOf(user)).toBe(600n);
    await check('return refunded');

    // 6. B -> A times out: minted back too
    const p6 = await sendBA(50n);
    await w.timeOut(p6);
    burnedPending -= 50n;
    await check('return timed out');

    // 7. a relayer repeating a delivery or an ack changes nothing
    const again = await w.mined(w.b.gateway.recvPackets(d1.height, [solidityPacket(p1)], [d1.proof]));
    expect(again.logs.some((l) => l.name === 'PacketReceived')).toBe(false);
    expect(again.logs.find((l) => l.name === 'PacketResult')!.args.result).toBe(1n); // already received
    const { v: hv, args: replayArgs } = await w.hub.ackBatch(p1.srcChain, [{ packet: p1, ack: d1.ack }]);
    const replayAck = await w.mined(w.a.gateway.acknowledge(...replayArgs));
    expect(replayAck.logs.find((l) => l.name === 'PacketResult')!.args.result).toBe(1n); // already acknowledged
    const replayRefund = await w.mined(w.a.gateway.timeout(hv, [solidityPacket(p3)], [w.hub.receiptProof(p3, hv)]));
    expect(replayRefund.logs.find((l) => l.name === 'PacketResult')!.args.result).toBe(1n); // refunded once only
    await check('replayed');
    expect(await wrapped.totalSupply()).toBe(600n);
    expect(await w.a.bridge.escrowed('evm-b', tokenAddr)).toBe(600n);
  });

  it('behavior: over seeded random sequences of sends, returns, deliveries, error acks and timeouts, escrow, voucher supply, the hub accounting and the user holdings stay conserved', async () => {
    const kinds = new Set<string>();
    for (const seed of [7, 1234]) {
      const token = await newToken(`random-${seed}`);
      const tokenAddr = await token.getAddress();
      const denom = await erc20Denom(token);
      const wrappedAddr = await w.b.bridge.predictWrapped(`t/evm-a/${denom}`);
      const wrapped = w.at('WrappedToken', wrappedAddr);
      const initial = (await token.balanceOf(user)) as bigint;
      let state = seed >>> 0;
      // mulberry32: a small deterministic generator (32-bit integer arithmetic only)
      const rand = (n: number) => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) % n;
      };
      type Pending = { packet: Packet; amount: bigint; short: boolean };
      const locks: Pending[] = [];
      const burns: Pending[] = [];
      const take = (list: Pending[], short: boolean): Pending | undefined => {
        const idx = list.map((x, i) => [x, i] as const).filter(([x]) => x.short === short).map(([, i]) => i);
        if (idx.length === 0) return undefined;
        return list.splice(idx[rand(idx.length)], 1)[0];
      };
      const sum = (list: Pending[]) => list.reduce((a, x) => a + x.amount, 0n);
      const supplyNow = async () => ((await w.anvil.provider.getCode(wrappedAddr)) === '0x' ? 0n : ((await wrapped.totalSupply()) as bigint));
      const ops: string[] = [];
      for (let step = 0; step < 30; step++) {
        const supply = await supplyNow();
        // the steps possible now; one is drawn
        const choices: string[] = ['lock', 'lock'];
        if (supply > 0n) choices.push('burn', 'burn');
        for (const [name, list] of [['lock', locks], ['burn', burns]] as const) {
          if (list.some((x) => !x.short)) choices.push(`deliver ${name}`, `deliver ${name}`, `hub refuses ${name}`);
          if (list.some((x) => x.short)) choices.push(`timeout ${name}`);
        }
        const op = choices[rand(choices.length)];
        const short = rand(4) === 0;
        const timeout = short ? (await w.nowMs()) + 20_000 : 0;
        const list = op.endsWith('lock') ? locks : burns;
        if (op === 'lock') {
          const amount = BigInt(1 + rand(1000));
          locks.push({ packet: await w.sent(w.a.bridge.sendToken(tokenAddr, amount, 'evm-b', user, timeout, '')), amount, short });
          ops.push(`lock ${amount}${short ? ' (short)' : ''}`);
        } else if (op === 'burn') {
          const amount = BigInt(1 + rand(Number(supply < 500n ? supply : 500n)));
          burns.push({ packet: await w.sent(w.b.bridge.sendToken(wrappedAddr, amount, 'evm-a', user, timeout, '')), amount, short });
          ops.push(`burn ${amount}${short ? ' (short)' : ''}`);
        } else if (op.startsWith('deliver')) {
          const x = take(list, false)!;
          const d = await w.deliver(x.packet);
          expect(ackError(d.ack)).toBeUndefined();
          if (rand(2) === 0) await w.acknowledge(x.packet, d.ack); // the success ack may come back later or never: it moves nothing
          ops.push(`${op} ${x.amount}`);
        } else if (op.startsWith('hub refuses')) {
          const x = take(list, false)!;
          await w.hubRefuses(x.packet);
          ops.push(`${op} ${x.amount}`);
        } else {
          const x = take(list, true)!;
          await w.timeOut(x.packet);
          ops.push(`${op} ${x.amount}`);
        }
        const where = `seed ${seed} after ${ops.join(', ')}`;
        const escrow = (await w.a.bridge.escrowed('evm-b', tokenAddr)) as bigint;
        const supplyAfter = await supplyNow();
        expect(escrow, where).toBe(supplyAfter + sum(locks) + sum(burns));
        expect(w.accounting.outstanding('evm-a', 'evm-b', denom), where).toBe(supplyAfter + sum(burns));
        expect(await token.balanceOf(await w.a.bridge.getAddress()), where).toBe(escrow);
        // nothing created or lost: what the user holds on A, plus everything locked, is what it started with
        expect(((await token.balanceOf(user)) as bigint) + escrow, where).toBe(initial);
        if (supplyAfter > 0n) expect(await wrapped.balanceOf(user), where).toBe(supplyAfter);
      }
      if (process.env.BRIDGE_DEBUG) process.stdout.write(`${seed}: ${ops.join(", ")}\n`);
      for (const o of ops) kinds.add(o.replace(/ \d+.*$/, ''));
    }
    // every kind of step happened in some sequence
    expect([...kinds].sort()).toEqual(['burn', 'deliver burn', 'deliver lock', 'hub refuses burn', 'hub refuses lock', 'lock', 'timeout burn', 'timeout lock']);
  });

  it('behavior: the native coin is locked as `wei`, minted on B as t/evm-a/wei and released on return', async () => {
    const p = await w.sent(w.a.bridge.sendNative('evm-b', other, 0, 'for you', { value: 5000n }));
    expect(decodeTransferPayload(p.payload)).toMatchObject({ denom: 'wei', amount: '5000', memo: 'for you', receiver: other });
    await w.roundTrip(p);
    const wrapped = w.at('WrappedToken', await w.b.bridge.wrappedToken('t/evm-a/wei'));
    expect(await wrapped.balanceOf(other)).toBe(5000n);
    expect(await w.a.bridge.escrowed('evm-b', ZeroAddress)).toBe(5000n);
    const back = await w.sent((w.b.bridge.connect(w.anvil.other) as Contract).sendToken(await wrapped.getAddress(), 2000n, 'evm-a', other, 0, ''));
    const balBefore = await w.anvil.provider.getBalance(other);
    await w.roundTrip(back);
    expect((await w.anvil.provider.getBalance(other)) - balBefore).toBe(2000n);
    expect(await w.a.bridge.escrowed('evm-b', ZeroAddress)).toBe(3000n);
    expect(await wrapped.totalSupply()).toBe(3000n);
    expect(await w.anvil.provider.getBalance(await w.a.bridge.getAddress())).toBe(3000n);
  });

  it('behavior: a payload the hub itself encodes (sender from another chain, a memo) mints the voucher of that chain', async () => {
    const payload = encodeTransferPayload({ amount: '77', denom: 'ucredit', sender: `0x${'ab'.repeat(20)}`, receiver: other, memo: 'hello' });
    const p: Packet = { srcChain: 'dept-a', srcApp: 'transfer', dstChain: 'evm-b', dstApp: 'transfer', sequence: 1, ordered: false, payload, timeoutHeight: 0, timeoutTimestamp: 0 };
    const d = await w.deliver(p);
    expect(ackResult(d.ack)).toBe('{"denom":"t/dept-a/ucredit"}');
    expect(await w.at('WrappedToken', await w.b.bridge.wrappedToken('t/dept-a/ucredit')).balanceOf(other)).toBe(77n);
  });

  it('error: packets from another app, malformed or non-canonical payloads, bad receivers and returns beyond the escrow get error acks and change nothing', async () => {
    const token = await newToken('escrowed');
    await w.roundTrip(await w.sent(w.a.bridge.sendToken(await token.getAddress(), 10n, 'evm-b', user, 0, '')));
    const denom = await erc20Denom(token);
    const base = { srcChain: 'evm-b', srcApp: 'transfer', dstChain: 'evm-a', dstApp: 'transfer', ordered: false, timeoutHeight: 0, timeoutTimestamp: 0 };
    const cases: [Packet, string][] = [
      [{ ...base, sequence: 900, srcApp: 'bank', payload: encodeTransferPayload({ amount: '1', denom: 'x1', sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_WRONG_APP'],
      [{ ...base, sequence: 901, payload: toHex(utf8(`{"amount": "1","denom":"x1","receiver":"${user}","sender":"${user}"}`)) }, 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
      [{ ...base, sequence: 902, payload: toHex(utf8(`{"denom":"x1","amount":"1","receiver":"${user}","sender":"${user}"}`)) }, 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
      [{ ...base, sequence: 903, payload: encodeTransferPayload({ amount: '01', denom: 'x1', sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
      [{ ...base, sequence: 904, payload: encodeTransferPayload({ amount: '0', denom: 'x1', sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
      [{ ...base, sequence: 905, payload: encodeTransferPayload({ amount: (2n ** 256n).toString(), denom: 'x1', sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
      [{ ...base, sequence: 906, payload: encodeTransferPayload({ amount: '1', denom: 'x1', sender: user, receiver: ZeroAddress }) }, 'PNT_ERR_TRANSFER_INVALID_RECEIVER'],
      [{ ...base, sequence: 907, payload: encodeTransferPayload({ amount: '1', denom: 'x1', sender: user, receiver: 'cosmos1xyz' }) }, 'PNT_ERR_TRANSFER_INVALID_RECEIVER'],
      [{ ...base, sequence: 908, payload: encodeTransferPayload({ amount: '11', denom: `t/evm-a/${denom}`, sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_ESCROW_INSUFFICIENT'],
      [{ ...base, sequence: 909, srcChain: 'dept-z', payload: encodeTransferPayload({ amount: '1', denom: `t/evm-a/${denom}`, sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_ESCROW_INSUFFICIENT'],
      [{ ...base, sequence: 910, payload: encodeTransferPayload({ amount: '1', denom: 't/evm-a/erc20/0x0000000000000000000000000000000000000001', sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_ESCROW_INSUFFICIENT'],
      [{ ...base, sequence: 911, payload: encodeTransferPayload({ amount: '1', denom: 't/evm-a/unknown', sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_UNKNOWN_DENOM'],
      [{ ...base, sequence: 912, payload: encodeTransferPayload({ amount: '1', denom: `x${'y'.repeat(120)}`, sender: user, receiver: user }) }, 'PNT_ERR_TRANSFER_TRACE_TOO_LONG'],
      [{ ...base, sequence: 913, payload: encodeTransferPayload({ amount: '1', denom: 'x1', sender: user, receiver: user, memo: 'say "hi"' }) }, 'PNT_ERR_TRANSFER_INVALID_PAYLOAD'],
    ];
    // the hub's policy would refuse most of these (a forged return exceeds what it saw go out);
    // delivered as if it had not, the bridge still refuses them on its own
    for (const [p, code] of cases) {
      const d = await w.deliver(p, { hubPolicy: false });
      expect(ackError(d.ack), `packet ${p.sequence}`).toBe(code);
    }
    expect(await w.a.bridge.escrowed('evm-b', await token.getAddress())).toBe(10n);
    expect(await token.balanceOf(await w.a.bridge.getAddress())).toBe(10n);
  });

  it('error: the zero address, a codeless token, a zero amount, bad receivers and memos, sends to this chain and over-long traces are refused', async () => {
    const token = await newToken();
    const t = await token.getAddress();
    const send = (tok: string, amount: bigint, dst = 'evm-b', receiver = user, memo = '') => w.a.bridge.sendToken(tok, amount, dst, receiver, 0, memo);
    expect(await revertOf(send(ZeroAddress, 1n))).toBe('ZeroAddress');
    expect(await revertOf(send(other, 1n))).toBe('NotAContract');
    expect(await revertOf(send(t, 0n))).toBe('ZeroAmount');
    expect(await revertOf(send(t, 1n, 'evm-b', ZeroAddress))).toBe('ZeroAddress');
    expect(await revertOf(send(t, 1n, 'evm-b', '0x0'))).toBe('ZeroAddress');
    expect(await revertOf(send(t, 1n, 'evm-b', ''))).toBe('BadReceiver');
    expect(await revertOf(send(t, 1n, 'evm-b', 'a b'))).toBe('BadReceiver');
    expect(await revertOf(send(t, 1n, 'evm-b', 'a"b'))).toBe('BadReceiver');
    expect(await revertOf(send(t, 1n, 'evm-b', 'x'.repeat(129)))).toBe('BadReceiver');
    expect(await revertOf(send(t, 1n, 'evm-b', user, 'back\\slash'))).toBe('BadMemo');
    expect(await revertOf(send(t, 1n, 'evm-a'))).toBe('BadChain');
    // a voucher of 124 characters on B would become 't/evm-b/' + 124 on A: over the 128 limit
    const long = `u${'x'.repeat(114)}`;
    const viaHub: Packet = { srcChain: 'dept-a', srcApp: 'transfer', dstChain: 'evm-b', dstApp: 'transfer', sequence: 2, ordered: false, payload: encodeTransferPayload({ amount: '5', denom: long, sender: user, receiver: user }), timeoutHeight: 0, timeoutTimestamp: 0 };
    expect(ackError((await w.deliver(viaHub)).ack)).toBeUndefined();
    const longVoucher = await w.b.bridge.wrappedToken(`t/dept-a/${long}`);
    expect(await revertOf(w.b.bridge.sendToken(longVoucher, 1n, 'evm-a', user, 0, ''))).toBe('TraceTooLong');
    // toward its origin it is burned, whatever its length
    expect(decodeTransferPayload((await w.sent(w.b.bridge.sendToken(longVoucher, 1n, 'dept-a', user, 0, ''))).payload).denom).toBe(`t/dept-a/${long}`);
    expect(await revertOf(w.a.bridge.sendNative('evm-b', user, 0, '', { value: 0n }))).toBe('ZeroAmount');
    expect(await revertOf(w.a.bridge.sendToken(t, 1n, 'evm-b', user, 1000, ''))).toBe('TimeoutInPast');
    // callbacks only from the gateway
    const p = solidityPacket({ srcChain: 'evm-b', srcApp: 'transfer', dstChain: 'evm-a', dstApp: 'transfer', sequence: 1, ordered: false, payload: '0x', timeoutHeight: 0, timeoutTimestamp: 0 });
    expect(await revertOf(w.a.bridge.onRecvPacket(p))).toBe('OnlyGateway');
    expect(await revertOf(w.a.bridge.onTimeoutPacket(p))).toBe('OnlyGateway');
    expect(await token.balanceOf(await w.a.bridge.getAddress())).toBe(0n);
  });

  it('behavior: a fee-on-transfer token locks and sends what arrived, so escrow equals the balance held', async () => {
    const fee = await w.deployTest('FeeToken', 100); // 1 %
    await (await fee.mint(user, 1_000_000n)).wait();
    await (await fee.approve(await w.a.bridge.getAddress(), 10n ** 30n)).wait();
    const p = await w.sent(w.a.bridge.sendToken(await fee.getAddress(), 10_000n, 'evm-b', user, 0, ''));
    expect(decodeTransferPayload(p.payload).amount).toBe('9900');
    expect(await w.a.bridge.escrowed('evm-b', await fee.getAddress())).toBe(9900n);
    expect(await fee.balanceOf(await w.a.bridge.getAddress())).toBe(9900n);
    await w.roundTrip(p);
    const voucher = `t/evm-a/${await erc20Denom(fee)}`;
    expect(await w.at('WrappedToken', await w.b.bridge.wrappedToken(voucher)).totalSupply()).toBe(9900n);
    // a 100 % fee: nothing arrives, nothing is sent
    const all = await w.deployTest('FeeToken', 10_000);
    await (await all.mint(user, 1000n)).wait();
    await (await all.approve(await w.a.bridge.getAddress(), 1000n)).wait();
    expect(await revertOf(w.a.bridge.sendToken(await all.getAddress(), 1000n, 'evm-b', user, 0, ''))).toBe('NothingArrived');
  });
});

describe('TokenBridge rate limits and pause', () => {
  it('behavior: outbound limits per route and window; only the admin sets them; a new window frees capacity', async () => {
    const token = await newToken('limited');
    const t = await token.getAddress();
    const asOther = w.a.bridge.connect(w.anvil.other) as Contract;
    expect(await revertOf(asOther.setRateLimit('evm-b', t, false, 1000n, 3600))).toBe('OnlyAdmin');
    await (await w.a.bridge.setRateLimit('evm-b', t, false, 1000n, 3600)).wait();
    await (await w.a.bridge.sendToken(t, 600n, 'evm-b', user, 0, '')).wait();
    expect(await revertOf(w.a.bridge.sendToken(t, 500n, 'evm-b', user, 0, ''))).toBe('RateLimited');
    // another route is not limited
    await (await w.a.bridge.sendToken(t, 500n, 'dept-a', user, 0, '')).wait();
    await (await w.a.bridge.sendToken(t, 400n, 'evm-b', user, 0, '')).wait();
    expect((await w.a.bridge.rateLimit('evm-b', t, false)).used).toBe(1000n);
    await w.anvil.increaseTime(3600);
    await (await w.a.bridge.sendToken(t, 1000n, 'evm-b', user, 0, '')).wait();
    // maxAmount 0 stops the flow; window 0 lifts the limit
    await (await w.a.bridge.setRateLimit('evm-b', t, false, 0n, 3600)).wait();
    expect(await revertOf(w.a.bridge.sendToken(t, 1n, 'evm-b', user, 0, ''))).toBe('RateLimited');
    await (await w.a.bridge.setRateLimit('evm-b', t, false, 0n, 0)).wait();
    await (await w.a.bridge.sendToken(t, 5000n, 'evm-b', user, 0, '')).wait();
  });

  it('behavior: an inbound limit turns an over-limit mint into an error ack, and the source refunds', async () => {
    const token = await newToken('inbound');
    const t = await token.getAddress();
    const wrappedAddr = await w.b.bridge.predictWrapped(`t/evm-a/${await erc20Denom(token)}`);
    await (await w.b.bridge.setRateLimit('evm-a', wrappedAddr, true, 100n, 3600)).wait();
    const ok = await w.deliver(await w.sent(w.a.bridge.sendToken(t, 100n, 'evm-b', user, 0, '')));
    expect(ackError(ok.ack)).toBeUndefined();
    const before = (await token.balanceOf(user)) as bigint;
    const over = await w.sent(w.a.bridge.sendToken(t, 1n, 'evm-b', user, 0, ''));
    const d = await w.deliver(over);
    expect(ackError(d.ack)).toBe('PNT_ERR_TRANSFER_RATE_LIMITED');
    await w.acknowledge(over, d.ack);
    expect(await token.balanceOf(user)).toBe(before);
    expect(await w.a.bridge.escrowed('evm-b', t)).toBe(100n);
    expect(await w.at('WrappedToken', wrappedAddr).totalSupply()).toBe(100n);
  });

  it('behavior: only the admin pauses; paused, sends are refused and receives are error acks that the source refunds; refunds still run', async () => {
    const token = await newToken('paused');
    const t = await token.getAddress();
    expect(await revertOf((w.b.bridge.connect(w.anvil.other) as Contract).setPaused(true))).toBe('OnlyAdmin');
    const inFlight = await w.sent(w.a.bridge.sendToken(t, 70n, 'evm-b', user, 0, ''));
    const stuck = await w.sent(w.a.bridge.sendToken(t, 30n, 'evm-b', user, 0, ''));
    await (await w.b.bridge.setPaused(true)).wait();
    await (await w.a.bridge.setPaused(true)).wait();
    expect(await revertOf(w.a.bridge.sendToken(t, 1n, 'evm-b', user, 0, ''))).toBe('IsPaused');
    expect(await revertOf(w.a.bridge.sendNative('evm-b', user, 0, '', { value: 1n }))).toBe('IsPaused');
    const d = await w.deliver(inFlight);
    expect(ackError(d.ack)).toBe('PNT_ERR_TRANSFER_PAUSED');
    const before = (await token.balanceOf(user)) as bigint;
    await w.acknowledge(inFlight, d.ack); // A is paused too, and still refunds
    await w.hubRefuses(stuck);
    expect(await token.balanceOf(user)).toBe(before + 100n);
    expect(await w.a.bridge.escrowed('evm-b', t)).toBe(0n);
    await (await w.a.bridge.setPaused(false)).wait();
    await (await w.b.bridge.setPaused(false)).wait();
    expect(ackError((await w.deliver(await w.sent(w.a.bridge.sendToken(t, 5n, 'evm-b', user, 0, '')))).ack)).toBeUndefined();
    // the admin role moves only by the admin, never to zero
    expect(await revertOf(w.a.bridge.setAdmin(ZeroAddress))).toBe('ZeroAddress');
    expect(await revertOf((w.a.bridge.connect(w.anvil.other) as Contract).setAdmin(other))).toBe('OnlyAdmin');
  });
});

describe('TokenBridge reentrancy', () => {
  it('error: a token that re-enters the bridge while being locked cannot lock twice', async () => {
    const rt = await w.deployTest('ReentrantToken');
    const r = await rt.getAddress();
    await (await rt.mint(user, 10_000n)).wait();
    await (await rt.approve(await w.a.bridge.getAddress(), 10_000n)).wait();
    // the token itself calls sendToken (as the sender): blocked by the bridge's guard
    await (await rt.arm(await w.a.bridge.getAddress(), w.a.bridge.interface.encodeFunctionData('sendToken', [r, 1n, 'evm-b', user, 0, '']))).wait();
    await (await w.a.bridge.sendToken(r, 1000n, 'evm-b', user, 0, '')).wait();
    expect(await rt.attempts()).toBe(1n);
    expect(await rt.successes()).toBe(0n);
    expect(w.a.bridge.interface.parseError(await rt.lastRevert())?.name).toBe('Reentrancy');
    expect(await w.a.bridge.escrowed('evm-b', r)).toBe(1000n);
    expect(await rt.balanceOf(await w.a.bridge.getAddress())).toBe(1000n);
  });

  it('error: a token or a native receiver that re-enters the gateway or the bridge during a release cannot release twice', async () => {
    const rt = await w.deployTest('ReentrantToken');
    const r = await rt.getAddress();
    await (await rt.mint(user, 10_000n)).wait();
    await (await rt.approve(await w.a.bridge.getAddress(), 10_000n)).wait();
    await w.roundTrip(await w.sent(w.a.bridge.sendToken(r, 1000n, 'evm-b', user, 0, '')));
    const wrappedAddr = await w.b.bridge.wrappedToken(`t/evm-a/${await erc20Denom(rt)}`);
    const back = await w.sent(w.b.bridge.sendToken(wrappedAddr, 400n, 'evm-a', user, 0, ''));
    // the hub forwards it; the token, when released, replays the same delivery into the gateway
    const key = packetKeys.outbound(channelId(back), back.sequence);
    const v = await w.hub.advance([[key, packetCommitment(back)]]);
    const proof = w.hub.proof(key, v);
    await (await rt.arm(await w.a.gateway.getAddress(), w.a.gateway.interface.encodeFunctionData('recvPackets', [v, [solidityPacket(back)], [proof]]))).wait();
    const { logs } = await w.mined(w.a.gateway.recvPackets(v, [solidityPacket(back)], [proof]));
    expect(ackError(Buffer.from((logs.find((l) => l.name === 'PacketReceived')!.args.ack as string).slice(2), 'hex'))).toBeUndefined();
    expect(await rt.attempts()).toBe(1n);
    expect(await rt.successes()).toBe(0n);
    expect(w.a.gateway.interface.parseError(await rt.lastRevert())?.name).toBe('ReentrantCall');
    expect(await w.a.bridge.escrowed('evm-b', r)).toBe(600n);
    expect(await rt.balanceOf(await w.a.bridge.getAddress())).toBe(600n);
    // delivered again afterwards: already received, nothing moves
    const again = await w.mined(w.a.gateway.recvPackets(v, [solidityPacket(back)], [proof]));
    expect(again.logs.some((l) => l.name === 'PacketReceived')).toBe(false);
    expect(await rt.balanceOf(await w.a.bridge.getAddress())).toBe(600n);

    // native: the receiver re-enters the bridge from receive()
    const rr = await w.deployTest('ReentrantReceiver');
    const rrAddr = (await rr.getAddress()).toLowerCase();
    await w.roundTrip(await w.sent(w.a.bridge.sendNative('evm-b', user, 0, '', { value: 1000n })));
    const wei = await w.b.bridge.wrappedToken('t/evm-a/wei');
    const home = await w.sent(w.b.bridge.sendToken(wei, 300n, 'evm-a', rrAddr, 0, ''));
    await (await rr.arm(await w.a.bridge.getAddress(), w.a.bridge.interface.encodeFunctionData('sendNative', ['evm-b', user, 0, '']))).wait();
    const escrowBefore = (await w.a.bridge.escrowed('evm-b', ZeroAddress)) as bigint;
    const d = await w.deliver(home);
    expect(ackError(d.ack)).toBeUndefined();
    expect(await rr.attempts()).toBe(1n);
    expect(await rr.successes()).toBe(0n);
    expect(w.a.bridge.interface.parseError(await rr.lastRevert())?.name).toBe('Reentrancy');
    expect(await w.anvil.provider.getBalance(rrAddr)).toBe(300n);
    expect(await w.a.bridge.escrowed('evm-b', ZeroAddress)).toBe(escrowBefore - 300n);

    // and from receive() it replays its own delivery into the gateway: refused, paid once
    const home2 = await w.sent(w.b.bridge.sendToken(wei, 200n, 'evm-a', rrAddr, 0, ''));
    const key2 = packetKeys.outbound(channelId(home2), home2.sequence);
    const v2 = await w.hub.advance([[key2, packetCommitment(home2)]]);
    const proof2 = w.hub.proof(key2, v2);
    await (await rr.arm(await w.a.gateway.getAddress(), w.a.gateway.interface.encodeFunctionData('recvPackets', [v2, [solidityPacket(home2)], [proof2]]))).wait();
    const r2 = await w.mined(w.a.gateway.recvPackets(v2, [solidityPacket(home2)], [proof2]));
    expect(ackError(Buffer.from((r2.logs.find((l) => l.name === 'PacketReceived')!.args.ack as string).slice(2), 'hex'))).toBeUndefined();
    expect(await rr.attempts()).toBe(2n);
    expect(await rr.successes()).toBe(0n);
    expect(w.a.gateway.interface.parseError(await rr.lastRevert())?.name).toBe('ReentrantCall');
    expect(await w.anvil.provider.getBalance(rrAddr)).toBe(500n);
    expect(await w.a.bridge.escrowed('evm-b', ZeroAddress)).toBe(escrowBefore - 500n);
  });

  it('behavior: a refund the sender refuses is kept claimable and paid once on claim', async () => {
    const rr = await w.deployTest('ReentrantReceiver');
    const rrAddr = await rr.getAddress();
    const data = w.a.bridge.interface.encodeFunctionData('sendNative', ['evm-b', user, 0, '']);
    const p = await w.sent(rr.exec(await w.a.bridge.getAddress(), 800n, data, { value: 800n }));
    await (await rr.setRefuse(true)).wait();
    const logs = await w.hubRefuses(p);
    expect(logs.find((l) => l.name === 'Refunded')!.args.paid).toBe(false);
    expect(await w.a.bridge.claimable(ZeroAddress, rrAddr)).toBe(800n);
    await (await rr.setRefuse(false)).wait();
    const claim = w.a.bridge.interface.encodeFunctionData('claimRefund', [ZeroAddress]);
    // re-entering claimRefund from receive() is refused; the outer claim pays once
    await (await rr.arm(await w.a.bridge.getAddress(), claim)).wait();
    await (await rr.exec(await w.a.bridge.getAddress(), 0n, claim)).wait();
    expect(await rr.successes()).toBe(0n);
    expect(await w.anvil.provider.getBalance(rrAddr)).toBe(800n);
    expect(await w.a.bridge.claimable(ZeroAddress, rrAddr)).toBe(0n);
    expect(await revertOf(rr.exec(await w.a.bridge.getAddress(), 0n, claim))).toBe('NothingToClaim');
    // a sender that burns all the gas it is given: the refund is still recorded as claimable
    const burner = await w.deployTest('ReentrantReceiver');
    const q = await w.sent(burner.exec(await w.a.bridge.getAddress(), 500n, data, { value: 500n }));
    await (await burner.setBurnGas(true)).wait();
    const burnLogs = await w.hubRefuses(q);
    expect(burnLogs.find((l) => l.name === 'PacketAcknowledged')!.args.callbackOk).toBe(true);
    expect(burnLogs.find((l) => l.name === 'Refunded')!.args.paid).toBe(false);
    expect(await w.a.bridge.claimable(ZeroAddress, await burner.getAddress())).toBe(500n);
  });
});

describe('TokenBridge gas', () => {
  it('behavior: gas of lock, mint (first and later), burn and unlock is measured', async () => {
    const g = await measureBridgeGas(w);
    process.stdout.write(`${formatBridgeGas(g)}\n`);
    for (const v of Object.values(g)) expect(v).toBeGreaterThan(21_000);
    // the first mint creates the WrappedToken clone
    expect(g.recvMintFirst).toBeGreaterThan(g.recvMint);
    expect(g.recvMintFirst).toBeLessThan(1_000_000);
  });
});
