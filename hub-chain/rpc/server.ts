/**
 * The node's JSON RPC (Fastify), served by the RPC worker thread from its own LMDB reads (see
 * worker.ts). Every error answers { error: { code, message, retryable, details? } } with a
 * stable PNT_ERR_* code (errors.ts, docs/rpc.md); bad input never changes state or stops the
 * node. Admission control happens before any route runs: connection cap, per-client request
 * rate, header/body timeouts, per-route body limits and a JSON nesting limit.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PontisError, errFields } from '../errors.ts';
import { type Hex, fromHex, isHex, toHex, utf8 } from '../crypto/bytes.ts';
import { jsonTooDeep } from '../encoding/json-depth.ts';
import { type DecodedTx, TxError, decodeTx, decodeTxObject, verifyTxSignature } from '../app/tx.ts';
import { readProposal } from '../app/app.ts';
import type { ChainReader } from '../node/chain-reader.ts';
import type { StateProof } from '../state/proof.ts';
import type { StoredBlock } from '../node/chain.ts';
import { KeyedBuckets } from '../node/token-bucket.ts';
import { MAX_HEADER_LINES, capConnections, connectionsCheckingInterval, onClientError } from './admission.ts';
import { RenderedCache } from './cache.ts';
import { appRoutes } from './app-routes.ts';
import { dataRoutes } from './data-routes.ts';
import { RpcError, errorBody, statusFor } from './errors.ts';
import { optionalIntParam, parseFlag, parseIntParam } from './params.ts';
import type { RpcConfig, StatusSnapshot, SubmitResult } from './protocol.ts';
import { type StateSnapshot, blockEvent, blockResultsView, blockView, chainView, chainsView, clientView, headerView, packetView, pendingView, txView } from './views.ts';

/** What the routes need from the rest of the node. */
export interface RpcBackend {
  readonly chain: ChainReader;
  /** The last status snapshot the consensus thread published. */
  snapshot(): StatusSnapshot;
  /** Hands decoded, signature-checked transactions to the mempool; one result per transaction. */
  submit(txs: DecodedTx[]): Promise<SubmitResult[]>;
  /** Whether the mempool holds `hash`. */
  isPending(hash: Hex): Promise<boolean>;
}

export interface RpcHttpServer {
  port: number;
  close(): Promise<void>;
  /** Tells the server a block was committed (it pushes the event to /events/blocks clients). */
  onCommit(height: number): void;
}

const MAX_BATCH = 10_000;
/** Longer than any valid path parameter (hashes are 66 characters). */
const MAX_PARAM_LENGTH = 100;
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;
/** An event-stream client this far behind is disconnected rather than buffered for. */
const SSE_MAX_BUFFERED = 4 * 1024 * 1024;
const BLOCK_CACHE = { entries: 512, bytes: 64 * 1024 * 1024 };
const STATE_CACHE = { entries: 20_000, bytes: 32 * 1024 * 1024 };

/** Same rules as the packet module's messages (chain ids as in hub headers, app names). */
const CHAIN_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' } as const;
const APP = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } as const;
/** Numbers arrive as text and are read by params.ts (ajv never coerces them). */
const NUMBER = { type: 'string', maxLength: 32 } as const;
const chainParam = { type: 'object', properties: { chainId: CHAIN_ID }, required: ['chainId'] } as const;
const query = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false }) as const;

interface Counters {
  requests: number;
  rateLimited: number;
  busy: number;
}

