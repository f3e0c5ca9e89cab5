/**
 * The spec test vectors (test/spec/vectors/*.json, docs/spec/) run two ways: the implementation
 * must reproduce every recorded value and verdict (code included), and the independent verifier,
 * written from the spec alone, must reach the same values and verdicts. The vectors are read,
 * never regenerated here (test/spec/generate-vectors.ts does that, deliberately).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { verifyMessage } from '../../hub-chain/crypto/ed25519.ts';
import { merkleLeaf, merkleProof, merkleRoot, merkleRootFromProof } from '../../hub-chain/crypto/merkle.ts';
import { recoverAddress } from '../../hub-chain/crypto/secp256k1.ts';
import { canonicalJson } from '../../hub-chain/encoding/canonical-json.ts';
import { HubApp, keys as appKeys } from '../../hub-chain/app/app.ts';
import { type Genesis } from '../../hub-chain/app/genesis.ts';
import { DEFAULT_MEMPOOL, Mempool } from '../../hub-chain/app/mempool.ts';
import { createModules } from '../../hub-chain/app/modules.ts';
import { type SignedTx, decodeTx, encodeTx, txHash, txSignBytes, verifyTxSignature } from '../../hub-chain/app/tx.ts';
import { attestKeys, attestationDigest, defaultProofKinds } from '../../hub-chain/light-clients/attested/module.ts';
import { pontisClient } from '../../hub-chain/light-clients/pontis/module.ts';
import { verifyPontisNonMembership } from '../../hub-chain/light-clients/pontis/state-proofs.ts';
import { gatewayReceiptProof } from '../../relayers/paths/evm/from-hub.ts';
import { clientKeys } from '../../hub-chain/modules/clients/store.ts';
import { msgKeys } from '../../hub-chain/modules/packets/msg-app.ts';
import { type Ack, type Packet, ackCommitment, ackLeaf, encodeAck, encodeBatchValue, packetCommitment, packetKeys, receiptBitSet, withReceiptBit } from '../../hub-chain/modules/packets/types.ts';
import { registryKeys } from '../../hub-chain/modules/registry/registry.ts';
import { bankKeys } from '../../hub-chain/modules/transfer/bank.ts';
import { policyKeys } from '../../hub-chain/modules/transfer/policy.ts';
import { verifyHeader as implVerifyHeader } from '../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import { Chain } from '../../hub-chain/node/chain.ts';
import { blockView } from '../../hub-chain/rpc/views.ts';
import { type StateProof, decodeProof, encodeProof, verifyMembership as implMembership, verifyNonMembership as implNonMembership } from '../../hub-chain/state/proof.ts';
import { StateStore } from '../../hub-chain/state/store.ts';
import { type Header, encodeHeader, headerHash } from '../../hub-chain/types/header.ts';
import { blockEventsLeaf, resultsHash, txResultLeaf, txResultProof, verifyTxResult } from '../../hub-chain/types/results.ts';
import { type Validator, ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import { type Commit, proposalDigest, verifyCommit, voteDigest } from '../../hub-chain/types/vote.ts';
import * as iv from './independent-verifier.ts';
import { bytesOf, readVectors, untag } from './vector-format.ts';
import { outcome } from '../support/errors.ts';

const val = (r: ReturnType<typeof outcome>): unknown => (r.ok ? r.value : undefined);
/** Asserts a refusal with the recorded code (or just a refusal when none was recorded). */
function expectRefused(r: ReturnType<typeof outcome>, expected: { error: string | null }, what: string): void {
  expect(r.ok, `${what} must be refused`).toBe(false);
  if (expected.error !== null) expect((r as { error: string | null }).error, what).toBe(expected.error);
}

// ---------------------------------------------------------------- canonical JSON

describe('spec vectors: canonical JSON (encoding.md)', () => {
  const v = readVectors<{ encode: { name: string; input: unknown; expected: { ok: boolean; text?: string; hex?: string; error?: string } }[]; decode: { name: string; hex: string; canonical: boolean }[] }>('canonical-json.json');

  it('implementation: every encode case gives the recorded bytes or code', () => {
    for (const c of v.encode) {
      const r = outcome(() => canonicalJson(untag(c.input)));
      if (c.expected.ok) {
        expect(r.ok, c.name).toBe(true);
        expect(toHex(utf8((r as { value: string }).value)), c.name).toBe(c.expected.hex);
      } else expectRefused(r, { error: c.expected.error ?? null }, c.name);
    }
  });

  it('independent verifier: every encode case gives the recorded bytes or code', () => {
    for (const c of v.encode) {
      const r = outcome(() => iv.canonicalBytes(untag(c.input)));
      if (c.expected.ok) {
        expect(r.ok, c.name).toBe(true);
        expect(iv.toHex(val(r) as Uint8Array), c.name).toBe(c.expected.hex);
        expect(Buffer.from(val(r) as Uint8Array).toString('utf8'), c.name).toBe(c.expected.text);
      } else expectRefused(r, { error: c.expected.error ?? null }, c.name);
    }
  });

  it('both: decode cases are canonical exactly when recorded so', () => {
    for (const c of v.decode) {
      const bytes = bytesOf(c.hex);
      const impl = outcome(() => Buffer.from(utf8(canonicalJson(JSON.parse(Buffer.from(bytes).toString('utf8'))))).equals(Buffer.from(bytes)));
      expect(impl.ok && impl.value === true, `implementation: ${c.name}`).toBe(c.canonical);
      expect(outcome(() => iv.parseCanonical(bytes)).ok, `independent: ${c.name}`).toBe(c.canonical);
    }
  });
});

// ---------------------------------------------------------------- headers

describe('spec vectors: headers (header.md)', () => {
  const v = readVectors<{ headers: { name: string; header: unknown; expected: { ok: boolean; encoding?: string; length?: number; hash?: string; error?: string | null } }[] }>('headers.json');

  it('implementation and independent verifier: encoding, length and hash, or refusal', () => {
    for (const c of v.headers) {
      const h = untag(c.header) as Header;
      const impl = outcome(() => encodeHeader(h));
      const ind = outcome(() => iv.encodeHeader(h as iv.Header));
      if (c.expected.ok) {
        expect(toHex(impl.ok ? (impl.value as Uint8Array) : new Uint8Array()), c.name).toBe(c.expected.encoding);
        expect(headerHash(h), c.name).toBe(c.expected.hash);
        expect(ind.ok && iv.toHex(val(ind) as Uint8Array), c.name).toBe(c.expected.encoding);
        expect((val(ind) as Uint8Array).length, c.name).toBe(c.expected.length);
        expect(iv.headerHash(h as iv.Header), c.name).toBe(c.expected.hash);
        expect((val(ind) as Uint8Array)[0], c.name).toBe(2);
      } else {
        expectRefused(impl, { error: c.expected.error ?? null }, `implementation: ${c.name}`);
        expect(ind.ok, `independent: ${c.name}`).toBe(false);
      }
    }
  });
});

