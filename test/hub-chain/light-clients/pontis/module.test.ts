import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { type Hex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { packetKeys, withReceiptBit } from '../../../../hub-chain/modules/packets/types.ts';
import { encodeProof, type StateStore } from '../../../../hub-chain/state/index.ts';
import { headerHash } from '../../../../hub-chain/types/header.ts';
import { ClientKeeper } from '../../../../hub-chain/modules/clients/keeper.ts';
import type { SignedHeader } from '../../../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import { ChainBuilder } from '../../../support/chain-builder.ts';
import { makeCtx, tempStateStore } from '../../modules/clients/helpers.ts';
import { MapStore } from '../../../support/kv.ts';
import { expectCode } from '../../../support/errors.ts';

const DAY = 86_400_000;
const params = { trustingPeriodMs: DAY, maxClockDriftMs: 10_000 };
const OTHER_ROOT: Hex = '0x' + 'ab'.repeat(32);

function helpers(chain: ChainBuilder) {
  const initial = (h: number) => ({ header: chain.header(h), validators: chain.validatorSet(h).toJSON(), nextValidators: chain.validatorSet(h + 1).toJSON() });
  const update = (h: number, trustedHeight: number, sh: SignedHeader = chain.signedHeader(h)) => ({
    signedHeader: sh,
    validators: chain.validatorSet(h).toJSON(),
    nextValidators: chain.validatorSet(h + 1).toJSON(),
    trustedHeight,
  });
  return { initial, update };
}

describe('pontis client: updates', () => {
  const chain = new ChainBuilder({ chainId: 'side-1', seed: 'clients-pontis' }).extendTo(12);
  const { initial, update } = helpers(chain);
  const hubVals = chain.validatorSet(1);
  const now = chain.header(12).time + 1000;

  function fresh(at = 1) {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hubVals, now);
    k.create(ctx, 'side-1', 'pontis', params, initial(at));
    return { s, k, ctx };
  }

  it('behavior: adjacent and skipping updates are accepted and a consensus record is stored per height', () => {
    const { s, k, ctx } = fresh();
    expect(k.update(ctx, 'side-1', update(2, 1))).toEqual({ kind: 'updated', clientType: 'pontis', heights: [2], latestHeight: 2 });
    expect(k.update(ctx, 'side-1', update(10, 2))).toMatchObject({ kind: 'updated', heights: [10], latestHeight: 10 });
    // a height below the latest fills in; the latest stays
    expect(k.update(ctx, 'side-1', update(5, 2))).toMatchObject({ heights: [5], latestHeight: 10 });
    for (const h of [1, 2, 5, 10]) expect(k.consensusAt(s, 'side-1', h)).toMatchObject({ height: h, timestamp: chain.header(h).time, root: chain.header(h).stateRoot });
    expect(k.consensusAt(s, 'side-1', 4)).toBeUndefined();
    expect(k.record(s, 'side-1')?.latestHeight).toBe(10);
    expect(k.latestConsensus(s, 'side-1')?.height).toBe(10);
  });

  it('behavior: the same header again changes nothing (racing relayers)', () => {
    const { s, k, ctx } = fresh();
    k.update(ctx, 'side-1', update(3, 1));
    const before = new Map(s.m);
    expect(k.update(ctx, 'side-1', update(3, 2 - 1))).toMatchObject({ kind: 'updated', heights: [] });
    expect(s.m).toEqual(before);
  });

  it('behavior: a validator-set change is followed across adjacent and skipping updates', () => {
    const c = new ChainBuilder({ chainId: 'side-vs', seed: 'clients-pontis-vs' });
    c.changeValidators(3, [{ validator: c.newValidator(), power: 10 }]);
    c.extendTo(8);
    const h = helpers(c);
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hubVals, c.header(8).time);
    k.create(ctx, 'side-vs', 'pontis', params, h.initial(3));
    k.update(ctx, 'side-vs', h.update(4, 3)); // header 4 names the new next set
    k.update(ctx, 'side-vs', h.update(5, 4)); // signed by the new set
    k.update(ctx, 'side-vs', h.update(8, 5));
    expect(k.record(s, 'side-vs')?.latestHeight).toBe(8);
  });

  type Case = { name: string; code: string; trusted?: number; now?: number; msg: () => unknown };
  const cases: Case[] = [
    { name: 'a header of another chain id', code: 'PNT_ERR_LC_CHAIN_ID', msg: () => update(2, 1, chain.forkHeader(2, { chainId: 'side-2' })) },
    { name: 'a commit below 2/3 of the power', code: 'PNT_ERR_LC_INVALID_COMMIT', msg: () => update(2, 1, chain.withSigners(2, chain.validatorsAt(2).slice(0, 2))) },
    { name: 'a commit with a signer counted twice', code: 'PNT_ERR_LC_INVALID_COMMIT', msg: () => update(2, 1, chain.withDuplicateSigner(chain.withSigners(2, chain.validatorsAt(2).slice(0, 2)))) },
    { name: 'a header from the future', code: 'PNT_ERR_LC_HEADER_FROM_FUTURE', msg: () => update(2, 1, chain.forkHeader(2, { time: now + 60_000 })) },
    { name: 'a header changed after signing', code: 'PNT_ERR_LC_INVALID_COMMIT', msg: () => update(2, 1, chain.tamper(chain.signedHeader(2), { stateRoot: OTHER_ROOT })) },
    { name: 'an adjacent header that does not build on the trusted one', code: 'PNT_ERR_LC_PREV_HASH_MISMATCH', msg: () => update(2, 1, chain.forkHeader(2, { prevHash: OTHER_ROOT })) },
    { name: 'next validators that do not match the header', code: 'PNT_ERR_LC_NEXT_VALSET_MISMATCH', msg: () => ({ ...update(2, 1), nextValidators: new ChainBuilder({ seed: 'x' }).validatorSet(1).toJSON() }) },
    { name: 'a trusted height the client never stored', code: 'PNT_ERR_CLIENT_NO_CONSENSUS', msg: () => update(5, 3) },
    { name: 'a height not above the trusted one', code: 'PNT_ERR_LC_HEIGHT_NOT_INCREASING', msg: () => update(1, 1) },
    { name: 'an unknown field', code: 'PNT_ERR_CLIENT_MSG_INVALID', msg: () => ({ ...update(2, 1), extra: true }) },
    { name: 'upper-case hex', code: 'PNT_ERR_CLIENT_MSG_INVALID', msg: () => update(2, 1, chain.tamper(chain.signedHeader(2), { stateRoot: '0x' + 'AB'.repeat(32) })) },
  ];
  for (const c of cases) {
    it(`error: an update with ${c.name} is refused (${c.code})`, () => {
      const { s, k } = fresh();
      const before = new Map(s.m);
      expectCode(() => k.update(makeCtx(s, hubVals, c.now ?? now), 'side-1', c.msg()), c.code);
      expect(s.m).toEqual(before);
    });
  }

  it('error: an update from a trusted state past its trusting period is refused, from a fresher one accepted', () => {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const t1 = chain.header(1).time;
    const p = { trustingPeriodMs: 10_000, maxClockDriftMs: 1_000 };
    k.create(makeCtx(s, hubVals, t1 + 100), 'side-1', 'pontis', p, initial(1));
    k.update(makeCtx(s, hubVals, t1 + 7_500), 'side-1', update(8, 1));
    const later = makeCtx(s, hubVals, t1 + 12_000); // header 1 expired at t1 + 10 000, header 8 at t1 + 17 000
    expectCode(() => k.update(later, 'side-1', update(9, 1)), 'PNT_ERR_LC_TRUSTED_EXPIRED');
    expect(k.update(later, 'side-1', update(9, 8))).toMatchObject({ heights: [9] });
  });

  it('behavior: status turns expired after the trusting period; updates and proofs are then refused', () => {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const t1 = chain.header(1).time;
    const p = { trustingPeriodMs: 10_000, maxClockDriftMs: 1_000 };
    k.create(makeCtx(s, hubVals, t1 + 100), 'side-1', 'pontis', p, initial(1));
    k.update(makeCtx(s, hubVals, t1 + 3_000), 'side-1', update(3, 1));
    const t3 = chain.header(3).time;
    expect(k.status(s, 'side-1', t3 + 9_999)).toBe('active');
    expect(k.status(s, 'side-1', t3 + 10_000)).toBe('expired'); // exclusive bound, as in ADR 0003
    expectCode(() => k.update(makeCtx(s, hubVals, t3 + 10_000), 'side-1', update(4, 3)), 'PNT_ERR_CLIENT_EXPIRED');
    expectCode(() => k.verifyMembership(s, 'side-1', 3, t3 + 10_000, utf8('k'), utf8('v'), { siblings: [], leaf: null }), 'PNT_ERR_CLIENT_EXPIRED');
    // governance recovery with a fresh trusted header revives it
    k.recover(makeCtx(s, hubVals, t3 + 10_000), 'side-1', undefined, initial(11));
    expect(k.status(s, 'side-1', t3 + 10_000)).toBe('active');
    expect(k.record(s, 'side-1')?.trustingPeriodMs).toBe(10_000); // params kept when none are given
  });
});

