/**
 * A hub node: storage, chain, mempool, consensus engine, peer links, block sync and RPC, wired
 * together. One process runs one node.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open as openLmdb, type RootDatabase } from 'lmdb';
import pino, { type Logger } from 'pino';
import { ConsensusEngine } from '../consensus/engine.ts';
import { FilePrivValidator } from '../consensus/priv-validator.ts';
import { FileConsensusStateStore } from '../consensus/state-store.ts';
import type { Clock, ConsensusMessage } from '../consensus/types.ts';
import { type Hex, toHex, utf8 } from '../crypto/bytes.ts';
import { keccakReady, sha256 } from '../crypto/hash.ts';
import { addressFromPublicKey, validatorPublicKey } from '../crypto/secp256k1.ts';
import { type AddOptions, Mempool } from '../app/mempool.ts';
import { type DecodedTx, type Msg, decodeTx, decodeTxObject, signTx } from '../app/tx.ts';
import { type AccountKey, accountKeyFromSeed } from '../crypto/ed25519.ts';
import { AttestationObserver } from '../light-clients/attested/observer.ts';
import { createClientRouter } from '../app/client-types.ts';
import { HubClient } from '../rpc-client/client.ts';
import { writeFileDurable } from '../consensus/durable-file.ts';
import type { Evidence } from '../types/block.ts';
import type { Commit } from '../types/vote.ts';
import { headerHash } from '../types/header.ts';
import { Chain, type CommittedInfo } from './chain.ts';
import { type Home, loadHome, paths } from './config.ts';
import { P2P, p2pConfig } from './p2p.ts';
import { blockToWire, consensusFromWire, consensusToWire, type WireBlock, type WireMessage } from './wire.ts';
import { RpcHost, type RpcServer } from '../rpc/host.ts';
import { Metrics } from './metrics.ts';
import { BlockSync, SYNC_WINDOW } from './block-sync.ts';
import { SnapshotStore } from './snapshots.ts';
import { PeerRequests, StateSync, answerSyncQuery } from './state-sync.ts';
import type { SyncQuery } from './wire.ts';
import { PontisError, errFields } from '../errors.ts';

/** A sync reply stops adding blocks past this size (the peer link's message limit is far above it). */
const SYNC_REPLY_BYTES = 4 * 1024 * 1024;
const TX_GOSSIP_INTERVAL_MS = 10;
/** Peers send status every few hundred ms; one silent for longer is not asked for blocks. */
const PEER_STATUS_FRESH_MS = 5_000;

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

export class HubNode {
  readonly log: Logger;
  readonly env: RootDatabase;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly metrics = new Metrics();
  readonly address: Hex | undefined;
  /** The validator address, or a random id for a node that does not validate (peers tell links apart by it). */
  readonly nodeId: Hex;
  private engine: ConsensusEngine | undefined;
  private readonly p2p: P2P;
  private rpc: RpcServer | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly peerHeights = new Map<string, { height: number; reply: (m: WireMessage) => void; at: number }>();
  private gossipQueue: Uint8Array[] = [];
  private readonly sync: BlockSync;
  readonly snapshots: SnapshotStore;
  private readonly requests = new PeerRequests();
  private stateSync: StateSync | undefined;
  /** True while an empty node looks for and restores a snapshot (block sync and consensus wait). */
  private bootstrapping = false;
  private lastProgressAt = Date.now();
  private ticks = 0;
  private stopped = false;
  private privValidator: FilePrivValidator | undefined;
  private readonly consensusStore: FileConsensusStateStore;

  constructor(
    readonly home: Home,
    private readonly opts: { logger?: Logger; onHalt?: (err: unknown) => void } = {},
  ) {
    const cfg = home.config;
    this.log = opts.logger ?? pino({ level: cfg.log.level, base: { node: cfg.moniker } });
    const p = paths(home.dir);
    mkdirSync(p.data, { recursive: true });
    this.env = openLmdb({ path: `${p.data}/chain`, mapSize: 64 * 1024 ** 3 });
    let chain!: Chain;
    this.mempool = new Mempool(cfg.mempool, home.genesis.chainId, (a) => chain.nonceOf(a));
    this.metrics.mempool = this.mempool;
    this.chain = chain = new Chain(this.env, home.genesis, this.mempool, { retainVersions: cfg.storage.retainVersions, logger: this.log.child({ mod: 'chain' }) });
    if (home.validatorKey) {
      this.address = addressFromPublicKey(validatorPublicKey(home.validatorKey));
    }
    this.nodeId = this.address ?? toHex(randomBytes(20));
    this.consensusStore = new FileConsensusStateStore(`${p.data}/consensus`);
    this.p2p = new P2P(
      p2pConfig(cfg.p2p, { nodeId: this.nodeId, chainId: home.genesis.chainId, maxBlockBytes: home.genesis.params.maxBlockBytes }),
      this.log.child({ mod: 'p2p' }),
      () => this.chain.latestHeight(),
    );
    this.chain.onCommit((c) => this.onCommitted(c));
    this.snapshots = new SnapshotStore(join(p.data, 'snapshots'), home.genesis.chainId, cfg.statesync.keepSnapshots, this.log.child({ mod: 'snapshots' }));
    this.sync = new BlockSync({
      chain: this.chain,
      log: this.log.child({ mod: 'sync' }),
      // a link that stopped sending status (closed, or the peer is paused) no longer counts
      peers: () => this.freshPeers(),
      pauseConsensus: async () => {
        const e = this.engine;
        this.engine = undefined; // messages for consensus are dropped while syncing
        e?.stop();
        await e?.idle();
      },
      resumeConsensus: () => this.startEngine(),
      feedDecided: (block, commit) => this.engine?.receive({ kind: 'decided', block, commit }),
      sinceProgressMs: () => Date.now() - this.lastProgressAt,
    });
    this.metrics.sync = this.sync;
  }

