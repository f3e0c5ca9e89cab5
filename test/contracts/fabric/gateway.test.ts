/**
 * The Pontis chaincode's gateway over world state: its hub client (real signed hub headers),
 * packets in (proofs from a real hub state tree), acks, timeouts both ways, and the refusals a
 * relayer or a forger could try, each leaving world state unchanged.
 */
import { AbiCoder } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hex, fromHex, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { sha256 } from '../../../hub-chain/crypto/hash.ts';
import { type Packet, ackCommitment, channelId, decodeAck, encodeAck, packetCommitment, packetKeys as K, withReceiptBit } from '../../../hub-chain/modules/packets/types.ts';
import { getRecord, putRecord, recordRequest, recordsApp } from '../../../contracts/fabric/apps/records.ts';
import { attestationsApp, issueAttestation, kindHash, readOutcome, revokeAttestation } from '../../../contracts/fabric/apps/attestations.ts';
import { FABRIC_TIMEOUT_MARKER, PontisGateway } from '../../../contracts/fabric/gateway.ts';
import { sentPackets } from '../../../contracts/fabric/events.ts';
import { rejection, errorCode } from '../../support/errors.ts';
import { CLIENT_PARAMS, FABRIC, HUB, HUB_GENESIS_MS, HubSim, MemoryState, ORG1, ORG1_ADMIN, ORG2, txAt } from './world.ts';
import { ChainBuilder } from '../../support/chain-builder.ts';

const gw = new PontisGateway([recordsApp, attestationsApp]);
let hub: HubSim;
let state: MemoryState;
let seq = 0;

const text = (h: Hex) => Buffer.from(fromHex(h)).toString('utf8');
/** A time every header the hub has built so far is before. */
const now = () => hub.chain.header(hub.height).time + 1000;
const key = (k: Uint8Array) => Buffer.from(k).toString('utf8');

function request(id: string, over: Partial<Packet> = {}): Packet {
  return { srcChain: 'dept-a', srcApp: 'records', dstChain: FABRIC, dstApp: 'records', sequence: ++seq, ordered: false, payload: recordRequest(id), timeoutHeight: 0, timeoutTimestamp: now() + 600_000, ...over };
}

/** The hub forwards `p`, the chaincode's client learns the header: returns the proof height. */
async function forwarded(...ps: Packet[]): Promise<number> {
  let h = 0;
  for (const p of ps) h = await hub.forward(p);
  await gw.updateClient(txAt(state, now()), hub.update(h, trustedHeight()));
  return h;
}

function trustedHeight(): number {
  return JSON.parse(state.text(`pontis-client/clients/${HUB}/state`)!).latestHeight;
}

