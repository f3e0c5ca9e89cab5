/**
 * Client type `pontis`: a chain running this software (a department side-chain, or the hub as
 * seen from a side-chain). Headers are verified with the hub light client (ADR 0003) from the
 * consensus record at the update's `trustedHeight`; each consensus record keeps the header and
 * its sets so a later update can start from it. Misbehaviour: a verified header at a height the
 * client already holds with another hash, or two verified conflicting headers (`{ a, b }`).
 */
import { type Hex } from '../../crypto/bytes.ts';
import { type Fraction, type TrustedState, type VerifyOptions, DEFAULT_TRUST_LEVEL, checkedHeaderHash, detectConflict, trustedStateFrom, validateTrustLevel, verifyHeader } from './verifier/index.ts';
import type { LightClientMisbehaviour } from './verifier/misbehaviour.ts';
import type { Header } from '../../types/header.ts';
import { type Validator, ValidatorSet } from '../../types/validator-set.ts';
import { CLIENT_ERR } from '../../modules/clients/errors.ts';
import { type PontisMisbehaviour, type PontisUpdate, pontisInitialSchema, pontisMisbehaviourSchema, pontisParamsSchema, pontisUpdateSchema } from './schemas.ts';
import { parseWith, readConsensus, timedStatus } from '../../modules/clients/store.ts';
import { verifyPontisNonMembership, verifySmtMembership } from './state-proofs.ts';
import { ClientError, type ClientContext, type ClientRecord, type ConsensusRecord, type LightClientModule } from '../../modules/clients/types.ts';

export const PONTIS_CLIENT_TYPE = 'pontis';

export interface PontisClientState {
  trustLevel: Fraction;
}

/** Validator set as stored (priorities dropped: they do not enter the set hash). */
export interface StoredValidatorSet {
  validators: Validator[];
}

export interface PontisConsensusExtra {
  header: Header;
  nextValidators: StoredValidatorSet;
  /** Omitted when equal to nextValidators (the usual case), to halve the record. */
  validators?: StoredValidatorSet;
}

export type PontisClientRecord = ClientRecord<PontisClientState>;
export type PontisConsensusRecord = ConsensusRecord<PontisConsensusExtra>;

const stored = (vs: ValidatorSet): StoredValidatorSet => ({ validators: vs.validators.map((v) => ({ ...v })) });

function toSet(j: { validators: Validator[] }, code: string, what: string): ValidatorSet {
  try {
    return new ValidatorSet(j.validators);
  } catch (e) {
    throw new ClientError(code, `${what} is not a valid validator set: ${(e as Error).message}`, { cause: e });
  }
}

const isMisbehaviourMsg = (msg: unknown): boolean => typeof msg === 'object' && msg !== null && 'a' in msg && 'b' in msg;

interface ParsedUpdate {
  raw: PontisUpdate;
  header: Header;
  validators: ValidatorSet;
  nextValidators: ValidatorSet;
}

function parseUpdate(msg: unknown, what = 'pontis update'): ParsedUpdate {
  const raw = parseWith(pontisUpdateSchema, msg, CLIENT_ERR.MSG_INVALID, what);
  return {
    raw,
    header: raw.signedHeader.header,
    validators: toSet(raw.validators, CLIENT_ERR.MSG_INVALID, `${what} validators`),
    nextValidators: toSet(raw.nextValidators, CLIENT_ERR.MSG_INVALID, `${what} nextValidators`),
  };
}

function verifyOptions(rec: PontisClientRecord, now: number): VerifyOptions {
  return { trustingPeriodMs: rec.trustingPeriodMs, maxClockDriftMs: rec.maxClockDriftMs, now, trustLevel: rec.state.trustLevel };
}

