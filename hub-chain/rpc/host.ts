/**
 * The consensus thread's side of the RPC: starts the RPC worker (worker.ts), feeds it the commit
 * stream and a status snapshot (on every commit and every STATUS_INTERVAL_MS), admits the
 * transactions it hands over into the mempool in small slices so consensus work interleaves, and
 * answers its mempool lookups. A worker that dies is logged and restarted; consensus never waits
 * for it.
 */
import { Worker } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { RootDatabase } from 'lmdb';
import type { Hex } from '../crypto/bytes.ts';
import type { DecodedTx } from '../app/tx.ts';
import { PontisError, errFields } from '../errors.ts';
import type { Home } from '../node/config.ts';
import type { Metrics } from '../node/metrics.ts';
import { envLocation } from '../node/chain-reader.ts';
import { RpcError } from './errors.ts';
import type { FromWorker, RpcWorkerInit, StatusSnapshot, SubmitResult, ToWorker } from './protocol.ts';

/** What the RPC needs from the node on the consensus thread. */
export interface RpcNode {
  readonly home: Home;
  readonly env: RootDatabase;
  readonly metrics: Metrics;
  readonly mempool: { has(hash: Hex): boolean; readonly size: number; readonly totalBytes: number };
  status(): { latestHeight: number } & object;
  submitTx(d: DecodedTx, opts: { signatureChecked: boolean }): void;
}

export interface RpcServer {
  port: number;
  close(): Promise<void>;
  /** A block was committed at `height`: the worker refreshes its reads and tells event-stream clients. */
  publishBlock(height: number): void;
}

const STATUS_INTERVAL_MS = 250;
/** Transactions admitted per turn of the consensus thread's event loop. */
const ADMIT_SLICE = 256;
const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 5000;
/** A worker that ran this long resets the restart backoff. */
const HEALTHY_AFTER_MS = 10_000;
const CLOSE_TIMEOUT_MS = 5000;
const ENTRY = import.meta.url.endsWith('.ts') ? new URL('./worker-entry.mjs', import.meta.url) : new URL('./worker.js', import.meta.url);

export class RpcHost implements RpcServer {
  port: number;
  restarts = 0;
  private worker: Worker | undefined;
  private startedAt = 0;
  private backoff = RESTART_MIN_MS;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly statusTimer: NodeJS.Timeout;

  private constructor(
    private readonly node: RpcNode,
    private readonly log: Logger,
  ) {
    this.port = node.home.config.rpc.port;
    this.statusTimer = setInterval(() => this.post({ t: 'status', snapshot: this.snapshot() }), STATUS_INTERVAL_MS);
    this.statusTimer.unref();
  }

  /** Starts the worker and resolves once it listens (rejects if it cannot, e.g. the port is taken). */
  static async start(node: RpcNode, log: Logger): Promise<RpcHost> {
    const host = new RpcHost(node, log);
    try {
      await host.spawn();
    } catch (e) {
      clearInterval(host.statusTimer);
      throw e;
    }
    return host;
  }

  /** The worker thread serving now (diagnostics, fault tests). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  publishBlock(height: number): void {
    this.post({ t: 'commit', height, snapshot: this.snapshot() });
  }

  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.statusTimer);
    clearTimeout(this.restartTimer);
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage({ t: 'close' } satisfies ToWorker);
    const timer = setTimeout(() => void w.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private snapshot(): StatusSnapshot {
    const n = this.node;
    return {
      status: n.status(),
      metrics: n.metrics.render({ pontis_mempool_txs: n.mempool.size, pontis_mempool_bytes: n.mempool.totalBytes, pontis_rpc_worker_restarts_total: this.restarts }),
    };
  }

  private post(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  private spawn(): Promise<void> {
    const cfg = this.node.home.config;
    const init: RpcWorkerInit = {
      env: envLocation(this.node.env),
      genesis: this.node.home.genesis,
      rpc: cfg.rpc,
      port: this.port,
      logLevel: this.log.level,
      snapshot: this.snapshot(),
    };
    const w = new Worker(ENTRY, { workerData: init, name: 'pontis-rpc' });
    this.worker = w;
    this.startedAt = Date.now();
    return new Promise((resolve, reject) => {
      let ready = false;
      w.on('message', (m: FromWorker) => {
        if (m.t === 'listening') {
          ready = true;
          this.port = m.port;
          resolve();
        } else if (m.t === 'failed') {
          reject(new RpcError(m.error.code, m.error.message, { retryable: m.error.retryable }));
        } else {
          this.onWorkerMessage(w, m);
        }
      });
      w.on('error', (err) => {
        this.log.error({ ...errFields(err) }, 'RPC worker failed');
        if (!ready) reject(err);
      });
      w.on('exit', (code) => this.onExit(w, code, ready));
    });
  }

  private onExit(w: Worker, code: number, wasReady: boolean): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    if (this.stopping || !wasReady) return;
    if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.backoff = RESTART_MIN_MS;
    this.log.error({ code, restartInMs: this.backoff }, 'RPC worker exited; restarting it');
    this.restartTimer = setTimeout(() => this.restart(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, RESTART_MAX_MS);
  }

  private restart(): void {
    if (this.stopping) return;
    this.restarts++;
    this.spawn().then(
      () => this.log.info({ port: this.port, restarts: this.restarts }, 'RPC worker restarted'),
      (err) => {
        this.log.error({ ...errFields(err), restartInMs: this.backoff }, 'RPC worker could not start; retrying');
        this.worker = undefined;
        this.restartTimer = setTimeout(() => this.restart(), this.backoff);
        this.backoff = Math.min(this.backoff * 2, RESTART_MAX_MS);
      },
    );
  }

  private onWorkerMessage(w: Worker, m: FromWorker): void {
    switch (m.t) {
      case 'submit':
        this.admit(w, m.id, m.txs);
        return;
      case 'pending?':
        w.postMessage({ t: 'pending', id: m.id, pending: this.node.mempool.has(m.hash) } satisfies ToWorker);
        return;
      case 'log':
        this.relayLog(m.line);
        return;
    }
  }

  /** Admits a submission ADMIT_SLICE transactions per event-loop turn, so a large batch never holds consensus up. */
  private admit(w: Worker, id: number, txs: DecodedTx[]): void {
    const results: SubmitResult[] = [];
    const step = () => {
      const end = Math.min(txs.length, results.length + ADMIT_SLICE);
      while (results.length < end) results.push(this.admitOne(txs[results.length]));
      if (results.length < txs.length) setImmediate(step);
      else w.postMessage({ t: 'submitted', id, results } satisfies ToWorker);
    };
    step();
  }

  private admitOne(d: DecodedTx): SubmitResult {
    try {
      this.node.submitTx(d, { signatureChecked: true });
      return { hash: d.hash, status: 'pending' };
    } catch (e) {
      if (e instanceof PontisError) return { error: e.toJSON() };
      this.log.error({ ...errFields(e), hash: d.hash }, 'mempool admission failed');
      return { error: new RpcError('PNT_ERR_RPC_INTERNAL', 'internal error').toJSON() };
    }
  }

  /** The worker's pino records, written through the node's logger (its level, fields and destination). */
  private relayLog(line: string): void {
    try {
      const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>;
      const label = pino.levels.labels[level] as pino.Level | undefined;
      this.log[label ?? 'info'](fields, msg ?? '');
    } catch {
      this.log.warn({ line }, 'unreadable RPC worker log record');
    }
  }
}
