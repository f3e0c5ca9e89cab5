import { describe, expect, it } from 'vitest';
import { Simulation } from './harness.ts';

const SEEDS = [1, 2, 3, 4, 5];

describe('sim: all honest', () => {
  it.each(SEEDS)('behavior: 4 equal validators reach height 20 and agree (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10] });
    await sim.boot();
    const reached = await sim.runUntil(() => sim.minHeight() >= 20, 60_000);
    expect(reached).toBe(true);
    const hashes = sim.nodes.map((n) => n.executor.blocks.slice(0, 20).map((b) => b.hash).join());
    expect(new Set(hashes).size).toBe(1);
  });
});
