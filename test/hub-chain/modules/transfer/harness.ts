/**
 * In-memory network for transfer tests: end chains with bank + transfer, a hub running the
 * forward policy, one shared clock, and a stand-in for the packet module that records sent
 * packets and lets a test move each one through its lifecycle in any order. It models what the
 * transfer app and the policy may rely on (ADR 0005), not packet proofs.
 */
import type { KVStore } from '../../../../hub-chain/app/app.ts';
import { type Genesis, genesisValidatorSet, parseGenesis } from '../../../../hub-chain/app/genesis.ts';
import type { ModuleEnv } from '../../../../hub-chain/app/module.ts';
import { type Bytes, fromHex, toHex } from '../../../../hub-chain/crypto/bytes.ts';
import { generateValidatorKey, validatorPublicKey } from '../../../../hub-chain/crypto/secp256k1.ts';
import { PontisError } from '../../../../hub-chain/errors.ts';
import { type Ack, type Packet, TIMEOUT_ERROR, channelId } from '../../../../hub-chain/modules/packets/types.ts';
import type { PacketSender } from '../../../../hub-chain/modules/transfer/app-interface.ts';
import { bankModule } from '../../../../hub-chain/modules/transfer/bank.ts';
import type { GenesisAccounts, SetRateLimitAction, TransferSendMsg } from '../../../../hub-chain/modules/transfer/msgs.ts';
import { transferForwardPolicy, transferPolicyModule } from '../../../../hub-chain/modules/transfer/policy.ts';
import { type TransferApp, transferApp, transferModule } from '../../../../hub-chain/modules/transfer/transfer.ts';
import { MapStore } from '../../../support/kv.ts';

/** A write overlay like the app's: writes reach the base only on flush. */
class Overlay implements KVStore {
  private readonly writes = new Map<string, Bytes | null>();
  constructor(private readonly base: KVStore) {}
  get(k: Bytes): Bytes | undefined {
    const w = this.writes.get(toHex(k));
    return w === undefined ? this.base.get(k) : w === null ? undefined : w;
  }
  set = (k: Bytes, v: Bytes) => void this.writes.set(toHex(k), v);
  delete = (k: Bytes) => void this.writes.set(toHex(k), null);
  flush(): void {
    for (const [k, v] of this.writes) v === null ? this.base.delete(fromHex(k)) : this.base.set(fromHex(k), v);
  }
}

const validatorKey = toHex(validatorPublicKey(generateValidatorKey()));
export function testGenesis(chainId: string, accounts: GenesisAccounts = []): Genesis {
  const g = parseGenesis({ chainId, genesisTime: 0, validators: [{ publicKey: validatorKey, power: 1 }], governance: { members: [{ address: '0x' + '01'.repeat(20), weight: 1 }] } });
  // genesis.ts does not declare `accounts` yet; genesisBalances reads it when present.
  return { ...g, accounts } as Genesis;
}

export interface Outcome<T> {
  ok: boolean;
  value?: T;
  code?: string;
  error?: unknown;
}

export class TestChain {
  readonly store = new MapStore();
  readonly genesis: Genesis;
  height = 1;
  readonly events: { type: string; attributes: Record<string, string> }[] = [];
  constructor(
    readonly id: string,
    readonly net: Network,
    accounts: GenesisAccounts = [],
  ) {
    this.genesis = testGenesis(id, accounts);
    bankModule().initGenesis!(this.env(this.store));
  }
  env(store: KVStore, sender = '0x' + '00'.repeat(20)): ModuleEnv {
    return {
      chainId: this.id,
      height: this.height,
      time: this.net.time,
      txHash: '0x' + '00'.repeat(32),
      sender,
      validators: genesisValidatorSet(this.genesis),
      store,
      genesis: this.genesis,
      events: this.events,
      emit: (type, attributes) => void this.events.push({ type, attributes }),
    };
  }
  /** Runs `fn` on a write overlay: its writes land only if it returns; a PontisError is reported, anything else is a bug. */
  atomically<T>(fn: (env: ModuleEnv) => T, sender?: string): Outcome<T> {
    const o = new Overlay(this.store);
    try {
      const value = fn(this.env(o, sender));
      o.flush();
      return { ok: true, value };
    } catch (e) {
      if (!(e instanceof PontisError)) throw e;
      return { ok: false, code: e.code, error: e };
    }
  }
}

export type PacketState = 'sent' | 'queued' | 'forwarded' | 'delivered' | 'acked' | 'done';
export interface InFlight {
  packet: Packet;
  state: PacketState;
  /** The policy's onForward said 'forward' and onForwardFailed has not undone it. */
  hubCounted: boolean;
  /** The destination ran onRecv successfully (minted or unescrowed). */
  credited: boolean;
  /** The ack the source will see (set from 'acked' on). */
  ack?: Ack;
}

/** End chains, the hub and the stand-in packet layer; `time` is the one shared clock. */
export class Network implements PacketSender {
  time = 1_000_000;
  readonly chains = new Map<string, TestChain>();
  readonly hub: TestChain;
  readonly policy = transferForwardPolicy();
  readonly app: TransferApp = transferApp(this);
  readonly packets: InFlight[] = [];
  private staged: Packet[] = [];
  private readonly nextSeq = new Map<string, number>();

  constructor(chains: Record<string, GenesisAccounts>, hubId = 'hub-1') {
    for (const [id, accounts] of Object.entries(chains)) this.chains.set(id, new TestChain(id, this, accounts));
    this.hub = new TestChain(hubId, this);
  }

  chain(id: string): TestChain {
    const c = this.chains.get(id);
    if (!c) throw new Error(`no chain ${id}`);
    return c;
  }

