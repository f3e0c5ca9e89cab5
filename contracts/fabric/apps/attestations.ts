/**
 * `attest`: typed attestations issued by the orgs of the channel (e.g. `judicial-evidence` over the
 * sha256 of a piece of evidence) and revoked by the org that issued them. Issuing and revoking each
 * send a packet to a verifier app on another chain, with the payload the EVM AttestationVerifier
 * reads (contracts/evm/src/AttestationIssuer.sol):
 *   abi.encode(uint8 1, string issuerChain, string issuer, bytes32 subject, bytes32 kind,
 *              uint64 expiresAtMs, bool revoked)
 * with issuerChain = this chain, issuer = the issuing org's MSP id, kind = keccak256(kind name),
 * and for a revocation kind = 0, expiresAtMs = 0, revoked = true. The app only sends: a packet
 * addressed to it is refused with an error ack, as the EVM issuer does.
 *
 * Stored: `app/attest/<subject>/<issuer>` (the attestation) and `app/attest-out/<dstChain>/<seq>`
 * (what became of each packet sent: sent, delivered, refused:<code>, timed-out).
 */
import { AbiCoder } from 'ethers';
import type { KVView, ModuleEnv } from '../../../hub-chain/app/module.ts';
import { type Hex, isHex, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../hub-chain/crypto/hash.ts';
import { canonicalJson } from '../../../hub-chain/encoding/canonical-json.ts';
import type { Packet } from '../../../hub-chain/modules/packets/types.ts';
import type { PacketApp, PacketSender } from '../../../hub-chain/modules/transfer/app-interface.ts';
import type { Caller } from '../context.ts';
import { CC_ERR, ChaincodeError } from '../errors.ts';

export const ATTESTATIONS_APP = 'attest';
export const ATTESTATION_VERSION = 1;
/** As AttestationIssuer.DEFAULT_TIMEOUT_MS: a packet with no timeout given times out an hour after its transaction. */
export const DEFAULT_TIMEOUT_MS = 3_600_000;
const KIND_RE = /^[a-z][a-z0-9-]{0,63}$/;
const ZERO32 = `0x${'00'.repeat(32)}` as Hex;

export interface Attestation {
  subject: Hex;
  /** MSP id of the issuing org. */
  issuer: string;
  kind: string;
  expiresAtMs: number;
  issuedAtMs: number;
  revoked: boolean;
}

export interface AttestationPayload {
  issuerChain: string;
  issuer: string;
  subject: Hex;
  /** keccak256 of the kind name; zero for a revocation. */
  kind: Hex;
  expiresAtMs: number;
  revoked: boolean;
}

/** The ABI payload AttestationVerifier decodes. */
export function encodeAttestationPayload(a: AttestationPayload): Hex {
  return AbiCoder.defaultAbiCoder().encode(
    ['uint8', 'string', 'string', 'bytes32', 'bytes32', 'uint64', 'bool'],
    [ATTESTATION_VERSION, a.issuerChain, a.issuer, a.subject, a.kind, a.expiresAtMs, a.revoked],
  ) as Hex;
}

/** The bytes32 `kind` of a kind name, as the EVM side compares it (keccak256 of its UTF-8). */
export const kindHash = (kind: string): Hex => toHex(keccak256(utf8(kind)));

const attKey = (subject: Hex, issuer: string) => utf8(`app/attest/${subject}/${issuer}`);
const outKey = (dstChain: string, seq: number) => utf8(`app/attest-out/${dstChain}/${String(seq).padStart(16, '0')}`);

export function readAttestation(s: KVView, subject: Hex, issuer: string): Attestation | undefined {
  const b = s.get(attKey(subject.toLowerCase() as Hex, issuer));
  return b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as Attestation);
}

/** What became of an attestation packet: sent, delivered, refused:<code> or timed-out. */
export function readOutcome(s: KVView, dstChain: string, seq: number): string | undefined {
  const b = s.get(outKey(dstChain, seq));
  return b === undefined ? undefined : Buffer.from(b).toString('utf8');
}

