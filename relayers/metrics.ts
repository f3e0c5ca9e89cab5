/**
 * A small Prometheus text-format registry: counters and histograms with labels, and gauges
 * computed at scrape time (queue depth is read from Redis, not counted in memory).
 */
type Labels = Record<string, string>;
const key = (l: Labels) => JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));
const fmt = (l: Labels) => {
  const e = Object.entries(l);
  return e.length ? `{${e.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}` : '';
};

export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const cur = this.values.get(k);
    if (cur) cur.value += by;
    else this.values.set(k, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    return this.values.get(key(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${fmt(labels)} ${value}`);
    return lines.join('\n');
  }
}

export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Labels, v: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (v <= b) s.counts[i]++;
    });
    s.sum += v;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${fmt({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${fmt({ ...s.labels, le: '+Inf' })} ${s.count}`, `${this.name}_sum${fmt(s.labels)} ${s.sum}`, `${this.name}_count${fmt(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export function renderGauge(name: string, help: string, values: { labels: Labels; value: number }[], type: 'gauge' | 'counter' = 'gauge'): string {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...values.map((v) => `${name}${fmt(v.labels)} ${v.value}`)].join('\n');
}

/** An RPC endpoint's health as the metrics show it (paths/endpoint-set.ts keeps the numbers). */
export interface EndpointMetrics {
  chain: string;
  endpoint: string;
  up: boolean;
  lag: number | null;
  submitting: boolean;
  requests: number;
  errors: number;
}

/** Per RPC endpoint: up, lag, whether submissions go there, calls and errors (counted since the process started). */
export function renderEndpointMetrics(eps: EndpointMetrics[]): string {
  const series = (f: (e: EndpointMetrics) => number | null) => eps.flatMap((e) => (f(e) === null ? [] : [{ labels: { chain: e.chain, endpoint: e.endpoint }, value: f(e)! }]));
  return [
    renderGauge('pontis_relayer_endpoint_up', 'RPC endpoint healthy (answers, not catching up, within tuning.maxLagBlocks of the best): 1, else 0', series((e) => (e.up ? 1 : 0))),
    renderGauge('pontis_relayer_endpoint_lag_blocks', 'Blocks the endpoint stands below the best endpoint of its chain (or its own peers), at the last probe', series((e) => e.lag)),
    renderGauge('pontis_relayer_endpoint_submitting', 'The endpoint submissions go to now: 1, else 0', series((e) => (e.submitting ? 1 : 0))),
    renderGauge('pontis_relayer_endpoint_requests_total', 'Calls routed to the endpoint', series((e) => e.requests), 'counter'),
    renderGauge('pontis_relayer_endpoint_errors_total', 'Failed probes and calls of the endpoint', series((e) => e.errors), 'counter'),
  ].join('\n');
}

/** The relayer's metrics (per process; Prometheus sums across processes). */
export class RelayerMetrics {
  readonly packetsRelayed = new Counter('pontis_relayer_packets_relayed_total', 'Packets, acks and timeouts this process got accepted on a destination, by path and job kind');
  readonly submissions = new Counter('pontis_relayer_submissions_total', 'Transactions submitted, by path, job kind and destination chain');
  readonly failures = new Counter('pontis_relayer_failures_total', 'Failed job attempts, by path, job kind and error code');
  readonly redundant = new Counter('pontis_relayer_redundant_submissions_total', 'Submissions whose every item another relayer had already delivered, by path, job kind and operator');
  readonly alreadyDone = new Counter('pontis_relayer_jobs_already_done_total', 'Jobs that found the destination already up to date and submitted nothing');
  readonly misbehaviour = new Counter('pontis_relayer_misbehaviour_detected_total', 'Clients found diverging from the chain they track (evidence submitted as a misbehaviour job)');
  readonly latency = new Histogram('pontis_relayer_relay_latency_seconds', 'From job creation to the destination committing the relay transaction', [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]);
  render(): string {
    return [this.packetsRelayed, this.submissions, this.failures, this.redundant, this.alreadyDone, this.misbehaviour, this.latency].map((m) => m.render()).join('\n');
  }
}
