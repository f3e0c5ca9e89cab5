/**
 * Reading a Pontis chain without trusting the node that answers: a light client follows the
 * chain's headers from a trust root (a pinned height and header hash, or the node's latest header
 * the first time it is asked, logged so an operator can pin it), and every transaction result or
 * block's events taken from the node are checked against a verified header's resultsHash.
 * Relayers read their submissions' outcomes and the packets they relay through this.
 */
import { PontisError, type PontisErrorOptions } from '../errors.ts';
import { HUB_ERRORS } from '../error-catalog.ts';
import type { Hex } from '../crypto/bytes.ts';
import { LightClient } from '../light-clients/pontis/verifier/client.ts';
import { type SignedHeader, type TrustedState, trustedStateFrom, verifyHeader } from '../light-clients/pontis/verifier/verifier.ts';
import { type Header, headerHash } from '../types/header.ts';
import { resultsHash, verifyTxResult } from '../types/results.ts';
import { ValidatorSet } from '../types/validator-set.ts';
import type { BlockResponse, BlockResultsResponse, HubClient, TxStatus } from './client.ts';
import type { TxResult } from '../app/app.ts';
import type { Commit } from '../types/vote.ts';
import { RpcHeaderSource } from './header-source.ts';

/** A node's answer that does not verify; `retryable` defaults to the catalog's for its code (the node may be lagging). */
export class VerifyError extends PontisError {
  override name = 'VerifyError';
  constructor(code: string, message: string, opts: PontisErrorOptions = {}) {
    super(code, message, { ...opts, retryable: opts.retryable ?? HUB_ERRORS.retryable(code) });
  }
}

export interface TrustRoot {
  height: number;
  hash: Hex;
}

export interface VerifiedReaderOptions {
  /** Pinned trust root; without it the node's latest header is trusted on first use. */
  trust?: TrustRoot;
  trustingPeriodMs?: number;
  maxClockDriftMs?: number;
  /** Told which header became the trust root (log it: it is what everything else rests on). */
  onTrust?: (root: TrustRoot & { pinned: boolean }) => void;
}

const DEFAULT_TRUSTING_PERIOD_MS = 14 * 24 * 3600 * 1000;
/** Verified headers kept (a relayer scanning back from its trust root walks the hash chain once). */
const MAX_CACHED_HEADERS = 20_000;
/** Headers fetched at once when walking the hash chain down from the root. */
const WALK_PARALLEL = 32;

export class VerifiedReader {
  private lc: Promise<LightClient> | undefined;
  private rootHeight = 0;
  /** Headers verified below the root (hash chain) or above it (with their sets in `states`). */
  private readonly verified = new Map<number, Header>();
  /** Verified states at or above the root: the next height is checked adjacently from them. */
  private readonly states = new Map<number, TrustedState>();

  constructor(
    readonly client: HubClient,
    private readonly opts: VerifiedReaderOptions = {},
  ) {}

  /**
   * The header at `height`, verified: above the trust root by the light client (commits and
   * validator sets), below it by the hash chain down from the nearest verified header above,
   * keeping every header on the way so that a scan upwards walks the chain once.
   */
  async header(height: number): Promise<Header> {
    const known = this.verified.get(height);
    if (known) return known;
    const lc = await this.lightClient();
    if (height >= this.rootHeight) return (await this.stateAt(height)).header;
    let above = height + 1;
    while (!this.verified.has(above) && above < this.rootHeight) above++;
    let upper = this.verified.get(above) ?? (await lc.verifyTo(this.rootHeight)).header;
    // fetched WALK_PARALLEL at a time, checked one by one down the chain
    while (upper.height > height) {
      const lowest = Math.max(height, upper.height - WALK_PARALLEL);
      const heights = Array.from({ length: upper.height - lowest }, (_, i) => upper.height - 1 - i);
      const fetched = await Promise.all(heights.map((h) => this.client.signedHeader(h)));
      for (const [i, h] of heights.entries()) {
        const { header } = fetched[i];
        if (header.height !== h || headerHash(header) !== upper.prevHash) throw new VerifyError('PNT_ERR_BLOCK_NOT_VERIFIED', `header ${h} is not the parent of verified header ${upper.height}`, { details: { height: h } });
        upper = this.keep(header);
      }
    }
    return upper;
  }

