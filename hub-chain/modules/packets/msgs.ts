/** Messages of the packet module and governance actions of the chain registry. */
import type { z } from 'zod';
export const packetMsgSchemas: z.ZodObject[] = [];
export const registryGovActionSchemas: z.ZodObject[] = [];
