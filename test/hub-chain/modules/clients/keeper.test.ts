import { describe, expect, it } from 'vitest';
import { ClientKeeper, ClientRouter } from '../../../../hub-chain/modules/clients/keeper.ts';
import type { ClientTypeRegistration } from '../../../../hub-chain/modules/clients/types.ts';
import { utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { pontisClientType } from '../../../../hub-chain/light-clients/pontis/index.ts';
import { attestedClientType } from '../../../../hub-chain/light-clients/attested/index.ts';
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
  it('behavior: the app registers pontis, attested, evm, fabric and substrate, each on a fresh router', () => {
    expect(createClientRouter().typeNames()).toEqual(['pontis', 'attested', 'evm', 'fabric', 'substrate']);
    expect(createClientRouter()).not.toBe(createClientRouter());
  });

  it('error: a second registration of one type is refused', () => {
    const r = new ClientRouter().register(pontisClientType);
    expectCode(() => r.register(pontisClientType), 'PNT_ERR_CLIENT_TYPE_DUPLICATE');
    expectCode(() => createClientRouter().register(attestedClientType), 'PNT_ERR_CLIENT_TYPE_DUPLICATE');
  });

  it('error: an unknown type is refused by the router and by create', () => {
    expectCode(() => new ClientRouter().get('evm'), 'PNT_ERR_CLIENT_TYPE_UNKNOWN');
    const s = new MapStore();
    expectCode(() => new ClientKeeper(new ClientRouter().register(pontisClientType)).create(makeCtx(s, hubVals, now), 'side-1', 'evm', params, initial()), 'PNT_ERR_CLIENT_TYPE_UNKNOWN');
    expect(s.m.size).toBe(0);
  });
});

describe('client keeper: creation and storage layout', () => {
  it('behavior: create stores the record, the initial consensus state and meta under clients/<chainId>/', () => {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
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
      const k = new ClientKeeper(createClientRouter());
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
    const k = new ClientKeeper(createClientRouter());
    const s = new MapStore();
    expect(k.record(s, 'nope')).toBeUndefined();
    expect(k.latestConsensus(s, 'nope')).toBeUndefined();
    expectCode(() => k.status(s, 'nope', now), 'PNT_ERR_CLIENT_NOT_FOUND');
    expectCode(() => k.update(makeCtx(s, hubVals, now), 'nope', {}), 'PNT_ERR_CLIENT_NOT_FOUND');
    expectCode(() => k.verifyMembership(s, 'nope', 1, now, new Uint8Array(1), new Uint8Array(1), {}), 'PNT_ERR_CLIENT_NOT_FOUND');
  });
});

describe('client keeper: each type runs on its own client store', () => {
  /** A type that, on update, writes `key` (as a buggy or hostile type might). */
  const rogue = (key: string): ClientTypeRegistration => ({
    ...pontisClientType,
    module: {
      ...pontisClientType.module,
      type: 'rogue',
      initialise: (chainId, p, i) => {
        const r = pontisClientType.module.initialise(chainId, p, i);
        return { ...r, record: { ...r.record, clientType: 'rogue' } };
      },
      verifyClientMessage: () => {},
      checkForMisbehaviour: () => false,
      updateState: (ctx, rec) => {
        ctx.store.set(utf8(key), utf8('x'));
        return { record: rec, consensus: [] };
      },
    },
    storePrefixes: ['attest/'],
  });

  it('error: a type writing outside its client and declared prefixes fails with PNT_ERR_CLIENT_STORE_SCOPE', () => {
    for (const key of ['registry/chain/side-1', 'clients/side-2/state', 'attest/side-2/0000000000000001/tally', 'acc/0x01']) {
      const s = new MapStore();
      const k = new ClientKeeper(new ClientRouter().register(rogue(key)));
      k.create(makeCtx(s, hubVals, now), 'side-1', 'rogue', params, initial());
      const before = new Map(s.m);
      expectCode(() => k.update(makeCtx(s, hubVals, now), 'side-1', {}), 'PNT_ERR_CLIENT_STORE_SCOPE');
      expect(s.m).toEqual(before);
    }
  });

  it('behavior: its own client keys and its declared prefix for its chain are writable', () => {
    for (const key of ['clients/side-1/extra', 'attest/side-1/0000000000000001/tally']) {
      const s = new MapStore();
      const k = new ClientKeeper(new ClientRouter().register(rogue(key)));
      k.create(makeCtx(s, hubVals, now), 'side-1', 'rogue', params, initial());
      k.update(makeCtx(s, hubVals, now), 'side-1', {});
      expect(s.keysText()).toContain(key);
    }
  });
});
