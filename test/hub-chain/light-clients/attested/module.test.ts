import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { attestedClientTypeWith } from '../../../../hub-chain/light-clients/attested/index.ts';
import { type Hex, ZERO_HASH, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../../hub-chain/crypto/hash.ts';
import { ValidatorSet } from '../../../../hub-chain/types/validator-set.ts';
import type { StateStore } from '../../../../hub-chain/state/index.ts';
import { ClientKeeper, ClientRouter } from '../../../../hub-chain/modules/clients/keeper.ts';
import {
  type AttestationVote,
  ProofKindRegistry,
  attestKeys,
  attestationDigest,
  createAttestedClient,
  defaultProofKinds,
  pontisSmtProofKind,
  readEquivocation,
  readTally,
  readVoter,
  signAttestation,
  verifyAttestationSignature,
} from '../../../../hub-chain/light-clients/attested/module.ts';
import { ChainBuilder, type TestValidator } from '../../../support/chain-builder.ts';
import { makeCtx, tempStateStore } from '../../modules/clients/helpers.ts';
import { MapStore } from '../../../support/kv.ts';
import { expectCode } from '../../../support/errors.ts';

const DAY = 86_400_000;
const HUB = 'hub-test-1';
const T = 1_700_000_000_000;
const NOW = T + 1_000_000;
const hub = new ChainBuilder({ chainId: HUB, seed: 'clients-attested-hub', powers: [10, 10, 10, 10] });
const hubVals = hub.validatorSet(1);
const v = hub.validatorsAt(1);
const params = { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, proofKind: 'pontis-smt' };
const initial = { height: 100, hash: h32('init-hash'), stateRoot: h32('init-root'), timestamp: T + 100_000 };

function h32(tag: string): Hex {
  return toHex(keccak256(utf8(tag)));
}

/** The value at `height`, `tag` distinguishing competing values. */
function body(height: number, tag = 'a', chainId = 'evm-1'): Omit<AttestationVote, 'validator' | 'signature'> {
  return { chainId, height, hash: h32(`hash/${height}/${tag}`), stateRoot: h32(`root/${height}/${tag}`), receiptsRoot: ZERO_HASH, timestamp: T + height * 1000 };
}
const vote = (who: TestValidator, height: number, tag = 'a', chainId = 'evm-1', hubChainId = HUB) => signAttestation(hubChainId, body(height, tag, chainId), who.secretKey);

function fresh(p: Record<string, unknown> = params, router?: ClientRouter, now = NOW) {
  const s = new MapStore();
  const k = new ClientKeeper(router ?? createClientRouter());
  const ctx = makeCtx(s, hubVals, now, HUB);
  k.create(ctx, 'evm-1', 'attested', p, initial);
  return { s, k, ctx };
}

describe('attested client: votes and quorum', () => {
  it('behavior: the vote digest binds the hub chain, the chain and every field', () => {
    const b = body(101);
    const d = toHex(attestationDigest(HUB, b));
    expect(toHex(attestationDigest('hub-test-2', b))).not.toBe(d);
    for (const change of [{ chainId: 'evm-2' }, { height: 102 }, { hash: h32('x') }, { stateRoot: h32('x') }, { receiptsRoot: h32('x') }, { timestamp: b.timestamp + 1 }]) {
      expect(toHex(attestationDigest(HUB, { ...b, ...change }))).not.toBe(d);
    }
    const signed = vote(v[0], 101);
    expect(signed.validator).toBe(v[0].address);
    expect(verifyAttestationSignature(HUB, signed)).toBe(true);
    expect(verifyAttestationSignature('hub-test-2', signed)).toBe(false);
  });

  it('behavior: votes below 2/3 of the power store votes but no consensus state', () => {
    const { s, k, ctx } = fresh();
    expect(k.update(ctx, 'evm-1', vote(v[0], 101))).toEqual({ kind: 'updated', clientType: 'attested', heights: [], latestHeight: 100 });
    expect(k.update(ctx, 'evm-1', vote(v[1], 101))).toMatchObject({ heights: [] });
    expect(k.consensusAt(s, 'evm-1', 101)).toBeUndefined();
    expect(readTally(s, 'evm-1', 101).values[0].voters).toEqual([v[0].address, v[1].address]);
    expect(readVoter(s, 'evm-1', 101, v[0].address)?.vote).toEqual(vote(v[0], 101));
    expect(s.keysText()).toContain(`attest/evm-1/0000000000000101/${v[0].address}`);
  });

  it('behavior: more than 2/3 of the power for one value stores a consensus record', () => {
    const { s, k, ctx } = fresh();
    k.update(ctx, 'evm-1', vote(v[0], 101));
    k.update(ctx, 'evm-1', vote(v[1], 101));
    expect(k.update(ctx, 'evm-1', vote(v[2], 101))).toEqual({ kind: 'updated', clientType: 'attested', heights: [101], latestHeight: 101 });
    const b = body(101);
    expect(k.consensusAt(s, 'evm-1', 101)).toEqual({ height: 101, timestamp: b.timestamp, root: b.stateRoot, extra: { hash: b.hash, receiptsRoot: ZERO_HASH } });
    expect(k.update(ctx, 'evm-1', vote(v[3], 101))).toMatchObject({ heights: [] }); // a late vote for the same value changes nothing
    expect(ctx.events.filter((e) => e.type === 'attest/vote')).toHaveLength(4);
  });

  it('behavior: quorum is by power, not by number of voters', () => {
    const uneven = new ChainBuilder({ chainId: HUB, seed: 'clients-attested-uneven', powers: [40, 30, 20, 10] });
    const vals = uneven.validatorSet(1);
    const [big, second, third, small] = uneven.validatorsAt(1); // canonical order: power descending
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, vals, NOW, HUB);
    k.create(ctx, 'evm-1', 'attested', params, initial);
    k.update(ctx, 'evm-1', vote(second, 101));
    k.update(ctx, 'evm-1', vote(third, 101));
    expect(k.update(ctx, 'evm-1', vote(small, 101))).toMatchObject({ heights: [] }); // 60 of 100
    expect(k.update(ctx, 'evm-1', vote(big, 101))).toMatchObject({ heights: [101] }); // 100 of 100
    k.update(ctx, 'evm-1', vote(big, 102));
    expect(k.update(ctx, 'evm-1', vote(second, 102))).toMatchObject({ heights: [102] }); // 70 of 100
  });

  it('behavior: quorum is counted in the CURRENT validator set (a voter that left counts nothing)', () => {
    const { s, k, ctx } = fresh();
    k.update(ctx, 'evm-1', vote(v[0], 101));
    k.update(ctx, 'evm-1', vote(v[1], 101));
    const later = makeCtx(s, new ValidatorSet(hubVals.validators.filter((x) => x.address !== v[0].address)), NOW, HUB);
    expect(k.update(later, 'evm-1', vote(v[2], 101))).toMatchObject({ heights: [] }); // v1 + v2 = 20 of 30
    expectCode(() => k.update(later, 'evm-1', vote(v[0], 102)), 'PNT_ERR_ATTEST_NOT_VALIDATOR');
    expect(k.update(later, 'evm-1', vote(v[3], 101))).toMatchObject({ heights: [101] }); // 30 of 30
  });

  type Case = { name: string; code: string; chainId?: string; msg: () => unknown };
  const cases: Case[] = [
    { name: 'a vote by a non-validator', code: 'PNT_ERR_ATTEST_NOT_VALIDATOR', msg: () => vote(hub.newValidator(), 101) },
    { name: 'a signature by another validator', code: 'PNT_ERR_ATTEST_BAD_SIGNATURE', msg: () => ({ ...vote(v[1], 101), validator: v[0].address }) },
    { name: 'a vote signed for another hub chain', code: 'PNT_ERR_ATTEST_BAD_SIGNATURE', msg: () => vote(v[0], 101, 'a', 'evm-1', 'hub-test-2') },
    { name: 'a signature with high s / bad v', code: 'PNT_ERR_ATTEST_BAD_SIGNATURE', msg: () => ({ ...vote(v[0], 101), signature: '0x' + 'ff'.repeat(65) }) },
    { name: 'a vote for another chain id', code: 'PNT_ERR_ATTEST_WRONG_CHAIN', msg: () => vote(v[0], 101, 'a', 'evm-2') },
    { name: 'a timestamp from the future', code: 'PNT_ERR_ATTEST_FROM_FUTURE', msg: () => signAttestation(HUB, { ...body(101), timestamp: NOW + 10_001 }, v[0].secretKey) },
    { name: 'an unknown field', code: 'PNT_ERR_CLIENT_MSG_INVALID', msg: () => ({ ...vote(v[0], 101), extra: 1 }) },
    { name: 'a receipts root that is not 32 bytes', code: 'PNT_ERR_CLIENT_MSG_INVALID', msg: () => ({ ...vote(v[0], 101), receiptsRoot: '0x' }) },
  ];
  for (const c of cases) {
    it(`error: ${c.name} is refused (${c.code}) and writes nothing`, () => {
      const { s, k, ctx } = fresh();
      const before = new Map(s.m);
      expectCode(() => k.update(ctx, 'evm-1', c.msg()), c.code);
      expect(s.m).toEqual(before);
    });
  }

  it('error: a duplicated vote is refused and counted once', () => {
    const { s, k, ctx } = fresh();
    k.update(ctx, 'evm-1', vote(v[0], 101));
    k.update(ctx, 'evm-1', vote(v[1], 101));
    expectCode(() => k.update(ctx, 'evm-1', vote(v[0], 101)), 'PNT_ERR_ATTEST_DUPLICATE_VOTE');
    expectCode(() => k.update(ctx, 'evm-1', vote(v[1], 101)), 'PNT_ERR_ATTEST_DUPLICATE_VOTE');
    expect(readTally(s, 'evm-1', 101).values[0].voters).toHaveLength(2);
    expect(k.consensusAt(s, 'evm-1', 101)).toBeUndefined();
  });

  it('behavior: a second vote of one validator for another value is recorded as equivocation evidence; a third is refused', () => {
    const { s, k, ctx } = fresh();
    k.update(ctx, 'evm-1', vote(v[0], 101, 'a'));
    k.update(ctx, 'evm-1', vote(v[0], 101, 'b'));
    expect(readEquivocation(s, 'evm-1', 101, v[0].address)).toEqual({ voteA: vote(v[0], 101, 'a'), voteB: vote(v[0], 101, 'b') });
    expect(ctx.events).toContainEqual({ type: 'attest/equivocation', attributes: { chainId: 'evm-1', height: '101', validator: v[0].address } });
    expectCode(() => k.update(ctx, 'evm-1', vote(v[0], 101, 'c')), 'PNT_ERR_ATTEST_DUPLICATE_VOTE');
    expectCode(() => k.update(ctx, 'evm-1', vote(v[0], 101, 'a')), 'PNT_ERR_ATTEST_DUPLICATE_VOTE');
    expect(k.status(s, 'evm-1', NOW)).toBe('active'); // one equivocator does not freeze the client
  });
});

