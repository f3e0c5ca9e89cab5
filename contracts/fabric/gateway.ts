/**
 * The Pontis gateway on a Fabric channel: the same packet module and hub client every Pontis
 * spoke runs (hub-chain/modules/packets PacketKeeper, hub-chain/modules/clients ClientKeeper with
 * the `pontis` light client), run over Fabric world state (state.ts). Reusing them, not mirroring
 * them, keeps one meaning for packets, channels, sequences, ordering, acks, receipts and hub
 * verification on every chain kind.
 *
 * Fabric's own part is the TIMEOUT marker (design: "timeouts on Fabric"): Fabric has no state
 * root, so the hub cannot prove a receipt absent; `timeoutPacket` writes the marker at the
 * receipt key instead, and a receive and a timeout of one packet both read and write that key, so
 * MVCC lets only one of them commit.
 */
import { TxOverlay } from '../../hub-chain/app/app.ts';
import type { AppEvent, KVStore, ModuleEnv } from '../../hub-chain/app/module.ts';
import { type Bytes, type Hex, equalBytes, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { canonicalJson } from '../../hub-chain/encoding/canonical-json.ts';
import { FABRIC_TIMEOUT_MARKER } from '../../hub-chain/light-clients/fabric/query.ts';
import { pontisClientType } from '../../hub-chain/light-clients/pontis/index.ts';
import { ClientKeeper, ClientRouter, type UpdateResult } from '../../hub-chain/modules/clients/keeper.ts';
import type { ClientContext } from '../../hub-chain/modules/clients/types.ts';
import { PacketKeeper } from '../../hub-chain/modules/packets/keeper.ts';
import { msgApp } from '../../hub-chain/modules/packets/msg-app.ts';
import { type Packet, PacketError, channelId, packetCommitment, packetId, packetKeys as K } from '../../hub-chain/modules/packets/types.ts';
import { Registry, registryKeys } from '../../hub-chain/modules/registry/registry.ts';
import { clientKeys } from '../../hub-chain/modules/clients/store.ts';
import type { PacketApp } from '../../hub-chain/modules/transfer/app-interface.ts';
import { validateChainId } from '../../hub-chain/types/header.ts';
import type { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import { type TxContext, isAdmin, moduleEnv } from './context.ts';
import { CC_ERR, ChaincodeError } from './errors.ts';
import { CLIENT_STATE_PREFIX, type SnapshotStore, type State, fabricKey, runOnState } from './state.ts';

/** Value written at a packet's receipt key when it timed out on Fabric (the hub's `fabric` client checks it). */
export { FABRIC_TIMEOUT_MARKER };

/** Where the chaincode keeps which chain it is and which hub it follows. */
const CONFIG_KEY = `${CLIENT_STATE_PREFIX}config`;

export interface GatewayConfig {
  /** This Fabric channel's chain id on the hub (e.g. `gov`). */
  chainId: string;
  /** The hub's chain id. */
  hubChainId: string;
}

/** One packet's outcome in a batch: done now, done before (a replay), or refused with a code. */
export type ItemResult = { id: string; result: 'ok' } | { id: string; result: 'already-done' } | { id: string; result: 'failed'; code: string };

export interface TxOutcome<T> {
  value: T;
  events: AppEvent[];
}

/**
 * Fabric cannot tell a packet its block height: a packet addressed to Fabric with a height timeout
 * is refused by its app with an error ack (resolved at once, never stuck), whatever the app.
 */
function heightGuard(app: PacketApp): PacketApp {
  return {
    name: app.name,
    onRecv(env, p) {
      if (p.timeoutHeight !== 0) throw new ChaincodeError(CC_ERR.HEIGHT_TIMEOUT, `packet ${packetId(p)} has a height timeout, which Fabric chaincode cannot judge`);
      return app.onRecv(env, p);
    },
    onAck: (env, p, ack) => app.onAck(env, p, ack),
    onTimeout: (env, p) => app.onTimeout(env, p),
  };
}

const TIMEOUT_CODE = 'PNT_ERR_PACKET_TIMED_OUT';

const parseJson = <T>(b: Bytes | undefined): T | undefined => (b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as T));

function toItem(p: Packet, r: string): ItemResult {
  const id = packetId(p);
  if (r === 'ok') return { id, result: 'ok' };
  if (r === 'already-received' || r === 'already-resolved') return { id, result: 'already-done' };
  return { id, result: 'failed', code: r };
}

/** Keys the packet keeper reads for each item of a batch, fetched together up front. */
function packetPrefetch(packets: readonly Packet[], side: 'receiver' | 'sender'): string[] {
  const keys = new Set<string>();
  for (const p of packets) {
    const ch = channelId(p);
    const perItem = side === 'receiver' ? [K.receipt(ch, p.sequence), K.ordering(ch), K.nextRecv(ch)] : [K.outbound(ch, p.sequence), K.ordering(ch)];
    for (const k of perItem) keys.add(fabricKey(k));
  }
  return [...keys];
}

export class PontisGateway {
  readonly clients = new ClientKeeper(new ClientRouter().register(pontisClientType));
  readonly registry = new Registry();
  readonly packets: PacketKeeper;

  /** `apps`: the packet apps this chaincode carries (besides `msg`). */
  constructor(apps: readonly PacketApp[]) {
    this.packets = new PacketKeeper({
      clients: this.clients,
      registry: this.registry,
      apps: [msgApp, ...apps].map(heightGuard),
      protectedPrefixes: ['clients/', 'registry/'],
      // a chaincode has no end of block to seal batches: its packets are proven one by one
      batchCommitments: false,
      // per-packet receipt keys: concurrent deliveries sharing one receipt word would lose MVCC races
      receipts: 'keys',
      // nothing on Fabric reads them, and each would be a write in the proof a relayer carries to the hub
      statusRecords: false,
    });
  }

  /**
   * Runs `f` with the packet module's environment over world state (state.ts rounds) and writes
   * what its last round wrote; everything a transaction does goes through here. `prefetch`: keys
   * known to be needed, or a function of the config that names them. The hub client's records are
   * prefetched too unless `client: false` (a send reads none of them, and a read of them would make
   * it lose an MVCC race to every concurrent client update).
   */
  async run<T>(
    tx: TxContext,
    f: (env: ModuleEnv, cfg: GatewayConfig) => T,
    prefetch: readonly string[] | ((cfg: GatewayConfig) => string[]) = [],
    o: { client?: boolean } = {},
  ): Promise<T> {
    let events: AppEvent[] = [];
    const value = await runOnState(
      tx.state,
      (s) => {
        events = [];
        const cfg = readConfig(s);
        return f(moduleEnv(tx, cfg.chainId, cfg.hubChainId, s, events), cfg);
      },
      async (read) => {
        const cfg = parseJson<GatewayConfig>(await read(CONFIG_KEY));
        if (!cfg) return typeof prefetch === 'function' ? [] : [...prefetch];
        // the hub client's records every packet and update reads, once the hub's id is known
        const client = o.client === false ? [registryKeys.chain(cfg.hubChainId)].map(fabricKey) : [clientKeys.state(cfg.hubChainId), clientKeys.meta(cfg.hubChainId), registryKeys.chain(cfg.hubChainId)].map(fabricKey);
        return [...client, ...(typeof prefetch === 'function' ? prefetch(cfg) : prefetch)];
      },
    );
    tx.events.push(...events);
    return value;
  }

  /**
   * Creates the hub client from a trusted header and its validator sets (the `pontis` client's
   * params and initial state, as the hub registers a Pontis chain). Once, at deployment, by an
   * org admin: whoever creates it decides which hub this chaincode trusts.
   */
  async initHubClient(tx: TxContext, cfg: GatewayConfig, params: unknown, initial: unknown): Promise<{ latestHeight: number }> {
    if (!isAdmin(tx.caller)) throw new ChaincodeError(CC_ERR.NOT_ADMIN, `only an org admin may create the hub client (${tx.caller.mspId} caller is not)`);
    return runOnState(tx.state, (s) => {
      if (s.getKey(CONFIG_KEY) !== undefined) throw new ChaincodeError(CC_ERR.ALREADY_INITIALISED, 'the hub client exists');
      validateChainId(cfg.chainId);
      if (cfg.chainId === cfg.hubChainId) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'this chain and the hub need different chain ids');
      s.setKey(CONFIG_KEY, utf8(canonicalJson(cfg)));
      this.registry.register(s, { chainId: cfg.hubChainId, kind: 'pontis', clientType: pontisClientType.module.type, routes: ['*'], status: 'active', registeredAt: 0 });
      const rec = this.clients.create(clientCtx(tx, cfg, s), cfg.hubChainId, pontisClientType.module.type, params, initial);
      return { latestHeight: rec.latestHeight };
    });
  }

  /**
   * A hub header with its commit and validator sets (the `pontis` update message), verified from
   * the consensus record at its trustedHeight; a second header at a height the client holds
   * freezes the client (the transaction commits, with the evidence).
   */
  updateClient(tx: TxContext, msg: unknown): Promise<UpdateResult> {
    return this.run(tx, (env, cfg) => {
      const r = this.clients.update(clientCtx(tx, cfg, env.store), cfg.hubChainId, msg);
      env.emit(r.kind === 'frozen' ? 'client/frozen' : 'client/updated', { chainId: cfg.hubChainId, result: canonicalJson(r) });
      return r;
    });
  }

  /** Packets the hub committed for this chain, each proven at hub height `proofHeight`. */
  recvPackets(tx: TxContext, proofHeight: number, items: { packet: Packet; proof: unknown }[]): Promise<ItemResult[]> {
    return this.run(
      tx,
      (env) => {
        // a packet that timed out here is refused by name, not reported as a replay
        const timedOut = items.map(({ packet: p }) => isMarker(env.store.get(K.receipt(channelId(p), p.sequence))));
        const rest = items.filter((_, i) => !timedOut[i]);
        const results = rest.length > 0 ? this.packets.recv(env, proofHeight, rest) : [];
        let j = 0;
        return items.map(({ packet }, i) => {
          if (!timedOut[i]) return toItem(packet, results[j++]);
          env.emit('packet/recv/result', { id: packetId(packet), result: TIMEOUT_CODE });
          return toItem(packet, TIMEOUT_CODE);
        });
      },
      packetPrefetch(items.map((i) => i.packet), 'receiver'),
    );
  }

  /** Acks the hub recorded for packets this chain sent. */
  acknowledgePackets(tx: TxContext, proofHeight: number, items: { packet: Packet; ack: Hex; proof: unknown }[]): Promise<ItemResult[]> {
    return this.run(
      tx,
      (env) => {
        const results = this.packets.ack(env, proofHeight, items);
        return items.map(({ packet }, i) => toItem(packet, results[i]));
      },
      packetPrefetch(items.map((i) => i.packet), 'sender'),
    );
  }

  /** Packets this chain sent that the hub never received before their timeout (hub absence proofs). */
  timeoutPackets(tx: TxContext, proofHeight: number, items: { packet: Packet; proof: unknown }[]): Promise<ItemResult[]> {
    return this.run(
      tx,
      (env) => {
        const results = this.packets.timeout(env, proofHeight, items);
        return items.map(({ packet }, i) => toItem(packet, results[i]));
      },
      packetPrefetch(items.map((i) => i.packet), 'sender'),
    );
  }

  /**
   * A packet the hub forwarded to this chain (proven by its commitment at `proofHeight`) that was
   * not received here before its timeoutTimestamp, judged by this transaction's timestamp: writes
   * the TIMEOUT marker at its receipt key, so it can never be received, and the hub can prove it
   * timed out. An ordered channel closes, as on every Pontis chain.
   */
  timeoutPacket(tx: TxContext, proofHeight: number, packet: Packet, proof: unknown): Promise<ItemResult> {
    return this.run(
      tx,
      (env, cfg) => {
        const s = new TxOverlay(env.store);
        const p = packet;
        const ch = channelId(p);
        const receipt = s.get(K.receipt(ch, p.sequence));
        if (isMarker(receipt)) return toItem(p, 'already-received');
        if (p.dstChain !== cfg.chainId) throw new PacketError('PNT_ERR_PACKET_WRONG_CHAIN', `packet ${packetId(p)} is not for ${cfg.chainId}`);
        if (receipt !== undefined) throw new ChaincodeError(CC_ERR.ALREADY_RECEIVED, `packet ${packetId(p)} was received here`);
        if (p.timeoutTimestamp === 0 || tx.txTimeMs < p.timeoutTimestamp) {
          throw new PacketError('PNT_ERR_PACKET_NOT_TIMED_OUT', `packet ${packetId(p)} has not timed out at ${tx.txTimeMs}`, { details: { timeoutTimestamp: p.timeoutTimestamp } });
        }
        this.clients.verifyMembership(s, cfg.hubChainId, proofHeight, tx.txTimeMs, K.outbound(ch, p.sequence), packetCommitment(p), proof);
        const ordering = parseJson<string>(s.get(K.ordering(ch)));
        if (ordering !== undefined && ordering !== 'closed' && ordering !== (p.ordered ? 'ordered' : 'unordered')) throw new PacketError('PNT_ERR_PACKET_ORDERING', `channel ${ch} is ${ordering}`);
        if (p.ordered) {
          const next = parseJson<number>(s.get(K.nextRecv(ch))) ?? 1;
          // only the packet the channel waits for: those after it stay provably unreceived (channel closed)
          if (p.sequence !== next) throw new PacketError('PNT_ERR_PACKET_OUT_OF_ORDER', `ordered channel ${ch} waits for ${next}, not ${p.sequence}`, { retryable: true });
          s.set(K.ordering(ch), utf8(canonicalJson('closed')));
        }
        s.set(K.receipt(ch, p.sequence), FABRIC_TIMEOUT_MARKER);
        s.flush();
        env.emit('packet/timeout-marked', { id: packetId(p), packet: canonicalJson(p) });
        return toItem(p, 'ok');
      },
      packetPrefetch([packet], 'receiver'),
    );
  }

  /** A `msg` packet from the calling identity (the hub's msg/send on Fabric). */
  async sendMessage(tx: TxContext, m: { dstChain: string; dstApp: string; data: Hex; timeoutTimestamp: number; ordered: boolean }): Promise<Packet> {
    return (await this.sendMessages(tx, [m]))[0];
  }

  /** Many `msg` packets in one transaction (one commitment each, one event for all): how an application sends in bulk. */
  sendMessages(tx: TxContext, ms: readonly { dstChain: string; dstApp: string; data: Hex; timeoutTimestamp: number; ordered: boolean }[]): Promise<Packet[]> {
    return this.run(
      tx,
      (env) =>
        ms.map((m) => {
          const payload = toHex(utf8(canonicalJson({ from: env.sender, data: m.data })));
          return this.packets.sendPacket(env, { srcApp: 'msg', dstChain: m.dstChain, dstApp: m.dstApp, payload, timeoutHeight: 0, timeoutTimestamp: m.timeoutTimestamp, ordered: m.ordered });
        }),
      (cfg) => sendPrefetch(cfg, 'msg', ms),
      { client: false },
    );
  }

  /** Values (0x-hex) of Pontis keys, null when absent: what an endorsed-query proof answers. */
  async getState(state: State, keys: readonly string[]): Promise<(Hex | null)[]> {
    const values = await Promise.all(keys.map((k) => state.get(fabricKey(utf8(k)))));
    return values.map((v) => (v === undefined ? null : toHex(v)));
  }

  /** The hub client's record and config, for operators and relayers (evaluate, no proof). */
  async clientStatus(tx: TxContext): Promise<{ config: GatewayConfig; status: string; latestHeight: number; frozen: unknown }> {
    return this.run(tx, (env, cfg) => {
      const rec = this.clients.record(env.store, cfg.hubChainId)!;
      return { config: cfg, status: this.clients.status(env.store, cfg.hubChainId, tx.txTimeMs), latestHeight: rec.latestHeight, frozen: rec.frozen };
    });
  }
}