describe('pontis client: misbehaviour, freezing and recovery', () => {
  const chain = new ChainBuilder({ chainId: 'side-1', seed: 'clients-pontis-fork' }).extendTo(12);
  const { initial, update } = helpers(chain);
  const hubVals = chain.validatorSet(1);
  const now = chain.header(12).time + 1000;
  const fork3 = () => chain.forkHeader(3, { stateRoot: OTHER_ROOT });

  function fresh() {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hubVals, now);
    k.create(ctx, 'side-1', 'pontis', params, initial(1));
    return { s, k, ctx };
  }

  it('behavior: a valid header conflicting with a stored one freezes the client and stores the evidence', () => {
    const { s, k, ctx } = fresh();
    k.update(ctx, 'side-1', update(2, 1));
    k.update(ctx, 'side-1', update(3, 2));
    const r = k.update(ctx, 'side-1', update(3, 2, fork3()));
    expect(r).toEqual({ kind: 'frozen', clientType: 'pontis', height: 3, reason: 'conflicting-header', evidenceIndex: 0 });
    expect(k.status(s, 'side-1', now)).toBe('frozen');
    expect(k.record(s, 'side-1')?.frozen).toEqual({ atHeight: 3, evidence: 'conflicting-header' });
    expect(k.consensusAt(s, 'side-1', 3)?.root).toBe(chain.header(3).stateRoot); // the fork was not stored
    const [ev] = k.evidence(s, 'side-1');
    expect(ev).toMatchObject({ index: 0, chainId: 'side-1', height: 3, reason: 'conflicting-header', hubHeight: ctx.height, hubTime: now });
    expect(ev.evidence).toMatchObject({ kind: 'conflicting-header', storedHash: headerHash(chain.header(3)), update: { signedHeader: { header: { stateRoot: OTHER_ROOT } } } });
    expect(s.keysText()).toContain('clients/side-1/evidence/0');
  });

  it('behavior: explicit misbehaviour of two conflicting headers freezes the client and names the double-signers', () => {
    const { s, k, ctx } = fresh();
    const r = k.submitMisbehaviour(ctx, 'side-1', { a: update(3, 1), b: update(3, 1, fork3()) });
    expect(r).toMatchObject({ kind: 'frozen', height: 3, reason: 'fork' });
    const ev = k.evidence(s, 'side-1')[0].evidence as { kind: string; hashA: Hex; hashB: Hex; duplicateVotes: unknown[] };
    expect(ev.kind).toBe('fork');
    expect([ev.hashA, ev.hashB].sort()).toEqual([headerHash(chain.header(3)), headerHash(fork3().header)].sort());
    expect(ev.duplicateVotes).toHaveLength(4);
    // the same evidence through clients/update freezes too
    const other = fresh();
    expect(other.k.update(other.ctx, 'side-1', { a: update(3, 1), b: update(3, 1, fork3()) })).toMatchObject({ kind: 'frozen' });
  });

  const bad: { name: string; code: string; cause?: string; evidence: () => unknown }[] = [
    { name: 'two identical headers', code: 'PNT_ERR_CLIENT_MISBEHAVIOUR_INVALID', evidence: () => ({ a: update(3, 1), b: update(3, 1) }) },
    { name: 'headers at different heights', code: 'PNT_ERR_CLIENT_MISBEHAVIOUR_INVALID', evidence: () => ({ a: update(3, 1), b: update(4, 1, chain.forkHeader(4, { stateRoot: OTHER_ROOT })) }) },
    { name: 'a side signed by less than 2/3', code: 'PNT_ERR_CLIENT_MISBEHAVIOUR_INVALID', cause: 'PNT_ERR_LC_INVALID_COMMIT', evidence: () => ({ a: update(3, 1), b: update(3, 1, chain.forkHeader(3, { stateRoot: OTHER_ROOT }, { signers: chain.validatorsAt(3).slice(0, 2) })) }) },
    { name: 'a side from an unknown validator set', code: 'PNT_ERR_CLIENT_MISBEHAVIOUR_INVALID', evidence: () => ({ a: update(3, 1), b: { ...update(3, 1, fork3()), validators: new ChainBuilder({ seed: 'y' }).validatorSet(1).toJSON() } }) },
    { name: 'a plain update', code: 'PNT_ERR_CLIENT_MISBEHAVIOUR_INVALID', evidence: () => update(3, 1) },
  ];
  for (const c of bad) {
    it(`error: misbehaviour with ${c.name} is refused and leaves the client active`, () => {
      const { s, k, ctx } = fresh();
      const before = new Map(s.m);
      expectCode(() => k.submitMisbehaviour(ctx, 'side-1', c.evidence()), c.code, c.cause);
      expect(s.m).toEqual(before);
      expect(k.status(s, 'side-1', now)).toBe('active');
    });
  }

  it('behavior: a frozen client refuses updates, misbehaviour and proofs until governance recovers it', () => {
    const { s, k, ctx } = fresh();
    k.update(ctx, 'side-1', update(3, 1));
    k.update(ctx, 'side-1', update(3, 1, fork3()));
    expectCode(() => k.update(ctx, 'side-1', update(4, 3)), 'PNT_ERR_CLIENT_FROZEN');
    expectCode(() => k.submitMisbehaviour(ctx, 'side-1', { a: update(3, 1), b: update(3, 1, fork3()) }), 'PNT_ERR_CLIENT_FROZEN');
    expectCode(() => k.verifyMembership(s, 'side-1', 3, now, utf8('k'), utf8('v'), { siblings: [], leaf: null }), 'PNT_ERR_CLIENT_FROZEN');
    expectCode(() => k.verifyNonMembership(s, 'side-1', 3, now, utf8('k'), { siblings: [], leaf: null }), 'PNT_ERR_CLIENT_FROZEN');

    expectCode(() => k.recover(ctx, 'side-1', undefined, initial(3)), 'PNT_ERR_CLIENT_RECOVERY_HEIGHT');
    const rec = k.recover(ctx, 'side-1', undefined, initial(8));
    expect(rec).toMatchObject({ frozen: null, latestHeight: 8 });
    expect(k.status(s, 'side-1', now)).toBe('active');
    expectCode(() => k.recover(ctx, 'side-1', undefined, initial(10)), 'PNT_ERR_CLIENT_NOT_RECOVERABLE');
    // records from before the recovery are no longer served, nor trusted for updates
    expect(k.consensusAt(s, 'side-1', 3)).toBeUndefined();
    expectCode(() => k.update(ctx, 'side-1', update(9, 3)), 'PNT_ERR_CLIENT_NO_CONSENSUS');
    expect(k.update(ctx, 'side-1', update(9, 8))).toMatchObject({ kind: 'updated', heights: [9] });
    expect(k.evidence(s, 'side-1')).toHaveLength(1); // evidence survives recovery
  });
});

