/**
 * Packets: the unit every cross-chain message, transfer and attestation travels in.
 *
 * A channel is (srcChain, srcApp, dstChain, dstApp); sequences count per channel from 1, so a
 * packet is identified by its channel and sequence. Messages travel spoke -> hub -> spoke: the
 * source commits the packet, the hub verifies it against the source's light client, records a
 * receipt and commits it again for the destination, which verifies it against its hub client.
 * Acknowledgements come back the same way. See docs/adr/0005-packets.md.
 */
import type { Bytes, Hex } from '../../crypto/bytes.ts';
import { concat, fromHex, toHex, uintBE, utf8 } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { PontisError } from '../../errors.ts';

export class PacketError extends PontisError {
  override name = 'PacketError';
}

export const APP_NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;
export const MAX_PAYLOAD_BYTES = 64 * 1024;

export interface Packet {
  srcChain: string;
  srcApp: string;
  dstChain: string;
  dstApp: string;
  sequence: number;
  /** Ordered channels deliver in sequence order; a gap holds later packets. Fixed per channel by its first packet. */
  ordered: boolean;
  payload: Hex;
  /** Destination-chain height at which the packet times out (0: none). */
  timeoutHeight: number;
  /** Unix ms at which the packet times out, judged by the receiver's block time (0: none). */
  timeoutTimestamp: number;
}

export const channelId = (p: Pick<Packet, 'srcChain' | 'srcApp' | 'dstChain' | 'dstApp'>): string => `${p.srcChain}/${p.srcApp}/${p.dstChain}/${p.dstApp}`;
export const packetId = (p: Packet): string => `${channelId(p)}/${p.sequence}`;

/**
 * keccak256 of a fixed layout a contract can rebuild:
 *   keccak(srcChain) | keccak(srcApp) | keccak(dstChain) | keccak(dstApp) | uint64 sequence |
 *   uint8 ordered | uint64 timeoutHeight | uint64 timeoutTimestamp | keccak(payload)
 */
export function packetCommitment(p: Packet): Bytes {
  return keccak256(
    concat(
      nameHash(p.srcChain),
      nameHash(p.srcApp),
      nameHash(p.dstChain),
      nameHash(p.dstApp),
      uintBE(p.sequence, 8),
      Uint8Array.of(p.ordered ? 1 : 0),
      uintBE(p.timeoutHeight, 8),
      uintBE(p.timeoutTimestamp, 8),
      keccak256(fromHex(p.payload)),
    ),
  );
}

// Chain and app names repeat on every packet of a channel: hash each once (keccak in JS is ~7 us).
const nameHashes = new Map<string, Bytes>();
function nameHash(name: string): Bytes {
  let h = nameHashes.get(name);
  if (!h) {
    if (nameHashes.size > 10_000) nameHashes.clear();
    h = keccak256(utf8(name));
    nameHashes.set(name, h);
  }
  return h;
}

/**
 * Acknowledgement bytes: 0x01 || result for success, 0x00 || utf-8 error code for failure
 * (including a receiving app that failed, and a timeout recorded by the hub).
 */
export type Ack = { ok: true; result: Hex } | { ok: false; error: string };
export function encodeAck(a: Ack): Bytes {
  return a.ok ? concat(Uint8Array.of(1), fromHex(a.result)) : concat(Uint8Array.of(0), utf8(a.error));
}
export function decodeAck(b: Bytes): Ack {
  if (b.length === 0 || b[0] > 1) throw new PacketError('PNT_ERR_ACK_MALFORMED', 'acknowledgement must start with 0x00 or 0x01');
  return b[0] === 1 ? { ok: true, result: toHex(b.subarray(1)) } : { ok: false, error: Buffer.from(b.subarray(1)).toString('utf8') };
}
export const ackCommitment = (ack: Bytes): Bytes => keccak256(ack);
export const TIMEOUT_ERROR = 'PNT_ERR_PACKET_TIMEOUT';

