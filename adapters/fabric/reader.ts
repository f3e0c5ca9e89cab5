/**
 * A Fabric channel as a `ChainReader`, over the official @hyperledger/fabric-gateway client and
 * one org's peer (TLS, the org's user identity). Heights are block numbers (the latest committed
 * block is `latestHeight`; Fabric's ordering is final, so it is also `finalizedHeight`), read with
 * the peer's query system chaincode (`qscc` GetChainInfo / GetBlockByNumber) as any Fabric client
 * can; ranges of blocks come from the Deliver service. Events are the chaincode events of VALID
 * transactions (one per transaction, `index` = its position in the block). Everything thrown is
 * an `AdapterError` (errors.ts).
 */
import { createPrivateKey, sign } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { type Gateway, type Network, connect, hash, signers } from '@hyperledger/fabric-gateway';
import { common, gateway as gp } from '@hyperledger/fabric-protos';
import { toLowS } from '../../hub-chain/light-clients/fabric/msp.ts';
import { AdapterError, AdapterErrorCode } from '../core/errors.ts';
import type { ChainEvent, ChainReader, EventFilter } from '../core/types.ts';
import { blockHashOf, blockTxs } from './block.ts';
import { toFabricAdapterError } from './errors.ts';

export interface FabricIdentity {
  mspId: string;
  certPem: string;
  keyPem: string;
}

/** A chaincode call: `contract:function` (or `function`) and its string arguments. */
export interface FabricCall {
  fn: string;
  args: string[];
}

export interface FabricReaderOptions {
  /** The Pontis chain id the channel is registered under on the hub. */
  chainId: string;
  channel: string;
  /** The chaincode whose transactions `call`s run. */
  chaincode: string;
  /** host:port of a peer's gateway (TLS). */
  endpoint: string;
  tlsCaCertPem: string;
  /** TLS server name to expect when it differs from the endpoint's host (Fabric's `ssl-target-name-override`). */
  serverName?: string;
  identity: FabricIdentity;
  /** Deadline of one call, ms (default 10 s). */
  timeoutMs?: number;
  /** How long a submission may wait for its commit, ms (default 60 s). */
  commitTimeoutMs?: number;
  /** How often `submitTx` endorses and submits again a transaction that lost an MVCC race (default 0: report PNT_ERR_ADAPTER_CONFLICT). */
  conflictRetries?: number;
}

const QSCC = 'qscc';

export class FabricReader implements ChainReader {
  readonly chainId: string;
  readonly channel: string;
  readonly chaincode: string;
  readonly mspId: string;
  protected readonly client: grpc.Client;
  protected readonly gateway: Gateway;
  protected readonly network: Network;
  protected readonly timeoutMs: number;
  protected readonly conflictRetries: number;
  readonly #key: ReturnType<typeof createPrivateKey>;

  constructor(o: FabricReaderOptions) {
    this.chainId = o.chainId;
    this.channel = o.channel;
    this.chaincode = o.chaincode;
    this.mspId = o.identity.mspId;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.conflictRetries = o.conflictRetries ?? 0;
    const commitTimeoutMs = o.commitTimeoutMs ?? 60_000;
    this.client = new grpc.Client(o.endpoint, grpc.credentials.createSsl(Buffer.from(o.tlsCaCertPem)), o.serverName ? { 'grpc.ssl_target_name_override': o.serverName } : {});
    this.#key = createPrivateKey(o.identity.keyPem);
    const deadline = (ms: number) => () => ({ deadline: Date.now() + ms });
    this.gateway = connect({
      client: this.client,
      identity: { mspId: o.identity.mspId, credentials: Buffer.from(o.identity.certPem) },
      signer: signers.newPrivateKeySigner(this.#key),
      hash: hash.sha256,
      evaluateOptions: deadline(this.timeoutMs),
      endorseOptions: deadline(this.timeoutMs * 3),
      submitOptions: deadline(this.timeoutMs),
      commitStatusOptions: deadline(commitTimeoutMs),
    });
    this.network = this.gateway.getNetwork(o.channel);
  }

  protected async wrap<T>(operation: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw toFabricAdapterError(e, { chainId: this.chainId, operation });
    }
  }

