/**
 * A chain endpoint that signs with several keys in turn. Each key has its own nonce: its
 * broadcasts are serialised (no nonce races inside a process) while commits are awaited in
 * parallel, and different keys broadcast in parallel; assignment is round-robin.
 */
import type { AccountKey } from '../../../hub-chain/crypto/ed25519.ts';
import type { Bytes } from '../../../hub-chain/crypto/bytes.ts';
import type { Msg } from '../../../hub-chain/app/tx.ts';
import type { TxResult } from '../../../hub-chain/app/app.ts';
import type { Logger } from 'pino';
import { accountKeyFromSeed } from '../../../hub-chain/crypto/ed25519.ts';
import { fromHex } from '../../../hub-chain/crypto/bytes.ts';
import { HubClient as RpcClient } from '../../../hub-chain/rpc-client/client.ts';
import { type TrustRoot, VerifiedReader } from '../../../hub-chain/rpc-client/verified.ts';
import type { PontisWriter } from './endpoint.ts';
import { RpcEndpoint } from './rpc-endpoint.ts';
import { RelayerError } from '../../errors.ts';
import type { EndpointSetOptions, EndpointStatus } from '../endpoint-set.ts';
import { FailoverHubClient } from './failover-client.ts';
import { submitInParts } from './fit.ts';

export class PooledEndpoint implements PontisWriter {
  private readonly reader: RpcEndpoint;
  private readonly signers: { ep: RpcEndpoint; address: string; tail: Promise<unknown> }[];
  private next = 0;

  constructor(
    readonly chainId: string,
    /** The node's URL, or the client of several (FailoverHubClient). */
    url: string | RpcClient,
    keys: AccountKey[],
    /** Checks events and outcomes against verified headers (one light client shared by all keys). */
    verified?: VerifiedReader,
  ) {
    if (!keys.length) throw new RelayerError('PNT_ERR_RELAY_NO_SIGNER', `no signer key for ${chainId}`);
    this.reader = new RpcEndpoint(chainId, url, undefined, undefined, verified);
    this.signers = keys.map((k) => ({ ep: new RpcEndpoint(chainId, url, k, undefined, verified), address: k.address, tail: Promise.resolve() }));
  }

  get client(): RpcClient {
    return this.reader.client;
  }
  /** Each RPC endpoint's health (several nodes behind a FailoverHubClient; none for a plain URL). */
  endpointStatus(): EndpointStatus[] {
    const c = this.client;
    return c instanceof FailoverHubClient ? c.endpoints.status() : [];
  }
  /** Probes the endpoints now: ready when one is healthy (a plain URL: when it answers). */
  async readiness(): Promise<{ ok: boolean; reason: string | null }> {
    const c = this.client;
    if (!(c instanceof FailoverHubClient)) return this.latestHeight().then(() => ({ ok: true, reason: null }));
    await c.endpoints.probeAll();
    return c.endpoints.readiness();
  }
  close(): void {
    const c = this.client;
    if (c instanceof FailoverHubClient) c.close();
  }

  /** Signer addresses (public), for logs and metrics. */
  get addresses(): string[] {
    return this.signers.map((s) => s.address);
  }

  latestHeight() {
    return this.reader.latestHeight();
  }
  signedHeader(h: number) {
    return this.reader.signedHeader(h);
  }
  validatorSet(h: number) {
    return this.reader.validatorSet(h);
  }
  proveState(key: Bytes, h: number) {
    return this.reader.proveState(key, h);
  }
  readState(key: Bytes) {
    return this.reader.readState(key);
  }
  readStates(keys: Bytes[]) {
    return this.reader.readStates(keys);
  }
  proveStates(keys: Bytes[], h: number) {
    return this.reader.proveStates(keys, h);
  }
  blockEvents(h: number) {
    return this.reader.blockEvents(h);
  }

  /**
   * Signs with the next key in turn. Broadcasts through one key are serialised (nonce order);
   * waiting for commits is not, so one key has several transactions in flight.
   */
  submit(msgs: Msg[]): Promise<TxResult & { height: number }> {
    // a batch too large for one transaction goes as several, in order (fit.ts)
    return submitInParts(this.chainId, msgs, (part) => this.submitOne(part));
  }

  private submitOne(msgs: Msg[]): Promise<TxResult & { height: number }> {
    const s = this.signers[this.next++ % this.signers.length];
    const sent = s.tail.then(
      () => s.ep.broadcast(msgs),
      () => s.ep.broadcast(msgs),
    );
    s.tail = sent.catch(() => undefined);
    return sent.then((hash) => s.ep.committed(hash));
  }
}

/** How a Pontis chain (the hub, a side-chain) is reached: what the hub section and a `kind: pontis` entry share. */
export interface PontisChainSettings {
  /** One node's RPC URL or several (failover by health, paths/endpoint-set.ts). */
  rpc: string | string[];
  trust?: { height: number; hash: string };
  verifyResults: boolean;
}

/** An ed25519 account key from a resolved 32-byte hex seed. */
export const pontisAccountKey = (seed: string) => accountKeyFromSeed(fromHex(seed, 32));

/** A pooled endpoint for a Pontis chain from its settings and hex seeds; with verifyResults, through a light client of the chain. */
export function pooledEndpoint(id: string, c: PontisChainSettings, seeds: string[], logger: Logger, health: EndpointSetOptions): PooledEndpoint {
  const client = new FailoverHubClient(id, typeof c.rpc === 'string' ? [c.rpc] : c.rpc, health);
  const verified = c.verifyResults
    ? new VerifiedReader(client, {
        trust: c.trust as TrustRoot | undefined,
        onTrust: (r) => logger.info({ chainId: id, height: r.height, hash: r.hash, pinned: r.pinned }, r.pinned ? 'light client starts from the pinned header' : 'light client trusts this header on first use (pin it as trust: {height, hash})'),
      })
    : undefined;
  return new PooledEndpoint(id, client, seeds.map(pontisAccountKey), verified);
}
