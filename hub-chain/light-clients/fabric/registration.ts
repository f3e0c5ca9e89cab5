/**
 * The governance action that connects a Fabric channel to the hub: a `fabric` client trusting the
 * given roots (fabricParamsSchema) from a block header the operator trusts. Both are checked here
 * by the client type's own schemas, so a bad trust root fails before anyone votes on it.
 */
import { CLIENT_ERR } from '../../modules/clients/errors.ts';
import { parseWith } from '../../modules/clients/store.ts';
import { type FabricHeader, type FabricInitial, type FabricParams, fabricInitialSchema, fabricParamsSchema } from './schemas.ts';

/** A `registry/register-chain` governance action for a Fabric channel. */
export interface FabricRegisterChainAction {
  kind: 'registry/register-chain';
  chainId: string;
  chainKind: 'fabric';
  clientType: 'fabric';
  clientParams: FabricParams;
  clientInitial: FabricInitial;
  routes: string[];
  [field: string]: unknown;
}

export function fabricChainRegistration(o: { chainId: string; params: FabricParams; header: FabricHeader; timestamp: number; routes?: string[] }): FabricRegisterChainAction {
  return {
    kind: 'registry/register-chain',
    chainId: o.chainId,
    chainKind: 'fabric',
    clientType: 'fabric',
    clientParams: parseWith(fabricParamsSchema, o.params, CLIENT_ERR.PARAMS_INVALID, 'fabric params'),
    clientInitial: parseWith(fabricInitialSchema, { header: o.header, timestamp: o.timestamp }, CLIENT_ERR.INITIAL_INVALID, 'fabric initial state'),
    routes: o.routes ?? ['*'],
  };
}
