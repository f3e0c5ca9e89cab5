import { readFileSync } from 'node:fs';
import { calculateStateRoot, decodeProof } from '@acala-network/chopsticks-core';
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, fromHex, toHex } from '../../../../hub-chain/crypto/bytes.ts';
import { SUB_ERR } from '../../../../hub-chain/light-clients/substrate/errors.ts';
import { EMPTY_TRIE_ROOT, type TrieVersion, blake2_256, buildReadProof, decodeNode, encodeNode, trieRoot, verifyReadProof } from '../../../../hub-chain/light-clients/substrate/trie.ts';
import { errorCode, expectCode, thrown } from '../../../support/errors.ts';

// chopsticks-core keeps one wasm worker per process and caches it: terminating it here would
// leave a dead worker to the next file of this (non-isolated) worker, so it is left running.

/** Deterministic bytes (xorshift32), so a failing shape can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    int: (n: number) => next() % n,
    bytes: (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff),
  };
}

type Entries = [Bytes, Bytes][];

/** Entry sets of the shapes the trie codec has cases for. */
function shapes(seed: number): [string, Entries][] {
  const r = rng(seed);
  const prefix = r.bytes(32); // a pallet/item prefix, as storage keys have
  const many: Entries = Array.from({ length: 300 }, () => [concat(prefix, r.bytes(1 + r.int(40))), r.bytes(r.int(70))]);
  const prefixKeys: Entries = [];
  let k: Bytes = r.bytes(3);
  for (let i = 0; i < 8; i++) {
    prefixKeys.push([k, r.bytes(r.int(50))]);
    k = concat(k, r.bytes(1 + r.int(3)));
  }
  return [
    ['empty', []],
    ['one key', [[r.bytes(8), r.bytes(4)]]],
    ['one empty key and value', [[new Uint8Array(0), new Uint8Array(0)]]],
    ['an empty value among others', [[Uint8Array.of(1, 2), new Uint8Array(0)], [Uint8Array.of(1, 3), Uint8Array.of(9)]]],
    ['keys that are prefixes of others', prefixKeys],
    ['values about the hashed-value threshold', [31, 32, 33, 34, 100].map((n, i) => [Uint8Array.of(0xaa, i), r.bytes(n)] as [Bytes, Bytes])],
    ['a 200-byte key (partial-key length past two overflow bytes)', [[r.bytes(200), r.bytes(40)]]],
    ['two long keys sharing 90 bytes', [[concat(prefix, prefix, prefix.subarray(0, 26), Uint8Array.of(1)), r.bytes(3)], [concat(prefix, prefix, prefix.subarray(0, 26), Uint8Array.of(2)), r.bytes(60)]]],
    ['small keys, tiny values (inline children)', Array.from({ length: 40 }, (_, i) => [Uint8Array.of(i % 16, i >> 4), Uint8Array.of(i)] as [Bytes, Bytes])],
    ['300 storage-like keys', many],
  ];
}

type HexStr = `0x${string}`;
const hx = (b: Bytes): HexStr => toHex(b) as HexStr;
const hexEntries = (e: Entries): [HexStr, HexStr][] => e.map(([k, v]) => [hx(k), hx(v)]);

describe('substrate trie: the root agrees with polkadot-sdk (chopsticks wasm)', () => {
  for (const version of [0, 1] as TrieVersion[]) {
    it(`behavior: trieRoot equals calculateStateRoot for every shape, state version ${version}`, async () => {
      for (const seed of [1, 2, 3]) {
        for (const [name, entries] of shapes(seed)) {
          const expected = await calculateStateRoot(hexEntries(entries), version);
          expect(toHex(trieRoot(entries, version)), `${name} (seed ${seed})`).toBe(expected);
        }
      }
    });
  }

  it('behavior: the empty trie root is blake2_256(0x00); a key given twice keeps its last value', async () => {
    expect(toHex(EMPTY_TRIE_ROOT)).toBe(await calculateStateRoot([], 0));
    const k = Uint8Array.of(7);
    expect(toHex(trieRoot([[k, Uint8Array.of(1)], [k, Uint8Array.of(2)]], 0))).toBe(toHex(trieRoot([[k, Uint8Array.of(2)]], 0)));
  });

  it('behavior: V0 and V1 roots differ exactly when a value is 33 bytes or more', () => {
    const short: Entries = [[Uint8Array.of(1), new Uint8Array(32)]];
    const long: Entries = [[Uint8Array.of(1), new Uint8Array(33)]];
    expect(toHex(trieRoot(short, 0))).toBe(toHex(trieRoot(short, 1)));
    expect(toHex(trieRoot(long, 0))).not.toBe(toHex(trieRoot(long, 1)));
  });
});

