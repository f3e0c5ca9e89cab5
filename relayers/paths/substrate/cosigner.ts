/**
 * A hub validator's co-signer for deliveries into a Substrate chain (DELIVERY.md). It trusts one
 * hub node, its operator's own, and one Substrate key, a signatory of the delivery multisig. For
 * a hub block it re-reads the batch for the chain from that node, and the acks the hub wrote that
 * block for packets the chain sent; drops what the multisig has written already (its remarks on
 * chain) and packets past their timeout by the chain's latest block, builds the delivery call
 * (delivery.ts) and approves it; the approval that
 * completes the threshold carries the call and executes it. A call hash proposed by anyone else
 * that is not the one its own node gives is refused, and nothing is submitted.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ApiPromise } from '@polkadot/api';
import { createKeyMulti, encodeAddress, sortAddresses } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import type { Logger } from 'pino';
import { type Hex, fromHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { PontisError } from '../../../hub-chain/errors.ts';
import { shouldRetry } from '../../errors.ts';
import { decodeRemarkPayload } from '../../../hub-chain/light-clients/substrate/remark.ts';
import { timeoutRecordFor } from '../../../hub-chain/light-clients/substrate/records.ts';
import { type Packet, packetId } from '../../../hub-chain/modules/packets/types.ts';
import { type SubstrateReader, accountId, memo } from '../../../adapters/substrate/reader.ts';
import type { SubstrateWriter } from '../../../adapters/substrate/writer.ts';
import type { BlockEvents, PontisReader } from '../pontis/endpoint.ts';
import { type DeliveryCall, SubstrateDeliveryError, ackedKeyOf, ackedKeysIn, assertCommitted, deliveryCall, inChannelOrder, readHubAcks, readHubBatch, receiptKeyOf, receiptKeysIn, timedOutAt, timeoutKeyOf, timeoutKeysIn } from './delivery.ts';

/** The delivery multisig: its signatories (SS58 or 0x public keys, the co-signer's own among them) and threshold. */
export interface MultisigConfig {
  signatories: string[];
  threshold: number;
}

/** The multisig's account id (pallet_multisig's derivation over the sorted signatories). */
export function multisigAccount(m: MultisigConfig): Hex {
  checkMultisig(m);
  return u8aToHex(createKeyMulti(m.signatories, m.threshold)) as Hex;
}

function checkMultisig(m: MultisigConfig): void {
  const keys = new Set(m.signatories.map(publicKey));
  const bad = (msg: string) => new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_MULTISIG_CONFIG', msg, { details: { signatories: m.signatories.length, threshold: m.threshold } });
  if (keys.size !== m.signatories.length) throw bad('a signatory is listed twice');
  if (!Number.isInteger(m.threshold) || m.threshold < 2 || m.threshold > keys.size) throw bad(`threshold ${m.threshold} of ${keys.size} signatories (2..n)`);
  // a threshold of hub validators: more than 2/3 of them, as the hub's own commits
  if (m.threshold * 3 <= keys.size * 2) throw bad(`threshold ${m.threshold} of ${keys.size} is not more than 2/3`);
}

function publicKey(a: string): Hex {
  const id = accountId(a);
  if (!id) throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_MULTISIG_CONFIG', `not an account: ${a}`);
  return id;
}

interface SavedIndex {
  multisig: string;
  scanned: number;
  receipts: string[];
  timeouts?: string[];
  acked?: string[];
  approvals?: [Hex, string[]][];
  /** Per approved call, the earliest timeout among the packets it delivers: [height, ms], 0 for none. */
  deadlines?: [Hex, [number, number]][];
}

/**
 * What the multisig wrote for packets: the receipt keys (delivered), timeout record keys (timed
 * out) and written-back ack keys (packets the chain sent) of its `System.Remarked` payloads,
 * learnt by scanning blocks from `fromHeight`; and this co-signer's own approvals of deliveries
 * (call hash -> the keys it writes, and its packets' earliest timeout), recorded before each is
 * sent. Kept (with the last block scanned) in `file` when given, so a restart does not scan the
 * chain again and still knows what its open approvals would deliver.
 */
export class DeliveredIndex {
  private scanned: number;
  private readonly receipts = new Set<string>();
  private readonly timeouts = new Set<string>();
  private readonly acked = new Set<string>();
  private readonly approvals = new Map<Hex, string[]>();
  private readonly deadlines = new Map<Hex, [number, number]>();