beforeAll(async () => {
  hub = HubSim.start('fabric-cc-gateway');
  await hub.commit();
  await hub.commit();
  state = new MemoryState();
  await gw.initHubClient(txAt(state, now(), ORG1_ADMIN), { chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(2));
  await gw.run(txAt(state, now()), (env) => putRecord(env.store, ORG1, now(), { id: 'deed-17', data: toHex(utf8('parcel 17: Ada')), allow: ['dept-a'] }));
});

afterAll(async () => hub?.close());

describe('hub client in chaincode state', () => {
  it('behavior: initialised once, by an org admin; its records live under pontis-client/, never under pkt/', async () => {
    expect(await gw.clientStatus(txAt(state, now()))).toMatchObject({ config: { chainId: FABRIC, hubChainId: HUB }, status: 'active', latestHeight: 2 });
    const keys = [...state.m.keys()];
    expect(keys).toContain('pontis-client/config');
    expect(keys).toContain(`pontis-client/clients/${HUB}/state`);
    expect(keys.filter((k) => k.startsWith('pkt/'))).toEqual([]);
    const before = state.snapshot();
    expect(errorCode(await rejection(gw.initHubClient(txAt(state, now(), ORG1_ADMIN), { chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(2))))).toBe('PNT_ERR_FABRIC_CC_ALREADY_INITIALISED');
    expect(errorCode(await rejection(gw.initHubClient(txAt(new MemoryState(), now(), ORG1), { chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(2))))).toBe('PNT_ERR_FABRIC_CC_NOT_ADMIN');
    expect(state.snapshot()).toEqual(before);
  });

  it('behavior: follows adjacent and skipping updates and a validator-set change signed by > 2/3 of the trusted next set', async () => {
    const h3 = await hub.commit();
    expect(await gw.updateClient(txAt(state, now()), hub.update(h3, 2))).toMatchObject({ kind: 'updated', heights: [3], latestHeight: 3 });
    // a new set: decided at 5, signs from 7; the client moves across it header by header
    const added = hub.chain.newValidator();
    hub.chain.changeValidators(hub.height + 1, [{ validator: added, power: 30 }]);
    for (let i = 0; i < 4; i++) await hub.commit();
    const h = hub.height;
    expect(hub.chain.validatorSet(h).hash()).not.toBe(hub.chain.validatorSet(3).hash());
    for (let t = 4; t <= h; t++) expect(await gw.updateClient(txAt(state, now()), hub.update(t, t - 1))).toMatchObject({ kind: 'updated', latestHeight: t });
  });

  it('error: a forged commit (signatures below 2/3, a wrong validator set, a duplicated signer, another chain) is refused and changes nothing', async () => {
    const h = await hub.commit();
    const t = trustedHeight();
    const before = state.snapshot();
    // the most signers that still hold no more than 2/3 of the power
    const third = hub.chain.signersWithPower(h, 2, 3, true).slice(0, -1);
    const forged = [
      { msg: hub.update(h, t, hub.chain.withSigners(h, third)), code: 'PNT_ERR_LC_INVALID_COMMIT' },
      { msg: { ...hub.update(h, t), validators: hub.chain.validatorSet(1).toJSON() }, code: 'PNT_ERR_LC_VALSET_MISMATCH' },
      { msg: hub.update(h, t, hub.chain.withDuplicateSigner(hub.chain.withSigners(h, third))), code: 'PNT_ERR_LC_INVALID_COMMIT' },
      { msg: hub.update(h, t, { ...hub.chain.signedHeader(h), commit: hub.chain.signHeader(hub.chain.header(h), { chainId: 'other-hub' }) }), code: 'PNT_ERR_LC_INVALID_COMMIT' },
      { msg: hub.update(h, t, hub.chain.tamper(hub.chain.signedHeader(h), { stateRoot: `0x${'ee'.repeat(32)}` })), code: 'PNT_ERR_LC_INVALID_COMMIT' },
      { msg: { nonsense: true }, code: 'PNT_ERR_CLIENT_MSG_INVALID' },
    ];
    for (const f of forged) {
      expect(errorCode(await rejection(gw.updateClient(txAt(state, now()), f.msg))), JSON.stringify(f.code)).toBe(f.code);
      expect(state.snapshot()).toEqual(before);
    }
    await gw.updateClient(txAt(state, now()), hub.update(h, t));
  });
});

describe('hub client: validator sets it does not trust', () => {
  it('error: a header signed by a set the client never trusted is refused, adjacent or skipping, and changes nothing', async () => {
    const t = trustedHeight();
    const impostor = new ChainBuilder({ chainId: HUB, seed: 'fabric-cc-impostor', genesisTime: HUB_GENESIS_MS }).extendTo(t + 3);
    const forged = (h: number) => ({ signedHeader: impostor.signedHeader(h), validators: impostor.validatorSet(h).toJSON(), nextValidators: impostor.validatorSet(h + 1).toJSON(), trustedHeight: t });
    const before = state.snapshot();
    expect(errorCode(await rejection(gw.updateClient(txAt(state, now()), forged(t + 1))))).toBe('PNT_ERR_LC_ADJACENT_VALSET_MISMATCH');
    expect(errorCode(await rejection(gw.updateClient(txAt(state, now()), forged(t + 3))))).toBe('PNT_ERR_LC_INSUFFICIENT_TRUST');
    expect(state.snapshot()).toEqual(before);
  });
});

describe('receiving packets', () => {
  it('behavior: a request proven by the hub gets the record in its ack; receipt, ack commitment and event are written', async () => {
    const p = request('deed-17');
    const h = await forwarded(p);
    const tx = txAt(state, now());
    const [r] = await gw.recvPackets(tx, h, [{ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h) }]);
    expect(r).toEqual({ id: `${channelId(p)}/${p.sequence}`, result: 'ok' });
    const received = tx.events.find((e) => e.type === 'packet/received')!;
    const ack = decodeAck(fromHex(received.attributes.ack));
    expect(ack.ok).toBe(true);
    expect(JSON.parse(text((ack as { result: Hex }).result))).toEqual({ id: 'deed-17', owner: ORG1.mspId, data: toHex(utf8('parcel 17: Ada')) });
    // Pontis keys under their own names, values as the hub's packet keeper verifies them
    expect(toHex(state.m.get(key(K.receipt(channelId(p), p.sequence)))!)).toBe('0x01');
    expect(toHex(state.m.get(key(K.ack(channelId(p), p.sequence)))!)).toBe(toHex(ackCommitment(fromHex(received.attributes.ack))));
    expect(await gw.getState(state, [key(K.ack(channelId(p), p.sequence)), key(K.receipt(channelId(p), 999))])).toEqual([toHex(ackCommitment(fromHex(received.attributes.ack))), null]);

    // replayed: already done, nothing written
    const before = state.snapshot();
    const again = await gw.recvPackets(txAt(state, now()), h, [{ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h) }]);
    expect(again[0].result).toBe('already-done');
    expect(state.snapshot()).toEqual(before);
  });

  it('behavior: refused requests get error acks with stable codes (not allowed, missing), each item on its own', async () => {
    const denied = request('deed-17', { srcChain: 'dept-b' });
    const missing = request('deed-404');
    const h = await forwarded(denied, missing);
    const tx = txAt(state, now());
    const rs = await gw.recvPackets(tx, h, [denied, missing].map((p) => ({ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h) })));
    expect(rs.map((r) => r.result)).toEqual(['ok', 'ok']);
    const acks = tx.events.filter((e) => e.type === 'packet/received').map((e) => decodeAck(fromHex(e.attributes.ack)));
    expect(acks).toEqual([
      { ok: false, error: 'PNT_ERR_RECORDS_ACCESS_DENIED' },
      { ok: false, error: 'PNT_ERR_RECORDS_NOT_FOUND' },
    ]);
    expect(toHex(state.m.get(key(K.ack(channelId(denied), denied.sequence)))!)).toBe(toHex(ackCommitment(encodeAck({ ok: false, error: 'PNT_ERR_RECORDS_ACCESS_DENIED' }))));
  });

  it('error: a tampered proof, an altered packet, a proof of another height, a timed-out or misaddressed packet and are a height the client never verified are refused per item, writing nothing', async () => {
    const p = request('deed-17');
    const late = request('deed-17', { timeoutTimestamp: now() + 2_000 });
    const h = await forwarded(p, late);
    const proof = hub.proof(K.outbound(channelId(p), p.sequence), h);
    const bytes = fromHex(proof);
    bytes[bytes.length - 1] ^= 1;
    const before = state.snapshot();
    const rs = await gw.recvPackets(txAt(state, now() + 5_000), h, [
      { packet: p, proof: toHex(bytes) },
      { packet: { ...p, payload: recordRequest('deed-18') }, proof },
      { packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h - 1) }, // another height's proof
      { packet: late, proof: hub.proof(K.outbound(channelId(late), late.sequence), h) },
      { packet: { ...p, dstChain: 'elsewhere' }, proof },
    ]);
    expect(rs.map((r) => (r.result === 'failed' ? r.code : r.result))).toEqual([
      'PNT_ERR_PROOF_INVALID',
      'PNT_ERR_PROOF_INVALID',
      'PNT_ERR_PROOF_INVALID',
      'PNT_ERR_PACKET_TIMED_OUT',
      'PNT_ERR_PACKET_WRONG_CHAIN',
    ]);
    // a height the client never verified
    const unknown = await gw.recvPackets(txAt(state, now()), h - 1, [{ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h - 1) }]);
    expect(unknown[0]).toMatchObject({ result: 'failed', code: 'PNT_ERR_CLIENT_NO_CONSENSUS' });
    expect(state.snapshot()).toEqual(before);
    // the same packet with its real proof still goes through afterwards
    expect((await gw.recvPackets(txAt(state, now()), h, [{ packet: p, proof }]))[0].result).toBe('ok');
  });

  it('behavior: a packet with a height timeout gets an error ack (Fabric chaincode cannot judge its block height)', async () => {
    const p = request('deed-17', { timeoutHeight: 50 });
    const h = await forwarded(p);
    const tx = txAt(state, now());
    expect((await gw.recvPackets(tx, h, [{ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h) }]))[0].result).toBe('ok');
    expect(decodeAck(fromHex(tx.events.find((e) => e.type === 'packet/received')!.attributes.ack))).toEqual({ ok: false, error: 'PNT_ERR_FABRIC_CC_HEIGHT_TIMEOUT' });
  });
});

