/**
 * QBFT (Besu / GoQuorum) header trust. The header's extraData is
 *   RLP([vanity(32), [validator addresses], vote ([] or [recipient, 0xff add | "" drop]), round, [committed seals]])
 * A committed seal is a secp256k1 signature (r ‖ s ‖ v, v in {0,1}; 27/28 accepted) over
 *   keccak256(RLP(header with extraData = RLP([vanity, validators, vote, round, []])))
 * and the block's on-chain hash is keccak256 of the header with extraData
 *   RLP([vanity, validators, vote, 0, []]) (round and seals do not change the block's identity).
 * The validators listed in a block's extraData are the set that seals that block.
 */
import { type Bytes, type Hex, fromHex, toHex } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { recoverAddress, signDigest } from '../../crypto/secp256k1.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';
import { type EvmHeader, headerFields } from './header.ts';
import { type RlpItem, asBytes, asList, bigIntToRlpBytes, decodeRlp, encodeRlp, rlpToBigInt } from './rlp.ts';

export interface QbftExtra {
  vanity: Hex;
  validators: Hex[];
  /** The validator vote carried by the block, if any (recipient, add or drop). */
  vote: { recipient: Hex; add: boolean } | null;
  round: number;
  seals: Hex[];
}

const bad = (msg: string) => new EvmClientError(EVM_ERR.QBFT_EXTRA_MALFORMED, msg);

export function decodeQbftExtra(extraData: Hex | Bytes): QbftExtra {
  const l = asList(decodeRlp(typeof extraData === 'string' ? fromHex(extraData) : extraData), 'qbft extraData');
  if (l.length !== 5) throw bad(`qbft extraData with ${l.length} items (expected 5)`);
  const vanity = asBytes(l[0], 'vanity');
  if (vanity.length !== 32) throw bad(`vanity of ${vanity.length} bytes`);
  const validators = asList(l[1], 'validators').map((v) => {
    const b = asBytes(v, 'validator');
    if (b.length !== 20) throw bad(`validator address of ${b.length} bytes`);
    return toHex(b);
  });
  if (new Set(validators).size !== validators.length) throw bad('a validator is listed twice');
  const voteItems = asList(l[2], 'vote');
  let vote: QbftExtra['vote'] = null;
  if (voteItems.length !== 0) {
    if (voteItems.length !== 2) throw bad('vote must be [] or [recipient, type]');
    const recipient = asBytes(voteItems[0], 'vote recipient');
    const type = asBytes(voteItems[1], 'vote type');
    if (recipient.length !== 20) throw bad('vote recipient must be 20 bytes');
    if (!(type.length === 0 || (type.length === 1 && type[0] === 0xff))) throw bad('vote type must be 0xff (add) or empty (drop)');
    vote = { recipient: toHex(recipient), add: type.length === 1 };
  }
  const round = rlpToBigInt(l[3], 'round');
  if (round > 0xffffffffn) throw bad('round beyond 32 bits');
  const seals = asList(l[4], 'seals').map((s) => {
    const b = asBytes(s, 'seal');
    if (b.length !== 65) throw bad(`committed seal of ${b.length} bytes`);
    return toHex(b);
  });
  return { vanity: toHex(vanity), validators, vote, round: Number(round), seals };
}

export function encodeQbftExtra(e: QbftExtra): Bytes {
  const vote: RlpItem[] = e.vote ? [fromHex(e.vote.recipient, 20), e.vote.add ? Uint8Array.of(0xff) : new Uint8Array(0)] : [];
  return encodeRlp([fromHex(e.vanity, 32), e.validators.map((v) => fromHex(v, 20)), vote, bigIntToRlpBytes(BigInt(e.round)), e.seals.map((s) => fromHex(s, 65))]);
}

const withExtra = (h: EvmHeader, extra: Bytes): Bytes => encodeRlp(headerFields({ ...h, extraData: toHex(extra) }));

/** What each committer signs: the header with its round but without seals. */
export function qbftSealDigest(h: EvmHeader, e: QbftExtra = decodeQbftExtra(h.extraData)): Bytes {
  return keccak256(withExtra(h, encodeQbftExtra({ ...e, seals: [] })));
}

/** The block's hash on chain (what the next header's parentHash and eth_getBlockByNumber report). */
export function qbftBlockHash(h: EvmHeader, e: QbftExtra = decodeQbftExtra(h.extraData)): Hex {
  return toHex(keccak256(withExtra(h, encodeQbftExtra({ ...e, round: 0, seals: [] }))));
}

/** The distinct addresses that sealed the header (a seal that does not recover throws). */
export function qbftCommitters(h: EvmHeader, e: QbftExtra = decodeQbftExtra(h.extraData)): Hex[] {
  const digest = qbftSealDigest(h, e);
  const out: Hex[] = [];
  for (const s of e.seals) {
    const sig = fromHex(s, 65).slice();
    if (sig[64] < 2) sig[64] += 27; // Besu and GoQuorum encode the recovery id as 0/1
    const who = recoverAddress(digest, sig);
    if (!who) throw new EvmClientError(EVM_ERR.QBFT_SEAL_INVALID, 'a committed seal does not recover', { details: { seal: s } });
    if (out.includes(who)) throw new EvmClientError(EVM_ERR.QBFT_SEAL_INVALID, `${who} sealed twice`, { details: { committer: who } });
    out.push(who);
  }
  return out;
}

const hasTwoThirds = (count: number, of: number): boolean => count * 3 > of * 2;

/**
 * Throws unless more than 2/3 of `trusted` sealed the header, and more than 2/3 of the set the
 * header itself lists (what the chain's own validation requires). Returns the committers.
 */
export function verifyQbftSeals(h: EvmHeader, trusted: readonly Hex[]): { extra: QbftExtra; committers: Hex[] } {
  const extra = decodeQbftExtra(h.extraData);
  if (extra.validators.length === 0) throw new EvmClientError(EVM_ERR.TRUST_UNSUPPORTED, 'qbft header lists no validators (contract-based validator selection is not supported)');
  const committers = qbftCommitters(h, extra);
  const trustedSet = new Set(trusted.map((a) => a.toLowerCase()));
  const fromTrusted = committers.filter((c) => trustedSet.has(c)).length;
  const fromListed = committers.filter((c) => extra.validators.includes(c)).length;
  if (!hasTwoThirds(fromTrusted, trustedSet.size) || !hasTwoThirds(fromListed, extra.validators.length)) {
    throw new EvmClientError(EVM_ERR.QBFT_NO_QUORUM, `header ${h.number} sealed by ${fromTrusted} of ${trustedSet.size} trusted validators (${fromListed} of ${extra.validators.length} listed)`, {
      details: { number: h.number, fromTrusted, trusted: trustedSet.size, fromListed, listed: extra.validators.length },
    });
  }
  return { extra, committers };
}

/** Test and tooling helper: seals a header as committers with the given keys (v as 0/1, as Besu writes it). */
export function sealQbftHeader(h: EvmHeader, extra: Omit<QbftExtra, 'seals'>, secretKeys: readonly Bytes[]): EvmHeader {
  const unsealed = { ...extra, seals: [] };
  const digest = qbftSealDigest({ ...h, extraData: toHex(encodeQbftExtra(unsealed)) }, unsealed);
  const seals = secretKeys.map((k) => {
    const sig = signDigest(digest, k);
    sig[64] -= 27;
    return toHex(sig);
  });
  return { ...h, extraData: toHex(encodeQbftExtra({ ...extra, seals })) };
}