// ---------------------------------------------------------------- votes

describe('spec vectors: vote, proposal and attestation digests (consensus.md)', () => {
  type D = { preimage?: string; digest: string; signature: string; signer: string };
  const v = readVectors<{
    votes: { name: string; chainId: string; type: number; height: number; round: number; blockHash: string; expected: D }[];
    proposals: { name: string; chainId: string; height: number; round: number; polRound: number; blockHash: string; expected: D }[];
    attestations: (iv.Attestation & { name: string; hubChainId: string; expected: D })[];
  }>('votes.json');

  it('implementation: digests and the recorded signatures recover to the signer', () => {
    for (const c of v.votes) {
      const d = voteDigest(c.chainId, c.type, c.height, c.round, c.blockHash);
      expect(toHex(d), c.name).toBe(c.expected.digest);
      expect(recoverAddress(d, fromHex(c.expected.signature)), c.name).toBe(c.expected.signer);
    }
    for (const c of v.proposals) {
      const d = proposalDigest(c.chainId, c.height, c.round, c.polRound, c.blockHash);
      expect(toHex(d), c.name).toBe(c.expected.digest);
      expect(recoverAddress(d, fromHex(c.expected.signature)), c.name).toBe(c.expected.signer);
    }
    for (const c of v.attestations) expect(toHex(attestationDigest(c.hubChainId, c)), c.name).toBe(c.expected.digest);
  });

  it('independent verifier: preimages, digests and signers', () => {
    for (const c of v.votes) {
      const d = iv.voteDigest(c.chainId, c.type, c.height, c.round, c.blockHash);
      expect(iv.toHex(iv.keccak256(bytesOf(c.expected.preimage!))), c.name).toBe(c.expected.digest);
      expect(iv.toHex(d), c.name).toBe(c.expected.digest);
      expect(iv.recoverSigner(d, bytesOf(c.expected.signature)), c.name).toBe(c.expected.signer);
    }
    for (const c of v.proposals) {
      const d = iv.proposalDigest(c.chainId, c.height, c.round, c.polRound, c.blockHash);
      expect(iv.toHex(d), c.name).toBe(c.expected.digest);
      expect(iv.recoverSigner(d, bytesOf(c.expected.signature)), c.name).toBe(c.expected.signer);
    }
    for (const c of v.attestations) {
      const d = iv.attestationDigest(c.hubChainId, c);
      expect(iv.toHex(d), c.name).toBe(c.expected.digest);
      expect(iv.recoverSigner(d, bytesOf(c.expected.signature)), c.name).toBe(c.expected.signer);
    }
  });
});

// ---------------------------------------------------------------- validator sets

describe('spec vectors: validator sets and proposer priorities (consensus.md)', () => {
  const v = readVectors<{
    valid: { name: string; input: Validator[]; expected: { canonical: Validator[]; packed: string; hash: string; totalPower: number } }[];
    invalid: { name: string; input: Validator[]; expected: { error: string | null } }[];
    priorities: { name: string; validators: Validator[]; start: number[]; expected: { roundProposers: string[]; heights: { priorities: number[]; proposer: string }[] } }[];
    changes: { name: string; validators: Validator[]; start: number[]; membership: Validator[]; expected: { validators: Validator[]; priorities: number[]; hash: string } }[];
  }>('validator-sets.json');

  it('implementation: canonical order, hash, total; refusals with their codes', () => {
    for (const c of v.valid) {
      const vs = new ValidatorSet(c.input);
      expect(vs.validators, c.name).toEqual(c.expected.canonical);
      expect(vs.hash(), c.name).toBe(c.expected.hash);
      expect(vs.totalPower, c.name).toBe(c.expected.totalPower);
    }
    for (const c of v.invalid) expectRefused(outcome(() => new ValidatorSet(c.input)), c.expected, c.name);
  });

  it('independent verifier: canonical order, packed bytes, hash; refusals with the same codes', () => {
    for (const c of v.valid) {
      expect(iv.canonicalSet(c.input), c.name).toEqual(c.expected.canonical);
      const packed = iv.concat(...c.expected.canonical.flatMap((x) => [iv.fromHex(x.address, 20), iv.uint(x.power, 8)]));
      expect(iv.toHex(packed), c.name).toBe(c.expected.packed);
      expect(iv.validatorSetHash(c.input), c.name).toBe(c.expected.hash);
      expect(iv.totalPower(c.input), c.name).toBe(c.expected.totalPower);
    }
    for (const c of v.invalid) expectRefused(outcome(() => iv.validatorSetHash(c.input)), c.expected, c.name);
  });

  it('implementation: proposers by round and by height, and membership changes', () => {
    for (const c of v.priorities) {
      let vs = new ValidatorSet(c.validators, c.start);
      expect(c.expected.roundProposers.map((_, r) => vs.proposer(r).address), c.name).toEqual(c.expected.roundProposers);
      for (const h of c.expected.heights) {
        expect(vs.getPriorities(), c.name).toEqual(h.priorities);
        expect(vs.proposer(0).address, c.name).toBe(h.proposer);
        vs = vs.nextHeightSet();
      }
    }
    for (const c of v.changes) {
      const stepped = new ValidatorSet(c.validators, c.start).nextHeightSet();
      const keep = new Set(c.membership.map((m) => m.address));
      const next = stepped.applyUpdates([...stepped.validators.filter((x) => !keep.has(x.address)).map((x) => ({ ...x, power: 0 })), ...c.membership]);
      expect(next.validators, c.name).toEqual(c.expected.validators);
      expect(next.getPriorities(), c.name).toEqual(c.expected.priorities);
    }
  });

  it('independent verifier: the same proposers, priorities and changes in exact integers', () => {
    for (const c of v.priorities) {
      let s: iv.PrioritizedSet = { validators: iv.canonicalSet(c.validators), priorities: c.start.map(BigInt) };
      expect(
        c.expected.roundProposers.map((_, r) => iv.proposerOf(s, r).address),
        c.name,
      ).toEqual(c.expected.roundProposers);
      for (const h of c.expected.heights) {
        expect(s.priorities.map(Number), c.name).toEqual(h.priorities);
        expect(iv.proposerOf(s, 0).address, c.name).toBe(h.proposer);
        s = iv.nextHeightSet(s);
      }
    }
    for (const c of v.changes) {
      const next = iv.nextValidators({ validators: iv.canonicalSet(c.validators), priorities: c.start.map(BigInt) }, c.membership);
      expect(next.validators, c.name).toEqual(c.expected.validators);
      expect(next.priorities.map(Number), c.name).toEqual(c.expected.priorities);
      expect(iv.validatorSetHash(next.validators), c.name).toBe(c.expected.hash);
    }
  });
});