  sendPacket(env: ModuleEnv, p: Parameters<PacketSender['sendPacket']>[1]): Packet {
    const partial = { srcChain: env.chainId, srcApp: p.srcApp, dstChain: p.dstChain, dstApp: p.dstApp };
    const ch = channelId(partial);
    const sequence = (this.nextSeq.get(ch) ?? 1) + this.staged.filter((s) => channelId(s) === ch).length;
    const packet: Packet = { ...partial, sequence, ordered: p.ordered, payload: p.payload, timeoutHeight: p.timeoutHeight, timeoutTimestamp: p.timeoutTimestamp };
    this.staged.push(packet);
    return packet;
  }

  /** `transfer/send` as a transaction on `chainId` signed by `from`; a sent packet is recorded only if the transaction succeeds. */
  send(chainId: string, from: string, msg: Omit<TransferSendMsg, 'type'>): Outcome<InFlight> {
    const mod = transferModule(this);
    this.staged = [];
    const r = this.chain(chainId).atomically((env) => mod.handleMsg(env, { type: 'transfer/send', ...msg }), from);
    const staged = this.staged;
    this.staged = [];
    if (!r.ok) return { ok: false, code: r.code, error: r.error };
    if (staged.length !== 1) throw new Error(`transfer/send sent ${staged.length} packets`);
    this.nextSeq.set(channelId(staged[0]), staged[0].sequence + 1);
    const rec: InFlight = { packet: staged[0], state: 'sent', hubCounted: false, credited: false };
    this.packets.push(rec);
    return { ok: true, value: rec };
  }

  /** Governance on the hub. */
  setRateLimit(a: Omit<SetRateLimitAction, 'kind'>): Outcome<void> {
    const mod = transferPolicyModule();
    return this.hub.atomically((env) => mod.handleGovAction!(env, { kind: 'transfer/set-rate-limit', ...a }));
  }

  private expect(rec: InFlight, ...states: PacketState[]): void {
    if (!states.includes(rec.state)) throw new Error(`packet ${channelId(rec.packet)}/${rec.packet.sequence} is ${rec.state}, expected ${states.join('|')}`);
  }

  /** The hub receives the packet (or retries a queued one) and asks the policy; a refusal becomes an error ack to the source. */
  hubReceive(rec: InFlight): Outcome<'forward' | 'queue'> {
    this.expect(rec, 'sent', 'queued');
    const r = this.hub.atomically((env) => this.policy.onForward(env, rec.packet));
    if (!r.ok) {
      rec.state = 'acked';
      rec.ack = { ok: false, error: r.code! };
    } else if (r.value === 'forward') {
      rec.state = 'forwarded';
      rec.hubCounted = true;
    } else rec.state = 'queued';
    return r;
  }

  /** The destination receives: onRecv on an overlay; a throw discards its writes and becomes an error ack. */
  deliver(rec: InFlight): Outcome<string> {
    this.expect(rec, 'forwarded');
    const r = this.chain(rec.packet.dstChain).atomically((env) => this.app.onRecv(env, rec.packet));
    rec.state = 'delivered';
    rec.credited = r.ok;
    rec.ack = r.ok ? { ok: true, result: r.value! } : { ok: false, error: r.code! };
    return r;
  }

  /** The hub relays the destination's ack back; an error ack undoes the hub's accounting. */
  hubAck(rec: InFlight): void {
    this.expect(rec, 'delivered');
    if (!rec.ack!.ok) this.forwardFailed(rec);
    rec.state = 'acked';
  }

  /** The hub proves the packet absent on the destination past its timeout. */
  timeoutOnDestination(rec: InFlight): void {
    this.expect(rec, 'forwarded');
    this.forwardFailed(rec);
    rec.state = 'acked';
    rec.ack = { ok: false, error: TIMEOUT_ERROR };
  }

  /** A queued packet expires on the hub: never forwarded, so nothing to undo there. */
  expireQueued(rec: InFlight): void {
    this.expect(rec, 'queued');
    rec.state = 'acked';
    rec.ack = { ok: false, error: TIMEOUT_ERROR };
  }

  /** The source proves the hub never received the packet: onTimeout. */
  timeoutOnHub(rec: InFlight): void {
    this.expect(rec, 'sent');
    must(this.chain(rec.packet.srcChain).atomically((env) => this.app.onTimeout(env, rec.packet)));
    rec.state = 'done';
  }

  /** The source sees the ack. */
  ackSource(rec: InFlight): void {
    this.expect(rec, 'acked');
    must(this.chain(rec.packet.srcChain).atomically((env) => this.app.onAck(env, rec.packet, rec.ack!)));
    rec.state = 'done';
  }

  /** Happy path as far as it goes: hub, destination, hub, source (stops at 'queued'). */
  relay(rec: InFlight): InFlight {
    if (rec.state === 'sent' || rec.state === 'queued') this.hubReceive(rec);
    if (rec.state === 'forwarded') this.deliver(rec);
    if (rec.state === 'delivered') this.hubAck(rec);
    if (rec.state === 'acked') this.ackSource(rec);
    return rec;
  }

  private forwardFailed(rec: InFlight): void {
    must(this.hub.atomically((env) => this.policy.onForwardFailed(env, rec.packet)));
    rec.hubCounted = false;
  }
}

/** Callbacks that must never fail (refunds, accounting reverts). */
export function must<T>(o: Outcome<T>): T {
  if (!o.ok) throw new Error(`unexpected failure ${o.code}: ${(o.error as Error).message}`);
  return o.value as T;
}

