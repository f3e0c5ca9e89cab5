import { describe, expect, it } from 'vitest';
import { Simulation } from './harness.ts';

const SEEDS = [11, 12, 13, 14, 15];

describe('sim: crash and restart', () => {
  it.each(SEEDS)('behavior: with 1 of 4 crashed the other 3 keep committing; restarted, it catches up (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10] });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 3, 30_000)).toBe(true);
    await sim.runFor(sim.rng.int(0, 400)); // crash at an arbitrary point inside a height
    const victim = sim.rng.int(0, 4);
    sim.crash(victim);
    const frozen = sim.nodes[victim].height;
    const others = sim.nodes.filter((n) => n.index !== victim);
    expect(await sim.runUntil(() => sim.minHeight(others) >= frozen + 8, 60_000)).toBe(true);
    expect(sim.nodes[victim].height).toBe(frozen);

    await sim.restart(victim);
    const target = sim.maxHeight() + 3;
    expect(await sim.runUntil(() => sim.minHeight() >= target, 60_000)).toBe(true);
  });
});

describe('sim: the whole network crashes mid-height', () => {
  // Seeds whose schedules hung the chain before engines kept and re-sent their own votes.
  it.each([21, 24, 25])('behavior: all 4 validators crash at once (messages in flight lost) and restart from their disks; the chain commits past that height, every time (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10] });
    await sim.boot();
    let midHeight = 0;
    for (let cycle = 0; cycle < 6; cycle++) {
      const h = sim.maxHeight();
      expect(await sim.runUntil(() => sim.maxHeight() > h, 30_000)).toBe(true);
      await sim.runFor(sim.rng.int(0, 300)); // somewhere in the next height
      sim.partition(sim.nodes.map((n) => [n.index])); // what is in flight now never arrives
      for (const n of sim.nodes) sim.crash(n.index);
      await sim.runFor(2_000);
      sim.heal();
      const signedAt = await Promise.all(sim.nodes.map(async (n) => (await n.signDisk.load())?.height ?? 0));
      if (sim.nodes.some((n, i) => signedAt[i] === n.height + 1)) midHeight++;
      for (const n of sim.nodes) await sim.restart(n.index);
      const top = Math.max(...signedAt);
      expect(await sim.runUntil(() => sim.minHeight() > top, 60_000)).toBe(true);
    }
    expect(midHeight).toBeGreaterThan(0); // the crashes did land inside heights
  });
});