// ---------------------------------------------------------------- commits

describe('spec vectors: commits (consensus.md)', () => {
  const v = readVectors<{ chainId: string; sets: Record<string, Validator[]>; cases: { name: string; set: string; height: number; blockHash: string; commit: Commit; expected: { ok: boolean; power?: number; error?: string } }[] }>('commits.json');

  it('implementation and independent verifier: the same power or the same code', () => {
    expect(v.cases.filter((c) => c.expected.ok).length).toBeGreaterThan(3);
    for (const c of v.cases) {
      const impl = outcome(() => verifyCommit(v.chainId, new ValidatorSet(v.sets[c.set]), c.commit, c.height, c.blockHash));
      const ind = outcome(() => iv.verifyCommit(v.chainId, v.sets[c.set], c.commit, c.height, c.blockHash));
      for (const [who, r] of [
        ['implementation', impl],
        ['independent', ind],
      ] as const) {
        if (c.expected.ok) expect(r, `${who}: ${c.name}`).toEqual({ ok: true, value: c.expected.power });
        else expect(r, `${who}: ${c.name}`).toEqual({ ok: false, error: c.expected.error });
      }
    }
  });
});

// ---------------------------------------------------------------- light client

describe('spec vectors: light-client verification (consensus.md)', () => {
  type Opts = { trustingPeriodMs: number; maxClockDriftMs: number; now: number; trustLevel?: { numerator: number; denominator: number } };
  const v = readVectors<{
    cases: { name: string; trusted: { header: Header; validators: Validator[]; nextValidators: Validator[] }; signedHeader: { header: Header; commit: Commit }; validators: Validator[]; nextValidators: Validator[]; options: Opts; expected: { ok: boolean; hash?: string; error?: string } }[];
  }>('light-client.json');

  it('implementation and independent verifier: the same verdict and code', () => {
    for (const c of v.cases) {
      const impl = outcome(() =>
        implVerifyHeader({ header: c.trusted.header, validators: new ValidatorSet(c.trusted.validators), nextValidators: new ValidatorSet(c.trusted.nextValidators) }, c.signedHeader, new ValidatorSet(c.validators), new ValidatorSet(c.nextValidators), c.options),
      );
      const ind = outcome(() => iv.verifyHeader(c.trusted, c.signedHeader, c.validators, c.nextValidators, c.options));
      for (const [who, r] of [
        ['implementation', impl],
        ['independent', ind],
      ] as const) {
        if (c.expected.ok) {
          expect(r.ok, `${who}: ${c.name}`).toBe(true);
          expect(headerHash(c.signedHeader.header)).toBe(c.expected.hash);
        } else expect(r, `${who}: ${c.name}`).toEqual({ ok: false, error: c.expected.error });
      }
    }
  });
});

// ---------------------------------------------------------------- ed25519

describe('spec vectors: Ed25519 rule set (transactions.md)', () => {
  const v = readVectors<{ cases: { name: string; publicKey: string; message: string; signature: string; valid: boolean; nodeCrypto: boolean | string }[] }>('ed25519.json');

  it('implementation (libsodium): accepts exactly the recorded valid signatures', () => {
    for (const c of v.cases) expect(verifyMessage(bytesOf(c.message), bytesOf(c.signature), bytesOf(c.publicKey)), c.name).toBe(c.valid);
  });

  it('independent verifier (the spec rule, written out): the same verdicts', () => {
    for (const c of v.cases) expect(iv.verifyEd25519(bytesOf(c.publicKey), bytesOf(c.message), bytesOf(c.signature)), c.name).toBe(c.valid);
  });

  it('fact: of the Taming vectors libsodium accepts only case 3, and node:crypto accepts 0, 1, 2, 3, 11 (why the rule names libsodium)', () => {
    const taming = v.cases.filter((c) => c.name.startsWith('Taming'));
    expect(taming).toHaveLength(12);
    expect(taming.filter((c) => c.valid).map((c) => c.name.split(':')[0])).toEqual(['Taming 3']);
    const spki = Buffer.from('302a300506032b6570032100', 'hex');
    const node = (c: (typeof taming)[number]) => nodeVerify(null, bytesOf(c.message), createPublicKey({ key: Buffer.concat([spki, bytesOf(c.publicKey)]), format: 'der', type: 'spki' }), bytesOf(c.signature));
    expect(taming.filter((c) => node(c)).map((c) => c.name.split(':')[0])).toEqual(['Taming 0', 'Taming 1', 'Taming 2', 'Taming 3', 'Taming 11']);
    for (const c of taming) expect(node(c), c.name).toBe(c.nodeCrypto);
  });
});

// ---------------------------------------------------------------- transactions

