import { describe, expect, it } from 'vitest';
import { GuardedPrivValidator, MemorySignStateStore } from '../../../hub-chain/consensus/priv-validator.ts';
import { MemoryConsensusStateStore } from '../../../hub-chain/consensus/state-store.ts';
import type { ConsensusLockState } from '../../../hub-chain/consensus/types.ts';
import { ZERO_HASH } from '../../../hub-chain/crypto/bytes.ts';
import type { Block } from '../../../hub-chain/types/block.ts';
import { headerHash } from '../../../hub-chain/types/header.ts';
import { VoteType } from '../../../hub-chain/types/vote.ts';
import { CHAIN_ID, Harness, type Key, TIMEOUTS, fourValidators, makeBlock, proposal, vote } from './fixture.ts';
import { Step } from '../../../hub-chain/consensus/types.ts';

const { Prevote, Precommit } = VoteType;

/** Round 0: proposal A, a polka for A (me + two others): me precommits A and locks on it. */
async function lockOnA(h: Harness): Promise<Block> {
  const a = makeBlock(h.valset, 1, 'A', h.proposer(0).address);
  const hashA = headerHash(a.header);
  await h.deliver(proposal(h.proposer(0), 1, 0, -1, a));
  expect(h.myVote(Prevote, 0)).toBe(hashA);
  const [o1, o2] = h.others();
  await h.deliver(vote(o1, Prevote, 1, 0, hashA), vote(o2, Prevote, 1, 0, hashA));
  expect(h.myVote(Precommit, 0)).toBe(hashA);
  expect(h.engine.locked).toEqual({ round: 0, blockHash: hashA });
  return a;
}

/** Two other validators show up in `round`: more than 1/3 of the power, so the engine skips there. */
async function skipTo(h: Harness, round: number, voters: Key[] = h.others().slice(0, 2)): Promise<void> {
  await h.deliver(...voters.map((k) => vote(k, Prevote, 1, round, ZERO_HASH)));
  expect(h.engine.round).toBe(round);
}

