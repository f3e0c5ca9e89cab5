/**
 * The access decision for a data request: one pure function, run by the hub when the request
 * packet passes and again by the source before it answers (on records it proved from hub state).
 * Deny wins over allow; dataset rules are read before the owner's class rules; with no allowing
 * rule the request is refused. A refusal is a DataError whose code is stable and whose details
 * name the rule that decided (`<scope>#<id>`), which the audit log records.
 */
import type { Bytes, Hex } from '../../crypto/bytes.ts';
import {
  type AccessRule,
  type ConsentRecord,
  DATA_ERR,
  type DatasetEntry,
  DataError,
  type Department,
  MAX_RECORDS_PER_REQUEST,
  type NodeKeyRecord,
  type PolicyRecord,
  classScope,
  dataKeys,
  datasetScope,
} from './types.ts';

export interface DecisionInput {
  requester: string;
  dataset: string;
  purpose: string;
  subject: Hex;
  records: number;
  recipientKey: string;
  regulatorKey?: { chain: string; keyId: string };
  entry: DatasetEntry | undefined;
  datasetPolicy: PolicyRecord | undefined;
  classPolicy: PolicyRecord | undefined;
  /** The grant the request names (by id, or carried with it), as recorded. */
  consent: ConsentRecord | undefined;
  recipient: NodeKeyRecord | undefined;
  regulator?: NodeKeyRecord;
  regulatorDept?: Department;
  /** Block time (ms) of the chain deciding. */
  time: number;
}

export interface Decision {
  /** `<scope>#<id>` of the allowing rule. */
  rule: string;
  consentRequired: boolean;
  grantId?: Hex;
}

const refuse = (code: string, msg: string, details: Record<string, unknown> = {}) => new DataError(code, msg, { details });

const applies = (r: AccessRule, requester: string, purpose: string, time: number) =>
  (r.requester === '*' || r.requester === requester) && (r.purposes.includes('*') || r.purposes.includes(purpose)) && time >= r.notBefore && (r.notAfter === 0 || time < r.notAfter);

/** What a request asks, as the decision reads it. */
export interface RequestFields {
  dataset: string;
  purpose: string;
  subject: string;
  records: number;
  recipientKey: string;
  regulatorKey?: { chain: string; keyId: string };
}

/**
 * The decision's input from hub records, read through `read` (the hub's state, or records proven
 * against a hub client): the catalog entry, both policy scopes, the grant `grantId` names (unless
 * the caller already holds it as `consent`), the recipient's key and a regulator's.
 */
export function decisionInput(read: <T>(key: Bytes) => T | undefined, requester: string, q: RequestFields, time: number, grant: { grantId?: Hex; consent?: ConsentRecord }): DecisionInput {
  const entry = read<DatasetEntry>(dataKeys.dataset(q.dataset));
  return {
    requester,
    dataset: q.dataset,
    purpose: q.purpose,
    subject: q.subject as Hex,
    records: q.records,
    recipientKey: q.recipientKey,
    regulatorKey: q.regulatorKey,
    entry,
    datasetPolicy: read<PolicyRecord>(dataKeys.policy(datasetScope(q.dataset))),
    classPolicy: entry ? read<PolicyRecord>(dataKeys.policy(classScope(entry.ownerChain, entry.dataClass))) : undefined,
    consent: grant.consent ?? (grant.grantId ? read<ConsentRecord>(dataKeys.consent(grant.grantId)) : undefined),
    recipient: read<NodeKeyRecord>(dataKeys.nodeKey(requester, q.recipientKey)),
    ...(q.regulatorKey ? { regulator: read<NodeKeyRecord>(dataKeys.nodeKey(q.regulatorKey.chain, q.regulatorKey.keyId)), regulatorDept: read<Department>(dataKeys.department(q.regulatorKey.chain)) } : {}),
    time,
  };
}

