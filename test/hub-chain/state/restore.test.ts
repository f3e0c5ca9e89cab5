/**
 * State sync's storage half: a snapshot read in one LMDB read transaction stays at its version
 * while commits go on, and restoring it into an empty store gives the same root, values and
 * proofs at that version, refuses older versions, and takes the next block's commit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../hub-chain/crypto/bytes.ts';
import { StateStore } from '../../../hub-chain/state/store.ts';
import { verifyMembership, verifyNonMembership } from '../../../hub-chain/state/proof.ts';
import { dec, enc, prng, tempEnv, type TempEnv } from './helpers.ts';

describe('state snapshots and restore', () => {
  const envs: TempEnv[] = [];
  const env = () => {
    const e = tempEnv();
    envs.push(e);
    return e;
  };
  afterEach(async () => {
    for (const e of envs.splice(0)) await e.close();
  });

  type Ops = [Uint8Array, Uint8Array | undefined][];
  function ops(version: number, rnd: () => number, n: number): Ops {
    return Array.from({ length: n }, () => {
      const k = Math.floor(rnd() * 3000);
      const del = rnd() < 0.15;
      // some values above the inline limit (512 bytes), which live in records of their own
      return [enc(`k/${k}`), del ? undefined : enc(`v${version}/${k}/${'x'.repeat(Math.floor(rnd() * 900))}`)];
    });
  }
  function apply(store: StateStore, version: number, list: Ops): void {
    const ws = store.working();
    for (const [k, v] of list) v === undefined ? ws.delete(k) : ws.set(k, v);
    store.commitInTxn(ws, version);
  }
  const fill = (store: StateStore, version: number, rnd: () => number, n: number) => apply(store, version, ops(version, rnd, n));

  it('behavior: a snapshot keeps its version while commits go on; restored elsewhere it has the same root, values and proofs, and takes the next commit', async () => {
    const a = env();
    const src = StateStore.open(a.env);
    const rnd = prng(7);
    for (let v = 1; v <= 5; v++) fill(src, v, rnd, 400);
    const snap = src.openSnapshot();
    expect(snap.version).toBe(5);
    expect(snap.root).toBe(src.root(5));
    const sixth = ops(6, rnd, 400);
    apply(src, 6, sixth); // a commit while the snapshot is open
    const b = env();
    const dst = StateStore.open(b.env);
    const ws = dst.restoreWorking(5);
    let n = 0;
    for (const { key, value } of snap.entries()) {
      ws.set(key, value);
      n++;
    }
    snap.close();
    expect(n).toBeGreaterThan(1000);
    expect(dst.commitRestoredInTxn(ws, 5)).toBe(src.root(5));
    expect(dst.latestVersion()).toBe(5);
    expect(dst.root(5)).toBe(src.root(5));
    for (let k = 0; k < 3000; k += 37) {
      const key = enc(`k/${k}`);
      expect(dec(dst.get(key))).toBe(dec(src.get(key, 5)));
      const { value, proof } = dst.getWithProof(key, 5);
      if (value === undefined) verifyNonMembership(src.root(5), key, proof);
      else verifyMembership(src.root(5), key, value, proof);
    }
    expect(() => dst.get(enc('k/1'), 4)).toThrow(expect.objectContaining({ code: 'PNT_ERR_STATE_VERSION_PRUNED' }));
    // the next block applies on top of the restored version exactly as at the source
    apply(dst, 6, sixth);
    expect(dst.root(6)).toBe(src.root(6));
    expect(dec(dst.get(sixth[0][0]))).toBe(dec(src.get(sixth[0][0])));
  });

  it('error: restoring into a store that holds state, or committing a restore as another version, is refused with nothing written', async () => {
    const a = env();
    const s = StateStore.open(a.env);
    const ws = s.restoreWorking(9);
    ws.set(enc('a'), enc('1'));
    expect(() => s.commitRestoredInTxn(ws, 8)).toThrow(expect.objectContaining({ code: 'PNT_ERR_STATE_STALE_WORKING' }));
    expect(s.latestVersion()).toBe(0);
    const w1 = s.working();
    w1.set(enc('b'), enc('2'));
    s.commitInTxn(w1, 1);
    expect(() => s.restoreWorking(9)).toThrow(expect.objectContaining({ code: 'PNT_ERR_STATE_NOT_EMPTY' }));
    expect(() => s.commitRestoredInTxn(ws, 9)).toThrow(expect.objectContaining({ code: 'PNT_ERR_STATE_NOT_EMPTY' }));
    expect(s.latestVersion()).toBe(1);
    expect(toHex(s.get(enc('b'))!)).toBe(toHex(enc('2')));
  });
});
