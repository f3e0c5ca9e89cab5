/**
 * State sync: an empty node restores the newest state snapshot its peers offer instead of
 * replaying the chain from genesis, then block-syncs the rest and joins consensus.
 *
 * Trust comes from the node's own genesis (or a configured trusted height and header hash), not
 * from peers: a light client (hub-chain/light-client) fetches signed headers and validator sets
 * over the peer links and verifies the snapshot's height from that root; each chunk is checked
 * against the manifest; the rebuilt state must have the verified header's state root; the block
 * at that height must hash to the verified header and its results to the header's resultsHash;
 * the validator set (with proposer priorities) consensus resumes with is read from the restored,
 * root-checked state (`val/next`). A peer that fails any check is left out and the next snapshot
 * or peer is tried.
 */
import type { Logger } from 'pino';
import { PontisError, errFields } from '../errors.ts';
import { type Hex, ZERO_HASH, fromHex, toHex } from '../crypto/bytes.ts';
import { sha256 } from '../crypto/hash.ts';
import { genesisValidatorSet } from '../app/genesis.ts';
import type { TxResult, AppEvent } from '../app/app.ts';
import { LightClient, type HeaderSource } from '../light-clients/pontis/verifier/client.ts';
import { type SignedHeader, trustedStateFrom, verifyCommitOf } from '../light-clients/pontis/verifier/verifier.ts';
import { type Block, type BlockJSON, blockFromJSON, blockToJSON } from '../types/block.ts';
import { type Header, headerHash } from '../types/header.ts';
import { resultsHash } from '../types/results.ts';
import { ValidatorSet, type Validator } from '../types/validator-set.ts';
import type { Commit } from '../types/vote.ts';
import type { Chain } from './chain.ts';
import { decodeChunk, parseManifest, type SnapshotInfo, type SnapshotStore } from './snapshots.ts';
import type { SyncQuery, WireMessage } from './wire.ts';

export class StateSyncError extends PontisError {
  override name = 'StateSyncError';
}

export interface StateSyncConfig {
  /** How long to wait for peers and their snapshot lists before giving up on state sync. */
  discoveryMs: number;
  trustingPeriodMs: number;
  maxClockDriftMs: number;
  /** Optional trust root instead of genesis: a height and its header hash obtained out of band. */
  trustHeight?: number;
  trustHash?: Hex;
}

export interface SyncLink {
  id: string;
  height: number;
  send(m: WireMessage): void;
}

const REQUEST_TIMEOUT_MS = 10_000;
const PARALLEL_CHUNKS = 4;

/** Request/response over the peer links, matched by id. */
export class PeerRequests {
  private nextId = 1;
  private readonly pending = new Map<number, { peer: string; resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();

  ask<T>(peer: SyncLink, q: SyncQuery, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StateSyncError('PNT_ERR_SYNC_PEER_TIMEOUT', `peer ${peer.id} did not answer ${q.kind}`, { retryable: true, details: { peer: peer.id } }));
      }, timeoutMs);
      this.pending.set(id, { peer: peer.id, resolve: resolve as (v: unknown) => void, reject, timer });
      peer.send({ t: 'req', id, q });
    });
  }

  /** A `res` message from the link `from`; answers only come back on the link asked. */
  onResponse(from: string, m: Extract<WireMessage, { t: 'res' }>): void {
    const p = this.pending.get(m.id);
    if (!p || p.peer !== from) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.data);
    else p.reject(new StateSyncError(typeof m.code === 'string' ? m.code : 'PNT_ERR_SYNC_PEER_REFUSED', `peer ${from} refused the request`, { details: { peer: from } }));
  }

  cancelAll(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new StateSyncError('PNT_ERR_SYNC_STOPPED', 'state sync stopped'));
    }
    this.pending.clear();
  }
}

interface LightBlock {
  header: Header;
  commit: Commit;
  validators: Validator[];
  nextValidators: Validator[];
}

export interface StateSyncDeps {
  chain: Chain;
  log: Logger;
  cfg: StateSyncConfig;
  requests: PeerRequests;
  peers(): SyncLink[];
}

/** Outcome of one attempt: the height restored, or why the node goes on from genesis instead. */
export type StateSyncOutcome =
  | { restored: true; height: number; ms: number }
  | { restored: false; reason: string; refused: { height: number; code: string }[] };

export class StateSync {
  private stopped = false;

  constructor(private readonly d: StateSyncDeps) {}

  stop(): void {
    this.stopped = true;
    this.d.requests.cancelAll();
  }

