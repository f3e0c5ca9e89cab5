/**
 * MessageBoard (the README's example app) between two EVM chains through the hub, every step
 * with real hub proofs (bridge-fixture.ts): delivered, failed and timed-out posts.
 */
import { AbiCoder, type Contract } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from '../../hub-chain/crypto/bytes.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import { revertOf } from './anvil.ts';
import { BridgeWorld, ackError } from './bridge-fixture.ts';

const NONE = 0n;
const PENDING = 1n;
const DELIVERED = 2n;
const FAILED = 3n;
const TIMED_OUT = 4n;

let w: BridgeWorld;
let boardA: Contract;
let boardB: Contract;
let author: string;

beforeAll(async () => {
  w = await BridgeWorld.start('evm-board-hub');
  boardA = await w.anvil.deploy('MessageBoard', await w.a.gateway.getAddress());
  boardB = await w.anvil.deploy('MessageBoard', await w.b.gateway.getAddress());
  author = await w.anvil.signer.getAddress();
});

afterAll(async () => {
  await w?.stop();
});

describe('MessageBoard', () => {
  it('behavior: a post from A appears on B with its chain and author, and A records it delivered', async () => {
    const p = await w.sent(boardA.post('evm-b', 'hello from A'));
    expect((await boardA.outcome('evm-b', p.sequence))[0]).toBe(PENDING);
    const d = await w.deliver(p);
    expect(ackError(d.ack)).toBeUndefined();
    expect(await boardB.postCount()).toBe(1n);
    const post = await boardB.postAt(0);
    expect([post.srcChain, post.author, post.text, post.sequence]).toEqual(['evm-a', author, 'hello from A', BigInt(p.sequence)]);
    await w.acknowledge(p, d.ack);
    expect((await boardA.outcome('evm-b', p.sequence))[0]).toBe(DELIVERED);
  });

  it('behavior: a post the hub refuses is recorded failed with the code; one that never arrives is recorded timed out', async () => {
    const refused = await w.sent(boardA.post('evm-b', 'refused'));
    await w.hubRefuses(refused, 'PNT_ERR_ROUTE_PAUSED');
    const [o, failure] = await boardA.outcome('evm-b', refused.sequence);
    expect(o).toBe(FAILED);
    expect(Buffer.from((failure as string).slice(2), 'hex').toString()).toBe('PNT_ERR_ROUTE_PAUSED');
    const lost = await w.sent(boardA.post('evm-b', 'lost'));
    await w.timeOut(lost);
    expect((await boardA.outcome('evm-b', lost.sequence))[0]).toBe(TIMED_OUT);
    expect((await boardA.outcome('evm-b', 9999))[0]).toBe(NONE);
  });

  it('error: empty or oversized texts are refused; packets from other apps get an error ack', async () => {
    expect(await revertOf(boardA.post('evm-b', ''))).toBe('BadText');
    expect(await revertOf(boardA.post('evm-b', 'x'.repeat(1025)))).toBe('BadText');
    const before = await boardB.postCount();
    const p: Packet = { srcChain: 'dept-a', srcApp: 'msg', dstChain: 'evm-b', dstApp: 'board', sequence: 1, ordered: false, payload: AbiCoder.defaultAbiCoder().encode(['address', 'string'], [author, 'spoof']) as Hex, timeoutHeight: 0, timeoutTimestamp: 0 };
    expect(ackError((await w.deliver(p)).ack)).toBe('PNT_ERR_BOARD_WRONG_APP');
    expect(await boardB.postCount()).toBe(before);
  });
});
