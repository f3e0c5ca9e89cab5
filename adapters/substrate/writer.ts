/**
 * Submitting Substrate extrinsics signed by one keyring pair: nonces from the shared
 * `NonceManager` (the account's next index read once from the node, which counts the pool, then
 * kept locally; re-read after a nonce error or an uncertain failure), an optional tip, and a
 * wait for inclusion (or finality) through `author_submitAndWatchExtrinsic`. A dispatch error is
 * decoded to its module error. `remarkBatch` is how Pontis writes leave a Substrate chain: a
 * `system.remarkWithEvent` of a write batch, proven later by `remarkProof` (reader.ts).
 */
import { Keyring, type ApiPromise, type SubmittableResult } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import { blake2AsHex } from '@polkadot/util-crypto';
import { type Bytes, fromHex, toHex } from '../../hub-chain/crypto/bytes.ts';
import { encodeRemarkPayload } from '../../hub-chain/light-clients/substrate/remark.ts';
import { AdapterError, AdapterErrorCode, isAdapterError } from '../core/errors.ts';
import { NonceManager } from '../core/nonce.ts';
import type { ChainWriter, SubmitResult } from '../core/types.ts';
import { fromDispatchError, toSubstrateAdapterError } from './errors.ts';
import { type Hex, SubstrateReader, type SubstrateReaderOptions } from './reader.ts';

/** A call by its pallet and name as the runtime's metadata has them (`system`, `remarkWithEvent`). */
export interface SubstrateCall {
  pallet: string;
  call: string;
  args?: unknown[];
  /** Tip in the chain's smallest unit; the writer's default when absent. */
  tip?: bigint;
  /** Sign with this nonce instead of the managed one (manual recovery; the managed count is not moved). */
  nonce?: number;
}

export interface SubstrateWriterOptions extends SubstrateReaderOptions {
  /** A secret URI (`//Alice`, a mnemonic with a derivation path) or a keyring pair. Never logged. */
  signer: string | KeyringPair;
  /** Key type for a secret URI; default sr25519. */
  keyType?: 'sr25519' | 'ed25519' | 'ecdsa';
  /** Default tip; 0 when absent. */
  tip?: bigint;
  /** Resolve when the transaction is in a block (default) or when that block is final. */
  waitFor?: 'inBlock' | 'finalized';
  /** Stop waiting after this long (the transaction may still be included); default 5 min. */
  inclusionTimeoutMs?: number;
}

export interface SubstrateReceipt {
  status: 'success';
  txHash: Hex;
  from: string;
  nonce: number;
  height: number;
  blockHash: Hex;
  /** The extrinsic's position in its block (the `applyExtrinsic` phase of its events). */
  txIndex: number;
}

/** Where a remark batch landed: enough for `remarkProof`. */
export interface RemarkReceipt {
  blockHash: Hex;
  height: number;
  txHash: Hex;
  /** The index of its `System.Remarked` in the block's `System.Events`. */
  eventIndex: number;
  /** "PNTS" ++ SCALE Vec<(Vec<u8>, Vec<u8>)>, as hex. */
  payload: Hex;
}

type Status = SubmittableResult;

export class SubstrateWriter extends SubstrateReader implements ChainWriter<SubstrateCall> {
  private readonly nonces: NonceManager;
  private pairP: Promise<KeyringPair> | undefined;

  constructor(protected override readonly opts: SubstrateWriterOptions) {
    super(opts);
    this.nonces = new NonceManager(async (address) => this.number(await this.rpc<number>('system_accountNextIndex', [address]), 'account next index'));
  }

  /** The signer's address (SS58 with the chain's prefix once connected). */
  async address(): Promise<string> {
    return (await this.pair()).address;
  }

  /** Forgets the local nonce: the next send re-reads the account's next index from the node. */
  resyncNonce(): void {
    if (this.pairP) void this.pairP.then((p) => this.nonces.reset(p.address), () => undefined);
  }

  async submit(txs: SubstrateCall[]): Promise<SubmitResult[]> {
    return Promise.all(
      txs.map(async (tx): Promise<SubmitResult> => {
        try {
          const r = await this.send(tx);
          return { status: 'success', txHash: r.txHash, height: r.height, blockHash: r.blockHash, replacements: 0 };
        } catch (e) {
          const err = toSubstrateAdapterError(e, { chainId: this.chainId, operation: 'submit' });
          const d = err.details ?? {};
          const included = err.code === AdapterErrorCode.REVERTED && typeof d.height === 'number';
          return {
            status: included ? 'reverted' : 'failed',
            txHash: typeof d.txHash === 'string' ? d.txHash : undefined,
            height: included ? (d.height as number) : undefined,
            blockHash: typeof d.blockHash === 'string' ? d.blockHash : undefined,
            replacements: 0,
            error: err,
          };
        }
      }),
    );
  }