  /** qscc GetChainInfo: the number of committed blocks and the newest one's hash. */
  async chainInfo(): Promise<{ height: number; currentBlockHash: string }> {
    const bytes = await this.wrap('qscc GetChainInfo', () => this.network.getContract(QSCC).evaluateTransaction('GetChainInfo', this.channel));
    let info: common.BlockchainInfo;
    try {
      info = common.BlockchainInfo.deserializeBinary(bytes);
    } catch (e) {
      throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `${this.chainId}: GetChainInfo answer is not a BlockchainInfo`, { chainId: this.chainId, cause: e });
    }
    return { height: info.getHeight(), currentBlockHash: `0x${Buffer.from(info.getCurrentblockhash_asU8()).toString('hex')}` };
  }

  async latestHeight(): Promise<number> {
    return (await this.chainInfo()).height - 1;
  }

  /** Fabric's ordering is final: a committed block is never reorganised. */
  finalizedHeight(): Promise<number> {
    return this.latestHeight();
  }

  /** The committed block `n` (qscc GetBlockByNumber); undefined past the tip. */
  async block(n: number): Promise<common.Block | undefined> {
    this.checkHeight(n);
    try {
      const bytes = await this.network.getContract(QSCC).evaluateTransaction('GetBlockByNumber', this.channel, String(n));
      return common.Block.deserializeBinary(bytes);
    } catch (e) {
      const ae = toFabricAdapterError(e, { chainId: this.chainId, operation: 'qscc GetBlockByNumber' });
      const text = [ae.message, JSON.stringify(ae.details ?? {})].join(' ');
      if (ae.code === AdapterErrorCode.RPC_UNAVAILABLE && /Entry not found|not found in index/i.test(text)) return undefined;
      throw ae;
    }
  }

  /** Blocks [from, to] in order, through the Deliver service (one stream for the range). */
  async blocks(from: number, to: number): Promise<common.Block[]> {
    this.checkHeight(from);
    if (to < from) return [];
    if (to - from < 2) {
      const out: common.Block[] = [];
      for (let n = from; n <= to; n++) {
        const b = await this.block(n);
        if (!b) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${this.chainId}: block ${n} is past the tip`, { chainId: this.chainId });
        out.push(b);
      }
      return out;
    }
    const events = await this.withDeadline('deliver', this.network.getBlockEvents({ startBlock: BigInt(from) }));
    const it = events[Symbol.asyncIterator]();
    const out: common.Block[] = [];
    try {
      while (out.length < to - from + 1) {
        const r = await this.withDeadline('deliver', it.next());
        if (r.done) throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, `${this.chainId}: block stream ended at ${from + out.length}`, { chainId: this.chainId });
        out.push(r.value);
      }
    } finally {
      events.close();
    }
    return out;
  }

  /** `p` with the adapter's errors, failing with RPC_TIMEOUT when it takes longer than a call may. */
  private async withDeadline<T>(operation: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AdapterError(AdapterErrorCode.RPC_TIMEOUT, `${this.chainId} ${operation}: no answer in ${this.timeoutMs} ms`, { chainId: this.chainId, operation })), this.timeoutMs);
    });
    try {
      return await this.wrap(operation, () => Promise.race([p, late]));
    } finally {
      clearTimeout(timer);
    }
  }

  async blockHash(height: number): Promise<string | undefined> {
    const b = await this.block(height);
    return b ? blockHashOf(b) : undefined;
  }

  /** The block's time: its first transaction's channel-header timestamp (Fabric headers carry none). */
  async blockTime(height: number): Promise<number> {
    const b = await this.block(height);
    if (!b) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${this.chainId}: block ${height} is past the tip`, { chainId: this.chainId });
    return blockTxs(b)[0]?.timestampMs ?? 0;
  }

  async events<A extends Record<string, unknown> = Record<string, unknown>>(filter: EventFilter, fromHeight: number, toHeight: number): Promise<ChainEvent<A>[]> {
    this.checkHeight(fromHeight);
    if (toHeight < fromHeight) return [];
    const to = Math.min(toHeight, await this.latestHeight());
    const out: ChainEvent<A>[] = [];
    for (const block of await this.blocks(fromHeight, to)) {
      const blockHash = blockHashOf(block);
      const height = block.getHeader()!.getNumber();
      for (const tx of blockTxs(block)) {
        if (tx.validationCode !== 0 || !tx.event) continue;
        if (filter.sources && !filter.sources.includes(tx.event.chaincodeId)) continue;
        if (filter.names && !filter.names.includes(tx.event.name)) continue;
        out.push({
          chainId: this.chainId,
          height,
          blockHash,
          txHash: tx.txId,
          index: tx.index,
          source: tx.event.chaincodeId,
          name: tx.event.name,
          args: { payload: `0x${Buffer.from(tx.event.payload).toString('hex')}` } as unknown as A,
          raw: tx.event,
        });
      }
    }
    return out;
  }

  /** Runs `call` on one peer without ordering it (Fabric's evaluate): the chaincode's answer. */
  evaluate(call: FabricCall): Promise<Uint8Array> {
    return this.wrap(`evaluate ${call.fn}`, () => this.network.getContract(this.chaincode).evaluateTransaction(call.fn, ...call.args));
  }

  /**
   * `call` endorsed by peers of `orgs` and signed by this identity, never submitted: the
   * serialized `common.Envelope` an endorsed-query proof is made of, and the chaincode's answer
   * the endorsers signed.
   */
  async endorsedEnvelope(call: FabricCall, orgs: string[]): Promise<{ envelope: Uint8Array; result: Uint8Array }> {
    const tx = await this.wrap(`endorse ${call.fn}`, () => this.network.getContract(this.chaincode).newProposal(call.fn, { arguments: call.args, endorsingOrganizations: orgs }).endorse());
    const env = gp.PreparedTransaction.deserializeBinary(tx.getBytes()).getEnvelope()!;
    env.setSignature(toLowS(sign('sha256', env.getPayload_asU8(), { key: this.#key, dsaEncoding: 'der' })));
    return { envelope: env.serializeBinary(), result: tx.getResult() };
  }

  protected checkHeight(h: number): void {
    if (!Number.isSafeInteger(h) || h < 0) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${this.chainId}: height ${h} is not a block number`, { chainId: this.chainId, details: { height: h } });
  }

  async close(): Promise<void> {
    this.gateway.close();
    this.client.close();
  }
}