/** Provable state keys of the packet module (UTF-8). */
export const packetKeys = {
  nextSend: (ch: string) => utf8(`pkt/next-send/${ch}`),
  nextRecv: (ch: string) => utf8(`pkt/next-recv/${ch}`),
  ordering: (ch: string) => utf8(`pkt/ordering/${ch}`),
  /** Commitment of a packet this chain sent or forwarded and not yet resolved (acknowledged or timed out). */
  outbound: (ch: string, seq: number) => utf8(`pkt/out/${ch}/${seq}`),
  /**
   * The receipt question: "was this packet received here?" is asked as the absence of this key.
   * A Pontis chain answers it from its receipt word (`receiptBits`, ADR 0017 decision 3); only the
   * Fabric chaincode writes the key itself (one word shared by concurrent transactions would make
   * them lose MVCC races).
   */
  receipt: (ch: string, seq: number) => utf8(`pkt/rcpt/${ch}/${seq}`),
  /** The receipt word holding `seq`'s bit: 32 bytes, big-endian, bit `seq % 256` set once received. */
  receiptBits: (ch: string, seq: number) => utf8(`pkt/rcpt-bits/${ch}/${Math.floor(seq / RECEIPT_BITS_PER_WORD)}`),
  /**
   * The ack question: "what did the receiver acknowledge?" is asked as the membership of this key
   * with the ack's commitment. A Pontis chain answers it from its ack batches (`ackBatch`, ADR 0017
   * decision 2); only the Fabric chaincode writes the key itself (`batchCommitments: false`).
   */
  ack: (ch: string, seq: number) => utf8(`pkt/ack/${ch}/${seq}`),
  /** The packet's status for queries: an index record (idx/, hub-chain/state/store.ts), outside the state tree and its proofs. */
  status: (ch: string, seq: number) => utf8(`idx/pkt/status/${ch}/${seq}`),
  /** Hub: a packet held by a forward policy (rate limit with queueing). */
  queued: (ch: string, seq: number) => utf8(`pkt/queued/${ch}/${String(seq).padStart(16, '0')}`),
  queuedIndex: () => utf8('pkt/queued-index'),
  /**
   * Batch commitment (ADR 0017): the root and size of the Merkle list (crypto/merkle.ts) of the
   * commitments of every packet this chain committed in block `height` for next hop `hop`, in
   * the order it committed them. `root (32) || uint64 count`, written at the end of the block.
   */
  batch: (hop: string, height: number) => utf8(`pkt/batch/${hop}/${pad16(height)}`),
  /** The batch's leaves (the commitments, 32 bytes each, concatenated): an index record for relayers. */
  batchLeaves: (hop: string, height: number) => utf8(`idx/pkt/batch/${hop}/${pad16(height)}`),
  /** While block `height` runs: the batches it is filling, JSON {hop: count}; gone at its end. */
  batchOpen: (height: number) => utf8(`idx/pkt/batch-open/${pad16(height)}`),
  /** While block `height` runs: leaf `i` of the batch for `hop`; gone at its end. */
  batchLeaf: (hop: string, height: number, i: number) => utf8(`idx/pkt/batch-leaf/${hop}/${pad16(height)}/${i}`),
  /**
   * Ack batch (ADR 0017 decision 2): the root and size of the Merkle list of the ack leaves
   * (`ackLeaf`) of every acknowledgement this chain wrote in block `height` for the chain the ack
   * goes to (`hop`: the packet's source, or the hub from a spoke), in the order it wrote them.
   * `root (32) || uint64 count`, written at the end of the block.
   */
  ackBatch: (hop: string, height: number) => utf8(`pkt/ack-batch/${hop}/${pad16(height)}`),
  /** The ack batch's leaves (32 bytes each, concatenated): an index record for relayers. */
  ackBatchLeaves: (hop: string, height: number) => utf8(`idx/pkt/ack-batch/${hop}/${pad16(height)}`),
  /** While block `height` runs: the ack batches it is filling, JSON {hop: count}; gone at its end. */
  ackBatchOpen: (height: number) => utf8(`idx/pkt/ack-batch-open/${pad16(height)}`),
  /** While block `height` runs: leaf `i` of the ack batch for `hop`; gone at its end. */
  ackBatchLeaf: (hop: string, height: number, i: number) => utf8(`idx/pkt/ack-batch-leaf/${hop}/${pad16(height)}/${i}`),
};

