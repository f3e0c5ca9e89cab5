/**
 * A light client that follows a hub chain through an untrusted HeaderSource (an RPC node, a
 * relayer's cache). Forward it uses skipping verification with bisection (CometBFT light client
 * spec): try to jump straight to the target; when the trusted next set does not hold enough of
 * the target's signers (PNT_ERR_LC_INSUFFICIENT_TRUST), verify a pivot halfway first and retry
 * from there. Below a trusted height it verifies backwards along prevHash links, which needs no
 * signatures because a trusted header fixes every header beneath it.
 *
 * It keeps a bounded in-memory store of trusted states (the latest is never pruned). It does not
 * cross-check witnesses: a detector that compares sources calls detectConflict (misbehaviour.ts).
 */
import { PontisError } from '../../../errors.ts';
import type { ValidatorSet } from '../../../types/validator-set.ts';
import { LC_ERR, LightClientError } from './errors.ts';
import {
  type Fraction,
  type SignedHeader,
  type TrustedState,
  type VerifyOptions,
  checkedHeaderHash,
  isExpired,
  trustedStateFrom,
  validateTrustLevel,
  verifyHeader,
} from './verifier.ts';

/** Where a light client reads the chain from. Nothing it returns is trusted. */
export interface HeaderSource {
  signedHeader(height: number): Promise<SignedHeader>;
  /** The set that signs `height`. Must also answer for latestHeight() + 1 (it is decided a block ahead). */
  validatorSet(height: number): Promise<ValidatorSet>;
  latestHeight(): Promise<number>;
}

export interface LightClientOptions {
  trustingPeriodMs: number;
  maxClockDriftMs: number;
  /** Default 1/3. */
  trustLevel?: Fraction;
  /** Local clock in ms; default Date.now. */
  now?: () => number;
  /** Trusted states kept; the lowest heights are pruned first, the latest is always kept. Default 1000. */
  maxTrustedStates?: number;
  /** Headers one verifyTo may fetch (bisection pivots or backward steps). Default 1000. */
  maxFetches?: number;
}

interface Fetched {
  signed: SignedHeader;
  vals: ValidatorSet;
  next: ValidatorSet;
}

export class LightClient {
  private readonly source: HeaderSource;
  private readonly opts: Required<Omit<LightClientOptions, 'trustLevel'>> & { trustLevel?: Fraction };
  private readonly store = new Map<number, TrustedState>();
  /** Heights in `store`, ascending. */
  private heights: number[] = [];
  /** verifyTo calls run one at a time so the store only ever moves between consistent states. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(source: HeaderSource, trusted: TrustedState, opts: LightClientOptions) {
    if (opts.trustLevel) validateTrustLevel(opts.trustLevel);
    const maxTrustedStates = opts.maxTrustedStates ?? 1000;
    const maxFetches = opts.maxFetches ?? 1000;
    if (!Number.isSafeInteger(maxTrustedStates) || maxTrustedStates < 1 || !Number.isSafeInteger(maxFetches) || maxFetches < 1) {
      throw new LightClientError(LC_ERR.OPTIONS, 'maxTrustedStates and maxFetches must be positive integers');
    }
    this.source = source;
    this.opts = { ...opts, now: opts.now ?? Date.now, maxTrustedStates, maxFetches };
    this.save(trustedStateFrom(trusted.header, trusted.validators, trusted.nextValidators));
  }

  /** The highest trusted state. */
  get latest(): TrustedState {
    return this.store.get(this.heights[this.heights.length - 1])!;
  }

  /** The trusted state at `height`, if this client has verified it and still keeps it. */
  trustedAt(height: number): TrustedState | undefined {
    return this.store.get(height);
  }

  /** Heights currently held, ascending. */
  trustedHeights(): number[] {
    return [...this.heights];
  }

  /** Verifies the source's latest height. */
  async update(): Promise<TrustedState> {
    const h = await this.call(() => this.source.latestHeight(), 0);
    return h > this.latest.header.height ? this.verifyTo(h) : this.latest;
  }

