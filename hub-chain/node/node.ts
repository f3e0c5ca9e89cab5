/**
 * A hub node: storage, chain, mempool, consensus engine, peer links, block sync and RPC, wired
 * together. One process runs one node.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { open as openLmdb, type RootDatabase } from 'lmdb';
import pino, { type Logger } from 'pino';
import { ConsensusEngine } from '../consensus/engine.ts';
import { FilePrivValidator } from '../consensus/priv-validator.ts';
import { FileConsensusStateStore } from '../consensus/state-store.ts';
import type { Clock, ConsensusMessage } from '../consensus/types.ts';
import { type Hex, toHex, utf8 } from '../crypto/bytes.ts';
import { sha256 } from '../crypto/hash.ts';
import { addressFromPublicKey, validatorPublicKey } from '../crypto/secp256k1.ts';
import { Mempool } from '../app/mempool.ts';
import { type DecodedTx, type Msg, decodeTx, decodeTxObject, signTx } from '../app/tx.ts';
import { type AccountKey, accountKeyFromSeed } from '../crypto/ed25519.ts';
import { AttestationObserver, pontisFinalizedSource } from '../modules/clients/observer.ts';
import { evmFinalizedSource } from '../light-clients/evm/source.ts';
import { writeFileDurable } from '../consensus/durable-file.ts';
import { blockFromJSON, blockToJSON, type Evidence } from '../types/block.ts';
import type { Commit } from '../types/vote.ts';
import { headerHash } from '../types/header.ts';
import { Chain, type CommittedInfo } from './chain.ts';
import { type Home, loadHome, paths } from './config.ts';
import { P2P, p2pConfig } from './p2p.ts';
import { consensusFromWire, consensusToWire, type WireMessage } from './wire.ts';
import { RpcHost, type RpcServer } from '../rpc/host.ts';
import { Metrics } from './metrics.ts';

const SYNC_BATCH = 50;
const TX_GOSSIP_INTERVAL_MS = 10;

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
  private engine: ConsensusEngine | undefined;
  private readonly p2p: P2P;
  private rpc: RpcServer | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly peerHeights = new Map<string, { height: number; reply: (m: WireMessage) => void; at: number }>();
  private gossipQueue: string[] = [];
  private syncing = false;
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
    this.chain = chain = new Chain(this.env, home.genesis, this.mempool, { retainVersions: cfg.storage.retainVersions, logger: this.log.child({ mod: 'chain' }) });
    if (home.validatorKey) {
      this.address = addressFromPublicKey(validatorPublicKey(home.validatorKey));
    }
    this.consensusStore = new FileConsensusStateStore(`${p.data}/consensus`);
    this.p2p = new P2P(
      p2pConfig(cfg.p2p, { nodeId: this.address ?? toHex(new Uint8Array(20)), chainId: home.genesis.chainId, maxBlockBytes: home.genesis.params.maxBlockBytes }),
      this.log.child({ mod: 'p2p' }),
      () => this.chain.latestHeight(),
    );
    this.chain.onCommit((c) => this.onCommitted(c));
  }

  static fromHome(dir: string, opts: { logger?: Logger; onHalt?: (err: unknown) => void } = {}): HubNode {
    return new HubNode(loadHome(dir), opts);
  }

  get rpcUrl(): string {
    return `http://${this.home.config.rpc.host}:${this.rpc?.port ?? this.home.config.rpc.port}`;
  }

  async start(): Promise<void> {
    if (this.home.validatorKey) this.privValidator = await FilePrivValidator.open({ secretKey: this.home.validatorKey, statePath: paths(this.home.dir).privValidatorState });
    this.p2p.on('message', (m, reply, from) => this.onPeerMessage(m, reply, from));
    await this.p2p.start();
    // the RPC runs in its own thread (rpc/worker.ts) so client load cannot delay consensus
    this.rpc = await RpcHost.start(this, this.log.child({ mod: 'rpc' }));
    await this.startEngine();
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
    this.engine?.stop();
    // let a commit already under way finish before the database closes
    await Promise.race([this.engine?.idle(), new Promise((r) => setTimeout(r, 5000))]);
    await Promise.all(this.observers.map((o) => o.stop()));
    await this.rpc?.close();
    await this.p2p.stop();
    await this.env.close();
    this.log.info('node stopped');
  }

  /** Admits a transaction from a client and queues it for gossip. Throws TxError on refusal. `signatureChecked`: verified already (by the RPC worker). */
  submitTx(d: DecodedTx, opts: { signatureChecked?: boolean } = {}): void {
    this.mempool.add(d, opts);
    this.gossipQueue.push(Buffer.from(d.bytes).toString('base64'));
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
      catchingUp: this.syncing,
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
    for (const o of cfg) {
      const markPath = join(paths(this.home.dir).data, `observer-${o.chainId}.mark`);
      const obs = new AttestationObserver({
        chainId: o.chainId,
        hubChainId: this.chain.chainId,
        ...(o.kind === 'evm' ? evmFinalizedSource(o.rpc, { depth: o.depth, chainIdNumber: o.chainIdNumber }) : pontisFinalizedSource(o.rpc)),
        stride: o.stride,
        secretKey: this.home.validatorKey,
        intervalMs: o.intervalMs,
        mark: {
          load: () => (existsSync(markPath) ? Number(readFileSync(markPath, 'utf8')) || 0 : 0),
          save: (h) => writeFileDurable(markPath, String(h)),
        },
        submit: async (msg) => this.submitOwn(key, [msg]),
        onError: (e) => this.log.warn({ err: e, chain: o.chainId }, 'observer'),
      });
      obs.start();
      this.observers.push(obs);
      this.log.info({ chain: o.chainId, rpc: o.rpc }, 'observing chain for attestations');
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
      store: this.consensusStore,
      logger: this.log.child({ mod: 'consensus' }),
      events: {
        onEvidence: (e: Evidence) => this.log.warn({ validator: e.voteA.validator, height: e.voteA.height }, 'double-sign evidence recorded'),
        // the engine halts when it cannot persist (block commit or lock file): stop rather than run on unsaved state
        onHalt: (err: unknown) => {
          if (this.stopped) return; // work cut short by our own shutdown
          this.log.fatal({ err }, 'consensus halted; stopping the node');
          void this.stop().finally(() => this.opts.onHalt?.(err));
        },
      },
    });
    this.engine = engine;
    await engine.start(h + 1, this.chain.validatorSet(h + 1), this.chain.stored(h)?.commit ?? null, this.chain.latestBlockTime());
  }

  private onCommitted(c: CommittedInfo): void {
    this.lastProgressAt = Date.now();
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
          for (const b64 of m.txs) {
            try {
              this.mempool.add(decodeTx(new Uint8Array(Buffer.from(b64, 'base64'))));
            } catch {
              // duplicates and stale nonces are normal in gossip
            }
          }
          return;
        case 'hello':
        case 'status':
          this.peerHeights.set(m.node, { height: Number(m.height) || 0, reply, at: Date.now() });
          this.maybeSync();
          return;
        case 'get-blocks': {
          const items = [];
          const to = Math.min(m.to, m.from + SYNC_BATCH - 1, this.chain.latestHeight());
          for (let h = m.from; h <= to; h++) {
            const s = this.chain.stored(h);
            if (!s) break;
            items.push({ block: blockToJSON(s.block), commit: s.commit });
          }
          reply({ t: 'blocks', items });
          return;
        }
        case 'blocks':
          void this.applySynced(m.items);
          return;
      }
    } catch (e) {
      this.log.warn({ err: e, peer: from, t: m.t }, 'dropped a peer message');
    }
  }

  private heartbeat(): void {
    this.p2p.broadcast({ t: 'status', node: this.address ?? toHex(new Uint8Array(20)), height: this.chain.latestHeight() });
    // Re-send what the engine holds for this height: lost messages and healed partitions recover.
    // Votes are small and go every tick; whole blocks (proposal, decided) only when the chain has
    // not moved for a while (a peer may have missed them), and then every fourth tick.
    const withBlocks = Date.now() - this.lastProgressAt > 2000 && this.ticks++ % 4 === 0;
    for (const m of this.engine?.gossipState() ?? []) {
      if (m.kind === 'vote' || withBlocks) this.p2p.broadcast({ t: 'cons', m: consensusToWire(m) }, true);
    }
    this.maybeSync();
  }

  private flushTxGossip(): void {
    if (this.gossipQueue.length === 0) return;
    const txs = this.gossipQueue;
    this.gossipQueue = [];
    this.p2p.broadcastTxs(txs);
  }

  /** Block sync: when a peer is two or more heights ahead (or we stalled behind it), fetch blocks and verify their commits. */
  private maybeSync(): void {
    if (this.syncing || this.stopped) return;
    const mine = this.chain.latestHeight();
    const stalled = Date.now() - this.lastProgressAt > 5000;
    for (const p of this.peerHeights.values()) {
      if (p.height > mine + 1 || (stalled && p.height > mine)) {
        this.syncing = true;
        this.syncDeadline = setTimeout(() => (this.syncing = false), 10_000);
        p.reply({ t: 'get-blocks', from: mine + 1, to: p.height });
        return;
      }
    }
  }
  private syncDeadline: NodeJS.Timeout | undefined;


  /**
   * Block sync goes through the engine as `decided` messages, one height at a time: the engine
   * checks each commit against its validator set and commits it in its own serialised order, so
   * sync never races the engine's own decisions.
   */
  private async applySynced(items: { block: unknown; commit: unknown }[]): Promise<void> {
    clearTimeout(this.syncDeadline);
    let applied = 0;
    try {
      const blocks = items.map((i) => ({ block: blockFromJSON(i.block as never), commit: i.commit as Commit }));
      for (const b of blocks) {
        if (this.stopped || !this.engine) break;
        const h = b.block.header.height;
        if (h <= this.chain.latestHeight()) continue;
        if (h !== this.chain.latestHeight() + 1) break;
        this.engine.receive({ kind: 'decided', block: b.block, commit: b.commit });
        const deadline = Date.now() + 10_000;
        while (this.chain.latestHeight() < h && Date.now() < deadline && !this.stopped) await new Promise((r) => setTimeout(r, 5));
        if (this.chain.latestHeight() < h) break;
        applied++;
      }
    } catch (e) {
      this.log.warn({ err: e }, 'block sync: a peer sent a malformed block');
    } finally {
      if (applied > 0) this.log.info({ applied, height: this.chain.latestHeight() }, 'block sync applied blocks');
      this.syncing = false;
    }
    if (applied > 0) this.maybeSync();
  }
}
