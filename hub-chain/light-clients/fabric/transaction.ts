/**
 * An endorser transaction as Fabric's committing peer checks it before MVCC: the envelope's
 * channel and type, the creator's signature over the payload, the txid derived from nonce and
 * creator, the proposal response payload bound to this proposal (its hash), endorsements that
 * verify and satisfy the chaincode's policy (each org once), and the read/write set touching only
 * the invoked chaincode's namespace. The network stand-in's validator adds MVCC and duplicate
 * txids on top; the hub's `fabric` client adds block inclusion and the write it proves.
 *
 * A refusal is a `FabricClientError` with code PNT_ERR_FABRIC_TX_INVALID and the Fabric
 * `TxValidationCode` a committing peer would record in `details.validationCode`.
 */
import { createHash } from 'node:crypto';
import { common, ledger as lp, peer } from '@hyperledger/fabric-protos';
import { FABRIC_ERR, FabricClientError } from './errors.ts';
import type { MspRegistry } from './msp.ts';
import { type EndorsementPolicy, policySatisfied } from './policy.ts';

const C = peer.TxValidationCode;

/** What a transaction that passed these checks did. */
export interface EndorsedTx {
  txId: string;
  channelId: string;
  /** Channel header timestamp, ms since the epoch (0 when absent). */
  timestampMs: number;
  /** The invoked chaincode (the only namespace its read/write set touches). */
  namespace: string;
  /** MSP ids whose endorsements verified, in order (an org may appear twice; the policy counts it once). */
  endorsers: string[];
  reads: lp.rwset.kvrwset.KVRead[];
  writes: lp.rwset.kvrwset.KVWrite[];
  ranges: lp.rwset.kvrwset.RangeQueryInfo[];
  event?: peer.ChaincodeEvent;
  /** The chaincode input the endorsers ran: function name first, then its arguments. */
  args: Uint8Array[];
  /** The chaincode's answer the endorsers signed. */
  response: { status: number; message: string; payload: Uint8Array };
}

export interface EndorsedTxRules {
  channelId: string;
  msps: MspRegistry;
  /** The endorsement policy of a chaincode (undefined: not a chaincode of this channel). */
  policy(namespace: string): EndorsementPolicy | undefined;
  /** Certificates must be valid at this time (default: now). */
  at?: Date;
}

export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex');
}

/** sha256(channel header || signature header || proposal payload without its transient map), as Fabric binds a response to its proposal. */
export function proposalHash(channelHeader: Uint8Array, signatureHeader: Uint8Array, txPayload: Uint8Array): Uint8Array {
  return createHash('sha256').update(channelHeader).update(signatureHeader).update(txPayload).digest();
}

const CODE_NAMES = Object.fromEntries(Object.entries(C).map(([k, v]) => [v, k]));

function invalid(validationCode: number, cause?: unknown): FabricClientError {
  return new FabricClientError(FABRIC_ERR.TX_INVALID, `transaction invalid: ${CODE_NAMES[validationCode] ?? validationCode}`, { cause, details: { validationCode } });
}

function check(cond: boolean, code: number): asserts cond {
  if (!cond) throw invalid(code);
}

function parse<T>(f: () => T, code: number): T {
  try {
    return f();
  } catch (e) {
    throw invalid(code, e);
  }
}