  /** Verifies the header at `height` (above or below what is trusted) and returns its state. */
  verifyTo(height: number): Promise<TrustedState> {
    if (!Number.isSafeInteger(height) || height < 1) return Promise.reject(new LightClientError(LC_ERR.INVALID_ARGUMENT, `bad height ${height}`));
    const run = this.queue.then(() => this.verifyToNow(height));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async verifyToNow(target: number): Promise<TrustedState> {
    const known = this.store.get(target);
    if (known) return known;
    const now = this.opts.now();
    const vopts: VerifyOptions = { trustingPeriodMs: this.opts.trustingPeriodMs, maxClockDriftMs: this.opts.maxClockDriftMs, now, trustLevel: this.opts.trustLevel };
    const below = this.closest(target, -1);
    const above = this.closest(target, +1);
    // Time grows with height: if the closest state below has expired, all below have.
    if (below && (!above || !isExpired(below.header, vopts.trustingPeriodMs, now))) return this.verifyForward(below, target, vopts);
    if (above) return this.verifyBackward(above, target, vopts);
    throw new LightClientError(LC_ERR.NO_TRUSTED_STATE, `no trusted state to verify ${target} from`);
  }

  private async verifyForward(from: TrustedState, target: number, vopts: VerifyOptions): Promise<TrustedState> {
    let verified = from;
    const pending = [target];
    const fetched = new Map<number, Fetched>();
    let fetches = 0;
    while (pending.length > 0) {
      const h = pending[pending.length - 1];
      let f = fetched.get(h);
      if (!f) {
        if (++fetches > this.opts.maxFetches) throw new LightClientError(LC_ERR.BISECTION_LIMIT, `verifying ${target} needed more than ${this.opts.maxFetches} headers`);
        f = await this.fetch(h);
        fetched.set(h, f);
      }
      try {
        verified = verifyHeader(verified, f.signed, f.vals, f.next, vopts);
      } catch (e) {
        if (!(e instanceof LightClientError && e.code === LC_ERR.INSUFFICIENT_TRUST)) throw e;
        // Skipping failed only for lack of overlap (never happens when adjacent): halve the gap.
        pending.push(verified.header.height + Math.floor((h - verified.header.height) / 2));
        continue;
      }
      this.save(verified);
      pending.pop();
    }
    return verified;
  }

  private async verifyBackward(from: TrustedState, target: number, vopts: VerifyOptions): Promise<TrustedState> {
    if (isExpired(from.header, vopts.trustingPeriodMs, vopts.now)) {
      throw new LightClientError(LC_ERR.TRUSTED_EXPIRED, `trusted header at ${from.header.height} has expired`, { details: { trustedHeight: from.header.height } });
    }
    if (from.header.height - target > this.opts.maxFetches) throw new LightClientError(LC_ERR.BISECTION_LIMIT, `verifying ${target} backwards needs more than ${this.opts.maxFetches} headers`);
    let upper = from.header;
    for (let h = from.header.height - 1; h >= target; h--) {
      const { header } = await this.fetchHeader(h);
      if (checkedHeaderHash(header) !== upper.prevHash) {
        throw new LightClientError(LC_ERR.PREV_HASH_MISMATCH, `header ${h} is not the parent of trusted header ${upper.height}`, { details: { height: h } });
      }
      if (header.time >= upper.time) throw new LightClientError(LC_ERR.TIME_NOT_INCREASING, `header ${h} is not older than its child`, { details: { height: h } });
      upper = header;
    }
    const [vals, next] = await Promise.all([this.fetchVals(target), this.fetchVals(target + 1)]);
    if (vals.hash() !== upper.validatorsHash) throw new LightClientError(LC_ERR.VALSET_MISMATCH, `source's validator set for ${target} does not match the header`, { details: { height: target } });
    if (next.hash() !== upper.nextValidatorsHash) throw new LightClientError(LC_ERR.NEXT_VALSET_MISMATCH, `source's validator set for ${target + 1} does not match the header`, { details: { height: target } });
    const state = { header: upper, validators: vals, nextValidators: next };
    this.save(state);
    return state;
  }

  private async fetch(height: number): Promise<Fetched> {
    const [signed, vals, next] = await Promise.all([this.fetchHeader(height), this.fetchVals(height), this.fetchVals(height + 1)]);
    return { signed, vals, next };
  }

  private async fetchHeader(height: number): Promise<SignedHeader> {
    const signed = await this.call(() => this.source.signedHeader(height), height);
    if (signed?.header?.height !== height) {
      throw new LightClientError(LC_ERR.SOURCE_MISMATCH, `source returned height ${signed?.header?.height} for ${height}`, { details: { height } });
    }
    return signed;
  }

  private fetchVals(height: number): Promise<ValidatorSet> {
    return this.call(() => this.source.validatorSet(height), height);
  }

  private async call<T>(f: () => Promise<T>, height: number): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof PontisError) throw e;
      throw new LightClientError(LC_ERR.SOURCE_UNAVAILABLE, `header source failed at height ${height}`, { cause: e, retryable: true, details: { height } });
    }
  }

  /** Closest stored state strictly below (dir -1) or above (dir +1) `height`. */
  private closest(height: number, dir: -1 | 1): TrustedState | undefined {
    const hs = this.heights;
    if (dir < 0) {
      for (let i = hs.length - 1; i >= 0; i--) if (hs[i] < height) return this.store.get(hs[i]);
    } else {
      for (const h of hs) if (h > height) return this.store.get(h);
    }
    return undefined;
  }

  private save(state: TrustedState): void {
    const h = state.header.height;
    if (!this.store.has(h)) {
      this.heights.push(h);
      this.heights.sort((a, b) => a - b);
    }
    this.store.set(h, state);
    while (this.heights.length > this.opts.maxTrustedStates) this.store.delete(this.heights.shift()!);
  }
}
