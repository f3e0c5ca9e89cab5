/**
 * The hub -> Fabric leg, and timeouts both ways. The chaincode's `pontis` client of the hub is
 * moved to a hub height H (header, commit and validator sets, verified by the chaincode on every
 * endorsing peer), and `recvPackets` / `acknowledgePackets` / `timeoutPackets` carry the hub's
 * state proofs at H. Per-item results come back in the transaction's answer. Two relayers racing
 * on one key lose an MVCC check, not a packet: the loser's transaction is invalid and retried.
 *
 * A packet the hub forwarded to Fabric times out in two steps (ADR 0015): `timeoutPacket` on
 * Fabric writes the TIMEOUT marker at its receipt key (refused once received), then the hub's
 * `packets/timeout` carries a GetState of that key, endorsed by the policy's orgs, showing the marker.
 */
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { type Hex, equalBytes, fromHex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { FABRIC_TIMEOUT_MARKER } from '../../../hub-chain/light-clients/fabric/query.ts';
import { type Packet, channelId, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { AdapterError, AdapterErrorCode } from '../../../adapters/core/errors.ts';
import { type ChaincodeCall, chaincodeCalls, parseItemResults } from '../../../contracts/fabric/calls.ts';
import type { ItemResult } from '../../../contracts/fabric/gateway.ts';
import { type PontisReader, encodedProofs, readStates, receiptAbsence } from '../pontis/endpoint.ts';
import { type StateProof, encodeProof } from '../../../hub-chain/state/proof.ts';
import { ackBatchProofs, batchProofs, byBlock } from '../batch-proofs.ts';
import { MAX_SHARED_PARTS } from '../../../hub-chain/modules/packets/msgs.ts';
import { clientHeight, consensusOn } from '../pontis/path.ts';
import { mapLimit } from '../map-limit.ts';
import type { PacketEvent } from '../types.ts';
import { type FabricEndpoint, endorsedQuery, hubClientOnFabric, isPresent, readKeys } from './endpoint.ts';
import { fabricClientUpdates } from './to-hub.ts';

/** Items per chaincode batch call (each carries a hub state proof of ~2 KB). */
const ITEMS_PER_CALL = 200;

export interface FabricBatchResult {
  txId: string;
  height: number;
  items: ItemResult[];
}

/**
 * Moves the chaincode's hub client to hub height `height`. Returns false when it holds `height`
 * or more already (another relayer may have moved it: the lost MVCC race is not an error then).
 */
export async function updateHubClientOnFabric(hub: PontisReader, f: FabricEndpoint, height: number): Promise<boolean> {
  const rec = await hubClientOnFabric(f, hub.chainId);
  if (rec.latestHeight >= height) return false;
  const [signedHeader, validators, nextValidators] = await Promise.all([hub.signedHeader(height), hub.validatorSet(height), hub.validatorSet(height + 1)]);
  try {
    await f.writer.submitTx(chaincodeCalls.updateClient({ signedHeader, validators: validators.toJSON(), nextValidators: nextValidators.toJSON(), trustedHeight: rec.latestHeight }));
    return true;
  } catch (e) {
    if (e instanceof AdapterError && e.code === AdapterErrorCode.CONFLICT && (await hubClientOnFabric(f, hub.chainId)).latestHeight >= height) return false;
    throw e;
  }
}

/** The hub height to prove at on Fabric: the chaincode client's when it covers `need`, else the hub's tip (moving the client there). */
export async function hubHeightOnFabric(hub: PontisReader, f: FabricEndpoint, need: number): Promise<number> {
  const latest = (await hubClientOnFabric(f, hub.chainId)).latestHeight;
  if (latest >= need) return latest;
  const tip = await hub.latestHeight();
  await updateHubClientOnFabric(hub, f, tip);
  return (await hubClientOnFabric(f, hub.chainId)).latestHeight;
}

/** Submits `calls` (chunks of one batch) and gathers the per-item results of their answers. */
async function submitBatches(f: FabricEndpoint, calls: ChaincodeCall[]): Promise<FabricBatchResult | null> {
  if (!calls.length) return null;
  const items: ItemResult[] = [];
  let last = { txId: '', height: 0 };
  for (const c of calls) {
    const r = await f.writer.submitTx(c);
    items.push(...parseItemResults(r.payload));
    last = r;
  }
  return { txId: last.txId, height: last.height, items };
}

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += ITEMS_PER_CALL) out.push(xs.slice(i, i + ITEMS_PER_CALL));
  return out;
}

/** An item of a Fabric batch call proven by a hub batch (`batch`: its index in the call's batches) or by its own key's proof. */
type Proven<I> = I & ({ batch: number; index: number; path: Hex } | { proof: Hex });

/**
 * Calls of at most ITEMS_PER_CALL items, each carrying the hub batches its items are proven by as
 * shared parts (`{shared, proofs}`, each batch's state proof checked once per call by the
 * chaincode) and the other items' own proofs.
 */
