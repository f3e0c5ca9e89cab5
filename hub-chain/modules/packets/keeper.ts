/**
 * The packet module, the same on the hub and on every Pontis spoke (docs/adr/0005-packets.md).
 * A chain whose genesis names `hubChainId` is a spoke: its counterparty for every packet is the
 * hub. Otherwise it is a hub: it verifies packets against their source chain's client, applies
 * policy, and forwards those not addressed to itself.
 *
 * Every item of a relay batch is handled on its own write overlay and reported on its own: one
 * bad proof does not fail the others, and nothing of a failed item is written.
 */
import { PontisError } from '../../errors.ts';
import { type Bytes, type Hex, concat, equalBytes, fromHex, hasPrefix, latin1Id, toHex, utf8 } from '../../crypto/bytes.ts';
import { merkleRoot, merkleRootFromProof } from '../../crypto/merkle.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import { type KVStore, type KVView, TxOverlay } from '../../app/app.ts';
import type { Module, ModuleEnv } from '../../app/module.ts';
import type { ClientProofs, ClientVerifier } from '../clients/types.ts';
import type { Registry } from '../registry/registry.ts';
import type { ForwardPolicy, PacketApp, PacketSender } from '../transfer/app-interface.ts';
import { asBatchProof, withShared } from './msgs.ts';
import {
  type Ack,
  type BatchProof,
  type Packet,
  PacketError,
  type PacketStatus,
  TIMEOUT_ERROR,
  ackCommitment,
  ackLeafOf,
  channelId,
  decodeAck,
  encodeAck,
  encodeBatchValue,
  packetCommitment,
  packetId,
  packetKeys as K,
  receiptBitSet,
  withReceiptBit,
} from './types.ts';

const json = (v: unknown) => utf8(canonicalJson(v));
const parse = <T>(b: Bytes | undefined): T | undefined => (b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as T));
const RECEIPT = Uint8Array.of(1);
/** A batch part's root as bytes, once per (checked) batch part object (msgs.ts asBatchProof). */
const batchRoots = new WeakMap<object, Bytes>();

/** The two kinds of batch a block seals (ADR 0017): packets per next hop, acks per hop back. */
interface BatchKind {
  name: string;
  root: (hop: string, height: number) => Bytes;
  leaves: (hop: string, height: number) => Bytes;
  open: (height: number) => Bytes;
  leaf: (hop: string, height: number, i: number) => Bytes;
  event: string;
}
const PACKET_BATCH: BatchKind = { name: 'batch', root: K.batch, leaves: K.batchLeaves, open: K.batchOpen, leaf: K.batchLeaf, event: 'packet/batch' };
const ACK_BATCH: BatchKind = { name: 'ack batch', root: K.ackBatch, leaves: K.ackBatchLeaves, open: K.ackBatchOpen, leaf: K.ackBatchLeaf, event: 'packet/ack-batch' };
/** Every packet record (types.ts packetKeys) lives under these prefixes: the state's and the index's. */
const PACKET_STATE_PREFIXES = ['pkt/', 'idx/pkt/'];

/** Write guard handed to packet applications: no write under a protected prefix. */
class AppStore implements KVStore {
  constructor(
    private readonly inner: KVStore,
    private readonly app: string,
    private readonly protectedPrefixes: readonly Bytes[],
  ) {}
  get(k: Bytes) {
    return this.inner.get(k);
  }
  set(k: Bytes, v: Bytes) {
    this.guard(k);
    this.inner.set(k, v);
  }
  delete(k: Bytes) {
    this.guard(k);
    this.inner.delete(k);
  }
  private guard(k: Bytes) {
    for (const p of this.protectedPrefixes) {
      if (hasPrefix(k, p)) throw new PacketError('PNT_ERR_PACKET_APP_WRITE_DENIED', `app ${this.app} may not write ${Buffer.from(k).toString('utf8').slice(0, 64)}`);
    }
  }
}

const CLIENTS_PREFIX = utf8('clients/');
const REGISTRY_PREFIX = utf8('registry/');
/** Records every item of a batch reads and none writes: its clients and the registry's chain entries. */
const isRemembered = (k: Bytes) => hasPrefix(k, CLIENTS_PREFIX) || hasPrefix(k, REGISTRY_PREFIX);

/**
 * The store a relay batch runs on: `inner` with reads under `clients/` and `registry/` remembered
 * for the batch. Every item of a batch is verified against the same client and consensus records,
 * which the client verifier reads afresh for each item (record, status, consensus state: six
 * reads through two overlays and the state store), and checks the same counterparty's registry
 * entry. Any write under either prefix (items flush into this store) forgets what was
 * remembered, so every read shows what `inner` would.
 */
