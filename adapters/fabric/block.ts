/**
 * A delivered Fabric block read as an adapter reads it: each transaction's id, time, validation
 * code, chaincode event and writes. Nothing here verifies a signature (the hub's `fabric` client
 * does, hub-chain/light-clients/fabric); it is how a relayer finds what to prove.
 */
import { common, ledger as lp, peer } from '@hyperledger/fabric-protos';
import { blockHeaderHash } from '../../hub-chain/light-clients/fabric/block.ts';
import type { Hex } from '../../hub-chain/crypto/bytes.ts';

export interface BlockTx {
  /** Position in the block. */
  index: number;
  txId: string;
  /** The channel header's timestamp, unix ms. */
  timestampMs: number;
  /** common.HeaderType (3: endorser transaction, 1: config). */
  type: number;
  /** peer.TxValidationCode the committing peer recorded (0: VALID). */
  validationCode: number;
  /** The invoked chaincode's event, if it set one. */
  event?: { chaincodeId: string; name: string; payload: Uint8Array };
  /** Writes by namespace: key -> value (null: delete). */
  writes: Map<string, Map<string, Uint8Array | null>>;
}

export interface BlockHeader {
  number: number;
  previousHash: Hex;
  dataHash: Hex;
}

const hex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString('hex')}`;

export function headerOf(block: common.Block): BlockHeader {
  const h = block.getHeader()!;
  return { number: h.getNumber(), previousHash: hex(h.getPreviousHash_asU8()), dataHash: hex(h.getDataHash_asU8()) };
}

export function blockHashOf(block: common.Block): Hex {
  const h = block.getHeader()!;
  return hex(blockHeaderHash({ number: h.getNumber(), previousHash: h.getPreviousHash_asU8(), dataHash: h.getDataHash_asU8() }));
}

/** The orderers' signatures of a block (metadata SIGNATURES), base64: what a header update carries. */
export function ordererSignaturesOf(block: common.Block): string {
  return Buffer.from(block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES] ?? new Uint8Array()).toString('base64');
}

function endorserTxParts(payload: common.Payload, tx: BlockTx): void {
  const t = peer.Transaction.deserializeBinary(payload.getData_asU8());
  const action = t.getActionsList()[0];
  if (!action) return;
  const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
  const prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction()!.getProposalResponsePayload_asU8());
  const ca = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
  const evBytes = ca.getEvents_asU8();
  if (evBytes.length) {
    const ev = peer.ChaincodeEvent.deserializeBinary(evBytes);
    tx.event = { chaincodeId: ev.getChaincodeId(), name: ev.getEventName(), payload: ev.getPayload_asU8() };
  }
  const rw = lp.rwset.TxReadWriteSet.deserializeBinary(ca.getResults_asU8());
  for (const ns of rw.getNsRwsetList()) {
    const kv = lp.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    const m = new Map<string, Uint8Array | null>();
    for (const w of kv.getWritesList()) m.set(w.getKey(), w.getIsDelete() ? null : w.getValue_asU8());
    tx.writes.set(ns.getNamespace(), m);
  }
}

/** Every transaction of a block, in order. An envelope that does not parse is reported with type -1. */
export function blockTxs(block: common.Block): BlockTx[] {
  const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
  return block
    .getData()!
    .getDataList_asU8()
    .map((envBytes, index) => {
      const tx: BlockTx = { index, txId: '', timestampMs: 0, type: -1, validationCode: filter[index] ?? peer.TxValidationCode.NOT_VALIDATED, writes: new Map() };
      try {
        const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envBytes).getPayload_asU8());
        const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
        tx.txId = ch.getTxId();
        tx.type = ch.getType();
        const ts = ch.getTimestamp();
        tx.timestampMs = ts ? ts.getSeconds() * 1000 + Math.floor(ts.getNanos() / 1e6) : 0;
        if (tx.type === common.HeaderType.ENDORSER_TRANSACTION) endorserTxParts(payload, tx);
      } catch {
        tx.type = -1;
      }
      return tx;
    });
}
