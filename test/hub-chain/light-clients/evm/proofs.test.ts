import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbiCoder, keccak256 as ethersKeccak, toUtf8Bytes } from 'ethers';
import { type Hex, ZERO_HASH, fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { EVM_ERR } from '../../../../hub-chain/light-clients/evm/errors.ts';
import type { RpcBlock } from '../../../../hub-chain/light-clients/evm/header.ts';
import { EMPTY_TRIE_ROOT, logAt, receiptKey, verifyAccountProof, verifyMptProof, verifyReceiptProof, verifyStorageProof } from '../../../../hub-chain/light-clients/evm/mpt.ts';
import { MemoryTrie, type RpcReceipt, buildReceiptProof, buildReceiptsTrie, fetchPontisProof, fetchStorageProof, pontisSlot } from '../../../../hub-chain/light-clients/evm/proofs.ts';
import { expectCode, expectCodeInChain, thrown } from '../../../support/errors.ts';
import { type Anvil, blockNumber, deployStore, sendStore, startAnvil, waitReceipt, word } from './anvil.ts';

const text = (s: string) => utf8(s);

/** Flips one byte in the middle of node `i` of a proof list. */
function tamper(proof: Hex[], i: number): Hex[] {
  const out = [...proof];
  const b = fromHex(out[i]).slice();
  b[Math.floor(b.length / 2)] ^= 1;
  out[i] = toHex(b);
  return out;
}

const expectProofError = (f: () => unknown): void => expectCodeInChain(thrown(f), EVM_ERR.PROOF_INVALID, EVM_ERR.PROOF_MALFORMED);

describe('merkle patricia trie: vectors and local proofs', () => {
  it('behavior: roots match the Ethereum trie test vectors', () => {
    expect(new MemoryTrie([]).root).toBe(EMPTY_TRIE_ROOT);
    const dogs = new MemoryTrie([
      [text('doe'), text('reindeer')],
      [text('dog'), text('puppy')],
      [text('dogglesworth'), text('cat')],
    ]);
    expect(dogs.root).toBe('0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3');
    expect(new MemoryTrie([[text('A'), text('a'.repeat(50))]]).root).toBe('0xd23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab');
  });

  it('behavior: proofs of present and absent keys verify, including paths through inline nodes', () => {
    // one-byte values keep leaves under 32 bytes, so parents embed them inline
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 40; i++) entries.push([Uint8Array.of(i * 7, i), Uint8Array.of(i + 1)]);
    entries.push([text('doe'), text('reindeer')], [text('dog'), text('puppy')], [text('dogglesworth'), text('cat')]);
    const trie = new MemoryTrie(entries);
    let inlinePaths = 0;
    for (const [k, v] of entries) {
      const proof = trie.proof(k);
      expect(toHex(verifyMptProof(trie.root, k, proof)!)).toBe(toHex(v));
      if (proof.length < 3) inlinePaths++;
    }
    expect(inlinePaths).toBeGreaterThan(0);
    // absent: empty branch slot, diverging leaf, diverging extension, a prefix of a key
    for (const k of [Uint8Array.of(0xff, 0xff), Uint8Array.of(7, 2), text('dogg'), text('do'), text('cat')]) {
      expect(verifyMptProof(trie.root, k, trie.proof(k))).toBeNull();
    }
    expect(verifyMptProof(EMPTY_TRIE_ROOT, text('x'), [])).toBeNull();
  });

  it('error: a tampered, missing or extra node, or another root, is refused', () => {
    const trie = new MemoryTrie([
      [text('doe'), text('reindeer')],
      [text('dog'), text('puppy')],
      [text('dogglesworth'), text('cat')],
    ]);
    const proof = trie.proof(text('dog'));
    expect(proof.length).toBeGreaterThan(1);
    expectCode(() => verifyMptProof(trie.root, text('dog'), tamper(proof, proof.length - 1)), EVM_ERR.PROOF_INVALID);
    expectCode(() => verifyMptProof(trie.root, text('dog'), proof.slice(0, -1)), EVM_ERR.PROOF_INVALID);
    expectCode(() => verifyMptProof(trie.root, text('dog'), [...proof, proof[0]]), EVM_ERR.PROOF_MALFORMED);
    expectCode(() => verifyMptProof(EMPTY_TRIE_ROOT.replace('56', '57'), text('dog'), proof), EVM_ERR.PROOF_INVALID);
    expectCode(() => verifyMptProof(trie.root, text('dog'), []), EVM_ERR.PROOF_INVALID);
    expectCode(() => verifyMptProof(trie.root, text('dog'), 'nope'), EVM_ERR.PROOF_MALFORMED);
  });
});