class BatchStore implements KVStore {
  private readonly memo = new Map<string, Bytes | undefined>();
  /** Proof checks prepared per (client, height): status and consensus state parsed once a batch. */
  private readonly proofs = new Map<string, ClientProofs>();
  /**
   * Batch parts (BatchProof.batch, one object per shared part of a relay message) whose state proof
   * held, with the client and height it held against (`chain@height`): an item from another
   * counterparty referencing the same part must not ride on that check (a chain's batch could
   * hold a commitment claiming another source).
   */
  private batches = new WeakMap<object, Set<string>>();
  batchVerified(b: object, against: string): boolean {
    return this.batches.get(b)?.has(against) ?? false;
  }
  markBatchVerified(b: object, against: string): void {
    let s = this.batches.get(b);
    if (!s) this.batches.set(b, (s = new Set()));
    s.add(against);
  }
  constructor(private readonly inner: KVStore) {}
  proofsAt(clients: ClientVerifier, chainId: string, height: number, now: number): ClientProofs {
    const id = `${chainId}@${height}`;
    let p = this.proofs.get(id);
    if (!p) this.proofs.set(id, (p = clients.proofsAt(this, chainId, height, now)));
    return p;
  }
  get(k: Bytes) {
    if (!isRemembered(k)) return this.inner.get(k);
    const id = latin1Id(k);
    if (this.memo.has(id)) return this.memo.get(id);
    const v = this.inner.get(k);
    this.memo.set(id, v);
    return v;
  }
  set(k: Bytes, v: Bytes) {
    if (isRemembered(k)) this.forget();
    this.inner.set(k, v);
  }
  delete(k: Bytes) {
    if (isRemembered(k)) this.forget();
    this.inner.delete(k);
  }
  private forget() {
    this.memo.clear();
    this.proofs.clear();
    this.batches = new WeakMap();
  }
}

export interface PacketKeeperOptions {
  clients: ClientVerifier;
  registry: Registry;
  apps: PacketApp[];
  policies?: ForwardPolicy[];
  /**
   * Prefixes no packet application may write: the app's core ones and every module's
   * `protectedPrefixes` (app/modules.ts collects them). The packet module's own `pkt/` and `idx/pkt/` are always in.
   */
  protectedPrefixes: readonly string[];
  /**
   * Batch commitments (ADR 0017): each block's packets per next hop under one `pkt/batch` key,
   * and its acks per hop under one `pkt/ack-batch` key, sealed by `endBlock`. Off (false) where no
   * end of block runs the module: the Fabric chaincode, whose packets and acks are proven one by
   * one (`pkt/out`, `pkt/ack` per packet).
   */
  batchCommitments?: boolean;
  /**
   * How receipts are kept (ADR 0017 decision 3). `bits` (the default): bit `seq % 256` of the
   * word at `pkt/rcpt-bits/<ch>/<seq / 256>`, so a block's packets of one channel cost one tree
   * write per 256. `keys`: `pkt/rcpt/<ch>/<seq>` per packet, for the Fabric chaincode, where
   * concurrent transactions sharing a word would lose MVCC races.
   */
  receipts?: 'bits' | 'keys';
  /**
   * Status records (`idx/pkt/status`, for the packet view and relayers' reads; nothing the module
   * decides reads them). Off (false) in the Fabric chaincode: there they are world-state writes in
   * every transaction's write set (the proof a relayer carries to the hub), and nothing reads them.
   */
  statusRecords?: boolean;
}

type ItemResult = 'ok' | 'already-received' | 'already-resolved' | string;

export class PacketKeeper implements PacketSender {
  private readonly apps = new Map<string, PacketApp>();
  private readonly policies = new Map<string, ForwardPolicy>();

  private protectedBytes: Bytes[] | undefined;

  constructor(private readonly o: PacketKeeperOptions) {
    for (const a of o.apps) this.registerApp(a);
    for (const p of o.policies ?? []) this.registerPolicy(p);
  }

  /** Read at the first packet, once every module has declared its prefixes (app/modules.ts). */
  private protectedPrefixes(): Bytes[] {
    this.protectedBytes ??= [...new Set([...this.o.protectedPrefixes, ...PACKET_STATE_PREFIXES])].map((p) => utf8(p));
    return this.protectedBytes;
  }

  registerApp(a: PacketApp): void {
    if (this.apps.has(a.name)) throw new PacketError('PNT_ERR_PACKET_APP_DUPLICATE', `packet app ${a.name} registered twice`);
    this.apps.set(a.name, a);
  }

  registerPolicy(p: ForwardPolicy): void {
    if (this.policies.has(p.app)) throw new PacketError('PNT_ERR_PACKET_POLICY_DUPLICATE', `forward policy for ${p.app} registered twice`);
    this.policies.set(p.app, p);
  }

  /** The hub this chain is a spoke of, or undefined on the hub itself. */
  private hubOf(env: ModuleEnv): string | undefined {
    return env.genesis.params.hubChainId;
  }

  // ---- sending ----

