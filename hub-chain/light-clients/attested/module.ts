/**
 * Client type `attested`, for chains with no succinct finality proof: this chain's own validators
 * observe the counterparty through their own RPC and sign votes for finalized blocks. A value
 * (hash, stateRoot, receiptsRoot, timestamp) at a height becomes a consensus record once voters
 * holding > 2/3 of the CURRENT validator set's power voted for it, so trust equals this chain's
 * BFT assumption. Proofs are checked by a pluggable proof kind against the attested roots.
 *
 * State (besides the clients/ records):
 *   attest/<chainId>/<height:016>/<validator>      VoterRecord (first vote, and a conflicting one)
 *   attest/<chainId>/<height:016>/tally            Tally (values voted at that height and their voters)
 *   attest/<chainId>/equivocation/<height:016>/<validator>   { voteA, voteB }: a validator voted two values
 */
import { type Bytes, type Hex, ZERO_HASH, concat, fromHex, isHex, toHex, uintBE, utf8 } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { addressFromPublicKey, recoverAddress, signDigest, validatorPublicKey } from '../../crypto/secp256k1.ts';
import type { KVStore, KVView } from '../../app/module.ts';
import type { ValidatorSet } from '../../types/validator-set.ts';
import { CLIENT_ERR } from '../../modules/clients/errors.ts';
import { ATTEST_ERR } from './errors.ts';
import { type AttestationVote, attestationVoteSchema, attestedInitialSchema, attestedParamsSchema } from './schemas.ts';
import { pad16, parseWith, readConsensus, readJson, readMeta, timedStatus, writeJson } from '../../modules/clients/store.ts';
import { verifyPontisNonMembership, verifySmtMembership } from '../pontis/state-proofs.ts';
import { ClientError, type ClientContext, type ClientRecord, type ConsensusRecord, type LightClientModule } from '../../modules/clients/types.ts';

export type { AttestationVote } from './schemas.ts';

export const ATTESTED_CLIENT_TYPE = 'attested';
/** Message type byte of an attestation vote in the PONTIS signing domain (votes use 1, 2; proposals 0x20). */
export const ATTESTATION_TYPE = 0x30;
export const DEFAULT_VOTE_WINDOW = 256;
/** Most heights pruned in one step, so one vote's work stays bounded after a long gap. */
const MAX_PRUNE_PER_STEP = 1024;
const DOMAIN = concat(Uint8Array.of(0x19), utf8('PONTIS'));

/** What validators attest to at one height. */
export interface AttestedValue {
  hash: Hex;
  stateRoot: Hex;
  receiptsRoot: Hex;
  timestamp: number;
}

export interface AttestedClientState {
  proofKind: string;
  voteWindow: number;
}

export interface AttestedConsensusExtra {
  hash: Hex;
  receiptsRoot: Hex;
}

export type AttestedClientRecord = ClientRecord<AttestedClientState>;
export type AttestedConsensusRecord = ConsensusRecord<AttestedConsensusExtra>;

/**
 * keccak256(0x19 "PONTIS" | 0x30 | keccak256(hubChainId) | keccak256(chainId) | uint64 height |
 * bytes32 hash | bytes32 stateRoot | bytes32 receiptsRoot | uint64 timestamp): a contract can
 * rebuild it with abi.encodePacked and check it with ecrecover.
 */
export function attestationDigest(hubChainId: string, v: Omit<AttestationVote, 'validator' | 'signature'>): Bytes {
  return keccak256(
    concat(
      DOMAIN,
      Uint8Array.of(ATTESTATION_TYPE),
      keccak256(utf8(hubChainId)),
      keccak256(utf8(v.chainId)),
      uintBE(v.height, 8),
      fromHex(v.hash, 32),
      fromHex(v.stateRoot, 32),
      fromHex(v.receiptsRoot, 32),
      uintBE(v.timestamp, 8),
    ),
  );
}

/** Signs a vote with a validator's secp256k1 consensus key. */
export function signAttestation(hubChainId: string, body: Omit<AttestationVote, 'validator' | 'signature'>, secretKey: Bytes): AttestationVote {
  const signature = toHex(signDigest(attestationDigest(hubChainId, body), secretKey));
  return { ...body, validator: addressFromPublicKey(validatorPublicKey(secretKey)), signature };
}

export function verifyAttestationSignature(hubChainId: string, vote: AttestationVote): boolean {
  if (!isHex(vote.signature, 65)) return false;
  return recoverAddress(attestationDigest(hubChainId, vote), fromHex(vote.signature)) === vote.validator.toLowerCase();
}

