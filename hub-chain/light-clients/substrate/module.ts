/**
 * Client type `substrate`: Substrate chains, headers trusted in one of two modes (params.trust).
 *
 * `grandpa`: the client holds the GRANDPA authority set and its id. A client message is a
 * finalized header with its justification (grandpa.ts) and a read proof of `Timestamp.Now` under
 * the header's state root (the block time). Like polkadot-sdk's pallet-bridge-grandpa, the client
 * follows only ScheduledChange{delay: 0}, enacted at the header that announces it (the next set,
 * set id + 1, verifies the headers after it); a ForcedChange or a delayed change is refused, and
 * a header announcing a change must itself be submitted (skipping it leaves the client on the old
 * set, which can then justify nothing new). Two justified headers at one height with different
 * hashes freeze the client (`conflicting-header`).
 *
 * `attested`: the hub validators vote (height, hash, stateRoot, timestamp) of finalized blocks they
 * observed (source.ts), exactly the `attested` type's votes, tally and freezing (receiptsRoot zero).
 *
 * The consensus root is the block's state root. Proofs (schemas.ts): `{ nodes }`, a read proof of a
 * raw storage key (membership: the value equals; non-membership: the key is absent), or
 * `{ remark }`, a pair a registered writer wrote by remark, shown through `System.Events`. The one
 * absence a remark answers is a receipt's, by the writers' timeout record (records.ts).
 */
import { type Bytes, type Hex, ZERO_HASH, fromHex, toHex } from '../../crypto/bytes.ts';
import { type AttestedConsensusExtra, DEFAULT_VOTE_WINDOW, ProofKindRegistry, createAttestedClient } from '../attested/module.ts';
import { CLIENT_ERR } from '../../modules/clients/errors.ts';
import { parseWith, readConsensus, timedStatus } from '../../modules/clients/store.ts';
import type { ClientContext, ClientRecord, ConsensusRecord, LightClientModule } from '../../modules/clients/types.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { type EventTypeTable, TypeRegistry, eventTypeTableHash } from './events.ts';
import { decodeJustification, verifyJustification } from './grandpa.ts';
import { type SubstrateHeader, authorityChanges, decodeHeader, headerHash } from './header.ts';
import { RECEIPT_NONE_VALUE, timeoutRecordFor } from './records.ts';
import { type RemarkPairs, expectRemarkPair, provenRemarkPairs } from './remark.ts';
import { ScaleReader } from './scale.ts';
import { type SubstrateParams, substrateHeaderMsgSchema, substrateInitialSchema, substrateParamsSchema, substrateRemarkPartSchema, substrateStorageProofSchema } from './schemas.ts';
import { SYSTEM_EVENTS_KEY, TIMESTAMP_NOW_KEY } from './storage.ts';
import { verifyReadProof } from './trie.ts';

export const SUBSTRATE_CLIENT_TYPE = 'substrate';

export interface SubstrateClientState {
  trust: SubstrateParams['trust'];
  writers: Hex[];
  events?: { hash: Hex; table: EventTypeTable };
  /** Read by the reused attested vote logic. */
  voteWindow: number;
}

export type SubstrateClientRecord = ClientRecord<SubstrateClientState>;
/** root = the block's state root; extra = { hash, receiptsRoot: zero } (the attested layout, so votes compare against it). */
export type SubstrateConsensusExtra = AttestedConsensusExtra;
export type SubstrateConsensusRecord = ConsensusRecord<SubstrateConsensusExtra>;

/** The attested vote logic with no proof kinds: it sees `substrate` records for votes only. */
const votes = createAttestedClient(new ProofKindRegistry()) as unknown as LightClientModule<SubstrateClientState, SubstrateConsensusExtra>;

const isGrandpa = (rec: SubstrateClientRecord): boolean => rec.state.trust.mode === 'grandpa';

