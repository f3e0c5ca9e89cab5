/**
 * The hub's side of government data sharing: departments (registered by governance, with the
 * accounts that act for them), the catalog and access policy their operators keep, citizens'
 * consent grants and revocations, node encryption keys, decrypt receipts, and the forward policy
 * of `data` packets, which decides every request when it passes, checks every answer against the
 * request it answers (consent still active: revocation wins from its height), and records the
 * delivery. Every decision and movement is appended to the audit log (modules/audit/log.ts).
 */
import type { KVStore, KVView, ModuleEnv } from '../../app/module.ts';
import { dataProfileOf } from '../../app/genesis.ts';
import { type Hex, fromHex, toHex } from '../../crypto/bytes.ts';
import { dataHash, dataVerify } from '../../crypto/sealed.ts';
import { PontisError } from '../../errors.ts';
import { appendAudit } from '../audit/log.ts';
import type { Packet } from '../packets/types.ts';
import type { ForwardPolicy } from '../transfer/app-interface.ts';
import { decide, decisionInput } from './policy.ts';
import {
  type AccessRule,
  type ConsentGrant,
  type ConsentRecord,
  DATA_APP,
  DATA_ERR,
  type DataAnswer,
  type DataProfile,
  type DataRequest,
  DataError,
  type DatasetEntry,
  type Department,
  type NodeKeyRecord,
  type PolicyRecord,
  type RequestRecord,
  classScope,
  dataKeys as K,
  datasetScope,
  decodeDataPayload,
  decodeRecord,
  encodeRecord,
  grantSignBytes,
  requestIdOf,
  revokeSignBytes,
} from './types.ts';

export const profileOf = (env: Pick<ModuleEnv, 'genesis'>): DataProfile => dataProfileOf(env.genesis);

const audit = (env: ModuleEnv, s: KVStore, type: string, fields: Record<string, string | number | boolean | undefined>) => appendAudit(s, profileOf(env), env, type, fields);

export const readDepartment = (s: KVView, chain: string) => decodeRecord<Department>(s.get(K.department(chain)));
export const readDataset = (s: KVView, id: string) => decodeRecord<DatasetEntry>(s.get(K.dataset(id)));
export const readPolicy = (s: KVView, scope: string) => decodeRecord<PolicyRecord>(s.get(K.policy(scope)));
export const readConsent = (s: KVView, grantId: Hex) => decodeRecord<ConsentRecord>(s.get(K.consent(grantId)));
export const readNodeKey = (s: KVView, chain: string, keyId: string) => decodeRecord<NodeKeyRecord>(s.get(K.nodeKey(chain, keyId)));
export const readRequest = (s: KVView, requestId: string) => decodeRecord<RequestRecord>(s.get(K.request(requestId)));

export const grantIdOf = (profile: DataProfile, g: ConsentGrant): Hex => toHex(dataHash(profile, grantSignBytes(g)));

function requireOperator(env: ModuleEnv, chain: string): Department {
  const d = readDepartment(env.store, chain);
  if (!d) throw new DataError(DATA_ERR.UNKNOWN_DEPARTMENT, `${chain} is not a registered department`, { details: { chain } });
  if (!d.operators.includes(env.sender)) throw new DataError(DATA_ERR.NOT_OPERATOR, `${env.sender} is not an operator of ${chain}`, { details: { chain } });
  return d;
}

const invalid = (msg: string, details: Record<string, unknown> = {}) => new DataError(DATA_ERR.INVALID, msg, { details });

// ---- governance ----

export function registerDepartment(env: ModuleEnv, a: { chain: string; org: string; operators: string[]; msps?: string[]; regulator: boolean }): void {
  const d: Department = { chain: a.chain, org: a.org, operators: [...new Set(a.operators)].sort() as Hex[], msps: [...new Set(a.msps ?? [])].sort(), regulator: a.regulator, height: env.height };
  env.store.set(K.department(a.chain), encodeRecord(d));
  audit(env, env.store, 'department', { chain: d.chain, org: d.org, operators: d.operators.join(','), msps: d.msps.join(','), regulator: d.regulator });
}

