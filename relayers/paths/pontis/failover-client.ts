/**
 * A Pontis chain's RPC over several nodes, as one `HubClient`: reads go to the healthy nodes in
 * turn, transactions (and the reads that follow them: account nonces, transaction status) to one
 * healthy node at a time (paths/endpoint-set.ts judges health from each node's `/status`). A call
 * that cannot reach its node marks it down and is tried once on another; so is a read of a height
 * the chosen node has not reached yet. Everything read is checked downstream as before (light
 * client, proofs), so a lying node costs a retry, never a wrong delivery.
 */
import { PontisError } from '../../../hub-chain/errors.ts';
import type { Hex } from '../../../hub-chain/crypto/bytes.ts';
import type { SignedTx } from '../../../hub-chain/app/tx.ts';
import { HubClient, type NodeStatus } from '../../../hub-chain/rpc-client/client.ts';
import { type EndpointProbe, EndpointSet, type EndpointSetOptions } from '../endpoint-set.ts';
import { endpointVerdict } from '../../error-catalog.ts';

/** Routes that follow the submission endpoint (nonces, a pending transaction's status). */
const WRITER_ROUTES = /^\/(accounts|txs)\//;

/** A Pontis node's health from its `/status`: height, whether it syncs, and its connected peers' best height. */
export function pontisProbe(s: NodeStatus): EndpointProbe {
  const peers = (s.peers ?? []).filter((p) => p.connected).map((p) => p.height);
  return { height: s.latestHeight, catchingUp: s.catchingUp, peerHeight: peers.length ? Math.max(...peers) : undefined };
}

export class FailoverHubClient extends HubClient {
  readonly endpoints: EndpointSet<HubClient>;

  constructor(chainId: string, urls: string[], opts: EndpointSetOptions) {
    super(urls[0]);
    this.endpoints = new EndpointSet(
      chainId,
      urls.map((url) => ({ url, client: new HubClient(url) })),
      async (c) => pontisProbe(await c.status()),
      opts,
    );
  }

  override get<T>(path: string): Promise<T> {
    return this.call(WRITER_ROUTES.test(path) ? this.endpoints.writer() : this.endpoints.reader(), (c) => c.get<T>(path));
  }
  override stateMany(keys: Hex[], opts: { height?: number } = {}) {
    return this.call(this.endpoints.reader(), (c) => c.stateMany(keys, opts));
  }
  override stateManyProven<P = unknown>(keys: Hex[], height: number) {
    return this.call(this.endpoints.reader(), (c) => c.stateManyProven<P>(keys, height));
  }
  override submit(tx: SignedTx) {
    return this.call(this.endpoints.writer(), (c) => c.submit(tx));
  }
  override submitBatch(txs: SignedTx[]) {
    return this.call(this.endpoints.writer(), (c) => c.submitBatch(txs));
  }

  private async call<T>(first: HubClient, f: (c: HubClient) => Promise<T>): Promise<T> {
    try {
      return await f(first);
    } catch (e) {
      const code = e instanceof PontisError ? e.code : '';
      const verdict = endpointVerdict(code);
      if (verdict === 'down') this.endpoints.markDown(first, (e as Error).message);
      else if (verdict === 'answer') throw e;
      const other = this.endpoints.fallback(first);
      if (!other) throw e;
      return f(other);
    }
  }

  close(): void {
    this.endpoints.close();
  }
}
