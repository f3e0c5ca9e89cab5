/**
 * Reading an EVM chain over the hub's one EVM JSON-RPC client (hub-chain/light-clients/evm/
 * json-rpc.ts): heights (finality from the node's `finalized` tag, or a configured depth where
 * the node has none), decoded events in bounded block ranges, raw headers, contract calls and
 * storage, and storage proofs (the light client's one eth_getProof) for the hub's EVM light
 * client. ethers only decodes ABI data. Every failure leaves as an `AdapterError`.
 */
import { type EventFragment, getAddress, Interface, toQuantity, type InterfaceAbi } from 'ethers';
import { JsonRpcClient, type JsonRpcSender } from '../../hub-chain/light-clients/evm/json-rpc.ts';
import { type AccountProof, fetchAccountProof } from '../../hub-chain/light-clients/evm/proofs.ts';
import type { Hex } from '../../hub-chain/crypto/bytes.ts';
import type { Logger } from 'pino';
import { AdapterError, AdapterErrorCode, isAdapterError } from '../core/errors.ts';
import type { ChainEvent, ChainReader, EventFilter } from '../core/types.ts';
import { toAdapterError } from './errors.ts';

export interface EvmReaderOptions {
  /** JSON-RPC over HTTP(S). */
  url: string;
  /** The EIP-155 chain id the node must serve. */
  evmChainId: number;
  /** The Pontis chain id (as registered on the hub); defaults to `evm-<evmChainId>`. */
  chainId?: string;
  /** Events and custom errors to decode. */
  abi?: InterfaceAbi | Interface;
  /** Blocks below latest counted final when the node has no `finalized` tag (or `useFinalizedTag` is false). */
  finalityDepth?: number;
  useFinalizedTag?: boolean;
  /** Most blocks per eth_getLogs call. */
  maxBlockRange?: number;
  /** Per request. */
  timeoutMs?: number;
  logger?: Logger;
  /** Calls go through this instead of one client for `url` (e.g. several nodes behind a failover sender). */
  sender?: JsonRpcSender;
}

/** A log as eth_getLogs returns it. */
interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

/** An eth_getProof result (EIP-1186) for some slots of one account. */
export type EvmProof = AccountProof;

/** A block number or a tag the node resolves. */
export type BlockTag = number | 'latest' | 'finalized';

export type RawBlockHeader = Record<string, unknown> & { number: string; hash: string; parentHash: string; timestamp: string; stateRoot: string; receiptsRoot: string };

const hexHeight = (h: number) => toQuantity(h);

export class EvmReader implements ChainReader {
  readonly chainId: string;
  readonly evmChainId: number;
  readonly iface: Interface | undefined;
  protected readonly client: JsonRpcSender;
  protected readonly logger: Logger | undefined;
  private readonly finalityDepth: number;
  private readonly maxBlockRange: number;
  private finalizedTag: 'unknown' | 'yes' | 'no';
  private closed = false;
  /** The ABI's events by topic hash, hashed once (ethers' parseLog hashes every event signature for each log). */
  private readonly eventsByTopic = new Map<string, EventFragment>();