/** The keys sending `ms` from `srcApp` reads: each channel's next sequence and ordering, fetched in one round. */
function sendPrefetch(cfg: GatewayConfig, srcApp: string, ms: readonly { dstChain: string; dstApp: string }[]): string[] {
  const keys = new Set<string>();
  for (const m of ms) {
    const ch = channelId({ srcChain: cfg.chainId, srcApp, dstChain: m.dstChain, dstApp: m.dstApp });
    keys.add(fabricKey(K.nextSend(ch))).add(fabricKey(K.ordering(ch)));
  }
  return [...keys];
}

function readConfig(s: SnapshotStore): GatewayConfig {
  const cfg = parseJson<GatewayConfig>(s.getKey(CONFIG_KEY));
  if (!cfg) throw new ChaincodeError(CC_ERR.NOT_INITIALISED, 'the hub client is not initialised (initHubClient)');
  return cfg;
}

function isMarker(v: Bytes | undefined): boolean {
  return v !== undefined && equalBytes(v, FABRIC_TIMEOUT_MARKER);
}

/** The clients keeper's context: the hub client needs only time and the store (no validator set on Fabric). */
function clientCtx(tx: TxContext, cfg: GatewayConfig, s: KVStore): ClientContext {
  return { now: tx.txTimeMs, height: 0, validators: undefined as unknown as ValidatorSet, chainId: cfg.chainId, store: s };
}
