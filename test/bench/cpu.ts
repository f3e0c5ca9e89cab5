/** CPU time of processes for the benchmarks' "where the time goes" lines (Linux /proc). */
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) process `pid` has used; 0 when it is gone or unknown. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(parts[11]) + Number(parts[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return 0;
  }
}
