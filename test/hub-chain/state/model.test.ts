import { afterEach, describe, expect, it } from 'vitest';
import { verifyMembership, verifyNonMembership, decodeProof, encodeProof } from '../../../hub-chain/state/proof.ts';
import { StateStore } from '../../../hub-chain/state/store.ts';
import { enc, keysSharingPrefix, prng, referenceRoot, tempEnv, type TempEnv } from './helpers.ts';

const envs: TempEnv[] = [];
afterEach(async () => {
  for (const t of envs.splice(0)) await t.close();
});

const str = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/**
 * Random blocks of sets and deletes (some keys share long hash prefixes, some values are empty,
 * some too large to sit inline in a page)
 * against a plain Map per version. After every block: the root equals the reference root, every
 * key of the universe is proven present with its value or proven absent, at the latest version
 * and at the retained older ones, and older versions past retention answer PRUNED.
 */
async function runModel(seed: number, opts: { retain: number; cachePages: number; blocks: number; reopenAt?: number }): Promise<number> {
  const rand = prng(seed);
  const t = tempEnv();
  envs.push(t);
  let store = StateStore.open(t.env, { retainVersions: opts.retain, cachePages: opts.cachePages });
  const universe: Uint8Array[] = Array.from({ length: 90 }, (_, i) => enc(`m/${seed}/${i}`));
  universe.push(...keysSharingPrefix(20, `deep${seed}/`), ...keysSharingPrefix(16, `mid${seed}/`));
  const history: Map<string, Uint8Array>[] = [new Map()];
  let proofsChecked = 0;

  for (let v = 1; v <= opts.blocks; v++) {
    const model = new Map(history[v - 1]);
    const ws = store.working();
    // sometimes a competing working state that is dropped or goes stale
    const rival = rand() < 0.3 ? store.working() : undefined;
    const nOps = 1 + Math.floor(rand() * (rand() < 0.2 ? 80 : 12));
    for (let i = 0; i < nOps; i++) {
      const k = universe[Math.floor(rand() * universe.length)];
      if (rand() < 0.3) {
        ws.delete(k);
        model.delete(str(k));
      } else {
        // mostly small values (stored in the page), some over the 512-byte inline limit (stored apart)
        const len = rand() < 0.15 ? 500 + Math.floor(rand() * 40) : Math.floor(rand() * 40);
        const val = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
        ws.set(k, val);
        model.set(str(k), val);
      }
      rival?.set(k, enc('rival'));
      if (rand() < 0.1) expect(ws.root()).toBe(referenceRoot(model));
      const probe = universe[Math.floor(rand() * universe.length)];
      expect(ws.get(probe)).toEqual(model.get(str(probe)));
    }
    const root = rand() < 0.5 ? await store.commit(ws, v) : t.env.transactionSync(() => store.commitInTxn(ws, v));
    history.push(model);
    expect(root).toBe(referenceRoot(model));
    if (rival) expect(() => store.commitInTxn(rival, v + 1)).toThrow(expect.objectContaining({ code: 'PNT_ERR_STATE_STALE_WORKING' }));

    if (opts.reopenAt === v) {
      t.env = await t.reopen();
      store = StateStore.open(t.env, { retainVersions: opts.retain, cachePages: opts.cachePages });
    }

    const oldest = opts.retain === 0 ? 0 : Math.max(0, v - opts.retain + 1);
    expect(store.oldestVersion()).toBe(oldest);
    const versions = [v, oldest, oldest + Math.floor(rand() * (v - oldest + 1))];
    for (const at of versions) {
      const m = history[at];
      const r = store.root(at);
      expect(r).toBe(referenceRoot(m));
      for (const k of universe) {
        const { value, proof } = store.getWithProof(k, at);
        const want = m.get(str(k));
        expect(value).toEqual(want);
        expect(store.get(k, at)).toEqual(want);
        const p = rand() < 0.5 ? proof : decodeProof(encodeProof(proof));
        if (want === undefined) verifyNonMembership(r, k, p);
        else verifyMembership(r, k, want, p);
        proofsChecked++;
      }
    }
    if (oldest > 0) expect(() => store.root(oldest - 1)).toThrow(expect.objectContaining({ code: 'PNT_ERR_STATE_VERSION_PRUNED' }));
    const listed = [...store.working().entries(enc(`m/${seed}/`))].map(([k, val]) => [str(k), val] as const);
    const expected = [...model].filter(([k]) => k.startsWith(`m/${seed}/`)).sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
    expect(listed).toEqual(expected);
  }
  return proofsChecked;
}

describe('StateStore against a Map model (seeded random operations)', () => {
  it('behavior: keeps every version when retention is 0, with a tiny page cache', async () => {
    expect(await runModel(1, { retain: 0, cachePages: 2, blocks: 25 })).toBeGreaterThan(5000);
  });

  it('behavior: prunes to 4 versions and survives a reopen mid-run', async () => {
    expect(await runModel(2, { retain: 4, cachePages: 8192, blocks: 30, reopenAt: 12 })).toBeGreaterThan(5000);
  });

  it('behavior: keeps only the latest version (retention 1)', async () => {
    expect(await runModel(3, { retain: 1, cachePages: 64, blocks: 20 })).toBeGreaterThan(3000);
  });
});
