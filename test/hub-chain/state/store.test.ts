import { afterEach, describe, expect, it } from 'vitest';
import { ZERO_HASH } from '../../../hub-chain/crypto/bytes.ts';
import { verifyMembership, verifyNonMembership } from '../../../hub-chain/state/proof.ts';
import { StateStore } from '../../../hub-chain/state/store.ts';
import { dec, enc, keysSharingPrefix, referenceRoot, tempEnv, type TempEnv } from './helpers.ts';
import { codeOf } from '../../support/errors.ts';

const envs: TempEnv[] = [];
function fresh(): TempEnv {
  const t = tempEnv();
  envs.push(t);
  return t;
}
afterEach(async () => {
  for (const t of envs.splice(0)) await t.close();
});

/** Commits `writes` (value undefined = delete) as the next version and returns the root. */
async function commitWrites(store: StateStore, writes: [string, string | undefined][]): Promise<string> {
  const ws = store.working();
  for (const [k, v] of writes) {
    if (v === undefined) ws.delete(enc(k));
    else ws.set(enc(k), enc(v));
  }
  return store.commit(ws, store.latestVersion() + 1);
}

function expectProven(store: StateStore, version: number, key: string, value: string | undefined): void {
  const root = store.root(version);
  const r = store.getWithProof(enc(key), version);
  expect(dec(r.value), `${key}@${version}`).toBe(value);
  expect(dec(store.get(enc(key), version)), `${key}@${version} get`).toBe(value);
  if (value === undefined) verifyNonMembership(root, enc(key), r.proof);
  else verifyMembership(root, enc(key), enc(value), r.proof);
}