function initialConsensus(initial: unknown): SubstrateConsensusRecord {
  const i = parseWith(substrateInitialSchema, initial, CLIENT_ERR.INITIAL_INVALID, 'substrate initial state');
  if ('header' in i) {
    let h: SubstrateHeader;
    try {
      h = decodeHeader(i.header);
    } catch (e) {
      throw new SubstrateClientError(CLIENT_ERR.INITIAL_INVALID, `the trusted header does not decode: ${(e as Error).message}`, { cause: e });
    }
    if (h.number < 1) throw new SubstrateClientError(CLIENT_ERR.INITIAL_INVALID, 'the trusted header must be above genesis');
    return { height: h.number, timestamp: i.timestamp, root: toHex(h.stateRoot), extra: { hash: toHex(headerHash(h)), receiptsRoot: ZERO_HASH } };
  }
  return { height: i.height, timestamp: i.timestamp, root: i.stateRoot, extra: { hash: i.hash, receiptsRoot: ZERO_HASH } };
}

function checkEventTypes(events: SubstrateParams['events']): void {
  if (!events) return;
  if (eventTypeTableHash(events.table) !== events.hash) throw new SubstrateClientError(CLIENT_ERR.PARAMS_INVALID, 'the event type table does not hash to its stated hash', { details: { stated: events.hash, got: eventTypeTableHash(events.table) } });
  new TypeRegistry(events.table).def(events.table.root);
}

/** A verified grandpa client message: the header, what to store, and the authority set it hands over to (if it announces one). */
interface VerifiedHeader {
  header: SubstrateHeader;
  consensus: SubstrateConsensusRecord;
  nextSet: { authorities: { id: Hex; weight: string }[]; setId: string } | null;
}

function verifiedHeader(ctx: ClientContext, rec: SubstrateClientRecord, msg: unknown): VerifiedHeader {
  const trust = rec.state.trust;
  if (trust.mode !== 'grandpa') throw new SubstrateClientError(CLIENT_ERR.MSG_INVALID, 'not a grandpa client');
  const m = parseWith(substrateHeaderMsgSchema, msg, CLIENT_ERR.MSG_INVALID, 'substrate header message');
  const header = decodeHeader(m.header);
  const hash = headerHash(header);
  // A height the client passed is only worth verifying to compare with what it holds there.
  if (header.number <= rec.latestHeight && !readConsensus(ctx.store, rec.chainId, header.number)) {
    throw new SubstrateClientError(SUB_ERR.HEADER_STALE, `header ${header.number} is at or below the client's height ${rec.latestHeight} and not held`, { details: { number: header.number, latestHeight: rec.latestHeight } });
  }
  const set = { authorities: trust.authorities.map((a) => ({ id: fromHex(a.id), weight: BigInt(a.weight) })), setId: BigInt(trust.setId) };
  verifyJustification(decodeJustification(fromHex(m.justification)), set, { hash, number: header.number });
  const changes = authorityChanges(header);
  if (changes.length > 1 || changes.some((c) => c.kind !== 'scheduled' || c.delay !== 0)) {
    throw new SubstrateClientError(SUB_ERR.AUTHORITY_CHANGE_UNSUPPORTED, `header ${header.number} announces an authority change this client does not follow (forced, delayed or several)`, { details: { number: header.number } });
  }
  const timestamp = blockTime(header, m.timestampProof.map((n) => fromHex(n)));
  if (timestamp > ctx.now + rec.maxClockDriftMs) {
    throw new SubstrateClientError(SUB_ERR.HEADER_FROM_FUTURE, `block time ${timestamp} is beyond now + drift`, { retryable: true, details: { timestamp, now: ctx.now } });
  }
  const next = changes[0];
  return {
    header,
    consensus: { height: header.number, timestamp, root: toHex(header.stateRoot), extra: { hash: toHex(hash), receiptsRoot: ZERO_HASH } },
    nextSet: next ? { authorities: next.authorities.map((a) => ({ id: toHex(a.id), weight: a.weight.toString() })), setId: String(BigInt(trust.setId) + 1n) } : null,
  };
}

/** `Timestamp.Now` (u64 ms) proven under the header's state root. */
function blockTime(header: SubstrateHeader, proof: Bytes[]): number {
  const v = verifyReadProof(header.stateRoot, proof, TIMESTAMP_NOW_KEY);
  if (v === null) throw new SubstrateClientError(SUB_ERR.PROOF_KEY_ABSENT, `block ${header.number} has no Timestamp.Now`);
  const r = new ScaleReader(v);
  const ms = r.u64();
  r.end('Timestamp.Now');
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) throw new SubstrateClientError(SUB_ERR.PROOF_VALUE_MISMATCH, `Timestamp.Now ${ms} is not a time`);
  return Number(ms);
}

