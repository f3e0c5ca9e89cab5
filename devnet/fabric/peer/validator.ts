/**
 * Validation on commit, as Fabric's committing peer does it for endorser transactions: for each
 * envelope in order, the creator's signature, the txid derivation, duplicates (on the ledger or
 * earlier in the block), the chaincode's endorsement policy over the endorsements whose
 * signatures verify (each org counted once) and that bind this proposal, then MVCC: every key
 * the transaction read must still have the version it read, counting the writes of the valid
 * transactions before it in the same block. Each transaction gets its `TxValidationCode`; only
 * VALID ones contribute writes and chaincode events.
 */
import { common, ledger as lp, peer } from '@hyperledger/fabric-protos';
import type { MspRegistry } from '../../../hub-chain/light-clients/fabric/msp.ts';
import type { EndorsementPolicy } from '../../../hub-chain/light-clients/fabric/policy.ts';
import { FABRIC_ERR, FabricClientError } from '../../../hub-chain/light-clients/fabric/errors.ts';
import { verifyEndorsedTransaction } from '../../../hub-chain/light-clients/fabric/transaction.ts';
import type { Ledger, StateWrite, Version } from '../ledger.ts';

const C = peer.TxValidationCode;

export interface ValidatedTx {
  txId: string;
  code: number;
  /** Channel header timestamp, ms since the epoch (0 when unreadable). */
  timestampMs: number;
  writes: StateWrite[];
  event?: peer.ChaincodeEvent;
}

export interface ValidatorOptions {
  channelId: string;
  msps: MspRegistry;
  ledger: Ledger;
  policies: Map<string, EndorsementPolicy>;
}

function headerTxId(envBytes: Uint8Array): string {
  try {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envBytes).getPayload_asU8());
    return common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getTxId();
  } catch {
    return '';
  }
}

class Invalid extends Error {
  constructor(readonly code: number) {
    super(`tx invalid: ${code}`);
  }
}

function check(cond: boolean, code: number): asserts cond {
  if (!cond) throw new Invalid(code);
}

export class Validator {
  constructor(readonly o: ValidatorOptions) {}

  /** Validates every envelope of `block`; returns per-transaction results in block order. */
  validateBlock(block: common.Block): ValidatedTx[] {
    const seen = new Set<string>();
    const updated = new Map<string, Version | null>(); // ns\0key -> version written by a valid tx earlier in this block
    const blockNumber = block.getHeader()!.getNumber();
    return block
      .getData()!
      .getDataList_asU8()
      .map((envBytes, txNum) => {
        let txId = '';
        try {
          const tx = verifyEndorsedTransaction(envBytes, { channelId: this.o.channelId, msps: this.o.msps, policy: (ns) => this.o.policies.get(ns) });
          txId = tx.txId;
          check(!seen.has(txId) && this.o.ledger.tx(txId) === undefined, C.DUPLICATE_TXID);
          seen.add(txId);
          const { namespace: ns, reads, writes, ranges, event } = tx;
          for (const r of reads) {
            const k = `${ns}\0${r.getKey()}`;
            const current = updated.has(k) ? updated.get(k)! : (this.o.ledger.state(ns, r.getKey())?.version ?? null);
            const v = r.getVersion();
            const read = v ? { block: v.getBlockNum(), tx: v.getTxNum() } : null;
            check((current === null && read === null) || (current !== null && read !== null && current.block === read.block && current.tx === read.tx), C.MVCC_READ_CONFLICT);
          }
          for (const q of ranges) check(this.#rangeUnchanged(ns, q, updated), C.PHANTOM_READ_CONFLICT);
          const out: StateWrite[] = writes.map((w) => ({ ns, key: w.getKey(), value: w.getIsDelete() ? undefined : w.getValue_asU8() }));
          for (const w of out) updated.set(`${ns}\0${w.key}`, w.value === undefined ? null : { block: blockNumber, tx: txNum });
          return { txId, code: C.VALID, writes: out, event, timestampMs: tx.timestampMs };
        } catch (e) {
          // invalid transactions are indexed by the txid in their header too, as Fabric's block store does
          txId ||= headerTxId(envBytes);
          if (e instanceof Invalid) return { txId, code: e.code, writes: [], timestampMs: 0 };
          if (e instanceof FabricClientError && e.code === FABRIC_ERR.TX_INVALID) return { txId, code: e.details!.validationCode as number, writes: [], timestampMs: 0 };
          return { txId, code: C.INVALID_OTHER_REASON, writes: [], timestampMs: 0 };
        }
      });
  }

  /**
   * Fabric's phantom check: the range, read again over the committed state plus the writes of the
   * valid transactions before this one, yields the same keys at the same versions. A range the
   * chaincode stopped reading early is compared up to the last key it read.
   */
  #rangeUnchanged(ns: string, q: lp.rwset.kvrwset.RangeQueryInfo, updated: Map<string, Version | null>): boolean {
    const seen = (q.getRawReads()?.getKvReadsList() ?? []).map((r) => ({ key: r.getKey(), version: r.getVersion() }));
    const exhausted = q.getItrExhausted();
    const lastKey = seen.length ? seen[seen.length - 1].key : undefined;
    if (!exhausted && lastKey === undefined) return true; // nothing was read
    const inRange = (k: string) => Buffer.compare(Buffer.from(k), Buffer.from(q.getStartKey())) >= 0 && (exhausted ? q.getEndKey() === '' || Buffer.compare(Buffer.from(k), Buffer.from(q.getEndKey())) < 0 : Buffer.compare(Buffer.from(k), Buffer.from(lastKey!)) <= 0);
    const now = new Map<string, Version>();
    for (const r of this.o.ledger.range(ns, q.getStartKey(), exhausted ? q.getEndKey() : '')) {
      if (!inRange(r.key)) break;
      now.set(r.key, r.version);
    }
    const prefix = `${ns}\0`;
    for (const [k, v] of updated) {
      if (!k.startsWith(prefix) || !inRange(k.slice(prefix.length))) continue;
      if (v === null) now.delete(k.slice(prefix.length));
      else now.set(k.slice(prefix.length), v);
    }
    if (now.size !== seen.length) return false;
    return seen.every((r) => {
      const v = now.get(r.key);
      return v !== undefined && r.version !== undefined && v.block === r.version.getBlockNum() && v.tx === r.version.getTxNum();
    });
  }
}