describe('timeouts of packets addressed to Fabric (TIMEOUT marker)', () => {
  it('behavior: past its timeout an unreceived packet gets the marker; it can then never be received', async () => {
    const p = request('deed-17', { timeoutTimestamp: now() + 3_000 });
    const h = await forwarded(p);
    const proof = hub.proof(K.outbound(channelId(p), p.sequence), h);
    const before = state.snapshot();
    expect(errorCode(await rejection(gw.timeoutPacket(txAt(state, p.timeoutTimestamp - 1), h, p, proof)))).toBe('PNT_ERR_PACKET_NOT_TIMED_OUT');
    expect(state.snapshot()).toEqual(before);
    expect(errorCode(await rejection(gw.timeoutPacket(txAt(state, p.timeoutTimestamp), h, { ...p, payload: recordRequest('other') }, proof)))).toBe('PNT_ERR_PROOF_INVALID');
    expect(state.snapshot()).toEqual(before);

    const tx = txAt(state, p.timeoutTimestamp);
    expect(await gw.timeoutPacket(tx, h, p, proof)).toMatchObject({ result: 'ok' });
    expect(toHex(state.m.get(key(K.receipt(channelId(p), p.sequence)))!)).toBe(toHex(FABRIC_TIMEOUT_MARKER));
    expect(tx.events.map((e) => e.type)).toEqual(['packet/timeout-marked']);
    expect(await gw.getState(state, [key(K.receipt(channelId(p), p.sequence))])).toEqual([toHex(FABRIC_TIMEOUT_MARKER)]);

    const after = state.snapshot();
    const rs = await gw.recvPackets(txAt(state, p.timeoutTimestamp - 1000), h, [{ packet: p, proof }]);
    expect(rs[0]).toMatchObject({ result: 'failed', code: 'PNT_ERR_PACKET_TIMED_OUT' });
    expect(await gw.timeoutPacket(txAt(state, now()), h, p, proof)).toMatchObject({ result: 'already-done' });
    expect(state.snapshot()).toEqual(after);
  });

  it('error: a packet already received cannot be timed out, and a packet the hub never forwarded cannot be marked', async () => {
    const p = request('deed-17', { timeoutTimestamp: now() + 3_000 });
    const h = await forwarded(p);
    const proof = hub.proof(K.outbound(channelId(p), p.sequence), h);
    await gw.recvPackets(txAt(state, now()), h, [{ packet: p, proof }]);
    const before = state.snapshot();
    expect(errorCode(await rejection(gw.timeoutPacket(txAt(state, p.timeoutTimestamp), h, p, proof)))).toBe('PNT_ERR_FABRIC_CC_ALREADY_RECEIVED');
    const never = request('deed-17', { timeoutTimestamp: now() + 1 });
    const absent = hub.proof(K.outbound(channelId(never), never.sequence), h);
    expect(errorCode(await rejection(gw.timeoutPacket(txAt(state, never.timeoutTimestamp), h, never, absent)))).toBe('PNT_ERR_PROOF_INVALID');
    expect(state.snapshot()).toEqual(before);
  });
});

