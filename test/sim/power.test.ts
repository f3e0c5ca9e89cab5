import { describe, expect, it } from 'vitest';
import { Simulation } from './harness.ts';

const SEEDS = [51, 52, 53, 54, 55];

describe('sim: unequal voting power', () => {
  it.each(SEEDS)('behavior: 40/30/20/10 with the 40 crashed commits nothing (60 < 2/3); on restart progress resumes (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [40, 30, 20, 10] });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 3, 30_000)).toBe(true);
    await sim.runFor(sim.rng.int(0, 400));
    const heavy = sim.nodes.findIndex((n) => n.power === 40);
    sim.crash(heavy);
    await sim.runFor(1_000);
    const frozen = sim.maxHeight();
    await sim.runFor(8_000);
    expect(sim.maxHeight()).toBe(frozen);

    await sim.restart(heavy);
    expect(await sim.runUntil(() => sim.minHeight() >= frozen + 5, 60_000)).toBe(true);
  });

  it.each(SEEDS)('behavior: 40/30/20/10 with the 10 crashed keeps committing (90 > 2/3) (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [40, 30, 20, 10] });
    await sim.boot();
    expect(await sim.runUntil(() => sim.minHeight() >= 2, 30_000)).toBe(true);
    const light = sim.nodes.findIndex((n) => n.power === 10);
    sim.crash(light);
    const others = sim.nodes.filter((n) => n.index !== light);
    const target = sim.maxHeight() + 8;
    expect(await sim.runUntil(() => sim.minHeight(others) >= target, 60_000)).toBe(true);
  });
});
