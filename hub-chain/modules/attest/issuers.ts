/**
 * Attestation lifecycle on the hub: issuers registered per attestation type (kind) by governance,
 * and the status of every attestation the hub forwards, kept in hub state so that it is provable
 * (a state proof under a hub header) on every connected chain, whichever chain it was sent to.
 *
 * A kind with at least one registered issuer is closed: an `attest` packet of that kind from any
 * other (chain, issuer), or from a retired one, is refused with PNT_ERR_ATTESTATION_ISSUER and an
 * error acknowledgement back to the issuing chain. A kind nobody registered stays open (the
 * receiving verifier keeps the proven issuer and decides). Revocation is final per (issuing
 * chain, issuer, subject): a later issue is refused. Every issue, revocation and refusal is an
 * audit-log event.
 *
 *   attestation/kind/<kind hash>                            {name, issuers}: the kind is closed
 *   attestation/issuer/<kind hash>/<chain>/<issuer hex>     {kind, chain, issuer, height, retiredHeight?}
 *   attestation/status/<chain>/<issuer hex>/<subject>       {kind, contentHash, expiresAtMs, revoked, height}
 */
import type { KVView, Module, ModuleEnv } from '../../app/module.ts';
import { z } from 'zod';
import { type Hex, toHex, utf8 } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { PontisError as Err } from '../../errors.ts';
import { appendAudit } from '../audit/log.ts';
import type { Packet } from '../packets/types.ts';
import type { ForwardPolicy } from '../transfer/app-interface.ts';
import { parseMsg } from '../transfer/bank.ts';
import { ATTEST_APP, type AttestationStatus, attestationStatus, decodeAttestationPayload } from './app.ts';
import { dataProfileOf } from '../../app/genesis.ts';
import { decodeRecord, encodeRecord } from '../data-sharing/types.ts';

const hexOf = (s: string) => Buffer.from(s, 'utf8').toString('hex');
export const kindHashOf = (name: string): Hex => toHex(keccak256(utf8(name)));

export const attestKeys = {
  kind: (kind: Hex) => utf8(`attestation/kind/${kind}`),
  issuer: (kind: Hex, chain: string, issuer: string) => utf8(`attestation/issuer/${kind}/${chain}/${hexOf(issuer)}`),
  status: (chain: string, issuer: string, subject: Hex) => utf8(`attestation/status/${chain}/${hexOf(issuer)}/${subject.toLowerCase()}`),
};

export interface KindRecord {
  name: string;
  issuers: number;
}
export interface IssuerRecord {
  kind: string;
  chain: string;
  issuer: string;
  height: number;
  retiredHeight?: number;
}
export interface HubAttestationStatus {
  kind: Hex;
  /** What the attestation is about: the payload's subject (e.g. the sha256 of an evidence bundle). */
  contentHash: Hex;
  expiresAtMs: number;
  revoked: boolean;
  height: number;
}

const json = encodeRecord;
const read = <T>(s: KVView, k: Uint8Array): T | undefined => decodeRecord<T>(s.get(k));

export const readIssuer = (s: KVView, kind: Hex, chain: string, issuer: string) => read<IssuerRecord>(s, attestKeys.issuer(kind, chain, issuer));
export const readHubAttestation = (s: KVView, chain: string, issuer: string, subject: Hex) => read<HubAttestationStatus>(s, attestKeys.status(chain, issuer, subject));
export const hubAttestationStatus = (r: HubAttestationStatus, nowMs: number): AttestationStatus => attestationStatus(r, nowMs);

const profile = (env: ModuleEnv) => dataProfileOf(env.genesis);
const issuerErr = (msg: string, details: Record<string, unknown>) => new Err('PNT_ERR_ATTESTATION_ISSUER', msg, { details });

const chainId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/);
const issuerAction = (kind: 'attest/register-issuer' | 'attest/retire-issuer') => z.strictObject({ kind: z.literal(kind), type: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/), chain: chainId, issuer: z.string().min(1).max(256) });
export const attestGovActionSchemas: z.ZodObject[] = [issuerAction('attest/register-issuer'), issuerAction('attest/retire-issuer')];

function registerIssuer(env: ModuleEnv, a: { type: string; chain: string; issuer: string }): void {
  const kind = kindHashOf(a.type);
  const prior = readIssuer(env.store, kind, a.chain, a.issuer);
  if (prior && prior.retiredHeight === undefined) return;
  const k = read<KindRecord>(env.store, attestKeys.kind(kind)) ?? { name: a.type, issuers: 0 };
  env.store.set(attestKeys.kind(kind), json({ ...k, issuers: k.issuers + 1 }));
  env.store.set(attestKeys.issuer(kind, a.chain, a.issuer), json({ kind: a.type, chain: a.chain, issuer: a.issuer, height: env.height } satisfies IssuerRecord));
  appendAudit(env.store, profile(env), env, 'attestation-issuer', { type: a.type, kind, chain: a.chain, issuer: a.issuer, action: 'register' });
}

