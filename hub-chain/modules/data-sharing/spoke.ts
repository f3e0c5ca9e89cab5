/**
 * A department chain's side of data sharing (any Pontis spoke): the `data` packet app and the
 * two messages its users send. The requester sends `data/request` (a packet to the owning chain,
 * decided by the hub on the way) and keeps the answer that comes back, still sealed to its node's
 * key. The source keeps each request it received as pending until its operator answers with
 * `data/answer`, which carries the hub records the decision rests on with their state proofs at
 * a height the chain's hub client holds: the source checks them against that client and decides
 * again (policy.ts) before the answer can leave. Plaintext never enters this chain's state.
 * The same app runs in the Fabric chaincode (contracts/fabric), whose callers are MSP identities:
 * it passes its own operator check.
 */
import type { KVStore, KVView, ModuleEnv } from '../../app/module.ts';
import { type Bytes, type Hex, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { PontisError } from '../../errors.ts';
import type { ClientVerifier } from '../clients/types.ts';
import type { Ack } from '../packets/types.ts';
import type { PacketApp, PacketSender } from '../transfer/app-interface.ts';
import { decide, decisionInput } from './policy.ts';
import {
  DATA_APP,
  DATA_ERR,
  type DataAnswer,
  type DataRequest,
  DataError,
  type DatasetEntry,
  type Department,
  type RequestRecord,
  type SpokeAnswerMsg,
  type SpokeRequestMsg,
  classScope,
  dataKeys,
  datasetScope,
  decodeDataPayload,
  decodeRecord,
  encodeDataPayload,
  encodeRecord,
  requestIdOf,
} from './types.ts';

/** The requester's record of a request it sent. */
export interface OutboundRequest {
  requestId: string;
  dstChain: string;
  dataset: string;
  purpose: string;
  subject: Hex;
  recipientKey: string;
  status: 'sent' | 'pending' | 'answered' | 'refused' | 'timed-out';
  code?: string;
  height: number;
}

/** The source's record of a request it received. */
export interface InboundRequest {
  requestId: string;
  requester: string;
  request: DataRequest;
  status: 'pending' | 'answered' | 'delivered' | 'release-refused' | 'timed-out';
  code?: string;
  height: number;
}

/** What the requester keeps of an answer: still sealed. */
export interface StoredAnswer {
  requestId: string;
  source: string;
  envelope?: Hex;
  commitment?: Hex;
  refused?: string;
  height: number;
}

export const spokeKeys = {
  outbound: (requestId: string) => utf8(`app/data/out/${requestId}`),
  inbound: (requestId: string) => utf8(`app/data/in/${requestId}`),
  answer: (requestId: string) => utf8(`app/data/answer/${requestId}`),
};

const json = encodeRecord;
export const readOutbound = (s: KVView, id: string) => decodeRecord<OutboundRequest>(s.get(spokeKeys.outbound(id)));
export const readInbound = (s: KVView, id: string) => decodeRecord<InboundRequest>(s.get(spokeKeys.inbound(id)));
export const readAnswer = (s: KVView, id: string) => decodeRecord<StoredAnswer>(s.get(spokeKeys.answer(id)));

const update = <T>(s: KVStore, key: Bytes, cur: T | undefined, patch: Partial<T>) => cur && s.set(key, json({ ...cur, ...patch }));

export const dataApp: PacketApp = {
  name: DATA_APP,
  onRecv(env, p) {
    const d = decodeDataPayload(p.payload);
    if (d.type === 'data/request') {
      const requestId = requestIdOf(p.srcChain, p.sequence);
      const rec: InboundRequest = { requestId, requester: p.srcChain, request: d, status: 'pending', height: env.height };
      env.store.set(spokeKeys.inbound(requestId), json(rec));
      return toHex(utf8('pending'));
    }
    const out = readOutbound(env.store, d.requestId);
    if (!out || out.dstChain !== p.srcChain || out.status === 'answered') throw new DataError(DATA_ERR.UNKNOWN_REQUEST, `no open request ${d.requestId} to ${p.srcChain}`);
    const ans: StoredAnswer = { requestId: d.requestId, source: p.srcChain, height: env.height, ...(d.refused ? { refused: d.refused } : { envelope: d.envelope as Hex, commitment: d.commitment as Hex }) };
    env.store.set(spokeKeys.answer(d.requestId), json(ans));
    update(env.store, spokeKeys.outbound(d.requestId), out, d.refused ? { status: 'refused', code: d.refused } : { status: 'answered' });
    return toHex(utf8('ok'));
  },
  onAck(env, p, ack: Ack) {
    const d = decodeDataPayload(p.payload);
    if (d.type === 'data/request') {
      const id = requestIdOf(p.srcChain, p.sequence);
      const out = readOutbound(env.store, id);
      if (!ack.ok) update(env.store, spokeKeys.outbound(id), out, { status: 'refused', code: ack.error });
      else if (out?.status === 'sent') update(env.store, spokeKeys.outbound(id), out, { status: 'pending' });
      return;
    }
    const inb = readInbound(env.store, d.requestId);
    update(env.store, spokeKeys.inbound(d.requestId), inb, ack.ok ? { status: 'delivered' } : { status: 'release-refused', code: ack.error });
  },
  onTimeout(env, p) {
    const d = decodeDataPayload(p.payload);
    if (d.type === 'data/request') {
      const id = requestIdOf(p.srcChain, p.sequence);
      update(env.store, spokeKeys.outbound(id), readOutbound(env.store, id), { status: 'timed-out' });
    } else update(env.store, spokeKeys.inbound(d.requestId), readInbound(env.store, d.requestId), { status: 'timed-out' });
  },
};

/** Default lifetime of a request packet. */
export const REQUEST_TIMEOUT_MS = 60 * 60 * 1000;

const notOnHub = (env: ModuleEnv) => {
  const hub = env.genesis.params.hubChainId;
  if (!hub) throw new DataError(DATA_ERR.INVALID, 'data requests and answers are sent from a department chain, not the hub');
  return hub;
};

export function sendRequest(env: ModuleEnv, packets: PacketSender, m: SpokeRequestMsg): string {
  notOnHub(env);
  const payload: DataRequest = {
    type: 'data/request',
    v: 1,
    from: env.sender,
    dataset: m.dataset,
    purpose: m.purpose,
    subject: m.subject,
    records: m.records,
    recipientKey: m.recipientKey,
    ...(m.regulatorKey ? { regulatorKey: m.regulatorKey } : {}),
    ...(m.grantId ? { grantId: m.grantId } : {}),
    ...(m.consent ? { consent: m.consent } : {}),
  };
  const hex = encodeDataPayload(payload);
  decodeDataPayload(hex); // the same limits the hub applies, before anything is committed
  const p = packets.sendPacket(env, { srcApp: DATA_APP, dstChain: m.dstChain, dstApp: DATA_APP, payload: hex, timeoutHeight: 0, timeoutTimestamp: m.timeoutTimestamp ?? env.time + REQUEST_TIMEOUT_MS, ordered: false });
  const requestId = requestIdOf(env.chainId, p.sequence);
  const out: OutboundRequest = { requestId, dstChain: m.dstChain, dataset: m.dataset, purpose: m.purpose, subject: m.subject, recipientKey: m.recipientKey, status: 'sent', height: env.height };
  env.store.set(spokeKeys.outbound(requestId), json(out));
  env.emit('data/requested', { requestId, dstChain: m.dstChain, dataset: m.dataset });
  return requestId;
}

/** The hub keys a source's check reads for request `inb`, with the key of the dataset's class policy once the entry is known. */
export function answerKeys(chainId: string, inb: InboundRequest, entry?: DatasetEntry, request?: RequestRecord): Bytes[] {
  const q = inb.request;
  const keys = [dataKeys.department(chainId), dataKeys.request(inb.requestId), dataKeys.dataset(q.dataset), dataKeys.policy(datasetScope(q.dataset)), dataKeys.nodeKey(inb.requester, q.recipientKey)];
  if (entry) keys.push(dataKeys.policy(classScope(entry.ownerChain, entry.dataClass)));
  if (request?.grantId) keys.push(dataKeys.consent(request.grantId));
  if (q.regulatorKey) keys.push(dataKeys.nodeKey(q.regulatorKey.chain, q.regulatorKey.keyId), dataKeys.department(q.regulatorKey.chain));
  return keys;
}

/**
 * The source's answer: its own check of the hub's records (proven at `hubHeight` against this
 * chain's hub client), then the answer packet back to the requester.
 */
export function sendAnswer(env: ModuleEnv, packets: PacketSender, clients: ClientVerifier, m: SpokeAnswerMsg, isOperator: (dept: Department, sender: Hex) => boolean = (d, s) => d.operators.includes(s)): void {
  const hub = notOnHub(env);
  const inb = readInbound(env.store, m.requestId);
  if (!inb || (inb.status !== 'pending' && inb.status !== 'timed-out' && inb.status !== 'release-refused')) throw new DataError(DATA_ERR.UNKNOWN_REQUEST, `no pending request ${m.requestId}`, { details: { requestId: m.requestId } });
  const check = (msg: string, details: Record<string, unknown> = {}, cause?: unknown) => new DataError(DATA_ERR.SOURCE_CHECK, msg, { details: { requestId: m.requestId, ...details }, cause });
  // every record the check reads must come with a proof; nothing else may come
  const proven = new Map<string, Bytes | null>();
  const byKey = new Map(m.hubState.map((i) => [i.key, i]));
  if (byKey.size !== m.hubState.length) throw check('a hub record is given twice');
  const read = <T>(key: Bytes): T | undefined => {
    const k = toHex(key);
    if (!proven.has(k)) {
      const item = byKey.get(k);
      if (!item) throw check(`the hub record ${Buffer.from(key).toString('utf8')} is missing`, { key: Buffer.from(key).toString('utf8') });
      try {
        if (item.value === null) clients.verifyNonMembership(env.store, hub, m.hubHeight, env.time, key, item.proof);
        else clients.verifyMembership(env.store, hub, m.hubHeight, env.time, key, fromHex(item.value), item.proof);
      } catch (e) {
        if (!(e instanceof PontisError)) throw e;
        throw check(`the proof of ${Buffer.from(key).toString('utf8')} does not verify: ${e.code}`, { key: Buffer.from(key).toString('utf8'), code: e.code }, e);
      }
      proven.set(k, item.value === null ? null : fromHex(item.value));
    }
    const v = proven.get(k);
    return v === null || v === undefined ? undefined : decodeRecord<T>(v);
  };
  const dept = read<Department>(dataKeys.department(env.chainId));
  if (!dept || !isOperator(dept, env.sender)) throw new DataError(DATA_ERR.NOT_OPERATOR, `${env.sender} is not an operator of ${env.chainId} on the hub`, { details: { chain: env.chainId } });
  const q = inb.request;
  const r = read<RequestRecord>(dataKeys.request(inb.requestId));
  if (!r || (r.status !== 'allowed' && r.status !== 'accepted' && r.status !== 'released') || r.requester !== inb.requester || r.owner !== env.chainId || r.dataset !== q.dataset || r.purpose !== q.purpose || r.subject !== q.subject || r.records !== q.records || r.recipientKey !== q.recipientKey) {
    throw check(`the hub holds no allowed request ${inb.requestId} matching the one received`);
  }
  if (m.refused === undefined) {
    try {
      decide(decisionInput(read, inb.requester, q, env.time, { grantId: r.grantId }));
    } catch (e) {
      if (!(e instanceof PontisError)) throw e;
      throw check(`the source's own decision refuses ${inb.requestId}: ${e.code}`, { code: e.code, ...(e.details ?? {}) }, e);
    }
    if (m.envelope === undefined || m.commitment === undefined) throw new DataError(DATA_ERR.MALFORMED, 'an answer carries an envelope and a commitment, or a refusal');
  }
  for (const k of byKey.keys()) if (!proven.has(k)) throw check(`hub record ${Buffer.from(fromHex(k as Hex)).toString('utf8').slice(0, 80)} is not one the check reads`);
  const answer: DataAnswer = { type: 'data/answer', v: 1, requestId: inb.requestId, ...(m.refused !== undefined ? { refused: m.refused } : { envelope: m.envelope, commitment: m.commitment }) };
  packets.sendPacket(env, { srcApp: DATA_APP, dstChain: inb.requester, dstApp: DATA_APP, payload: encodeDataPayload(answer), timeoutHeight: 0, timeoutTimestamp: env.time + REQUEST_TIMEOUT_MS, ordered: false });
  env.store.set(spokeKeys.inbound(inb.requestId), json({ ...inb, status: 'answered' } satisfies InboundRequest));
  env.emit('data/answered', { requestId: inb.requestId, requester: inb.requester, refused: m.refused ?? '' });
}

