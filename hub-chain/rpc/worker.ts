/**
 * The RPC worker thread: serves the node's JSON RPC off the consensus thread. It opens the
 * node's LMDB env itself (ChainReader), answers reads from there, decodes and signature-checks
 * submitted transactions, and asks main (protocol.ts) only for what main alone knows: mempool
 * admission, whether a hash is pending, and the status snapshot main pushes on every commit.
 * Started through worker-entry.mjs (which loads TypeScript) by host.ts.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { Hex } from '../crypto/bytes.ts';
import type { DecodedTx } from '../app/tx.ts';
import { ChainReader } from '../node/chain-reader.ts';
import { PontisError, errFields } from '../errors.ts';
import { RpcError } from './errors.ts';
import type { FromWorker, RpcWorkerInit, StatusSnapshot, SubmitResult, ToWorker } from './protocol.ts';
import { type RpcHttpServer, startRpcServer } from './server.ts';

/**
 * Requests to main, bounded: at most `maxInFlight` transactions (and pending lookups) waiting
 * for an answer; past that the RPC answers 503 PNT_ERR_RPC_BUSY instead of queueing more work
 * for the consensus thread.
 */
class MainThread {
  private nextId = 1;
  private inFlight = 0;
  private closed = false;
  private readonly waiting = new Map<number, { cost: number; resolve: (m: ToWorker) => void; reject: (e: unknown) => void }>();

  constructor(
    private readonly port: MessagePort,
    private readonly maxInFlight: number,
  ) {}

  async submit(txs: DecodedTx[]): Promise<SubmitResult[]> {
    const m = await this.ask(txs.length, (id) => ({ t: 'submit', id, txs }));
    return (m as Extract<ToWorker, { t: 'submitted' }>).results;
  }

  async isPending(hash: Hex): Promise<boolean> {
    const m = await this.ask(1, (id) => ({ t: 'pending?', id, hash }));
    return (m as Extract<ToWorker, { t: 'pending' }>).pending;
  }

  /** An answer from main to one of our requests. */
  settle(id: number, m: ToWorker): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    this.inFlight -= w.cost;
    w.resolve(m);
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.values()) w.reject(new RpcError('PNT_ERR_RPC_UNAVAILABLE', 'the node is shutting down'));
    this.waiting.clear();
  }

  private ask(cost: number, msg: (id: number) => FromWorker): Promise<ToWorker> {
    if (this.closed) return Promise.reject(new RpcError('PNT_ERR_RPC_UNAVAILABLE', 'the node is shutting down'));
    // one oversized batch may go alone, so a batch larger than the bound is slow, never impossible
    if (this.inFlight > 0 && this.inFlight + cost > this.maxInFlight) {
      return Promise.reject(new RpcError('PNT_ERR_RPC_BUSY', `${this.inFlight} transactions are waiting for the consensus thread; retry later`));
    }
    const id = this.nextId++;
    this.inFlight += cost;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { cost, resolve, reject });
      this.port.postMessage(msg(id));
    });
  }
}

/** A pino logger whose records go to main, which writes them through the node's own logger. */
function mainLogger(port: MessagePort, level: string): Logger {
  const stream = { write: (line: string) => port.postMessage({ t: 'log', line } satisfies FromWorker) };
  return pino({ level, base: null, timestamp: false }, stream);
}

/**
 * The worker competes with consensus for the same cores; a higher nice value for this thread
 * only (Linux applies setpriority(0) to the calling thread) keeps consensus ahead of RPC load.
 */
function lowerPriority(nice: number, log: Logger): void {
  if (nice === 0) return;
  try {
    setPriority(0, nice);
  } catch (err) {
    log.warn({ ...errFields(err), nice }, 'could not lower the RPC thread priority');
  }
}

async function main(port: MessagePort, init: RpcWorkerInit): Promise<void> {
  const log = mainLogger(port, init.logLevel);
  lowerPriority(init.rpc.nice, log);
  const chain = ChainReader.open(init.env, init.genesis);
  const toMain = new MainThread(port, init.rpc.maxInFlightTxs);
  let snapshot: StatusSnapshot = init.snapshot;
  let server: RpcHttpServer;
  try {
    server = await startRpcServer({ chain, snapshot: () => snapshot, submit: (txs) => toMain.submit(txs), isPending: (h) => toMain.isPending(h) }, init.rpc, init.port, log);
  } catch (e) {
    const err = e instanceof PontisError ? e.toJSON() : { code: 'PNT_ERR_RPC_LISTEN', message: `cannot listen on ${init.rpc.host}:${init.port}: ${(e as Error).message}`, retryable: true };
    port.postMessage({ t: 'failed', error: err } satisfies FromWorker);
    await chain.close();
    port.close();
    return;
  }
  const seeNewer = (s: StatusSnapshot) => {
    // main only reports heights it has committed: make sure our reads are not older than what /status says
    if (s.status.latestHeight > chain.latestHeight()) chain.refresh();
    snapshot = s;
  };
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'commit':
        chain.refresh();
        seeNewer(m.snapshot);
        server.onCommit(m.height);
        return;
      case 'status':
        seeNewer(m.snapshot);
        return;
      case 'submitted':
      case 'pending':
        toMain.settle(m.id, m);
        return;
      case 'close':
        toMain.close();
        void server
          .close()
          .catch((err) => log.warn({ ...errFields(err) }, 'rpc close'))
          .then(() => chain.close())
          .finally(() => {
            port.postMessage({ t: 'closed' } satisfies FromWorker);
            port.close();
          });
        return;
    }
  });
  port.postMessage({ t: 'listening', port: server.port } satisfies FromWorker);
}

if (parentPort) void main(parentPort, workerData as RpcWorkerInit);
