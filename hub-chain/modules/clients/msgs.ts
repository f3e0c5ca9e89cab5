/**
 * Messages and governance actions of the clients module. Client creation is no message: the chain
 * registry calls ClientKeeper.create when governance registers a chain.
 *
 * The shapes come from the registered client types: each contributes its update messages,
 * misbehaviour evidence, creation parameters and initial states (and may add message types of its
 * own, such as `attest/vote`); a type re-validates its part strictly when it runs.
 */
import { z } from 'zod';
import type { ClientRouter } from './keeper.ts';
import { chainIdSchema } from './schemas.ts';

type Union = [z.ZodType, z.ZodType, ...z.ZodType[]];
/** z.union needs two members; one registered type gives a single schema. */
const anyOf = (schemas: readonly z.ZodType[]): z.ZodType => (schemas.length === 1 ? schemas[0] : z.union(schemas as unknown as Union));

export interface ClientMsgSchemas {
  msgs: z.ZodObject[];
  govActions: z.ZodObject[];
}

export function clientMsgSchemas(router: ClientRouter): ClientMsgSchemas {
  const regs = router.registrations();
  const flat = (pick: (r: (typeof regs)[number]) => readonly z.ZodType[]) => [...new Set(regs.flatMap(pick))];
  const update = z.strictObject({ type: z.literal('clients/update'), chainId: chainIdSchema, message: anyOf(flat((r) => r.schemas.messages)) });
  const misbehaviour = z.strictObject({ type: z.literal('clients/misbehaviour'), chainId: chainIdSchema, evidence: anyOf(flat((r) => r.schemas.evidence)) });
  const recover = z.strictObject({
    kind: z.literal('recover-client'),
    chainId: chainIdSchema,
    params: anyOf(flat((r) => [r.schemas.params])).optional(),
    initial: anyOf(flat((r) => [r.schemas.initial])),
  });
  const extra = [...new Map(regs.flatMap((r) => r.msgs ?? []).map((m) => [m.type, m.schema])).values()];
  return { msgs: [update, misbehaviour, ...extra], govActions: [recover] };
}

export interface UpdateClientMsg {
  type: 'clients/update';
  chainId: string;
  message: unknown;
}
export interface MisbehaviourMsg {
  type: 'clients/misbehaviour';
  chainId: string;
  evidence: unknown;
}
export interface RecoverClientAction {
  kind: 'recover-client';
  chainId: string;
  params?: unknown;
  initial: unknown;
}