export const valueOf = (v: AttestedValue): AttestedValue => ({ hash: v.hash, stateRoot: v.stateRoot, receiptsRoot: v.receiptsRoot, timestamp: v.timestamp });

/** Identity of a value: equal ids iff all four fields are equal. */
export function valueId(v: AttestedValue): Hex {
  return toHex(keccak256(concat(fromHex(v.hash, 32), fromHex(v.stateRoot, 32), fromHex(v.receiptsRoot, 32), uintBE(v.timestamp, 8))));
}

// ---- proof kinds ----

/** Verifies proofs of one kind (sparse Merkle, Ethereum MPT, Substrate trie, ...) against attested roots. */
export interface ProofKindVerifier {
  verifyMembership(root: Hex, extra: AttestedConsensusExtra, key: Bytes, value: Bytes, proof: unknown): void;
  verifyNonMembership(root: Hex, extra: AttestedConsensusExtra, key: Bytes, proof: unknown): void;
}

export class ProofKindRegistry {
  private readonly kinds = new Map<string, ProofKindVerifier>();

  register(kind: string, verifier: ProofKindVerifier): this {
    if (this.kinds.has(kind)) throw new ClientError(ATTEST_ERR.PROOF_KIND_DUPLICATE, `proof kind ${kind} is already registered`, { details: { kind } });
    this.kinds.set(kind, verifier);
    return this;
  }

  has(kind: string): boolean {
    return this.kinds.has(kind);
  }

  get(kind: string): ProofKindVerifier {
    const v = this.kinds.get(kind);
    if (!v) throw new ClientError(ATTEST_ERR.PROOF_KIND_UNKNOWN, `no proof kind ${kind} is registered`, { details: { kind } });
    return v;
  }

  kindNames(): string[] {
    return [...this.kinds.keys()];
  }
}

/** The hub's own sparse Merkle state proofs, checked against the attested stateRoot. */
export const pontisSmtProofKind: ProofKindVerifier = {
  verifyMembership: (root, _extra, key, value, proof) => verifySmtMembership(root, key, value, proof),
  verifyNonMembership: (root, _extra, key, proof) => verifyPontisNonMembership(root, key, proof),
};

/** The proof kinds an `attested` client takes unless given others (a new registry each call: no shared mutable default). */
export const defaultProofKinds = (): ProofKindRegistry => new ProofKindRegistry().register('pontis-smt', pontisSmtProofKind);

// ---- vote storage ----

interface VoterRecord {
  vote: AttestationVote;
  /** A second vote for another value at the same height (equivocation). */
  conflicting?: AttestationVote;
}

interface TallyEntry {
  id: Hex;
  value: AttestedValue;
  voters: Hex[];
}

interface Tally {
  values: TallyEntry[];
}

export const attestKeys = {
  voter: (chainId: string, height: number, validator: Hex) => utf8(`attest/${chainId}/${pad16(height)}/${validator.toLowerCase()}`),
  tally: (chainId: string, height: number) => utf8(`attest/${chainId}/${pad16(height)}/tally`),
  equivocation: (chainId: string, height: number, validator: Hex) => utf8(`attest/${chainId}/equivocation/${pad16(height)}/${validator.toLowerCase()}`),
};

export function readVoter(s: KVView, chainId: string, height: number, validator: Hex): VoterRecord | undefined {
  return readJson<VoterRecord>(s, attestKeys.voter(chainId, height, validator));
}

export function readTally(s: KVView, chainId: string, height: number): Tally {
  return readJson<Tally>(s, attestKeys.tally(chainId, height)) ?? { values: [] };
}

export function readEquivocation(s: KVView, chainId: string, height: number, validator: Hex): { voteA: AttestationVote; voteB: AttestationVote } | undefined {
  return readJson(s, attestKeys.equivocation(chainId, height, validator));
}

/** Power in the current set of an entry's voters (voters that left the set count nothing). */
export function tallyPower(entry: TallyEntry, validators: ValidatorSet): number {
  let p = 0;
  for (const a of entry.voters) p += validators.get(a)?.power ?? 0;
  return p;
}

/** The tally at the vote's height as it is once the vote is counted (not written). */
function tallyWith(s: KVView, vote: AttestationVote): { tally: Tally; entry: TallyEntry } {
  const tally = readTally(s, vote.chainId, vote.height);
  const id = valueId(vote);
  let entry = tally.values.find((e) => e.id === id);
  if (!entry) {
    entry = { id, value: valueOf(vote), voters: [] };
    tally.values.push(entry);
  }
  const voter = vote.validator.toLowerCase();
  if (!entry.voters.includes(voter)) entry.voters.push(voter);
  return { tally, entry };
}

