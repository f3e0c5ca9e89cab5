/**
 * Client type `evm`. Headers are trusted in one of two modes (params.trust): `attested`, through
 * attestation votes of this chain's own validators (exactly the `attested` type's votes, tally and
 * freezing, reused from light-clients/attested/), or `qbft` (below). State is trusted through
 * eth_getProof storage proofs of ONE bound contract, the Pontis gateway (params.gateway). A Pontis key k lives in the gateway's mapping at
 * slot 0, i.e. at storage slot keccak256(keccak256(k) ‖ uint256(0)), as a 32-byte word.
 *
 * Membership: the proven word equals the claimed value (left-padded to 32 bytes, non-zero).
 * Non-membership: the proven word is zero, either because the slot is absent from the storage
 * trie or because the node kept a cleared slot as a zero leaf (anvil 1.7.1 does). Both read as 0
 * through SLOAD, so the gateway itself cannot tell them apart either.
 * Two keys the Gateway keeps in its own layout (gateway-records.ts): `pkt/rcpt/<ch>/<seq>` is a
 * bit of a receipt word (non-membership: the word's bit is clear), and `pkt/ack/<ch>/<seq>` is
 * proven by the PacketReceived log of the delivering call (membership with a receipt proof);
 * `pkt/out/<ch>/<seq>` by its storage slot or by the PacketSent log that wrote it.
 *
 * `qbft` trust (permissioned Besu / GoQuorum chains): a client message is `{ headerRlp }`, a
 * sealed header extending a header the client holds. More than 2/3 of the validators trusted at
 * the parent (params.trust.validators for the initial header, then the set each verified header
 * lists) and more than 2/3 of the header's own list must have sealed it (qbft.ts). A second,
 * different verified header at a height the client holds freezes it (`conflicting-header`).
 */
