/**
 * Reading a Substrate chain over @polkadot/api's WebSocket provider: heights (finality from the
 * node's finalized head), block times (`Timestamp.Now` at the block), the decoded `System.Events`
 * of each block as `ChainEvent`s, and raw storage: values, every top-level entry, read proofs and
 * the state root the hub's `substrate` client checks them against. The provider reconnects by
 * itself; every call here is bounded (connecting and answering) so a dead endpoint fails with a
 * retryable error instead of waiting forever. Every failure leaves as an `AdapterError`.
 */
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { EventRecord } from '@polkadot/types/interfaces';
import type { Codec, Registry } from '@polkadot/types/types';
import { GenericAccountId } from '@polkadot/types';
import { u8aToHex } from '@polkadot/util';
import { blake2AsHex, decodeAddress, xxhashAsHex } from '@polkadot/util-crypto';
import type { Logger } from 'pino';
import { AdapterError, AdapterErrorCode, isAdapterError } from '../core/errors.ts';
import type { ChainEvent, ChainReader, EventFilter } from '../core/types.ts';
import { toSubstrateAdapterError } from './errors.ts';
import { fromHex, toHex } from '../../hub-chain/crypto/bytes.ts';
import { buildReadProof, trieRoot } from '../../hub-chain/light-clients/substrate/trie.ts';

export type Hex = `0x${string}`;

export interface SubstrateReaderOptions {
  /** ws:// or wss:// JSON-RPC endpoint. */
  url: string;
  /** The Pontis chain id (as registered on the hub). */
  chainId: string;
  /** The genesis hash the node must serve; a node of another chain fails with CHAIN_MISMATCH. */
  genesisHash?: string;
  /** Bound on connecting and on each call; default 10 s. */
  timeoutMs?: number;
  /** Delay between the provider's reconnection attempts; default 1 s. */
  reconnectMs?: number;
  /** Blocks whose events are fetched at once; default 4. */
  blockConcurrency?: number;
  logger?: Logger;
}

/** `sources` are pallet names (`system`), `names` event names (`Remarked` or `system.Remarked`); case-insensitive. */
export interface SubstrateEventFilter extends EventFilter {
  /** Only events of extrinsics signed by these accounts (SS58 of any network, or 0x public keys). */
  senders?: string[];
}

/** What `raw` holds for a Substrate event. */
export interface SubstrateRawEvent {
  /** `{ applyExtrinsic: n }`, `initialization` or `finalization`. */
  phase: unknown;
  /** The SCALE-encoded event (pallet index, variant, fields). */
  event: Hex;
  topics: Hex[];
  /** The extrinsic's signer (SS58, the chain's prefix) when the event came from a signed extrinsic. */
  signer?: string;
}

/** A remark batch's proof, as the hub's `substrate` client takes it. */
export interface RemarkProof {
  /** Trie nodes proving the block's `System.Events` value against its state root. */
  events: { nodes: Hex[] };
  /** The `System.Remarked` event's index in that list. */
  index: number;
  /** The remark's bytes ("PNTS" ++ SCALE pairs). */
  payload: Hex;
}

/** A height or a block hash. */
export type BlockId = number | string;

interface RawHeader {
  parentHash: Hex;
  number: Hex;
  stateRoot: Hex;
  extrinsicsRoot: Hex;
  digest: { logs: Hex[] };
}

const storageKey = (pallet: string, item: string): Hex => `${xxhashAsHex(pallet, 128)}${xxhashAsHex(item, 128).slice(2)}` as Hex;
export const TIMESTAMP_NOW_KEY = storageKey('Timestamp', 'Now');
/** The 32-byte account id of an SS58 address or 0x public key, as lower-case hex; undefined when it is neither. */
export function accountId(address: unknown): Hex | undefined {
  try {
    return u8aToHex(decodeAddress(String(address))).toLowerCase() as Hex;
  } catch {
    return undefined;
  }
}

/** twox128("System") ++ twox128("Events"): the key of a block's event list. */
export const SYSTEM_EVENTS_KEY = storageKey('System', 'Events');
const ZERO_ROOT = `0x${'00'.repeat(32)}`;
const KEYS_PAGE = 1000;

