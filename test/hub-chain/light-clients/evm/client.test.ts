import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hex, fromHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { signAttestation } from '../../../../hub-chain/light-clients/attested/module.ts';
import { CLIENT_ERR } from '../../../../hub-chain/modules/clients/errors.ts';
import { ATTEST_ERR } from '../../../../hub-chain/light-clients/attested/errors.ts';
import { ClientKeeper } from '../../../../hub-chain/modules/clients/keeper.ts';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { AttestationObserver, type FinalizedBlock } from '../../../../hub-chain/light-clients/attested/observer.ts';
import { EVM_CLIENT_TYPE, evmClient, type EvmClientRecord, type EvmConsensusRecord } from '../../../../hub-chain/light-clients/evm/index.ts';
import { EVM_ERR } from '../../../../hub-chain/light-clients/evm/errors.ts';
import { logAt, verifyReceiptProof } from '../../../../hub-chain/light-clients/evm/mpt.ts';
import { encodeHeader, headerFromRpc, type RpcBlock } from '../../../../hub-chain/light-clients/evm/header.ts';
import { type RpcReceipt, buildReceiptProof, fetchPontisProof, pontisSlot } from '../../../../hub-chain/light-clients/evm/proofs.ts';
import { evmFinalizedSource } from '../../../../hub-chain/light-clients/evm/source.ts';
import { ChainBuilder } from '../../../support/chain-builder.ts';
import { makeCtx } from '../../modules/clients/helpers.ts';
import { MapStore } from '../../../support/kv.ts';
import { expectCode, expectCodeAsync } from '../../../support/errors.ts';
import { type Anvil, blockNumber, deployStore, sendStore, startAnvil, waitReceipt, word } from './anvil.ts';

const HUB = 'hub-test-1';
const CHAIN = 'evm-1';
const DAY = 86_400_000;
const hub = new ChainBuilder({ chainId: HUB, seed: 'evm-client-hub', powers: [10, 10, 10, 10] });
const hubVals = hub.validatorSet(1);
const v = hub.validatorsAt(1);

const keyA = 'pkt/out/chain-a/app/evm-1/app/1';
const valueA = word(0xc0ffeen);
const keyB = 'pkt/ack/evm-1/app/chain-a/app/1';
const valueB = word(0xacc0n);
const never = 'pkt/out/evm-1/app/chain-a/app/77';

