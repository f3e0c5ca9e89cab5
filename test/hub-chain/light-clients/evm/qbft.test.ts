import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hex, fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { CLIENT_ERR } from '../../../../hub-chain/modules/clients/errors.ts';
import { ClientKeeper } from '../../../../hub-chain/modules/clients/keeper.ts';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { EVM_CLIENT_TYPE } from '../../../../hub-chain/light-clients/evm/module.ts';
import { EVM_ERR } from '../../../../hub-chain/light-clients/evm/errors.ts';
import { type EvmHeader, type RpcBlock, encodeHeader, headerFromRpc } from '../../../../hub-chain/light-clients/evm/header.ts';
import { fetchPontisProof, pontisSlot } from '../../../../hub-chain/light-clients/evm/proofs.ts';
import { finalizedBlockOf } from '../../../../hub-chain/light-clients/evm/source.ts';
import { type RlpItem, decodeRlp, encodeRlp } from '../../../../hub-chain/light-clients/evm/rlp.ts';
import { type QbftExtra, decodeQbftExtra, encodeQbftExtra, qbftBlockHash, qbftCommitters, qbftSealDigest, sealQbftHeader, verifyQbftSeals } from '../../../../hub-chain/light-clients/evm/qbft.ts';
import { ChainBuilder, type TestValidator } from '../../../support/chain-builder.ts';
import { makeCtx } from '../../modules/clients/helpers.ts';
import { MapStore } from '../../../support/kv.ts';
import { expectCode } from '../../../support/errors.ts';
import { type Anvil, deployStore, sendStore, startAnvil, waitReceipt, word } from './anvil.ts';

const HUB = 'hub-test-1';
const CHAIN = 'besu-1';
const DAY = 86_400_000;
const keys: TestValidator[] = new ChainBuilder({ seed: 'evm-qbft', powers: [1, 1, 1, 1, 1, 1] }).validatorsAt(1);
const set4 = keys.slice(0, 4);
const addrs = (vs: TestValidator[]) => vs.map((v) => v.address);
const VANITY: Hex = '0x' + '00'.repeat(32);
const hubVals = new ChainBuilder({ chainId: HUB, seed: 'evm-qbft-hub' }).validatorSet(1);
const rlpHex = (h: EvmHeader): Hex => toHex(encodeHeader(h));

