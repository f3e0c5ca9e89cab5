/**
 * Messages and governance actions of the clients module. Client creation is no message: the chain
 * registry calls ClientKeeper.create when governance registers a chain.
 *
 * A client type adds the shapes of its client messages to `clientMessageSchemas` (updates, votes)
 * and of its misbehaviour evidence to `clientEvidenceSchemas`; the type re-validates them strictly.
 */
import { z } from 'zod';
import { evmHeaderMsgSchema, evmInitialSchema, evmParamsSchema } from '../../light-clients/evm/schemas.ts';
import { chainIdSchema } from './schemas.ts';
import { attestationVoteSchema, attestedInitialSchema, attestedParamsSchema } from '../../light-clients/attested/schemas.ts';
import { pontisInitialSchema, pontisMisbehaviourSchema, pontisParamsSchema, pontisUpdateSchema } from '../../light-clients/pontis/schemas.ts';

export const clientMessageSchemas = [pontisUpdateSchema, pontisMisbehaviourSchema, attestationVoteSchema, evmHeaderMsgSchema] as const;
export const clientEvidenceSchemas = [pontisMisbehaviourSchema, pontisUpdateSchema, evmHeaderMsgSchema] as const;
export const clientParamsSchemas = [pontisParamsSchema, attestedParamsSchema, evmParamsSchema] as const;
export const clientInitialSchemas = [pontisInitialSchema, attestedInitialSchema, evmInitialSchema] as const;

export const updateClientMsgSchema = z.strictObject({ type: z.literal('clients/update'), chainId: chainIdSchema, message: z.union(clientMessageSchemas) });
export const misbehaviourMsgSchema = z.strictObject({ type: z.literal('clients/misbehaviour'), chainId: chainIdSchema, evidence: z.union(clientEvidenceSchemas) });
export const attestVoteMsgSchema = z.strictObject({ type: z.literal('attest/vote'), vote: attestationVoteSchema });
export const recoverClientActionSchema = z.strictObject({
  kind: z.literal('recover-client'),
  chainId: chainIdSchema,
  params: z.union(clientParamsSchemas).optional(),
  initial: z.union(clientInitialSchemas),
});

export type UpdateClientMsg = z.infer<typeof updateClientMsgSchema>;
export type MisbehaviourMsg = z.infer<typeof misbehaviourMsgSchema>;
export type AttestVoteMsg = z.infer<typeof attestVoteMsgSchema>;
export type RecoverClientAction = z.infer<typeof recoverClientActionSchema>;

export const clientMsgSchemas: z.ZodObject[] = [updateClientMsgSchema, misbehaviourMsgSchema, attestVoteMsgSchema];
export const clientGovActionSchemas: z.ZodObject[] = [recoverClientActionSchema];