describe('substrate trie: read proofs', () => {
  it('behavior: a built proof verifies every present key to its value and absent keys to null; polkadot-sdk decodes it alike', async () => {
    for (const version of [0, 1] as TrieVersion[]) {
      for (const [name, entries] of shapes(7)) {
        if (!entries.length) continue;
        const root = trieRoot(entries, version);
        const r = rng(99);
        const present = entries.slice(0, 12).map(([k]) => k);
        const absent = [r.bytes(5), concat(entries[0][0], Uint8Array.of(0)), entries[0][0].subarray(0, Math.max(0, entries[0][0].length - 1))].filter(
          (a) => !entries.some(([k]) => toHex(k) === toHex(a)),
        );
        const proof = buildReadProof(entries, [...present, ...absent], version);
        const last = new Map(entries.map(([k, v]) => [toHex(k), v]));
        for (const k of present) expect(toHex(verifyReadProof(root, proof, k)!), name).toBe(toHex(last.get(toHex(k))!));
        for (const k of absent) expect(verifyReadProof(root, proof, k), name).toBeNull();
        // the real trie reads the same pairs out of our node set
        const decoded = await decodeProof(hx(root), proof.map(hx));
        for (const k of present) expect(decoded[hx(k)], name).toBe(toHex(last.get(toHex(k))!));
      }
    }
  });

  it('behavior: the empty trie proves every key absent; one proof of several keys is one deduplicated set', () => {
    expect(verifyReadProof(EMPTY_TRIE_ROOT, buildReadProof([], [Uint8Array.of(1)], 0), Uint8Array.of(1))).toBeNull();
    const entries = shapes(3)[9][1];
    const keys = entries.slice(0, 5).map(([k]) => k);
    const together = buildReadProof(entries, keys, 0);
    const apart = new Set(keys.flatMap((k) => buildReadProof(entries, [k], 0).map(toHex)));
    expect(together.map(toHex).sort()).toEqual([...apart].sort());
    expect(new Set(together.map(toHex)).size).toBe(together.length);
  });

  it('behavior: node codec round-trips every node of a proof', () => {
    for (const [, entries] of shapes(5)) {
      for (const n of buildReadProof(entries, entries.map(([k]) => k), 1)) {
        if (n.length && (n[0] === 0 || (n[0] & 0xc0) || (n[0] & 0xe0) === 0x20 || (n[0] & 0xf0) === 0x10)) {
          // value nodes are raw bytes; only nodes that decode are re-encoded
          let node;
          try {
            node = decodeNode(n);
          } catch {
            continue;
          }
          expect(toHex(encodeNode(node))).toBe(toHex(n));
        }
      }
    }
  });
});

