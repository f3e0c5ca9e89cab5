/**
 * Relay messages' shared proof parts: an item's proof references a part by a top-level field
 * `{"$shared": i}`; resolution hands every item the same value, and leaves anything else (an index
 * out of range, a nested reference, a proof that is not an object) as written for the client type
 * to refuse.
 */
import { describe, expect, it } from 'vitest';
import { packetMsgSchemas, withShared } from '../../../hub-chain/modules/packets/msgs.ts';

const block = 'QkxPQ0s='.repeat(1000);
const shared = [block, ['h1', 'h2']];

describe('shared proof parts', () => {
  it('behavior: top-level references resolve to the shared value itself, for every item', () => {
    const a = withShared({ block: { $shared: 0 }, txIndex: 3, headers: { $shared: 1 } }, shared) as Record<string, unknown>;
    const b = withShared({ block: { $shared: 0 }, txIndex: 4 }, shared) as Record<string, unknown>;
    expect(a).toEqual({ block, txIndex: 3, headers: ['h1', 'h2'] });
    expect(a.block).toBe(b.block);
    expect(a.headers).toBe(shared[1]);
  });

  it('error: an index out of range, a negative or fractional one, a nested reference or extra keys are left as written', () => {
    for (const r of [{ $shared: 2 }, { $shared: -1 }, { $shared: 0.5 }, { $shared: 0, x: 1 }]) expect(withShared({ block: r }, shared)).toEqual({ block: r });
    expect(withShared({ outer: { block: { $shared: 0 } } }, shared)).toEqual({ outer: { block: { $shared: 0 } } });
    expect(withShared('0xabcd', shared)).toBe('0xabcd');
    expect(withShared([{ $shared: 0 }], shared)).toEqual([{ $shared: 0 }]);
    const p = { block: { $shared: 0 } };
    expect(withShared(p, undefined)).toBe(p);
  });

  it('error: a relay message with an empty or oversized shared list fails its schema', () => {
    const item = { packet: { srcChain: 'gov', srcApp: 'msg', dstChain: 'hub', dstApp: 'msg', sequence: 1, ordered: false, payload: '0x01', timeoutHeight: 0, timeoutTimestamp: 1 }, proof: { block: { $shared: 0 } } };
    const recv = (extra: object) => packetMsgSchemas.some((s) => s.safeParse({ type: 'packets/recv', proofHeight: 5, packets: [item], ...extra }).success);
    expect(recv({ shared: ['x'] })).toBe(true);
    expect(recv({})).toBe(true);
    expect(recv({ shared: [] })).toBe(false);
    expect(recv({ shared: Array.from({ length: 65 }, () => 'x') })).toBe(false);
  });
});
