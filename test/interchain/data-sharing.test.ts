/**
 * Government data sharing across three department chains and the hub, on real chains (LMDB,
 * commits, state proofs) with the real relay round on one shared clock: a request passes the
 * hub's policy and consent check, the source checks the hub's records again through proofs and
 * answers sealed to the requester's node key, the answer opens only there, and every decision
 * lands in the audit log. Each refusal the issue names is tried, with its code and audit event,
 * and with nothing released; the audit verifier is fed a clean log and logs that were tampered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bytes, type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { type AccountKey, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { generateEncryptionKey, generateSigningKey } from '../../hub-chain/crypto/sealed.ts';
import { auditKeys, auditRoot, readAuditEvent } from '../../hub-chain/modules/audit/log.ts';
import { MerkleTree, leafHash, logHashOf } from '../../hub-chain/modules/audit/merkle-log.ts';
import { verifyAuditLog } from '../../hub-chain/modules/audit/verify.ts';
import { type AgentReaders, openAnswer, prepareAnswer } from '../../hub-chain/modules/data-sharing/agent.ts';
import { readRequest } from '../../hub-chain/modules/data-sharing/hub.ts';
import { readAnswer, readInbound, readOutbound } from '../../hub-chain/modules/data-sharing/spoke.ts';
import type { AccessRule, DataProfile } from '../../hub-chain/modules/data-sharing/types.ts';
import { signGrant, signRevocation } from '../../hub-chain/rpc-client/data.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import type { TestChain } from '../support/coordinator.ts';
import { type Net, makeNet, relayAll } from './setup.ts';

const DATASET = 'household-registry';
const PURPOSE = 'benefit-eligibility';
const DAY = 86_400_000;
const RECORD = utf8(JSON.stringify({ household: 'H-1017', members: 4, address: '12 Harbour Road' }));

function suite(profile: DataProfile): void {
  let net: Net;
  let hub: TestChain;
  let a: TestChain;
  let b: TestChain;
  let c: TestChain;
  const ops: Record<string, AccountKey> = {};
  const user = generateAccountKey();
  const bNode1 = generateEncryptionKey(profile);
  const cNode = generateEncryptionKey(profile);
  const citizen = generateSigningKey(profile);
  const citizenPk = toHex(citizen.publicKey);
  let grantSeq = 0;

  const inline = (g: { grant: unknown; signature: Hex }) => ({ grant: g.grant, signature: g.signature });
  /** dept-b's current node key (the rotation test moves it on). */
  let bKey = 'node-1';
  const rule = (o: Partial<AccessRule> & { id: string }): AccessRule => ({ effect: 'allow', requester: 'dept-b', purposes: [PURPOSE], consentRequired: false, notBefore: 0, notAfter: 0, maxRecords: 1, ...o });
  const codeOf = (r: { code: string }) => r.code;

  async function ok(chain: TestChain, msgs: Msg[], key: AccountKey): Promise<void> {
    const r = await chain.exec(msgs, key);
    if (r.code !== 'ok') throw new Error(`${msgs[0].type} on ${chain.chainId}: ${r.code} ${r.log}`);
  }

  function grant(o: { requester?: string; purpose?: string; expiresAt?: number; scope?: string; signer?: Bytes } = {}) {
    const g = signGrant(profile, citizen.secretKey, { scope: o.scope ?? `dataset:${DATASET}`, requester: o.requester ?? 'dept-b', purpose: o.purpose ?? PURPOSE, expiresAt: o.expiresAt ?? net.clock.now() + DAY, nonce: `n${++grantSeq}` });
    if (o.signer) return { ...g, signature: signGrant(profile, o.signer, { ...g.grant }).signature };
    return g;
  }

  function readers(source: TestChain): AgentReaders {
    return {
      proveHub: async (key, height) => {
        const r = await hub.proveState(key, height);
        return { value: r.value, proof: r.proof };
      },
      readSpoke: (key) => source.readState(key),
      hubClientHeight: async () => source.chain.wiring.clients.latestHeight({ get: (k) => source.chain.state.get(k) }, 'hub'),
      spokeTime: async () => net.clock.now(),
    };
  }

  /** dept-b asks dept-a; relays until the request has been decided and (if allowed) reached dept-a. */
  async function ask(o: { from?: TestChain; records?: number; grantId?: Hex; consent?: { grant: unknown; signature: Hex }; recipientKey?: string; regulatorKey?: { chain: string; keyId: string }; dataset?: string; purpose?: string } = {}): Promise<string> {
    const from = o.from ?? b;
    const r = await from.exec(
      [{ type: 'data/request', dstChain: 'dept-a', dataset: o.dataset ?? DATASET, purpose: o.purpose ?? PURPOSE, subject: citizenPk, records: o.records ?? 1, recipientKey: o.recipientKey ?? bKey, ...(o.grantId ? { grantId: o.grantId } : {}), ...(o.consent ? { consent: o.consent } : {}), ...(o.regulatorKey ? { regulatorKey: o.regulatorKey } : {}) }],
      user,
    );
    expect(r.code, r.log).toBe('ok');
    await relayAll(net);
    return r.events.find((e) => e.type === 'data/requested')!.attributes.requestId;
  }

  async function answer(requestId: string, lookup: () => Promise<Bytes | { refused: string }> = async () => RECORD): Promise<{ code: string; refused?: string }> {
    const { msg, refused } = await prepareAnswer({ profile: profile, chainId: 'dept-a', requestId, readers: readers(a), lookup });
    const r = await a.exec([msg as unknown as Msg], ops['dept-a']);
    await relayAll(net);
    return { code: r.code, refused };
  }

  const hubView = () => ({ get: (k: Uint8Array) => hub.chain.state.get(k) });
  function auditEvents(): Record<string, unknown>[] {
    const { size } = auditRoot(hubView(), profile);
    return Array.from({ length: size }, (_, i) => JSON.parse(Buffer.from(readAuditEvent(hubView(), i)!).toString('utf8')));
  }
  const eventsFor = (requestId: string) => auditEvents().filter((e) => e.requestId === requestId);

  beforeAll(async () => {
    net = await makeNet(['dept-a', 'dept-b', 'dept-c'], { params: { dataProfile: profile } });
    ({ hub } = net);
    ({ 'dept-a': a, 'dept-b': b, 'dept-c': c } = net.spokes);
    for (const chain of ['dept-a', 'dept-b', 'dept-c']) {
      ops[chain] = generateAccountKey();
      const r = await hub.govern({ kind: 'data/register-department', chain, org: `${chain}-office`, operators: [ops[chain].address], regulator: false });
      expect(r.code, r.log).toBe('ok');
    }
    await ok(hub, [{ type: 'data/catalog-add', id: DATASET, ownerChain: 'dept-a', dataClass: 'household', schemaHash: toHex(new Uint8Array(32).fill(1)), sensitivity: 'confidential', consentRequired: true }], ops['dept-a']);
    await ok(hub, [{ type: 'data/catalog-add', id: 'credit-scores', ownerChain: 'dept-a', dataClass: 'credit', schemaHash: toHex(new Uint8Array(32).fill(2)), sensitivity: 'secret', consentRequired: false }], ops['dept-a']);
    await ok(hub, [{ type: 'data/policy-set', ownerChain: 'dept-a', dataset: DATASET, rules: [rule({ id: 'benefits' }), rule({ id: 'no-marketing', effect: 'deny', requester: '*', purposes: ['marketing'] }), rule({ id: 'not-c', effect: 'deny', requester: 'dept-c', purposes: ['*'] })] }], ops['dept-a']);
    await ok(hub, [{ type: 'data/node-key-register', chain: 'dept-b', keyId: 'node-1', publicKey: toHex(bNode1.publicKey) }], ops['dept-b']);
    await ok(hub, [{ type: 'data/node-key-register', chain: 'dept-c', keyId: 'node-1', publicKey: toHex(cNode.publicKey) }], ops['dept-c']);
  }, 60_000);

  afterAll(async () => {
    await net?.close();
  });

  describe('data sharing: the allowed flow', () => {
    let requestId: string;
    let g: ReturnType<typeof grant>;

    it('behavior: a consented request passes the hub, reaches the source as pending, and is answered sealed to the requesting node', async () => {
      g = grant();
      await ok(hub, [{ type: 'data/consent-grant', grant: g.grant, signature: g.signature }], user);
      requestId = await ask({ grantId: g.grantId });
      expect(readRequest(hubView(), requestId)).toMatchObject({ status: 'accepted', requester: 'dept-b', owner: 'dept-a', grantId: g.grantId, rule: `dataset:${DATASET}#benefits` });
      expect(readInbound({ get: (k) => a.chain.state.get(k) }, requestId)).toMatchObject({ status: 'pending', requester: 'dept-b' });
      const r = await answer(requestId);
      expect(r).toEqual({ code: 'ok', refused: undefined });
      expect(readRequest(hubView(), requestId)?.status).toBe('delivered');
      expect(readOutbound({ get: (k) => b.chain.state.get(k) }, requestId)?.status).toBe('answered');
    });

    it('behavior: the answer opens with dept-b node-1 key and matches the record; dept-c key and a tampered envelope do not open it', async () => {
      const ans = readAnswer({ get: (k) => b.chain.state.get(k) }, requestId)!;
      expect(ans.envelope).toBeDefined();
      expect(openAnswer(profile, requestId, { chain: 'dept-b', keyId: 'node-1', secretKey: bNode1.secretKey }, ans.envelope!, ans.commitment!)).toEqual(RECORD);
      expect(() => openAnswer(profile, requestId, { chain: 'dept-b', keyId: 'node-1', secretKey: cNode.secretKey }, ans.envelope!, ans.commitment!)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
      expect(() => openAnswer(profile, requestId, { chain: 'dept-c', keyId: 'node-1', secretKey: cNode.secretKey }, ans.envelope!, ans.commitment!)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
      const bytes = fromHex(ans.envelope!);
      bytes[bytes.length - 5] ^= 1;
      expect(() => openAnswer(profile, requestId, { chain: 'dept-b', keyId: 'node-1', secretKey: bNode1.secretKey }, toHex(bytes), ans.commitment!)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^PNT_ERR_DATA_(DECRYPT|ENVELOPE_MALFORMED)$/) }));
      // moved to another request, the same envelope does not open (the request id is bound in)
      expect(() => openAnswer(profile, 'dept-b:999', { chain: 'dept-b', keyId: 'node-1', secretKey: bNode1.secretKey }, ans.envelope!, ans.commitment!)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
    });

    it('behavior: a decrypt receipt with the released commitment is recorded; one with another commitment is refused', async () => {
      const ans = readAnswer({ get: (k) => b.chain.state.get(k) }, requestId)!;
      expect(codeOf(await hub.exec([{ type: 'data/decrypt-receipt', requestId, chain: 'dept-b', keyId: 'node-1', commitment: toHex(new Uint8Array(32)) }], ops['dept-b']))).toBe('PNT_ERR_DATA_RECEIPT_MISMATCH');
      expect(codeOf(await hub.exec([{ type: 'data/decrypt-receipt', requestId, chain: 'dept-b', keyId: 'node-1', commitment: ans.commitment! }], ops['dept-c']))).toBe('PNT_ERR_DATA_NOT_OPERATOR');
      await ok(hub, [{ type: 'data/decrypt-receipt', requestId, chain: 'dept-b', keyId: 'node-1', commitment: ans.commitment! }], ops['dept-b']);
      expect(eventsFor(requestId).map((e) => e.type)).toEqual(['request-allowed', 'request-accepted', 'release', 'delivery', 'decrypt']);
    });

    it('confidentiality: the record never appears in hub state, any spoke state, or any transaction the relayer submitted', async () => {
      const needle = Buffer.from(RECORD);
      const hexNeedle = Buffer.from(toHex(RECORD).slice(2));
      for (const chain of [hub, a, b, c]) {
        for (const [k, v] of chain.chain.state.working().entries(new Uint8Array(0))) {
          expect(Buffer.from(v).includes(needle) || Buffer.from(v).includes(hexNeedle), `${chain.chainId} ${Buffer.from(k).toString('utf8')}`).toBe(false);
        }
        for (let h = 1; h <= chain.chain.latestHeight(); h++) {
          const blk = Buffer.from(JSON.stringify(chain.chain.stored(h)!.block));
          expect(blk.includes(needle) || blk.includes(hexNeedle) || blk.includes(Buffer.from(RECORD.toString())), `${chain.chainId} block ${h}`).toBe(false);
        }
      }
    });

    it('behavior: after a key rotation the old answer does not open with the new key; requests naming the retired key are refused', async () => {
      const bNode2 = generateEncryptionKey(profile);
      await ok(hub, [{ type: 'data/node-key-register', chain: 'dept-b', keyId: 'node-2', publicKey: toHex(bNode2.publicKey) }], ops['dept-b']);
      await ok(hub, [{ type: 'data/node-key-retire', chain: 'dept-b', keyId: 'node-1' }], ops['dept-b']);
      const ans = readAnswer({ get: (k) => b.chain.state.get(k) }, requestId)!;
      expect(() => openAnswer(profile, requestId, { chain: 'dept-b', keyId: 'node-2', secretKey: bNode2.secretKey }, ans.envelope!, ans.commitment!)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
      expect(() => openAnswer(profile, requestId, { chain: 'dept-b', keyId: 'node-1', secretKey: bNode2.secretKey }, ans.envelope!, ans.commitment!)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
      // the old key still opens what was sealed to it
      expect(openAnswer(profile, requestId, { chain: 'dept-b', keyId: 'node-1', secretKey: bNode1.secretKey }, ans.envelope!, ans.commitment!)).toEqual(RECORD);
      const retired = await ask({ grantId: g.grantId, recipientKey: 'node-1' });
      expect(readOutbound({ get: (k) => b.chain.state.get(k) }, retired)).toMatchObject({ status: 'refused', code: 'PNT_ERR_DATA_NO_NODE_KEY' });
      bKey = 'node-2';
      const fresh = await ask({ grantId: g.grantId });
      expect((await answer(fresh)).code).toBe('ok');
      const a2 = readAnswer({ get: (k) => b.chain.state.get(k) }, fresh)!;
      expect(openAnswer(profile, fresh, { chain: 'dept-b', keyId: 'node-2', secretKey: bNode2.secretKey }, a2.envelope!, a2.commitment!)).toEqual(RECORD);
    });

    it('behavior: an answer to a request naming a regulator key opens at the regulator too; a key of a department that is no regulator is refused', async () => {
      const reg = generateEncryptionKey(profile);
      const supervisor = generateAccountKey();
      expect((await hub.govern({ kind: 'data/register-department', chain: 'supervisor', org: 'data protection office', operators: [supervisor.address], regulator: true })).code).toBe('ok');
      await ok(hub, [{ type: 'data/node-key-register', chain: 'supervisor', keyId: 'reg-1', publicKey: toHex(reg.publicKey) }], supervisor);
      const notRegulator = await ask({ grantId: g.grantId, regulatorKey: { chain: 'dept-c', keyId: 'node-1' } });
      expect(readOutbound({ get: (k) => b.chain.state.get(k) }, notRegulator)).toMatchObject({ status: 'refused', code: 'PNT_ERR_DATA_NO_NODE_KEY' });
      const requestId = await ask({ grantId: g.grantId, regulatorKey: { chain: 'supervisor', keyId: 'reg-1' } });
      expect((await answer(requestId)).code).toBe('ok');
      const ans = readAnswer({ get: (k) => b.chain.state.get(k) }, requestId)!;
      expect(openAnswer(profile, requestId, { chain: 'supervisor', keyId: 'reg-1', secretKey: reg.secretKey }, ans.envelope!, ans.commitment!)).toEqual(RECORD);
      expect(() => openAnswer(profile, requestId, { chain: 'supervisor', keyId: 'reg-1', secretKey: cNode.secretKey }, ans.envelope!, ans.commitment!)).toThrow(expect.objectContaining({ code: 'PNT_ERR_DATA_DECRYPT' }));
    });
  });

  describe('data sharing: refusals, each with its code, an audit event and nothing released', () => {
    const cases: { name: string; code: string; run: () => Promise<string> }[] = [
      { name: 'no policy for the dataset', code: 'PNT_ERR_DATA_NO_POLICY', run: () => ask({ dataset: 'credit-scores' }) },
      { name: 'a purpose the policy denies', code: 'PNT_ERR_DATA_DENIED', run: () => ask({ purpose: 'marketing', consent: inline(grant({ purpose: 'marketing' })) }) },
      { name: 'a requester the policy denies', code: 'PNT_ERR_DATA_DENIED', run: () => ask({ from: c, consent: inline(grant({ requester: 'dept-c' })) }) },
      { name: 'no consent where the dataset requires it', code: 'PNT_ERR_DATA_CONSENT_REQUIRED', run: () => ask() },
      {
        name: 'expired consent',
        code: 'PNT_ERR_DATA_CONSENT_EXPIRED',
        run: async () => {
          const g = grant({ expiresAt: net.clock.now() + 3_000 });
          await ok(hub, [{ type: 'data/consent-grant', grant: g.grant, signature: g.signature }], user);
          net.clock.advance(5_000);
          return ask({ grantId: g.grantId });
        },
      },
      {
        name: 'revoked consent',
        code: 'PNT_ERR_DATA_CONSENT_REVOKED',
        run: async () => {
          const g = grant();
          await ok(hub, [{ type: 'data/consent-grant', grant: g.grant, signature: g.signature }], user);
          await ok(hub, [{ type: 'data/consent-revoke', grantId: g.grantId, signature: signRevocation(profile, citizen.secretKey, g.grantId) }], user);
          return ask({ grantId: g.grantId });
        },
      },
      { name: 'consent given to another requester', code: 'PNT_ERR_DATA_CONSENT_MISMATCH', run: async () => { const g = grant({ requester: 'dept-c' }); return ask({ consent: { grant: g.grant, signature: g.signature } }); } },
      { name: 'consent signed by someone else', code: 'PNT_ERR_DATA_CONSENT_SIGNATURE', run: async () => { const g = grant({ signer: generateSigningKey(profile).secretKey }); return ask({ consent: { grant: g.grant, signature: g.signature } }); } },
      {
        name: 'a revoked grant carried again (replay)',
        code: 'PNT_ERR_DATA_CONSENT_REPLAYED',
        run: async () => {
          const g = grant();
          await ok(hub, [{ type: 'data/consent-grant', grant: g.grant, signature: g.signature }], user);
          await ok(hub, [{ type: 'data/consent-revoke', grantId: g.grantId, signature: signRevocation(profile, citizen.secretKey, g.grantId) }], user);
          return ask({ consent: { grant: g.grant, signature: g.signature } });
        },
      },
      { name: 'more records than the rule allows (oversized request)', code: 'PNT_ERR_DATA_TOO_MANY_RECORDS', run: async () => { const g = grant(); return ask({ records: 50, consent: { grant: g.grant, signature: g.signature } }); } },
      { name: 'an unknown dataset', code: 'PNT_ERR_DATA_UNKNOWN_DATASET', run: () => ask({ dataset: 'no-such-data' }) },
    ];
    for (const t of cases) {
      it(`error: ${t.name} -> ${t.code}`, async () => {
        const requestId = await t.run();
        const requester = requestId.startsWith('dept-c') ? c : b;
        expect(readOutbound({ get: (k) => requester.chain.state.get(k) }, requestId)).toMatchObject({ status: 'refused', code: t.code });
        expect(readRequest(hubView(), requestId)).toBeUndefined();
        expect(readInbound({ get: (k) => a.chain.state.get(k) }, requestId)).toBeUndefined();
        const ev = eventsFor(requestId);
        expect(ev).toHaveLength(1);
        expect(ev[0]).toMatchObject({ type: 'request-refused', code: t.code, requester: requester.chainId });
        if (t.code === 'PNT_ERR_DATA_DENIED') expect(ev[0].rule).toMatch(/^dataset:household-registry#(no-marketing|not-c)$/);
        expect(auditEvents().some((e) => e.type === 'release' && e.requestId === requestId)).toBe(false);
      });
    }

    it('error: a consent revoked after the request was allowed stops the release at the hub (revocation wins), audited, and the source learns it', async () => {
      const g = grant();
      await ok(hub, [{ type: 'data/consent-grant', grant: g.grant, signature: g.signature }], user);
      const requestId = await ask({ grantId: g.grantId });
      // the source's agent prepares its answer first; the citizen revokes before it reaches the hub
      const { msg } = await prepareAnswer({ profile: profile, chainId: 'dept-a', requestId, readers: readers(a), lookup: async () => RECORD });
      await ok(hub, [{ type: 'data/consent-revoke', grantId: g.grantId, signature: signRevocation(profile, citizen.secretKey, g.grantId) }], user);
      expect((await a.exec([msg as unknown as Msg], ops['dept-a'])).code).toBe('ok');
      await relayAll(net);
      expect(readInbound({ get: (k) => a.chain.state.get(k) }, requestId)).toMatchObject({ status: 'release-refused', code: 'PNT_ERR_DATA_CONSENT_REVOKED' });
      expect(readAnswer({ get: (k) => b.chain.state.get(k) }, requestId)).toBeUndefined();
      expect(eventsFor(requestId).map((e) => [e.type, e.code])).toEqual([['request-allowed', undefined], ['request-accepted', undefined], ['release-refused', 'PNT_ERR_DATA_CONSENT_REVOKED']]);
      // the agent, asked again, now refuses by itself on the proven revocation
      await relayAll(net);
      const again = await answer(requestId);
      expect(again.refused).toBe('PNT_ERR_DATA_CONSENT_REVOKED');
      expect(readRequest(hubView(), requestId)?.status).toBe('refused-at-source');
    });

    it('error: the source refuses an answer whose hub records are not proven (tampered value), or are incomplete, or come from a non-operator', async () => {
      const g = grant();
      await ok(hub, [{ type: 'data/consent-grant', grant: g.grant, signature: g.signature }], user);
      const requestId = await ask({ grantId: g.grantId });
      const { msg } = await prepareAnswer({ profile: profile, chainId: 'dept-a', requestId, readers: readers(a), lookup: async () => RECORD });
      const items = msg.hubState;
      const tampered = items.map((i, n) => (n === 1 ? { ...i, value: toHex(utf8(Buffer.from(fromHex(i.value!)).toString('utf8').replace('"allowed"', '"accepted"').replace('"accepted"', '"released"'))) } : i));
      expect(codeOf(await a.exec([{ ...msg, hubState: tampered } as unknown as Msg], ops['dept-a']))).toBe('PNT_ERR_DATA_SOURCE_CHECK');
      expect(codeOf(await a.exec([{ ...msg, hubState: items.slice(0, -1) } as unknown as Msg], ops['dept-a']))).toBe('PNT_ERR_DATA_SOURCE_CHECK');
      expect(codeOf(await a.exec([{ ...msg, hubState: [...items, items[0]] } as unknown as Msg], ops['dept-a']))).toBe('PNT_ERR_DATA_SOURCE_CHECK');
      expect(codeOf(await a.exec([{ ...msg, hubHeight: msg.hubHeight + 1000 } as unknown as Msg], ops['dept-a']))).toBe('PNT_ERR_DATA_SOURCE_CHECK');
      expect(codeOf(await a.exec([msg as unknown as Msg], generateAccountKey()))).toBe('PNT_ERR_DATA_NOT_OPERATOR');
      expect(readInbound({ get: (k) => a.chain.state.get(k) }, requestId)?.status).toBe('pending');
      expect(codeOf(await a.exec([msg as unknown as Msg], ops['dept-a']))).toBe('ok');
      await relayAll(net);
      expect(readRequest(hubView(), requestId)?.status).toBe('delivered');
    });

    it('error: hub-only messages on a spoke, and operator-only messages from others, are refused', async () => {
      expect(codeOf(await a.exec([{ type: 'data/catalog-add', id: 'x', ownerChain: 'dept-a', dataClass: 'household', schemaHash: toHex(new Uint8Array(32)), sensitivity: 'internal', consentRequired: false }], ops['dept-a']))).toBe('PNT_ERR_DATA_INVALID');
      expect(codeOf(await hub.exec([{ type: 'data/catalog-add', id: 'x', ownerChain: 'dept-a', dataClass: 'household', schemaHash: toHex(new Uint8Array(32)), sensitivity: 'internal', consentRequired: false }], ops['dept-b']))).toBe('PNT_ERR_DATA_NOT_OPERATOR');
      expect(codeOf(await hub.exec([{ type: 'data/catalog-add', id: DATASET, ownerChain: 'dept-b', dataClass: 'household', schemaHash: toHex(new Uint8Array(32)), sensitivity: 'internal', consentRequired: false }], ops['dept-b']))).toBe('PNT_ERR_DATA_DATASET_TAKEN');
      expect(codeOf(await hub.exec([{ type: 'data/policy-set', ownerChain: 'dept-b', dataset: DATASET, rules: [] }], ops['dept-b']))).toBe('PNT_ERR_DATA_NOT_OPERATOR');
      const g = grant();
      expect(codeOf(await hub.exec([{ type: 'data/consent-grant', grant: g.grant, signature: grant({ signer: generateSigningKey(profile).secretKey }).signature }], user))).toBe('PNT_ERR_DATA_CONSENT_SIGNATURE');
      expect(codeOf(await hub.exec([{ type: 'data/consent-revoke', grantId: g.grantId, signature: toHex(new Uint8Array(64)) }], user))).toBe('PNT_ERR_DATA_CONSENT_UNKNOWN');
    });
  });

  describe('data sharing: the audit log a supervisor verifies', () => {
    function checkpoint(height: number) {
      const b = hub.chain.state.get(auditKeys.head(), height);
      return { height, ...auditRoot({ get: () => b }, profile) };
    }
    function logAt() {
      const events = auditEvents().map((e) => JSON.stringify(e));
      // canonical JSON: the stored bytes, not a re-serialisation
      const raw = events.map((_, i) => Buffer.from(readAuditEvent(hubView(), i)!).toString('utf8'));
      const h = logHashOf(profile);
      const tree = new MerkleTree(h, raw.map((e) => leafHash(h, utf8(e))));
      const second = checkpoint(hub.chain.latestHeight());
      const first = checkpoint(Math.floor(hub.chain.latestHeight() / 2));
      return { raw, tree, first, second, consistency: tree.consistencyProof(first.size, second.size).map(toHex) };
    }

    it('behavior: the log of everything above verifies clean: structure, consent behind every allowed request and release', () => {
      const { raw, first, second, consistency } = logAt();
      expect(first.size).toBeGreaterThan(0);
      const r = verifyAuditLog({ profile: profile, first, second, consistency, events: raw });
      expect(r.findings).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.releases).toBeGreaterThanOrEqual(3);
      expect(r.byType['request-refused']).toBeGreaterThanOrEqual(11);
    });

    it('error: a log that drops, reorders or alters one event, or forks between the checkpoints, fails with its reason', () => {
      const { raw, first, second, consistency } = logAt();
      const run = (events: string[], o: Partial<{ first: typeof first; second: typeof second; consistency: Hex[] }> = {}) =>
        verifyAuditLog({ profile: profile, first: o.first ?? first, second: o.second ?? second, consistency: o.consistency ?? consistency, events }).findings.map((f) => f.reason);
      const at = raw.findIndex((e) => e.includes('"type":"release"'));
      expect(run([...raw.slice(0, at), ...raw.slice(at + 1)])).toEqual(expect.arrayContaining(['event-count', 'root-mismatch']));
      const swapped = [...raw];
      [swapped[at - 1], swapped[at]] = [swapped[at], swapped[at - 1]];
      expect(run(swapped)).toEqual(expect.arrayContaining(['root-mismatch', 'event-index']));
      const altered = [...raw];
      altered[at] = altered[at].replace(/"commitment":"0x[0-9a-f]{4}/, '"commitment":"0x0000');
      expect(run(altered)).toEqual(expect.arrayContaining(['root-mismatch']));
      // a fork: another history with the same length after the first checkpoint
      const forked = [...raw];
      const last = JSON.parse(forked[forked.length - 1]);
      forked[forked.length - 1] = JSON.stringify({ ...last, type: 'release', requestId: 'dept-b:forged' });
      const h = logHashOf(profile);
      const forkTree = new MerkleTree(h, forked.map((e) => leafHash(h, utf8(e))));
      const forkSecond = { ...second, root: toHex(forkTree.root()) };
      const reasons = run(forked, { second: forkSecond, consistency: forkTree.consistencyProof(first.size, second.size).map(toHex) });
      expect(reasons).toEqual(expect.arrayContaining(['release-without-allowed-request']));
      // the honest consistency proof does not tie the first checkpoint to the forked root
      expect(run(forked, { second: forkSecond })).toEqual(expect.arrayContaining(['fork']));
      // a first checkpoint from another history
      expect(run(raw, { first: { ...first, root: toHex(new Uint8Array(32).fill(9)) } })).toEqual(expect.arrayContaining(['fork', 'first-root-mismatch']));
    });

    it('error: a release with no allowed request, or after the consent was revoked, is a finding even in a well-formed log', () => {
      const { raw } = logAt();
      const n = raw.length;
      const revoked = new Set(auditEvents().filter((e) => e.type === 'consent-revoke').map((e) => e.grantId));
      const allowedOnRevoked = auditEvents().find((e) => e.type === 'request-allowed' && revoked.has(e.grantId))!;
      const revokedGrant = allowedOnRevoked.grantId as string;
      const extra = [
        { i: n, type: 'release', height: 10_000, time: 1, requestId: 'dept-b:777', commitment: '0x00', owner: 'dept-a', requester: 'dept-b' },
        { i: n + 1, type: 'release', height: 10_000, time: 1, requestId: allowedOnRevoked.requestId, grantId: revokedGrant, commitment: '0x00', owner: 'dept-a', requester: 'dept-b' },
      ].map((e) => JSON.stringify(Object.fromEntries(Object.entries(e).sort(([x], [y]) => (x < y ? -1 : 1)))));
      const events = [...raw, ...extra];
      const h = logHashOf(profile);
      const tree = new MerkleTree(h, events.map((e) => leafHash(h, utf8(e))));
      const first = { height: 1, size: 0, root: toHex(tree.root(0)) };
      const second = { height: 10_000, size: events.length, root: toHex(tree.root()) };
      const r = verifyAuditLog({ profile: profile, first, second, consistency: [], events });
      expect(r.findings.map((f) => f.reason)).toEqual(['release-without-allowed-request', 'release-after-revocation']);
    });
  });
}

for (const profile of ['intl', 'sm'] as const) describe(`profile ${profile}`, () => suite(profile));