describe('qbft headers: extraData, seal digest and block hash', () => {
  const template: EvmHeader = {
    parentHash: '0x' + '11'.repeat(32),
    ommersHash: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
    beneficiary: set4[0].address,
    stateRoot: '0x' + '22'.repeat(32),
    transactionsRoot: '0x' + '33'.repeat(32),
    receiptsRoot: '0x' + '44'.repeat(32),
    logsBloom: '0x' + '00'.repeat(256),
    difficulty: 1n,
    number: 10,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    timestamp: 1_700_000_000,
    extraData: '0x',
    // the BFT mix hash Besu writes
    mixHash: '0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365',
    nonce: '0x0000000000000000',
    baseFeePerGas: 7n,
  };
  const extra = (round = 0, vote: QbftExtra['vote'] = null): Omit<QbftExtra, 'seals'> => ({ vanity: VANITY, validators: addrs(set4), vote, round });

  it('behavior: extraData round-trips, with and without a validator vote', () => {
    for (const e of [{ ...extra(), seals: [] }, { ...extra(3, { recipient: keys[5].address, add: true }), seals: ['0x' + '01'.repeat(65)] }, { ...extra(0, { recipient: keys[5].address, add: false }), seals: [] }]) {
      expect(decodeQbftExtra(encodeQbftExtra(e))).toEqual(e);
    }
  });

  it('behavior: the block hash ignores round and seals, the seal digest binds the round', () => {
    const a = sealQbftHeader(template, extra(0), set4.slice(0, 3).map((k) => k.secretKey));
    const b = sealQbftHeader(template, extra(2), set4.map((k) => k.secretKey));
    expect(qbftBlockHash(a)).toBe(qbftBlockHash(b));
    expect(toHex(qbftSealDigest(a))).not.toBe(toHex(qbftSealDigest(b)));
    expect(qbftBlockHash({ ...a, stateRoot: '0x' + '23'.repeat(32) })).not.toBe(qbftBlockHash(a));
    expect(qbftCommitters(b)).toEqual(addrs(set4));
  });

  it('error: fewer than 2/3+ of the trusted set, a duplicated seal or a tampered header is refused', () => {
    const two = sealQbftHeader(template, extra(), set4.slice(0, 2).map((k) => k.secretKey));
    expectCode(() => verifyQbftSeals(two, addrs(set4)), EVM_ERR.QBFT_NO_QUORUM);
    const dup = sealQbftHeader(template, extra(), [set4[0], set4[0], set4[1]].map((k) => k.secretKey));
    expectCode(() => verifyQbftSeals(dup, addrs(set4)), EVM_ERR.QBFT_SEAL_INVALID);
    const three = sealQbftHeader(template, extra(), set4.slice(0, 3).map((k) => k.secretKey));
    expect(verifyQbftSeals(three, addrs(set4)).committers.length).toBe(3);
    // seals over one state root recover to other keys for another
    expectCode(() => verifyQbftSeals({ ...three, stateRoot: '0x' + '99'.repeat(32) }, addrs(set4)), EVM_ERR.QBFT_NO_QUORUM);
    // sealed by a set the header lists but the client does not trust
    const outsiders = keys.slice(2, 6);
    const foreign = sealQbftHeader(template, { ...extra(), validators: addrs(outsiders) }, outsiders.map((k) => k.secretKey));
    expectCode(() => verifyQbftSeals(foreign, addrs(set4)), EVM_ERR.QBFT_NO_QUORUM);
  });

  it('behavior: the finalized source accepts a QBFT block whose node hash leaves out round and seals, and no other hash', () => {
    const q = (n: bigint) => '0x' + n.toString(16);
    const sealed = sealQbftHeader(template, extra(1), set4.map((k) => k.secretKey));
    const rpc: RpcBlock = {
      hash: qbftBlockHash(sealed),
      parentHash: sealed.parentHash,
      sha3Uncles: sealed.ommersHash,
      miner: sealed.beneficiary,
      stateRoot: sealed.stateRoot,
      transactionsRoot: sealed.transactionsRoot,
      receiptsRoot: sealed.receiptsRoot,
      logsBloom: sealed.logsBloom,
      difficulty: q(sealed.difficulty),
      number: q(BigInt(sealed.number)),
      gasLimit: q(sealed.gasLimit),
      gasUsed: q(sealed.gasUsed),
      timestamp: q(BigInt(sealed.timestamp)),
      extraData: sealed.extraData,
      mixHash: sealed.mixHash,
      nonce: sealed.nonce,
      baseFeePerGas: q(sealed.baseFeePerGas!),
    };
    expect(finalizedBlockOf(rpc)).toEqual({ height: 10, hash: qbftBlockHash(sealed), stateRoot: sealed.stateRoot, receiptsRoot: sealed.receiptsRoot, timestamp: sealed.timestamp * 1000 });
    expectCode(() => finalizedBlockOf({ ...rpc, stateRoot: '0x' + '55'.repeat(32) }), EVM_ERR.HEADER_HASH_MISMATCH);
    expectCode(() => finalizedBlockOf({ ...rpc, extraData: '0x1234' }), EVM_ERR.HEADER_HASH_MISMATCH);
  });

  it('error: malformed extraData is refused', () => {
    const e = encodeQbftExtra({ ...extra(), seals: [] });
    expectCode(() => decodeQbftExtra(e.subarray(0, e.length - 1)), EVM_ERR.RLP_MALFORMED);
    expectCode(() => decodeQbftExtra('0xc0'), EVM_ERR.QBFT_EXTRA_MALFORMED);
    expectCode(() => decodeQbftExtra(encodeQbftExtra({ ...extra(), validators: [set4[0].address, set4[0].address], seals: [] })), EVM_ERR.QBFT_EXTRA_MALFORMED);
    const items = decodeRlp(e) as RlpItem[];
    expectCode(() => decodeQbftExtra(encodeRlp([...items.slice(0, 4), [new Uint8Array(64)]])), EVM_ERR.QBFT_EXTRA_MALFORMED); // a 64-byte seal
    expectCode(() => decodeQbftExtra(encodeRlp([new Uint8Array(31), ...items.slice(1)])), EVM_ERR.QBFT_EXTRA_MALFORMED); // short vanity
    expectCode(() => decodeQbftExtra(encodeRlp([...items.slice(0, 2), [new Uint8Array(20), Uint8Array.of(1)], ...items.slice(3)])), EVM_ERR.QBFT_EXTRA_MALFORMED); // vote type 1
  });
});

