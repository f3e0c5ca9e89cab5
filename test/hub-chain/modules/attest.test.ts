/**
 * The `attest` verifier app on Pontis chains: it reads the payload every Pontis issuer sends (the
 * Fabric chaincode's encoder, which is the EVM AttestationVerifier's ABI), keeps the proven
 * source, treats revocation as final, and refuses expired, mismatched and malformed payloads.
 */
import { describe, expect, it } from 'vitest';
import type { ModuleEnv } from '../../../hub-chain/app/module.ts';
import { type Hex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { attestApp, attestationStatus, decodeAttestationPayload, readAttestation } from '../../../hub-chain/modules/attest/app.ts';
import type { Packet } from '../../../hub-chain/modules/packets/types.ts';
import { encodeAttestationPayload, kindHash } from '../../../contracts/fabric/apps/attestations.ts';
import { MapStore } from '../../support/kv.ts';

const T = 1_800_000_000_000;
const subject = toHex(new Uint8Array(32).fill(7));
const env = (store: MapStore, time = T, height = 10) => ({ chainId: 'dept-a', height, time, store }) as unknown as ModuleEnv;
const packet = (payload: Hex, srcChain = 'gov'): Packet => ({ srcChain, srcApp: 'attest', dstChain: 'dept-a', dstApp: 'attest', sequence: 1, ordered: false, payload, timeoutHeight: 0, timeoutTimestamp: T + 60_000 });
const issue = (o: Partial<Parameters<typeof encodeAttestationPayload>[0]> = {}) =>
  encodeAttestationPayload({ issuerChain: 'gov', issuer: 'Org1MSP', subject, kind: kindHash('judicial-evidence'), expiresAtMs: T + 86_400_000, revoked: false, ...o });

describe('attest app', () => {
  it('behavior: an attestation from gov is recorded with its proven source and is valid until it expires', () => {
    const s = new MapStore();
    attestApp.onRecv(env(s), packet(issue()));
    const r = readAttestation(s, 'gov', 'Org1MSP', subject)!;
    expect(r).toMatchObject({ srcChain: 'gov', srcApp: 'attest', issuer: 'Org1MSP', kind: kindHash('judicial-evidence'), revoked: false });
    expect(attestationStatus(r, T)).toBe('valid');
    expect(attestationStatus(r, T + 86_400_000)).toBe('expired');
    expect(readAttestation(s, 'evm-a', 'Org1MSP', subject)).toBeUndefined();
  });

  it('behavior: a revocation is final: a later issue of the same subject by the same issuer is refused', () => {
    const s = new MapStore();
    attestApp.onRecv(env(s), packet(issue()));
    attestApp.onRecv(env(s, T + 1), packet(issue({ kind: `0x${'00'.repeat(32)}`, expiresAtMs: 0, revoked: true })));
    expect(attestationStatus(readAttestation(s, 'gov', 'Org1MSP', subject)!, T + 2)).toBe('revoked');
    expect(() => attestApp.onRecv(env(s, T + 3), packet(issue()))).toThrow(expect.objectContaining({ code: 'PNT_ERR_ATTESTATION_REVOKED' }));
  });

  it('error: a payload naming another issuer chain than the packet\'s source is refused', () => {
    expect(() => attestApp.onRecv(env(new MapStore()), packet(issue(), 'evm-a'))).toThrow(expect.objectContaining({ code: 'PNT_ERR_ATTESTATION_CHAIN_MISMATCH' }));
  });

  it('error: an attestation already expired when it arrives is refused', () => {
    expect(() => attestApp.onRecv(env(new MapStore(), T + 86_400_000), packet(issue()))).toThrow(expect.objectContaining({ code: 'PNT_ERR_ATTESTATION_EXPIRED' }));
  });

  it('error: malformed payloads (truncated, wrong version, bool out of range, string offset out of range) are refused', () => {
    const good = issue();
    const words = (h: Hex) => h.slice(2).match(/.{64}/g)!;
    const join = (ws: string[]) => `0x${ws.join('')}` as Hex;
    const w = words(good);
    const cases: Hex[] = [
      join(w.slice(0, 6)),
      join([(2).toString(16).padStart(64, '0'), ...w.slice(1)]),
      join([...w.slice(0, 6), (2).toString(16).padStart(64, '0'), ...w.slice(7)]),
      join([w[0], (99_999).toString(16).padStart(64, '0'), ...w.slice(2)]),
      '0x',
    ];
    for (const c of cases) expect(() => decodeAttestationPayload(c), c.slice(0, 20)).toThrow(expect.objectContaining({ code: 'PNT_ERR_ATTESTATION_MALFORMED' }));
    expect(decodeAttestationPayload(good)).toMatchObject({ issuerChain: 'gov', issuer: 'Org1MSP', subject, revoked: false });
  });
});
