/**
 * Storage layout of the clients module (JSON values in canonical form, UTF-8 keys), shared by the
 * keeper and the client types:
 *   clients/<chainId>/state                    ClientRecord
 *   clients/<chainId>/consensus/<height:016>   ConsensusRecord
 *   clients/<chainId>/evidence/<n>             StoredEvidence (n = 0, 1, ...)
 *   clients/<chainId>/meta                     ClientMeta (keeper bookkeeping)
 */
import type { z } from 'zod';
import { type Bytes, type Hex, utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import type { KVStore, KVView } from '../../app/module.ts';
import { parseSchema } from '../../errors.ts';
import { ClientError, type ClientRecord, type ClientStatus, type ConsensusRecord } from './types.ts';

export const pad16 = (n: number): string => String(n).padStart(16, '0');

export const clientKeys = {
  state: (chainId: string) => utf8(`clients/${chainId}/state`),
  consensus: (chainId: string, height: number) => utf8(`clients/${chainId}/consensus/${pad16(height)}`),
  evidence: (chainId: string, n: number) => utf8(`clients/${chainId}/evidence/${n}`),
  meta: (chainId: string) => utf8(`clients/${chainId}/meta`),
};

/** Keeper bookkeeping that is no part of the client type's record. */
export interface ClientMeta {
  /** Parameters as given at creation or the last recovery (recovery without params reuses them). */
  params: unknown;
  /** Consensus records below this height predate the last recovery and are not served. */
  validFrom: number;
  /** Number of evidence entries stored. */
  evidenceCount: number;
}

export interface StoredEvidence {
  index: number;
  chainId: string;
  clientType: string;
  /** Counterparty height the misbehaviour is about. */
  height: number;
  reason: string;
  /** This chain's height and time when it was recorded. */
  hubHeight: number;
  hubTime: number;
  evidence: unknown;
}

export function writeJson(s: KVStore, key: Bytes, value: unknown): void {
  s.set(key, utf8(canonicalJson(value)));
}

export function readJson<T>(s: KVView, key: Bytes): T | undefined {
  const b = s.get(key);
  return b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as T);
}

export function readMeta(s: KVView, chainId: string): ClientMeta | undefined {
  return readJson<ClientMeta>(s, clientKeys.meta(chainId));
}

/** The consensus record at exactly `height`, unless it predates the client's last recovery. */
export function readConsensus<E = unknown>(s: KVView, chainId: string, height: number): ConsensusRecord<E> | undefined {
  if (!Number.isSafeInteger(height) || height < 1) return undefined;
  const validFrom = readMeta(s, chainId)?.validFrom ?? 0;
  if (height < validFrom) return undefined;
  return readJson<ConsensusRecord<E>>(s, clientKeys.consensus(chainId, height));
}

/**
 * Shared status rule: frozen wins; otherwise expired once now >= latest.timestamp + trustingPeriod
 * (exclusive bound, as in the hub light client, ADR 0003), or when there is no latest state.
 */
export function timedStatus(rec: ClientRecord, latest: ConsensusRecord | undefined, now: number): ClientStatus {
  if (rec.frozen) return 'frozen';
  if (!latest || now >= latest.timestamp + rec.trustingPeriodMs) return 'expired';
  return 'active';
}

/** Parses `value` with `schema`, turning the first issue into a ClientError with `code`. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, code: string, what: string): z.infer<S> {
  return parseSchema(schema, value, ({ path, message }) => new ClientError(code, `${what}${path ? ` ${path}` : ''}: ${message}`, { details: { path } }));
}

export const hexEq = (a: Hex, b: Hex): boolean => a.toLowerCase() === b.toLowerCase();
