/**
 * The clients module on the app: relayers update clients and report misbehaviour, this chain's
 * validators submit attestation votes, governance recovers frozen or expired clients. One
 * handler per message kind.
 */
import type { Module, ModuleEnv } from '../../app/module.ts';
import { ATTESTED_CLIENT_TYPE } from '../../light-clients/attested/module.ts';
import { CLIENT_ERR } from './errors.ts';
import { ATTEST_ERR } from '../../light-clients/attested/errors.ts';
import { type ClientKeeper, type UpdateResult } from './keeper.ts';
import type { AttestVoteMsg, MisbehaviourMsg, RecoverClientAction, UpdateClientMsg } from './msgs.ts';
import { ClientError, type ClientContext } from './types.ts';

export const CLIENT_MSG_TYPES = ['clients/update', 'clients/misbehaviour', 'attest/vote'] as const;
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

export function clientsModule(keeper: ClientKeeper): Module {
  const handlers: Record<(typeof CLIENT_MSG_TYPES)[number], (env: ModuleEnv, msg: never) => void> = {
    'clients/update': (env, m: UpdateClientMsg) => emitResult(env, m.chainId, keeper.update(clientContext(env), m.chainId, m.message)),
    'clients/misbehaviour': (env, m: MisbehaviourMsg) => emitResult(env, m.chainId, keeper.submitMisbehaviour(clientContext(env), m.chainId, m.evidence)),
    'attest/vote': (env, m: AttestVoteMsg) => {
      const rec = keeper.record(env.store, m.vote.chainId);
      if (!rec) throw new ClientError(CLIENT_ERR.NOT_FOUND, `no client for ${m.vote.chainId}`, { details: { chainId: m.vote.chainId } });
      // `evm` clients in attested mode count the same votes
      const attestedEvm = rec.clientType === 'evm' && (rec.state as { trust?: { mode?: string } })?.trust?.mode === 'attested';
      if (rec.clientType !== ATTESTED_CLIENT_TYPE && !attestedEvm) {
        throw new ClientError(ATTEST_ERR.NOT_ATTESTED, `client ${m.vote.chainId} is of type ${rec.clientType}, not ${ATTESTED_CLIENT_TYPE}`, { details: { chainId: m.vote.chainId } });
      }
      emitResult(env, m.vote.chainId, keeper.update(clientContext(env), m.vote.chainId, m.vote));
    },
  };

  return {
    name: 'clients',
    msgTypes: CLIENT_MSG_TYPES,
    govActionKinds: CLIENT_GOV_KINDS,
    handleMsg(env, msg) {
      const h = handlers[msg.type as keyof typeof handlers];
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
