/** Messages and governance actions of the bank and transfer modules (filled in by those modules). */
import type { z } from 'zod';
export const transferMsgSchemas: z.ZodObject[] = [];
export const transferGovActionSchemas: z.ZodObject[] = [];
