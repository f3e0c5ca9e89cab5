/**
 * Several RPC endpoints of one chain, judged by lag: an endpoint whose node says it is catching
 * up, that stands more than `maxLagBlocks` below the best endpoint (or below what its own peers
 * report), or that fails, is skipped until a later probe finds it well again. Reads spread over
 * the healthy endpoints in turn; submissions go to one at a time, the first healthy one in config
 * order, so they move back to a recovered first endpoint. Kind-agnostic: a kind supplies each
 * endpoint's client and how to probe it (a Pontis node's `/status`, an EVM node's block number).
 */

/** What a probe of one endpoint found. */
export interface EndpointProbe {
  height: number;
  /** The node says it is syncing (a Pontis node's `/status.catchingUp`). */
  catchingUp?: boolean;
  /** The highest height the node's connected peers reported, when it tells. */
  peerHeight?: number;
}

/** An endpoint's health as judged from its latest probe (or failure). */
export interface EndpointVerdict {
  healthy: boolean;
  /** Blocks below the best endpoint (or its own peers), when known. */
  lag: number | null;
  /** Why it is skipped (null when healthy). */
  reason: string | null;
}

/** Unprobed (`undefined`) endpoints count as healthy: nothing says otherwise yet. */
export type ProbeResult = EndpointProbe | { error: string } | undefined;

/**
 * The selection rule, pure: judges each endpoint's latest probe against the best height any
 * endpoint reached (and the heights its own peers report).
 */
export function judgeEndpoints(probes: readonly ProbeResult[], maxLagBlocks: number): EndpointVerdict[] {
  const heights = probes.filter((p): p is EndpointProbe => p !== undefined && !('error' in p)).map((p) => p.height);
  const best = heights.length ? Math.max(...heights) : 0;
  return probes.map((p) => {
    if (p === undefined) return { healthy: true, lag: null, reason: null };
    if ('error' in p) return { healthy: false, lag: null, reason: `down: ${p.error}` };
    const lag = Math.max(0, Math.max(best, p.peerHeight ?? 0) - p.height);
    if (p.catchingUp) return { healthy: false, lag, reason: 'catching up' };
    if (lag > maxLagBlocks) return { healthy: false, lag, reason: `${lag} blocks behind (max ${maxLagBlocks})` };
    return { healthy: true, lag, reason: null };
  });
}

/** One endpoint as the metrics and readiness see it. */
export interface EndpointStatus {
  chain: string;
  /** The endpoint's URL without credentials. */
  endpoint: string;
  up: boolean;
  height: number | null;
  lag: number | null;
  reason: string | null;
  /** Whether submissions go here now. */
  submitting: boolean;
  requests: number;
  errors: number;
}

export interface EndpointSetOptions {
  maxLagBlocks: number;
  /** How often every endpoint is probed (0: only on demand). */
  probeIntervalMs: number;
  /** A probe that takes longer counts as a failure. */
  probeTimeoutMs?: number;
}

interface Member<C> {
  url: string;
  client: C;
  probe: ProbeResult;
  verdict: EndpointVerdict;
  requests: number;
  errors: number;
}

