/**
 * Client type `fabric`: a Hyperledger Fabric channel running the Pontis chaincode
 * (docs/adr/0015-fabric-spoke.md). Headers are trusted through the hash chain from the trusted
 * one and the orderers' signatures on the newest; a consensus record keeps a header's hash as
 * its root and the hub time it was learned (Fabric headers carry no time). Membership is a
 * committed-transaction proof plus an endorsed query (the block's validation filter is signed by
 * nobody); non-membership is the TIMEOUT marker shown by an endorsed query. Misbehaviour: two
 * orderer-signed headers at one height.
 */
import { type Bytes, type Hex, equalBytes, fromHex, toHex } from '../../crypto/bytes.ts';
import { CLIENT_ERR } from '../../modules/clients/errors.ts';
import { parseWith, readConsensus, timedStatus } from '../../modules/clients/store.ts';
import { ClientError, type ClientContext, type ClientRecord, type ConsensusRecord, type LightClientModule } from '../../modules/clients/types.ts';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ProofError } from '../../state/errors.ts';
import { type BlockHeaderFields, blockHeaderHash, decodeBlock, txValidationCode, verifyOrdererSignatures } from './block.ts';
import { FABRIC_ERR, FabricClientError } from './errors.ts';
import { MspRegistry } from './msp.ts';
import { FABRIC_TIMEOUT_MARKER, verifyEndorsedQuery } from './query.ts';
import { type FabricHeader, type FabricMisbehaviour, type FabricParams, fabricInitialSchema, fabricMisbehaviourSchema, fabricParamsSchema, fabricQueryProofSchema, fabricTxProofSchema, fabricUpdateSchema } from './schemas.ts';
import { type EndorsedTxRules, verifyEndorsedTransaction } from './transaction.ts';

export const FABRIC_CLIENT_TYPE = 'fabric';

/** The trust root (the params less the two periods every client keeps on its record). */
export type FabricClientState = Omit<FabricParams, 'trustingPeriodMs' | 'maxClockDriftMs'>;
export type FabricClientRecord = ClientRecord<FabricClientState>;
export type FabricConsensusRecord = ConsensusRecord;

const VALID = 0; // peer.TxValidationCode.VALID

const fields = (h: FabricHeader): BlockHeaderFields => ({ number: h.number, previousHash: fromHex(h.previousHash), dataHash: fromHex(h.dataHash) });
const headerHash = (h: FabricHeader): Hex => toHex(blockHeaderHash(fields(h)));
const isMisbehaviourMsg = (msg: unknown): boolean => typeof msg === 'object' && msg !== null && 'a' in msg && 'b' in msg;

/** MSP registries by trust root (parsing certificates is the costly part; a client's root rarely changes). */
const registries = new Map<string, MspRegistry>();
function registry(roots: Record<string, string[]>, k = JSON.stringify(roots)): MspRegistry {
  let r = registries.get(k);
  if (!r) {
    if (registries.size > 64) registries.clear();
    r = new MspRegistry(roots);
    registries.set(k, r);
  }
  return r;
}

function signedBy(rec: FabricClientRecord, h: FabricHeader, signatures: string, now: number): void {
  verifyOrdererSignatures(fields(h), Buffer.from(signatures, 'base64'), registry(rec.state.orderers.msps), rec.state.orderers.threshold, new Date(now));
}

/** Checks an update: it extends the latest header by the hash chain, and the orderers signed its newest header. */
function verifyUpdate(ctx: ClientContext, rec: FabricClientRecord, msg: unknown): FabricHeader {
  const u = parseWith(fabricUpdateSchema, msg, CLIENT_ERR.MSG_INVALID, 'fabric update');
  const latest = readConsensus(ctx.store, rec.chainId, rec.latestHeight);
  if (!latest) throw new ClientError(CLIENT_ERR.NO_CONSENSUS, `client ${rec.chainId} has no consensus state at its latest height ${rec.latestHeight}`);
  const first = u.headers[0];
  if (first.number <= rec.latestHeight) throw new FabricClientError(FABRIC_ERR.HEADER_STALE, `header ${first.number} is at or below the client's latest ${rec.latestHeight}`, { retryable: true, details: { number: first.number, latest: rec.latestHeight } });
  if (first.number !== rec.latestHeight + 1) throw new FabricClientError(FABRIC_ERR.HEADER_GAP, `headers must continue from ${rec.latestHeight + 1}, not ${first.number}`, { details: { number: first.number, latest: rec.latestHeight } });
  let prev = latest.root;
  for (const [i, h] of u.headers.entries()) {
    if (i > 0 && h.number !== u.headers[i - 1].number + 1) throw new FabricClientError(FABRIC_ERR.HEADER_GAP, `header ${h.number} does not follow ${u.headers[i - 1].number}`);
    if (h.previousHash !== prev) throw new FabricClientError(FABRIC_ERR.HEADER_CHAIN, `header ${h.number} does not follow the trusted chain (previous hash ${h.previousHash}, expected ${prev})`, { details: { number: h.number } });
    prev = headerHash(h);
  }
  const newest = u.headers[u.headers.length - 1];
  signedBy(rec, newest, u.signatures, ctx.now);
  return newest;
}

