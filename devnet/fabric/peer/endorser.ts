/**
 * A peer's endorser (Fabric's `ProcessProposal`): checks the client's signed proposal (creator
 * chains to a channel MSP, signature, txid derivation, not already committed), simulates it on
 * the chaincode, and answers a `ProposalResponse` whose payload binds the proposal hash, the
 * read/write set, the chaincode event and the chaincode's response; when the chaincode succeeded,
 * signed by the peer: endorsement.signature = sign(proposal_response_payload || endorser).
 */
import * as grpc from '@grpc/grpc-js';
import { common, peer } from '@hyperledger/fabric-protos';
import { headerHashOf } from '../orderer.ts';
import type { MspRegistry } from '../../../hub-chain/light-clients/fabric/msp.ts';
import type { Signer } from '../identity.ts';
import type { Ledger } from '../ledger.ts';
import { unpackProposal, type UnpackedProposal } from '../proposal.ts';
import type { ChaincodeDialer } from './chaincode.ts';

/** Why a proposal got no response from the endorser, as the gateway classifies it. */
export type EndorserFailure =
  /** refused before simulation (bad proposal, signature, ACL, duplicate, unknown chaincode) */
  | { kind: 'refused'; message: string }
  /** the peer could not run the chaincode (stream down, simulation error) */
  | { kind: 'peer-error'; message: string }
  /** the peer could not be reached */
  | { kind: 'unavailable'; message: string };

export type EndorserResult = { ok: true; up: UnpackedProposal; response: peer.ProposalResponse } | ({ ok: false } & EndorserFailure);

export interface EndorserOptions {
  mspId: string;
  address: string;
  signer: Signer;
  msps: MspRegistry;
  ledger: Ledger;
  channelId: string;
  chaincodes: Map<string, ChaincodeDialer>;
}

/** What a gateway endorses with: a peer's endorser in this process, or another peer over gRPC. */
export interface ProposalProcessor {
  processProposal(signed: peer.SignedProposal | undefined): Promise<EndorserResult>;
}

export class Endorser implements ProposalProcessor {
  constructor(readonly o: EndorserOptions) {}

  /**
   * The query system chaincode, as Fabric's peer answers it (never endorsed, queries only):
   * `GetChainInfo(channel)` -> common.BlockchainInfo, `GetBlockByNumber(channel, n)` -> common.Block.
   */
  #qscc(up: UnpackedProposal): peer.ProposalResponse {
    const res = new peer.Response();
    const [fn, channel, arg] = up.input.getArgsList_asU8().map((a) => Buffer.from(a).toString('utf8'));
    const fail = (status: number, message: string) => {
      res.setStatus(status);
      res.setMessage(message);
    };
    if (channel !== this.o.channelId) fail(500, `Failed to get ledger for channel: ${channel}`);
    else if (fn === 'GetChainInfo') {
      const height = this.o.ledger.height;
      const info = new common.BlockchainInfo();
      info.setHeight(height);
      if (height > 0) {
        const last = common.Block.deserializeBinary(this.o.ledger.block(height - 1)!);
        info.setCurrentblockhash(headerHashOf(last));
        info.setPreviousblockhash(last.getHeader()!.getPreviousHash_asU8());
      }
      res.setStatus(200);
      res.setPayload(info.serializeBinary());
    } else if (fn === 'GetBlockByNumber') {
      const n = /^\d{1,15}$/.test(arg ?? '') ? Number(arg) : -1;
      const block = n >= 0 ? this.o.ledger.block(n) : undefined;
      if (!block) fail(500, `Failed to get block number ${arg}, error Entry not found in index`);
      else {
        res.setStatus(200);
        res.setPayload(block);
      }
    } else fail(500, `Requested function ${fn} not found.`);
    const pr = new peer.ProposalResponse();
    pr.setResponse(res);
    return pr;
  }

  async processProposal(signed: peer.SignedProposal | undefined): Promise<EndorserResult> {
    let up: UnpackedProposal;
    try {
      up = unpackProposal(signed);
      this.o.msps.verify(up.signatureHeader.getCreator_asU8(), up.signedProposal.getProposalBytes_asU8(), up.signedProposal.getSignature_asU8());
    } catch (e) {
      return { ok: false, kind: 'refused', message: `error validating proposal: ${(e as Error).message}` };
    }
    if (up.channelId !== this.o.channelId) return { ok: false, kind: 'refused', message: `channel '${up.channelId}' not found` };
    if (this.o.ledger.tx(up.txId)) return { ok: false, kind: 'refused', message: `duplicate transaction found [${up.txId}]` };
    if (up.chaincodeName === 'qscc') return { ok: true, up, response: this.#qscc(up) };
    const cc = this.o.chaincodes.get(up.chaincodeName);
    if (!cc) {
      return { ok: false, kind: 'refused', message: `make sure the chaincode ${up.chaincodeName} has been successfully defined on channel ${up.channelId} and try again: chaincode definition for '${up.chaincodeName}' not found` };
    }
    let sim;
    try {
      sim = await (await cc.connection()).execute(this.o.ledger, up.channelId, up.txId, up.signedProposal, up.input);
    } catch (e) {
      return { ok: false, kind: 'peer-error', message: `error in simulation: ${(e as Error).message}` };
    }
    const action = new peer.ChaincodeAction();
    action.setResults(sim.rwset);
    if (sim.event) action.setEvents(sim.event.serializeBinary());
    action.setResponse(sim.response);
    const ccid = new peer.ChaincodeID();
    ccid.setName(up.chaincodeName);
    ccid.setVersion('1.0');
    action.setChaincodeId(ccid);
    const prp = new peer.ProposalResponsePayload();
    prp.setProposalHash(up.proposalHash);
    prp.setExtension$(action.serializeBinary());
    const prpBytes = prp.serializeBinary();
    const response = new peer.ProposalResponse();
    response.setResponse(sim.response);
    const status = sim.response.getStatus();
    if (status >= 500) {
      response.setPayload(prpBytes);
      return { ok: true, up, response };
    }
    if (status >= 400) return { ok: true, up, response };
    response.setVersion(1);
    response.setPayload(prpBytes);
    const endorsement = new peer.Endorsement();
    endorsement.setEndorser(this.o.signer.creator);
    endorsement.setSignature(this.o.signer.sign(Buffer.concat([prpBytes, this.o.signer.creator])));
    response.setEndorsement(endorsement);
    return { ok: true, up, response };
  }
}

