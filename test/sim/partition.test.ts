import { describe, expect, it } from 'vitest';
import { Simulation } from './harness.ts';

const SEEDS = [21, 22, 23, 24, 25];

describe('sim: network partition', () => {
  it.each(SEEDS)('behavior: a 2|2 split commits nothing; after heal progress resumes (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10] });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 3, 30_000)).toBe(true);
    await sim.runFor(sim.rng.int(0, 400));
    const [a, b, c, d] = sim.rng.shuffle([0, 1, 2, 3]);
    sim.partition([[a, b], [c, d]]);
    // Decisions whose precommits were all delivered before the split may still complete.
    await sim.runFor(1_000);
    const frozen = sim.maxHeight();
    await sim.runFor(10_000); // about 60 block intervals of a healthy network
    expect(sim.maxHeight()).toBe(frozen);

    sim.heal();
    expect(await sim.runUntil(() => sim.minHeight() >= frozen + 5, 60_000)).toBe(true);
  });
});