function verifyMisbehaviour(ctx: ClientContext, rec: FabricClientRecord, msg: unknown): FabricMisbehaviour {
  const m = parseWith(fabricMisbehaviourSchema, msg, CLIENT_ERR.MSG_INVALID, 'fabric misbehaviour');
  if (m.a.header.number !== m.b.header.number) throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, `headers are at different heights (${m.a.header.number}, ${m.b.header.number})`);
  if (headerHash(m.a.header) === headerHash(m.b.header)) throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, 'the two headers are identical');
  for (const [side, s] of [['a', m.a], ['b', m.b]] as const) {
    try {
      signedBy(rec, s.header, s.signatures, ctx.now);
    } catch (e) {
      throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, `misbehaviour side ${side} is not signed by the channel's orderers`, { cause: e });
    }
  }
  return m;
}

/** What a parsed record's trust root gives every check: computed once per record object (a relay batch checks all its items against one). */
const trusted = new WeakMap<FabricClientState, { msps: MspRegistry; trustRoot: string }>();
function rules(rec: FabricClientRecord, at: number): EndorsedTxRules & { chaincode: string; trustRoot: string } {
  const { policy, chaincode } = rec.state;
  let t = trusted.get(rec.state);
  if (t === undefined) {
    const json = JSON.stringify(rec.state);
    // the result caches are keyed by the root's digest, not by kilobytes of certificates per item
    t = { msps: registry(rec.state.msps, `peers:${json}`), trustRoot: createHash('sha256').update(json).digest('hex') };
    trusted.set(rec.state, t);
  }
  return { channelId: rec.state.channel, chaincode, msps: t.msps, policy: (ns) => (ns === chaincode ? policy : undefined), at: new Date(at), trustRoot: t.trustRoot };
}

/**
 * A membership proof's header path, checked once per distinct list and named by its digest (for
 * the result cache's key): the items of a relay message share it (the very same array, one of the
 * message's shared parts), and a path may hold hundreds of headers.
 */
const headerPaths = new WeakMap<object, { headers: FabricHeader[]; key: string }>();
const headerPathSchema = fabricTxProofSchema.shape.headers;

function headerPath(raw: unknown): { headers: FabricHeader[]; key: string } {
  if (raw === undefined) return { headers: [], key: '' };
  const known = typeof raw === 'object' && raw !== null ? headerPaths.get(raw) : undefined;
  if (known) return known;
  const headers = parseWith(headerPathSchema, raw, PROOF_ERR.MALFORMED, 'fabric transaction proof headers') ?? [];
  const path = { headers, key: headers.length ? createHash('sha256').update(JSON.stringify(headers)).digest('hex') : '' };
  if (typeof raw === 'object' && raw !== null) headerPaths.set(raw, path);
  return path;
}

/** A membership proof's shape; its header path is checked by headerPath. */
const txProofShellSchema = fabricTxProofSchema.extend({ headers: z.unknown().optional() });

/** The proof codes every client type shares (a relayer reads one code whichever chain it proves against). */
const PROOF_ERR = {
  MALFORMED: 'PNT_ERR_PROOF_MALFORMED',
  INVALID: 'PNT_ERR_PROOF_INVALID',
  KEY_PRESENT: 'PNT_ERR_PROOF_KEY_PRESENT',
  KEY_ABSENT: 'PNT_ERR_PROOF_KEY_ABSENT',
  VALUE_MISMATCH: 'PNT_ERR_PROOF_VALUE_MISMATCH',
} as const;

