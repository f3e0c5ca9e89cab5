/**
 * The hub: one end of every path, whatever the kind of the other. It is a Pontis chain, so it is
 * opened like one (a pooled signing endpoint over its RPC, optionally through a light client),
 * and its relay transactions report per-item results the same way for every kind of source.
 */
import type { Logger } from 'pino';
import type { TxResult } from '../../hub-chain/app/app.ts';
import type { PacketStatus } from '../../hub-chain/modules/packets/types.ts';
import { packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { RelayerError, isFatalCode, isRetryableCode } from '../errors.ts';
import { type PontisChainSettings, pontisAccountKey, pooledEndpoint } from './pontis/pooled-endpoint.ts';
import type { DeliveryOutcome, HubEndpoint, PacketRef } from './types.ts';
import type { EndpointSetOptions } from './endpoint-set.ts';

/** The hub's signer address of a resolved key (an ed25519 account). */
export const hubSignerAddress = (key: string): string => pontisAccountKey(key).address;

/** Opens the hub from its config section and resolved signer keys. */
export function openHub(cfg: PontisChainSettings & { chainId: string }, keys: string[], logger: Logger, health: EndpointSetOptions) {
  return pooledEndpoint(cfg.chainId, cfg, keys, logger, health);
}

const ALREADY = new Set(['already-received', 'already-resolved']);
/** Whole-transaction codes a retry cannot fix. */

/**
 * A Pontis relay transaction's per-item results (`<what>/result` events) as an outcome. A refusal
 * (a receipt and an error ack written) is a delivery; an item failing with a code that retrying
 * cannot fix stops the job (UnrecoverableError upstream), anything else is retried. Items that
 * succeeded stay done: the retry re-checks the destination and skips them.
 */
export function relayTxOutcome(chain: string, r: TxResult & { height: number }, what: string): DeliveryOutcome {
  if (r.code !== 'ok') throw new RelayerError(r.code, `relay transaction on ${chain} failed: ${r.log ?? r.code}`, { retryable: isRetryableCode(r.code), details: { chain } });
  const refused = new Set(r.events.filter((e) => e.type === 'packet/refused').map((e) => e.attributes.id));
  let accepted = 0;
  let redundant = 0;
  const failed: { id: string; code: string }[] = [];
  const items: { id: string; result: string }[] = [];
  const step = what.split('/')[1];
  for (const e of r.events) {
    if (e.type !== `${what}/result`) continue;
    const res = e.attributes.result;
    items.push({ id: `${step}:${e.attributes.id ?? ''}`, result: res ?? '' });
    if (res === 'ok' || refused.has(e.attributes.id)) accepted++;
    else if (ALREADY.has(res)) redundant++;
    else failed.push({ id: e.attributes.id, code: res });
  }
  if (failed.length) {
    const fatal = failed.find((f) => isFatalCode(f.code));
    const f = fatal ?? failed[0];
    throw new RelayerError(f.code, `${failed.length} item(s) refused on ${chain}, first ${f.id}: ${f.code}`, { retryable: !fatal, details: { chain, failed, items, accepted, txHeight: r.height } });
  }
  return { submitted: true, accepted, redundant, txHeight: r.height, items };
}

/** A packet's status as a Pontis chain (the hub, a side-chain) records it, for the ops API. */
export async function pontisPacketHop(chain: string, ep: HubEndpoint | undefined, ref: PacketRef): Promise<Record<string, unknown>> {
  if (!ep?.client) return { chain, known: false };
  try {
    const r = await ep.client.state({ text: Buffer.from(packetKeys.status(ref.channel, ref.sequence)).toString('utf8') });
    const status = r.value === null ? null : (JSON.parse(Buffer.from(r.value.slice(2), 'hex').toString('utf8')) as PacketStatus);
    return { chain, known: true, height: r.height, state: status?.state ?? null, ack: status?.ack ?? null, steps: status?.steps ?? [] };
  } catch (e) {
    return { chain, known: true, error: e instanceof PontisError ? e.code : 'PNT_ERR_RPC_UNREACHABLE' };
  }
}