describe('spec vectors: transactions (transactions.md)', () => {
  type V = { name: string; tx: SignedTx; expected: { text?: string; bytes: string; hash: string; signBytes?: string; sender?: string; signatureValid: boolean } };
  const v = readVectors<{ valid: V[]; decode: { name: string; bytes: string; expected: { error: string } }[]; signatures: V[] }>('transactions.json');

  it('implementation: bytes, hash, sign bytes, sender and signature', () => {
    for (const c of [...v.valid, ...v.signatures]) {
      const bytes = encodeTx(c.tx);
      expect(toHex(bytes), c.name).toBe(c.expected.bytes);
      const d = decodeTx(bytes);
      expect(d.hash, c.name).toBe(c.expected.hash);
      expect(txHash(bytes), c.name).toBe(c.expected.hash);
      if (c.expected.signBytes) expect(toHex(txSignBytes(c.tx.body)), c.name).toBe(c.expected.signBytes);
      if (c.expected.sender) expect(d.sender, c.name).toBe(c.expected.sender);
      expect(verifyTxSignature(d), c.name).toBe(c.expected.signatureValid);
    }
    expect(v.valid.every((c) => c.expected.signatureValid)).toBe(true);
  });

  it('independent verifier: the same bytes, hash, sign bytes, sender and signature verdict', () => {
    for (const c of [...v.valid, ...v.signatures]) {
      const bytes = iv.encodeTx(c.tx as iv.SignedTx);
      expect(iv.toHex(bytes), c.name).toBe(c.expected.bytes);
      if (c.expected.text) expect(Buffer.from(bytes).toString('utf8'), c.name).toBe(c.expected.text);
      const d = iv.decodeTx(bytes);
      expect(d.hash, c.name).toBe(c.expected.hash);
      if (c.expected.signBytes) expect(iv.toHex(iv.txSignBytes(c.tx.body as iv.TxBody)), c.name).toBe(c.expected.signBytes);
      if (c.expected.sender) expect(d.sender, c.name).toBe(c.expected.sender);
      expect(iv.verifyTxSignature(c.tx as iv.SignedTx), c.name).toBe(c.expected.signatureValid);
    }
  });

  it('implementation and independent verifier: refuse every non-decoding byte string with the recorded code', () => {
    for (const c of v.decode) {
      expectRefused(outcome(() => decodeTx(bytesOf(c.bytes))), c.expected, `implementation: ${c.name}`);
      expectRefused(outcome(() => iv.decodeTx(bytesOf(c.bytes))), c.expected, `independent: ${c.name}`);
    }
  });
});

// ---------------------------------------------------------------- merkle

describe('spec vectors: list Merkle tree (merkle.md)', () => {
  type P = { index: number; total: number; siblings: string[] };
  const v = readVectors<{
    roots: { items: string[]; root: string; leaves: string[] }[];
    proofs: { total: number; index: number; item: string; root: string; proof: P }[];
    tampered: { name: string; item: string; proof: P; root: string; expected: { ok: boolean; rootFromProof?: string; matchesRoot?: boolean; error?: string } }[];
  }>('merkle.json');
  const implRootFromProof = (item: string, p: P) => toHex(merkleRootFromProof(fromHex(item), { ...p, siblings: p.siblings.map((s) => fromHex(s, 32)) }));

  it('implementation: roots, leaves and proofs of every index', () => {
    for (const r of v.roots) {
      expect(toHex(merkleRoot(r.items.map((i) => fromHex(i)))), `n=${r.items.length}`).toBe(r.root);
      expect(r.items.map((i) => toHex(merkleLeaf(fromHex(i))))).toEqual(r.leaves);
    }
    const lists = new Map(v.roots.map((r) => [r.items.length, r.items.map((i) => fromHex(i))]));
    for (const p of v.proofs) {
      expect(merkleProof(lists.get(p.total)!, p.index).siblings.map(toHex), `${p.index}/${p.total}`).toEqual(p.proof.siblings);
      expect(implRootFromProof(p.item, p.proof), `${p.index}/${p.total}`).toBe(p.root);
    }
  });

  it('independent verifier: roots and every proof lead to the root', () => {
    for (const r of v.roots) expect(iv.toHex(iv.merkleRoot(r.items.map((i) => bytesOf(i)))), `n=${r.items.length}`).toBe(r.root);
    for (const p of v.proofs) expect(iv.toHex(iv.merkleRootFromProof(bytesOf(p.item), p.proof)), `${p.index}/${p.total}`).toBe(p.root);
  });

  it('both: altered proofs lead where recorded or are refused with the recorded code', () => {
    for (const c of v.tampered) {
      for (const [who, f] of [
        ['implementation', () => implRootFromProof(c.item, c.proof)],
        ['independent', () => iv.toHex(iv.merkleRootFromProof(bytesOf(c.item), c.proof))],
      ] as const) {
        const r = outcome(f);
        if (c.expected.ok) {
          expect(r, `${who}: ${c.name}`).toEqual({ ok: true, value: c.expected.rootFromProof });
          expect(r.ok && r.value === c.root, `${who}: ${c.name}`).toBe(c.expected.matchesRoot);
        } else expect(r, `${who}: ${c.name}`).toEqual({ ok: false, error: c.expected.error });
      }
    }
  });
});

// ---------------------------------------------------------------- results

describe('spec vectors: results (results.md)', () => {
  const v = readVectors<{
    blocks: { name: string; results: (iv.TxResult & { log?: string })[]; events: iv.ResultEvent[]; expected: { leaves: string[]; resultsHash: string; proofs: { index: number; total: number; siblings: string[] }[] } }[];
    proofChecks: { name: string; resultsHash: string; result: iv.TxResult; proof: { index: number; total: number; siblings: string[] }; expected: { ok: boolean; error?: string } }[];
  }>('results.json');
  const committed = (rs: iv.TxResult[]) => rs.map((r) => ({ hash: r.hash, code: r.code, events: r.events }));

  it('implementation: leaves, resultsHash and proofs (log left out)', () => {
    for (const b of v.blocks) {
      const rs = committed(b.results);
      expect([...rs.map(txResultLeaf), blockEventsLeaf(b.events)].map((l) => Buffer.from(l).toString('utf8')), b.name).toEqual(b.expected.leaves);
      expect(resultsHash(rs, b.events), b.name).toBe(b.expected.resultsHash);
      expect(resultsHash(b.results, b.events), `${b.name}: a log does not change the hash`).toBe(b.expected.resultsHash);
      expect(
        rs.map((_, i) => txResultProof(rs, b.events, i)),
        b.name,
      ).toEqual(b.expected.proofs);
    }
  });

  it('independent verifier: the same leaves and resultsHash', () => {
    for (const b of v.blocks) {
      expect([...b.results.map(iv.txResultLeaf), iv.blockEventsLeaf(b.events)].map((l) => Buffer.from(l).toString('utf8')), b.name).toEqual(b.expected.leaves);
      expect(iv.resultsHash(b.results, b.events), b.name).toBe(b.expected.resultsHash);
    }
  });

  it('both: result proofs verify or are refused with the recorded code', () => {
    for (const c of v.proofChecks) {
      for (const [who, f] of [
        ['implementation', () => verifyTxResult(c.resultsHash, c.result, c.proof)],
        ['independent', () => iv.verifyTxResult(c.resultsHash, c.result, c.proof)],
      ] as const) {
        const r = outcome(f);
        if (c.expected.ok) expect(r.ok, `${who}: ${c.name}`).toBe(true);
        else expect(r, `${who}: ${c.name}`).toEqual({ ok: false, error: c.expected.error });
      }
    }
  });
});

