/**
 * Block hashing as Fabric's protoutil does it: the header hash is sha256 of the ASN.1 DER
 * SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }, the data hash
 * sha256 over the concatenated envelope bytes (Fabric 2.x). One implementation for the hub's
 * `fabric` client and the network stand-in (devnet/fabric/) that cuts the blocks.
 */
import { createHash } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { FABRIC_ERR, FabricClientError } from './errors.ts';
import type { MspRegistry } from './msp.ts';

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

/** A block's parts the hub checks: its header, its envelopes and its metadata slots (by BlockMetadataIndex). */
export interface DecodedBlock {
  header: { number: number; previousHash: Uint8Array; dataHash: Uint8Array };
  data: Uint8Array[];
  metadata: Uint8Array[];
}

/** Decodes `common.Block` bytes; its data hash must cover its envelopes (PNT_ERR_FABRIC_BLOCK_INVALID otherwise). */
export function decodeBlock(bytes: Uint8Array): DecodedBlock {
  let block: common.Block;
  try {
    block = common.Block.deserializeBinary(bytes);
  } catch (e) {
    throw new FabricClientError(FABRIC_ERR.BLOCK_INVALID, 'not a common.Block', { cause: e });
  }
  const h = block.getHeader();
  if (!h) throw new FabricClientError(FABRIC_ERR.BLOCK_INVALID, 'block without a header');
  const header = { number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() };
  const data = block.getData()?.getDataList_asU8() ?? [];
  if (!Buffer.from(blockDataHash(data)).equals(Buffer.from(header.dataHash))) {
    throw new FabricClientError(FABRIC_ERR.BLOCK_INVALID, `block ${header.number}: its data hash does not cover its envelopes`, { details: { number: header.number } });
  }
  return { header, data, metadata: block.getMetadata()?.getMetadataList_asU8() ?? [] };
}

/** The validation code a committing peer recorded for transaction `i` (metadata TRANSACTIONS_FILTER; unsigned). */
export function txValidationCode(block: DecodedBlock, i: number): number | undefined {
  return block.metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER]?.[i];
}

/**
 * Checks the orderer signatures on `header` (metadata SIGNATURES: a `common.Metadata` whose
 * signatures each sign `value || signature_header || header bytes`) and returns how many distinct
 * orderer identities of `orderers` signed it; throws PNT_ERR_FABRIC_ORDERER_SIGNATURE when fewer
 * than `threshold` did. A signature that does not verify, or by an identity outside the orderer
 * MSPs, does not count; the same identity twice counts once.
 */
export function verifyOrdererSignatures(header: BlockHeaderFields, signaturesMetadata: Uint8Array | undefined, orderers: MspRegistry, threshold: number, at?: Date): number {
  const number = Number(header.number);
  let md: common.Metadata | undefined;
  try {
    md = signaturesMetadata?.length ? common.Metadata.deserializeBinary(signaturesMetadata) : undefined;
  } catch (e) {
    throw new FabricClientError(FABRIC_ERR.ORDERER_SIGNATURE, `block ${number}: malformed signatures metadata`, { cause: e, details: { number } });
  }
  const headerBytes = blockHeaderBytes(header);
  const signers = new Set<string>();
  for (const s of md?.getSignaturesList() ?? []) {
    try {
      const creator = common.SignatureHeader.deserializeBinary(s.getSignatureHeader_asU8()).getCreator_asU8();
      orderers.verify(creator, Buffer.concat([md!.getValue_asU8(), s.getSignatureHeader_asU8(), headerBytes]), s.getSignature_asU8(), at);
      signers.add(Buffer.from(creator).toString('base64'));
    } catch {
      // not an orderer's valid signature: does not count
    }
  }
  if (signers.size < threshold) {
    throw new FabricClientError(FABRIC_ERR.ORDERER_SIGNATURE, `block ${number} is signed by ${signers.size} orderer(s), ${threshold} needed`, { details: { number, signers: signers.size, threshold } });
  }
  return signers.size;
}
