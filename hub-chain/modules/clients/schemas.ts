/**
 * Wire shapes every client type shares (hashes, addresses, chain ids, heights), schema first.
 * Depends on zod only. Each type keeps its own schemas in its folder under light-clients/.
 */
import { z } from 'zod';

export const hexSchema = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lower-case 0x-hex`);
export const hash32Schema = hexSchema(32);
export const addressSchema = hexSchema(20);
export const signature65Schema = hexSchema(65);
/** Same rule as hub headers (types/header.ts); also keeps `/` out of state keys. */
export const chainIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'chain id must be 1-64 chars of [a-z0-9._-]');
export const uintSchema = z.number().int().min(0);
export const heightSchema = z.number().int().min(1);
/** Hub validator sets hold at most 150 validators (types/validator-set.ts MAX_VALIDATORS). */
export const MAX_VALIDATORS = 150;
/** Trusting period and clock drift, in ms, as every client type takes them. */
export const trustingPeriodSchema = z.number().int().min(1);
export const clockDriftSchema = z.number().int().min(0).max(3_600_000);