describe('substrate trie: adversarial proofs', () => {
  const entries = shapes(11)[9][1].concat([[Uint8Array.of(0xee, 1), new Uint8Array(64).fill(5)]]);
  const key = entries[17][0];
  const value = entries[17][1];
  const longKey = Uint8Array.of(0xee, 1);

  for (const version of [0, 1] as TrieVersion[]) {
    const root = trieRoot(entries, version);
    const proof = buildReadProof(entries, [key, longKey], version);

    it(`error: a tampered byte in any node is refused or changes nothing, never forges (V${version})`, () => {
      for (let i = 0; i < proof.length; i++) {
        for (const at of [0, Math.floor(proof[i].length / 2), proof[i].length - 1]) {
          const bad = proof.map((n) => Uint8Array.from(n));
          bad[i][at] ^= 0x01;
          let got: Bytes | null | undefined;
          try {
            got = verifyReadProof(root, bad, key);
          } catch (e) {
            expect([SUB_ERR.PROOF_INCOMPLETE, SUB_ERR.PROOF_MALFORMED]).toContain((e as { code: string }).code);
            continue;
          }
          // the tampered node was not on the key's path: the answer is still the true value
          expect(toHex(got!)).toBe(toHex(value));
        }
      }
    });

    it(`error: a missing node makes the proof incomplete, never an absence (V${version})`, () => {
      const needed = buildReadProof(entries, [key], version);
      for (let i = 0; i < needed.length; i++) {
        const missing = needed.filter((_, j) => j !== i);
        expectCode(() => verifyReadProof(root, missing, key), SUB_ERR.PROOF_INCOMPLETE);
      }
    });

    it(`behavior: extra unrelated nodes are harmless (V${version})`, () => {
      const other = buildReadProof(shapes(12)[9][1], [shapes(12)[9][1][0][0]], version);
      expect(toHex(verifyReadProof(root, [...other, ...proof, Uint8Array.of(1, 2, 3)], key)!)).toBe(toHex(value));
    });

    it(`error: another root is refused (V${version})`, () => {
      expectCode(() => verifyReadProof(blake2_256(Uint8Array.of(1)), proof, key), SUB_ERR.PROOF_INCOMPLETE);
      expectCode(() => verifyReadProof(new Uint8Array(31), proof, key), SUB_ERR.PROOF_MALFORMED);
    });

    it(`error: no subset of the nodes shows a present key absent (V${version})`, () => {
      const r = rng(5 + version);
      for (let t = 0; t < 200; t++) {
        const subset = proof.filter(() => r.int(2) === 0);
        try {
          expect(toHex(verifyReadProof(root, subset, key)!)).toBe(toHex(value));
        } catch (e) {
          expect((e as { code: string }).code).toBe(SUB_ERR.PROOF_INCOMPLETE);
        }
      }
    });

    it(`error: a leaf with a swapped value does not lead to the root (V${version})`, () => {
      const swapped = entries.map(([k, v]) => [k, toHex(k) === toHex(key) ? Uint8Array.of(...v, 1) : v] as [Bytes, Bytes]);
      const forged = buildReadProof(swapped, [key], version);
      expectCode(() => verifyReadProof(root, forged, key), SUB_ERR.PROOF_INCOMPLETE);
    });
  }

  it('error: a V1 hashed value replaced by other bytes is missing, not accepted', () => {
    const root = trieRoot(entries, 1);
    const proof = buildReadProof(entries, [longKey], 1);
    const valueNode = new Uint8Array(64).fill(5);
    expect(proof.some((n) => toHex(n) === toHex(valueNode))).toBe(true);
    const replaced = proof.map((n) => (toHex(n) === toHex(valueNode) ? new Uint8Array(64).fill(6) : n));
    expectCode(() => verifyReadProof(root, replaced, longKey), SUB_ERR.PROOF_INCOMPLETE);
  });

  it('error: malformed nodes are refused with PNT_ERR_PROOF_MALFORMED', () => {
    const cases: [string, string][] = [
      ['trailing byte after a leaf', '0x4101' + '04' + 'aa' + '00'],
      ['branch without children', '0x80' + '0000'],
      ['odd partial with a non-zero pad nibble', '0x41' + '11' + '04aa'],
      ['truncated value', '0x4101' + '08aa'],
      ['reserved header 0x08', '0x08'],
      ['inline child of 33 bytes', '0x80' + '0100' + '84' + '00'.repeat(33)],
    ];
    for (const [name, hex] of cases) {
      const node = fromHex(hex);
      expect(errorCode(thrown(() => verifyReadProof(blake2_256(node), [node], Uint8Array.of(1)))), name).toBe(SUB_ERR.PROOF_MALFORMED);
    }
  });
});

describe('substrate trie: a published Polkadot read proof', () => {
  // vectors/polkadot-read-proof.json: a Polkadot node's state_getReadProof of one System.Account entry (state version 1: its value is a hashed-value node)
  const v = JSON.parse(readFileSync(new URL('./vectors/polkadot-read-proof.json', import.meta.url), 'utf8')) as { stateRoot: string; key: string; value: string; proof: string[] };
  const root = fromHex(v.stateRoot);
  const nodes = v.proof.map((n) => fromHex(n));

  it('behavior: verifies to the value the node returned for the key', () => {
    expect(toHex(verifyReadProof(root, nodes, fromHex(v.key))!)).toBe(v.value);
  });

  it('behavior: every trie node of the proof re-encodes to its own bytes', () => {
    const valueNode = fromHex(v.value);
    for (const n of nodes) if (toHex(n) !== toHex(valueNode)) expect(toHex(encodeNode(decodeNode(n)))).toBe(toHex(n));
  });

  it('behavior: another account under the same leaf path is shown absent; a missing value node or a wrong root is refused', () => {
    const other = fromHex(v.key);
    other[other.length - 1] ^= 1;
    expect(verifyReadProof(root, nodes, other)).toBeNull();
    expectCode(() => verifyReadProof(root, nodes.filter((n) => toHex(n) !== v.value), fromHex(v.key)), SUB_ERR.PROOF_INCOMPLETE);
    const wrong = Uint8Array.from(root);
    wrong[0] ^= 1;
    expectCode(() => verifyReadProof(wrong, nodes, fromHex(v.key)), SUB_ERR.PROOF_INCOMPLETE);
  });
});
