/**
 * Turns hub types into PontisClient and Gateway call arguments (what relayers and tests submit).
 * Plain values (bigint for uint64) that ethers encodes as the contracts' tuples.
 */
import { type Hex, concat, fromHex, toHex } from '../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../hub-chain/crypto/hash.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import type { Header } from '../../hub-chain/types/header.ts';
import type { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import type { Commit } from '../../hub-chain/types/vote.ts';
import { PontisError } from '../../hub-chain/errors.ts';

export class ContractEncodingError extends PontisError {
  override name = 'ContractEncodingError';
}

export interface SolidityHubHeader {
  chainId: string;
  height: bigint;
  timeMs: bigint;
  prevHash: string;
  txRoot: string;
  stateRoot: string;
  validatorsHash: string;
  nextValidatorsHash: string;
  evidenceHash: string;
  resultsHash: string;
  proposer: string;
}

export interface SolidityCommitSig {
  validatorIndex: number;
  r: string;
  s: string;
  v: number;
}

export function solidityHeader(h: Header): SolidityHubHeader {
  return {
    chainId: h.chainId,
    height: BigInt(h.height),
    timeMs: BigInt(h.time),
    prevHash: h.prevHash,
    txRoot: h.txRoot,
    stateRoot: h.stateRoot,
    validatorsHash: h.validatorsHash,
    nextValidatorsHash: h.nextValidatorsHash,
    evidenceHash: h.evidenceHash,
    resultsHash: h.resultsHash,
    proposer: h.proposer,
  };
}

/** The set as the two parallel arrays the contract hashes, in canonical order. */
export function validatorArrays(set: ValidatorSet): { validators: string[]; powers: bigint[] } {
  return { validators: set.validators.map((v) => v.address), powers: set.validators.map((v) => BigInt(v.power)) };
}

/**
 * A commit's signatures as CommitSig[], sorted by signer address ascending as the contract
 * requires. Signatures are taken as they are (the contract is the one that judges them); a
 * signer outside `set` cannot be indexed and is refused here.
 */
export function commitSigs(commit: Commit, set: ValidatorSet): SolidityCommitSig[] {
  const out = commit.signatures.map((c) => {
    const idx = set.indexOf(c.validator);
    if (idx < 0) throw new ContractEncodingError('PNT_ERR_CONTRACT_ENCODING', `signer ${c.validator} is not in the validator set`);
    const sig = fromHex(c.signature, 65);
    return {
      address: c.validator.toLowerCase(),
      sig: { validatorIndex: idx, r: `0x${Buffer.from(sig.subarray(0, 32)).toString('hex')}`, s: `0x${Buffer.from(sig.subarray(32, 64)).toString('hex')}`, v: sig[64] },
    };
  });
  out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return out.map((o) => o.sig);
}

/** Arguments of PontisClient.updateClient for a signed header and the set that signed it. */
export function updateClientArgs(
  sh: { header: Header; commit: Commit },
  set: ValidatorSet,
): [SolidityHubHeader, number, SolidityCommitSig[], string[], bigint[]] {
  const { validators, powers } = validatorArrays(set);
  return [solidityHeader(sh.header), sh.commit.round, commitSigs(sh.commit, set), validators, powers];
}

export interface SolidityPacket {
  srcChain: string;
  srcApp: string;
  dstChain: string;
  dstApp: string;
  sequence: bigint;
  ordered: boolean;
  payload: string;
  timeoutHeight: bigint;
  timeoutTimestamp: bigint;
}

/** A hub Packet as the Gateway's PontisPacket tuple. */
export function solidityPacket(p: Packet): SolidityPacket {
  return {
    srcChain: p.srcChain,
    srcApp: p.srcApp,
    dstChain: p.dstChain,
    dstApp: p.dstApp,
    sequence: BigInt(p.sequence),
    ordered: p.ordered,
    payload: p.payload,
    timeoutHeight: BigInt(p.timeoutHeight),
    timeoutTimestamp: BigInt(p.timeoutTimestamp),
  };
}

/** The Gateway's PontisPacket (as ethers decodes it from an event or call) as a hub Packet. */
export function packetFromSolidity(p: { srcChain: string; srcApp: string; dstChain: string; dstApp: string; sequence: bigint; ordered: boolean; payload: string; timeoutHeight: bigint; timeoutTimestamp: bigint }): Packet {
  return {
    srcChain: p.srcChain,
    srcApp: p.srcApp,
    dstChain: p.dstChain,
    dstApp: p.dstApp,
    sequence: Number(p.sequence),
    ordered: p.ordered,
    payload: p.payload as Hex,
    timeoutHeight: Number(p.timeoutHeight),
    timeoutTimestamp: Number(p.timeoutTimestamp),
  };
}

/**
 * The storage slot of the Gateway holding `pontisKey` (its mapping sits at slot 0):
 * keccak256(abi.encode(keccak256(bytes(pontisKey)), uint256(0))).
 */
export function gatewaySlot(pontisKey: Uint8Array): Hex {
  return toHex(keccak256(concat(keccak256(pontisKey), new Uint8Array(32))));
}
