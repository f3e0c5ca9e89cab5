/**
 * The conformance suite every light-client type must pass, run through the clients keeper (what
 * the hub runs) on the app's router. A type's test file calls `lightClientConformance(fixture)` at
 * top level with a fixture that builds real counterparty data: headers or votes signed by real
 * keys, and state proofs from a real store or node.
 *
 * Every refusal must leave the store exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRouter } from '../../hub-chain/app/client-types.ts';
import { type Bytes, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { hasCode } from '../../hub-chain/errors.ts';
import { CLIENT_ERR } from '../../hub-chain/modules/clients/errors.ts';
import { ClientKeeper } from '../../hub-chain/modules/clients/keeper.ts';
import type { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import { type TestCtx, makeCtx } from '../hub-chain/modules/clients/helpers.ts';
import { MapStore } from '../support/kv.ts';
import { codeOf, thrown } from '../support/errors.ts';

/** A message the type must refuse, and the code it must refuse it with. */
export interface Refusal {
  msg: unknown;
  code: string;
}

export interface LightClientFixture {
  /** The client type under test (as registered on the app's router). */
  readonly type: string;
  /** The counterparty's chain id (= the client's id). */
  readonly chainId: string;
  /** Starts what the fixture needs (a node, a state store) and builds its data. */
  before?(): Promise<void>;
  after?(): Promise<void>;
  /** This chain (the hub): its id and the validator set in the context. */
  hubChainId(): string;
  hubValidators(): ValidatorSet;
  /** Hub time for everything but the expiry checks. */
  now(): number;
  params(): unknown;
  initial(): unknown;
  readonly initialHeight: number;
  readonly trustingPeriodMs: number;
  /** Messages that together move the client to `updateHeight` (one header, or a quorum of votes). */
  update(): unknown[];
  readonly updateHeight: number;
  /** The counterparty's block time (ms) at `updateHeight`. */
  updateTimestamp(): number;
  /** Messages refused by a client at `updateHeight`. */
  stale(): Refusal;
  future(): Refusal;
  wrongSignature(): Refusal;
  otherChain(): Refusal;
  /** Messages that, on a client at `updateHeight`, prove misbehaviour; the last one freezes it. */
  misbehaviour(): unknown[];
  /** Proofs against the state at `updateHeight`: `key` holds `value`; `absentKey` holds nothing. */
  proofs(): { key: Bytes; value: Bytes; proof: unknown; absentKey: Bytes; absentProof: unknown };
}

/** Runs `f`, expects `code`, and expects the store unchanged. */
function refused(s: MapStore, f: () => unknown, code: string): void {
  const before = new Map(s.m);
  const err = thrown(f);
  expect(hasCode(err, code), `expected ${code}, got ${(err as { code?: string } | undefined)?.code ?? "nothing thrown"}: ${(err as Error | undefined)?.message}`).toBe(true);
  expect(s.m, 'a refusal changed the store').toEqual(before);
}

