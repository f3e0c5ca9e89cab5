/**
 * Jobs run one at a time per key, in the order they were started, within this process; a job
 * that fails does not hold up the next. Different keys run side by side.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const run = prev.then(job, job); // after the one before, whether it succeeded or not
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    // forget an idle key (nothing queued after this job)
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    return run;
  }

  /** Keys with a job running or queued (for tests). */
  get busy(): number {
    return this.tails.size;
  }
}