/** URL shown in metrics and logs: user and password dropped. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

export class EndpointSet<C> {
  private readonly members: Member<C>[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;

  constructor(
    readonly chainId: string,
    endpoints: { url: string; client: C }[],
    private readonly probeFn: (client: C) => Promise<EndpointProbe>,
    private readonly opts: EndpointSetOptions,
  ) {
    this.members = endpoints.map((e) => ({ ...e, probe: undefined, verdict: { healthy: true, lag: null, reason: null }, requests: 0, errors: 0 }));
    if (opts.probeIntervalMs > 0 && this.members.length) {
      void this.probeAll();
      this.timer = setInterval(() => void this.probeAll(), opts.probeIntervalMs);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.members.length;
  }

  /** Probes every endpoint now (one probe round at a time) and judges them. */
  probeAll(): Promise<void> {
    this.probing ??= (async () => {
      const timeoutMs = this.opts.probeTimeoutMs ?? 2000;
      await Promise.all(
        this.members.map(async (m) => {
          let timer: NodeJS.Timeout | undefined;
          try {
            m.probe = await Promise.race([this.probeFn(m.client), new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
          } catch (e) {
            m.probe = { error: (e as Error).message };
            m.errors++;
          } finally {
            clearTimeout(timer);
          }
        }),
      );
      this.judge();
    })().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private judge(): void {
    const verdicts = judgeEndpoints(
      this.members.map((m) => m.probe),
      this.opts.maxLagBlocks,
    );
    this.members.forEach((m, i) => (m.verdict = verdicts[i]));
  }

  private healthy(): Member<C>[] {
    return this.members.filter((m) => m.verdict.healthy);
  }

  /** Where a read goes: the healthy endpoints in turn; with none healthy, the least bad (highest, else the first). */
  reader(): C {
    return this.pick(this.readerMember()).client;
  }

  /**
   * Where a read of block `height` goes: the healthy endpoints known to hold it, in turn; else
   * the highest. (A node asked for a block past its head may answer with nothing rather than fail.)
   */
  readerAt(height: number): C {
    const ok = this.healthy().filter((m) => height <= heightOf(m));
    if (ok.length) return this.pick(ok[this.next++ % ok.length]).client;
    return this.pick(this.leastBad()).client;
  }

  /** Where submissions go: the first healthy endpoint in config order (the first one again once it recovers). */
  writer(): C {
    return this.pick(this.writerMember()).client;
  }

  /** Another endpoint to retry a failed call on: the healthy one with the highest known height other than `not`, if any. */
  fallback(not: C): C | undefined {
    const others = this.members.filter((m) => m.client !== not && (m.verdict.healthy || m.probe === undefined));
    if (!others.length) return undefined;
    return this.pick(others.reduce((a, b) => (heightOf(b) > heightOf(a) ? b : a))).client;
  }

  private readerMember(): Member<C> {
    const ok = this.healthy();
    if (ok.length) return ok[this.next++ % ok.length];
    return this.leastBad();
  }

  private writerMember(): Member<C> {
    return this.healthy()[0] ?? this.leastBad();
  }

  private leastBad(): Member<C> {
    const alive = this.members.filter((m) => m.probe !== undefined && !('error' in m.probe));
    if (!alive.length) return this.members[0];
    // the highest; among equals the healthy one (a node at the tip may still be catching up)
    return alive.reduce((a, b) => (heightOf(b) > heightOf(a) || (heightOf(b) === heightOf(a) && b.verdict.healthy && !a.verdict.healthy) ? b : a));
  }

  private pick(m: Member<C>): Member<C> {
    m.requests++;
    return m;
  }

  /** A call through `client` failed at the transport: skip it until the next probe says it is back. */
  markDown(client: C, error: string): void {
    const m = this.members.find((x) => x.client === client);
    if (!m) return;
    m.errors++;
    m.probe = { error };
    this.judge();
  }

  /** Ready when at least one endpoint is healthy; otherwise each endpoint's reason. */
  readiness(): { ok: boolean; reason: string | null } {
    if (this.healthy().length) return { ok: true, reason: null };
    return { ok: false, reason: `no healthy endpoint: ${this.members.map((m) => `${displayUrl(m.url)} ${m.verdict.reason}`).join('; ')}` };
  }

  status(): EndpointStatus[] {
    const writer = this.healthy()[0];
    return this.members.map((m) => ({
      chain: this.chainId,
      endpoint: displayUrl(m.url),
      up: m.verdict.healthy,
      height: m.probe && !('error' in m.probe) ? m.probe.height : null,
      lag: m.verdict.lag,
      reason: m.verdict.reason,
      submitting: m === writer,
      requests: m.requests,
      errors: m.errors,
    }));
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** The height an endpoint's last probe found (-1: none, or it failed). */
const heightOf = (m: Member<unknown>) => (m.probe && !('error' in m.probe) ? m.probe.height : -1);
