/**
 * The light-client types a Pontis chain runs, registered once. A new chain kind adds its type's
 * registration here: one `.register(...)` line (docs/adr/0014-adding-a-chain-kind.md).
 */
import { ClientRouter } from '../modules/clients/keeper.ts';
import { attestedClientType } from '../light-clients/attested/index.ts';
import { evmClientType } from '../light-clients/evm/index.ts';
import { fabricClientType } from '../light-clients/fabric/index.ts';
import { pontisClientType } from '../light-clients/pontis/index.ts';
import { substrateClientType } from '../light-clients/substrate/index.ts';

export function createClientRouter(): ClientRouter {
  return new ClientRouter().register(pontisClientType).register(attestedClientType).register(evmClientType).register(fabricClientType).register(substrateClientType);
}
