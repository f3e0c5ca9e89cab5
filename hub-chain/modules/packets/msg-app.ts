/**
 * `msg`: the general cross-chain message app. A packet's payload is {from, data}; the receiver
 * keeps it in its inbox and acknowledges with the inbox position; the sender records the outcome.
 * An empty `data` is refused (an error acknowledgement), which is also how tests make a
 * receiving app fail on purpose.
 */
import { type Hex, toHex, utf8 } from '../../crypto/bytes.ts';
import { canonicalJson } from '../../encoding/canonical-json.ts';
import type { KVView } from '../../app/module.ts';
import type { PacketApp } from '../transfer/app-interface.ts';
import { type Ack, type Packet, PacketError } from './types.ts';

export const msgKeys = {
  inbox: (srcChain: string, seq: number) => utf8(`app/msg/inbox/${srcChain}/${String(seq).padStart(16, '0')}`),
  outcome: (dstChain: string, seq: number) => utf8(`app/msg/outcome/${dstChain}/${String(seq).padStart(16, '0')}`),
};

export interface MsgEnvelope {
  from: Hex;
  data: Hex;
}

function envelope(p: Packet): MsgEnvelope {
  let e: MsgEnvelope;
  try {
    e = JSON.parse(Buffer.from(p.payload.slice(2), 'hex').toString('utf8'));
  } catch {
    throw new PacketError('PNT_ERR_MSG_MALFORMED', 'payload is not a message envelope');
  }
  if (typeof e?.from !== 'string' || typeof e?.data !== 'string' || !/^0x([0-9a-f]{2})*$/.test(e.data)) throw new PacketError('PNT_ERR_MSG_MALFORMED', 'payload is not a message envelope');
  return e;
}

export const msgApp: PacketApp = {
  name: 'msg',
  onRecv(env, p) {
    const e = envelope(p);
    if (e.data === '0x') throw new PacketError('PNT_ERR_MSG_EMPTY', 'message has no data');
    env.store.set(msgKeys.inbox(p.srcChain, p.sequence), utf8(canonicalJson({ ...e, srcApp: p.srcApp, height: env.height })));
    return toHex(utf8(String(p.sequence)));
  },
  onAck(env, p, ack: Ack) {
    env.store.set(msgKeys.outcome(p.dstChain, p.sequence), utf8(ack.ok ? 'delivered' : `failed:${ack.error}`));
  },
  onTimeout(env, p) {
    env.store.set(msgKeys.outcome(p.dstChain, p.sequence), utf8('timed-out'));
  },
};

export function readInbox(s: KVView, srcChain: string, seq: number): (MsgEnvelope & { srcApp: string; height: number }) | undefined {
  const b = s.get(msgKeys.inbox(srcChain, seq));
  return b && JSON.parse(Buffer.from(b).toString('utf8'));
}
export function readOutcome(s: KVView, dstChain: string, seq: number): string | undefined {
  const b = s.get(msgKeys.outcome(dstChain, seq));
  return b && Buffer.from(b).toString('utf8');
}