/** Checks envelope bytes as an endorser transaction under `rules`; throws PNT_ERR_FABRIC_TX_INVALID. */
export function verifyEndorsedTransaction(envBytes: Uint8Array, rules: EndorsedTxRules): EndorsedTx {
  const env = parse(() => common.Envelope.deserializeBinary(envBytes), C.BAD_PAYLOAD);
  const payload = parse(() => common.Payload.deserializeBinary(env.getPayload_asU8()), C.BAD_PAYLOAD);
  const header = payload.getHeader();
  check(header !== undefined, C.BAD_COMMON_HEADER);
  const ch = parse(() => common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()), C.BAD_COMMON_HEADER);
  const sh = parse(() => common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()), C.BAD_COMMON_HEADER);
  check(ch.getType() === common.HeaderType.ENDORSER_TRANSACTION, C.UNKNOWN_TX_TYPE);
  check(ch.getChannelId() === rules.channelId, C.TARGET_CHAIN_NOT_FOUND);
  parse(() => rules.msps.verify(sh.getCreator_asU8(), env.getPayload_asU8(), env.getSignature_asU8(), rules.at), C.BAD_CREATOR_SIGNATURE);
  const txId = ch.getTxId();
  check(txId === computeTxId(sh.getNonce_asU8(), sh.getCreator_asU8()), C.BAD_PROPOSAL_TXID);
  const ts = ch.getTimestamp();

  const tx = parse(() => peer.Transaction.deserializeBinary(payload.getData_asU8()), C.BAD_PAYLOAD);
  const actions = tx.getActionsList();
  check(actions.length === 1, C.NIL_TXACTION);
  const { cap, prpBytes, action } = parse(() => {
    const cap = peer.ChaincodeActionPayload.deserializeBinary(actions[0].getPayload_asU8());
    const prpBytes = cap.getAction()!.getProposalResponsePayload_asU8();
    const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
    const bound = Buffer.from(prp.getProposalHash_asU8()).equals(proposalHash(header.getChannelHeader_asU8(), header.getSignatureHeader_asU8(), cap.getChaincodeProposalPayload_asU8()));
    if (!bound) throw new Error('the response is for another proposal');
    return { cap, prpBytes, action: peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()) };
  }, C.BAD_RESPONSE_PAYLOAD);

  const namespace = action.getChaincodeId()?.getName() ?? '';
  const policy = rules.policy(namespace);
  check(policy !== undefined, C.INVALID_CHAINCODE);
  const endorsers: string[] = [];
  for (const e of cap.getAction()!.getEndorsementsList()) {
    try {
      endorsers.push(rules.msps.verify(e.getEndorser_asU8(), Buffer.concat([prpBytes, e.getEndorser_asU8()]), e.getSignature_asU8(), rules.at));
    } catch {
      // a bad endorsement does not count; the policy decides whether enough good ones remain
    }
  }
  check(policySatisfied(policy, endorsers), C.ENDORSEMENT_POLICY_FAILURE);

  const reads: lp.rwset.kvrwset.KVRead[] = [];
  const writes: lp.rwset.kvrwset.KVWrite[] = [];
  const ranges: lp.rwset.kvrwset.RangeQueryInfo[] = [];
  const rw = parse(() => lp.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8()), C.BAD_RWSET);
  for (const nsrw of rw.getNsRwsetList()) {
    // only the invoked chaincode's namespace may be touched (no chaincode-to-chaincode calls)
    check(nsrw.getNamespace() === namespace, C.ILLEGAL_WRITESET);
    const kv = parse(() => lp.rwset.kvrwset.KVRWSet.deserializeBinary(nsrw.getRwset_asU8()), C.BAD_RWSET);
    reads.push(...kv.getReadsList());
    writes.push(...kv.getWritesList());
    ranges.push(...kv.getRangeQueriesInfoList());
  }
  const args = parse(() => {
    const input = peer.ChaincodeProposalPayload.deserializeBinary(cap.getChaincodeProposalPayload_asU8()).getInput_asU8();
    return peer.ChaincodeInvocationSpec.deserializeBinary(input).getChaincodeSpec()?.getInput()?.getArgsList_asU8() ?? [];
  }, C.BAD_PAYLOAD);
  const r = action.getResponse();
  const response = { status: r?.getStatus() ?? 0, message: r?.getMessage() ?? '', payload: r?.getPayload_asU8() ?? new Uint8Array() };
  const events = action.getEvents_asU8();
  const event = events.length > 0 ? parse(() => peer.ChaincodeEvent.deserializeBinary(events), C.INVALID_OTHER_REASON) : undefined;
  return { txId, channelId: ch.getChannelId(), timestampMs: ts ? ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6) : 0, namespace, endorsers, reads, writes, ranges, event, args, response };
}