describe('ordered channels', () => {
  it('behavior: delivered in sequence only; a timeout of the packet the channel waits for closes it', async () => {
    let n = 0;
    const ordered = (over: Partial<Packet> = {}): Packet => ({ srcChain: 'dept-c', srcApp: 'msg', dstChain: FABRIC, dstApp: 'msg', sequence: ++n, ordered: true, payload: toHex(utf8('{"data":"0x01","from":"0x02"}')), timeoutHeight: 0, timeoutTimestamp: now() + 600_000, ...over });
    const [p1, p2, p3] = [ordered(), ordered({ timeoutTimestamp: now() + 3_000 }), ordered()];
    const h = await forwarded(p1, p2, p3);
    const item = (p: Packet) => ({ packet: p, proof: hub.proof(K.outbound(channelId(p), p.sequence), h) });
    const first = await gw.recvPackets(txAt(state, now()), h, [item(p1), item(p3)]);
    expect(first.map((r) => (r.result === 'failed' ? r.code : r.result))).toEqual(['ok', 'PNT_ERR_PACKET_OUT_OF_ORDER']);
    // p3 cannot time out while p2 is pending; p2 can, and that closes the channel
    expect(errorCode(await rejection(gw.timeoutPacket(txAt(state, p3.timeoutTimestamp), h, p3, item(p3).proof)))).toBe('PNT_ERR_PACKET_OUT_OF_ORDER');
    expect((await gw.timeoutPacket(txAt(state, p2.timeoutTimestamp), h, p2, item(p2).proof)).result).toBe('ok');
    expect(state.text(key(K.ordering(channelId(p1))))).toBe('"closed"');
    const after = await gw.recvPackets(txAt(state, now()), h, [item(p3)]);
    expect(after[0]).toMatchObject({ result: 'failed', code: 'PNT_ERR_CHANNEL_CLOSED' });
  });
});