/**
 * The peer's `protos.Endorser` service (ProcessProposal), for clients that endorse without the
 * gateway. As Fabric's endorser, a refused or failed proposal is a ProposalResponse with status 500
 * and the reason, not a gRPC error.
 */
export function endorserService(endorser: Endorser): grpc.UntypedServiceImplementation {
  const processProposal: grpc.handleUnaryCall<peer.SignedProposal, peer.ProposalResponse> = (call, callback) => {
    endorser.processProposal(call.request).then(
      (r) => {
        if (r.ok) return callback(null, r.response);
        const res = new peer.Response();
        res.setStatus(500);
        res.setMessage(r.message);
        const pr = new peer.ProposalResponse();
        pr.setResponse(res);
        callback(null, pr);
      },
      (e: unknown) => callback({ code: 13, details: (e as Error).message } as grpc.ServiceError),
    );
  };
  return { processProposal };
}

/** Another peer's `protos.Endorser`, reached over gRPC with TLS as a Fabric gateway reaches the peers of other orgs. */
export class RemoteEndorser implements ProposalProcessor {
  readonly #client: peer.EndorserClient;

  constructor(address: string, tlsCaPem: string, serverName = 'localhost') {
    this.#client = new peer.EndorserClient(address, grpc.credentials.createSsl(Buffer.from(tlsCaPem)), { 'grpc.ssl_target_name_override': serverName });
  }

  processProposal(signed: peer.SignedProposal | undefined): Promise<EndorserResult> {
    let up: UnpackedProposal;
    try {
      up = unpackProposal(signed);
    } catch (e) {
      return Promise.resolve({ ok: false, kind: 'refused', message: (e as Error).message });
    }
    return new Promise((resolve) => {
      this.#client.processProposal(signed!, { deadline: Date.now() + 30_000 }, (err, res) => {
        if (err || !res) return resolve({ ok: false, kind: 'unavailable', message: err?.message ?? 'no response' });
        const status = res.getResponse()?.getStatus() ?? 500;
        // a 500 without payload comes from the peer itself (refused or could not simulate), not from the chaincode
        if (status === 500 && res.getPayload_asU8().length === 0) return resolve({ ok: false, kind: 'peer-error', message: res.getResponse()?.getMessage() ?? '' });
        resolve({ ok: true, up, response: res });
      });
    });
  }

  close(): void {
    this.#client.close();
  }
}
