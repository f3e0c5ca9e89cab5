/**
 * The relayer's ops API: health, readiness, Prometheus metrics, a packet's status hop by hop,
 * and a manual clearing of a path. Every route has a schema; errors answer with their PNT_ERR_* code.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PontisError, errFields } from '../hub-chain/errors.ts';
import { parsePacketId } from '../hub-chain/rpc-client/client.ts';
import { channelId } from '../hub-chain/modules/packets/types.ts';
import { renderEndpointMetrics, renderGauge } from './metrics.ts';
import type { Relayer } from './relayer.ts';

export async function buildRelayerApi(relayer: Relayer, logger?: Logger): Promise<FastifyInstance> {
  // request logging stays off (scrapes and probes every few seconds); failures are logged below with their code
  const app = Fastify({ logger: false });
  const log = logger?.child({ component: 'relayer-api' });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof PontisError) {
      log?.debug(errFields(err), 'relayer API request refused');
      const status = err.code.endsWith('_UNKNOWN_PATH') || err.code.endsWith('_NOT_FOUND') ? 404 : err.code === 'PNT_ERR_PACKET_ID_INVALID' ? 400 : 500;
      return reply.code(status).send({ error: err.toJSON() });
    }
    const e = err as { validation?: unknown; message: string; statusCode?: number };
    if (!e.validation) log?.warn(errFields(e), 'relayer API request failed');
    if (e.validation) return reply.code(400).send({ error: { code: 'PNT_ERR_API_BAD_REQUEST', message: e.message } });
    return reply.code(e.statusCode ?? 500).send({ error: { code: 'PNT_ERR_API_INTERNAL', message: e.message } });
  });

  app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, instance: { type: 'string' } } } } } }, async () => ({ ok: true, instance: relayer.instanceId }));

  app.get('/readyz', async (_req, reply) => {
    const r = await relayer.readiness();
    return reply.code(r.ok ? 200 : 503).send(r);
  });

  app.get('/metrics', async (_req, reply) => {
    let depth = '';
    try {
      depth = renderGauge('pontis_relayer_queue_depth', 'Jobs per path, kind and state', await relayer.queueDepth());
    } catch {
      // Redis down: the process counters are still worth scraping
      depth = renderGauge('pontis_relayer_queue_depth', 'Jobs per path, kind and state (Redis unreachable)', []);
    }
    let balances = '';
    try {
      balances = renderGauge('pontis_relayer_signer_balance', 'Native balance of each signer that pays fees (the chain\'s native units), by chain and address', await relayer.signerBalances());
    } catch {
      balances = renderGauge('pontis_relayer_signer_balance', 'Native balance of each signer that pays fees (a chain unreachable)', []);
    }
    const endpoints = renderEndpointMetrics(relayer.endpointStatus());
    return reply.type('text/plain; version=0.0.4').send(`${relayer.metrics.render()}\n${depth}\n${balances}\n${endpoints}\n`);
  });

  // packet ids contain '/': srcChain/srcApp/dstChain/dstApp/sequence
  app.get<{ Params: { '*': string } }>('/packets/*', { schema: { params: { type: 'object', properties: { '*': { type: 'string', minLength: 9, maxLength: 400 } }, required: ['*'] } } }, async (req) => {
    const ref = parsePacketId(req.params['*']);
    const ch = channelId(ref);
    const hub = relayer.cfg.hub.chainId;
    const hops = [...new Set([ref.srcChain, hub, ref.dstChain])];
    const out = await Promise.all(hops.map((chain) => relayer.packetHop(chain, { channel: ch, sequence: ref.sequence, srcChain: ref.srcChain })));
    return { id: `${ch}/${ref.sequence}`, hops: out };
  });

  app.post<{ Params: { id: string } }>(
    '/paths/:id/clear',
    { schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' } }, required: ['id'] } } },
    async (req) => ({ path: req.params.id, ...(await relayer.clearPath(req.params.id, { minAgeMs: 0 })) }),
  );

  return app;
}
