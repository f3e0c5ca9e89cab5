/**
 * The supervisor's check of the audit log, given two checkpoints (log size and root, each read
 * from hub state under a header the supervisor's light client verified), the RFC 9162
 * consistency proof between them, and every event of the log up to the second checkpoint.
 * Structure: the events hash to both roots (so none was dropped, added, reordered or altered,
 * and each one's inclusion is shown), the second log extends the first (no fork), each event
 * carries its own index. Meaning, by replaying the log: every release answers a request the hub
 * allowed, released once, with the consent the decision rested on still active and unexpired;
 * every allowed request that needed consent names a grant that was active, matching and
 * unexpired when it was decided; deliveries and decrypt receipts follow a release (a receipt
 * with its commitment). Nothing here trusts the node that served the events.
 */
import { type Hex, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { PontisError } from '../../errors.ts';
import { type AuditProfile } from './log.ts';
import { leafHash, logHashOf, rootOfLeaves, verifyConsistency } from './merkle-log.ts';

export interface Checkpoint {
  height: number;
  size: number;
  root: Hex;
}

export interface AuditFinding {
  /** Stable reason: what a supervisor greps. */
  reason:
    | 'fork'
    | 'root-mismatch'
    | 'first-root-mismatch'
    | 'event-count'
    | 'event-malformed'
    | 'event-index'
    | 'height-order'
    | 'release-without-allowed-request'
    | 'release-twice'
    | 'release-after-revocation'
    | 'release-after-expiry'
    | 'allowed-without-active-consent'
    | 'delivery-without-release'
    | 'decrypt-without-release'
    | 'decrypt-commitment-mismatch';
  index?: number;
  detail: string;
}

export interface AuditReport {
  ok: boolean;
  profile: AuditProfile;
  first: Checkpoint;
  second: Checkpoint;
  events: number;
  byType: Record<string, number>;
  releases: number;
  findings: AuditFinding[];
}

interface Ev {
  i: number;
  type: string;
  height: number;
  time: number;
  [k: string]: unknown;
}

interface Grant {
  subject: string;
  scope: string;
  requester: string;
  purpose: string;
  expiresAt: number;
  revokedAt?: number;
}

const MAX_FINDINGS = 100;

/** Checks `events` (canonical JSON strings, index 0 first) against the checkpoints; collects every finding rather than stopping at the first. */
export function verifyAuditLog(o: { profile: AuditProfile; first: Checkpoint; second: Checkpoint; consistency: Hex[]; events: string[] }): AuditReport {
  const h = logHashOf(o.profile);
  const findings: AuditFinding[] = [];
  const find = (f: AuditFinding) => {
    if (findings.length < MAX_FINDINGS) findings.push(f);
  };
  const byType: Record<string, number> = {};
  let releases = 0;

  // ---- structure ----
  if (o.events.length !== o.second.size) find({ reason: 'event-count', detail: `${o.events.length} events served for a log of ${o.second.size}` });
  const leaves = o.events.map((e) => leafHash(h, utf8(e)));
  if (toHex(rootOfLeaves(h, leaves)) !== o.second.root) find({ reason: 'root-mismatch', detail: `the ${o.events.length} events do not hash to the root at height ${o.second.height}: an event was dropped, added, reordered or altered` });
  try {
    // with the second root recomputed from the events, a consistency proof that holds makes the
    // first root the root of their first first.size events: no second pass over them
    verifyConsistency(h, o.first.size, o.second.size, fromHex(o.first.root), fromHex(o.second.root), o.consistency.map((p) => fromHex(p)));
  } catch (e) {
    if (!(e instanceof PontisError)) throw e;
    find({ reason: 'fork', detail: `the log at height ${o.second.height} (size ${o.second.size}) does not extend the log at height ${o.first.height} (size ${o.first.size}): ${e.message}` });
    if (o.events.length >= o.first.size && toHex(rootOfLeaves(h, leaves.slice(0, o.first.size))) !== o.first.root) {
      find({ reason: 'first-root-mismatch', detail: `the first ${o.first.size} events do not hash to the root at height ${o.first.height}` });
    }
  }

  // ---- meaning ----
  const grants = new Map<string, Grant>();
  const allowed = new Map<string, { grantId?: string }>();
  const released = new Map<string, { commitment: string }>();
  let lastHeight = 0;
  o.events.forEach((text, index) => {
    let ev: Ev;
    try {
      ev = JSON.parse(text) as Ev;
      if (typeof ev !== 'object' || ev === null || typeof ev.type !== 'string' || !Number.isSafeInteger(ev.i) || !Number.isSafeInteger(ev.height) || !Number.isSafeInteger(ev.time)) throw new Error('fields');
    } catch (e) {
      find({ reason: 'event-malformed', index, detail: `event ${index} is not a canonical audit event (${(e as Error).message})` });
      return;
    }
    if (ev.i !== index) find({ reason: 'event-index', index, detail: `event at position ${index} says it is event ${ev.i}` });
    if (ev.height < lastHeight) find({ reason: 'height-order', index, detail: `event ${index} at height ${ev.height} follows height ${lastHeight}` });
    lastHeight = Math.max(lastHeight, ev.height);
    byType[ev.type] = (byType[ev.type] ?? 0) + 1;
    const s = (k: string) => (typeof ev[k] === 'string' ? (ev[k] as string) : undefined);
    switch (ev.type) {
      case 'consent-grant':
        grants.set(s('grantId')!, { subject: s('subject')!, scope: s('scope')!, requester: s('requester')!, purpose: s('purpose')!, expiresAt: Number(ev.expiresAt) });
        break;
      case 'consent-revoke': {
        const g = grants.get(s('grantId')!);
        if (g && g.revokedAt === undefined) g.revokedAt = ev.height;
        break;
      }
      case 'request-allowed': {
        const grantId = s('grantId');
        if (ev.consent === 'active') {
          const g = grantId ? grants.get(grantId) : undefined;
          const why = !g
            ? 'names no recorded grant'
            : g.revokedAt !== undefined
              ? `rests on grant ${grantId} revoked at height ${g.revokedAt}`
              : g.expiresAt <= ev.time
                ? `rests on grant ${grantId} expired at ${g.expiresAt}`
                : g.subject !== s('subject') || g.requester !== s('requester') || g.purpose !== s('purpose')
                  ? `rests on grant ${grantId} given for another subject, requester or purpose`
                  : undefined;
          if (why) find({ reason: 'allowed-without-active-consent', index, detail: `request ${s('requestId')} allowed by ${s('rule')} ${why}` });
        }
        allowed.set(s('requestId')!, { grantId });
        break;
      }
      case 'release': {
        releases++;
        const id = s('requestId')!;
        const a = allowed.get(id);
        if (!a) find({ reason: 'release-without-allowed-request', index, detail: `release of ${id} answers no request the hub allowed before it` });
        if (released.has(id)) find({ reason: 'release-twice', index, detail: `${id} released a second time` });
        if (a?.grantId) {
          const g = grants.get(a.grantId);
          if (g?.revokedAt !== undefined) find({ reason: 'release-after-revocation', index, detail: `${id} released at height ${ev.height} after its consent ${a.grantId} was revoked at ${g.revokedAt}` });
          else if (g && g.expiresAt <= ev.time) find({ reason: 'release-after-expiry', index, detail: `${id} released after its consent ${a.grantId} expired` });
        }
        released.set(id, { commitment: s('commitment') ?? '' });
        break;
      }
      case 'delivery':
        if (!released.has(s('requestId')!)) find({ reason: 'delivery-without-release', index, detail: `delivery of ${s('requestId')} follows no release` });
        break;
      case 'decrypt': {
        const r = released.get(s('requestId')!);
        if (!r) find({ reason: 'decrypt-without-release', index, detail: `decrypt receipt for ${s('requestId')} follows no release` });
        else if (r.commitment !== s('commitment')) find({ reason: 'decrypt-commitment-mismatch', index, detail: `decrypt receipt for ${s('requestId')} names another commitment than was released` });
        break;
      }
    }
  });
  return { ok: findings.length === 0, profile: o.profile, first: o.first, second: o.second, events: o.events.length, byType, releases, findings };
}