function storedConflict(ctx: ClientContext, rec: SubstrateClientRecord, c: SubstrateConsensusRecord): SubstrateConsensusRecord | undefined {
  const stored = readConsensus<SubstrateConsensusExtra>(ctx.store, rec.chainId, c.height);
  return stored && stored.extra?.hash !== c.extra!.hash ? stored : undefined;
}

function provenValue(cons: SubstrateConsensusRecord, key: Bytes, nodes: string[]): Bytes | null {
  return verifyReadProof(fromHex(cons.root, 32), nodes.map((n) => fromHex(n)), key);
}

/** A Pontis record key: a printable path with a '/' (`pkt/out/...`), never a storage key (those are hashes, or `:`-names). */
const isPontisKey = (key: Bytes): boolean => key.length > 0 && key[0] !== 0x3a && key.every((b) => b >= 0x21 && b <= 0x7e) && key.includes(0x2f);

/** Raw storage proofs are for storage keys only: Pontis records live in remarks (see PONTIS_KEY_RAW). */
function rawKey(key: Bytes): Bytes {
  if (isPontisKey(key)) {
    throw new SubstrateClientError(SUB_ERR.PONTIS_KEY_RAW, `${new TextDecoder().decode(key)} is a Pontis record: on a Substrate chain it is proven by a remark write, not by raw storage`);
  }
  return key;
}

/**
 * The pairs a registered writer's remark proves, shown through the `System.Events` under the
 * block's state root. A remark is a shared part of a relay message (every packet of it cites the
 * same object), so its check (the events' read proof, their decoding, the payload's hash and
 * decoding) runs once per message for the client and block it was checked against.
 */
const provenRemarks = new WeakMap<object, { against: string; pairs: RemarkPairs }>();

function remarkPairs(rec: SubstrateClientRecord, cons: SubstrateConsensusRecord, part: unknown): RemarkPairs {
  const { events } = rec.state;
  if (!events) throw new SubstrateClientError(SUB_ERR.TYPES_INVALID, `client ${rec.chainId} has no event type table: remark proofs need one`);
  const against = `${rec.chainId}|${cons.height}|${cons.root}|${events.hash}|${rec.state.writers.join(',')}`;
  const key = typeof part === 'object' && part !== null ? part : undefined;
  const seen = key && provenRemarks.get(key);
  if (seen && seen.against === against) return seen.pairs;
  const remark = parseWith(substrateRemarkPartSchema, part, SUB_ERR.PROOF_MALFORMED, 'substrate remark proof');
  const ev = provenValue(cons, SYSTEM_EVENTS_KEY, remark.events.nodes);
  if (ev === null) throw new SubstrateClientError(SUB_ERR.PROOF_KEY_ABSENT, `block ${cons.height} has no System.Events`);
  const pairs = provenRemarkPairs(events.table, ev, remark.index, fromHex(remark.payload), rec.state.writers.map((w) => fromHex(w)));
  if (key) provenRemarks.set(key, { against, pairs });
  return pairs;
}

/** A proof `{ remark }` gives its part as the message holds it (checked by remarkPairs, once); any other shape is parsed as a read proof. */
function parseProof(proof: unknown): { remark: unknown } | { nodes: string[] } {
  if (typeof proof === 'object' && proof !== null && 'remark' in proof) {
    if (Object.keys(proof).length !== 1) throw new SubstrateClientError(SUB_ERR.PROOF_MALFORMED, 'malformed substrate proof: a remark proof has only the key remark');
    return { remark: (proof as { remark: unknown }).remark };
  }
  return parseWith(substrateStorageProofSchema, proof, SUB_ERR.PROOF_MALFORMED, 'substrate proof');
}

