import { describe, expect, it } from 'vitest';
import { SerialQueues } from '../../relayers/paths/serial.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('SerialQueues (one writing job at a time per Fabric chain)', () => {
  it('behavior: jobs on one key run one at a time in the order started; other keys run beside them', async () => {
    const q = new SerialQueues();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      running--;
      return name;
    };
    const other: string[] = [];
    const b = q.run('gov', job('b1'));
    const a = q.run('gov', job('a2'));
    const c = q.run('gov', job('c3'));
    const elsewhere = q.run('gov-2', async () => (other.push('x start'), await tick(), other.push('x end'), 'x'));
    expect(await Promise.all([b, a, c, elsewhere])).toEqual(['b1', 'a2', 'c3', 'x']);
    expect(log).toEqual(['b1 start', 'b1 end', 'a2 start', 'a2 end', 'c3 start', 'c3 end']);
    expect(other).toEqual(['x start', 'x end']);
    await tick();
    expect(q.busy).toBe(0);
  });

  it('error: a failing job rejects its caller and the next job still runs', async () => {
    const q = new SerialQueues();
    const first = q.run('gov', async () => {
      await tick();
      throw new Error('MVCC_READ_CONFLICT');
    });
    const second = q.run('gov', async () => 'ran');
    await expect(first).rejects.toThrow('MVCC_READ_CONFLICT');
    expect(await second).toBe('ran');
  });
});
