/**
 * A bounded LRU of rendered JSON answers. Blocks and state proofs at a committed height never
 * change, so their rendered text can be reused; the bound is on bytes as well as entries so a
 * few large blocks cannot grow the worker's heap without limit.
 */

export class RenderedCache {
  private readonly entries = new Map<string, string>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached text for `key`, or `render()` (cached when small enough). */
  getOrRender(key: string, render: () => string): string {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.hits++;
      // re-insert: Map order is the recency order
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const text = render();
    this.put(key, text);
    return text;
  }

  private put(key: string, text: string): void {
    const size = text.length * 2; // UTF-16 in the heap
    if (size > this.maxBytes / 4) return; // one answer may not evict most of the cache
    this.entries.set(key, text);
    this.bytes += size;
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length * 2;
    }
  }
}
