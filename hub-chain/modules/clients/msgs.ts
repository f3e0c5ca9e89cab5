/** Messages and governance actions of the clients module (filled in by the clients module). */
import type { z } from 'zod';
export const clientMsgSchemas: z.ZodObject[] = [];
export const clientGovActionSchemas: z.ZodObject[] = [];
