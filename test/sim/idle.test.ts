import { describe, expect, it } from 'vitest';
import { SIM_TIMEOUTS, Simulation } from './harness.ts';

const SEEDS = [1, 2, 3];
const EVERY = 5_000;

/** Block times (virtual ms) of node 0's chain from height `from` on. */
const times = (sim: Simulation, from = 1) => sim.nodes[0].executor.blocks.slice(from - 1).map((b) => b.block.header.time);

describe('sim: idle blocks (timeouts.emptyBlocksIntervalMs)', () => {
  it.each(SEEDS)('behavior: with nothing to commit, blocks come one interval apart, each decided in round 0 (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10], timeouts: { ...SIM_TIMEOUTS, emptyBlocksIntervalMs: EVERY }, hasWork: () => false });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 6, 120_000)).toBe(true);
    const t = times(sim);
    // height 1 follows genesis at once (genesis is long ago); every later one waits the interval
    for (let h = 2; h < t.length; h++) expect(t[h] - t[h - 1]).toBeGreaterThanOrEqual(EVERY);
    // nobody's propose timeout ran out while the proposer waited: no height needed a second round
    for (const b of sim.nodes[0].executor.blocks.slice(1)) expect(b.commit.round).toBe(0);
    const hashes = sim.nodes.map((n) => n.executor.blocks.slice(0, 6).map((b) => b.hash).join());
    expect(new Set(hashes).size).toBe(1);
  });

  it.each(SEEDS)('behavior: work arriving at one node (proposer or not) and gossiped to the others is committed without waiting out the interval (seed %i)', async (seed) => {
    const has = new Set<number>();
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10], timeouts: { ...SIM_TIMEOUTS, emptyBlocksIntervalMs: 60_000 }, hasWork: (i) => has.has(i) });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 2, 120_000)).toBe(true);
    for (const origin of [0, 1, 2, 3]) {
      const h = sim.minHeight();
      // idle for a while: no block
      await sim.runUntil(() => false, 10_000);
      expect(sim.maxHeight()).toBe(h);
      const at = sim.now;
      has.add(origin);
      sim.nodes[origin].engine!.workArrived();
      // the transaction reaches the other nodes by gossip a little later
      await sim.runUntil(() => sim.minHeight() > h, 300);
      for (const i of [0, 1, 2, 3]) if (!has.has(i)) (has.add(i), sim.nodes[i].engine!.workArrived());
      expect(await sim.runUntil(() => sim.minHeight() > h, 60_000)).toBe(true);
      has.clear();
      // well inside the interval: one round, or two when the origin's propose timeout ran before the proposer heard of it
      expect(times(sim, h + 1)[0] - at).toBeLessThan(5_000);
      await sim.runUntil(() => sim.minHeight() === sim.maxHeight(), 10_000);
    }
  });
});
