/**
 * A GRANDPA-finalized Substrate chain built in-process for the `substrate` client's tests:
 * ed25519 authority keys generated here, headers whose state roots are real tries (trie.ts, held
 * to polkadot-sdk by trie.test.ts) holding `Timestamp.Now` and whatever entries a test adds, and
 * justifications signed by the chosen authorities.
 */
import { type Bytes, type Hex, concat, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { type AccountKey, accountKeyFromSeed, signMessage } from '../../../../hub-chain/crypto/ed25519.ts';
import { type GrandpaJustification, encodeJustification, precommitPayload } from '../../../../hub-chain/light-clients/substrate/grandpa.ts';
import { type DigestItem, type SubstrateHeader, encodeHeader, headerHash } from '../../../../hub-chain/light-clients/substrate/header.ts';
import { encodeU64 } from '../../../../hub-chain/light-clients/substrate/scale.ts';
import { TIMESTAMP_NOW_KEY } from '../../../../hub-chain/light-clients/substrate/storage.ts';
import { EMPTY_TRIE_ROOT, blake2_256, buildReadProof, trieRoot } from '../../../../hub-chain/light-clients/substrate/trie.ts';

export const authorityKeys = (tag: string, n: number): AccountKey[] => Array.from({ length: n }, (_, i) => accountKeyFromSeed(blake2_256(utf8(`${tag}/${i}`))));

export const authoritiesParam = (keys: AccountKey[], weight = 1) => keys.map((k) => ({ id: toHex(k.publicKey), weight: String(weight) }));

export interface Block {
  header: SubstrateHeader;
  hash: Bytes;
  entries: [Bytes, Bytes][];
  timestamp: number;
}

/** A block with `Timestamp.Now` = `timestamp` and `entries` in its state. */
export function block(parent: { hash: Bytes; number: number } | null, timestamp: number, entries: [Bytes, Bytes][] = [], digest: DigestItem[] = [], number?: number): Block {
  const all: [Bytes, Bytes][] = [[TIMESTAMP_NOW_KEY, encodeU64(timestamp)], ...entries];
  const header: SubstrateHeader = {
    parentHash: parent ? parent.hash : new Uint8Array(32),
    number: number ?? (parent ? parent.number + 1 : 0),
    stateRoot: trieRoot(all, 0),
    extrinsicsRoot: EMPTY_TRIE_ROOT,
    digest: [{ kind: 'PreRuntime', engine: 'BABE', data: encodeU64(timestamp) }, ...digest],
  };
  return { header, hash: headerHash(header), entries: all, timestamp };
}

export function justification(b: Block, signers: AccountKey[], setId: bigint, round = 1n): GrandpaJustification {
  const precommit = { targetHash: b.hash, targetNumber: b.header.number };
  return {
    round,
    commit: {
      targetHash: b.hash,
      targetNumber: b.header.number,
      precommits: signers.map((k) => ({ precommit, signature: signMessage(precommitPayload(precommit, round, setId), k.secretKey), id: k.publicKey })),
    },
    votesAncestries: [],
  };
}

/** The `clients/update` message of a grandpa client for `b`, justified by `signers` in set `setId`. */
export function headerMsg(b: Block, signers: AccountKey[], setId: bigint): { header: Hex; justification: Hex; timestampProof: Hex[] } {
  return {
    header: toHex(encodeHeader(b.header)),
    justification: toHex(encodeJustification(justification(b, signers, setId))),
    timestampProof: buildReadProof(b.entries, [TIMESTAMP_NOW_KEY], 0).map(toHex),
  };
}

/** A read proof `{ nodes }` of `keys` in `b`'s state. */
export const storageProof = (b: Block, ...keys: Bytes[]) => ({ nodes: buildReadProof(b.entries, keys, 0).map(toHex) });

export const key = (s: string): Bytes => concat(utf8('pontis:'), utf8(s));