  sendPacket(env: ModuleEnv, p: { srcApp: string; dstChain: string; dstApp: string; payload: Hex; timeoutHeight: number; timeoutTimestamp: number; ordered: boolean }): Packet {
    const s = env.store;
    if (p.dstChain === env.chainId) throw new PacketError('PNT_ERR_PACKET_TO_SELF', 'a packet cannot be addressed to its own chain');
    if (p.timeoutHeight === 0 && p.timeoutTimestamp === 0) throw new PacketError('PNT_ERR_PACKET_NO_TIMEOUT', 'a packet needs a timeout height or timestamp');
    if (p.timeoutTimestamp !== 0 && p.timeoutTimestamp <= env.time) throw new PacketError('PNT_ERR_PACKET_TIMED_OUT', 'timeout timestamp is already past');
    const hub = this.hubOf(env);
    // the next hop must be reachable: a spoke needs its hub registered, the hub the route
    if (hub) this.o.registry.requireActive(s, hub);
    else this.o.registry.requireActive(s, p.dstChain);
    const packet: Packet = { srcChain: env.chainId, srcApp: p.srcApp, dstChain: p.dstChain, dstApp: p.dstApp, sequence: 0, ordered: p.ordered, payload: p.payload, timeoutHeight: p.timeoutHeight, timeoutTimestamp: p.timeoutTimestamp };
    const ch = channelId(packet);
    this.fixOrdering(s, ch, p.ordered);
    packet.sequence = parse<number>(s.get(K.nextSend(ch))) ?? 1;
    s.set(K.nextSend(ch), json(packet.sequence + 1));
    this.commitOutbound(env, s, packet);
    this.setStatus(env, packet, 'sent', 'sent');
    env.emit('packet/sent', { id: packetId(packet), packet: packetJson(packet) });
    return packet;
  }

  // ---- receiving ----

  recv(env: ModuleEnv, proofHeight: number, items: { packet: Packet; proof: unknown }[]): ItemResult[] {
    const b = { ...env, store: new BatchStore(env.store) };
    return items.map(({ packet, proof }) => this.item(b, 'packet/recv', packet, (s) => this.recvOne(b, s, packet, proofHeight, proof)));
  }

  private recvOne(env: ModuleEnv, s: KVStore, p: Packet, proofHeight: number, proof: unknown): ItemResult {
    const hub = this.hubOf(env);
    const ch = channelId(p);
    if (hub ? p.dstChain !== env.chainId : p.srcChain === env.chainId) throw new PacketError('PNT_ERR_PACKET_WRONG_CHAIN', `packet ${packetId(p)} is not for ${env.chainId}`);
    if (this.received(s, ch, p.sequence)) return 'already-received';
    const counterparty = hub ?? p.srcChain;
    const forward = !hub && p.dstChain !== env.chainId;
    // the counterparty must be active (a paused chain's packets wait; nothing is written)
    this.o.registry.requireActive(s, counterparty);
    this.checkNotTimedOut(env, s, p, forward);
    const ordering = this.fixOrdering(s, ch, p.ordered);
    if (ordering === 'closed') throw new PacketError('PNT_ERR_CHANNEL_CLOSED', `channel ${ch} was closed by a timeout`);
    if (p.ordered) {
      const next = parse<number>(s.get(K.nextRecv(ch))) ?? 1;
      if (p.sequence < next) return 'already-received';
      if (p.sequence > next) throw new PacketError('PNT_ERR_PACKET_OUT_OF_ORDER', `ordered channel ${ch} expects ${next}, got ${p.sequence}`, { retryable: true });
      s.set(K.nextRecv(ch), json(next + 1));
    }
    this.provePacket(env, s, counterparty, proofHeight, p, proof);
    if (forward) {
      try {
        this.o.registry.requireRoute(s, p.srcChain, p.dstChain);
      } catch (e) {
        // paused: hold (retry after resume); no such route or chain: refuse for good with an error ack
        if (e instanceof PontisError && (e.code === 'PNT_ERR_ROUTE_PAUSED' || e.code === 'PNT_ERR_CHAIN_PAUSED')) throw e;
        if (!(e instanceof PontisError)) throw e;
        this.markReceived(s, ch, p.sequence);
        return this.refuse(env, s, p, e.code);
      }
    }
    this.markReceived(s, ch, p.sequence);
    if (forward) return this.forward(env, s, p);
    return this.deliver(env, s, p);
  }

  /** Whether this chain received the packet `ch`/`seq` (its receipt bit, or its receipt key). */
  private received(s: KVView, ch: string, seq: number): boolean {
    if (this.o.receipts === 'keys') return s.get(K.receipt(ch, seq)) !== undefined;
    return receiptBitSet(s.get(K.receiptBits(ch, seq)), seq);
  }

