/**
 * The chain kinds a relayer knows, registered once each: `defaultPathKinds()` is the one place
 * that names them. The config schema is built from the kinds' `chains[]` schemas, and `open`
 * gives every configured chain to its kind, so adding a kind adds a folder under paths/ and a
 * line here. A registry is built per use (no module-level default to mutate).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { RelayerError } from '../errors.ts';
import type { ChainConfig, ChainConfigInput } from '../schema.ts';
import { evmPaths } from './evm/index.ts';
import { fabricPaths } from './fabric/index.ts';
import { hubSignerAddress, pontisPacketHop } from './hub.ts';
import { pontisPaths } from './pontis/index.ts';
import { substratePaths } from './substrate/index.ts';
import { PathRouter } from './router.ts';
import type { ChainReadiness, GaugeValue, HubEndpoint, OpenKind, PacketRef, PathHandlers, PathKind } from './types.ts';
import type { EndpointSetOptions, EndpointStatus } from './endpoint-set.ts';

/** The hub as opened (paths/hub.ts): its endpoint, signer addresses, endpoint health. */
export type OpenHub = HubEndpoint & { addresses: string[]; readiness(): Promise<ChainReadiness>; endpointStatus(): EndpointStatus[]; close(): void };

export class PathKindRegistry {
  private readonly kinds = new Map<string, PathKind>();

  /** Adds a kind; a kind registered twice is a wiring mistake and fails. */
  register(kind: PathKind): this {
    if (this.kinds.has(kind.kind)) throw new RelayerError('PNT_ERR_RELAY_KIND_REGISTERED', `chain kind ${kind.kind} is registered already`, { details: { kind: kind.kind } });
    this.kinds.set(kind.kind, kind);
    return this;
  }

  get(kind: string): PathKind {
    const k = this.kinds.get(kind);
    if (!k) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_KIND', `no chain kind ${kind}`, { details: { kind } });
    return k;
  }

  /** A `chains[]` entry of any registered kind, told apart by `kind`. */
  chainSchema(): z.ZodType<ChainConfig, ChainConfigInput> {
    const options = [...this.kinds.values()].map((k) => k.chainSchema);
    if (!options.length) throw new RelayerError('PNT_ERR_RELAY_UNKNOWN_KIND', 'no chain kind is registered');
    return z.discriminatedUnion('kind', options as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<ChainConfig, ChainConfigInput>;
  }

  /** Public addresses of resolved signer keys, by chain (the hub's are Pontis account keys). */
  signerAddresses(cfg: { hub: { chainId: string }; chains: ChainConfig[] }, keys: ReadonlyMap<string, string[]>): Record<string, string[]> {
    return Object.fromEntries([
      [cfg.hub.chainId, (keys.get(cfg.hub.chainId) ?? []).map(hubSignerAddress)],
      ...cfg.chains.map((c) => [c.id, (keys.get(c.id) ?? []).map((k) => this.get(c.kind).signerAddress(k))]),
    ]);
  }

  /** Opens every configured chain with its kind; the hub is given to each. */
  open(chains: ChainConfig[], hub: OpenHub, signers: ReadonlyMap<string, string[]>, logger: Logger, health: EndpointSetOptions): OpenPaths {
    const groups = new Map<string, ChainConfig[]>();
    for (const c of chains) groups.set(c.kind, [...(groups.get(c.kind) ?? []), c]);
    const opened: OpenKind[] = [];
    const byChain = new Map<string, OpenKind>();
    for (const [kind, mine] of groups) {
      const o = this.get(kind).open(mine, { hub, signers, logger, health });
      opened.push(o);
      for (const c of mine) byChain.set(c.id, o);
    }
    return new OpenPaths(hub, byChain, opened);
  }
}

/** The chain kinds this relayer build ships. */
export function defaultPathKinds(): PathKindRegistry {
  return new PathKindRegistry().register(pontisPaths).register(evmPaths).register(fabricPaths).register(substratePaths);
}

/** Every configured chain opened: the pipeline's handlers and what the ops side asks, per chain. */
export class OpenPaths {
  readonly handlers: PathHandlers;

  constructor(
    private readonly hub: OpenHub,
    private readonly byChain: ReadonlyMap<string, OpenKind>,
    private readonly kinds: OpenKind[],
  ) {
    this.handlers = new PathRouter(hub, new Map([...byChain].map(([id, o]) => [id, o.handlers])));
  }

  /** The hub and every configured chain. */
  chainIds(): string[] {
    return [this.hub.chainId, ...this.byChain.keys()];
  }

  signerAddresses(): Record<string, string[]> {
    return Object.assign({ [this.hub.chainId]: this.hub.addresses }, ...this.kinds.map((k) => k.signerAddresses()));
  }

  async signerBalances(): Promise<GaugeValue[]> {
    return (await Promise.all(this.kinds.map((k) => k.signerBalances()))).flat();
  }

  packetHop(chain: string, ref: PacketRef): Promise<Record<string, unknown>> {
    if (chain === this.hub.chainId) return pontisPacketHop(chain, this.hub, ref);
    const k = this.byChain.get(chain);
    return k ? k.packetHop(chain, ref) : Promise.resolve({ chain, known: false });
  }

  probe(chain: string): Promise<unknown> {
    if (chain === this.hub.chainId) return this.hub.latestHeight();
    return this.byChain.get(chain)!.probe(chain);
  }

  /** Whether `chain` can be relayed to now: some endpoint healthy (kinds that judge health), else its probe answering. */
  async readiness(chain: string): Promise<ChainReadiness> {
    if (chain === this.hub.chainId) return this.hub.readiness();
    const k = this.byChain.get(chain)!;
    if (k.readiness) return k.readiness(chain);
    await k.probe(chain);
    return { ok: true, reason: null };
  }

  /** Every chain's RPC endpoints and their health (metrics). */
  endpointStatus(): EndpointStatus[] {
    return [...this.hub.endpointStatus(), ...this.kinds.flatMap((k) => k.endpointStatus?.() ?? [])];
  }

  async close(): Promise<void> {
    this.hub.close();
    await Promise.allSettled(this.kinds.map((k) => k.close()));
  }
}