  /**
   * The verified state at `height` >= the root: adjacent from a verified `height - 1` when there
   * is one (reusing its sets and, for a block already fetched, its header and commit: no extra
   * request while the set does not change), otherwise by the light client (skipping).
   */
  private async stateAt(height: number, signed?: SignedHeader): Promise<TrustedState> {
    const known = this.states.get(height);
    if (known) return known;
    const lc = await this.lightClient();
    const prev = this.states.get(height - 1);
    if (!prev) return this.keepState(await lc.verifyTo(height));
    const s = signed ?? (await this.client.signedHeader(height));
    const vals = s.header.validatorsHash === prev.nextValidators.hash() ? prev.nextValidators : new ValidatorSet((await this.client.validators(height)).validators);
    const next = s.header.nextValidatorsHash === vals.hash() ? vals : new ValidatorSet((await this.client.validators(height + 1)).validators);
    return this.keepState(verifyHeader(prev, { header: s.header, commit: s.commit }, vals, next, this.verifyOptions()));
  }

  private keepState(st: TrustedState): TrustedState {
    if (this.states.size >= MAX_CACHED_HEADERS) this.states.delete(this.states.keys().next().value!);
    this.states.set(st.header.height, st);
    this.keep(st.header);
    return st;
  }

  private verifyOptions() {
    return { trustingPeriodMs: this.opts.trustingPeriodMs ?? DEFAULT_TRUSTING_PERIOD_MS, maxClockDriftMs: this.opts.maxClockDriftMs ?? 10_000, now: Date.now() };
  }

  private keep(h: Header): Header {
    if (this.verified.size >= MAX_CACHED_HEADERS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(h.height, h);
    return h;
  }

  /** A committed transaction whose result is proven under a verified header (PNT_ERR_RESULT_PROOF_INVALID otherwise). */
  async tx(hash: Hex, timeoutMs = 60_000): Promise<Extract<TxStatus, { status: 'committed' }>> {
    const t = await this.client.waitForTx(hash, timeoutMs, { prove: true });
    if (!t.proof) throw new VerifyError('PNT_ERR_RESULT_PROOF_MISSING', `node served no proof for ${hash}`);
    if (t.result.hash !== hash) throw new VerifyError('PNT_ERR_RESULT_PROOF_INVALID', 'node served the result of another transaction', { details: { hash } });
    verifyTxResult((await this.header(t.height)).resultsHash, t.result, t.proof);
    return t;
  }

  /** A block whose header is verified and whose transaction results and events match its resultsHash. */
  async block(height: number): Promise<BlockResponse> {
    const b = await this.client.block(height);
    await this.checkResults(b, b.txs.map((t) => t.result));
    return b;
  }

  /** A block's results and events (no transaction bodies), checked as `block` checks them. */
  async blockResults(height: number): Promise<BlockResultsResponse> {
    const b = await this.client.blockResults(height);
    await this.checkResults(b, b.results);
    return b;
  }

  private async checkResults(b: { height: number; header: Header; commit: Commit; events: BlockResponse['events'] }, results: TxResult[]): Promise<void> {
    const { height } = b;
    await this.lightClient(); // sets the root height
    // at or above the root the block's own header and commit are what gets verified
    const header = height >= this.rootHeight ? (await this.stateAt(height, { header: b.header, commit: b.commit })).header : await this.header(height);
    if (headerHash(b.header) !== headerHash(header)) throw new VerifyError('PNT_ERR_BLOCK_NOT_VERIFIED', `node served another block at ${height}`, { details: { height } });
    if (resultsHash(results, b.events) !== header.resultsHash) {
      throw new VerifyError('PNT_ERR_RESULT_PROOF_INVALID', `results of block ${height} do not match its header`, { details: { height } });
    }
  }

  private lightClient(): Promise<LightClient> {
    this.lc ??= this.init().catch((e) => {
      this.lc = undefined; // retried on the next call
      throw e;
    });
    return this.lc;
  }

  private async init(): Promise<LightClient> {
    const c = this.client;
    const height = this.opts.trust?.height ?? (await c.status()).latestHeight;
    if (height < 1) throw new VerifyError('PNT_ERR_TRUST_ROOT_EMPTY', `${c.url} has no committed block yet`, { retryable: true });
    const [signed, vals, next] = await Promise.all([c.signedHeader(height), c.validators(height), c.validators(height + 1)]);
    const root = trustedStateFrom(signed.header, new ValidatorSet(vals.validators), new ValidatorSet(next.validators), this.opts.trust?.hash);
    this.rootHeight = height;
    this.keepState(root);
    this.opts.onTrust?.({ height, hash: headerHash(root.header), pinned: this.opts.trust !== undefined });
    const { trustingPeriodMs, maxClockDriftMs } = this.verifyOptions();
    return new LightClient(new RpcHeaderSource(c), root, { trustingPeriodMs, maxClockDriftMs });
  }
}
