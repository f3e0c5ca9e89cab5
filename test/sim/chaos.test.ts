import { describe, expect, it } from 'vitest';
import { GOOD_NET, SIM_TIMEOUTS, Simulation } from './harness.ts';

const SEEDS = [61, 62, 63, 64, 65, 66, 67, 68];

describe('sim: everything at once', () => {
  it.each(SEEDS)('behavior: an equivocator, a slow lossy network and crash-restarts of an honest node never break agreement (seed %i)', async (seed) => {
    const sim = new Simulation({
      seed,
      powers: [10, 10, 10, 10],
      byzantine: [0],
      net: { minDelayMs: 0, maxDelayMs: 3 * SIM_TIMEOUTS.proposeMs, dropRate: 0.05, dupRate: 0.1 },
    });
    await sim.boot();
    for (let i = 0; i < 4; i++) {
      await sim.runFor(sim.rng.int(500, 2_500));
      const victim = sim.rng.int(1, 4);
      sim.crash(victim);
      await sim.runFor(sim.rng.int(100, 1_500));
      await sim.restart(victim);
    }
    sim.net = GOOD_NET;
    const honest = sim.honest();
    const target = sim.maxHeight() + 3;
    expect(await sim.runUntil(() => sim.minHeight(honest) >= target, 60_000)).toBe(true);
  });
});
