/**
 * A batch proof is checked against the client of each item's own counterparty. A relay message's
 * shared batch part is one object for all its items, and the keeper checks its state proof once;
 * an item from another source referencing the same part must still be checked against its own
 * source's client. Otherwise a chain whose batch holds a commitment claiming another source (its
 * validators can write anything) would pass that packet off as the other chain's. The clients
 * here are a stand-in: the one of `a` holds its batch, the one of `c` holds nothing.
 */
import { describe, expect, it } from 'vitest';
import { type Bytes, type Hex, concat, latin1Id, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { merkleProof, merkleRoot } from '../../../hub-chain/crypto/merkle.ts';
import { PontisError } from '../../../hub-chain/errors.ts';
import type { KVStore, ModuleEnv } from '../../../hub-chain/app/module.ts';
import type { ClientVerifier } from '../../../hub-chain/modules/clients/types.ts';
import { PacketKeeper } from '../../../hub-chain/modules/packets/keeper.ts';
import { type Packet, packetCommitment } from '../../../hub-chain/modules/packets/types.ts';
import { Registry, registryKeys } from '../../../hub-chain/modules/registry/registry.ts';

class MapStore implements KVStore {
  readonly m = new Map<string, Bytes>();
  get(k: Bytes) {
    return this.m.get(latin1Id(k));
  }
  set(k: Bytes, v: Bytes) {
    this.m.set(latin1Id(k), v);
  }
  delete(k: Bytes) {
    this.m.delete(latin1Id(k));
  }
}

const packet = (src: string, seq: number): Packet => ({ srcChain: src, srcApp: 'msg', dstChain: 'hub', dstApp: 'msg', sequence: seq, ordered: false, payload: '0x01', timeoutHeight: 0, timeoutTimestamp: 9_000_000_000_000 });

describe('batch proofs and their sources', () => {
  it('error: an item from chain c riding on chain a\'s batch (verified for a) is checked against c\'s client and refused', () => {
    const checked: string[] = [];
    const clients = {
      proofsAt: (_s: unknown, chain: string, height: number) => ({
        membership(key: Bytes) {
          checked.push(`${chain}@${height} ${Buffer.from(key).toString('utf8')}`);
          if (chain !== 'a') throw new PontisError('PNT_ERR_PROOF_INVALID', `${chain}'s state does not hold it`);
        },
        nonMembership() {},
      }),
    } as unknown as ClientVerifier;
    const store = new MapStore();
    for (const id of ['a', 'c']) store.set(registryKeys.chain(id), utf8(JSON.stringify({ chainId: id, kind: 'pontis', clientType: 'pontis', routes: ['*'], status: 'active', registeredAt: 1 })));
    const keeper = new PacketKeeper({ clients, registry: new Registry(), apps: [], protectedPrefixes: [] });
    // a's batch of block 7 holds its own packet and one claiming to come from c
    const fromA = packet('a', 1);
    const claimedFromC = packet('c', 1);
    const leaves = [packetCommitment(fromA), packetCommitment(claimedFromC)];
    const batch = { height: 7, root: toHex(merkleRoot(leaves)), count: 2, proof: 'a state proof' };
    const item = (p: Packet, i: number) => ({ packet: p, proof: { batch, index: i, path: toHex(concat(...merkleProof(leaves, i).siblings)) as Hex } });
    const env = { chainId: 'hub', height: 20, time: 1000, txHash: `0x${'00'.repeat(32)}`, sender: `0x${'00'.repeat(32)}`, validators: undefined, store, genesis: { params: {} }, emit() {}, events: [] } as unknown as ModuleEnv;
    expect(keeper.recv(env, 10, [item(fromA, 0), item(claimedFromC, 1)])).toEqual(['ok', 'PNT_ERR_PROOF_INVALID']);
    expect(checked).toEqual(['a@10 pkt/batch/hub/0000000000000007', 'c@10 pkt/batch/hub/0000000000000007']);
  });
});
