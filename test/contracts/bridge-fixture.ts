/**
 * Two EVM "chains" (evm-a, evm-b: a Gateway and a TokenBridge each, on one anvil) joined by a hub
 * whose state is a real StateStore with validly signed headers (ChainBuilder), followed by one
 * real PontisClient both gateways use. The hub's part is played by writing what its packet
 * module writes (the forwarded commitment, the ack; a timeout is proven by the packet's receipt bit clear); every delivery
 * goes through the Gateways with real hub proofs. The test-only tokens live in
 * contracts/evm/src/test/ (built with the rest by build.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Contract, Interface, type Log, type LogDescription } from 'ethers';
import { open, type RootDatabase } from 'lmdb';
import { packetFromSolidity, solidityPacket } from '../../contracts/evm/encode.ts';
import { concat, fromHex, type Hex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type Packet, ackLeaf, channelId, encodeAck, encodeBatchValue, packetCommitment, packetKeys, withReceiptBit } from '../../hub-chain/modules/packets/types.ts';
import { merkleProofs, merkleRoot } from '../../hub-chain/crypto/merkle.ts';
import { encodeProof } from '../../hub-chain/state/proof.ts';
import { StateStore } from '../../hub-chain/state/store.ts';
import type { ModuleEnv } from '../../hub-chain/app/module.ts';
import { outstandingOf, transferForwardPolicy } from '../../hub-chain/modules/transfer/policy.ts';
import { ChainBuilder } from '../support/chain-builder.ts';
import { type Anvil, startAnvil } from './anvil.ts';
import { deployClient, submit } from './client-fixture.ts';
import { MapStore } from '../support/kv.ts';
import { gatewayReceiptProof } from '../../relayers/paths/evm/from-hub.ts';

export const HUB_CHAIN = 'pontis-hub-1';
export const APP_GAS = 1_000_000;

/** The hub as the EVM chains see it: real state, signed headers, and the client following them. */
/** `Gateway.acknowledge`'s arguments: proof height, batches, packets, acks, batchOf, indices, paths. */
export type AckArgs = [number, (readonly [number, Hex, number, Uint8Array])[], unknown[], Uint8Array[], number[], number[], Hex[]];

export class Hub {
  private lastTime: number;
  private constructor(
    readonly store: StateStore,
    readonly client: Contract,
    readonly chain: ChainBuilder,
  ) {
    this.lastTime = chain.header(1).time;
  }

  static async start(anvil: Anvil, store: StateStore, nowMs: number, seed: string): Promise<Hub> {
    const ws = store.working();
    ws.set(utf8('hub/genesis'), utf8('1'));
    const root = await store.commit(ws, 1);
    const chain = new ChainBuilder({ chainId: HUB_CHAIN, genesisTime: nowMs - 600_000, seed }).setStateRoot(1, root).extendTo(1);
    return new Hub(store, await deployClient(anvil, chain, 1), chain);
  }

  get time(): number {
    return this.lastTime;
  }

  /** Commits the next hub height with `writes` (undefined deletes), at `time` (default +1 s), and updates the client. */
  async advance(writes: [Uint8Array, Uint8Array | undefined][], time = this.lastTime + 1000): Promise<number> {
    const v = this.store.latestVersion() + 1;
    const ws = this.store.working();
    for (const [k, val] of writes) {
      if (val === undefined) ws.delete(k);
      else ws.set(k, val);
    }
    const root = await this.store.commit(ws, v);
    this.chain.setStateRoot(v, root).setTime(v, time).extendTo(v);
    this.lastTime = time;
    await submit(this.client, this.chain.signedHeader(v), this.chain.validatorSet(v));
    return v;
  }

  /**
   * Commits the next hub height with one ack batch for `chain` holding the acks of `items` (ADR
   * 0017; key height = the new version), plus `writes`; returns the new height and the arguments of
   * `Gateway.acknowledge` for every item, each proven by its path.
   */
  async ackBatch(chain: string, items: { packet: Packet; ack: Uint8Array }[], writes: [Uint8Array, Uint8Array | undefined][] = []): Promise<{ v: number; args: AckArgs }> {
    const leaves = items.map((i) => ackLeaf(i.packet, i.ack));
    const v = this.store.latestVersion() + 1;
    const root = merkleRoot(leaves);
    await this.advance([[packetKeys.ackBatch(chain, v), encodeBatchValue(root, leaves.length)], ...writes]);
    const batch = [v, toHex(root), leaves.length, this.proof(packetKeys.ackBatch(chain, v), v)] as const;
    const paths = merkleProofs(leaves, leaves.map((_, i) => i));
    return { v, args: [v, [batch], items.map((i) => solidityPacket(i.packet)), items.map((i) => i.ack), items.map(() => 0), paths.map((m) => m.index), paths.map((m) => toHex(concat(...m.siblings)))] };
  }

  proof(key: Uint8Array, version: number): Uint8Array {
    return encodeProof(this.store.getWithProof(key, version).proof);
  }

