/**
 * A peer's `gateway.Gateway` service, answering as Fabric 2.5's gateway does (internal/pkg/gateway):
 * Evaluate on one peer, Endorse on peers of enough orgs for the chaincode's policy (or the orgs
 * the client names) with matching response payloads, Submit to the orderer, CommitStatus once the
 * transaction is committed, ChaincodeEvents from a start block or after a checkpointed txid.
 * Failures carry Fabric's gRPC codes and messages, with one `gateway.ErrorDetail` per failing
 * peer in `grpc-status-details-bin`, so the official client raises its usual errors.
 */
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { common, gateway as gp, google, peer } from '@hyperledger/fabric-protos';
import type { MspRegistry } from '../../../hub-chain/light-clients/fabric/msp.ts';
import type { Ledger } from '../ledger.ts';
import type { Orderer } from '../orderer.ts';
import { prepareTransaction, unpackProposal } from '../proposal.ts';
import { committedBlocks, txSummaries } from './blocks.ts';
import type { EndorserResult, ProposalProcessor } from './endorser.ts';
import type { EndorsementPolicy } from '../../../hub-chain/light-clients/fabric/policy.ts';

const S = grpc.status;

/** google.protobuf.Any, from the copy fabric-protos' Status uses (it ships without type declarations). */
type AnyMessage = InstanceType<typeof google.rpc.Status>['getDetailsList'] extends () => (infer A)[] ? A : never;
const { Any } = createRequire(import.meta.url)('google-protobuf/google/protobuf/any_pb.js') as { Any: new () => AnyMessage };

export interface GatewayPeer {
  mspId: string;
  address: string;
  /** The local peer's endorser in process; other orgs' peers over gRPC. */
  endorser: ProposalProcessor;
}

export interface GatewayOptions {
  channelId: string;
  local: GatewayPeer;
  /** Every peer of the channel, the local one included (one per org). */
  peers: GatewayPeer[];
  policies: Map<string, EndorsementPolicy>;
  msps: MspRegistry;
  ledger: Ledger;
  orderer: Orderer;
}

interface RpcError {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/** The query system chaincode every peer runs (GetChainInfo, GetBlockByNumber). */
const QSCC = 'qscc';

function errorDetail(p: GatewayPeer, message: string): gp.ErrorDetail {
  const d = new gp.ErrorDetail();
  d.setAddress(p.address);
  d.setMspId(p.mspId);
  d.setMessage(message);
  return d;
}

/** A gRPC error with Fabric's status details (google.rpc.Status of gateway.ErrorDetail). */
function rpcError(code: grpc.status, message: string, details: gp.ErrorDetail[] = []): RpcError {
  const metadata = new grpc.Metadata();
  if (details.length > 0) {
    const st = new google.rpc.Status();
    st.setCode(code);
    st.setMessage(message);
    st.setDetailsList(
      details.map((d) => {
        const any = new Any();
        any.setTypeUrl('type.googleapis.com/gateway.ErrorDetail');
        any.setValue(d.serializeBinary());
        return any;
      }),
    );
    metadata.set('grpc-status-details-bin', Buffer.from(st.serializeBinary()));
  }
  return { code, details: message, metadata };
}

/** Fabric's responseStatus: how the gateway classifies one endorser's answer. */
function responseStatus(r: EndorserResult): { code: grpc.status; message: string } {
  if (!r.ok && r.kind === 'unavailable') return { code: S.UNAVAILABLE, message: r.message };
  // Fabric's endorser answers a refusal and a failed simulation as a 500 without payload: the gateway says Aborted
  if (!r.ok) return { code: S.ABORTED, message: r.message };
  const res = r.response.getResponse()!;
  const status = res.getStatus();
  if (status < 200 || status >= 400) {
    if (r.response.getPayload_asU8().length === 0 && status === 500) return { code: S.ABORTED, message: res.getMessage() };
    return { code: S.UNKNOWN, message: `chaincode response ${status}, ${res.getMessage()}` };
  }
  return { code: S.OK, message: '' };
}

function unary<Req, Res>(f: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    f(call.request).then(
      (res) => callback(null, res),
      (e: unknown) => {
        const err = e as Partial<RpcError>;
        if (typeof err.code === 'number' && typeof err.details === 'string') callback(err as grpc.ServiceError);
        else callback({ code: S.INTERNAL, details: (e as Error).message ?? String(e) } as grpc.ServiceError);
      },
    );
  };
}

