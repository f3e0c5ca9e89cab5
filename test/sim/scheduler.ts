/**
 * Simulated time: a priority queue of events keyed by (time, insertion order) and a Clock over
 * it that every simulated node shares. Nothing here reads the wall clock.
 */
import type { Clock } from '../../hub-chain/consensus/types.ts';

export interface SimEvent {
  time: number;
  seq: number;
  fn: () => void | Promise<void>;
  cancelled: boolean;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, fn: () => void | Promise<void>): SimEvent {
    const ev: SimEvent = { time, seq: this.seq++, fn, cancelled: false };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
    return ev;
  }

  peek(): SimEvent | undefined {
    return this.heap[0];
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class SimClock implements Clock {
  time: number;

  constructor(
    private readonly queue: EventQueue,
    start: number,
  ) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(ms: number, fn: () => void): () => void {
    const ev = this.queue.push(this.time + Math.max(0, ms), fn);
    return () => {
      ev.cancelled = true;
    };
  }
}
