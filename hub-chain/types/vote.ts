/**
 * Votes, proposals and commits: what validators sign, and how a commit is checked.
 *
 * Sign bytes are a keccak256 digest a contract can rebuild with abi.encodePacked:
 *   vote:     keccak256(0x19 "PONTIS" | uint8 type | keccak256(chainId) | uint64 height | uint32 round | bytes32 blockHash)
 *   proposal: keccak256(0x19 "PONTIS" | uint8 0x20 | keccak256(chainId) | uint64 height | uint32 round | uint32 (polRound + 1) | bytes32 blockHash)
 * A nil vote signs the zero hash. A commit is the precommits of one round for one block hash
 * from validators holding more than 2/3 of the voting power.
 */
import { PontisError } from '../errors.ts';
import { type Bytes, type Hex, ZERO_HASH, concat, fromHex, isHex, toHex, uintBE, utf8 } from '../crypto/bytes.ts';
import { keccak256 } from '../crypto/hash.ts';
import { recoverAddress, signDigest } from '../crypto/secp256k1.ts';
import { chainIdHash } from './header.ts';
import type { ValidatorSet } from './validator-set.ts';

export enum VoteType {
  Prevote = 1,
  Precommit = 2,
}
export const PROPOSAL_TYPE = 0x20;
const DOMAIN = concat(Uint8Array.of(0x19), utf8('PONTIS'));

export interface Vote {
  type: VoteType;
  height: number;
  round: number;
  /** Header hash voted for, or the zero hash for nil. */
  blockHash: Hex;
  validator: Hex;
  signature: Hex;
}

export interface CommitSignature {
  validator: Hex;
  signature: Hex;
}

export interface Commit {
  height: number;
  round: number;
  blockHash: Hex;
  signatures: CommitSignature[];
}

export class CommitError extends PontisError {
  override name = 'CommitError';
}

export function voteDigest(chainId: string, type: VoteType, height: number, round: number, blockHash: Hex): Bytes {
  return keccak256(concat(DOMAIN, Uint8Array.of(type), chainIdHash(chainId), uintBE(height, 8), uintBE(round, 4), fromHex(blockHash, 32)));
}

export function proposalDigest(chainId: string, height: number, round: number, polRound: number, blockHash: Hex): Bytes {
  return keccak256(concat(DOMAIN, Uint8Array.of(PROPOSAL_TYPE), chainIdHash(chainId), uintBE(height, 8), uintBE(round, 4), uintBE(polRound + 1, 4), fromHex(blockHash, 32)));
}

export function signVote(chainId: string, v: Omit<Vote, 'signature' | 'validator'>, secretKey: Bytes, validator: Hex): Vote {
  const sig = signDigest(voteDigest(chainId, v.type, v.height, v.round, v.blockHash), secretKey);
  return { ...v, validator, signature: toHex(sig) };
}

/** True when the vote is well formed and signed by `vote.validator`. */
export function verifyVoteSignature(chainId: string, v: Vote): boolean {
  if (!isHex(v.signature, 65) || !isHex(v.blockHash, 32) || !isHex(v.validator, 20)) return false;
  if (v.type !== VoteType.Prevote && v.type !== VoteType.Precommit) return false;
  if (!Number.isSafeInteger(v.height) || v.height < 1 || !Number.isSafeInteger(v.round) || v.round < 0 || v.round > 0xffffffff) return false;
  return recoverAddress(voteDigest(chainId, v.type, v.height, v.round, v.blockHash), fromHex(v.signature)) === v.validator.toLowerCase();
}

export const isNil = (blockHash: Hex): boolean => blockHash === ZERO_HASH;

/**
 * recoverAddress, remembered: the same precommits are checked as a block's commit and again as
 * the next block's last commit (and by each light client of the process). A pure function's
 * memo, keyed by digest and signature.
 */
const RECOVERED_MAX = 4096;
const recovered = new Map<string, Hex | null>();
function recoveredSigner(digest: Bytes, signature: Hex): Hex | null {
  const key = toHex(digest) + signature.toLowerCase();
  const hit = recovered.get(key);
  if (hit !== undefined) return hit;
  const signer = recoverAddress(digest, fromHex(signature));
  if (recovered.size >= RECOVERED_MAX) recovered.delete(recovered.keys().next().value!);
  recovered.set(key, signer);
  return signer;
}

/**
 * Checks a commit for `blockHash` at `height` against `valset`, strictly: every signature must
 * be valid and from a distinct member of the set (a commit carrying junk is rejected, not
 * trimmed), and the signers must hold more than 2/3 of the power. Returns the signed power.
 */
export function verifyCommit(chainId: string, valset: ValidatorSet, commit: Commit, height: number, blockHash: Hex): number {
  if (commit.height !== height) throw new CommitError('PNT_ERR_COMMIT_HEIGHT', `commit is for height ${commit.height}, expected ${height}`);
  if (commit.blockHash.toLowerCase() !== blockHash.toLowerCase()) throw new CommitError('PNT_ERR_COMMIT_BLOCK', 'commit is for another block');
  if (isNil(blockHash)) throw new CommitError('PNT_ERR_COMMIT_BLOCK', 'commit for nil');
  if (!Array.isArray(commit.signatures) || commit.signatures.length > valset.size) throw new CommitError('PNT_ERR_COMMIT_SIGNATURES', 'too many signatures');
  const digest = voteDigest(chainId, VoteType.Precommit, height, commit.round, blockHash);
  const seen = new Set<string>();
  let power = 0;
  for (const s of commit.signatures) {
    if (!isHex(s.signature, 65)) throw new CommitError('PNT_ERR_COMMIT_SIGNATURE', 'malformed signature');
    const signer = recoveredSigner(digest, s.signature);
    if (signer === null || signer !== s.validator?.toLowerCase()) throw new CommitError('PNT_ERR_COMMIT_SIGNATURE', `invalid signature for ${s.validator}`);
    if (seen.has(signer)) throw new CommitError('PNT_ERR_COMMIT_DUPLICATE_SIGNER', `validator ${signer} signed twice`);
    seen.add(signer);
    const v = valset.get(signer);
    if (!v) throw new CommitError('PNT_ERR_COMMIT_UNKNOWN_SIGNER', `signer ${signer} is not in the validator set`);
    power += v.power;
  }
  if (!valset.hasQuorum(power)) throw new CommitError('PNT_ERR_COMMIT_INSUFFICIENT_POWER', `commit has ${power} of ${valset.totalPower} voting power, needs more than 2/3`, { details: { power, total: valset.totalPower } });
  return power;
}
