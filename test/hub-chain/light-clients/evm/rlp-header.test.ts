import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRlp as ethersEncodeRlp } from 'ethers';
import { type Hex, fromHex, toHex } from '../../../../hub-chain/crypto/bytes.ts';
import { EVM_ERR } from '../../../../hub-chain/light-clients/evm/errors.ts';
import { checkHeaderChain, checkParentLink, decodeHeader, encodeHeader, headerFromRpc, headerHash, type RpcBlock, verifiedHeaderFromRpc } from '../../../../hub-chain/light-clients/evm/header.ts';
import { type RlpItem, decodeRlp, encodeRlp, rlpToBigInt } from '../../../../hub-chain/light-clients/evm/rlp.ts';
import { expectCode } from '../../../support/errors.ts';
import { type Anvil, deployStore, sendStore, startAnvil, waitReceipt, word } from './anvil.ts';

const hexItem = (i: RlpItem): unknown => (i instanceof Uint8Array ? toHex(i) : i.map(hexItem));

describe('rlp: strict canonical decoding', () => {
  it('behavior: encodes the Yellow Paper examples and round-trips them', () => {
    const cases: [RlpItem, Hex][] = [
      [new Uint8Array(0), '0x80'],
      [Uint8Array.of(0x00), '0x00'],
      [Uint8Array.of(0x7f), '0x7f'],
      [Uint8Array.of(0x80), '0x8180'],
      [new TextEncoder().encode('dog'), '0x83646f67'],
      [[new TextEncoder().encode('cat'), new TextEncoder().encode('dog')], '0xc88363617483646f67'],
      [[], '0xc0'],
      [[[], [[]], [[], [[]]]], '0xc7c0c1c0c3c0c1c0'],
      [new Uint8Array(56).fill(0x61), `0xb838${'61'.repeat(56)}`],
    ];
    for (const [item, hex] of cases) {
      expect(toHex(encodeRlp(item))).toBe(hex);
      expect(hexItem(decodeRlp(fromHex(hex)))).toEqual(hexItem(item));
      // an independent encoder agrees
      expect(ethersEncodeRlp(hexItem(item) as string)).toBe(hex);
    }
  });

  it('error: non-canonical encodings that ethers decodeRlp accepts are refused', () => {
    expectCode(() => decodeRlp(fromHex('0x8105')), EVM_ERR.RLP_NONCANONICAL); // single byte < 0x80 wrapped
    expectCode(() => decodeRlp(fromHex(`0xb801${'61'}`)), EVM_ERR.RLP_NONCANONICAL); // long form for a short string
    expectCode(() => decodeRlp(fromHex(`0xb90038${'61'.repeat(56)}`)), EVM_ERR.RLP_NONCANONICAL); // leading zero in length
    expectCode(() => decodeRlp(fromHex('0xf801c0')), EVM_ERR.RLP_NONCANONICAL); // long-form list header for 1 byte
    expectCode(() => rlpToBigInt(Uint8Array.of(0, 1), 'n'), EVM_ERR.RLP_NONCANONICAL);
  });

  it('error: truncated items, overrunning children and trailing bytes are refused', () => {
    expectCode(() => decodeRlp(fromHex('0x83646f')), EVM_ERR.RLP_MALFORMED);
    expectCode(() => decodeRlp(fromHex('0xc283646f67')), EVM_ERR.RLP_MALFORMED); // child runs past the list
    expectCode(() => decodeRlp(fromHex('0x83646f6700')), EVM_ERR.RLP_MALFORMED);
    expectCode(() => decodeRlp(new Uint8Array(0)), EVM_ERR.RLP_MALFORMED);
  });
});

describe('evm headers: a known vector', () => {
  it('behavior: the Ethereum mainnet genesis header (15 fields, pre-London) hashes to its known hash', () => {
    const z32 = '0x' + '00'.repeat(32);
    const empty = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
    const genesis = {
      parentHash: z32,
      ommersHash: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
      beneficiary: '0x' + '00'.repeat(20),
      stateRoot: '0xd7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544',
      transactionsRoot: empty,
      receiptsRoot: empty,
      logsBloom: '0x' + '00'.repeat(256),
      difficulty: 0x400000000n,
      number: 0,
      gasLimit: 5000n,
      gasUsed: 0n,
      timestamp: 0,
      extraData: '0x11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa',
      mixHash: z32,
      nonce: '0x0000000000000042',
    };
    expect(headerHash(genesis)).toBe('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3');
    expect(decodeHeader(encodeHeader(genesis))).toEqual(genesis);
    expect(headerHash({ ...genesis, nonce: '0x0000000000000043' })).not.toBe('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3');
  });
});

