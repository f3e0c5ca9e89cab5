/**
 * `records`: a department's records on the government channel. The owning org (the MSP that first
 * wrote a record id) writes and reads it; other chains read it by sending a request packet
 * (`{"type":"get","id":...}`) to the app and get the record in the acknowledgement, or an error
 * ack with a stable code when the record is missing or their chain is not on its allow list.
 * Stored at `app/records/<id>` (JSON).
 */
import type { KVStore, KVView } from '../../../hub-chain/app/module.ts';
import { type Hex, fromHex, isHex, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { canonicalJson } from '../../../hub-chain/encoding/canonical-json.ts';
import type { PacketApp } from '../../../hub-chain/modules/transfer/app-interface.ts';
import type { Caller } from '../context.ts';
import { CC_ERR, ChaincodeError } from '../errors.ts';

export const RECORDS_APP = 'records';
export const RECORD_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const CHAIN_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_RECORD_BYTES = 32 * 1024;

export interface StoredRecord {
  id: string;
  /** MSP id of the org that owns it. */
  owner: string;
  data: Hex;
  /** Chains whose request packets may read it. */
  allow: string[];
  /** Transaction time of the last write (ms). */
  updatedAt: number;
}

/** What a granted request's ack carries (its result bytes are the UTF-8 of this, canonical JSON). */
export interface RecordAnswer {
  id: string;
  owner: string;
  data: Hex;
}

const recordKey = (id: string) => utf8(`app/records/${id}`);

function readRecord(s: KVView, id: string): StoredRecord | undefined {
  const b = s.get(recordKey(id));
  return b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as StoredRecord);
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || !RECORD_ID_RE.test(id)) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'record id must match ' + RECORD_ID_RE.source);
  return id;
}

/** Creates or replaces a record; only its owner may replace it. */
export function putRecord(s: KVStore, caller: Caller, nowMs: number, r: { id: string; data: Hex; allow: string[] }): StoredRecord {
  const id = checkId(r.id);
  if (!isHex(r.data) || r.data.length > 2 + 2 * MAX_RECORD_BYTES) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, `record data must be 0x-hex of at most ${MAX_RECORD_BYTES} bytes`);
  if (!Array.isArray(r.allow) || r.allow.length > 256 || !r.allow.every((c) => typeof c === 'string' && CHAIN_ID_RE.test(c))) {
    throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'allow must be a list of at most 256 chain ids');
  }
  const prior = readRecord(s, id);
  if (prior && prior.owner !== caller.mspId) throw new ChaincodeError(CC_ERR.RECORDS_ACCESS_DENIED, `record ${id} belongs to another org`);
  const rec: StoredRecord = { id, owner: caller.mspId, data: r.data.toLowerCase() as Hex, allow: [...new Set(r.allow)].sort(), updatedAt: nowMs };
  s.set(recordKey(id), utf8(canonicalJson(rec)));
  return rec;
}

/** A record as its owner reads it. */
export function getRecord(s: KVView, caller: Caller, id: string): StoredRecord {
  const rec = readRecord(s, checkId(id));
  if (!rec) throw new ChaincodeError(CC_ERR.RECORDS_NOT_FOUND, `no record ${id}`);
  if (rec.owner !== caller.mspId) throw new ChaincodeError(CC_ERR.RECORDS_ACCESS_DENIED, `record ${id} belongs to another org`);
  return rec;
}

/** The payload of a request packet for record `id`. */
export const recordRequest = (id: string): Hex => toHex(utf8(canonicalJson({ type: 'get', id })));

/** A request: `{"type":"get","id"}`, sent as such or inside a `msg` envelope `{from, data}` (a `msg/send` from a Pontis chain). */
function parseRequest(payload: Hex): string {
  let req: { type?: unknown; id?: unknown; from?: unknown; data?: unknown };
  try {
    req = JSON.parse(Buffer.from(fromHex(payload)).toString('utf8'));
    if (typeof req?.from === 'string' && typeof req.data === 'string' && isHex(req.data)) req = JSON.parse(Buffer.from(fromHex(req.data as Hex)).toString('utf8'));
  } catch {
    throw new ChaincodeError(CC_ERR.RECORDS_BAD_REQUEST, 'request is not JSON');
  }
  if (req?.type !== 'get' || typeof req.id !== 'string' || !RECORD_ID_RE.test(req.id)) throw new ChaincodeError(CC_ERR.RECORDS_BAD_REQUEST, 'request must be {"type":"get","id":<record id>}');
  return req.id;
}

export const recordsApp: PacketApp = {
  name: RECORDS_APP,
  onRecv(env, p) {
    const id = parseRequest(p.payload);
    const rec = readRecord(env.store, id);
    if (!rec) throw new ChaincodeError(CC_ERR.RECORDS_NOT_FOUND, `no record ${id}`);
    // the hub proved the packet's source chain; the record's owner decided which chains may read
    if (!rec.allow.includes(p.srcChain)) throw new ChaincodeError(CC_ERR.RECORDS_ACCESS_DENIED, `chain ${p.srcChain} may not read record ${id}`);
    const answer: RecordAnswer = { id, owner: rec.owner, data: rec.data };
    return toHex(utf8(canonicalJson(answer)));
  },
  // records only answers requests: it sends nothing, so no ack or timeout comes back to it
  onAck() {},
  onTimeout() {},
};