describe('sending: attestations, acks and timeouts from the hub', () => {
  const subject = toHex(new Uint8Array(32).fill(7));

  async function issue(timeoutTimestamp = 0) {
    const tx = txAt(state, now(), ORG2);
    const r = await gw.run(tx, (env) => issueAttestation(env, gw.packets, ORG2, { subject, kind: 'judicial-evidence', expiresAtMs: now() + DAY_MS }, { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp }));
    return { ...r, tx };
  }
  const DAY_MS = 86_400_000;

  it('behavior: issuing sends the AttestationVerifier payload; the commitment is written and the event carries the packet', async () => {
    const { packet, tx } = await issue();
    expect(packet).toMatchObject({ srcChain: FABRIC, srcApp: 'attest', dstChain: 'evm-a', dstApp: 'attest', ordered: false, timeoutHeight: 0 });
    expect(sentPackets(tx.events)).toEqual([packet]);
    expect(toHex(state.m.get(key(K.outbound(channelId(packet), packet.sequence)))!)).toBe(toHex(packetCommitment(packet)));
    const [version, issuerChain, issuer, subj, kind, expiresAtMs, revoked] = AbiCoder.defaultAbiCoder().decode(['uint8', 'string', 'string', 'bytes32', 'bytes32', 'uint64', 'bool'], packet.payload);
    expect([Number(version), issuerChain, issuer, subj, kind, revoked]).toEqual([1, FABRIC, ORG2.mspId, subject, kindHash('judicial-evidence'), false]);
    expect(Number(expiresAtMs)).toBeGreaterThan(now());
  });

  it('behavior: the hub ack resolves the packet once (commitment deleted, outcome kept); a forged ack is refused', async () => {
    const { packet } = await issue();
    const ack = encodeAck({ ok: true, result: '0x01' });
    const h = await hub.commit([[K.ack(channelId(packet), packet.sequence), ackCommitment(ack)]]);
    await gw.updateClient(txAt(state, now()), hub.update(h, trustedHeight()));
    const proof = hub.proof(K.ack(channelId(packet), packet.sequence), h);
    const before = state.snapshot();
    const forged = await gw.acknowledgePackets(txAt(state, now()), h, [{ packet, ack: toHex(encodeAck({ ok: false, error: 'PNT_ERR_X' })), proof }]);
    expect(forged[0]).toMatchObject({ result: 'failed', code: 'PNT_ERR_PROOF_INVALID' });
    expect(state.snapshot()).toEqual(before);
    expect((await gw.acknowledgePackets(txAt(state, now()), h, [{ packet, ack: toHex(ack), proof }]))[0].result).toBe('ok');
    expect(state.m.has(key(K.outbound(channelId(packet), packet.sequence)))).toBe(false);
    expect(await gw.run(txAt(state, now()), (env) => readOutcome(env.store, 'evm-a', packet.sequence))).toBe('delivered');
    expect((await gw.acknowledgePackets(txAt(state, now()), h, [{ packet, ack: toHex(ack), proof }]))[0].result).toBe('already-done');
  });

  it('behavior: a packet the hub never received times out on a hub absence proof past its timeout, not before', async () => {
    const { packet } = await issue(now() + 4_000);
    // the hub keeps receipts as bits: its word for this packet was never written
    const word = K.receiptBits(channelId(packet), packet.sequence);
    const absent = (h: number) => ({ word: null, proof: hub.proof(word, h) });
    const early = await hub.commit();
    await gw.updateClient(txAt(state, now()), hub.update(early, trustedHeight()));
    const before = state.snapshot();
    const notYet = await gw.timeoutPackets(txAt(state, now()), early, [{ packet, proof: absent(early) }]);
    expect(notYet[0]).toMatchObject({ result: 'failed', code: 'PNT_ERR_PACKET_NOT_TIMED_OUT' });
    expect(state.snapshot()).toEqual(before);
    const h = await hub.advanceTo(packet.timeoutTimestamp);
    await gw.updateClient(txAt(state, now()), hub.update(h, trustedHeight()));
    expect((await gw.timeoutPackets(txAt(state, now()), h, [{ packet, proof: absent(h) }]))[0].result).toBe('ok');
    expect(await gw.run(txAt(state, now()), (env) => readOutcome(env.store, 'evm-a', packet.sequence))).toBe('timed-out');
  });

  it('error: a receipt present on the hub cannot be passed off as absent', async () => {
    const { packet } = await issue(now() + 2_000);
    const word = K.receiptBits(channelId(packet), packet.sequence);
    const bits = withReceiptBit(undefined, packet.sequence);
    await hub.commit([[word, bits]]);
    const h = await hub.advanceTo(packet.timeoutTimestamp);
    await gw.updateClient(txAt(state, now()), hub.update(h, trustedHeight()));
    const before = state.snapshot();
    const attempts: [unknown, string][] = [
      [{ word: toHex(bits), proof: hub.proof(word, h) }, 'PNT_ERR_PROOF_KEY_PRESENT'], // the bit is set
      [{ word: null, proof: hub.proof(word, h) }, 'PNT_ERR_PROOF_KEY_PRESENT'], // the word claimed absent
      [{ word: toHex(new Uint8Array(32)), proof: hub.proof(word, h) }, 'PNT_ERR_PROOF_INVALID'], // the bit cleared by hand
      [hub.proof(K.receipt(channelId(packet), packet.sequence), h), 'PNT_ERR_PROOF_MALFORMED'], // the never-written question key's absence
    ];
    for (const [proof, code] of attempts) {
      const r = await gw.timeoutPackets(txAt(state, now()), h, [{ packet, proof }]);
      expect(r[0]).toMatchObject({ result: 'failed', code });
    }
    expect(state.snapshot()).toEqual(before);
  });
});

