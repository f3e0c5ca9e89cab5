/**
 * A Fabric channel as a `ChainWriter` of chaincode calls: each call is endorsed through the
 * org's gateway (which gathers endorsements the chaincode's policy needs), ordered, and waited
 * for until committed. Fabric has no nonces or fees: calls of a batch go out together, and a call
 * that loses an MVCC race comes back as a retryable PNT_ERR_ADAPTER_CONFLICT.
 */
import { CommitError } from '@hyperledger/fabric-gateway';
import { AdapterError, AdapterErrorCode } from '../core/errors.ts';
import type { ChainWriter, SubmitResult } from '../core/types.ts';
import { toFabricAdapterError } from './errors.ts';
import { type FabricCall, FabricReader } from './reader.ts';

export interface FabricCommitted {
  txId: string;
  /** The block it committed in. */
  height: number;
  /** The chaincode's answer (the endorsed response payload). */
  payload: Uint8Array;
}

export class FabricWriter extends FabricReader implements ChainWriter<FabricCall> {
  /**
   * Endorses, orders and waits for `call`; throws an AdapterError unless it committed VALID. A
   * transaction that lost an MVCC race is endorsed again on fresh state, up to `conflictRetries` times.
   */
  async submitTx(call: FabricCall, endorsingOrganizations?: string[]): Promise<FabricCommitted> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.submitOnce(call, endorsingOrganizations);
      } catch (e) {
        if (!(e instanceof AdapterError && e.code === AdapterErrorCode.CONFLICT) || attempt >= this.conflictRetries) throw e;
      }
    }
  }

  private async submitOnce(call: FabricCall, endorsingOrganizations?: string[]): Promise<FabricCommitted> {
    const op = `submit ${call.fn}`;
    const submitted = await this.wrap(op, () => this.network.getContract(this.chaincode).submitAsync(call.fn, { arguments: call.args, ...(endorsingOrganizations ? { endorsingOrganizations } : {}) }));
    const status = await this.wrap(op, () => submitted.getStatus());
    if (!status.successful) {
      // the gateway's CommitError is built from this status; build it the same way for one mapping
      throw toFabricAdapterError(new CommitError({ code: status.code, transactionId: status.transactionId, message: `transaction ${status.transactionId} failed to commit with status code ${status.code}` }), { chainId: this.chainId, operation: op });
    }
    return { txId: status.transactionId, height: Number(status.blockNumber), payload: submitted.getResult() };
  }

  async submit(txs: FabricCall[]): Promise<(SubmitResult & { payload?: Uint8Array })[]> {
    return Promise.all(
      txs.map(async (call) => {
        try {
          const r = await this.submitTx(call);
          return { status: 'success' as const, txHash: r.txId, height: r.height, blockHash: await this.blockHash(r.height), replacements: 0, payload: r.payload };
        } catch (e) {
          const error = e instanceof AdapterError ? e : toFabricAdapterError(e, { chainId: this.chainId });
          return { status: error.code === AdapterErrorCode.REVERTED ? ('reverted' as const) : ('failed' as const), replacements: 0, error, ...(typeof error.details?.txId === 'string' ? { txHash: error.details.txId } : {}) };
        }
      }),
    );
  }
}
