/**
 * EIP-1559 (type 2) transaction signing without ethers' hex round trips: the RLP fields are built
 * from bytes, hashed with keccak256 and signed with RFC 6979 (the same deterministic, low-s
 * signature ethers' Wallet produces, so the raw transaction is byte-for-byte the same). Relay
 * transactions carry hundreds of kilobytes of proofs, where ethers' per-byte hex handling was the
 * relayer's largest cost.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak256 } from '../../hub-chain/crypto/hash.ts';
import { bigIntToRlpBytes, encodeRlp } from '../../hub-chain/light-clients/evm/rlp.ts';

export interface Eip1559Fields {
  chainId: number;
  nonce: number;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gasLimit: bigint;
  /** Recipient (0x + 40 hex), or null to create a contract. */
  to: string | null;
  value: bigint;
  /** Calldata as 0x-hex. */
  data: string;
}

const hexBytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.startsWith('0x') ? h.slice(2) : h, 'hex'));
/** A 32-byte big-endian scalar without its leading zero bytes (RLP's integer form). */
const stripZeros = (b: Uint8Array): Uint8Array => {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
};

/** The signed raw transaction (0x02 || rlp([...fields, yParity, r, s])) as 0x-hex, and its hash. */
export function signEip1559(tx: Eip1559Fields, secretKey: Uint8Array): { raw: string; hash: string } {
  const fields = [
    bigIntToRlpBytes(BigInt(tx.chainId)),
    bigIntToRlpBytes(BigInt(tx.nonce)),
    bigIntToRlpBytes(tx.maxPriorityFeePerGas),
    bigIntToRlpBytes(tx.maxFeePerGas),
    bigIntToRlpBytes(tx.gasLimit),
    tx.to === null ? new Uint8Array(0) : hexBytes(tx.to),
    bigIntToRlpBytes(tx.value),
    hexBytes(tx.data),
    [],
  ];
  const unsigned = Buffer.concat([Uint8Array.of(2), encodeRlp(fields)]);
  const rec = secp256k1.sign(keccak256(unsigned), secretKey, { prehash: false, format: 'recovered', lowS: true });
  const signed = Buffer.concat([Uint8Array.of(2), encodeRlp([...fields, bigIntToRlpBytes(BigInt(rec[0])), stripZeros(rec.subarray(1, 33)), stripZeros(rec.subarray(33, 65))])]);
  return { raw: `0x${signed.toString('hex')}`, hash: `0x${Buffer.from(keccak256(signed)).toString('hex')}` };
}
