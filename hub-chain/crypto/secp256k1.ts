/**
 * Validator keys. secp256k1 so that an EVM contract can check a commit with `ecrecover`.
 * Signatures are 65 bytes r || s || v with v in {27, 28} and low s (EIP-2), over a 32-byte digest.
 *
 * Recovery runs in libsecp256k1 (the `secp256k1` package's prebuilt binding): every commit a
 * node, light client or relayer checks recovers one key per signer, and noble's pure-JS recovery
 * (~0.2-0.7k/s here) made commit checks the bound on block sync. The strictness rules (v, low s,
 * r and s ranges) are applied here before the library is called, so both paths accept exactly
 * the signatures the Solidity verifier accepts (tests cross-check them against noble).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { createRequire } from 'node:module';
import { CryptoError } from '../errors.ts';
import { type Bytes, type Hex, fromHex, toHex } from './bytes.ts';
import { keccak256 } from './hash.ts';

export function generateValidatorKey(): Bytes {
  return secp256k1.utils.randomSecretKey();
}

/** Uncompressed 65-byte public key (0x04 || x || y). */
export function validatorPublicKey(secretKey: Bytes): Bytes {
  return secp256k1.getPublicKey(secretKey, false);
}

/** Ethereum-style address: last 20 bytes of keccak256(x || y). */
export function addressFromPublicKey(pub: Bytes): Hex {
  const uncompressed = pub.length === 65 ? pub : secp256k1.Point.fromBytes(pub).toBytes(false);
  return toHex(keccak256(uncompressed.subarray(1)).subarray(12));
}

/** r || s || (27 + recovery id), low s, RFC 6979 nonce: what ecrecover checks. Signed in libsecp256k1 (every vote a validator casts). */
export function signDigest(digest: Bytes, secretKey: Bytes): Bytes {
  if (digest.length !== 32) throw new CryptoError('PNT_ERR_BAD_DIGEST', 'digest must be 32 bytes');
  const { signature, recid } = native.ecdsaSign(digest, secretKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return out;
}

/** noble's signature with the same rules: the reference the native path is tested against. */
export function signDigestNoble(digest: Bytes, secretKey: Bytes): Bytes {
  if (digest.length !== 32) throw new CryptoError('PNT_ERR_BAD_DIGEST', 'digest must be 32 bytes');
  // noble's 'recovered' format is recovery || r || s; emit r || s || (27 + recovery) as ecrecover expects.
  const rec = secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered', lowS: true });
  const out = new Uint8Array(65);
  out.set(rec.subarray(1, 65), 0);
  out[64] = 27 + rec[0];
  return out;
}

const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const native = createRequire(import.meta.url)('secp256k1') as typeof import('secp256k1');

/** 32-byte digest, 65-byte r || s || v, v in {27, 28}, 0 < r < n, 0 < s <= n/2. */
function strictSignature(digest: Bytes, sig: Bytes): boolean {
  if (digest.length !== 32 || sig.length !== 65) return false;
  const v = sig[64];
  if (v !== 27 && v !== 28) return false;
  const s = BigInt(toHex(sig.subarray(32, 64)));
  if (s === 0n || s > SECP_N / 2n) return false;
  const r = BigInt(toHex(sig.subarray(0, 32)));
  return r !== 0n && r < SECP_N;
}

/**
 * Recovers the signer address of a 65-byte signature, or null when the signature is malformed,
 * has high s, or a v other than 27/28 (the same rules the Solidity verifier applies).
 */
export function recoverAddress(digest: Bytes, sig: Bytes): Hex | null {
  if (!strictSignature(digest, sig)) return null;
  try {
    return addressFromPublicKey(native.ecdsaRecover(sig.subarray(0, 64), sig[64] - 27, digest, false));
  } catch {
    return null;
  }
}

/** noble's recovery with the same rules: the reference the native path is tested against. */
export function recoverAddressNoble(digest: Bytes, sig: Bytes): Hex | null {
  if (!strictSignature(digest, sig)) return null;
  try {
    const rec = new Uint8Array(65);
    rec[0] = sig[64] - 27;
    rec.set(sig.subarray(0, 64), 1);
    return addressFromPublicKey(secp256k1.recoverPublicKey(rec, digest, { prehash: false }));
  } catch {
    return null;
  }
}

export function verifyDigest(digest: Bytes, sig: Bytes, address: Hex): boolean {
  return recoverAddress(digest, sig) === address.toLowerCase();
}

export const validatorKeyFromHex = (h: string): Bytes => fromHex(h, 32);
