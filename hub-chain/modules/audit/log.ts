/**
 * The audit log in hub state: an append-only Merkle log (RFC 9162 hashing, merkle-log.ts) of
 * every data-sharing decision and movement. Each event is stored at `audit/e/<index>` as
 * canonical JSON carrying its own index, height and time; `audit/head` keeps the log's size and
 * the right-edge frontier, so an append costs O(log n) hashes and the root at any committed
 * height is provable with one state proof. A supervisor who trusts only the hub's validators
 * reads the head under a verified header and checks every event against it (audit/verify.ts).
 */
import type { KVStore, KVView } from '../../app/module.ts';
import { type Bytes, type Hex, toHex, utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import type { DataProfile } from '../../crypto/sealed.ts';
import { type LogHead, appendLeaf, decodeHead, encodeHead, leafHash, logHashOf, rootOf } from './merkle-log.ts';

export type AuditProfile = DataProfile;

export const auditKeys = {
  head: () => utf8('audit/head'),
  /** Zero-padded so entries list in order. */
  event: (index: number) => utf8(`audit/e/${String(index).padStart(12, '0')}`),
};

/** An event as stored: `i` its index in the log; the rest is what happened. Values are strings, numbers or booleans. */
export interface AuditEvent {
  i: number;
  type: string;
  height: number;
  time: number;
  [field: string]: string | number | boolean | undefined;
}

export function readHead(s: KVView): LogHead {
  const b = s.get(auditKeys.head());
  return b === undefined ? { size: 0, frontier: [] } : decodeHead(b);
}

/** Appends one event; returns its index. */
export function appendAudit(s: KVStore, profile: AuditProfile, at: { height: number; time: number }, type: string, fields: Record<string, string | number | boolean | undefined>): number {
  const h = logHashOf(profile);
  const head = readHead(s);
  const clean: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) clean[k] = v;
  const event = { ...clean, i: head.size, type, height: at.height, time: at.time };
  const bytes = utf8(canonicalJson(event));
  s.set(auditKeys.event(head.size), bytes);
  s.set(auditKeys.head(), encodeHead(appendLeaf(h, head, leafHash(h, bytes))));
  return head.size;
}

/** The log's size and root as recorded in `s`. */
export function auditRoot(s: KVView, profile: AuditProfile): { size: number; root: Hex } {
  const head = readHead(s);
  return { size: head.size, root: toHex(rootOf(logHashOf(profile), head)) };
}

export function readAuditEvent(s: KVView, index: number): Bytes | undefined {
  return s.get(auditKeys.event(index));
}
