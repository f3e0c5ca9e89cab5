/** JSON views of chain objects for RPC clients (rendered in the RPC worker from what it reads in LMDB). */
import { PontisError } from '../errors.ts';
import { type Bytes, latin1Id, utf8 } from '../crypto/bytes.ts';
import type { KVView } from '../app/app.ts';
import { decodeTx, txHash } from '../app/tx.ts';
import type { ChainList, ChainQuery, ClientQuery, ClientSummary, PacketQuery, PacketRef, PendingPackets } from './wire.ts';
import type { ClientKeeper } from '../modules/clients/keeper.ts';
import { readMeta } from '../modules/clients/store.ts';
import { readPacketStatus } from '../modules/packets/keeper.ts';
import { type PacketStatus, ackLeaf, channelId, encodeAck, packetKeys, receiptBitSet } from '../modules/packets/types.ts';
import { type ChainEntry, type Registry, registryKeys } from '../modules/registry/registry.ts';
import type { StoredBlock } from '../node/chain.ts';
import { headerHash } from '../types/header.ts';
import { type TxResultProof, txResultProver } from '../types/results.ts';

export function blockView(s: StoredBlock) {
  const { header } = s.block;
  return {
    height: header.height,
    hash: headerHash(header),
    header,
    commit: s.commit,
    lastCommit: s.block.lastCommit,
    evidence: s.block.evidence,
    /** Events of the block itself (end-of-block work, evidence), apart from its transactions'. */
    events: s.events ?? [],
    txs: s.block.txs.map((b, i) => {
      const d = decodeTx(b);
      return { hash: d.hash, sender: d.sender, tx: d.tx, result: s.results[i] };
    }),
  };
}

/**
 * A block without its transactions' bodies: header, commit, each transaction's result (its hash
 * included) and the block's own events. What a relayer scanning for events needs; the results
 * check against `header.resultsHash` exactly as the whole block's do.
 */
export function blockResultsView(s: StoredBlock) {
  const { header } = s.block;
  return { height: header.height, hash: headerHash(header), header, commit: s.commit, events: s.events ?? [], results: s.results };
}

/** Result provers by stored block (the chain reader keeps recent blocks decoded, so a block's transactions share one). */
const provers = new WeakMap<StoredBlock, (index: number) => TxResultProof>();

/** A committed transaction with its result; with `prove`, the Merkle proof of the result under the header's resultsHash. */
export function txView(s: StoredBlock, index: number, prove: boolean) {
  const result = s.results[index];
  const base = { hash: result.hash, status: 'committed' as const, height: s.block.header.height, index, result };
  if (!prove) return base;
  let prover = provers.get(s);
  if (!prover) provers.set(s, (prover = txResultProver(s.results, s.events ?? [])));
  return { ...base, proof: prover(index) };
}

/** A header with its hash and commit: what a light client needs, without the block's transactions. */
export function headerView(s: StoredBlock) {
  return { height: s.block.header.height, hash: headerHash(s.block.header), header: s.block.header, commit: s.commit };
}

/** The server-sent `block` event: a committed block's header facts and its transactions' hashes. */
export function blockEvent(s: StoredBlock) {
  const { header } = s.block;
  return {
    height: header.height,
    hash: headerHash(header),
    time: header.time,
    stateRoot: header.stateRoot,
    txs: s.block.txs.length,
    txHashes: s.block.txs.map((b) => txHash(b)),
    failed: s.results.filter((r) => r.code !== 'ok').length,
  };
}

// ---- interchain queries (packets, clients, chain registry) ----

/** A read-only snapshot of one committed version: point reads plus key-ordered prefix scans. */
export interface StateSnapshot extends KVView {
  /** The committed height the snapshot reads. */
  readonly height: number;
  entries(prefix: Bytes): Iterable<[Bytes, Bytes]>;
}

const text = (b: Bytes): string => Buffer.from(b).toString('utf8');

/** Entries scanned at most by one pending-packets or paused-routes query (bounds the work a request can ask for). */
export const MAX_SCAN = 100_000;

/**
 * Where this chain recorded the packet's ack (ADR 0017 decision 2): the ack batch it sealed for
 * the hop back (the hub of a spoke, else the packet's source) at a height of one of the packet's
 * steps, when that batch holds the ack's leaf; else its `pkt/ack` key (a chain without ack batches).
 */
function ackRecord(s: StateSnapshot, status: PacketStatus, hubChainId: string | undefined): { key: string; exists: boolean } {
  const ch = channelId(status.packet);
  if (status.ack) {
    const leaf = latin1Id(ackLeaf(status.packet, encodeAck(status.ack)));
    const hop = hubChainId ?? status.packet.srcChain;
    for (const h of [...new Set(status.steps.map((st) => st.height))].sort((a, b) => b - a)) {
      const leaves = s.get(packetKeys.ackBatchLeaves(hop, h));
      for (let o = 0; leaves && o + 32 <= leaves.length; o += 32) if (latin1Id(leaves.subarray(o, o + 32)) === leaf) return { key: text(packetKeys.ackBatch(hop, h)), exists: true };
    }
  }
  const k = packetKeys.ack(ch, status.packet.sequence);
  return { key: text(k), exists: s.get(k) !== undefined };
}

