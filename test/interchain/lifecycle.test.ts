import { afterEach, describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { readPacketStatus } from '../../hub-chain/modules/packets/keeper.ts';
import { readInbox, readOutcome } from '../../hub-chain/modules/packets/msg-app.ts';
import { channelId } from '../../hub-chain/modules/packets/types.ts';
import { type Net, makeNet, relayAll, sendMsg, sentPacket } from './setup.ts';

let net: Net;
afterEach(async () => net?.close());

const view = (c: { chain: { state: { get(k: Uint8Array): Uint8Array | undefined } } }) => ({ get: (k: Uint8Array) => c.chain.state.get(k) });

describe('packet lifecycle A -> hub -> B', () => {
  it('behavior: send, receive on the hub, deliver on B, acknowledge back to A', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const r = await a.exec([sendMsg('b', 'hello b')]);
    expect(r.code).toBe('ok');
    const p = sentPacket(r);
    expect(p).toMatchObject({ srcChain: 'a', dstChain: 'b', srcApp: 'msg', dstApp: 'msg', sequence: 1 });
    await relayAll(net);
    const inbox = readInbox(view(b), 'a', 1)!;
    expect(Buffer.from(inbox.data.slice(2), 'hex').toString()).toBe('hello b');
    expect(readOutcome(view(a), 'b', 1)).toBe('delivered');
    expect(readPacketStatus(view(net.hub), channelId(p), 1)!.state).toBe('delivered');
    expect(readPacketStatus(view(a), channelId(p), 1)!.state).toBe('acknowledged');
    expect(readPacketStatus(view(b), channelId(p), 1)!.state).toBe('received');
  });
});
