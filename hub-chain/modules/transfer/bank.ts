/**
 * Bank: balances and supplies in provable state, as canonical decimal strings.
 *
 *   bank/bal/<holder>/<denom>  balance (absent = 0)
 *   bank/supply/<denom>        total supply on this chain (absent = 0)
 *
 * A holder is a user account (`0x` + 20 bytes of lower-case hex) or a module account such as
 * `escrow/<chainId>`; chain ids and addresses contain no `/`, so keys parse unambiguously. Users
 * can never send to a module account: escrow balances move only through the transfer app.
 * Invariant kept by every function here: the balances of a denom sum to its supply.
 */
import type { z } from 'zod';
import type { KVStore, KVView } from '../../app/module.ts';
import type { Genesis } from '../../app/genesis.ts';
import type { Module, ModuleEnv } from '../../app/module.ts';
import { utf8 } from '../../crypto/bytes.ts';
import { PontisError, parseSchema } from '../../errors.ts';
import { AMOUNT_RE, DENOM_RE, bankSendSchema, genesisAccountsSchema } from './msgs.ts';

export class BankError extends PontisError {
  override name = 'BankError';
}

/** Amounts fit in uint256 so that an EVM contract can hold any of them. */
export const MAX_AMOUNT = (1n << 256n) - 1n;
export const ZERO_ADDRESS = '0x' + '00'.repeat(20);
const ACCOUNT_RE = /^0x[0-9a-f]{40}$/;
/** Prefix of voucher denominations; reserved so a native token can never pose as a voucher. */
export const VOUCHER_PREFIX = 't/';

export const bankKeys = {
  balance: (holder: string, denom: string) => utf8(`bank/bal/${holder}/${denom}`),
  supply: (denom: string) => utf8(`bank/supply/${denom}`),
};

/** The module account holding what this chain escrowed toward `chainId`. */
export const escrowAccount = (chainId: string): string => `escrow/${chainId}`;

export const isAccountAddress = (s: unknown): s is string => typeof s === 'string' && ACCOUNT_RE.test(s);
export const isDenom = (s: unknown): s is string => typeof s === 'string' && DENOM_RE.test(s);

/** A user account that can receive funds: well-formed and not the zero address. */
export function requireAccount(s: unknown, field = 'address'): string {
  if (!isAccountAddress(s) || s === ZERO_ADDRESS) throw new BankError('PNT_ERR_BANK_INVALID_ADDRESS', `${field} must be a non-zero 0x-prefixed 20-byte lower-case hex address`, { details: { [field]: String(s).slice(0, 130) } });
  return s;
}

export function requireDenom(s: unknown): string {
  if (!isDenom(s)) throw new BankError('PNT_ERR_BANK_INVALID_DENOM', 'denom must match [a-z][a-z0-9/._-]{1,127}', { details: { denom: String(s).slice(0, 130) } });
  return s;
}

/** A positive amount in canonical decimal form (one spelling per value), at most MAX_AMOUNT. */
export function parseAmount(s: unknown): bigint {
  if (typeof s !== 'string' || !AMOUNT_RE.test(s)) throw new BankError('PNT_ERR_BANK_INVALID_AMOUNT', 'amount must be a canonical decimal string (no sign, no leading zeros)', { details: { amount: String(s).slice(0, 90) } });
  const v = BigInt(s);
  if (v === 0n) throw new BankError('PNT_ERR_BANK_INVALID_AMOUNT', 'amount must be positive', { details: { amount: s } });
  if (v > MAX_AMOUNT) throw new BankError('PNT_ERR_BANK_INVALID_AMOUNT', 'amount exceeds 2^256 - 1', { details: { amount: s } });
  return v;
}

const readAmount = (b: Uint8Array | undefined): bigint => (b === undefined ? 0n : BigInt(Buffer.from(b).toString('utf8')));
// Zero entries are deleted: absent and zero read the same, and state stays small.
function writeAmount(s: KVStore, key: Uint8Array, v: bigint): void {
  if (v === 0n) s.delete(key);
  else s.set(key, utf8(v.toString()));
}

export const balanceOf = (s: KVView, holder: string, denom: string): bigint => readAmount(s.get(bankKeys.balance(holder, denom)));
export const supplyOf = (s: KVView, denom: string): bigint => readAmount(s.get(bankKeys.supply(denom)));

/** Refuses a denom this chain has no supply of (never minted here, or fully burned). */
export function requireKnownDenom(s: KVView, denom: string): void {
  if (supplyOf(s, denom) === 0n) throw new BankError('PNT_ERR_BANK_UNKNOWN_DENOM', `no ${denom} exists on this chain`, { details: { denom } });
}