describe('sending: revocations and messages', () => {
  it('behavior: only the issuing org revokes; the revocation carries the verifier payload and is final for that org', async () => {
    const subject = toHex(new Uint8Array(32).fill(9));
    const dst = { dstChain: 'evm-a', dstApp: 'attest', timeoutTimestamp: 0 };
    await gw.run(txAt(state, now(), ORG2), (env) => issueAttestation(env, gw.packets, ORG2, { subject, kind: 'judicial-evidence', expiresAtMs: now() + 60_000 }, dst));
    const before = state.snapshot();
    const notIssuer = await rejection(gw.run(txAt(state, now(), ORG1), (env) => revokeAttestation(env, gw.packets, ORG1, subject, dst)));
    expect(errorCode(notIssuer)).toBe('PNT_ERR_ATTESTATION_NOT_ISSUER');
    expect(state.snapshot()).toEqual(before);
    const { packet } = await gw.run(txAt(state, now(), ORG2), (env) => revokeAttestation(env, gw.packets, ORG2, subject, dst));
    const decoded = AbiCoder.defaultAbiCoder().decode(['uint8', 'string', 'string', 'bytes32', 'bytes32', 'uint64', 'bool'], packet.payload);
    expect([Number(decoded[0]), decoded[1], decoded[2], decoded[3], decoded[4], Number(decoded[5]), decoded[6]]).toEqual([1, FABRIC, ORG2.mspId, subject, `0x${'00'.repeat(32)}`, 0, true]);
    const again = await rejection(gw.run(txAt(state, now(), ORG2), (env) => issueAttestation(env, gw.packets, ORG2, { subject, kind: 'judicial-evidence', expiresAtMs: now() + 60_000 }, dst)));
    expect(errorCode(again)).toBe('PNT_ERR_ATTESTATION_REVOKED');
  });

  it('behavior: a msg packet carries its sender; sequences count per channel; a timeout already past is refused', async () => {
    const m = { dstChain: 'dept-a', dstApp: 'msg', data: '0xbeef' as Hex, timeoutTimestamp: now() + 60_000, ordered: false };
    const a = await gw.sendMessage(txAt(state, now(), ORG1), m);
    const b = await gw.sendMessage(txAt(state, now(), ORG2), m);
    const c = await gw.sendMessage(txAt(state, now(), ORG1), { ...m, dstApp: 'other' });
    expect([a.sequence, b.sequence, c.sequence]).toEqual([1, 2, 1]);
    expect(JSON.parse(text(a.payload))).toEqual({ from: toHex(sha256(utf8(`${ORG1.mspId}::${ORG1.id}`))), data: '0xbeef' });
    const before = state.snapshot();
    expect(errorCode(await rejection(gw.sendMessage(txAt(state, now()), { ...m, timeoutTimestamp: now() - 1 })))).toBe('PNT_ERR_PACKET_TIMED_OUT');
    expect(errorCode(await rejection(gw.sendMessage(txAt(state, now()), { ...m, dstChain: FABRIC })))).toBe('PNT_ERR_PACKET_TO_SELF');
    expect(state.snapshot()).toEqual(before);
  });

  it('behavior: a thousand msg packets on two channels in one transaction read no key per packet and not the hub client', async () => {
    const m = (i: number) => ({ dstChain: 'dept-b', dstApp: i % 2 ? 'msg' : 'bulk', data: toHex(utf8(`#${i}`)), timeoutTimestamp: now() + 60_000, ordered: false });
    const read: string[] = [];
    const recording = { get: (k: string) => (read.push(k), state.get(k)), put: (k: string, v: Uint8Array) => state.put(k, v), delete: (k: string) => state.delete(k) };
    const sent = await gw.sendMessages(txAt(recording, now(), ORG1), Array.from({ length: 1000 }, (_, i) => m(i)));
    expect(sent).toHaveLength(1000);
    expect(new Set(sent.map((p) => `${p.dstApp}/${p.sequence}`)).size).toBe(1000);
    // config, registry, and per channel its next sequence and ordering: nothing per packet (a round trip to the peer each)
    expect(new Set(read).size).toBe(read.length);
    expect(read.length).toBeLessThanOrEqual(6);
    expect(read.filter((k) => k.startsWith('pontis-client/clients/'))).toEqual([]);
    // no batch commitments here (no end of block seals them): nothing under pkt/batch or its index records
    expect(Object.keys(state.snapshot()).filter((k) => k.includes('pkt/batch'))).toEqual([]);
  });
});