export function decide(i: DecisionInput): Decision {
  const e = i.entry;
  if (!e) throw refuse(DATA_ERR.UNKNOWN_DATASET, `no dataset ${i.dataset} in the catalog`, { dataset: i.dataset });
  if (i.records < 1 || i.records > MAX_RECORDS_PER_REQUEST) throw refuse(DATA_ERR.TOO_MANY_RECORDS, `${i.records} records asked, at most ${MAX_RECORDS_PER_REQUEST}`, { records: i.records });
  const scoped: [string, AccessRule][] = [
    ...(i.datasetPolicy?.rules ?? []).map((r) => [datasetScope(e.id), r] as [string, AccessRule]),
    ...(i.classPolicy?.rules ?? []).map((r) => [classScope(e.ownerChain, e.dataClass), r] as [string, AccessRule]),
  ];
  const matching = scoped.filter(([, r]) => applies(r, i.requester, i.purpose, i.time));
  const deny = matching.find(([, r]) => r.effect === 'deny');
  if (deny) throw refuse(DATA_ERR.DENIED, `rule ${deny[0]}#${deny[1].id} denies ${i.requester} ${i.purpose} on ${e.id}`, { rule: `${deny[0]}#${deny[1].id}` });
  const allow = matching.find(([, r]) => r.effect === 'allow');
  if (!allow) throw refuse(DATA_ERR.NO_POLICY, `no rule allows ${i.requester} to read ${e.id} for ${i.purpose}`, { dataset: e.id, purpose: i.purpose });
  const [scope, r] = allow;
  const rule = `${scope}#${r.id}`;
  if (i.records > r.maxRecords) throw refuse(DATA_ERR.TOO_MANY_RECORDS, `${i.records} records asked, rule ${rule} allows ${r.maxRecords}`, { rule, records: i.records });
  const consentRequired = e.consentRequired || r.consentRequired;
  if (consentRequired) checkConsent(i, e, rule);
  const k = i.recipient;
  if (!k || k.chain !== i.requester || k.keyId !== i.recipientKey || k.retiredHeight !== undefined) {
    throw refuse(DATA_ERR.NO_NODE_KEY, `${i.recipientKey} is not an active node key of ${i.requester}`, { rule, keyId: i.recipientKey });
  }
  if (i.regulatorKey) {
    const g = i.regulator;
    if (!g || g.chain !== i.regulatorKey.chain || g.keyId !== i.regulatorKey.keyId || g.retiredHeight !== undefined || !i.regulatorDept?.regulator || i.regulatorDept.chain !== g.chain) {
      throw refuse(DATA_ERR.NO_NODE_KEY, `${i.regulatorKey.chain}/${i.regulatorKey.keyId} is not an active regulator key`, { rule, keyId: i.regulatorKey.keyId });
    }
  }
  return { rule, consentRequired, ...(consentRequired ? { grantId: i.consent!.grantId } : {}) };
}

function checkConsent(i: DecisionInput, e: DatasetEntry, rule: string): void {
  const c = i.consent;
  if (!c) throw refuse(DATA_ERR.CONSENT_REQUIRED, `rule ${rule} needs the subject's consent and the request names none`, { rule });
  const details = { rule, grantId: c.grantId };
  if (c.status === 'revoked') throw refuse(DATA_ERR.CONSENT_REVOKED, `consent ${c.grantId} was revoked`, details);
  const g = c.grant;
  if (g.expiresAt <= i.time) throw refuse(DATA_ERR.CONSENT_EXPIRED, `consent ${c.grantId} expired at ${g.expiresAt}`, details);
  const mismatch = (what: string) => refuse(DATA_ERR.CONSENT_MISMATCH, `consent ${c.grantId} is for another ${what}`, { ...details, field: what });
  if (g.subject !== i.subject) throw mismatch('subject');
  if (g.requester !== i.requester) throw mismatch('requester');
  if (g.purpose !== i.purpose) throw mismatch('purpose');
  if (g.scope !== datasetScope(e.id) && g.scope !== classScope(e.ownerChain, e.dataClass)) throw mismatch('dataset');
}
