/**
 * The results hash: Merkle inclusion proofs of one transaction's result under a header's
 * resultsHash, and the refusals a verifier owes to tampered results and malformed proofs.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { merkleLeaf, merkleProof, merkleRoot, merkleRootFromProof } from '../../../hub-chain/crypto/merkle.ts';
import { type CommittedTxResult, blockEventsLeaf, resultsHash, txResultLeaf, txResultProof, verifyTxResult } from '../../../hub-chain/types/results.ts';

const result = (i: number, code = 'ok'): CommittedTxResult => ({
  hash: toHex(Uint8Array.from({ length: 32 }, (_, k) => (i * 7 + k) & 0xff)),
  code,
  events: [{ type: 'records/put', attributes: { owner: `0x${i.toString(16).padStart(40, '0')}`, count: String(i) } }],
});
const blockEvents = [{ type: 'evidence', attributes: { height: '3' } }];
const results = (n: number) => Array.from({ length: n }, (_, i) => result(i, i % 3 === 0 ? 'PNT_ERR_X' : 'ok'));

describe('merkle inclusion proofs', () => {
  it('behavior: every index of lists of 1..33 items proves to the root', () => {
    for (let n = 1; n <= 33; n++) {
      const items = Array.from({ length: n }, (_, i) => utf8(`item ${i}`));
      const root = toHex(merkleRoot(items));
      for (let i = 0; i < n; i++) expect(toHex(merkleRootFromProof(items[i], merkleProof(items, i)))).toBe(root);
    }
  });

  it('error: a proof with its index, total or siblings changed does not lead to the root', () => {
    const items = Array.from({ length: 11 }, (_, i) => utf8(`item ${i}`));
    const root = toHex(merkleRoot(items));
    const p = merkleProof(items, 4);
    const reaches = (q: typeof p) => {
      try {
        return toHex(merkleRootFromProof(items[4], q)) === root;
      } catch (e) {
        expect((e as { code: string }).code).toBe('PNT_ERR_MERKLE_PROOF');
        return false;
      }
    };
    expect(reaches(p)).toBe(true);
    expect(reaches({ ...p, index: 5 })).toBe(false);
    expect(reaches({ ...p, index: 11 })).toBe(false);
    expect(reaches({ ...p, index: -1 })).toBe(false);
    // total shapes the path only where a level's last node is promoted: 9..12 items share item 4's path (so do 13..16)
    expect(reaches({ ...p, total: 12 })).toBe(true);
    expect(reaches({ ...p, total: 5 })).toBe(false);
    expect(reaches({ ...p, total: 17 })).toBe(false);
    expect(reaches({ ...p, total: 0 })).toBe(false);
    expect(reaches({ ...p, siblings: p.siblings.slice(1) })).toBe(false);
    expect(reaches({ ...p, siblings: [...p.siblings, p.siblings[0]] })).toBe(false);
    expect(reaches({ ...p, siblings: [p.siblings[1], p.siblings[0], ...p.siblings.slice(2)] })).toBe(false);
    const flipped = p.siblings.map((s) => Uint8Array.from(s));
    flipped[2][31] ^= 1;
    expect(reaches({ ...p, siblings: flipped })).toBe(false);
    // an inner node is not a leaf: the 0x00/0x01 prefixes keep levels apart
    expect(toHex(merkleRootFromProof(merkleLeaf(items[4]), { index: 0, total: 1, siblings: [] }))).not.toBe(root);
  });
});

describe('transaction results under a header', () => {
  it('behavior: each result of a block proves against resultsHash; the block events sit in the last leaf', () => {
    for (const n of [0, 1, 2, 5, 16, 17]) {
      const rs = results(n);
      const root = resultsHash(rs, blockEvents);
      expect(root).toBe(toHex(merkleRoot([...rs.map(txResultLeaf), blockEventsLeaf(blockEvents)])));
      for (let i = 0; i < n; i++) verifyTxResult(root, rs[i], txResultProof(rs, blockEvents, i));
    }
    // an empty block still commits to its (empty) block events
    expect(resultsHash([], [])).toBe(toHex(merkleRoot([utf8('{"events":[]}')])));
  });

  it('error: a changed code, event, hash, or a result of another block is refused', () => {
    const rs = results(6);
    const root = resultsHash(rs, blockEvents);
    const proof = txResultProof(rs, blockEvents, 2);
    const refused = (r: CommittedTxResult, p = proof, h = root) => {
      try {
        verifyTxResult(h, r, p);
        return 'accepted';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(refused(rs[2])).toBe('accepted');
    expect(refused({ ...rs[2], code: 'ok' === rs[2].code ? 'PNT_ERR_X' : 'ok' })).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    expect(refused({ ...rs[2], events: [] })).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    expect(refused({ ...rs[2], events: [{ type: 'records/put', attributes: { ...rs[2].events[0].attributes, count: '99' } }] })).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    expect(refused({ ...rs[2], hash: rs[3].hash })).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    expect(refused(rs[3])).toBe('PNT_ERR_RESULT_PROOF_INVALID'); // right result, wrong position
    expect(refused(rs[2], proof, resultsHash(results(7), blockEvents))).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    expect(refused(rs[2], { ...proof, siblings: proof.siblings.map((s, i) => (i === 0 ? `0x${'00'.repeat(32)}` : s)) })).toBe('PNT_ERR_RESULT_PROOF_INVALID');
    expect(refused(rs[2], { ...proof, siblings: [...proof.siblings, proof.siblings[0]] })).toBe('PNT_ERR_MERKLE_PROOF');
    expect(refused(rs[2], { ...proof, siblings: ['0x1234'] })).toBe('PNT_ERR_MERKLE_PROOF');
    // the last leaf holds the block events and never a transaction
    expect(refused(rs[2], { ...proof, index: proof.total - 1 })).toBe('PNT_ERR_MERKLE_PROOF');
    expect(refused(rs[2], { ...proof, index: proof.total })).toBe('PNT_ERR_MERKLE_PROOF');
  });

  it('behavior: the free-text log is not committed; code and events are', () => {
    const r = result(1);
    expect(resultsHash([{ ...r, log: 'one message' } as CommittedTxResult], [])).toBe(resultsHash([{ ...r, log: 'another' } as CommittedTxResult], []));
    expect(resultsHash([r], [])).not.toBe(resultsHash([{ ...r, code: 'PNT_ERR_Y' }], []));
  });
});
