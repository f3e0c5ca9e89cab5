/**
 * One relaying round on a path (a chain and the hub), over `PathHandlers` whatever the chain's
 * kind: for each direction, scan the source from the cursor up to what the destination can verify
 * (`scanTip`), then deliver the packets and the acks found (and time out, on the hub, the packets
 * a chain recorded as never to be received). Returns the heights it scanned to as
 * the cursor of the next round. Without Redis or queues: the devnet's in-process relaying and the
 * tests drive it; the job pipeline (relayer.ts) runs the same handlers as jobs.
 *
 * Everything submitted is idempotent on chain (receipts, commitments), so rounds may repeat and
 * relayers may race. Items a destination refuses are reported in `failed` and do not stop the
 * round; a delivery that fails as a whole (a transaction refused, a node down) does.
 */
import { PontisError } from '../hub-chain/errors.ts';
import type { DeliveryKind, DeliveryOutcome, PacketEvent, PathHandlers } from './paths/types.ts';

export interface RoundDelivery {
  kind: DeliveryKind;
  src: string;
  dst: string;
  outcome: DeliveryOutcome;
}

export interface RoundFailure {
  kind: DeliveryKind;
  src: string;
  dst: string;
  /** The first failed item's code. */
  code: string;
  /** Per-item results, when the destination reported them. */
  items: { id: string; result: string }[];
}

export interface RelayRoundResult {
  /** Heights scanned up to, per chain: the cursor for the next round. */
  cursor: Record<string, number>;
  /** Deliveries that submitted a transaction. */
  submitted: RoundDelivery[];
  /** Deliveries whose items the destination refused (not retried within the round). */
  failed: RoundFailure[];
}

/** A delivery that reached the destination and came back with refused items (each kind's outcome carries `details.failed`). */
const itemsRefused = (e: unknown): e is PontisError => e instanceof PontisError && Array.isArray(e.details?.failed);

/**
 * One round on the path `chain` <-> `hub`: `chain`'s blocks first, then the hub's. `cursor` holds
 * the heights scanned so far per chain id (missing: 0, i.e. from genesis; start it at the current
 * heights to skip history).
 */
export async function relayRound(handlers: PathHandlers, chain: string, hub: string, cursor: Record<string, number>): Promise<RelayRoundResult> {
  const result: RelayRoundResult = { cursor: { ...cursor }, submitted: [], failed: [] };
  for (const [src, dst] of [
    [chain, hub],
    [hub, chain],
  ] as const) {
    const from = cursor[src] ?? 0;
    const to = await (handlers.scanTip ? handlers.scanTip(src, dst) : handlers.latestHeight(src));
    if (to <= from) continue;
    const blocks = await handlers.scanBlocks(src, dst, from, to);
    // timeout records found on `src` time out packets on `dst` (the job's source is where the commitments are)
    const deliveries: [DeliveryKind, string, string, PacketEvent[], (s: string, d: string, e: PacketEvent[]) => Promise<DeliveryOutcome>][] = [
      ['relay-packets', src, dst, blocks.flatMap((b) => b.packets), (s, d, e) => handlers.relayPackets(s, d, e)],
      ['relay-acks', src, dst, blocks.flatMap((b) => b.acks), (s, d, e) => handlers.relayAcks(s, d, e)],
      ['timeouts', dst, src, blocks.flatMap((b) => b.timeouts ?? []), (s, d, e) => handlers.timeouts(s, d, e)],
    ];
    for (const [kind, s, d, events, deliver] of deliveries) {
      if (!events.length) continue;
      try {
        const outcome = await deliver(s, d, events);
        if (outcome.submitted) result.submitted.push({ kind, src: s, dst: d, outcome });
      } catch (e) {
        if (!itemsRefused(e)) throw e;
        result.failed.push({ kind, src: s, dst: d, code: e.code, items: (e.details?.items as RoundFailure['items'] | undefined) ?? [] });
      }
    }
    result.cursor[src] = to;
  }
  return result;
}