export class SubstrateReader implements ChainReader {
  readonly chainId: string;
  protected readonly provider: WsProvider;
  protected readonly api: ApiPromise;
  protected readonly timeoutMs: number;
  protected readonly logger: Logger | undefined;
  private initialised = false;
  private mismatch: AdapterError | undefined;
  private closed = false;
  /** Whether the node serves state_getReadProof (learnt on first use). */
  private nodeReadProof: boolean | undefined;
  private readonly waiters = new Set<(e: unknown) => void>();
  /** Why the latest connection attempt failed; cleared when one succeeds. */
  private transportError: unknown;
  /**
   * What a block hash names never changes: its events, the remarks of its extrinsics, its whole
   * state (the proof source on a node without state_getReadProof). A relay round asks each several
   * times (the scan, then the proof of each remark), so the last few blocks' answers are kept.
   */
  private readonly byHash = {
    events: new Map<string, Promise<ChainEvent[]>>(),
    remarks: new Map<string, Promise<Hex[]>>(),
    state: new Map<string, Promise<[[Hex, Hex][], 0 | 1]>>(),
  };

  constructor(protected readonly opts: SubstrateReaderOptions) {
    this.chainId = opts.chainId;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.logger = opts.logger?.child({ chainId: this.chainId });
    if (!/^wss?:\/\/[^\s]+$/.test(opts.url)) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'the Substrate reader speaks JSON-RPC over ws(s):// URLs', { chainId: this.chainId });
    if (opts.genesisHash !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(opts.genesisHash)) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not a genesis hash: ${opts.genesisHash}`, { chainId: this.chainId });
    this.provider = new WsProvider(opts.url, opts.reconnectMs ?? 1000, {}, this.timeoutMs);
    // a transport failure while someone waits for the connection ends the wait at once (no need to sit out the timeout)
    this.provider.on('error', (e: unknown) => {
      this.transportError = e;
      for (const w of [...this.waiters]) w(e);
    });
    this.provider.on('connected', () => {
      this.transportError = undefined;
    });
    this.api = new ApiPromise({ provider: this.provider, noInitWarn: true });
    // failures reach callers through ready(); nobody else awaits this one
    this.api.isReadyOrError.catch(() => undefined);
    void this.api.isReady.then(() => {
      this.initialised = true;
    });
  }

  /** The connected, initialised API (metadata loaded, genesis checked); bounded by timeoutMs. */
  protected async ready(op: string): Promise<ApiPromise> {
    if (this.closed) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'the reader is closed', { chainId: this.chainId, operation: op });
    if (this.mismatch) throw this.mismatch;
    if (!this.initialised || !this.provider.isConnected) {
      // the endpoint refused the latest attempt: say so now rather than wait for the next one
      if (this.transportError !== undefined) throw unavailable(toSubstrateAdapterError(this.transportError, { chainId: this.chainId, operation: op }));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => finish(new AdapterError(AdapterErrorCode.RPC_TIMEOUT, `${op}: no connection to ${origin(this.opts.url)} within ${this.timeoutMs} ms`, { chainId: this.chainId, operation: op })), this.timeoutMs);
        const fail = (e: unknown) => finish(unavailable(toSubstrateAdapterError(e, { chainId: this.chainId, operation: op })));
        let done = false;
        const finish = (e?: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.waiters.delete(fail);
          offConnected();
          if (e) reject(e);
          else resolve();
        };
        this.waiters.add(fail);
        const check = () => {
          if (this.initialised && this.provider.isConnected) finish();
        };
        const offConnected = this.provider.on('connected', () => void this.api.isReady.then(check));
        void this.api.isReady.then(() => {
          this.initialised = true;
          check();
        });
      });
    }
    if (this.opts.genesisHash && this.api.genesisHash.toHex() !== this.opts.genesisHash.toLowerCase()) {
      this.mismatch = new AdapterError(AdapterErrorCode.CHAIN_MISMATCH, `node at ${origin(this.opts.url)} serves genesis ${this.api.genesisHash.toHex()}, expected ${this.opts.genesisHash}`, {
        chainId: this.chainId,
        operation: op,
        details: { served: this.api.genesisHash.toHex(), expected: this.opts.genesisHash },
      });
      throw this.mismatch;
    }
    return this.api;
  }

  /** Runs `fn` on the ready API within timeoutMs; failures become AdapterErrors. */
  protected async call<T>(op: string, fn: (api: ApiPromise) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let offDisconnect: (() => void) | undefined;
    try {
      const api = await this.ready(op);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AdapterError(AdapterErrorCode.RPC_TIMEOUT, `${op}: node did not answer within ${this.timeoutMs} ms`, { chainId: this.chainId, operation: op })), this.timeoutMs);
        // a subscription request outlives the socket (the library re-sends it on reconnect): the caller learns now
        offDisconnect = this.provider.on('disconnected', () => reject(new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, `${op}: lost the connection to ${origin(this.opts.url)}`, { chainId: this.chainId, operation: op })));
      });
      const work = fn(api);
      // an answer that loses the race must not surface later as an unhandled rejection
      work.catch(() => undefined);
      return await Promise.race([work, timeout]);
    } catch (e) {
      throw toSubstrateAdapterError(e, { chainId: this.chainId, operation: op });
    } finally {
      clearTimeout(timer);
      offDisconnect?.();
    }
  }

  /** One raw JSON-RPC call (no decoding). */
  async rpc<T>(method: string, params: unknown[]): Promise<T> {
    return this.call(method, () => this.provider.send<T>(method, params));
  }

  /** The API (metadata of the latest runtime, `tx`, `registry`) once connected. */
  connected(): Promise<ApiPromise> {
    return this.call('connect', async (api) => api);
  }

  async genesisHash(): Promise<Hex> {
    return (await this.connected()).genesisHash.toHex();
  }

  async latestHeight(): Promise<number> {
    return this.number((await this.rpc<RawHeader>('chain_getHeader', [])).number, 'chain_getHeader');
  }

  async finalizedHeight(): Promise<number> {
    const hash = await this.rpc<Hex>('chain_getFinalizedHead', []);
    const head = await this.rpc<RawHeader | null>('chain_getHeader', [hash]);
    if (!head) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `the finalized head ${hash} has no header`, { chainId: this.chainId, operation: 'chain_getHeader' });
    return this.number(head.number, 'finalized header');
  }

  async blockHash(height: number): Promise<string | undefined> {
    this.checkHeight(height);
    const h = await this.rpc<Hex | null>('chain_getBlockHash', [height]);
    if (h === null || h === undefined) return undefined;
    if (typeof h !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(h)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `malformed block hash: ${String(h)}`, { chainId: this.chainId, operation: 'chain_getBlockHash' });
    return h;
  }

  /** The header at a height or hash, as the node serves it (SCALE fields in hex). */
  async header(at: BlockId): Promise<RawHeader & { hash: Hex; height: number }> {
    const hash = await this.hashOf(at);
    const head = await this.rpc<RawHeader | null>('chain_getHeader', [hash]);
    if (!head) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `no block ${hash}`, { chainId: this.chainId, operation: 'chain_getHeader' });
    return { ...head, hash, height: this.number(head.number, 'header number') };
  }

  async blockTime(height: number): Promise<number> {
    const hash = await this.hashOf(height);
    const v = await this.rpc<Hex | null>('state_getStorage', [TIMESTAMP_NOW_KEY, hash]);
    // a value query's default: genesis has no time set
    if (v === null) return 0;
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{16}$/.test(v)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `no Timestamp.Now at block ${height}: ${String(v)}`, { chainId: this.chainId, operation: 'blockTime' });
    // u64 little-endian
    return Number(BigInt(`0x${(v.slice(2).match(/../g) ?? []).reverse().join('')}`));
  }

  async events<A extends Record<string, unknown> = Record<string, unknown>>(filter: SubstrateEventFilter, fromHeight: number, toHeight: number): Promise<ChainEvent<A>[]> {
    this.checkHeight(fromHeight);
    this.checkHeight(toHeight);
    if (toHeight < fromHeight) return [];
    const match = this.matcher(filter);
    const senders = filter.senders ? new Set(filter.senders.map((a) => this.publicKey(a))) : undefined;
    const heights = Array.from({ length: toHeight - fromHeight + 1 }, (_, i) => fromHeight + i);
    const out: ChainEvent<A>[] = [];
    const step = this.opts.blockConcurrency ?? 4;
    for (let i = 0; i < heights.length; i += step) {
      const got = await Promise.all(heights.slice(i, i + step).map((h) => this.blockEvents<A>(h, match, senders)));
      for (const evs of got) out.push(...evs);
    }
    return out;
  }

  /** Every event of the block `at`, in block order (`index` is the position in `System.Events`). */
  async blockEventsAt<A extends Record<string, unknown> = Record<string, unknown>>(at: BlockId): Promise<ChainEvent<A>[]> {
    const head = await this.header(at);
    return memo(this.byHash.events, head.hash, 32, () => this.eventsOf(head.height, head.hash, () => true)) as Promise<ChainEvent<A>[]>;
  }

  /** Storage values at a block (undefined where a key holds nothing), in the order of `keys`. */
  async storage(keys: string[], at: BlockId): Promise<(Hex | undefined)[]> {
    const hash = await this.hashOf(at);
    const wanted = keys.map((k) => this.key(k));
    const got = await this.queryAt(wanted, hash);
    return wanted.map((k) => got.get(k));
  }

  /** Every top-level key/value pair of the state at a block, sorted by key. */
  async storageEntries(at: BlockId): Promise<[Hex, Hex][]> {
    const hash = await this.hashOf(at);
    const keys: Hex[] = [];
    for (let start: Hex | undefined; ; ) {
      const page = await this.rpc<Hex[]>('state_getKeysPaged', ['0x', KEYS_PAGE, start ?? '0x', hash]);
      if (!Array.isArray(page)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, 'state_getKeysPaged did not return a list', { chainId: this.chainId, operation: 'state_getKeysPaged' });
      keys.push(...page.map((k) => k.toLowerCase() as Hex));
      if (page.length < KEYS_PAGE) break;
      start = page[page.length - 1];
    }
    const values = new Map<Hex, Hex | undefined>();
    for (let i = 0; i < keys.length; i += 256) for (const [k, v] of await this.queryAt(keys.slice(i, i + 256), hash)) values.set(k, v);
    const entries: [Hex, Hex][] = [];
    for (const k of keys) {
      const v = values.get(k);
      if (v !== undefined) entries.push([k, v]);
    }
    return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The runtime's state version at a block (0 or 1: how the trie hashes long values); 0 when unstated. */
  async stateVersion(at: BlockId): Promise<0 | 1> {
    const hash = await this.hashOf(at);
    const v = await this.rpc<{ stateVersion?: number } | null>('state_getRuntimeVersion', [hash]);
    return v?.stateVersion === 1 ? 1 : 0;
  }

  /**
   * A read proof of `keys` at a block: the node's `state_getReadProof` when it serves one, else
   * the same node set built from the whole state (chopsticks serves none).
   */
  async readProof(keys: string[], at: BlockId): Promise<{ at: Hex; nodes: Hex[] }> {
    const hash = await this.hashOf(at);
    const wanted = keys.map((k) => this.key(k));
    const own = await this.nodeProof(wanted, hash);
    if (own) return { at: hash, nodes: own };
    const [entries, version] = await memo(this.byHash.state, hash, 4, () => Promise.all([this.storageEntries(hash), this.stateVersion(hash)]));
    const nodes = buildReadProof(
      entries.map(([k, v]) => [fromHex(k), fromHex(v)]),
      wanted.map((k) => fromHex(k)),
      version,
    );
    return { at: hash, nodes: nodes.map((n) => toHex(n) as Hex) };
  }

  /**
   * What the hub's `substrate` client needs to accept a remark batch: the read proof of the
   * block's `System.Events` (verified against its state root), the position of the
   * `System.Remarked` event in that list, and the remark's bytes (`remarkPayload`).
   */
  async remarkProof(blockHash: string, eventIndex: number): Promise<RemarkProof> {
    const hash = await this.hashOf(blockHash);
    const payload = await this.remarkPayload(hash, eventIndex);
    const proof = await this.readProof([SYSTEM_EVENTS_KEY], hash);
    return { events: { nodes: proof.nodes }, index: eventIndex, payload };
  }

  /**
   * The bytes a `System.Remarked` event (`eventIndex` in the block's `System.Events`) remarked,
   * taken from the extrinsic that emitted it and checked against the hash the event carries: the
   * `system.remark(WithEvent)` call at the top or nested in batch, multisig or proxy calls (a
   * multisig delivers through `multisig.asMulti(utility.batchAll([...]))`); INVALID_REQUEST when
   * the extrinsic holds no such call.
   */
  async remarkPayload(blockHash: string, eventIndex: number): Promise<Hex> {
    const hash = await this.hashOf(blockHash);
    if (!Number.isSafeInteger(eventIndex) || eventIndex < 0) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not an event index: ${eventIndex}`, { chainId: this.chainId, operation: 'remarkProof' });
    const events = await this.blockEventsAt(hash);
    const ev = events.find((e) => e.index === eventIndex);
    if (!ev || ev.source !== 'system' || ev.name !== 'Remarked') {
      throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `event ${eventIndex} of block ${hash} is ${ev ? `${ev.source}.${ev.name}` : 'absent'}, not System.Remarked`, { chainId: this.chainId, operation: 'remarkProof' });
    }
    const payload = await this.remarkPayloadOf(hash, ev);
    if (!payload) {
      throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `the remark of event ${eventIndex} in block ${hash} is in no system.remark call of its extrinsic`, { chainId: this.chainId, operation: 'remarkProof' });
    }
    return payload;
  }

  private async remarkPayloadOf(hash: Hex, ev: ChainEvent): Promise<Hex | undefined> {
    const xt = (ev.raw as SubstrateRawEvent).phase as { applyExtrinsic?: number };
    const payloads = await memo(this.byHash.remarks, `${hash}/${xt.applyExtrinsic}`, 64, () => this.call('remarkProof', async (api) => {
      const block = await this.provider.send<{ block: { extrinsics: Hex[] } } | null>('chain_getBlock', [hash]);
      // a node that lost the block answers again later (and nothing is kept of this answer)
      if (!block?.block) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `the node has no block ${hash}`, { chainId: this.chainId, operation: 'remarkProof', retryable: true });
      const raw = xt.applyExtrinsic === undefined ? undefined : block.block.extrinsics?.[xt.applyExtrinsic];
      if (!raw) return [];
      const decoded = (await api.getBlockRegistry(fromHex(hash))).registry.createType('Extrinsic', raw);
      return remarksIn(decoded.method as unknown as CallLike);
    }));
    // the event carries only the hash: the remark is the call whose bytes hash to it
    return payloads.find((p) => blake2AsHex(fromHex(p)) === ev.args.hash);
  }

  /** The state root of a block: its header's, or computed from the state where the header carries zero (chopsticks). */
  async stateRoot(at: BlockId): Promise<Hex> {
    const head = await this.header(at);
    if (head.stateRoot.toLowerCase() !== ZERO_ROOT) return head.stateRoot.toLowerCase() as Hex;
    const [entries, version] = await Promise.all([this.storageEntries(head.hash), this.stateVersion(head.hash)]);
    return toHex(trieRoot(entries.map(([k, v]) => [fromHex(k), fromHex(v)]), version)) as Hex;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters]) w(new Error('WebSocket is not connected: the reader was closed'));
    await this.api.disconnect().catch(() => undefined);
  }

  /** The node's own read proof, or undefined when it has no state_getReadProof. */
  protected async nodeProof(keys: Hex[], hash: Hex): Promise<Hex[] | undefined> {
    if (this.nodeReadProof === false) return undefined;
    try {
      const r = await this.rpc<{ proof: Hex[] }>('state_getReadProof', [keys, hash]);
      if (!r || !Array.isArray(r.proof)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, 'state_getReadProof returned no proof', { chainId: this.chainId, operation: 'state_getReadProof' });
      this.nodeReadProof = true;
      return r.proof;
    } catch (e) {
      if (isAdapterError(e, AdapterErrorCode.INVALID_REQUEST) && e.details?.rpcCode === -32601) {
        this.nodeReadProof = false;
        this.logger?.info('node serves no state_getReadProof: building proofs from the state');
        return undefined;
      }
      throw e;
    }
  }

  /** A height's block hash, or a block hash as given (checked for shape). */
  protected async hashOf(at: BlockId): Promise<Hex> {
    if (typeof at === 'number') {
      const h = await this.blockHash(at);
      if (!h) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `block ${at} does not exist yet`, { chainId: this.chainId, retryable: true, details: { height: at } });
      return h as Hex;
    }
    if (!/^0x[0-9a-fA-F]{64}$/.test(at)) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not a block hash: ${at}`, { chainId: this.chainId });
    return at.toLowerCase() as Hex;
  }

  private async queryAt(keys: Hex[], hash: Hex): Promise<Map<Hex, Hex | undefined>> {
    const out = new Map<Hex, Hex | undefined>();
    if (!keys.length) return out;
    const sets = await this.rpc<{ block: Hex; changes: [Hex, Hex | null][] }[]>('state_queryStorageAt', [keys, hash]);
    if (!Array.isArray(sets)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, 'state_queryStorageAt did not return a list', { chainId: this.chainId, operation: 'state_queryStorageAt' });
    for (const set of sets) for (const [k, v] of set.changes ?? []) out.set(k.toLowerCase() as Hex, v === null ? undefined : (v.toLowerCase() as Hex));
    return out;
  }

  private async blockEvents<A extends Record<string, unknown>>(height: number, match: (section: string, method: string) => boolean, senders?: Set<string>): Promise<ChainEvent<A>[]> {
    const hash = await this.hashOf(height);
    return this.eventsOf<A>(height, hash, match, senders);
  }

  /** Decodes `System.Events` at `hash` with the metadata of the runtime that wrote them. */
  private async eventsOf<A extends Record<string, unknown>>(height: number, hash: Hex, match: (section: string, method: string) => boolean, senders?: Set<string>): Promise<ChainEvent<A>[]> {
    const { registry, records } = await this.call('events', async (api) => {
      // not api.at(hash): it decorates the whole metadata again on every call (50-100 ms of CPU a
      // block, which four co-signers in one devnet process paid every round). The storage read at
      // a hash decodes with that block's registry (the API's registry swap), and the extrinsics
      // decode with the same registry, found per runtime version.
      const [versioned, events] = await Promise.all([api.getBlockRegistry(fromHex(hash)), api.query.system.events.at(hash)]);
      return { registry: versioned.registry, records: events as unknown as EventRecord[] };
    });
    const picked = records.map((r, index) => ({ r, index })).filter(({ r }) => match(r.event.section, r.event.method));
    if (!picked.length) return [];
    // the extrinsics (for hashes and signers) only when a picked event came from one
    let extrinsics: Hex[] | undefined;
    if (picked.some(({ r }) => r.phase.isApplyExtrinsic)) {
      const block = await this.rpc<{ block: { extrinsics: Hex[] } } | null>('chain_getBlock', [hash]);
      if (!block?.block || !Array.isArray(block.block.extrinsics)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `no body for block ${hash}`, { chainId: this.chainId, operation: 'chain_getBlock' });
      extrinsics = block.block.extrinsics;
    }
    const signers = new Map<number, string | undefined>();
    const signerOf = (i: number): string | undefined => {
      if (!signers.has(i)) signers.set(i, extrinsicSigner(registry, extrinsics![i]));
      return signers.get(i);
    };
    const out: ChainEvent<A>[] = [];
    for (const { r, index } of picked) {
      const xt = r.phase.isApplyExtrinsic ? r.phase.asApplyExtrinsic.toNumber() : undefined;
      if (xt !== undefined && (extrinsics === undefined || xt >= extrinsics.length)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `event ${index} of block ${hash} names extrinsic ${xt}, which the block lacks`, { chainId: this.chainId, operation: 'events' });
      const signer = xt === undefined ? undefined : signerOf(xt);
      if (senders && (signer === undefined || !senders.has(u8aToHex(decodeAddress(signer))))) continue;
      const raw: SubstrateRawEvent = { phase: r.phase.toJSON(), event: r.event.toHex(), topics: r.topics.map((t) => t.toHex()), ...(signer ? { signer } : {}) };
      out.push({
        chainId: this.chainId,
        height,
        blockHash: hash,
        txHash: xt === undefined ? '' : blake2AsHex(extrinsics![xt]),
        index,
        source: r.event.section,
        name: r.event.method,
        args: eventArgs(r) as A,
        raw,
      });
    }
    return out;
  }

  private matcher(filter: SubstrateEventFilter): (section: string, method: string) => boolean {
    const sources = filter.sources?.map((s) => s.toLowerCase());
    const names = filter.names?.map((n) => n.toLowerCase());
    return (section, method) => {
      const s = section.toLowerCase();
      const full = `${s}.${method.toLowerCase()}`;
      if (sources && !sources.includes(s)) return false;
      if (names && !names.some((n) => n === method.toLowerCase() || n === full)) return false;
      return true;
    };
  }

  private publicKey(address: string): string {
    const id = accountId(address);
    if (!id) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not an account: ${address}`, { chainId: this.chainId });
    return id;
  }

  private key(k: string): Hex {
    if (!/^0x([0-9a-fA-F]{2})*$/.test(k)) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not a storage key: ${k}`, { chainId: this.chainId });
    return k.toLowerCase() as Hex;
  }

  protected checkHeight(h: number): void {
    if (!Number.isSafeInteger(h) || h < 0) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not a block height: ${h}`, { chainId: this.chainId });
  }

  protected number(v: unknown, what: string): number {
    const n = typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
    if (!Number.isSafeInteger(n) || n < 0) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `malformed ${what}: ${String(v)}`, { chainId: this.chainId });
    return n;
  }
}

