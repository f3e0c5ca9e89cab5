/**
 * A validator set in canonical order (power descending, then address ascending), its hash, and
 * proposer rotation by voting power (weighted round robin with priorities, as in Tendermint:
 * each step every validator gains its power, the highest becomes proposer and pays the total).
 *
 * hash = keccak256(concat over validators of address(20) || uint64 power) — rebuilt the same way
 * in Solidity.
 */
import { EncodingError } from '../errors.ts';
import { type Hex, concat, fromHex, isHex, toHex, uintBE } from '../crypto/bytes.ts';
import { keccak256 } from '../crypto/hash.ts';
import { addressFromPublicKey } from '../crypto/secp256k1.ts';

export interface Validator {
  /** 20-byte Ethereum-style address of the secp256k1 consensus key, lower-case hex. */
  address: Hex;
  /** Uncompressed secp256k1 public key, 65 bytes hex. */
  publicKey: Hex;
  power: number;
}

export const MAX_VALIDATORS = 150;
export const MAX_TOTAL_POWER = 2 ** 50;

export class ValidatorSet {
  readonly validators: readonly Validator[];
  readonly totalPower: number;
  private readonly index: Map<string, number>;
  private priorities: number[];
  private cachedHash: Hex | undefined;

  constructor(validators: readonly Validator[], priorities?: readonly number[]) {
    if (validators.length === 0) throw new EncodingError('PNT_ERR_VALSET_EMPTY', 'validator set is empty');
    if (validators.length > MAX_VALIDATORS) throw new EncodingError('PNT_ERR_VALSET_TOO_LARGE', `at most ${MAX_VALIDATORS} validators`);
    const sorted = [...validators].map((v) => normalise(v)).sort(compareValidators);
    let total = 0;
    const index = new Map<string, number>();
    sorted.forEach((v, i) => {
      if (index.has(v.address)) throw new EncodingError('PNT_ERR_VALSET_DUPLICATE', `validator ${v.address} appears twice`);
      if (v.power === 0) throw new EncodingError('PNT_ERR_VALIDATOR_POWER', `validator ${v.address} has zero power`);
      index.set(v.address, i);
      total += v.power;
    });
    if (total > MAX_TOTAL_POWER) throw new EncodingError('PNT_ERR_VALSET_POWER', 'total voting power too large');
    this.validators = sorted;
    this.totalPower = total;
    this.index = index;
    if (priorities && priorities.length !== sorted.length) throw new EncodingError('PNT_ERR_VALSET_PRIORITIES', 'priorities do not match validators');
    this.priorities = priorities ? [...priorities] : sorted.map(() => 0);
  }

  get size(): number {
    return this.validators.length;
  }

  hash(): Hex {
    this.cachedHash ??= toHex(keccak256(concat(...this.validators.flatMap((v) => [fromHex(v.address, 20), uintBE(v.power, 8)]))));
    return this.cachedHash;
  }

  indexOf(address: Hex): number {
    return this.index.get(address.toLowerCase()) ?? -1;
  }

  get(address: Hex): Validator | undefined {
    const i = this.indexOf(address);
    return i < 0 ? undefined : this.validators[i];
  }

  /** True when `power` is more than two thirds of the total. */
  hasQuorum(power: number): boolean {
    return power * 3 > this.totalPower * 2;
  }

  /** True when `power` is at least one third plus one (some honest validator is included). */
  hasOneThird(power: number): boolean {
    return power * 3 > this.totalPower;
  }

  getPriorities(): number[] {
    return [...this.priorities];
  }

  /** The proposer at `round` of the height this set (with its priorities) is for. */
  proposer(round = 0): Validator {
    return this.validators[this.copyIncrement(round + 1).lastProposerIndex];
  }

  /**
   * A copy advanced `times` steps; `lastProposerIndex` is the proposer chosen at the last step.
   * Round r of a height uses the set advanced r+1 steps from the height's starting priorities.
   */
  copyIncrement(times: number): ValidatorSet & { lastProposerIndex: number } {
    const copy = new ValidatorSet(this.validators, this.priorities) as ValidatorSet & { lastProposerIndex: number };
    copy.lastProposerIndex = 0;
    for (let t = 0; t < times; t++) copy.lastProposerIndex = copy.step();
    return copy;
  }

