/**
 * Block hashing as Fabric's protoutil does it: the header hash is sha256 of the ASN.1 DER
 * SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }, the data hash
 * sha256 over the concatenated envelope bytes (Fabric 2.x). One implementation for the hub's
 * `fabric` client and the network stand-in (devnet/fabric/) that cuts the blocks.
 */
import { createHash } from 'node:crypto';

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derInteger(n: bigint): Buffer {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let body = Buffer.from(hex, 'hex');
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return Buffer.concat([Buffer.from([0x02]), derLength(body.length), body]);
}

function derOctets(b: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x04]), derLength(b.length), Buffer.from(b)]);
}

export interface BlockHeaderFields {
  number: bigint | number;
  previousHash: Uint8Array;
  dataHash: Uint8Array;
}

export function blockHeaderBytes(h: BlockHeaderFields): Uint8Array {
  const body = Buffer.concat([derInteger(BigInt(h.number)), derOctets(h.previousHash), derOctets(h.dataHash)]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

export function blockHeaderHash(h: BlockHeaderFields): Uint8Array {
  return createHash('sha256').update(blockHeaderBytes(h)).digest();
}

export function blockDataHash(data: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const d of data) h.update(d);
  return h.digest();
}
