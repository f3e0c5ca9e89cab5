/**
 * GRANDPA justifications (finality-grandpa's Commit inside sp-consensus-grandpa's
 * GrandpaJustification): decoding and verification against an authority set.
 *
 * A justification finalizes `commit.target` when the distinct authorities that precommitted hold
 * more than 2/3 of the set's weight and every precommit is for the target or for a descendant of
 * it that `votesAncestries` links back to the target. Each precommit is signed over
 * SCALE(Message::Precommit(precommit), round: u64, set_id: u64): a signature from another round
 * or authority set does not verify.
 */
import { type Bytes, concat, equalBytes, latin1Id, toHex } from '../../crypto/bytes.ts';
import { verifyMessage } from '../../crypto/ed25519.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { type Authority, type SubstrateHeader, encodeHeader, headerHash, readHeader } from './header.ts';
import { ScaleReader, encodeU32, encodeU64, encodeVec } from './scale.ts';

export interface Precommit {
  targetHash: Bytes;
  targetNumber: number;
}

export interface SignedPrecommit {
  precommit: Precommit;
  signature: Bytes;
  /** The authority's ed25519 public key. */
  id: Bytes;
}

export interface GrandpaJustification {
  round: bigint;
  commit: { targetHash: Bytes; targetNumber: number; precommits: SignedPrecommit[] };
  votesAncestries: SubstrateHeader[];
}

/** finality-grandpa's Message enum: Prevote 0, Precommit 1, PrimaryPropose 2. */
const PRECOMMIT_MESSAGE = 1;

const malformed = (msg: string, cause?: unknown) => new SubstrateClientError(SUB_ERR.JUSTIFICATION_MALFORMED, msg, cause === undefined ? {} : { cause });

const readPrecommit = (r: ScaleReader): Precommit => ({ targetHash: r.take(32), targetNumber: r.u32() });

export function decodeJustification(bytes: Bytes): GrandpaJustification {
  try {
    const r = new ScaleReader(bytes);
    const round = r.u64();
    const targetHash = r.take(32);
    const targetNumber = r.u32();
    const precommits = r.vec((x) => ({ precommit: readPrecommit(x), signature: x.take(64), id: x.take(32) }));
    const votesAncestries = r.vec(readHeader);
    r.end('justification');
    return { round, commit: { targetHash, targetNumber, precommits }, votesAncestries };
  } catch (e) {
    throw malformed(`not a GRANDPA justification: ${(e as Error).message}`, e);
  }
}

const encodePrecommit = (p: Precommit): Bytes => concat(p.targetHash, encodeU32(p.targetNumber));

export function encodeJustification(j: GrandpaJustification): Bytes {
  const { commit } = j;
  return concat(
    encodeU64(j.round),
    commit.targetHash,
    encodeU32(commit.targetNumber),
    encodeVec(commit.precommits, (p) => concat(encodePrecommit(p.precommit), p.signature, p.id)),
    encodeVec(j.votesAncestries, encodeHeader),
  );
}

/** The bytes an authority signs for a precommit in `round` of authority set `setId`. */
export function precommitPayload(p: Precommit, round: bigint, setId: bigint): Bytes {
  return concat(Uint8Array.of(PRECOMMIT_MESSAGE), encodePrecommit(p), encodeU64(round), encodeU64(setId));
}

export interface AuthoritySet {
  authorities: Authority[];
  setId: bigint;
}

/**
 * Verifies that `j` finalizes the block `targetHash` (number `targetNumber`) under `set`.
 * Refuses: another target, a signer outside the set, a signature that does not verify, a
 * precommit not descending from the target through the ancestry, ancestry headers no precommit
 * needs (finality-grandpa refuses them too: they would let a justification grow without bound),
 * and 2/3 or less of the weight. A signer appearing twice counts once.
 */
export function verifyJustification(j: GrandpaJustification, set: AuthoritySet, target: { hash: Bytes; number: number }): void {
  if (!equalBytes(j.commit.targetHash, target.hash) || j.commit.targetNumber !== target.number) {
    throw malformed(`the justification commits to block ${j.commit.targetNumber} ${toHex(j.commit.targetHash)}, not ${target.number} ${toHex(target.hash)}`);
  }
  const weights = new Map<string, bigint>();
  let total = 0n;
  for (const a of set.authorities) {
    weights.set(latin1Id(a.id), a.weight);
    total += a.weight;
  }
  const ancestry = new Map<string, SubstrateHeader>();
  for (const h of j.votesAncestries) ancestry.set(latin1Id(headerHash(h)), h);
  const used = new Set<string>();
  const signed = new Set<string>();
  let signedWeight = 0n;
  for (const sp of j.commit.precommits) {
    const id = latin1Id(sp.id);
    const w = weights.get(id);
    if (w === undefined) throw new SubstrateClientError(SUB_ERR.JUSTIFICATION_SIGNATURE, `precommit signed by ${toHex(sp.id)}, not an authority of set ${set.setId}`);
    if (!verifyMessage(precommitPayload(sp.precommit, j.round, set.setId), sp.signature, sp.id)) {
      throw new SubstrateClientError(SUB_ERR.JUSTIFICATION_SIGNATURE, `precommit signature of ${toHex(sp.id)} does not verify for round ${j.round}, set ${set.setId}`);
    }
    descendsFrom(sp.precommit, j.commit, ancestry, used);
    if (!signed.has(id)) {
      signed.add(id);
      signedWeight += w;
    }
  }
  if (used.size !== ancestry.size) throw new SubstrateClientError(SUB_ERR.JUSTIFICATION_ANCESTRY, `${ancestry.size - used.size} ancestry headers no precommit needs`);
  if (signedWeight * 3n <= total * 2n) {
    throw new SubstrateClientError(SUB_ERR.JUSTIFICATION_NO_QUORUM, `precommits hold ${signedWeight} of ${total} weight, 2/3 needed`, { details: { signedWeight: String(signedWeight), total: String(total) } });
  }
}

/** Walks parent links from the precommit's block back to the commit target through the ancestry headers. */
function descendsFrom(p: Precommit, commit: { targetHash: Bytes; targetNumber: number }, ancestry: Map<string, SubstrateHeader>, used: Set<string>): void {
  let hash = p.targetHash;
  let number = p.targetNumber;
  for (;;) {
    if (equalBytes(hash, commit.targetHash)) {
      if (number !== commit.targetNumber) break;
      return;
    }
    if (number <= commit.targetNumber) break;
    const h = ancestry.get(latin1Id(hash));
    if (!h || h.number !== number) break;
    used.add(latin1Id(hash));
    hash = h.parentHash;
    number -= 1;
  }
  throw new SubstrateClientError(SUB_ERR.JUSTIFICATION_ANCESTRY, `precommit for block ${p.targetNumber} ${toHex(p.targetHash)} is not shown descending from the commit target`);
}