  /** Priorities for the next height: one step past this height's round-0 start. */
  nextHeightSet(): ValidatorSet {
    const c = this.copyIncrement(1);
    return new ValidatorSet(c.validators, c.priorities);
  }

  /**
   * A new set after applying updates (power 0 removes). Existing validators keep their priority;
   * new ones start at -1.125 * total so they cannot propose at once; then priorities are centred.
   */
  applyUpdates(updates: readonly Validator[]): ValidatorSet {
    const byAddr = new Map(this.validators.map((v, i) => [v.address, { v, p: this.priorities[i] }]));
    for (const u of updates) {
      const n = normalise(u);
      if (n.power === 0) byAddr.delete(n.address);
      else byAddr.set(n.address, { v: n, p: byAddr.get(n.address)?.p ?? Number.NaN });
    }
    const vals = [...byAddr.values()].map((e) => e.v);
    const next = new ValidatorSet(vals);
    const total = next.totalPower;
    const pr = next.validators.map((v) => {
      const p = byAddr.get(v.address)!.p;
      return Number.isNaN(p) ? -(total + Math.floor(total / 8)) : p;
    });
    next.priorities = pr;
    next.centre();
    return next;
  }

  toJSON(): { validators: Validator[]; priorities: number[] } {
    return { validators: [...this.validators], priorities: [...this.priorities] };
  }

  static fromJSON(j: { validators: Validator[]; priorities?: number[] }): ValidatorSet {
    return new ValidatorSet(j.validators, j.priorities);
  }

  private step(): number {
    // keep the spread bounded (Tendermint rescales at 2 * total); integer arithmetic only.
    const maxDiff = 2 * this.totalPower;
    const diff = Math.max(...this.priorities) - Math.min(...this.priorities);
    if (diff > maxDiff) {
      const ratio = Math.ceil(diff / maxDiff);
      this.priorities = this.priorities.map((p) => Math.trunc(p / ratio));
    }
    this.centre();
    let best = 0;
    for (let i = 0; i < this.validators.length; i++) {
      this.priorities[i] += this.validators[i].power;
      if (i > 0 && (this.priorities[i] > this.priorities[best])) best = i;
    }
    this.priorities[best] -= this.totalPower;
    return best;
  }

  private centre(): void {
    const n = this.priorities.length;
    const avg = Math.floor(this.priorities.reduce((a, b) => a + b, 0) / n);
    this.priorities = this.priorities.map((p) => p - avg);
  }
}

/** Address of a public key (a keccak), remembered: every height builds its set anew from the same keys. */
const addresses = new Map<string, Hex>();
function addressOf(publicKey: string): Hex {
  const key = publicKey.toLowerCase();
  let a = addresses.get(key);
  if (a === undefined) {
    a = addressFromPublicKey(fromHex(key));
    if (addresses.size >= 4096) addresses.delete(addresses.keys().next().value!);
    addresses.set(key, a);
  }
  return a;
}

function normalise(v: Validator): Validator {
  if (!isHex(v.publicKey, 65)) throw new EncodingError('PNT_ERR_VALIDATOR_KEY', 'validator public key must be 65-byte uncompressed secp256k1 hex');
  const address = addressOf(v.publicKey);
  if (v.address && v.address.toLowerCase() !== address) throw new EncodingError('PNT_ERR_VALIDATOR_ADDRESS', `address ${v.address} does not match its public key`);
  if (!Number.isSafeInteger(v.power) || v.power < 0) throw new EncodingError('PNT_ERR_VALIDATOR_POWER', 'power must be a non-negative integer');
  return { address, publicKey: v.publicKey.toLowerCase(), power: v.power };
}

function compareValidators(a: Validator, b: Validator): number {
  if (a.power !== b.power) return b.power - a.power;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}
