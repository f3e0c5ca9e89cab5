/**
 * A scripted schedule that makes the lock matter (random schedules rarely do):
 *  - round 0: everyone but P1 (round 1's proposer) sees a polka for block A; L1 and L2 lock on A;
 *    only X receives the precommits for A, commits A and is cut off (only its round-0 prevote
 *    ever leaves it);
 *  - P1 never sees A (nor X's prevote), so in round 1 it proposes a fresh block B.
 * L1 and L2 must prevote nil on B. If they did not (lock ignored, or lost across a restart),
 * P1, L1 and L2 would commit B at the height where X committed A.
 */
import { describe, expect, it } from 'vitest';
import { VoteType } from '../../hub-chain/types/vote.ts';
import { Simulation } from './harness.ts';

const SEEDS = [71, 72, 73];

describe('sim: the lock under a hostile schedule', () => {
  for (const restartLocked of [false, true]) {
    it.each(SEEDS)(`behavior: nodes locked on A in round 0 do not help commit another block in round 1${restartLocked ? ', across a crash-restart' : ''} (seed %i)`, async (seed) => {
      const sim = new Simulation({ seed, powers: [10, 10, 10, 10] });
      const indexOf = (addr: string) => sim.nodes.findIndex((n) => n.address === addr);
      const p1 = indexOf(sim.valset.proposer(1).address);
      const [x, l1, l2] = sim.rng.shuffle([0, 1, 2, 3].filter((i) => i !== p1));
      const xAddr = sim.nodes[x].address;
      sim.filter = (from, to, msg) => {
        if (to === p1 && msg?.kind === 'vote' && msg.vote.validator === xAddr) return false;
        if (to === p1 && msg?.kind === 'proposal' && msg.proposal.round === 0) return false;
        if (from === x) return msg?.kind === 'vote' && msg.vote.type === VoteType.Prevote && msg.vote.round === 0;
        return true;
      };
      await sim.boot();
      const lockedOnA = () => [l1, l2].every((i) => sim.nodes[i].engine?.locked.round === 0);
      expect(await sim.runUntil(() => sim.nodes[x].height >= 1 && lockedOnA(), 20_000)).toBe(true);
      const a = sim.nodes[x].executor.blocks[0].hash;
      expect(sim.nodes[l1].engine!.locked.blockHash).toBe(a);

      if (restartLocked) {
        for (const i of [l1, l2]) sim.crash(i);
        for (const i of [l1, l2]) await sim.restart(i);
        expect(lockedOnA()).toBe(true);
      }

      // Round 1 runs with A out of P1's sight: it proposes another block; the locked nodes refuse it.
      expect(await sim.runUntil(() => sim.signedProposal(p1, 1, 1) !== undefined, 20_000)).toBe(true);
      expect(sim.signedProposal(p1, 1, 1)).not.toBe(`-1/${a}`);
      await sim.runFor(5_000); // a commit of B here would throw a SimViolation
      expect(sim.nodes.filter((n) => n.index !== x).every((n) => n.height === 0)).toBe(true);

      sim.filter = null;
      expect(await sim.runUntil(() => sim.minHeight() >= 5, 60_000)).toBe(true);
      for (const n of sim.nodes) expect(n.executor.blocks[0].hash).toBe(a);
    });
  }
});
