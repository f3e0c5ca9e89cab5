/**
 * Messages and governance actions of the bank and transfer modules, and the genesis accounts
 * shape. Schemas check shape only (strings, bounded lengths); the handlers check meaning
 * (canonical positive amounts, address and denom formats) so that each refusal carries its own
 * stable PNT_ERR_* code. This file imports nothing but zod: app/tx.ts and app/genesis.ts import it.
 */
import { z } from 'zod';

/** Denominations: a native name, or a voucher trace `t/<chain>/<denom>` (docs/adr/0007-transfers.md). */
export const DENOM_RE = /^[a-z][a-z0-9/._-]{1,127}$/;
/** Canonical non-negative decimal (no sign, no leading zeros), at most 78 digits (fits uint256). */
export const AMOUNT_RE = /^(0|[1-9][0-9]{0,77})$/;

const amountField = z.string().max(80);
const chainField = z.string().max(64);
const denomField = z.string().max(128);

export const bankSendSchema = z.strictObject({
  type: z.literal('bank/send'),
  to: z.string().max(128),
  denom: denomField,
  amount: amountField,
});
export type BankSendMsg = z.infer<typeof bankSendSchema>;

export const transferSendSchema = z.strictObject({
  type: z.literal('transfer/send'),
  dstChain: chainField,
  /** Account on the destination chain, in that chain's own format. */
  receiver: z.string().max(128),
  denom: denomField,
  amount: amountField,
  /** Destination height at which the packet times out (0 or absent: none). */
  timeoutHeight: z.number().int().min(0).optional(),
  /** Unix ms; absent with no timeoutHeight either: now + DEFAULT_TIMEOUT_MS. */
  timeoutTimestamp: z.number().int().min(0).optional(),
  memo: z.string().max(256).optional(),
});
export type TransferSendMsg = z.infer<typeof transferSendSchema>;

export const setRateLimitSchema = z.strictObject({
  kind: z.literal('transfer/set-rate-limit'),
  srcChain: chainField,
  dstChain: chainField,
  /** The denom as named on the source chain (the packet payload's denom). */
  denom: denomField,
  /** Most value that may leave over the route per window ("0" stops the flow). */
  maxAmount: amountField,
  windowMs: z.number().int().min(1),
  overflow: z.enum(['reject', 'queue']),
});
export type SetRateLimitAction = z.infer<typeof setRateLimitSchema>;

export const transferMsgSchemas: z.ZodObject[] = [bankSendSchema, transferSendSchema];
export const transferGovActionSchemas: z.ZodObject[] = [setRateLimitSchema];

/** Genesis balances (app/genesis.ts: `accounts: genesisAccountsSchema.optional()`). */
export const genesisAccountsSchema = z
  .array(
    z.strictObject({
      address: z.string().regex(/^0x[0-9a-f]{40}$/),
      balances: z.array(z.strictObject({ denom: z.string().regex(DENOM_RE), amount: z.string().regex(AMOUNT_RE) })).max(1000),
    }),
  )
  .max(100_000);
export type GenesisAccounts = z.infer<typeof genesisAccountsSchema>;
