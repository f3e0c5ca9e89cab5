/**
 * Validation on commit, adversarial: transactions endorsed by the real network, then tampered and
 * re-signed by the client (so the orderer accepts them) are committed with Fabric's validation
 * code and change nothing: a tampered endorsement signature, the same endorser twice (2 of 3
 * policy), an endorser from an unknown CA, an altered write set, a txid not derived from
 * nonce and creator, a high-S creator signature. Plus the MSP checks on their own.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { common, gateway as gp, ledger as lp, peer } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issue } from '../../../devnet/fabric/ca.ts';
import { isHighS, MspRegistry, serializeIdentity, toLowS } from '../../../hub-chain/light-clients/fabric/msp.ts';
import { newSigner } from '../../../devnet/fabric/identity.ts';
import { type EndorsedTxRules, verifyEndorsedTransaction } from '../../../hub-chain/light-clients/fabric/transaction.ts';
import { startFabricNetwork, type FabricNetwork } from '../../../devnet/fabric/network.ts';
import { hasCode } from '../../../hub-chain/errors.ts';
import { gatewayFor } from './client.ts';
import { startKvChaincode } from './kv-chaincode.ts';

const C = peer.TxValidationCode;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');

let dir: string;
let cc: Awaited<ReturnType<typeof startKvChaincode>>;
let net: FabricNetwork;
let gw: Gateway;
let client: grpc.Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-val-'));
  cc = await startKvChaincode();
  net = await startFabricNetwork({ orgs: 3, dir, chaincodes: { kv: cc.address }, policy: { outOf: 2 }, batchTimeoutMs: 20 });
  ({ gateway: gw, client } = gatewayFor(net.orgs[0]));
});

afterAll(async () => {
  gw?.close();
  client?.close();
  await net?.stop();
  cc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const contract = () => gw.getNetwork('mychannel').getContract('kv');

/** The parts of an endorsed transaction a test tampers with. */
interface Parts {
  payload: common.Payload;
  header: common.ChannelHeader;
  cap: peer.ChaincodeActionPayload;
  tx: peer.Transaction;
}

function split(prepared: Uint8Array): { pt: gp.PreparedTransaction; parts: Parts } {
  const pt = gp.PreparedTransaction.deserializeBinary(prepared);
  const payload = common.Payload.deserializeBinary(pt.getEnvelope()!.getPayload_asU8());
  const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
  const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
  return { pt, parts: { payload, tx, cap, header: common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()) } };
}

function join_(pt: gp.PreparedTransaction, p: Parts): Uint8Array {
  p.tx.getActionsList()[0].setPayload(p.cap.serializeBinary());
  p.payload.setData(p.tx.serializeBinary());
  p.payload.getHeader()!.setChannelHeader(p.header.serializeBinary());
  const env = new common.Envelope();
  env.setPayload(p.payload.serializeBinary());
  pt.setEnvelope(env);
  pt.setTransactionId(p.header.getTxId()); // what the client asks the commit status for
  return pt.serializeBinary();
}

/** Endorses put(key, value) on the network, lets `tamper` change it, signs as the client and submits; returns the commit code. */
async function submitTampered(key: string, value: string, tamper: (p: Parts) => void, signWith?: (payload: Uint8Array) => Uint8Array): Promise<number> {
  const endorsed = await contract().newProposal('put', { arguments: [key, value] }).endorse();
  const { pt, parts } = split(endorsed.getBytes());
  tamper(parts);
  const bytes = join_(pt, parts);
  const payload = gp.PreparedTransaction.deserializeBinary(bytes).getEnvelope()!.getPayload_asU8();
  const userKey = createPrivateKey(net.orgs[0].userKeyPem);
  const sig = signWith ? signWith(payload) : toLowS(sign('sha256', payload, { key: userKey, dsaEncoding: 'der' }));
  const submitted = await gw.newSignedTransaction(bytes, sig).submit();
  return (await submitted.getStatus()).code;
}