describe('pontis client: state proofs from a real StateStore', () => {
  const chain = new ChainBuilder({ chainId: 'side-1', seed: 'clients-pontis-proofs' });
  const hubVals = chain.validatorSet(1);
  const { initial, update } = helpers(chain);
  const packet = utf8('pkt/out/side-1/transfer/hub/transfer/1');
  const receipt = utf8('pkt/rcpt/side-1/transfer/hub/transfer/9');
  const never = utf8('pkt/out/side-1/transfer/hub/transfer/10');
  // receipts on a Pontis chain are bits (ADR 0017): sequence 9 received, in word 0 of the channel
  const ch = 'side-1/transfer/hub/transfer';
  const word0 = packetKeys.receiptBits(ch, 9);
  const word0Value = withReceiptBit(undefined, 9);
  let tmp: { store: StateStore; close(): Promise<void> };
  const s = new MapStore();
  const k = new ClientKeeper(createClientRouter());
  let now: number;

  beforeAll(async () => {
    tmp = tempStateStore('pontis-clients-');
    for (let h = 1; h <= 6; h++) {
      const ws = tmp.store.working();
      ws.set(utf8(`height/${h}`), utf8(String(h)));
      if (h === 3) ws.set(packet, utf8('v1'));
      if (h === 5) ws.set(receipt, utf8('ok'));
      if (h === 6) ws.set(packet, utf8('v2'));
      if (h === 6) ws.set(word0, word0Value);
      chain.setStateRoot(h, await tmp.store.commit(ws, h));
      chain.extendTo(h);
    }
    chain.extendTo(7);
    now = chain.header(7).time;
    const ctx = makeCtx(s, hubVals, now);
    k.create(ctx, 'side-1', 'pontis', params, initial(1));
    k.update(ctx, 'side-1', update(3, 1));
    k.update(ctx, 'side-1', update(6, 3)); // skips 4 and 5
  });
  afterAll(async () => tmp?.close());

  it('behavior: membership verifies at a stored height, in JSON, byte and hex form', () => {
    const { value, proof } = tmp.store.getWithProof(packet, 6);
    expect(value).toEqual(utf8('v2'));
    k.verifyMembership(s, 'side-1', 6, now, packet, utf8('v2'), proof);
    k.verifyMembership(s, 'side-1', 6, now, packet, utf8('v2'), encodeProof(proof));
    k.verifyMembership(s, 'side-1', 6, now, packet, utf8('v2'), toHex(encodeProof(proof)));
    k.verifyMembership(s, 'side-1', 3, now, packet, utf8('v1'), tmp.store.getWithProof(packet, 3).proof);
  });

  it('behavior: non-membership verifies for a key never written', () => {
    k.verifyNonMembership(s, 'side-1', 6, now, never, tmp.store.getWithProof(never, 6).proof);
  });

  it('behavior: a receipt is proven absent by its word with the bit clear, or by the word absent', () => {
    const { value, proof } = tmp.store.getWithProof(word0, 6);
    expect(value).toEqual(word0Value);
    // sequence 10 shares the word of 9, its bit clear; JSON and compact proof forms
    k.verifyNonMembership(s, 'side-1', 6, now, packetKeys.receipt(ch, 10), { word: toHex(word0Value), proof });
    k.verifyNonMembership(s, 'side-1', 6, now, packetKeys.receipt(ch, 10), { word: toHex(word0Value), proof: toHex(encodeProof(proof)) });
    // sequence 300 is in word 1, never written
    k.verifyNonMembership(s, 'side-1', 6, now, packetKeys.receipt(ch, 300), { word: null, proof: tmp.store.getWithProof(packetKeys.receiptBits(ch, 300), 6).proof });
  });

  it('error: receipt absence proofs of a received packet, or in the wrong shape, are refused', () => {
    const { proof } = tmp.store.getWithProof(word0, 6);
    const r9 = packetKeys.receipt(ch, 9);
    // the word proven, but the packet's bit is set
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, { word: toHex(word0Value), proof }), 'PNT_ERR_PROOF_KEY_PRESENT');
    // a forged word with the bit cleared does not match the proven value
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, { word: toHex(new Uint8Array(32)), proof }), 'PNT_ERR_PROOF_INVALID');
    // the word claimed absent while it is present
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, { word: null, proof }), 'PNT_ERR_PROOF_KEY_PRESENT');
    // another word's absence (word 1) offered for a packet of word 0
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, { word: null, proof: tmp.store.getWithProof(packetKeys.receiptBits(ch, 300), 6).proof }), 'PNT_ERR_PROOF_INVALID');
    // the bare absence of the never-written question key holds for every packet: refused
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, tmp.store.getWithProof(r9, 6).proof), 'PNT_ERR_PROOF_MALFORMED');
    // a word that is not 32 bytes, extra fields, no object
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, { word: toHex(word0Value.subarray(1)), proof }), 'PNT_ERR_PROOF_MALFORMED');
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, { word: toHex(word0Value), proof, extra: 1 }), 'PNT_ERR_PROOF_MALFORMED');
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, r9, null), 'PNT_ERR_PROOF_MALFORMED');
  });

  it('error: a height the client never saw has no consensus state', () => {
    const { proof } = tmp.store.getWithProof(receipt, 5);
    expectCode(() => k.verifyMembership(s, 'side-1', 5, now, receipt, utf8('ok'), proof), 'PNT_ERR_CLIENT_NO_CONSENSUS');
    expectCode(() => k.verifyNonMembership(s, 'side-1', 4, now, receipt, tmp.store.getWithProof(receipt, 4).proof), 'PNT_ERR_CLIENT_NO_CONSENSUS');
  });

  it('error: a proof does not verify another key, another value, or another height', () => {
    const { proof } = tmp.store.getWithProof(packet, 6);
    expectCode(() => k.verifyMembership(s, 'side-1', 6, now, receipt, utf8('v2'), proof), 'PNT_ERR_PROOF_INVALID');
    expectCode(() => k.verifyMembership(s, 'side-1', 6, now, packet, utf8('v1'), proof), 'PNT_ERR_PROOF_INVALID');
    expectCode(() => k.verifyMembership(s, 'side-1', 3, now, packet, utf8('v2'), proof), 'PNT_ERR_PROOF_INVALID');
  });

  it('error: tampered proof bytes are refused', () => {
    const { proof } = tmp.store.getWithProof(packet, 6);
    const bytes = encodeProof(proof);
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 1] ^= 0x01; // last byte of the deepest listed sibling
    expectCode(() => k.verifyMembership(s, 'side-1', 6, now, packet, utf8('v2'), flipped), 'PNT_ERR_PROOF_INVALID');
    expectCode(() => k.verifyMembership(s, 'side-1', 6, now, packet, utf8('v2'), bytes.subarray(0, bytes.length - 1)), 'PNT_ERR_PROOF_MALFORMED');
    expectCode(() => k.verifyMembership(s, 'side-1', 6, now, packet, utf8('v2'), 'not hex'), 'PNT_ERR_PROOF_MALFORMED');
  });

  it('error: absence cannot be shown for a present key', () => {
    const { proof } = tmp.store.getWithProof(packet, 6);
    expectCode(() => k.verifyNonMembership(s, 'side-1', 6, now, packet, proof), 'PNT_ERR_PROOF_KEY_PRESENT');
  });
});
