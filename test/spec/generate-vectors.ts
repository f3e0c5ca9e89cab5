/**
 * Writes the spec test vectors (test/spec/vectors/*.json) from the implementation, with fixed
 * keys, seeds and times, so every run writes the same bytes. Run it deliberately when the protocol
 * changes, and read the diff:
 *
 *   node --import tsx test/spec/generate-vectors.ts
 *
 * The tests never run this: they read the files and check that the implementation and the
 * independent verifier reproduce every value and verdict. Where a fact is known from outside the
 * project (RFC 8032 signatures, the "Taming the many EdDSAs" verdicts of libsodium), the generator
 * asserts it before writing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { type Bytes, type Hex, ZERO_HASH, concat, fromHex, toHex, uintBE, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { keccak256, sha256 } from '../../hub-chain/crypto/hash.ts';
import { accountKeyFromSeed, signMessage, verifyMessage } from '../../hub-chain/crypto/ed25519.ts';
import { addressFromPublicKey, signDigest, validatorPublicKey } from '../../hub-chain/crypto/secp256k1.ts';
import { merkleLeaf, merkleProof, merkleRoot, merkleRootFromProof } from '../../hub-chain/crypto/merkle.ts';
import { canonicalJson } from '../../hub-chain/encoding/canonical-json.ts';
import { HubApp, keys as appKeys } from '../../hub-chain/app/app.ts';
import { createModules } from '../../hub-chain/app/modules.ts';
import { type Genesis, parseGenesis } from '../../hub-chain/app/genesis.ts';
import { Mempool, DEFAULT_MEMPOOL } from '../../hub-chain/app/mempool.ts';
import { type SignedTx, type TxBody, decodeTx, decodeTxObject, encodeTx, signTx, txHash, txSignBytes } from '../../hub-chain/app/tx.ts';
import { Chain } from '../../hub-chain/node/chain.ts';
import { blockView } from '../../hub-chain/rpc/views.ts';
import { StateStore } from '../../hub-chain/state/store.ts';
import { type StateProof, decodeProof, encodeProof, verifyMembership, verifyMembershipCompact, verifyNonMembership, verifyNonMembershipCompact } from '../../hub-chain/state/proof.ts';
import { type Header, encodeHeader, headerHash } from '../../hub-chain/types/header.ts';
import { type CommittedTxResult, type ResultEvent, blockEventsLeaf, resultsHash, txResultLeaf, txResultProof, verifyTxResult } from '../../hub-chain/types/results.ts';
import { ValidatorSet, type Validator } from '../../hub-chain/types/validator-set.ts';
import { type Commit, VoteType, proposalDigest, signVote, verifyCommit, voteDigest } from '../../hub-chain/types/vote.ts';
import { duplicateVoteEvidence } from '../../hub-chain/consensus/evidence.ts';
import { attestationDigest, attestKeys } from '../../hub-chain/light-clients/attested/module.ts';
import { clientKeys } from '../../hub-chain/modules/clients/store.ts';
import { RECEIPT_BITS_PER_WORD, ackCommitment, ackLeaf, channelId, encodeAck, encodeBatchValue, packetCommitment, packetKeys, receiptBitSet, withReceiptBit, type Packet } from '../../hub-chain/modules/packets/types.ts';
import { verifyPontisNonMembership } from '../../hub-chain/light-clients/pontis/state-proofs.ts';
import { gatewayReceiptProof } from '../../relayers/paths/evm/from-hub.ts';
import { msgKeys } from '../../hub-chain/modules/packets/msg-app.ts';
import { registryKeys } from '../../hub-chain/modules/registry/registry.ts';
import { bankKeys, escrowAccount } from '../../hub-chain/modules/transfer/bank.ts';
import { policyKeys } from '../../hub-chain/modules/transfer/policy.ts';
import { verifyHeader } from '../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import { ChainBuilder } from '../support/chain-builder.ts';
import { VECTOR_DIR, tag } from './vector-format.ts';
import { outcome } from '../support/errors.ts';

const GENERATED_BY = 'test/spec/generate-vectors.ts';
function check(cond: unknown, what: string): void {
  if (!cond) throw new Error(`generate-vectors: ${what}`);
}
function write(name: string, spec: string, description: string, sets: Record<string, unknown>): void {
  mkdirSync(VECTOR_DIR, { recursive: true });
  const body = { spec, description, generatedBy: GENERATED_BY, ...sets };
  writeFileSync(join(VECTOR_DIR, name), JSON.stringify(body, null, 1) + '\n');
  const counts = Object.entries(sets)
    .filter(([, v]) => Array.isArray(v))
    .map(([k, v]) => `${k} ${(v as unknown[]).length}`);
  console.log(`${name}: ${counts.join(', ')}`);
}

// Fixed keys: secp256k1 validator keys and ed25519 account seeds from labelled hashes.
const validatorKey = (i: number): Bytes => sha256(utf8(`pontis-spec/validator/${i}`));
const validatorOf = (i: number): Validator => {
  const pub = validatorPublicKey(validatorKey(i));
  return { address: addressFromPublicKey(pub), publicKey: toHex(pub), power: 0 };
};
const accountSeed = (i: number): Bytes => sha256(utf8(`pontis-spec/account/${i}`));
const account = (i: number) => accountKeyFromSeed(accountSeed(i));
const label = (s: string): Hex => toHex(sha256(utf8(s)));

// ---------------------------------------------------------------- canonical-json.json

function canonicalJsonVectors(): void {
  const parsed = (s: string): unknown => JSON.parse(s);
  const inputs: [string, unknown][] = [
    ['null', null],
    ['true', true],
    ['false', false],
    ['zero', 0],
    ['negative', -1],
    ['max safe integer', 2 ** 53 - 1],
    ['min safe integer', -(2 ** 53 - 1)],
    ['2^53 is refused', 2 ** 53],
    ['fraction is refused', 1.5],
    ['-0 is refused', -0],
    ['NaN is refused', Number.NaN],
    ['Infinity is refused', Number.POSITIVE_INFINITY],
    ['1e21 is refused', 1e21],
    ['bigint becomes a decimal string', 2n ** 64n],
    ['empty object', {}],
    ['empty array', []],
    ['empty string', ''],
    ['keys sorted, upper case before lower, prefix first', parsed('{"b":1,"a":2,"B":3,"_":4,"aa":5,"":6,"a0":7}')],
    ['integer-like keys sort as strings', parsed('{"9":1,"10":2,"1":3,"a":4}')],
    ['UTF-16 order: a non-BMP key sorts before U+E000 and U+FFFF', parsed('{"\\uffff":1,"\\ud83d\\ude00":2,"\\ue000":3,"\\u00e9":4,"z":5}')],
    ['nested objects are sorted at every level', parsed('{"z":{"y":[{"b":1,"a":2}],"x":null},"a":[3,2,1]}')],
    ['undefined member is left out, null kept', { b: undefined, a: null, c: 1 }],
    ['undefined array element is refused', [1, undefined]],
    ['undefined alone is refused', undefined],
    ['a __proto__ key is an ordinary key', parsed('{"__proto__":1,"a":2}')],
    ['all C0 controls', Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')],
    ['quote and backslash', 'a"b\\c'],
    ['solidus, DEL, C1 and line separators are not escaped', '/\u007f\u0080\u009f\u2028\u2029'],
    ['non-ASCII is written as UTF-8', 'é中😀'],
    ['lone high surrogate is escaped', 'a\ud800b'],
    ['lone low surrogate is escaped', 'a\udc00b'],
    ['reversed pair: both escaped', '\udc00\ud800'],
    ['high surrogate at the end', 'x\udbff'],
    ['pair at the end is one character', 'x\udbff\udfff'],
    ['string that looks like an escape', '\\u0041'],
    ['keys are escaped like strings', parsed('{"\\n":1,"\\u0000":2,"\\"":3}')],
    ['booleans and null in arrays', [true, false, null, 0, '']],
  ];
  const encode = inputs.map(([name, input]) => {
    const r = outcome(() => canonicalJson(input));
    return { name, input: tag(input), expected: r.ok ? { ok: true, text: r.value, hex: toHex(utf8(r.value)) } : { ok: false, error: r.error } };
  });
  const texts: [string, string | Bytes][] = [
    ['canonical object', '{"a":1,"b":[true,null,"x"]}'],
    ['whitespace', '{"a": 1}'],
    ['keys out of order', '{"b":1,"a":2}'],
    ['duplicate key', '{"a":1,"a":1}'],
    ['escaped solidus', '{"a":"\\/"}'],
    ['needless \\u escape', '{"a":"\\u0041"}'],
    ['upper-case \\u escape', '{"a":"\\u001F"}'],
    ['lower-case \\u escape of a control', '{"a":"\\u001f"}'],
    ['1.0', '{"a":1.0}'],
    ['1e2', '{"a":1e2}'],
    ['-0', '{"a":-0}'],
    ['raw U+2028 in a string', '{"a":"\u2028"}'],
    ['invalid UTF-8', concat(utf8('{"a":"'), Uint8Array.of(0xff), utf8('"}'))],
    ['byte-order mark', concat(Uint8Array.of(0xef, 0xbb, 0xbf), utf8('{}'))],
    ['lone surrogate escaped', '{"a":"\\ud800"}'],
    ['surrogate pair escaped instead of raw', '{"a":"\\ud83d\\ude00"}'],
  ];
  const decode = texts.map(([name, t]) => {
    const bytes = typeof t === 'string' ? utf8(t) : t;
    let canonical = false;
    try {
      canonical = Buffer.from(utf8(canonicalJson(JSON.parse(Buffer.from(bytes).toString('utf8'))))).equals(Buffer.from(bytes));
    } catch {
      canonical = false;
    }
    return { name, hex: toHex(bytes), canonical };
  });
  write('canonical-json.json', 'docs/spec/encoding.md', 'Canonical JSON: encode cases (input -> UTF-8 bytes or the refusal code) and decode cases (bytes -> whether they are the canonical encoding of what they parse to). Inputs may use tagged values (test/spec/vector-format.ts).', { encode, decode });
}

// ---------------------------------------------------------------- headers.json

function baseHeader(over: Partial<Header> = {}): Header {
  return {
    chainId: 'pontis-hub-1',
    height: 7,
    time: 1_700_000_007_000,
    prevHash: label('prevHash'),
    txRoot: label('txRoot'),
    stateRoot: label('stateRoot'),
    validatorsHash: label('validatorsHash'),
    nextValidatorsHash: label('nextValidatorsHash'),
    evidenceHash: label('evidenceHash'),
    resultsHash: label('resultsHash'),
    proposer: label('proposer').slice(0, 42),
    ...over,
  };
}

function headerVectors(): void {
  const maxId = 'a0123456789.bcdefghijklmnopqrstuvwxyz-0123456789_abcdefghijklmno';
  check(maxId.length === 64, 'max chain id length');
  const cases: [string, Header][] = [
    ['typical', baseHeader()],
    ['height 1: zero prevHash, empty roots', baseHeader({ height: 1, time: 1_700_000_001_000, prevHash: ZERO_HASH, txRoot: ZERO_HASH, evidenceHash: ZERO_HASH })],
    ['64-character chain id', baseHeader({ chainId: maxId })],
    ['1-character chain id', baseHeader({ chainId: '0' })],
    ['largest safe height and time', baseHeader({ height: 2 ** 53 - 1, time: 2 ** 53 - 1 })],
    ['height above 2^32', baseHeader({ height: 2 ** 32 + 5, time: 4_102_444_800_000 })],
    ['time 0', baseHeader({ time: 0 })],
    ['all hashes and proposer zero', baseHeader({ prevHash: ZERO_HASH, txRoot: ZERO_HASH, stateRoot: ZERO_HASH, validatorsHash: ZERO_HASH, nextValidatorsHash: ZERO_HASH, evidenceHash: ZERO_HASH, resultsHash: ZERO_HASH, proposer: '0x' + '00'.repeat(20) })],
    ['upper-case hex encodes the same bytes (the JSON form is still lower case)', baseHeader({ stateRoot: label('stateRoot').toUpperCase().replace('0X', '0x') })],
    ['65-character chain id is refused', baseHeader({ chainId: maxId + 'x' })],
    ['empty chain id is refused', baseHeader({ chainId: '' })],
    ['upper-case chain id is refused', baseHeader({ chainId: 'Pontis' })],
    ['chain id starting with - is refused', baseHeader({ chainId: '-hub' })],
    ['chain id with / is refused', baseHeader({ chainId: 'a/b' })],
    ['non-ASCII chain id is refused', baseHeader({ chainId: 'hüb' })],
    ['31-byte hash is refused', baseHeader({ txRoot: label('txRoot').slice(0, 64) })],
    ['32-byte proposer is refused', baseHeader({ proposer: label('proposer') })],
    ['hash without 0x is refused', baseHeader({ stateRoot: label('stateRoot').slice(2) })],
    ['negative height is refused', baseHeader({ height: -1 })],
    ['fractional time is refused', baseHeader({ time: 1.5 })],
  ];
  const headers = cases.map(([name, header]) => {
    const r = outcome(() => encodeHeader(header));
    return { name, header: tag(header), expected: r.ok ? { ok: true, encoding: toHex(r.value), length: r.value.length, hash: headerHash(header) } : { ok: false, error: r.error } };
  });
  write('headers.json', 'docs/spec/header.md', 'Header v2 encodings and keccak256 hashes; refused headers have no encoding.', { headers });
}

// ---------------------------------------------------------------- votes.json

function voteVectors(): void {
  const k = validatorKey(0);
  const signer = validatorOf(0).address;
  const block = label('block');
  const votes: { name: string; chainId: string; type: number; height: number; round: number; blockHash: Hex }[] = [
    { name: 'prevote', chainId: 'pontis-hub-1', type: VoteType.Prevote, height: 1, round: 0, blockHash: block },
    { name: 'precommit', chainId: 'pontis-hub-1', type: VoteType.Precommit, height: 7, round: 3, blockHash: block },
    { name: 'nil precommit signs the zero hash', chainId: 'pontis-hub-1', type: VoteType.Precommit, height: 7, round: 0, blockHash: ZERO_HASH },
    { name: 'largest round and height', chainId: 'x', type: VoteType.Prevote, height: 2 ** 53 - 1, round: 2 ** 32 - 1, blockHash: block },
    { name: 'another chain id changes the digest', chainId: 'pontis-hub-2', type: VoteType.Precommit, height: 7, round: 3, blockHash: block },
  ];
  const voteCases = votes.map((v) => {
    const digest = voteDigest(v.chainId, v.type, v.height, v.round, v.blockHash);
    const preimage = concat(Uint8Array.of(0x19), utf8('PONTIS'), Uint8Array.of(v.type), keccak256(utf8(v.chainId)), uintBE(v.height, 8), uintBE(v.round, 4), fromHex(v.blockHash, 32));
    check(toHex(keccak256(preimage)) === toHex(digest), 'vote preimage');
    const signature = toHex(signDigest(digest, k));
    return { ...v, expected: { preimage: toHex(preimage), digest: toHex(digest), signature, signer } };
  });
  const proposals = [
    { name: 'fresh proposal (polRound -1)', chainId: 'pontis-hub-1', height: 7, round: 0, polRound: -1, blockHash: block },
    { name: 're-proposal with a proof of lock', chainId: 'pontis-hub-1', height: 7, round: 5, polRound: 2, blockHash: block },
  ].map((p) => {
    const digest = proposalDigest(p.chainId, p.height, p.round, p.polRound, p.blockHash);
    const preimage = concat(Uint8Array.of(0x19), utf8('PONTIS'), Uint8Array.of(0x20), keccak256(utf8(p.chainId)), uintBE(p.height, 8), uintBE(p.round, 4), uintBE(p.polRound + 1, 4), fromHex(p.blockHash, 32));
    check(toHex(keccak256(preimage)) === toHex(digest), 'proposal preimage');
    return { ...p, expected: { preimage: toHex(preimage), digest: toHex(digest), signature: toHex(signDigest(digest, k)), signer } };
  });
  const att = { chainId: 'dept-a', height: 42, hash: label('att-hash'), stateRoot: label('att-root'), receiptsRoot: ZERO_HASH, timestamp: 1_700_000_042_000 };
  const attestations = [{ name: 'attestation vote for another chain', hubChainId: 'pontis-hub-1', ...att, expected: { digest: toHex(attestationDigest('pontis-hub-1', att)), signature: toHex(signDigest(attestationDigest('pontis-hub-1', att), k)), signer } }];
  write('votes.json', 'docs/spec/consensus.md', 'Vote, proposal and attestation sign bytes: the hashed preimage, its keccak256 digest, and a deterministic (RFC 6979, low-s) signature by validator key 0 with its recovered signer.', { votes: voteCases, proposals, attestations });
}

// ---------------------------------------------------------------- validator-sets.json

function validatorSetVectors(): void {
  const withPower = (i: number, power: number): Validator => ({ ...validatorOf(i), power });
  const sets: [string, Validator[]][] = [
    ['equal powers: address order', [0, 1, 2, 3].map((i) => withPower(i, 10))],
    ['distinct powers, given out of order', [withPower(2, 20), withPower(0, 40), withPower(3, 10), withPower(1, 30)]],
    ['ties inside distinct powers', [withPower(0, 5), withPower(1, 50), withPower(2, 5), withPower(3, 20), withPower(4, 50)]],
    ['one validator', [withPower(5, 1)]],
    ['given without addresses', [0, 1, 2].map((i) => ({ address: '', publicKey: validatorOf(i).publicKey, power: 7 }))],
  ];
  const valid = sets.map(([name, vals]) => {
    const vs = new ValidatorSet(vals);
    const packed = concat(...vs.validators.flatMap((v) => [fromHex(v.address, 20), uintBE(v.power, 8)]));
    return { name, input: vals, expected: { ok: true, canonical: vs.validators, packed: toHex(packed), hash: vs.hash(), totalPower: vs.totalPower } };
  });
  const invalidSets: [string, Validator[]][] = [
    ['empty set', []],
    ['same key twice', [withPower(0, 10), withPower(0, 20)]],
    ['zero power', [withPower(0, 10), withPower(1, 0)]],
    ['address that does not match the key', [{ ...withPower(0, 10), address: validatorOf(1).address }]],
    ['151 validators', Array.from({ length: 151 }, (_, i) => withPower(100 + i, 1))],
    ['total power above 2^50', [withPower(0, 2 ** 49), withPower(1, 2 ** 49), withPower(2, 1)]],
    ['64-byte public key', [{ address: '', publicKey: validatorOf(0).publicKey.slice(0, 130), power: 1 }]],
  ];
  const invalid = invalidSets.map(([name, vals]) => {
    const r = outcome(() => new ValidatorSet(vals));
    check(!r.ok, `invalid set accepted: ${name}`);
    return { name, input: vals, expected: { ok: false, error: (r as { error: string | null }).error } };
  });

  // proposer priorities: rounds of one height, and heights in a row
  const prio = (name: string, vals: Validator[], start?: number[]) => {
    const vs = new ValidatorSet(vals, start);
    const rounds = Array.from({ length: 8 }, (_, r) => vs.proposer(r).address);
    const heights: { priorities: number[]; proposer: Hex }[] = [];
    let cur = vs;
    for (let h = 0; h < 12; h++) {
      heights.push({ priorities: cur.getPriorities(), proposer: cur.proposer(0).address });
      cur = cur.nextHeightSet();
    }
    return { name, validators: vs.validators, start: vs.getPriorities(), expected: { roundProposers: rounds, heights } };
  };
  const priorities = [
    prio('genesis priorities, equal powers', [0, 1, 2, 3].map((i) => withPower(i, 10))),
    prio('genesis priorities, powers 40/30/20/10', [withPower(0, 40), withPower(1, 30), withPower(2, 20), withPower(3, 10)]),
    prio('ties in power', [withPower(0, 5), withPower(1, 50), withPower(2, 5), withPower(3, 20), withPower(4, 50)]),
    prio('wide spread is rescaled (trunc toward zero)', [withPower(0, 40), withPower(1, 30), withPower(2, 20), withPower(3, 10)], [1_000_003, -999_999, -7, 5]),
    prio('negative sum: centring rounds toward -infinity', [withPower(0, 3), withPower(1, 2), withPower(2, 2)], [-5, 1, 0]),
  ];
  // membership changes (app.nextValidatorSet: removed members get power 0, then the new membership)
  const changes = [
    {
      name: 'remove one, add one, change a power',
      from: [withPower(0, 40), withPower(1, 30), withPower(2, 20), withPower(3, 10)],
      membership: [withPower(0, 40), withPower(1, 35), withPower(3, 10), withPower(4, 25)],
    },
    { name: 'replace the whole set', from: [withPower(0, 10), withPower(1, 10)], membership: [withPower(5, 3), withPower(6, 9), withPower(7, 1)] },
  ].map((c) => {
    let vs = new ValidatorSet(c.from);
    for (let i = 0; i < 3; i++) vs = vs.nextHeightSet();
    const stepped = vs.nextHeightSet();
    const keep = new Set(c.membership.map((v) => v.address));
    const next = stepped.applyUpdates([...stepped.validators.filter((v) => !keep.has(v.address)).map((v) => ({ ...v, power: 0 })), ...c.membership]);
    return { name: c.name, validators: vs.validators, start: vs.getPriorities(), membership: c.membership, expected: { validators: next.validators, priorities: next.getPriorities(), hash: next.hash() } };
  });
  write('validator-sets.json', 'docs/spec/consensus.md', 'Validator sets: canonical order, packed bytes, hash and total power; refused sets; proposer priorities (proposers of rounds 0..7, and the priorities and round-0 proposer of 12 heights in a row); membership changes as block execution applies them (start = priorities of the current height, expected = the set of the next height).', {
    valid,
    invalid,
    priorities,
    changes,
  });
}

// ---------------------------------------------------------------- commits.json

const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const hex32 = (n: bigint): string => n.toString(16).padStart(64, '0');

function commitVectors(): void {
  const chainId = 'spec-chain';
  const sets: Record<string, Validator[]> = {
    '40-30-20-10': [0, 1, 2, 3].map((i) => ({ ...validatorOf(i), power: [40, 30, 20, 10][i] })),
    'three-of-10': [4, 5, 6].map((i) => ({ ...validatorOf(i), power: 10 })),
  };
  const height = 9;
  const blockHash = headerHash(baseHeader({ chainId, height }));
  const sig = (i: number, o: { chainId?: string; height?: number; round?: number; blockHash?: Hex } = {}) =>
    signVote(o.chainId ?? chainId, { type: VoteType.Precommit, height: o.height ?? height, round: o.round ?? 0, blockHash: o.blockHash ?? blockHash }, validatorKey(i), validatorOf(i).address);
  const entry = (i: number, o?: Parameters<typeof sig>[1]) => {
    const v = sig(i, o);
    return { validator: v.validator, signature: v.signature };
  };
  const commit = (signatures: { validator: Hex; signature: Hex }[], over: Partial<Commit> = {}): Commit => ({ height, round: 0, blockHash, signatures, ...over });
  const highS = (e: { validator: Hex; signature: Hex }) => {
    const b = fromHex(e.signature);
    const s = BigInt(toHex(b.subarray(32, 64)));
    const twin = concat(b.subarray(0, 32), fromHex('0x' + hex32(SECP_N - s)), Uint8Array.of(b[64] === 27 ? 28 : 27));
    return { validator: e.validator, signature: toHex(twin) };
  };
  const withV = (e: { validator: Hex; signature: Hex }, v: number) => ({ validator: e.validator, signature: e.signature.slice(0, 130) + v.toString(16).padStart(2, '0') });
  const withR = (e: { validator: Hex; signature: Hex }, r: bigint) => ({ validator: e.validator, signature: '0x' + hex32(r) + e.signature.slice(66) });
  const withS = (e: { validator: Hex; signature: Hex }, s: bigint) => ({ validator: e.validator, signature: e.signature.slice(0, 66) + hex32(s) + e.signature.slice(130) });
  const outsider = 7;
  const cases: { name: string; set: string; commit: Commit; expectedBlockHash?: Hex }[] = [
    { name: 'all four sign', set: '40-30-20-10', commit: commit([0, 1, 2, 3].map((i) => entry(i))) },
    { name: '70 of 100: more than two thirds', set: '40-30-20-10', commit: commit([entry(0), entry(1)]) },
    { name: 'entries in any order', set: '40-30-20-10', commit: commit([entry(3), entry(1), entry(0)]) },
    { name: 'round 3', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i, { round: 3 })), { round: 3 }) },
    { name: 'upper-case hex in blockHash and validator', set: '40-30-20-10', commit: commit([0, 1].map((i) => ({ ...entry(i), validator: entry(i).validator.toUpperCase().replace('0X', '0x') })), { blockHash: blockHash.toUpperCase().replace('0X', '0x') }) },
    { name: '60 of 100: below two thirds', set: '40-30-20-10', commit: commit([entry(0), entry(2)]) },
    { name: 'exactly two thirds is not enough', set: 'three-of-10', commit: commit([entry(4), entry(5)]) },
    { name: 'no signatures', set: '40-30-20-10', commit: commit([]) },
    { name: 'duplicate signer', set: '40-30-20-10', commit: commit([entry(0), entry(0), entry(1)]) },
    { name: 'high s (the malleated twin)', set: '40-30-20-10', commit: commit([highS(entry(0)), entry(1), entry(2)]) },
    { name: 'v = 29', set: '40-30-20-10', commit: commit([withV(entry(0), 29), entry(1), entry(2)]) },
    { name: 'v = 0 (a raw recovery id)', set: '40-30-20-10', commit: commit([withV(entry(0), 0), entry(1), entry(2)]) },
    { name: 'v = 1', set: '40-30-20-10', commit: commit([withV(entry(0), 1), entry(1), entry(2)]) },
    { name: 'r = 0', set: '40-30-20-10', commit: commit([withR(entry(0), 0n), entry(1), entry(2)]) },
    { name: 'r = n', set: '40-30-20-10', commit: commit([withR(entry(0), SECP_N), entry(1), entry(2)]) },
    { name: 's = 0', set: '40-30-20-10', commit: commit([withS(entry(0), 0n), entry(1), entry(2)]) },
    { name: 'signature of 64 bytes', set: '40-30-20-10', commit: commit([{ ...entry(0), signature: entry(0).signature.slice(0, 130) }, entry(1), entry(2)]) },
    { name: 'signer outside the set', set: '40-30-20-10', commit: commit([entry(0), entry(1), entry(outsider)]) },
    { name: 'signature of one validator claimed by another', set: '40-30-20-10', commit: commit([{ validator: validatorOf(1).address, signature: entry(0).signature }, entry(2), entry(3)]) },
    { name: 'commit names another height', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i)), { height: height + 1 }) },
    { name: 'signatures for another height', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i, { height: height + 1 }))) },
    { name: 'signatures for another round than the commit names', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i)), { round: 1 }) },
    { name: 'commit names another block', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i, { blockHash: label('other') })), { blockHash: label('other') }) },
    { name: 'signatures for another block', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i, { blockHash: label('other') }))) },
    { name: 'signatures for another chain', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i, { chainId: 'other-chain' }))) },
    { name: 'commit of nil', set: '40-30-20-10', commit: commit([0, 1, 2].map((i) => entry(i, { blockHash: ZERO_HASH })), { blockHash: ZERO_HASH }), expectedBlockHash: ZERO_HASH },
    { name: 'more entries than validators', set: '40-30-20-10', commit: commit([0, 1, 2, 3, outsider].map((i) => entry(i))) },
  ];
  const out = cases.map((c) => {
    const expectedBlockHash = c.expectedBlockHash ?? blockHash;
    const r = outcome(() => verifyCommit(chainId, new ValidatorSet(sets[c.set]), c.commit, height, expectedBlockHash));
    return { name: c.name, set: c.set, height, blockHash: expectedBlockHash, commit: c.commit, expected: r.ok ? { ok: true, power: r.value } : { ok: false, error: r.error } };
  });
  write('commits.json', 'docs/spec/consensus.md', `Commit verification against a validator set (chain id ${chainId}): accepted commits with their signed power, refused ones with the code of the first rule they break.`, { chainId, sets, cases: out });
}

// ---------------------------------------------------------------- light-client.json

function lightClientVectors(): void {
  const cb = new ChainBuilder({ chainId: 'lc-spec', powers: [10, 10, 10, 10], seed: 'pontis-spec/light-client' });
  const v = (h: number) => cb.validatorsAt(h);
  // block 5 replaces two validators: heights 7.. are signed by {v0, v1, n0, n1}
  cb.extendTo(4);
  const [a, b] = [cb.newValidator(), cb.newValidator()];
  const old = v(5);
  cb.changeValidators(5, [
    { validator: old[2], power: 0 },
    { validator: old[3], power: 0 },
    { validator: a, power: 10 },
    { validator: b, power: 10 },
  ]);
  cb.extendTo(9);
  cb.setSigners(10, [a, b, old[0]]);
  cb.extendTo(12);
  const day = 86_400_000;
  const opts = { trustingPeriodMs: 14 * day, maxClockDriftMs: 10_000, now: cb.header(12).time + 1000 };
  const trusted = (h: number) => cb.trustedState(h);
  const cases: { name: string; trustedHeight: number; signedHeader: ReturnType<typeof cb.signedHeader>; height: number; options?: Partial<typeof opts> & { trustLevel?: { numerator: number; denominator: number } }; validatorsOf?: number; nextValidatorsOf?: number }[] = [
    { name: 'adjacent', trustedHeight: 1, signedHeader: cb.signedHeader(2), height: 2 },
    { name: 'skipping with the same set', trustedHeight: 1, signedHeader: cb.signedHeader(6), height: 6 },
    { name: 'skipping across a set change, half of the trusted set signed', trustedHeight: 1, signedHeader: cb.signedHeader(9), height: 9 },
    { name: 'skipping where only a quarter of the trusted set signed', trustedHeight: 1, signedHeader: cb.signedHeader(10), height: 10 },
    { name: 'the same with trust level 1/5 is refused as an option', trustedHeight: 1, signedHeader: cb.signedHeader(10), height: 10, options: { trustLevel: { numerator: 1, denominator: 5 } } },
    { name: 'half the trusted set is not enough at trust level 2/3', trustedHeight: 1, signedHeader: cb.signedHeader(9), height: 9, options: { trustLevel: { numerator: 2, denominator: 3 } } },
    { name: 'adjacent across the change', trustedHeight: 6, signedHeader: cb.signedHeader(7), height: 7 },
    { name: 'trusted state expired (bound exclusive)', trustedHeight: 1, signedHeader: cb.signedHeader(2), height: 2, options: { now: cb.header(1).time + 14 * day } },
    { name: 'one ms before expiry', trustedHeight: 1, signedHeader: cb.signedHeader(2), height: 2, options: { now: cb.header(1).time + 14 * day - 1 } },
    { name: 'header from the future', trustedHeight: 1, signedHeader: cb.signedHeader(3), height: 3, options: { now: cb.header(3).time - 10_001 } },
    { name: 'header exactly at now + drift', trustedHeight: 1, signedHeader: cb.signedHeader(3), height: 3, options: { now: cb.header(3).time - 10_000 } },
    { name: 'height not above the trusted one', trustedHeight: 3, signedHeader: cb.signedHeader(3), height: 3 },
    { name: 'another chain id', trustedHeight: 1, signedHeader: cb.forkHeader(3, { chainId: 'lc-other' }), height: 3 },
    { name: 'time not after the trusted time', trustedHeight: 2, signedHeader: cb.forkHeader(4, { time: cb.header(2).time }), height: 4 },
    { name: 'adjacent header that does not build on the trusted one', trustedHeight: 2, signedHeader: cb.forkHeader(3, { prevHash: label('fork') }), height: 3 },
    { name: 'adjacent header signed by a set other than the trusted next set', trustedHeight: 5, signedHeader: cb.forkHeader(6, { validatorsHash: cb.validatorSet(7).hash() }, { signers: cb.validatorsAt(7) }), height: 6, validatorsOf: 7 },
    { name: 'validators that do not hash to validatorsHash', trustedHeight: 1, signedHeader: cb.signedHeader(4), height: 4, validatorsOf: 8 },
    { name: 'commit signed by half the set', trustedHeight: 1, signedHeader: cb.withSigners(4, v(4).slice(0, 2)), height: 4 },
    { name: 'commit with a duplicate signer', trustedHeight: 1, signedHeader: cb.withDuplicateSigner(cb.signedHeader(4)), height: 4 },
  ];
  const out = cases.map((c) => {
    const t = trusted(c.trustedHeight);
    const vals = cb.validatorSet(c.validatorsOf ?? c.height);
    const next = cb.validatorSet(c.nextValidatorsOf ?? c.height + 1);
    const o = { ...opts, ...c.options };
    const r = outcome(() => verifyHeader(t, c.signedHeader, vals, next, o));
    return {
      name: c.name,
      trusted: { header: t.header, validators: t.validators.validators, nextValidators: t.nextValidators.validators },
      signedHeader: c.signedHeader,
      validators: vals.validators,
      nextValidators: next.validators,
      options: o,
      expected: r.ok ? { ok: true, hash: headerHash(c.signedHeader.header) } : { ok: false, error: r.error },
    };
  });
  write('light-client.json', 'docs/spec/consensus.md', 'Light-client header verification: a trusted state, a signed header with its two sets, options (ms), and the verdict (the code of the first failing check).', { cases: out });
}

// ---------------------------------------------------------------- ed25519.json

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
function nodeCryptoVerdict(pk: Bytes, msg: Bytes, sig: Bytes): boolean | string {
  try {
    return nodeVerify(null, msg, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' }), sig);
  } catch (e) {
    return `throws: ${(e as Error).message}`;
  }
}

function ed25519Vectors(): void {
  type Case = { name: string; source: string; publicKey: Hex; message: Hex; signature: Hex; valid: boolean; nodeCrypto: boolean | string; note?: string };
  const cases: Case[] = [];
  const add = (name: string, source: string, pk: Bytes, msg: Bytes, sig: Bytes, expectValid: boolean | undefined, note?: string) => {
    const valid = verifyMessage(msg, sig, pk);
    if (expectValid !== undefined) check(valid === expectValid, `ed25519 ${name}: libsodium says ${valid}`);
    cases.push({ name, source, publicKey: toHex(pk), message: toHex(msg), signature: toHex(sig), valid, nodeCrypto: nodeCryptoVerdict(pk, msg, sig), ...(note ? { note } : {}) });
  };
  // RFC 8032 section 7.1, TEST 1-3: the signature from the seed must come out byte for byte.
  const rfc: [string, string, string, string, string][] = [
    ['TEST 1 (empty message)', '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '', 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
    ['TEST 2 (one byte)', '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72', '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
    ['TEST 3 (two bytes)', 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82', '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
  ];
  for (const [name, seed, pk, msg, sig] of rfc) {
    const key = accountKeyFromSeed(fromHex('0x' + seed));
    check(toHex(key.publicKey) === '0x' + pk, `RFC 8032 ${name} public key`);
    check(toHex(signMessage(fromHex('0x' + msg), key.secretKey)) === '0x' + sig, `RFC 8032 ${name} signature`);
    add(`RFC 8032 ${name}`, 'RFC 8032 section 7.1', fromHex('0x' + pk), fromHex('0x' + msg), fromHex('0x' + sig), true);
  }
  // "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko 2020), ed25519-speccheck cases 0-11.
  const taming: [string, string, string, string][] = [
    ['S = 0, small-order A and R', '8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000'],
    ['0 < S < L, small-order A, mixed-order R', '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04'],
    ['0 < S < L, mixed-order A, small-order R', 'aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e'],
    ['0 < S < L, mixed-order A and R, cofactorless equation holds', '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', '9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009'],
    ['0 < S < L, mixed-order A and R, only the cofactored equation holds', 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09'],
    ['0 < S < L, mixed-order A, L-order R, only the cofactored equation holds', 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405'],
    ['S > L (S + L twin of a valid signature)', '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40', '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623', 'e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514'],
    ['S much larger than L', '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40', '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623', '8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22'],
    ['non-canonical small-order R (y = p - 1 with the sign bit), mixed-order A', '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f'],
    ['non-canonical small-order R, k from the re-encoded R', '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908'],
    ['non-canonical small-order A (y = p - 1 with the sign bit)', 'e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', 'a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04'],
    ['non-canonical small-order A, k from the re-encoded A', '39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', 'a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04'],
  ];
  // libsodium's published verdicts on these twelve: only case 3 verifies (ed25519-speccheck results table).
  taming.forEach(([what, msg, pk, sig], i) => add(`Taming ${i}: ${what}`, 'Chalkias, Garillot, Nikolaenko, "Taming the many EdDSAs" (2020), ed25519-speccheck', fromHex('0x' + pk), fromHex('0x' + msg), fromHex('0x' + sig), i === 3));

  // Our own cases around one honest key.
  const key = account(0);
  const msg = utf8('pontis-tx/v1\n{"chainId":"spec"}');
  const good = signMessage(msg, key.secretKey);
  add('honest signature', 'generated', key.publicKey, msg, good, true);
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const le = (b: Bytes) => BigInt('0x' + Buffer.from(b).reverse().toString('hex'));
  const toLe = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse());
  add('S + L (non-canonical S)', 'generated', key.publicKey, msg, concat(good.subarray(0, 32), toLe(le(good.subarray(32)) + L)), false, 'the cofactorless equation still holds for S + L; refused by S < L');
  add('message changed', 'generated', key.publicKey, utf8('pontis-tx/v1\n{"chainId":"spek"}'), good, false);
  add('another key', 'generated', account(1).publicKey, msg, good, false);
  const flipped = Uint8Array.from(good);
  flipped[63] ^= 0x01;
  add('S changed', 'generated', key.publicKey, msg, flipped, false);
  add('R of order 8 with S = 0', 'generated', key.publicKey, msg, concat(fromHex('0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), new Uint8Array(32)), false);
  add('identity R with the sign bit set', 'generated', key.publicKey, msg, concat(fromHex('0x0100000000000000000000000000000000000000000000000000000000000080'), good.subarray(32)), false);
  // A public key that is no curve point: search the smallest y with no x.
  const notOnCurve = (() => {
    for (let y = 2; ; y++) {
      const enc = toLe(BigInt(y));
      try {
        ed25519.Point.fromBytes(enc, false);
      } catch {
        return enc;
      }
    }
  })();
  add('public key that is no curve point', 'generated', notOnCurve, msg, good, false);
  const P = 2n ** 255n - 19n;
  // y = p + 2: a non-canonical encoding (y >= p); refused before decoding
  add('non-canonical public key (y = p + 2)', 'generated', toLe(P + 2n), msg, good, false);
  // Mixed-order keys: A = aB + T (T of order 8), signatures built so that the cofactorless equation holds, or only the cofactored one.
  const T = ed25519.Point.fromBytes(fromHex('0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), true);
  const a = (le(sha256(utf8('pontis-spec/mixed-a'))) % (L - 1n)) + 1n;
  const A = ed25519.Point.BASE.multiply(a).add(T);
  const Abytes = A.toBytes();
  const mmsg = utf8('mixed-order key');
  const hk = (R: Bytes) => le(sha512(concat(R, Abytes, mmsg))) % L;
  let mixedValid: Bytes | undefined;
  let cofactoredOnly: Bytes | undefined;
  for (let t = 1n; (!mixedValid || !cofactoredOnly) && t < 1000n; t++) {
    const r = (le(sha256(utf8(`pontis-spec/mixed-r/${t}`))) % (L - 1n)) + 1n;
    for (let j = 0n; j < 8n && !mixedValid; j++) {
      const R = ed25519.Point.BASE.multiply(r).subtract(j === 0n ? ed25519.Point.ZERO : T.multiplyUnsafe(j));
      const Rb = R.toBytes();
      const k = hk(Rb);
      if (k % 8n === j) mixedValid = concat(Rb, toLe((r + k * a) % L));
    }
    if (!cofactoredOnly) {
      const Rb = ed25519.Point.BASE.multiply(r).toBytes();
      const k = hk(Rb);
      if (k % 8n !== 0n) cofactoredOnly = concat(Rb, toLe((r + k * a) % L));
    }
  }
  check(mixedValid && cofactoredOnly, 'mixed-order signatures found');
  add('mixed-order key, cofactorless equation holds', 'generated', Abytes, mmsg, mixedValid!, true, 'A = aB + T with T of order 8; R carries the torsion that cancels');
  add('mixed-order key, only the cofactored equation holds', 'generated', Abytes, mmsg, cofactoredOnly!, false, 'R = rB: [k]T is left over, so only [8]R = [8]([S]B - [k]A) holds');
  write('ed25519.json', 'docs/spec/transactions.md', 'Ed25519 signatures under the protocol rule set (libsodium crypto_sign_verify_detached as in sodium-native 5.1.0): `valid` is the protocol verdict; `nodeCrypto` is what node:crypto (OpenSSL 3.0) says, for information only, and differs on Taming cases 0, 1, 2 and 11.', { cases });
}

// ---------------------------------------------------------------- transactions.json

function transactionVectors(): void {
  const k0 = account(0);
  const k1 = account(1);
  const chainId = 'pontis-hub-1';
  const bodies: [string, TxBody, typeof k0][] = [
    ['records/put', { chainId, nonce: 0, msgs: [{ type: 'records/put', entries: [{ key: toHex(utf8('greeting')), value: toHex(utf8('hello')) }, { key: '0x', value: '0x' }] }] }, k0],
    [
      'governance proposal with escapes and non-ASCII',
      { chainId, nonce: 5, memo: 'é\u2028"/\u0001😀\\', msgs: [{ type: 'gov/propose', action: { kind: 'set-validators', updates: [{ publicKey: validatorOf(0).publicKey, power: 20 }] }, description: 'raise power\nto 20' }] },
      k1,
    ],
    ['two messages', { chainId, nonce: 9_007_199_254_740_991, msgs: [{ type: 'records/delete', keys: ['0x01'] }, { type: 'gov/vote', proposalId: 1, approve: false }] }, k0],
    ['memo of 256 code points (512 UTF-16 units)', { chainId, nonce: 1, memo: '😀'.repeat(256), msgs: [{ type: 'records/delete', keys: ['0x02'] }] }, k0],
  ];
  const valid = bodies.map(([name, body, key]) => {
    const tx = signTx(body, key);
    const bytes = encodeTx(tx);
    const d = decodeTx(bytes);
    check(d.hash === txHash(bytes), 'hash');
    return { name, seed: toHex(key.secretKey), tx, expected: { text: Buffer.from(bytes).toString('utf8'), bytes: toHex(bytes), hash: txHash(bytes), signBytes: toHex(txSignBytes(body)), sender: key.address, signatureValid: verifyMessage(txSignBytes(body), fromHex(tx.signature), fromHex(tx.publicKey)) } };
  });
  const base = signTx(bodies[0][1], k0);
  const baseText = Buffer.from(encodeTx(base)).toString('utf8');
  const refusals: [string, string | Bytes][] = [
    ['whitespace', JSON.stringify(base, null, 1)],
    ['keys out of order', JSON.stringify({ signature: base.signature, publicKey: base.publicKey, body: base.body })],
    ['duplicate key', baseText.replace('{"body":', `{"publicKey":"${base.publicKey}","body":`)],
    ['upper-case hex public key', baseText.replace(base.publicKey, base.publicKey.toUpperCase().replace('0X', '0x'))],
    ['unknown top-level field', baseText.replace('{"body":', '{"a":1,"body":')],
    ['unknown body field', baseText.replace('"chainId":', '"a":1,"chainId":')],
    ['unknown message field', baseText.replace('"type":"records/put"', '"type":"records/put","x":1')],
    ['unknown message type', baseText.replace('records/put', 'records/putt')],
    ['nonce 1.0', baseText.replace('"nonce":0', '"nonce":1.0')],
    ['nonce -1', baseText.replace('"nonce":0', '"nonce":-1')],
    ['nonce 2^53', baseText.replace('"nonce":0', '"nonce":9007199254740992')],
    ['no messages', baseText.replace(/"msgs":\[.*\],"nonce"/, '"msgs":[],"nonce"')],
    ['memo of 257 code points', Buffer.from(encodeTx(signTx({ ...bodies[0][1], memo: '😀'.repeat(257) }, k0))).toString('utf8')],
    ['needless escape in a string', Buffer.from(encodeTx(signTx({ ...bodies[0][1], memo: 'A' }, k0))).toString('utf8').replace('"memo":"A"', '"memo":"\\u0041"')],
    ['escaped solidus', Buffer.from(encodeTx(signTx({ ...bodies[0][1], memo: '/' }, k0))).toString('utf8').replace('"memo":"/"', '"memo":"\\/"')],
    ['record key with upper-case hex', baseText.replace('"key":"0x', '"key":"0X')],
    ['invalid UTF-8', concat(utf8(baseText.slice(0, -2)), Uint8Array.of(0xff), utf8('"}'))],
    ['not JSON', '{"body":'],
    ['signature of 63 bytes', baseText.replace(base.signature, base.signature.slice(0, -2))],
  ];
  const decode = refusals.map(([name, t]) => {
    const bytes = typeof t === 'string' ? utf8(t) : t;
    const r = outcome(() => decodeTx(bytes));
    check(!r.ok, `tx refusal accepted: ${name}`);
    return { name, bytes: toHex(bytes), expected: { ok: false, error: (r as { error: string | null }).error } };
  });
  // Transactions that decode but whose signature must fail.
  const forged = (name: string, tx: SignedTx) => {
    const bytes = encodeTx(tx);
    const d = decodeTx(bytes);
    return { name, tx, expected: { bytes: toHex(bytes), hash: d.hash, signatureValid: verifyMessage(txSignBytes(d.tx.body), fromHex(tx.signature), fromHex(tx.publicKey)) } };
  };
  const body0 = bodies[0][1];
  const signatures = [
    forged('memo added after signing', { ...base, body: { ...body0, memo: 'changed' } }),
    forged('chain id changed after signing', { ...base, body: { ...body0, chainId: 'pontis-hub-2' } }),
    forged('signed without the prefix', { ...base, signature: toHex(signMessage(utf8(canonicalJson(body0)), k0.secretKey)) }),
    forged('signed with prefix v2', { ...base, signature: toHex(signMessage(utf8('pontis-tx/v2\n' + canonicalJson(body0)), k0.secretKey)) }),
    forged('signed over JSON.stringify (keys not sorted)', { ...base, signature: toHex(signMessage(utf8('pontis-tx/v1\n' + JSON.stringify(body0)), k0.secretKey)) }),
    forged('signed over the whole transaction', { ...base, signature: toHex(signMessage(utf8('pontis-tx/v1\n' + canonicalJson({ body: body0, publicKey: base.publicKey })), k0.secretKey)) }),
    forged('another key', { ...base, publicKey: toHex(k1.publicKey) }),
  ];
  for (const s of signatures) check(!s.expected.signatureValid, `forged signature valid: ${s.name}`);
  write('transactions.json', 'docs/spec/transactions.md', 'Signed transactions: canonical bytes, sha256 hash, sign bytes, sender address and signature verdict; byte strings that must not decode (with the code); transactions that decode but whose signature must fail.', { valid, decode, signatures });
}

// ---------------------------------------------------------------- merkle.json

function merkleVectors(): void {
  const items = (n: number): Bytes[] => Array.from({ length: n }, (_, i) => (i === 2 ? new Uint8Array(0) : utf8(`item-${i}`)));
  const roots = Array.from({ length: 18 }, (_, n) => ({ items: items(n).map(toHex), root: toHex(merkleRoot(items(n))), leaves: items(n).map((x) => toHex(merkleLeaf(x))) }));
  const proofs: { total: number; index: number; item: Hex; root: Hex; proof: { index: number; total: number; siblings: Hex[] } }[] = [];
  for (const n of [1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 16, 17]) {
    const list = items(n);
    for (let i = 0; i < n; i++) {
      const p = merkleProof(list, i);
      proofs.push({ total: n, index: i, item: toHex(list[i]), root: toHex(merkleRoot(list)), proof: { index: p.index, total: p.total, siblings: p.siblings.map(toHex) } });
    }
  }
  const pr = (n: number, i: number) => proofs.find((p) => p.total === n && p.index === i)!;
  const variant = (name: string, base: (typeof proofs)[number], over: Partial<{ item: Hex; index: number; total: number; siblings: Hex[] }>) => {
    const proof = { index: over.index ?? base.proof.index, total: over.total ?? base.proof.total, siblings: over.siblings ?? base.proof.siblings };
    const item = over.item ?? base.item;
    const r = outcome(() => toHex(merkleRootFromProof(fromHex(item), { ...proof, siblings: proof.siblings.map((s) => fromHex(s, 32)) })));
    return { name, item, proof, root: base.root, expected: r.ok ? { ok: true, rootFromProof: r.value, matchesRoot: r.value === base.root } : { ok: false, error: r.error } };
  };
  const p96 = pr(9, 4);
  const tampered = [
    variant('index 4 of 9 presented as 4 of 12: same path, accepted', p96, { total: 12 }),
    variant('index 4 of 9 presented as 4 of 16: same path, accepted', p96, { total: 16 }),
    variant('index 4 of 9 presented as 4 of 8: wrong number of siblings', p96, { total: 8 }),
    variant('index 4 of 6 presented as index 2 of 4: same turns, accepted', pr(6, 4), { index: 2, total: 4 }),
    variant('index 4 of 5 presented as index 1 of 2: same turns, accepted', pr(5, 4), { index: 1, total: 2 }),
    variant('another item', p96, { item: toHex(utf8('item-5')) }),
    variant('another index of the same total', p96, { index: 5 }),
    variant('siblings swapped', p96, { siblings: [p96.proof.siblings[1], p96.proof.siblings[0], ...p96.proof.siblings.slice(2)] }),
    variant('one sibling too many', p96, { siblings: [...p96.proof.siblings, p96.proof.siblings[0]] }),
    variant('one sibling too few', p96, { siblings: p96.proof.siblings.slice(0, -1) }),
    variant('index equal to total', p96, { index: 9 }),
    variant('total 0', pr(1, 0), { total: 0, index: 0 }),
    variant('total above 2^32', pr(1, 0), { total: 2 ** 32 + 1 }),
    variant('negative index', p96, { index: -1 }),
    variant('fractional total', p96, { total: 9.5 }),
  ];
  write('merkle.json', 'docs/spec/merkle.md', 'List Merkle tree: roots (and leaf hashes) of lists of 0..17 items (item 2 is empty), inclusion proofs for every index of several sizes, and altered proofs with the root they lead to or the refusal.', { roots, proofs, tampered });
}

// ---------------------------------------------------------------- results.json

function resultsVectors(): void {
  const txh = (i: number) => label(`tx-${i}`);
  const ev = (type: string, attributes: Record<string, string>): ResultEvent => ({ type, attributes });
  const blocks: { name: string; results: (CommittedTxResult & { log?: string })[]; events: ResultEvent[] }[] = [
    { name: 'empty block, no events', results: [], events: [] },
    { name: 'empty block with a block event', results: [], events: [ev('packet/forwarded', { id: 'a/msg/b/msg/1', packet: '{"x":1}' })] },
    {
      name: 'three results: ok, failed with a log, ok with two events; two block events',
      results: [
        { hash: txh(0), code: 'ok', events: [ev('records/put', { owner: '0x' + '11'.repeat(20), count: '2' })] },
        { hash: txh(1), code: 'PNT_ERR_GOV_UNKNOWN_PROPOSAL', log: 'no proposal 7', events: [] },
        { hash: txh(2), code: 'ok', events: [ev('gov/proposed', { id: '1', kind: 'set-validators' }), ev('gov/executed', { id: '1' })] },
      ],
      events: [ev('evidence', { kind: 'duplicate-vote', validator: '0x' + '22'.repeat(20), height: '3' }), ev('end-block-failed', { module: 'packets', code: 'PNT_ERR_X' })],
    },
    { name: 'one result, attributes with escapes', results: [{ hash: txh(3), code: 'ok', events: [ev('t', { z: 'é\n"', a: '' })] }], events: [] },
  ];
  const out = blocks.map((b) => {
    const committed = b.results.map((r) => ({ hash: r.hash, code: r.code, events: r.events }));
    const leaves = [...committed.map(txResultLeaf), blockEventsLeaf(b.events)];
    const proofs = committed.map((_, i) => txResultProof(committed, b.events, i));
    return {
      name: b.name,
      results: b.results,
      events: b.events,
      expected: { leaves: leaves.map((l) => Buffer.from(l).toString('utf8')), resultsHash: resultsHash(committed, b.events), proofs },
    };
  });
  const big = out[2];
  const rh = big.expected.resultsHash;
  const proofCase = (name: string, result: CommittedTxResult & { log?: string }, proof: { index: number; total: number; siblings: Hex[] }) => {
    const r = outcome(() => verifyTxResult(rh, result, proof));
    return { name, resultsHash: rh, result, proof, expected: r.ok ? { ok: true } : { ok: false, error: r.error } };
  };
  const r0 = blocks[2].results[0];
  const r1 = blocks[2].results[1];
  const p0 = big.expected.proofs[0];
  const p1 = big.expected.proofs[1];
  const proofChecks = [
    proofCase('result 0', r0, p0),
    proofCase('failed result 1 with its log', r1, p1),
    proofCase('the log is not committed: another log verifies', { ...r1, log: 'anything' }, p1),
    proofCase('code changed', { ...r0, code: 'PNT_ERR_X' }, p0),
    proofCase('events reordered', { ...blocks[2].results[2], events: [...blocks[2].results[2].events].reverse() }, big.expected.proofs[2]),
    proofCase('hash changed', { ...r0, hash: txh(9) }, p0),
    proofCase('index at the block-events leaf', r0, { ...p0, index: 3 }),
    proofCase('proof of another index', r0, p1),
    proofCase('sibling not 32 bytes', r0, { ...p0, siblings: [p0.siblings[0].slice(0, -2), ...p0.siblings.slice(1)] }),
  ];
  write('results.json', 'docs/spec/results.md', 'resultsHash: leaves (as text), the root and result proofs for several blocks; then result proofs checked against a resultsHash.', { blocks: out, proofChecks });
}

// ---------------------------------------------------------------- state-proofs.json

async function stateProofVectors(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-vectors-'));
  const env = open({ path: dir, maxDbs: 16 });
  try {
    const store = StateStore.open(env, {});
    const entries: [Bytes, Bytes][] = [];
    for (let i = 0; i < 40; i++) entries.push([utf8(`key-${i}`), utf8(`value-${i}`)]);
    entries.push([utf8('empty-value'), new Uint8Array(0)]);
    entries.push([utf8('large-value'), utf8('x'.repeat(600))]);
    entries.push([fromHex('0x00ff'), fromHex('0x01')]);
    const ws = store.working();
    for (const [k, v] of entries) ws.set(k, v);
    await store.commit(ws, 1);
    const root = store.root(1);
    const keyText = (k: Bytes) => toHex(k);
    const proofOf = (k: Bytes) => store.getWithProof(k, 1);
    const present = [utf8('key-0'), utf8('key-17'), utf8('key-39'), utf8('empty-value'), utf8('large-value'), fromHex('0x00ff')].map((k) => {
      const { value, proof } = proofOf(k);
      return { key: keyText(k), value: toHex(value!), proof, bytes: toHex(encodeProof(proof)) };
    });
    // absent keys with an empty terminal and with a leaf terminal
    const absent: { key: Hex; terminal: string; proof: StateProof; bytes: Hex }[] = [];
    for (let i = 0; absent.filter((a) => a.terminal === 'leaf').length < 2 || absent.filter((a) => a.terminal === 'empty').length < 2; i++) {
      const k = utf8(`absent-${i}`);
      const { value, proof } = proofOf(k);
      check(value === undefined, 'absent key present');
      const terminal = proof.leaf ? 'leaf' : 'empty';
      if (absent.filter((a) => a.terminal === terminal).length < 2) absent.push({ key: keyText(k), terminal, proof, bytes: toHex(encodeProof(proof)) });
    }
    // checks: membership / non-membership verdicts of the implementation, on JSON and byte forms
    type Check = { name: string; kind: 'membership' | 'non-membership'; root: Hex; key: Hex; value?: Hex; proof?: StateProof; bytes?: Hex; expected: { ok: boolean; error?: string | null } };
    const checks: Check[] = [];
    const run = (c: Omit<Check, 'expected'>): void => {
      const p: StateProof | Bytes = c.bytes !== undefined ? fromHex(c.bytes) : c.proof!;
      const r = outcome(() => {
        const proof = p instanceof Uint8Array ? decodeProof(p) : p;
        if (c.kind === 'membership') verifyMembership(c.root, fromHex(c.key), fromHex(c.value!), proof);
        else verifyNonMembership(c.root, fromHex(c.key), proof);
      });
      checks.push({ ...c, expected: r.ok ? { ok: true } : { ok: false, error: r.error } });
    };
    const p0 = present[1];
    const a0 = absent.find((a) => a.terminal === 'leaf')!;
    const e0 = absent.find((a) => a.terminal === 'empty')!;
    run({ name: 'membership (JSON form)', kind: 'membership', root, key: p0.key, value: p0.value, proof: p0.proof });
    run({ name: 'membership (byte form)', kind: 'membership', root, key: p0.key, value: p0.value, bytes: p0.bytes });
    run({ name: 'membership of an empty value', kind: 'membership', root, key: present[3].key, value: present[3].value, proof: present[3].proof });
    run({ name: 'membership of a value over 512 bytes', kind: 'membership', root, key: present[4].key, value: present[4].value, bytes: present[4].bytes });
    run({ name: 'absence, leaf terminal (JSON form)', kind: 'non-membership', root, key: a0.key, proof: a0.proof });
    run({ name: 'absence, leaf terminal (byte form)', kind: 'non-membership', root, key: a0.key, bytes: a0.bytes });
    run({ name: 'absence, empty terminal (JSON form)', kind: 'non-membership', root, key: e0.key, proof: e0.proof });
    run({ name: 'absence, empty terminal (byte form)', kind: 'non-membership', root, key: e0.key, bytes: e0.bytes });
    run({ name: 'root in upper-case hex', kind: 'membership', root: root.toUpperCase().replace('0X', '0x'), key: p0.key, value: p0.value, proof: p0.proof });
    run({ name: 'wrong value', kind: 'membership', root, key: p0.key, value: toHex(utf8('value-999')), proof: p0.proof });
    run({ name: 'membership proof of another key', kind: 'membership', root, key: present[0].key, value: present[0].value, proof: p0.proof });
    run({ name: 'absence claimed for a present key', kind: 'non-membership', root, key: p0.key, proof: p0.proof });
    run({ name: 'membership claimed with an absence proof', kind: 'membership', root, key: e0.key, value: '0x', proof: e0.proof });
    run({ name: 'another root', kind: 'membership', root: label('root'), key: p0.key, value: p0.value, proof: p0.proof });
    const flip = (h: Hex) => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');
    run({ name: 'a sibling changed', kind: 'membership', root, key: p0.key, value: p0.value, proof: { ...p0.proof, siblings: [flip(p0.proof.siblings[0]), ...p0.proof.siblings.slice(1)] } });
    run({ name: 'truncated: last sibling dropped', kind: 'membership', root, key: p0.key, value: p0.value, proof: { ...p0.proof, siblings: p0.proof.siblings.slice(0, -1) } });
    run({ name: 'leaf pushed down one level (zero sibling added)', kind: 'membership', root, key: p0.key, value: p0.value, proof: { ...p0.proof, siblings: [...p0.proof.siblings, ZERO_HASH] } });
    run({ name: 'absence proof reused for another absent key off its path', kind: 'non-membership', root, key: absent.find((a) => a !== a0 && a.terminal === 'leaf')!.key, proof: a0.proof });
    run({ name: 'empty-terminal proof reused for a key with another path', kind: 'non-membership', root, key: absent.find((a) => a !== e0 && a.terminal === 'empty')!.key, proof: e0.proof });
    run({ name: 'leaf terminal changed into an empty one', kind: 'non-membership', root, key: a0.key, proof: { ...a0.proof, leaf: null } });
    // malformed byte forms
    const b = fromHex(p0.bytes);
    const withByte = (i: number, v: number) => {
      const c = Uint8Array.from(b);
      c[i] = v;
      return toHex(c);
    };
    run({ name: 'byte form: kind 2', kind: 'membership', root, key: p0.key, value: p0.value, bytes: withByte(0, 2) });
    run({ name: 'byte form: depth 257', kind: 'non-membership', root, key: e0.key, bytes: toHex(concat(Uint8Array.of(0, 1, 1), new Uint8Array(33))) });
    run({ name: 'byte form: trailing byte', kind: 'membership', root, key: p0.key, value: p0.value, bytes: toHex(concat(b, Uint8Array.of(0))) });
    run({ name: 'byte form: one byte short', kind: 'membership', root, key: p0.key, value: p0.value, bytes: toHex(b.subarray(0, b.length - 1)) });
    run({ name: 'byte form: shorter than its header', kind: 'membership', root, key: p0.key, value: p0.value, bytes: '0x0100' });
    run({ name: 'byte form: bitmap bit past the depth', kind: 'non-membership', root, key: e0.key, bytes: '0x00000140' });
    // a listed zero sibling: an empty-terminal proof of depth 1 whose one sibling is listed as zero
    run({ name: 'byte form: listed zero sibling', kind: 'non-membership', root, key: e0.key, bytes: toHex(concat(Uint8Array.of(0, 0, 1, 0x80), new Uint8Array(32))) });
    run({ name: 'JSON form: siblings not an array', kind: 'membership', root, key: p0.key, value: p0.value, proof: { siblings: 'x', leaf: p0.proof.leaf } as unknown as StateProof });
    run({ name: 'JSON form: sibling of 31 bytes', kind: 'membership', root, key: p0.key, value: p0.value, proof: { ...p0.proof, siblings: [p0.proof.siblings[0].slice(0, -2), ...p0.proof.siblings.slice(1)] } });
    run({ name: 'JSON form: leaf is a number', kind: 'membership', root, key: p0.key, value: p0.value, proof: { ...p0.proof, leaf: 5 } as unknown as StateProof });
    run({ name: 'JSON form: 257 siblings', kind: 'non-membership', root, key: e0.key, proof: { siblings: Array.from({ length: 257 }, () => ZERO_HASH), leaf: null } });
    for (const c of checks.slice(0, 9)) check(c.expected.ok, `state proof check should pass: ${c.name}`);
    for (const c of checks.slice(9)) check(!c.expected.ok, `state proof check should fail: ${c.name}`);
    // roots of small trees
    const small = async (version: number, kv: [Bytes, Bytes][]) => {
      const w = store.working();
      for (const [k] of [...(await currentEntries())]) w.delete(k);
      for (const [k, v] of kv) w.set(k, v);
      await store.commit(w, version);
      return { entries: kv.map(([k, v]) => ({ key: toHex(k), value: toHex(v) })), root: store.root(version) };
    };
    const currentEntries = async () => [...store.working().entries(new Uint8Array(0))];
    const trees = [{ entries: entries.map(([k, v]) => ({ key: toHex(k), value: toHex(v) })), root }];
    trees.push(await small(2, []));
    trees.push(await small(3, [[utf8('only'), utf8('one')]]));
    trees.push(await small(4, [[utf8('a'), utf8('1')], [utf8('b'), utf8('2')]]));
    check(trees[1].root === ZERO_HASH, 'empty root');
    check(trees[2].root === toHex(sha256(Uint8Array.of(0), sha256(utf8('only')), sha256(utf8('one')))), 'one-key root');
    write('state-proofs.json', 'docs/spec/state.md', 'Sparse Merkle state tree: complete entry sets with their roots; proofs (JSON and byte form) of present and absent keys in the first tree; membership and non-membership checks with the verdict and code.', { trees, present, absent, checks });
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- state-keys.json

function stateKeyVectors(): void {
  const addr = account(0).address;
  const v = validatorOf(0).address;
  const ch = channelId({ srcChain: 'dept-a', srcApp: 'msg', dstChain: 'dept-b', dstApp: 'msg' });
  const text = (b: Bytes) => Buffer.from(b).toString('utf8');
  const cases: { module: string; name: string; args: unknown[]; key: Bytes }[] = [
    { module: 'core', name: 'account', args: [addr], key: appKeys.account(addr) },
    { module: 'core', name: 'record', args: [addr, '0x6b6579'], key: appKeys.record(addr, '0x6b6579') },
    { module: 'core', name: 'record', args: [addr, '0x'], key: appKeys.record(addr, '0x') },
    { module: 'core', name: 'govMembers', args: [], key: appKeys.govMembers() },
    { module: 'core', name: 'govNextId', args: [], key: appKeys.govNextId() },
    { module: 'core', name: 'proposal', args: [42], key: appKeys.proposal(42) },
    { module: 'core', name: 'params', args: [], key: appKeys.params() },
    { module: 'core', name: 'scheduledValidators', args: [], key: appKeys.scheduledValidators() },
    { module: 'core', name: 'pendingValidators', args: [1234], key: appKeys.pendingValidators(1234) },
    { module: 'core', name: 'nextValidators', args: [], key: appKeys.nextValidators() },
    { module: 'core', name: 'evidence', args: [77, v], key: appKeys.evidence(77, v) },
    { module: 'bank', name: 'bankBalance', args: [addr, 'ucredit'], key: bankKeys.balance(addr, 'ucredit') },
    { module: 'bank', name: 'bankBalance', args: [escrowAccount('dept-b'), 't/dept-a/uatom'], key: bankKeys.balance(escrowAccount('dept-b'), 't/dept-a/uatom') },
    { module: 'bank', name: 'bankSupply', args: ['t/dept-a/uatom'], key: bankKeys.supply('t/dept-a/uatom') },
    { module: 'transfer-policy', name: 'outstanding', args: ['dept-a', 'dept-b', 'uatom'], key: policyKeys.outstanding('dept-a', 'dept-b', 'uatom') },
    { module: 'transfer-policy', name: 'onward', args: ['dept-b', 't/dept-a/uatom'], key: policyKeys.onward('dept-b', 't/dept-a/uatom') },
    { module: 'transfer-policy', name: 'rateLimit', args: ['dept-a', 'dept-b', 'uatom'], key: policyKeys.rateLimit('dept-a', 'dept-b', 'uatom') },
    { module: 'registry', name: 'registryChain', args: ['dept-a'], key: registryKeys.chain('dept-a') },
    { module: 'registry', name: 'pausedRoute', args: ['dept-a', 'dept-b'], key: registryKeys.pausedRoute('dept-a', 'dept-b') },
    { module: 'clients', name: 'clientState', args: ['dept-a'], key: clientKeys.state('dept-a') },
    { module: 'clients', name: 'clientConsensus', args: ['dept-a', 99], key: clientKeys.consensus('dept-a', 99) },
    { module: 'clients', name: 'clientEvidence', args: ['dept-a', 0], key: clientKeys.evidence('dept-a', 0) },
    { module: 'clients', name: 'clientMeta', args: ['dept-a'], key: clientKeys.meta('dept-a') },
    { module: 'clients/attested', name: 'attestVoter', args: ['eth-1', 5, v.toUpperCase().replace('0X', '0x')], key: attestKeys.voter('eth-1', 5, v.toUpperCase().replace('0X', '0x')) },
    { module: 'clients/attested', name: 'attestTally', args: ['eth-1', 5], key: attestKeys.tally('eth-1', 5) },
    { module: 'clients/attested', name: 'attestEquivocation', args: ['eth-1', 5, v], key: attestKeys.equivocation('eth-1', 5, v) },
    { module: 'packets', name: 'nextSend', args: [ch], key: packetKeys.nextSend(ch) },
    { module: 'packets', name: 'nextRecv', args: [ch], key: packetKeys.nextRecv(ch) },
    { module: 'packets', name: 'ordering', args: [ch], key: packetKeys.ordering(ch) },
    { module: 'packets', name: 'packetCommitment', args: [ch, 12], key: packetKeys.outbound(ch, 12) },
    { module: 'packets', name: 'packetReceipt', args: [ch, 12], key: packetKeys.receipt(ch, 12) },
    { module: 'packets', name: 'receiptBits', args: [ch, 12], key: packetKeys.receiptBits(ch, 12) },
    { module: 'packets', name: 'receiptBits', args: [ch, 300], key: packetKeys.receiptBits(ch, 300) },
    { module: 'packets', name: 'packetAck', args: [ch, 12], key: packetKeys.ack(ch, 12) },
    { module: 'packets', name: 'packetStatus', args: [ch, 12], key: packetKeys.status(ch, 12) },
    { module: 'packets', name: 'queued', args: [ch, 12], key: packetKeys.queued(ch, 12) },
    { module: 'packets', name: 'queuedIndex', args: [], key: packetKeys.queuedIndex() },
    { module: 'msg', name: 'msgInbox', args: ['dept-a', 3], key: msgKeys.inbox('dept-a', 3) },
    { module: 'msg', name: 'msgOutcome', args: ['dept-b', 3], key: msgKeys.outcome('dept-b', 3) },
  ];
  write('state-keys.json', 'docs/spec/state-keys.md', 'State keys of every module: the key function of the implementation (name, arguments) and the key text and bytes it yields.', {
    keys: cases.map((c) => ({ module: c.module, name: c.name, args: c.args, text: text(c.key), hex: toHex(c.key) })),
  });
}

// ---------------------------------------------------------------- packets.json

async function packetVectors(): Promise<void> {
  const envelope = toHex(utf8(canonicalJson({ from: account(0).address, data: toHex(utf8('hello')) })));
  const packets: [string, Packet][] = [
    ['msg packet, unordered, time timeout', { srcChain: 'dept-a', srcApp: 'msg', dstChain: 'dept-b', dstApp: 'msg', sequence: 1, ordered: false, payload: envelope, timeoutHeight: 0, timeoutTimestamp: 1_700_000_600_000 }],
    ['ordered, height timeout, empty payload', { srcChain: 'pontis-hub-1', srcApp: 'app-x', dstChain: 'eth-1', dstApp: 'sink', sequence: 2 ** 40, ordered: true, payload: '0x', timeoutHeight: 123_456, timeoutTimestamp: 0 }],
    ['both timeouts, largest values', { srcChain: 'a', srcApp: 'b', dstChain: 'c', dstApp: 'd', sequence: 2 ** 53 - 1, ordered: false, payload: '0x00ff', timeoutHeight: 2 ** 53 - 1, timeoutTimestamp: 2 ** 53 - 1 }],
  ];
  const commitments = packets.map(([name, p]) => {
    const preimage = concat(keccak256(utf8(p.srcChain)), keccak256(utf8(p.srcApp)), keccak256(utf8(p.dstChain)), keccak256(utf8(p.dstApp)), uintBE(p.sequence, 8), Uint8Array.of(p.ordered ? 1 : 0), uintBE(p.timeoutHeight, 8), uintBE(p.timeoutTimestamp, 8), keccak256(fromHex(p.payload)));
    const c = packetCommitment(p);
    check(toHex(keccak256(preimage)) === toHex(c), 'packet preimage');
    const ch = channelId(p);
    const receiptWord = `pkt/rcpt-bits/${ch}/${Math.floor(p.sequence / 256)}`;
    check(Buffer.from(packetKeys.receiptBits(ch, p.sequence)).toString('utf8') === receiptWord, 'receipt word key');
    return { name, packet: p, expected: { preimage: toHex(preimage), commitment: toHex(c), channel: ch, keys: { commitment: `pkt/out/${ch}/${p.sequence}`, receipt: `pkt/rcpt/${ch}/${p.sequence}`, receiptWord, ack: `pkt/ack/${ch}/${p.sequence}` } } };
  });
  const acks = [
    { name: 'msg success: the inbox position', ack: { ok: true as const, result: toHex(utf8('1')) } },
    { name: 'transfer success: the credited denom', ack: { ok: true as const, result: toHex(utf8(canonicalJson({ denom: 't/dept-a/uatom' }))) } },
    { name: 'success with an empty result', ack: { ok: true as const, result: '0x' } },
    { name: 'application error', ack: { ok: false as const, error: 'PNT_ERR_MSG_EMPTY' } },
    { name: 'timeout recorded by the hub', ack: { ok: false as const, error: 'PNT_ERR_PACKET_TIMEOUT' } },
  ].map((a) => {
    const bytes = encodeAck(a.ack);
    return { ...a, expected: { bytes: toHex(bytes), commitment: toHex(ackCommitment(bytes)) } };
  });
  const receipts = await receiptVectors();
  const ackBatch = ackBatchVectors(packets.map(([, p]) => p), acks.map((a) => fromHex(a.expected.bytes)));
  write(
    'packets.json',
    'docs/spec/packets.md',
    'Packet commitments (preimage and keccak256) with their channel and state keys (receipt: the receipt question; receiptWord: the key of the word holding its receipt bit); acknowledgement bytes and their commitments; receipt (the value of a per-packet receipt key, the Fabric chaincode layout). receiptWords: the key, word index, byte and mask of a sequence\'s bit and the word with only that bit; accumulated: the words a run of receipts leaves and which bits they hold; badWords: words of another length, refused. receiptAbsence: receipt questions (and keys that are none) with a proof as a Pontis light client takes it, against the root of a state holding receipt words, and the verdict and code; gatewayReceiptAbsence: the Gateway byte form for a channel and sequence against the same roots, the verdict and the contract\'s revert (from: the word and state proof the bytes were built from). ackBatch: an ack batch of the packets above with the acks in turn: its leaves (keccak256(commitment || keccak256(ack))), root, key, value (root || count) and each ack\'s index and path; bad: items whose path must not fold to the root.',
    { commitments, acks, receipt: '0x01', ...receipts, ackBatch },
  );
}

// an ack batch (packets.md, "Ack batches"): leaves, root, key and value, each item's path, and paths that must not verify
function ackBatchVectors(packets: Packet[], ackBytes: Bytes[]) {
  const items = packets.map((packet, i) => ({ packet, ack: ackBytes[i % ackBytes.length] }));
  const leaves = items.map((i) => ackLeaf(i.packet, i.ack));
  for (const [i, l] of leaves.entries()) check(toHex(l) === toHex(keccak256(concat(packetCommitment(items[i].packet), keccak256(items[i].ack)))), 'ack leaf');
  const root = merkleRoot(leaves);
  const hop = 'dept-a';
  const height = 42;
  const key = packetKeys.ackBatch(hop, height);
  check(Buffer.from(key).toString('utf8') === 'pkt/ack-batch/dept-a/0000000000000042', 'ack batch key');
  const pathOf = (i: number) => toHex(concat(...merkleProof(leaves, i).siblings));
  const proven = items.map((it, index) => {
    const path = pathOf(index);
    check(toHex(merkleRootFromProof(leaves[index], merkleProof(leaves, index))) === toHex(root), 'ack path');
    return { packet: it.packet, ack: toHex(it.ack), leaf: toHex(leaves[index]), index, path };
  });
  const bad = [
    { name: "another packet's ack at its place", packet: items[0].packet, ack: toHex(items[1].ack), index: 0, path: pathOf(0) },
    { name: 'a leaf in another leaf\'s place', packet: items[1].packet, ack: toHex(items[1].ack), index: 0, path: pathOf(0) },
    { name: 'an index beyond the batch', packet: items[2].packet, ack: toHex(items[2].ack), index: items.length, path: pathOf(2) },
    { name: 'a sibling short of 32 bytes', packet: items[0].packet, ack: toHex(items[0].ack), index: 0, path: pathOf(0).slice(0, -2) },
  ];
  return { hop, height, key: Buffer.from(key).toString('utf8'), leaves: leaves.map(toHex), root: toHex(root), count: leaves.length, value: toHex(encodeBatchValue(root, leaves.length)), items: proven, bad };
}

// receipt words (packets.md, "Receipt words") and receipt absence proofs ("Receipt absence proofs")
async function receiptVectors() {
  const A = channelId({ srcChain: 'dept-a', srcApp: 'msg', dstChain: 'dept-b', dstApp: 'msg' });
  const B = channelId({ srcChain: 'pontis-hub-1', srcApp: 'transfer', dstChain: 'eth-1', dstApp: 'bank' });
  const C = channelId({ srcChain: 'dept-c', srcApp: 'msg', dstChain: 'dept-b', dstApp: 'msg' });
  const text = (b: Bytes) => Buffer.from(b).toString('utf8');
  check(RECEIPT_BITS_PER_WORD === 256, 'bits per word');

  // one bit per sequence: the key, where the bit is, and the word holding only that bit
  const receiptWords = [0, 1, 7, 8, 9, 255, 256, 257, 511, 512, 65_535, 2 ** 53 - 1].map((sequence) => {
    const i = sequence % 256;
    const word = withReceiptBit(undefined, sequence);
    const byte = 31 - Math.floor(i / 8);
    const mask = 1 << (i % 8);
    check(word.length === 32 && word.every((x, j) => x === (j === byte ? mask : 0)), `word of ${sequence}`);
    check(BigInt(toHex(word)) === 1n << BigInt(i), `word of ${sequence} as a uint256`);
    return { channel: A, sequence, key: text(packetKeys.receiptBits(A, sequence)), hex: toHex(packetKeys.receiptBits(A, sequence)), index: Math.floor(sequence / 256), bit: i, byte, mask, word: toHex(word) };
  });
  const accumulate = (name: string, received: number[]) => {
    const words = new Map<string, Bytes>();
    for (const seq of received) {
      const k = text(packetKeys.receiptBits(A, seq));
      words.set(k, withReceiptBit(words.get(k), seq));
    }
    const probe = [0, 1, 2, 6, 7, 8, 9, 15, 16, 127, 128, 254, 255, 256, 257, 510, 511, 512, 513, 767, 768];
    return {
      name,
      channel: A,
      received,
      words: Object.fromEntries([...words].map(([k, w]) => [k, toHex(w)])),
      bits: probe.map((sequence) => ({ sequence, set: receiptBitSet(words.get(text(packetKeys.receiptBits(A, sequence))), sequence) })),
    };
  };
  const accumulated = [accumulate('sequences 1, 7, 8 and 255: one word', [1, 7, 8, 255]), accumulate('sequences 255, 256, 511, 512 and 768: four words', [255, 256, 511, 512, 768])];
  const badWords = [
    { name: '31 bytes', word: toHex(new Uint8Array(31)), sequence: 1 },
    { name: '33 bytes', word: toHex(new Uint8Array(33)), sequence: 1 },
    { name: 'empty', word: '0x', sequence: 1 },
  ].map((c) => {
    const r = outcome(() => receiptBitSet(fromHex(c.word), c.sequence));
    check(!r.ok, `bad word accepted: ${c.name}`);
    return { ...c, expected: { ok: false, error: (r as { error: string | null }).error } };
  });

  // a state holding receipt words: version 1, then version 2 with more packets received
  const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-receipts-'));
  const env = open({ path: dir, maxDbs: 16 });
  try {
    const store = StateStore.open(env, {});
    const ws1 = store.working();
    for (let i = 1; i <= 40; i++) ws1.set(packetKeys.ack(A, i), sha256(utf8(`ack-${i}`))); // the rest of a chain's state
    let wordA0: Bytes | undefined;
    for (const seq of [1, 7, 8]) wordA0 = withReceiptBit(wordA0, seq);
    ws1.set(packetKeys.receiptBits(A, 0), wordA0!);
    let wordA1: Bytes | undefined;
    for (const seq of [256, 511]) wordA1 = withReceiptBit(wordA1, seq);
    ws1.set(packetKeys.receiptBits(A, 256), wordA1!);
    ws1.set(packetKeys.receiptBits(B, 3), withReceiptBit(undefined, 3));
    await store.commit(ws1, 1);
    const ws2 = store.working();
    for (const seq of [9, 255]) wordA0 = withReceiptBit(wordA0, seq);
    ws2.set(packetKeys.receiptBits(A, 0), wordA0!);
    await store.commit(ws2, 2);
    const root1 = store.root(1);
    const root2 = store.root(2);
    const at = (key: Bytes, version: number) => {
      const { value, proof } = store.getWithProof(key, version);
      return { word: value === undefined ? null : toHex(value), proof, bytes: toHex(encodeProof(proof)) };
    };
    const w0v2 = at(packetKeys.receiptBits(A, 0), 2);
    const w0v1 = at(packetKeys.receiptBits(A, 0), 1);
    const w1 = at(packetKeys.receiptBits(A, 256), 2);
    const w2 = at(packetKeys.receiptBits(A, 600), 2); // never written
    const wB = at(packetKeys.receiptBits(B, 3), 2);
    const wC = at(packetKeys.receiptBits(C, 1), 2); // a channel never seen
    check(w2.word === null && wC.word === null && w0v2.word !== null, 'receipt state');
    const flipBit = (word: Hex, seq: number): Hex => {
      const w = fromHex(word);
      w[31 - Math.floor((seq % 256) / 8)] ^= 1 << seq % 8;
      return toHex(w);
    };

    // the JSON form, as the pontis client and attested/pontis-smt take it
    type Absence = { name: string; root: Hex; key: Hex; text: string; proof: unknown; expected: { ok: boolean; error?: string | null } };
    const receiptAbsence: Absence[] = [];
    const json = (name: string, root: Hex, key: Bytes, proof: unknown, ok: boolean): void => {
      const r = outcome(() => verifyPontisNonMembership(root, key, proof));
      check(r.ok === ok, `receipt absence ${name}: expected ${ok ? 'accepted' : 'refused'}, got ${r.ok ? 'accepted' : (r as { error: string | null }).error}`);
      receiptAbsence.push({ name, root, key: toHex(key), text: text(key), proof, expected: r.ok ? { ok: true } : { ok: false, error: (r as { error: string | null }).error } });
    };
    const q = (ch: string, seq: number) => packetKeys.receipt(ch, seq);
    json('word with the bit clear (sequence 2; 1, 7, 8, 9, 255 received)', root2, q(A, 2), { word: w0v2.word, proof: w0v2.proof }, true);
    json('word with the bit clear, state proof in byte form', root2, q(A, 2), { word: w0v2.word, proof: w0v2.bytes }, true);
    json('word with the bit clear, word in upper-case hex', root2, q(A, 254), { word: '0x' + w0v2.word!.slice(2).toUpperCase(), proof: w0v2.proof }, true);
    json('second word, bit clear (sequence 257; 256 and 511 received)', root2, q(A, 257), { word: w1.word, proof: w1.proof }, true);
    json('word absent (sequence 600: word 2 never written)', root2, q(A, 600), { word: null, proof: w2.proof }, true);
    json('word absent, state proof in byte form', root2, q(A, 600), { word: null, proof: w2.bytes }, true);
    json('word absent: a channel that never received anything', root2, q(C, 1), { word: null, proof: wC.proof }, true);
    json('sequence 9 not yet received at version 1', root1, q(A, 9), { word: w0v1.word, proof: w0v1.proof }, true);
    json('bit set: sequence 7 was received', root2, q(A, 7), { word: w0v2.word, proof: w0v2.proof }, false);
    json('bit set: sequence 255, the top bit (byte 0, 0x80)', root2, q(A, 255), { word: w0v2.word, proof: w0v2.proof }, false);
    json('bit set: sequence 511, top bit of word 1', root2, q(A, 511), { word: w1.word, proof: w1.bytes }, false);
    json('forged word: bit 7 cleared by hand', root2, q(A, 7), { word: flipBit(w0v2.word!, 7), proof: w0v2.proof }, false);
    json('forged word: all zero', root2, q(A, 7), { word: ZERO_HASH, proof: w0v2.bytes }, false);
    json('stale word: version 1 (bit 9 clear) against the version 2 root', root2, q(A, 9), { word: w0v1.word, proof: w0v1.proof }, false);
    json('word of another channel (bit 9 clear there)', root2, q(A, 9), { word: wB.word, proof: wB.proof }, false);
    json('word of another index: word 0 for sequence 263', root2, q(A, 263), { word: w0v2.word, proof: w0v2.proof }, false);
    json('word claimed absent while present', root2, q(A, 2), { word: null, proof: w0v2.proof }, false);
    json('absence of another word (word 2) for a packet of word 0', root2, q(A, 7), { word: null, proof: w2.proof }, false);
    const bare = store.getWithProof(q(A, 7), 2);
    check(bare.value === undefined, 'question key never written');
    verifyNonMembership(root2, q(A, 7), bare.proof); // a valid absence proof of the question key...
    json('bare absence proof of the question key (JSON form)', root2, q(A, 7), bare.proof, false); // ...refused
    json('bare absence proof of the question key (byte form)', root2, q(A, 7), toHex(encodeProof(bare.proof)), false);
    json('bare absence proof wrapped without a word', root2, q(A, 7), { proof: bare.proof }, false);
    json('extra member', root2, q(A, 2), { word: w0v2.word, proof: w0v2.proof, height: 2 }, false);
    json('word of 31 bytes', root2, q(A, 2), { word: w0v2.word!.slice(0, -2), proof: w0v2.proof }, false);
    json('word without 0x', root2, q(A, 2), { word: w0v2.word!.slice(2), proof: w0v2.proof }, false);
    json('word as a number', root2, q(A, 2), { word: 0, proof: w0v2.proof }, false);
    json('proof null', root2, q(A, 2), null, false);
    json('proof an array', root2, q(A, 2), [w0v2.word, w0v2.proof], false);
    json('state proof not hex', root2, q(A, 2), { word: w0v2.word, proof: '0xzz' }, false);
    // keys that are not receipt questions: plain non-membership (no Pontis chain writes them either)
    for (const [name, key] of [
      ['sequence 0 is no receipt question', utf8(`pkt/rcpt/${A}/0`)],
      ['a leading zero is no receipt question', utf8(`pkt/rcpt/${A}/07`)],
      ['a sequence above 2^53-1 is no receipt question', utf8(`pkt/rcpt/${A}/9007199254740992`)],
      ['pkt/out of the same packet: plain non-membership', packetKeys.outbound(A, 7)],
    ] as const) {
      const p = store.getWithProof(key, 2);
      check(p.value === undefined, name);
      json(`${name}: a bare absence proof holds`, root2, key, p.proof, true);
    }
    json('plain key: the wrapped form is not a state proof', root2, packetKeys.outbound(A, 7), { word: null, proof: store.getWithProof(packetKeys.outbound(A, 7), 2).proof }, false);

    // the Gateway's byte form: Gateway.sol's _verifyHubReceiptAbsent, in its order, with the
    // TypeScript checks its SmtProof library matches (test/contracts/proof.test.ts)
    const SOLIDITY: Record<string, string> = { PNT_ERR_PROOF_MALFORMED: 'ProofMalformed', PNT_ERR_PROOF_INVALID: 'ProofInvalid', PNT_ERR_PROOF_KEY_PRESENT: 'ProofKeyPresent' };
    const gatewayCheck = (root: Hex, ch: string, seq: number, bytes: Bytes): { ok: true } | { ok: false; revert: string } => {
      const key = packetKeys.receiptBits(ch, seq);
      if (bytes.length === 0) return { ok: false, revert: 'ReceiptProofMalformed' };
      const r = outcome(() => {
        if (bytes[0] === 0) return verifyNonMembershipCompact(root, key, bytes.subarray(1));
        if (bytes[0] !== 1 || bytes.length < 33) throw Object.assign(new Error('ReceiptProofMalformed'), { code: 'ReceiptProofMalformed' });
        if (receiptBitSet(bytes.subarray(1, 33), seq)) throw Object.assign(new Error('ReceiptBitSet'), { code: 'ReceiptBitSet' });
        verifyMembershipCompact(root, key, bytes.subarray(1, 33), bytes.subarray(33));
      });
      if (r.ok) return { ok: true };
      const code = (r as { error: string | null }).error ?? 'no code';
      return { ok: false, revert: SOLIDITY[code] ?? code };
    };
    type Gateway = { name: string; root: Hex; channel: string; sequence: number; bytes: Hex; from?: { word: Hex | null; proof: StateProof }; expected: { ok: boolean; revert?: string } };
    const gatewayReceiptAbsence: Gateway[] = [];
    const gw = (name: string, root: Hex, ch: string, seq: number, bytes: Hex | { word: Hex | null; proof: StateProof }, ok: boolean): void => {
      const built = typeof bytes === 'string' ? bytes : gatewayReceiptProof(bytes.word, bytes.proof);
      const r = gatewayCheck(root, ch, seq, fromHex(built));
      check(r.ok === ok, `gateway ${name}: expected ${ok ? 'accepted' : 'refused'}, got ${r.ok ? 'accepted' : (r as { revert: string }).revert}`);
      gatewayReceiptAbsence.push({ name, root, channel: ch, sequence: seq, bytes: built, ...(typeof bytes === 'string' ? {} : { from: { word: bytes.word, proof: bytes.proof } }), expected: r });
    };
    gw('0x01: word with the bit clear', root2, A, 2, { word: w0v2.word, proof: w0v2.proof }, true);
    gw('0x01: second word, bit clear', root2, A, 257, { word: w1.word, proof: w1.proof }, true);
    gw('0x00: word absent', root2, A, 600, { word: null, proof: w2.proof }, true);
    gw('0x00: a channel that never received anything', root2, C, 1, { word: null, proof: wC.proof }, true);
    gw('0x01: bit set (sequence 7)', root2, A, 7, { word: w0v2.word, proof: w0v2.proof }, false);
    gw('0x01: bit set (sequence 255, byte 0)', root2, A, 255, { word: w0v2.word, proof: w0v2.proof }, false);
    gw('0x01: forged word, bit 7 cleared by hand', root2, A, 7, { word: flipBit(w0v2.word!, 7), proof: w0v2.proof }, false);
    gw('0x01: stale word (version 1) against the version 2 root', root2, A, 9, { word: w0v1.word, proof: w0v1.proof }, false);
    gw('0x01: word of another channel', root2, A, 9, { word: wB.word, proof: wB.proof }, false);
    gw('0x00: word claimed absent while present', root2, A, 2, { word: null, proof: w0v2.proof }, false);
    gw('0x00: absence of another word', root2, A, 7, { word: null, proof: w2.proof }, false);
    gw('0x00: bare absence proof of the question key', root2, A, 7, { word: null, proof: bare.proof }, false);
    gw('bare absence proof of the question key without a form byte', root2, A, 7, toHex(encodeProof(bare.proof)), false);
    gw('empty', root2, A, 2, '0x', false);
    gw('form byte 0x02', root2, A, 2, toHex(concat(Uint8Array.of(2), fromHex(w0v2.word!), encodeProof(w0v2.proof))), false);
    gw('0x01 with a 31-byte word and nothing after', root2, A, 2, toHex(concat(Uint8Array.of(1), fromHex(w0v2.word!).subarray(1))), false);
    gw('0x01 with the word and no state proof', root2, A, 2, toHex(concat(Uint8Array.of(1), fromHex(w0v2.word!))), false);
    gw('0x01 with a trailing byte', root2, A, 2, toHex(concat(Uint8Array.of(1), fromHex(w0v2.word!), encodeProof(w0v2.proof), Uint8Array.of(0))), false);
    return { receiptWords, accumulated, badWords, receiptAbsence, gatewayReceiptAbsence };
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- genesis.json and chain.json

const SPEC_GENESIS_TIME = 1_700_000_000_000;

function specGenesis(): Genesis {
  const vals = [0, 1, 2, 3].map((i) => ({ address: validatorOf(i).address, publicKey: validatorOf(i).publicKey, power: [40, 30, 20, 10][i], name: `v${i}` }));
  return parseGenesis({
    chainId: 'spec-hub-1',
    genesisTime: SPEC_GENESIS_TIME,
    validators: vals,
    governance: { members: [{ address: account(0).address, weight: 3 }, { address: account(1).address, weight: 1 }] },
    params: { maxBlockTxs: 500, votingPeriodBlocks: 100 },
    accounts: [{ address: account(2).address, balances: [{ denom: 'ucredit', amount: '1000000' }, { denom: 'uvote', amount: '5' }] }],
  });
}

const entryJson = ([k, v]: [Bytes, Bytes]) => ({ key: toHex(k), text: Buffer.from(k).toString('utf8'), value: toHex(v) });

async function genesisVectors(genesis: Genesis): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-genesis-'));
  const env = open({ path: dir, maxDbs: 16 });
  try {
    const app = new HubApp(genesis, createModules().modules);
    const ws = StateStore.open(env, {}).working();
    const vals = new ValidatorSet(genesis.validators.map((v) => ({ address: v.address ?? '', publicKey: v.publicKey, power: v.power })));
    const exec = app.executeBlock(ws, { height: 1, time: SPEC_GENESIS_TIME + 1000, proposer: vals.proposer(0).address, validators: vals }, [], []);
    write('genesis.json', 'docs/spec/genesis.md', 'A genesis file (as parsed, defaults filled in), the complete state an empty block 1 leaves and its root, and the validator sets (with priorities) of heights 1 and 2.', {
      genesis,
      vals1: { validators: vals.validators, priorities: vals.getPriorities(), hash: vals.hash() },
      vals2: { validators: exec.nextValidators.validators, priorities: exec.nextValidators.getPriorities(), hash: exec.nextValidators.hash() },
      entries: [...ws.entries(new Uint8Array(0))].map(entryJson),
      stateRoot: ws.root(),
    });
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function chainVectors(genesis: Genesis): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-chain-'));
  const env = open({ path: dir, maxDbs: 16 });
  try {
    let chain!: Chain;
    const mempool = new Mempool(DEFAULT_MEMPOOL, genesis.chainId, (a) => chain.nonceOf(a));
    chain = new Chain(env, genesis, mempool, {});
    const keyOf = new Map<Hex, Bytes>([0, 1, 2, 3, 4].map((i) => [validatorOf(i).address, validatorKey(i)]));
    const nonces = new Map<Hex, number>();
    const submit = (i: number, msgs: TxBody['msgs'], memo?: string) => {
      const k = account(i);
      const nonce = nonces.get(k.address) ?? 0;
      nonces.set(k.address, nonce + 1);
      mempool.add(decodeTxObject(signTx({ chainId: genesis.chainId, nonce, msgs, ...(memo !== undefined ? { memo } : {}) }, k)));
    };
    const blocks: unknown[] = [];
    const validators: Record<number, Validator[]> = {};
    const states: Record<number, { root: Hex; entries: ReturnType<typeof entryJson>[] }> = {};
    const proofs: unknown[] = [];
    let lastCommit: Commit | null = null;
    let evidenceForNext: ReturnType<typeof duplicateVoteEvidence>[] = [];
    const rounds: Record<number, number> = { 3: 1 };
    for (let h = 1; h <= 7; h++) {
      if (h === 2) {
        submit(0, [{ type: 'records/put', entries: [{ key: toHex(utf8('greeting')), value: toHex(utf8('hello')) }, { key: '0x', value: '0x' }] }]);
        submit(2, [{ type: 'bank/send', to: account(3).address, denom: 'ucredit', amount: '250' }], 'é\u2028"/\u0001😀');
        submit(0, [{ type: 'records/put', entries: [{ key: '0x01', value: '0xff' }] }, { type: 'records/delete', keys: ['0x01'] }]);
      }
      if (h === 3) {
        const up = (i: number, power: number) => ({ publicKey: validatorOf(i).publicKey, power });
        submit(0, [{ type: 'gov/propose', action: { kind: 'set-validators', updates: [up(1, 35), up(2, 0), up(4, 25)] }, description: 'replace v2 by v4' }]);
      }
      if (h === 4) {
        submit(1, [{ type: 'gov/vote', proposalId: 99, approve: true }]);
        submit(2, [{ type: 'bank/send', to: account(3).address, denom: 'nothing', amount: '1' }]);
        submit(0, [{ type: 'records/delete', keys: [toHex(utf8('greeting'))] }]);
      }
      const vs = chain.validatorSet(h);
      validators[h] = [...vs.validators];
      const round = rounds[h] ?? 0;
      const proposer = vs.proposer(round).address;
      const block = await chain.createBlock({ height: h, round, proposer, time: SPEC_GENESIS_TIME + 1000 * h, lastCommit, evidence: evidenceForNext });
      const hash = headerHash(block.header);
      // every member but the last in canonical order signs (still > 2/3 of power in these sets)
      const signers = vs.validators.slice(0, vs.size - 1);
      const commit: Commit = { height: h, round, blockHash: hash, signatures: signers.map((v) => ({ validator: v.address, signature: signVote(genesis.chainId, { type: VoteType.Precommit, height: h, round, blockHash: hash }, keyOf.get(v.address)!, v.address).signature })) };
      verifyCommit(genesis.chainId, vs, commit, h, hash);
      await chain.commitBlock(block, commit);
      lastCommit = commit;
      // a double prevote at height 5 by the last validator becomes evidence in block 6
      evidenceForNext = [];
      if (h === 5) {
        const v = vs.validators[vs.size - 1];
        const vote = (b: Hex) => signVote(genesis.chainId, { type: VoteType.Prevote, height: 5, round: 0, blockHash: b }, keyOf.get(v.address)!, v.address);
        evidenceForNext = [duplicateVoteEvidence(vote(hash), vote(label('conflicting')))];
      }
      blocks.push(blockView(chain.stored(h)!));
      const all = [...chain.state.working().entries(new Uint8Array(0))];
      states[h] = { root: chain.state.root(h), entries: all.map(entryJson) };
      check(states[h].root === block.header.stateRoot, 'state root');
    }
    validators[8] = [...chain.validatorSet(8).validators];
    check((blocks[5] as { evidence: unknown[] }).evidence.length === 1, 'evidence included in block 6');
    // proofs at several heights of keys present and absent
    const prove = (text: string | Bytes, h: number) => {
      const k = typeof text === 'string' ? utf8(text) : text;
      const { value, proof } = chain.state.getWithProof(k, h);
      proofs.push({ height: h, key: toHex(k), text: Buffer.from(k).toString('utf8'), exists: value !== undefined, value: value ? toHex(value) : null, proof });
    };
    const a0 = account(0).address;
    for (const h of [1, 2, 3, 4, 7]) {
      prove(appKeys.account(a0), h);
      prove(appKeys.record(a0, toHex(utf8('greeting'))), h);
      prove(appKeys.nextValidators(), h);
    }
    prove(appKeys.record(a0, '0x'), 2);
    prove(appKeys.record(a0, '0x01'), 2);
    prove(appKeys.proposal(1), 3);
    prove(appKeys.pendingValidators(5), 3);
    prove(appKeys.params(), 1);
    prove(bankKeys.balance(account(3).address, 'ucredit'), 2);
    prove(utf8('no/such/key'), 7);
    write('chain.json', 'docs/spec/header.md', 'A deterministic chain of 7 blocks made by the implementation (4 genesis validators with powers 40/30/20/10; block 3 passes a validator change effective at 5; block 6 carries duplicate-vote evidence; block 3 is decided in round 1): blocks as GET /blocks/:height serves them, vals(h) for h = 1..8, the complete state after each height, and state proofs as GET /state?prove=true serves them.', {
      genesis,
      blocks,
      validators,
      states,
      proofs,
    });
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ----------------------------------------------------------------

canonicalJsonVectors();
headerVectors();
voteVectors();
validatorSetVectors();
commitVectors();
lightClientVectors();
ed25519Vectors();
transactionVectors();
merkleVectors();
resultsVectors();
await stateProofVectors();
stateKeyVectors();
await packetVectors();
await genesisVectors(specGenesis());
await chainVectors(specGenesis());
