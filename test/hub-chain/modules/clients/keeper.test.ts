import { describe, expect, it } from 'vitest';
import { ClientKeeper, ClientRouter, createDefaultRouter, defaultClientRouter } from '../../../../hub-chain/modules/clients/keeper.ts';
import { pontisClient } from '../../../../hub-chain/light-clients/pontis/module.ts';
import { attestedClient } from '../../../../hub-chain/light-clients/attested/module.ts';
import { ChainBuilder } from '../../../support/chain-builder.ts';
import { makeCtx } from './helpers.ts';
import { MapStore } from '../../../support/kv.ts';
import { expectCode } from '../../../support/errors.ts';

const DAY = 86_400_000;
const chain = new ChainBuilder({ chainId: 'side-1', seed: 'clients-keeper' }).extendTo(3);
const hubVals = chain.validatorSet(1);
const now = chain.header(3).time + 1000;
const params = { trustingPeriodMs: DAY, maxClockDriftMs: 10_000 };
const initial = (h = 1, c = chain) => ({ header: c.header(h), validators: c.validatorSet(h).toJSON(), nextValidators: c.validatorSet(h + 1).toJSON() });

describe('client router', () => {
  it('behavior: the default router has pontis and attested', () => {
    expect(defaultClientRouter.typeNames().sort()).toEqual(['attested', 'pontis']);
    expect(createDefaultRouter()).not.toBe(defaultClientRouter);
  });

  it('error: a second registration of one type is refused', () => {
    const r = new ClientRouter().register(pontisClient);
    expectCode(() => r.register(pontisClient), 'PNT_ERR_CLIENT_TYPE_DUPLICATE');
    expectCode(() => createDefaultRouter().register(attestedClient), 'PNT_ERR_CLIENT_TYPE_DUPLICATE');
  });

  it('error: an unknown type is refused by the router and by create', () => {
    expectCode(() => new ClientRouter().get('evm'), 'PNT_ERR_CLIENT_TYPE_UNKNOWN');
    const s = new MapStore();
    expectCode(() => new ClientKeeper().create(makeCtx(s, hubVals, now), 'side-1', 'evm', params, initial()), 'PNT_ERR_CLIENT_TYPE_UNKNOWN');
    expect(s.m.size).toBe(0);
  });
});

describe('client keeper: creation and storage layout', () => {
  it('behavior: create stores the record, the initial consensus state and meta under clients/<chainId>/', () => {
    const s = new MapStore();
    const k = new ClientKeeper();
    const rec = k.create(makeCtx(s, hubVals, now), 'side-1', 'pontis', params, initial());
    expect(rec).toMatchObject({ chainId: 'side-1', clientType: 'pontis', latestHeight: 1, frozen: null, trustingPeriodMs: DAY });
    expect(s.keysText()).toEqual(['clients/side-1/consensus/0000000000000001', 'clients/side-1/meta', 'clients/side-1/state']);
    expect(k.record(s, 'side-1')).toEqual(rec);
    expect(k.consensusAt(s, 'side-1', 1)).toMatchObject({ height: 1, timestamp: chain.header(1).time, root: chain.header(1).stateRoot });
    expect(k.latestConsensus(s, 'side-1')?.height).toBe(1);
    expect(k.status(s, 'side-1', now)).toBe('active');
  });

  // Each case starts from a valid creation of side-1 and changes one thing; nothing may be written.
  const cases: { name: string; code: string; malleate: (a: { store: 'same' | 'fresh'; chainId: string; params: unknown; initial: unknown; now: number }) => void }[] = [
    { name: 'an existing client', code: 'PNT_ERR_CLIENT_EXISTS', malleate: (a) => void (a.store = 'same') },
    { name: 'a chain id that cannot be a key segment', code: 'PNT_ERR_BAD_CHAIN_ID', malleate: (a) => void (a.chainId = 'Side/1') },
    { name: 'an initial header of another chain', code: 'PNT_ERR_CLIENT_INITIAL_INVALID', malleate: (a) => void (a.chainId = 'side-2') },
    { name: 'initial sets that do not match the header', code: 'PNT_ERR_CLIENT_INITIAL_INVALID', malleate: (a) => void ((a.initial as { nextValidators: unknown }).nextValidators = new ChainBuilder({ seed: 'other' }).validatorSet(1).toJSON()) },
    { name: 'an unknown parameter', code: 'PNT_ERR_CLIENT_PARAMS_INVALID', malleate: (a) => void (a.params = { ...params, extra: 1 }) },
    { name: 'a trust level below 1/3', code: 'PNT_ERR_LC_TRUST_LEVEL', malleate: (a) => void (a.params = { ...params, trustLevel: { numerator: 1, denominator: 4 } }) },
    { name: 'an initial state already expired', code: 'PNT_ERR_CLIENT_EXPIRED', malleate: (a) => void (a.now = chain.header(1).time + DAY) },
  ];
  for (const c of cases) {
    it(`error: create refuses ${c.name}`, () => {
      const existing = new MapStore();
      const k = new ClientKeeper();
      k.create(makeCtx(existing, hubVals, now), 'side-1', 'pontis', params, initial());
      const before = new Map(existing.m);
      const a = { store: 'fresh' as 'same' | 'fresh', chainId: 'side-1', params: { ...params } as unknown, initial: initial() as unknown, now };
      c.malleate(a);
      const target = a.store === 'same' ? existing : new MapStore();
      const sizeBefore = target.m.size;
      expectCode(() => k.create(makeCtx(target, hubVals, a.now), a.chainId, 'pontis', a.params, a.initial), c.code);
      expect(target.m.size).toBe(sizeBefore);
      expect(existing.m).toEqual(before);
    });
  }

  it('error: reads of an unknown client say so', () => {
    const k = new ClientKeeper();
    const s = new MapStore();
    expect(k.record(s, 'nope')).toBeUndefined();
    expect(k.latestConsensus(s, 'nope')).toBeUndefined();
    expectCode(() => k.status(s, 'nope', now), 'PNT_ERR_CLIENT_NOT_FOUND');
    expectCode(() => k.update(makeCtx(s, hubVals, now), 'nope', {}), 'PNT_ERR_CLIENT_NOT_FOUND');
    expectCode(() => k.verifyMembership(s, 'nope', 1, now, new Uint8Array(1), new Uint8Array(1), {}), 'PNT_ERR_CLIENT_NOT_FOUND');
  });
});