export async function startRpcServer(backend: RpcBackend, cfg: RpcConfig, port: number, log: Logger): Promise<RpcHttpServer> {
  const app = Fastify({
    logger: false,
    bodyLimit: cfg.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    keepAliveTimeout: cfg.keepAliveTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs,
    forceCloseConnections: true,
    // while closing, requests are still answered in our shape (reads served, submissions 503 UNAVAILABLE)
    return503OnClosing: false,
    http: {
      headersTimeout: cfg.headersTimeoutMs,
      requestTimeout: cfg.requestTimeoutMs,
      keepAliveTimeout: cfg.keepAliveTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingInterval(cfg.headersTimeoutMs, cfg.requestTimeoutMs),
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    frameworkErrors: (err, _req, reply) => void sendError(reply, frameworkError(err)),
    clientErrorHandler: onClientError,
  });
  app.server.maxHeadersCount = MAX_HEADER_LINES;
  const connections = capConnections(app.server, cfg.maxConnections);
  const counters: Counters = { requests: 0, rateLimited: 0, busy: 0 };
  const sse = new Set<ServerResponse>();
  const caches = { blocks: new RenderedCache(BLOCK_CACHE.entries, BLOCK_CACHE.bytes), state: new RenderedCache(STATE_CACHE.entries, STATE_CACHE.bytes) };

  installAdmission(app, cfg, counters);
  installJsonParser(app, cfg.maxJsonDepth);
  app.setErrorHandler((err: FastifyError | PontisError, req, reply) => {
    const e = toPontisError(err, req);
    if (e.code === 'PNT_ERR_RPC_INTERNAL') log.error({ ...errFields(err), url: req.url }, 'rpc handler failed');
    if (e.code === 'PNT_ERR_RPC_BUSY') counters.busy++;
    return sendError(reply, e);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, new RpcError('PNT_ERR_RPC_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));

  nodeRoutes(app, backend, () => workerMetrics(connections, counters, sse.size, caches));
  blockRoutes(app, backend.chain, caches.blocks);
  stateRoutes(app, backend.chain, caches.state);
  interchainRoutes(app, backend.chain);
  dataRoutes(app, backend.chain);
  appRoutes(app, backend.chain);
  txRoutes(app, backend, cfg);
  app.get('/events/blocks', async (_req, reply) => openEventStream(reply, sse));

  await app.listen({ host: cfg.host, port });
  const addr = app.server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: async () => {
      for (const r of sse) r.end();
      await app.close();
    },
    onCommit(height) {
      if (sse.size > 0) publishBlock(backend.chain, height, sse);
    },
  };
}

function sendError(reply: FastifyReply, e: PontisError): FastifyReply {
  return reply.code(statusFor(e.code)).send(errorBody(e));
}

/** Per-client request budget and the header-line bound, checked before a body is read. */
function installAdmission(app: FastifyInstance, cfg: RpcConfig, counters: Counters): void {
  const buckets = cfg.rateLimitPerSec > 0 ? new KeyedBuckets(cfg.rateLimitPerSec, cfg.rateBurst) : undefined;
  app.addHook('onRequest', async (req, reply) => {
    counters.requests++;
    if (req.raw.rawHeaders.length >= 2 * MAX_HEADER_LINES) {
      reply.header('connection', 'close');
      return sendError(reply, new RpcError('PNT_ERR_RPC_HEADERS_TOO_LARGE', `at most ${MAX_HEADER_LINES - 1} header lines`));
    }
    if (buckets && !buckets.take(req.socket.remoteAddress ?? 'unknown')) {
      counters.rateLimited++;
      reply.header('retry-after', '1');
      return sendError(reply, new RpcError('PNT_ERR_RPC_RATE_LIMITED', `more than ${cfg.rateLimitPerSec} requests/s from this address`));
    }
  });
}

/** JSON bodies: nesting depth checked on the raw text, then Fastify's parser (which refuses __proto__ / constructor poisoning). */
function installJsonParser(app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  // JSON is the only body the RPC takes: anything else answers 415
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonTooDeep(body as string, maxDepth)) return done(new RpcError('PNT_ERR_RPC_JSON_TOO_DEEP', `JSON nests deeper than ${maxDepth} levels`), undefined);
    (req as RawJsonRequest).rawJson = body as string;
    // a signed transaction is decoded from its bytes (decodeTx parses them): parsing it here too doubled the work on relay transactions of a megabyte
    if (req.method === 'POST' && req.url === '/txs' && (body as string).startsWith(SIGNED_TX_START)) return done(null, UNPARSED);
    parse(req, body as string, done);
  });
}

