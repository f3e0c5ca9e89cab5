/**
 * Block sync's commit path (Chain.commitSynced): a run of decided blocks is checked and committed
 * in one LMDB transaction; a block that fails a check (forged commit, tampered transactions or
 * header, wrong height) stops the run, the blocks before it stay committed, nothing of it is
 * written, and the chain goes on from there. Blocks are the spec's vector chain (test/spec).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MEMPOOL, Mempool } from '../../../hub-chain/app/mempool.ts';
import type { Genesis } from '../../../hub-chain/app/genesis.ts';
import { encodeTx, type SignedTx } from '../../../hub-chain/app/tx.ts';
import { Chain, type CommittedInfo } from '../../../hub-chain/node/chain.ts';
import type { Block } from '../../../hub-chain/types/block.ts';
import type { Commit } from '../../../hub-chain/types/vote.ts';
import type { BlockView } from '../../spec/independent-verifier.ts';
import { readVectors } from '../../spec/vector-format.ts';

const v = readVectors<{ genesis: Genesis; blocks: BlockView[] }>('chain.json');
const items = v.blocks.map((b) => ({
  block: { header: b.header, txs: b.txs.map((t) => encodeTx(t.tx as SignedTx)), evidence: b.evidence as Block['evidence'], lastCommit: b.lastCommit as Commit | null } as Block,
  commit: b.commit as Commit,
}));

describe('block sync commits runs of blocks', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function freshChain() {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-chain-sync-'));
    dirs.push(dir);
    const env = open({ path: dir, maxDbs: 16 });
    let chain!: Chain;
    const mempool = new Mempool(DEFAULT_MEMPOOL, v.genesis.chainId, (a) => chain.nonceOf(a));
    chain = new Chain(env, v.genesis, mempool, {});
    const seen: number[] = [];
    chain.onCommit((c: CommittedInfo) => seen.push(c.block.header.height));
    return { chain, env, seen };
  }

  it('behavior: a whole run commits in order, with the same state roots as the vectors, and listeners hear each block once', async () => {
    const { chain, env, seen } = freshChain();
    const r = chain.commitSynced(items);
    expect(r).toEqual({ applied: items.length, error: undefined });
    expect(chain.latestHeight()).toBe(items.length);
    expect(seen).toEqual(items.map((i) => i.block.header.height));
    for (const it of items) expect(chain.state.root(it.block.header.height)).toBe(it.block.header.stateRoot);
    await env.close();
  });

  it('error: the first bad block stops the run; those before it stay; nothing of it is written; the chain goes on from there', async () => {
    const bad: [string, (i: (typeof items)[number]) => (typeof items)[number]][] = [
      ['PNT_ERR_COMMIT_INSUFFICIENT_POWER', (i) => ({ ...i, commit: { ...i.commit, signatures: i.commit.signatures.slice(0, 1) } })],
      ['PNT_ERR_COMMIT_BLOCK', (i) => ({ ...i, block: { ...i.block, header: { ...i.block.header, stateRoot: `0x${'ab'.repeat(32)}` } } })],
      ['PNT_ERR_BLOCK_TX_ROOT', (i) => ({ ...i, block: { ...i.block, txs: i.block.txs.slice(1) } })],
      ['PNT_ERR_BLOCK_HEIGHT', () => items[4]],
    ];
    const k = items.findIndex((i, n) => n >= 2 && i.block.txs.length > 0);
    expect(k).toBeGreaterThanOrEqual(2);
    for (const [code, tamper] of bad) {
      const { chain, env, seen } = freshChain();
      const run = [...items.slice(0, k), tamper(items[k]), ...items.slice(k + 1)];
      const r = chain.commitSynced(run);
      expect(r.applied, code).toBe(k);
      expect((r.error as { code: string }).code, code).toBe(code);
      expect(chain.latestHeight()).toBe(k);
      expect(chain.state.latestVersion()).toBe(k);
      expect(chain.stored(k + 1)).toBeUndefined();
      expect(seen).toEqual(items.slice(0, k).map((i) => i.block.header.height));
      // the honest blocks from there on commit
      expect(chain.commitSynced(items.slice(k)).applied).toBe(items.length - k);
      expect(chain.latestHeight()).toBe(items.length);
      expect(chain.state.root(items.length)).toBe(items.at(-1)!.block.header.stateRoot);
      await env.close();
    }
  });
});
