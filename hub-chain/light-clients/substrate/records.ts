/**
 * How a Substrate chain without contracts answers the questions the hub's packet keeper asks of a
 * destination, in its writers' remarks (remark.ts). Membership questions are remark writes of the
 * same key. The one absence question, "is `pkt/rcpt/<channel>/<seq>` absent?" (a timeout), cannot
 * be answered by events (a list shows no absence): the delivery multisig of hub validators writes a
 * timeout record instead, `(pkt/rcpt-none/<channel>/<seq>, 0x01)`, once the chain's latest block is
 * past the packet's timeout, and never for a packet it delivered (relayers/paths/substrate/
 * DELIVERY.md). The client reads the keeper's absence question as membership of that record, as the
 * `evm` client reads it as a clear Gateway receipt bit (evm/gateway-records.ts).
 */
import { type Bytes, concat, utf8 } from '../../crypto/bytes.ts';

export const RECEIPT_NONE_PREFIX = 'pkt/rcpt-none/';
/** The value of a timeout record: the writers say "never received, never will be". */
export const RECEIPT_NONE_VALUE = Uint8Array.of(1);

/** The timeout record's key of a packet: `pkt/rcpt-none/<channel>/<seq>`. */
export const receiptNoneKey = (ch: string, seq: number): Bytes => utf8(`${RECEIPT_NONE_PREFIX}${ch}/${seq}`);

const RECEIPT_PREFIX = utf8('pkt/rcpt/');
/** `pkt/rcpt/<channel>/<seq>`, read byte for byte (latin1: one char a byte). */
const RECEIPT_KEY = /^pkt\/rcpt\/.+\/[1-9][0-9]{0,15}$/s;

/** The timeout record that answers the absence of receipt `key` (`pkt/rcpt/<ch>/<seq>`), or null for any other key. */
export function timeoutRecordFor(key: Bytes): Bytes | null {
  if (!RECEIPT_KEY.test(Buffer.from(key).toString('latin1'))) return null;
  // the same channel and sequence bytes under the record's prefix
  return concat(utf8(RECEIPT_NONE_PREFIX), key.subarray(RECEIPT_PREFIX.length));
}