/** Fastify's and ajv's errors in the documented vocabulary. */
function toPontisError(err: FastifyError | PontisError, req: FastifyRequest): PontisError {
  if (err instanceof PontisError) return err;
  if (err.validation) return new RpcError('PNT_ERR_RPC_BAD_REQUEST', err.message, { details: { param: validatedParam(err) } });
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RpcError('PNT_ERR_RPC_BODY_TOO_LARGE', `body exceeds ${req.routeOptions.bodyLimit ?? 'the'} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RpcError('PNT_ERR_RPC_MEDIA_TYPE', 'send application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RpcError('PNT_ERR_RPC_BAD_HTTP', 'content-length does not match the body');
  }
  if (err.statusCode === 400) return new RpcError('PNT_ERR_RPC_BAD_JSON', err.message);
  if (err.statusCode !== undefined && err.statusCode > 400 && err.statusCode < 500) return new RpcError('PNT_ERR_RPC_BAD_REQUEST', err.message);
  return new RpcError('PNT_ERR_RPC_INTERNAL', 'internal error');
}

/** Which parameter ajv refused, as `params.height`, `querystring.bogus` or `body.txs`. */
function validatedParam(err: FastifyError): string {
  const v = err.validation?.[0];
  const p = (v?.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
  const name = v?.instancePath.replace(/^\//, '').replace(/\//g, '.') || p.missingProperty || p.additionalProperty;
  return [err.validationContext, name].filter(Boolean).join('.');
}

/** Errors Fastify raises before routing (bad URL escapes, over-long parameters). */
function frameworkError(err: FastifyError): PontisError {
  if (err.code === 'FST_ERR_BAD_URL') return new RpcError('PNT_ERR_RPC_BAD_URL', 'the URL holds a malformed percent-escape');
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return new RpcError('PNT_ERR_RPC_PARAM_TOO_LONG', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
  return new RpcError('PNT_ERR_RPC_BAD_REQUEST', 'request refused before routing');
}

function workerMetrics(c: { open: number; refused: number }, n: Counters, sseClients: number, caches: { blocks: RenderedCache; state: RenderedCache }): Record<string, number> {
  return {
    pontis_rpc_connections: c.open,
    pontis_rpc_connections_refused_total: c.refused,
    pontis_rpc_requests_total: n.requests,
    pontis_rpc_rate_limited_total: n.rateLimited,
    pontis_rpc_busy_total: n.busy,
    pontis_rpc_sse_clients: sseClients,
    pontis_rpc_cache_hits_total: caches.blocks.hits + caches.state.hits,
    pontis_rpc_cache_misses_total: caches.blocks.misses + caches.state.misses,
  };
}

function nodeRoutes(app: FastifyInstance, backend: RpcBackend, metrics: () => Record<string, number>): void {
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/status', async () => backend.snapshot().status);
  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    const lines = Object.entries(metrics()).flatMap(([k, v]) => [`# TYPE ${k} ${k.endsWith('_total') ? 'counter' : 'gauge'}`, `${k} ${v}`]);
    return backend.snapshot().metrics + lines.join('\n') + '\n';
  });
  app.get<{ Params: { address: string } }>('/accounts/:address', { schema: { params: { type: 'object', properties: { address: { type: 'string', pattern: '^0x[0-9a-f]{40}$' } }, required: ['address'] } } }, async (req) => ({
    address: req.params.address,
    nonce: backend.chain.nonceOf(req.params.address),
  }));
  app.get<{ Params: { id: string } }>('/gov/proposals/:id', { schema: { params: { type: 'object', properties: { id: NUMBER }, required: ['id'] } } }, async (req) => {
    const id = parseIntParam(req.params.id, 'id', { min: 1 });
    const p = readProposal({ get: (k) => backend.chain.state.get(k) }, id);
    if (!p) throw new RpcError('PNT_ERR_GOV_UNKNOWN_PROPOSAL', `no proposal ${id}`);
    return p;
  });
}

/** Committed blocks never change: their rendered JSON is cached by height. */
function blockRoutes(app: FastifyInstance, chain: ChainReader, cache: RenderedCache): void {
  /** A view of the stored block at `height`, rendered once (`kind` keys the cache). */
  const render = (kind: string, view: (s: StoredBlock) => unknown) => (height: number, reply: FastifyReply) => {
    const text = cache.getOrRender(`${kind}${height}`, () => {
      const s = chain.stored(height);
      if (!s) throw new RpcError('PNT_ERR_BLOCK_NOT_FOUND', `no block at height ${height} (latest is ${chain.latestHeight()})`);
      return JSON.stringify(view(s));
    });
    return reply.type('application/json; charset=utf-8').send(text);
  };
  const byHeight = (path: string, send: (height: number, reply: FastifyReply) => unknown) =>
    app.get<{ Params: { height: string } }>(path, { schema: { params: { type: 'object', properties: { height: NUMBER }, required: ['height'] } } }, async (req, reply) =>
      send(parseIntParam(req.params.height, 'height', { min: 1 }), reply),
    );
  const blockAt = render('', blockView);
  app.get('/blocks/latest', async (_req, reply) => blockAt(chain.latestHeight(), reply));
  byHeight('/blocks/:height', blockAt);
  // the block's results and events without its transactions' bodies (a relay transaction carries its proofs: up to 1 MiB)
  byHeight('/blocks/:height/results', render('r/', blockResultsView));
  // a header with its commit, without the block's transactions: what light clients fetch
  byHeight('/headers/:height', render('h/', headerView));
  app.get<{ Querystring: { height?: string } }>('/validators', { schema: { querystring: query({ height: NUMBER }) } }, async (req) => {
    const next = chain.latestHeight() + 1;
    const height = optionalIntParam(req.query.height, 'height', { min: 1 }, next);
    if (height > next) throw new RpcError('PNT_ERR_RPC_NOT_FOUND', `validators are known up to height ${next}`);
    const vs = chain.validatorSet(height);
    return { height, hash: vs.hash(), totalPower: vs.totalPower, validators: vs.validators };
  });
}

