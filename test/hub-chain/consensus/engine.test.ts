import { describe, expect, it } from 'vitest';
import { verifyDuplicateVoteEvidence } from '../../../hub-chain/consensus/evidence.ts';
import type { ConsensusMessage } from '../../../hub-chain/consensus/types.ts';
import { ZERO_HASH } from '../../../hub-chain/crypto/bytes.ts';
import { headerHash } from '../../../hub-chain/types/header.ts';
import { VoteType } from '../../../hub-chain/types/vote.ts';
import { CHAIN_ID, Harness, TIMEOUTS, commitFor, fourValidators, makeBlock, makeKeys, proposal, vote } from './fixture.ts';

const { Prevote, Precommit } = VoteType;

async function fourEqual(): Promise<Harness> {
  const { keys, me } = fourValidators('engine');
  return Harness.create(keys, me);
}

/** 40/30/20/10 with me = the 10. */
async function weighted(): Promise<Harness> {
  const keys = makeKeys([40, 30, 20, 10], 'weighted');
  return Harness.create(keys, keys[3]);
}

describe('consensus engine', () => {
  it('behavior: proposal, polka and 2f+1 precommits commit the block with a commit of those precommits', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    const hashA = headerHash(a.header);
    await h.deliver(proposal(h.proposer(0), 1, 0, -1, a));
    const [o1, o2] = h.others();
    await h.deliver(vote(o1, Prevote, 1, 0, hashA), vote(o2, Prevote, 1, 0, hashA));
    expect(h.myVote(Precommit, 0)).toBe(hashA);
    await h.deliver(vote(o1, Precommit, 1, 0, hashA));
    expect(h.executor.committed).toHaveLength(0);
    await h.deliver(vote(o2, Precommit, 1, 0, hashA));
    expect(h.executor.committed).toHaveLength(1);
    const { commit } = h.executor.committed[0];
    expect(commit).toMatchObject({ height: 1, round: 0, blockHash: hashA });
    expect(commit.signatures.map((s) => s.validator).sort()).toEqual([h.me, o1, o2].map((k) => k.address).sort());
    await h.advance(TIMEOUTS.commitMs);
    expect(h.engine.height).toBe(2);
  });

  it('behavior: 2f+1 precommits for a block received later still commit it when the block arrives', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    await h.deliver(...h.others().map((k) => vote(k, Precommit, 1, 0, headerHash(a.header))));
    expect(h.executor.committed).toHaveLength(0);
    await h.deliver(proposal(h.proposer(0), 1, 0, -1, a));
    expect(h.executor.committed.map((c) => headerHash(c.block.header))).toEqual([headerHash(a.header)]);
  });

  it('behavior: voting power, not head count, decides: 30+20+10 is no quorum, 40+30+10 is', async () => {
    const h = await weighted();
    const [k40, k30, k20] = h.keys;
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    const hashA = headerHash(a.header);
    await h.deliver(proposal(h.proposer(0), 1, 0, -1, a), vote(k30, Prevote, 1, 0, hashA), vote(k20, Prevote, 1, 0, hashA));
    expect(h.myVote(Precommit, 0)).toBeUndefined();
    const h2 = await weighted();
    await h2.deliver(proposal(h2.proposer(0), 1, 0, -1, a), vote(k40, Prevote, 1, 0, hashA), vote(k30, Prevote, 1, 0, hashA));
    expect(h2.myVote(Precommit, 0)).toBe(hashA);
  });

  it('behavior: skips to a higher round only when more than 1/3 of the power is there', async () => {
    const h = await weighted();
    const [k40, k30] = h.keys;
    await h.deliver(vote(k30, Prevote, 1, 5, ZERO_HASH));
    expect(h.engine.round).toBe(0);
    await h.deliver(vote(k40, Prevote, 1, 3, ZERO_HASH));
    expect(h.engine.round).toBe(3);
  });

  it('behavior: an invalid block gets a nil prevote, and validateBlock runs once per distinct block', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    h.executor.invalid.add(headerHash(a.header));
    const msg = proposal(h.proposer(0), 1, 0, -1, a);
    await h.deliver(msg, structuredClone(msg), structuredClone(msg));
    expect(h.myVote(Prevote, 0)).toBe(ZERO_HASH);
    await h.deliver({ kind: 'decided', block: structuredClone(a), commit: commitFor(h.others(), 1, 0, a) });
    expect(h.executor.validated).toEqual([headerHash(a.header)]);
    expect(h.executor.committed).toHaveLength(0);
  });

  it('behavior: a decided message with a valid commit commits directly (fast catch-up)', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    await h.deliver({ kind: 'decided', block: a, commit: commitFor(h.others(), 1, 2, a) });
    expect(h.executor.committed.map((c) => c.commit.round)).toEqual([2]);
    await h.advance(0);
    expect(h.engine.height).toBe(2);
    expect(h.engine.gossipState()).toContainEqual(expect.objectContaining({ kind: 'decided', block: a }));
  });

  it('error: a decided message whose commit lacks 2/3 of the power, or is for another block, is ignored', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    const b = makeBlock(h.valset, 1, 'B', h.proposer(0).address);
    await h.deliver({ kind: 'decided', block: a, commit: commitFor(h.others().slice(0, 2), 1, 0, a) });
    await h.deliver({ kind: 'decided', block: b, commit: commitFor(h.others(), 1, 0, a) });
    expect(h.executor.committed).toHaveLength(0);
    expect(h.engine.height).toBe(1);
  });

  it('behavior: a decided block for the next height that arrives while this height is committing is kept and commits next (block sync never loses it)', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    await h.deliver({ kind: 'decided', block: a, commit: commitFor(h.others(), 1, 0, a) });
    expect(h.engine.height).toBe(1); // still in height 1's commit step
    const next = h.valset.nextHeightSet();
    const b2 = makeBlock(h.valset, 2, 'B2', next.proposer(0).address);
    await h.deliver({ kind: 'decided', block: b2, commit: commitFor(h.others(), 2, 0, b2) });
    expect(h.executor.committed).toHaveLength(1);
    await h.advance(0);
    expect(h.executor.committed.map((c) => c.block.header.height)).toEqual([1, 2]);
    // one signed by too little power is buffered too, but refused at its height
    const h2 = await fourEqual();
    await h2.deliver({ kind: 'decided', block: a, commit: commitFor(h2.others(), 1, 0, a) });
    await h2.deliver({ kind: 'decided', block: b2, commit: commitFor(h2.others().slice(0, 2), 2, 0, b2) });
    await h2.advance(0);
    expect(h2.executor.committed.map((c) => c.block.header.height)).toEqual([1]);
  });

  it('behavior: messages for the next height are buffered and replayed once it starts', async () => {
    const h = await fourEqual();
    const next = h.valset.nextHeightSet();
    const p2 = h.keys.find((k) => k.address === next.proposer(0).address)!;
    const b2 = makeBlock(h.valset, 2, 'B2', p2.address);
    await h.deliver(proposal(p2, 2, 0, -1, b2));
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    await h.deliver({ kind: 'decided', block: a, commit: commitFor(h.others(), 1, 0, a) });
    expect(h.myVote(Prevote, 0, 2)).toBeUndefined();
    await h.advance(0);
    expect(h.engine.height).toBe(2);
    expect(h.myVote(Prevote, 0, 2)).toBe(headerHash(b2.header));
  });

  it('error: malformed input, wrong proposers, bad signatures and non-validators are dropped without throwing', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    const hashA = headerHash(a.header);
    const [stranger] = makeKeys([10], 'stranger');
    const wrongProposer = h.others(h.proposer(0))[0];
    const forged = proposal(wrongProposer, 1, 0, -1, a) as Extract<ConsensusMessage, { kind: 'proposal' }>;
    const junk: unknown[] = [
      null,
      { kind: 'nope' },
      { kind: 'vote', vote: {} },
      { kind: 'vote', vote: { ...(vote(h.others()[0], Prevote, 1, 0, hashA) as { vote: object }).vote, round: 1 } },
      vote(stranger, Prevote, 1, 0, hashA),
      { kind: 'proposal', proposal: { height: 1, round: 0, polRound: -1, block: { header: {} }, proposer: h.proposer(0).address, signature: '0x' + '11'.repeat(65) } },
      { kind: 'proposal', proposal: { ...forged.proposal, proposer: h.proposer(0).address } },
      forged,
      { kind: 'decided', block: a, commit: { height: 1, round: 0, blockHash: hashA, signatures: 'x' } },
    ];
    for (const m of junk) h.engine.receive(m as ConsensusMessage); // only enqueues: what counts is what the engine does with them
    await h.engine.idle();
    expect(h.myVote(Prevote, 0)).toBeUndefined();
    expect(h.engine.gossipState().filter((m) => m.kind === 'vote')).toHaveLength(0);
    await h.deliver(proposal(h.proposer(0), 1, 0, -1, a)); // still works afterwards
    expect(h.myVote(Prevote, 0)).toBe(hashA);
  });

  it('behavior: an equivocation becomes evidence once; it goes into the next own proposal and is dropped when committed', async () => {
    const keys = fourValidators('evidence').keys;
    const probe = await Harness.create(keys, keys[0]);
    const me = probe.proposer(1); // this engine proposes in round 1
    const h = await Harness.create(keys, me);
    const cheat = h.others(h.proposer(0))[0];
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    const twice = [vote(cheat, Prevote, 1, 0, headerHash(a.header)), vote(cheat, Prevote, 1, 0, ZERO_HASH)];
    await h.deliver(...twice, ...twice);
    expect(h.evidence).toHaveLength(1);
    expect(h.evidence[0].voteA.validator).toBe(cheat.address);
    expect(() => verifyDuplicateVoteEvidence(CHAIN_ID, h.evidence[0], { valset: h.valset })).not.toThrow();
    expect(h.engine.pendingEvidence()).toEqual(h.evidence);

    await h.deliver(...h.others(cheat).map((k) => vote(k, Prevote, 1, 1, ZERO_HASH))); // on to round 1, where me proposes
    expect(h.engine.round).toBe(1);
    expect(h.executor.created.at(-1)?.evidence).toEqual(h.evidence);
    h.engine.markEvidenceCommitted(h.evidence[0]);
    expect(h.engine.pendingEvidence()).toEqual([]);
  });

  it('behavior: gossipState carries the proposal and every vote held, so peers can recover after loss', async () => {
    const h = await fourEqual();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    const hashA = headerHash(a.header);
    const [o1] = h.others();
    await h.deliver(proposal(h.proposer(0), 1, 0, -1, a), vote(o1, Prevote, 1, 0, hashA));
    const g = h.engine.gossipState();
    expect(g.filter((m) => m.kind === 'proposal')).toHaveLength(1);
    const voters = g.flatMap((m) => (m.kind === 'vote' ? [m.vote.validator] : []));
    expect(voters.sort()).toEqual([h.me.address, o1.address].sort());
  });

  it('behavior: after stop() the engine ignores input and sends nothing', async () => {
    const h = await fourEqual();
    h.engine.stop();
    const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
    await h.deliver(proposal(h.proposer(0), 1, 0, -1, a));
    await h.advance(10 * TIMEOUTS.proposeMs);
    expect(h.sent).toEqual([]);
  });
});
