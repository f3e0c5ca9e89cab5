/**
 * The parts of Gateway.sol and PontisClient.sol a relayer uses, written out by hand (a relayer
 * does not need the compiler or the build artifacts). test/relayers/paths/evm/abi.test.ts holds
 * every fragment against the compiled contracts' ABI. Also: the Pontis codes of the contracts'
 * per-packet failure reasons.
 */
import { Interface } from 'ethers';
import { eventDecoder, functionEncoder } from './abi-codec.ts';

const PACKET_TUPLE = 'tuple(string srcChain, string srcApp, string dstChain, string dstApp, uint64 sequence, bool ordered, bytes payload, uint64 timeoutHeight, uint64 timeoutTimestamp)';

/** Gateway events, the store getter, the three relay entry points, and the custom errors a failed item's reason can be. */
export const GATEWAY_RELAY_ABI = [
  `event PacketSent(bytes32 indexed channel, uint64 indexed sequence, ${PACKET_TUPLE} packet)`,
  `event PacketReceived(bytes32 indexed channel, uint64 indexed sequence, ${PACKET_TUPLE} packet, bytes ack)`,
  'event PacketAcknowledged(bytes32 indexed channel, uint64 indexed sequence, bytes ack, bool callbackOk)',
  'event PacketResult(bytes32 indexed channel, uint64 indexed sequence, uint8 step, uint8 result, bytes reason)',
  'function pontisStore(bytes32) view returns (bytes32)',
  `function recvPackets(uint64 proofHeight, ${PACKET_TUPLE}[] packets, bytes[] proofs)`,
  `function recvBatches(uint64 proofHeight, tuple(uint64 height, bytes32 root, uint64 count, bytes proof)[] batches, ${PACKET_TUPLE}[] packets, uint256[] batchOf, uint64[] indices, bytes[] paths)`,
  `function acknowledge(uint64 proofHeight, tuple(uint64 height, bytes32 root, uint64 count, bytes proof)[] batches, ${PACKET_TUPLE}[] packets, bytes[] acks, uint256[] batchOf, uint64[] indices, bytes[] paths)`,
  `function timeout(uint64 proofHeight, ${PACKET_TUPLE}[] packets, bytes[] proofs)`,
  // per-packet failure reasons (Gateway, PontisClient, SmtProof)
  'error ProofMalformed(uint8 reason)',
  'error ProofInvalid(uint8 reason)',
  'error ProofKeyPresent()',
  'error BatchPathInvalid()',
  'error CommitmentMismatch()',
  'error PacketTimedOutError()',
  'error WrongDestination()',
  'error WrongSource()',
  'error ChannelClosed()',
  'error ChannelOrderingMismatch()',
  'error OutOfOrder(uint64 expected, uint64 got)',
  'error MalformedAck()',
  'error NotTimedOut()',
  'error UnknownHubHeight(uint64 height)',
  'error UnknownHeight(uint64 height)',
  'error HeightBelowFloor(uint64 height)',
  'error ClientFrozenError()',
  'error ClientExpired()',
] as const;

const HUB_HEADER_TUPLE =
  'tuple(string chainId, uint64 height, uint64 timeMs, bytes32 prevHash, bytes32 txRoot, bytes32 stateRoot, bytes32 validatorsHash, bytes32 nextValidatorsHash, bytes32 evidenceHash, bytes32 resultsHash, address proposer)';

/** PontisClient (the hub's light client on the EVM chain): its height, roots and update entry point. */
export const PONTIS_CLIENT_RELAY_ABI = [
  'function latestHeight() view returns (uint64)',
  'function nextValidatorsHash() view returns (bytes32)',
  'function stateRootAt(uint64 height) view returns (bytes32)',
  'function headerHashAt(uint64 height) view returns (bytes32)',
  `function updateClient(${HUB_HEADER_TUPLE} header, uint32 round, tuple(uint16 validatorIndex, bytes32 r, bytes32 s, uint8 v)[] sigs, address[] validators, uint64[] powers)`,
  'error StaleHeight(uint64 height, uint64 latestHeight)',
] as const;

export const gatewayIface = new Interface(GATEWAY_RELAY_ABI as unknown as string[]);
export const clientIface = new Interface(PONTIS_CLIENT_RELAY_ABI as unknown as string[]);

