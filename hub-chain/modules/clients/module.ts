/**
 * The clients module on the app: relayers update clients and report misbehaviour, governance
 * recovers frozen or expired clients, and client types add message types of their own (the
 * `attested` type's validator votes). One handler per message kind; no handler names a type.
 */
import type { Module, ModuleEnv } from '../../app/module.ts';
import { CLIENT_ERR } from './errors.ts';
import type { ClientKeeper, UpdateResult } from './keeper.ts';
import type { MisbehaviourMsg, RecoverClientAction, UpdateClientMsg } from './msgs.ts';
import { ClientError, type ClientContext, type ClientTypeMsg } from './types.ts';

export const CLIENT_GOV_KINDS = ['recover-client'] as const;

/** The ClientContext of a transaction (also what the chain registry passes to keeper.create). */
export function clientContext(env: ModuleEnv): ClientContext {
  return { now: env.time, height: env.height, validators: env.validators, chainId: env.chainId, store: env.store, emit: env.emit };
}

function emitResult(env: ModuleEnv, chainId: string, r: UpdateResult): void {
  if (r.kind === 'frozen') {
    env.emit('client/frozen', { chainId, clientType: r.clientType, height: String(r.height), reason: r.reason, evidence: String(r.evidenceIndex) });
    return;
  }
  for (const h of r.heights) env.emit('client/updated', { chainId, clientType: r.clientType, height: String(h), latestHeight: String(r.latestHeight) });
}

/** State prefixes the clients module owns: its records and every registered type's own prefixes. */
export function clientStatePrefixes(keeper: ClientKeeper): string[] {
  return [...new Set(['clients/', ...keeper.router.registrations().flatMap((r) => r.storePrefixes ?? [])])];
}

export function clientsModule(keeper: ClientKeeper): Module {
  type Handler = (env: ModuleEnv, msg: never) => void;
  const handlers = new Map<string, Handler>([
    ['clients/update', (env, m: UpdateClientMsg) => emitResult(env, m.chainId, keeper.update(clientContext(env), m.chainId, m.message))],
    ['clients/misbehaviour', (env, m: MisbehaviourMsg) => emitResult(env, m.chainId, keeper.submitMisbehaviour(clientContext(env), m.chainId, m.evidence))],
  ]);
  // message types a client type adds: routed to the client they name, if its type takes them
  const typeMsg = (t: ClientTypeMsg): Handler => (env, m: never) => {
    const chainId = t.chainIdOf(m);
    const rec = keeper.record(env.store, chainId);
    if (!rec) throw new ClientError(CLIENT_ERR.NOT_FOUND, `no client for ${chainId}`, { details: { chainId } });
    if (!keeper.router.registration(rec.clientType).accepts?.(t.type, rec)) throw t.refused(chainId, rec.clientType);
    emitResult(env, chainId, keeper.update(clientContext(env), chainId, t.clientMessage(m)));
  };
  for (const t of keeper.router.registrations().flatMap((r) => r.msgs ?? [])) if (!handlers.has(t.type)) handlers.set(t.type, typeMsg(t));

  return {
    name: 'clients',
    msgTypes: [...handlers.keys()],
    govActionKinds: CLIENT_GOV_KINDS,
    protectedPrefixes: clientStatePrefixes(keeper),
    handleMsg(env, msg) {
      const h = handlers.get(msg.type);
      if (!h) throw new ClientError('PNT_ERR_MSG_UNKNOWN', `clients module does not handle ${msg.type}`);
      h(env, msg as never);
    },
    handleGovAction(env, action) {
      if (action.kind !== 'recover-client') throw new ClientError('PNT_ERR_GOV_UNKNOWN_ACTION', `clients module does not execute ${action.kind}`);
      const a = action as RecoverClientAction;
      const rec = keeper.recover(clientContext(env), a.chainId, a.params, a.initial);
      env.emit('client/recovered', { chainId: a.chainId, clientType: rec.clientType, height: String(rec.latestHeight) });
    },
  };
}
