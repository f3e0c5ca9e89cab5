/**
 * Government data sharing: the records the hub keeps (departments, catalog, access policy,
 * citizen consent, node encryption keys, requests), their state keys, the request and answer
 * payloads that travel in `data` packets, message schemas and error codes. Meaning is checked by
 * the handlers (module.ts, spoke.ts); schemas check shape. See docs/adr/0016-data-sharing.md.
 */
import { z } from 'zod';
import { type Bytes, type Hex, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import { PontisError, errorTable, parseSchema } from '../../errors.ts';

export class DataError extends PontisError {
  override name = 'DataError';
}

export const DATA_APP = 'data';
export type { DataProfile } from '../../crypto/sealed.ts';
import type { DataProfile } from '../../crypto/sealed.ts';

export const DATA_ERR = {
  /** A request for a dataset the catalog does not list. */
  UNKNOWN_DATASET: 'PNT_ERR_DATA_UNKNOWN_DATASET',
  /** No access rule allows this requester, dataset and purpose (details.rule is absent). */
  NO_POLICY: 'PNT_ERR_DATA_NO_POLICY',
  /** A deny rule matched (details.rule names it). */
  DENIED: 'PNT_ERR_DATA_DENIED',
  /** More records asked than the allowing rule (or the hard cap) permits. */
  TOO_MANY_RECORDS: 'PNT_ERR_DATA_TOO_MANY_RECORDS',
  /** A request payload larger than MAX_REQUEST_BYTES. */
  REQUEST_TOO_LARGE: 'PNT_ERR_DATA_REQUEST_TOO_LARGE',
  /** A request or answer payload that does not parse. */
  MALFORMED: 'PNT_ERR_DATA_MALFORMED',
  /** Consent is required and the request names none. */
  CONSENT_REQUIRED: 'PNT_ERR_DATA_CONSENT_REQUIRED',
  /** The named grant is not recorded on the hub. */
  CONSENT_UNKNOWN: 'PNT_ERR_DATA_CONSENT_UNKNOWN',
  /** The grant was revoked. */
  CONSENT_REVOKED: 'PNT_ERR_DATA_CONSENT_REVOKED',
  /** The grant expired. */
  CONSENT_EXPIRED: 'PNT_ERR_DATA_CONSENT_EXPIRED',
  /** The grant is for another requester, subject, purpose or dataset. */
  CONSENT_MISMATCH: 'PNT_ERR_DATA_CONSENT_MISMATCH',
  /** The grant's signature is not the subject's. */
  CONSENT_SIGNATURE: 'PNT_ERR_DATA_CONSENT_SIGNATURE',
  /** A grant that was revoked, submitted again. */
  CONSENT_REPLAYED: 'PNT_ERR_DATA_CONSENT_REPLAYED',
  /** The request names a recipient key that is not an active node key of the requesting chain. */
  NO_NODE_KEY: 'PNT_ERR_DATA_NO_NODE_KEY',
  /** The sender is not an operator of the department it acts for. */
  NOT_OPERATOR: 'PNT_ERR_DATA_NOT_OPERATOR',
  /** The chain is not a registered department. */
  UNKNOWN_DEPARTMENT: 'PNT_ERR_DATA_UNKNOWN_DEPARTMENT',
  /** An answer or receipt for a request the hub never allowed, or already answered. */
  UNKNOWN_REQUEST: 'PNT_ERR_DATA_UNKNOWN_REQUEST',
  /** A catalog entry, rule or key record that breaks a rule of its own (details say which). */
  INVALID: 'PNT_ERR_DATA_INVALID',
  /** The dataset id is taken by another owner. */
  DATASET_TAKEN: 'PNT_ERR_DATA_DATASET_TAKEN',
  /** The source's own check of the hub's records (proofs carried with the answer) failed. */
  SOURCE_CHECK: 'PNT_ERR_DATA_SOURCE_CHECK',
  /** The source holds no record of the subject in the dataset (a refusal the source answers with). */
  NO_RECORD: 'PNT_ERR_DATA_NO_RECORD',
  /** A decrypt receipt whose plaintext commitment is not the released one. */
  RECEIPT_MISMATCH: 'PNT_ERR_DATA_RECEIPT_MISMATCH',
} as const;

export const DATA_ERRORS = errorTable(DATA_ERR, { [DATA_ERR.UNKNOWN_DATASET]: { httpStatus: 404 }, [DATA_ERR.UNKNOWN_REQUEST]: { httpStatus: 404 } });

/** Hard cap on records per request, whatever a rule says. */
export const MAX_RECORDS_PER_REQUEST = 1000;
/** Request payloads are small (the answer is what is large). */
export const MAX_REQUEST_BYTES = 8 * 1024;

const ID_RE = /^[a-z0-9][a-z0-9._:-]{0,63}$/;
const CHAIN_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const HEX_RE = /^0x([0-9a-f]{2})*$/;
const id = z.string().regex(ID_RE);
const chainId = z.string().regex(CHAIN_RE);
const hex = (maxBytes: number) => z.string().regex(HEX_RE).max(2 + 2 * maxBytes);
const ms = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const purpose = z.string().regex(/^[a-z][a-z0-9._-]{0,63}$/);

export const SENSITIVITY = ['public', 'internal', 'confidential', 'secret'] as const;

// ---- records kept on the hub ----

export interface Department {
  chain: string;
  org: string;
  /** Accounts (hub addresses) that act for the department: catalog, policy, node keys, receipts, answers. */
  operators: Hex[];
  /** On a Fabric channel, the MSPs whose members answer for the department there. */
  msps: string[];
  /** A regulator's node keys may be named as second recipients of answers. */
  regulator: boolean;
  height: number;
}

export interface DatasetEntry {
  id: string;
  ownerChain: string;
  ownerOrg: string;
  dataClass: string;
  schemaHash: Hex;
  sensitivity: (typeof SENSITIVITY)[number];
  consentRequired: boolean;
  height: number;
}

export interface AccessRule {
  /** Unique within its scope; the audit log and error details name a rule `<scope>#<id>`. */
  id: string;
  effect: 'allow' | 'deny';
  /** Requesting chain, or '*' for any. */
  requester: string;
  /** Purposes it covers ('*' alone: any). */
  purposes: string[];
  /** Consent needed even if the dataset does not require it. */
  consentRequired: boolean;
  /** Window in which the rule applies (ms, block time); notAfter 0: open-ended. */
  notBefore: number;
  notAfter: number;
  maxRecords: number;
}

export interface PolicyRecord {
  scope: string;
  rules: AccessRule[];
  height: number;
}

/** What a citizen signs. `scope` is `dataset:<id>` or `class:<dataClass>`. */
export interface ConsentGrant {
  v: 1;
  /** The subject's public key (the data-sharing profile's signing key), hex. */
  subject: Hex;
  scope: string;
  requester: string;
  purpose: string;
  expiresAt: number;
  nonce: string;
}

export interface ConsentRecord {
  grantId: Hex;
  grant: ConsentGrant;
  signature: Hex;
  status: 'active' | 'revoked';
  grantedHeight: number;
  revokedHeight?: number;
}

export interface NodeKeyRecord {
  chain: string;
  keyId: string;
  profile: DataProfile;
  publicKey: Hex;
  operator: Hex;
  registeredHeight: number;
  retiredHeight?: number;
}

/** The hub's record of a request it let through, and what became of it. */
export interface RequestRecord {
  requestId: string;
  requester: string;
  from: string;
  dataset: string;
  owner: string;
  purpose: string;
  subject: Hex;
  records: number;
  recipientKey: string;
  regulatorKey?: { chain: string; keyId: string };
  grantId?: Hex;
  rule: string;
  status: 'allowed' | 'accepted' | 'released' | 'delivered' | 'refused-at-source' | 'failed';
  height: number;
  /** Set at release: hashes of what was released (never the plaintext). */
  release?: { envelopeHash: Hex; commitment: Hex; height: number };
}

export const dataKeys = {
  department: (chain: string) => utf8(`data/dept/${chain}`),
  dataset: (id: string) => utf8(`data/catalog/${id}`),
  catalogPrefix: () => utf8('data/catalog/'),
  policy: (scope: string) => utf8(`data/policy/${scope}`),
  consent: (grantId: Hex) => utf8(`data/consent/${grantId}`),
  consentBySubject: (subject: Hex, grantId: Hex) => utf8(`data/consent-by/${subject}/${grantId}`),
  consentBySubjectPrefix: (subject: Hex) => utf8(`data/consent-by/${subject}/`),
  nodeKey: (chain: string, keyId: string) => utf8(`data/node-key/${chain}/${keyId}`),
  request: (requestId: string) => utf8(`data/request/${requestId}`),
};

export const datasetScope = (id: string) => `dataset:${id}`;
export const classScope = (ownerChain: string, dataClass: string) => `class:${ownerChain}:${dataClass}`;
/** A request's id: the requesting chain and the request packet's sequence. */
export const requestIdOf = (requester: string, sequence: number) => `${requester}:${sequence}`;

export const encodeRecord = (v: unknown): Bytes => utf8(canonicalJson(v));
export const decodeRecord = <T>(b: Bytes | undefined): T | undefined => (b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as T));

