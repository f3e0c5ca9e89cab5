/**
 * Relay transactions cut to what the destination takes (issue #13 item 4): a transaction larger
 * than the chain's MAX_TX_BYTES is refused whole (PNT_ERR_TX_TOO_LARGE, not retryable), so a job
 * whose packets carry large payloads or proofs would never get through. `fitMessages` splits the
 * relay batch (the last message) in halves until every part fits; messages before it (a client
 * update) travel with the first part, which commits before the next is sent.
 */
import { MAX_TX_BYTES, type Msg, encodeTx } from '../../../hub-chain/app/tx.ts';
import type { TxResult } from '../../../hub-chain/app/app.ts';

type RelayMsg = Msg & { packets: unknown[]; shared?: unknown[] };
const isRelayBatch = (m: Msg | undefined): m is RelayMsg => !!m && Array.isArray((m as { packets?: unknown }).packets) && String(m.type).startsWith('packets/');

/**
 * `msgs` as the transactions to send, in order, each within `maxBytes` by `size` (the encoded
 * transaction's length). A relay batch of one item that still does not fit is left as it is: the
 * chain refuses it, and that item's job reports the code.
 */
export function fitMessages(msgs: Msg[], size: (msgs: Msg[]) => number, maxBytes: number): Msg[][] {
  if (size(msgs) <= maxBytes) return [msgs];
  const last = msgs[msgs.length - 1];
  if (!isRelayBatch(last) || last.packets.length < 2) return [msgs];
  const half = Math.ceil(last.packets.length / 2);
  // a shared part may be referenced by either half: both carry the list (unreferenced parts are allowed)
  const a = { ...last, packets: last.packets.slice(0, half) } as Msg;
  const b = { ...last, packets: last.packets.slice(half) } as Msg;
  return [...fitMessages([...msgs.slice(0, -1), a], size, maxBytes), ...fitMessages([b], size, maxBytes)];
}

/** The encoded size of a transaction of `msgs` (key and signature have fixed lengths; the nonce's digits are covered by a margin). */
export function txSize(chainId: string, msgs: Msg[]): number {
  return encodeTx({ body: { chainId, nonce: 0, msgs }, publicKey: `0x${'00'.repeat(32)}`, signature: `0x${'00'.repeat(64)}` }).length;
}

/**
 * Sends `msgs` through `send` (sign, submit, wait for the commit) as one transaction, or as
 * several when it would not fit (`fitMessages`), each committed before the next is sent. The
 * result is the last one's with the events of all, or the first that failed as a whole.
 */
export async function submitInParts(chainId: string, msgs: Msg[], send: (msgs: Msg[]) => Promise<TxResult & { height: number }>): Promise<TxResult & { height: number }> {
  let out: (TxResult & { height: number }) | undefined;
  for (const part of fitMessages(msgs, (m) => txSize(chainId, m), MAX_TX_BYTES - 64)) {
    const r = await send(part);
    out = out ? { ...r, events: [...out.events, ...r.events] } : r;
    if (r.code !== 'ok') break;
  }
  return out!;
}