  private markReceived(s: KVStore, ch: string, seq: number): void {
    if (this.o.receipts === 'keys') s.set(K.receipt(ch, seq), RECEIPT);
    else s.set(K.receiptBits(ch, seq), withReceiptBit(s.get(K.receiptBits(ch, seq)), seq));
  }

  private checkNotTimedOut(env: ModuleEnv, s: KVView, p: Packet, forward: boolean): void {
    if (p.timeoutTimestamp !== 0 && env.time >= p.timeoutTimestamp) throw new PacketError('PNT_ERR_PACKET_TIMED_OUT', `packet timed out at ${p.timeoutTimestamp}, block time ${env.time}`);
    if (p.timeoutHeight === 0) return;
    // the hub judges a height timeout by what its client of the destination has seen
    const h = forward ? (this.o.clients.latestHeight?.(s, p.dstChain) ?? 0) : env.height;
    if (h >= p.timeoutHeight) throw new PacketError('PNT_ERR_PACKET_TIMED_OUT', `packet timed out at destination height ${p.timeoutHeight}`);
  }

  /** Hub: commit the packet again for the destination, after the app's forward policy. */
  private forward(env: ModuleEnv, s: KVStore, p: Packet): ItemResult {
    const ch = channelId(p);
    const policy = this.policyOf(p);
    let decision: 'forward' | 'queue' = 'forward';
    if (policy) {
      // the policy decides on its own overlay: a refusal leaves none of its writes behind
      const overlay = new TxOverlay(s);
      try {
        decision = policy.onForward({ ...env, store: overlay }, p);
        overlay.flush();
      } catch (e) {
        if (!(e instanceof PontisError)) throw e;
        policy.onRefused?.({ ...env, store: s }, p, e);
        return this.refuse(env, s, p, e.code);
      }
    }
    if (decision === 'queue') {
      s.set(K.queued(ch, p.sequence), json(p));
      s.set(K.queuedIndex(), json([...(parse<[string, number][]>(s.get(K.queuedIndex())) ?? []), [ch, p.sequence]]));
      this.setStatus(env, p, 'received', 'queued', s);
      env.emit('packet/queued', { id: packetId(p) });
      return 'ok';
    }
    this.commitOutbound(env, s, p);
    this.setStatus(env, p, 'forwarded', 'forwarded', s);
    env.emit('packet/forwarded', { id: packetId(p), packet: packetJson(p) });
    return 'ok';
  }

  /** Hub: refuse a verified packet for good; the source gets an error ack (and its refund). */
  private refuse(env: ModuleEnv, s: KVStore, p: Packet, code: string): ItemResult {
    const ack = encodeAck({ ok: false, error: code });
    this.writeAck(env, s, p, ack);
    this.setStatus(env, p, 'failed', 'refused', s, { ok: false, error: code });
    env.emit('packet/refused', { id: packetId(p), code, ack: toHex(ack), packet: packetJson(p) });
    return code;
  }

  /** Destination: run the app; its failure becomes an error ack and discards the app's writes. */
  private deliver(env: ModuleEnv, s: KVStore, p: Packet): ItemResult {
    const ch = channelId(p);
    const app = this.apps.get(p.dstApp);
    let ack: Ack;
    if (!app) ack = { ok: false, error: 'PNT_ERR_PACKET_UNKNOWN_APP' };
    else {
      const overlay = new TxOverlay(s);
      try {
        const result = app.onRecv({ ...env, store: new AppStore(overlay, app.name, this.protectedPrefixes()) }, p);
        overlay.flush();
        ack = { ok: true, result };
      } catch (e) {
        if (!(e instanceof PontisError)) throw e;
        ack = { ok: false, error: e.code };
      }
    }
    const bytes = encodeAck(ack);
    this.writeAck(env, s, p, bytes);
    this.setStatus(env, p, 'received', 'received', s, ack);
    env.emit('packet/received', { id: packetId(p), ack: toHex(bytes), packet: packetJson(p) });
    return 'ok';
  }

  // ---- acknowledgements ----

  ack(env: ModuleEnv, proofHeight: number, items: { packet: Packet; ack: Hex; proof: unknown }[]): ItemResult[] {
    const b = { ...env, store: new BatchStore(env.store) };
    return items.map(({ packet, ack, proof }) => this.item(b, 'packet/ack', packet, (s) => this.ackOne(b, s, packet, fromHex(ack), proofHeight, proof)));
  }

