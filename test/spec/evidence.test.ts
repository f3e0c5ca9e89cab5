/**
 * consensus.md "Evidence": the two votes must be for different block hashes, as bytes. The
 * signature does not cover hex case, so one honest vote and a re-cased copy of it (both carry a
 * valid signature over the same digest) must not pass as an equivocation, neither in the
 * evidence checker nor in block validation (else a proposer could frame an honest validator).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MEMPOOL, Mempool } from '../../hub-chain/app/mempool.ts';
import { type Genesis } from '../../hub-chain/app/genesis.ts';
import { encodeTx, type SignedTx } from '../../hub-chain/app/tx.ts';
import { utf8 } from '../../hub-chain/crypto/bytes.ts';
import { sha256 } from '../../hub-chain/crypto/hash.ts';
import { duplicateVoteEvidence, verifyDuplicateVoteEvidence } from '../../hub-chain/consensus/evidence.ts';
import { Chain } from '../../hub-chain/node/chain.ts';
import { type Commit, VoteType, signVote } from '../../hub-chain/types/vote.ts';
import type { BlockView } from './independent-verifier.ts';
import { readVectors } from './vector-format.ts';

describe('duplicate-vote evidence compares block hashes as bytes', () => {
  const v = readVectors<{ genesis: Genesis; blocks: BlockView[] }>('chain.json');
  // validator key 0 of the vector chain (test/spec/generate-vectors.ts), power 40
  const key = sha256(utf8('pontis-spec/validator/0'));

  it('error: an honest vote and its re-cased copy are refused as evidence; a real double vote is accepted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-evidence-'));
    const env = open({ path: dir, maxDbs: 16 });
    try {
      let chain!: Chain;
      const mempool = new Mempool(DEFAULT_MEMPOOL, v.genesis.chainId, (a) => chain.nonceOf(a));
      chain = new Chain(env, v.genesis, mempool, {});
      for (const b of v.blocks.slice(0, 2)) {
        await chain.commitBlock({ header: b.header, txs: b.txs.map((t) => encodeTx(t.tx as SignedTx)), evidence: [], lastCommit: b.lastCommit as Commit | null }, b.commit as Commit);
      }
      const validator = chain.validatorSet(2).validators.find((x) => x.power === 40)!;
      const vote = (blockHash: string) => signVote(v.genesis.chainId, { type: VoteType.Precommit, height: 2, round: 0, blockHash }, key, validator.address);
      const honest = vote(v.blocks[1].hash);
      const recased = { ...honest, blockHash: '0x' + honest.blockHash.slice(2).toUpperCase() };
      const forged = { kind: 'duplicate-vote' as const, voteA: recased, voteB: honest };
      expect(() => verifyDuplicateVoteEvidence(v.genesis.chainId, forged)).toThrow(/same block/);
      const real = duplicateVoteEvidence(honest, vote('0x' + '11'.repeat(32)));
      expect(() => verifyDuplicateVoteEvidence(v.genesis.chainId, real)).not.toThrow();
      const ctx = { height: 3, round: 0, proposer: validator.address, time: v.blocks[2].header.time, lastCommit: v.blocks[1].commit as Commit };
      expect((await chain.createBlock({ ...ctx, evidence: [forged] })).evidence).toEqual([]);
      expect((await chain.createBlock({ ...ctx, evidence: [real] })).evidence).toEqual([real]);
      // one offence has one spelling: re-cased or reordered copies of a real double vote are refused
      const upper = (x: typeof honest) => ({ ...x, validator: '0x' + x.validator.slice(2).toUpperCase() });
      const respelt = { ...real, voteA: upper(real.voteA), voteB: upper(real.voteB) };
      const reordered = { ...real, voteA: real.voteB, voteB: real.voteA };
      expect((await chain.createBlock({ ...ctx, evidence: [respelt] })).evidence).toEqual([]);
      expect((await chain.createBlock({ ...ctx, evidence: [reordered] })).evidence).toEqual([]);
    } finally {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