  static fromHome(dir: string, opts: { logger?: Logger; onHalt?: (err: unknown) => void } = {}): HubNode {
    return new HubNode(loadHome(dir), opts);
  }

  get rpcUrl(): string {
    return `http://${this.home.config.rpc.host}:${this.rpc?.port ?? this.home.config.rpc.port}`;
  }

  async start(): Promise<void> {
    await keccakReady;
    if (this.home.validatorKey) this.privValidator = await FilePrivValidator.open({ secretKey: this.home.validatorKey, statePath: paths(this.home.dir).privValidatorState });
    const ss = this.home.config.statesync;
    // set before peers connect: their status must not start block sync ahead of state sync
    this.bootstrapping = this.chain.latestHeight() === 0 && ss.enable && this.home.config.p2p.peers.length > 0;
    this.p2p.on('message', (m, reply, from) => this.onPeerMessage(m, reply, from));
    await this.p2p.start();
    // the RPC runs in its own thread (rpc/worker.ts) so client load cannot delay consensus; the
    // thread loads while consensus (or catching up) starts here
    const rpc = RpcHost.start(this, this.log.child({ mod: 'rpc' }));
    if (this.bootstrapping) void this.bootstrap();
    else await this.startEngine();
    try {
      this.rpc = await rpc;
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.startObservers();
    this.timers.push(
      setInterval(() => this.heartbeat(), Math.max(100, Math.floor(this.home.config.consensus.prevoteMs / 2))),
      setInterval(() => this.flushTxGossip(), TX_GOSSIP_INTERVAL_MS),
    );
    this.log.info({ height: this.chain.latestHeight(), rpc: this.rpcUrl, p2p: this.home.config.p2p.port, validator: this.address }, 'node started');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.sync.stop();
    this.stateSync?.stop();
    this.engine?.stop();
    // let a commit already under way finish before the database closes
    await Promise.race([this.engine?.idle(), new Promise((r) => setTimeout(r, 5000))]);
    await Promise.all(this.observers.map((o) => o.stop()));
    await this.rpc?.close();
    await this.p2p.stop();
    await this.env.close();
    this.log.info('node stopped');
  }

  /**
   * Admits a transaction from a client (`opts.signatureChecked`: the caller verified its signature)
   * and queues for gossip what became executable; one above a nonce gap waits here until the gap
   * closes. Throws TxError on refusal.
   */
  submitTx(d: DecodedTx, opts?: AddOptions): void {
    const ready = this.mempool.add(d, opts);
    for (const r of ready) this.gossipQueue.push(r.bytes);
    if (ready.length) this.engine?.workArrived();
    this.metrics.txsReceived++;
  }

  status() {
    const h = this.chain.latestHeader();
    const vs = this.chain.validatorSet(this.chain.latestHeight() + 1);
    return {
      chainId: this.chain.chainId,
      nodeId: this.address ?? null,
      moniker: this.home.config.moniker,
      latestHeight: this.chain.latestHeight(),
      latestBlockHash: h ? headerHash(h) : null,
      latestBlockTime: h?.time ?? null,
      stateRoot: h?.stateRoot ?? null,
      validators: vs.validators.map((v) => ({ address: v.address, power: v.power })),
      consensus: this.engine ? { height: this.engine.height, round: this.engine.round, step: this.engine.step } : null,
      catchingUp: this.sync.isRunning || this.bootstrapping,
      mempool: { txs: this.mempool.size, bytes: this.mempool.totalBytes },
      peers: this.p2p.peers(),
    };
  }

  /** Attestation observers: sign votes for other chains' finalized headers and submit them. */
  private startObservers(): void {
    const cfg = this.home.config.observers;
    if (cfg.length === 0) return;
    if (!this.home.validatorKey) {
      this.log.warn('observers configured but this node has no validator key; not observing');
      return;
    }
    // votes carry the validator's signature; the transaction carrying them is signed by an account
    // derived from that key, apart from the operator's, so the two never race for a nonce
    const key = accountKeyFromSeed(sha256(utf8('pontis/observer-account'), this.home.validatorKey));
    const plugins = createClientRouter().observers();
    for (const o of cfg) {
      const plugin = plugins.get(o.kind)!; // the config schema admits only kinds with a plug-in
      const markPath = join(paths(this.home.dir).data, `observer-${o.chainId}.mark`);
      const obs = new AttestationObserver({
        chainId: o.chainId,
        hubChainId: this.chain.chainId,
        ...plugin.source(o, { pontisRpc: (url) => new HubClient(url) }),
        stride: o.stride,
        secretKey: this.home.validatorKey,
        intervalMs: o.intervalMs,
        mark: {
          load: () => (existsSync(markPath) ? Number(readFileSync(markPath, 'utf8')) || 0 : 0),
          save: (h) => writeFileDurable(markPath, String(h)),
        },
        submit: async (msg) => this.submitOwn(key, [msg]),
        onError: (e) => this.log.warn({ ...errFields(e), chainId: o.chainId }, 'observer'),
      });
      obs.start();
      this.observers.push(obs);
      this.log.info({ chainId: o.chainId, rpc: o.rpc }, 'observing chain for attestations');
    }
  }

  /** Signs and admits a transaction of this node's own (observer votes), keeping a local nonce. */
  private submitOwn(key: AccountKey, msgs: Msg[]): void {
    this.ownNonce = Math.max(this.ownNonce, this.chain.nonceOf(key.address));
    const d = decodeTxObject(signTx({ chainId: this.chain.chainId, nonce: this.ownNonce, msgs }, key));
    try {
      this.submitTx(d);
      this.ownNonce++;
    } catch (e) {
      this.ownNonce = 0; // re-read from state next time
      throw e;
    }
  }
  private ownNonce = 0;
  private readonly observers: AttestationObserver[] = [];

  private async startEngine(): Promise<void> {
    this.engine?.stop();
    const h = this.chain.latestHeight();
    const engine = new ConsensusEngine({
      chainId: this.chain.chainId,
      executor: this.chain,
      privValidator: this.privValidator,
      transport: { broadcast: (m: ConsensusMessage) => this.p2p.broadcast({ t: 'cons', m: consensusToWire(m) }) },
      clock: systemClock,
      timeouts: this.home.config.consensus,
      hasWork: () => this.mempool.executable > 0,
      store: this.consensusStore,
      logger: this.log.child({ mod: 'consensus' }),
      events: {
        onEvidence: (e: Evidence) => this.log.warn({ validator: e.voteA.validator, height: e.voteA.height }, 'double-sign evidence recorded'),
        // the engine halts when it cannot persist (block commit or lock file): stop rather than run on unsaved state
        onHalt: (err: unknown) => {
          if (this.stopped) return; // work cut short by our own shutdown
          this.log.fatal({ ...errFields(err) }, 'consensus halted; stopping the node');
          void this.stop().finally(() => this.opts.onHalt?.(err));
        },
      },
    });
    this.engine = engine;
    await engine.start(h + 1, this.chain.validatorSet(h + 1), this.chain.stored(h)?.commit ?? null, this.chain.latestBlockTime());
  }

  private onCommitted(c: CommittedInfo): void {
    this.lastProgressAt = Date.now();
    const every = this.home.config.statesync.snapshotInterval;
    // synchronously after the commit: the snapshot's read transaction pins exactly this height
    if (every > 0 && c.block.header.height % every === 0) this.snapshots.startSnapshot(this.chain.state, c.block.header.height);
    this.metrics.onBlock(c);
    this.log.info({ height: c.block.header.height, hash: c.hash, txs: c.block.txs.length }, 'committed block');
    this.rpc?.publishBlock(c.block.header.height);
  }

  private onPeerMessage(m: WireMessage, reply: (m: WireMessage) => void, from: string): void {
    try {
      switch (m.t) {
        case 'cons':
          this.engine?.receive(consensusFromWire(m.m));
          return;
        case 'txs':
          if (!Array.isArray(m.txs)) return;
          for (const bytes of m.txs) {
            if (!(bytes instanceof Uint8Array)) continue; // transactions come as binary attachments
            try {
              const d = decodeTx(bytes);
              // the peer sent d to every node; what d unblocked here may have reached only us, so it goes on
              const ready = this.mempool.add(d);
              for (const r of ready) if (r !== d) this.gossipQueue.push(r.bytes);
              if (ready.length) this.engine?.workArrived();
            } catch {
              // duplicates, stale nonces and a full pool are normal in gossip
            }
          }
          return;
        case 'hello':
        case 'status': {
          const height = Number(m.height);
          this.peerHeights.set(from, { height: Number.isSafeInteger(height) && height >= 0 ? height : 0, reply, at: Date.now() });
          if (!this.bootstrapping) this.sync.check();
          return;
        }
        case 'req':
          void this.serve(m.id, m.q, reply);
          return;
        case 'res':
          this.requests.onResponse(from, m);
          return;
        case 'get-blocks':
          reply({ t: 'blocks', items: this.blocksFor(Number(m.from), Number(m.to)) });
          return;
        case 'blocks':
          this.sync.onBlocks(from, m.items);
          return;
      }
    } catch (e) {
      this.log.warn({ ...errFields(e), peer: from, t: m.t }, 'dropped a peer message');
    }
  }

  private heartbeat(): void {
    this.p2p.broadcast({ t: 'status', node: this.nodeId, height: this.chain.latestHeight() });
    // Re-send what the engine holds for this height: lost messages and healed partitions recover.
    // Votes are small and go every tick; whole blocks (proposal, decided) only when the chain has
    // not moved for a while (a peer may have missed them), and then every fourth tick.
    const withBlocks = Date.now() - this.lastProgressAt > 2000 && this.ticks++ % 4 === 0;
    for (const m of this.engine?.gossipState() ?? []) {
      if (m.kind === 'vote' || withBlocks) this.p2p.broadcast({ t: 'cons', m: consensusToWire(m) }, true);
    }
    if (!this.bootstrapping) this.sync.check();
  }

  private flushTxGossip(): void {
    // transactions a commit moved out from above a nonce gap are gossiped now that they can run
    for (const d of this.mempool.takePromoted()) this.gossipQueue.push(d.bytes);
    if (this.gossipQueue.length === 0) return;
    const txs = this.gossipQueue;
    this.gossipQueue = [];
    this.p2p.broadcastTxs(txs);
  }

  private freshPeers() {
    // a link that stopped sending status (closed, or the peer is paused) no longer counts
    return [...this.peerHeights].filter(([, p]) => Date.now() - p.at < PEER_STATUS_FRESH_MS).map(([id, p]) => ({ id, height: p.height, send: p.reply }));
  }

  /** An empty node: restore a verified snapshot if peers offer one, then block-sync and join consensus. */
  private async bootstrap(): Promise<void> {
    const ss = this.home.config.statesync;
    try {
      this.stateSync = new StateSync({
        chain: this.chain,
        log: this.log.child({ mod: 'statesync' }),
        cfg: { discoveryMs: ss.discoveryMs, trustingPeriodMs: ss.trustingPeriodMs, maxClockDriftMs: this.home.genesis.params.maxClockDriftMs, trustHeight: ss.trustHeight, trustHash: ss.trustHash },
        requests: this.requests,
        peers: () => this.freshPeers(),
      });
      const out = await this.stateSync.run();
      if (out.restored) {
        this.metrics.restoredHeight = out.height;
        this.log.info({ height: out.height, ms: out.ms }, 'state sync done; block sync takes it from here');
      }
      else this.log.info({ reason: out.reason }, 'state sync not used; syncing from genesis');
    } catch (e) {
      this.log.error({ ...errFields(e) }, 'state sync failed; syncing from genesis');
    } finally {
      this.bootstrapping = false;
    }
    if (this.stopped) return;
    await this.startEngine();
    this.sync.check();
  }

  /** Answers a state-syncing peer. Errors go back as codes; nothing here changes local state. */
  private async serve(id: number, q: SyncQuery, reply: (m: WireMessage) => void): Promise<void> {
    try {
      reply({ t: 'res', id, ok: true, data: await answerSyncQuery(this.chain, this.snapshots, q) });
    } catch (e) {
      reply({ t: 'res', id, ok: false, code: e instanceof PontisError ? e.code : 'PNT_ERR_SYNC_INTERNAL' });
    }
  }

  /** Blocks from..to with their commits for a syncing peer: at most SYNC_WINDOW, and stops once SYNC_REPLY_BYTES are reached. */
  private blocksFor(from: number, to: number): { block: WireBlock; commit: Commit }[] {
    const items: { block: WireBlock; commit: Commit }[] = [];
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || to < from) return items;
    const last = Math.min(to, from + SYNC_WINDOW - 1, this.chain.latestHeight());
    let bytes = 0;
    for (let h = from; h <= last && bytes < SYNC_REPLY_BYTES; h++) {
      const s = this.chain.stored(h);
      if (!s) break;
      const item = { block: blockToWire(s.block), commit: s.commit };
      bytes += s.block.txs.reduce((a, t) => a + t.length + 4, 0) + 2048;
      items.push(item);
    }
    return items;
  }
}