const parseVote = (msg: unknown): AttestationVote => parseWith(attestationVoteSchema, msg, CLIENT_ERR.MSG_INVALID, 'attestation vote');

/** Records the vote (first, or an equivocating second one) and counts it in the tally. */
function recordVote(ctx: ClientContext, vote: AttestationVote): Tally {
  const s = ctx.store;
  const validator = vote.validator.toLowerCase();
  const prior = readVoter(s, vote.chainId, vote.height, validator);
  if (!prior) writeJson(s, attestKeys.voter(vote.chainId, vote.height, validator), { vote } satisfies VoterRecord);
  else {
    writeJson(s, attestKeys.voter(vote.chainId, vote.height, validator), { ...prior, conflicting: vote } satisfies VoterRecord);
    // Two signed values for one height: slashable evidence against this chain's validator.
    writeJson(s, attestKeys.equivocation(vote.chainId, vote.height, validator), { voteA: prior.vote, voteB: vote });
    ctx.emit?.('attest/equivocation', { chainId: vote.chainId, height: String(vote.height), validator });
  }
  const { tally } = tallyWith(s, vote);
  writeJson(s, attestKeys.tally(vote.chainId, vote.height), tally);
  ctx.emit?.('attest/vote', { chainId: vote.chainId, height: String(vote.height), validator, value: valueId(vote) });
  return tally;
}

/** Deletes votes and tallies at heights (from - window, to - window] (bounded per step). */
function prune(s: KVStore, chainId: string, fromLatest: number, toLatest: number, window: number): void {
  const hi = toLatest - window;
  const lo = Math.max(1, fromLatest - window + 1, hi - MAX_PRUNE_PER_STEP + 1);
  for (let h = lo; h <= hi; h++) {
    const tally = readJson<Tally>(s, attestKeys.tally(chainId, h));
    if (!tally) continue;
    for (const e of tally.values) for (const v of e.voters) s.delete(attestKeys.voter(chainId, h, v));
    s.delete(attestKeys.tally(chainId, h));
  }
}

const consensusValue = (c: AttestedConsensusRecord): AttestedValue => ({ hash: c.extra!.hash, stateRoot: c.root, receiptsRoot: c.extra!.receiptsRoot, timestamp: c.timestamp });

/** Values at the vote's height that conflict once it is counted: every quorum value and the stored one. */
function conflictsWith(ctx: ClientContext, rec: AttestedClientRecord, vote: AttestationVote): { quorum: TallyEntry[]; stored?: AttestedValue } {
  const { tally } = tallyWith(ctx.store, vote);
  const quorum = tally.values.filter((e) => ctx.validators.hasQuorum(tallyPower(e, ctx.validators)));
  const cons = readConsensus<AttestedConsensusExtra>(ctx.store, rec.chainId, vote.height);
  return { quorum, stored: cons?.extra ? consensusValue(cons) : undefined };
}