describe('freezing', () => {
  it('behavior: a conflicting header at a stored height freezes the client; then every proof and update is refused', async () => {
    const p = request('deed-17');
    const h = await forwarded(p);
    const proof = hub.proof(K.outbound(channelId(p), p.sequence), h);
    const fork = hub.chain.forkHeader(h, { stateRoot: `0x${'ab'.repeat(32)}` });
    const below = Object.keys(state.snapshot()).filter((k) => k.includes(`consensus/`)).length;
    expect(await gw.updateClient(txAt(state, now()), hub.update(h, hubTrustedBelow(h), fork))).toMatchObject({ kind: 'frozen' });
    expect(Object.keys(state.snapshot()).filter((k) => k.includes(`consensus/`)).length).toBe(below);
    expect(await gw.clientStatus(txAt(state, now()))).toMatchObject({ status: 'frozen' });
    const before = state.snapshot();
    const rs = await gw.recvPackets(txAt(state, now()), h, [{ packet: p, proof }]);
    expect(rs[0]).toMatchObject({ result: 'failed', code: 'PNT_ERR_CLIENT_FROZEN' });
    expect(errorCode(await rejection(gw.timeoutPacket(txAt(state, p.timeoutTimestamp), h, p, proof)))).toBe('PNT_ERR_CLIENT_FROZEN');
    const next = await hub.commit();
    expect(errorCode(await rejection(gw.updateClient(txAt(state, now()), hub.update(next, h))))).toBe('PNT_ERR_CLIENT_FROZEN');
    expect(state.snapshot()).toEqual(before);
  });
});