// ---- messages ----

export function catalogAdd(env: ModuleEnv, m: { id: string; ownerChain: string; dataClass: string; schemaHash: Hex; sensitivity: DatasetEntry['sensitivity']; consentRequired: boolean }): void {
  const dept = requireOperator(env, m.ownerChain);
  const prior = readDataset(env.store, m.id);
  if (prior && prior.ownerChain !== m.ownerChain) throw new DataError(DATA_ERR.DATASET_TAKEN, `dataset ${m.id} belongs to ${prior.ownerChain}`, { details: { dataset: m.id } });
  const e: DatasetEntry = { id: m.id, ownerChain: m.ownerChain, ownerOrg: dept.org, dataClass: m.dataClass, schemaHash: m.schemaHash, sensitivity: m.sensitivity, consentRequired: m.consentRequired, height: env.height };
  env.store.set(K.dataset(m.id), encodeRecord(e));
  audit(env, env.store, 'catalog-add', { dataset: e.id, owner: e.ownerChain, dataClass: e.dataClass, schemaHash: e.schemaHash, sensitivity: e.sensitivity, consentRequired: e.consentRequired, by: env.sender });
}

export function policySet(env: ModuleEnv, m: { ownerChain: string; dataset?: string; dataClass?: string; rules: AccessRule[] }): void {
  requireOperator(env, m.ownerChain);
  if ((m.dataset === undefined) === (m.dataClass === undefined)) throw invalid('a policy names exactly one of dataset or dataClass');
  let scope: string;
  if (m.dataset !== undefined) {
    const e = readDataset(env.store, m.dataset);
    if (!e) throw new DataError(DATA_ERR.UNKNOWN_DATASET, `no dataset ${m.dataset} in the catalog`, { details: { dataset: m.dataset } });
    if (e.ownerChain !== m.ownerChain) throw new DataError(DATA_ERR.NOT_OPERATOR, `dataset ${m.dataset} belongs to ${e.ownerChain}`, { details: { dataset: m.dataset } });
    scope = datasetScope(m.dataset);
  } else scope = classScope(m.ownerChain, m.dataClass!);
  const ids = new Set<string>();
  for (const r of m.rules) {
    if (ids.has(r.id)) throw invalid(`rule ${r.id} appears twice`, { rule: r.id });
    ids.add(r.id);
    if (r.notAfter !== 0 && r.notAfter <= r.notBefore) throw invalid(`rule ${r.id}: notAfter must be after notBefore`, { rule: r.id });
    if (r.purposes.includes('*') && r.purposes.length > 1) throw invalid(`rule ${r.id}: '*' stands alone`, { rule: r.id });
  }
  const rec: PolicyRecord = { scope, rules: m.rules, height: env.height };
  if (m.rules.length === 0) env.store.delete(K.policy(scope));
  else env.store.set(K.policy(scope), encodeRecord(rec));
  audit(env, env.store, 'policy-set', { scope, owner: m.ownerChain, rules: m.rules.map((r) => `${r.id}:${r.effect}:${r.requester}:${r.purposes.join('+')}`).join(','), by: env.sender });
}

/** Records a signed grant (submitted by the subject, or carried by an agent); returns its record. */
export function recordGrant(env: ModuleEnv, s: KVStore, grant: ConsentGrant, signature: Hex, via: string): ConsentRecord {
  const profile = profileOf(env);
  const grantId = grantIdOf(profile, grant);
  const prior = readConsent(s, grantId);
  if (prior?.status === 'revoked') throw new DataError(DATA_ERR.CONSENT_REPLAYED, `consent ${grantId} was revoked at ${prior.revokedHeight}; a new grant needs a new nonce`, { details: { grantId } });
  if (prior) return prior;
  if (!dataVerify(profile, fromHex(grant.subject), grantSignBytes(grant), fromHex(signature))) {
    throw new DataError(DATA_ERR.CONSENT_SIGNATURE, `consent ${grantId} is not signed by its subject`, { details: { grantId } });
  }
  if (grant.expiresAt <= env.time) throw new DataError(DATA_ERR.CONSENT_EXPIRED, `consent ${grantId} expired at ${grant.expiresAt}`, { details: { grantId } });
  const rec: ConsentRecord = { grantId, grant, signature, status: 'active', grantedHeight: env.height };
  s.set(K.consent(grantId), encodeRecord(rec));
  s.set(K.consentBySubject(grant.subject, grantId), Uint8Array.of(1));
  audit(env, s, 'consent-grant', { grantId, subject: grant.subject, scope: grant.scope, requester: grant.requester, purpose: grant.purpose, expiresAt: grant.expiresAt, via });
  return rec;
}