export function batchCalls<I extends object>(items: Proven<I>[], batches: unknown[], make: (items: (I & { proof: unknown })[], shared: unknown[]) => ChaincodeCall): ChaincodeCall[] {
  // a call carries at most ITEMS_PER_CALL items and MAX_SHARED_PARTS batches (the chaincode refuses more)
  const calls: Proven<I>[][] = [];
  let cur: Proven<I>[] = [];
  let seen = new Set<number>();
  for (const i of items) {
    const b = 'batch' in i ? i.batch : undefined;
    if (cur.length === ITEMS_PER_CALL || (b !== undefined && !seen.has(b) && seen.size === MAX_SHARED_PARTS)) {
      calls.push(cur);
      cur = [];
      seen = new Set();
    }
    cur.push(i);
    if (b !== undefined) seen.add(b);
  }
  if (cur.length) calls.push(cur);
  return calls.map((c) => {
    const used = [...new Set(c.flatMap((i) => ('batch' in i ? [i.batch] : [])))];
    const withProofs = c.map((i) => {
      if (!('batch' in i)) return i as I & { proof: unknown };
      const { batch, index, path, ...rest } = i as I & { batch: number; index: number; path: Hex };
      return { ...(rest as unknown as I), proof: { batch: { $shared: used.indexOf(batch) }, index, path } };
    });
    return make(withProofs, used.map((b) => batches[b]));
  });
}

/** A hub batch as a shared part of a chaincode call: its state proof as hex bytes. */
const sharedBatch = (b: { height: number; root: Hex; count: number; proof: unknown }) => ({ ...b, proof: toHex(encodeProof(b.proof as StateProof)) });

/**
 * `recvPackets` on Fabric for packets the hub committed for it, proven at hub height `height`: by
 * the hub's batch for Fabric when the event names its block (ADR 0017), else by the packet's own
 * `pkt/out` proof; null when none is due.
 */
export async function deliverToFabric(hub: PontisReader, f: FabricEndpoint, events: PacketEvent[], height: number): Promise<FabricBatchResult | null> {
  const receipts = await readKeys(f, events.map((e) => packetKeys.receipt(channelId(e.packet), e.packet.sequence)));
  const open = events.filter((_, i) => !isPresent(receipts[i]));
  const { blocks, rest: own } = byBlock(open, height);
  const due: Proven<{ packet: Packet }>[] = [];
  const batches: unknown[] = [];
  for (const [h, es] of blocks) {
    const proven = await batchProofs(hub, f.chainId, h, height, es.map((e) => e.packet));
    if (!proven) {
      own.push(...es);
      continue;
    }
    batches.push(sharedBatch(proven.batch));
    es.forEach((e, i) => due.push({ packet: e.packet, batch: batches.length - 1, index: proven.paths[i].index, path: proven.paths[i].path }));
  }
  const proofs = await encodedProofs(hub, own.map((e) => packetKeys.outbound(channelId(e.packet), e.packet.sequence)), height);
  own.forEach((e, i) => {
    if (proofs[i].present) due.push({ packet: e.packet, proof: proofs[i].proof });
  });
  return submitBatches(f, batchCalls(due, batches, (items, shared) => chaincodeCalls.recvPackets(height, items, shared)));
}

/**
 * `acknowledgePackets` on Fabric for packets it sent whose ack the hub recorded, each proven at hub
 * height `height` by the ack batch the hub wrote it in for Fabric (ADR 0017) and its path there.
 * An ack whose event names no batch that holds it is left out.
 */
export async function acknowledgeOnFabric(hub: PontisReader, f: FabricEndpoint, events: PacketEvent[], height: number): Promise<FabricBatchResult | null> {
  const commitments = await readKeys(f, events.map((e) => packetKeys.outbound(channelId(e.packet), e.packet.sequence)));
  const open = events.filter((_, i) => isPresent(commitments[i]));
  const due: Proven<{ packet: Packet; ack: Hex }>[] = [];
  const batches: unknown[] = [];
  for (const [h, es] of byBlock(open, height).blocks) {
    const proven = await ackBatchProofs(hub, f.chainId, h, height, es.map((e) => ({ packet: e.packet, ack: fromHex(e.ack!) })));
    if (!proven) continue;
    batches.push(sharedBatch(proven.batch));
    es.forEach((e, i) => due.push({ packet: e.packet, ack: e.ack!, batch: batches.length - 1, index: proven.paths[i].index, path: proven.paths[i].path }));
  }
  return submitBatches(f, batchCalls(due, batches, (items, shared) => chaincodeCalls.acknowledgePackets(height, items, shared)));
}

