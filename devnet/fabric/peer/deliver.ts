/**
 * A peer's `protos.Deliver` service (block events): each request is a signed envelope
 * (DELIVER_SEEK_INFO) carrying a `SeekInfo`; the peer checks the channel and the creator's
 * signature, then streams committed blocks from start to stop (waiting for new ones when
 * BLOCK_UNTIL_READY), ending with a SUCCESS status when the stop block was sent. Deliver sends full
 * blocks, DeliverFiltered `FilteredBlock`s (txid, type, validation code, chaincode events without
 * payload), DeliverWithPrivateData full blocks with no private data (this network has none).
 */
import * as grpc from '@grpc/grpc-js';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import type { MspRegistry } from '../../../hub-chain/light-clients/fabric/msp.ts';
import type { Ledger } from '../ledger.ts';
import { committedBlocks, txSummaries } from './blocks.ts';

type Kind = 'full' | 'filtered' | 'private';
type Stream = grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>;

export interface DeliverOptions {
  channelId: string;
  msps: MspRegistry;
  ledger: Ledger;
}

function statusResponse(status: number): peer.DeliverResponse {
  const r = new peer.DeliverResponse();
  r.setStatus(status as common.StatusMap[keyof common.StatusMap]);
  return r;
}

function position(p: orderer.SeekPosition | undefined, height: number, dflt: number): number {
  if (!p) return dflt;
  if (p.hasOldest()) return 0;
  if (p.hasNewest()) return Math.max(0, height - 1);
  if (p.hasNextCommit()) return height;
  if (p.hasSpecified()) return Number(p.getSpecified()!.getNumber());
  return dflt;
}

function filtered(channelId: string, n: number, block: common.Block): peer.FilteredBlock {
  const fb = new peer.FilteredBlock();
  fb.setChannelId(channelId);
  fb.setNumber(n);
  fb.setFilteredTransactionsList(
    txSummaries(block).map((t) => {
      const ft = new peer.FilteredTransaction();
      ft.setTxid(t.txId);
      ft.setType(t.type as common.HeaderTypeMap[keyof common.HeaderTypeMap]);
      ft.setTxValidationCode(t.code as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap]);
      const actions = new peer.FilteredTransactionActions();
      if (t.event) {
        const ev = new peer.ChaincodeEvent();
        ev.setChaincodeId(t.event.getChaincodeId());
        ev.setTxId(t.event.getTxId());
        ev.setEventName(t.event.getEventName());
        const fa = new peer.FilteredChaincodeAction();
        fa.setChaincodeEvent(ev);
        actions.setChaincodeActionsList([fa]);
      }
      ft.setTransactionActions(actions);
      return ft;
    }),
  );
  return fb;
}

export class DeliverService {
  constructor(readonly o: DeliverOptions) {}

  async #serve(call: Stream, env: common.Envelope, kind: Kind, closed: () => boolean): Promise<void> {
    let seek: orderer.SeekInfo;
    try {
      const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
      const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
      const sh = common.SignatureHeader.deserializeBinary(payload.getHeader()!.getSignatureHeader_asU8());
      if (ch.getChannelId() !== this.o.channelId) return void call.write(statusResponse(common.Status.NOT_FOUND));
      try {
        this.o.msps.verify(sh.getCreator_asU8(), env.getPayload_asU8(), env.getSignature_asU8());
      } catch {
        return void call.write(statusResponse(common.Status.FORBIDDEN));
      }
      seek = orderer.SeekInfo.deserializeBinary(payload.getData_asU8());
    } catch {
      return void call.write(statusResponse(common.Status.BAD_REQUEST));
    }
    const height = this.o.ledger.height;
    const start = position(seek.getStart(), height, height);
    const stop = position(seek.getStop(), height, Number.MAX_SAFE_INTEGER);
    if (start > stop) return void call.write(statusResponse(common.Status.BAD_REQUEST));
    const failIfNotReady = seek.getBehavior() === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;
    if (failIfNotReady && stop >= height) return void call.write(statusResponse(common.Status.NOT_FOUND));
    for await (const n of committedBlocks(this.o.ledger, start, closed, stop)) {
      const bytes = this.o.ledger.block(n)!;
      const block = common.Block.deserializeBinary(bytes);
      const r = new peer.DeliverResponse();
      if (kind === 'filtered') r.setFilteredBlock(filtered(this.o.channelId, n, block));
      else if (kind === 'private') {
        const bp = new peer.BlockAndPrivateData();
        bp.setBlock(block);
        r.setBlockAndPrivateData(bp);
      } else r.setBlock(block);
      call.write(r);
    }
    if (!closed()) call.write(statusResponse(common.Status.SUCCESS));
  }

  #handler(kind: Kind): grpc.handleBidiStreamingCall<common.Envelope, peer.DeliverResponse> {
    return (call) => {
      let closed = false;
      const close = () => (closed = true);
      call.on('cancelled', close);
      call.on('error', close);
      call.on('end', () => {
        close();
        call.end();
      });
      let chain = Promise.resolve();
      call.on('data', (env: common.Envelope) => {
        chain = chain.then(() => this.#serve(call, env, kind, () => closed)).catch(() => {
          call.write(statusResponse(common.Status.INTERNAL_SERVER_ERROR));
        });
      });
    };
  }

  implementation(): grpc.UntypedServiceImplementation {
    return { deliver: this.#handler('full'), deliverFiltered: this.#handler('filtered'), deliverWithPrivateData: this.#handler('private') };
  }
}