export function revokeGrant(env: ModuleEnv, m: { grantId: Hex; signature: Hex }): void {
  const rec = readConsent(env.store, m.grantId);
  if (!rec) throw new DataError(DATA_ERR.CONSENT_UNKNOWN, `no consent ${m.grantId}`, { details: { grantId: m.grantId } });
  if (!dataVerify(profileOf(env), fromHex(rec.grant.subject), revokeSignBytes(m.grantId), fromHex(m.signature))) {
    throw new DataError(DATA_ERR.CONSENT_SIGNATURE, `revocation of ${m.grantId} is not signed by its subject`, { details: { grantId: m.grantId } });
  }
  if (rec.status === 'revoked') return;
  env.store.set(K.consent(m.grantId), encodeRecord({ ...rec, status: 'revoked', revokedHeight: env.height } satisfies ConsentRecord));
  audit(env, env.store, 'consent-revoke', { grantId: m.grantId, subject: rec.grant.subject });
}

export function nodeKeyRegister(env: ModuleEnv, m: { chain: string; keyId: string; publicKey: Hex }): void {
  requireOperator(env, m.chain);
  const profile = profileOf(env);
  const len = fromHex(m.publicKey).length;
  if (len !== (profile === 'sm' ? 65 : 32)) throw invalid(`a ${profile} node key is ${profile === 'sm' ? 65 : 32} bytes, got ${len}`);
  if (readNodeKey(env.store, m.chain, m.keyId)) throw invalid(`key ${m.keyId} of ${m.chain} exists; rotate to a new key id`, { keyId: m.keyId });
  const rec: NodeKeyRecord = { chain: m.chain, keyId: m.keyId, profile, publicKey: m.publicKey, operator: env.sender, registeredHeight: env.height };
  env.store.set(K.nodeKey(m.chain, m.keyId), encodeRecord(rec));
  audit(env, env.store, 'node-key-register', { chain: m.chain, keyId: m.keyId, publicKey: m.publicKey, by: env.sender });
}

export function nodeKeyRetire(env: ModuleEnv, m: { chain: string; keyId: string }): void {
  requireOperator(env, m.chain);
  const rec = readNodeKey(env.store, m.chain, m.keyId);
  if (!rec) throw invalid(`no key ${m.keyId} of ${m.chain}`, { keyId: m.keyId });
  if (rec.retiredHeight !== undefined) return;
  env.store.set(K.nodeKey(m.chain, m.keyId), encodeRecord({ ...rec, retiredHeight: env.height } satisfies NodeKeyRecord));
  audit(env, env.store, 'node-key-retire', { chain: m.chain, keyId: m.keyId, by: env.sender });
}

/** The requesting node read the answer: recorded only for a released request, with the released commitment. */
export function decryptReceipt(env: ModuleEnv, m: { requestId: string; chain: string; keyId: string; commitment: Hex }): void {
  requireOperator(env, m.chain);
  const r = readRequest(env.store, m.requestId);
  if (!r || !r.release || r.requester !== m.chain) throw new DataError(DATA_ERR.UNKNOWN_REQUEST, `no answer to ${m.requestId} was released to ${m.chain}`, { details: { requestId: m.requestId } });
  if (r.release.commitment !== m.commitment) throw new DataError(DATA_ERR.RECEIPT_MISMATCH, `receipt commitment differs from the released one for ${m.requestId}`, { details: { requestId: m.requestId } });
  audit(env, env.store, 'decrypt', { requestId: m.requestId, chain: m.chain, keyId: m.keyId, commitment: m.commitment, by: env.sender });
}