  private ackOne(env: ModuleEnv, s: KVStore, p: Packet, ackBytes: Bytes, proofHeight: number, proof: unknown): ItemResult {
    const ch = channelId(p);
    const ack = decodeAck(ackBytes);
    if (!this.requireOutstanding(s, p)) return 'already-resolved';
    const hub = this.hubOf(env);
    const counterparty = hub ?? p.dstChain;
    if (!hub && p.dstChain === env.chainId) throw new PacketError('PNT_ERR_PACKET_WRONG_CHAIN', 'the hub does not take acks for packets addressed to itself');
    const bp = asBatchProof(proof);
    if (bp) this.proveInBatch(env, s, counterparty, proofHeight, ACK_BATCH, ackLeafOf(commitmentOf(p), ackBytes), bp, p);
    else this.proofs(env, s, counterparty, proofHeight).membership(K.ack(ch, p.sequence), ackCommitment(ackBytes), proof);
    s.delete(K.outbound(ch, p.sequence)); // before any callback
    if (p.srcChain === env.chainId) {
      this.resolveAtSource(env, s, p, ack, 'acknowledged');
    } else {
      // hub: pass the destination's ack on to the source
      this.writeAck(env, s, p, ackBytes);
      if (!ack.ok) this.policyFailed(env, s, p);
      else this.policyOf(p)?.onForwardDelivered?.({ ...env, store: s }, p, ack);
      this.setStatus(env, p, ack.ok ? 'delivered' : 'failed', 'ack', s, ack);
    }
    env.emit('packet/acknowledged', { id: packetId(p), ok: String(ack.ok), ack: toHex(ackBytes), packet: packetJson(p) });
    return 'ok';
  }

  // ---- timeouts ----

  timeout(env: ModuleEnv, proofHeight: number, items: { packet: Packet; proof: unknown }[]): ItemResult[] {
    const b = { ...env, store: new BatchStore(env.store) };
    return items.map(({ packet, proof }) => this.item(b, 'packet/timeout', packet, (s) => this.timeoutOne(b, s, packet, proofHeight, proof)));
  }

  /**
   * The counterparty's receipt is absent at `proofHeight`, and that height is past the timeout:
   * the counterparty refuses the packet from then on, so it can never also be delivered.
   */
  private timeoutOne(env: ModuleEnv, s: KVStore, p: Packet, proofHeight: number, proof: unknown): ItemResult {
    const ch = channelId(p);
    if (!this.requireOutstanding(s, p)) return 'already-resolved';
    const hub = this.hubOf(env);
    const counterparty = hub ?? p.dstChain;
    const cons = this.o.clients.consensusAt(s, counterparty, proofHeight);
    if (!cons) throw new PacketError('PNT_ERR_CLIENT_NO_CONSENSUS', `no consensus state of ${counterparty} at ${proofHeight}`);
    // on a spoke the counterparty is the hub, which judges only timestamps; the destination judges heights too
    const byHeight = !hub && p.timeoutHeight !== 0 && proofHeight >= p.timeoutHeight;
    const byTime = p.timeoutTimestamp !== 0 && cons.timestamp >= p.timeoutTimestamp;
    if (!byHeight && !byTime) throw new PacketError('PNT_ERR_PACKET_NOT_TIMED_OUT', `packet ${packetId(p)} has not timed out at ${counterparty} height ${proofHeight}`);
    // the counterparty's receipt is absent (a client reads it in its chain's own layout: an EVM Gateway keeps receipt bits)
    this.proofs(env, s, counterparty, proofHeight).nonMembership(K.receipt(ch, p.sequence), proof);
    s.delete(K.outbound(ch, p.sequence));
    if (p.ordered) s.set(K.ordering(ch), json('closed'));
    if (p.srcChain === env.chainId) {
      this.resolveAtSource(env, s, p, undefined, 'timed-out');
    } else {
      // hub: the destination never got it; tell the source with an error ack
      this.writeAck(env, s, p, encodeAck({ ok: false, error: TIMEOUT_ERROR }));
      this.policyFailed(env, s, p);
      this.setStatus(env, p, 'timed-out', 'timeout', s, { ok: false, error: TIMEOUT_ERROR });
    }
    env.emit('packet/timed-out', { id: packetId(p), packet: packetJson(p) });
    return 'ok';
  }

  // ---- end of block: release queued packets that policy now lets through ----

  endBlock(env: ModuleEnv): void {
    this.releaseQueued(env);
    this.sealBatches(env);
  }

