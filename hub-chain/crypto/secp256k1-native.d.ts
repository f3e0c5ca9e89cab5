/** The part of the `secp256k1` package (libsecp256k1 bindings, elliptic fallback) this project uses. */
declare module 'secp256k1' {
  /** Public key of the signer of `msg32`; throws on an invalid signature or recovery id. */
  export function ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
  /** RFC 6979 deterministic signature, low s; r || s and the recovery id. */
  export function ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
}