describe('StateStore', () => {
  it('behavior: proofs verify at the latest and at older versions while values change between versions', async () => {
    const store = StateStore.open(fresh().env);
    const base: [string, string][] = Array.from({ length: 200 }, (_, i) => [`k/${i}`, `v${i}`]);
    const r1 = await commitWrites(store, base);
    const r2 = await commitWrites(store, [['k/1', 'changed'], ['k/2', undefined], ['new', 'n']]);
    const r3 = await commitWrites(store, [['k/1', 'again'], ['k/2', 'back']]);
    expect(new Set([r1, r2, r3]).size).toBe(3);
    expect(store.latestVersion()).toBe(3);
    expect([store.root(1), store.root(2), store.root(3), store.root()]).toEqual([r1, r2, r3, r3]);
    for (const [v, k, val] of [
      [1, 'k/1', 'v1'], [2, 'k/1', 'changed'], [3, 'k/1', 'again'],
      [1, 'k/2', 'v2'], [2, 'k/2', undefined], [3, 'k/2', 'back'],
      [1, 'new', undefined], [2, 'new', 'n'], [3, 'new', 'n'],
      [3, 'k/150', 'v150'], [0, 'k/1', undefined],
    ] as [number, string, string | undefined][]) {
      expectProven(store, v, k, val);
    }
    // a historical proof does not verify against another version's root
    const old = store.getWithProof(enc('k/1'), 1);
    expect(codeOf(() => verifyMembership(r3, enc('k/1'), enc('v1'), old.proof))).toBe('PNT_ERR_PROOF_INVALID');
  });

  it('behavior: the root equals a from-the-definition reference root, and insert then delete restores the previous root', async () => {
    const store = StateStore.open(fresh().env);
    const model = new Map<string, Uint8Array>();
    const ws = store.working();
    for (let i = 0; i < 500; i++) {
      ws.set(enc(`r/${i}`), enc(`x${i}`));
      model.set(Buffer.from(enc(`r/${i}`)).toString('latin1'), enc(`x${i}`));
    }
    const r1 = await store.commit(ws, 1);
    expect(r1).toBe(referenceRoot(model));
    const [a, b] = keysSharingPrefix(24);
    const ws2 = store.working();
    ws2.set(a, enc('A'));
    ws2.set(b, enc('B'));
    ws2.set(enc('r/1'), enc('changed'));
    expect(ws2.root()).not.toBe(r1);
    const r2 = await store.commit(ws2, 2);
    const ws3 = store.working();
    ws3.delete(a);
    ws3.delete(b);
    ws3.set(enc('r/1'), enc('x1'));
    expect(await store.commit(ws3, 3)).toBe(r1);
    expect(r2).not.toBe(r1);
    // within one working state too: writes undone before the root is taken leave it unchanged
    const ws4 = store.working();
    ws4.set(enc('tmp'), enc('1'));
    expect(ws4.root()).not.toBe(r1);
    ws4.delete(enc('tmp'));
    expect(ws4.root()).toBe(r1);
  });

  it('behavior: the same writes in a different order, or in several blocks, give the same root', async () => {
    const writes: [string, string][] = Array.from({ length: 400 }, (_, i) => [`o/${(i * 7919) % 400}`, `v${i % 13}`]);
    const a = StateStore.open(fresh().env);
    const b = StateStore.open(fresh().env);
    const c = StateStore.open(fresh().env);
    const ra = await commitWrites(a, writes);
    const rb = await commitWrites(b, [...writes].reverse());
    await commitWrites(c, writes.slice(0, 150));
    await commitWrites(c, writes.slice(150, 151));
    const rc = await commitWrites(c, writes.slice(151));
    expect(rb).toBe(ra);
    expect(rc).toBe(ra);
  });

  it('behavior: an empty value is stored and proven, distinct from a delete', async () => {
    const store = StateStore.open(fresh().env);
    await commitWrites(store, [['empty', ''], ['gone', 'x']]);
    await commitWrites(store, [['gone', undefined]]);
    expect(store.get(enc('empty'))).toEqual(new Uint8Array(0));
    expect(store.get(enc('gone'))).toBeUndefined();
    expectProven(store, 2, 'empty', '');
    expectProven(store, 2, 'gone', undefined);
    expectProven(store, 1, 'gone', 'x');
  });

  it('behavior: a working state reads its own writes and sees nothing of another working state', async () => {
    const store = StateStore.open(fresh().env);
    await commitWrites(store, [['a', '1'], ['b', '2']]);
    const w1 = store.working();
    const w2 = store.working();
    w1.set(enc('a'), enc('one'));
    w1.delete(enc('b'));
    w1.set(enc('c'), enc('3'));
    expect(dec(w1.get(enc('a')))).toBe('one');
    expect(w1.get(enc('b'))).toBeUndefined();
    expect(dec(w1.get(enc('c')))).toBe('3');
    expect(dec(w2.get(enc('a')))).toBe('1');
    expect(dec(w2.get(enc('b')))).toBe('2');
    expect(w2.get(enc('c'))).toBeUndefined();
    expect(dec(store.get(enc('a')))).toBe('1');
    expect(w1.baseVersion).toBe(1);
    // the root is memoised until the next write
    const r = w1.root();
    expect(w1.root()).toBe(r);
    w1.set(enc('d'), enc('4'));
    expect(w1.root()).not.toBe(r);
  });

  it('error: of two working states on the same base, the second to commit is rejected as stale', async () => {
    const store = StateStore.open(fresh().env);
    await commitWrites(store, [['x', '0']]);
    const w1 = store.working();
    const w2 = store.working();
    w1.set(enc('x'), enc('1'));
    w2.set(enc('x'), enc('2'));
    const r2 = w2.root();
    await store.commit(w1, 2);
    await expect(store.commit(w2, 3)).rejects.toMatchObject({ code: 'PNT_ERR_STATE_STALE_WORKING' });
    expect(codeOf(() => store.commitInTxn(w2, 2))).toBe('PNT_ERR_STATE_STALE_WORKING');
    expect(dec(store.get(enc('x')))).toBe('1');
    expect(store.latestVersion()).toBe(2);
    // a stale working state still answers from its own base
    expect(dec(w2.get(enc('x')))).toBe('2');
    expect(w2.root()).toBe(r2);
    expect(codeOf(() => [...w2.entries(enc(''))])).toBe('PNT_ERR_STATE_STALE_WORKING');
  });

  it('error: commit versions other than latest + 1 are refused', async () => {
    const store = StateStore.open(fresh().env);
    const ws = store.working();
    ws.set(enc('a'), enc('1'));
    expect(codeOf(() => store.commitInTxn(ws, 2))).toBe('PNT_ERR_STATE_BAD_VERSION');
    expect(codeOf(() => store.commitInTxn(ws, 0))).toBe('PNT_ERR_STATE_BAD_VERSION');
    expect(store.commitInTxn(ws, 1)).toBe(store.root(1));
  });

  it('behavior: commitInTxn inside the caller transaction is atomic with the caller writes; an aborted block leaves nothing', async () => {
    const t = fresh();
    const store = StateStore.open(t.env);
    const blocks = t.env.openDB<string, number>({ name: 'blocks', keyEncoding: 'uint32' });
    await commitWrites(store, [['a', '1']]);
    const r1 = store.root();
    const ws = store.working();
    ws.set(enc('a'), enc('2'));
    ws.set(enc('b'), enc('new'));
    const expected = ws.root();
    expect(() =>
      t.env.transactionSync(() => {
        blocks.putSync(2, 'block 2');
        store.commitInTxn(ws, 2);
        throw new Error('crash before the block is final');
      }),
    ).toThrow('crash before');
    expect(store.latestVersion()).toBe(1);
    expect(store.root()).toBe(r1);
    expect(blocks.get(2)).toBeUndefined();
    expect(dec(store.get(enc('a')))).toBe('1');
    // a different block at the same height commits cleanly afterwards (no leftovers from the aborted one)
    const other = store.working();
    other.set(enc('a'), enc('3'));
    const r2 = t.env.transactionSync(() => {
      blocks.putSync(2, 'block 2b');
      return store.commitInTxn(other, 2);
    });
    expect(store.root(2)).toBe(r2);
    expectProven(store, 2, 'a', '3');
    expectProven(store, 2, 'b', undefined);
    expect(r2).not.toBe(expected);
  });

  it('behavior: state, roots and proofs survive closing and reopening the environment', async () => {
    const t = fresh();
    let store = StateStore.open(t.env, { retainVersions: 5 });
    const roots: string[] = [];
    for (let v = 1; v <= 4; v++) roots.push(await commitWrites(store, [[`k${v}`, `v${v}`], ['shared', `s${v}`]]));
    await t.reopen();
    store = StateStore.open(t.env, { retainVersions: 5 });
    expect(store.latestVersion()).toBe(4);
    expect([1, 2, 3, 4].map((v) => store.root(v))).toEqual(roots);
    for (let v = 1; v <= 4; v++) {
      expectProven(store, v, 'shared', `s${v}`);
      expectProven(store, v, `k${v}`, `v${v}`);
      expectProven(store, v, `k${v + 1}`, undefined);
    }
    const r5 = await commitWrites(store, [['k5', 'v5']]);
    expect(store.root()).toBe(r5);
    expectProven(store, 5, 'k1', 'v1');
  });

  it('behavior: versions older than the retention window answer PRUNED; unknown versions answer UNKNOWN', async () => {
    const store = StateStore.open(fresh().env, { retainVersions: 3 });
    for (let v = 1; v <= 6; v++) await commitWrites(store, [['k', `v${v}`], [`only${v}`, 'x']]);
    expect(store.oldestVersion()).toBe(4);
    for (const v of [0, 1, 2, 3]) {
      expect(codeOf(() => store.root(v))).toBe('PNT_ERR_STATE_VERSION_PRUNED');
      expect(codeOf(() => store.get(enc('k'), v))).toBe('PNT_ERR_STATE_VERSION_PRUNED');
      expect(codeOf(() => store.getWithProof(enc('k'), v))).toBe('PNT_ERR_STATE_VERSION_PRUNED');
    }
    for (const v of [7, -1, 1.5, Number.NaN]) expect(codeOf(() => store.root(v))).toBe('PNT_ERR_STATE_VERSION_UNKNOWN');
    for (const v of [4, 5, 6]) {
      expectProven(store, v, 'k', `v${v}`);
      expectProven(store, v, 'only1', 'x');
      expectProven(store, v, `only${v}`, 'x');
    }
  });

  it('behavior: under repeated overwrites with pruning on, the LMDB record count stops growing', async () => {
    const store = StateStore.open(fresh().env, { retainVersions: 4 });
    const keys = Array.from({ length: 300 }, (_, i) => `hot/${i}`);
    const counts: number[] = [];
    for (let v = 1; v <= 40; v++) {
      // the same keys every version, a tenth of them deleted and restored in turn; every 7th value too big to sit in its page
      const writes: [string, string | undefined][] = keys.map((k, i) => [k, i % 10 === v % 10 ? undefined : `${k}@${v}`.padEnd(i % 7 === 0 ? 600 : 0, '.')]);
      await commitWrites(store, writes);
      const c = store.recordCounts();
      counts.push(c.nodes + c.values + c.stale + c.roots);
    }
    const settled = Math.max(...counts.slice(8, 12));
    expect(Math.max(...counts.slice(12))).toBeLessThanOrEqual(settled * 1.05);
    expect(store.recordCounts().roots).toBe(4);
    for (let v = 37; v <= 40; v++) {
      expectProven(store, v, 'hot/3', v % 10 === 3 ? undefined : `hot/3@${v}`);
      expectProven(store, v, 'hot/4', v % 10 === 4 ? undefined : `hot/4@${v}`);
    }
    // without pruning it would have kept growing
    const keepAll = StateStore.open(fresh().env);
    for (let v = 1; v <= 12; v++) await commitWrites(keepAll, keys.map((k) => [k, `${k}@${v}`]));
    const c = keepAll.recordCounts();
    expect(c.nodes + c.values).toBeGreaterThan(counts[11]);
  });

  it('behavior: a value set, changed, then set back stays provable at every retained version after pruning', async () => {
    const store = StateStore.open(fresh().env, { retainVersions: 2 });
    const filler: [string, string][] = Array.from({ length: 50 }, (_, i) => [`f/${i}`, 'f']);
    const r1 = await commitWrites(store, [['k', 'A'], ...filler]);
    await commitWrites(store, [['k', 'B']]);
    const r3 = await commitWrites(store, [['k', 'A']]);
    expect(r3).toBe(r1); // same content as version 1: a content-addressed store would share (and then prune) its nodes
    await commitWrites(store, [['other', 'x']]);
    await commitWrites(store, [['other2', 'y']]);
    expect(store.oldestVersion()).toBe(4);
    expectProven(store, 4, 'k', 'A');
    expectProven(store, 5, 'k', 'A');
    expectProven(store, 5, 'f/7', 'f');
    await commitWrites(store, [['k', 'B']]);
    await commitWrites(store, [['k', 'A']]);
    expectProven(store, 6, 'k', 'B');
    expectProven(store, 7, 'k', 'A');
  });

  it('behavior: values moving between inline (<= 512 bytes) and separate storage stay readable and provable across pruning', async () => {
    const store = StateStore.open(fresh().env, { retainVersions: 3 });
    const small = 's'.repeat(512);
    const big = 'B'.repeat(513);
    const sizes = [small, big, 'x', big + '2', '', small + ''];
    for (const [i, v] of sizes.entries()) await commitWrites(store, [['k', v], [`pad/${i}`, big], ['single-big', i % 2 ? big : small]]);
    for (let v = 4; v <= 6; v++) {
      expectProven(store, v, 'k', sizes[v - 1]);
      expectProven(store, v, 'pad/1', big);
      expectProven(store, v, 'single-big', (v - 1) % 2 ? big : small);
    }
    await commitWrites(store, [['k', undefined]]);
    for (let i = 0; i < 4; i++) await commitWrites(store, [[`later/${i}`, 'x']]);
    expectProven(store, 11, 'k', undefined);
    expectProven(store, 11, 'pad/3', big);
    // the one-key tree keeps a big value apart and a small one in the root record
    const solo = StateStore.open(fresh().env);
    await commitWrites(solo, [['only', big]]);
    await commitWrites(solo, [['only', '']]);
    expectProven(solo, 1, 'only', big);
    expectProven(solo, 2, 'only', '');
  });

  it('error: a stored page whose bytes were altered is refused as corrupt instead of producing proofs', async () => {
    const t = fresh();
    const store = StateStore.open(t.env);
    await commitWrites(store, Array.from({ length: 300 }, (_, i) => [`c/${i}`, `v${i}`] as [string, string]));
    const nodes = t.env.openDB<Buffer, Buffer>({ name: 'state.nodes', keyEncoding: 'binary', encoding: 'binary' });
    const deepest = [...nodes.getRange({})].sort((a, b) => b.key.length - a.key.length)[0];
    const bad = Buffer.from(deepest.value);
    bad[bad.length - 1] ^= 1;
    nodes.putSync(deepest.key, bad);
    const reader = StateStore.open(t.env); // fresh caches: pages come from LMDB
    const codes = new Set<string | undefined>();
    for (let i = 0; i < 300; i++) codes.add(codeOf(() => reader.getWithProof(enc(`c/${i}`), 1)));
    expect(codes).toContain('PNT_ERR_STATE_CORRUPT');
  });

  it('behavior: entries(prefix) merges committed and pending writes in key order', async () => {
    const store = StateStore.open(fresh().env);
    await commitWrites(store, [['p/b', '1'], ['p/d', '2'], ['p/f', '3'], ['q/a', 'x'], ['p', 'root'], ['o/z', 'y']]);
    const ws = store.working();
    ws.set(enc('p/a'), enc('new'));
    ws.set(enc('p/d'), enc('changed'));
    ws.delete(enc('p/f'));
    ws.set(enc('p/g'), enc(''));
    ws.delete(enc('p/zz'));
    const list = (prefix: string) => [...ws.entries(enc(prefix))].map(([k, v]) => `${dec(k)}=${dec(v)}`);
    expect(list('p/')).toEqual(['p/a=new', 'p/b=1', 'p/d=changed', 'p/g=']);
    expect(list('p')).toEqual(['p=root', 'p/a=new', 'p/b=1', 'p/d=changed', 'p/g=']);
    expect(list('')).toEqual(['o/z=y', 'p=root', 'p/a=new', 'p/b=1', 'p/d=changed', 'p/g=', 'q/a=x']);
    expect(list('zz')).toEqual([]);
    // a prefix ending in 0xff has no simple upper bound
    await commitWrites(store, [['\u00ff', 'a']]);
    const w2 = store.working();
    const bin = (b: number[]) => Uint8Array.from(b);
    w2.set(bin([0xff, 0xff, 1]), enc('b'));
    w2.set(bin([0xff, 0xfe]), enc('c'));
    expect([...w2.entries(bin([0xff, 0xff]))].map(([k]) => Array.from(k))).toEqual([[0xff, 0xff, 1]]);
  });

  it('error: keys must be 1..1024 bytes and values at most 1 MiB', async () => {
    const store = StateStore.open(fresh().env);
    const ws = store.working();
    expect(codeOf(() => ws.set(new Uint8Array(0), enc('v')))).toBe('PNT_ERR_STATE_KEY_INVALID');
    expect(codeOf(() => ws.set(new Uint8Array(1025), enc('v')))).toBe('PNT_ERR_STATE_KEY_INVALID');
    expect(codeOf(() => ws.set('k' as unknown as Uint8Array, enc('v')))).toBe('PNT_ERR_STATE_KEY_INVALID');
    expect(codeOf(() => ws.set(enc('k'), new Uint8Array(1024 * 1024 + 1)))).toBe('PNT_ERR_STATE_VALUE_INVALID');
    expect(codeOf(() => ws.delete(new Uint8Array(0)))).toBe('PNT_ERR_STATE_KEY_INVALID');
    expect(codeOf(() => store.get(new Uint8Array(2000)))).toBe('PNT_ERR_STATE_KEY_INVALID');
    const bigKey = new Uint8Array(1024).fill(7);
    const bigValue = new Uint8Array(1024 * 1024).fill(9);
    ws.set(bigKey, bigValue);
    await store.commit(ws, 1);
    expect(Buffer.compare(store.get(bigKey)!, bigValue)).toBe(0);
    const { value, proof } = store.getWithProof(bigKey, 1);
    expect(Buffer.compare(value!, bigValue)).toBe(0);
    verifyMembership(store.root(1), bigKey, bigValue, proof);
  });

  it('behavior: an empty store is at version 0 with the zero root, and an empty block keeps the root', async () => {
    const store = StateStore.open(fresh().env);
    expect(store.latestVersion()).toBe(0);
    expect(store.oldestVersion()).toBe(0);
    expect(store.root()).toBe(ZERO_HASH);
    expect(await store.commit(store.working(), 1)).toBe(ZERO_HASH);
    const r = await commitWrites(store, [['a', '1']]);
    expect(await store.commit(store.working(), 3)).toBe(r);
    const ws = store.working();
    ws.set(enc('a'), enc('1')); // same value: no change
    ws.delete(enc('never'));
    expect(ws.root()).toBe(r);
    expect(await store.commit(ws, 4)).toBe(r);
    expectProven(store, 4, 'a', '1');
  });
});