/** The bytes a citizen signs for a grant, and whose hash is the grant's id. */
export const grantSignBytes = (g: ConsentGrant): Bytes => utf8('pontis-consent/v1\n' + canonicalJson(g));
export const revokeSignBytes = (grantId: Hex): Bytes => utf8(`pontis-consent-revoke/v1\n${grantId}`);

// ---- payloads of `data` packets ----

export const consentGrantSchema = z.strictObject({
  v: z.literal(1),
  subject: hex(65),
  scope: z.string().regex(/^(dataset:[a-z0-9][a-z0-9._:-]{0,63}|class:[a-z0-9][a-z0-9._-]{0,63}:[a-z][a-z0-9_-]{0,31})$/),
  requester: chainId,
  purpose,
  expiresAt: ms,
  nonce: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
});
const signedGrant = z.strictObject({ grant: consentGrantSchema, signature: hex(128) });

export const dataRequestSchema = z.strictObject({
  type: z.literal('data/request'),
  v: z.literal(1),
  /** The requesting account on its own chain (the chain vouches for it). */
  from: z.string().max(2048),
  dataset: id,
  purpose,
  subject: hex(65),
  records: z.number().int().min(1),
  recipientKey: id,
  regulatorKey: z.strictObject({ chain: chainId, keyId: id }).optional(),
  grantId: hex(32).optional(),
  /** A grant carried by the requester as the subject's agent: recorded on the hub on first use. */
  consent: signedGrant.optional(),
});
export type DataRequest = z.infer<typeof dataRequestSchema>;

