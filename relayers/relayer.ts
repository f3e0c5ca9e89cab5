/**
 * The relayer pipeline on BullMQ. Per path (a side-chain and the hub): one queue; a scanner that
 * turns source blocks into jobs (held by one process at a time through a Redis lease); workers in
 * every process that take jobs from the queue; a clearing pass from chain state on start, when a
 * cursor was lost, and every clearIntervalMs.
 *
 * Redis holds only what can be rebuilt: cursors (re-derived from a lookback and the clearing
 * pass), leases and jobs. Exactly-once rests on the chains: every job re-reads the destination
 * first and the destination's receipts refuse a second delivery.
 */
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { PontisError, errFields } from '../hub-chain/errors.ts';
import type { PathConfig, RelayerConfig, RelayerSigners } from './config.ts';
import { RelayerError, isRetryableReason, shouldRetry } from './errors.ts';
import { RelayerMetrics } from './metrics.ts';
import { openHub } from './paths/hub.ts';
import { type OpenPaths, type PathKindRegistry, defaultPathKinds } from './paths/registry.ts';
import type { EndpointStatus } from './paths/endpoint-set.ts';
import { type ConsensusDivergence, type DeliveryOutcome, type GaugeValue, type PacketEvent, type PacketRef, type PathHandlers, channelTag } from './paths/types.ts';

