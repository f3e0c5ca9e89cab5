/**
 * Substrate block headers (sp-runtime's generic Header with a u32 number and blake2-256): SCALE
 * decode and encode, the block hash (blake2_256 of the encoding), parent links, and the GRANDPA
 * authority-set changes a header announces in its `Consensus(*b"FRNK", ConsensusLog)` digests.
 */
import { type Bytes, type Hex, concat, equalBytes, fromHex, latin1Id, toHex } from '../../crypto/bytes.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { ScaleReader, encodeCompact, encodeU32, encodeU64, encodeVec, encodeVecBytes } from './scale.ts';
import { blake2_256 } from './trie.ts';

export type DigestItem =
  | { kind: 'Other'; data: Bytes }
  | { kind: 'Consensus' | 'Seal' | 'PreRuntime'; engine: string; data: Bytes }
  | { kind: 'RuntimeEnvironmentUpdated' };

export interface SubstrateHeader {
  parentHash: Bytes;
  number: number;
  stateRoot: Bytes;
  extrinsicsRoot: Bytes;
  digest: DigestItem[];
}

// DigestItem's SCALE indices (2 and 7 were the retired changes-trie items).
const DIGEST_INDEX = { Other: 0, Consensus: 4, Seal: 5, PreRuntime: 6, RuntimeEnvironmentUpdated: 8 } as const;
const MAX_BLOCK_NUMBER = 0xffffffff;

const malformed = (msg: string, cause?: unknown) => new SubstrateClientError(SUB_ERR.HEADER_MALFORMED, msg, cause === undefined ? {} : { cause });

function readDigestItem(r: ScaleReader): DigestItem {
  const tag = r.u8();
  switch (tag) {
    case DIGEST_INDEX.Other:
      return { kind: 'Other', data: r.vecBytes() };
    case DIGEST_INDEX.Consensus:
    case DIGEST_INDEX.Seal:
    case DIGEST_INDEX.PreRuntime: {
      const kind = tag === 4 ? 'Consensus' : tag === 5 ? 'Seal' : 'PreRuntime';
      return { kind, engine: latin1Id(r.take(4)), data: r.vecBytes() };
    }
    case DIGEST_INDEX.RuntimeEnvironmentUpdated:
      return { kind: 'RuntimeEnvironmentUpdated' };
    default:
      throw malformed(`digest item tag ${tag}`);
  }
}

/** Reads one header from `r` (justifications carry headers inside other SCALE). */
export function readHeader(r: ScaleReader): SubstrateHeader {
  const parentHash = r.take(32);
  const number = r.compactNumber(MAX_BLOCK_NUMBER);
  const stateRoot = r.take(32);
  const extrinsicsRoot = r.take(32);
  const digest = r.vec(readDigestItem);
  return { parentHash, number, stateRoot, extrinsicsRoot, digest };
}

export function decodeHeader(bytes: Bytes | Hex): SubstrateHeader {
  const b = typeof bytes === 'string' ? fromHex(bytes) : bytes;
  try {
    const r = new ScaleReader(b);
    const h = readHeader(r);
    r.end('header');
    return h;
  } catch (e) {
    if (e instanceof SubstrateClientError && e.code === SUB_ERR.HEADER_MALFORMED) throw e;
    throw malformed(`not a Substrate header: ${(e as Error).message}`, e);
  }
}

const latin1Bytes = (s: string): Bytes => Uint8Array.from(s, (c) => c.charCodeAt(0));

export function encodeDigestItem(d: DigestItem): Bytes {
  const tag = Uint8Array.of(DIGEST_INDEX[d.kind]);
  if (d.kind === 'RuntimeEnvironmentUpdated') return tag;
  if (d.kind === 'Other') return concat(tag, encodeVecBytes(d.data));
  return concat(tag, latin1Bytes(d.engine), encodeVecBytes(d.data));
}

export function encodeHeader(h: SubstrateHeader): Bytes {
  return concat(h.parentHash, encodeCompact(h.number), h.stateRoot, h.extrinsicsRoot, encodeVec(h.digest, encodeDigestItem));
}

export const headerHash = (h: SubstrateHeader): Bytes => blake2_256(encodeHeader(h));