export const substrateClient: LightClientModule<SubstrateClientState, SubstrateConsensusExtra> = {
  type: SUBSTRATE_CLIENT_TYPE,

  initialise(chainId, params, initial) {
    const p = parseWith(substrateParamsSchema, params, CLIENT_ERR.PARAMS_INVALID, 'substrate params');
    if (p.trust.mode === 'grandpa' && new Set(p.trust.authorities.map((a) => a.id)).size !== p.trust.authorities.length) {
      throw new SubstrateClientError(CLIENT_ERR.PARAMS_INVALID, 'grandpa authorities must be distinct');
    }
    checkEventTypes(p.events);
    const consensus = initialConsensus(initial);
    const state: SubstrateClientState = { trust: p.trust, writers: p.writers ?? [], voteWindow: p.voteWindow ?? DEFAULT_VOTE_WINDOW };
    if (p.events) state.events = p.events;
    return {
      record: { chainId, clientType: SUBSTRATE_CLIENT_TYPE, state, latestHeight: consensus.height, trustingPeriodMs: p.trustingPeriodMs, maxClockDriftMs: p.maxClockDriftMs, frozen: null },
      consensus,
    };
  },

  verifyClientMessage(ctx, rec, msg) {
    if (!isGrandpa(rec)) return votes.verifyClientMessage(ctx, rec, msg);
    verifiedHeader(ctx, rec, msg);
  },

  checkForMisbehaviour(ctx, rec, msg) {
    if (!isGrandpa(rec)) return votes.checkForMisbehaviour(ctx, rec, msg);
    return storedConflict(ctx, rec, verifiedHeader(ctx, rec, msg).consensus) !== undefined;
  },

  updateState(ctx, rec, msg) {
    if (!isGrandpa(rec)) return votes.updateState(ctx, rec, msg);
    const { consensus, nextSet } = verifiedHeader(ctx, rec, msg);
    // The same header again (racing relayers) changes nothing.
    if (readConsensus(ctx.store, rec.chainId, consensus.height)) return { record: rec, consensus: [] };
    const state = nextSet ? { ...rec.state, trust: { mode: 'grandpa' as const, ...nextSet } } : rec.state;
    return { record: { ...rec, state, latestHeight: consensus.height }, consensus: [consensus] };
  },

  evidenceOf(ctx, rec, msg) {
    if (!isGrandpa(rec)) return votes.evidenceOf!(ctx, rec, msg);
    const { consensus } = verifiedHeader(ctx, rec, msg);
    return { kind: 'conflicting-header', chainId: rec.chainId, height: consensus.height, header: msg, stored: storedConflict(ctx, rec, consensus) };
  },

  updateStateOnMisbehaviour(ctx, rec, msg) {
    if (!isGrandpa(rec)) return votes.updateStateOnMisbehaviour(ctx, rec, msg);
    const { consensus } = verifiedHeader(ctx, rec, msg);
    return { ...rec, frozen: { atHeight: consensus.height, evidence: 'conflicting-header' } };
  },

  verifyMembership(rec, cons, key, value, proof) {
    const p = parseProof(proof);
    if ('remark' in p) return expectRemarkPair(remarkPairs(rec, cons, p.remark), key, value);
    const got = provenValue(cons, rawKey(key), p.nodes);
    if (got === null) throw new SubstrateClientError(SUB_ERR.PROOF_KEY_ABSENT, `key ${toHex(key)} is absent at height ${cons.height}`, { details: { height: cons.height } });
    if (toHex(got) !== toHex(value)) throw new SubstrateClientError(SUB_ERR.PROOF_VALUE_MISMATCH, `key ${toHex(key)} holds another value at height ${cons.height}`, { details: { height: cons.height, got: toHex(got) } });
  },

  verifyNonMembership(rec, cons, key, proof) {
    const p = parseProof(proof);
    if ('remark' in p) {
      // the keeper's "receipt absent" (a timeout) is answered by the writers' timeout record (records.ts); any other absence is not provable
      const record = timeoutRecordFor(key);
      if (!record) throw new SubstrateClientError(SUB_ERR.REMARK_NO_ABSENCE, 'a remark proof shows a write, never an absence (events are a list, not a map)');
      return expectRemarkPair(remarkPairs(rec, cons, p.remark), record, RECEIPT_NONE_VALUE);
    }
    if (provenValue(cons, rawKey(key), p.nodes) !== null) throw new SubstrateClientError(SUB_ERR.PROOF_KEY_PRESENT, `key ${toHex(key)} is present at height ${cons.height}`, { details: { height: cons.height } });
  },

  status: (rec, latest, now) => timedStatus(rec, latest, now),
};
