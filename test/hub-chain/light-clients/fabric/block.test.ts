/**
 * Block hashing against Fabric's encoding (protoutil.BlockHeaderBytes: Go's asn1.Marshal of
 * {Number int64, PreviousHash, DataHash}; BlockDataHash: sha256 over the concatenated data).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blockDataHash, blockHeaderBytes, blockHeaderHash } from '../../../../hub-chain/light-clients/fabric/block.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const aa = new Uint8Array(32).fill(0xaa);
const bb = new Uint8Array(32).fill(0xbb);

describe('block hashing', () => {
  it('behavior: header bytes are DER SEQUENCE{INTEGER, OCTET STRING, OCTET STRING} as Go encodes them', () => {
    expect(hex(blockHeaderBytes({ number: 0, previousHash: new Uint8Array(), dataHash: new Uint8Array() }))).toBe('3007020100040004' + '00');
    expect(hex(blockHeaderBytes({ number: 1, previousHash: aa, dataHash: bb }))).toBe('3047020101' + '0420' + 'aa'.repeat(32) + '0420' + 'bb'.repeat(32));
    // 128 needs a leading zero byte to stay positive; 2^40 takes six bytes
    expect(hex(blockHeaderBytes({ number: 128, previousHash: aa, dataHash: bb }).subarray(0, 6))).toBe('304802020080');
    expect(hex(blockHeaderBytes({ number: 2n ** 40n, previousHash: aa, dataHash: bb }).subarray(0, 10))).toBe('304c0206010000000000');
    const h = { number: 7, previousHash: aa, dataHash: bb };
    expect(hex(blockHeaderHash(h))).toBe(createHash('sha256').update(blockHeaderBytes(h)).digest('hex'));
  });

  it('behavior: the data hash is sha256 over the envelopes concatenated; order matters', () => {
    const a = Buffer.from('envelope-a');
    const b = Buffer.from('envelope-b');
    expect(hex(blockDataHash([a, b]))).toBe(createHash('sha256').update(Buffer.concat([a, b])).digest('hex'));
    expect(hex(blockDataHash([b, a]))).not.toBe(hex(blockDataHash([a, b])));
  });
});