/**
 * A leaf of an ack batch: keccak256(packetCommitment(p) || ackCommitment(ack)). The packet's
 * commitment binds its channel, sequence and content, so a leaf answers for one packet only.
 */
export const ackLeaf = (p: Packet, ack: Bytes): Bytes => ackLeafOf(packetCommitment(p), ack);
/** `ackLeaf` from the packet's commitment, when the caller has it already. */
export const ackLeafOf = (commitment: Bytes, ack: Bytes): Bytes => keccak256(concat(commitment, ackCommitment(ack)));

const pad16 = (n: number) => String(n).padStart(16, '0');

/** Sequences per receipt word (`packetKeys.receiptBits`). */
export const RECEIPT_BITS_PER_WORD = 256;
export const RECEIPT_WORD_BYTES = 32;

/** Byte and mask of `seq`'s bit in a receipt word: bit i of the big-endian uint256 (the EVM's `word >> i & 1`). */
const bitAt = (seq: number): [number, number] => {
  const i = seq % RECEIPT_BITS_PER_WORD;
  return [RECEIPT_WORD_BYTES - 1 - (i >> 3), 1 << (i & 7)];
};

/** Whether a receipt word (undefined or null: never written) has `seq`'s bit set. A word that is not 32 bytes is refused. */
export function receiptBitSet(word: Bytes | Hex | null | undefined, seq: number): boolean {
  if (word === null || word === undefined) return false;
  const w = typeof word === 'string' ? fromHex(word) : word;
  if (w.length !== RECEIPT_WORD_BYTES) throw new PacketError('PNT_ERR_PACKET_RECEIPT_WORD', `a receipt word is ${RECEIPT_WORD_BYTES} bytes, not ${w.length}`);
  const [byte, mask] = bitAt(seq);
  return (w[byte] & mask) !== 0;
}

/** `word` (undefined: none yet) with `seq`'s bit set: a new 32-byte word. */
export function withReceiptBit(word: Bytes | undefined, seq: number): Bytes {
  const w = new Uint8Array(RECEIPT_WORD_BYTES);
  if (word !== undefined) {
    receiptBitSet(word, seq); // checks the length
    w.set(word);
  }
  const [byte, mask] = bitAt(seq);
  w[byte] |= mask;
  return w;
}

/** The value of a batch key: `root || uint64 count`. */
export const encodeBatchValue = (root: Bytes, count: number): Bytes => concat(root, uintBE(count, 8));

/**
 * A packet proven by the batch it was committed in (or an ack by the ack batch it was written in,
 * the leaf then being `ackLeaf`): `batch` is the batch (height, root, count,
 * and the state proof of its key at the relay message's proof height; usually a shared part of
 * the message), `index` its position and `path` its Merkle list siblings (32 bytes each, leaf
 * level first, concatenated) under `batch.root` (crypto/merkle.ts, `total` = `batch.count`).
 */
export interface BatchProof {
  batch: { height: number; root: Hex; count: number; proof: unknown };
  index: number;
  path: Hex;
}


/** Where a packet stands, as recorded on one chain (for queries; not used in proofs). */
export interface PacketStatus {
  packet: Packet;
  /** sent: committed here as the source. received: receipt here (hub: forwarded). delivered: the destination acknowledged it. */
  state: 'sent' | 'received' | 'forwarded' | 'delivered' | 'acknowledged' | 'timed-out' | 'failed';
  ack?: Ack;
  /** Height and tx hash of every step recorded on this chain. */
  steps: { step: string; height: number; tx: Hex; time: number }[];
}

/** Context handed to packet apps and client modules during execution. */
export interface ModuleContext {
  chainId: string;
  height: number;
  time: number;
  txHash: Hex;
  sender: Hex;
}
