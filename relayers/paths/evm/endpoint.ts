/**
 * One EVM chain as a relayer sees it: the adapter's writer (which reads too) and the addresses of
 * the Pontis Gateway and the PontisClient (the hub's light client) deployed there. Every read and
 * write of the EVM legs goes through the writer (adapters/evm), never to the node directly.
 */
import { getAddress } from 'ethers';
import { PontisError } from '../../../hub-chain/errors.ts';
import { type Hex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { type Packet, channelId, packetKeys, receiptBitSet } from '../../../hub-chain/modules/packets/types.ts';
import { pontisSlot } from '../../../hub-chain/light-clients/evm/proofs.ts';
import { packetFromSolidity } from '../../../contracts/evm/encode.ts';
import type { EvmWriter } from '../../../adapters/evm/writer.ts';
import { GatewayGas } from './gas.ts';

export class EvmRelayError extends PontisError {
  override name = 'EvmRelayError';
}

export interface EvmGatewayEndpoint {
  /** The Pontis chain id the chain is registered under on the hub (the Gateway's chainId). */
  readonly chainId: string;
  readonly writer: EvmWriter;
  /** Gateway address (the hub's `evm` client is bound to it). */
  readonly gateway: string;
  /** PontisClient (the hub's light client on this chain) address. */
  readonly hubClient: string;
  /** Gas limits learned for the Gateway's batch calls (gas.ts). */
  readonly gas: GatewayGas;
}

/** An endpoint (addresses checksummed once). */
export function evmGatewayEndpoint(chainId: string, writer: EvmWriter, gateway: string, hubClient: string): EvmGatewayEndpoint {
  const gw = getAddress(gateway);
  return { chainId, writer, gateway: gw, hubClient: getAddress(hubClient), gas: new GatewayGas({ writer, gateway: gw }) };
}

/** A value of the Gateway's `pontisStore` at `blockTag` (a height or 'latest'), as a 32-byte word. */
export function gatewayWord(evm: EvmGatewayEndpoint, key: Uint8Array, blockTag: number | 'latest'): Promise<Hex> {
  return evm.writer.storageAt(evm.gateway, pontisSlot(key), blockTag);
}

export const isSet = (word: string) => /^0x[0-9a-f]*$/.test(word) && BigInt(word) !== 0n;

/**
 * The events whose packet key (`key(channel, sequence)`: a receipt, a commitment) is set, or not,
 * in the Gateway's store at the latest block: the reads are made together, so they go out as
 * JSON-RPC batches (the adapter's client batches calls made in one turn).
 */
export async function gatewayFilter<E extends { packet: Packet }>(evm: EvmGatewayEndpoint, events: E[], key: (channel: string, sequence: number) => Uint8Array, wantSet: boolean): Promise<E[]> {
  const set = await Promise.all(events.map(async (e) => isSet(await gatewayWord(evm, key(channelId(e.packet), e.packet.sequence), 'latest'))));
  return events.filter((_, i) => set[i] === wantSet);
}

/** The events whose packet the Gateway has received (its receipt bit is set), or not, at the latest block. */
export async function receivedFilter<E extends { packet: Packet }>(evm: EvmGatewayEndpoint, events: E[], wantReceived: boolean): Promise<E[]> {
  // one read per receipt word (256 sequences of a channel share one), not one per packet
  const words = new Map<string, Promise<Hex>>();
  const wordOf = (e: E) => {
    const key = packetKeys.receiptBits(channelId(e.packet), e.packet.sequence);
    const id = toHex(key);
    let w = words.get(id);
    if (!w) words.set(id, (w = gatewayWord(evm, key, 'latest')));
    return w;
  };
  const got = await Promise.all(events.map(async (e) => bitIn(await wordOf(e), e.packet.sequence)));
  return events.filter((_, i) => got[i] === wantReceived);
}

/** Whether the Gateway has received packet `seq` of channel `ch` at `blockTag` (its receipt bit, gateway-records.ts). */
export async function gatewayReceived(evm: EvmGatewayEndpoint, ch: string, seq: number, blockTag: number | 'latest'): Promise<boolean> {
  return bitIn(await gatewayWord(evm, packetKeys.receiptBits(ch, seq), blockTag), seq);
}

/** `seq`'s receipt bit in a word as eth_getStorageAt returns it. */
const bitIn = (word: Hex, seq: number): boolean => receiptBitSet(isSet(word) ? word : null, seq);

/** A PontisPacket as ethers decodes it (a positional array, or a named Result). */
export function packetFromEvent(v: unknown): Packet {
  if (Array.isArray(v)) {
    const [srcChain, srcApp, dstChain, dstApp, sequence, ordered, payload, timeoutHeight, timeoutTimestamp] = v as [string, string, string, string, bigint, boolean, string, bigint, bigint];
    return packetFromSolidity({ srcChain, srcApp, dstChain, dstApp, sequence, ordered, payload, timeoutHeight, timeoutTimestamp });
  }
  return packetFromSolidity(v as Parameters<typeof packetFromSolidity>[0]);
}

/** Per-packet reads (state, proofs) a batch keeps in flight at once: sequential reads made a batch of 100 take seconds. */
export const READS_IN_FLIGHT = 16;


/** What a timeout batch did, on whichever end it was submitted. */
export interface EvmTimeoutOutcome {
  chain: string;
  height: number;
  proofHeight: number;
  txHash?: string;
  items: { id: string; result: string }[];
}