function retireIssuer(env: ModuleEnv, a: { type: string; chain: string; issuer: string }): void {
  const kind = kindHashOf(a.type);
  const prior = readIssuer(env.store, kind, a.chain, a.issuer);
  if (!prior || prior.retiredHeight !== undefined) throw issuerErr(`${a.issuer} of ${a.chain} is not a registered issuer of ${a.type}`, { type: a.type, chain: a.chain });
  // the kind stays closed: retiring its last issuer must not reopen it to anyone
  env.store.set(attestKeys.issuer(kind, a.chain, a.issuer), json({ ...prior, retiredHeight: env.height } satisfies IssuerRecord));
  appendAudit(env.store, profile(env), env, 'attestation-issuer', { type: a.type, kind, chain: a.chain, issuer: a.issuer, action: 'retire' });
}

/** The hub's check and record of every `attest` packet it forwards. */
export function attestForwardPolicy(): ForwardPolicy {
  return {
    app: ATTEST_APP,
    onForward(env, p: Packet) {
      const a = decodeAttestationPayload(p.payload);
      if (a.issuerChain !== p.srcChain) throw new Err('PNT_ERR_ATTESTATION_CHAIN_MISMATCH', `payload names issuer chain ${a.issuerChain}, the packet comes from ${p.srcChain}`);
      if (env.store.get(attestKeys.kind(a.kind)) !== undefined) {
        const r = readIssuer(env.store, a.kind, p.srcChain, a.issuer);
        if (!r || r.retiredHeight !== undefined) throw issuerErr(`${a.issuer} of ${p.srcChain} is not a registered issuer of kind ${a.kind}`, { kind: a.kind, chain: p.srcChain, issuer: a.issuer });
      }
      const prior = readHubAttestation(env.store, p.srcChain, a.issuer, a.subject);
      if (prior?.revoked && !a.revoked) throw new Err('PNT_ERR_ATTESTATION_REVOKED', `${a.issuer} of ${p.srcChain} revoked its attestation of ${a.subject}`);
      if (!a.revoked && a.expiresAtMs <= env.time) throw new Err('PNT_ERR_ATTESTATION_EXPIRED', `attestation expired at ${a.expiresAtMs}`);
      // the same attestation sent to several chains is recorded once
      const same = prior && prior.revoked === a.revoked && (a.revoked || (prior.expiresAtMs === a.expiresAtMs && prior.kind === a.kind));
      if (!same) {
        const rec: HubAttestationStatus = { kind: a.revoked ? (prior?.kind ?? a.kind) : a.kind, contentHash: a.subject, expiresAtMs: a.revoked ? (prior?.expiresAtMs ?? 0) : a.expiresAtMs, revoked: a.revoked, height: env.height };
        env.store.set(attestKeys.status(p.srcChain, a.issuer, a.subject), json(rec));
        appendAudit(env.store, profile(env), env, a.revoked ? 'attestation-revoked' : 'attestation-issued', { chain: p.srcChain, issuer: a.issuer, kind: rec.kind, contentHash: a.subject, expiresAtMs: rec.expiresAtMs });
      }
      return 'forward';
    },
    onRefused(env, p, e: Err) {
      let fields: Record<string, string | number> = {};
      try {
        const a = decodeAttestationPayload(p.payload);
        fields = { issuer: a.issuer, kind: a.kind, contentHash: a.subject };
      } catch {
        // malformed: audited with what the packet says
      }
      appendAudit(env.store, profile(env), env, 'attestation-refused', { chain: p.srcChain, dstChain: p.dstChain, sequence: p.sequence, code: e.code, ...fields });
    },
    onForwardFailed() {},
  };
}

/** Governance of attestation issuers (hub only; no messages). */
export function attestIssuersModule(): Module {
  return {
    name: 'attest-issuers',
    msgTypes: [],
    govActionKinds: ['attest/register-issuer', 'attest/retire-issuer'],
    protectedPrefixes: ['attestation/'],
    handleMsg(_env, msg) {
      throw new Err('PNT_ERR_MSG_UNKNOWN', `attest-issuers handles no message ${msg.type}`);
    },
    handleGovAction(env, action) {
      if (action.kind === 'attest/register-issuer') registerIssuer(env, parseMsg(attestGovActionSchemas[0], action) as never);
      else retireIssuer(env, parseMsg(attestGovActionSchemas[1], action) as never);
    },
  };
}