describe('storage and receipt proofs on a real anvil chain', () => {
  let a: Anvil;
  let store: Hex;
  const keys = ['pkt/out/chain-a/app/evm-1/app/1', 'pkt/out/chain-a/app/evm-1/app/2', 'pkt/ack/evm-1/app/chain-a/app/1'];
  const values = [word(0xaa11n), word(0xbb22n), word(1n)];
  let before: number; // a block before the writes
  let after: number; // the block after all writes
  let receiptsBlock: RpcBlock;
  let receipts: RpcReceipt[];

  beforeAll(async () => {
    a = await startAnvil();
    store = await deployStore(a);
    before = await blockNumber(a);
    for (let i = 0; i < 2; i++) await waitReceipt(a, await sendStore(a, store, pontisSlot(keys[i]), values[i]));
    // the third key is written directly, as a test fixture would
    await a.call('anvil_setStorageAt', store, pontisSlot(keys[2]), values[2]);
    await a.call('evm_mine');
    // three transactions in one block, for the receipts trie
    await a.call('evm_setAutomine', false);
    const txs: Hex[] = [];
    for (let i = 0; i < 3; i++) txs.push(await sendStore(a, store, word(100 + i), word(200 + i)));
    await a.call('evm_mine');
    await a.call('evm_setAutomine', true);
    const r = await waitReceipt(a, txs[0]);
    receiptsBlock = await a.call<RpcBlock>('eth_getBlockByNumber', r.blockNumber, false);
    receipts = await a.call<RpcReceipt[]>('eth_getBlockReceipts', r.blockNumber);
    after = Number(BigInt(receiptsBlock.number)) - 1;
  });
  afterAll(async () => a?.stop());

  const blockAt = (n: number) => a.call<RpcBlock>('eth_getBlockByNumber', '0x' + n.toString(16), false);

  it('behavior: the gateway slot of a Pontis key is keccak256(abi.encode(keccak256(key), 0))', () => {
    const coder = AbiCoder.defaultAbiCoder();
    for (const k of keys) expect(pontisSlot(k)).toBe(ethersKeccak(coder.encode(['bytes32', 'uint256'], [ethersKeccak(toUtf8Bytes(k)), 0])));
  });

  it('behavior: eth_getProof membership of written slots verifies against the block state root', async () => {
    const { stateRoot } = await blockAt(after);
    for (let i = 0; i < keys.length; i++) {
      const proof = await fetchPontisProof(a.rpc, store, keys[i], after);
      expect(verifyStorageProof(stateRoot, store, pontisSlot(keys[i]), proof)).toBe(values[i]);
    }
    const acct = verifyAccountProof(stateRoot, store, (await fetchPontisProof(a.rpc, store, keys[0], after)).accountProof);
    expect(acct?.storageRoot).not.toBe(EMPTY_TRIE_ROOT);
  });

  it('behavior: a never-written slot, and any slot before the writes, is proven absent', async () => {
    const { stateRoot } = await blockAt(after);
    const never = 'pkt/rcpt/chain-a/app/99';
    expect(verifyStorageProof(stateRoot, store, pontisSlot(never), await fetchPontisProof(a.rpc, store, never, after))).toBeNull();
    const old = await blockAt(before);
    expect(verifyStorageProof(old.stateRoot, store, pontisSlot(keys[0]), await fetchPontisProof(a.rpc, store, keys[0], before))).toBeNull();
    // an account that does not exist has no storage at all
    const nobody: Hex = '0x00000000000000000000000000000000000000aa';
    const p = await fetchStorageProof(a.rpc, nobody, pontisSlot(keys[0]), after);
    expect(verifyAccountProof(stateRoot, nobody, p.accountProof)).toBeNull();
    expect(verifyStorageProof(stateRoot, nobody, pontisSlot(keys[0]), p)).toBeNull();
  });

  it('behavior: a slot cleared back to zero reads as the zero word or absent (anvil keeps a zero leaf)', async () => {
    const k = 'pkt/out/chain-a/app/evm-1/app/77';
    await waitReceipt(a, await sendStore(a, store, pontisSlot(k), word(5)));
    await waitReceipt(a, await sendStore(a, store, pontisSlot(k), word(0)));
    const n = await blockNumber(a);
    const w = verifyStorageProof((await blockAt(n)).stateRoot, store, pontisSlot(k), await fetchPontisProof(a.rpc, store, k, n));
    expect(w === null || w === ZERO_HASH).toBe(true);
  });

  it('error: a proof checked against another block state root is refused', async () => {
    const proof = await fetchPontisProof(a.rpc, store, keys[0], after);
    const other = await blockAt(before);
    expectProofError(() => verifyStorageProof(other.stateRoot, store, pontisSlot(keys[0]), proof));
  });

  it('error: a tampered account or storage node is refused', async () => {
    const { stateRoot } = await blockAt(after);
    const proof = await fetchPontisProof(a.rpc, store, keys[0], after);
    const slot = pontisSlot(keys[0]);
    expectProofError(() => verifyStorageProof(stateRoot, store, slot, { ...proof, storageProof: tamper(proof.storageProof, proof.storageProof.length - 1) }));
    expectProofError(() => verifyStorageProof(stateRoot, store, slot, { ...proof, storageProof: tamper(proof.storageProof, 0) }));
    expectProofError(() => verifyStorageProof(stateRoot, store, slot, { ...proof, accountProof: tamper(proof.accountProof, proof.accountProof.length - 1) }));
  });

  it('error: a proof of one slot does not prove another slot, nor another contract', async () => {
    const { stateRoot } = await blockAt(after);
    const proof = await fetchPontisProof(a.rpc, store, keys[0], after);
    expectProofError(() => verifyStorageProof(stateRoot, store, pontisSlot(keys[1]), proof));
    expectProofError(() => verifyStorageProof(stateRoot, a.from, pontisSlot(keys[0]), proof));
  });

  it('behavior: receipt proofs rebuilt from eth_getBlockReceipts verify and give the logs', () => {
    expect(receipts.length).toBe(3);
    expect(buildReceiptsTrie(receipts).root).toBe(receiptsBlock.receiptsRoot);
    for (let i = 0; i < 3; i++) {
      const p = buildReceiptProof(receipts, i, receiptsBlock.receiptsRoot);
      const r = verifyReceiptProof(receiptsBlock.receiptsRoot, i, p.proof);
      expect(r.type).toBe(2);
      expect(r.status).toBe(1);
      expect(r.logs.length).toBe(2);
      const log0 = logAt(r, 0);
      expect(log0.address).toBe(store);
      expect(log0.topics).toEqual([word(100 + i)]);
      expect(log0.data).toBe(word(200 + i));
      expect(logAt(r, 1).topics).toEqual([]);
    }
  });

  it('behavior: the same trie built from eth_getTransactionReceipt of each transaction matches', async () => {
    const block = await a.call<{ transactions: Hex[] }>('eth_getBlockByNumber', receiptsBlock.number, false);
    const single: RpcReceipt[] = [];
    for (const tx of block.transactions) single.push(await a.call<RpcReceipt>('eth_getTransactionReceipt', tx));
    expect(buildReceiptProof(single.reverse(), 1, receiptsBlock.receiptsRoot).receiptsRoot).toBe(receiptsBlock.receiptsRoot);
  });

  it('error: a log index the receipt does not have is refused', () => {
    const r = verifyReceiptProof(receiptsBlock.receiptsRoot, 0, buildReceiptProof(receipts, 0).proof);
    expectCode(() => logAt(r, 2), EVM_ERR.PROOF_LOG_NOT_FOUND);
    expectCode(() => logAt(r, -1), EVM_ERR.PROOF_LOG_NOT_FOUND);
  });

  it('error: a receipt proof against another block, with a tampered receipt, or for a missing index is refused', async () => {
    const p = buildReceiptProof(receipts, 1);
    const other = await blockAt(after);
    expectProofError(() => verifyReceiptProof(other.receiptsRoot, 1, p.proof));
    expectProofError(() => verifyReceiptProof(receiptsBlock.receiptsRoot, 1, tamper(p.proof, p.proof.length - 1)));
    expectProofError(() => verifyReceiptProof(receiptsBlock.receiptsRoot, 2, p.proof)); // proof of index 1 used for index 2
    const trie = buildReceiptsTrie(receipts);
    expectCode(() => verifyReceiptProof(receiptsBlock.receiptsRoot, 7, trie.proof(receiptKey(7))), EVM_ERR.PROOF_KEY_ABSENT);
  });

  it('error: an incomplete or altered receipt list does not rebuild to the block root', () => {
    expectCode(() => buildReceiptProof(receipts.slice(0, 2), 0, receiptsBlock.receiptsRoot), EVM_ERR.SOURCE_INVALID);
    const altered = receipts.map((r, i) => (i === 2 ? { ...r, logs: r.logs.slice(0, 1) } : r));
    expectCode(() => buildReceiptProof(altered, 0, receiptsBlock.receiptsRoot), EVM_ERR.SOURCE_INVALID);
  });
});
