/**
 * What a connected chain runs. Defined here once: the registry stores it, governance actions
 * carry it, light-client types name the kinds they verify and observers the kinds they watch.
 */
import { z } from 'zod';

export const CHAIN_KINDS = ['pontis', 'evm', 'substrate', 'fabric'] as const;
export type ChainKind = (typeof CHAIN_KINDS)[number];
export const chainKindSchema = z.enum(CHAIN_KINDS);