/** The Gateway events' topic hashes, computed once (ethers' getter hashes the signature on every read). */
export const GATEWAY_TOPIC = {
  PacketSent: gatewayIface.getEvent('PacketSent')!.topicHash,
  PacketReceived: gatewayIface.getEvent('PacketReceived')!.topicHash,
  PacketResult: gatewayIface.getEvent('PacketResult')!.topicHash,
} as const;
const gatewayEvents = new Map(Object.values(GATEWAY_TOPIC).map((t) => [t, { name: gatewayIface.getEvent(t)!.name, decode: eventDecoder(gatewayIface.getEvent(t)!) }]));

/**
 * A Gateway log decoded by its topic (compiled decoders, abi-codec.ts): arguments by name, tuples
 * as arrays, uints as bigint, bytes as lowercase hex. Undefined for a log of no Gateway event.
 */
export function decodeGatewayLog(raw: { topics: readonly string[]; data: string }): { name: string; args: Record<string, unknown> } | undefined {
  const ev = gatewayEvents.get(raw.topics[0]?.toLowerCase() ?? '');
  return ev && { name: ev.name, args: ev.decode(raw) };
}

/** Calldata of the Gateway's relay entry points, by compiled encoders (abi-codec.ts). */
export const gatewayCall = {
  recvBatches: functionEncoder(gatewayIface.getFunction('recvBatches')!),
  recvPackets: functionEncoder(gatewayIface.getFunction('recvPackets')!),
  acknowledge: functionEncoder(gatewayIface.getFunction('acknowledge')!),
  timeout: functionEncoder(gatewayIface.getFunction('timeout')!),
};

/** Gateway PacketResult codes. */
export const GATEWAY_RESULT = { OK: 0, ALREADY_DONE: 1, FAILED: 2 } as const;

/** Gateway/PontisClient error names as the Pontis codes the relayer pipeline judges (relayers/errors.ts isFatalCode). */
const EVM_ERROR_CODES: Record<string, string> = {
  ProofMalformed: 'PNT_ERR_PROOF_MALFORMED',
  ProofInvalid: 'PNT_ERR_PROOF_INVALID',
  ProofKeyPresent: 'PNT_ERR_PROOF_KEY_PRESENT',
  BatchPathInvalid: 'PNT_ERR_PACKET_BATCH_PROOF',
  CommitmentMismatch: 'PNT_ERR_PACKET_COMMITMENT_MISMATCH',
  PacketTimedOutError: 'PNT_ERR_PACKET_TIMED_OUT',
  WrongDestination: 'PNT_ERR_PACKET_WRONG_CHAIN',
  WrongSource: 'PNT_ERR_PACKET_WRONG_CHAIN',
  ChannelClosed: 'PNT_ERR_CHANNEL_CLOSED',
  ChannelOrderingMismatch: 'PNT_ERR_CHANNEL_ORDERING',
  OutOfOrder: 'PNT_ERR_PACKET_OUT_OF_ORDER',
  MalformedAck: 'PNT_ERR_ACK_MALFORMED',
  NotTimedOut: 'PNT_ERR_PACKET_NOT_TIMED_OUT',
  UnknownHubHeight: 'PNT_ERR_CLIENT_NO_CONSENSUS',
  UnknownHeight: 'PNT_ERR_CLIENT_NO_CONSENSUS',
  HeightBelowFloor: 'PNT_ERR_CLIENT_NO_CONSENSUS',
  ClientFrozenError: 'PNT_ERR_CLIENT_FROZEN',
  ClientExpired: 'PNT_ERR_CLIENT_EXPIRED',
};

/** The Pontis code of a failed Gateway item's revert data (PNT_ERR_RELAY_EVM_REVERT when not one of the known errors). */
export function gatewayErrorCode(reason: string | undefined): string {
  if (!reason || reason.length < 10) return 'PNT_ERR_RELAY_EVM_REVERT';
  try {
    const e = gatewayIface.parseError(reason);
    return (e && EVM_ERROR_CODES[e.name]) ?? 'PNT_ERR_RELAY_EVM_REVERT';
  } catch {
    return 'PNT_ERR_RELAY_EVM_REVERT';
  }
}