describe('evm client: attested headers and gateway storage proofs through the keeper', () => {
  let a: Anvil;
  let gateway: Hex;
  let other: Hex;
  let initBlock: RpcBlock; // trusted at creation (before the writes)
  let target: RpcBlock; // a later block: attested by votes, then proofs at it
  let receipts: RpcReceipt[];
  const params = () => ({ trustingPeriodMs: DAY, maxClockDriftMs: 60_000, gateway, chainIdNumber: 31337, trust: { mode: 'attested' } });

  beforeAll(async () => {
    a = await startAnvil();
    gateway = await deployStore(a);
    other = await deployStore(a);
    initBlock = await a.call<RpcBlock>('eth_getBlockByNumber', 'latest', false);
    const tx = await sendStore(a, gateway, pontisSlot(keyA), valueA);
    await waitReceipt(a, await sendStore(a, gateway, pontisSlot(keyB), valueB));
    // the same key in another contract must not count
    await waitReceipt(a, await sendStore(a, other, pontisSlot(never), word(1)));
    target = await a.call<RpcBlock>('eth_getBlockByNumber', 'latest', false);
    const r = await waitReceipt(a, tx);
    receipts = await a.call<RpcReceipt[]>('eth_getBlockReceipts', r.blockNumber);
  });
  afterAll(async () => a?.stop());

  const heightOf = (b: RpcBlock) => Number(BigInt(b.number));
  const blockValue = (b: RpcBlock): FinalizedBlock => ({ height: heightOf(b), hash: b.hash, stateRoot: b.stateRoot, receiptsRoot: b.receiptsRoot, timestamp: Number(BigInt(b.timestamp)) * 1000 });
  const voteFor = (who: (typeof v)[number], b: FinalizedBlock) =>
    signAttestation(HUB, { chainId: CHAIN, height: b.height, hash: b.hash, stateRoot: b.stateRoot, receiptsRoot: b.receiptsRoot!, timestamp: b.timestamp }, who.secretKey);

  function fresh() {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hubVals, Date.now(), HUB);
    k.create(ctx, CHAIN, EVM_CLIENT_TYPE, params(), { headerRlp: '0x' + Buffer.from(encodeHeader(headerFromRpc(initBlock))).toString('hex') });
    return { s, k, ctx };
  }

  /** A client holding `target`, attested by three of four equal validators. */
  function attested() {
    const f = fresh();
    for (const who of v.slice(0, 3)) f.k.update(f.ctx, CHAIN, voteFor(who, blockValue(target)));
    return f;
  }

  it('behavior: the app router routes the evm type to its module', () => {
    expect(createClientRouter().get(EVM_CLIENT_TYPE)).toBe(evmClient);
  });

  it('behavior: creation from a header RLP stores its hash, roots and timestamp in ms', () => {
    const { s, k } = fresh();
    const rec = k.record(s, CHAIN) as EvmClientRecord;
    expect(rec).toMatchObject({ clientType: 'evm', latestHeight: heightOf(initBlock), state: { gateway, chainIdNumber: 31337, trust: { mode: 'attested' }, voteWindow: 256 } });
    expect(k.consensusAt(s, CHAIN, heightOf(initBlock))).toEqual({
      height: heightOf(initBlock),
      timestamp: Number(BigInt(initBlock.timestamp)) * 1000,
      root: initBlock.stateRoot,
      extra: { hash: initBlock.hash, receiptsRoot: initBlock.receiptsRoot },
    });
  });

  it('error: bad params, repeated qbft validators and a malformed initial header are refused at creation', () => {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hubVals, Date.now(), HUB);
    const init = { headerRlp: '0x' + Buffer.from(encodeHeader(headerFromRpc(initBlock))).toString('hex') };
    expectCode(() => k.create(ctx, CHAIN, 'evm', { ...params(), gateway: 'nope' }, init), CLIENT_ERR.PARAMS_INVALID);
    expectCode(() => k.create(ctx, CHAIN, 'evm', { ...params(), trust: { mode: 'qbft', validators: [v[0].address, v[0].address] } }, init), CLIENT_ERR.PARAMS_INVALID);
    expectCode(() => k.create(ctx, CHAIN, 'evm', params(), { headerRlp: init.headerRlp + '00' }), EVM_ERR.RLP_MALFORMED);
    expect(k.record(s, CHAIN)).toBeUndefined();
  });

  it('behavior: votes of more than 2/3 of the hub power for an anvil block store its consensus record', () => {
    const { s, k, ctx } = fresh();
    const b = blockValue(target);
    expect(k.update(ctx, CHAIN, voteFor(v[0], b))).toMatchObject({ kind: 'updated', clientType: 'evm', heights: [] });
    expect(k.update(ctx, CHAIN, voteFor(v[1], b))).toMatchObject({ heights: [] });
    expect(k.consensusAt(s, CHAIN, b.height)).toBeUndefined();
    expect(k.update(ctx, CHAIN, voteFor(v[2], b))).toMatchObject({ kind: 'updated', heights: [b.height], latestHeight: b.height });
    expect(k.consensusAt(s, CHAIN, b.height)).toMatchObject({ root: target.stateRoot, extra: { hash: target.hash, receiptsRoot: target.receiptsRoot } });
  });

  it('error: votes signed for another hub, by a non-validator, or twice are refused as for attested', () => {
    const { ctx, k } = fresh();
    const b = blockValue(target);
    const wrongHub = signAttestation('hub-test-2', { chainId: CHAIN, height: b.height, hash: b.hash, stateRoot: b.stateRoot, receiptsRoot: b.receiptsRoot!, timestamp: b.timestamp }, v[0].secretKey);
    expectCode(() => k.update(ctx, CHAIN, wrongHub), ATTEST_ERR.BAD_SIGNATURE);
    const stranger = new ChainBuilder({ seed: 'evm-client-stranger' }).validatorsAt(1)[0];
    expectCode(() => k.update(ctx, CHAIN, voteFor(stranger, b)), ATTEST_ERR.NOT_VALIDATOR);
    k.update(ctx, CHAIN, voteFor(v[0], b));
    expectCode(() => k.update(ctx, CHAIN, voteFor(v[0], b)), ATTEST_ERR.DUPLICATE_VOTE);
  });

  it('behavior: observers reading anvil through evmFinalizedSource reach quorum through the keeper', async () => {
    const { s, k, ctx } = fresh();
    const source = evmFinalizedSource(a.url, { depth: 0, chainIdNumber: 31337 });
    for (const who of v.slice(0, 3)) {
      const obs = new AttestationObserver({ chainId: CHAIN, hubChainId: HUB, ...source, secretKey: who.secretKey, intervalMs: 1000, submit: async (m) => void k.update(ctx, CHAIN, m.vote) });
      const signed = await obs.poll();
      expect(signed.length).toBeGreaterThan(0);
    }
    const latest = await blockNumber(a);
    expect(k.record(s, CHAIN)?.latestHeight).toBe(latest);
    const cons = k.consensusAt(s, CHAIN, latest)!;
    const block = await a.call<RpcBlock>('eth_getBlockByNumber', '0x' + latest.toString(16), false);
    expect(cons.extra).toEqual({ hash: block.hash, receiptsRoot: block.receiptsRoot });
  });

  it('behavior: membership of a gateway slot at an attested height verifies through the keeper', async () => {
    const { s, k, ctx } = attested();
    const h = heightOf(target);
    k.verifyMembership(s, CHAIN, h, ctx.now, utf8(keyA), fromHex(valueA), await fetchPontisProof(a.rpc, gateway, keyA, h));
    k.verifyMembership(s, CHAIN, h, ctx.now, utf8(keyB), fromHex(valueB), await fetchPontisProof(a.rpc, gateway, keyB, h));
  });

  it('behavior: a short value is the word it pads to (a receipt value 1)', async () => {
    const { s, k } = attested();
    const h = heightOf(target);
    // `other` holds 1 under `never`; bind a client to it to check the padding rule
    const rec = { ...(k.record(s, CHAIN) as EvmClientRecord), state: { ...(k.record(s, CHAIN) as EvmClientRecord).state, gateway: other } };
    const cons = k.consensusAt(s, CHAIN, h) as EvmConsensusRecord;
    const proof = await fetchPontisProof(a.rpc, other, never, h);
    evmClient.verifyMembership(rec, cons, utf8(never), Uint8Array.of(1), proof);
    expectCode(() => evmClient.verifyMembership(rec, cons, utf8(never), Uint8Array.of(2), proof), EVM_ERR.PROOF_VALUE_MISMATCH);
  });

  it('behavior: non-membership of a never-written key verifies, although another contract holds it', async () => {
    const { s, k, ctx } = attested();
    const h = heightOf(target);
    k.verifyNonMembership(s, CHAIN, h, ctx.now, utf8(never), await fetchPontisProof(a.rpc, gateway, never, h));
  });

  it('error: a wrong value, a present key claimed absent and an absent key claimed present are refused', async () => {
    const { s, k, ctx } = attested();
    const h = heightOf(target);
    const proofA = await fetchPontisProof(a.rpc, gateway, keyA, h);
    expectCode(() => k.verifyMembership(s, CHAIN, h, ctx.now, utf8(keyA), fromHex(valueB), proofA), EVM_ERR.PROOF_VALUE_MISMATCH);
    expectCode(() => k.verifyNonMembership(s, CHAIN, h, ctx.now, utf8(keyA), proofA), EVM_ERR.PROOF_KEY_PRESENT);
    const proofNever = await fetchPontisProof(a.rpc, gateway, never, h);
    expectCode(() => k.verifyMembership(s, CHAIN, h, ctx.now, utf8(never), fromHex(valueA), proofNever), EVM_ERR.PROOF_KEY_ABSENT);
    expectCode(() => k.verifyMembership(s, CHAIN, h, ctx.now, utf8(keyA), new Uint8Array(32), proofA), EVM_ERR.PROOF_VALUE_MISMATCH);
  });

  it('error: a proof for another key, another contract or another height is refused', async () => {
    const { s, k, ctx } = attested();
    const h = heightOf(target);
    const proofA = await fetchPontisProof(a.rpc, gateway, keyA, h);
    expectCode(() => k.verifyMembership(s, CHAIN, h, ctx.now, utf8(keyB), fromHex(valueA), proofA), EVM_ERR.PROOF_INVALID);
    const proofOther = await fetchPontisProof(a.rpc, other, never, h);
    expectCode(() => k.verifyNonMembership(s, CHAIN, h, ctx.now, utf8(never), proofOther), EVM_ERR.PROOF_INVALID);
    // the key was absent at creation: its proof from then does not match the attested root
    const proofOld = await fetchPontisProof(a.rpc, gateway, keyA, heightOf(initBlock));
    expectCode(() => k.verifyNonMembership(s, CHAIN, h, ctx.now, utf8(keyA), proofOld), EVM_ERR.PROOF_INVALID);
    expectCode(() => k.verifyMembership(s, CHAIN, h + 1, ctx.now, utf8(keyA), fromHex(valueA), proofA), CLIENT_ERR.NO_CONSENSUS);
    expectCode(() => k.verifyMembership(s, CHAIN, h, ctx.now, utf8(keyA), fromHex(valueA), { accountProof: proofA.accountProof }), EVM_ERR.PROOF_MALFORMED);
  });

  it('behavior: a gateway log is proven by a receipt proof against the attested receiptsRoot', async () => {
    // attest the block of the first write, where the gateway's log is
    const f = fresh();
    const blk = await a.call<RpcBlock>('eth_getBlockByNumber', receipts[0].blockNumber, false);
    for (const who of v.slice(0, 3)) f.k.update(f.ctx, CHAIN, voteFor(who, blockValue(blk)));
    const rec = f.k.record(f.s, CHAIN) as EvmClientRecord;
    const cons = f.k.consensusAt(f.s, CHAIN, heightOf(blk)) as EvmConsensusRecord;
    const p = buildReceiptProof(receipts, 0, blk.receiptsRoot);
    const log = logAt(verifyReceiptProof(cons.extra!.receiptsRoot, 0, p.proof), 0);
    expect(log.address).toBe(rec.state.gateway);
    expect(log.topics).toEqual([pontisSlot(keyA)]);
    expect(log.data).toBe(valueA);
    expectCode(() => logAt(verifyReceiptProof(cons.extra!.receiptsRoot, 0, p.proof), 5), EVM_ERR.PROOF_LOG_NOT_FOUND);
    // the proof of this block's receipt does not verify against another block's root
    expectCode(() => verifyReceiptProof(target.receiptsRoot, 0, p.proof), EVM_ERR.PROOF_INVALID);
  });

  it('behavior: a second quorum for another block at the same height freezes the client and stops proofs', async () => {
    const { s, k, ctx } = attested();
    const h = heightOf(target);
    const forged = { ...blockValue(target), stateRoot: initBlock.stateRoot };
    k.update(ctx, CHAIN, voteFor(v[3], forged));
    k.update(ctx, CHAIN, voteFor(v[0], forged)); // v0 equivocates
    expect(k.update(ctx, CHAIN, voteFor(v[1], forged))).toMatchObject({ kind: 'frozen', clientType: 'evm', reason: 'conflicting-attestations' });
    expect(k.status(s, CHAIN, ctx.now)).toBe('frozen');
    expectCode(() => k.verifyMembership(s, CHAIN, h, ctx.now, utf8(keyA), fromHex(valueA), {}), CLIENT_ERR.FROZEN);
  });
});