describe('attested client: conflicting quorums freeze', () => {
  it('behavior: a second value reaching > 2/3 at a decided height freezes the client and stores both with their votes', () => {
    const { s, k, ctx } = fresh();
    for (const i of [0, 1, 2]) k.update(ctx, 'evm-1', vote(v[i], 101, 'a'));
    k.update(ctx, 'evm-1', vote(v[0], 101, 'b'));
    k.update(ctx, 'evm-1', vote(v[1], 101, 'b'));
    const r = k.update(ctx, 'evm-1', vote(v[3], 101, 'b'));
    expect(r).toEqual({ kind: 'frozen', clientType: 'attested', height: 101, reason: 'conflicting-attestations', evidenceIndex: 0 });
    expect(k.status(s, 'evm-1', NOW)).toBe('frozen');
    const ev = k.evidence(s, 'evm-1')[0].evidence as { kind: string; values: { value: { hash: Hex }; votes: AttestationVote[] }[] };
    expect(ev.kind).toBe('conflicting-attestations');
    expect(ev.values.map((x) => x.value.hash)).toEqual([body(101, 'a').hash, body(101, 'b').hash]);
    expect(ev.values[0].votes).toEqual([0, 1, 2].map((i) => vote(v[i], 101, 'a')));
    expect(ev.values[1].votes).toEqual([vote(v[0], 101, 'b'), vote(v[1], 101, 'b'), vote(v[3], 101, 'b')]);
    for (const x of ev.values) for (const vt of x.votes) expect(verifyAttestationSignature(HUB, vt)).toBe(true);
    expect(k.consensusAt(s, 'evm-1', 101)?.root).toBe(body(101, 'a').stateRoot); // the first value stays
    expectCode(() => k.update(ctx, 'evm-1', vote(v[2], 102)), 'PNT_ERR_CLIENT_FROZEN');
  });

  it('behavior: a quorum against the initial trusted state freezes too', () => {
    const { s, k, ctx } = fresh();
    for (const i of [0, 1]) k.update(ctx, 'evm-1', vote(v[i], 100, 'other'));
    expect(k.update(ctx, 'evm-1', vote(v[2], 100, 'other'))).toMatchObject({ kind: 'frozen', height: 100 });
    const ev = k.evidence(s, 'evm-1')[0].evidence as { values: { value: { hash: Hex }; votes: unknown[] }[] };
    expect(ev.values.map((x) => x.value.hash)).toEqual([body(100, 'other').hash, initial.hash]);
  });

  it('behavior: governance recovery unfreezes; votes below the new trusted height are refused', () => {
    const { s, k, ctx } = fresh();
    for (const i of [0, 1]) k.update(ctx, 'evm-1', vote(v[i], 100, 'other'));
    k.update(ctx, 'evm-1', vote(v[2], 100, 'other'));
    const b = body(150);
    k.recover(ctx, 'evm-1', undefined, { height: 150, hash: b.hash, stateRoot: b.stateRoot, timestamp: b.timestamp });
    expect(k.status(s, 'evm-1', NOW)).toBe('active');
    expectCode(() => k.update(ctx, 'evm-1', vote(v[3], 100, 'other')), 'PNT_ERR_ATTEST_VOTE_TOO_OLD');
    expect(k.consensusAt(s, 'evm-1', 100)).toBeUndefined();
    for (const i of [0, 1]) k.update(ctx, 'evm-1', vote(v[i], 151));
    expect(k.update(ctx, 'evm-1', vote(v[2], 151))).toMatchObject({ kind: 'updated', heights: [151] });
  });
});