  private releaseQueued(env: ModuleEnv): void {
    const index = parse<[string, number][]>(env.store.get(K.queuedIndex())) ?? [];
    if (index.length === 0) return;
    const still: [string, number][] = [];
    for (const [ch, seq] of index) {
      const p = parse<Packet>(env.store.get(K.queued(ch, seq)))!;
      if (p.timeoutTimestamp !== 0 && env.time >= p.timeoutTimestamp) {
        // timed out while held: the policy never let it through, so there is nothing to undo
        const expired = new TxOverlay(env.store);
        this.writeAck(env, expired, p, encodeAck({ ok: false, error: TIMEOUT_ERROR }));
        this.setStatus(env, p, 'timed-out', 'expired-in-queue', expired, { ok: false, error: TIMEOUT_ERROR });
        expired.delete(K.queued(ch, seq));
        expired.flush();
        env.emit('packet/refused', { id: packetId(p), code: TIMEOUT_ERROR, ack: toHex(encodeAck({ ok: false, error: TIMEOUT_ERROR })), packet: packetJson(p) });
        continue;
      }
      const overlay = new TxOverlay(env.store);
      const policy = this.policyOf(p);
      try {
        if (policy && policy.onForward({ ...env, store: overlay }, p) === 'queue') {
          still.push([ch, seq]);
          continue;
        }
        this.commitOutbound(env, overlay, p);
        this.setStatus(env, p, 'forwarded', 'released', overlay);
        env.emit('packet/forwarded', { id: packetId(p), packet: packetJson(p) });
      } catch (e) {
        if (!(e instanceof PontisError)) throw e;
        const refused = new TxOverlay(env.store);
        this.writeAck(env, refused, p, encodeAck({ ok: false, error: e.code }));
        this.setStatus(env, p, 'failed', 'refused', refused, { ok: false, error: e.code });
        refused.flush();
        env.store.delete(K.queued(ch, seq));
        continue;
      }
      overlay.delete(K.queued(ch, seq));
      overlay.flush();
    }
    env.store.set(K.queuedIndex(), json(still));
  }

  // ---- batch commitments (ADR 0017) ----

  /**
   * Commits a packet this chain sends or forwards: its own key `pkt/out` (what acks and timeouts
   * resolve) and a leaf of this block's batch for its next hop, sealed by `sealBatches`.
   */
  private commitOutbound(env: ModuleEnv, s: KVStore, p: Packet): void {
    const c = commitmentOf(p);
    s.set(K.outbound(channelId(p), p.sequence), c);
    if (this.o.batchCommitments === false) return;
    this.addLeaf(s, PACKET_BATCH, this.hubOf(env) ?? p.dstChain, env.height, c);
  }

  /** Appends `leaf` to block `height`'s open batch of `kind` for `hop`. */
  private addLeaf(s: KVStore, kind: BatchKind, hop: string, height: number, leaf: Bytes): void {
    const open = parse<Record<string, number>>(s.get(kind.open(height))) ?? {};
    const i = open[hop] ?? 0;
    s.set(kind.leaf(hop, height, i), leaf);
    open[hop] = i + 1;
    s.set(kind.open(height), json(open));
  }

  /** End of block: each batch filled in it (packets, acks) gets its root written and its leaves indexed. */
  private sealBatches(env: ModuleEnv): void {
    for (const kind of [PACKET_BATCH, ACK_BATCH]) {
      const s = env.store;
      const open = parse<Record<string, number>>(s.get(kind.open(env.height)));
      if (!open) continue;
      for (const [hop, n] of Object.entries(open).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const leaves: Bytes[] = [];
        for (let i = 0; i < n; i++) {
          leaves.push(s.get(kind.leaf(hop, env.height, i))!);
          s.delete(kind.leaf(hop, env.height, i));
        }
        const root = merkleRoot(leaves);
        s.set(kind.root(hop, env.height), encodeBatchValue(root, n));
        s.set(kind.leaves(hop, env.height), concat(...leaves));
        env.emit(kind.event, { hop, height: String(env.height), root: toHex(root), count: String(n) });
      }
      s.delete(kind.open(env.height));
    }
  }

  /**
   * The counterparty committed `p` for this chain: membership of its `pkt/out` key, or (a batch
   * proof) of the batch it was committed in, whose state proof is checked once per relay message.
   */
  private provePacket(env: ModuleEnv, s: KVView, counterparty: string, proofHeight: number, p: Packet, proof: unknown): void {
    const commitment = commitmentOf(p);
    const bp = asBatchProof(proof);
    if (!bp) {
      this.proofs(env, s, counterparty, proofHeight).membership(K.outbound(channelId(p), p.sequence), commitment, proof);
      return;
    }
    this.proveInBatch(env, s, counterparty, proofHeight, PACKET_BATCH, commitment, bp, p);
  }

