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
import { type EndorsementPolicy, policySatisfied } from '../../../hub-chain/light-clients/fabric/policy.ts';
import type { Ledger, StateWrite, Version } from '../ledger.ts';
import { computeTxId, proposalHash } from '../proposal.ts';

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
          const parsed = this.#parse(envBytes);
          txId = parsed.txId;
          check(!seen.has(txId) && this.o.ledger.tx(txId) === undefined, C.DUPLICATE_TXID);
          seen.add(txId);
          const { ns, reads, writes, ranges, event } = this.#endorsedRwset(parsed);
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
          return { txId, code: C.VALID, writes: out, event, timestampMs: parsed.timestampMs };
        } catch (e) {
          // invalid transactions are indexed by the txid in their header too, as Fabric's block store does
          txId ||= headerTxId(envBytes);
          if (e instanceof Invalid) return { txId, code: e.code, writes: [], timestampMs: 0 };
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

  #parse(envBytes: Uint8Array) {
    let env: common.Envelope, payload: common.Payload, ch: common.ChannelHeader, sh: common.SignatureHeader;
    try {
      env = common.Envelope.deserializeBinary(envBytes);
      payload = common.Payload.deserializeBinary(env.getPayload_asU8());
    } catch {
      throw new Invalid(C.BAD_PAYLOAD);
    }
    const header = payload.getHeader();
    check(header !== undefined, C.BAD_COMMON_HEADER);
    try {
      ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
      sh = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
    } catch {
      throw new Invalid(C.BAD_COMMON_HEADER);
    }
    check(ch.getType() === common.HeaderType.ENDORSER_TRANSACTION, C.UNKNOWN_TX_TYPE);
    check(ch.getChannelId() === this.o.channelId, C.TARGET_CHAIN_NOT_FOUND);
    try {
      this.o.msps.verify(sh.getCreator_asU8(), env.getPayload_asU8(), env.getSignature_asU8());
    } catch {
      throw new Invalid(C.BAD_CREATOR_SIGNATURE);
    }
    const txId = ch.getTxId();
    check(txId === computeTxId(sh.getNonce_asU8(), sh.getCreator_asU8()), C.BAD_PROPOSAL_TXID);
    const ts = ch.getTimestamp();
    return { txId, header, payload, ch, timestampMs: ts ? ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6) : 0 };
  }

  #endorsedRwset(p: { txId: string; header: common.Header; payload: common.Payload }): {
    ns: string;
    reads: lp.rwset.kvrwset.KVRead[];
    writes: lp.rwset.kvrwset.KVWrite[];
    ranges: lp.rwset.kvrwset.RangeQueryInfo[];
    event?: peer.ChaincodeEvent;
  } {
    let tx: peer.Transaction, cap: peer.ChaincodeActionPayload, prp: peer.ProposalResponsePayload, action: peer.ChaincodeAction;
    try {
      tx = peer.Transaction.deserializeBinary(p.payload.getData_asU8());
    } catch {
      throw new Invalid(C.BAD_PAYLOAD);
    }
    const actions = tx.getActionsList();
    check(actions.length === 1, C.NIL_TXACTION);
    try {
      cap = peer.ChaincodeActionPayload.deserializeBinary(actions[0].getPayload_asU8());
      prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction()!.getProposalResponsePayload_asU8());
      action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
    } catch {
      throw new Invalid(C.BAD_RESPONSE_PAYLOAD);
    }
    const expectedHash = proposalHash(p.header.getChannelHeader_asU8(), p.header.getSignatureHeader_asU8(), cap.getChaincodeProposalPayload_asU8());
    check(Buffer.from(prp.getProposalHash_asU8()).equals(expectedHash), C.BAD_RESPONSE_PAYLOAD);
    const ns = action.getChaincodeId()?.getName() ?? '';
    const policy = this.o.policies.get(ns);
    check(policy !== undefined, C.INVALID_CHAINCODE);
    const prpBytes = cap.getAction()!.getProposalResponsePayload_asU8();
    const orgs: string[] = [];
    for (const e of cap.getAction()!.getEndorsementsList()) {
      try {
        orgs.push(this.o.msps.verify(e.getEndorser_asU8(), Buffer.concat([prpBytes, e.getEndorser_asU8()]), e.getSignature_asU8()));
      } catch {
        // a bad endorsement does not count; the policy decides whether enough good ones remain
      }
    }
    check(policySatisfied(policy, orgs), C.ENDORSEMENT_POLICY_FAILURE);
    let rw: lp.rwset.TxReadWriteSet;
    const reads: lp.rwset.kvrwset.KVRead[] = [];
    const writes: lp.rwset.kvrwset.KVWrite[] = [];
    const ranges: lp.rwset.kvrwset.RangeQueryInfo[] = [];
    try {
      rw = lp.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
      for (const nsrw of rw.getNsRwsetList()) {
        // only the invoked chaincode's namespace may be written (no chaincode-to-chaincode calls here)
        check(nsrw.getNamespace() === ns, C.ILLEGAL_WRITESET);
        const kv = lp.rwset.kvrwset.KVRWSet.deserializeBinary(nsrw.getRwset_asU8());
        reads.push(...kv.getReadsList());
        writes.push(...kv.getWritesList());
        ranges.push(...kv.getRangeQueriesInfoList());
      }
    } catch (e) {
      if (e instanceof Invalid) throw e;
      throw new Invalid(C.BAD_RWSET);
    }
    let event: peer.ChaincodeEvent | undefined;
    if (action.getEvents_asU8().length > 0) event = peer.ChaincodeEvent.deserializeBinary(action.getEvents_asU8());
    return { ns, reads, writes, ranges, event };
  }
}
