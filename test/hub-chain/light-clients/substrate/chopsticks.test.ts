/**
 * The `substrate` client against a real runtime: chopsticks running the asset-hub runtime. Headers
 * rebuilt from the node's JSON hash to its block hashes; the observer's source reads a finalized
 * block and computes its state root (chopsticks reports zero) from the block's storage; hub
 * validators vote it in attested mode; then System.Account(alice) membership, a never-used
 * account's absence and a remark_with_event payload from alice (via System.Events) are proven
 * through the clients keeper.
 */
import { readFileSync } from 'node:fs';
import { ApiPromise, HttpProvider, Keyring } from '@polkadot/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { type Bytes, type Hex, ZERO_HASH, equalBytes, fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { signAttestation } from '../../../../hub-chain/light-clients/attested/module.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { decodeEvents, eventTypeTable, eventTypeTableHash, remarkedOf } from '../../../../hub-chain/light-clients/substrate/events.ts';
import { type RpcHeader, headerHash, verifiedHeaderFromRpc } from '../../../../hub-chain/light-clients/substrate/header.ts';
import { encodeRemarkPayload } from '../../../../hub-chain/light-clients/substrate/remark.ts';
import { type SubstrateRpc, readFullState, substrateFinalizedSource, substrateHttpRpc } from '../../../../hub-chain/light-clients/substrate/source.ts';
import { SYSTEM_EVENTS_KEY, systemAccountKey } from '../../../../hub-chain/light-clients/substrate/storage.ts';
import { buildReadProof, trieRoot } from '../../../../hub-chain/light-clients/substrate/trie.ts';
import { ClientKeeper } from '../../../../hub-chain/modules/clients/keeper.ts';
import type { FinalizedBlock } from '../../../../hub-chain/modules/clients/types.ts';
import { ChainBuilder } from '../../../support/chain-builder.ts';
import { type ChopsticksNode, startChopsticks } from '../../../support/chopsticks.ts';
import { expectCode } from '../../../support/errors.ts';
import { MapStore } from '../../../support/kv.ts';
import { makeCtx } from '../../modules/clients/helpers.ts';

const HUB = 'hub-sub-sys';
const CHAIN = 'asset-hub-dev';
const hub = new ChainBuilder({ chainId: HUB, seed: 'substrate-system-hub', powers: [10, 10, 10, 10] });
const PAIRS: [Bytes, Bytes][] = [
  [utf8('pkt/out/asset-hub-dev/app/hub/app/1'), utf8('commitment-1')],
  [utf8('pkt/out/asset-hub-dev/app/hub/app/2'), utf8('commitment-2')],
];

let node: ChopsticksNode;
let rpc: SubstrateRpc;
let alice: Bytes;
let fb: FinalizedBlock;
let state: { entries: [Bytes, Bytes][]; version: 0 | 1 };
let metadata: Hex;
let parentHash: Hex;

beforeAll(async () => {
  node = await startChopsticks();
  rpc = substrateHttpRpc(node.httpUrl);
  const api = await ApiPromise.create({ provider: new HttpProvider(node.httpUrl), noInitWarn: true });
  try {
    const pair = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    alice = pair.publicKey;
    const before = Number(BigInt((await rpc<RpcHeader>('chain_getHeader')).number));
    await api.tx.system.remarkWithEvent(toHex(encodeRemarkPayload(PAIRS))).signAndSend(pair);
    // chopsticks builds a block when a transaction arrives (Batch mode)
    for (let i = 0; i < 100 && Number(BigInt((await rpc<RpcHeader>('chain_getHeader')).number)) === before; i++) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await api.disconnect();
  }
  metadata = await rpc<Hex>('state_getMetadata');
}, 240_000);

afterAll(async () => node?.stop());

