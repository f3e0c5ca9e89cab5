/**
 * Submitting EVM transactions: EIP-1559 fees from the latest base fee, nonces from a
 * `NonceManager` over several keys used round-robin (so a relayer is not held to one pending
 * transaction per key), and replacement of a transaction that is not mined in time with the same
 * nonce and both fee caps raised by at least 12.5% (the bump geth and most pools require).
 */
import { getAddress, Wallet } from 'ethers';
import { AdapterError, AdapterErrorCode, isAdapterError } from '../core/errors.ts';
import type { ChainWriter, SubmitResult } from '../core/types.ts';
import { toAdapterError } from './errors.ts';
import { NonceManager } from './nonce.ts';
import { signEip1559 } from './sign.ts';
import { EvmReader, type EvmReaderOptions } from './reader.ts';
import { errFields } from '../../hub-chain/errors.ts';

export interface EvmTx {
  /** Absent for a contract creation (`data` is then the init code). */
  to?: string;
  data?: string;
  value?: bigint;
  /** Estimated (plus a margin) when absent. */
  gasLimit?: bigint;
  /** Initial fee caps; the writer's own when absent. Replacements raise them. */
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}

export interface EvmWriterOptions extends EvmReaderOptions {
  /** Signer private keys (0x hex), used round-robin. */
  privateKeys: string[];
  /** Tip per gas; default 1 gwei. */
  priorityFeeWei?: bigint;
  /** Gas limit = estimate * this / 100; default 120. */
  gasMarginPercent?: number;
  /** Re-send with higher fees when not mined this long after the last send; default 60 s. */
  replaceAfterMs?: number;
  /** Most replacements per transaction; default 5. */
  maxReplacements?: number;
  /** Give up waiting (the transaction may still be mined) after this long; default 10 min. */
  minedTimeoutMs?: number;
  /**
   * Blocks (counting the transaction's own) to wait for before a send resolves; default 1. A
   * receipt that vanishes in a reorg meanwhile is waited for again.
   */
  confirmations?: number;
  /** Receipt polling; default 1 s. */
  pollIntervalMs?: number;
  /** Called on every broadcast (attempt 0 is the first send): for metrics and tests. */
  onBroadcast?: (e: { from: string; nonce: number; txHash: string; attempt: number; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }) => void;
}

export interface EvmReceipt {
  status: 'success';
  txHash: string;
  from: string;
  nonce: number;
  height: number;
  blockHash: string;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  replacements: number;
  /** Set for a contract creation. */
  contractAddress?: string;
}

interface RpcReceipt {
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
  status: string;
  gasUsed: string;
  effectiveGasPrice?: string;
  contractAddress?: string | null;
}

/** x raised by 12.5%, rounded up, and by at least 1 wei. */
export function bumpFee(x: bigint): bigint {
  const bumped = (x * 1125n + 999n) / 1000n;
  return bumped > x ? bumped : x + 1n;
}

