import { describe, expect, it } from 'vitest';
import { SIM_TIMEOUTS, Simulation } from './harness.ts';

const SEEDS = [1, 2, 3];

describe('sim: the next proposer builds its block during the commit wait', () => {
  it.each(SEEDS)('behavior: with work pending, the proposer of the next height builds its round-0 block the moment it commits, and proposes that block with that time (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10] });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 12, 120_000)).toBe(true);
    let checked = 0;
    for (const n of sim.nodes) {
      for (const b of n.executor.builds) {
        if (b.round !== 0 || b.height < 3 || b.height > n.executor.height) continue;
        // built at the instant this node committed the height before (not commitMs later), with that time
        const prev = n.executor.blocks[b.height - 2];
        expect(b.at, `node ${n.index} height ${b.height}`).toBe(prev.at);
        expect(b.time).toBe(Math.max(prev.at!, prev.block.header.time + 1));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
    // each block decided in round 0 is the one its proposer built ahead: same time, and every node agrees on it
    for (const blk of sim.nodes[0].executor.blocks.slice(2)) {
      if (blk.commit.round !== 0) continue;
      const proposer = sim.nodes.find((n) => n.address.toLowerCase() === blk.block.header.proposer.toLowerCase())!;
      expect(proposer.executor.builds.some((b) => b.height === blk.block.header.height && b.round === 0 && b.time === blk.block.header.time)).toBe(true);
    }
    const hashes = sim.nodes.map((n) => n.executor.blocks.slice(0, 12).map((b) => b.hash).join());
    expect(new Set(hashes).size).toBe(1);
  });

  it.each(SEEDS)('behavior: with no work pending, the proposer builds when it proposes, a commit wait after the commit, so what arrives meanwhile goes in (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10], hasWork: () => false });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 8, 120_000)).toBe(true);
    const delays: number[] = [];
    for (const n of sim.nodes) {
      for (const b of n.executor.builds) {
        if (b.round !== 0 || b.height < 3 || b.height > n.executor.height) continue;
        delays.push(b.at! - n.executor.blocks[b.height - 2].at!);
      }
    }
    // a node that learned the height before from a decided block (catching up) starts the next one at once (0); every
    // other build waited out the commit wait
    expect(delays.every((d) => d === 0 || d >= SIM_TIMEOUTS.commitMs), delays.join()).toBe(true);
    expect(delays.filter((d) => d >= SIM_TIMEOUTS.commitMs).length, delays.join()).toBeGreaterThanOrEqual(Math.max(4, Math.ceil(delays.length / 2)));
  });
});
