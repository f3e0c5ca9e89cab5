/**
 * Relaying between an EVM chain (a Pontis Gateway with a PontisClient of the hub deployed) and
 * the hub, both directions, as rounds with a cursor like `relayRound` (path.ts).
 *
 * EVM -> hub: the hub's `evm` client of the chain holds consensus records made from its
 * validators' attestation votes. A round proves at exactly the client's latest height P (a record
 * exists there) and relays only what the EVM chain wrote in blocks (cursor, P]: packets sent
 * (`PacketSent`: `pkt/out/...` -> `packets/recv`) and packets received there (`PacketReceived`:
 * `pkt/ack/...` -> `packets/ack`). Storage proofs are `eth_getProof` of the gateway's slot of the
 * key at P. The EVM cursor never passes P, so blocks the hub cannot verify yet wait for a later
 * round.
 *
 * hub -> EVM: hub blocks (cursor, H] are scanned (packets forwarded to the EVM chain, acks and
 * timeouts for packets it sent); the EVM PontisClient is moved to H (hub header + commit +
 * validator set), and `Gateway.recvPackets` / `Gateway.acknowledge` carry the hub's state proofs
 * (`encodeProof` bytes) at H.
 *
 * Everything submitted is idempotent on chain (receipts, commitments), so rounds may repeat and
 * relayers may race; items already done on the destination are skipped before submitting.
 */
import { Interface, getAddress } from 'ethers';
import { PontisError } from '../../hub-chain/errors.ts';
import { isRetryableCode } from '../error-catalog.ts';
import { type Hex, fromHex, toHex } from '../../hub-chain/crypto/bytes.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import { type Packet, channelId, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { encodeProof } from '../../hub-chain/state/proof.ts';
import { fetchStorageProof, pontisSlot } from '../../hub-chain/light-clients/evm/proofs.ts';
import { type StorageProof, verifyStorageProof } from '../../hub-chain/light-clients/evm/mpt.ts';
import type { JsonRpcSender } from '../../hub-chain/light-clients/evm/proofs.ts';
import { packetFromSolidity, solidityPacket, updateClientArgs } from '../../contracts/evm/encode.ts';
import type { EvmWriter } from '../../adapters/evm/writer.ts';
import type { PontisReader, PontisWriter } from './endpoint.ts';
import { type PacketEvent, clientHeight, consensusOn, scan } from './path.ts';

export class EvmRelayError extends PontisError {
  override name = 'EvmRelayError';
}

const PACKET_TUPLE = 'tuple(string srcChain, string srcApp, string dstChain, string dstApp, uint64 sequence, bool ordered, bytes payload, uint64 timeoutHeight, uint64 timeoutTimestamp)';