export const dataAnswerSchema = z.strictObject({
  type: z.literal('data/answer'),
  v: z.literal(1),
  requestId: z.string().max(140),
  /** The sealed envelope (hub-chain/crypto/sealed.ts encoding), hex; absent when the source refused. */
  envelope: hex(60 * 1024).optional(),
  /** dataHash(salt || plaintext): the salt travels inside the envelope, so the hash reveals nothing guessable. */
  commitment: hex(32).optional(),
  refused: z.string().regex(/^PNT_ERR_[A-Z0-9_]+$/).optional(),
});
export type DataAnswer = z.infer<typeof dataAnswerSchema>;

export type DataPayload = DataRequest | DataAnswer;

/** Parses a `data` packet payload (canonical JSON), strictly. */
export function decodeDataPayload(payload: Hex): DataPayload {
  const b = fromHex(payload);
  if (b.length > 64 * 1024) throw new DataError(DATA_ERR.REQUEST_TOO_LARGE, `payload is ${b.length} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(b).toString('utf8'));
  } catch {
    throw new DataError(DATA_ERR.MALFORMED, 'payload is not JSON');
  }
  const t = (v as { type?: unknown })?.type;
  const schema = t === 'data/request' ? dataRequestSchema : t === 'data/answer' ? dataAnswerSchema : undefined;
  if (!schema) throw new DataError(DATA_ERR.MALFORMED, 'payload is not a data request or answer');
  const data = parseSchema(schema as z.ZodType, v, (i) => new DataError(DATA_ERR.MALFORMED, `payload ${i.path || '(root)'}: ${i.message}`)) as DataPayload;
  if (t === 'data/request' && b.length > MAX_REQUEST_BYTES) throw new DataError(DATA_ERR.REQUEST_TOO_LARGE, `request is ${b.length} bytes, limit ${MAX_REQUEST_BYTES}`);
  if (canonicalJson(data) !== Buffer.from(b).toString('utf8')) throw new DataError(DATA_ERR.MALFORMED, 'payload is not canonical JSON');
  return data;
}

export const encodeDataPayload = (p: DataPayload): Hex => toHex(utf8(canonicalJson(p)));

// ---- messages ----

const rule = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/),
  effect: z.enum(['allow', 'deny']),
  requester: z.union([chainId, z.literal('*')]),
  purposes: z.array(z.union([purpose, z.literal('*')])).min(1).max(32),
  consentRequired: z.boolean(),
  notBefore: ms,
  notAfter: ms,
  maxRecords: z.number().int().min(1).max(MAX_RECORDS_PER_REQUEST),
});

export const dataMsgSchemas: z.ZodObject[] = [
  z.strictObject({ type: z.literal('data/catalog-add'), id, ownerChain: chainId, dataClass: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/), schemaHash: hex(32), sensitivity: z.enum(SENSITIVITY), consentRequired: z.boolean() }),
  z.strictObject({ type: z.literal('data/policy-set'), ownerChain: chainId, dataset: id.optional(), dataClass: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/).optional(), rules: z.array(rule).max(64) }),
  z.strictObject({ type: z.literal('data/consent-grant'), grant: consentGrantSchema, signature: hex(128) }),
  z.strictObject({ type: z.literal('data/consent-revoke'), grantId: hex(32), signature: hex(128) }),
  z.strictObject({ type: z.literal('data/node-key-register'), chain: chainId, keyId: id, publicKey: hex(65) }),
  z.strictObject({ type: z.literal('data/node-key-retire'), chain: chainId, keyId: id }),
  z.strictObject({ type: z.literal('data/decrypt-receipt'), requestId: z.string().max(140), chain: chainId, keyId: id, commitment: hex(32) }),
];

export const dataGovActionSchemas: z.ZodObject[] = [
  z.strictObject({ kind: z.literal('data/register-department'), chain: chainId, org: z.string().min(1).max(64), operators: z.array(z.string().regex(/^0x[0-9a-f]{40}$/)).min(1).max(32), msps: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)).max(16).optional(), regulator: z.boolean() }),
];

/** A department chain's request for data (the `data` app sends it as a packet to the owner). */
export const spokeRequestMsgSchema = z.strictObject({
  type: z.literal('data/request'),
  dstChain: chainId,
  dataset: id,
  purpose,
  subject: hex(65),
  records: z.number().int().min(1).max(MAX_RECORDS_PER_REQUEST),
  recipientKey: id,
  regulatorKey: z.strictObject({ chain: chainId, keyId: id }).optional(),
  grantId: hex(32).optional(),
  consent: signedGrant.optional(),
  timeoutTimestamp: ms.optional(),
});
export type SpokeRequestMsg = z.infer<typeof spokeRequestMsgSchema>;

/** The source's answer: sealed record or refusal, with the hub records it rests on and their proofs. */
export const spokeAnswerMsgSchema = z.strictObject({
  type: z.literal('data/answer'),
  requestId: z.string().max(140),
  envelope: hex(60 * 1024).optional(),
  commitment: hex(32).optional(),
  refused: z.string().regex(/^PNT_ERR_[A-Z0-9_]+$/).optional(),
  /** Hub records at a height the spoke's hub client holds, with their proofs: the source's own check. */
  hubHeight: z.number().int().min(1),
  hubState: z.array(z.strictObject({ key: hex(256), value: hex(16 * 1024).nullable(), proof: z.unknown() })).max(16),
});
export type SpokeAnswerMsg = z.infer<typeof spokeAnswerMsgSchema>;

/** Messages a spoke (a department's chain) takes: ask for data, answer a request. */
export const dataSpokeMsgSchemas: z.ZodObject[] = [spokeRequestMsgSchema, spokeAnswerMsgSchema];
