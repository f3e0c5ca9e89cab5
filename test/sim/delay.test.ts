import { describe, expect, it } from 'vitest';
import { GOOD_NET, SIM_TIMEOUTS, Simulation } from './harness.ts';

const SEEDS = [31, 32, 33, 34, 35];

describe('sim: delayed, lost, duplicated and reordered messages', () => {
  it.each(SEEDS)('behavior: delays up to 5 propose timeouts keep safety; progress comes as timeouts grow, and after the network heals (seed %i)', async (seed) => {
    const maxDelayMs = 5 * SIM_TIMEOUTS.proposeMs;
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10], net: { minDelayMs: 0, maxDelayMs, dropRate: 0.05, dupRate: 0.1 } });
    await sim.boot();
    // Safety is checked after every event; delays are bounded, so growing timeouts still decide.
    expect(await sim.runUntil(() => sim.minHeight() >= 2, 60_000)).toBe(true);
    await sim.runFor(10_000);

    sim.net = GOOD_NET;
    const target = sim.maxHeight() + 5;
    expect(await sim.runUntil(() => sim.minHeight() >= target, 60_000)).toBe(true);
  });
});