describe('evm finalized source', () => {
  let a: Anvil;
  beforeAll(async () => {
    a = await startAnvil(4242);
    await a.call('anvil_mine', '0x50'); // 80 blocks: anvil finalizes latest - 64
  });
  afterAll(async () => a?.stop());

  it('behavior: without a depth it reports the node finalized block, hash recomputed from the header', async () => {
    const src = evmFinalizedSource(a.url, { chainIdNumber: 4242 });
    const fin = await a.call<RpcBlock>('eth_getBlockByNumber', 'finalized', false);
    const b = (await src.fetchFinalized())!;
    expect(b).toEqual({ height: Number(BigInt(fin.number)), hash: fin.hash, stateRoot: fin.stateRoot, receiptsRoot: fin.receiptsRoot, timestamp: Number(BigInt(fin.timestamp)) * 1000 });
    expect(b.height).toBeLessThan(await blockNumber(a));
  });

  it('error: a block above the finalized height is refused (null), one at or below it is served', async () => {
    const src = evmFinalizedSource(a.url);
    const fin = await src.finalizedHeight();
    const latest = await blockNumber(a);
    expect(latest).toBeGreaterThan(fin);
    expect(await src.fetchAt(latest)).toBeNull();
    expect(await src.fetchAt(fin + 1)).toBeNull();
    expect((await src.fetchAt(fin))?.height).toBe(fin);
    expect((await src.fetchAt(1))?.height).toBe(1);
  });

  it('behavior: with a depth it reports latest - depth', async () => {
    const src = evmFinalizedSource(a.url, { depth: 3 });
    const latest = await blockNumber(a);
    expect((await src.fetchFinalized())?.height).toBe(latest - 3);
    expect(await src.fetchAt(latest - 2)).toBeNull();
  });

  it('error: a node serving another chain id is refused', async () => {
    await expectCodeAsync(evmFinalizedSource(a.url, { chainIdNumber: 1 }).fetchFinalized(), EVM_ERR.SOURCE_INVALID);
  });
});
