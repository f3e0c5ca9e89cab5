/**
 * `attest`: the verifier side of typed attestations on a Pontis chain (a department side-chain or
 * the hub). A packet to app `attest` carries the payload every Pontis attestation issuer sends
 * (the Fabric chaincode's `attestations`, the EVM AttestationIssuer): the ABI encoding of
 * (uint8 version = 1, string issuerChain, string issuer, bytes32 subject, bytes32 kind,
 * uint64 expiresAtMs, bool revoked). The hub proved the packet's source chain and app, so the
 * record keeps them; the payload's issuerChain must be that source chain. A revocation is final
 * for (source, issuer, subject); an expired or revoked attestation is refused with an error ack.
 * Status at a time: `valid` until expiresAtMs, then `expired`; `revoked` once revoked.
 */
import type { KVView } from '../../app/module.ts';
import { type Hex, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import { PacketError } from '../packets/types.ts';
import type { PacketApp } from '../transfer/app-interface.ts';

export const ATTEST_APP = 'attest';

export interface AttestationRecord {
  srcChain: string;
  srcApp: string;
  issuer: string;
  subject: Hex;
  /** keccak256 of the kind's name. */
  kind: Hex;
  expiresAtMs: number;
  revoked: boolean;
  /** Height and time (ms) of the last change. */
  height: number;
  time: number;
}

export type AttestationStatus = 'valid' | 'revoked' | 'expired';

/** Where the record of `issuer` on `srcChain` about `subject` lives (subject lower-case hex). */
export const attestationKey = (srcChain: string, issuer: string, subject: Hex) => utf8(`app/attest/${srcChain}/${Buffer.from(issuer, 'utf8').toString('hex')}/${subject}`);

/** The record of `issuer` on `srcChain` about `subject`, if one arrived. */
export function readAttestation(s: KVView, srcChain: string, issuer: string, subject: Hex): AttestationRecord | undefined {
  const b = s.get(attestationKey(srcChain, issuer, subject.toLowerCase() as Hex));
  return b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as AttestationRecord);
}

export function attestationStatus(r: Pick<AttestationRecord, 'revoked' | 'expiresAtMs'>, nowMs: number): AttestationStatus {
  return r.revoked ? 'revoked' : nowMs < r.expiresAtMs ? 'valid' : 'expired';
}

const bad = (why: string) => new PacketError('PNT_ERR_ATTESTATION_MALFORMED', `attestation payload: ${why}`);

/** Decodes the ABI payload (head/tail encoding of the seven fields), strictly. */
export function decodeAttestationPayload(payload: Hex): { issuerChain: string; issuer: string; subject: Hex; kind: Hex; expiresAtMs: number; revoked: boolean } {
  const b = Buffer.from(fromHex(payload));
  if (b.length < 7 * 32 || b.length % 32 !== 0 || b.length > 4096) throw bad(`${b.length} bytes`);
  const word = (i: number) => b.subarray(i * 32, i * 32 + 32);
  const uint = (w: Buffer, bytes: number) => {
    if (w.subarray(0, 32 - bytes).some((x) => x !== 0)) throw bad('an integer out of range');
    return Number(BigInt(`0x${w.subarray(32 - bytes).toString('hex') || '0'}`));
  };
  const str = (headIndex: number) => {
    const off = uint(word(headIndex), 4);
    if (off % 32 !== 0 || off + 32 > b.length) throw bad('a string offset out of range');
    const len = uint(b.subarray(off, off + 32), 4);
    if (len > 256 || off + 32 + len > b.length) throw bad('a string length out of range');
    const s = b.subarray(off + 32, off + 32 + len);
    if (b.subarray(off + 32 + len, off + 32 + Math.ceil(len / 32) * 32).some((x) => x !== 0)) throw bad('string padding is not zero');
    const text = s.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(s)) throw bad('a string is not UTF-8');
    return text;
  };
  if (uint(word(0), 1) !== 1) throw bad('version is not 1');
  const flag = uint(word(6), 1);
  if (flag > 1) throw bad('revoked is not a bool');
  const expiresAtMs = uint(word(5), 8);
  if (!Number.isSafeInteger(expiresAtMs)) throw bad('expiresAtMs out of range');
  return { issuerChain: str(1), issuer: str(2), subject: toHex(word(3)), kind: toHex(word(4)), expiresAtMs, revoked: flag === 1 };
}

export const attestApp: PacketApp = {
  name: ATTEST_APP,
  onRecv(env, p) {
    const a = decodeAttestationPayload(p.payload);
    if (a.issuerChain !== p.srcChain) throw new PacketError('PNT_ERR_ATTESTATION_CHAIN_MISMATCH', `payload names issuer chain ${a.issuerChain}, the packet comes from ${p.srcChain}`);
    const prior = readAttestation(env.store, p.srcChain, a.issuer, a.subject);
    const base = { srcChain: p.srcChain, srcApp: p.srcApp, issuer: a.issuer, subject: a.subject, height: env.height, time: env.time };
    if (a.revoked) {
      const rec: AttestationRecord = { ...base, kind: prior?.kind ?? a.kind, expiresAtMs: prior?.expiresAtMs ?? 0, revoked: true };
      env.store.set(attestationKey(p.srcChain, a.issuer, a.subject), utf8(canonicalJson(rec)));
      return toHex(utf8(canonicalJson({ subject: a.subject, status: 'revoked' })));
    }
    if (prior?.revoked) throw new PacketError('PNT_ERR_ATTESTATION_REVOKED', `${a.issuer} of ${p.srcChain} revoked its attestation of ${a.subject}`);
    if (a.expiresAtMs <= env.time) throw new PacketError('PNT_ERR_ATTESTATION_EXPIRED', `attestation expired at ${a.expiresAtMs}`);
    const rec: AttestationRecord = { ...base, kind: a.kind, expiresAtMs: a.expiresAtMs, revoked: false };
    env.store.set(attestationKey(p.srcChain, a.issuer, a.subject), utf8(canonicalJson(rec)));
    return toHex(utf8(canonicalJson({ subject: a.subject, status: 'valid' })));
  },
  // the verifier only receives
  onAck() {},
  onTimeout() {},
};
