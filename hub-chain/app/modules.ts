/**
 * The composition root of a Pontis chain's application: which modules run, wired together.
 * The hub and every side-chain run the same set; `params.hubChainId` makes a chain a spoke.
 */
import type { Module } from './module.ts';
import { ClientKeeper } from '../modules/clients/keeper.ts';
import { clientsModule } from '../modules/clients/module.ts';
import { PacketKeeper, packetsModule } from '../modules/packets/keeper.ts';
import { msgApp } from '../modules/packets/msg-app.ts';
import { Registry, registryModule } from '../modules/registry/registry.ts';

export interface Wiring {
  clients: ClientKeeper;
  registry: Registry;
  packets: PacketKeeper;
  modules: Module[];
}

export function createModules(): Wiring {
  const clients = new ClientKeeper();
  const registry = new Registry();
  const packets = new PacketKeeper({ clients, registry, apps: [msgApp] });
  const modules: Module[] = [clientsModule(clients), registryModule(registry, clients), packetsModule(packets)];
  return { clients, registry, packets, modules };
}