  async run(): Promise<StateSyncOutcome> {
    const t0 = performance.now();
    const offers = await this.discover();
    if (offers.length === 0) return { restored: false, reason: 'no peer offers a snapshot', refused: [] };
    const tried = new Set<string>();
    const refused: { height: number; code: string }[] = [];
    for (const offer of offers) {
      if (this.stopped) break;
      const key = `${offer.info.height}/${offer.info.hash}`;
      if (tried.has(key)) continue;
      tried.add(key);
      const holders = offers.filter((o) => o.info.height === offer.info.height && o.info.hash === offer.info.hash).map((o) => o.peer);
      try {
        await this.restore(offer.info, holders);
        return { restored: true, height: offer.info.height, ms: Math.round(performance.now() - t0) };
      } catch (e) {
        refused.push({ height: offer.info.height, code: e instanceof PontisError ? e.code : 'PNT_ERR_SYNC_INTERNAL' });
        this.d.log.warn({ ...errFields(e), height: offer.info.height, peers: holders.map((p) => p.id) }, 'state sync: snapshot refused, trying the next');
      }
    }
    return { restored: false, reason: 'no snapshot passed verification', refused };
  }

  /** Peers' snapshots, newest first, once some peer has answered (or discovery time ran out). */
  private async discover(): Promise<{ peer: SyncLink; info: SnapshotInfo }[]> {
    const deadline = Date.now() + this.d.cfg.discoveryMs;
    while (!this.stopped && this.d.peers().length === 0 && Date.now() < deadline) await sleep(100);
    const peers = this.d.peers();
    const lists = await Promise.all(
      peers.map((p) =>
        this.d.requests.ask<SnapshotInfo[]>(p, { kind: 'snapshots' }, Math.max(500, deadline - Date.now())).then(
          (l) => (Array.isArray(l) ? l : []).filter(validInfo).map((info) => ({ peer: p, info })),
          () => [],
        ),
      ),
    );
    return lists.flat().sort((a, b) => b.info.height - a.info.height);
  }

  private async restore(info: SnapshotInfo, holders: SyncLink[]): Promise<void> {
    const chain = this.d.chain;
    const H = info.height;
    const trusted = await this.verifiedHeader(H, holders);
    const peer = holders[0];
    const manifestBytes = fromHex(await this.d.requests.ask<string>(peer, { kind: 'manifest', height: H }));
    if (toHex(sha256(manifestBytes)) !== info.hash) throw new StateSyncError('PNT_ERR_SNAPSHOT_MANIFEST', 'manifest does not have the offered hash');
    const manifest = parseManifest(manifestBytes, chain.chainId, H);
    if (manifest.stateRoot !== trusted.header.stateRoot) throw new StateSyncError('PNT_ERR_SNAPSHOT_ROOT', 'manifest names another state root than the verified header');
    const ws = chain.state.restoreWorking(H);
    let next = 0;
    let entries = 0;
    const fetchChunk = async (index: number): Promise<void> => {
      const want = manifest.chunks[index];
      for (let attempt = 0; ; attempt++) {
        const from = holders[(index + attempt) % holders.length];
        try {
          const b64 = await this.d.requests.ask<string>(from, { kind: 'chunk', height: H, index });
          const bytes = Buffer.from(String(b64), 'base64');
          if (bytes.length !== want.bytes || toHex(sha256(bytes)) !== want.hash) throw new StateSyncError('PNT_ERR_SNAPSHOT_CHUNK_HASH', `chunk ${index} does not match the manifest`);
          for (const [k, v] of decodeChunk(bytes)) {
            ws.set(k, v);
            entries++;
          }
          return;
        } catch (e) {
          if (attempt + 1 >= holders.length * 2 || this.stopped) throw e;
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(PARALLEL_CHUNKS, manifest.chunks.length) }, async () => {
        while (next < manifest.chunks.length) await fetchChunk(next++);
      }),
    );
    if (entries !== manifest.entries) throw new StateSyncError('PNT_ERR_SNAPSHOT_ENTRIES', `snapshot holds ${entries} entries, manifest says ${manifest.entries}`);
    const root = ws.root();
    if (root !== trusted.header.stateRoot) throw new StateSyncError('PNT_ERR_SNAPSHOT_ROOT', 'restored state does not have the verified state root', { details: { root, expected: trusted.header.stateRoot } });
    const full = await this.d.requests.ask<{ block: BlockJSON; commit: Commit; results: TxResult[]; events: AppEvent[] }>(peer, { kind: 'block', height: H });
    const block: Block = blockFromJSON(full.block);
    if (headerHash(block.header) !== headerHash(trusted.header)) throw new StateSyncError('PNT_ERR_SYNC_BLOCK_MISMATCH', 'peer sent another block than the verified header');
    if (!Array.isArray(full.results) || !Array.isArray(full.events) || resultsHash(full.results, full.events) !== block.header.resultsHash) {
      throw new StateSyncError('PNT_ERR_SYNC_BLOCK_MISMATCH', 'block results do not match the header');
    }
    chain.restore({ block, commit: trusted.commit, results: full.results, events: full.events, validators: trusted.validators, state: ws });
    this.d.log.info({ height: H, entries, chunks: manifest.chunks.length, root }, 'state sync: restored a verified snapshot');
  }

