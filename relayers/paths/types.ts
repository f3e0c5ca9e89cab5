/**
 * The seam between the job pipeline and the chain kinds. The pipeline (scanners, queue,
 * clearing, metrics, the ops API, the round driver) only speaks `PathHandlers` and `OpenKind`;
 * each kind (paths/pontis, paths/evm, ...) supplies a `PathKind`: its config schema, how it
 * builds endpoints from that config and signer keys, and its handlers. A path's kind is the kind
 * of its non-hub chain.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Hex } from '../../hub-chain/crypto/bytes.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import type { ChainConfig } from '../schema.ts';
import type { HubClient } from '../../hub-chain/rpc-client/client.ts';
import type { PontisWriter } from './pontis/endpoint.ts';
import type { EndpointSetOptions, EndpointStatus } from './endpoint-set.ts';

export interface PacketEvent {
  height: number;
  packet: Packet;
  /** For acknowledgement events: the ack bytes to carry back. */
  ack?: Hex;
}

export type DeliveryKind = 'relay-packets' | 'relay-acks' | 'timeouts';

/** What one job did on the destination. */
export interface DeliveryOutcome {
  /** False when the destination was already up to date: nothing was submitted. */
  submitted: boolean;
  /** Items accepted by this submission (delivered, refused with an error ack, resolved). */
  accepted: number;
  /** Items another relayer had delivered first (the chain answered already-received/-resolved). */
  redundant: number;
  txHeight?: number;
  /** Per-item results as the destination reported them (`<step>:<id>`), when it reports them. */
  items?: { id: string; result: string }[];
}

/** Work found by reading chain state (not events): what a clearing pass enqueues. */
export interface ClearingItem {
  kind: DeliveryKind;
  src: string;
  dst: string;
  channel: string;
  events: PacketEvent[];
  /** Block time (ms) of each event's last step: clearing leaves packets younger than its interval to the scanners. */
  times: number[];
}

export interface ConsensusDivergence {
  height: number;
  clientRoot: string;
  chainRoot: string;
}

/** What the job pipeline needs from a path, whatever the chain kinds at its ends. */
export interface PathHandlers {
  /**
   * Packets and acks written on `src` in blocks (from, to] whose next hop is `dst`, per block; and,
   * for a chain whose receipts cannot be proven absent, `timeouts`: packets `dst` sent that `src`
   * recorded as never to be received (a Substrate chain's timeout records). Those are timed out on
   * `dst` (a `timeouts` job from `dst` to `src`, the event's height the record's block on `src`).
   */
  scanBlocks(src: string, dst: string, from: number, to: number): Promise<{ height: number; packets: PacketEvent[]; acks: PacketEvent[]; timeouts?: PacketEvent[] }[]>;
  latestHeight(chain: string): Promise<number>;
  /** The highest `src` height worth scanning toward `dst` (default `latestHeight(src)`): e.g. what `dst` can verify yet. */
  scanTip?(src: string, dst: string): Promise<number>;
  relayPackets(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome>;
  relayAcks(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome>;
  timeouts(src: string, dst: string, events: PacketEvent[]): Promise<DeliveryOutcome>;
  updateClient(src: string, dst: string): Promise<DeliveryOutcome>;
  /** Everything outstanding between the two ends, read from chain state. */
  pending(chain: string, hub: string, otherChains: string[]): Promise<ClearingItem[]>;
  /** How far `dst`'s client of `src` lags `src`'s tip, in blocks. */
  clientLag(src: string, dst: string): Promise<number>;
  /**
   * Misbehaviour detection, as far as it goes: the consensus `dst`'s client of `src` holds at its
   * latest height, compared with `src`'s own header there. A difference means the client was fed
   * a header `src` never committed (a fork or a lying validator set). Null when they agree.
   */
  consensusDivergence(src: string, dst: string): Promise<ConsensusDivergence | null>;
  /**
   * Submits evidence of a divergence to `dst`: `src`'s own signed header at the height, which
   * conflicts with the one `dst`'s client stored there, so `dst` freezes the client. Not
   * submitted when the client is frozen already; a client type without evidence messages fails
   * with a fatal code.
   */
  submitMisbehaviour(src: string, dst: string, evidence: ConsensusDivergence): Promise<DeliveryOutcome>;
}

/** The hub as the kinds see it (`client` for the queries an RPC node answers: pending packets). */
export type HubEndpoint = PontisWriter & { client?: HubClient };

/** A chain's readiness: not ready names why (every endpoint down, lagging or catching up). */
export interface ChainReadiness {
  ok: boolean;
  reason: string | null;
}

/** A packet as the ops API asks about it, hop by hop. */
export interface PacketRef {
  /** Channel id (srcChain/srcApp/dstChain/dstApp). */
  channel: string;
  sequence: number;
  srcChain: string;
}

/** A labelled gauge value for the metrics endpoint. */
export interface GaugeValue {
  labels: Record<string, string>;
  value: number;
}

/** What a kind's `open` is given: the hub (every path's other end), the signer keys by chain, a logger. */
export interface KindContext {
  hub: HubEndpoint;
  /** Hex keys by chain id, as the config loader resolved them; the kind knows what they are. */
  signers: ReadonlyMap<string, string[]>;
  logger: Logger;
  /** How the chains' RPC endpoints are judged (tuning.maxLagBlocks, tuning.probeIntervalMs). */
  health: EndpointSetOptions;
}

/** The chains of one kind, opened: their handlers and what the ops side asks of them. */
export interface OpenKind {
  /** Handlers for every path between the hub and a chain of this kind. */
  readonly handlers: PathHandlers;
  /** Signer addresses (public) by chain id. */
  signerAddresses(): Record<string, string[]>;
  /** What each signer holds to pay fees with (empty when the kind charges none). */
  signerBalances(): Promise<GaugeValue[]>;
  /** One hop of a packet's status on `chain`, as this kind can tell it. */
  packetHop(chain: string, ref: PacketRef): Promise<Record<string, unknown>>;
  /** Readiness: resolves when `chain` answers. */
  probe(chain: string): Promise<unknown>;
  /** Readiness by endpoint health, where the kind judges it (else `probe` answering is ready). */
  readiness?(chain: string): Promise<ChainReadiness>;
  /** Each RPC endpoint's health, for metrics (kinds with several endpoints per chain). */
  endpointStatus?(): EndpointStatus[];
  close(): Promise<void>;
}

/** One chain kind as a plug-in: registered once in paths/registry.ts. */
export interface PathKind {
  /** The `kind` value of its `chains[]` entries. */
  readonly kind: string;
  /** A strict `chains[]` entry of this kind: `kind: z.literal(kind)` plus `chainBase` and its own fields. */
  readonly chainSchema: z.ZodObject;
  /** The public address of a signer key of this kind (logs, metrics, `config validate`). */
  signerAddress(key: string): string;
  /** Builds endpoints and handlers for `chains` (all of this kind, validated by `chainSchema`). */
  open(chains: ChainConfig[], ctx: KindContext): OpenKind;
}

/** A short stable tag of a channel for job ids (channel ids contain '/'). */
export const channelTag = (ch: string): string => createHash('sha256').update(ch).digest('hex').slice(0, 10);