/** The header as a node's `chain_getHeader` gives it (hex fields, hex number, each digest log SCALE-encoded). */
export interface RpcHeader {
  parentHash: Hex;
  number: Hex;
  stateRoot: Hex;
  extrinsicsRoot: Hex;
  digest: { logs: Hex[] };
}

export function headerFromRpc(h: RpcHeader): SubstrateHeader {
  try {
    const number = Number(BigInt(h.number));
    if (!Number.isSafeInteger(number) || number > MAX_BLOCK_NUMBER) throw malformed(`block number ${h.number}`);
    const digest = h.digest.logs.map((l) => {
      const r = new ScaleReader(fromHex(l));
      const d = readDigestItem(r);
      r.end('digest item');
      return d;
    });
    return { parentHash: fromHex(h.parentHash, 32), number, stateRoot: fromHex(h.stateRoot, 32), extrinsicsRoot: fromHex(h.extrinsicsRoot, 32), digest };
  } catch (e) {
    if (e instanceof SubstrateClientError && e.code === SUB_ERR.HEADER_MALFORMED) throw e;
    throw malformed(`the node's header does not decode: ${(e as Error).message}`, e);
  }
}

/** The node's header, checked to hash to the block hash it reports. */
export function verifiedHeaderFromRpc(h: RpcHeader, blockHash: Hex): SubstrateHeader {
  const header = headerFromRpc(h);
  const got = toHex(headerHash(header));
  if (got !== blockHash.toLowerCase()) throw new SubstrateClientError(SUB_ERR.HEADER_HASH_MISMATCH, `header hashes to ${got}, the node says ${blockHash}`, { details: { number: header.number } });
  return header;
}

/** `child` extends `parent` (number + 1 and parentHash = parent's hash). */
export function checkParentLink(parent: SubstrateHeader, child: SubstrateHeader): void {
  if (child.number !== parent.number + 1 || !equalBytes(child.parentHash, headerHash(parent))) {
    throw new SubstrateClientError(SUB_ERR.HEADER_NOT_CHILD, `header ${child.number} does not extend header ${parent.number}`);
  }
}

// ---- GRANDPA authority-set changes (sp-consensus-grandpa ConsensusLog) ----

export const GRANDPA_ENGINE = 'FRNK';

export interface Authority {
  /** ed25519 public key. */
  id: Bytes;
  weight: bigint;
}

export type AuthorityChange =
  /** Takes effect when the block `delay` after the announcing one is finalized. */
  | { kind: 'scheduled'; authorities: Authority[]; delay: number }
  /** Takes effect `delay` blocks after the announcing one once blocks up to `median` are finalized. */
  | { kind: 'forced'; median: number; authorities: Authority[]; delay: number };

const readAuthority = (r: ScaleReader): Authority => ({ id: r.take(32), weight: r.u64() });

/** The authority-set changes announced by `header`'s FRNK consensus digests (OnDisabled, Pause and Resume are not changes of the set). */
export function authorityChanges(header: SubstrateHeader): AuthorityChange[] {
  const out: AuthorityChange[] = [];
  for (const d of header.digest) {
    if (d.kind !== 'Consensus' || d.engine !== GRANDPA_ENGINE) continue;
    try {
      const r = new ScaleReader(d.data);
      const tag = r.u8();
      if (tag === 1) out.push({ kind: 'scheduled', authorities: r.vec(readAuthority), delay: r.u32() });
      else if (tag === 2) {
        const median = r.u32();
        out.push({ kind: 'forced', median, authorities: r.vec(readAuthority), delay: r.u32() });
      } else if (tag === 3) r.u64();
      else if (tag === 4 || tag === 5) r.u32();
      else throw malformed(`GRANDPA consensus log tag ${tag}`);
      r.end('GRANDPA consensus log');
    } catch (e) {
      if (e instanceof SubstrateClientError && e.code === SUB_ERR.HEADER_MALFORMED) throw e;
      throw malformed(`GRANDPA consensus log does not decode: ${(e as Error).message}`, e);
    }
  }
  return out;
}

/** The FRNK digest announcing a scheduled change (tests and tools build headers with it). */
export function scheduledChangeDigest(authorities: Authority[], delay: number): DigestItem {
  const data = concat(Uint8Array.of(1), encodeVec(authorities, (a) => concat(a.id, encodeU64(a.weight))), encodeU32(delay));
  return { kind: 'Consensus', engine: GRANDPA_ENGINE, data };
}
