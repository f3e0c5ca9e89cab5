/** Genesis: the chain's first validators, governance members and parameters. Schema first. */
import { z } from 'zod';
import { PontisError, parseSchema } from '../errors.ts';
import { validateChainId } from '../types/header.ts';
import { ValidatorSet } from '../types/validator-set.ts';
import { genesisAccountsSchema } from '../modules/transfer/msgs.ts';

const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`));

export const paramsSchema = z.strictObject({
  maxBlockTxs: z.number().int().min(1).max(100_000).default(10_000),
  maxBlockBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Work units per block (see txGas): one per transaction plus one per state entry written. */
  maxBlockGas: z.number().int().min(1).default(20_000),
  /** How far ahead of a validator's clock a block time may be. */
  maxClockDriftMs: z.number().int().min(0).max(600_000).default(10_000),
  votingPeriodBlocks: z.number().int().min(1).default(10_000),
  /** Set on a spoke (a side-chain): the hub its packets go through. Unset on the hub. */
  hubChainId: z.string().optional(),
  /** Cryptography of the data-sharing layer: `intl` (ed25519, X25519 HPKE, SHA-256) or `sm` (SM2, SM4, SM3). */
  dataProfile: z.enum(['intl', 'sm']).optional(),
});
export type Params = z.infer<typeof paramsSchema>;

export const genesisSchema = z.strictObject({
  chainId: z.string(),
  genesisTime: z.number().int().min(0),
  validators: z.array(z.strictObject({ address: hex(20).optional(), publicKey: hex(65), power: z.number().int().min(1), name: z.string().max(64).optional() })).min(1),
  governance: z.strictObject({ members: z.array(z.strictObject({ address: hex(20), weight: z.number().int().min(1) })).min(1) }),
  params: paramsSchema.default(paramsSchema.parse({})),
  /** Opening balances (bank module). */
  accounts: genesisAccountsSchema.optional(),
});
export type Genesis = z.infer<typeof genesisSchema>;

export function parseGenesis(raw: unknown): Genesis {
  const g = parseSchema(genesisSchema, raw, (i) => new PontisError('PNT_ERR_GENESIS_INVALID', `genesis ${i.path}: ${i.message}`, { details: { path: i.path } }));
  validateChainId(g.chainId);
  new ValidatorSet(g.validators.map((v) => ({ address: v.address ?? '', publicKey: v.publicKey, power: v.power }))); // validates keys, duplicates
  return g;
}

/** The cryptography profile of the data-sharing layer (`intl` unless the genesis says `sm`). */
export const dataProfileOf = (g: Pick<Genesis, 'params'>): 'intl' | 'sm' => g.params.dataProfile ?? 'intl';

export function genesisValidatorSet(g: Genesis): ValidatorSet {
  return new ValidatorSet(g.validators.map((v) => ({ address: v.address ?? '', publicKey: v.publicKey, power: v.power })));
}