  constructor(
    private readonly reader: SubstrateReader,
    private readonly multisig: Hex,
    private readonly o: { fromHeight?: number; file?: string } = {},
  ) {
    this.scanned = (o.fromHeight ?? 1) - 1;
    if (o.file && existsSync(o.file)) {
      const saved = JSON.parse(readFileSync(o.file, 'utf8')) as SavedIndex;
      // an index of another multisig says nothing about this one
      if (saved.multisig === multisig) {
        this.scanned = Math.max(this.scanned, saved.scanned);
        for (const r of saved.receipts) this.receipts.add(r);
        for (const t of saved.timeouts ?? []) this.timeouts.add(t);
        for (const a of saved.acked ?? []) this.acked.add(a);
        for (const [h, keys] of saved.approvals ?? []) this.approvals.set(h, keys);
        for (const [h, d] of saved.deadlines ?? []) this.deadlines.set(h, d);
      }
    }
  }

  /** The multisig delivered `p` (its receipt is on chain). */
  has(p: Packet): boolean {
    return this.receipts.has(receiptKeyOf(p));
  }

  /** The multisig recorded `p` as timed out (its timeout record is on chain). */
  hasTimeout(p: Packet): boolean {
    return this.timeouts.has(timeoutKeyOf(p));
  }

  /** The multisig wrote back the hub's ack of `p`, a packet the chain sent. */
  hasAcked(p: Packet): boolean {
    return this.acked.has(ackedKeyOf(p));
  }

  /**
   * Notes this co-signer's approval of `callHash`, which delivers `packets` and writes back the
   * acks of `acked` (before it is sent: a crash after sending must not lose it).
   */
  recordApproval(callHash: Hex, packets: Packet[], acked: Packet[] = []): void {
    if (this.approvals.has(callHash)) return;
    this.approvals.set(callHash, [...packets.map(receiptKeyOf), ...acked.map(ackedKeyOf)]);
    const earliest = (xs: number[]) => Math.min(...xs.filter((x) => x > 0), Infinity);
    const [h, t] = [earliest(packets.map((p) => p.timeoutHeight)), earliest(packets.map((p) => p.timeoutTimestamp))];
    this.deadlines.set(callHash, [Number.isFinite(h) ? h : 0, Number.isFinite(t) ? t : 0]);
    this.save();
  }

  /** A call this co-signer approved delivers a packet that is past its timeout at the chain's block `height` with time `timeMs`. */
  approvedPastTimeout(callHash: Hex, height: number, timeMs: number): boolean {
    const [h, t] = this.deadlines.get(callHash) ?? [0, 0];
    return (h !== 0 && height >= h) || (t !== 0 && timeMs >= t);
  }

  /** The keys a call this co-signer approved writes (receipts, written-back acks); undefined for a call it has no record of. */
  approvedDeliveries(callHash: Hex): readonly string[] | undefined {
    return this.approvals.get(callHash);
  }

  /** A key an approved call writes is on the chain already, by another call: its receipt, the packet's timeout record, or the ack written back. */
  writtenElsewhere(key: string): boolean {
    const record = timeoutRecordFor(utf8(key));
    return this.receipts.has(key) || this.acked.has(key) || (record !== null && this.timeouts.has(Buffer.from(record).toString('utf8')));
  }

  /** By receipt key (`pkt/rcpt/<ch>/<seq>`). */
  hasReceipt(key: string): boolean {
    return this.receipts.has(key);
  }

  get scannedTo(): number {
    return this.scanned;
  }

  /** Scans up to `to` (default the chain's latest block). */
  async sync(to?: number): Promise<void> {
    const tip = to ?? (await this.reader.latestHeight());
    const STEP = 64;
    for (let from = this.scanned + 1; from <= tip; from += STEP) {
      const end = Math.min(tip, from + STEP - 1);
      const events = await this.reader.events({ sources: ['system'], names: ['Remarked'] }, from, end);
      for (const ev of events) {
        if (publicKey(String(ev.args.sender)) !== this.multisig) continue;
        let pairs;
        try {
          pairs = decodeRemarkPayload(fromHex(await this.reader.remarkPayload(ev.blockHash, ev.index)));
        } catch (e) {
          if (e instanceof PontisError && e.retryable) throw e;
          continue; // a remark that is no Pontis write
        }
        for (const k of receiptKeysIn(pairs)) this.receipts.add(k);
        for (const k of timeoutKeysIn(pairs)) this.timeouts.add(k);
        for (const k of ackedKeysIn(pairs)) this.acked.add(k);
      }
      this.scanned = end;
      this.save();
    }
  }

