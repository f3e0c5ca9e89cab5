/**
 * The chaincode's events. Fabric keeps one chaincode event per transaction (a second setEvent
 * replaces the first), so a transaction's Pontis events travel together in one event named
 * `PontisEvents`, whose payload is the canonical JSON `{"events":[{type, attributes}, ...]}`.
 * Types and attributes are the hub's own (hub-chain/modules/packets/keeper.ts): `packet/sent`
 * (`id`, `packet`: the packet as canonical JSON), `packet/received` (`id`, `ack`, `packet`),
 * `packet/recv/result` (`id`, `result`), `packet/acknowledged`, `packet/timed-out`, plus
 * `packet/timeout-marked` (a packet addressed here timed out: TIMEOUT marker written) and
 * `client/updated` / `client/frozen`.
 */
import type { AppEvent } from '../../hub-chain/app/module.ts';
import { type Bytes, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { canonicalJson } from '../../hub-chain/encoding/canonical-json.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import { CC_ERR, ChaincodeError } from './errors.ts';

export const PONTIS_EVENT_NAME = 'PontisEvents';

export function encodeEvents(events: readonly AppEvent[]): Bytes {
  return utf8(canonicalJson({ events }));
}

/** The events of one `PontisEvents` payload (an adapter's view of a chaincode event). */
export function decodeEvents(payload: Bytes): AppEvent[] {
  let v: { events?: unknown };
  try {
    v = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (e) {
    throw new ChaincodeError(CC_ERR.EVENT_MALFORMED, 'PontisEvents payload is not JSON', { cause: e });
  }
  if (!Array.isArray(v?.events)) throw new ChaincodeError(CC_ERR.EVENT_MALFORMED, 'not a PontisEvents payload');
  return v.events as AppEvent[];
}

/** The packets a transaction sent (its `packet/sent` events), in order. */
export function sentPackets(events: readonly AppEvent[]): Packet[] {
  return events.filter((e) => e.type === 'packet/sent').map((e) => JSON.parse(e.attributes.packet) as Packet);
}