export const JOB_KINDS = ['relay-packets', 'relay-acks', 'timeouts', 'update-client', 'misbehaviour'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export interface RelayJobData {
  path: string;
  kind: JobKind;
  /** Chain the proofs (or, for timeouts, the commitments) come from. */
  src: string;
  /** Chain the job submits to (for timeouts: the chain whose receipt is proven absent). */
  dst: string;
  events: PacketEvent[];
  /** misbehaviour jobs: what was detected. */
  evidence?: ConsensusDivergence;
}

/** What a job id is derived from: a source height range, or a channel's sequence range. */
export type JobRange = { heights: [number, number]; part?: number } | { channel: string; seqs: [number, number] };

/** Deterministic, ':'-free job ids: the same work found twice (two scans, a scan and a clearing pass) gets the same id. */
export function jobId(kind: JobKind, path: string, src: string, r: JobRange): string {
  const range = 'heights' in r ? `h${r.heights[0]}-${r.heights[1]}${r.part !== undefined ? `.p${r.part}` : ''}` : `${channelTag(r.channel)}.s${r.seqs[0]}-${r.seqs[1]}`;
  return `${kind}.${path}.${src}.${range}`;
}

export interface RelayerOptions {
  signers: RelayerSigners;
  logger?: Logger;
  /** Run scanners (default true). A worker-only process just takes jobs. */
  scan?: boolean;
  /** Run the periodic clearing pass (default true). */
  clear?: boolean;
  /** Replaces the chain handlers (tests). */
  handlers?: PathHandlers;
  /** The chain kinds to open the config's chains with (default: every kind this build ships). */
  kinds?: PathKindRegistry;
}

const LUA_LEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

const MAX_SCAN_BLOCKS = 200;

/** Jobs that deliver packets, acks or timeouts (what racing operators repeat, and what jitter spreads). */
const DELIVERY_KINDS = new Set<JobKind>(['relay-packets', 'relay-acks', 'timeouts']);

/** Jobs whose transaction goes to `src` (timeouts: where the commitments are), not `dst`. */
const SUBMITS_ON_SOURCE = new Set<JobKind>(['timeouts']);

export class Relayer {
  readonly metrics = new RelayerMetrics();
  readonly instanceId = randomUUID().slice(0, 8);
  readonly log: Logger;
  readonly handlers: PathHandlers;
  /** The `operator` label of this process's metrics (config `operator`, else the Redis prefix). */
  readonly operator: string;
  /** Every configured chain, opened by its kind. */
  private readonly chains: OpenPaths;
  private readonly queues = new Map<string, Queue<RelayJobData>>();
  private readonly workers: Worker<RelayJobData>[] = [];
  private readonly connections: Redis[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private redis!: Redis;
  private health!: Redis;
  private stopped = false;

  constructor(
    readonly cfg: RelayerConfig,
    private readonly opts: RelayerOptions,
  ) {
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ relayer: this.instanceId });
    const health = { maxLagBlocks: cfg.tuning.maxLagBlocks, probeIntervalMs: cfg.tuning.probeIntervalMs };
    const hub = openHub(cfg.hub, opts.signers.get(cfg.hub.chainId) ?? [], this.log, health);
    this.chains = (opts.kinds ?? defaultPathKinds()).open(cfg.chains, hub, opts.signers, this.log, health);
    this.operator = cfg.operator ?? cfg.redis.prefix;
    this.handlers = opts.handlers ?? this.chains.handlers;
  }

  private key(...parts: string[]): string {
    return [this.cfg.redis.prefix, 'relayer', ...parts].join(':');
  }

  private connect(opts: { offlineQueue?: boolean } = {}): Redis {
    // BullMQ workers need maxRetriesPerRequest null (they block on Redis); the health probe fails fast instead
    const r = new Redis(this.cfg.redis.url, opts.offlineQueue === false ? { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false } : { maxRetriesPerRequest: null });
    r.on('error', (e) => this.log.debug(errFields(e), 'redis connection error'));
    this.connections.push(r);
    return r;
  }

  path(id: string): PathConfig {
    const p = this.cfg.paths.find((x) => x.id === id);
    if (!p) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_PATH', `no path ${id}`, { details: { path: id } });
    return p;
  }

  queue(pathId: string): Queue<RelayJobData> {
    const q = this.queues.get(pathId);
    if (!q) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_PATH', `no path ${pathId}`, { details: { path: pathId } });
    return q;
  }

  async start(): Promise<void> {
    this.redis = this.connect();
    this.health = this.connect({ offlineQueue: false });
    const t = this.cfg.tuning;
    for (const p of this.cfg.paths) {
      const q = new Queue<RelayJobData>(`relay.${p.id}`, {
        connection: this.redis,
        prefix: this.cfg.redis.prefix,
        defaultJobOptions: {
          attempts: t.maxAttempts,
          backoff: { type: 'exponential', delay: t.backoffMs },
          // completed ids are kept a while so a rescan does not add the same work again; failed ones for operators
          removeOnComplete: { age: 3600, count: 20_000 },
          removeOnFail: { age: 24 * 3600 },
        },
      });
      q.on('error', (e) => this.log.debug({ path: p.id, ...errFields(e) }, 'queue error'));
      this.queues.set(p.id, q);
      const w = new Worker<RelayJobData>(`relay.${p.id}`, (job) => this.process(job), {
        connection: this.connect(),
        prefix: this.cfg.redis.prefix,
        concurrency: t.concurrency,
        lockDuration: t.lockMs,
        stalledInterval: Math.max(1000, Math.floor(t.lockMs / 2)),
        // a job whose worker was killed is picked up again; only a job that keeps killing workers fails
        maxStalledCount: 5,
      });
      w.on('error', (e) => this.log.warn({ path: p.id, ...errFields(e) }, 'worker error'));
      w.on('failed', (job, e) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) this.log.error({ path: p.id, jobId: job.id, ...errFields(e) }, 'job failed for good');
      });
      this.workers.push(w);
    }
    if (this.opts.scan !== false) for (const p of this.cfg.paths) this.loop(() => this.scanTick(p), t.scanIntervalMs);
    if (this.opts.clear !== false) for (const p of this.cfg.paths) this.loop(() => this.clearTick(p), t.clearIntervalMs, true);
    this.log.info({ paths: this.cfg.paths.map((p) => p.id), signers: this.signerAddresses() }, 'relayer started');
  }

  /** Runs `fn` now and again `ms` after each run ends (never overlapping itself). */
  private loop(fn: () => Promise<void>, ms: number, immediate = true): void {
    const run = async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (e) {
        this.log.warn(errFields(e), 'background pass failed; retrying');
      }
      if (!this.stopped) this.timers.push(setTimeout(run, ms));
    };
    this.timers.push(setTimeout(run, immediate ? 0 : ms));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    for (const c of this.connections) c.disconnect();
    await this.chains.close();
  }

  /** What each signer holds to pay fees with, in the chain's native units (kinds that charge no fees report none). */
  signerBalances(): Promise<GaugeValue[]> {
    return this.chains.signerBalances();
  }

  /** Every signer address by chain (public), for logs and metrics. */
  signerAddresses(): Record<string, string[]> {
    return this.chains.signerAddresses();
  }

  /** A packet's status on one chain of its route, as that chain's kind can tell it. */
  packetHop(chain: string, ref: PacketRef): Promise<Record<string, unknown>> {
    return this.chains.packetHop(chain, ref);
  }

  // ---- scanning ----

  /** Holds (or takes) the path's scanner lease; expires if this process dies, so another takes over. */
  /** The instance id holding a path's scanner lease, if any. */
  async leaseHolder(pathId: string): Promise<string | null> {
    return this.redis.get(this.key('lease', pathId));
  }

  private async lease(pathId: string): Promise<boolean> {
    const ms = Math.max(3 * this.cfg.tuning.scanIntervalMs, 5000);
    const r = await this.redis.eval(LUA_LEASE, 1, this.key('lease', pathId), this.instanceId, String(ms));
    return r === 1;
  }

  private async scanTick(p: PathConfig): Promise<void> {
    if (!(await this.lease(p.id))) return;
    let lost = false;
    for (const [i, [src, dst]] of [
      [p.chain, p.hub],
      [p.hub, p.chain],
    ].entries()) {
      // a long first scan must not let the lease lapse under the second
      if (i > 0 && !(await this.lease(p.id))) return;
      const ck = this.key('cursor', p.id, src);
      const tip = await (this.handlers.scanTip?.(src, dst) ?? this.handlers.latestHeight(src));
      const stored = await this.redis.get(ck);
      let from: number;
      if (stored === null) {
        // Redis lost the cursor (flush, restart, first start): rebuild from a lookback; clearing covers anything older
        from = Math.max(0, tip - this.cfg.tuning.lookbackBlocks);
        lost = true;
        this.log.info({ path: p.id, chainId: src, from, tip }, 'scanner cursor rebuilt from chain tip');
      } else from = Number(stored);
      const to = Math.min(tip, from + MAX_SCAN_BLOCKS);
      if (to <= from) continue;
      const blocks = await this.handlers.scanBlocks(src, dst, from, to);
      const jobs: { name: JobKind; data: RelayJobData; opts: { jobId: string; delay?: number } }[] = [];
      for (const b of blocks) {
        // timeout records found on `src` time out packets on `dst` (the job's source is where the commitments are)
        for (const [kind, jobSrc, jobDst, evs] of [
          ['relay-packets', src, dst, b.packets],
          ['relay-acks', src, dst, b.acks],
          ['timeouts', dst, src, b.timeouts ?? []],
        ] as const) {
          for (let i = 0, part = 0; i < evs.length; i += this.cfg.tuning.batchSize, part++) {
            const events = evs.slice(i, i + this.cfg.tuning.batchSize);
            jobs.push({ name: kind, data: { path: p.id, kind, src: jobSrc, dst: jobDst, events }, opts: { jobId: jobId(kind, p.id, src, { heights: [b.height, b.height], part }), ...this.jitter(p.id, kind) } });
          }
        }
      }
      // jobs first, cursor after: a crash in between rescans, and the same ids dedupe
      if (jobs.length) await this.queue(p.id).addBulk(jobs);
      await this.redis.set(ck, String(to));
      if (jobs.length) this.log.debug({ path: p.id, chainId: src, from, to, jobs: jobs.length }, 'scanned');
    }
    if (lost) await this.clearPath(p.id, { minAgeMs: 0 });
  }

  // ---- clearing ----

  private async clearTick(p: PathConfig): Promise<void> {
    if (this.opts.scan !== false && !(await this.lease(p.id))) return;
    await this.clearPath(p.id, { minAgeMs: this.cfg.tuning.clearIntervalMs });
  }

  /**
   * Reads every outstanding packet on the path from chain state and enqueues what it waits for.
   * Packets younger than `minAgeMs` are left to the scanners (they are most likely in a job already).
   */
  async clearPath(pathId: string, opts: { minAgeMs: number }): Promise<{ enqueued: number; items: number }> {
    const p = this.path(pathId);
    const others = this.cfg.chains.map((c) => c.id).filter((c) => c !== p.chain);
    const found = await this.handlers.pending(p.chain, p.hub, others);
    const now = Date.now();
    let enqueued = 0;
    let items = 0;
    for (const it of found) {
      const events = it.events.filter((_, i) => now - it.times[i] >= opts.minAgeMs).sort((a, b) => a.packet.sequence - b.packet.sequence);
      for (let i = 0; i < events.length; i += this.cfg.tuning.batchSize) {
        const chunk = events.slice(i, i + this.cfg.tuning.batchSize);
        const id = jobId(it.kind, p.id, it.src, { channel: it.channel, seqs: [chunk[0].packet.sequence, chunk.at(-1)!.packet.sequence] });
        if (await this.enqueue(p.id, { path: p.id, kind: it.kind, src: it.src, dst: it.dst, events: chunk }, id)) enqueued++;
        items += chunk.length;
      }
    }
    for (const [src, dst] of [
      [p.chain, p.hub],
      [p.hub, p.chain],
    ]) {
      const div = await this.handlers.consensusDivergence(src, dst);
      if (div) {
        this.log.error({ path: p.id, chainId: dst, counterparty: src, ...div }, 'client consensus differs from the chain it tracks');
        if (await this.enqueue(p.id, { path: p.id, kind: 'misbehaviour', src, dst, events: [], evidence: div }, jobId('misbehaviour', p.id, src, { heights: [div.height, div.height] }))) enqueued++;
      }
      const lag = await this.handlers.clientLag(src, dst);
      if (lag > this.cfg.tuning.clientRefreshBlocks) {
        const tip = await this.handlers.latestHeight(src);
        if (await this.enqueue(p.id, { path: p.id, kind: 'update-client', src, dst, events: [] }, jobId('update-client', p.id, src, { heights: [tip, tip] }))) enqueued++;
      }
    }
    if (enqueued) this.log.info({ path: p.id, enqueued, items }, 'clearing enqueued outstanding work');
    return { enqueued, items };
  }

  /**
   * Adds a job (a no-op while one with this id exists). When that job already failed without a
   * fatal code (retries ran out while a chain was down, say), clearing gives it another run
   * instead of being deduped by it. Returns whether work was queued.
   */
  private async enqueue(pathId: string, data: RelayJobData, id: string): Promise<boolean> {
    const q = this.queue(pathId);
    const job = await q.add(data.kind, data, { jobId: id, ...this.jitter(pathId, data.kind) });
    const state = await job.getState();
    if (state === 'failed') {
      if (!isRetryableReason(job.failedReason)) return false;
      await job.retry('failed');
      return true;
    }
    return state !== 'completed';
  }

  /**
   * The wait before a delivery job runs (the path's jitter, else tuning.jitter; none by default):
   * an operator that waits finds most of what another delivered meanwhile done when it re-checks.
   */
  private jitter(pathId: string, kind: JobKind): { delay?: number } {
    const j = this.path(pathId).jitter ?? this.cfg.tuning.jitter;
    if (!j || !DELIVERY_KINDS.has(kind) || j.maxMs === 0) return {};
    return { delay: j.minMs + Math.floor(Math.random() * (j.maxMs - j.minMs + 1)) };
  }

  // ---- jobs ----

  private async process(job: Job<RelayJobData>): Promise<DeliveryOutcome> {
    const d = job.data;
    const seqs = d.events.map((e) => e.packet.sequence);
    const log = this.log.child({ path: d.path, chainId: d.dst, jobId: job.id, kind: d.kind, seq: seqs.length ? `${Math.min(...seqs)}-${Math.max(...seqs)}` : undefined });
    try {
      let out: DeliveryOutcome;
      switch (d.kind) {
        case 'relay-packets':
          out = await this.handlers.relayPackets(d.src, d.dst, d.events);
          break;
        case 'relay-acks':
          out = await this.handlers.relayAcks(d.src, d.dst, d.events);
          break;
        case 'timeouts':
          out = await this.handlers.timeouts(d.src, d.dst, d.events);
          break;
        case 'update-client':
          out = await this.handlers.updateClient(d.src, d.dst);
          break;
        case 'misbehaviour':
          if (job.attemptsMade === 0) this.metrics.misbehaviour.inc({ path: d.path, chain: d.dst, counterparty: d.src });
          log.error({ counterparty: d.src, evidence: d.evidence }, 'misbehaviour detected: client consensus differs from the chain; submitting evidence');
          out = await this.handlers.submitMisbehaviour(d.src, d.dst, d.evidence!);
          break;
        default:
          throw new RelayerError('PNT_ERR_RELAY_JOB_UNKNOWN', `unknown job kind ${String((d as { kind: unknown }).kind)}`);
      }
      const labels = { path: d.path, kind: d.kind };
      if (!out.submitted) {
        this.metrics.alreadyDone.inc(labels);
        log.debug('destination already up to date');
      } else {
        this.metrics.submissions.inc({ ...labels, chain: SUBMITS_ON_SOURCE.has(d.kind) ? d.src : d.dst });
        this.metrics.packetsRelayed.inc(labels, out.accepted);
        if (out.accepted === 0 && out.redundant > 0) this.metrics.redundant.inc({ ...labels, operator: this.operator });
        this.metrics.latency.observe(labels, (Date.now() - job.timestamp) / 1000);
        log.info({ accepted: out.accepted, redundant: out.redundant, txHeight: out.txHeight }, 'relayed');
      }
      return out;
    } catch (e) {
      const code = e instanceof PontisError ? e.code : 'PNT_ERR_RELAY_UNEXPECTED';
      this.metrics.failures.inc({ path: d.path, kind: d.kind, code });
      const fatal = !shouldRetry(e);
      log.warn({ ...errFields(e), code, attempt: job.attemptsMade + 1, fatal }, fatal ? 'job cannot succeed' : 'job attempt failed; will retry');
      // the code leads the reason so operators (and clearing) can read it back from the failed job
      if (fatal) throw new UnrecoverableError(`${code}: ${(e as Error).message}`);
      throw new Error(`${code}: ${(e as Error).message}`, { cause: e });
    }
  }

  // ---- ops ----

  /** Queue depth per path, job kind and state (waiting, delayed, active, failed). */
  async queueDepth(): Promise<{ labels: Record<string, string>; value: number }[]> {
    const out: { labels: Record<string, string>; value: number }[] = [];
    for (const [path, q] of this.queues) {
      for (const state of ['waiting', 'delayed', 'active', 'failed'] as const) {
        const counts = new Map<string, number>(JOB_KINDS.map((k) => [k, 0]));
        const jobs = await q.getJobs([state === 'waiting' ? 'wait' : state, ...(state === 'waiting' ? (['prioritized'] as const) : [])], 0, 9999);
        for (const j of jobs) if (j) counts.set(j.name, (counts.get(j.name) ?? 0) + 1);
        for (const [kind, value] of counts) out.push({ labels: { path, kind, state }, value });
      }
    }
    return out;
  }

  /** Each RPC endpoint of every chain and its health (metrics). */
  endpointStatus(): EndpointStatus[] {
    return this.chains.endpointStatus();
  }

  /**
   * Ready when Redis answers and every chain has a healthy endpoint (one that answers, is not
   * catching up and does not lag the best by more than tuning.maxLagBlocks), each found within
   * `timeoutMs`. `checks` holds `ok` or why not per check; `reasons` lists the failing ones.
   */
  async readiness(timeoutMs = 2500): Promise<{ ok: boolean; checks: Record<string, string>; reasons: string[] }> {
    const within = <T>(p: Promise<T>) => Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out')), timeoutMs).unref())]);
    const checks: Record<string, string> = {};
    const probes: [string, () => Promise<string | null>][] = [
      ['redis', async () => (await this.health.ping(), null)],
      ...this.chains.chainIds().map((id) => [`chain:${id}`, async () => (await this.chains.readiness(id)).reason] as [string, () => Promise<string | null>]),
    ];
    await Promise.all(
      probes.map(async ([name, f]) => {
        try {
          const reason = await within(f());
          checks[name] = reason === null ? 'ok' : reason;
        } catch (e) {
          checks[name] = `down: ${(e as Error).message}`;
        }
      }),
    );
    const reasons = Object.entries(checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k, v]) => `${k}: ${v}`);
    return { ok: reasons.length === 0, checks, reasons };
  }
}