  /** The writes by which the hub records receiving `packets`: their bits set in their receipt words (ADR 0017), on top of the latest state. */
  receiptWrites(...packets: Packet[]): [Uint8Array, Uint8Array][] {
    const words = new Map<string, [Uint8Array, Uint8Array]>();
    for (const p of packets) {
      const key = packetKeys.receiptBits(channelId(p), p.sequence);
      const id = toHex(key);
      const word = words.get(id)?.[1] ?? this.store.get(key);
      words.set(id, [key, withReceiptBit(word, p.sequence)]);
    }
    return [...words.values()];
  }

  /**
   * What `Gateway.timeout` takes as the hub's proof, at `version`, that it had not received
   * `packet`: `packet`'s receipt word with its proof, or the word's absence proof
   * (gatewayReceiptProof; built as is, also when the packet's bit is set).
   */
  receiptProof(packet: Packet, version: number): Hex {
    const { value, proof } = this.store.getWithProof(packetKeys.receiptBits(channelId(packet), packet.sequence), version);
    return gatewayReceiptProof(value === undefined ? null : toHex(value), proof);
  }
}

/**
 * The hub's own transfer forward policy (hub-chain/modules/transfer/policy.ts: per-route
 * outstanding accounting, onward checks, rate limits) run on the packets the bridges send, so the
 * tests show the hub's accounting applies to them unchanged. Its store is kept apart from the
 * proven hub state (the policy's keys are not what the Gateways read).
 */
export class HubAccounting {
  readonly store = new MapStore();
  private readonly policy = transferForwardPolicy();
  constructor(private readonly hub: Hub) {}

  private env(): ModuleEnv {
    return { chainId: HUB_CHAIN, height: 0, time: this.hub.time, txHash: '0x', sender: '0x', store: this.store, emit: () => undefined, events: [] } as unknown as ModuleEnv;
  }

  /** Throws the hub's refusal (e.g. PNT_ERR_TRANSFER_EXCEEDS_ESCROW) like the hub would. */
  forward(packet: Packet): void {
    const r = this.policy.onForward(this.env(), packet);
    if (r !== 'forward') throw new Error(`hub policy answered ${r}`);
  }

  forwardFailed(packet: Packet): void {
    this.policy.onForwardFailed(this.env(), packet);
  }

  outstanding(src: string, dst: string, denom: string): bigint {
    return outstandingOf(this.store, src, dst, denom);
  }
}

export interface Side {
  chainId: string;
  gateway: Contract;
  bridge: Contract;
}

export interface Delivery {
  packet: Packet;
  ack: Uint8Array;
  logs: LogDescription[];
  /** The hub height the delivery was proven at, and the proof (a relayer can replay them). */
  height: number;
  proof: Uint8Array;
}

/** Two bridged EVM chains and a hub; helpers move packets through the Gateways with real proofs. */
export class BridgeWorld {
  private constructor(
    readonly anvil: Anvil,
    readonly hub: Hub,
    readonly a: Side,
    readonly b: Side,
    private readonly dir: string,
    private readonly env: RootDatabase,
    readonly iface: Interface,
  ) {
    this.accounting = new HubAccounting(hub);
  }

  /** The hub's transfer accounting, applied by deliver() to every transfer packet it forwards. */
  readonly accounting: HubAccounting;

  static async start(seed = 'evm-bridge-hub'): Promise<BridgeWorld> {
    const anvil = await startAnvil();
    const dir = mkdtempSync(join(tmpdir(), 'pontis-evm-bridge-'));
    const env = open({ path: dir, maxDbs: 16 });
    const block = await anvil.provider.getBlock('latest');
    const hub = await Hub.start(anvil, StateStore.open(env), block!.timestamp * 1000, seed);
    const admin = await anvil.signer.getAddress();
    const side = async (chainId: string): Promise<Side> => {
      const gateway = await anvil.deploy('Gateway', await hub.client.getAddress(), chainId, APP_GAS);
      const bridge = await anvil.deploy('TokenBridge', await gateway.getAddress(), admin);
      return { chainId, gateway, bridge };
    };
    const a = await side('evm-a');
    const b = await side('evm-b');
    const frags = new Map<string, unknown>();
    for (const c of [a.gateway, a.bridge]) for (const f of c.interface.fragments) if (f.type === 'event') frags.set(f.format('json'), JSON.parse(f.format('json')));
    return new BridgeWorld(anvil, hub, a, b, dir, env, new Interface([...frags.values()] as never));
  }

