/**
 * Unpacking a client's signed proposal as Fabric's endorser does (`UnpackProposal`): the channel
 * and signature headers, the chaincode invocation, the transaction id (which must be
 * hex(sha256(nonce || creator))) and the proposal hash the endorsement binds to
 * (sha256(channel header || signature header || proposal payload without its transient map)).
 * Also the envelope assembly the gateway does after endorsement (`prepareTransaction`).
 */
import { common, peer } from '@hyperledger/fabric-protos';
import { PontisError } from '../../hub-chain/errors.ts';
import { computeTxId, proposalHash } from '../../hub-chain/light-clients/fabric/transaction.ts';

export { computeTxId, proposalHash };

export class ProposalError extends PontisError {
  override name = 'ProposalError';
}

export interface UnpackedProposal {
  signedProposal: peer.SignedProposal;
  header: common.Header;
  channelHeader: common.ChannelHeader;
  signatureHeader: common.SignatureHeader;
  payload: peer.ChaincodeProposalPayload;
  channelId: string;
  txId: string;
  chaincodeName: string;
  input: peer.ChaincodeInput;
  proposalHash: Uint8Array;
}

function bad(message: string, cause?: unknown): ProposalError {
  return new ProposalError('PNT_ERR_FABNET_PROPOSAL', message, { cause });
}

/** The payload bytes that go into a transaction: the proposal payload without its transient map. */
export function payloadForTx(payload: peer.ChaincodeProposalPayload): Uint8Array {
  const p = new peer.ChaincodeProposalPayload();
  p.setInput(payload.getInput_asU8());
  return p.serializeBinary();
}

export function unpackProposal(signedProposal: peer.SignedProposal | undefined): UnpackedProposal {
  if (!signedProposal) throw bad('a signed proposal is required');
  try {
    const proposal = peer.Proposal.deserializeBinary(signedProposal.getProposalBytes_asU8());
    const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
    if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) throw bad(`invalid header type ${channelHeader.getType()}`);
    const channelId = channelHeader.getChannelId();
    if (!channelId) throw bad('no channel id provided');
    const ext = peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8());
    const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()).getChaincodeSpec();
    if (!spec) throw bad(`no chaincode spec is provided, channel id [${channelId}]`);
    const chaincodeName = spec.getChaincodeId()?.getName() || ext.getChaincodeId()?.getName() || '';
    if (!chaincodeName) throw bad(`no chaincode name is provided, channel id [${channelId}]`);
    const input = spec.getInput() ?? new peer.ChaincodeInput();
    const txId = channelHeader.getTxId();
    const expected = computeTxId(signatureHeader.getNonce_asU8(), signatureHeader.getCreator_asU8());
    if (txId !== expected) throw bad(`incorrectly computed txid '${txId}' -- expected '${expected}'`);
    return {
      signedProposal,
      header,
      channelHeader,
      signatureHeader,
      payload,
      channelId,
      txId,
      chaincodeName,
      input,
      proposalHash: proposalHash(header.getChannelHeader_asU8(), header.getSignatureHeader_asU8(), payloadForTx(payload)),
    };
  } catch (e) {
    if (e instanceof ProposalError) throw e;
    throw bad('failed to unpack transaction proposal', e);
  }
}

/** The unsigned transaction envelope the gateway returns from Endorse (Fabric's prepareTransaction). */
export function prepareTransaction(up: UnpackedProposal, responsePayload: Uint8Array, endorsements: peer.Endorsement[]): common.Envelope {
  const action = new peer.ChaincodeEndorsedAction();
  action.setProposalResponsePayload(responsePayload);
  action.setEndorsementsList(endorsements);
  const cap = new peer.ChaincodeActionPayload();
  cap.setChaincodeProposalPayload(payloadForTx(up.payload));
  cap.setAction(action);
  const txAction = new peer.TransactionAction();
  txAction.setHeader(up.header.getSignatureHeader_asU8());
  txAction.setPayload(cap.serializeBinary());
  const tx = new peer.Transaction();
  tx.setActionsList([txAction]);
  const payload = new common.Payload();
  payload.setHeader(up.header);
  payload.setData(tx.serializeBinary());
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  return env;
}
