/** A Pontis chain seen through its node's RPC, signing relay transactions with one account key. */
import { type Bytes, type Hex, fromHex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import type { AccountKey } from '../../../hub-chain/crypto/ed25519.ts';
import { HubClient } from '../../../hub-chain/rpc-client/client.ts';
import { PontisError } from '../../../hub-chain/errors.ts';
import { RpcHeaderSource } from '../../../hub-chain/rpc-client/header-source.ts';
import type { VerifiedReader } from '../../../hub-chain/rpc-client/verified.ts';
import type { TxResult } from '../../../hub-chain/app/app.ts';
import { signTx, type Msg } from '../../../hub-chain/app/tx.ts';
import { submitInParts } from './fit.ts';
import { MEMPOOL_ERR } from '../../../hub-chain/app/mempool.ts';
import type { SignedHeader } from '../../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import type { StateProof } from '../../../hub-chain/state/proof.ts';
import type { ValidatorSet } from '../../../hub-chain/types/validator-set.ts';
import type { BlockEvents, PontisWriter } from './endpoint.ts';

/** Keys per POST /state/batch (the RPC's limit). */
const STATE_BATCH = 1000;
/** Keys per proven read (the RPC's bound for POST /state/batch with prove). */
const PROVEN_BATCH = 256;
const NONCE_REFUSALS = new Set<string>([MEMPOOL_ERR.STALE_NONCE, MEMPOOL_ERR.NONCE_TAKEN, MEMPOOL_ERR.NONCE_TOO_FAR]);

export class RpcEndpoint implements PontisWriter {
  readonly client: HubClient;
  private readonly headers: RpcHeaderSource;
  private nonce: number | undefined;

  /**
   * With `verified`, block events and transaction outcomes are checked against headers its light
   * client verified (resultsHash) instead of being taken from the node on trust.
   */
  constructor(
    readonly chainId: string,
    /** The node's URL, or a client to share (several nodes behind one FailoverHubClient). */
    url: string | HubClient,
    private readonly key?: AccountKey,
    private readonly timeoutMs = 60_000,
    private readonly verified?: VerifiedReader,
  ) {
    this.client = verified?.client ?? (typeof url === 'string' ? new HubClient(url) : url);
    this.headers = new RpcHeaderSource(this.client);
  }

  latestHeight(): Promise<number> {
    return this.headers.latestHeight();
  }
  signedHeader(height: number): Promise<SignedHeader> {
    return this.headers.signedHeader(height);
  }
  validatorSet(height: number): Promise<ValidatorSet> {
    return this.headers.validatorSet(height);
  }
  async proveState(key: Bytes, height: number): Promise<{ value: Bytes | undefined; proof: StateProof }> {
    const r = await this.client.state<StateProof>({ hex: toHex(key) }, { height, prove: true });
    return { value: r.value === null ? undefined : fromHex(r.value), proof: r.proof! };
  }
  async readState(key: Bytes): Promise<Bytes | undefined> {
    const r = await this.client.state({ hex: toHex(key) });
    return r.value === null ? undefined : fromHex(r.value);
  }
  /** Many keys with their proofs at `height`, a few hundred per round trip (the same answers as proveState, key by key). */
  async proveStates(keys: Bytes[], height: number): Promise<{ value: Bytes | undefined; proof: StateProof }[]> {
    const parts: Bytes[][] = [];
    for (let i = 0; i < keys.length; i += PROVEN_BATCH) parts.push(keys.slice(i, i + PROVEN_BATCH));
    const answers = await Promise.all(parts.map((part) => this.client.stateManyProven<StateProof>(part.map(toHex), height)));
    const out: { value: Bytes | undefined; proof: StateProof }[] = [];
    for (const [i, r] of answers.entries()) {
      if (r.height !== height || r.values.length !== parts[i].length || r.proofs.length !== parts[i].length) {
        throw new PontisError('PNT_ERR_RELAY_BAD_ANSWER', `the ${this.chainId} node answered a proof batch for another height or size`, { retryable: true, details: { height, answered: r.height } });
      }
      r.values.forEach((v, j) => out.push({ value: v === null ? undefined : fromHex(v), proof: r.proofs[j] }));
    }
    return out;
  }
  /** Many keys at the latest height in one round trip. */
  async readStates(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    const out: (Bytes | undefined)[] = [];
    for (let i = 0; i < keys.length; i += STATE_BATCH) {
      const r = await this.client.stateMany(keys.slice(i, i + STATE_BATCH).map(toHex));
      for (const v of r.values) out.push(v === null ? undefined : fromHex(v));
    }
    return out;
  }
  async blockEvents(height: number): Promise<BlockEvents> {
    const b = this.verified ? await this.verified.blockResults(height) : await this.client.blockResults(height);
    const txs = b.results.map((r) => ({ hash: r.hash as string, code: r.code, events: r.events }));
    if (b.events.length) txs.push({ hash: 'block', code: 'ok', events: b.events });
    return { height, txs };
  }
  /**
   * Signs, submits and waits for the commit. A relay batch too large for one transaction goes as
   * several (fit.ts), each committed before the next is sent; the result is the last one's, with
   * the events of all, or the first that failed as a whole.
   */
  submit(msgs: Msg[]): Promise<TxResult & { height: number }> {
    return submitInParts(this.chainId, msgs, async (part) => this.committed(await this.broadcast(part)));
  }

  /**
   * Signs `msgs` at this key's next nonce and hands the transaction to the node's mempool; returns
   * its hash. The nonce is tracked locally, so the next broadcast need not wait for this commit.
   */
  async broadcast(msgs: Msg[]): Promise<Hex> {
    if (!this.key) throw new PontisError('PNT_ERR_RELAY_NO_SIGNER', `endpoint ${this.chainId} has no signing key`);
    this.nonce ??= (await this.client.account(this.key.address)).nonce;
    const tx = signTx({ chainId: this.chainId, nonce: this.nonce, msgs }, this.key);
    let hash: Hex;
    try {
      ({ hash } = await this.client.submit(tx));
    } catch (e) {
      this.nonce = undefined; // refused (a nonce taken or skipped among them): re-read from chain next time
      // with the nonce re-read, the same work signed again can pass (as the EVM adapter's PNT_ERR_ADAPTER_NONCE)
      if (e instanceof PontisError && NONCE_REFUSALS.has(e.code)) throw new PontisError(e.code, e.message, { cause: e, retryable: true, details: e.details });
      throw e;
    }
    // accepted: the nonce is used even if waiting for the commit fails later, and re-reading the
    // committed nonce now would collide with this still pending transaction
    this.nonce++;
    return hash;
  }

  /** Waits for a broadcast transaction's commit. If it left the mempool uncommitted, the local nonce is re-read next time. */
  async committed(hash: Hex): Promise<TxResult & { height: number }> {
    try {
      const c = this.verified ? await this.verified.tx(hash, this.timeoutMs) : await this.client.waitForTx(hash, this.timeoutMs);
      return { ...c.result, height: c.height };
    } catch (e) {
      if (e instanceof PontisError && e.code === 'PNT_ERR_TX_TIMEOUT') {
        const gone = await this.client.tx(hash).then(
          () => false,
          (err) => err instanceof PontisError && err.code === 'PNT_ERR_TX_NOT_FOUND',
        );
        // dropped: later nonces wait behind the gap, so start again from the chain's count
        if (gone) this.nonce = undefined;
      }
      throw e;
    }
  }
}