  /**
   * `leaf` is leaf `bp.index` of the batch of `kind` the counterparty sealed for this chain in its
   * block `bp.batch.height`, and that batch is in its state at `proofHeight`: the batch's state
   * proof is checked once per relay message (its shared part is one object), the path per item.
   */
  private proveInBatch(env: ModuleEnv, s: KVView, counterparty: string, proofHeight: number, kind: BatchKind, leaf: Bytes, bp: BatchProof, p: Packet): void {
    // named only when refused: building the text for every packet would cost the hot path
    const what = () => `${kind === ACK_BATCH ? 'the ack of packet' : 'packet'} ${packetId(p)}`;
    const { batch } = bp;
    let root = batchRoots.get(batch);
    if (!root) batchRoots.set(batch, (root = fromHex(batch.root)));
    const store = env.store instanceof BatchStore ? env.store : undefined;
    const against = `${kind.name}:${counterparty}@${proofHeight}`;
    if (!store?.batchVerified(batch, against)) {
      this.proofs(env, s, counterparty, proofHeight).membership(kind.root(env.chainId, batch.height), encodeBatchValue(root, batch.count), batch.proof);
      store?.markBatchVerified(batch, against);
    }
    const siblings: Bytes[] = [];
    // Buffer's hex decoding stops at the first non-hex digit: a short result is a malformed path
    const path = Buffer.from(bp.path.slice(2), 'hex');
    if (path.length * 2 !== bp.path.length - 2) throw new PacketError('PNT_ERR_PACKET_BATCH_PROOF', `${what()}: the path is not hex`);
    for (let o = 0; o < path.length; o += 32) siblings.push(path.subarray(o, o + 32));
    let got: Bytes;
    try {
      got = merkleRootFromProof(leaf, { index: bp.index, total: batch.count, siblings });
    } catch (e) {
      throw new PacketError('PNT_ERR_PACKET_BATCH_PROOF', `${what()}: ${(e as Error).message}`);
    }
    if (!equalBytes(got, root)) throw new PacketError('PNT_ERR_PACKET_BATCH_PROOF', `${what()} is not leaf ${bp.index} of the ${kind.name} of ${batch.count} at ${counterparty} height ${batch.height}`);
  }

  // ---- helpers ----

  /** Proof checks against `chain`'s client at `height`, prepared once per relay batch. */
  private proofs(env: ModuleEnv, s: KVView, chain: string, height: number): ClientProofs {
    // items run on overlays over the batch store and never write under clients/, so it reads what they would
    if (env.store instanceof BatchStore) return env.store.proofsAt(this.o.clients, chain, height, env.time);
    return this.o.clients.proofsAt(s, chain, height, env.time);
  }

  private item(env: ModuleEnv, what: string, p: Packet, run: (s: KVStore) => ItemResult): ItemResult {
    const overlay = new TxOverlay(env.store);
    let r: ItemResult;
    try {
      r = run(overlay);
      overlay.flush();
    } catch (e) {
      if (!(e instanceof PontisError)) throw e;
      r = e.code;
    }
    env.emit(what + '/result', { id: packetId(p), result: r });
    return r;
  }

  /** True when the packet is still outstanding here; false when already resolved; throws if the packet does not match what was sent. */
  private requireOutstanding(s: KVView, p: Packet): boolean {
    const c = s.get(K.outbound(channelId(p), p.sequence));
    if (c === undefined) return false;
    if (!equalBytes(c, commitmentOf(p))) throw new PacketError('PNT_ERR_PACKET_COMMITMENT_MISMATCH', `packet ${packetId(p)} does not match the commitment stored here`);
    return true;
  }

  private resolveAtSource(env: ModuleEnv, s: KVStore, p: Packet, ack: Ack | undefined, state: 'acknowledged' | 'timed-out'): void {
    const app = this.apps.get(p.srcApp);
    if (app) {
      const overlay = new TxOverlay(s);
      try {
        const appEnv = { ...env, store: new AppStore(overlay, app.name, this.protectedPrefixes()) };
        if (ack === undefined) app.onTimeout(appEnv, p);
        else if (!ack.ok && ack.error === TIMEOUT_ERROR) app.onTimeout(appEnv, p);
        else app.onAck(appEnv, p, ack);
        overlay.flush();
      } catch (e) {
        if (!(e instanceof PontisError)) throw e;
        env.emit('packet/callback-failed', { id: packetId(p), code: e.code });
      }
    }
    const timedOut = state === 'timed-out' || (ack && !ack.ok && ack.error === TIMEOUT_ERROR);
    this.setStatus(env, p, timedOut ? 'timed-out' : 'acknowledged', state === 'timed-out' ? 'timeout' : 'ack', s, ack);
  }

  private policyOf(p: Packet): ForwardPolicy | undefined {
    return this.policies.get(p.dstApp) ?? this.policies.get(p.srcApp);
  }

  private policyFailed(env: ModuleEnv, s: KVStore, p: Packet): void {
    this.policyOf(p)?.onForwardFailed({ ...env, store: s }, p);
  }

  /**
   * Records the ack of `p` for the chain it goes back to: a leaf of this block's ack batch for that
   * hop (sealed by `sealBatches`), or its own `pkt/ack` key where batches are off.
   */
  private writeAck(env: ModuleEnv, s: KVStore, p: Packet, ackBytes: Bytes): void {
    if (this.o.batchCommitments === false) {
      s.set(K.ack(channelId(p), p.sequence), ackCommitment(ackBytes));
      return;
    }
    this.addLeaf(s, ACK_BATCH, this.hubOf(env) ?? p.srcChain, env.height, ackLeafOf(commitmentOf(p), ackBytes));
  }