describe('validation on commit', () => {
  it('behavior: an untampered transaction re-signed the same way commits VALID (the harness itself is sound)', async () => {
    expect(await submitTampered('ok', 'v', () => {})).toBe(C.VALID);
    expect(utf8(await contract().evaluateTransaction('get', 'ok'))).toBe('v');
  });

  const cases: [string, string, (p: Parts) => void | Promise<void>, number][] = [
    [
      'one of the two endorsement signatures tampered',
      'k-sig',
      (p) => {
        const e = p.cap.getAction()!.getEndorsementsList()[1];
        const s = Buffer.from(e.getSignature_asU8());
        s[s.length - 1] ^= 1;
        e.setSignature(s);
      },
      C.ENDORSEMENT_POLICY_FAILURE,
    ],
    [
      'the same endorser twice (counted once: 1 of the 2 orgs needed)',
      'k-dup',
      (p) => {
        const [first] = p.cap.getAction()!.getEndorsementsList();
        p.cap.getAction()!.setEndorsementsList([first, first]);
      },
      C.ENDORSEMENT_POLICY_FAILURE,
    ],
    [
      'the write set altered after endorsement',
      'k-ws',
      (p) => {
        const prp = peer.ProposalResponsePayload.deserializeBinary(p.cap.getAction()!.getProposalResponsePayload_asU8());
        const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
        const rw = lp.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
        const ns = rw.getNsRwsetList()[0];
        const kv = lp.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
        kv.getWritesList()[0].setValue(Buffer.from('forged'));
        ns.setRwset(kv.serializeBinary());
        action.setResults(rw.serializeBinary());
        prp.setExtension$(action.serializeBinary());
        p.cap.getAction()!.setProposalResponsePayload(prp.serializeBinary());
      },
      C.ENDORSEMENT_POLICY_FAILURE,
    ],
    [
      'a transaction id not derived from nonce and creator',
      'k-txid',
      (p) => p.header.setTxId('00'.repeat(32)),
      C.BAD_PROPOSAL_TXID,
    ],
  ];

  for (const [name, key, tamper, code] of cases) {
    it(`error: ${name} commits as ${Object.entries(C).find(([, v]) => v === code)![0]} and writes nothing`, async () => {
      expect(await submitTampered(key, 'x', tamper)).toBe(code);
      expect(utf8(await contract().evaluateTransaction('get', key))).toBe('');
    });
  }

  it('error: endorsements from a peer certificate of an unknown CA do not count', async () => {
    const ca = await createCa('ca.org2.example.com', 'org2.example.com'); // same names, different keys
    const leaf = await issue(ca, { commonName: 'peer0.org2.example.com', org: 'org2.example.com', ou: 'peer' });
    const fake = newSigner('Org2MSP', leaf.certPem, createPrivateKey(leaf.keyPem));
    const code = await submitTampered('k-ca', 'x', (p) => {
      const action = p.cap.getAction()!;
      const prp = action.getProposalResponsePayload_asU8();
      const e = new peer.Endorsement();
      e.setEndorser(fake.creator);
      e.setSignature(fake.sign(Buffer.concat([prp, fake.creator])));
      action.setEndorsementsList([action.getEndorsementsList()[0], e]);
    });
    expect(code).toBe(C.ENDORSEMENT_POLICY_FAILURE);
    expect(utf8(await contract().evaluateTransaction('get', 'k-ca'))).toBe('');
  });

  it('error: a high-S creator signature is refused at the orderer (Fabric requires low-S)', async () => {
    const userKey = createPrivateKey(net.orgs[0].userKeyPem);
    const highS = (payload: Uint8Array) => {
      const low = toLowS(sign('sha256', payload, { key: userKey, dsaEncoding: 'der' }));
      // s' = n - s of the low-S form is the high-S form of the same signature
      const rLen = low[3];
      const r = low.subarray(4, 4 + rLen);
      const s = BigInt('0x' + Buffer.from(low.subarray(6 + rLen)).toString('hex'));
      let hex = (N - s).toString(16);
      if (hex.length % 2) hex = '0' + hex;
      let sb = Buffer.from(hex, 'hex');
      if (sb[0] & 0x80) sb = Buffer.concat([Buffer.from([0]), sb]);
      const body = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, sb.length]), sb]);
      const out = Buffer.concat([Buffer.from([0x30, body.length]), body]);
      expect(isHighS(out)).toBe(true);
      return out;
    };
    const e = await submitTampered('k-high', 'x', () => {}, highS).catch((x: unknown) => x);
    expect((e as Error).name).toBe('SubmitError');
    expect((e as Error).message).toMatch(/FORBIDDEN/);
    expect(utf8(await contract().evaluateTransaction('get', 'k-high'))).toBe('');
  });
});

describe('MSP registry', () => {
  it('error: refuses identities of unknown MSPs, of another org\'s CA, and bad signatures with typed errors', async () => {
    const msps = new MspRegistry({ Org1MSP: [net.orgs[0].caCertPem], Org2MSP: [net.orgs[1].caCertPem] });
    const key = createPrivateKey(net.orgs[0].userKeyPem);
    const good = newSigner('Org1MSP', net.orgs[0].userCertPem, key);
    const msg = Buffer.from('hello');
    expect(msps.verify(good.creator, msg, good.sign(msg))).toBe('Org1MSP');
    const refusals: [Uint8Array, Uint8Array, string][] = [
      [serializeIdentity('Org9MSP', net.orgs[0].userCertPem), good.sign(msg), 'PNT_ERR_FABRIC_IDENTITY'],
      [serializeIdentity('Org2MSP', net.orgs[0].userCertPem), good.sign(msg), 'PNT_ERR_FABRIC_IDENTITY'],
      [good.creator, good.sign(Buffer.from('other')), 'PNT_ERR_FABRIC_SIGNATURE'],
      [Buffer.from('not a proto at all, just bytes'), good.sign(msg), 'PNT_ERR_FABRIC_IDENTITY'],
    ];
    for (const [creator, sig, codeWanted] of refusals) {
      let err: unknown;
      try {
        msps.verify(creator, msg, sig);
      } catch (e) {
        err = e;
      }
      expect(hasCode(err, codeWanted)).toBe(true);
    }
    // an expired certificate of the right CA
    const ca = { certPem: net.orgs[0].caCertPem, keyPem: (await import('node:fs')).readFileSync(join(dir, 'organizations/peerOrganizations/org1.example.com/ca/priv_sk'), 'utf8') };
    const old = await issue(ca, { commonName: 'Old@org1.example.com', org: 'org1.example.com', ou: 'client', notAfter: new Date(Date.now() + 1000) });
    const oldSigner = newSigner('Org1MSP', old.certPem, createPrivateKey(old.keyPem));
    let expired: unknown;
    try {
      msps.verify(oldSigner.creator, msg, oldSigner.sign(msg), new Date(Date.now() + 3600_000));
    } catch (e) {
      expired = e;
    }
    expect(hasCode(expired, 'PNT_ERR_FABRIC_IDENTITY')).toBe(true);
  });
});