const proofError = (code: string, message: string, cause?: unknown) => new ProofError(code, message, { cause });

/** A Pontis key as the Fabric key the chaincode stores it under (its UTF-8 string). */
function fabricKey(key: Bytes): string {
  const k = Buffer.from(key).toString('utf8');
  if (!equalBytes(Buffer.from(k, 'utf8'), key)) throw proofError(PROOF_ERR.MALFORMED, 'the key is not UTF-8: the Pontis chaincode cannot hold it');
  return k;
}

/** Runs a Fabric check of a proof; its refusal becomes PNT_ERR_PROOF_INVALID (the cause says which check). */
function checked<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw proofError(PROOF_ERR.INVALID, `${what}: ${(e as Error).message}`, e);
  }
}

/**
 * Verified results by their inputs. A relay batch shares one block and one endorsed query among
 * many packets (the message's shared parts, so every item's proof holds the same string); checking
 * them once per distinct input is the same pure function, so every validator still reaches the
 * same answer. Keyed first by the large input itself (a Map compares the same string instance
 * without reading it), then by the small rest. Refusals are not kept.
 */
class ResultCache<V> {
  private readonly m = new Map<string, Map<string, V>>();
  constructor(private readonly max: number) {}
  get(big: string, small: string, make: () => V): V {
    let inner = this.m.get(big);
    let v = inner?.get(small);
    if (v === undefined) {
      v = make();
      if (!inner) {
        if (this.m.size >= this.max) this.m.delete(this.m.keys().next().value!);
        this.m.set(big, (inner = new Map()));
      }
      if (inner.size >= 64) inner.clear();
      inner.set(small, v);
    }
    return v;
  }
}

interface ProvenTx {
  /** The chaincode's writes: key -> value (null: deleted). */
  writes: Map<string, Uint8Array | null>;
}

const txCache = new ResultCache<ProvenTx>(16);
const queryCache = new ResultCache<Map<string, Uint8Array | null>>(16);
const rulesKey = (r: ReturnType<typeof rules>) => `${r.trustRoot}@${r.at?.getTime()}`;

/**
 * The committed-transaction part of a membership proof: the block chains to the header the
 * client holds at `cons` (directly, or through the headers after it), its data hash covers the
 * envelopes, the transaction is marked VALID and passes the endorsement checks in the chaincode's
 * namespace. Returns its writes.
 */
function provenTx(p: { block: string; txIndex: number; headers?: unknown; query: string }, cons: ConsensusRecord, r: ReturnType<typeof rules>): ProvenTx {
  const path = headerPath(p.headers);
  const small = `${p.txIndex}|${cons.height}|${cons.root}|${rulesKey(r)}|${path.key}`;
  return txCache.get(p.block, small, () => {
    const block = checked('block', () => decodeBlock(Buffer.from(p.block, 'base64')));
    let prev = toHex(blockHeaderHash(block.header));
    let n = block.header.number;
    for (const h of path.headers) {
      if (h.number !== n + 1 || h.previousHash !== prev) throw proofError(PROOF_ERR.INVALID, `header ${h.number} does not follow block ${n} of the proof`);
      prev = headerHash(h);
      n = h.number;
    }
    if (n !== cons.height || prev !== cons.root) throw proofError(PROOF_ERR.INVALID, `the block does not chain to the header the client holds at ${cons.height}`);
    const env = block.data[p.txIndex];
    if (!env) throw proofError(PROOF_ERR.INVALID, `block ${block.header.number} has no transaction ${p.txIndex}`);
    if (txValidationCode(block, p.txIndex) !== VALID) throw proofError(PROOF_ERR.INVALID, `transaction ${p.txIndex} of block ${block.header.number} is not marked VALID`);
    const tx = checked('transaction', () => verifyEndorsedTransaction(env, r));
    if (tx.namespace !== r.chaincode) throw proofError(PROOF_ERR.INVALID, `the transaction ran chaincode ${tx.namespace}, not ${r.chaincode}`);
    return { writes: new Map(tx.writes.map((w) => [w.getKey(), w.getIsDelete() ? null : w.getValue_asU8()])) };
  });
}

/** The values an endorsed GetState shows (checked against the trust root at the consensus time). */
function endorsedValues(query: string, r: ReturnType<typeof rules>): Map<string, Uint8Array | null> {
  return queryCache.get(query, rulesKey(r), () => checked('endorsed query', () => verifyEndorsedQuery(Buffer.from(query, 'base64'), r)));
}