  /** The first packet fixes a channel's ordering; returns the channel's ordering. */
  private fixOrdering(s: KVStore, ch: string, ordered: boolean): 'ordered' | 'unordered' | 'closed' {
    const cur = parse<'ordered' | 'unordered' | 'closed'>(s.get(K.ordering(ch)));
    const want = ordered ? 'ordered' : 'unordered';
    if (cur === undefined) {
      s.set(K.ordering(ch), json(want));
      return want;
    }
    if (cur !== 'closed' && cur !== want) throw new PacketError('PNT_ERR_PACKET_ORDERING', `channel ${ch} is ${cur}`);
    return cur;
  }

  private setStatus(env: ModuleEnv, p: Packet, state: PacketStatus['state'], step: string, s: KVStore = env.store, ack?: Ack): void {
    if (this.o.statusRecords === false) return;
    const key = K.status(channelId(p), p.sequence);
    const at = { step, height: env.height, tx: env.txHash, time: env.time };
    const prev = s.get(key);
    if (prev === undefined) {
      s.set(key, utf8(newStatusJson(p, state, at, ack)));
      return;
    }
    const cur = parse<PacketStatus>(prev)!;
    cur.state = state;
    if (ack) cur.ack = ack;
    cur.steps.push(at);
    s.set(key, json(cur));
  }
}

/**
 * A packet's commitment, once per packet object while a block runs: receiving one proves it,
 * forwards or acknowledges it, and each needs the commitment. Only for packets nobody changes
 * after this first look (a relay item's packet is decoded and never changed; a sent packet is
 * complete before it is committed).
 */
const commitments = new WeakMap<Packet, Bytes>();
function commitmentOf(p: Packet): Bytes {
  let c = commitments.get(p);
  if (c === undefined) commitments.set(p, (c = packetCommitment(p)));
  return c;
}

/**
 * canonicalJson of a packet, once per packet object: its status record and the events of the
 * item carry it (a relay item's packet is not changed after it is decoded or sent).
 */
const packetJsons = new WeakMap<Packet, string>();
export function packetJson(p: Packet): string {
  let j = packetJsons.get(p);
  if (j === undefined) packetJsons.set(p, (j = canonicalJson(p)));
  return j;
}

/** canonicalJson of a first status record {ack?, packet, state, steps: [at]}, with the packet's JSON reused (keys in canonical order). */
export function newStatusJson(p: Packet, state: PacketStatus['state'], at: PacketStatus['steps'][number], ack?: Ack): string {
  return `{${ack ? `"ack":${canonicalJson(ack)},` : ''}"packet":${packetJson(p)},"state":${JSON.stringify(state)},"steps":[${canonicalJson(at)}]}`;
}

export function readPacketStatus(s: KVView, channel: string, seq: number): PacketStatus | undefined {
  return parse<PacketStatus>(s.get(K.status(channel, seq)));
}

interface RelayMsg {
  type: 'packets/recv' | 'packets/ack' | 'packets/timeout';
  proofHeight: number;
  packets: { packet: Packet; proof: unknown; ack?: Hex }[];
  shared?: unknown[];
}
interface SendMsg {
  type: 'msg/send';
  dstChain: string;
  dstApp?: string;
  payload: Hex;
  timeoutHeight?: number;
  timeoutTimestamp?: number;
  ordered?: boolean;
}

/** A relay message's items with their proofs' shared parts resolved (msgs.ts `withShared`). */
const resolved = <I extends { proof: unknown }>(m: { packets: I[]; shared?: unknown[] }): I[] => (m.shared ? m.packets.map((i) => ({ ...i, proof: withShared(i.proof, m.shared) })) : m.packets);

export function packetsModule(keeper: PacketKeeper): Module {
  return {
    name: 'packets',
    msgTypes: ['packets/recv', 'packets/ack', 'packets/timeout', 'msg/send'],
    protectedPrefixes: PACKET_STATE_PREFIXES,
    handleMsg(env, msg) {
      const m = msg as RelayMsg | SendMsg;
      switch (m.type) {
        case 'packets/recv':
          keeper.recv(env, m.proofHeight, resolved(m));
          return;
        case 'packets/ack':
          keeper.ack(env, m.proofHeight, resolved(m) as { packet: Packet; ack: Hex; proof: unknown }[]);
          return;
        case 'packets/timeout':
          keeper.timeout(env, m.proofHeight, resolved(m));
          return;
        case 'msg/send': {
          // the sender is carried in the payload envelope so the receiving app knows who wrote
          const payload = toHex(utf8(canonicalJson({ from: env.sender, data: m.payload })));
          keeper.sendPacket(env, { srcApp: 'msg', dstChain: m.dstChain, dstApp: m.dstApp ?? 'msg', payload, timeoutHeight: m.timeoutHeight ?? 0, timeoutTimestamp: m.timeoutTimestamp ?? 0, ordered: m.ordered ?? false });
          return;
        }
      }
    },
    endBlock(env) {
      keeper.endBlock(env);
    },
  };
}
