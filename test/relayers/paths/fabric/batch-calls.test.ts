import { describe, expect, it } from 'vitest';
import type { Hex } from '../../../../hub-chain/crypto/bytes.ts';
import { chaincodeCalls } from '../../../../contracts/fabric/calls.ts';
import type { Packet } from '../../../../hub-chain/modules/packets/types.ts';
import { batchCalls } from '../../../../relayers/paths/fabric/from-hub.ts';

const packet = (sequence: number): Packet => ({ srcChain: 'pontis-hub-1', srcApp: 'msg', dstChain: 'gov', dstApp: 'records', sequence, ordered: false, payload: '0x01', timeoutHeight: 0, timeoutTimestamp: 0 });
const batch = (height: number) => ({ height, root: `0x${'ab'.repeat(32)}` as Hex, count: 1, proof: '0x00' });
type Proof = { batch?: { $shared: number }; index?: number; path?: Hex } | Hex;

/** The calls' proofs argument as the chaincode reads it: shared parts and per-item proofs. */
function decoded(call: { args: string[] }): { shared: unknown[]; proofs: Proof[] } {
  const v = JSON.parse(call.args[2]) as unknown;
  return Array.isArray(v) ? { shared: [], proofs: v as Proof[] } : (v as { shared: unknown[]; proofs: Proof[] });
}

describe('fabric relay calls: hub batches as shared parts', () => {
  it('behavior: items of many hub batches are split so no call carries more than 64 batches or 200 items, and every reference points into its own call', () => {
    const batches = Array.from({ length: 130 }, (_, i) => batch(1000 + i));
    // two items per batch, then 10 items proven by their own keys
    const items = [...batches.flatMap((_, b) => [0, 1].map((j) => ({ packet: packet(b * 2 + j + 1), batch: b, index: j, path: '0x' as Hex }))), ...Array.from({ length: 10 }, (_, i) => ({ packet: packet(1000 + i), proof: '0xff' as Hex }))];
    const calls = batchCalls(items, batches, (its, shared) => chaincodeCalls.recvPackets(7, its, shared));
    const seen: number[] = [];
    for (const c of calls) {
      const { shared, proofs } = decoded(c);
      expect(proofs.length).toBeLessThanOrEqual(200);
      expect(shared.length).toBeLessThanOrEqual(64);
      for (const p of proofs) {
        if (typeof p === 'string') continue;
        expect(p.batch!.$shared).toBeLessThan(shared.length);
        seen.push((shared[p.batch!.$shared] as { height: number }).height);
      }
    }
    // every batch item is in exactly one call, against its own batch
    expect(seen).toEqual(batches.flatMap((b) => [b.height, b.height]));
    expect(calls.reduce((n, c) => n + decoded(c).proofs.length, 0)).toBe(items.length);
    expect(calls.length).toBeGreaterThanOrEqual(3);
  });

  it('behavior: a call with no batch items carries a plain list of proofs', () => {
    const calls = batchCalls([{ packet: packet(1), proof: '0xff' as Hex }], [], (its, shared) => chaincodeCalls.recvPackets(7, its, shared));
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0].args[2])).toEqual(['0xff']);
  });
});
