/**
 * Signing as a Fabric identity (the network stand-in's peers, orderer and clients): signatures
 * are ECDSA P-256 over SHA-256 in DER, low-S (Fabric refuses high-S signatures as malleable).
 * Checking them is the MSP's side (hub-chain/light-clients/fabric/msp.ts).
 */
import { sign as nodeSign, type KeyObject } from 'node:crypto';
import { serializeIdentity, toLowS } from '../../hub-chain/light-clients/fabric/msp.ts';

/** A signer: its serialized identity (the `creator` bytes) and a sign function. */
export interface Signer {
  mspId: string;
  creator: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function newSigner(mspId: string, certPem: string, key: KeyObject): Signer {
  return {
    mspId,
    creator: serializeIdentity(mspId, certPem),
    sign: (message) => toLowS(nodeSign('sha256', message, { key, dsaEncoding: 'der' })),
  };
}