describe('lock rule', () => {
  it('behavior: a node locked on A in round 0 prevotes nil for B proposed in round 1 without a polka', async () => {
    const { keys, me } = fourValidators();
    const h = await Harness.create(keys, me);
    await lockOnA(h);
    const b = makeBlock(h.valset, 1, 'B', h.proposer(1).address);
    await h.deliver(proposal(h.proposer(1), 1, 1, -1, b));
    await skipTo(h, 1);
    expect(h.myVote(Prevote, 1)).toBe(ZERO_HASH);
  });

  it('behavior: the same node, unlocked (nil polka in round 0), prevotes B in round 1 (control)', async () => {
    const { keys, me } = fourValidators();
    const h = await Harness.create(keys, me);
    const [o1, o2] = h.others();
    await h.deliver(vote(o1, Prevote, 1, 0, ZERO_HASH), vote(o2, Prevote, 1, 0, ZERO_HASH));
    await h.advance(TIMEOUTS.proposeMs);
    expect(h.myVote(Precommit, 0)).toBe(ZERO_HASH);
    expect(h.engine.locked.round).toBe(-1);
    const b = makeBlock(h.valset, 1, 'B', h.proposer(1).address);
    await h.deliver(proposal(h.proposer(1), 1, 1, -1, b));
    await skipTo(h, 1);
    expect(h.myVote(Prevote, 1)).toBe(headerHash(b.header));
  });

  it('behavior: a proposal claiming a round-0 polka for B does not move a node that saw the round-0 polka for A', async () => {
    const { keys, me } = fourValidators();
    const h = await Harness.create(keys, me);
    await lockOnA(h);
    const b = makeBlock(h.valset, 1, 'B', h.proposer(1).address);
    await h.deliver(proposal(h.proposer(1), 1, 1, 0, b));
    await skipTo(h, 1);
    expect(h.myVote(Prevote, 1)).toBeUndefined(); // waits for the claimed polka
    await h.advance(TIMEOUTS.proposeMs + TIMEOUTS.proposeDeltaMs);
    expect(h.myVote(Prevote, 1)).toBe(ZERO_HASH);
  });

  it('behavior: a newer polka (B in round 1) releases the lock when B is proposed with polRound 1', async () => {
    const { keys, me } = fourValidators();
    const h = await Harness.create(keys, me);
    await lockOnA(h);
    const b = makeBlock(h.valset, 1, 'B', h.proposer(1).address);
    const hashB = headerHash(b.header);
    // The three others prevote B in round 1 (me missed round 1's proposal), then round 2 re-proposes B.
    await h.deliver(...h.others().map((k) => vote(k, Prevote, 1, 1, hashB)));
    expect(h.engine.round).toBe(1);
    expect(h.myVote(Prevote, 1)).toBeUndefined();
    const p2 = h.proposer(2);
    await h.deliver(proposal(p2, 1, 2, 1, b));
    await skipTo(h, 2, [p2, h.others(p2)[0]]);
    expect(h.myVote(Prevote, 2)).toBe(hashB);
  });

  it('behavior: a polka older than the lock does not release it', async () => {
    const { keys, me } = fourValidators();
    const h = await Harness.create(keys, me);
    const b = makeBlock(h.valset, 1, 'B', h.proposer(0).address);
    const hashB = headerHash(b.header);
    await h.deliver(...h.others().map((k) => vote(k, Prevote, 1, 0, hashB))); // polka for B in round 0, which me missed
    const a = makeBlock(h.valset, 1, 'A', h.proposer(1).address);
    const hashA = headerHash(a.header);
    const [o1, o2] = h.others(h.proposer(1));
    await h.deliver(proposal(h.proposer(1), 1, 1, -1, a), vote(o1, Prevote, 1, 1, hashA), vote(o2, Prevote, 1, 1, hashA));
    expect(h.engine.locked).toEqual({ round: 1, blockHash: hashA });
    const p2 = h.proposer(2);
    await h.deliver(proposal(p2, 1, 2, 0, b));
    await skipTo(h, 2, [p2, h.others(p2)[0]]);
    expect(h.myVote(Prevote, 2)).toBe(ZERO_HASH);
  });

  it('behavior: the lock survives a crash-restart over the same disks', async () => {
    const { keys, me } = fourValidators();
    const sign = new MemorySignStateStore();
    const lock = new MemoryConsensusStateStore();
    const h = await Harness.create(keys, me, { sign, lock });
    const a = await lockOnA(h);
    await h.boot(); // volatile state gone; disks kept
    expect(h.engine.locked).toEqual({ round: 0, blockHash: headerHash(a.header) });
    const b = makeBlock(h.valset, 1, 'B', h.proposer(1).address);
    await h.deliver(proposal(h.proposer(1), 1, 1, -1, b));
    await skipTo(h, 1);
    expect(h.myVote(Prevote, 1)).toBe(ZERO_HASH);
  });

  it('behavior: without the lock disk the restarted node would prevote B (control for the test above)', async () => {
    const { keys, me } = fourValidators();
    const sign = new MemorySignStateStore();
    const h = await Harness.create(keys, me, { sign, lock: new MemoryConsensusStateStore() });
    await lockOnA(h);
    const amnesiac = await Harness.create(keys, me, { sign, lock: new MemoryConsensusStateStore() });
    const b = makeBlock(amnesiac.valset, 1, 'B', amnesiac.proposer(1).address);
    await amnesiac.deliver(proposal(amnesiac.proposer(1), 1, 1, -1, b));
    await skipTo(amnesiac, 1);
    expect(amnesiac.myVote(Prevote, 1)).toBe(headerHash(b.header));
  });

  it('behavior: the lock is durable before the precommit that depends on it is signed', async () => {
    const { keys, me } = fourValidators();
    const order: string[] = [];
    const lock = new (class extends MemoryConsensusStateStore {
      override async save(s: ConsensusLockState): Promise<void> {
        order.push(`save locked=${s.lockedRound}`);
        await super.save(s);
      }
    })();
    const sign = new (class extends MemorySignStateStore {
      override async save(s: Parameters<MemorySignStateStore['save']>[0]): Promise<void> {
        order.push(`sign step=${s.step} round=${s.round}`);
        await super.save(s);
      }
    })();
    const h = await Harness.create(keys, me, { sign, lock });
    await lockOnA(h);
    const lockSaved = order.indexOf('save locked=0');
    const precommitSigned = order.indexOf('sign step=3 round=0');
    expect(lockSaved).toBeGreaterThanOrEqual(0);
    expect(precommitSigned).toBeGreaterThan(lockSaved);
  });
});