import { type Bytes, type Hex, ZERO_HASH, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { type AttestedConsensusExtra, DEFAULT_VOTE_WINDOW, ProofKindRegistry, createAttestedClient } from '../attested/module.ts';
import { CLIENT_ERR } from '../../modules/clients/errors.ts';
import { parseWith, readConsensus, timedStatus } from '../../modules/clients/store.ts';
import type { ClientContext, ClientRecord, ConsensusRecord, LightClientModule } from '../../modules/clients/types.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';
import { type EvmHeader, decodeHeader, headerHash } from './header.ts';
import { PACKET_RECEIVED_TOPIC, PACKET_SENT_TOPIC, packetReceivedOf, packetSentOf, parseSequencedKey } from './gateway-records.ts';
import { packetCommitment, packetKeys, receiptBitSet } from '../../modules/packets/types.ts';
import { type EvmLog, type EvmReceipt, logAt, verifyReceiptProof, verifyStorageProof } from './mpt.ts';
import { pontisSlot } from './proofs.ts';
import { qbftBlockHash, verifyQbftSeals } from './qbft.ts';
import { type EvmParams, evmLogProofSchema, evmHeaderMsgSchema, evmHeadersPartSchema, evmInitialSchema, evmParamsSchema, evmReceiptPartSchema, evmStorageProofSchema } from './schemas.ts';

export const EVM_CLIENT_TYPE = 'evm';

export interface EvmClientState {
  gateway: Hex;
  chainIdNumber: number;
  trust: EvmParams['trust'];
  finalityDepth?: number;
  /** Read by the reused attested vote logic. */
  voteWindow: number;
}

export type EvmClientRecord = ClientRecord<EvmClientState>;
/**
 * root = the block's stateRoot; extra = { hash, receiptsRoot } (the attested layout, so attested
 * votes compare against it), plus in qbft mode the validators trusted to seal the next header.
 */
export interface EvmConsensusExtra extends AttestedConsensusExtra {
  validators?: Hex[];
}
export type EvmConsensusRecord = ConsensusRecord<EvmConsensusExtra>;

/**
 * The attested vote logic, with no proof kinds: it only ever sees `evm` records for votes (it reads
 * chainId, latestHeight, maxClockDriftMs and state.voteWindow), never for proofs.
 */
const votes = createAttestedClient(new ProofKindRegistry()) as unknown as LightClientModule<EvmClientState, EvmConsensusExtra>;

function word(value: Bytes): Hex {
  if (value.length === 0 || value.length > 32 || value.every((b) => b === 0)) {
    throw new EvmClientError(EVM_ERR.PROOF_VALUE_MISMATCH, `an EVM gateway value is a non-zero word of at most 32 bytes (got ${value.length} bytes)`, { details: { length: value.length } });
  }
  const out = new Uint8Array(32);
  out.set(value, 32 - value.length);
  return toHex(out);
}

function provenWord(rec: EvmClientRecord, cons: EvmConsensusRecord, key: Bytes, proof: unknown): { slot: Hex; word: Hex | null } {
  const p = parseWith(evmStorageProofSchema, proof, EVM_ERR.PROOF_MALFORMED, 'evm storage proof');
  const slot = pontisSlot(key);
  const w = verifyStorageProof(cons.root, rec.state.gateway, slot, p);
  return { slot, word: w === null || w === ZERO_HASH ? null : w };
}

function initialConsensus(initial: unknown, trust: EvmParams['trust']): EvmConsensusRecord {
  const i = parseWith(evmInitialSchema, initial, CLIENT_ERR.INITIAL_INVALID, 'evm initial state');
  const validators = trust.mode === 'qbft' ? { validators: trust.validators } : {};
  if ('headerRlp' in i) {
    const bytes = fromHex(i.headerRlp);
    const h = decodeHeader(bytes);
    if (h.number < 1) throw new EvmClientError(CLIENT_ERR.INITIAL_INVALID, 'the trusted header must be above genesis');
    // A QBFT block's identity leaves out its round and seals.
    const hash = trust.mode === 'qbft' ? qbftBlockHash(h) : toHex(keccak256(bytes));
    return { height: h.number, timestamp: h.timestamp * 1000, root: h.stateRoot, extra: { hash, receiptsRoot: h.receiptsRoot, ...validators } };
  }
  return { height: i.height, timestamp: i.timestamp, root: i.stateRoot, extra: { hash: i.hash, receiptsRoot: i.receiptsRoot, ...validators } };
}

const rejected = (msg: string, details: Record<string, unknown>) => new EvmClientError(EVM_ERR.QBFT_HEADER_REJECTED, msg, { details });

/** A QBFT client message, checked against the record at its parent height: returns the header and what to store. */
function verifiedQbftHeader(ctx: ClientContext, rec: EvmClientRecord, msg: unknown): { header: EvmHeader; consensus: EvmConsensusRecord } {
  const m = parseWith(evmHeaderMsgSchema, msg, CLIENT_ERR.MSG_INVALID, 'evm qbft header message');
  const header = decodeHeader(m.headerRlp);
  const parent = readConsensus<EvmConsensusExtra>(ctx.store, rec.chainId, header.number - 1);
  if (!parent?.extra?.validators) throw rejected(`no trusted header at ${header.number - 1} to extend`, { number: header.number });
  if (header.parentHash !== parent.extra.hash) throw rejected(`header ${header.number} does not extend the trusted header ${parent.height}`, { number: header.number, parentHash: header.parentHash, trusted: parent.extra.hash });
  const timestamp = header.timestamp * 1000;
  if (timestamp <= parent.timestamp) throw rejected(`header ${header.number} is not later than its parent`, { number: header.number });
  if (timestamp > ctx.now + rec.maxClockDriftMs) {
    throw new EvmClientError(EVM_ERR.HEADER_FROM_FUTURE, `header time ${timestamp} is beyond now + drift`, { retryable: true, details: { timestamp, now: ctx.now } });
  }
  const { extra } = verifyQbftSeals(header, parent.extra.validators);
  return {
    header,
    consensus: { height: header.number, timestamp, root: header.stateRoot, extra: { hash: qbftBlockHash(header, extra), receiptsRoot: header.receiptsRoot, validators: extra.validators } },
  };
}

const isQbft = (rec: EvmClientRecord): boolean => rec.state.trust.mode === 'qbft';

function storedConflict(ctx: ClientContext, rec: EvmClientRecord, c: EvmConsensusRecord): EvmConsensusRecord | undefined {
  const stored = readConsensus<EvmConsensusExtra>(ctx.store, rec.chainId, c.height);
  return stored && stored.extra?.hash !== c.extra!.hash ? stored : undefined;
}

export const evmClient: LightClientModule<EvmClientState, EvmConsensusExtra> = {
  type: EVM_CLIENT_TYPE,

  initialise(chainId, params, initial) {
    const p = parseWith(evmParamsSchema, params, CLIENT_ERR.PARAMS_INVALID, 'evm params');
    if (p.trust.mode === 'qbft' && new Set(p.trust.validators).size !== p.trust.validators.length) throw new EvmClientError(CLIENT_ERR.PARAMS_INVALID, 'qbft validators must be distinct');
    const consensus = initialConsensus(initial, p.trust);
    const state: EvmClientState = { gateway: p.gateway, chainIdNumber: p.chainIdNumber, trust: p.trust, voteWindow: p.voteWindow ?? DEFAULT_VOTE_WINDOW };
    if (p.finalityDepth !== undefined) state.finalityDepth = p.finalityDepth;
    return {
      record: { chainId, clientType: EVM_CLIENT_TYPE, state, latestHeight: consensus.height, trustingPeriodMs: p.trustingPeriodMs, maxClockDriftMs: p.maxClockDriftMs, frozen: null },
      consensus,
    };
  },

  // Attested mode: a client message is one validator's vote for (hash, stateRoot, receiptsRoot, timestamp ms) of a
  // finalized block, handled by the attested type's code. Qbft mode: a sealed header.
  verifyClientMessage(ctx, rec, msg) {
    if (!isQbft(rec)) return votes.verifyClientMessage(ctx, rec, msg);
    verifiedQbftHeader(ctx, rec, msg);
  },

  checkForMisbehaviour(ctx, rec, msg) {
    if (!isQbft(rec)) return votes.checkForMisbehaviour(ctx, rec, msg);
    return storedConflict(ctx, rec, verifiedQbftHeader(ctx, rec, msg).consensus) !== undefined;
  },

  updateState(ctx, rec, msg) {
    if (!isQbft(rec)) return votes.updateState(ctx, rec, msg);
    const { consensus } = verifiedQbftHeader(ctx, rec, msg);
    // The same header again (racing relayers) changes nothing.
    if (readConsensus(ctx.store, rec.chainId, consensus.height)) return { record: rec, consensus: [] };
    return { record: { ...rec, latestHeight: Math.max(rec.latestHeight, consensus.height) }, consensus: [consensus] };
  },

  evidenceOf(ctx, rec, msg) {
    if (!isQbft(rec)) return votes.evidenceOf!(ctx, rec, msg);
    const { consensus } = verifiedQbftHeader(ctx, rec, msg);
    return { kind: 'conflicting-header', chainId: rec.chainId, height: consensus.height, header: msg, stored: storedConflict(ctx, rec, consensus) };
  },

  updateStateOnMisbehaviour(ctx, rec, msg) {
    if (!isQbft(rec)) return votes.updateStateOnMisbehaviour(ctx, rec, msg);
    const { consensus } = verifiedQbftHeader(ctx, rec, msg);
    return { ...rec, frozen: { atHeight: consensus.height, evidence: 'conflicting-header' } };
  },

  verifyMembership(rec, cons, key, value, proof) {
    if (typeof proof === 'object' && proof !== null && 'receipt' in proof) return verifyGatewayLog(rec, cons, key, value, proof);
    const expected = word(value);
    const { slot, word: got } = provenWord(rec, cons, key, proof);
    if (got === null) throw new EvmClientError(EVM_ERR.PROOF_KEY_ABSENT, `gateway slot ${slot} is empty at height ${cons.height}`, { details: { slot, height: cons.height } });
    if (got !== expected) throw new EvmClientError(EVM_ERR.PROOF_VALUE_MISMATCH, `gateway slot ${slot} holds another value at height ${cons.height}`, { details: { slot, height: cons.height, got, expected } });
  },

  verifyNonMembership(rec, cons, key, proof) {
    const receipt = parseSequencedKey(key, 'pkt/rcpt/');
    if (receipt) {
      const { slot, word: bits } = provenWord(rec, cons, packetKeys.receiptBits(receipt.ch, receipt.seq), proof);
      if (receiptBitSet(bits, receipt.seq)) throw new EvmClientError(EVM_ERR.PROOF_KEY_PRESENT, `the gateway's receipt bit of ${receipt.ch}/${receipt.seq} is set at height ${cons.height}`, { details: { slot, height: cons.height } });
      return;
    }
    const { slot, word: got } = provenWord(rec, cons, key, proof);
    if (got !== null) throw new EvmClientError(EVM_ERR.PROOF_KEY_PRESENT, `gateway slot ${slot} is set at height ${cons.height}`, { details: { slot, height: cons.height } });
  },

  status: (rec, latest, now) => timedStatus(rec, latest, now),
};

/**
 * Parts of a relay message proven already, by the object the message's shared list holds (one per
 * transaction or block, however many logs use it), with what they were checked against.
 */
const provenParts = new WeakMap<object, { against: string; value: Hex | EvmReceipt }>();

function memo<T extends Hex | EvmReceipt>(part: unknown, against: string, compute: () => T): T {
  const key = typeof part === 'object' && part !== null ? part : undefined;
  const seen = key && provenParts.get(key);
  if (seen && seen.against === against) return seen.value as T;
  const value = compute();
  if (key) provenParts.set(key, { against, value });
  return value;
}

/** The receiptsRoot of block h, from headers h..P that link to the block the client holds at P (`cons`). */
function linkedReceiptsRoot(rec: EvmClientRecord, cons: EvmConsensusRecord, part: unknown): Hex {
  return memo(part, `headers|${rec.chainId}|${cons.height}|${cons.extra!.hash}`, () => {
    const rlps = parseWith(evmHeadersPartSchema, part, EVM_ERR.PROOF_MALFORMED, 'evm headers part');
    // a QBFT block's identity (and its child's parentHash) leaves out round and seals
    const hashOf = (h: EvmHeader) => (isQbft(rec) ? qbftBlockHash(h) : headerHash(h));
    const headers = rlps.map((h) => decodeHeader(h));
    for (let i = 1; i < headers.length; i++) {
      if (headers[i].number !== headers[i - 1].number + 1 || headers[i].parentHash !== hashOf(headers[i - 1])) {
        throw new EvmClientError(EVM_ERR.HEADER_NOT_CHILD, `header ${headers[i].number} does not extend header ${headers[i - 1].number}`, { details: { at: i } });
      }
    }
    const last = headers[headers.length - 1];
    if (last.number !== cons.height || hashOf(last) !== cons.extra!.hash) {
      throw new EvmClientError(EVM_ERR.PROOF_INVALID, `the headers end at block ${last.number}, not at the block the client holds at ${cons.height}`, { details: { last: last.number, height: cons.height } });
    }
    return headers[0].receiptsRoot;
  });
}

/**
 * A Gateway record proven by the log that wrote it: `pkt/ack/<ch>/<seq>` = keccak256(ack) by the
 * PacketReceived of that packet, `pkt/out/<ch>/<seq>` = the commitment by its PacketSent.
 */
function verifyGatewayLog(rec: EvmClientRecord, cons: EvmConsensusRecord, key: Bytes, value: Bytes, proof: unknown): void {
  const ack = parseSequencedKey(key, 'pkt/ack/');
  const out = ack ? null : parseSequencedKey(key, 'pkt/out/');
  const at = ack ?? out;
  if (!at) throw new EvmClientError(EVM_ERR.PROOF_MALFORMED, 'a log proves only a pkt/ack/<channel>/<seq> or pkt/out/<channel>/<seq> key');
  // the parts are checked by their own schemas (and only once per message): kept as the message holds them
  const p = parseWith(evmLogProofSchema, proof, EVM_ERR.PROOF_MALFORMED, 'evm log proof');
  const raw = proof as { receipt: unknown; headers?: unknown };
  const receiptsRoot = raw.headers === undefined ? cons.extra!.receiptsRoot : linkedReceiptsRoot(rec, cons, raw.headers);
  const receipt = memo(raw.receipt, `receipt|${rec.chainId}|${receiptsRoot}`, () => {
    const r = parseWith(evmReceiptPartSchema, raw.receipt, EVM_ERR.PROOF_MALFORMED, 'evm receipt part');
    return verifyReceiptProof(receiptsRoot, r.txIndex, r.proof);
  });
  const log = logAt(receipt, p.logIndex);
  const topic = ack ? PACKET_RECEIVED_TOPIC : PACKET_SENT_TOPIC;
  if (log.address !== rec.state.gateway || log.topics[0] !== topic) {
    throw new EvmClientError(EVM_ERR.PROOF_INVALID, `log ${p.logIndex} is not the gateway's ${ack ? 'PacketReceived' : 'PacketSent'}`, { details: { emitter: log.address, gateway: rec.state.gateway } });
  }
  const ev = ack ? packetReceivedOf(log) : packetSentOf(log);
  if (ev.channelHash !== toHex(keccak256(utf8(at.ch))) || ev.sequence !== BigInt(at.seq)) {
    throw new EvmClientError(EVM_ERR.PROOF_INVALID, `log ${p.logIndex} is the log of another packet`, { details: { channel: at.ch, sequence: at.seq } });
  }
  const proven = 'ack' in ev ? keccak256(ev.ack) : packetCommitment(ev.packet);
  if (toHex(proven) !== word(value)) {
    throw new EvmClientError(EVM_ERR.PROOF_VALUE_MISMATCH, `log ${p.logIndex} proves another ${ack ? 'ack' : 'commitment'}`, { details: { channel: at.ch, sequence: at.seq } });
  }
}