export function lightClientConformance(fx: LightClientFixture): void {
  describe(`light-client conformance: ${fx.type}`, () => {
    beforeAll(async () => fx.before?.(), 240_000);
    afterAll(async () => fx.after?.());

    const keeper = () => new ClientKeeper(createClientRouter());
    function created(now = fx.now()): { s: MapStore; k: ClientKeeper; ctx: TestCtx } {
      const s = new MapStore();
      const k = keeper();
      const ctx = makeCtx(s, fx.hubValidators(), now, fx.hubChainId());
      k.create(ctx, fx.chainId, fx.type, fx.params(), fx.initial());
      return { s, k, ctx };
    }
    function updated() {
      const c = created();
      let last: unknown;
      for (const m of fx.update()) last = c.k.update(c.ctx, fx.chainId, m);
      expect(last).toMatchObject({ kind: 'updated', latestHeight: fx.updateHeight });
      return c;
    }

    it('behavior: initialises active at the trusted height, writing only under its own prefixes', () => {
      const { s, k, ctx } = created();
      expect(k.record(s, fx.chainId)).toMatchObject({ chainId: fx.chainId, clientType: fx.type, latestHeight: fx.initialHeight, frozen: null });
      expect(k.status(s, fx.chainId, ctx.now)).toBe('active');
      expect(k.consensusAt(s, fx.chainId, fx.initialHeight)?.height).toBe(fx.initialHeight);
      const prefixes = [`clients/${fx.chainId}/`, ...(createClientRouter().registration(fx.type).storePrefixes ?? []).map((p) => `${p}${fx.chainId}/`)];
      for (const key of s.keysText()) expect(prefixes.some((p) => key.startsWith(p)), key).toBe(true);
    });

    it('error: a second client of the chain, bad parameters and a bad initial state are refused', () => {
      const { s, k, ctx } = created();
      refused(s, () => k.create(ctx, fx.chainId, fx.type, fx.params(), fx.initial()), CLIENT_ERR.EXISTS);
      const fresh = new MapStore();
      const fctx = makeCtx(fresh, fx.hubValidators(), fx.now(), fx.hubChainId());
      refused(fresh, () => keeper().create(fctx, fx.chainId, fx.type, { ...(fx.params() as object), trustingPeriodMs: 0 }, fx.initial()), CLIENT_ERR.PARAMS_INVALID);
      refused(fresh, () => keeper().create(fctx, fx.chainId, fx.type, fx.params(), { junk: true }), CLIENT_ERR.INITIAL_INVALID);
      expect(fresh.m.size).toBe(0);
    });

    it('behavior: a valid update moves the latest height and stores a consensus record there', () => {
      const { s, k, ctx } = updated();
      expect(k.record(s, fx.chainId)?.latestHeight).toBe(fx.updateHeight);
      expect(k.consensusAt(s, fx.chainId, fx.updateHeight)).toMatchObject({ height: fx.updateHeight, timestamp: fx.updateTimestamp() });
      expect(k.status(s, fx.chainId, ctx.now)).toBe('active');
    });

    for (const [what, pick] of [
      ['a stale message', () => fx.stale()],
      ['a message from the future', () => fx.future()],
      ['a wrongly signed message', () => fx.wrongSignature()],
      ['a message of another chain', () => fx.otherChain()],
    ] as const) {
      it(`error: ${what} is refused with a stable code and changes nothing`, () => {
        const { s, k, ctx } = updated();
        const r = pick();
        refused(s, () => k.update(ctx, fx.chainId, r.msg), r.code);
        expect(k.status(s, fx.chainId, ctx.now)).toBe('active');
      });
    }

    it('error: a message of no shape this type knows is refused', () => {
      const { s, k, ctx } = updated();
      refused(s, () => k.update(ctx, fx.chainId, { nonsense: 1 }), CLIENT_ERR.MSG_INVALID);
    });

    it('behavior: misbehaviour freezes the client with its evidence; everything after is refused', () => {
      const { s, k, ctx } = updated();
      const msgs = fx.misbehaviour();
      let last: unknown;
      for (const m of msgs) last = k.update(ctx, fx.chainId, m);
      expect(last).toMatchObject({ kind: 'frozen', clientType: fx.type });
      expect(k.status(s, fx.chainId, ctx.now)).toBe('frozen');
      expect(k.evidence(s, fx.chainId)).toHaveLength(1);
      for (const m of [...fx.update(), ...msgs]) refused(s, () => k.update(ctx, fx.chainId, m), CLIENT_ERR.FROZEN);
      const p = fx.proofs();
      refused(s, () => k.verifyMembership(s, fx.chainId, fx.updateHeight, ctx.now, p.key, p.value, p.proof), CLIENT_ERR.FROZEN);
      refused(s, () => k.verifyNonMembership(s, fx.chainId, fx.updateHeight, ctx.now, p.absentKey, p.absentProof), CLIENT_ERR.FROZEN);
    });

    it('behavior: the client expires after the trusting period since its latest state; it then refuses updates and proofs', () => {
      const { s, k } = updated();
      const expiry = fx.updateTimestamp() + fx.trustingPeriodMs;
      expect(k.status(s, fx.chainId, expiry - 1)).toBe('active');
      expect(k.status(s, fx.chainId, expiry)).toBe('expired');
      const late = makeCtx(s, fx.hubValidators(), expiry, fx.hubChainId());
      for (const m of fx.update()) refused(s, () => k.update(late, fx.chainId, m), CLIENT_ERR.EXPIRED);
      const p = fx.proofs();
      refused(s, () => k.verifyMembership(s, fx.chainId, fx.updateHeight, expiry, p.key, p.value, p.proof), CLIENT_ERR.EXPIRED);
    });

    it('behavior: membership and non-membership verify at the updated height', () => {
      const { s, k, ctx } = updated();
      const p = fx.proofs();
      k.verifyMembership(s, fx.chainId, fx.updateHeight, ctx.now, p.key, p.value, p.proof);
      k.verifyNonMembership(s, fx.chainId, fx.updateHeight, ctx.now, p.absentKey, p.absentProof);
    });

    it('error: a proof of another value, a present key shown absent, an absent key shown present, or a height without a consensus state is refused', () => {
      const { s, k, ctx } = updated();
      const p = fx.proofs();
      const other = Uint8Array.from([...p.value.slice(0, -1), p.value[p.value.length - 1] ^ 1]);
      for (const f of [
        () => k.verifyMembership(s, fx.chainId, fx.updateHeight, ctx.now, p.key, other, p.proof),
        () => k.verifyNonMembership(s, fx.chainId, fx.updateHeight, ctx.now, p.key, p.proof),
        () => k.verifyMembership(s, fx.chainId, fx.updateHeight, ctx.now, p.absentKey, p.value, p.absentProof),
      ]) {
        const code = codeOf(f);
        expect(code, 'a false proof was accepted').toBeDefined();
        expect(code).toMatch(/^PNT_ERR_PROOF_/);
      }
      refused(s, () => k.verifyMembership(s, fx.chainId, fx.updateHeight + 1000, ctx.now, p.key, p.value, p.proof), CLIENT_ERR.NO_CONSENSUS);
      refused(s, () => k.verifyMembership(s, 'no-such-chain', fx.updateHeight, ctx.now, utf8('k'), p.value, p.proof), CLIENT_ERR.NOT_FOUND);
    });
  });
}
