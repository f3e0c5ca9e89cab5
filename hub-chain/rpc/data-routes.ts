/**
 * RPC routes of the data-sharing layer and its audit log: the catalog, a subject's consents, a
 * request's record, node keys (plain reads of committed state: anything here can also be read
 * with `/state?keyText=...&prove=true` and checked against a verified header), and the audit
 * log's events with RFC 9162 inclusion and consistency proofs. The proofs are built from the
 * events themselves: the worker keeps the tree of leaf hashes in memory and extends it as the log
 * grows, so a proof costs O(log n) however long the log is.
 */
import type { FastifyInstance } from 'fastify';
import { toHex } from '../crypto/bytes.ts';
import { dataProfileOf } from '../app/genesis.ts';
import type { ChainReader } from '../node/chain-reader.ts';
import { auditKeys, auditRoot, readAuditEvent, readHead } from '../modules/audit/log.ts';
import { MerkleTree, leafHash, logHashOf } from '../modules/audit/merkle-log.ts';
import { readConsent, readDataset, readNodeKey, readRequest } from '../modules/data-sharing/hub.ts';
import { type ConsentRecord, type DatasetEntry, dataKeys } from '../modules/data-sharing/types.ts';
import { RpcError } from './errors.ts';
import { optionalIntParam, parseIntParam } from './params.ts';

const NUMBER = { type: 'string', maxLength: 32 } as const;
const CHAIN_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } as const;
const ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9._:-]{0,139}$' } as const;
const HEX = { type: 'string', pattern: '^0x([0-9a-f]{2}){1,65}$' } as const;
const query = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false }) as const;
const params = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties) }) as const;
const MAX_EVENTS = 10_000;
const MAX_LIST = 1000;

const notFound = (what: string) => new RpcError('PNT_ERR_RPC_NOT_FOUND', `no ${what}`);

export function dataRoutes(app: FastifyInstance, chain: ChainReader): void {
  const profile = dataProfileOf(chain.genesis);
  const h = logHashOf(profile);
  const latest = () => {
    const ws = chain.state.working();
    return { height: ws.baseVersion, get: (k: Uint8Array) => ws.get(k), entries: (p: Uint8Array) => ws.entries(p) };
  };
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

  app.get<{ Querystring: { limit?: string } }>('/data/catalog', { schema: { querystring: query({ limit: NUMBER }) } }, async (req) => {
    const limit = optionalIntParam(req.query.limit, 'limit', { min: 1, max: MAX_LIST }, 100);
    const s = latest();
    const datasets: DatasetEntry[] = [];
    for (const [, v] of s.entries(dataKeys.catalogPrefix())) {
      if (datasets.length >= limit) break;
      datasets.push(JSON.parse(text(v)) as DatasetEntry);
    }
    return { height: s.height, datasets };
  });
  app.get<{ Params: { id: string } }>('/data/catalog/:id', { schema: { params: params({ id: ID }) } }, async (req) => {
    const s = latest();
    const e = readDataset(s, req.params.id);
    if (!e) throw notFound(`dataset ${req.params.id}`);
    return { height: s.height, dataset: e };
  });
  app.get<{ Querystring: { subject: string } }>('/data/consents', { schema: { querystring: query({ subject: HEX }, ['subject']) } }, async (req) => {
    const s = latest();
    const consents: ConsentRecord[] = [];
    for (const [k] of s.entries(dataKeys.consentBySubjectPrefix(req.query.subject as `0x${string}`))) {
      if (consents.length >= MAX_LIST) break;
      const grantId = text(k).split('/').pop() as `0x${string}`;
      const c = readConsent(s, grantId);
      if (c) consents.push(c);
    }
    return { height: s.height, consents };
  });
  app.get<{ Params: { id: string } }>('/data/requests/:id', { schema: { params: params({ id: ID }) } }, async (req) => {
    const s = latest();
    const r = readRequest(s, req.params.id);
    if (!r) throw notFound(`request ${req.params.id}`);
    return { height: s.height, request: r };
  });
  app.get<{ Params: { chain: string; keyId: string } }>('/data/node-keys/:chain/:keyId', { schema: { params: params({ chain: CHAIN_ID, keyId: ID }) } }, async (req) => {
    const s = latest();
    const k = readNodeKey(s, req.params.chain, req.params.keyId);
    if (!k) throw notFound(`key ${req.params.keyId} of ${req.params.chain}`);
    return { height: s.height, key: k };
  });

  // ---- the audit log ----

  const tree = new MerkleTree(h);
  /** Extends the in-memory tree to `size` from committed events (the log only grows). */
  const grow = (size: number) => {
    const s = latest();
    while (tree.size < size) {
      const e = readAuditEvent(s, tree.size);
      if (!e) throw new RpcError('PNT_ERR_RPC_NOT_FOUND', `audit event ${tree.size} is not committed yet`);
      tree.append(leafHash(h, e));
    }
  };
  const sizeAt = (height?: number) => {
    if (height === undefined) return readHead(latest()).size;
    const b = chain.state.get(auditKeys.head(), height);
    return b === undefined ? 0 : readHead({ get: () => b }).size;
  };

  app.get<{ Querystring: { height?: string } }>('/audit/head', { schema: { querystring: query({ height: NUMBER }) } }, async (req) => {
    const height = optionalIntParam(req.query.height, 'height', { min: 1 });
    if (height === undefined) {
      const s = latest();
      return { height: s.height, ...auditRoot(s, profile), profile };
    }
    if (height > chain.latestHeight()) throw new RpcError('PNT_ERR_STATE_VERSION_UNKNOWN', `height ${height} is not committed`);
    chain.state.checkVersion(height);
    const b = chain.state.get(auditKeys.head(), height);
    return { height, ...auditRoot({ get: () => b }, profile), profile };
  });
  app.get<{ Querystring: { from?: string; limit?: string } }>('/audit/events', { schema: { querystring: query({ from: NUMBER, limit: NUMBER }) } }, async (req) => {
    const from = optionalIntParam(req.query.from, 'from', { min: 0 }, 0);
    const limit = optionalIntParam(req.query.limit, 'limit', { min: 1, max: MAX_EVENTS }, 1000);
    const s = latest();
    const size = readHead(s).size;
    const events: string[] = [];
    for (let i = from; i < Math.min(size, from + limit); i++) events.push(text(readAuditEvent(s, i)!));
    return { height: s.height, size, from, events };
  });
  app.get<{ Querystring: { index: string; size: string } }>('/audit/inclusion', { schema: { querystring: query({ index: NUMBER, size: NUMBER }, ['index', 'size']) } }, async (req) => {
    const size = parseIntParam(req.query.size, 'size', { min: 1, max: sizeAt() });
    const index = parseIntParam(req.query.index, 'index', { min: 0, max: size - 1 });
    grow(size);
    return { index, size, proof: tree.inclusionProof(index, size).map(toHex) };
  });
  app.get<{ Querystring: { first: string; second: string } }>('/audit/consistency', { schema: { querystring: query({ first: NUMBER, second: NUMBER }, ['first', 'second']) } }, async (req) => {
    const second = parseIntParam(req.query.second, 'second', { min: 0, max: sizeAt() });
    const first = parseIntParam(req.query.first, 'first', { min: 0, max: second });
    grow(second);
    return { first, second, proof: tree.consistencyProof(first, second).map(toHex) };
  });
}
