/**
 * The Substrate writer against chopsticks running the asset-hub runtime: nonces with several
 * transactions in flight and after a nonce used behind the writer's back, dispatch errors named by
 * their module error, the pool's refusals (fees, stale nonce) as adapter codes, and the remark
 * batch round trip (remarkBatch, remarkProof, the proof checked against the block's state root).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { u8aToHex } from '@polkadot/util';
import { blake2AsHex, decodeAddress } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../../adapters/core/checkpoint.ts';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { EventScanner } from '../../adapters/core/scanner.ts';
import type { ChainEvent } from '../../adapters/core/types.ts';
import { SYSTEM_EVENTS_KEY } from '../../adapters/substrate/reader.ts';
import { SubstrateWriter } from '../../adapters/substrate/writer.ts';
import { fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { verifyReadProof } from '../../hub-chain/light-clients/substrate/trie.ts';
import { eventTypeTable } from '../../hub-chain/light-clients/substrate/events.ts';
import { decodeRemarkPayload, verifyRemarkWrite } from '../../hub-chain/light-clients/substrate/remark.ts';
import { type ChopsticksNode, DEV_ACCOUNTS, startChopsticks } from '../support/chopsticks.ts';
import { rejection } from '../support/errors.ts';
import { hangingEndpoint, unreachableEndpoint } from './faulty-rpc.ts';

let node: ChopsticksNode;
let alice: SubstrateWriter;
const opened: SubstrateWriter[] = [];

const writer = (signer: string, extra: Partial<ConstructorParameters<typeof SubstrateWriter>[0]> = {}) => {
  const w = new SubstrateWriter({ url: node.url, chainId: 'substrate-asset-hub', signer, inclusionTimeoutMs: 60_000, ...extra });
  opened.push(w);
  return w;
};
const nextIndex = async (address: string) => Number(await alice.rpc<number>('system_accountNextIndex', [address]));
const remark = (n: number) => ({ pallet: 'system', call: 'remarkWithEvent', args: [`0x${n.toString(16).padStart(8, '0')}`] });

beforeAll(async () => {
  // a block every 500 ms, as a live chain: in Batch mode chopsticks leaves a transaction it could not apply yet in its pool until another one arrives
  node = await startChopsticks({ blockTimeMs: 500 });
  alice = writer('//Alice');
});
afterAll(async () => {
  for (const w of opened) await w.close();
  await node?.stop();
});

describe('substrate writer: nonces', () => {
  it('behavior: several transactions in flight get consecutive nonces and all land', async () => {
    const from = await alice.address();
    const before = await nextIndex(from);
    const receipts = await Promise.all([1, 2, 3, 4, 5].map((i) => alice.send(remark(i))));
    expect(receipts.map((r) => r.nonce).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4].map((i) => before + i));
    expect(new Set(receipts.map((r) => r.txHash)).size).toBe(5);
    for (const r of receipts) expect(await alice.blockHash(r.height)).toBe(r.blockHash);
    expect(await nextIndex(from)).toBe(before + 5);
  });

  it('behavior: a nonce used behind the writer\'s back is re-read from the node and the transaction still lands', async () => {
    const first = await alice.send(remark(10)); // the writer now counts first.nonce + 1 locally
    const other = writer('//Alice'); // another process with the same key takes that nonce
    const taken = await other.send(remark(11));
    expect(taken.nonce).toBe(first.nonce + 1);
    const r = await alice.send(remark(12));
    expect(r.nonce).toBe(first.nonce + 2);
  });

  it('error: a stale nonce fails with a retryable PNT_ERR_ADAPTER_NONCE and nothing is included', async () => {
    const before = await nextIndex(await alice.address());
    expect(before).toBeGreaterThan(0);
    const [r] = await alice.submit([{ ...remark(20), nonce: 0 }]);
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe(AdapterErrorCode.NONCE);
    expect(r.error?.retryable).toBe(true);
    expect(r.height).toBeUndefined();
    expect(await nextIndex(await alice.address())).toBe(before);
  });
});

describe('substrate writer: failures', () => {
  const dispatchCases: { name: string; call: { pallet: string; call: string; args: unknown[] }; section: string; error: RegExp }[] = [
    { name: 'a transfer of more than the balance', call: { pallet: 'balances', call: 'transferKeepAlive', args: [DEV_ACCOUNTS.bob, 10n ** 20n] }, section: 'balances', error: /^(InsufficientBalance|FundsUnavailable)$/ },
    { name: 'an assets call on a missing asset', call: { pallet: 'assets', call: 'transfer', args: [424242, DEV_ACCOUNTS.bob, 1] }, section: 'assets', error: /^(Unknown|NoAccount)$/ },
  ];
  for (const c of dispatchCases) {
    it(`error: ${c.name} is included and reverts with its module error (PNT_ERR_ADAPTER_REVERTED, not retryable)`, async () => {
      const before = await nextIndex(await alice.address());
      const [r] = await alice.submit([c.call]);
      expect(r.status).toBe('reverted');
      expect(r.error).toBeInstanceOf(AdapterError);
      expect(r.error?.code).toBe(AdapterErrorCode.REVERTED);
      expect(r.error?.retryable).toBe(false);
      expect(r.error?.details?.section).toBe(c.section);
      expect(String(r.error?.details?.name)).toMatch(c.error);
      expect(r.height).toBeTypeOf('number');
      expect(await alice.blockHash(r.height!)).toBe(r.blockHash);
      // the fee was paid and the nonce used: the next transaction goes on from there
      expect(await nextIndex(await alice.address())).toBe(before + 1);
      const failed = (await alice.blockEventsAt(r.blockHash!)).find((e) => e.name === 'ExtrinsicFailed');
      expect(failed?.txHash).toBe(r.txHash);
    });
  }

  it('error: an account that cannot pay the fee fails with PNT_ERR_ADAPTER_INSUFFICIENT_FUNDS, not retryable', async () => {
    const pauper = writer('//Pontis-unfunded');
    const [r] = await pauper.submit([remark(30)]);
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe(AdapterErrorCode.INSUFFICIENT_FUNDS);
    expect(r.error?.retryable).toBe(false);
  });

  it('error: a call the runtime lacks, or arguments that do not fit it, are invalid requests', async () => {
    const rs = await alice.submit([
      { pallet: 'system', call: 'noSuchCall' },
      { pallet: 'balances', call: 'transferKeepAlive', args: ['not an account', 1] },
    ]);
    for (const r of rs) {
      expect(r.status).toBe('failed');
      expect(r.error?.code).toBe(AdapterErrorCode.INVALID_REQUEST);
      expect(r.error?.retryable).toBe(false);
    }
  });

  it('error: a bad secret URI is an invalid request that does not echo the secret', async () => {
    const secret = 'seven words that are no bip39 mnemonic at all';
    const w = writer(secret);
    const e = (await rejection(w.send(remark(31)))) as AdapterError;
    expect(e.code).toBe(AdapterErrorCode.INVALID_REQUEST);
    expect(JSON.stringify({ message: e.message, details: e.details, cause: String(e.cause) })).not.toContain('mnemonic at all');
  });

  it('error: a node of another chain (genesis hash) fails with PNT_ERR_ADAPTER_CHAIN_MISMATCH before anything is signed', async () => {
    const w = writer('//Alice', { genesisHash: `0x${'12'.repeat(32)}` });
    const e = (await rejection(w.send(remark(32)))) as AdapterError;
    expect(e.code).toBe(AdapterErrorCode.CHAIN_MISMATCH);
    expect(e.retryable).toBe(false);
    expect(e.details?.served).toBe(await alice.genesisHash());
  });

  it('behavior: waiting for finality resolves with the finalized block', async () => {
    const w = writer('//Bob', { waitFor: 'finalized', tip: 1_000n });
    const r = await w.send(remark(33));
    expect(await w.finalizedHeight()).toBeGreaterThanOrEqual(r.height);
    expect(await w.blockHash(r.height)).toBe(r.blockHash);
  });
});

describe('substrate writer: transport', () => {
  it('error: a writer whose node is unreachable, or never answers, fails retryably and at once, not after the inclusion wait', async () => {
    for (const [make, code] of [
      [unreachableEndpoint, AdapterErrorCode.RPC_UNAVAILABLE],
      [hangingEndpoint, AdapterErrorCode.RPC_TIMEOUT],
    ] as const) {
      const ep = await make();
      try {
        const w = writer('//Alice', { url: ep.url.replace(/^http/, 'ws'), timeoutMs: 300 });
        const t0 = Date.now();
        const [r] = await w.submit([remark(50)]);
        expect(r.status).toBe('failed');
        expect(r.error?.code).toBe(code);
        expect(r.error?.retryable).toBe(true);
        expect(Date.now() - t0).toBeLessThan(5_000);
      } finally {
        await ep.close();
      }
    }
  });

  it('error: losing the node while waiting for inclusion fails with a retryable PNT_ERR_ADAPTER_RPC_UNAVAILABLE naming the transaction', async () => {
    // a chain that builds no block on its own: the transaction waits in the pool until the node goes
    const idle = await startChopsticks({ blockTimeMs: 3_600_000 });
    try {
      const w = writer('//Alice', { url: idle.url });
      const pending = rejection(w.send(remark(51)));
      await expect.poll(async () => (await idle.rpc<unknown[]>('author_pendingExtrinsics')).length, { timeout: 30_000 }).toBe(1);
      await idle.stop();
      const e = (await pending) as AdapterError;
      expect(e.code, e.message).toBe(AdapterErrorCode.RPC_UNAVAILABLE);
      expect(e.retryable).toBe(true);
      expect(e.details?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    } finally {
      await idle.stop();
    }
  });
});

describe('substrate writer: remark batches', () => {
  const pairs: [Uint8Array, Uint8Array][] = [
    [utf8('pontis/packet/1'), utf8('commitment-1')],
    [fromHex('0x00ff'), new Uint8Array(0)],
    [utf8('long'), new Uint8Array(100).fill(7)],
  ];

  it('behavior: remarkBatch writes the pairs and remarkProof proves System.Events against the block state root', async () => {
    const r = await alice.remarkBatch(pairs);
    expect(r.payload.startsWith('0x504e5453')).toBe(true); // "PNTS"
    expect(decodeRemarkPayload(fromHex(r.payload)).map(([k, v]) => [toHex(k), toHex(v)])).toEqual(pairs.map(([k, v]) => [toHex(k), toHex(v)]));

    const proof = await alice.remarkProof(r.blockHash, r.eventIndex);
    expect(proof.index).toBe(r.eventIndex);
    expect(proof.payload).toBe(r.payload);
    const root = await alice.stateRoot(r.blockHash);
    expect(root).not.toBe(`0x${'00'.repeat(32)}`);
    const proven = verifyReadProof(fromHex(root), proof.events.nodes.map((n) => fromHex(n)), fromHex(SYSTEM_EVENTS_KEY));
    const [stored] = await alice.storage([SYSTEM_EVENTS_KEY], r.blockHash);
    expect(proven && toHex(proven)).toBe(stored);

    // the proven list holds, at `index`, the Remarked event of exactly this payload
    const api = await alice.connected();
    const records = api.registry.createType('Vec<EventRecord>', stored) as unknown as { event: { section: string; method: string; data: { toJSON(): unknown[] } } }[];
    const ev = records[proof.index].event;
    expect(`${ev.section}.${ev.method}`).toBe('system.Remarked');
    expect(ev.data.toJSON()[1]).toBe(blake2AsHex(fromHex(r.payload)));

    // and the hub's substrate client accepts each pair from it, and nothing else
    const table = eventTypeTable(fromHex(await alice.rpc<string>('state_getMetadata', [])));
    const writers = [decodeAddress(await alice.address())];
    for (const [k, v] of pairs) verifyRemarkWrite(table, proven!, proof.index, fromHex(proof.payload), writers, k, v);
    const refused = (f: () => void) => {
      try {
        f();
        return 'accepted';
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    expect(refused(() => verifyRemarkWrite(table, proven!, proof.index, fromHex(proof.payload), writers, pairs[0][0], utf8('another value')))).toBe('PNT_ERR_PROOF_VALUE_MISMATCH');
    expect(refused(() => verifyRemarkWrite(table, proven!, proof.index - 1, fromHex(proof.payload), writers, pairs[0][0], pairs[0][1]))).toBe('PNT_ERR_SUBSTRATE_REMARK_INVALID');
    expect(refused(() => verifyRemarkWrite(table, proven!, proof.index, fromHex(proof.payload), [decodeAddress(DEV_ACCOUNTS.bob)], pairs[0][0], pairs[0][1]))).toBe('PNT_ERR_SUBSTRATE_REMARK_INVALID');
    expect(u8aToHex(writers[0])).toBe(u8aToHex(decodeAddress(DEV_ACCOUNTS.alice)));
  });

  it('adversarial: the proof does not verify against another block\'s state root', async () => {
    const r = await alice.remarkBatch([[utf8('a'), utf8('b')]]);
    const proof = await alice.remarkProof(r.blockHash, r.eventIndex);
    const otherRoot = await alice.stateRoot(r.height - 1);
    const outcome = (() => {
      try {
        const v = verifyReadProof(fromHex(otherRoot), proof.events.nodes.map((n) => fromHex(n)), fromHex(SYSTEM_EVENTS_KEY));
        return v === null ? 'absent' : toHex(v);
      } catch (e) {
        return (e as { code?: string }).code;
      }
    })();
    expect(outcome).toMatch(/^PNT_ERR_PROOF_/);
  });

  it('error: remarkProof of an event that is not System.Remarked, or past the list, is an invalid request', async () => {
    const r = await alice.remarkBatch([[utf8('x'), utf8('y')]]);
    const events = await alice.blockEventsAt(r.blockHash);
    const notRemark = events.find((e) => e.name !== 'Remarked')!;
    for (const index of [notRemark.index, events.length + 3]) {
      const e = (await rejection(alice.remarkProof(r.blockHash, index))) as AdapterError;
      expect(e.code).toBe(AdapterErrorCode.INVALID_REQUEST);
    }
  });
});

describe('substrate reader: scanning', () => {
  it('behavior: a finalized-head scan with a file checkpoint resumes after a restart without missing or repeating a remark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-sub-scan-'));
    try {
      const start = (await alice.latestHeight()) + 1;
      const opts = { key: 'sub-remarks', filter: { sources: ['system'], names: ['system.Remarked'], senders: [await alice.address()] }, startHeight: start, maxRange: 2 };
      const got: ChainEvent[] = [];
      const drain = async (s: EventScanner) => {
        for (let i = 0; i < 100; i++) if ((await s.step((b) => got.push(...b.events))).caughtUp) return;
      };
      await Promise.all([40, 41, 42].map((i) => alice.send(remark(i))));
      await drain(new EventScanner(alice, new FileCheckpointStore(dir), opts));
      await Promise.all([43, 44].map((i) => alice.send(remark(i))));
      // a new store over the same directory stands for a restarted process
      await drain(new EventScanner(alice, new FileCheckpointStore(dir), opts));
      expect(got.map((e) => e.args.hash)).toEqual([40, 41, 42, 43, 44].map((i) => blake2AsHex(fromHex(remark(i).args[0]))));
      expect(new Set(got.map((e) => `${e.blockHash}:${e.index}`)).size).toBe(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