  private save(): void {
    if (!this.o.file) return;
    const tmp = `${this.o.file}.tmp`;
    const saved: SavedIndex = { multisig: this.multisig, scanned: this.scanned, receipts: [...this.receipts], timeouts: [...this.timeouts], acked: [...this.acked], approvals: [...this.approvals], deadlines: [...this.deadlines] };
    writeFileSync(tmp, JSON.stringify(saved));
    renameSync(tmp, this.o.file);
  }
}

export interface CosignerOptions {
  /** The operator's own hub node: the only source of what the hub committed. */
  hub: PontisReader;
  /** The Substrate chain's id on the hub. */
  chainId: string;
  /** Signs with the validator's Substrate key (a signatory). */
  writer: SubstrateWriter;
  multisig: MultisigConfig;
  /** Defaults to a fresh index scanning from block 1. */
  index?: DeliveredIndex;
  logger?: Logger;
}

/** Another party's proposal: the call hash it approved, and the packets it says the batch holds. */
export interface CosignProposal {
  callHash?: Hex;
  packets?: Packet[];
}

export interface CosignOutcome {
  height: number;
  /**
   * `approved`: this approval is stored, the threshold is not met yet; `executed`: this approval met
   * it and the call ran; `delivered`: everything of the batch is written on the chain already
   * (receipts or timeout records), nothing is signed.
   */
  status: 'approved' | 'executed' | 'already-approved' | 'delivered' | 'nothing-due';
  callHash?: Hex;
  txHash?: string;
  /** Where an executed call's remark is (for `remarkProof`). */
  remark?: { blockHash: string; eventIndex: number };
  /** Packets left out: delivered (or their ack written back) before, or recorded as timed out before. */
  delivered: string[];
  timedOut: string[];
  /** Packets past their timeout on the chain that this call records as timed out. */
  timeouts: string[];
  /** Packets the chain sent whose acks this call writes back. */
  acks: string[];
  /**
   * Packets left for a later round: behind an undelivered sequence of their ordered channel, or past
   * their timeout while an approval of this co-signer that would deliver them is still open.
   */
  held: string[];
}

interface PendingMultisig {
  when: { height: number; index: number };
  approvals: Hex[];
}

export class Cosigner {
  readonly account: Hex;
  private readonly index: DeliveredIndex;
  /** callWeight's estimates by call hash (the newest 64). */
  private readonly weights = new Map<string, Promise<{ refTime: bigint; proofSize: bigint }>>();
  private readonly logger: Logger | undefined;

  constructor(private readonly o: CosignerOptions) {
    this.account = multisigAccount(o.multisig);
    this.index = o.index ?? new DeliveredIndex(o.writer, this.account);
    this.logger = o.logger?.child({ chainId: o.chainId });
  }

  /** The multisig account as SS58 with the chain's prefix. */
  async address(): Promise<string> {
    const api = await this.o.writer.connected();
    return encodeAddress(this.account, api.registry.chainSS58);
  }

