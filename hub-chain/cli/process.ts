/** Lifetime of a long-running CLI process (a node, a relayer): clean stop on signals or when the parent goes away. */
export function stopOnSignals(close: () => Promise<void>, opts: { exitWithParent?: boolean } = {}): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (opts.exitWithParent) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void stop();
    }, 500).unref();
  }
}