// ---------------------------------------------------------------- state proofs

describe('spec vectors: state tree and proofs (state.md)', () => {
  type Check = { name: string; kind: 'membership' | 'non-membership'; root: string; key: string; value?: string; proof?: StateProof; bytes?: string; expected: { ok: boolean; error?: string } };
  const v = readVectors<{
    trees: { entries: { key: string; value: string }[]; root: string }[];
    present: { key: string; value: string; proof: StateProof; bytes: string }[];
    absent: { key: string; terminal: string; proof: StateProof; bytes: string }[];
    checks: Check[];
  }>('state-proofs.json');

  it('implementation: a store holding each entry set has the recorded root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-test-'));
    const env = open({ path: dir, maxDbs: 16 });
    try {
      for (const t of v.trees) {
        const store = StateStore.open(env, {});
        const ws = store.working();
        for (const [k] of [...ws.entries(new Uint8Array(0))]) ws.delete(k);
        for (const e of t.entries) ws.set(fromHex(e.key), fromHex(e.value));
        expect(ws.root()).toBe(t.root);
        await store.commit(ws, store.latestVersion() + 1);
      }
    } finally {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('independent verifier: recomputes every root from the entries', () => {
    for (const t of v.trees) expect(iv.stateRoot(t.entries.map((e) => [bytesOf(e.key), bytesOf(e.value)]))).toBe(t.root);
  });

  it('both: the byte form of every proof, and back', () => {
    for (const p of [...v.present, ...v.absent]) {
      expect(toHex(encodeProof(p.proof))).toBe(p.bytes);
      expect(decodeProof(fromHex(p.bytes))).toEqual(p.proof);
      expect(iv.toHex(iv.encodeProofBytes(p.proof))).toBe(p.bytes);
      expect(iv.decodeProofBytes(bytesOf(p.bytes))).toEqual(p.proof);
    }
  });

  it('both: every membership and non-membership check gives the recorded verdict and code', () => {
    expect(v.checks.filter((c) => c.expected.ok).length).toBeGreaterThan(5);
    for (const c of v.checks) {
      const impl = outcome(() => {
        const proof = c.bytes !== undefined ? decodeProof(fromHex(c.bytes)) : c.proof!;
        if (c.kind === 'membership') implMembership(c.root, fromHex(c.key), fromHex(c.value!), proof);
        else implNonMembership(c.root, fromHex(c.key), proof);
      });
      const ind = outcome(() => {
        const proof = c.bytes !== undefined ? bytesOf(c.bytes) : c.proof!;
        if (c.kind === 'membership') iv.verifyMembership(c.root, bytesOf(c.key), bytesOf(c.value!), proof);
        else iv.verifyNonMembership(c.root, bytesOf(c.key), proof);
      });
      for (const [who, r] of [
        ['implementation', impl],
        ['independent', ind],
      ] as const) {
        if (c.expected.ok) expect(r.ok, `${who}: ${c.name}`).toBe(true);
        else expect(r, `${who}: ${c.name}`).toEqual({ ok: false, error: c.expected.error });
      }
    }
  });
});

// ---------------------------------------------------------------- state keys

describe('spec vectors: state keys (state-keys.md)', () => {
  const v = readVectors<{ keys: { module: string; name: keyof typeof iv.stateKeys; args: never[]; text: string; hex: string }[] }>('state-keys.json');
  const impl: Record<string, (...a: never[]) => Uint8Array> = {
    account: appKeys.account,
    record: appKeys.record,
    govMembers: appKeys.govMembers,
    govNextId: appKeys.govNextId,
    proposal: appKeys.proposal,
    params: appKeys.params,
    scheduledValidators: appKeys.scheduledValidators,
    pendingValidators: appKeys.pendingValidators,
    nextValidators: appKeys.nextValidators,
    evidence: appKeys.evidence,
    bankBalance: bankKeys.balance,
    bankSupply: bankKeys.supply,
    outstanding: policyKeys.outstanding,
    onward: policyKeys.onward,
    rateLimit: policyKeys.rateLimit,
    registryChain: registryKeys.chain,
    pausedRoute: registryKeys.pausedRoute,
    clientState: clientKeys.state,
    clientConsensus: clientKeys.consensus,
    clientEvidence: clientKeys.evidence,
    clientMeta: clientKeys.meta,
    attestVoter: attestKeys.voter,
    attestTally: attestKeys.tally,
    attestEquivocation: attestKeys.equivocation,
    nextSend: packetKeys.nextSend,
    nextRecv: packetKeys.nextRecv,
    ordering: packetKeys.ordering,
    packetCommitment: packetKeys.outbound,
    packetReceipt: packetKeys.receipt,
    receiptBits: packetKeys.receiptBits,
    packetAck: packetKeys.ack,
    packetStatus: packetKeys.status,
    queued: packetKeys.queued,
    queuedIndex: packetKeys.queuedIndex,
    msgInbox: msgKeys.inbox,
    msgOutcome: msgKeys.outcome,
  };

  it('implementation and independent verifier: every key of every module', () => {
    const modules = new Set(v.keys.map((k) => k.module));
    expect([...modules].sort()).toEqual(['bank', 'clients', 'clients/attested', 'core', 'msg', 'packets', 'registry', 'transfer-policy']);
    for (const k of v.keys) {
      expect(toHex(impl[k.name](...k.args)), `${k.module} ${k.name}`).toBe(k.hex);
      const text = (iv.stateKeys[k.name] as (...a: never[]) => string)(...k.args);
      expect(text, `${k.module} ${k.name}`).toBe(k.text);
      expect(iv.toHex(iv.utf8(text))).toBe(k.hex);
    }
  });
});

// ---------------------------------------------------------------- packets