  async stop(): Promise<void> {
    await this.anvil.stop();
    await this.env.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async deployTest(name: string, ...args: unknown[]): Promise<Contract> {
    return this.anvil.deploy(name, ...args);
  }

  /** A contract at `address` with a built artifact's ABI (e.g. a WrappedToken the bridge created). */
  at(name: string, address: string): Contract {
    const a = this.anvil.artifacts[name];
    if (!a) throw new Error(`no artifact ${name}`);
    return new Contract(address, a.abi as never, this.anvil.signer);
  }

  async nowMs(): Promise<number> {
    const b = await this.anvil.provider.getBlock('latest');
    return b!.timestamp * 1000;
  }

  parse(logs: readonly Log[]): LogDescription[] {
    return logs.map((l) => this.iface.parseLog(l)).filter((d): d is LogDescription => d !== null);
  }

  /** Waits for a transaction and returns its gateway and bridge events. */
  async mined(p: Promise<{ wait: () => Promise<{ logs: readonly Log[]; gasUsed: bigint } | null> }>): Promise<{ logs: LogDescription[]; gasUsed: bigint }> {
    const rcpt = await (await p).wait();
    return { logs: this.parse(rcpt!.logs), gasUsed: rcpt!.gasUsed };
  }

  /** The packet a send transaction emitted. */
  async sent(p: Promise<{ wait: () => Promise<{ logs: readonly Log[]; gasUsed: bigint } | null> }>): Promise<Packet> {
    const { logs } = await this.mined(p);
    const ev = logs.find((l) => l.name === 'PacketSent');
    if (!ev) throw new Error('no PacketSent');
    return packetFromSolidity(ev.args.packet);
  }

  side(chainId: string): Side {
    return chainId === this.a.chainId ? this.a : this.b;
  }

  /**
   * The hub forwards `packet` (its transfer policy first, unless hubPolicy is false: a hub that
   * let it through) and commits it again, and the destination's Gateway receives it with
   * a proof of that commitment. Returns the destination's ack and the receive transaction's events.
   */
  async deliver(packet: Packet, opts: { hubPolicy?: boolean } = {}): Promise<Delivery & { gasUsed: bigint }> {
    const counted = opts.hubPolicy !== false && packet.srcApp === 'transfer';
    if (counted) this.accounting.forward(packet);
    const key = packetKeys.outbound(channelId(packet), packet.sequence);
    const v = await this.hub.advance([[key, packetCommitment(packet)]]);
    const dst = this.side(packet.dstChain);
    const proof = this.hub.proof(key, v);
    const { logs, gasUsed } = await this.mined(dst.gateway.recvPackets(v, [solidityPacket(packet)], [proof]));
    const recv = logs.find((l) => l.name === 'PacketReceived');
    if (!recv) {
      const r = logs.find((l) => l.name === 'PacketResult');
      throw new Error(`packet not received: ${r ? String(r.args.reason) : 'no result'}`);
    }
    const ack = fromHex(recv.args.ack as Hex);
    // the hub undoes its accounting when the destination answers with an error ack
    if (counted && ack[0] === 0) this.accounting.forwardFailed(packet);
    return { packet, ack, logs, gasUsed, height: v, proof };
  }

  /** The hub records `ack` for `packet` (its own or the destination's) and the source's Gateway acknowledges it. */
  async acknowledge(packet: Packet, ack: Uint8Array): Promise<LogDescription[]> {
    const ch = channelId(packet);
    const { args } = await this.hub.ackBatch(packet.srcChain, [{ packet, ack }], [[packetKeys.outbound(ch, packet.sequence), undefined]]);
    const src = this.side(packet.srcChain);
    const { logs } = await this.mined(src.gateway.acknowledge(...args));
    const r = logs.find((l) => l.name === 'PacketResult');
    if (!r || Number(r.args.result) !== 0) throw new Error(`ack not applied: ${r ? String(r.args.reason) : 'no result'}`);
    return logs;
  }

  /** Deliver, then carry the destination's ack back to the source. */
  async roundTrip(packet: Packet): Promise<Delivery> {
    const d = await this.deliver(packet);
    await this.acknowledge(packet, d.ack);
    return d;
  }

  /** The hub refuses `packet` (error ack with `code`, e.g. a rate limit on the hub) and the source refunds. */
  async hubRefuses(packet: Packet, code = 'PNT_ERR_RATE_LIMITED'): Promise<LogDescription[]> {
    return this.acknowledge(packet, encodeAck({ ok: false, error: code }));
  }

  /**
   * The hub never received `packet`: a hub header at its timeout proves its receipt bit clear (or
   * its receipt word absent) and the source's Gateway times it out. Moves anvil's clock along so the hub header is not "from the future".
   */
  async timeOut(packet: Packet): Promise<LogDescription[]> {
    const now = await this.nowMs();
    if (packet.timeoutTimestamp > now) await this.anvil.increaseTime(Math.ceil((packet.timeoutTimestamp - now) / 1000) + 1);
    const time = Math.max(packet.timeoutTimestamp, this.hub.time + 1000);
    const v = await this.hub.advance([], time);
    const src = this.side(packet.srcChain);
    const { logs } = await this.mined(src.gateway.timeout(v, [solidityPacket(packet)], [this.hub.receiptProof(packet, v)]));
    const r = logs.find((l) => l.name === 'PacketResult');
    if (!r || Number(r.args.result) !== 0) throw new Error(`timeout not applied: ${r ? String(r.args.reason) : 'no result'}`);
    return logs;
  }
}

/** The error code of an error ack, or undefined for a success ack. */
export function ackError(ack: Uint8Array): string | undefined {
  return ack[0] === 0 ? Buffer.from(ack.subarray(1)).toString('utf8') : undefined;
}

/** The result of a success ack as text. */
export function ackResult(ack: Uint8Array): string {
  return Buffer.from(ack.subarray(1)).toString('utf8');
}
