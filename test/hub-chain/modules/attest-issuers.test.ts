/**
 * The hub's attestation lifecycle: governance registers issuers per kind (closing the kind),
 * the forward policy refuses other issuers, retired ones, re-issues after a revocation and
 * expired attestations, records the status every connected chain can prove, and audits each
 * issue, revocation and refusal.
 */
import { describe, expect, it } from 'vitest';
import type { ModuleEnv } from '../../../hub-chain/app/module.ts';
import { type Hex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import type { PontisError } from '../../../hub-chain/errors.ts';
import { auditRoot, readAuditEvent } from '../../../hub-chain/modules/audit/log.ts';
import { attestForwardPolicy, attestIssuersModule, hubAttestationStatus, kindHashOf, readHubAttestation } from '../../../hub-chain/modules/attest/issuers.ts';
import type { Packet } from '../../../hub-chain/modules/packets/types.ts';
import { encodeAttestationPayload } from '../../../contracts/fabric/apps/attestations.ts';
import { MapStore } from '../../support/kv.ts';

const T = 1_800_000_000_000;
const subject = toHex(new Uint8Array(32).fill(7));
const JUDICIAL = 'judicial-evidence';
const env = (store: MapStore, time = T, height = 10) => ({ chainId: 'hub', height, time, store, genesis: { params: {} }, emit: () => {} }) as unknown as ModuleEnv;
const packet = (payload: Hex, srcChain = 'gov', sequence = 1): Packet => ({ srcChain, srcApp: 'attest', dstChain: 'dept-a', dstApp: 'attest', sequence, ordered: false, payload, timeoutHeight: 0, timeoutTimestamp: T + 60_000 });
const issue = (o: Partial<Parameters<typeof encodeAttestationPayload>[0]> = {}) =>
  encodeAttestationPayload({ issuerChain: 'gov', issuer: 'Org1MSP', subject, kind: kindHashOf(JUDICIAL), expiresAtMs: T + 86_400_000, revoked: false, ...o });
const policy = attestForwardPolicy();
const gov = attestIssuersModule();
const govern = (s: MapStore, kind: 'attest/register-issuer' | 'attest/retire-issuer', issuer = 'Org1MSP', chain = 'gov') => gov.handleGovAction!(env(s), { kind, type: JUDICIAL, chain, issuer } as never);
const events = (s: MapStore) => Array.from({ length: auditRoot(s, 'intl').size }, (_, i) => JSON.parse(Buffer.from(readAuditEvent(s, i)!).toString('utf8')));
/** What the packet keeper does: the policy on the item's store, its refusal hook when it throws. */
function forward(s: MapStore, p: Packet, time = T): string {
  try {
    return policy.onForward(env(s, time), p);
  } catch (e) {
    policy.onRefused!(env(s, time), p, e as PontisError);
    return (e as PontisError).code;
  }
}

describe('attestation issuers and status on the hub', () => {
  it('behavior: a kind nobody registered is open; the hub records the status, provable under its state root, and audits it', () => {
    const s = new MapStore();
    expect(forward(s, packet(issue({ issuer: 'AnyOrg' })))).toBe('forward');
    const r = readHubAttestation(s, 'gov', 'AnyOrg', subject)!;
    expect(r).toMatchObject({ contentHash: subject, revoked: false, expiresAtMs: T + 86_400_000 });
    expect(hubAttestationStatus(r, T)).toBe('valid');
    expect(hubAttestationStatus(r, T + 86_400_000)).toBe('expired');
    expect(events(s).map((e) => e.type)).toEqual(['attestation-issued']);
  });

  it('behavior: registering an issuer closes the kind: its attestations pass, anyone else\'s are refused and audited', () => {
    const s = new MapStore();
    govern(s, 'attest/register-issuer');
    expect(forward(s, packet(issue()))).toBe('forward');
    expect(forward(s, packet(issue({ issuer: 'Org2MSP' })))).toBe('PNT_ERR_ATTESTATION_ISSUER');
    expect(forward(s, packet(issue({ issuerChain: 'dept-c' }), 'dept-c'))).toBe('PNT_ERR_ATTESTATION_ISSUER');
    expect(readHubAttestation(s, 'gov', 'Org2MSP', subject)).toBeUndefined();
    // the same attestation sent to a second chain is recorded once
    expect(forward(s, { ...packet(issue(), 'gov', 2), dstChain: 'evm-b' })).toBe('forward');
    expect(events(s).map((e) => [e.type, e.code ?? e.action ?? ''])).toEqual([
      ['attestation-issuer', 'register'],
      ['attestation-issued', ''],
      ['attestation-refused', 'PNT_ERR_ATTESTATION_ISSUER'],
      ['attestation-refused', 'PNT_ERR_ATTESTATION_ISSUER'],
    ]);
  });

  it('behavior: a retired issuer is refused, and the kind stays closed after its last issuer retires', () => {
    const s = new MapStore();
    govern(s, 'attest/register-issuer');
    govern(s, 'attest/retire-issuer');
    expect(forward(s, packet(issue()))).toBe('PNT_ERR_ATTESTATION_ISSUER');
    expect(forward(s, packet(issue({ issuer: 'Org2MSP' })))).toBe('PNT_ERR_ATTESTATION_ISSUER');
    expect(() => govern(s, 'attest/retire-issuer', 'Org3MSP')).toThrow(expect.objectContaining({ code: 'PNT_ERR_ATTESTATION_ISSUER' }));
    govern(s, 'attest/register-issuer');
    expect(forward(s, packet(issue()))).toBe('forward');
  });

  it('behavior: a revocation is final on the hub: revoked status, and a later issue of the subject is refused', () => {
    const s = new MapStore();
    govern(s, 'attest/register-issuer');
    forward(s, packet(issue()));
    expect(forward(s, packet(issue({ revoked: true, expiresAtMs: 0, kind: `0x${'00'.repeat(32)}` })), T + 1)).toBe('forward');
    const r = readHubAttestation(s, 'gov', 'Org1MSP', subject)!;
    expect(hubAttestationStatus(r, T + 2)).toBe('revoked');
    expect(r.kind).toBe(kindHashOf(JUDICIAL));
    expect(forward(s, packet(issue()), T + 3)).toBe('PNT_ERR_ATTESTATION_REVOKED');
  });

  it('error: an expired attestation, a payload naming another chain, and a malformed payload are refused before they leave the hub', () => {
    const s = new MapStore();
    expect(forward(s, packet(issue({ expiresAtMs: T - 1 })))).toBe('PNT_ERR_ATTESTATION_EXPIRED');
    expect(forward(s, packet(issue({ issuerChain: 'evm-a' })))).toBe('PNT_ERR_ATTESTATION_CHAIN_MISMATCH');
    expect(forward(s, packet('0x1234'))).toBe('PNT_ERR_ATTESTATION_MALFORMED');
    expect(events(s).map((e) => e.code)).toEqual(['PNT_ERR_ATTESTATION_EXPIRED', 'PNT_ERR_ATTESTATION_CHAIN_MISMATCH', 'PNT_ERR_ATTESTATION_MALFORMED']);
  });
});