/** A value (and proof) at a committed height never changes: cached by (key, height, prove). */
function stateRoutes(app: FastifyInstance, chain: ChainReader, cache: RenderedCache): void {
  const schema = { querystring: query({ key: { type: 'string', maxLength: 2 + 2048 }, keyText: { type: 'string', maxLength: 1024 }, height: NUMBER, prove: { type: 'string', maxLength: 5 } }) };
  app.get<{ Querystring: { key?: string; keyText?: string; height?: string; prove?: string } }>('/state', { schema }, async (req, reply) => {
    const { key, keyText } = req.query;
    if ((key === undefined) === (keyText === undefined)) throw new RpcError('PNT_ERR_RPC_BAD_REQUEST', 'give exactly one of key (hex) or keyText (utf-8)', { details: { param: 'key' } });
    if (key !== undefined && (!isHex(key) || key.length < 4)) throw new RpcError('PNT_ERR_RPC_BAD_REQUEST', 'key must be non-empty 0x hex', { details: { param: 'key' } });
    const prove = parseFlag(req.query.prove, 'prove');
    const latest = chain.latestHeight();
    const height = optionalIntParam(req.query.height, 'height', { min: 1 }, latest);
    if (height < 1 || height > latest) throw new RpcError('PNT_ERR_STATE_VERSION_UNKNOWN', `height ${height} is not committed (latest is ${latest})`);
    chain.state.checkVersion(height); // a pruned height answers 410, cached or not
    const k = key !== undefined ? fromHex(key) : utf8(keyText!);
    const text = cache.getOrRender(`${prove ? 'p' : 'v'}/${height}/${toHex(k)}`, () => JSON.stringify(stateAnswer(chain, k, height, prove)));
    return reply.type('application/json; charset=utf-8').send(text);
  });
  // many keys at one height in one round trip: a relayer re-checking a batch's receipts before it
  // submits, or (prove: true) proving a batch's acks, receipts or commitments key by key
  const batchSchema = {
    body: {
      type: 'object',
      properties: { keys: { type: 'array', minItems: 1, maxItems: MAX_STATE_BATCH, items: { type: 'string', pattern: '^0x([0-9a-f]{2}){1,1024}$' } }, height: { type: 'integer', minimum: 1 }, prove: { type: 'boolean' } },
      required: ['keys'],
      additionalProperties: false,
    },
  };
  app.post<{ Body: { keys: Hex[]; height?: number; prove?: boolean } }>('/state/batch', { schema: batchSchema }, async (req) => {
    const latest = chain.latestHeight();
    const height = req.body.height ?? latest;
    if (height > latest) throw new RpcError('PNT_ERR_STATE_VERSION_UNKNOWN', `height ${height} is not committed (latest is ${latest})`);
    chain.state.checkVersion(height);
    if (req.body.prove) {
      if (req.body.keys.length > MAX_PROVEN_BATCH) throw new RpcError('PNT_ERR_RPC_BAD_REQUEST', `at most ${MAX_PROVEN_BATCH} keys with prove`, { details: { param: 'keys', count: req.body.keys.length } });
      const values: (Hex | null)[] = [];
      const proofs: StateProof[] = [];
      for (const k of req.body.keys) {
        const { value, proof } = chain.state.getWithProof(fromHex(k), height);
        values.push(value === undefined ? null : toHex(value));
        proofs.push(proof);
      }
      return { height, root: chain.state.root(height), values, proofs };
    }
    const values = req.body.keys.map((k) => {
      const v = chain.state.get(fromHex(k), height);
      return v === undefined ? null : toHex(v);
    });
    return { height, values };
  });
}