describe('StateStore index records (idx/)', () => {
  it('behavior: idx/ keys commit with their version but outside the tree: no root change, no proof, not in snapshots, latest value only', async () => {
    const store = StateStore.open(fresh().env);
    const r1 = await commitWrites(store, [['k/a', '1']]);
    // a version that writes only index records has the same root as one that writes nothing
    const r2 = await commitWrites(store, [['idx/s/1', 'first'], ['idx/s/2', 'two']]);
    expect(r2).toBe(r1);
    expect(dec(store.get(enc('idx/s/1')))).toBe('first');
    const r3 = await commitWrites(store, [['idx/s/1', 'second'], ['idx/s/2', undefined], ['k/b', '2']]);
    expect(r3).toBe(await (async () => {
      const other = StateStore.open(fresh().env);
      await commitWrites(other, [['k/a', '1']]);
      return commitWrites(other, [['k/b', '2']]);
    })());
    // latest value only, whatever version is asked for; index keys are never provable
    expect(dec(store.get(enc('idx/s/1'), 2))).toBe('second');
    expect(store.get(enc('idx/s/2'))).toBeUndefined();
    expect(codeOf(() => store.getWithProof(enc('idx/s/1'), 3))).toBe('PNT_ERR_STATE_NOT_PROVABLE');
    expectProven(store, 3, 'k/b', '2');
    // a working state reads its own pending index writes, and scans see the index or the tree by prefix
    const ws = store.working();
    ws.set(enc('idx/s/3'), enc('three'));
    ws.set(enc('k/c'), enc('3'));
    expect(dec(ws.get(enc('idx/s/3')))).toBe('three');
    expect([...ws.entries(enc('idx/s/'))].map(([k]) => dec(k))).toEqual(['idx/s/1', 'idx/s/3']);
    expect([...ws.entries(enc(''))].map(([k]) => dec(k))).toEqual(['k/a', 'k/b', 'k/c']);
    // discarded with its working state
    expect(store.get(enc('idx/s/3'))).toBeUndefined();
    const snap = store.openSnapshot();
    try {
      expect([...snap.entries()].map((e) => e.key.toString('utf8'))).toEqual(['k/a', 'k/b']);
    } finally {
      snap.close();
    }
  });
});