describe('evm headers on real anvil blocks', () => {
  let a: Anvil;
  const blocks: RpcBlock[] = [];

  beforeAll(async () => {
    a = await startAnvil();
    const store = await deployStore(a);
    await waitReceipt(a, await sendStore(a, store, word(1), word(7)));
    await a.call('anvil_mine', '0x3');
    const n = Number(BigInt(await a.call<string>('eth_blockNumber')));
    for (let i = 0; i <= n; i++) blocks.push(await a.call<RpcBlock>('eth_getBlockByNumber', '0x' + i.toString(16), false));
  });
  afterAll(async () => a?.stop());

  it('behavior: the header rebuilt from each block JSON hashes to the node hash, with every Prague field', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const b of blocks) {
      const h = headerFromRpc(b);
      expect(headerHash(h)).toBe(b.hash);
      expect(h.requestsHash).toBeDefined();
      expect(h.parentBeaconBlockRoot).toBeDefined();
      expect(h.withdrawalsRoot).toBeDefined();
      expect(h.blobGasUsed).toBeDefined();
    }
    // blocks with transactions have non-empty roots
    expect(blocks[1].transactionsRoot).not.toBe(blocks[0].transactionsRoot);
  });

  it('behavior: decode(encode(header)) is the same header and the same hash', () => {
    for (const b of blocks) {
      const h = headerFromRpc(b);
      const rlp = encodeHeader(h);
      const back = decodeHeader(rlp);
      expect(back).toEqual(h);
      expect(headerHash(back)).toBe(b.hash);
    }
  });

  it('behavior: consecutive blocks link by parent hash', () => {
    expect(() => checkHeaderChain(blocks.map(headerFromRpc))).not.toThrow();
  });

  it('error: a skipped block or a swapped order breaks the parent link', () => {
    const hs = blocks.map(headerFromRpc);
    expectCode(() => checkParentLink(hs[1], hs[3]), EVM_ERR.HEADER_NOT_CHILD);
    expectCode(() => checkParentLink(hs[2], hs[1]), EVM_ERR.HEADER_NOT_CHILD);
    // right parent hash, wrong number
    expectCode(() => checkParentLink(hs[1], { ...hs[2], number: hs[2].number + 1 }), EVM_ERR.HEADER_NOT_CHILD);
  });

  it('error: a block JSON whose fields do not hash to its reported hash is refused', () => {
    const b = blocks[2];
    expect(verifiedHeaderFromRpc(b).hash).toBe(b.hash);
    expectCode(() => verifiedHeaderFromRpc({ ...b, stateRoot: blocks[1].stateRoot }), EVM_ERR.HEADER_HASH_MISMATCH);
    expectCode(() => verifiedHeaderFromRpc({ ...b, receiptsRoot: blocks[1].receiptsRoot }), EVM_ERR.HEADER_HASH_MISMATCH);
    // dropping a fork field gives an earlier fork's header, which hashes differently
    expectCode(() => verifiedHeaderFromRpc({ ...b, requestsHash: null }), EVM_ERR.HEADER_HASH_MISMATCH);
    // a later fork's field without an earlier one has no encoding at all
    expectCode(() => verifiedHeaderFromRpc({ ...b, parentBeaconBlockRoot: null }), EVM_ERR.HEADER_MALFORMED);
  });

  it('error: header RLP of no fork shape, or with a wrong-width field, is refused', () => {
    const h = headerFromRpc(blocks[1]);
    const rlp = encodeHeader(h);
    const list = decodeRlp(rlp) as RlpItem[];
    expectCode(() => decodeHeader(encodeRlp(list.slice(0, 18))), EVM_ERR.HEADER_MALFORMED);
    expectCode(() => decodeHeader(encodeRlp([...list, new Uint8Array(32)])), EVM_ERR.HEADER_MALFORMED);
    const badRoot = [...list];
    badRoot[3] = new Uint8Array(31);
    expectCode(() => decodeHeader(encodeRlp(badRoot)), EVM_ERR.HEADER_MALFORMED);
    expectCode(() => decodeHeader(Uint8Array.from([...rlp, 0])), EVM_ERR.RLP_MALFORMED);
  });
});
