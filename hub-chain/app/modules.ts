/**
 * The composition root of a Pontis chain's application: which modules run, wired together.
 * The hub and every side-chain run the same set; `params.hubChainId` makes a chain a spoke.
 */
import type { Module } from './module.ts';
import '../light-clients/evm/index.ts'; // registers the `evm` client type
import { ClientKeeper } from '../modules/clients/keeper.ts';
import { clientsModule } from '../modules/clients/module.ts';
import { PacketKeeper, packetsModule } from '../modules/packets/keeper.ts';
import { msgApp } from '../modules/packets/msg-app.ts';
import { Registry, registryModule } from '../modules/registry/registry.ts';
import { bankModule } from '../modules/transfer/bank.ts';
import { transferForwardPolicy, transferPolicyModule } from '../modules/transfer/policy.ts';
import { transferApp, transferModule } from '../modules/transfer/transfer.ts';

export interface Wiring {
  clients: ClientKeeper;
  registry: Registry;
  packets: PacketKeeper;
  modules: Module[];
}

export function createModules(): Wiring {
  const clients = new ClientKeeper();
  const registry = new Registry();
  const packets = new PacketKeeper({ clients, registry, apps: [msgApp], policies: [transferForwardPolicy()] });
  packets.registerApp(transferApp(packets));
  const modules: Module[] = [
    bankModule(),
    clientsModule(clients),
    registryModule(registry, clients),
    packetsModule(packets),
    transferModule(packets),
    transferPolicyModule(),
  ];
  return { clients, registry, packets, modules };
}