export function createAttestedClient(proofKinds: ProofKindRegistry = defaultProofKinds()): LightClientModule<AttestedClientState, AttestedConsensusExtra> {
  return {
    type: ATTESTED_CLIENT_TYPE,

    initialise(chainId, params, initial) {
      const p = parseWith(attestedParamsSchema, params, CLIENT_ERR.PARAMS_INVALID, 'attested params');
      proofKinds.get(p.proofKind); // unknown kinds are refused now, not at the first proof
      const i = parseWith(attestedInitialSchema, initial, CLIENT_ERR.INITIAL_INVALID, 'attested initial state');
      return {
        record: {
          chainId,
          clientType: ATTESTED_CLIENT_TYPE,
          state: { proofKind: p.proofKind, voteWindow: p.voteWindow ?? DEFAULT_VOTE_WINDOW },
          latestHeight: i.height,
          trustingPeriodMs: p.trustingPeriodMs,
          maxClockDriftMs: p.maxClockDriftMs,
          frozen: null,
        },
        consensus: { height: i.height, timestamp: i.timestamp, root: i.stateRoot, extra: { hash: i.hash, receiptsRoot: i.receiptsRoot ?? ZERO_HASH } },
      };
    },

    verifyClientMessage(ctx, rec, msg) {
      const vote = parseVote(msg);
      if (vote.chainId !== rec.chainId) throw new ClientError(ATTEST_ERR.WRONG_CHAIN, `vote is for chain ${vote.chainId}, client is for ${rec.chainId}`, { details: { got: vote.chainId, expected: rec.chainId } });
      if (!ctx.validators.get(vote.validator)) throw new ClientError(ATTEST_ERR.NOT_VALIDATOR, `${vote.validator} is not a validator of ${ctx.chainId}`, { details: { validator: vote.validator } });
      if (!verifyAttestationSignature(ctx.chainId, vote)) throw new ClientError(ATTEST_ERR.BAD_SIGNATURE, `vote signature does not recover to ${vote.validator}`, { details: { validator: vote.validator } });
      if (vote.timestamp > ctx.now + rec.maxClockDriftMs) {
        throw new ClientError(ATTEST_ERR.FROM_FUTURE, `vote timestamp ${vote.timestamp} is beyond now + drift (${ctx.now + rec.maxClockDriftMs})`, { retryable: true, details: { timestamp: vote.timestamp, now: ctx.now } });
      }
      // Heights below the last recovery belong to the distrusted past (their tallies may hold a fork).
      if (vote.height <= rec.latestHeight - rec.state.voteWindow || vote.height < (readMeta(ctx.store, rec.chainId)?.validFrom ?? 0)) {
        throw new ClientError(ATTEST_ERR.VOTE_TOO_OLD, `height ${vote.height} is at or below ${rec.latestHeight} - ${rec.state.voteWindow}`, { details: { height: vote.height, latestHeight: rec.latestHeight } });
      }
      const prior = readVoter(ctx.store, rec.chainId, vote.height, vote.validator);
      if (prior && (prior.conflicting || valueId(prior.vote) === valueId(vote))) {
        throw new ClientError(ATTEST_ERR.DUPLICATE_VOTE, `${vote.validator} already voted ${prior.conflicting ? 'two values' : 'this value'} at height ${vote.height}`, {
          details: { validator: vote.validator, height: vote.height },
        });
      }
    },

    checkForMisbehaviour(ctx, rec, msg) {
      const vote = parseVote(msg);
      const { quorum, stored } = conflictsWith(ctx, rec, vote);
      const ids = new Set(quorum.map((e) => e.id));
      if (ids.size === 0) return false;
      if (stored) ids.add(valueId(stored));
      return ids.size > 1;
    },

    updateState(ctx, rec, msg) {
      const vote = parseVote(msg);
      const tally = recordVote(ctx, vote);
      const entry = tally.values.find((e) => e.id === valueId(vote))!;
      if (!ctx.validators.hasQuorum(tallyPower(entry, ctx.validators))) return { record: rec, consensus: [] };
      if (readConsensus(ctx.store, rec.chainId, vote.height)) return { record: rec, consensus: [] };
      const latestHeight = Math.max(rec.latestHeight, vote.height);
      if (latestHeight > rec.latestHeight) prune(ctx.store, rec.chainId, rec.latestHeight, latestHeight, rec.state.voteWindow);
      return {
        record: { ...rec, latestHeight },
        consensus: [{ height: vote.height, timestamp: vote.timestamp, root: vote.stateRoot, extra: { hash: vote.hash, receiptsRoot: vote.receiptsRoot } }],
      };
    },

    evidenceOf(ctx, rec, msg) {
      const vote = parseVote(msg);
      const { quorum, stored } = conflictsWith(ctx, rec, vote);
      // Every signed vote for each conflicting value, so the evidence checks without hub state.
      const votesFor = (e: TallyEntry): AttestationVote[] =>
        e.voters.map((a) => {
          if (a === vote.validator.toLowerCase() && e.id === valueId(vote)) return vote;
          const r = readVoter(ctx.store, rec.chainId, vote.height, a)!;
          return valueId(r.vote) === e.id ? r.vote : r.conflicting!;
        });
      const values = quorum.map((e) => ({ value: e.value, votes: votesFor(e) }));
      if (stored && !quorum.some((e) => e.id === valueId(stored))) values.push({ value: stored, votes: [] });
      return { kind: 'conflicting-attestations', chainId: rec.chainId, height: vote.height, values };
    },

    updateStateOnMisbehaviour(ctx, rec, msg) {
      const vote = parseVote(msg);
      recordVote(ctx, vote);
      return { ...rec, frozen: { atHeight: vote.height, evidence: 'conflicting-attestations' } };
    },

    verifyMembership(rec, cons, key, value, proof) {
      proofKinds.get(rec.state.proofKind).verifyMembership(cons.root, cons.extra!, key, value, proof);
    },

    verifyNonMembership(rec, cons, key, proof) {
      proofKinds.get(rec.state.proofKind).verifyNonMembership(cons.root, cons.extra!, key, proof);
    },

    status(rec, latest, now) {
      return timedStatus(rec, latest, now);
    },
  };
}

export const attestedClient = createAttestedClient();