export class GatewayService {
  constructor(readonly o: GatewayOptions) {}

  #peerOf(mspId: string): GatewayPeer | undefined {
    return mspId === this.o.local.mspId ? this.o.local : this.o.peers.find((p) => p.mspId === mspId);
  }

  #known(channelId: string, chaincode: string, what: string): void {
    if (channelId !== this.o.channelId) throw rpcError(S.NOT_FOUND, `channel '${channelId}' not found`);
    if (chaincode === QSCC && what === 'evaluate') return; // the peer's system chaincode: queries only
    if (!this.o.policies.has(chaincode)) throw rpcError(S.FAILED_PRECONDITION, `no peers available to ${what} chaincode ${chaincode} in channel ${channelId}`);
  }

  async evaluate(req: gp.EvaluateRequest): Promise<gp.EvaluateResponse> {
    let up;
    try {
      up = unpackProposal(req.getProposedTransaction());
    } catch (e) {
      throw rpcError(S.INVALID_ARGUMENT, `failed to unpack transaction proposal: ${(e as Error).message}`);
    }
    this.#known(up.channelId, up.chaincodeName, 'evaluate');
    const targets = req.getTargetOrganizationsList();
    const target = targets.length > 0 ? targets.map((m) => this.#peerOf(m)).find((p) => p !== undefined) : this.o.local;
    if (!target) throw rpcError(S.FAILED_PRECONDITION, `no peers available to evaluate chaincode ${up.chaincodeName} in channel ${up.channelId}`);
    const r = await target.endorser.processProposal(req.getProposedTransaction());
    const { code, message } = responseStatus(r);
    if (code === S.UNKNOWN) throw rpcError(code, `evaluate call to endorser returned error: ${message}`, [errorDetail(target, message)]);
    if (code !== S.OK || !r.ok) throw rpcError(code, 'failed to evaluate transaction, see attached details for more info', [errorDetail(target, message)]);
    const res = new gp.EvaluateResponse();
    res.setResult(r.response.getResponse());
    return res;
  }

  /** The peers to endorse on: the orgs named, or the local org then others until the policy is met. */
  #plan(policy: EndorsementPolicy, named: string[]): GatewayPeer[] {
    if (named.length > 0) {
      const peers = named.map((m) => this.#peerOf(m));
      const missing = named.filter((_, i) => !peers[i]);
      if (missing.length) throw rpcError(S.FAILED_PRECONDITION, `failed to find any endorsing peers for org(s): ${missing.join(', ')}`);
      return [...new Set(peers as GatewayPeer[])];
    }
    const ordered = [this.o.local, ...this.o.peers.filter((p) => p !== this.o.local)].filter((p) => policy.orgs.includes(p.mspId));
    if (ordered.length < policy.outOf) throw rpcError(S.FAILED_PRECONDITION, 'no combination of peers can be derived which satisfy the endorsement policy');
    return ordered.slice(0, policy.outOf);
  }

  async endorse(req: gp.EndorseRequest): Promise<gp.EndorseResponse> {
    if (!req.getProposedTransaction()) throw rpcError(S.INVALID_ARGUMENT, 'the proposed transaction must contain a signed proposal');
    let up;
    try {
      up = unpackProposal(req.getProposedTransaction());
    } catch (e) {
      throw rpcError(S.INVALID_ARGUMENT, (e as Error).message);
    }
    this.#known(up.channelId, up.chaincodeName, 'endorse');
    const plan = this.#plan(this.o.policies.get(up.chaincodeName)!, req.getEndorsingOrganizationsList());
    const results = await Promise.all(plan.map((p) => p.endorser.processProposal(req.getProposedTransaction())));
    const failures = results.flatMap((r, i) => {
      const { code, message } = responseStatus(r);
      return code === S.OK ? [] : [errorDetail(plan[i], message)];
    });
    if (failures.length > 0) throw rpcError(S.ABORTED, 'failed to endorse transaction, see attached details for more info', failures);
    const ok = results.filter((r): r is Extract<EndorserResult, { ok: true }> => r.ok);
    const payload = ok[0].response.getPayload_asU8();
    const mismatched = ok.flatMap((r, i) => (Buffer.from(r.response.getPayload_asU8()).equals(payload) ? [] : [errorDetail(plan[i], 'ProposalResponsePayloads do not match')]));
    if (mismatched.length > 0) throw rpcError(S.ABORTED, 'failed to collect enough transaction endorsements, see attached details for more info', mismatched);
    const res = new gp.EndorseResponse();
    res.setPreparedTransaction(prepareTransaction(up, payload, ok.map((r) => r.response.getEndorsement()!)));
    return res;
  }

  async submit(req: gp.SubmitRequest): Promise<gp.SubmitResponse> {
    const env = req.getPreparedTransaction();
    if (!env) throw rpcError(S.INVALID_ARGUMENT, 'a prepared transaction is required');
    if (env.getSignature_asU8().length === 0) throw rpcError(S.INVALID_ARGUMENT, 'prepared transaction must be signed');
    if (req.getChannelId() !== this.o.channelId) throw rpcError(S.NOT_FOUND, `failed to create block deliverer for channel \`${req.getChannelId()}\`, missing OrdererConfig`);
    const r = this.o.orderer.broadcast(env.serializeBinary());
    if (r.status !== common.Status.SUCCESS) {
      const name = Object.entries(common.Status).find(([, v]) => v === r.status)?.[0] ?? String(r.status);
      throw rpcError(S.ABORTED, `received unsuccessful response from orderer: status=${name}, info=${r.info}`);
    }
    return new gp.SubmitResponse();
  }

  async commitStatus(req: gp.SignedCommitStatusRequest, cancelled: () => boolean): Promise<gp.CommitStatusResponse> {
    let r: gp.CommitStatusRequest;
    try {
      r = gp.CommitStatusRequest.deserializeBinary(req.getRequest_asU8());
    } catch (e) {
      throw rpcError(S.INVALID_ARGUMENT, `invalid status request: ${(e as Error).message}`);
    }
    if (r.getIdentity_asU8().length === 0) throw rpcError(S.INVALID_ARGUMENT, 'no identity provided');
    if (!r.getChannelId()) throw rpcError(S.INVALID_ARGUMENT, 'no channel ID provided');
    if (!r.getTransactionId()) throw rpcError(S.INVALID_ARGUMENT, 'transaction ID should not be empty');
    try {
      this.o.msps.verify(r.getIdentity_asU8(), req.getRequest_asU8(), req.getSignature_asU8());
    } catch (e) {
      throw rpcError(S.PERMISSION_DENIED, `failed evaluating policy on signed data during check policy [/Channel/Application/Writers]: ${(e as Error).message}`);
    }
    if (r.getChannelId() !== this.o.channelId) throw rpcError(S.NOT_FOUND, `channel '${r.getChannelId()}' not found`);
    const txId = r.getTransactionId();
    for (;;) {
      const rec = this.o.ledger.tx(txId);
      if (rec) {
        const res = new gp.CommitStatusResponse();
        res.setResult(rec.code as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap]);
        res.setBlockNumber(rec.block);
        return res;
      }
      if (cancelled()) throw rpcError(S.CANCELLED, 'context canceled');
      await new Promise<void>((resolve) => {
        const ledger = this.o.ledger;
        const t = setTimeout(done, 250); // re-check `cancelled` now and then
        function done() {
          clearTimeout(t);
          ledger.off('block', done);
          resolve();
        }
        ledger.on('block', done);
      });
    }
  }

  async chaincodeEvents(call: grpc.ServerWritableStream<gp.SignedChaincodeEventsRequest, gp.ChaincodeEventsResponse>): Promise<void> {
    let r: gp.ChaincodeEventsRequest;
    try {
      r = gp.ChaincodeEventsRequest.deserializeBinary(call.request.getRequest_asU8());
    } catch (e) {
      throw rpcError(S.INVALID_ARGUMENT, `invalid chaincode events request: ${(e as Error).message}`);
    }
    try {
      this.o.msps.verify(r.getIdentity_asU8(), call.request.getRequest_asU8(), call.request.getSignature_asU8());
    } catch (e) {
      throw rpcError(S.PERMISSION_DENIED, (e as Error).message);
    }
    if (r.getChannelId() !== this.o.channelId) throw rpcError(S.NOT_FOUND, `channel '${r.getChannelId()}' not found`);
    let start = this.o.ledger.height;
    const after = r.getAfterTransactionId();
    const afterRec = after ? this.o.ledger.tx(after) : undefined;
    if (afterRec) start = afterRec.block;
    else {
      const pos = r.getStartPosition();
      if (pos?.hasSpecified()) start = pos.getSpecified()!.getNumber();
      else if (pos?.hasOldest()) throw rpcError(S.INVALID_ARGUMENT, 'invalid start position type: *orderer.SeekPosition_Oldest');
    }
    let passed = !after;
    let closed = false;
    call.on('cancelled', () => (closed = true));
    call.on('close', () => (closed = true));
    for await (const n of committedBlocks(this.o.ledger, start, () => closed)) {
      const block = common.Block.deserializeBinary(this.o.ledger.block(n)!);
      const events: peer.ChaincodeEvent[] = [];
      for (const t of txSummaries(block)) {
        if (!t.event) continue;
        if (!passed) {
          if (t.event.getTxId() === after) passed = true;
          continue;
        }
        if (t.event.getChaincodeId() === r.getChaincodeId()) events.push(t.event);
      }
      if (events.length === 0) continue;
      const res = new gp.ChaincodeEventsResponse();
      res.setBlockNumber(n);
      res.setEventsList(events);
      call.write(res);
    }
  }

  /** The grpc-js implementation of `gateway.Gateway`. */
  implementation(): grpc.UntypedServiceImplementation {
    return {
      evaluate: unary((r: gp.EvaluateRequest) => this.evaluate(r)),
      endorse: unary((r: gp.EndorseRequest) => this.endorse(r)),
      submit: unary((r: gp.SubmitRequest) => this.submit(r)),
      commitStatus: ((call: grpc.ServerUnaryCall<gp.SignedCommitStatusRequest, gp.CommitStatusResponse>, cb: grpc.sendUnaryData<gp.CommitStatusResponse>) => {
        let cancelled = false;
        call.on('cancelled', () => (cancelled = true));
        unary((r: gp.SignedCommitStatusRequest) => this.commitStatus(r, () => cancelled))(call, cb);
      }) as grpc.handleUnaryCall<gp.SignedCommitStatusRequest, gp.CommitStatusResponse>,
      chaincodeEvents: ((call: grpc.ServerWritableStream<gp.SignedChaincodeEventsRequest, gp.ChaincodeEventsResponse>) => {
        this.chaincodeEvents(call).then(
          () => call.end(),
          (e: RpcError) => call.emit('error', typeof e.code === 'number' ? e : { code: S.INTERNAL, details: String(e) }),
        );
      }) as grpc.handleServerStreamingCall<gp.SignedChaincodeEventsRequest, gp.ChaincodeEventsResponse>,
    };
  }
}