describe('substrate on chopsticks: headers and the observer', () => {
  // chopsticks gives its genesis a placeholder hash (0x4545...), so the check starts at block 1
  it('behavior: every header from block 1 to the head, rebuilt from chain_getHeader, hashes to chain_getBlockHash', async () => {
    const head = Number(BigInt((await rpc<RpcHeader>('chain_getHeader')).number));
    expect(head).toBeGreaterThanOrEqual(2);
    for (let n = 1; n <= head; n++) {
      const hash = await rpc<Hex>('chain_getBlockHash', [n]);
      const h = verifiedHeaderFromRpc(await rpc<RpcHeader>('chain_getHeader', [hash]), hash);
      expect(toHex(headerHash(h))).toBe(hash);
      expect(h.number).toBe(n);
    }
    const hash = await rpc<Hex>('chain_getBlockHash', [1]);
    const h = await rpc<RpcHeader>('chain_getHeader', [hash]);
    expectCode(() => verifiedHeaderFromRpc({ ...h, extrinsicsRoot: ZERO_HASH }, hash), SUB_ERR.HEADER_HASH_MISMATCH);
  });

  it('error: an unreachable node and a JSON-RPC error leave as PNT_ERR_SUBSTRATE_RPC_UNAVAILABLE, retryable', async () => {
    for (const p of [substrateHttpRpc('http://127.0.0.1:1', 2000)('chain_getFinalizedHead'), rpc('no_suchMethod')]) {
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e).toMatchObject({ code: SUB_ERR.RPC_UNAVAILABLE, retryable: true });
    }
  });

  it('behavior: the source reads the finalized block and computes its state root from the block storage (the header root is zero)', async () => {
    const source = substrateFinalizedSource(node.httpUrl);
    fb = (await source.fetchFinalized())!;
    const header = await rpc<RpcHeader>('chain_getHeader', [fb.hash]);
    expect(header.stateRoot).toBe(ZERO_HASH);
    parentHash = header.parentHash;
    state = await readFullState(rpc, fb.hash);
    expect(state.version).toBe(0);
    expect(state.entries.some(([k]) => equalBytes(k, systemAccountKey(alice)))).toBe(true);
    expect(fb.stateRoot).toBe(toHex(trieRoot(state.entries, state.version)));
    expect(fb.stateRoot).not.toBe(ZERO_HASH);
    // the node's own trie (its wasm, in chopsticks-core) gives the same root for the same storage
    const { calculateStateRoot } = await import('@acala-network/chopsticks-core');
    expect(await calculateStateRoot(state.entries.map(([k, v]) => [toHex(k) as `0x${string}`, toHex(v) as `0x${string}`]), state.version)).toBe(fb.stateRoot);
    expect(fb.timestamp).toBeGreaterThan(1_600_000_000_000);
    expect(await source.fetchAt(fb.height)).toEqual(fb);
    expect(await source.fetchAt(fb.height + 1)).toBeNull();
    // the block holds alice's remark
    const events = decodeEvents(eventTypeTable(fromHex(metadata)), state.entries.find(([k]) => equalBytes(k, SYSTEM_EVENTS_KEY))![1]);
    expect(events.map(remarkedOf).some((r) => r !== null && equalBytes(r.sender, alice))).toBe(true);
  });
});

describe('substrate on chopsticks: events', () => {
  it("behavior: the table derived from the node's metadata decodes System.Events as @polkadot/api does, and is the table of the module test's vector", async () => {
    const table = eventTypeTable(fromHex(metadata));
    const vector = JSON.parse(readFileSync(new URL('./vectors/statemine-900-remark.json', import.meta.url), 'utf8')) as { tableHash: Hex };
    expect(eventTypeTableHash(table)).toBe(vector.tableHash);
    const ours = decodeEvents(table, state.entries.find(([k]) => equalBytes(k, SYSTEM_EVENTS_KEY))![1]);
    const api = await ApiPromise.create({ provider: new HttpProvider(node.httpUrl), noInitWarn: true });
    try {
      const theirs = (await (await api.at(fb.hash)).query.system.events()) as unknown as { event: { section: string; method: string; data: { toU8a(): Uint8Array }[] }; phase: { isApplyExtrinsic: boolean } }[];
      expect(ours.length).toBe(theirs.length);
      theirs.forEach((e, i) => {
        const o = ours[i] as { event: { variant: string; value: { variant: string } } };
        expect(o.event.variant.toLowerCase()).toBe(e.event.section.toLowerCase());
        expect(o.event.value.variant).toBe(e.event.method);
      });
      const i = theirs.findIndex((e) => e.event.section === 'system' && e.event.method === 'Remarked');
      const r = remarkedOf(ours[i])!;
      expect(toHex(r.sender)).toBe(toHex(theirs[i].event.data[0].toU8a()));
      expect(toHex(r.hash)).toBe(toHex(theirs[i].event.data[1].toU8a()));
    } finally {
      await api.disconnect();
    }
  });
});