// ---- the forward policy of `data` packets ----

function onRequest(env: ModuleEnv, p: Packet, q: DataRequest): void {
  const s = env.store;
  const requestId = requestIdOf(p.srcChain, p.sequence);
  const entry = readDataset(s, q.dataset);
  if (entry && entry.ownerChain !== p.dstChain) throw invalid(`dataset ${q.dataset} is held by ${entry.ownerChain}, not ${p.dstChain}`, { dataset: q.dataset });
  let consent: ConsentRecord | undefined;
  if (q.consent) {
    if (q.grantId !== undefined && q.grantId !== grantIdOf(profileOf(env), q.consent.grant)) throw new DataError(DATA_ERR.CONSENT_MISMATCH, 'grantId is not the carried grant', { details: { field: 'grantId' } });
    consent = recordGrant(env, s, q.consent.grant, q.consent.signature as Hex, p.srcChain);
  } else if (q.grantId !== undefined) {
    consent = readConsent(s, q.grantId as Hex);
    if (!consent) throw new DataError(DATA_ERR.CONSENT_UNKNOWN, `no consent ${q.grantId}`, { details: { grantId: q.grantId } });
  }
  const d = decide(decisionInput((k) => decodeRecord(s.get(k)), p.srcChain, q, env.time, { consent }));

  const rec: RequestRecord = {
    requestId,
    requester: p.srcChain,
    from: q.from,
    dataset: q.dataset,
    owner: p.dstChain,
    purpose: q.purpose,
    subject: q.subject as Hex,
    records: q.records,
    recipientKey: q.recipientKey,
    ...(q.regulatorKey ? { regulatorKey: q.regulatorKey } : {}),
    ...(d.grantId ? { grantId: d.grantId } : {}),
    rule: d.rule,
    status: 'allowed',
    height: env.height,
  };
  s.set(K.request(requestId), encodeRecord(rec));
  audit(env, s, 'request-allowed', { requestId, requester: p.srcChain, from: q.from, dataset: q.dataset, owner: p.dstChain, purpose: q.purpose, subject: q.subject, records: q.records, rule: d.rule, grantId: d.grantId, consent: d.consentRequired ? 'active' : 'not-required' });
}

function onAnswer(env: ModuleEnv, p: Packet, a: DataAnswer): void {
  const s = env.store;
  const r = readRequest(s, a.requestId);
  if (!r || (r.status !== 'allowed' && r.status !== 'accepted') || r.owner !== p.srcChain || r.requester !== p.dstChain) {
    throw new DataError(DATA_ERR.UNKNOWN_REQUEST, `no open request ${a.requestId} from ${p.dstChain} to ${p.srcChain}`, { details: { requestId: a.requestId } });
  }
  if (a.refused !== undefined) {
    s.set(K.request(r.requestId), encodeRecord({ ...r, status: 'refused-at-source' } satisfies RequestRecord));
    audit(env, s, 'source-refused', { requestId: r.requestId, owner: r.owner, requester: r.requester, code: a.refused });
    return;
  }
  if (a.envelope === undefined || a.commitment === undefined) throw new DataError(DATA_ERR.MALFORMED, 'an answer carries an envelope and a commitment, or a refusal');
  if (r.grantId !== undefined) {
    // revocation wins from the height it is committed: no release after it
    const c = readConsent(s, r.grantId);
    if (!c || c.status === 'revoked') throw new DataError(DATA_ERR.CONSENT_REVOKED, `consent ${r.grantId} was revoked before the answer to ${r.requestId}`, { details: { grantId: r.grantId, rule: r.rule } });
    if (c.grant.expiresAt <= env.time) throw new DataError(DATA_ERR.CONSENT_EXPIRED, `consent ${r.grantId} expired before the answer to ${r.requestId}`, { details: { grantId: r.grantId, rule: r.rule } });
  }
  const envelopeHash = toHex(dataHash(profileOf(env), fromHex(a.envelope as Hex)));
  const release = { envelopeHash, commitment: a.commitment as Hex, height: env.height };
  s.set(K.request(r.requestId), encodeRecord({ ...r, status: 'released', release } satisfies RequestRecord));
  audit(env, s, 'release', { requestId: r.requestId, owner: r.owner, requester: r.requester, dataset: r.dataset, grantId: r.grantId, envelopeHash, commitment: a.commitment });
}