/** Rebuilds the TrustedState kept in the consensus record at `height`. */
function trustedAt(ctx: ClientContext, rec: PontisClientRecord, height: number): TrustedState {
  const cons = readConsensus<PontisConsensusExtra>(ctx.store, rec.chainId, height);
  if (!cons?.extra) throw new ClientError(CLIENT_ERR.NO_CONSENSUS, `client ${rec.chainId} has no consensus state at trusted height ${height}`, { details: { chainId: rec.chainId, height } });
  const next = new ValidatorSet(cons.extra.nextValidators.validators);
  const vals = cons.extra.validators ? new ValidatorSet(cons.extra.validators.validators) : next;
  return { header: cons.extra.header, validators: vals, nextValidators: next };
}

function verifyUpdate(ctx: ClientContext, rec: PontisClientRecord, u: ParsedUpdate): void {
  verifyHeader(trustedAt(ctx, rec, u.raw.trustedHeight), u.raw.signedHeader, u.validators, u.nextValidators, verifyOptions(rec, ctx.now));
}

/**
 * Each side must be a header this client would accept as an update (verifyHeader from its own
 * trusted height); detectConflict then confirms the fork and extracts double-signers. Headers of
 * different validator sets are tied to trust by detectConflict, which takes one trusted state,
 * so such evidence must name one trustedHeight for both sides.
 */
function verifyMisbehaviour(ctx: ClientContext, rec: PontisClientRecord, msg: unknown): LightClientMisbehaviour {
  const m: PontisMisbehaviour = parseWith(pontisMisbehaviourSchema, msg, CLIENT_ERR.MSG_INVALID, 'pontis misbehaviour');
  const a = parseUpdate(m.a, 'misbehaviour a');
  const b = parseUpdate(m.b, 'misbehaviour b');
  const opts = verifyOptions(rec, ctx.now);
  const side = (u: ParsedUpdate, name: string): TrustedState => {
    const trusted = trustedAt(ctx, rec, u.raw.trustedHeight);
    try {
      verifyHeader(trusted, u.raw.signedHeader, u.validators, u.nextValidators, opts);
    } catch (e) {
      throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, `misbehaviour side ${name} is not a header this client would accept`, { cause: e });
    }
    return trusted;
  };
  const trustedA = side(a, 'a');
  side(b, 'b');
  if (a.header.height !== b.header.height) throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, `headers are at different heights (${a.header.height}, ${b.header.height})`);
  const sameSet = a.validators.hash() === b.validators.hash();
  if (!sameSet && a.raw.trustedHeight !== b.raw.trustedHeight) {
    throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, 'headers signed by different validator sets must name the same trustedHeight');
  }
  let fork: LightClientMisbehaviour | null;
  try {
    fork = sameSet
      ? detectConflict(a.raw.signedHeader, b.raw.signedHeader, a.validators)
      : detectConflict(a.raw.signedHeader, b.raw.signedHeader, [a.validators, b.validators], { trusted: trustedA, opts });
  } catch (e) {
    throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, 'headers are not a valid conflict', { cause: e });
  }
  if (!fork) throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, 'the two headers are identical');
  return fork;
}

/** The stored header at the update's height when it differs from the update's header. */
function conflictingStored(ctx: ClientContext, rec: PontisClientRecord, header: Header): { hash: Hex; header: Header } | undefined {
  const cons = readConsensus<PontisConsensusExtra>(ctx.store, rec.chainId, header.height);
  if (!cons?.extra) return undefined;
  const hash = checkedHeaderHash(cons.extra.header);
  return hash === checkedHeaderHash(header) ? undefined : { hash, header: cons.extra.header };
}