describe('attested client: window, expiry', () => {
  it('behavior: votes older than the window are refused and pruned when the latest height moves on', () => {
    const { s, k, ctx } = fresh({ ...params, voteWindow: 4 });
    k.update(ctx, 'evm-1', vote(v[0], 101));
    k.update(ctx, 'evm-1', vote(v[0], 103));
    for (const i of [0, 1, 2]) k.update(ctx, 'evm-1', vote(v[i], 106));
    expect(k.record(s, 'evm-1')?.latestHeight).toBe(106);
    // heights (100 - 4, 106 - 4] are pruned, 103 is kept
    expect(s.get(attestKeys.tally('evm-1', 101))).toBeUndefined();
    expect(readVoter(s, 'evm-1', 101, v[0].address)).toBeUndefined();
    expect(readVoter(s, 'evm-1', 103, v[0].address)).toBeDefined();
    expectCode(() => k.update(ctx, 'evm-1', vote(v[1], 102)), 'PNT_ERR_ATTEST_VOTE_TOO_OLD');
    expect(k.update(ctx, 'evm-1', vote(v[1], 103))).toMatchObject({ kind: 'updated' });
    expect(k.consensusAt(s, 'evm-1', 100)).toBeDefined(); // consensus records are not pruned
  });

  it('behavior: status turns expired after the trusting period since the latest attested timestamp', () => {
    const { s, k } = fresh({ ...params, trustingPeriodMs: 60_000 }, undefined, initial.timestamp + 1_000);
    expect(k.status(s, 'evm-1', initial.timestamp + 59_999)).toBe('active');
    expect(k.status(s, 'evm-1', initial.timestamp + 60_000)).toBe('expired');
    expectCode(() => k.update(makeCtx(s, hubVals, initial.timestamp + 60_000, HUB), 'evm-1', vote(v[0], 101)), 'PNT_ERR_CLIENT_EXPIRED');
    const mid = makeCtx(s, hubVals, initial.timestamp + 40_000, HUB);
    for (const i of [0, 1, 2]) k.update(mid, 'evm-1', signAttestation(HUB, { ...body(101), timestamp: initial.timestamp + 30_000 }, v[i].secretKey));
    expect(k.status(s, 'evm-1', initial.timestamp + 60_000)).toBe('active');
  });
});