/** Node failures that say nothing about the transaction itself. */
const isTransient = (e: unknown) =>
  isAdapterError(e) && (e.code === AdapterErrorCode.RPC_TIMEOUT || e.code === AdapterErrorCode.RPC_UNAVAILABLE || e.code === AdapterErrorCode.RPC_ERROR || e.code === AdapterErrorCode.BAD_RESPONSE);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EvmWriter extends EvmReader implements ChainWriter<EvmTx> {
  private readonly signers: Wallet[];
  private readonly nonces: NonceManager;
  private turn = 0;

  constructor(protected override readonly opts: EvmWriterOptions) {
    super(opts);
    if (!opts.privateKeys.length) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'EvmWriter needs at least one private key', { chainId: this.chainId });
    try {
      this.signers = opts.privateKeys.map((k) => new Wallet(k));
    } catch {
      // never echo the key itself (ethers' message may carry it)
      throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'invalid signer private key', { chainId: this.chainId });
    }
    this.nonces = new NonceManager(async (address) => this.quantity(await this.rpc<string>('eth_getTransactionCount', [address, 'pending']), 'pending nonce'));
  }

  /** Signer addresses, in round-robin order. */
  get addresses(): string[] {
    return this.signers.map((s) => s.address);
  }

  /**
   * Forgets the local nonce counts: the next send re-reads them from the node. For when the
   * node's view changed under the writer (a node switched or reset, transactions dropped from
   * its pool): a nonce past the node's count would otherwise never be mined.
   */
  resyncNonces(): void {
    for (const s of this.signers) this.nonces.reset(s.address);
  }

  /** Sends each transaction and waits for each; one result per transaction, in order. */
  async submit(txs: EvmTx[]): Promise<SubmitResult[]> {
    return Promise.all(
      txs.map(async (tx): Promise<SubmitResult> => {
        try {
          const r = await this.send(tx);
          return { status: 'success', txHash: r.txHash, height: r.height, blockHash: r.blockHash, replacements: r.replacements };
        } catch (e) {
          const err = toAdapterError(e, { chainId: this.chainId, operation: 'submit', iface: this.iface });
          const d = err.details ?? {};
          const mined = err.code === AdapterErrorCode.REVERTED && typeof d.height === 'number';
          return {
            status: mined ? 'reverted' : 'failed',
            txHash: typeof d.txHash === 'string' ? d.txHash : undefined,
            height: mined ? (d.height as number) : undefined,
            blockHash: typeof d.blockHash === 'string' ? d.blockHash : undefined,
            replacements: typeof d.replacements === 'number' ? d.replacements : 0,
            error: err,
          };
        }
      }),
    );
  }

  /**
   * Sends one transaction and resolves with its receipt once mined successfully. Throws
   * AdapterError: REVERTED (at estimation, or mined with status 0: details carry txHash and
   * height), NOT_MINED, or the RPC/nonce/fee codes.
   */
  async send(tx: EvmTx): Promise<EvmReceipt> {
    try {
      return await this.sendOnce(tx);
    } catch (e) {
      // signing and decoding live outside rpc(): nothing of ethers' may reach the caller
      throw toAdapterError(e, { chainId: this.chainId, operation: 'send', iface: this.iface });
    }
  }

  private async sendOnce(tx: EvmTx): Promise<EvmReceipt> {
    const signer = this.signers[this.turn++ % this.signers.length];
    const to = tx.to === undefined ? undefined : this.checkTo(tx.to);
    const tip = tx.maxPriorityFeePerGas ?? this.opts.priorityFeeWei ?? 1_000_000_000n;
    const maxFee = tx.maxFeePerGas ?? (await this.baseFee()) * 2n + tip;
    const gasLimit = tx.gasLimit ?? ((await this.estimate(signer.address, to, tx)) * BigInt(this.opts.gasMarginPercent ?? 120)) / 100n;

    let fees = { maxFeePerGas: maxFee, maxPriorityFeePerGas: tip };
    const secret = Buffer.from(signer.signingKey.privateKey.slice(2), 'hex');
    const sign = async (nonce: number) => signEip1559({ chainId: this.evmChainId, nonce, to: to ?? null, data: tx.data ?? '0x', value: tx.value ?? 0n, gasLimit, ...fees }, secret).raw;

    // nonce, sign and broadcast under the key's lock; a nonce the node says is stale is re-read and tried again
    let sent: { nonce: number; hash: string } | undefined;
    for (let attempt = 0; !sent; attempt++) {
      try {
        sent = await this.nonces.withNonce(signer.address, async (nonce) => ({ nonce, hash: await this.broadcast(await sign(nonce)) }));
      } catch (e) {
        if (!isAdapterError(e, AdapterErrorCode.NONCE) || attempt >= 2) throw e;
        this.logger?.warn({ from: signer.address }, 'stale nonce: re-reading from the node');
      }
    }
    const { nonce } = sent;
    const hashes = [sent.hash];
    this.opts.onBroadcast?.({ from: signer.address, nonce, txHash: sent.hash, attempt: 0, ...fees });

    const poll = this.opts.pollIntervalMs ?? 1000;
    const replaceAfter = this.opts.replaceAfterMs ?? 60_000;
    const maxReplacements = this.opts.maxReplacements ?? 5;
    const confirmations = this.opts.confirmations ?? 1;
    const deadline = Date.now() + (this.opts.minedTimeoutMs ?? 600_000);
    let lastSend = Date.now();
    let replacements = 0;
    let nonceTakenSince: number | undefined;

    for (;;) {
      let found: RpcReceipt | undefined;
      try {
        found = await this.findReceipt(hashes);
      } catch (e) {
        // the transaction is out there: a node hiccup is no reason to give up on it (the deadline still holds)
        if (!isTransient(e) || Date.now() > deadline) throw e;
        this.logger?.warn({ from: signer.address, nonce, ...errFields(e) }, 'receipt poll failed: retrying');
        await sleep(poll);
        continue;
      }
      if (found) {
        const base = { txHash: found.transactionHash, from: signer.address, nonce, height: this.quantity(found.blockNumber, 'receipt blockNumber'), blockHash: found.blockHash, replacements };
        if (found.status !== '0x1') {
          throw new AdapterError(AdapterErrorCode.REVERTED, `transaction ${found.transactionHash} reverted in block ${base.height}`, { chainId: this.chainId, operation: 'send', details: base });
        }
        if (confirmations > 1 && (await this.latestHeight().catch((e: unknown) => (isTransient(e) ? -1 : Promise.reject(e)))) - base.height + 1 < confirmations) {
          await sleep(poll);
          continue;
        }
        return {
          status: 'success',
          ...base,
          gasUsed: BigInt(found.gasUsed),
          effectiveGasPrice: BigInt(found.effectiveGasPrice ?? '0x0'),
          ...(found.contractAddress ? { contractAddress: getAddress(found.contractAddress) } : {}),
        };
      }
      if (Date.now() > deadline) {
        throw new AdapterError(AdapterErrorCode.NOT_MINED, `transaction nonce ${nonce} from ${signer.address} not mined in time`, { chainId: this.chainId, operation: 'send', details: { txHash: hashes[hashes.length - 1], hashes, nonce, from: signer.address, replacements } });
      }
      if (nonceTakenSince !== undefined && Date.now() - nonceTakenSince > Math.max(replaceAfter, 5 * poll)) {
        // the nonce was used, and none of our versions has a receipt: another transaction took it
        const minedCount = await this.rpc<string>('eth_getTransactionCount', [signer.address, 'latest']).catch((e: unknown) => (isTransient(e) ? undefined : Promise.reject(e)));
        const mined = minedCount === undefined ? -1 : this.quantity(minedCount, 'nonce');
        if (mined > nonce && !(await this.findReceipt(hashes).catch(() => undefined))) {
          this.nonces.reset(signer.address);
          throw new AdapterError(AdapterErrorCode.NONCE, `nonce ${nonce} of ${signer.address} was used by another transaction`, { chainId: this.chainId, operation: 'send', details: { hashes, nonce, from: signer.address } });
        }
      }
      if (Date.now() - lastSend >= replaceAfter && replacements < maxReplacements && nonceTakenSince === undefined) {
        const base = await this.baseFee().catch((e: unknown) => (isTransient(e) ? 0n : Promise.reject(e)));
        const tipNext = bumpFee(fees.maxPriorityFeePerGas);
        const feeNext = bumpFee(fees.maxFeePerGas);
        fees = { maxPriorityFeePerGas: tipNext, maxFeePerGas: feeNext > base * 2n + tipNext ? feeNext : base * 2n + tipNext };
        lastSend = Date.now();
        try {
          const hash = await this.broadcast(await sign(nonce));
          hashes.push(hash);
          replacements++;
          this.opts.onBroadcast?.({ from: signer.address, nonce, txHash: hash, attempt: replacements, ...fees });
          this.logger?.info({ from: signer.address, nonce, txHash: hash, replacements, maxFeePerGas: fees.maxFeePerGas.toString() }, 'replaced a transaction not mined in time');
        } catch (e) {
          if (isAdapterError(e, AdapterErrorCode.NONCE)) nonceTakenSince = Date.now();
          // underpriced: the fees stay raised, and the next round raises them again
          else if (!isAdapterError(e, AdapterErrorCode.UNDERPRICED) && !(isAdapterError(e) && e.retryable)) throw e;
        }
      }
      await sleep(poll);
    }
  }

  private checkTo(to: string): string {
    if (!/^0x[0-9a-fA-F]{40}$/.test(to)) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, `not an address: ${to}`, { chainId: this.chainId });
    return to;
  }

  private async broadcast(signed: string): Promise<string> {
    const hash = await this.rpc<string>('eth_sendRawTransaction', [signed]);
    if (typeof hash !== 'string') throw new AdapterError(AdapterErrorCode.BAD_RESPONSE, 'eth_sendRawTransaction returned no hash', { chainId: this.chainId });
    return hash;
  }

  private async findReceipt(hashes: string[]): Promise<RpcReceipt | undefined> {
    const rs = await Promise.all(hashes.map((h) => this.rpc<RpcReceipt | null>('eth_getTransactionReceipt', [h])));
    return rs.find((r): r is RpcReceipt => r !== null && r !== undefined);
  }

  private async baseFee(): Promise<bigint> {
    const b = await this.rpc<{ baseFeePerGas?: string } | null>('eth_getBlockByNumber', ['latest', false]);
    if (!b?.baseFeePerGas) throw new AdapterError(AdapterErrorCode.INVALID_REQUEST, 'chain has no EIP-1559 base fee (legacy gas pricing is not supported)', { chainId: this.chainId });
    return BigInt(b.baseFeePerGas);
  }

  private async estimate(from: string, to: string | undefined, tx: EvmTx): Promise<bigint> {
    const call: Record<string, string> = { from, data: tx.data ?? '0x' };
    if (to) call.to = to;
    if (tx.value) call.value = `0x${tx.value.toString(16)}`;
    return BigInt(await this.rpc<string>('eth_estimateGas', [call]));
  }
}