/** Keys one POST /state/batch may ask for. */
const MAX_STATE_BATCH = 1000;
/** Keys one POST /state/batch may ask to prove (a proof is up to ~17 KB of JSON). */
const MAX_PROVEN_BATCH = 256;

function stateAnswer(chain: ChainReader, k: Uint8Array, height: number, prove: boolean) {
  const root = chain.state.root(height);
  if (prove) {
    const { value, proof } = chain.state.getWithProof(k, height);
    return { key: toHex(k), height, root, exists: value !== undefined, value: value ? toHex(value) : null, proof };
  }
  const value = chain.state.get(k, height);
  return { key: toHex(k), height, root, exists: value !== undefined, value: value ? toHex(value) : null };
}

/** Interchain queries: every answer reads one committed version (a read-only working state, never committed). */
function interchainRoutes(app: FastifyInstance, chain: ChainReader): void {
  const snapshot = (): StateSnapshot => {
    const ws = chain.state.working();
    return { height: ws.baseVersion, get: (k) => ws.get(k), entries: (p) => ws.entries(p) };
  };
  const limitOf = (raw: string | undefined) => optionalIntParam(raw, 'limit', { min: 1, max: MAX_LIMIT }, DEFAULT_LIMIT);
  const { clients, registry } = chain.wiring;

  app.get<{ Querystring: { srcChain: string; dstChain: string; limit?: string } }>(
    '/packets/pending',
    { schema: { querystring: query({ srcChain: CHAIN_ID, dstChain: CHAIN_ID, limit: NUMBER }, ['srcChain', 'dstChain']) } },
    async (req) => pendingView(snapshot(), req.query.srcChain, req.query.dstChain, limitOf(req.query.limit)),
  );
  app.get<{ Params: { srcChain: string; srcApp: string; dstChain: string; dstApp: string; sequence: string } }>(
    '/packets/:srcChain/:srcApp/:dstChain/:dstApp/:sequence',
    {
      schema: {
        params: { type: 'object', properties: { srcChain: CHAIN_ID, srcApp: APP, dstChain: CHAIN_ID, dstApp: APP, sequence: NUMBER }, required: ['srcChain', 'srcApp', 'dstChain', 'dstApp', 'sequence'] },
      },
    },
    async (req) => packetView(snapshot(), { ...req.params, sequence: parseIntParam(req.params.sequence, 'sequence', { min: 1 }) }, chain.genesis.params.hubChainId),
  );
  app.get<{ Params: { chainId: string } }>('/clients/:chainId', { schema: { params: chainParam } }, async (req) => clientView(clients, snapshot(), req.params.chainId, chain.latestBlockTime()));
  app.get<{ Querystring: { limit?: string } }>('/chains', { schema: { querystring: query({ limit: NUMBER }) } }, async (req) =>
    chainsView(clients, snapshot(), chain.latestBlockTime(), limitOf(req.query.limit)),
  );
  app.get<{ Params: { chainId: string } }>('/chains/:chainId', { schema: { params: chainParam } }, async (req) => chainView(registry, clients, snapshot(), req.params.chainId, chain.latestBlockTime()));
}

/** A request with the JSON body as it came (the parser keeps it). */
type RawJsonRequest = FastifyRequest & { rawJson?: string };

/** How a signed transaction's canonical bytes begin; a POST /txs body that does is left unparsed until it is decoded. */
const SIGNED_TX_START = '{"body":';
/** The body of such a request (an object for the route's schema). */
const UNPARSED = Object.freeze({});

/**
 * A transaction sent as its own canonical bytes (the SDK does) decodes the fast way (decodeTx);
 * any other spelling of the same object, or one that fails there, goes the object way, which
 * answers with the same codes as ever. Either way its signature is checked once.
 */
function checkedRawTx(raw: string | undefined, obj: unknown): DecodedTx {
  let d: DecodedTx | undefined;
  if (raw !== undefined) {
    try {
      d = decodeTx(utf8(raw));
    } catch (e) {
      if (!(e instanceof PontisError)) throw e;
      // not canonical (or not a transaction): the object form decides, as for any client
      if (obj === UNPARSED) obj = parseBody(raw);
    }
  }
  return signatureChecked(d ?? decodeTxObject(obj));
}

function parseBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new RpcError('PNT_ERR_RPC_BAD_JSON', `body is not JSON: ${(e as Error).message}`);
  }
}

/** Decoding and the signature check happen here, off the consensus thread; the mempool only admits. */
function checkedTx(obj: unknown): DecodedTx {
  return signatureChecked(decodeTxObject(obj));
}

function signatureChecked(d: DecodedTx): DecodedTx {
  if (!verifyTxSignature(d)) throw new TxError('PNT_ERR_TX_BAD_SIGNATURE', 'signature does not verify');
  return d;
}

async function submitBatch(backend: RpcBackend, txs: unknown[]): Promise<SubmitResult[]> {
  if (txs.length > MAX_BATCH) throw new RpcError('PNT_ERR_RPC_BATCH_TOO_LARGE', `at most ${MAX_BATCH} transactions per request`);
  const results: (SubmitResult | undefined)[] = new Array(txs.length);
  const good: DecodedTx[] = [];
  const at: number[] = [];
  txs.forEach((t, i) => {
    try {
      good.push(checkedTx(t));
      at.push(i);
    } catch (e) {
      if (!(e instanceof PontisError)) throw e;
      results[i] = { error: e.toJSON() };
    }
  });
  const admitted = good.length > 0 ? await backend.submit(good) : [];
  admitted.forEach((r, j) => (results[at[j]] = r));
  return results as SubmitResult[];
}

function txRoutes(app: FastifyInstance, backend: RpcBackend, cfg: RpcConfig): void {
  const chain = backend.chain;
  app.post<{ Body: unknown }>('/txs', { bodyLimit: cfg.bodyLimitBytes, schema: { body: { type: 'object' } } }, async (req, reply) => {
    const body = req.body as { txs?: unknown };
    // a small { txs: [...] } here still works for older clients; large batches belong on /txs/batch
    if (Array.isArray(body.txs)) return reply.code(202).send({ results: await submitBatch(backend, body.txs) });
    const [r] = await backend.submit([checkedRawTx((req as RawJsonRequest).rawJson, body)]);
    if ('error' in r) throw new PontisError(r.error.code, r.error.message, { retryable: r.error.retryable, details: r.error.details });
    return reply.code(202).send(r);
  });
  app.post<{ Body: { txs: unknown[] } }>(
    '/txs/batch',
    { bodyLimit: cfg.batchBodyLimitBytes, schema: { body: { type: 'object', properties: { txs: { type: 'array' } }, required: ['txs'], additionalProperties: false } } },
    async (req, reply) => reply.code(202).send({ results: await submitBatch(backend, req.body.txs) }),
  );

  // with prove=true a committed result comes with its Merkle proof under the header's resultsHash
  const committed = (hash: Hex, prove: boolean) => {
    const loc = chain.txLocation(hash);
    const s = loc && chain.stored(loc.height);
    return loc && s ? txView(s, loc.index, prove) : undefined;
  };
  const txSchema = { params: { type: 'object', properties: { hash: { type: 'string', pattern: '^0x[0-9a-f]{64}$' } }, required: ['hash'] }, querystring: query({ prove: { type: 'string', maxLength: 5 } }) };
  app.get<{ Params: { hash: string }; Querystring: { prove?: string } }>('/txs/:hash', { schema: txSchema }, async (req) => {
    const hash = req.params.hash;
    const prove = parseFlag(req.query.prove, 'prove');
    const done = committed(hash, prove);
    if (done) return done;
    if (await backend.isPending(hash)) return { hash, status: 'pending' };
    // it may have left the mempool because it was committed meanwhile
    chain.refresh();
    const late = committed(hash, prove);
    if (late) return late;
    throw new RpcError('PNT_ERR_TX_NOT_FOUND', 'transaction is neither committed nor pending here');
  });
}

/** Server-sent events: one `block` event per committed block. */
function openEventStream(reply: FastifyReply, sse: Set<ServerResponse>): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': connected\n\n');
  sse.add(res);
  res.on('close', () => sse.delete(res));
}

function publishBlock(chain: ChainReader, height: number, sse: Set<ServerResponse>): void {
  const s = chain.stored(height);
  if (!s) return;
  const data = `event: block\ndata: ${JSON.stringify(blockEvent(s))}\n\n`;
  for (const r of sse) {
    if (r.writableLength > SSE_MAX_BUFFERED) r.destroy();
    else r.write(data);
  }
}