describe('evm client in qbft mode, over anvil state roots', () => {
  let a: Anvil;
  let gateway: Hex;
  let base: EvmHeader; // a real anvil header, used as the shape and the state of the sealed headers
  const KEY = 'pkt/out/besu-1/app/chain-a/app/1';
  const VALUE = word(0xbe50n);

  beforeAll(async () => {
    a = await startAnvil();
    gateway = await deployStore(a);
    await waitReceipt(a, await sendStore(a, gateway, pontisSlot(KEY), VALUE));
    base = headerFromRpc(await a.call<RpcBlock>('eth_getBlockByNumber', 'latest', false));
  });
  afterAll(async () => a?.stop());

  /** The next QBFT header after `parent`, sealed by `sealers`, listing `validators`. */
  function next(parent: EvmHeader, sealers: TestValidator[], opts: { validators?: TestValidator[]; round?: number; stateRoot?: Hex; dt?: number } = {}): EvmHeader {
    const h: EvmHeader = { ...base, number: parent.number + 1, parentHash: qbftBlockHash(parent), timestamp: parent.timestamp + (opts.dt ?? 2), stateRoot: opts.stateRoot ?? base.stateRoot };
    return sealQbftHeader(h, { vanity: VANITY, validators: addrs(opts.validators ?? set4), vote: null, round: opts.round ?? 0 }, sealers.map((k) => k.secretKey));
  }

  function fresh() {
    const genesis: EvmHeader = sealQbftHeader({ ...base, number: 100, timestamp: Math.floor(Date.now() / 1000) - 600 }, { vanity: VANITY, validators: addrs(set4), vote: null, round: 0 }, set4.map((k) => k.secretKey));
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hubVals, Date.now(), HUB);
    const params = { trustingPeriodMs: DAY, maxClockDriftMs: 30_000, gateway, chainIdNumber: 1337, trust: { mode: 'qbft', validators: addrs(set4) } };
    k.create(ctx, CHAIN, EVM_CLIENT_TYPE, params, { headerRlp: rlpHex(genesis) });
    return { s, k, ctx, genesis };
  }

  it('behavior: headers sealed by more than 2/3 of the trusted validators extend the client; proofs verify at them', async () => {
    const { s, k, ctx, genesis } = fresh();
    expect(k.consensusAt(s, CHAIN, 100)?.extra).toMatchObject({ hash: qbftBlockHash(genesis), validators: addrs(set4) });
    const h1 = next(genesis, set4.slice(0, 3), { round: 1 });
    expect(k.update(ctx, CHAIN, { headerRlp: rlpHex(h1) })).toMatchObject({ kind: 'updated', clientType: 'evm', heights: [101], latestHeight: 101 });
    const h2 = next(h1, set4.slice(1, 4));
    expect(k.update(ctx, CHAIN, { headerRlp: rlpHex(h2) })).toMatchObject({ heights: [102], latestHeight: 102 });
    const proof = await fetchPontisProof(a.rpc, gateway, KEY, base.number);
    k.verifyMembership(s, CHAIN, 102, ctx.now, utf8(KEY), fromHex(VALUE), proof);
    expectCode(() => k.verifyNonMembership(s, CHAIN, 102, ctx.now, utf8(KEY), proof), EVM_ERR.PROOF_KEY_PRESENT);
  });

  it('behavior: the same header again changes nothing', () => {
    const { k, ctx, genesis } = fresh();
    const h1 = next(genesis, set4.slice(0, 3));
    k.update(ctx, CHAIN, { headerRlp: rlpHex(h1) });
    expect(k.update(ctx, CHAIN, { headerRlp: rlpHex(h1) })).toMatchObject({ kind: 'updated', heights: [], latestHeight: 101 });
    // the same block with other seals (another round) is the same block
    expect(k.update(ctx, CHAIN, { headerRlp: rlpHex(next(genesis, set4.slice(1, 4), { round: 4 })) })).toMatchObject({ kind: 'updated', heights: [] });
  });

  it('behavior: a validator set change listed in a header becomes the trusted set for the next', () => {
    const { s, k, ctx, genesis } = fresh();
    const set5 = keys.slice(0, 5);
    const h1 = next(genesis, [keys[0], keys[1], keys[2], keys[4]], { validators: set5 });
    k.update(ctx, CHAIN, { headerRlp: rlpHex(h1) });
    expect(k.consensusAt(s, CHAIN, 101)?.extra).toMatchObject({ validators: addrs(set5) });
    // 4 of the 5 now trusted, including the new one
    const h2 = next(h1, [keys[1], keys[2], keys[3], keys[4]], { validators: set5 });
    expect(k.update(ctx, CHAIN, { headerRlp: rlpHex(h2) })).toMatchObject({ heights: [102] });
    // 3 of 5 is not enough any more
    expectCode(() => k.update(ctx, CHAIN, { headerRlp: rlpHex(next(h2, keys.slice(0, 3), { validators: set5 })) }), EVM_ERR.QBFT_NO_QUORUM);
  });

  it('error: too few seals, a gap, a wrong parent, a header from the future and a vote message are refused', () => {
    const { k, ctx, genesis } = fresh();
    expectCode(() => k.update(ctx, CHAIN, { headerRlp: rlpHex(next(genesis, set4.slice(0, 2))) }), EVM_ERR.QBFT_NO_QUORUM);
    const h1 = next(genesis, set4);
    expectCode(() => k.update(ctx, CHAIN, { headerRlp: rlpHex(next(h1, set4)) }), EVM_ERR.QBFT_HEADER_REJECTED); // 102 without 101
    expectCode(() => k.update(ctx, CHAIN, { headerRlp: rlpHex({ ...next(genesis, set4), parentHash: '0x' + '77'.repeat(32) }) }), EVM_ERR.QBFT_HEADER_REJECTED);
    expectCode(() => k.update(ctx, CHAIN, { headerRlp: rlpHex(next(genesis, set4, { dt: 3600 })) }), EVM_ERR.HEADER_FROM_FUTURE);
    expectCode(() => k.update(ctx, CHAIN, { headerRlp: rlpHex(next(genesis, set4, { dt: -1 })) }), EVM_ERR.QBFT_HEADER_REJECTED);
    expectCode(() => k.update(ctx, CHAIN, { chainId: CHAIN, height: 101 }), CLIENT_ERR.MSG_INVALID);
  });

  it('behavior: a second sealed header at a height the client holds freezes it with the evidence', () => {
    const { s, k, ctx, genesis } = fresh();
    k.update(ctx, CHAIN, { headerRlp: rlpHex(next(genesis, set4.slice(0, 3))) });
    const fork = next(genesis, set4.slice(1, 4), { stateRoot: '0x' + '66'.repeat(32) });
    expect(k.update(ctx, CHAIN, { headerRlp: rlpHex(fork) })).toMatchObject({ kind: 'frozen', clientType: 'evm', height: 101, reason: 'conflicting-header' });
    expect(k.status(s, CHAIN, ctx.now)).toBe('frozen');
    expect(k.evidence(s, CHAIN)[0].evidence).toMatchObject({ kind: 'conflicting-header', height: 101, header: { headerRlp: rlpHex(fork) } });
  });
});