function debit(s: KVStore, holder: string, denom: string, amount: bigint): void {
  const bal = balanceOf(s, holder, denom);
  if (bal < amount) throw new BankError('PNT_ERR_BANK_INSUFFICIENT', `${holder} holds ${bal} ${denom}, needs ${amount}`, { details: { holder, denom, balance: bal.toString(), amount: amount.toString() } });
  writeAmount(s, bankKeys.balance(holder, denom), bal - amount);
}
const credit = (s: KVStore, holder: string, denom: string, amount: bigint): void => writeAmount(s, bankKeys.balance(holder, denom), balanceOf(s, holder, denom) + amount);

export function sendCoins(s: KVStore, from: string, to: string, denom: string, amount: bigint): void {
  debit(s, from, denom, amount);
  credit(s, to, denom, amount);
}

export function mintCoins(s: KVStore, to: string, denom: string, amount: bigint): void {
  const supply = supplyOf(s, denom) + amount;
  if (supply > MAX_AMOUNT) throw new BankError('PNT_ERR_BANK_OVERFLOW', `supply of ${denom} would exceed 2^256 - 1`, { details: { denom } });
  writeAmount(s, bankKeys.supply(denom), supply);
  credit(s, to, denom, amount);
}

export function burnCoins(s: KVStore, from: string, denom: string, amount: bigint): void {
  debit(s, from, denom, amount);
  writeAmount(s, bankKeys.supply(denom), supplyOf(s, denom) - amount);
}

export interface GenesisBalance {
  address: string;
  denom: string;
  amount: bigint;
}

/**
 * The genesis balances (`genesis.accounts`, optional), checked: one entry per address and per
 * denom within it, positive amounts, non-zero addresses, native denoms only, supplies in range.
 */
export function genesisBalances(genesis: Genesis): GenesisBalance[] {
  const raw = (genesis as Genesis & { accounts?: unknown }).accounts;
  if (raw === undefined) return [];
  const bad = (msg: string, details?: Record<string, unknown>) => new BankError('PNT_ERR_GENESIS_INVALID', `genesis accounts: ${msg}`, { details });
  const accounts = parseSchema(genesisAccountsSchema, raw, (i) => bad(`${i.path}: ${i.message}`, { path: i.path ? `accounts.${i.path}` : 'accounts' }));
  const out: GenesisBalance[] = [];
  const seen = new Set<string>();
  const supply = new Map<string, bigint>();
  for (const acc of accounts) {
    if (acc.address === ZERO_ADDRESS) throw bad('the zero address cannot hold funds');
    if (seen.has(acc.address)) throw bad(`${acc.address} appears twice`, { address: acc.address });
    seen.add(acc.address);
    const denoms = new Set<string>();
    for (const b of acc.balances) {
      if (denoms.has(b.denom)) throw bad(`${acc.address} lists ${b.denom} twice`, { address: acc.address, denom: b.denom });
      denoms.add(b.denom);
      if (b.denom.startsWith(VOUCHER_PREFIX)) throw bad(`${b.denom}: the t/ prefix is reserved for vouchers`, { denom: b.denom });
      const amount = BigInt(b.amount);
      if (amount === 0n) throw bad(`${acc.address} has a zero ${b.denom} balance`, { address: acc.address, denom: b.denom });
      const total = (supply.get(b.denom) ?? 0n) + amount;
      if (total > MAX_AMOUNT) throw bad(`supply of ${b.denom} exceeds 2^256 - 1`, { denom: b.denom });
      supply.set(b.denom, total);
      out.push({ address: acc.address, denom: b.denom, amount });
    }
  }
  return out;
}

/** Checks a message against its schema again: handlers can be called without the tx decoder. */
export function parseMsg<S extends z.ZodType>(schema: S, msg: unknown): z.output<S> {
  return parseSchema(schema, msg, (i) => new BankError('PNT_ERR_TX_MALFORMED', `message ${i.path || '(root)'}: ${i.message}`));
}

export function bankModule(): Module {
  return {
    name: 'bank',
    msgTypes: ['bank/send'],
    initGenesis(env: ModuleEnv): void {
      for (const b of genesisBalances(env.genesis)) mintCoins(env.store, b.address, b.denom, b.amount);
    },
    handleMsg(env: ModuleEnv, raw: { type: string }): void {
      const m = parseMsg(bankSendSchema, raw);
      const to = requireAccount(m.to, 'to');
      const denom = requireDenom(m.denom);
      const amount = parseAmount(m.amount);
      requireKnownDenom(env.store, denom);
      sendCoins(env.store, env.sender, to, denom, amount);
      env.emit('bank/send', { from: env.sender, to, denom, amount: amount.toString() });
    },
  };
}
