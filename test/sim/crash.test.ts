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