export interface Destination {
  dstChain: string;
  dstApp: string;
  /** Unix ms; 0: an hour after the transaction. */
  timeoutTimestamp: number;
}

function subjectOf(v: unknown): Hex {
  if (!isHex(v, 32)) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'subject must be 32 bytes of 0x-hex (e.g. the sha256 of the evidence)');
  return (v as string).toLowerCase() as Hex;
}

function send(env: ModuleEnv, sender: PacketSender, d: Destination, payload: Hex): Packet {
  if (!Number.isSafeInteger(d.timeoutTimestamp) || d.timeoutTimestamp < 0) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'timeoutTimestamp must be unix ms (0: default)');
  const timeoutTimestamp = d.timeoutTimestamp === 0 ? env.time + DEFAULT_TIMEOUT_MS : d.timeoutTimestamp;
  const p = sender.sendPacket(env, { srcApp: ATTESTATIONS_APP, dstChain: d.dstChain, dstApp: d.dstApp, payload, timeoutHeight: 0, timeoutTimestamp, ordered: false });
  env.store.set(outKey(p.dstChain, p.sequence), utf8('sent'));
  return p;
}

/**
 * Issues (or renews) the calling org's attestation of `subject` and sends it to `d`. An attestation
 * the org revoked stays revoked: verifiers refuse it again for that (subject, issuer).
 */
export function issueAttestation(env: ModuleEnv, sender: PacketSender, caller: Caller, a: { subject: Hex; kind: string; expiresAtMs: number }, d: Destination): { attestation: Attestation; packet: Packet } {
  const subject = subjectOf(a.subject);
  if (typeof a.kind !== 'string' || !KIND_RE.test(a.kind)) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `kind must match ${KIND_RE.source}`);
  if (!Number.isSafeInteger(a.expiresAtMs) || a.expiresAtMs <= env.time) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'expiresAtMs must be unix ms after the transaction time');
  const prior = readAttestation(env.store, subject, caller.mspId);
  if (prior?.revoked) throw new ChaincodeError(CC_ERR.ATTESTATION_REVOKED, `${caller.mspId} revoked its attestation of ${subject}`);
  const attestation: Attestation = { subject, issuer: caller.mspId, kind: a.kind, expiresAtMs: a.expiresAtMs, issuedAtMs: env.time, revoked: false };
  env.store.set(attKey(subject, caller.mspId), utf8(canonicalJson(attestation)));
  const payload = encodeAttestationPayload({ issuerChain: env.chainId, issuer: caller.mspId, subject, kind: kindHash(a.kind), expiresAtMs: a.expiresAtMs, revoked: false });
  return { attestation, packet: send(env, sender, d, payload) };
}

/** Revokes the calling org's attestation of `subject` (for good) and tells `d`; may be repeated for more destinations. */
export function revokeAttestation(env: ModuleEnv, sender: PacketSender, caller: Caller, subjectHex: Hex, d: Destination): { attestation: Attestation; packet: Packet } {
  const subject = subjectOf(subjectHex);
  const prior = readAttestation(env.store, subject, caller.mspId);
  if (!prior) throw new ChaincodeError(CC_ERR.ATTESTATION_NOT_ISSUER, `${caller.mspId} has no attestation of ${subject}`);
  const attestation: Attestation = { ...prior, revoked: true };
  env.store.set(attKey(subject, caller.mspId), utf8(canonicalJson(attestation)));
  const payload = encodeAttestationPayload({ issuerChain: env.chainId, issuer: caller.mspId, subject, kind: ZERO32, expiresAtMs: 0, revoked: true });
  return { attestation, packet: send(env, sender, d, payload) };
}

export const attestationsApp: PacketApp = {
  name: ATTESTATIONS_APP,
  onRecv() {
    throw new ChaincodeError(CC_ERR.ATTESTATION_ISSUER_ONLY, 'the attestation app only sends');
  },
  onAck(env, p, ack) {
    env.store.set(outKey(p.dstChain, p.sequence), utf8(ack.ok ? 'delivered' : `refused:${ack.error}`));
  },
  onTimeout(env, p) {
    env.store.set(outKey(p.dstChain, p.sequence), utf8('timed-out'));
  },
};
