/**
 * The hub -> EVM leg. The EVM PontisClient is moved to a hub height H (hub header + commit +
 * validator set, the set changes walked first), and `Gateway.recvPackets` / `Gateway.acknowledge`
 * / `Gateway.timeout` carry the hub's state proofs (`encodeProof` bytes) at H. Each Gateway call
 * reports per-packet results as `PacketResult` events, read back through the adapter.
 */
import { type Hex, concat, fromHex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import { type Packet, channelId, packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { type StateProof, encodeProof } from '../../../hub-chain/state/proof.ts';
import { ackBatchProofs, batchProofs, byBlock } from '../batch-proofs.ts';
import { solidityPacket, updateClientArgs } from '../../../contracts/evm/encode.ts';
import { type PontisReader, encodedProofs, readStates, receiptAbsence } from '../pontis/endpoint.ts';
import type { PacketEvent } from '../types.ts';
import { AdapterError, AdapterErrorCode } from '../../../adapters/core/errors.ts';
import { GATEWAY_TOPIC, clientIface, decodeGatewayLog, gatewayCall } from './abi.ts';
import { sendGatewayCall } from './gas.ts';
import { type EvmGatewayEndpoint, type EvmTimeoutOutcome, EvmRelayError, gatewayFilter, gatewayWord, isSet, receivedFilter } from './endpoint.ts';

export interface GatewayItemResult {
  /** keccak256 of the channel id (the event's indexed topic). */
  channel: string;
  sequence: number;
  step: 'recv' | 'ack' | 'timeout';
  result: 'ok' | 'already-done' | 'failed';
  /** Revert data of a failed item (a custom error of the Gateway, PontisClient or SmtProof). */
  reason?: Hex;
}


/** The state root the PontisClient holds for hub height `height` (zero when none). */
export async function evmClientStateRoot(evm: EvmGatewayEndpoint, height: number): Promise<string> {
  const r = await evm.writer.call(evm.hubClient, clientIface.encodeFunctionData('stateRootAt', [height]));
  return (clientIface.decodeFunctionResult('stateRootAt', r)[0] as string).toLowerCase();
}

/** The PontisClient's latest hub height. */
export async function evmClientHeight(evm: EvmGatewayEndpoint): Promise<number> {
  const data = clientIface.encodeFunctionData('latestHeight', []);
  const r = await evm.writer.call(evm.hubClient, data);
  return Number(clientIface.decodeFunctionResult('latestHeight', r)[0] as bigint);
}

/** Most hub heights walked looking for a validator-set change in one update. */
const MAX_SET_CHANGE_SCAN = 10_000;

async function evmClientNextValidatorsHash(evm: EvmGatewayEndpoint): Promise<string> {
  const r = await evm.writer.call(evm.hubClient, clientIface.encodeFunctionData('nextValidatorsHash', []));
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
    if (target.header.validatorsHash.toLowerCase() === trusted) {
      try {
        return await submitHubHeader(hub, evm, height, target);
      } catch (e) {
        if (!(e instanceof AdapterError && e.code === AdapterErrorCode.REVERTED)) throw e;
        // relayers share the client: another one's update may have landed first (ours then
        // reverts, mined after it), or be on its way (refused at estimation as stale)
        if ((await evmClientHeight(evm)) >= height) return null;
        if (!isStaleUpdate(e)) throw e;
        throw new EvmRelayError('PNT_ERR_RELAY_CLIENT_UPDATE_RACE', `another update of the client on ${evm.chainId} is on its way past hub height ${height}`, { retryable: true, cause: e, details: { chain: evm.chainId, height } });
      }
    }
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
  const updateTx = await updateEvmClient(hub, evm, want);
  // null: another job moved the client to `want` or past it meanwhile; prove where it is now
  return { height: updateTx === null ? await evmClientHeight(evm) : want, updateTx };
}

const STALE_HEIGHT = clientIface.getError('StaleHeight')!.selector;

/** The PontisClient refused a header at or below its latest height: a concurrent update won the race. */
function isStaleUpdate(e: unknown): boolean {
  const data = e instanceof AdapterError && e.code === AdapterErrorCode.REVERTED ? e.details?.data : undefined;
  return typeof data === 'string' && data.toLowerCase().startsWith(STALE_HEIGHT);
}

/** The Gateway's PacketResult events of transaction `txHash` mined at `height`. */
async function gatewayResults(evm: EvmGatewayEndpoint, txHash: string, height: number): Promise<GatewayItemResult[]> {
  const events = await evm.writer.events({ sources: [evm.gateway], names: [GATEWAY_TOPIC.PacketResult] }, height, height);
  const steps = { 1: 'recv', 2: 'ack', 3: 'timeout' } as const;
  const results = ['ok', 'already-done', 'failed'] as const;
  return events
    .filter((ev) => ev.txHash.toLowerCase() === txHash.toLowerCase())
    .map((ev) => {
      const d = decodeGatewayLog(ev.raw as { topics: string[]; data: string })!;
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
 * Delivers packets the hub committed for this chain, proven at hub height `height` (the
 * PontisClient must hold it): by the batches the hub committed them in (`Gateway.recvBatches`:
 * one state proof per hub block, a Merkle path per packet; ADR 0017), or, when an event does not
 * name its hub block or a batch cannot be found, each by its own `pkt/out` proof
 * (`Gateway.recvPackets`). Packets received already, or no longer committed on the hub, are
 * skipped. Returns null when nothing was due.
 */
export async function deliverToEvm(hub: PontisReader, evm: EvmGatewayEndpoint, events: PacketEvent[], height: number): Promise<{ txHash: string; height: number; items: GatewayItemResult[] } | null> {
  const open = await receivedFilter(evm, events, false);
  const onHub = await readStates(hub, open.map((e) => packetKeys.outbound(channelId(e.packet), e.packet.sequence)));
  // look at the Gateway again just before building the call (another relayer may have delivered)
  const due = await receivedFilter(evm, open.filter((_, i) => onHub[i] !== undefined), false);
  if (!due.length) return null;
  const batched = await recvBatchesCall(hub, evm, due, height);
  const r = batched ? await sendGatewayCall(evm, 'recvBatches', due.length, batched) : await sendGatewayCall(evm, 'recvPackets', due.length, await recvPacketsCall(hub, due, height));
  return { txHash: r.txHash, height: r.height, items: await gatewayResults(evm, r.txHash, r.height) };
}

/** `Gateway.recvBatches` calldata for `events`, or null when one of them has no batch to prove it by. */
async function recvBatchesCall(hub: PontisReader, evm: EvmGatewayEndpoint, events: PacketEvent[], height: number): Promise<string | null> {
  const { blocks, rest } = byBlock(events, height);
  if (rest.length) return null;
  const batches: unknown[] = [];
  const packets: unknown[] = [];
  const batchOf: number[] = [];
  const indices: number[] = [];
  const paths: Hex[] = [];
  for (const [h, es] of blocks) {
    const ps = es.map((e) => e.packet);
    const proven = await batchProofs(hub, evm.chainId, h, height, ps);
    if (!proven) return null;
    const { batch } = proven;
    batches.push([batch.height, batch.root, batch.count, toHex(encodeProof(batch.proof as StateProof))]);
    for (const [i, p] of ps.entries()) {
      packets.push(solidityPacket(p));
      batchOf.push(batches.length - 1);
      indices.push(proven.paths[i].index);
      paths.push(proven.paths[i].path);
    }
  }
  return gatewayCall.recvBatches([height, batches, packets, batchOf, indices, paths]);
}

/** `Gateway.recvPackets` calldata: each packet proven by the hub's `pkt/out` key. */
async function recvPacketsCall(hub: PontisReader, events: PacketEvent[], height: number): Promise<string> {
  const proofs = (await encodedProofs(hub, events.map((e) => packetKeys.outbound(channelId(e.packet), e.packet.sequence)), height)).map((p) => p.proof);
  return gatewayCall.recvPackets([height, events.map((e) => solidityPacket(e.packet)), proofs]);
}

/**
 * `Gateway.acknowledge` for packets this chain sent whose ack (or timeout error ack) the hub
 * recorded, proven at hub height `height` by the ack batches the hub wrote them in for this chain
 * (ADR 0017: one state proof per batch, a Merkle path per ack). Packets already resolved here, and
 * acks whose event names no batch that holds them, are skipped.
 */
export async function acknowledgeOnEvm(hub: PontisReader, evm: EvmGatewayEndpoint, events: PacketEvent[], height: number): Promise<{ txHash: string; height: number; items: GatewayItemResult[] } | null> {
  const open = await gatewayFilter(evm, events, packetKeys.outbound, true);
  const found: { e: PacketEvent; batch: number; index: number; path: Hex }[] = [];
  const batches: unknown[] = [];
  for (const [h, es] of byBlock(open, height).blocks) {
    const proven = await ackBatchProofs(hub, evm.chainId, h, height, es.map((e) => ({ packet: e.packet, ack: fromHex(e.ack!) })));
    if (!proven) continue;
    const { batch } = proven;
    batches.push([batch.height, batch.root, batch.count, toHex(encodeProof(batch.proof as StateProof))]);
    es.forEach((e, i) => found.push({ e, batch: batches.length - 1, index: proven.paths[i].index, path: proven.paths[i].path }));
  }
  // look at the Gateway again just before building the call (another relayer may have resolved some)
  const left = new Set(await gatewayFilter(evm, found.map((f) => f.e), packetKeys.outbound, true));
  const due = found.filter((f) => left.has(f.e));
  if (!due.length) return null;
  // only the batches some due ack is in (each costs the call a state proof check)
  const used = [...new Set(due.map((f) => f.batch))];
  const data = gatewayCall.acknowledge([
    height,
    used.map((b) => batches[b]),
    due.map((f) => solidityPacket(f.e.packet)),
    due.map((f) => fromHex(f.e.ack!)),
    due.map((f) => used.indexOf(f.batch)),
    due.map((f) => f.index),
    due.map((f) => f.path),
  ]);
  const r = await sendGatewayCall(evm, 'acknowledge', due.length, data);
  return { txHash: r.txHash, height: r.height, items: await gatewayResults(evm, r.txHash, r.height) };
}

export const itemId = (i: GatewayItemResult) => `${i.step}:${i.channel}/${i.sequence}`;

/**
 * Hub leg, EVM source: packets the EVM chain sent that the hub never received before their
 * timeoutTimestamp. Moves the PontisClient to the hub's latest height H and calls
 * `Gateway.timeout` with the hub's receipt words at H showing each packet's bit clear (`gatewayReceiptProof`; H's time must be at or
 * past the timeout; the hub refuses to receive from then on). Returns null when none is due.
 */
export async function timeoutOnEvm(hub: PontisReader, evm: EvmGatewayEndpoint, packets: Packet[]): Promise<EvmTimeoutOutcome | null> {
  const h = await hub.latestHeight();
  const time = (await hub.signedHeader(h)).header.time;
  const held: Packet[] = [];
  for (const pkt of packets) {
    if (pkt.srcChain !== evm.chainId || pkt.timeoutTimestamp === 0 || time < pkt.timeoutTimestamp) continue;
    if (isSet(await gatewayWord(evm, packetKeys.outbound(channelId(pkt), pkt.sequence), 'latest'))) held.push(pkt);
  }
  const absence = await receiptAbsence(hub, held, h);
  const due: Packet[] = [];
  const proofs: Hex[] = [];
  for (const [i, pkt] of held.entries()) {
    const a = absence[i];
    if (a.received) continue; // the hub has it: an ack will come instead
    due.push(pkt);
    proofs.push(gatewayReceiptProof(a.word, a.proof));
  }
  if (!due.length) return null;
  const { height } = await evmSideProofHeight(hub, evm, h);
  if (height !== h) return null; // the client moved past h meanwhile; the next call proves there
  const data = gatewayCall.timeout([h, due.map(solidityPacket), proofs]);
  const r = await sendGatewayCall(evm, 'timeout', due.length, data);
  const items = await gatewayResults(evm, r.txHash, r.height);
  return { chain: evm.chainId, height: r.height, proofHeight: h, txHash: r.txHash, items: items.map((i) => ({ id: itemId(i), result: i.result })) };
}

/** The `proof` `Gateway.timeout` takes for a hub receipt word: 0x00 || its absence proof, or 0x01 || word || its membership proof. */
export function gatewayReceiptProof(word: Hex | null, proof: StateProof): Hex {
  const smt = encodeProof(proof);
  return toHex(word === null ? concat(Uint8Array.of(0), smt) : concat(Uint8Array.of(1), fromHex(word), smt));
}