/** Request or answer, and the id of the request it concerns; undefined when the payload does not parse. */
function kindOf(p: Packet): { kind: 'request' | 'answer'; requestId: string } | undefined {
  try {
    const d = decodeDataPayload(p.payload);
    return d.type === 'data/request' ? { kind: 'request', requestId: requestIdOf(p.srcChain, p.sequence) } : { kind: 'answer', requestId: d.requestId };
  } catch {
    return undefined;
  }
}

function setStatus(s: KVStore, requestId: string, from: RequestRecord['status'][], to: RequestRecord['status']): boolean {
  const r = readRequest(s, requestId);
  if (!r || !from.includes(r.status)) return false;
  s.set(K.request(requestId), encodeRecord({ ...r, status: to } satisfies RequestRecord));
  return true;
}

export function dataForwardPolicy(): ForwardPolicy {
  return {
    app: DATA_APP,
    onForward(env, p) {
      if (p.srcApp !== DATA_APP || p.dstApp !== DATA_APP) throw new DataError(DATA_ERR.MALFORMED, `data packets travel between ${DATA_APP} apps`);
      const d = decodeDataPayload(p.payload);
      if (d.type === 'data/request') onRequest(env, p, d);
      else onAnswer(env, p, d);
      return 'forward';
    },
    onRefused(env, p, e: PontisError) {
      const k = kindOf(p);
      const rule = typeof e.details?.rule === 'string' ? e.details.rule : undefined;
      const grantId = typeof e.details?.grantId === 'string' ? e.details.grantId : undefined;
      if (k?.kind === 'answer') {
        audit(env, env.store, 'release-refused', { requestId: k.requestId, owner: p.srcChain, requester: p.dstChain, code: e.code, rule, grantId });
        return;
      }
      let q: DataRequest | undefined;
      try {
        const d = decodeDataPayload(p.payload);
        if (d.type === 'data/request') q = d;
      } catch {
        // malformed: audited with what the packet itself says
      }
      audit(env, env.store, 'request-refused', {
        requestId: requestIdOf(p.srcChain, p.sequence),
        requester: p.srcChain,
        owner: p.dstChain,
        dataset: q?.dataset,
        purpose: q?.purpose,
        subject: q?.subject,
        code: e.code,
        rule,
        grantId: grantId ?? q?.grantId,
      });
    },
    onForwardDelivered(env, p) {
      const k = kindOf(p);
      if (k?.kind === 'request') {
        if (setStatus(env.store, k.requestId, ['allowed'], 'accepted')) audit(env, env.store, 'request-accepted', { requestId: k.requestId });
      } else if (k?.kind === 'answer') {
        if (setStatus(env.store, k.requestId, ['released'], 'delivered')) audit(env, env.store, 'delivery', { requestId: k.requestId, requester: p.dstChain });
      }
    },
    onForwardFailed(env, p) {
      const k = kindOf(p);
      if (!k) return;
      if (k.kind === 'request') {
        if (setStatus(env.store, k.requestId, ['allowed', 'accepted'], 'failed')) audit(env, env.store, 'request-failed', { requestId: k.requestId });
      } else if (setStatus(env.store, k.requestId, ['released'], 'failed')) audit(env, env.store, 'delivery-failed', { requestId: k.requestId });
    },
  };
}