export const pontisClient: LightClientModule<PontisClientState, PontisConsensusExtra> = {
  type: PONTIS_CLIENT_TYPE,

  initialise(chainId, params, initial) {
    const p = parseWith(pontisParamsSchema, params, CLIENT_ERR.PARAMS_INVALID, 'pontis params');
    const trustLevel = p.trustLevel ?? { ...DEFAULT_TRUST_LEVEL };
    validateTrustLevel(trustLevel);
    const i = parseWith(pontisInitialSchema, initial, CLIENT_ERR.INITIAL_INVALID, 'pontis initial state');
    if (i.header.chainId !== chainId) {
      throw new ClientError(CLIENT_ERR.INITIAL_INVALID, `initial header is for chain ${i.header.chainId}, client is for ${chainId}`, { details: { chainId, headerChainId: i.header.chainId } });
    }
    const vals = toSet(i.validators, CLIENT_ERR.INITIAL_INVALID, 'initial validators');
    const next = toSet(i.nextValidators, CLIENT_ERR.INITIAL_INVALID, 'initial nextValidators');
    try {
      trustedStateFrom(i.header, vals, next);
    } catch (e) {
      throw new ClientError(CLIENT_ERR.INITIAL_INVALID, 'initial validator sets do not match the initial header', { cause: e });
    }
    return {
      record: { chainId, clientType: PONTIS_CLIENT_TYPE, state: { trustLevel }, latestHeight: i.header.height, trustingPeriodMs: p.trustingPeriodMs, maxClockDriftMs: p.maxClockDriftMs, frozen: null },
      consensus: consensusOf(i.header, vals, next),
    };
  },

  verifyClientMessage(ctx, rec, msg) {
    if (isMisbehaviourMsg(msg)) verifyMisbehaviour(ctx, rec, msg);
    else verifyUpdate(ctx, rec, parseUpdate(msg));
  },

  checkForMisbehaviour(ctx, rec, msg) {
    if (isMisbehaviourMsg(msg)) return true;
    return conflictingStored(ctx, rec, parseUpdate(msg).header) !== undefined;
  },

  updateState(ctx, rec, msg) {
    if (isMisbehaviourMsg(msg)) throw new ClientError(CLIENT_ERR.MSG_INVALID, 'misbehaviour is not an update');
    const u = parseUpdate(msg);
    // The same header again (racing relayers) changes nothing.
    if (readConsensus(ctx.store, rec.chainId, u.header.height)) return { record: rec, consensus: [] };
    return { record: { ...rec, latestHeight: Math.max(rec.latestHeight, u.header.height) }, consensus: [consensusOf(u.header, u.validators, u.nextValidators)] };
  },

  updateStateOnMisbehaviour(ctx, rec, msg) {
    const height = isMisbehaviourMsg(msg) ? (msg as PontisMisbehaviour).a.signedHeader.header.height : parseUpdate(msg).header.height;
    return { ...rec, frozen: { atHeight: height, evidence: isMisbehaviourMsg(msg) ? 'fork' : 'conflicting-header' } };
  },

  evidenceOf(ctx, rec, msg) {
    if (isMisbehaviourMsg(msg)) {
      const f = verifyMisbehaviour(ctx, rec, msg);
      return { kind: 'fork', height: f.height, hashA: f.hashA, hashB: f.hashB, headerA: f.headerA, headerB: f.headerB, duplicateVotes: f.duplicateVotes };
    }
    const u = parseUpdate(msg);
    const prior = conflictingStored(ctx, rec, u.header)!;
    return { kind: 'conflicting-header', height: u.header.height, storedHash: prior.hash, storedHeader: prior.header, update: u.raw };
  },

  verifyMembership(_rec, cons, key, value, proof) {
    verifySmtMembership(cons.root, key, value, proof);
  },

  verifyNonMembership(_rec, cons, key, proof) {
    verifyPontisNonMembership(cons.root, key, proof);
  },

  status(rec, latest, now) {
    return timedStatus(rec, latest, now);
  },
};

function consensusOf(header: Header, vals: ValidatorSet, next: ValidatorSet): PontisConsensusRecord {
  const extra: PontisConsensusExtra = { header, nextValidators: stored(next) };
  if (vals.hash() !== next.hash()) extra.validators = stored(vals);
  return { height: header.height, timestamp: header.time, root: header.stateRoot, extra };
}
