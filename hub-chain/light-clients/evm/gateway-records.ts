/**
 * How the EVM Gateway (contracts/evm/src/Gateway.sol) records a packet it received, which the
 * `evm` client proves and relayers read (ADR 0017, "Built": receipts and acks on EVM):
 *
 * - The receipt is one bit: bit `seq % 256` of the word at Pontis key
 *   `pkt/rcpt-bits/<channel>/<floor(seq / 256)>`. Bits are only ever set, so "not received" is a
 *   proven word with the bit clear, or no word at all. The hub asks a destination for the absence
 *   of `pkt/rcpt/<channel>/<seq>` (the receipt question); on an `evm` chain the client reads that
 *   as the bit, as on every Pontis chain.
 * - The ack is not stored: it is the `ack` field of the `PacketReceived` event the Gateway emits
 *   in the delivering call. The hub proves `pkt/ack/<channel>/<seq>` = keccak256(ack) by that log,
 *   through a receipt proof under a block the client trusts.
 * - A packet the Gateway sent is stored (`pkt/out`, until resolved) and also emitted in full in
 *   `PacketSent`; the hub takes either, the log proving that the commitment was written.
 */
import { type Bytes, type Hex, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import type { Packet } from '../../modules/packets/types.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';
import type { EvmLog } from './mpt.ts';

/** `<prefix><channel>/<seq>` parsed, or null when `key` is not of that form (the channel holds '/', the sequence is last). */
export function parseSequencedKey(key: Bytes, prefix: string): { ch: string; seq: number } | null {
  const s = new TextDecoder().decode(key);
  if (!s.startsWith(prefix)) return null;
  const cut = s.lastIndexOf('/');
  if (cut <= prefix.length) return null;
  const digits = s.slice(cut + 1);
  if (!/^[1-9][0-9]{0,15}$/.test(digits)) return null;
  const seq = Number(digits);
  if (!Number.isSafeInteger(seq)) return null;
  return { ch: s.slice(prefix.length, cut), seq };
}

export const PACKET_RECEIVED_TOPIC: Hex = toHex(keccak256(utf8('PacketReceived(bytes32,uint64,(string,string,string,string,uint64,bool,bytes,uint64,uint64),bytes)')));

const MAX_ACK_BYTES = 64 * 1024;

/**
 * The channel hash, sequence and ack of a `PacketReceived` log: topics [event, keccak256(channel),
 * sequence]; data is abi.encode(packet, ack), and the ack is read by its offset (the second head
 * word). Anything else throws PROOF_INVALID.
 */
export function packetReceivedOf(log: EvmLog): { channelHash: Hex; sequence: bigint; ack: Bytes } {
  const bad = (why: string) => new EvmClientError(EVM_ERR.PROOF_INVALID, `log is not a Gateway PacketReceived event: ${why}`, { details: { why } });
  if (log.topics.length !== 3 || log.topics[0] !== PACKET_RECEIVED_TOPIC) throw bad('event signature');
  const data = fromHex(log.data);
  const word = (at: number): bigint => {
    if (at + 32 > data.length) throw bad('data too short');
    let v = 0n;
    for (let i = at; i < at + 32; i++) v = (v << 8n) | BigInt(data[i]);
    return v;
  };
  const offset = word(32);
  if (offset < 64n || offset % 32n !== 0n || offset + 32n > BigInt(data.length)) throw bad('ack offset');
  const len = word(Number(offset));
  if (len === 0n || len > BigInt(MAX_ACK_BYTES) || Number(offset) + 32 + Number(len) > data.length) throw bad('ack length');
  const start = Number(offset) + 32;
  return { channelHash: log.topics[1], sequence: BigInt(log.topics[2]), ack: data.slice(start, start + Number(len)) };
}

export const PACKET_SENT_TOPIC: Hex = toHex(keccak256(utf8('PacketSent(bytes32,uint64,(string,string,string,string,uint64,bool,bytes,uint64,uint64))')));

const MAX_FIELD_BYTES = 64 * 1024;

/** ABI words of a log's data, read strictly (every offset and length inside the data). */
class AbiReader {
  constructor(
    private readonly data: Bytes,
    private readonly bad: (why: string) => Error,
  ) {}

  word(at: number): bigint {
    if (!Number.isSafeInteger(at) || at < 0 || at + 32 > this.data.length) throw this.bad('data too short');
    let v = 0n;
    for (let i = at; i < at + 32; i++) v = (v << 8n) | BigInt(this.data[i]);
    return v;
  }

  small(at: number, max: bigint): number {
    const v = this.word(at);
    if (v > max) throw this.bad('value out of range');
    return Number(v);
  }

  /** The bytes whose head word (an offset from `base`) sits at `at`. */
  bytes(base: number, at: number): Bytes {
    const start = base + this.small(at, BigInt(this.data.length));
    const len = this.small(start, BigInt(MAX_FIELD_BYTES));
    if (start + 32 + len > this.data.length) throw this.bad('field past the end');
    return this.data.slice(start + 32, start + 32 + len);
  }
}

/**
 * The channel hash, sequence and packet of a `PacketSent` log: topics [event, keccak256(channel),
 * sequence]; data is abi.encode(packet) (a dynamic tuple: strings and payload by offset).
 */
export function packetSentOf(log: EvmLog): { channelHash: Hex; sequence: bigint; packet: Packet } {
  const bad = (why: string) => new EvmClientError(EVM_ERR.PROOF_INVALID, `log is not a Gateway PacketSent event: ${why}`, { details: { why } });
  if (log.topics.length !== 3 || log.topics[0] !== PACKET_SENT_TOPIC) throw bad('event signature');
  const r = new AbiReader(fromHex(log.data), bad);
  const t = r.small(0, 1n << 20n);
  const text = (at: number) => new TextDecoder('utf-8', { fatal: true }).decode(r.bytes(t, t + at));
  const u64 = (at: number) => r.small(t + at, BigInt(Number.MAX_SAFE_INTEGER));
  let packet: Packet;
  try {
    packet = {
      srcChain: text(0),
      srcApp: text(32),
      dstChain: text(64),
      dstApp: text(96),
      sequence: u64(128),
      ordered: r.small(t + 160, 1n) === 1,
      payload: toHex(r.bytes(t, t + 192)),
      timeoutHeight: u64(224),
      timeoutTimestamp: u64(256),
    };
  } catch (e) {
    if (e instanceof EvmClientError) throw e;
    throw bad('a name is not UTF-8');
  }
  return { channelHash: log.topics[1], sequence: BigInt(log.topics[2]), packet };
}