  /**
   * Co-signs the delivery of what the hub committed for the chain in hub block `height`, as this
   * co-signer's own node shows it. With a `proposal`, first checks it: its packets must be
   * committed on the node and its call hash must be the one computed here, else
   * `PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED` / `PNT_ERR_RELAY_SUBSTRATE_CALL_MISMATCH` and nothing
   * is submitted.
   */
  async cosign(height: number, proposal: CosignProposal = {}): Promise<CosignOutcome> {
    if (proposal.packets?.length) await assertCommitted(this.o.hub, proposal.packets);
    // both read the block's events: fetched once, and only when the block has a batch or the acks are looked for
    let events: Promise<BlockEvents> | undefined;
    const blockEvents = () => (events ??= this.o.hub.blockEvents(height));
    const found = await readHubBatch(this.o.hub, this.o.chainId, height, blockEvents);
    const hubAcks = await readHubAcks(this.o.hub, this.o.chainId, height, blockEvents);
    // proposed packets need a batch of the block; with neither a batch nor acks there is nothing to sign
    if (!found && (proposal.packets?.length || !hubAcks.length)) {
      if (proposal.callHash || proposal.packets?.length) {
        throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED', `the hub committed nothing for ${this.o.chainId} in block ${height}`, { details: { chain: this.o.chainId, height } });
      }
      return { height, status: 'nothing-due', delivered: [], timedOut: [], timeouts: [], acks: [], held: [] };
    }
    const batch = found ?? { packets: [], resolved: [] };
    if (proposal.packets?.length) {
      const ours = new Set(batch.packets.map(packetId));
      // (a proposed packet the hub has resolved failed assertCommitted above)
      const foreign = proposal.packets.find((p) => !ours.has(packetId(p)));
      if (foreign) throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_NOT_COMMITTED', `packet ${packetId(foreign)} is not in the hub's batch for ${this.o.chainId} at ${height}`, { details: { packet: packetId(foreign), height } });
    }

    const api = await this.o.writer.connected();
    const tip = await this.o.writer.latestHeight();
    await this.index.sync(tip);
    const time = await this.o.writer.blockTime(tip);
    const all = [...batch.packets, ...batch.resolved];
    const delivered = [...all.filter((p) => this.index.has(p)), ...hubAcks.filter((a) => this.index.hasAcked(a.packet)).map((a) => a.packet)];
    const acks = hubAcks.filter((a) => !this.index.hasAcked(a.packet));
    const recorded = all.filter((p) => this.index.hasTimeout(p));
    // a packet gets a receipt or a timeout record, never both: the index keeps both kinds
    const open = batch.packets.filter((p) => !this.index.has(p) && !this.index.hasTimeout(p));
    const expired = open.filter((p) => timedOutAt(p, tip, time));
    const { due, held } = inChannelOrder(
      open.filter((p) => !timedOutAt(p, tip, time)),
      (k) => this.index.hasReceipt(k),
    );
    const blocked = expired.length ? await this.openDeliveries(api, tip, expired) : new Set<Packet>();
    const timeouts = expired.filter((p) => !blocked.has(p));
    const left = { delivered: delivered.map(packetId), timedOut: recorded.map(packetId), timeouts: timeouts.map(packetId), acks: acks.map((a) => packetId(a.packet)), held: [...held, ...blocked].map(packetId) };
    if (blocked.size) this.logger?.warn({ height, packets: [...blocked].map(packetId) }, 'not recording timeouts of packets an open approval of this co-signer would deliver');
    if (!due.length && !timeouts.length && !acks.length) {
      // a proposal for packets already written (or held) is refused, not signed
      if (proposal.callHash) throw this.mismatch(height, proposal.callHash, undefined);
      return { height, status: delivered.length || recorded.length ? 'delivered' : 'nothing-due', ...left };
    }

    const dc = deliveryCall(api, due, timeouts, acks);
    if (proposal.callHash && proposal.callHash.toLowerCase() !== dc.callHash) throw this.mismatch(height, proposal.callHash, dc.callHash);
    if (timeouts.length) this.logger?.info({ height, packets: left.timeouts, chainHeight: tip, chainTime: time }, 'recording packets past their timeout on the chain');
    const out = await this.approve(api, dc, height);
    return { ...out, ...left };
  }

  private mismatch(height: number, proposed: Hex, computed: Hex | undefined): SubstrateDeliveryError {
    const ours = computed ? `${computed} on this validator's node` : "nothing is due for it on this validator's node: delivered, recorded as timed out, or held";
    return new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_CALL_MISMATCH', `the proposed call ${proposed} is not the delivery of hub block ${height} (${ours})`, { details: { height, proposed, computed: computed ?? null } });
  }

  /**
   * Of `expired`, the packets this co-signer must not record as timed out yet: an open multisig
   * operation holding its approval would deliver them (its executing later would write a receipt
   * beside the timeout record). Read at the block the index was synced to, so an operation that
   * executed since shows as a receipt instead. An open approval it has no record of holds them all.
   */
  private async openDeliveries(api: ApiPromise, tip: number, expired: Packet[]): Promise<Set<Packet>> {
    const me = publicKey(await this.o.writer.address());
    const hash = await this.o.writer.blockHash(tip);
    // the synced block is gone (a reorganisation): nothing can be said about its operations
    if (!hash) return new Set(expired);
    const entries = (await multisigsAt(api, hash, this.account)) as unknown as [{ args: [unknown, { toHex(): string }] }, { isSome: boolean; unwrap(): { approvals: { toHex(): string }[] } }][];
    const keys = new Set<string>();
    for (const [k, v] of entries) {
      if (!v.isSome || !v.unwrap().approvals.some((a) => a.toHex() === me)) continue;
      const delivers = this.index.approvedDeliveries(k.args[1].toHex() as Hex);
      if (!delivers) return new Set(expired);
      for (const r of delivers) keys.add(r);
    }
    return new Set(expired.filter((p) => keys.has(receiptKeyOf(p))));
  }

  private async approve(api: ApiPromise, dc: DeliveryCall, height: number): Promise<Omit<CosignOutcome, 'delivered' | 'timedOut' | 'timeouts' | 'acks' | 'held'>> {
    const me = publicKey(await this.o.writer.address());
    const keys = this.o.multisig.signatories.map(publicKey);
    if (!keys.includes(me)) throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_MULTISIG_CONFIG', 'this co-signer\'s key is not a signatory of the delivery multisig');
    const others = sortAddresses(keys.filter((k) => k !== me));
    const pending = await this.pending(api, dc.callHash);
    const mine = pending?.approvals.includes(me) ?? false;
    const approvals = (pending?.approvals.length ?? 0) + (mine ? 0 : 1);
    const timepoint = pending ? pending.when : null;
    const t = this.o.multisig.threshold;

    if (approvals < t) {
      if (mine) return { height, status: 'already-approved', callHash: dc.callHash };
      const weight = await this.callWeight(api, dc);
      this.index.recordApproval(dc.callHash, dc.packets, dc.acks.map((a) => a.packet));
      const r = await this.o.writer.send({ pallet: 'multisig', call: 'approveAsMulti', args: this.args(api, 'approveAsMulti', { threshold: t, otherSignatories: others, maybeTimepoint: timepoint, callHash: dc.callHash, maxWeight: weight }) });
      this.logger?.info({ height, callHash: dc.callHash, approvals, threshold: t, txHash: r.txHash }, 'approved a delivery');
      return { height, status: 'approved', callHash: dc.callHash, txHash: r.txHash };
    }
    // this approval completes the threshold (or completes one that others met without the call): it carries the call
    const weight = await this.callWeight(api, dc);
    this.index.recordApproval(dc.callHash, dc.packets, dc.acks.map((a) => a.packet));
    const call = api.createType('Call', dc.call);
    const r = await this.o.writer.send({ pallet: 'multisig', call: 'asMulti', args: this.args(api, 'asMulti', { threshold: t, otherSignatories: others, maybeTimepoint: timepoint, call, storeCall: false, maxWeight: weight }) });
    const events = (await this.o.writer.blockEventsAt(r.blockHash)).filter((e) => (e.raw as { phase: { applyExtrinsic?: number } }).phase.applyExtrinsic === r.txIndex);
    const executed = events.find((e) => e.source === 'multisig' && e.name === 'MultisigExecuted');
    const result = executed?.args.result as { ok?: unknown; err?: unknown } | undefined;
    if (!executed || !result || !('ok' in result)) {
      throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_EXECUTION_FAILED', `the delivery of hub block ${height} did not execute: ${executed ? JSON.stringify(result) : 'no MultisigExecuted event'}`, {
        details: { height, callHash: dc.callHash, txHash: r.txHash, blockHash: r.blockHash },
      });
    }
    const remark = events.find((e) => e.source === 'system' && e.name === 'Remarked' && publicKey(String(e.args.sender)) === this.account);
    this.logger?.info({ height, callHash: dc.callHash, txHash: r.txHash, packets: dc.packets.length, timeouts: dc.timeouts.length, acks: dc.acks.length }, 'executed a delivery');
    return { height, status: 'executed', callHash: dc.callHash, txHash: r.txHash, ...(remark ? { remark: { blockHash: r.blockHash, eventIndex: remark.index } } : {}) };
  }

  /**
   * Cancels this co-signer's stale operations: open multisig operations it deposited whose call
   * either has a write on the chain already by another call (a packet delivered or recorded as
   * timed out, an ack written back: the call must never execute), or would deliver a packet now
   * past its timeout by the chain's latest block (the co-signers who looked later compute the
   * timeout record instead, and this approval would hold this co-signer back from it: with no
   * slack in the threshold, 2 of 2, nobody would ever agree). Only its depositor can cancel an
   * operation (`multisig.cancelAsMulti`), which returns the deposit and ends the hold its approval
   * puts on timeout records: the next round computes the call anew. An operation it has no record
   * of is left to its operator. Returns the call hashes cancelled.
   */
  async cancelStale(): Promise<Hex[]> {
    const api = await this.o.writer.connected();
    const me = publicKey(await this.o.writer.address());
    const tip = await this.o.writer.latestHeight();
    await this.index.sync(tip);
    const hash = await this.o.writer.blockHash(tip);
    if (!hash) return [];
    const time = await this.o.writer.blockTime(tip);
    type Entry = [{ args: [unknown, { toHex(): string }] }, { isSome: boolean; unwrap(): { depositor: { toHex(): string }; when: { height: { toNumber(): number }; index: { toNumber(): number } } } }];
    const entries = (await multisigsAt(api, hash, this.account)) as unknown as Entry[];
    const others = sortAddresses(this.o.multisig.signatories.map(publicKey).filter((k) => k !== me));
    const cancelled: Hex[] = [];
    for (const [k, v] of entries) {
      if (!v.isSome) continue;
      const op = v.unwrap();
      const callHash = k.args[1].toHex() as Hex;
      const keys = this.index.approvedDeliveries(callHash);
      if (op.depositor.toHex() !== me || !keys) continue;
      if (!keys.some((x) => this.index.writtenElsewhere(x)) && !this.index.approvedPastTimeout(callHash, tip, time)) continue;
      const timepoint = { height: op.when.height.toNumber(), index: op.when.index.toNumber() };
      const r = await this.o.writer.send({ pallet: 'multisig', call: 'cancelAsMulti', args: [this.o.multisig.threshold, others, timepoint, callHash] });
      this.logger?.info({ callHash, txHash: r.txHash }, 'cancelled a stale delivery operation: part of it is on the chain by another call, or it would deliver a packet past its timeout');
      cancelled.push(callHash);
    }
    return cancelled;
  }

  /** `Multisig.Multisigs(account, callHash)`: the open operation for this call, if any. */
  private async pending(api: ApiPromise, callHash: Hex): Promise<PendingMultisig | undefined> {
    const v = (await api.query.multisig.multisigs(this.account, callHash)) as unknown as { isSome: boolean; unwrap(): { when: { height: { toNumber(): number }; index: { toNumber(): number } }; approvals: { toHex(): string }[] } };
    if (!v.isSome) return undefined;
    const m = v.unwrap();
    return { when: { height: m.when.height.toNumber(), index: m.when.index.toNumber() }, approvals: m.approvals.map((a) => a.toHex() as Hex) };
  }

  /**
   * The call's weight (the runtime's own estimate), as the multisig's `maxWeight` takes it. Once
   * per call: the estimate runs the runtime (paymentInfo), which on chopsticks took 0.3-2.9 s and
   * held up the chain's block building while four co-signers asked for it every round.
   */
  private callWeight(api: ApiPromise, dc: DeliveryCall): Promise<{ refTime: bigint; proofSize: bigint }> {
    return memo(this.weights, dc.callHash, 64, () => this.estimateWeight(api, dc));
  }

  private async estimateWeight(api: ApiPromise, dc: DeliveryCall): Promise<{ refTime: bigint; proofSize: bigint }> {
    const xt = api.tx(api.createType('Call', dc.call));
    const info = await xt.paymentInfo(encodeAddress(this.account, api.registry.chainSS58));
    const w = info.weight as unknown as { refTime?: { toBigInt(): bigint }; proofSize?: { toBigInt(): bigint }; toBigInt?: () => bigint };
    // a margin over the estimate: the pallet refuses a call heavier than maxWeight, and refunds what is unused
    const ref = w.refTime ? w.refTime.toBigInt() : w.toBigInt!();
    return { refTime: ref * 2n, proofSize: (w.proofSize?.toBigInt() ?? 0n) * 2n + 65_536n };
  }

  /** Arguments by the runtime's own argument names (an older multisig has `storeCall` and a u64 weight). */
  private args(api: ApiPromise, call: 'asMulti' | 'approveAsMulti', v: Record<string, unknown>): unknown[] {
    const meta = api.tx.multisig[call].meta.args;
    return meta.map((a) => {
      const name = a.name.toString().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      if (name === 'maxWeight') {
        const w = v.maxWeight as { refTime: bigint; proofSize: bigint };
        return a.type.toString() === 'u64' ? w.refTime : { refTime: w.refTime, proofSize: w.proofSize };
      }
      if (!(name in v)) throw new SubstrateDeliveryError('PNT_ERR_RELAY_SUBSTRATE_MULTISIG_CONFIG', `the runtime's multisig.${call} takes an argument ${name} this co-signer does not know`);
      return v[name];
    });
  }
}

