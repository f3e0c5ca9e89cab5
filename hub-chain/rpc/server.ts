/**
 * The node's JSON RPC (Fastify). Every error answers { error: { code, message, details? } }
 * with a stable PNT_ERR_* code; bad input never changes state or stops the node.
 */
import Fastify, { type FastifyError, type FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PontisError } from '../errors.ts';
import { fromHex, isHex, toHex, utf8 } from '../crypto/bytes.ts';
import { decodeTxObject, type DecodedTx } from '../app/tx.ts';
import { readProposal } from '../app/app.ts';
import type { CommittedInfo } from '../node/chain.ts';
import type { HubNode } from '../node/node.ts';
import { type StateSnapshot, blockSummary, blockView, chainView, chainsView, clientView, headerView, packetView, pendingView, txView } from './views.ts';

export interface RpcServer {
  port: number;
  close(): Promise<void>;
  publishBlock(c: CommittedInfo): void;
}

export class RpcError extends PontisError {
  override name = 'RpcError';
}

const MAX_BATCH = 10_000;
const NOT_FOUND = new Set([
  'PNT_ERR_RPC_NOT_FOUND',
  'PNT_ERR_BLOCK_NOT_FOUND',
  'PNT_ERR_TX_NOT_FOUND',
  'PNT_ERR_STATE_VERSION_UNKNOWN',
  'PNT_ERR_GOV_UNKNOWN_PROPOSAL',
  'PNT_ERR_PACKET_NOT_FOUND',
  'PNT_ERR_CLIENT_NOT_FOUND',
  'PNT_ERR_CLIENT_NOT_FOUND',
  'PNT_ERR_CHAIN_UNKNOWN',
]);
const UNAVAILABLE = new Set(['PNT_ERR_MEMPOOL_FULL', 'PNT_ERR_MEMPOOL_SENDER_FULL']);
const GONE = new Set(['PNT_ERR_STATE_VERSION_PRUNED']);

function statusFor(code: string): number {
  if (NOT_FOUND.has(code)) return 404;
  if (UNAVAILABLE.has(code)) return 503;
  if (GONE.has(code)) return 410;
  return 400;
}

/** Same rules as the packet module's messages (chain ids as in hub headers, app names). */
const CHAIN_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } as const;
const APP = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } as const;
const LIMIT = { type: 'integer', minimum: 1, maximum: 1000, default: 100 } as const;
const chainParam = { type: 'object', properties: { chainId: CHAIN_ID }, required: ['chainId'] } as const;

const heightParam = { type: 'object', properties: { height: { type: 'integer', minimum: 1 } }, required: ['height'] } as const;

