/**
 * The hub block header and its canonical encoding. The header hash is keccak256 of these bytes;
 * the Solidity client rebuilds them with abi.encodePacked in the same order:
 *   uint8 version(=2) | uint8 len(chainId) | chainId | uint64 height | uint64 timeMs |
 *   bytes32 prevHash | bytes32 txRoot | bytes32 stateRoot | bytes32 validatorsHash |
 *   bytes32 nextValidatorsHash | bytes32 evidenceHash | bytes32 resultsHash | bytes20 proposer
 * (docs/spec/ has every field's rules; version 2 added resultsHash.)
 */
import { EncodingError } from '../errors.ts';
import { type Bytes, type Hex, concat, fromHex, toHex, uintBE, utf8 } from '../crypto/bytes.ts';
import { keccak256 } from '../crypto/hash.ts';

export const HEADER_VERSION = 2;
export const MAX_CHAIN_ID_LENGTH = 64;
const CHAIN_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface Header {
  chainId: string;
  height: number;
  /** Unix time in milliseconds, set by the proposer, strictly increasing. */
  time: number;
  prevHash: Hex;
  txRoot: Hex;
  /** Root of the authenticated state after executing this block. */
  stateRoot: Hex;
  validatorsHash: Hex;
  nextValidatorsHash: Hex;
  evidenceHash: Hex;
  /** Merkle root of this block's transaction results and block events (types/results.ts). */
  resultsHash: Hex;
  proposer: Hex;
}

export function validateChainId(chainId: string): void {
  if (typeof chainId !== 'string' || !CHAIN_ID_RE.test(chainId)) {
    throw new EncodingError('PNT_ERR_BAD_CHAIN_ID', 'chain id must be 1-64 chars of [a-z0-9._-], starting with a letter or digit', { details: { chainId } });
  }
}

export function encodeHeader(h: Header): Bytes {
  validateChainId(h.chainId);
  const id = utf8(h.chainId);
  return concat(
    Uint8Array.of(HEADER_VERSION, id.length),
    id,
    uintBE(h.height, 8),
    uintBE(h.time, 8),
    fromHex(h.prevHash, 32),
    fromHex(h.txRoot, 32),
    fromHex(h.stateRoot, 32),
    fromHex(h.validatorsHash, 32),
    fromHex(h.nextValidatorsHash, 32),
    fromHex(h.evidenceHash, 32),
    fromHex(h.resultsHash, 32),
    fromHex(h.proposer, 20),
  );
}

export function headerHash(h: Header): Hex {
  return toHex(keccak256(encodeHeader(h)));
}

export function chainIdHash(chainId: string): Bytes {
  return keccak256(utf8(chainId));
}