describe('substrate on chopsticks: proofs through the client', () => {
  function client() {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hub.validatorSet(1), fb.timestamp + 5000, HUB);
    const table = eventTypeTable(fromHex(metadata));
    const params = { trustingPeriodMs: 86_400_000, maxClockDriftMs: 30_000, trust: { mode: 'attested' }, writers: [toHex(alice)], events: { hash: eventTypeTableHash(table), table } };
    k.create(ctx, CHAIN, 'substrate', params, { height: fb.height - 1, hash: parentHash, stateRoot: ZERO_HASH, timestamp: fb.timestamp - 12_000 });
    const body = { chainId: CHAIN, height: fb.height, hash: fb.hash, stateRoot: fb.stateRoot, receiptsRoot: ZERO_HASH, timestamp: fb.timestamp };
    let last: unknown;
    for (const v of hub.validatorsAt(1).slice(0, 3)) last = k.update(ctx, CHAIN, signAttestation(HUB, body, v.secretKey));
    expect(last).toMatchObject({ kind: 'updated', latestHeight: fb.height });
    return { s, k, ctx };
  }
  const proofOf = (...keys: Bytes[]) => ({ nodes: buildReadProof(state.entries, keys, state.version).map(toHex) });

  it("behavior: System.Account(alice) is proven with the node's value; a never-used account is proven absent", async () => {
    const { s, k, ctx } = client();
    const key = systemAccountKey(alice);
    const value = fromHex(await rpc<Hex>('state_getStorage', [toHex(key), fb.hash]));
    k.verifyMembership(s, CHAIN, fb.height, ctx.now, key, value, proofOf(key));
    const nobody = systemAccountKey(new Uint8Array(32).fill(0x42));
    expect(await rpc<Hex | null>('state_getStorage', [toHex(nobody), fb.hash])).toBeNull();
    k.verifyNonMembership(s, CHAIN, fb.height, ctx.now, nobody, proofOf(nobody));
    expectCode(() => k.verifyNonMembership(s, CHAIN, fb.height, ctx.now, key, proofOf(key)), SUB_ERR.PROOF_KEY_PRESENT);
    expectCode(() => k.verifyMembership(s, CHAIN, fb.height, ctx.now, nobody, value, proofOf(nobody)), SUB_ERR.PROOF_KEY_ABSENT);
  });

  it("behavior: alice's remark_with_event payload is proven pair by pair through System.Events; a pair she did not write is refused", () => {
    const { s, k, ctx } = client();
    const events = decodeEvents(eventTypeTable(fromHex(metadata)), state.entries.find(([kk]) => equalBytes(kk, SYSTEM_EVENTS_KEY))![1]);
    const index = events.findIndex((e) => remarkedOf(e) !== null);
    const proof = { remark: { events: proofOf(SYSTEM_EVENTS_KEY), index, payload: toHex(encodeRemarkPayload(PAIRS)) } };
    for (const [key, value] of PAIRS) k.verifyMembership(s, CHAIN, fb.height, ctx.now, key, value, proof);
    expectCode(() => k.verifyMembership(s, CHAIN, fb.height, ctx.now, PAIRS[0][0], utf8('forged'), proof), SUB_ERR.PROOF_VALUE_MISMATCH);
    expectCode(() => k.verifyNonMembership(s, CHAIN, fb.height, ctx.now, utf8('x'), proof), SUB_ERR.REMARK_NO_ABSENCE);
  });
});