describe('the endorsed-transaction check the hub shares (verifyEndorsedTransaction)', () => {
  /** A transaction endorsed by the network for put(key, value), signed by org1's user: envelope bytes, never submitted. */
  async function endorsedEnvelope(key: string, value: string, tamper: (p: Parts) => void = () => {}): Promise<Uint8Array> {
    const endorsed = await contract().newProposal('put', { arguments: [key, value] }).endorse();
    const { pt, parts } = split(endorsed.getBytes());
    tamper(parts);
    const env = gp.PreparedTransaction.deserializeBinary(join_(pt, parts)).getEnvelope()!;
    env.setSignature(toLowS(sign('sha256', env.getPayload_asU8(), { key: createPrivateKey(net.orgs[0].userKeyPem), dsaEncoding: 'der' })));
    return env.serializeBinary();
  }
  const msps = () => new MspRegistry(Object.fromEntries(net.orgs.map((o) => [o.mspId, [o.caCertPem]])));
  const rules = (over: Partial<EndorsedTxRules> = {}): EndorsedTxRules => ({ channelId: 'mychannel', msps: msps(), policy: (ns) => (ns === 'kv' ? net.policies.kv : undefined), ...over });
  const refusal = (f: () => unknown): number | undefined => {
    try {
      f();
    } catch (e) {
      expect((e as { code?: string }).code).toBe('PNT_ERR_FABRIC_TX_INVALID');
      return (e as { details: { validationCode: number } }).details.validationCode;
    }
    return undefined;
  };

  it('behavior: an endorsed put passes, naming its chaincode, endorsing orgs and write', async () => {
    const tx = verifyEndorsedTransaction(await endorsedEnvelope('shared-1', 'v1'), rules());
    expect(tx.namespace).toBe('kv');
    expect(new Set(tx.endorsers).size).toBeGreaterThanOrEqual(2);
    expect(tx.writes.map((w) => [w.getKey(), utf8(w.getValue_asU8())])).toEqual([['shared-1', 'v1']]);
  });

  it('error: another channel, a chaincode the rules do not know, a stricter policy, an endorser counted twice, an altered write set, certificates checked past their expiry', async () => {
    const env = await endorsedEnvelope('shared-2', 'v2');
    expect(refusal(() => verifyEndorsedTransaction(env, rules({ channelId: 'otherchannel' })))).toBe(C.TARGET_CHAIN_NOT_FOUND);
    expect(refusal(() => verifyEndorsedTransaction(env, rules({ policy: () => undefined })))).toBe(C.INVALID_CHAINCODE);
    expect(refusal(() => verifyEndorsedTransaction(env, rules({ policy: () => ({ outOf: 3, orgs: net.policies.kv.orgs }) })))).toBe(C.ENDORSEMENT_POLICY_FAILURE);
    expect(refusal(() => verifyEndorsedTransaction(env, rules({ at: new Date(Date.now() + 20 * 365 * 86_400_000) })))).toBe(C.BAD_CREATOR_SIGNATURE);
    const twice = await endorsedEnvelope('shared-3', 'v3', (p) => {
      const a = p.cap.getAction()!;
      const first = a.getEndorsementsList()[0];
      a.setEndorsementsList([first, first]);
    });
    expect(refusal(() => verifyEndorsedTransaction(twice, rules()))).toBe(C.ENDORSEMENT_POLICY_FAILURE);
    const altered = await endorsedEnvelope('shared-4', 'v4', (p) => {
      const a = p.cap.getAction()!;
      const prp = peer.ProposalResponsePayload.deserializeBinary(a.getProposalResponsePayload_asU8());
      const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
      const rw = lp.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
      const ns = rw.getNsRwsetList()[0];
      const kv = lp.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
      kv.getWritesList()[0].setValue(Buffer.from('forged'));
      ns.setRwset(kv.serializeBinary());
      action.setResults(rw.serializeBinary());
      prp.setExtension$(action.serializeBinary());
      a.setProposalResponsePayload(prp.serializeBinary());
    });
    expect(refusal(() => verifyEndorsedTransaction(altered, rules()))).toBe(C.ENDORSEMENT_POLICY_FAILURE);
  });
});
