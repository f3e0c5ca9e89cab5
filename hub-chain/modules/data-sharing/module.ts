/**
 * The data-sharing module: one module on every Pontis chain. On the hub it keeps departments,
 * catalog, policy, consent and node keys and decides `data` packets (hub.ts); on a department
 * chain it sends requests and answers (spoke.ts). Messages of the other side are refused.
 */
import type { Module, ModuleEnv } from '../../app/module.ts';
import type { ClientVerifier } from '../clients/types.ts';
import { parseMsg } from '../transfer/bank.ts';
import type { PacketSender } from '../transfer/app-interface.ts';
import { catalogAdd, decryptReceipt, nodeKeyRegister, nodeKeyRetire, policySet, recordGrant, registerDepartment, revokeGrant } from './hub.ts';
import { sendAnswer, sendRequest } from './spoke.ts';
import { DATA_ERR, DataError, type SpokeAnswerMsg, type SpokeRequestMsg, dataGovActionSchemas } from './types.ts';

const HUB_MSGS = new Set(['data/catalog-add', 'data/policy-set', 'data/consent-grant', 'data/consent-revoke', 'data/node-key-register', 'data/node-key-retire', 'data/decrypt-receipt']);

export function dataSharingModule(packets: PacketSender, clients: ClientVerifier): Module {
  const onHub = (env: ModuleEnv, type: string) => {
    if (env.genesis.params.hubChainId) throw new DataError(DATA_ERR.INVALID, `${type} is a hub message; this chain is a spoke of ${env.genesis.params.hubChainId}`);
  };
  return {
    name: 'data-sharing',
    msgTypes: [...HUB_MSGS, 'data/request', 'data/answer'],
    govActionKinds: ['data/register-department'],
    protectedPrefixes: ['data/', 'audit/'],
    handleMsg(env, msg) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const m = msg as any;
      if (HUB_MSGS.has(m.type)) onHub(env, m.type);
      switch (m.type) {
        case 'data/catalog-add':
          return catalogAdd(env, m);
        case 'data/policy-set':
          return policySet(env, m);
        case 'data/consent-grant':
          recordGrant(env, env.store, m.grant, m.signature, env.sender);
          return;
        case 'data/consent-revoke':
          return revokeGrant(env, m);
        case 'data/node-key-register':
          return nodeKeyRegister(env, m);
        case 'data/node-key-retire':
          return nodeKeyRetire(env, m);
        case 'data/decrypt-receipt':
          return decryptReceipt(env, m);
        case 'data/request':
          sendRequest(env, packets, m as SpokeRequestMsg);
          return;
        case 'data/answer':
          return sendAnswer(env, packets, clients, m as SpokeAnswerMsg);
        default:
          throw new DataError('PNT_ERR_MSG_UNKNOWN', `data-sharing handles no message ${m.type}`);
      }
    },
    handleGovAction(env, action) {
      onHub(env, action.kind);
      registerDepartment(env, parseMsg(dataGovActionSchemas[0], action) as never);
    },
  };
}