describe('attested client: proof kinds', () => {
  it('error: an unknown proofKind is refused at creation', () => {
    const s = new MapStore();
    expectCode(() => new ClientKeeper(createClientRouter()).create(makeCtx(s, hubVals, NOW, HUB), 'evm-1', 'attested', { ...params, proofKind: 'evm-mpt-unregistered' }, initial), 'PNT_ERR_ATTEST_PROOF_KIND_UNKNOWN');
    expect(s.m.size).toBe(0);
  });

  it('error: a proof kind cannot be registered twice', () => {
    expectCode(() => defaultProofKinds().register('pontis-smt', pontisSmtProofKind), 'PNT_ERR_ATTEST_PROOF_KIND_DUPLICATE');
    expectCode(() => new ProofKindRegistry().register('x', pontisSmtProofKind).register('x', pontisSmtProofKind), 'PNT_ERR_ATTEST_PROOF_KIND_DUPLICATE');
    expect(defaultProofKinds().kindNames()).toContain('pontis-smt');
    expect(defaultProofKinds()).not.toBe(defaultProofKinds());
  });

  it('behavior: verification is routed to the client’s proof kind with the attested root and extra', () => {
    const seen: unknown[] = [];
    const kinds = new ProofKindRegistry().register('test-kind', {
      verifyMembership: (root, extra, key, value, proof) => void seen.push({ root, extra, key: Buffer.from(key).toString(), value: Buffer.from(value).toString(), proof }),
      verifyNonMembership: (root, extra, key, proof) => void seen.push({ root, extra, key: Buffer.from(key).toString(), proof }),
    });
    const router = new ClientRouter().register(attestedClientTypeWith(kinds));
    const { s, k } = fresh({ ...params, proofKind: 'test-kind' }, router);
    k.verifyMembership(s, 'evm-1', 100, NOW, utf8('k'), utf8('v'), 'p1');
    k.verifyNonMembership(s, 'evm-1', 100, NOW, utf8('k'), 'p2');
    const extra = { hash: initial.hash, receiptsRoot: ZERO_HASH };
    expect(seen).toEqual([
      { root: initial.stateRoot, extra, key: 'k', value: 'v', proof: 'p1' },
      { root: initial.stateRoot, extra, key: 'k', proof: 'p2' },
    ]);
    expectCode(() => k.verifyMembership(s, 'evm-1', 101, NOW, utf8('k'), utf8('v'), 'p1'), 'PNT_ERR_CLIENT_NO_CONSENSUS');
  });

  describe('pontis-smt against a real StateStore', () => {
    let tmp: { store: StateStore; close(): Promise<void> };
    let root: Hex;
    beforeAll(async () => {
      tmp = tempStateStore('pontis-attested-');
      const ws = tmp.store.working();
      ws.set(utf8('pkt/out/a/1'), utf8('c1'));
      root = await tmp.store.commit(ws, 1);
    });
    afterAll(async () => tmp?.close());

    it('behavior: membership and absence verify against an attested state root; a present key has no absence proof', () => {
      const s = new MapStore();
      const k = new ClientKeeper(createClientRouter());
      const ctx = makeCtx(s, hubVals, NOW, HUB);
      k.create(ctx, 'side-9', 'attested', params, { ...initial, stateRoot: root });
      k.verifyMembership(s, 'side-9', 100, NOW, utf8('pkt/out/a/1'), utf8('c1'), tmp.store.getWithProof(utf8('pkt/out/a/1'), 1).proof);
      k.verifyNonMembership(s, 'side-9', 100, NOW, utf8('pkt/out/a/2'), tmp.store.getWithProof(utf8('pkt/out/a/2'), 1).proof);
      expectCode(() => k.verifyNonMembership(s, 'side-9', 100, NOW, utf8('pkt/out/a/1'), tmp.store.getWithProof(utf8('pkt/out/a/1'), 1).proof), 'PNT_ERR_PROOF_KEY_PRESENT');
      expectCode(() => k.verifyMembership(s, 'side-9', 100, NOW, utf8('pkt/out/a/1'), utf8('c2'), tmp.store.getWithProof(utf8('pkt/out/a/1'), 1).proof), 'PNT_ERR_PROOF_INVALID');
    });
  });
});