  constructor(protected readonly opts: EvmReaderOptions) {
    this.evmChainId = opts.evmChainId;
    this.chainId = opts.chainId ?? `evm-${opts.evmChainId}`;
    try {
      this.iface = opts.abi === undefined ? undefined : opts.abi instanceof Interface ? opts.abi : new Interface(opts.abi);
    } catch (e) {
      throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'the reader ABI does not parse', { cause: e, chainId: this.chainId });
    }
    this.iface?.forEachEvent((f) => {
      if (!f.anonymous) this.eventsByTopic.set(f.topicHash, f);
    });
    if (!Number.isSafeInteger(opts.evmChainId) || opts.evmChainId <= 0) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not an EIP-155 chain id: ${opts.evmChainId}`, { chainId: this.chainId });
    this.finalityDepth = opts.finalityDepth ?? 12;
    this.maxBlockRange = opts.maxBlockRange ?? 2000;
    this.finalizedTag = opts.useFinalizedTag === false ? 'no' : 'unknown';
    this.logger = opts.logger?.child({ chainId: this.chainId });
    if (!/^https?:\/\//.test(opts.url)) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'the EVM reader speaks JSON-RPC over http(s) URLs', { chainId: this.chainId });
    this.client = opts.sender ?? new JsonRpcClient(opts.url, { timeoutMs: opts.timeoutMs ?? 10_000 });
  }

  /** Connects and checks that the node serves `evmChainId` (or learns it when omitted). */
  static async connect<O extends EvmReaderOptions, T>(this: new (o: O) => T, opts: Omit<O, 'evmChainId'> & { evmChainId?: number }): Promise<T> {
    const probe = new EvmReader({ ...opts, evmChainId: opts.evmChainId ?? 1 });
    let served: number;
    try {
      served = Number(await probe.rpc<string>('eth_chainId', []));
    } finally {
      await probe.close();
    }
    if (!Number.isSafeInteger(served) || served <= 0) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, 'eth_chainId returned no chain id', { operation: 'eth_chainId' });
    if (opts.evmChainId !== undefined && served !== opts.evmChainId) {
      // only the origin: hosted RPC URLs carry API keys in their path
      throw new AdapterError(AdapterErrorCode.CHAIN_MISMATCH, `node at ${new URL(opts.url).origin} serves chain ${served}, expected ${opts.evmChainId}`, { details: { served, expected: opts.evmChainId } });
    }
    return new this({ ...opts, evmChainId: served } as O);
  }

  /** One JSON-RPC call; failures become AdapterErrors. */
  async rpc<T>(method: string, params: unknown[]): Promise<T> {
    if (this.closed) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'the reader is closed', { chainId: this.chainId, operation: method });
    try {
      return (await this.client.send(method, params)) as T;
    } catch (e) {
      throw toAdapterError(e, { chainId: this.chainId, operation: method, iface: this.iface });
    }
  }

  async latestHeight(): Promise<number> {
    return this.quantity(await this.rpc<string>('eth_blockNumber', []), 'eth_blockNumber');
  }

  async finalizedHeight(): Promise<number> {
    if (this.finalizedTag !== 'no') {
      try {
        const b = await this.rpc<{ number: string } | null>('eth_getBlockByNumber', ['finalized', false]);
        if (b) {
          this.finalizedTag = 'yes';
          return this.quantity(b.number, 'finalized block');
        }
      } catch (e) {
        // a node that cannot reach us or answer in time says nothing about tag support
        if (!isAdapterError(e) || e.code === AdapterErrorCode.RPC_TIMEOUT || e.code === AdapterErrorCode.RPC_UNAVAILABLE || this.finalizedTag === 'yes') throw e;
      }
      this.finalizedTag = 'no';
      this.logger?.info({ finalityDepth: this.finalityDepth }, 'node serves no finalized tag: using a fixed depth');
    }
    return Math.max(0, (await this.latestHeight()) - this.finalityDepth);
  }

  /** The raw block (without transactions), or undefined above the tip. */
  async blockHeader(height: number): Promise<RawBlockHeader | undefined> {
    this.checkHeight(height);
    const b = await this.rpc<RawBlockHeader | null>('eth_getBlockByNumber', [hexHeight(height), false]);
    if (b === null) return undefined;
    if (typeof b !== 'object' || typeof b.hash !== 'string' || typeof b.number !== 'string') {
      throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `malformed block ${height}`, { chainId: this.chainId, operation: 'eth_getBlockByNumber' });
    }
    return b;
  }

  async blockHash(height: number): Promise<string | undefined> {
    return (await this.blockHeader(height))?.hash;
  }

  async blockTime(height: number): Promise<number> {
    const b = await this.blockHeader(height);
    if (!b) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `block ${height} does not exist yet`, { chainId: this.chainId, operation: 'blockTime', retryable: true });
    return this.quantity(b.timestamp, 'timestamp') * 1000;
  }

  /** Storage proofs of `slots` (32-byte hex) of `address` at `height` (eth_getProof). */
  async getProof(address: string, slots: string[], height: number): Promise<EvmProof> {
    this.checkHeight(height);
    try {
      return await fetchAccountProof({ send: (m, p) => this.rpc(m, p) }, this.address(address) as Hex, slots as Hex[], height);
    } catch (e) {
      if (isAdapterError(e)) throw e;
      throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `malformed eth_getProof answer at ${height}`, { cause: e, chainId: this.chainId, operation: 'eth_getProof' });
    }
  }

  /** A storage word of `address` at `block` (eth_getStorageAt), as 32-byte lower-case hex. */
  async storageAt(address: string, slot: string, block: BlockTag = 'latest'): Promise<Hex> {
    const w = await this.rpc<unknown>('eth_getStorageAt', [this.address(address), slot, this.tag(block)]);
    if (typeof w !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(w)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `malformed eth_getStorageAt answer: ${String(w)}`, { chainId: this.chainId, operation: 'eth_getStorageAt' });
    return `0x${w.slice(2).toLowerCase().padStart(64, '0')}` as Hex;
  }

  /** A read-only contract call (eth_call) at `block`; returns the raw return data. */
  async call(to: string, data: string, block: BlockTag = 'latest'): Promise<string> {
    const r = await this.rpc<unknown>('eth_call', [{ to: this.address(to), data }, this.tag(block)]);
    if (typeof r !== 'string' || !r.startsWith('0x')) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, 'malformed eth_call answer', { chainId: this.chainId, operation: 'eth_call' });
    return r;
  }

  /** Native balance of `address` at `block`, in wei. */
  async balance(address: string, block: BlockTag = 'latest'): Promise<bigint> {
    const v = await this.rpc<unknown>('eth_getBalance', [this.address(address), this.tag(block)]);
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `malformed balance: ${String(v)}`, { chainId: this.chainId, operation: 'eth_getBalance' });
    return BigInt(v);
  }

  async events<A extends Record<string, unknown> = Record<string, unknown>>(filter: EventFilter, fromHeight: number, toHeight: number): Promise<ChainEvent<A>[]> {
    this.checkHeight(fromHeight);
    this.checkHeight(toHeight);
    if (toHeight < fromHeight) return [];
    const address = filter.sources?.map((s) => this.address(s));
    const topic0 = filter.names?.map((n) => this.topicOf(n));
    const out: ChainEvent<A>[] = [];
    for (let lo = fromHeight; lo <= toHeight; lo += this.maxBlockRange) {
      const hi = Math.min(toHeight, lo + this.maxBlockRange - 1);
      const logs = await this.logsIn(lo, hi, address, topic0);
      for (const l of logs) {
        if (l.removed) continue;
        try {
          out.push(this.decode<A>(l));
        } catch (e) {
          throw toAdapterError(e, { chainId: this.chainId, operation: 'eth_getLogs' });
        }
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** eth_getLogs over [lo, hi]; a range the node refuses as too large is split in halves. */
  private async logsIn(lo: number, hi: number, address: string[] | undefined, topic0: string[] | undefined): Promise<RpcLog[]> {
    const query: Record<string, unknown> = { fromBlock: hexHeight(lo), toBlock: hexHeight(hi) };
    if (address) query.address = address;
    if (topic0) query.topics = [topic0];
    try {
      const logs = await this.rpc<RpcLog[]>('eth_getLogs', [query]);
      if (!Array.isArray(logs)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, 'eth_getLogs did not return a list', { chainId: this.chainId, operation: 'eth_getLogs' });
      return logs;
    } catch (e) {
      // providers cap ranges or result counts with assorted JSON-RPC errors; halving is the portable answer
      if (hi > lo && isAdapterError(e, AdapterErrorCode.RPC_ERROR)) {
        const mid = lo + Math.floor((hi - lo) / 2);
        this.logger?.debug({ lo, hi }, 'eth_getLogs range refused: splitting');
        return [...(await this.logsIn(lo, mid, address, topic0)), ...(await this.logsIn(mid + 1, hi, address, topic0))];
      }
      throw e;
    }
  }

  private decode<A extends Record<string, unknown>>(l: RpcLog): ChainEvent<A> {
    let name = '';
    let args: Record<string, unknown> = {};
    if (this.iface) {
      try {
        const fragment = this.eventsByTopic.get(l.topics[0]?.toLowerCase() ?? '');
        if (fragment) {
          const decoded = this.iface.decodeEventLog(fragment, l.data, l.topics);
          name = fragment.name;
          fragment.inputs.forEach((input, i) => {
            args[input.name || String(i)] = plain(decoded[i]);
          });
        }
      } catch {
        // a log matching an ABI topic but not its layout (another contract's event) stays undecoded
        name = '';
        args = {};
      }
    }
    return {
      chainId: this.chainId,
      height: this.quantity(l.blockNumber, 'log blockNumber'),
      blockHash: l.blockHash,
      txHash: l.transactionHash,
      index: this.quantity(l.logIndex, 'log logIndex'),
      source: getAddress(l.address),
      name,
      args: args as A,
      raw: { topics: l.topics, data: l.data },
    };
  }

  private topicOf(name: string): string {
    if (/^0x[0-9a-fA-F]{64}$/.test(name)) return name.toLowerCase();
    const ev = this.iface?.getEvent(name);
    if (!ev) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `event ${name} is not in the reader's ABI`, { chainId: this.chainId, operation: 'events' });
    return ev.topicHash;
  }

  private address(a: string): string {
    try {
      return getAddress(a);
    } catch (e) {
      throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not an address: ${a}`, { cause: e, chainId: this.chainId });
    }
  }

  private tag(b: BlockTag): string {
    if (typeof b === 'string') return b;
    this.checkHeight(b);
    return hexHeight(b);
  }

  private checkHeight(h: number): void {
    if (!Number.isSafeInteger(h) || h < 0) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not a block height: ${h}`, { chainId: this.chainId });
  }

  protected quantity(v: unknown, what: string): number {
    const n = typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n)) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `malformed ${what}: ${String(v)}`, { chainId: this.chainId });
    return n;
  }
}

/** ethers Result values (proxies, nested Results) as plain data. */
function plain(v: unknown): unknown {
  if (v && typeof v === 'object' && 'toArray' in v && typeof (v as { toArray: unknown }).toArray === 'function') {
    return (v as { toArray(): unknown[] }).toArray().map(plain);
  }
  return v;
}
