/**
 * One Fabric channel as a relayer sees it: the Fabric adapter's writer (one org's gateway and
 * identity), the orgs whose peers endorse its GetState queries (enough for the channel's policy),
 * and the reads every leg needs: Pontis keys in world state, the chaincode's hub client, blocks
 * with their Pontis events. Nothing read here is trusted: the hub's `fabric` client checks every
 * block, signature and endorsement, and the chaincode's hub client every hub proof.
 */
import type { common } from '@hyperledger/fabric-protos';
import { PontisError } from '../../../hub-chain/errors.ts';
import type { Hex } from '../../../hub-chain/crypto/bytes.ts';
import { clientKeys } from '../../../hub-chain/modules/clients/store.ts';
import type { ClientRecord, ConsensusRecord } from '../../../hub-chain/modules/clients/types.ts';
import type { Packet } from '../../../hub-chain/modules/packets/types.ts';
import { type BlockTx, blockTxs } from '../../../adapters/fabric/block.ts';
import type { FabricWriter } from '../../../adapters/fabric/writer.ts';
import { chaincodeCalls } from '../../../contracts/fabric/calls.ts';
import { decodeEvents, PONTIS_EVENT_NAME } from '../../../contracts/fabric/events.ts';
import type { PacketEvent } from '../types.ts';

export class FabricRelayError extends PontisError {
  override name = 'FabricRelayError';
}

export interface FabricEndpoint {
  /** The Pontis chain id the channel is registered under on the hub. */
  readonly chainId: string;
  readonly writer: FabricWriter;
  /** MSP ids whose peers endorse GetState queries for proofs (they must satisfy the chaincode's policy). */
  readonly endorsingOrgs: string[];
}

/** GetState answers at most this many keys (the chaincode's bound). */
export const KEYS_PER_QUERY = 1000;

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
/** A Pontis key as the Fabric key the chaincode stores it under (its UTF-8 string). */
export const fabricKey = (k: Uint8Array): string => text(k);

/** Values of Pontis keys in committed world state (one peer's answer; for deciding what to do, not proof). */
export async function readKeys(f: FabricEndpoint, keys: Uint8Array[]): Promise<(Hex | null)[]> {
  const out: (Hex | null)[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const part = keys.slice(i, i + KEYS_PER_QUERY).map(fabricKey);
    out.push(...(JSON.parse(text(await f.writer.evaluate(chaincodeCalls.getState(part)))) as (Hex | null)[]));
  }
  return out;
}

export const isPresent = (v: Hex | null | undefined): v is Hex => typeof v === 'string';

/**
 * A GetState of `keys` endorsed by the configured orgs, never submitted: an endorsed-query proof
 * (`query`, base64 envelope) and the values it shows (0x-hex or null per key, as the endorsers
 * signed them; the relayer decides what to prove from them, the hub checks the proof).
 */
export async function endorsedQuery(f: FabricEndpoint, keys: Uint8Array[]): Promise<{ query: string; values: (Hex | null)[] }> {
  const { envelope, result } = await f.writer.endorsedEnvelope(chaincodeCalls.getState(keys.map(fabricKey)), f.endorsingOrgs);
  return { query: Buffer.from(envelope).toString('base64'), values: JSON.parse(text(result)) as (Hex | null)[] };
}

/** The chaincode's client of the hub: its record, as the chaincode keeps it. */
export async function hubClientOnFabric(f: FabricEndpoint, hubId: string): Promise<ClientRecord> {
  const [v] = await readKeys(f, [clientKeys.state(hubId)]);
  if (!isPresent(v)) throw new FabricRelayError('PNT_ERR_RELAY_NO_CLIENT', `${f.chainId} has no client of ${hubId} (initHubClient first)`, { details: { chain: f.chainId } });
  return JSON.parse(Buffer.from(v.slice(2), 'hex').toString('utf8')) as ClientRecord;
}

/** The consensus record the chaincode's hub client holds at `height`, if any. */
export async function hubConsensusOnFabric(f: FabricEndpoint, hubId: string, height: number): Promise<ConsensusRecord | undefined> {
  const [v] = await readKeys(f, [clientKeys.consensus(hubId, height)]);
  return isPresent(v) ? (JSON.parse(Buffer.from(v.slice(2), 'hex').toString('utf8')) as ConsensusRecord) : undefined;
}

/** A block's VALID transactions with their Pontis events. */
export function pontisTxs(f: FabricEndpoint, block: common.Block): (BlockTx & { events: ReturnType<typeof decodeEvents> })[] {
  return blockTxs(block)
    .filter((t) => t.validationCode === 0 && t.event?.name === PONTIS_EVENT_NAME && t.event.chaincodeId === f.writer.chaincode)
    .map((t) => ({ ...t, events: decodeEvents(t.event!.payload) }));
}

/** Packets sent and packets received (acks to carry back) in `block`: on a spoke, every one goes to the hub. */
export function blockPacketEvents(f: FabricEndpoint, block: common.Block): { packets: PacketEvent[]; acks: PacketEvent[] } {
  const height = block.getHeader()!.getNumber();
  const out = { packets: [] as PacketEvent[], acks: [] as PacketEvent[] };
  for (const tx of pontisTxs(f, block)) {
    for (const e of tx.events) {
      if (e.type === 'packet/sent') out.packets.push({ height, packet: JSON.parse(e.attributes.packet) as Packet });
      else if (e.type === 'packet/received') out.acks.push({ height, packet: JSON.parse(e.attributes.packet) as Packet, ack: e.attributes.ack as Hex });
    }
  }
  return out;
}