describe('spec vectors: packets (packets.md)', () => {
  const v = readVectors<{
    commitments: { name: string; packet: Packet; expected: { preimage: string; commitment: string; channel: string; keys: { commitment: string; receipt: string; receiptWord: string; ack: string } } }[];
    acks: { name: string; ack: Ack; expected: { bytes: string; commitment: string } }[];
    receipt: string;
    receiptWords: { channel: string; sequence: number; key: string; hex: string; index: number; bit: number; byte: number; mask: number; word: string }[];
    accumulated: { name: string; channel: string; received: number[]; words: Record<string, string>; bits: { sequence: number; set: boolean }[] }[];
    badWords: { name: string; word: string; sequence: number; expected: { ok: false; error: string } }[];
    receiptAbsence: { name: string; root: string; key: string; text: string; proof: unknown; expected: { ok: boolean; error?: string } }[];
    gatewayReceiptAbsence: { name: string; root: string; channel: string; sequence: number; bytes: string; from?: { word: string | null; proof: StateProof }; expected: { ok: boolean; revert?: string } }[];
    ackBatch: {
      hop: string;
      height: number;
      key: string;
      leaves: Hex[];
      root: Hex;
      count: number;
      value: Hex;
      items: { packet: Packet; ack: Hex; leaf: Hex; index: number; path: Hex }[];
      bad: { name: string; packet: Packet; ack: Hex; index: number; path: Hex }[];
    };
  }>('packets.json');

  it('implementation and independent verifier: an ack batch: leaves, root, key and value; every path folds to the root and none of the bad ones does', () => {
    const b = v.ackBatch;
    expect(b.items.length).toBeGreaterThan(1);
    expect(b.bad.length).toBeGreaterThan(3);
    expect(Buffer.from(packetKeys.ackBatch(b.hop, b.height)).toString('utf8')).toBe(b.key);
    expect(iv.ackBatchKey(b.hop, b.height)).toBe(b.key);
    expect(toHex(merkleRoot(b.leaves.map((l) => bytesOf(l))))).toBe(b.root);
    expect(iv.toHex(iv.merkleRoot(b.leaves.map((l) => bytesOf(l))))).toBe(b.root);
    expect(toHex(encodeBatchValue(bytesOf(b.root), b.count))).toBe(b.value);
    expect(iv.toHex(iv.batchValue(bytesOf(b.root), b.count))).toBe(b.value);
    for (const it of b.items) {
      expect(toHex(ackLeaf(it.packet, bytesOf(it.ack)))).toBe(it.leaf);
      expect(iv.toHex(iv.ackLeaf(it.packet, bytesOf(it.ack)))).toBe(it.leaf);
      expect(() => iv.verifyAckInBatch(it.packet, bytesOf(it.ack), b, it.index, it.path)).not.toThrow();
    }
    for (const c of b.bad) {
      expect(() => iv.verifyAckInBatch(c.packet, bytesOf(c.ack), b, c.index, c.path), c.name).toThrow(/PNT_ERR_PACKET_BATCH_PROOF|path|root|shape/);
    }
  });

  it('implementation and independent verifier: commitments, channel ids and keys', () => {
    for (const c of v.commitments) {
      expect(toHex(packetCommitment(c.packet)), c.name).toBe(c.expected.commitment);
      expect(iv.toHex(iv.keccak256(bytesOf(c.expected.preimage))), c.name).toBe(c.expected.commitment);
      expect(iv.toHex(iv.packetCommitment(c.packet)), c.name).toBe(c.expected.commitment);
      expect(iv.channelId(c.packet)).toBe(c.expected.channel);
      expect(Buffer.from(packetKeys.outbound(c.expected.channel, c.packet.sequence)).toString('utf8')).toBe(c.expected.keys.commitment);
      expect(iv.stateKeys.packetReceipt(iv.channelId(c.packet), c.packet.sequence)).toBe(c.expected.keys.receipt);
      expect(Buffer.from(packetKeys.receiptBits(c.expected.channel, c.packet.sequence)).toString('utf8')).toBe(c.expected.keys.receiptWord);
      expect(iv.receiptWordKey(iv.channelId(c.packet), c.packet.sequence)).toBe(c.expected.keys.receiptWord);
      expect(iv.stateKeys.packetAck(iv.channelId(c.packet), c.packet.sequence)).toBe(c.expected.keys.ack);
    }
  });

  it('implementation and independent verifier: acknowledgement bytes and commitments', () => {
    for (const c of v.acks) {
      expect(toHex(encodeAck(c.ack)), c.name).toBe(c.expected.bytes);
      expect(toHex(ackCommitment(encodeAck(c.ack))), c.name).toBe(c.expected.commitment);
      expect(iv.toHex(iv.encodeAck(c.ack)), c.name).toBe(c.expected.bytes);
      expect(iv.toHex(iv.ackCommitment(iv.encodeAck(c.ack))), c.name).toBe(c.expected.commitment);
    }
    expect(v.receipt).toBe('0x01');
  });

  it('implementation and independent verifier: receipt word keys, and the word with only one sequence\'s bit', () => {
    expect(v.receiptWords.map((w) => w.sequence)).toEqual(expect.arrayContaining([0, 7, 8, 255, 256, 511]));
    for (const w of v.receiptWords) {
      const what = `sequence ${w.sequence}`;
      expect(toHex(packetKeys.receiptBits(w.channel, w.sequence)), what).toBe(w.hex);
      expect(iv.receiptWordKey(w.channel, w.sequence), what).toBe(w.key);
      expect(iv.toHex(iv.utf8(w.key)), what).toBe(w.hex);
      expect(toHex(withReceiptBit(undefined, w.sequence)), what).toBe(w.word);
      expect(iv.toHex(iv.withReceiptBit(null, w.sequence)), what).toBe(w.word);
      // the bit's place, as packets.md spells it out
      const bytes = bytesOf(w.word);
      expect([...bytes].map((x, i) => (x === 0 ? null : [i, x])).filter((x) => x !== null), what).toEqual([[w.byte, w.mask]]);
      expect([w.index, w.bit, w.byte, w.mask]).toEqual([Math.floor(w.sequence / 256), w.sequence % 256, 31 - Math.floor((w.sequence % 256) / 8), 1 << w.sequence % 8]);
      expect(receiptBitSet(bytes, w.sequence) && iv.receiptBit(bytes, w.sequence), what).toBe(true);
    }
  });

  it('implementation and independent verifier: the words a run of receipts leaves, and which bits they hold', () => {
    for (const a of v.accumulated) {
      const impl = new Map<string, Uint8Array>();
      const ind = new Map<string, Uint8Array>();
      for (const seq of a.received) {
        const key = Buffer.from(packetKeys.receiptBits(a.channel, seq)).toString('utf8');
        impl.set(key, withReceiptBit(impl.get(key), seq));
        const k2 = iv.receiptWordKey(a.channel, seq);
        ind.set(k2, iv.withReceiptBit(ind.get(k2) ?? null, seq));
      }
      expect(Object.fromEntries([...impl].map(([k, w]) => [k, toHex(w)])), a.name).toEqual(a.words);
      expect(Object.fromEntries([...ind].map(([k, w]) => [k, iv.toHex(w)])), a.name).toEqual(a.words);
      for (const b of a.bits) {
        const word = a.words[iv.receiptWordKey(a.channel, b.sequence)];
        expect(receiptBitSet(word === undefined ? undefined : fromHex(word), b.sequence), `${a.name}: ${b.sequence}`).toBe(b.set);
        expect(word !== undefined && iv.receiptBit(bytesOf(word), b.sequence), `${a.name}: ${b.sequence}`).toBe(b.set);
      }
    }
    for (const b of v.badWords) {
      expect(outcome(() => receiptBitSet(fromHex(b.word), b.sequence)), b.name).toEqual(b.expected);
      expect(outcome(() => iv.receiptBit(bytesOf(b.word), b.sequence)), b.name).toEqual(b.expected);
    }
  });

  it('implementation (pontis client, attested pontis-smt kind) and independent verifier: receipt absence proofs in the JSON form', () => {
    const names = v.receiptAbsence.map((c) => c.name);
    for (const want of ['word with the bit clear', 'word absent', 'bit set', 'forged word', 'bare absence proof of the question key']) expect(names.some((n) => n.startsWith(want)), want).toBe(true);
    const pontisSmt = defaultProofKinds().get('pontis-smt');
    for (const c of v.receiptAbsence) {
      const key = fromHex(c.key);
      expect(Buffer.from(key).toString('utf8')).toBe(c.text);
      const verdicts = {
        'state-proofs': outcome(() => verifyPontisNonMembership(c.root, key, c.proof)),
        'pontis client': outcome(() => pontisClient.verifyNonMembership({} as never, { height: 1, timestamp: 0, root: c.root } as never, key, c.proof)),
        'attested pontis-smt': outcome(() => pontisSmt.verifyNonMembership(c.root, {} as never, key, c.proof)),
        independent: outcome(() => iv.verifyPontisNonMembership(c.root, bytesOf(c.key), c.proof)),
      };
      for (const [who, r] of Object.entries(verdicts)) {
        if (c.expected.ok) expect(r.ok, `${who}: ${c.name}`).toBe(true);
        else expect(r, `${who}: ${c.name}`).toEqual({ ok: false, error: c.expected.error });
      }
    }
  });

  it('independent verifier: the Gateway byte form, with the contract\'s revert; the relayer builds the recorded bytes', () => {
    expect(v.gatewayReceiptAbsence.filter((c) => c.expected.ok).length).toBeGreaterThanOrEqual(3);
    for (const c of v.gatewayReceiptAbsence) {
      if (c.from) expect(gatewayReceiptProof(c.from.word, c.from.proof), c.name).toBe(c.bytes);
      const r = outcome(() => iv.verifyGatewayReceiptAbsence(c.root, c.channel, c.sequence, bytesOf(c.bytes)));
      if (c.expected.ok) expect(r.ok, c.name).toBe(true);
      else expect(r, c.name).toEqual({ ok: false, error: c.expected.revert });
    }
  });
});

