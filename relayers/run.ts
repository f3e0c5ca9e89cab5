/** Starts a relayer process's pieces from a validated config: pipeline, then the ops API. */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildRelayerApi } from './api.ts';
import { resolveSigners, type RelayerConfig } from './config.ts';
import { Relayer, type RelayerOptions } from './relayer.ts';

export interface RunningRelayer {
  relayer: Relayer;
  api: FastifyInstance;
  /** Where the ops API listens. */
  url: string;
  close(): Promise<void>;
}

export async function startRelayer(cfg: RelayerConfig, opts: { logger?: Logger; env?: NodeJS.ProcessEnv } & Omit<RelayerOptions, 'signers' | 'logger'> = {}): Promise<RunningRelayer> {
  const relayer = new Relayer(cfg, { ...opts, signers: resolveSigners(cfg, opts.env), logger: opts.logger });
  await relayer.start();
  const api = await buildRelayerApi(relayer, opts.logger);
  const url = await api.listen({ host: cfg.api.host, port: cfg.api.port });
  relayer.log.info({ url }, 'relayer API listening');
  return {
    relayer,
    api,
    url,
    async close() {
      await api.close();
      await relayer.stop();
    },
  };
}
