/**
 * AttestationVerifier on a real anvil, fed through the Gateway with real hub proofs
 * (bridge-fixture.ts): configured issuers only, revocation (also out of order), expiry.
 */
import { AbiCoder, type Contract, keccak256 as ethKeccak, toUtf8Bytes } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from '../../hub-chain/crypto/bytes.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import { revertOf } from './anvil.ts';
import { BridgeWorld, ackError } from './bridge-fixture.ts';

let w: BridgeWorld;
let verifier: Contract;
let seq = 0;

const KYC = ethKeccak(toUtf8Bytes('kyc'));
const subjectOf = (name: string) => ethKeccak(toUtf8Bytes(name));

interface Att {
  version?: number;
  issuerChain?: string;
  issuer?: string;
  subject: string;
  kind?: string;
  expiresAtMs: number;
  revoked?: boolean;
}

function payload(a: Att): Hex {
  return AbiCoder.defaultAbiCoder().encode(
    ['uint8', 'string', 'string', 'bytes32', 'bytes32', 'uint64', 'bool'],
    [a.version ?? 1, a.issuerChain ?? 'gov', a.issuer ?? 'registry-office', a.subject, a.kind ?? KYC, a.expiresAtMs, a.revoked ?? false],
  ) as Hex;
}

/** Delivers an attestation packet from srcChain/srcApp through the hub; returns the error code of the ack (undefined: accepted). */
async function deliver(a: Att, from: { chain?: string; app?: string } = {}, raw?: Hex): Promise<string | undefined> {
  seq += 1;
  const p: Packet = { srcChain: from.chain ?? 'gov', srcApp: from.app ?? 'attest', dstChain: 'evm-a', dstApp: 'attest', sequence: seq, ordered: false, payload: raw ?? payload(a), timeoutHeight: 0, timeoutTimestamp: 0 };
  return ackError((await w.deliver(p)).ack);
}

beforeAll(async () => {
  w = await BridgeWorld.start('evm-attestation-hub');
  verifier = await w.anvil.deploy('AttestationVerifier', await w.a.gateway.getAddress(), await w.anvil.signer.getAddress(), 'attest');
  await (await verifier.setIssuer('gov', 'attest', true)).wait();
});

afterAll(async () => {
  await w?.stop();
});