// ---------------------------------------------------------------- genesis

describe('spec vectors: genesis state (genesis.md)', () => {
  type Entry = { key: string; text: string; value: string };
  const v = readVectors<{ genesis: Genesis; vals1: { validators: Validator[]; priorities: number[]; hash: string }; vals2: { validators: Validator[]; priorities: number[]; hash: string }; entries: Entry[]; stateRoot: string }>('genesis.json');

  it('implementation: an empty block 1 writes exactly the recorded state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-test-'));
    const env = open({ path: dir, maxDbs: 16 });
    try {
      const ws = StateStore.open(env, {}).working();
      const vals = new ValidatorSet(v.genesis.validators.map((x) => ({ address: x.address ?? '', publicKey: x.publicKey, power: x.power })));
      const exec = new HubApp(v.genesis, createModules().modules).executeBlock(ws, { height: 1, time: v.genesis.genesisTime + 1000, proposer: vals.proposer(0).address, validators: vals }, [], []);
      expect([...ws.entries(new Uint8Array(0))].map(([k, val]) => ({ key: toHex(k), text: Buffer.from(k).toString('utf8'), value: toHex(val) }))).toEqual(v.entries);
      expect(ws.root()).toBe(v.stateRoot);
      expect(exec.nextValidators.getPriorities()).toEqual(v.vals2.priorities);
    } finally {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('independent verifier: root, genesis values and vals(2) from the spec rules', () => {
    const entries = new Map(v.entries.map((e) => [e.text, iv.fromHex(e.value)]));
    expect(iv.stateRoot(v.entries.map((e) => [iv.fromHex(e.key), iv.fromHex(e.value)]))).toBe(v.stateRoot);
    const text = (k: string) => Buffer.from(entries.get(k)!).toString('utf8');
    expect(text('gov/members')).toBe(iv.canonicalJson({ members: v.genesis.governance.members }));
    expect(text('gov/next-id')).toBe('1');
    expect(text('params')).toBe(iv.canonicalJson(v.genesis.params));
    const g = iv.genesisSet(v.genesis.validators.map((x) => ({ address: x.address ?? '', publicKey: x.publicKey, power: x.power })));
    expect(iv.validatorSetHash(g.validators)).toBe(v.vals1.hash);
    expect(text('val/scheduled')).toBe(iv.canonicalJson(g.validators));
    const next = iv.nextValidators(g);
    expect(text('val/next')).toBe(iv.canonicalJson(iv.prioritizedJson(2, next)));
    expect(next.priorities.map(Number)).toEqual(v.vals2.priorities);
    for (const acc of v.genesis.accounts ?? [])
      for (const b of acc.balances) {
        expect(text(iv.stateKeys.bankBalance(acc.address, b.denom))).toBe(b.amount);
        expect(text(iv.stateKeys.bankSupply(b.denom))).toBe(b.amount);
      }
    expect(entries.size).toBe(5 + 2 * (v.genesis.accounts ?? []).reduce((n, a) => n + a.balances.length, 0));
  });
});