export const fabricClient: LightClientModule<FabricClientState> = {
  type: FABRIC_CLIENT_TYPE,

  initialise(chainId, params, initial) {
    const { trustingPeriodMs, maxClockDriftMs, ...state } = parseWith(fabricParamsSchema, params, CLIENT_ERR.PARAMS_INVALID, 'fabric params');
    try {
      registry(state.msps);
      registry(state.orderers.msps);
    } catch (e) {
      throw new ClientError(CLIENT_ERR.PARAMS_INVALID, 'fabric params: a root CA certificate does not parse', { cause: e });
    }
    const i = parseWith(fabricInitialSchema, initial, CLIENT_ERR.INITIAL_INVALID, 'fabric initial state');
    return {
      record: { chainId, clientType: FABRIC_CLIENT_TYPE, state, latestHeight: i.header.number, trustingPeriodMs, maxClockDriftMs, frozen: null },
      consensus: { height: i.header.number, timestamp: i.timestamp, root: headerHash(i.header) },
    };
  },

  verifyClientMessage(ctx, rec, msg) {
    if (isMisbehaviourMsg(msg)) verifyMisbehaviour(ctx, rec, msg);
    else verifyUpdate(ctx, rec, msg);
  },

  /** Updates only extend the latest header, so only explicit evidence is misbehaviour. */
  checkForMisbehaviour(_ctx, _rec, msg) {
    return isMisbehaviourMsg(msg);
  },

  updateState(ctx, rec, msg) {
    if (isMisbehaviourMsg(msg)) throw new ClientError(CLIENT_ERR.MSG_INVALID, 'misbehaviour is not an update');
    const newest = verifyUpdate(ctx, rec, msg);
    return { record: { ...rec, latestHeight: newest.number }, consensus: [{ height: newest.number, timestamp: ctx.now, root: headerHash(newest) }] };
  },

  updateStateOnMisbehaviour(_ctx, rec, msg) {
    return { ...rec, frozen: { atHeight: (msg as FabricMisbehaviour).a.header.number, evidence: 'fork' } };
  },

  evidenceOf(ctx, rec, msg) {
    const m = verifyMisbehaviour(ctx, rec, msg);
    return { kind: 'fork', height: m.a.header.number, hashA: headerHash(m.a.header), hashB: headerHash(m.b.header), a: m.a, b: m.b };
  },

  verifyMembership(rec, cons, key, value, proof) {
    const p = parseWith(txProofShellSchema, proof, PROOF_ERR.MALFORMED, 'fabric transaction proof');
    const k = fabricKey(key);
    const r = rules(rec, cons.timestamp);
    const tx = provenTx(p, cons, r);
    const w = tx.writes.get(k);
    if (w === undefined || w === null) throw proofError(PROOF_ERR.KEY_ABSENT, `the transaction does not write ${k}`);
    if (!equalBytes(w, value)) throw proofError(PROOF_ERR.VALUE_MISMATCH, `the transaction wrote another value at ${k}`);
    // the validation filter is unsigned: committed world state, as the policy's peers answer, shows the write took effect
    const held = endorsedValues(p.query, r).get(k);
    if (!held || !equalBytes(held, value)) throw proofError(PROOF_ERR.INVALID, `the endorsed query does not show ${k} holding the value`);
  },

  verifyNonMembership(rec, cons, key, proof) {
    const p = parseWith(fabricQueryProofSchema, proof, PROOF_ERR.MALFORMED, 'fabric query proof');
    const k = fabricKey(key);
    const values = endorsedValues(p.query, rules(rec, cons.timestamp));
    if (!values.has(k)) throw proofError(PROOF_ERR.INVALID, `the endorsed query did not ask for ${k}`);
    const v = values.get(k)!;
    if (v && equalBytes(v, FABRIC_TIMEOUT_MARKER)) return;
    // absence alone proves nothing on Fabric: an endorsed write may still be on its way (ADR 0015)
    if (v === null) throw proofError(PROOF_ERR.INVALID, `${k} is absent, which on Fabric is not proof that it never will be: only the TIMEOUT marker is`);
    throw proofError(PROOF_ERR.KEY_PRESENT, `${k} holds a value`);
  },

  status(rec, latest, now) {
    return timedStatus(rec, latest, now);
  },
};