  /** The header at `height`, verified from the trust root by a light client over the peer links. */
  private async verifiedHeader(height: number, peers: SyncLink[]): Promise<{ header: Header; commit: Commit; validators: ValidatorSet }> {
    const chain = this.d.chain;
    const source = new PeerHeaderSource(this.d.requests, peers);
    const cfg = this.d.cfg;
    let root;
    if (cfg.trustHeight !== undefined && cfg.trustHash !== undefined) {
      const lb = await source.lightBlock(cfg.trustHeight);
      root = trustedStateFrom(lb.header, new ValidatorSet(lb.validators), new ValidatorSet(lb.nextValidators), cfg.trustHash);
    } else {
      // genesis is the trust root: height 1 must be signed by the genesis set and start the chain
      const genesisSet = genesisValidatorSet(chain.genesis);
      const lb = await source.lightBlock(1);
      const h1 = lb.header;
      if (h1.chainId !== chain.chainId || h1.height !== 1 || h1.prevHash !== ZERO_HASH || h1.validatorsHash !== genesisSet.hash()) {
        throw new StateSyncError('PNT_ERR_SYNC_GENESIS_MISMATCH', 'height 1 served by the peer does not follow our genesis');
      }
      verifyCommitOf(chain.chainId, genesisSet, lb.commit, 1, headerHash(h1));
      root = trustedStateFrom(h1, genesisSet, new ValidatorSet(lb.nextValidators));
    }
    const lc = new LightClient(source, root, { trustingPeriodMs: cfg.trustingPeriodMs, maxClockDriftMs: cfg.maxClockDriftMs });
    const state = height === root.header.height ? root : await lc.verifyTo(height);
    const signed = await source.signedHeader(height);
    if (headerHash(signed.header) !== headerHash(state.header)) throw new StateSyncError('PNT_ERR_SYNC_HEADER_MISMATCH', 'peer changed the header while it was verified');
    verifyCommitOf(chain.chainId, state.validators, signed.commit, height, headerHash(state.header));
    return { header: state.header, commit: signed.commit, validators: state.validators };
  }
}

/** A light client's HeaderSource over the peer links; nothing it returns is trusted. */
class PeerHeaderSource implements HeaderSource {
  private readonly cache = new Map<number, Promise<LightBlock>>();
  private turn = 0;

  constructor(
    private readonly requests: PeerRequests,
    private readonly peers: SyncLink[],
  ) {}

  lightBlock(height: number): Promise<LightBlock> {
    let p = this.cache.get(height);
    if (!p) {
      const peer = this.peers[this.turn++ % this.peers.length];
      p = this.requests.ask<LightBlock>(peer, { kind: 'light-block', height });
      p.catch(() => this.cache.delete(height));
      this.cache.set(height, p);
    }
    return p;
  }
  async signedHeader(height: number): Promise<SignedHeader> {
    const lb = await this.lightBlock(height);
    return { header: lb.header, commit: lb.commit };
  }
  async validatorSet(height: number): Promise<ValidatorSet> {
    // the set signing `height` comes with light block `height`, and as the next set of `height - 1`
    // (the light client asks for height + 1 right after `height`, which may be the peer's tip)
    const below = this.cache.get(height - 1);
    if (below) return new ValidatorSet((await below).nextValidators);
    return new ValidatorSet((await this.lightBlock(height)).validators);
  }
  async latestHeight(): Promise<number> {
    return Math.max(...this.peers.map((p) => p.height));
  }
}

/** What a node answers a state-syncing peer (the serving half). Errors carry codes; nothing changes state. */
export async function answerSyncQuery(chain: Chain, snapshots: SnapshotStore, q: SyncQuery): Promise<unknown> {
  const h = Number((q as { height?: unknown }).height);
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new StateSyncError('PNT_ERR_SYNC_NOT_FOUND', `no ${what} at height ${h}`);
    return v;
  };
  const stored = () => need(Number.isSafeInteger(h) && h >= 1 ? chain.stored(h) : undefined, 'block');
  switch (q?.kind) {
    case 'snapshots':
      return snapshots.list();
    case 'manifest':
      return toHex(need(snapshots.manifestBytes(h), 'snapshot'));
    case 'chunk':
      return need(await snapshots.chunk(h, Number(q.index)), 'chunk').toString('base64');
    case 'light-block': {
      const s = stored();
      const members = (height: number) => chain.validatorSet(height).validators.map(({ address, publicKey, power }) => ({ address, publicKey, power }));
      return { header: s.block.header, commit: s.commit, validators: members(h), nextValidators: members(h + 1) };
    }
    case 'block': {
      const s = stored();
      return { block: blockToJSON(s.block), commit: s.commit, results: s.results, events: s.events ?? [] };
    }
    default:
      throw new StateSyncError('PNT_ERR_SYNC_BAD_QUERY', 'unknown query');
  }
}

function validInfo(i: SnapshotInfo): boolean {
  return Number.isSafeInteger(i?.height) && i.height > 0 && Number.isSafeInteger(i.chunks) && i.chunks >= 0 && typeof i.hash === 'string' && /^0x[0-9a-f]{64}$/.test(i.hash);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