/**
 * Packets Fabric sent that the hub never received before their timeoutTimestamp: `timeoutPackets`
 * with the hub's absence proofs of their receipts at its latest height H (H's time past the
 * timeout), after moving the chaincode's client to H. Null when none is due.
 */
export async function timeoutOnFabric(hub: PontisReader, f: FabricEndpoint, packets: Packet[]): Promise<FabricBatchResult | null> {
  const h = await hub.latestHeight();
  const time = (await hub.signedHeader(h)).header.time;
  const candidates = packets.filter((p) => p.srcChain === f.chainId && p.timeoutTimestamp !== 0 && time >= p.timeoutTimestamp);
  const held = await readKeys(f, candidates.map((p) => packetKeys.outbound(channelId(p), p.sequence)));
  const open = candidates.filter((_, i) => isPresent(held[i]));
  const absence = await receiptAbsence(hub, open, h);
  // received: the hub has it, an ack will come instead
  const due = open.flatMap((packet, i) => {
    const a = absence[i];
    return a.received ? [] : [{ packet, proof: { word: a.word, proof: toHex(encodeProof(a.proof)) } }];
  });
  if (!due.length) return null;
  await updateHubClientOnFabric(hub, f, h);
  const at = (await hubClientOnFabric(f, hub.chainId)).latestHeight;
  if (at !== h) return null; // moved past h meanwhile: the next try proves there
  return submitBatches(f, chunks(due).map((c) => chaincodeCalls.timeoutPackets(h, c)));
}

const isMarker = (v: Hex | null | undefined) => isPresent(v) && equalBytes(fromHex(v), FABRIC_TIMEOUT_MARKER);

/**
 * Packets the hub forwarded to Fabric that were not received by their timeout. Step one marks
 * them on Fabric (`timeoutPacket`, one transaction each, judged by the transaction's timestamp);
 * step two is the hub's `packets/timeout` with an endorsed query showing the marker, after the
 * hub's client of Fabric has a header learned past the timeouts. Returns the hub messages to
 * submit (client updates first), or null when none is due yet.
 */
export async function fabricTimeoutMsgs(hub: PontisReader, f: FabricEndpoint, events: PacketEvent[], now = Date.now()): Promise<{ msgs: Msg[]; marked: ItemResult[] } | null> {
  const mine = events.map((e) => e.packet).filter((p) => p.dstChain === f.chainId && p.timeoutTimestamp !== 0 && now >= p.timeoutTimestamp);
  const onHub = await readStates(hub, mine.map((p) => packetKeys.outbound(channelId(p), p.sequence)));
  const pending = mine.filter((_, i) => onHub[i] !== undefined);
  if (!pending.length) return null;
  const keys = pending.map((p) => packetKeys.receipt(channelId(p), p.sequence));
  const receipts = await readKeys(f, keys);
  const marked: ItemResult[] = [];
  const toMark = pending.filter((_, i) => !isPresent(receipts[i]));
  if (toMark.length) {
    // the hub height the packets were forwarded at, or later: their commitments are proven there
    const h = await hubHeightOnFabric(hub, f, Math.max(0, ...events.map((e) => e.height)));
    const proofs = await encodedProofs(hub, toMark.map((p) => packetKeys.outbound(channelId(p), p.sequence)), h);
    await mapLimit(toMark.map((p, i) => [i, p] as const), 8, async ([i, p]) => {
      const { present, proof } = proofs[i];
      if (!present) return;
      try {
        const r = await f.writer.submitTx(chaincodeCalls.timeoutPacket(h, p, proof));
        marked.push(...parseItemResults(`[${Buffer.from(r.payload).toString('utf8')}]`));
      } catch (e) {
        // received (or marked) by another transaction first: MVCC lets only one of them commit
        if (!(e instanceof AdapterError && e.code === AdapterErrorCode.CONFLICT)) throw e;
      }
    });
  }
  const afterMarking = await readKeys(f, keys);
  const due = pending.filter((_, i) => isMarker(afterMarking[i]));
  if (!due.length) return marked.length ? { msgs: [], marked } : null;
  const dueKeys = due.map((p) => packetKeys.receipt(channelId(p), p.sequence));
  const { query } = await endorsedQuery(f, dueKeys);
  // the hub checks its client's time at the proof height against the timeouts: follow Fabric to its tip first
  const fabricTip = await f.writer.latestHeight();
  const updates = await fabricClientUpdates(hub, f, fabricTip);
  const proofHeight = updates.length ? fabricTip : await clientHeight(hub, f.chainId);
  const cons = updates.length ? undefined : await consensusOn(hub, f.chainId, proofHeight);
  if (cons && due.some((p) => cons.timestamp < p.timeoutTimestamp)) return marked.length ? { msgs: [], marked } : null;
  return { msgs: [...updates, { type: 'packets/timeout', proofHeight, packets: due.map((packet) => ({ packet, proof: { query: { $shared: 0 } } })), shared: [query] }], marked };
}
