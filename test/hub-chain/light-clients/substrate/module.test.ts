import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { type Bytes, type Hex, ZERO_HASH, concat, fromHex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { signAttestation } from '../../../../hub-chain/light-clients/attested/module.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { type EventTypeTable, decodeEvents, eventTypeTableHash } from '../../../../hub-chain/light-clients/substrate/events.ts';
import { type DigestItem, encodeHeader, scheduledChangeDigest } from '../../../../hub-chain/light-clients/substrate/header.ts';
import { decodeRemarkPayload, encodeRemarkPayload } from '../../../../hub-chain/light-clients/substrate/remark.ts';
import { encodeU32 } from '../../../../hub-chain/light-clients/substrate/scale.ts';
import { SYSTEM_EVENTS_KEY, TIMESTAMP_NOW_KEY } from '../../../../hub-chain/light-clients/substrate/storage.ts';
import { blake2_256, buildReadProof } from '../../../../hub-chain/light-clients/substrate/trie.ts';
import { CLIENT_ERR } from '../../../../hub-chain/modules/clients/errors.ts';
import { ClientKeeper } from '../../../../hub-chain/modules/clients/keeper.ts';
import { ChainBuilder } from '../../../support/chain-builder.ts';
import { expectCode } from '../../../support/errors.ts';
import { MapStore } from '../../../support/kv.ts';
import { makeCtx } from '../../modules/clients/helpers.ts';
import { type Block, authoritiesParam, authorityKeys, block, headerMsg, key, storageProof } from './grandpa-chain.ts';

const DAY = 86_400_000;
const CHAIN = 'sub-test';
const HUB = 'hub-sub-test';
const NOW = 1_800_000_000_000;
const setA = authorityKeys('module-a', 4);
const setB = authorityKeys('module-b', 3);
const hub = new ChainBuilder({ chainId: HUB, seed: 'substrate-module-hub', powers: [10, 10, 10, 10] });

// A real runtime's event type table and a block's System.Events holding //Alice's remark (vectors/statemine-900-remark.json).
const remarkVector = JSON.parse(readFileSync(new URL('./vectors/statemine-900-remark.json', import.meta.url), 'utf8')) as {
  tableHash: Hex;
  table: EventTypeTable;
  events: Hex;
  index: number;
  sender: Hex;
  payload: Hex;
};

const grandpaParams = (extra: Record<string, unknown> = {}) => ({ trustingPeriodMs: DAY, maxClockDriftMs: 30_000, trust: { mode: 'grandpa', authorities: authoritiesParam(setA), setId: '0' }, ...extra });

function setup(params: unknown = grandpaParams(), genesis: Block = block(null, NOW - 60_000, [], [], 10)) {
  const s = new MapStore();
  const k = new ClientKeeper(createClientRouter());
  const ctx = makeCtx(s, hub.validatorSet(1), NOW, HUB);
  k.create(ctx, CHAIN, 'substrate', params, { header: toHex(encodeHeader(genesis.header)), timestamp: genesis.timestamp });
  return { s, k, ctx, genesis };
}

const child = (parent: Block, entries: [Bytes, Bytes][] = [], digest: DigestItem[] = []) => block({ hash: parent.hash, number: parent.header.number }, parent.timestamp + 6000, entries, digest);

/** Runs f, expects `code`, and the store unchanged. */
function refused(s: MapStore, f: () => unknown, code: string): void {
  const before = new Map(s.m);
  expectCode(f, code);
  expect(s.m).toEqual(before);
}

describe('substrate client, grandpa mode: authority-set changes', () => {
  it('behavior: a ScheduledChange with delay 0 hands over at its header: the next header needs the new set and set id + 1', () => {
    const { s, k, ctx, genesis } = setup();
    const b11 = child(genesis, [], [scheduledChangeDigest(setB.map((x) => ({ id: x.publicKey, weight: 1n })), 0)]);
    k.update(ctx, CHAIN, headerMsg(b11, setA.slice(0, 3), 0n));
    expect(k.record(s, CHAIN)?.state).toMatchObject({ trust: { mode: 'grandpa', setId: '1', authorities: authoritiesParam(setB) } });
    const b12 = child(b11);
    refused(s, () => k.update(ctx, CHAIN, headerMsg(b12, setA, 0n)), SUB_ERR.JUSTIFICATION_SIGNATURE); // the old set
    refused(s, () => k.update(ctx, CHAIN, headerMsg(b12, setB, 0n)), SUB_ERR.JUSTIFICATION_SIGNATURE); // the new keys, the old set id
    expect(k.update(ctx, CHAIN, headerMsg(b12, setB.slice(0, 3), 1n))).toMatchObject({ kind: 'updated', latestHeight: 12 });
  });

  it('error: a delayed scheduled change, a forced change and two changes in one header are refused', () => {
    const { s, k, ctx, genesis } = setup();
    const next = setB.map((x) => ({ id: x.publicKey, weight: 1n }));
    const forced: DigestItem = { kind: 'Consensus', engine: 'FRNK', data: concat(Uint8Array.of(2), encodeU32(5), (scheduledChangeDigest(next, 0) as { data: Bytes }).data.subarray(1)) };
    for (const digest of [[scheduledChangeDigest(next, 3)], [forced], [scheduledChangeDigest(next, 0), scheduledChangeDigest(next, 0)]]) {
      refused(s, () => k.update(ctx, CHAIN, headerMsg(child(genesis, [], digest), setA, 0n)), SUB_ERR.AUTHORITY_CHANGE_UNSUPPORTED);
    }
  });

  it('behavior: the same header twice changes nothing the second time; a conflicting justified header at a held height freezes', () => {
    const { s, k, ctx, genesis } = setup();
    const b11 = child(genesis, [[key('a'), utf8('1')]]);
    k.update(ctx, CHAIN, headerMsg(b11, setA.slice(0, 3), 0n));
    const before = new Map(s.m);
    expect(k.update(ctx, CHAIN, headerMsg(b11, setA.slice(1, 4), 0n))).toMatchObject({ kind: 'updated', heights: [] });
    expect(s.m).toEqual(before);
    refused(s, () => k.submitMisbehaviour(ctx, CHAIN, headerMsg(b11, setA, 0n)), CLIENT_ERR.MISBEHAVIOUR_INVALID);
    const fork = child(genesis, [[key('a'), utf8('2')]]);
    expect(k.submitMisbehaviour(ctx, CHAIN, headerMsg(fork, setA.slice(0, 3), 0n))).toMatchObject({ kind: 'frozen', height: 11 });
    expect(k.evidence(s, CHAIN)[0]).toMatchObject({ height: 11, evidence: { kind: 'conflicting-header', height: 11 } });
  });

  it('error: the block time must be proven under the header state root (missing, another state, not a u64)', () => {
    const { s, k, ctx, genesis } = setup();
    const b11 = child(genesis);
    const msg = headerMsg(b11, setA, 0n);
    refused(s, () => k.update(ctx, CHAIN, { ...msg, timestampProof: [] }), SUB_ERR.PROOF_INCOMPLETE);
    refused(s, () => k.update(ctx, CHAIN, { ...msg, timestampProof: headerMsg(child(genesis, [[key('x'), utf8('y')]]), setA, 0n).timestampProof }), SUB_ERR.PROOF_INCOMPLETE);
    const odd = block({ hash: genesis.hash, number: 10 }, 0, [[TIMESTAMP_NOW_KEY, Uint8Array.of(1, 2, 3)]]);
    odd.entries = odd.entries.filter(([, v]) => v.length === 3);
    const oddMsg = { ...headerMsg(odd, setA, 0n), timestampProof: buildReadProof(odd.entries, [TIMESTAMP_NOW_KEY], 0).map(toHex) };
    refused(s, () => k.update(ctx, CHAIN, oddMsg), SUB_ERR.SCALE_MALFORMED);
  });

  it('error: a header that is not SCALE, a justification with trailing bytes, or params with repeated authorities are refused', () => {
    const { s, k, ctx, genesis } = setup();
    const msg = headerMsg(child(genesis), setA, 0n);
    refused(s, () => k.update(ctx, CHAIN, { ...msg, header: msg.header + '00' }), SUB_ERR.HEADER_MALFORMED);
    refused(s, () => k.update(ctx, CHAIN, { ...msg, justification: msg.justification + '00' }), SUB_ERR.JUSTIFICATION_MALFORMED);
    const dup = grandpaParams({ trust: { mode: 'grandpa', authorities: [...authoritiesParam(setA), authoritiesParam(setA)[0]], setId: '0' } });
    expectCode(() => setup(dup), CLIENT_ERR.PARAMS_INVALID);
  });
});

describe('substrate client: remark proofs through System.Events', () => {
  const pairs = decodeRemarkPayload(fromHex(remarkVector.payload));
  const [k1, v1] = pairs[0];
  const events = fromHex(remarkVector.events);
  const params = (writers: Hex[] = [remarkVector.sender], extra: Record<string, unknown> = {}) =>
    grandpaParams({ writers, events: { hash: remarkVector.tableHash, table: remarkVector.table }, ...extra });

  function withEvents(p: unknown = params()) {
    const c = setup(p);
    const b11 = child(c.genesis, [[SYSTEM_EVENTS_KEY, events], [key('other'), utf8('x')]]);
    c.k.update(c.ctx, CHAIN, headerMsg(b11, setA, 0n));
    const proof = (o: Partial<{ index: number; payload: Hex }> = {}) => ({ remark: { events: storageProof(b11, SYSTEM_EVENTS_KEY), index: o.index ?? remarkVector.index, payload: o.payload ?? remarkVector.payload } });
    return { ...c, b11, proof };
  }

  it('behavior: the real runtime events decode with the table derived from its metadata; the Remarked event is where the vector says', () => {
    const recs = decodeEvents(remarkVector.table, events);
    expect(recs[remarkVector.index]).toMatchObject({ phase: { variant: 'ApplyExtrinsic' }, event: { variant: 'System', value: { variant: 'Remarked' } } });
    expect(eventTypeTableHash(remarkVector.table)).toBe(remarkVector.tableHash);
  });

  it('behavior: a pair of the payload a registered writer remarked is proven; every pair of it', () => {
    const { s, k, ctx, proof } = withEvents();
    for (const [key_, value] of pairs) k.verifyMembership(s, CHAIN, 11, ctx.now, key_, value, proof());
  });

  it('adversarial: a remark part checked once for a block (every packet of a message cites the same object) is checked again for another block, where it fails', () => {
    const { s, k, ctx, b11, proof } = withEvents();
    const shared = proof();
    for (const [key_, value] of pairs) k.verifyMembership(s, CHAIN, 11, ctx.now, key_, value, shared);
    const b12 = child(b11, [[key('other'), utf8('y')]]);
    k.update(ctx, CHAIN, headerMsg(b12, setA, 0n));
    refused(s, () => k.verifyMembership(s, CHAIN, 12, ctx.now, k1, v1, shared), SUB_ERR.PROOF_INCOMPLETE);
    // a remark proof with anything beside its part is malformed
    refused(s, () => k.verifyMembership(s, CHAIN, 11, ctx.now, k1, v1, { ...shared, nodes: [] }), SUB_ERR.PROOF_MALFORMED);
  });

  const cases: [string, (p: ReturnType<typeof withEvents>) => unknown, string][] = [
    ['another value for the key', ({ s, k, ctx, proof }) => k.verifyMembership(s, CHAIN, 11, ctx.now, k1, utf8('forged'), proof()), SUB_ERR.PROOF_VALUE_MISMATCH],
    ['a key the payload does not write', ({ s, k, ctx, proof }) => k.verifyMembership(s, CHAIN, 11, ctx.now, utf8('nope'), v1, proof()), SUB_ERR.PROOF_KEY_ABSENT],
    ['another payload than the remarked one', ({ s, k, ctx, proof }) => k.verifyMembership(s, CHAIN, 11, ctx.now, k1, v1, proof({ payload: toHex(encodeRemarkPayload([[k1, v1]])) })), SUB_ERR.REMARK_INVALID],
    ['an event that is not System.Remarked', ({ s, k, ctx, proof }) => k.verifyMembership(s, CHAIN, 11, ctx.now, k1, v1, proof({ index: 0 })), SUB_ERR.REMARK_INVALID],
    ['an event index past the end', ({ s, k, ctx, proof }) => k.verifyMembership(s, CHAIN, 11, ctx.now, k1, v1, proof({ index: 99 })), SUB_ERR.REMARK_INVALID],
    ['non-membership by remark', ({ s, k, ctx, proof }) => k.verifyNonMembership(s, CHAIN, 11, ctx.now, utf8('nope'), proof()), SUB_ERR.REMARK_NO_ABSENCE],
    // a receipt's absence is the writers' timeout record (records.ts): a remark without it proves nothing
    ['a receipt absence by a remark holding no timeout record', ({ s, k, ctx, proof }) => k.verifyNonMembership(s, CHAIN, 11, ctx.now, utf8('pkt/rcpt/hub/app/sub/app/1'), proof()), SUB_ERR.PROOF_KEY_ABSENT],
    // a packet delivered by remark has no storage key, so a raw absence proof of its receipt would "prove" it never arrived
    ['a raw storage absence proof of a Pontis receipt key', ({ s, k, ctx, b11 }) => k.verifyNonMembership(s, CHAIN, 11, ctx.now, utf8('pkt/rcpt/hub/app/sub/app/1'), storageProof(b11, utf8('pkt/rcpt/hub/app/sub/app/1'))), SUB_ERR.PONTIS_KEY_RAW],
    [
      'events proven under another state',
      ({ s, k, ctx, genesis, proof }) => {
        const other = child(genesis, [[SYSTEM_EVENTS_KEY, events]]);
        return k.verifyMembership(s, CHAIN, 11, ctx.now, k1, v1, { remark: { ...proof().remark, events: storageProof(other, SYSTEM_EVENTS_KEY) } });
      },
      SUB_ERR.PROOF_INCOMPLETE,
    ],
  ];
  it('error: a Pontis key a chain\'s root wrote straight into storage is not proven by a raw storage proof', () => {
    const { s, k, ctx, b11 } = withEvents();
    const raw = utf8('pkt/out/sub/app/hub/app/1');
    const b = child(b11, [[raw, utf8('commitment')], [SYSTEM_EVENTS_KEY, events]]);
    k.update(ctx, CHAIN, headerMsg(b, setA, 0n));
    refused(s, () => k.verifyMembership(s, CHAIN, b.header.number, ctx.now, raw, utf8('commitment'), storageProof(b, raw)), SUB_ERR.PONTIS_KEY_RAW);
    // an ordinary storage key of the same block still proves
    k.verifyMembership(s, CHAIN, b.header.number, ctx.now, SYSTEM_EVENTS_KEY, events, storageProof(b, SYSTEM_EVENTS_KEY));
  });

  for (const [name, f, code] of cases) {
    it(`error: ${name} is refused`, () => {
      const p = withEvents();
      refused(p.s, () => f(p), code);
    });
  }

  it('error: a sender that is not a registered writer; a client without an event table; a table that does not hash to its hash', () => {
    const notWriter = withEvents(params([toHex(new Uint8Array(32).fill(7))]));
    refused(notWriter.s, () => notWriter.k.verifyMembership(notWriter.s, CHAIN, 11, NOW, k1, v1, notWriter.proof()), SUB_ERR.REMARK_INVALID);
    const noTable = withEvents(grandpaParams({ writers: [remarkVector.sender] }));
    refused(noTable.s, () => noTable.k.verifyMembership(noTable.s, CHAIN, 11, NOW, k1, v1, noTable.proof()), SUB_ERR.TYPES_INVALID);
    expectCode(() => setup(params(undefined, { events: { hash: ZERO_HASH, table: remarkVector.table } })), CLIENT_ERR.PARAMS_INVALID);
  });

  it('error: a payload without the magic, with trailing bytes, or writing one key twice is refused', () => {
    expectCode(() => decodeRemarkPayload(utf8('XXXX')), SUB_ERR.REMARK_INVALID);
    expectCode(() => decodeRemarkPayload(concat(fromHex(remarkVector.payload), Uint8Array.of(0))), SUB_ERR.REMARK_INVALID);
    // the same events with the Remarked hash of a payload writing k1 twice (two values: which one would count?)
    const twice = encodeRemarkPayload([[k1, v1], [k1, utf8('other')]]);
    const hex = remarkVector.events.replace(toHex(blake2_256(fromHex(remarkVector.payload))).slice(2), toHex(blake2_256(twice)).slice(2));
    expect(hex).not.toBe(remarkVector.events);
    const c = setup(params());
    const b11 = child(c.genesis, [[SYSTEM_EVENTS_KEY, fromHex(hex)]]);
    c.k.update(c.ctx, CHAIN, headerMsg(b11, setA, 0n));
    const proof = { remark: { events: storageProof(b11, SYSTEM_EVENTS_KEY), index: remarkVector.index, payload: toHex(twice) } };
    refused(c.s, () => c.k.verifyMembership(c.s, CHAIN, 11, NOW, k1, v1, proof), SUB_ERR.REMARK_INVALID);
  });
});

describe('substrate client, attested mode', () => {
  const v = hub.validatorsAt(1);
  const body = (height: number, tag = 'a') => ({ chainId: CHAIN, height, hash: toHex(new Uint8Array(32).fill(height)), stateRoot: tag === 'a' ? toHex(new Uint8Array(32).fill(1)) : toHex(new Uint8Array(32).fill(2)), receiptsRoot: ZERO_HASH, timestamp: NOW - 1000 });
  const attested = { trustingPeriodMs: DAY, maxClockDriftMs: 30_000, trust: { mode: 'attested' } };

  it('behavior: hub validators holding > 2/3 of the power make a consensus record; grandpa messages are not accepted', () => {
    const s = new MapStore();
    const k = new ClientKeeper(createClientRouter());
    const ctx = makeCtx(s, hub.validatorSet(1), NOW, HUB);
    k.create(ctx, CHAIN, 'substrate', attested, { height: 10, hash: toHex(new Uint8Array(32).fill(10)), stateRoot: ZERO_HASH, timestamp: NOW - 60_000 });
    k.update(ctx, CHAIN, signAttestation(HUB, body(11), v[0].secretKey));
    k.update(ctx, CHAIN, signAttestation(HUB, body(11), v[1].secretKey));
    expect(k.consensusAt(s, CHAIN, 11)).toBeUndefined();
    expect(k.update(ctx, CHAIN, signAttestation(HUB, body(11), v[2].secretKey))).toMatchObject({ kind: 'updated', latestHeight: 11 });
    expect(k.consensusAt(s, CHAIN, 11)).toMatchObject({ root: toHex(new Uint8Array(32).fill(1)) });
    expect(createClientRouter().registration('substrate').accepts!('attest/vote', k.record(s, CHAIN)! as never)).toBe(true);
    expectCode(() => k.update(ctx, CHAIN, headerMsg(block(null, NOW, [], [], 12), setA, 0n)), CLIENT_ERR.MSG_INVALID);
  });
});