// ---------------------------------------------------------------- a whole chain

describe('spec vectors: a chain of blocks (header.md, results.md, state.md, consensus.md)', () => {
  type Entry = { key: string; text: string; value: string };
  const v = readVectors<{
    genesis: Genesis;
    blocks: iv.BlockView[];
    validators: Record<string, Validator[]>;
    states: Record<string, { root: string; entries: Entry[] }>;
    proofs: { height: number; key: string; text: string; exists: boolean; value: string | null; proof: StateProof }[];
  }>('chain.json');

  it('implementation: replaying the blocks from genesis reproduces every header, result, event and state root', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-spec-test-'));
    const env = open({ path: dir, maxDbs: 16 });
    try {
      let chain!: Chain;
      const mempool = new Mempool(DEFAULT_MEMPOOL, v.genesis.chainId, (a) => chain.nonceOf(a));
      chain = new Chain(env, v.genesis, mempool, {});
      for (const b of v.blocks) {
        expect(chain.validatorSet(b.height).validators).toEqual(v.validators[b.height]);
        const block = { header: b.header, txs: b.txs.map((t) => encodeTx(t.tx as SignedTx)), evidence: b.evidence as never[], lastCommit: b.lastCommit };
        await chain.commitBlock(block, b.commit);
        expect(blockView(chain.stored(b.height)!)).toEqual(b);
        expect(chain.state.root(b.height)).toBe(v.states[b.height].root);
      }
      expect(chain.validatorSet(v.blocks.length + 1).validators).toEqual(v.validators[v.blocks.length + 1]);
    } finally {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('independent verifier: every block checks out from genesis, every state recomputes its header root, and val/next follows the priority rules', () => {
    let prev: { header: iv.Header; validators: iv.Validator[] } | undefined;
    let set = iv.genesisSet(v.genesis.validators.map((x) => ({ address: x.address ?? '', publicKey: x.publicKey, power: x.power })));
    expect(iv.canonicalSet(v.validators[1])).toEqual(set.validators);
    for (const b of v.blocks) {
      const h = b.height;
      iv.verifyBlock(b, { chainId: v.genesis.chainId, prev, genesisTime: v.genesis.genesisTime, validators: v.validators[h], nextValidators: v.validators[h + 1], validatorsAt: (x) => v.validators[x] });
      const state = v.states[h];
      expect(iv.stateRoot(state.entries.map((e) => [iv.fromHex(e.key), iv.fromHex(e.value)])), `state ${h}`).toBe(b.header.stateRoot);
      const byText = new Map(state.entries.map((e) => [e.text, iv.fromHex(e.value)]));
      // vals(h+1) = vals(h) stepped, then the membership scheduled for h+1 (readable in the state before block h+1 runs)
      const pendingBefore = h === 1 ? undefined : v.states[h - 1].entries.find((e) => e.text === iv.stateKeys.pendingValidators(h + 1));
      const scheduled = pendingBefore ? (JSON.parse(Buffer.from(iv.fromHex(pendingBefore.value)).toString('utf8')) as iv.Validator[]) : undefined;
      set = iv.nextValidators(set, scheduled);
      const rec = iv.checkNextValidatorsRecord(byText.get('val/next')!, b.header);
      expect(rec.priorities, `val/next at ${h}`).toEqual(set.priorities);
      expect(Buffer.from(byText.get('val/next')!).toString('utf8')).toBe(iv.canonicalJson(iv.prioritizedJson(h + 1, set)));
      // every included transaction bumped its sender's nonce
      for (const t of b.txs) expect(byText.has(iv.stateKeys.account(t.sender))).toBe(true);
      prev = { header: b.header, validators: v.validators[h] };
    }
    // the set change of block 3 reached the headers: 4 names it as next, 5 is signed by it
    expect(v.blocks[3].header.nextValidatorsHash).not.toBe(v.blocks[3].header.validatorsHash);
    expect(v.blocks[4].header.validatorsHash).toBe(v.blocks[3].header.nextValidatorsHash);
    expect(v.blocks[5].evidence).toHaveLength(1);
    // the evidence of block 6 recorded under ev/<5>/<validator>, and a re-cased honest vote is no evidence
    const e = v.blocks[5].evidence[0] as { voteA: iv.Vote; voteB: iv.Vote };
    expect(v.states[6].entries.find((x) => x.text === iv.stateKeys.evidence(5, e.voteA.validator))?.value).toBe(iv.toHex(iv.canonicalBytes(e)));
    const recased = { kind: 'duplicate-vote', voteA: e.voteA, voteB: { ...e.voteA, blockHash: '0x' + e.voteA.blockHash.slice(2).toUpperCase() } };
    expect(() => iv.checkEvidence(v.genesis.chainId, recased, 6, (x) => v.validators[x])).toThrow(/do not conflict/);
    expect(() => iv.checkEvidence(v.genesis.chainId, { ...e, voteB: { ...e.voteB, round: 1 } }, 6, (x) => v.validators[x])).toThrow(/PNT_ERR_BLOCK_EVIDENCE/);
    expect(v.blocks[2].commit.round).toBe(1);
  });

  it('independent verifier: every served state proof checks against its header, in JSON and byte form', () => {
    expect(v.proofs.some((p) => !p.exists)).toBe(true);
    for (const p of v.proofs) {
      const root = v.blocks[p.height - 1].header.stateRoot;
      const key = iv.fromHex(p.key);
      for (const proof of [p.proof, iv.encodeProofBytes(p.proof)]) {
        if (p.exists) iv.verifyMembership(root, key, iv.fromHex(p.value!), proof);
        else iv.verifyNonMembership(root, key, proof);
      }
      const inState = v.states[p.height].entries.find((e) => e.key === p.key);
      expect(inState?.value ?? null, `${p.text} at ${p.height}`).toBe(p.value);
    }
  });
});
