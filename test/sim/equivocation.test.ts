import { describe, expect, it } from 'vitest';
import { Simulation } from './harness.ts';

const SEEDS = [41, 42, 43, 44, 45];

describe('sim: an equivocating validator', () => {
  it.each(SEEDS)('behavior: 1 of 4 double-votes every vote; safety and progress hold, every honest node records evidence and it is committed (seed %i)', async (seed) => {
    const sim = new Simulation({ seed, powers: [10, 10, 10, 10], byzantine: [3] });
    const byz = sim.nodes[3].address;
    const honest = sim.honest();
    const names = (e: { voteA: { validator: string } }) => e.voteA.validator === byz;
    const committedEvidence = () => honest[0].executor.blocks.some((b) => b.block.evidence.some(names));
    await sim.boot();
    const ok = await sim.runUntil(() => sim.minHeight(honest) >= 12 && honest.every((n) => n.evidence.some(names)) && committedEvidence(), 60_000);
    expect(sim.minHeight(honest)).toBeGreaterThanOrEqual(12);
    for (const n of honest) expect(n.evidence.some(names), `node ${n.index} recorded evidence`).toBe(true);
    expect(committedEvidence()).toBe(true);
    expect(ok).toBe(true);
  });
});