export function packetView(s: StateSnapshot, ref: PacketRef, hubChainId?: string): PacketQuery {
  const ch = channelId(ref);
  const status = readPacketStatus(s, ch, ref.sequence);
  const id = `${ch}/${ref.sequence}`;
  if (!status) throw new PontisError('PNT_ERR_PACKET_NOT_FOUND', `chain records no packet ${id}`, { details: { id } });
  const key = (k: Bytes) => ({ key: text(k), exists: s.get(k) !== undefined });
  const receiptWord = packetKeys.receiptBits(ch, ref.sequence);
  return {
    id,
    height: s.height,
    status,
    keys: {
      commitment: key(packetKeys.outbound(ch, ref.sequence)),
      // the receipt is a bit of its word (ADR 0017): `exists` says whether that bit is set
      receipt: { key: text(receiptWord), exists: receiptBitSet(s.get(receiptWord), ref.sequence) },
      // the ack is a leaf of an ack batch (ADR 0017): the batch's key when one holds it
      ack: ackRecord(s, status, hubChainId),
    },
  };
}

/**
 * Packets with an outstanding commitment here (`pkt/out/<channel>/<seq>`) on channels from
 * `srcChain` to `dstChain`, any app, lowest sequences first per channel, at most `limit`.
 */
export function pendingView(s: StateSnapshot, srcChain: string, dstChain: string, limit: number): PendingPackets {
  const prefix = `pkt/out/${srcChain}/`;
  const found: { srcApp: string; dstApp: string; sequence: number }[] = [];
  let scanned = 0;
  let truncated = false;
  for (const [k] of s.entries(utf8(prefix))) {
    if (++scanned > MAX_SCAN) {
      truncated = true;
      break;
    }
    // <srcApp>/<dstChain>/<dstApp>/<seq>: chain ids and app names cannot contain '/'
    const parts = text(k).slice(prefix.length).split('/');
    if (parts.length !== 4 || parts[1] !== dstChain) continue;
    const sequence = Number(parts[3]);
    if (!Number.isSafeInteger(sequence)) continue;
    found.push({ srcApp: parts[0], dstApp: parts[2], sequence });
  }
  // keys sort sequences as text ("10" < "9"); order them as numbers
  found.sort((a, b) => (a.srcApp === b.srcApp ? (a.dstApp === b.dstApp ? a.sequence - b.sequence : a.dstApp < b.dstApp ? -1 : 1) : a.srcApp < b.srcApp ? -1 : 1));
  if (found.length > limit) truncated = true;
  const packets = found.slice(0, limit).map((f) => {
    const ch = channelId({ srcChain, srcApp: f.srcApp, dstChain, dstApp: f.dstApp });
    return { id: `${ch}/${f.sequence}`, srcApp: f.srcApp, dstApp: f.dstApp, sequence: f.sequence, status: readPacketStatus(s, ch, f.sequence) ?? null };
  });
  return { srcChain, dstChain, height: s.height, packets, truncated };
}

function clientSummary(keeper: ClientKeeper, s: KVView, chainId: string, now: number): ClientSummary | null {
  const rec = keeper.record(s, chainId);
  if (!rec) return null;
  const latest = keeper.latestConsensus(s, chainId);
  return { clientType: rec.clientType, status: keeper.status(s, chainId, now), latestHeight: rec.latestHeight, expiresAt: latest ? latest.timestamp + rec.trustingPeriodMs : null };
}

/** A client with its status judged at `now` (the node's latest block time). */
export function clientView(keeper: ClientKeeper, s: StateSnapshot, chainId: string, now: number): ClientQuery {
  const record = keeper.record(s, chainId);
  if (!record) throw new PontisError('PNT_ERR_CLIENT_NOT_FOUND', `no client for chain ${chainId} here`, { details: { chainId } });
  const latest = keeper.latestConsensus(s, chainId);
  const meta = readMeta(s, chainId);
  return {
    chainId,
    height: s.height,
    now,
    status: keeper.status(s, chainId, now),
    expiresAt: latest ? latest.timestamp + record.trustingPeriodMs : null,
    validFrom: meta?.validFrom ?? 0,
    evidenceCount: meta?.evidenceCount ?? 0,
    record,
    latestConsensus: latest ?? null,
  };
}

export function chainsView(keeper: ClientKeeper, s: StateSnapshot, now: number, limit: number): ChainList {
  const chains: ChainList['chains'] = [];
  let truncated = false;
  for (const [, v] of s.entries(registryKeys.chainPrefix())) {
    if (chains.length >= limit) {
      truncated = true;
      break;
    }
    const entry = JSON.parse(text(v)) as ChainEntry;
    chains.push({ ...entry, client: clientSummary(keeper, s, entry.chainId, now) });
  }
  return { height: s.height, chains, truncated };
}

export function chainView(registry: Registry, keeper: ClientKeeper, s: StateSnapshot, chainId: string, now: number): ChainQuery {
  const chain = registry.chain(s, chainId);
  if (!chain) throw new PontisError('PNT_ERR_CHAIN_UNKNOWN', `chain ${chainId} is not registered here`, { details: { chainId } });
  // paused routes are few (governance sets each one); a bounded scan of all of them is cheap
  const prefix = 'registry/paused-route/';
  const pausedRoutes: ChainQuery['pausedRoutes'] = [];
  let scanned = 0;
  for (const [k, v] of s.entries(utf8(prefix))) {
    if (++scanned > MAX_SCAN) break;
    const [src, dst] = text(k).slice(prefix.length).split('/');
    if (src === chainId || dst === chainId) pausedRoutes.push({ src, dst, since: JSON.parse(text(v)) as number });
  }
  return { height: s.height, chain, client: clientSummary(keeper, s, chainId, now), pausedRoutes };
}