export interface FollowOptions {
  /** The first hub height to co-sign. */
  from: number;
  /** Pause between rounds; default 1 s. */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Each attempt's outcome, or the error it failed with. */
  onHeight?: (height: number, r: CosignOutcome | Error) => void;
  /** Stale operations of this co-signer cancelled in a round (`Cosigner.cancelStale`). */
  onCancelled?: (callHashes: Hex[]) => void;
}

/**
 * Co-signs every hub block from `from` on as the node commits it, until `signal` aborts; returns
 * the next new height it would have looked at. A height stays open until its batch is delivered
 * (or nothing in it is due): an approval that did not execute is looked at again each round, so
 * the co-signer whose turn completes the threshold (including one that approved already, when
 * approvals raced past it without the call) carries the call. A failed attempt (a node away, a
 * pool refusal, a multisig race lost) is tried again next round; the co-signer's own refusal that
 * the error catalog calls fatal (a batch its node disagrees with) is reported and dropped.
 */
/**
 * The multisig's open operations at block `hash`. Not through api.at(hash): that decorates the
 * whole metadata again on every call (50-100 ms of CPU), and a co-signer asks every round; the
 * storage read at a hash decodes with that block's registry all the same (the API's registry swap).
 */
function multisigsAt(api: ApiPromise, hash: Hex, account: string): Promise<unknown> {
  return api.query.multisig.multisigs.entriesAt(hash, account);
}