describe('AttestationVerifier', () => {
  it('behavior: an attestation from the configured issuer chain and app is recorded and valid until it expires', async () => {
    const subject = subjectOf('alice');
    expect(await verifier.isValid(subject)).toBe(false);
    const expiresAtMs = (await w.nowMs()) + 600_000;
    expect(await deliver({ subject, expiresAtMs })).toBeUndefined();
    expect(await verifier.isValid(subject)).toBe(true);
    const [record, valid] = await verifier.attestation(subject);
    expect(valid).toBe(true);
    expect(record.issuerChain).toBe('gov');
    expect(record.issuer).toBe('registry-office');
    expect(record.sourceApp).toBe('attest');
    expect(record.kind).toBe(KYC);
    expect(record.expiresAtMs).toBe(BigInt(expiresAtMs));
    expect(record.revoked).toBe(false);
    await w.anvil.increaseTime(601);
    expect(await verifier.isValid(subject)).toBe(false);
    expect((await verifier.attestation(subject))[1]).toBe(false);
  });

  it('error: other chains, other apps, a mismatched issuer chain, a bad version, an expired or malformed payload get error acks and record nothing', async () => {
    const later = (await w.nowMs()) + 600_000;
    const s = subjectOf('mallory');
    expect(await deliver({ subject: s, expiresAtMs: later }, { chain: 'dept-x' })).toBe('PNT_ERR_ATTESTATION_UNTRUSTED_ISSUER');
    expect(await deliver({ subject: s, expiresAtMs: later, issuerChain: 'dept-x' }, { chain: 'dept-x' })).toBe('PNT_ERR_ATTESTATION_UNTRUSTED_ISSUER');
    expect(await deliver({ subject: s, expiresAtMs: later }, { app: 'other' })).toBe('PNT_ERR_ATTESTATION_UNTRUSTED_ISSUER');
    expect(await deliver({ subject: s, expiresAtMs: later, issuerChain: 'dept-x' })).toBe('PNT_ERR_ATTESTATION_WRONG_CHAIN');
    expect(await deliver({ subject: s, expiresAtMs: later, version: 2 })).toBe('PNT_ERR_ATTESTATION_BAD_VERSION');
    expect(await deliver({ subject: s, expiresAtMs: later, issuer: '' })).toBe('PNT_ERR_ATTESTATION_BAD_ISSUER');
    expect(await deliver({ subject: s, expiresAtMs: (await w.nowMs()) - 1 })).toBe('PNT_ERR_ATTESTATION_EXPIRED');
    expect(await deliver({ subject: s, expiresAtMs: later }, {}, '0x1234')).toBe('PNT_ERR_APP_FAILED');
    expect(await verifier.isValid(s)).toBe(false);
    expect((await verifier.attestation(s))[0].expiresAtMs).toBe(0n);
    // configuration is the admin's alone, and callbacks come only from the gateway
    expect(await revertOf((verifier.connect(w.anvil.other) as Contract).setIssuer('dept-x', 'attest', true))).toBe('OnlyAdmin');
    expect(await revertOf(verifier.onRecvPacket({ srcChain: 'gov', srcApp: 'attest', dstChain: 'evm-a', dstApp: 'attest', sequence: 1n, ordered: false, payload: payload({ subject: s, expiresAtMs: later }), timeoutHeight: 0n, timeoutTimestamp: 0n }))).toBe('OnlyGateway');
  });

  it('behavior: a revocation delivered later invalidates, and the revoked issuer cannot attest that subject again', async () => {
    const subject = subjectOf('bob');
    const later = (await w.nowMs()) + 600_000;
    expect(await deliver({ subject, expiresAtMs: later })).toBeUndefined();
    expect(await verifier.isValid(subject)).toBe(true);
    expect(await deliver({ subject, expiresAtMs: 0, revoked: true })).toBeUndefined();
    expect(await verifier.isValid(subject)).toBe(false);
    expect((await verifier.attestation(subject))[0].revoked).toBe(true);
    expect(await deliver({ subject, expiresAtMs: later + 1000 })).toBe('PNT_ERR_ATTESTATION_REVOKED');
    expect(await verifier.isValid(subject)).toBe(false);
  });

  it('behavior: a revocation that overtakes its attestation (unordered delivery) still wins', async () => {
    const subject = subjectOf('carol');
    expect(await deliver({ subject, expiresAtMs: 0, revoked: true })).toBeUndefined();
    expect(await deliver({ subject, expiresAtMs: (await w.nowMs()) + 600_000 })).toBe('PNT_ERR_ATTESTATION_REVOKED');
    expect(await verifier.isValid(subject)).toBe(false);
  });

  it('behavior: a delayed older attestation does not shorten a renewal; another issuer revoking does not touch this record', async () => {
    const subject = subjectOf('dave');
    const now = await w.nowMs();
    expect(await deliver({ subject, expiresAtMs: now + 900_000 })).toBeUndefined();
    expect(await deliver({ subject, expiresAtMs: now + 300_000 })).toBeUndefined(); // the older one, late
    expect((await verifier.attestation(subject))[0].expiresAtMs).toBe(BigInt(now + 900_000));
    expect(await deliver({ subject, expiresAtMs: 0, revoked: true, issuer: 'someone-else' })).toBeUndefined();
    expect(await verifier.isValid(subject)).toBe(true);
  });

  it('behavior: withdrawing trust in an issuer app invalidates the records it delivered', async () => {
    await (await verifier.setIssuer('gov', 'attest-2', true)).wait();
    const subject = subjectOf('erin');
    expect(await deliver({ subject, expiresAtMs: (await w.nowMs()) + 600_000 }, { app: 'attest-2' })).toBeUndefined();
    expect(await verifier.isValid(subject)).toBe(true);
    await (await verifier.setIssuer('gov', 'attest-2', false)).wait();
    expect(await verifier.isValid(subject)).toBe(false);
  });
});
