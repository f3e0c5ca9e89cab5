import { describe, expect, it } from 'vitest';
import { type Bytes, concat, fromHex, toHex } from '../../../../hub-chain/crypto/bytes.ts';
import { accountKeyFromSeed, signMessage } from '../../../../hub-chain/crypto/ed25519.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { type GrandpaJustification, decodeJustification, encodeJustification, precommitPayload, verifyJustification } from '../../../../hub-chain/light-clients/substrate/grandpa.ts';
import {
  type SubstrateHeader,
  authorityChanges,
  checkParentLink,
  decodeHeader,
  encodeHeader,
  headerHash,
  scheduledChangeDigest,
} from '../../../../hub-chain/light-clients/substrate/header.ts';
import { EMPTY_TRIE_ROOT } from '../../../../hub-chain/light-clients/substrate/trie.ts';
import { expectCode } from '../../../support/errors.ts';

const seed = (i: number): Bytes => new Uint8Array(32).fill(i + 1);
const keys = [0, 1, 2, 3].map((i) => accountKeyFromSeed(seed(i)));
const set = { authorities: keys.map((k) => ({ id: k.publicKey, weight: 1n })), setId: 7n };

function chain(n: number, from?: SubstrateHeader): SubstrateHeader[] {
  const out: SubstrateHeader[] = [];
  let parent = from;
  for (let i = 0; i < n; i++) {
    const h: SubstrateHeader = {
      parentHash: parent ? headerHash(parent) : new Uint8Array(32),
      number: parent ? parent.number + 1 : 0,
      stateRoot: new Uint8Array(32).fill(i),
      extrinsicsRoot: EMPTY_TRIE_ROOT,
      digest: [{ kind: 'PreRuntime', engine: 'aura', data: Uint8Array.of(i, 0, 0, 0, 0, 0, 0, 0) }],
    };
    out.push(h);
    parent = h;
  }
  return out;
}

/** A justification of `target` with precommits from `signers` (key indices), each for `voteFor` (default: the target). */
function justify(target: SubstrateHeader, signers: number[], opts: { round?: bigint; setId?: bigint; voteFor?: SubstrateHeader; ancestry?: SubstrateHeader[] } = {}): GrandpaJustification {
  const round = opts.round ?? 3n;
  const vote = opts.voteFor ?? target;
  const precommit = { targetHash: headerHash(vote), targetNumber: vote.number };
  return {
    round,
    commit: {
      targetHash: headerHash(target),
      targetNumber: target.number,
      precommits: signers.map((i) => ({ precommit, signature: signMessage(precommitPayload(precommit, round, opts.setId ?? set.setId), keys[i].secretKey), id: keys[i].publicKey })),
    },
    votesAncestries: opts.ancestry ?? [],
  };
}

const headers = chain(6);
const target = headers[3];
const at = { hash: headerHash(target), number: target.number };

describe('substrate headers', () => {
  it('behavior: the Polkadot genesis header hashes to the Polkadot genesis hash', () => {
    const genesis: SubstrateHeader = {
      parentHash: new Uint8Array(32),
      number: 0,
      stateRoot: fromHex('0x29d0d972cd27cbc511e9589fcb7a4506d5eb6a9e8df205f00472e5ab354a4e17'),
      extrinsicsRoot: EMPTY_TRIE_ROOT,
      digest: [],
    };
    expect(toHex(headerHash(genesis))).toBe('0x91b171bb158e2d3848fa23a9f1c25182fb8e20313b2c1eb49219da7a70ce90c3');
  });

  it('behavior: every digest kind round-trips through SCALE; parent links hold along a chain', () => {
    const h: SubstrateHeader = {
      ...headers[2],
      number: 70_000, // a four-byte compact
      digest: [
        { kind: 'PreRuntime', engine: 'aura', data: Uint8Array.of(1, 2) },
        { kind: 'Consensus', engine: 'FRNK', data: new Uint8Array(0) },
        { kind: 'Seal', engine: 'aura', data: new Uint8Array(64).fill(9) },
        { kind: 'Other', data: Uint8Array.of(5) },
        { kind: 'RuntimeEnvironmentUpdated' },
      ],
    };
    const enc = encodeHeader(h);
    expect(toHex(encodeHeader(decodeHeader(enc)))).toBe(toHex(enc));
    expect(decodeHeader(toHex(enc)).number).toBe(70_000);
    for (let i = 1; i < headers.length; i++) checkParentLink(headers[i - 1], headers[i]);
    expectCode(() => checkParentLink(headers[0], headers[2]), SUB_ERR.HEADER_NOT_CHILD);
    expectCode(() => checkParentLink(headers[1], { ...headers[2], number: 3 }), SUB_ERR.HEADER_NOT_CHILD);
  });

  it('error: trailing bytes, a non-canonical number, an unknown digest tag and truncation are refused', () => {
    const enc = encodeHeader(headers[1]);
    expectCode(() => decodeHeader(concat(enc, Uint8Array.of(0))), SUB_ERR.HEADER_MALFORMED);
    expectCode(() => decodeHeader(enc.subarray(0, enc.length - 1)), SUB_ERR.HEADER_MALFORMED);
    // number 1 as a two-byte compact (0x0500) instead of 0x04
    const nonCanonical = concat(enc.subarray(0, 32), Uint8Array.of(0x05, 0x00), enc.subarray(33));
    expectCode(() => decodeHeader(nonCanonical), SUB_ERR.HEADER_MALFORMED, SUB_ERR.SCALE_NONCANONICAL);
    const badDigest = concat(encodeHeader({ ...headers[1], digest: [] }).subarray(0, -1), Uint8Array.of(4, 2));
    expectCode(() => decodeHeader(badDigest), SUB_ERR.HEADER_MALFORMED);
  });

  it('behavior: a FRNK scheduled change is read from the digest; other engines are ignored; a bad log is refused', () => {
    const next = [{ id: keys[0].publicKey, weight: 5n }, { id: keys[1].publicKey, weight: 1n }];
    const h = { ...headers[4], digest: [scheduledChangeDigest(next, 0), { kind: 'Consensus', engine: 'aura', data: Uint8Array.of(1) } as const] };
    const [change] = authorityChanges(decodeHeader(encodeHeader(h)));
    expect(change.kind).toBe('scheduled');
    expect(change.delay).toBe(0);
    expect(change.authorities.map((a) => [toHex(a.id), a.weight])).toEqual(next.map((a) => [toHex(a.id), a.weight]));
    expect(authorityChanges(headers[4])).toEqual([]);
    expectCode(() => authorityChanges({ ...h, digest: [{ kind: 'Consensus', engine: 'FRNK', data: Uint8Array.of(9) }] }), SUB_ERR.HEADER_MALFORMED);
    const log = (scheduledChangeDigest(next, 0) as { data: Bytes }).data;
    expectCode(() => authorityChanges({ ...h, digest: [{ kind: 'Consensus', engine: 'FRNK', data: concat(log, Uint8Array.of(0)) }] }), SUB_ERR.HEADER_MALFORMED);
  });
});