describe('freezing on evidence', () => {
  it('behavior: two conflicting headers, each committed, freeze a fresh client ({a, b} evidence)', async () => {
    const fresh = new MemoryState();
    await gw.initHubClient(txAt(fresh, now(), ORG1_ADMIN), { chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(hub.height - 3));
    const h = hub.height - 1;
    const evidence = { a: hub.update(h, hub.height - 3), b: hub.update(h, hub.height - 3, hub.chain.forkHeader(h, { stateRoot: `0x${'cd'.repeat(32)}` })) };
    expect(await gw.updateClient(txAt(fresh, now()), evidence)).toMatchObject({ kind: 'frozen', height: h });
    expect(await gw.clientStatus(txAt(fresh, now()))).toMatchObject({ status: 'frozen' });
    const notEvidence = { a: hub.update(h, hub.height - 3), b: hub.update(h, hub.height - 3) };
    const other = new MemoryState();
    await gw.initHubClient(txAt(other, now(), ORG1_ADMIN), { chainId: FABRIC, hubChainId: HUB }, CLIENT_PARAMS, hub.initial(hub.height - 3));
    const before = other.snapshot();
    expect(errorCode(await rejection(gw.updateClient(txAt(other, now()), notEvidence)))).toBe('PNT_ERR_CLIENT_MISBEHAVIOUR_INVALID');
    expect(other.snapshot()).toEqual(before);
  });
});

/** A height the client holds below `h` (the conflicting header must verify from trusted state). */
function hubTrustedBelow(h: number): number {
  const held = [...state.m.keys()].filter((k) => k.startsWith(`pontis-client/clients/${HUB}/consensus/`)).map((k) => Number(k.split('/').pop()));
  return Math.max(...held.filter((x) => x < h));
}

describe('records and state', () => {
  it('behavior: a record is written and read by its owning org only; another org cannot overwrite it', async () => {
    const before = state.snapshot();
    const err = await rejection(gw.run(txAt(state, now(), ORG2), (env) => putRecord(env.store, ORG2, now(), { id: 'deed-17', data: '0x00', allow: [] })));
    expect(errorCode(err)).toBe('PNT_ERR_RECORDS_ACCESS_DENIED');
    expect(state.snapshot()).toEqual(before);
    expect(await gw.run(txAt(state, now(), ORG1), (env) => getRecord(env.store, ORG1, 'deed-17'))).toMatchObject({ owner: ORG1.mspId, allow: ['dept-a'] });
    expect(errorCode(await rejection(gw.run(txAt(state, now(), ORG2), (env) => getRecord(env.store, ORG2, 'deed-17'))))).toBe('PNT_ERR_RECORDS_ACCESS_DENIED');
    expect(errorCode(await rejection(gw.run(txAt(state, now(), ORG1), (env) => getRecord(env.store, ORG1, 'deed-404'))))).toBe('PNT_ERR_RECORDS_NOT_FOUND');
  });
});
