/**
 * The independent verifier (written from docs/spec/ alone) against a real node: a single-validator
 * node runs in this process (LMDB on disk, real consensus, real RPC), takes a few transactions
 * (records, a failing one, governance proposals, one of which changes the validator set), and
 * then everything the RPC serves for blocks 1..N is checked with the independent verifier only:
 * header hashes, commits against the served validator sets, the chain from the genesis file,
 * light-client steps, txRoot, transaction bytes, hashes and signatures, resultsHash (recomputed
 * from the whole block), state proofs in JSON and byte form against header state roots, and the
 * values of core state keys (nonces, records, proposals, params, val/next with its priorities).
 * The project's code only drives the node and signs the transactions sent.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { signTx } from '../../hub-chain/app/tx.ts';
import { accountKeyFromSeed } from '../../hub-chain/crypto/ed25519.ts';
import { initNode } from '../../hub-chain/node/init.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { freeBasePort } from '../e2e/harness.ts';
import * as iv from './independent-verifier.ts';

interface GenesisFile {
  chainId: string;
  genesisTime: number;
  validators: { address?: string; publicKey: string; power: number }[];
  governance: { members: { address: string; weight: number }[] };
  params: Record<string, unknown>;
}
interface StateAnswer {
  key: string;
  height: number;
  root: string;
  exists: boolean;
  value: string | null;
  proof: iv.StateProof;
}

describe('independent verifier against a live node', () => {
  const chainId = 'spec-live-1';
  let dir: string;
  let node: HubNode;
  let url: string;
  let genesis: GenesisFile;
  const blocks = new Map<number, iv.BlockView>();
  const vals = new Map<number, iv.Validator[]>();
  const sent: { what: string; hash: string; height: number; code: string }[] = [];
  let latest = 0;
  let govHeight = 0;
  const user = accountKeyFromSeed(iv.sha256(iv.utf8('pontis-spec/live-user')));
  const greetingKey = iv.toHex(iv.utf8('greeting'));

  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(url + path);
    const j = (await r.json()) as T & { error?: unknown };
    if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(j.error)}`);
    return j;
  };
  const state = (key: Uint8Array, height: number) => get<StateAnswer>(`/state?key=${iv.toHex(key)}&height=${height}&prove=true`);
  const header = (h: number) => blocks.get(h)!.header;

  /** Checks a /state answer against header h's state root (never against the answer's own root), in both proof forms. */
  async function provenValue(keyText: string, height: number): Promise<Uint8Array | undefined> {
    const key = iv.utf8(keyText);
    const a = await state(key, height);
    const root = header(height).stateRoot;
    expect(a.root, `served root at ${height}`).toBe(root);
    for (const proof of [a.proof, iv.encodeProofBytes(a.proof)]) {
      if (a.exists) iv.verifyMembership(root, key, iv.fromHex(a.value), proof);
      else iv.verifyNonMembership(root, key, proof);
    }
    // the opposite claim must fail with the same proof
    expect(() => (a.exists ? iv.verifyNonMembership(root, key, a.proof) : iv.verifyMembership(root, key, new Uint8Array(0), a.proof))).toThrow(iv.SpecError);
    return a.exists ? iv.fromHex(a.value) : undefined;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontis-spec-live-'));
    const base = await freeBasePort(1);
    initNode(dir, { chainId, rpcPort: base, p2pPort: base + 1000 });
    genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')) as GenesisFile;
    const op = JSON.parse(readFileSync(join(dir, 'keys', 'operator_key.json'), 'utf8')) as { seed: string };
    const operator = accountKeyFromSeed(iv.fromHex(op.seed, 32));
    node = HubNode.fromHome(dir, { logger: pino({ level: 'silent' }) });
    await node.start();
    url = node.rpcUrl;
    const client = new HubClient(url);
    await client.waitForHeight(1, 20_000);

    const send = async (what: string, key: typeof user, msgs: Parameters<HubClient['send']>[1], memo?: string) => {
      const { nonce } = await client.account(key.address);
      const { hash } = await client.submit(signTx({ chainId, nonce, msgs, ...(memo !== undefined ? { memo } : {}) }, key));
      const r = await client.waitForTx(hash, 30_000);
      sent.push({ what, hash, height: r.height, code: r.result.code });
      return r;
    };
    await send('records', user, [{ type: 'records/put', entries: [{ key: greetingKey, value: iv.toHex(iv.utf8('hello')) }, { key: '0x', value: '0x' }] }]);
    await send('put and delete, unusual memo', user, [{ type: 'records/put', entries: [{ key: '0x01', value: '0xff' }] }, { type: 'records/delete', keys: ['0x01'] }], 'é\u2028"/\u0001😀\\');
    await send('vote by a non-member', user, [{ type: 'gov/vote', proposalId: 1, approve: true }]);
    const gov = await send('validator power 10 -> 20', operator, [{ type: 'gov/propose', action: { kind: 'set-validators', updates: [{ publicKey: genesis.validators[0].publicKey, power: 20 }] }, description: 'double the power' }]);
    govHeight = gov.height;
    await send('proposal whose action fails', operator, [{ type: 'gov/propose', action: { kind: 'registry/pause-chain', chainId: 'no-such-chain' } }]);
    await client.waitForHeight(govHeight + 3, 30_000);

    latest = (await get<{ latestHeight: number }>('/status')).latestHeight;
    for (let h = 1; h <= latest; h++) blocks.set(h, await get<iv.BlockView>(`/blocks/${h}`));
    for (let h = 1; h <= latest + 1; h++) vals.set(h, (await get<{ validators: iv.Validator[] }>(`/validators?height=${h}`)).validators);
  });

  afterAll(async () => {
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the transactions were committed with the expected codes', () => {
    expect(sent.map((s) => s.code)).toEqual(['ok', 'ok', 'PNT_ERR_GOV_NOT_MEMBER', 'ok', 'ok']);
  });

  it('every block from height 1 checks out: header hash, chain from genesis, commit, txRoot, transactions, evidenceHash, resultsHash', () => {
    expect(latest).toBeGreaterThanOrEqual(govHeight + 3);
    const g = iv.genesisSet(genesis.validators.map((v) => ({ address: v.address ?? '', publicKey: v.publicKey, power: v.power })));
    expect(iv.canonicalSet(vals.get(1)!)).toEqual(g.validators);
    let prev: { header: iv.Header; validators: iv.Validator[] } | undefined;
    let txs = 0;
    for (let h = 1; h <= latest; h++) {
      const b = blocks.get(h)!;
      const r = iv.verifyBlock(b, { chainId, prev, genesisTime: genesis.genesisTime, validators: vals.get(h)!, nextValidators: vals.get(h + 1)! });
      expect(r.signedPower).toBe(iv.totalPower(vals.get(h)!));
      txs += b.txs.length;
      prev = { header: b.header, validators: vals.get(h)! };
    }
    expect(txs).toBe(sent.length);
    for (const s of sent) {
      const b = blocks.get(s.height)!;
      const t = b.txs.find((x) => x.hash === s.hash);
      expect(t?.result.code, s.what).toBe(s.code);
    }
    // a failing transaction's log is served but not committed: resultsHash was recomputed without it
    const failed = sent.find((s) => s.code !== 'ok')!;
    expect(blocks.get(failed.height)!.txs.find((x) => x.hash === failed.hash)!.result.log).toBeTypeOf('string');
  });

  it('the validator change passed in block H is named by header H+1 and signs from H+2', () => {
    const before = header(govHeight + 1);
    expect(before.validatorsHash).toBe(header(govHeight).nextValidatorsHash);
    expect(before.nextValidatorsHash).not.toBe(before.validatorsHash);
    expect(header(govHeight + 2).validatorsHash).toBe(before.nextValidatorsHash);
    expect(vals.get(govHeight + 1)![0].power).toBe(10);
    expect(vals.get(govHeight + 2)![0].power).toBe(20);
  });

  it('a light client follows the chain from the genesis root, adjacent and skipping', () => {
    const opts = { trustingPeriodMs: 14 * 86_400_000, maxClockDriftMs: 10_000, now: Date.now() };
    const b1 = blocks.get(1)!;
    // genesis.md trust root: height 1 signed by the genesis set, zero prevHash
    expect(b1.header.prevHash).toBe(iv.ZERO_HASH);
    expect(iv.validatorSetHash(genesis.validators.map((v) => ({ address: v.address ?? '', publicKey: v.publicKey, power: v.power })))).toBe(b1.header.validatorsHash);
    iv.verifyCommit(chainId, vals.get(1)!, b1.commit, 1, iv.headerHash(b1.header));
    const root: iv.TrustedState = { header: b1.header, validators: vals.get(1)!, nextValidators: vals.get(2)! };
    let trusted = root;
    for (let h = 2; h <= latest; h++) trusted = iv.verifyHeader(trusted, blocks.get(h)!, vals.get(h)!, vals.get(h + 1)!, opts);
    // one skip from height 1 to the latest, across the power change
    const skipped = iv.verifyHeader(root, blocks.get(latest)!, vals.get(latest)!, vals.get(latest + 1)!, opts);
    expect(skipped.header.height).toBe(latest);
    // a header altered after signing is refused
    const forged = { ...blocks.get(latest)!, header: { ...header(latest), stateRoot: iv.ZERO_HASH } };
    expect(() => iv.verifyHeader(root, forged, vals.get(latest)!, vals.get(latest + 1)!, opts)).toThrow(/PNT_ERR_LC_INVALID_COMMIT/);
  });

  it('genesis state at height 1 is what genesis.md says, proven against header 1', async () => {
    const text = async (k: string) => Buffer.from((await provenValue(k, 1))!).toString('utf8');
    expect(await text('gov/members')).toBe(iv.canonicalJson({ members: genesis.governance.members }));
    expect(await text('gov/next-id')).toBe('1');
    expect(await text('params')).toBe(iv.canonicalJson(genesis.params));
    const g = iv.canonicalSet(genesis.validators.map((v) => ({ address: v.address ?? '', publicKey: v.publicKey, power: v.power })));
    expect(await text('val/scheduled')).toBe(iv.canonicalJson(g));
  });

  it('val/next at every height names the next set, with priorities recomputed from the spec rules', async () => {
    let set = iv.genesisSet(genesis.validators.map((v) => ({ address: v.address ?? '', publicKey: v.publicKey, power: v.power })));
    for (let h = 1; h <= latest; h++) {
      const pending = h >= 2 ? await provenValue(iv.stateKeys.pendingValidators(h + 1), h - 1) : undefined;
      set = iv.nextValidators(set, pending ? (JSON.parse(Buffer.from(pending).toString('utf8')) as iv.Validator[]) : undefined);
      const rec = iv.checkNextValidatorsRecord((await provenValue('val/next', h))!, header(h));
      expect(rec.priorities, `height ${h}`).toEqual(set.priorities);
      expect(iv.canonicalSet(vals.get(h + 1)!)).toEqual(rec.validators);
    }
  });

  it('records, nonces and proposals are proven at the heights that wrote them', async () => {
    const [put, putDelete, failed] = sent;
    const rec = (hexKey: string) => iv.stateKeys.record(user.address, hexKey);
    expect(await provenValue(rec(greetingKey), put.height - 1)).toBeUndefined();
    expect(Buffer.from((await provenValue(rec(greetingKey), put.height))!).toString('utf8')).toBe('hello');
    expect(await provenValue(rec('0x'), latest)).toEqual(new Uint8Array(0));
    expect(await provenValue(rec('0x01'), putDelete.height)).toBeUndefined();
    // the failing transaction still used a nonce
    expect(Buffer.from((await provenValue(iv.stateKeys.account(user.address), failed.height))!).toString('utf8')).toBe('{"nonce":3}');
    const p1 = JSON.parse(Buffer.from((await provenValue(iv.stateKeys.proposal(1), latest))!).toString('utf8')) as { status: string; submitHeight: number };
    expect(p1).toMatchObject({ status: 'executed', submitHeight: govHeight });
    const p2 = JSON.parse(Buffer.from((await provenValue(iv.stateKeys.proposal(2), latest))!).toString('utf8')) as { status: string; result: string };
    expect(p2.status).toBe('failed');
    expect(p2.result).toMatch(/^PNT_ERR_CHAIN_UNKNOWN: /);
    const pending = await provenValue(iv.stateKeys.pendingValidators(govHeight + 2), govHeight);
    expect(iv.validatorSetHash(JSON.parse(Buffer.from(pending!).toString('utf8')) as iv.Validator[])).toBe(header(govHeight + 1).nextValidatorsHash);
    expect(await provenValue('no/such/key', latest)).toBeUndefined();
  });

  it('a tampered state answer is refused', async () => {
    const key = iv.utf8(iv.stateKeys.account(user.address));
    const a = await state(key, latest);
    const root = header(latest).stateRoot;
    expect(() => iv.verifyMembership(root, key, iv.utf8('{"nonce":99}'), a.proof)).toThrow(/PNT_ERR_PROOF_INVALID/);
    expect(() => iv.verifyMembership(header(latest - 1).stateRoot, key, iv.fromHex(a.value), a.proof)).toThrow(/PNT_ERR_PROOF_INVALID/);
    const bytes = iv.encodeProofBytes(a.proof);
    bytes[bytes.length - 1] ^= 1;
    expect(() => iv.verifyMembership(root, key, iv.fromHex(a.value), bytes)).toThrow(/PNT_ERR_PROOF_INVALID/);
  });

  it('each transaction result served with ?prove=true checks against its verified header, and a changed result does not', async () => {
    for (const s of sent) {
      const t = await get<{ height: number; result: iv.TxResult; proof: { index: number; total: number; siblings: string[] } }>(`/txs/${s.hash}?prove=true`);
      expect(t.height).toBe(s.height);
      iv.verifyTxResult(header(t.height).resultsHash, t.result, t.proof);
      expect(t.result.hash).toBe(s.hash);
      expect(() => iv.verifyTxResult(header(t.height).resultsHash, { ...t.result, code: t.result.code === 'ok' ? 'PNT_ERR_X' : 'ok' }, t.proof)).toThrow(/PNT_ERR_RESULT_PROOF_INVALID/);
    }
    // a header served alone is the one in the block
    const h = await get<{ hash: string; header: iv.Header }>(`/headers/${latest}`);
    expect(iv.headerHash(h.header)).toBe(h.hash);
    expect(h.hash).toBe(blocks.get(latest)!.hash);
  });
});