export async function followHub(cosigner: Cosigner, hub: PontisReader, o: FollowOptions): Promise<number> {
  let next = o.from;
  const open = new Set<number>();
  const pause = () =>
    new Promise<void>((r) => {
      const wake = () => (clearTimeout(t), r());
      // the listener goes with its pause: a follower pauses every round
      const t = setTimeout(() => (o.signal?.removeEventListener('abort', wake), r()), o.intervalMs ?? 1000);
      o.signal?.addEventListener('abort', wake, { once: true });
    });
  const attempt = async (h: number) => {
    try {
      const r = await cosigner.cosign(h);
      o.onHeight?.(h, r);
      // held packets wait for their channel's gap to close: the height is looked at again
      if (r.status === 'approved' || r.status === 'already-approved' || r.held.length) open.add(h);
      else open.delete(h);
    } catch (e) {
      o.onHeight?.(h, e as Error);
      // the co-signer's own refusal the catalog calls fatal (a batch its node disagrees with, a packet
      // it does not hold, an unusable multisig) is final for this height; a chain's answer (a lost
      // approval race, a pool refusal, a node away) is tried again next round
      if (e instanceof SubstrateDeliveryError && !shouldRetry(e)) open.delete(h);
      else open.add(h);
    }
  };
  while (!o.signal?.aborted) {
    for (const h of [...open].sort((a, b) => a - b)) if (!o.signal?.aborted) await attempt(h);
    let tip = next - 1;
    try {
      tip = await hub.latestHeight();
    } catch (e) {
      o.onHeight?.(next, e as Error);
    }
    for (; next <= tip && !o.signal?.aborted; next++) await attempt(next);
    if (!o.signal?.aborted) {
      try {
        const cancelled = await cosigner.cancelStale();
        if (cancelled.length) o.onCancelled?.(cancelled);
      } catch (e) {
        o.onHeight?.(next, e as Error);
      }
    }
    await pause();
  }
  return next;
}