  /**
   * Signs, submits and waits for one call. Throws AdapterError: REVERTED (dispatch failed in a
   * block: details carry `section`/`name`, txHash, height, blockHash), NONCE, INSUFFICIENT_FUNDS,
   * INVALID_REQUEST, NOT_MINED, or the transport codes.
   */
  async send(tx: SubstrateCall): Promise<SubstrateReceipt> {
    try {
      return await this.sendOnce(tx);
    } catch (e) {
      throw toSubstrateAdapterError(e, { chainId: this.chainId, operation: 'submit' });
    }
  }

  /**
   * Writes `pairs` as one `system.remarkWithEvent("PNTS" ++ SCALE pairs)` and returns where its
   * `System.Remarked` event is, for `remarkProof`. With `before`, one `utility.batchAll` of those
   * calls then the remark: all of them land, or none (a transfer's lock and its packet).
   */
  async remarkBatch(pairs: [Bytes | string, Bytes | string][], o: { before?: SubstrateCall[] } = {}): Promise<RemarkReceipt> {
    let payload: Bytes;
    try {
      payload = encodeRemarkPayload(pairs.map(([k, v]) => [typeof k === 'string' ? fromHex(k) : k, typeof v === 'string' ? fromHex(v) : v]));
    } catch (e) {
      throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `remarkBatch: pairs must be bytes or 0x hex: ${(e as Error).message}`, { chainId: this.chainId, operation: 'remarkBatch', cause: e });
    }
    const hex = toHex(payload) as Hex;
    const remark: SubstrateCall = { pallet: 'system', call: 'remarkWithEvent', args: [hex] };
    let tx = remark;
    if (o.before?.length) {
      const api = await this.connected();
      tx = { pallet: 'utility', call: 'batchAll', args: [[...o.before, remark].map((c) => this.build(api, c))] };
    }
    const r = await this.send(tx);
    const events = await this.blockEventsAt(r.blockHash);
    const hash = blake2AsHex(payload);
    const ev = events.find((e) => e.source === 'system' && e.name === 'Remarked' && (e.raw as { phase: { applyExtrinsic?: number } }).phase.applyExtrinsic === r.txIndex && e.args.hash === hash);
    if (!ev) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `block ${r.blockHash} holds no System.Remarked for extrinsic ${r.txIndex}`, { chainId: this.chainId, operation: 'remarkBatch', details: { txHash: r.txHash, blockHash: r.blockHash } });
    return { blockHash: r.blockHash, height: r.height, txHash: r.txHash, eventIndex: ev.index, payload: hex };
  }

  private pair(): Promise<KeyringPair> {
    this.pairP ??= (async () => {
      const api = await this.connected(); // crypto (sr25519 wasm) is ready once the API is
      const s = this.opts.signer;
      if (typeof s !== 'string') return s;
      try {
        return new Keyring({ type: this.opts.keyType ?? 'sr25519', ss58Format: api.registry.chainSS58 }).addFromUri(s);
      } catch {
        // never echo the secret (the library's message may carry it)
        throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'invalid signer secret URI', { chainId: this.chainId });
      }
    })();
    // a failed connection must not stick: the next call tries again
    this.pairP.catch(() => {
      this.pairP = undefined;
    });
    return this.pairP;
  }

  private async sendOnce(tx: SubstrateCall): Promise<SubstrateReceipt> {
    const pair = await this.pair();
    const api = await this.connected();
    const build = () => this.build(api, tx);
    build(); // refuse an unknown call or bad arguments before touching the nonce
    const tip = tx.tip ?? this.opts.tip ?? 0n;
    if (tx.nonce !== undefined) return (await this.submitWatched(api, build(), pair, tx.nonce, tip)).done;

    let watched: Watched | undefined;
    for (let attempt = 0; !watched; attempt++) {
      try {
        watched = await this.nonces.withNonce(pair.address, (nonce) => this.submitWatched(api, build(), pair, nonce, tip));
      } catch (e) {
        // the manager forgot the count: the next attempt signs with the node's
        if (!isAdapterError(e, AdapterErrorCode.NONCE) || attempt >= 2) throw e;
        this.logger?.warn({ from: pair.address, ...(e.details ?? {}) }, 'nonce refused: re-reading it from the node');
      }
    }
    return watched.done;
  }

  private build(api: ApiPromise, tx: SubstrateCall): SubmittableExtrinsic<'promise'> {
    const fn = api.tx[tx.pallet]?.[tx.call];
    if (!fn) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `the runtime has no call ${tx.pallet}.${tx.call}`, { chainId: this.chainId, operation: 'submit' });
    try {
      return fn(...(tx.args ?? []));
    } catch (e) {
      throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `arguments do not fit ${tx.pallet}.${tx.call}: ${(e as Error).message.split('\n')[0]}`, { chainId: this.chainId, operation: 'submit', cause: e });
    }
  }

  /**
   * Signs with `nonce` and submits with a status subscription. Resolves once the pool accepted
   * it (the nonce is then used), with `done` settling at inclusion or finality.
   */
  private async submitWatched(api: ApiPromise, xt: SubmittableExtrinsic<'promise'>, pair: KeyringPair, nonce: number, tip: bigint): Promise<Watched> {
    const waitFor = this.opts.waitFor ?? 'inBlock';
    const ctx = { chainId: this.chainId, operation: 'submit' };
    let settle!: { ok: (r: SubstrateReceipt) => void; fail: (e: AdapterError) => void };
    const done = new Promise<SubstrateReceipt>((ok, fail) => {
      settle = { ok, fail };
    });
    // nobody may await `done` when the submission itself fails below
    done.catch(() => undefined);
    let settled = false;
    let unsub: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let offDisconnect: (() => void) | undefined;
    let txHash: Hex | undefined;
    const where = () => ({ txHash, nonce, from: pair.address });
    const finish = (r: SubstrateReceipt | AdapterError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      offDisconnect?.();
      unsub?.();
      if (r instanceof AdapterError) {
        // the account's count is uncertain after anything but a dispatch result
        if (r.code !== AdapterErrorCode.REVERTED) this.nonces.reset(pair.address);
        settle.fail(r);
      } else settle.ok(r);
    };

    const onStatus = (r: Status) => {
      const s = r.status;
      if (s.isInvalid || s.isUsurped) return finish(new AdapterError(AdapterErrorCode.NONCE, `transaction ${txHash} was ${s.type.toLowerCase()} in the pool (its nonce ${nonce} was taken)`, { ...ctx, details: where() }));
      if (s.isDropped) return finish(new AdapterError(AdapterErrorCode.NOT_MINED, `transaction ${txHash} was dropped from the pool`, { ...ctx, details: where() }));
      if (s.isFinalityTimeout) return finish(new AdapterError(AdapterErrorCode.NOT_MINED, `transaction ${txHash}'s block was not finalized in time`, { ...ctx, details: where() }));
      // a Finalized status is also an inclusion: a subscription whose statuses arrive before the client
      // knows its id keeps only the last one (chopsticks answers the id after the block is built, then
      // sends InBlock and Finalized at once), so InBlock may never be seen
      const target = waitFor === 'finalized' ? s.isFinalized : s.isInBlock || s.isFinalized;
      if (!target) return; // Ready, Broadcast, Retracted (another block may take it), InBlock before finality
      const blockHash = (s.isFinalized ? s.asFinalized : s.asInBlock).toHex();
      if (r.internalError || r.txIndex === undefined || r.blockNumber === undefined) {
        // the outcome is in the block, but the library could not read it: say so rather than guess
        return finish(new AdapterError(AdapterErrorCode.BAD_RESPONSE, `transaction ${txHash} is in block ${blockHash}, but its events could not be read`, { ...ctx, cause: r.internalError, details: { ...where(), blockHash } }));
      }
      const inBlock = { ...where(), height: r.blockNumber.toNumber(), blockHash, txIndex: r.txIndex };
      if (r.dispatchError) return finish(fromDispatchError(api.registry, r.dispatchError, ctx, inBlock));
      finish({ status: 'success', ...inBlock, txHash: txHash!, blockHash: blockHash as Hex });
    };

    let sending: Promise<() => void> | undefined;
    try {
      unsub = await this.call('author_submitAndWatchExtrinsic', async () => {
        await xt.signAsync(pair, { nonce, tip });
        txHash = xt.hash.toHex();
        sending = xt.send(onStatus);
        return sending;
      });
    } catch (e) {
      settled = true;
      // a submission that answers after the deadline still opened a subscription: close it
      sending?.then(
        (u) => u(),
        () => undefined,
      );
      const err = toSubstrateAdapterError(e, ctx);
      // signed and perhaps sent: the caller needs the hash to look for it
      if (txHash === undefined || err.code === AdapterErrorCode.INTERNAL) throw err;
      throw new AdapterError(err.code, err.message, { ...ctx, cause: err.cause, retryable: err.retryable, details: { ...(err.details ?? {}), ...where() } });
    }
    if (settled) unsub();
    else {
      timer = setTimeout(() => finish(new AdapterError(AdapterErrorCode.NOT_MINED, `transaction ${txHash} not ${waitFor === 'finalized' ? 'finalized' : 'included'} within ${this.opts.inclusionTimeoutMs ?? 300_000} ms`, { ...ctx, details: where() })), this.opts.inclusionTimeoutMs ?? 300_000);
      // the subscription dies with the socket: whether the transaction made it is unknown
      offDisconnect = this.provider.on('disconnected', () => finish(new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, `lost the node while waiting for transaction ${txHash} (it may still be included)`, { ...ctx, details: where() })));
    }
    return { txHash: txHash!, done };
  }
}

interface Watched {
  txHash: Hex;
  done: Promise<SubstrateReceipt>;
}