describe('grandpa justifications', () => {
  it('behavior: 3 of 4 equal-weight signers finalize the target; the justification round-trips through SCALE', () => {
    const j = justify(target, [0, 1, 2]);
    const enc = encodeJustification(j);
    const back = decodeJustification(enc);
    expect(toHex(encodeJustification(back))).toBe(toHex(enc));
    verifyJustification(back, set, at);
  });

  it('behavior: precommits for descendants count when the ancestry links them to the target', () => {
    const j = justify(target, [0, 1, 2], { voteFor: headers[5], ancestry: [headers[5], headers[4]] });
    verifyJustification(decodeJustification(encodeJustification(j)), set, at);
  });

  it('behavior: weights, not heads, decide: one authority of weight 3 of 4 is a quorum alone', () => {
    const weighted = { ...set, authorities: set.authorities.map((a, i) => ({ ...a, weight: i === 0 ? 7n : 1n })) };
    verifyJustification(justify(target, [0]), weighted, at);
    expectCode(() => verifyJustification(justify(target, [1, 2, 3]), weighted, at), SUB_ERR.JUSTIFICATION_NO_QUORUM);
  });

  const refusals: [string, () => void, string][] = [
    ['2 of 4 (exactly half) is below 2/3', () => verifyJustification(justify(target, [0, 1]), set, at), SUB_ERR.JUSTIFICATION_NO_QUORUM],
    ['a signer twice counts once', () => verifyJustification(justify(target, [0, 1, 1, 0]), set, at), SUB_ERR.JUSTIFICATION_NO_QUORUM],
    ['signatures for another set id', () => verifyJustification(justify(target, [0, 1, 2], { setId: 8n }), set, at), SUB_ERR.JUSTIFICATION_SIGNATURE],
    [
      'another round in the signed payload than the justification says',
      () => verifyJustification({ ...justify(target, [0, 1, 2], { round: 4n }), round: 3n }, set, at),
      SUB_ERR.JUSTIFICATION_SIGNATURE,
    ],
    [
      'a signer outside the set',
      () => {
        const stranger = accountKeyFromSeed(seed(9));
        const j = justify(target, [0, 1, 2]);
        const p = j.commit.precommits[0].precommit;
        j.commit.precommits.push({ precommit: p, signature: signMessage(precommitPayload(p, j.round, set.setId), stranger.secretKey), id: stranger.publicKey });
        verifyJustification(j, set, at);
      },
      SUB_ERR.JUSTIFICATION_SIGNATURE,
    ],
    [
      'a tampered signature',
      () => {
        const j = justify(target, [0, 1, 2]);
        j.commit.precommits[1].signature = Uint8Array.from(j.commit.precommits[1].signature);
        j.commit.precommits[1].signature[10] ^= 1;
        verifyJustification(j, set, at);
      },
      SUB_ERR.JUSTIFICATION_SIGNATURE,
    ],
    [
      'a precommit for a block not descending from the target (a fork)',
      () => {
        const fork = chain(1, headers[3]).map((h) => ({ ...h, stateRoot: new Uint8Array(32).fill(0xff) }))[0];
        verifyJustification(justify(target, [0, 1, 2], { voteFor: fork }), set, at);
      },
      SUB_ERR.JUSTIFICATION_ANCESTRY,
    ],
    ['a precommit for an ancestor of the target', () => verifyJustification(justify(target, [0, 1, 2], { voteFor: headers[2] }), set, at), SUB_ERR.JUSTIFICATION_ANCESTRY],
    ['a descendant without its ancestry', () => verifyJustification(justify(target, [0, 1, 2], { voteFor: headers[5], ancestry: [headers[5]] }), set, at), SUB_ERR.JUSTIFICATION_ANCESTRY],
    ['ancestry headers nobody needs', () => verifyJustification(justify(target, [0, 1, 2], { ancestry: [headers[5]] }), set, at), SUB_ERR.JUSTIFICATION_ANCESTRY],
    ['a justification for another block', () => verifyJustification(justify(headers[2], [0, 1, 2]), set, at), SUB_ERR.JUSTIFICATION_MALFORMED],
    ['trailing bytes', () => decodeJustification(concat(encodeJustification(justify(target, [0])), Uint8Array.of(0))), SUB_ERR.JUSTIFICATION_MALFORMED],
  ];
  for (const [name, f, code] of refusals) {
    it(`error: ${name}`, () => {
      expectCode(f, code);
    });
  }
});
