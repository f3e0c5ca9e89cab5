export { SubstrateReader, accountId, SYSTEM_EVENTS_KEY, TIMESTAMP_NOW_KEY, type BlockId, type Hex, type RemarkProof, type SubstrateEventFilter, type SubstrateRawEvent, type SubstrateReaderOptions } from './reader.ts';
export { SubstrateWriter, type RemarkReceipt, type SubstrateCall, type SubstrateReceipt, type SubstrateWriterOptions } from './writer.ts';
export { fromDispatchError, toSubstrateAdapterError, type SubstrateErrorContext } from './errors.ts';
export { MAX_REMARK_BYTES, type PacketFields, type RemarkedPackets, type SentFromSubstrate, type SequenceCounter, ackFromSubstrate, ackPairs, okAck, packetsOfRemark, sendFromSubstrate, sentPairs, sequencesFromRemarks, substratePacketKeys } from './packets.ts';
