/**
 * Reading committed blocks for the event services: iterate blocks from a number on, waiting for
 * new commits (until the caller stops), and pull each transaction's id, type, validation code and
 * chaincode event out of a block (events only from VALID transactions, as Fabric delivers them).
 */
import { common, peer } from '@hyperledger/fabric-protos';
import type { Ledger } from '../ledger.ts';

/** Yields block numbers `start`, `start+1`, ... as they are committed; ends when `stopped()` says so. */
export async function* committedBlocks(ledger: Ledger, start: number, stopped: () => boolean, last = Number.MAX_SAFE_INTEGER): AsyncGenerator<number> {
  for (let n = start; n <= last && !stopped(); n++) {
    while (ledger.height <= n) {
      if (stopped()) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, 250); // re-check `stopped` now and then
        function done() {
          clearTimeout(t);
          ledger.off('block', done);
          resolve();
        }
        ledger.on('block', done);
      });
    }
    yield n;
  }
}

export interface TxSummary {
  txId: string;
  type: number;
  code: number;
  event?: peer.ChaincodeEvent;
}

export function txSummaries(block: common.Block): TxSummary[] {
  const filter = block.getMetadata()!.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array();
  return block
    .getData()!
    .getDataList_asU8()
    .map((envBytes, i) => {
      const code = filter[i] ?? peer.TxValidationCode.NOT_VALIDATED;
      try {
        const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envBytes).getPayload_asU8());
        const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
        const s: TxSummary = { txId: ch.getTxId(), type: ch.getType(), code };
        if (code === peer.TxValidationCode.VALID && ch.getType() === common.HeaderType.ENDORSER_TRANSACTION) {
          const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
          const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
          const prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction()!.getProposalResponsePayload_asU8());
          const ev = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()).getEvents_asU8();
          if (ev.length > 0) s.event = peer.ChaincodeEvent.deserializeBinary(ev);
        }
        return s;
      } catch {
        return { txId: '', type: -1, code };
      }
    });
}