describe('restart within a height', () => {
  it('behavior: a restarted engine takes back its own prevote and precommit of the height, sends them again and resumes at the precommit step', async () => {
    const { keys, me } = fourValidators();
    const sign = new MemorySignStateStore();
    const lock = new MemoryConsensusStateStore();
    const h = await Harness.create(keys, me, { sign, lock });
    const a = await lockOnA(h);
    const hashA = headerHash(a.header);
    const sentBefore = h.sent.filter((m) => m.kind === 'vote').map((m) => m.kind === 'vote' && m.vote);
    h.sent.length = 0;
    await h.boot(); // everything volatile gone, disks kept
    expect(h.engine.step).toBe(Step.Precommit);
    const resent = h.engine.gossipState().flatMap((m) => (m.kind === 'vote' && m.vote.validator === me.address ? [m.vote] : []));
    expect(resent).toEqual(expect.arrayContaining(sentBefore));
    expect(resent).toHaveLength(2);
    expect(h.myVote(Prevote, 0)).toBe(hashA);
    expect(h.myVote(Precommit, 0)).toBe(hashA);
    // two more precommits for A decide the height with the block kept on the lock disk
    const [o1, o2] = h.others();
    await h.deliver(vote(o1, Precommit, 1, 0, hashA), vote(o2, Precommit, 1, 0, hashA));
    expect(h.executor.committed.map((c) => headerHash(c.block.header))).toEqual([hashA]);
  });

  it('behavior: a vote signed just before a crash that the vote record missed is taken back from the private validator, sent again with the same signature, and its round goes on', async () => {
    // The 4-process hub hung here: every validator had prevoted, two had not recorded it, and no
    // other prevote could be signed, so no quorum of prevotes ever formed to start the timeout.
    const { keys, me } = fourValidators();
    const sign = new MemorySignStateStore();
    const lock = new MemoryConsensusStateStore();
    const h = await Harness.create(keys, me, { sign, lock }); // height 1, round 0 recorded, no vote yet
    const hashB = '0x' + 'bb'.repeat(32);
    const signed = await (await GuardedPrivValidator.create(me.sk, sign)).signVote(CHAIN_ID, { type: Prevote, height: 1, round: 0, blockHash: hashB });
    expect((await lock.load())!.votes ?? []).toEqual([]);
    h.sent.length = 0;
    await h.boot();
    expect(h.engine.step).toBe(Step.Prevote);
    expect(h.sent.filter((m) => m.kind === 'vote').map((m) => m.kind === 'vote' && m.vote)).toEqual([signed]);
    // with two more prevotes (for B, of which no block came) the prevote timeout starts: precommit nil
    const [o1, o2] = h.others();
    await h.deliver(vote(o1, Prevote, 1, 0, hashB), vote(o2, Prevote, 1, 0, hashB));
    await h.advance(TIMEOUTS.prevoteMs);
    expect(h.myVote(Precommit, 0)).toBe(ZERO_HASH);
  });

  it('behavior: a sign state from before votes kept their block hash gives no vote back (the guard alone keeps it safe)', async () => {
    const { keys, me } = fourValidators();
    const sign = new MemorySignStateStore();
    const lock = new MemoryConsensusStateStore();
    const h = await Harness.create(keys, me, { sign, lock });
    await (await GuardedPrivValidator.create(me.sk, sign)).signVote(CHAIN_ID, { type: Prevote, height: 1, round: 0, blockHash: '0x' + 'bb'.repeat(32) });
    const { blockHash: _, ...old } = (await sign.load())!;
    await sign.save(old);
    h.sent.length = 0;
    await h.boot();
    expect(h.engine.step).toBe(Step.Propose);
    expect(h.sent.filter((m) => m.kind === 'vote')).toEqual([]);
  });

  it('behavior: a prevote the private validator refuses (it signed another one the engine did not record) does not stall the round: timeouts move it to precommit nil', async () => {
    const { keys, me } = fourValidators();
    const sign = new MemorySignStateStore();
    // signed before a crash that lost the vote record (the lock disk is fresh)
    await (await GuardedPrivValidator.create(me.sk, sign)).signVote(CHAIN_ID, { type: Prevote, height: 1, round: 0, blockHash: '0x' + 'bb'.repeat(32) });
    const h = await Harness.create(keys, me, { sign, lock: new MemoryConsensusStateStore() });
    await h.advance(TIMEOUTS.proposeMs); // no proposal: prevote nil, which conflicts and is refused
    expect(h.myVote(Prevote, 0)).toBeUndefined();
    await h.advance(TIMEOUTS.prevoteMs);
    expect(h.myVote(Precommit, 0)).toBe(ZERO_HASH);
    expect(h.engine.step).toBe(Step.Precommit);
  });

  it('behavior: when both votes of a round are refused the engine moves to the next round and votes there', async () => {
    const { keys, me } = fourValidators();
    const sign = new MemorySignStateStore();
    await (await GuardedPrivValidator.create(me.sk, sign)).signVote(CHAIN_ID, { type: Precommit, height: 1, round: 0, blockHash: '0x' + 'bb'.repeat(32) });
    const h = await Harness.create(keys, me, { sign, lock: new MemoryConsensusStateStore() });
    await h.advance(TIMEOUTS.proposeMs + TIMEOUTS.prevoteMs + TIMEOUTS.precommitMs);
    expect(h.myVote(Prevote, 0)).toBeUndefined();
    expect(h.myVote(Precommit, 0)).toBeUndefined();
    expect(h.engine.round).toBe(1);
    await h.advance(TIMEOUTS.proposeMs + TIMEOUTS.proposeDeltaMs);
    expect(h.myVote(Prevote, 1)).toBe(ZERO_HASH);
  });
});