/** The parts of Gateway.sol and PontisClient.sol a relayer uses (the signatures must match the contracts). */
export const GATEWAY_RELAY_ABI = [
  `event PacketSent(bytes32 indexed channel, uint64 indexed sequence, ${PACKET_TUPLE} packet)`,
  `event PacketReceived(bytes32 indexed channel, uint64 indexed sequence, ${PACKET_TUPLE} packet, bytes ack)`,
  'event PacketAcknowledged(bytes32 indexed channel, uint64 indexed sequence, bytes ack, bool callbackOk)',
  'event PacketResult(bytes32 indexed channel, uint64 indexed sequence, uint8 step, uint8 result, bytes reason)',
  'function pontisStore(bytes32) view returns (bytes32)',
  `function recvPackets(uint64 proofHeight, ${PACKET_TUPLE}[] packets, bytes[] proofs)`,
  `function acknowledge(uint64 proofHeight, ${PACKET_TUPLE}[] packets, bytes[] acks, bytes[] proofs)`,
  `function timeout(uint64 proofHeight, ${PACKET_TUPLE}[] packets, bytes[] proofs)`,
  // per-packet failure reasons (Gateway, PontisClient, SmtProof)
  'error ProofMalformed(uint8 reason)',
  'error ProofInvalid(uint8 reason)',
  'error ProofKeyPresent()',
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

/** Gateway/PontisClient error names as the Pontis codes the relayer pipeline judges (relayers/errors.ts isFatalCode). */
const EVM_ERROR_CODES: Record<string, string> = {
  ProofMalformed: 'PNT_ERR_PROOF_MALFORMED',
  ProofInvalid: 'PNT_ERR_PROOF_INVALID',
  ProofKeyPresent: 'PNT_ERR_PROOF_KEY_PRESENT',
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

const HUB_HEADER_TUPLE =
  'tuple(string chainId, uint64 height, uint64 timeMs, bytes32 prevHash, bytes32 txRoot, bytes32 stateRoot, bytes32 validatorsHash, bytes32 nextValidatorsHash, bytes32 evidenceHash, bytes32 resultsHash, address proposer)';
export const PONTIS_CLIENT_RELAY_ABI = [
  'function latestHeight() view returns (uint64)',
  'function nextValidatorsHash() view returns (bytes32)',
  'function stateRootAt(uint64 height) view returns (bytes32)',
  'function headerHashAt(uint64 height) view returns (bytes32)',
  `function updateClient(${HUB_HEADER_TUPLE} header, uint32 round, tuple(uint16 validatorIndex, bytes32 r, bytes32 s, uint8 v)[] sigs, address[] validators, uint64[] powers)`,
] as const;

const gatewayIface = new Interface(GATEWAY_RELAY_ABI as unknown as string[]);
const clientIface = new Interface(PONTIS_CLIENT_RELAY_ABI as unknown as string[]);

/** Gateway PacketResult codes. */
export const GATEWAY_RESULT = { OK: 0, ALREADY_DONE: 1, FAILED: 2 } as const;

/** One EVM chain as a relayer sees it: a writer (reads too) and the two contract addresses. */
export interface EvmGatewayEndpoint {
  /** The Pontis chain id the chain is registered under on the hub (the Gateway's chainId). */
  readonly chainId: string;
  readonly writer: EvmWriter;
  /** Gateway address (the hub's `evm` client is bound to it). */
  readonly gateway: string;
  /** PontisClient (the hub's light client on this chain) address. */
  readonly hubClient: string;
}

export interface GatewayItemResult {
  /** keccak256 of the channel id (the event's indexed topic). */
  channel: string;
  sequence: number;
  step: 'recv' | 'ack' | 'timeout';
  result: 'ok' | 'already-done' | 'failed';
  /** Revert data of a failed item (a custom error of the Gateway, PontisClient or SmtProof). */
  reason?: Hex;
}

export interface EvmRelaySubmission {
  chain: string;
  height: number;
  msgs: string[];
  /** Hub: the transaction's code. EVM: 'ok' (the transaction succeeded; see items). */
  code: string;
  txHash?: string;
  /** EVM: per-packet results from the Gateway's PacketResult events. Hub: per-item results. */
  items: { id: string; result: string }[];
}

export interface EvmRelayRoundResult {
  /** Heights scanned up to, per chain (the hub's id and the EVM chain's id). */
  cursor: Record<string, number>;
  submitted: EvmRelaySubmission[];
  /** Highest EVM height the hub's client held when the round ran (its proofs are at that height). */
  evmProofHeight: number;
}

const rpcOf = (w: EvmWriter): JsonRpcSender => ({ send: (method, params) => w.rpc(method, params) });

const ZERO_WORD = `0x${'0'.repeat(64)}`;

/** A value of `pontisStore` at `blockTag` (a height or 'latest'), as a 32-byte word. */
export async function gatewayWord(evm: EvmGatewayEndpoint, key: Uint8Array, blockTag: number | 'latest'): Promise<string> {
  const tag = blockTag === 'latest' ? 'latest' : `0x${blockTag.toString(16)}`;
  const w = await evm.writer.rpc<string>('eth_getStorageAt', [evm.gateway, pontisSlot(key), tag]);
  return typeof w === 'string' ? w.toLowerCase() : ZERO_WORD;
}

export const isSet = (word: string) => /^0x[0-9a-f]*$/.test(word) && BigInt(word) !== 0n;

/** A PontisPacket as ethers decodes it (a positional array through EvmReader, or a named Result). */
function packetFromEvent(v: unknown): Packet {
  if (Array.isArray(v)) {
    const [srcChain, srcApp, dstChain, dstApp, sequence, ordered, payload, timeoutHeight, timeoutTimestamp] = v as [string, string, string, string, bigint, boolean, string, bigint, bigint];
    return packetFromSolidity({ srcChain, srcApp, dstChain, dstApp, sequence, ordered, payload, timeoutHeight, timeoutTimestamp });
  }
  return packetFromSolidity(v as Parameters<typeof packetFromSolidity>[0]);
}

// ---------------------------------------------------------------- EVM -> hub

/** The height of the hub's client of the EVM chain at which proofs can be made (a consensus record exists there). */
export async function hubProofHeight(hub: PontisReader, evmChainId: string): Promise<number> {
  const h = await clientHeight(hub, evmChainId);
  if (!(await consensusOn(hub, evmChainId, h))) {
    throw new EvmRelayError('PNT_ERR_RELAY_NO_CONSENSUS', `the hub's client of ${evmChainId} has no consensus record at its latest height ${h}`, { retryable: true, details: { height: h } });
  }
  return h;
}

/**
 * Packets sent and packets received (acks to carry back) on the EVM Gateway in blocks
 * (from, to] whose next hop is the hub: every packet of a spoke goes to the hub, and so does
 * every ack it writes.
 */
export async function scanEvm(evm: EvmGatewayEndpoint, from: number, to: number, maxBlockRange = 2000): Promise<{ packets: PacketEvent[]; acks: PacketEvent[] }> {
  const out = { packets: [] as PacketEvent[], acks: [] as PacketEvent[] };
  const topics = [[gatewayIface.getEvent('PacketSent')!.topicHash, gatewayIface.getEvent('PacketReceived')!.topicHash]];
  // bounded eth_getLogs ranges: providers refuse large ones
  for (let lo = from + 1; lo <= to; lo += maxBlockRange) {
    const hi = Math.min(to, lo + maxBlockRange - 1);
    const logs = await evm.writer.rpc<{ topics: string[]; data: string; blockNumber: string; removed?: boolean }[]>('eth_getLogs', [
      { address: evm.gateway, fromBlock: `0x${lo.toString(16)}`, toBlock: `0x${hi.toString(16)}`, topics },
    ]);
    if (!Array.isArray(logs)) throw new EvmRelayError('PNT_ERR_RELAY_EVM_BAD_RESPONSE', `eth_getLogs on ${evm.chainId} did not return a list`, { retryable: true });
    for (const l of logs) {
      if (l.removed) continue;
      const d = gatewayIface.parseLog({ topics: l.topics, data: l.data });
      if (!d) continue;
      const height = Number(BigInt(l.blockNumber));
      const packet = packetFromEvent(d.args.packet.toArray());
      if (d.name === 'PacketSent') out.packets.push({ height, packet });
      else out.acks.push({ height, packet, ack: (d.args.ack as string).toLowerCase() as Hex });
    }
  }
  return out;
}

/** Per-packet reads (state, proofs) a batch keeps in flight at once: sequential reads made a batch of 100 take seconds. */
const READS_IN_FLIGHT = 16;

/** `fn` over `items` with at most `limit` calls in flight; results in the order of `items`. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** The state root the hub's client of the EVM chain holds for `height` (what its proofs are verified against). */
async function provenRoot(hub: PontisReader, evm: EvmGatewayEndpoint, height: number): Promise<Hex> {
  const cons = await consensusOn(hub, evm.chainId, height);
  if (!cons) throw new EvmRelayError('PNT_ERR_RELAY_NO_CONSENSUS', `the hub's client of ${evm.chainId} has no consensus record at ${height}`, { retryable: true, details: { height } });
  return cons.root;
}

/**
 * eth_getProof of a Pontis key at `height`, checked here against `root` before it goes to the
 * hub, and fetched again when it does not verify: anvil (1.7.1) answers for its latest block from
 * the next block's state while mining it, and the hub would refuse such a proof for good. Returns
 * the proven word (null: unset) with the proof.
 */
async function checkedProof(evm: EvmGatewayEndpoint, key: Uint8Array, height: number, root: Hex): Promise<{ word: Hex | null; proof: StorageProof }> {
  const gateway = evm.gateway.toLowerCase() as Hex;
  const slot = pontisSlot(key);
  for (let attempt = 1; ; attempt++) {
    const proof = await fetchStorageProof(rpcOf(evm.writer), gateway, slot, height);
    try {
      const w = verifyStorageProof(root, gateway, slot, proof);
      return { word: w !== null && isSet(w) ? w : null, proof };
    } catch (e) {
      if (attempt >= 3) {
        throw new EvmRelayError('PNT_ERR_RELAY_EVM_BAD_PROOF', `eth_getProof on ${evm.chainId} at ${height} does not verify against the hub's record of that block`, { retryable: true, cause: e, details: { chain: evm.chainId, height, slot } });
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Slots asked for in one eth_getProof: the node walks the account once for all of them. */
const SLOTS_PER_PROOF_CALL = 50;

/** `checkedProof` for many keys at once: eth_getProof with up to SLOTS_PER_PROOF_CALL slots a call; a proof that does not verify is fetched again alone. */
async function checkedProofs(evm: EvmGatewayEndpoint, keys: Uint8Array[], height: number, root: Hex): Promise<{ word: Hex | null; proof: StorageProof }[]> {
  const gateway = evm.gateway.toLowerCase() as Hex;
  const chunks: number[] = [];
  for (let i = 0; i < keys.length; i += SLOTS_PER_PROOF_CALL) chunks.push(i);
  const parts = await mapLimit(chunks, 4, async (start) => {
    const ks = keys.slice(start, start + SLOTS_PER_PROOF_CALL);
    const slots = ks.map((k) => pontisSlot(k));
    const r = await evm.writer.rpc<{ accountProof?: string[]; storageProof?: { proof?: string[] }[] }>('eth_getProof', [gateway, slots, `0x${height.toString(16)}`]);
    const accountProof = Array.isArray(r?.accountProof) ? (r.accountProof.map((n) => n.toLowerCase()) as Hex[]) : undefined;
    return Promise.all(
      ks.map(async (k, j) => {
        const sp = r?.storageProof?.[j]?.proof;
        if (accountProof && Array.isArray(sp)) {
          const proof: StorageProof = { accountProof, storageProof: sp.map((n) => n.toLowerCase()) as Hex[] };
          try {
            const w = verifyStorageProof(root, gateway, slots[j], proof);
            return { word: w !== null && isSet(w) ? w : null, proof };
          } catch {
            // fetched again alone below
          }
        }
        return checkedProof(evm, k, height, root);
      }),
    );
  });
  return parts.flat();
}

/** `packets/recv` on the hub for packets committed on the EVM Gateway, proven at EVM height `height`; null when none is due. */
export async function evmRecvBatch(evm: EvmGatewayEndpoint, hub: PontisReader, events: PacketEvent[], height: number): Promise<Msg | null> {
  const root = await provenRoot(hub, evm, height);
  const received = await mapLimit(events, READS_IN_FLIGHT, async (e) => (await hub.readState(packetKeys.receipt(channelId(e.packet), e.packet.sequence))) !== undefined);
  const due = events.filter((_, i) => !received[i]);
  const proofs = await checkedProofs(evm, due.map((e) => packetKeys.outbound(channelId(e.packet), e.packet.sequence)), height, root);
  // a null word: resolved on the source already
  const items = due.map((e, i) => ({ packet: e.packet, proof: proofs[i].proof, word: proofs[i].word })).filter((i) => i.word !== null).map(({ packet, proof }) => ({ packet, proof }));
  return items.length ? { type: 'packets/recv', proofHeight: height, packets: items } : null;
}

/** `packets/ack` on the hub for acks the EVM Gateway wrote, proven at EVM height `height`; null when none is due. */
export async function evmAckBatch(evm: EvmGatewayEndpoint, hub: PontisReader, events: PacketEvent[], height: number): Promise<Msg | null> {
  const root = await provenRoot(hub, evm, height);
  const pending = await mapLimit(events, READS_IN_FLIGHT, async (e) => (await hub.readState(packetKeys.outbound(channelId(e.packet), e.packet.sequence))) !== undefined);
  const due = events.filter((_, i) => pending[i]);
  const proofs = await checkedProofs(evm, due.map((e) => packetKeys.ack(channelId(e.packet), e.packet.sequence)), height, root);
  const items = due.map((e, i) => ({ packet: e.packet, ack: e.ack!, proof: proofs[i].proof, word: proofs[i].word })).filter((i) => i.word !== null).map(({ packet, ack, proof }) => ({ packet, ack, proof }));
  return items.length ? { type: 'packets/ack', proofHeight: height, packets: items } : null;
}

// ---------------------------------------------------------------- hub -> EVM

/** The state root the PontisClient holds for hub height `height` (zero when none). */
export async function evmClientStateRoot(evm: EvmGatewayEndpoint, height: number): Promise<string> {
  const r = await evm.writer.rpc<string>('eth_call', [{ to: evm.hubClient, data: clientIface.encodeFunctionData('stateRootAt', [height]) }, 'latest']);
  return (clientIface.decodeFunctionResult('stateRootAt', r)[0] as string).toLowerCase();
}

/** The PontisClient's latest hub height. */
export async function evmClientHeight(evm: EvmGatewayEndpoint): Promise<number> {
  const data = clientIface.encodeFunctionData('latestHeight', []);
  const r = await evm.writer.rpc<string>('eth_call', [{ to: evm.hubClient, data }, 'latest']);
  return Number(clientIface.decodeFunctionResult('latestHeight', r)[0] as bigint);
}

/** Most hub heights walked looking for a validator-set change in one update. */
const MAX_SET_CHANGE_SCAN = 10_000;

async function evmClientNextValidatorsHash(evm: EvmGatewayEndpoint): Promise<string> {
  const r = await evm.writer.rpc<string>('eth_call', [{ to: evm.hubClient, data: clientIface.encodeFunctionData('nextValidatorsHash', []) }, 'latest']);
  return (clientIface.decodeFunctionResult('nextValidatorsHash', r)[0] as string).toLowerCase();
}

/** Submits the hub's signed header at `height` to the EVM PontisClient (which freezes if it stored a different one there). */
export async function submitHubHeader(hub: PontisReader, evm: EvmGatewayEndpoint, height: number, sh?: Awaited<ReturnType<PontisReader['signedHeader']>>): Promise<string> {
  const [signed, set] = await Promise.all([sh ?? hub.signedHeader(height), hub.validatorSet(height)]);
  const r = await evm.writer.send({ to: evm.hubClient, data: clientIface.encodeFunctionData('updateClient', updateClientArgs(signed, set)) });
  return r.txHash;
}

/**
 * Moves the EVM PontisClient to hub height `height` (header, commit and the set that signed it,
 * all checked by the contract). The contract trusts a header only when signed by the set its
 * latest header named as next, so when the hub's set changed since, the headers where it
 * changes (the last one each trusted set signed) go first. Returns the hash of the last
 * transaction, or null when the client holds `height` already or is past it.
 */
export async function updateEvmClient(hub: PontisReader, evm: EvmGatewayEndpoint, height: number): Promise<string | null> {
  let latest = await evmClientHeight(evm);
  if (latest >= height) return null;
  for (;;) {
    const trusted = await evmClientNextValidatorsHash(evm);
    const target = await hub.signedHeader(height);
    if (target.header.validatorsHash.toLowerCase() === trusted) return submitHubHeader(hub, evm, height, target);
    // the set changed after `latest`: the first header naming another next set is still signed by the trusted one
    let change: number | undefined;
    for (let h = latest + 1; h < height && h <= latest + MAX_SET_CHANGE_SCAN; h++) {
      const sh = await hub.signedHeader(h);
      if (sh.header.validatorsHash.toLowerCase() !== trusted) break; // cannot happen on a sound hub
      if (sh.header.nextValidatorsHash.toLowerCase() !== trusted) {
        await submitHubHeader(hub, evm, h, sh);
        change = h;
        break;
      }
    }
    if (change === undefined) {
      throw new EvmRelayError('PNT_ERR_RELAY_NO_SET_CHANGE', `hub header ${height} is signed by a set the client of ${evm.chainId} does not trust, and no set change was found above ${latest}`, {
        details: { chain: evm.chainId, latest, height },
      });
    }
    latest = change;
  }
}

/** The hub height to prove at on the EVM chain: `want`, unless the PontisClient is already past it (then its latest, which it holds). */
export async function evmSideProofHeight(hub: PontisReader, evm: EvmGatewayEndpoint, want: number): Promise<{ height: number; updateTx: string | null }> {
  const latest = await evmClientHeight(evm);
  if (latest >= want) return { height: latest, updateTx: null };
  return { height: want, updateTx: await updateEvmClient(hub, evm, want) };
}

async function hubProof(hub: PontisReader, key: Uint8Array, height: number): Promise<{ present: boolean; proof: Hex }> {
  const { value, proof } = await hub.proveState(key, height);
  return { present: value !== undefined, proof: toHex(encodeProof(proof)) };
}

/** The Gateway's PacketResult events of transaction `txHash` mined at `height`. */
async function gatewayResults(evm: EvmGatewayEndpoint, txHash: string, height: number): Promise<GatewayItemResult[]> {
  const logs = await evm.writer.rpc<{ topics: string[]; data: string; transactionHash: string }[]>('eth_getLogs', [
    { address: evm.gateway, fromBlock: `0x${height.toString(16)}`, toBlock: `0x${height.toString(16)}`, topics: [gatewayIface.getEvent('PacketResult')!.topicHash] },
  ]);
  const steps = { 1: 'recv', 2: 'ack', 3: 'timeout' } as const;
  const results = ['ok', 'already-done', 'failed'] as const;
  return logs
    .filter((l) => l.transactionHash.toLowerCase() === txHash.toLowerCase())
    .map((l) => {
      const d = gatewayIface.parseLog(l)!;
      const reason = (d.args.reason as string).toLowerCase() as Hex;
      return {
        channel: d.args.channel as string,
        sequence: Number(d.args.sequence as bigint),
        step: steps[Number(d.args.step) as 1 | 2 | 3],
        result: results[Number(d.args.result)],
        ...(reason.length > 2 ? { reason } : {}),
      };
    });
}

/**
 * `Gateway.recvPackets` for packets the hub committed for this chain, proven at hub height
 * `height` (the PontisClient must hold it). Packets received already, or no longer committed on
 * the hub, are skipped. Returns null when nothing was due.
 */
export async function deliverToEvm(hub: PontisReader, evm: EvmGatewayEndpoint, events: PacketEvent[], height: number): Promise<{ txHash: string; height: number; items: GatewayItemResult[] } | null> {
  const found = await mapLimit(events, READS_IN_FLIGHT, async (e) => {
    const ch = channelId(e.packet);
    if (isSet(await gatewayWord(evm, packetKeys.receipt(ch, e.packet.sequence), 'latest'))) return null;
    const p = await hubProof(hub, packetKeys.outbound(ch, e.packet.sequence), height);
    return p.present ? { packet: e.packet, proof: p.proof } : null;
  });
  const due = found.filter((i) => i !== null);
  const packets = due.map((i) => i.packet);
  const proofs = due.map((i) => i.proof);
  if (!packets.length) return null;
  const data = gatewayIface.encodeFunctionData('recvPackets', [height, packets.map(solidityPacket), proofs]);
  const r = await evm.writer.send({ to: evm.gateway, data });
  return { txHash: r.txHash, height: r.height, items: await gatewayResults(evm, r.txHash, r.height) };
}

/**
 * `Gateway.acknowledge` for packets this chain sent whose ack (or timeout error ack) the hub
 * recorded, proven at hub height `height`. Packets already resolved here are skipped.
 */
export async function acknowledgeOnEvm(hub: PontisReader, evm: EvmGatewayEndpoint, events: PacketEvent[], height: number): Promise<{ txHash: string; height: number; items: GatewayItemResult[] } | null> {
  const found = await mapLimit(events, READS_IN_FLIGHT, async (e) => {
    const ch = channelId(e.packet);
    if (!isSet(await gatewayWord(evm, packetKeys.outbound(ch, e.packet.sequence), 'latest'))) return null;
    const p = await hubProof(hub, packetKeys.ack(ch, e.packet.sequence), height);
    return p.present ? { packet: e.packet, ack: e.ack!, proof: p.proof } : null;
  });
  const due = found.filter((i) => i !== null);
  const packets = due.map((i) => i.packet);
  const acks = due.map((i) => i.ack);
  const proofs = due.map((i) => i.proof);
  if (!packets.length) return null;
  const data = gatewayIface.encodeFunctionData('acknowledge', [height, packets.map(solidityPacket), acks.map((a) => fromHex(a)), proofs]);
  const r = await evm.writer.send({ to: evm.gateway, data });
  return { txHash: r.txHash, height: r.height, items: await gatewayResults(evm, r.txHash, r.height) };
}

// ---------------------------------------------------------------- timeouts

const itemId = (i: GatewayItemResult) => `${i.step}:${i.channel}/${i.sequence}`;

export interface EvmTimeoutOutcome {
  chain: string;
  height: number;
  proofHeight: number;
  txHash?: string;
  items: { id: string; result: string }[];
}

/**
 * Destination leg, EVM destination: packets the hub forwarded to the EVM chain that it never
 * received before their timeout. Proven at the height P the hub's client of the chain holds:
 * the Gateway's receipt slot is empty at P, and P's block time (or P itself, for a height
 * timeout) is at or past the timeout. The hub then records an error ack `PNT_ERR_PACKET_TIMEOUT`
 * for the source (relayed back by `relayEvmRound`). Returns null when none is due yet.
 */
export async function relayEvmTimeouts(hub: PontisWriter, evm: EvmGatewayEndpoint, packets: Packet[]): Promise<EvmTimeoutOutcome | null> {
  const p = await hubProofHeight(hub, evm.chainId);
  const cons = (await consensusOn(hub, evm.chainId, p))!;
  const items = [];
  for (const pkt of packets) {
    if (pkt.dstChain !== evm.chainId) continue;
    const ch = channelId(pkt);
    if ((await hub.readState(packetKeys.outbound(ch, pkt.sequence))) === undefined) continue;
    const due = (pkt.timeoutTimestamp !== 0 && cons.timestamp >= pkt.timeoutTimestamp) || (pkt.timeoutHeight !== 0 && p >= pkt.timeoutHeight);
    if (!due) continue;
    const key = packetKeys.receipt(ch, pkt.sequence);
    const { word, proof } = await checkedProof(evm, key, p, cons.root);
    if (word !== null) continue; // received after all: it will be acknowledged
    items.push({ packet: pkt, proof });
  }
  if (!items.length) return null;
  const r = await hub.submit([{ type: 'packets/timeout', proofHeight: p, packets: items }]);
  if (r.code !== 'ok') throw new EvmRelayError('PNT_ERR_RELAY_SUBMIT_FAILED', `timeout transaction on ${hub.chainId} failed: ${r.code} ${r.log ?? ''}`, { retryable: isRetryableCode(r.code), details: { code: r.code } });
  const out = r.events.filter((e) => e.type === 'packet/timeout/result').map((e) => ({ id: `timeout:${e.attributes.id ?? ''}`, result: e.attributes.result ?? '' }));
  return { chain: hub.chainId, height: r.height, proofHeight: p, items: out };
}

/**
 * Hub leg, EVM source: packets the EVM chain sent that the hub never received before their
 * timeoutTimestamp. Moves the PontisClient to the hub's latest height H and calls
 * `Gateway.timeout` with the hub's absence proofs of `pkt/rcpt/...` at H (H's time must be at or
 * past the timeout; the hub refuses to receive from then on). Returns null when none is due.
 */
export async function timeoutOnEvm(hub: PontisReader, evm: EvmGatewayEndpoint, packets: Packet[]): Promise<EvmTimeoutOutcome | null> {
  const h = await hub.latestHeight();
  const time = (await hub.signedHeader(h)).header.time;
  const due: Packet[] = [];
  const proofs: Hex[] = [];
  for (const pkt of packets) {
    if (pkt.srcChain !== evm.chainId || pkt.timeoutTimestamp === 0 || time < pkt.timeoutTimestamp) continue;
    const ch = channelId(pkt);
    if (!isSet(await gatewayWord(evm, packetKeys.outbound(ch, pkt.sequence), 'latest'))) continue;
    const proof = await hubProof(hub, packetKeys.receipt(ch, pkt.sequence), h);
    if (proof.present) continue; // the hub has it: an ack will come instead
    due.push(pkt);
    proofs.push(proof.proof);
  }
  if (!due.length) return null;
  const { height } = await evmSideProofHeight(hub, evm, h);
  if (height !== h) return null; // the client moved past h meanwhile; the next call proves there
  const data = gatewayIface.encodeFunctionData('timeout', [h, due.map(solidityPacket), proofs]);
  const r = await evm.writer.send({ to: evm.gateway, data });
  const items = await gatewayResults(evm, r.txHash, r.height);
  return { chain: evm.chainId, height: r.height, proofHeight: h, txHash: r.txHash, items: items.map((i) => ({ id: itemId(i), result: i.result })) };
}

// ---------------------------------------------------------------- a round

/**
 * One relaying round on the path evm <-> hub (both directions). `cursor` holds the heights
 * scanned so far per chain id (missing: 0, i.e. from genesis; start it at the current heights to
 * skip history). Returns the new cursor: the hub's is its tip at the start of the round; the EVM
 * chain's is the height the hub's client of it held (blocks above wait for attestation).
 * Throws PNT_ERR_RELAY_SUBMIT_FAILED when a hub transaction fails as a whole; per-packet
 * failures are reported in `submitted[].items` and do not stop the round.
 */
export async function relayEvmRound(hub: PontisWriter, evm: EvmGatewayEndpoint, cursor: Record<string, number>): Promise<EvmRelayRoundResult> {
  const result: EvmRelayRoundResult = { cursor: { ...cursor }, submitted: [], evmProofHeight: 0 };

  // EVM -> hub, at the height the hub's client holds
  const p = await hubProofHeight(hub, evm.chainId);
  result.evmProofHeight = p;
  const evmFrom = cursor[evm.chainId] ?? 0;
  if (p > evmFrom) {
    const found = await scanEvm(evm, evmFrom, p);
    const msgs: Msg[] = [];
    const recv = await evmRecvBatch(evm, hub, found.packets, p);
    if (recv) msgs.push(recv);
    const acks = await evmAckBatch(evm, hub, found.acks, p);
    if (acks) msgs.push(acks);
    if (msgs.length) {
      const r = await hub.submit(msgs);
      const items = r.events
        .filter((e) => e.type === 'packet/recv/result' || e.type === 'packet/ack/result')
        .map((e) => ({ id: `${e.type.split('/')[1]}:${e.attributes.id ?? ''}`, result: e.attributes.result ?? '' }));
      result.submitted.push({ chain: hub.chainId, height: r.height, msgs: msgs.map((m) => m.type), code: r.code, items });
      if (r.code !== 'ok') throw new EvmRelayError('PNT_ERR_RELAY_SUBMIT_FAILED', `relay transaction on ${hub.chainId} failed: ${r.code} ${r.log ?? ''}`, { retryable: isRetryableCode(r.code), details: { code: r.code } });
    }
    result.cursor[evm.chainId] = p;
  }

  // hub -> EVM, at the hub's tip
  const hubFrom = cursor[hub.chainId] ?? 0;
  const h = await hub.latestHeight();
  if (h > hubFrom) {
    const found = await scan(hub, evm.chainId, hub.chainId, hubFrom, h);
    if (found.packets.length || found.acks.length) {
      const { height, updateTx } = await evmSideProofHeight(hub, evm, h);
      if (updateTx) result.submitted.push({ chain: evm.chainId, height, msgs: ['updateClient'], code: 'ok', txHash: updateTx, items: [] });
      const recv = await deliverToEvm(hub, evm, found.packets, height);
      if (recv) result.submitted.push({ chain: evm.chainId, height: recv.height, msgs: ['recvPackets'], code: 'ok', txHash: recv.txHash, items: recv.items.map((i) => ({ id: itemId(i), result: i.result })) });
      const ack = await acknowledgeOnEvm(hub, evm, found.acks, height);
      if (ack) result.submitted.push({ chain: evm.chainId, height: ack.height, msgs: ['acknowledge'], code: 'ok', txHash: ack.txHash, items: ack.items.map((i) => ({ id: itemId(i), result: i.result })) });
    }
    result.cursor[hub.chainId] = h;
  }
  return result;
}

/** An endpoint for `relayEvmRound` (addresses checksummed once). */
export function evmGatewayEndpoint(chainId: string, writer: EvmWriter, gateway: string, hubClient: string): EvmGatewayEndpoint {
  return { chainId, writer, gateway: getAddress(gateway), hubClient: getAddress(hubClient) };
}