/** A transport failure the classifier could not name is still the endpoint being unreachable. */
function unavailable(e: AdapterError): AdapterError {
  if (e.code !== AdapterErrorCode.INTERNAL) return e;
  return new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, e.message.replace('unexpected failure: ', 'cannot reach node: '), { chainId: e.chainId, operation: e.operation, cause: e.cause });
}

/** Only the origin: hosted endpoints carry API keys in their path. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the node';
  }
}

/** The signer of a signed extrinsic (SS58), undefined for an unsigned one or one this registry cannot decode. */
function extrinsicSigner(registry: Registry, hex: Hex): string | undefined {
  try {
    const xt = registry.createType('Extrinsic', hex);
    return xt.isSigned ? xt.signer.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Event fields by the runtime's own names (positions where it has none): integers as bigint, accounts as SS58, bytes as hex. */
function eventArgs(r: EventRecord): Record<string, unknown> {
  const names = r.event.meta.fields.map((f, i) => (f.name.isSome ? f.name.unwrap().toString() : String(i)));
  const out: Record<string, unknown> = {};
  r.event.data.forEach((v, i) => {
    out[names[i] ?? String(i)] = plain(v);
  });
  return out;
}

function plain(v: Codec): unknown {
  // integers and compacts of them
  const big = (v as { toBigInt?: () => bigint }).toBigInt;
  if (typeof big === 'function') return big.call(v);
  if (v instanceof GenericAccountId) return v.toString();
  return v.toJSON();
}

interface CallLike {
  section: string;
  method: string;
  args: Codec[];
}

const isCall = (c: unknown): c is CallLike => typeof c === 'object' && c !== null && typeof (c as CallLike).section === 'string' && typeof (c as CallLike).method === 'string' && Array.isArray((c as CallLike).args);

/** Every remark payload in a call tree (calls as arguments, lists of calls, opaque-wrapped calls), depth-bounded. */
function remarksIn(call: CallLike, depth = 0): Hex[] {
  if (depth > 8) return [];
  if (call.section === 'system' && (call.method === 'remarkWithEvent' || call.method === 'remark')) return [u8aToHex(call.args[0].toU8a(true))];
  const out: Hex[] = [];
  for (const arg of call.args) {
    const inner = unwrapOpaque(arg);
    if (isCall(inner)) out.push(...remarksIn(inner, depth + 1));
    else if (Array.isArray(inner)) for (const c of inner) if (isCall(c)) out.push(...remarksIn(c, depth + 1));
  }
  return out;
}

/** `WrapperKeepOpaque<Call>` (an older multisig's `asMulti`) decodes its call on request. */
function unwrapOpaque(arg: Codec): unknown {
  const w = arg as unknown as { isDecoded?: boolean; unwrap?: () => unknown };
  if (typeof w.isDecoded === 'boolean' && typeof w.unwrap === 'function') {
    try {
      return w.isDecoded ? w.unwrap() : undefined;
    } catch {
      return undefined;
    }
  }
  return arg;
}

/** `f()` kept under `key` in `cache` (the `limit` newest); a rejected answer is not kept. */
export function memo<T>(cache: Map<string, Promise<T>>, key: string, limit: number, f: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit) return hit;
  const p = f();
  cache.set(key, p);
  p.catch(() => cache.get(key) === p && cache.delete(key));
  while (cache.size > limit) cache.delete(cache.keys().next().value!);
  return p;
}
