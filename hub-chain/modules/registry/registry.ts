/**
 * The chain registry: which chains are connected, through which client, to which destinations,
 * and whether they or a route are paused. Changed only by governance actions (never by packets).
 */
import { PontisError } from '../../errors.ts';
import { utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import type { KVStore, KVView } from '../../app/module.ts';
import type { Module, ModuleEnv } from '../../app/module.ts';
import type { ClientContext } from '../clients/types.ts';
import type { ChainKind } from './chain-kind.ts';
import { clientContext } from '../clients/module.ts';

export class RegistryError extends PontisError {
  override name = 'RegistryError';
}

export type { ChainKind } from './chain-kind.ts';
export interface ChainEntry {
  chainId: string;
  kind: ChainKind;
  clientType: string;
  /** Destinations this chain may send to; '*' means any registered chain. */
  routes: string[];
  status: 'active' | 'paused' | 'retired';
  registeredAt: number;
}

export const registryKeys = {
  chain: (id: string) => utf8(`registry/chain/${id}`),
  chainPrefix: () => utf8('registry/chain/'),
  pausedRoute: (src: string, dst: string) => utf8(`registry/paused-route/${src}/${dst}`),
};

const json = (v: unknown) => utf8(canonicalJson(v));
const parse = <T>(b: Uint8Array | undefined): T | undefined => (b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as T));

/** What creating a chain needs from the clients module. */
export interface ClientCreator {
  create(ctx: ClientContext, chainId: string, clientType: string, params: unknown, initial: unknown): unknown;
}

/**
 * Entries parsed, by the bytes they were read from: a relay batch's store remembers the bytes it
 * read (packets keeper), so each packet of the batch asking whether its counterparty is active
 * reuses one parse. Frozen: an entry is changed only by writing a new one.
 */
const parsed = new WeakMap<Uint8Array, ChainEntry>();

export class Registry {
  chain(s: KVView, id: string): ChainEntry | undefined {
    const b = s.get(registryKeys.chain(id));
    if (b === undefined) return undefined;
    let e = parsed.get(b);
    if (!e) {
      e = parse<ChainEntry>(b)!;
      Object.freeze(e.routes);
      parsed.set(b, Object.freeze(e));
    }
    return e;
  }

  /** Throws unless `id` is registered and active. */
  requireActive(s: KVView, id: string): ChainEntry {
    const c = this.chain(s, id);
    if (!c) throw new RegistryError('PNT_ERR_CHAIN_UNKNOWN', `chain ${id} is not registered`);
    if (c.status !== 'active') throw new RegistryError(c.status === 'paused' ? 'PNT_ERR_CHAIN_PAUSED' : 'PNT_ERR_CHAIN_RETIRED', `chain ${id} is ${c.status}`);
    return c;
  }

  /** Throws unless src may send to dst now: both active, dst among src's routes, route not paused. */
  requireRoute(s: KVView, src: string, dst: string): void {
    const from = this.requireActive(s, src);
    this.requireActive(s, dst);
    if (!from.routes.includes('*') && !from.routes.includes(dst)) throw new RegistryError('PNT_ERR_ROUTE_UNKNOWN', `no route ${src} -> ${dst}`);
    if (s.get(registryKeys.pausedRoute(src, dst)) !== undefined) throw new RegistryError('PNT_ERR_ROUTE_PAUSED', `route ${src} -> ${dst} is paused`);
  }

  register(s: KVStore, e: ChainEntry): void {
    if (this.chain(s, e.chainId)) throw new RegistryError('PNT_ERR_CHAIN_EXISTS', `chain ${e.chainId} is already registered`);
    s.set(registryKeys.chain(e.chainId), json(e));
  }

  setStatus(s: KVStore, id: string, status: ChainEntry['status']): void {
    const c = this.chain(s, id);
    if (!c) throw new RegistryError('PNT_ERR_CHAIN_UNKNOWN', `chain ${id} is not registered`);
    if (c.status === 'retired') throw new RegistryError('PNT_ERR_CHAIN_RETIRED', `chain ${id} is retired for good`);
    s.set(registryKeys.chain(id), json({ ...c, status }));
  }
}

interface RegisterAction {
  kind: 'registry/register-chain';
  chainId: string;
  chainKind: ChainKind;
  clientType: string;
  clientParams: unknown;
  clientInitial: unknown;
  routes: string[];
}
type RegistryAction =
  | RegisterAction
  | { kind: 'registry/pause-chain' | 'registry/resume-chain' | 'registry/retire-chain'; chainId: string }
  | { kind: 'registry/pause-route' | 'registry/resume-route'; srcChain: string; dstChain: string }
  | { kind: 'registry/set-routes'; chainId: string; routes: string[] };

export function registryModule(registry: Registry, clients: ClientCreator): Module {
  return {
    name: 'registry',
    msgTypes: [],
    protectedPrefixes: ['registry/'],
    govActionKinds: ['registry/register-chain', 'registry/pause-chain', 'registry/resume-chain', 'registry/retire-chain', 'registry/pause-route', 'registry/resume-route', 'registry/set-routes'],
    handleMsg() {
      throw new RegistryError('PNT_ERR_MSG_UNKNOWN', 'the registry changes only through governance');
    },
    handleGovAction(env: ModuleEnv, action: { kind: string }) {
      const a = action as RegistryAction;
      const s = env.store;
      switch (a.kind) {
        case 'registry/register-chain': {
          if (a.chainId === env.chainId) throw new RegistryError('PNT_ERR_CHAIN_SELF', 'a chain cannot register itself');
          const ctx: ClientContext = clientContext(env);
          registry.register(s, { chainId: a.chainId, kind: a.chainKind, clientType: a.clientType, routes: a.routes, status: 'active', registeredAt: env.height });
          clients.create(ctx, a.chainId, a.clientType, a.clientParams, a.clientInitial);
          env.emit('registry/registered', { chainId: a.chainId, kind: a.chainKind, clientType: a.clientType });
          return;
        }
        case 'registry/pause-chain':
          registry.setStatus(s, a.chainId, 'paused');
          env.emit('registry/paused', { chainId: a.chainId });
          return;
        case 'registry/resume-chain':
          registry.setStatus(s, a.chainId, 'active');
          env.emit('registry/resumed', { chainId: a.chainId });
          return;
        case 'registry/retire-chain':
          registry.setStatus(s, a.chainId, 'retired');
          env.emit('registry/retired', { chainId: a.chainId });
          return;
        case 'registry/pause-route':
        case 'registry/resume-route': {
          registry.requireActive(s, a.srcChain === env.chainId ? a.dstChain : a.srcChain);
          if (a.kind === 'registry/pause-route') s.set(registryKeys.pausedRoute(a.srcChain, a.dstChain), json(env.height));
          else s.delete(registryKeys.pausedRoute(a.srcChain, a.dstChain));
          env.emit(a.kind === 'registry/pause-route' ? 'registry/route-paused' : 'registry/route-resumed', { src: a.srcChain, dst: a.dstChain });
          return;
        }
        case 'registry/set-routes': {
          const c = registry.chain(s, a.chainId);
          if (!c) throw new RegistryError('PNT_ERR_CHAIN_UNKNOWN', `chain ${a.chainId} is not registered`);
          s.set(registryKeys.chain(a.chainId), json({ ...c, routes: a.routes }));
          return;
        }
      }
    },
  };
}
