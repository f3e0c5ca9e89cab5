export { SubstrateReader, accountId, SYSTEM_EVENTS_KEY, TIMESTAMP_NOW_KEY, type BlockId, type Hex, type RemarkProof, type SubstrateEventFilter, type SubstrateRawEvent, type SubstrateReaderOptions } from './reader.ts';
export { SubstrateWriter, type RemarkReceipt, type SubstrateCall, type SubstrateReceipt, type SubstrateWriterOptions } from './writer.ts';
export { fromDispatchError, toSubstrateAdapterError, type SubstrateErrorContext } from './errors.ts';
export { MAX_REMARK_BYTES, type PacketFields, type RemarkedPackets, type SentFromSubstrate, type SequenceCounter, ackFromSubstrate, ackPairs, ackedOfRemark, acksWrittenBack, okAck, packetsOfRemark, sendFromSubstrate, sendTransferFromSubstrate, sentPairs, sequencesFromRemarks, substratePacketKeys } from './packets.ts';
export { NATIVE_DENOM, NO_VOUCHERS, type ReceivePlan, account32, type SubstrateToken, type SubstrateTransfer, receiveTransfer, refundOf, substrateToken, tokenMove, transferFields } from './transfers.ts';
