/**
 * The composition root of a Pontis chain's application: which modules run, wired together.
 * The hub and every side-chain run the same set; `params.hubChainId` makes a chain a spoke.
 */
import type { Module } from './module.ts';
import { CORE_PROTECTED_PREFIXES } from './app.ts';
import { createClientRouter } from './client-types.ts';
import { ClientKeeper } from '../modules/clients/keeper.ts';
import { clientsModule } from '../modules/clients/module.ts';
import { PacketKeeper, packetsModule } from '../modules/packets/keeper.ts';
import { msgApp } from '../modules/packets/msg-app.ts';
import { attestApp } from '../modules/attest/app.ts';
import { attestForwardPolicy, attestIssuersModule } from '../modules/attest/issuers.ts';
import { dataForwardPolicy } from '../modules/data-sharing/hub.ts';
import { dataSharingModule } from '../modules/data-sharing/module.ts';
import { dataApp } from '../modules/data-sharing/spoke.ts';
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
  const clients = new ClientKeeper(createClientRouter());
  const registry = new Registry();
  // the packet keeper guards what every module declares protected; the modules need the keeper
  const protectedPrefixes: string[] = [...CORE_PROTECTED_PREFIXES];
  const packets = new PacketKeeper({ clients, registry, apps: [msgApp, attestApp, dataApp], policies: [transferForwardPolicy(), dataForwardPolicy(), attestForwardPolicy()], protectedPrefixes });
  packets.registerApp(transferApp(packets));
  const modules: Module[] = [
    bankModule(),
    clientsModule(clients),
    registryModule(registry, clients),
    packetsModule(packets),
    transferModule(packets),
    transferPolicyModule(),
    dataSharingModule(packets, clients),
    attestIssuersModule(),
  ];
  protectedPrefixes.push(...modules.flatMap((m) => m.protectedPrefixes ?? []));
  return { clients, registry, packets, modules };
}