export async function startRpc(node: HubNode, log: Logger): Promise<RpcServer> {
  const cfg = node.home.config.rpc;
  const app = Fastify({ bodyLimit: cfg.bodyLimitBytes, logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: true } } });
  const sse = new Set<ServerResponse>();

  app.setErrorHandler((err: FastifyError | PontisError, _req, reply) => {
    if (err instanceof PontisError) return reply.code(statusFor(err.code)).send({ error: err.toJSON() });
    const fe = err as FastifyError;
    if (fe.validation) return reply.code(400).send({ error: { code: 'PNT_ERR_RPC_BAD_REQUEST', message: fe.message } });
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: { code: 'PNT_ERR_RPC_BODY_TOO_LARGE', message: `body exceeds ${cfg.bodyLimitBytes} bytes` } });
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ error: { code: 'PNT_ERR_RPC_MEDIA_TYPE', message: 'send application/json' } });
    if (fe.statusCode === 400) return reply.code(400).send({ error: { code: 'PNT_ERR_RPC_BAD_JSON', message: fe.message } });
    log.error({ err }, 'rpc handler failed');
    return reply.code(500).send({ error: { code: 'PNT_ERR_RPC_INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'PNT_ERR_RPC_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/status', async () => node.status());
  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    return node.metrics.render({ pontis_mempool_txs: node.mempool.size, pontis_mempool_bytes: node.mempool.totalBytes, pontis_rpc_sse_clients: sse.size });
  });

  const blockAt = (height: number) => {
    const s = node.chain.stored(height);
    if (!s) throw new RpcError('PNT_ERR_BLOCK_NOT_FOUND', `no block at height ${height} (latest is ${node.chain.latestHeight()})`);
    return blockView(s);
  };
  app.get('/blocks/latest', async () => blockAt(node.chain.latestHeight()));
  app.get<{ Params: { height: number } }>('/blocks/:height', { schema: { params: heightParam } }, async (req) => blockAt(req.params.height));
  app.get<{ Params: { height: number } }>('/headers/:height', { schema: { params: heightParam } }, async (req) => {
    const s = node.chain.stored(req.params.height);
    if (!s) throw new RpcError('PNT_ERR_BLOCK_NOT_FOUND', `no block at height ${req.params.height} (latest is ${node.chain.latestHeight()})`);
    return headerView(s);
  });

  app.get<{ Querystring: { height?: number } }>('/validators', { schema: { querystring: { type: 'object', properties: { height: { type: 'integer', minimum: 1 } }, additionalProperties: false } } }, async (req) => {
    const height = req.query.height ?? node.chain.latestHeight() + 1;
    if (height > node.chain.latestHeight() + 1) throw new RpcError('PNT_ERR_RPC_NOT_FOUND', `validators are known up to height ${node.chain.latestHeight() + 1}`);
    const vs = node.chain.validatorSet(height);
    return { height, hash: vs.hash(), totalPower: vs.totalPower, validators: vs.validators };
  });

  app.get<{ Querystring: { key?: string; keyText?: string; height?: number; prove?: boolean } }>(
    '/state',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { key: { type: 'string', maxLength: 2 + 2048 }, keyText: { type: 'string', maxLength: 1024 }, height: { type: 'integer', minimum: 1 }, prove: { type: 'boolean' } },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const { key, keyText, prove } = req.query;
      if ((key === undefined) === (keyText === undefined)) throw new RpcError('PNT_ERR_RPC_BAD_REQUEST', 'give exactly one of key (hex) or keyText (utf-8)');
      if (key !== undefined && (!isHex(key) || key.length < 4)) throw new RpcError('PNT_ERR_RPC_BAD_REQUEST', 'key must be non-empty 0x hex');
      const k = key !== undefined ? fromHex(key) : utf8(keyText!);
      const latest = node.chain.latestHeight();
      const height = req.query.height ?? latest;
      if (height < 1 || height > latest) throw new RpcError('PNT_ERR_STATE_VERSION_UNKNOWN', `height ${height} is not committed (latest is ${latest})`);
      const root = node.chain.state.root(height);
      if (prove) {
        const { value, proof } = node.chain.state.getWithProof(k, height);
        return { key: toHex(k), height, root, exists: value !== undefined, value: value ? toHex(value) : null, proof };
      }
      const value = node.chain.state.get(k, height);
      return { key: toHex(k), height, root, exists: value !== undefined, value: value ? toHex(value) : null };
    },
  );

  app.get<{ Params: { address: string } }>('/accounts/:address', { schema: { params: { type: 'object', properties: { address: { type: 'string', pattern: '^0x[0-9a-f]{40}$' } }, required: ['address'] } } }, async (req) => ({
    address: req.params.address,
    nonce: node.chain.nonceOf(req.params.address),
  }));

  app.get<{ Params: { id: number } }>('/gov/proposals/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } } }, async (req) => {
    const p = readProposal({ get: (k) => node.chain.state.get(k) }, req.params.id);
    if (!p) throw new RpcError('PNT_ERR_GOV_UNKNOWN_PROPOSAL', `no proposal ${req.params.id}`);
    return p;
  });

  // ---- interchain queries: every answer reads one committed version (a read-only working state, never committed) ----
  const snapshot = (): StateSnapshot => {
    const ws = node.chain.state.working();
    return { height: ws.baseVersion, get: (k) => ws.get(k), entries: (p) => ws.entries(p) };
  };
  const { clients, registry } = node.chain.wiring;

  app.get<{ Querystring: { srcChain: string; dstChain: string; limit: number } }>(
    '/packets/pending',
    { schema: { querystring: { type: 'object', properties: { srcChain: CHAIN_ID, dstChain: CHAIN_ID, limit: LIMIT }, required: ['srcChain', 'dstChain'], additionalProperties: false } } },
    async (req) => pendingView(snapshot(), req.query.srcChain, req.query.dstChain, req.query.limit),
  );
  app.get<{ Params: { srcChain: string; srcApp: string; dstChain: string; dstApp: string; sequence: number } }>(
    '/packets/:srcChain/:srcApp/:dstChain/:dstApp/:sequence',
    {
      schema: {
        params: {
          type: 'object',
          properties: { srcChain: CHAIN_ID, srcApp: APP, dstChain: CHAIN_ID, dstApp: APP, sequence: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
          required: ['srcChain', 'srcApp', 'dstChain', 'dstApp', 'sequence'],
        },
      },
    },
    async (req) => packetView(snapshot(), req.params),
  );
  app.get<{ Params: { chainId: string } }>('/clients/:chainId', { schema: { params: chainParam } }, async (req) => clientView(clients, snapshot(), req.params.chainId, node.chain.latestBlockTime()));
  app.get<{ Querystring: { limit: number } }>('/chains', { schema: { querystring: { type: 'object', properties: { limit: LIMIT }, additionalProperties: false } } }, async (req) =>
    chainsView(clients, snapshot(), node.chain.latestBlockTime(), req.query.limit),
  );
  app.get<{ Params: { chainId: string } }>('/chains/:chainId', { schema: { params: chainParam } }, async (req) => chainView(registry, clients, snapshot(), req.params.chainId, node.chain.latestBlockTime()));

  app.post<{ Body: unknown }>('/txs', { schema: { body: { type: 'object' } } }, async (req, reply) => {
    const body = req.body as { txs?: unknown };
    if (Array.isArray(body.txs)) {
      if (body.txs.length > MAX_BATCH) throw new RpcError('PNT_ERR_RPC_BATCH_TOO_LARGE', `at most ${MAX_BATCH} transactions per request`);
      const results = body.txs.map((t) => {
        try {
          const d = decodeTxObject(t);
          node.submitTx(d);
          return { hash: d.hash, status: 'pending' };
        } catch (e) {
          if (e instanceof PontisError) return { error: e.toJSON() };
          throw e;
        }
      });
      return reply.code(202).send({ results });
    }
    const d: DecodedTx = decodeTxObject(body);
    node.submitTx(d);
    return reply.code(202).send({ hash: d.hash, status: 'pending' });
  });

  app.get<{ Params: { hash: string }; Querystring: { prove?: boolean } }>(
    '/txs/:hash',
    {
      schema: {
        params: { type: 'object', properties: { hash: { type: 'string', pattern: '^0x[0-9a-f]{64}$' } }, required: ['hash'] },
        querystring: { type: 'object', properties: { prove: { type: 'boolean' } }, additionalProperties: false },
      },
    },
    async (req) => {
    const loc = node.chain.txLocation(req.params.hash);
    if (loc) return txView(node.chain.stored(loc.height)!, loc.index, req.query.prove === true);
    if (node.mempool.has(req.params.hash)) return { hash: req.params.hash, status: 'pending' };
    throw new RpcError('PNT_ERR_TX_NOT_FOUND', 'transaction is neither committed nor pending here');
  });

  // Server-sent events: one `block` event per committed block.
  app.get('/events/blocks', async (_req, reply: FastifyReply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    sse.add(res);
    res.on('close', () => sse.delete(res));
  });

  await app.listen({ host: cfg.host, port: cfg.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  return {
    port,
    close: async () => {
      for (const r of sse) r.end();
      await app.close();
    },
    publishBlock(c) {
      if (sse.size === 0) return;
      const data = `event: block\ndata: ${JSON.stringify(blockSummary(c))}\n\n`;
      for (const r of sse) r.write(data);
    },
  };
}
