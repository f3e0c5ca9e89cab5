/**
 * The packet lifecycle on the in-process coordinator (real chains, one clock, relaying by the
 * test through relayers/paths/pontis): delivery, acknowledgement, timeouts at the boundary, ordering,
 * replay, routes, and hostile applications.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../hub-chain/crypto/bytes.ts';
import { readPacketStatus } from '../../hub-chain/modules/packets/keeper.ts';
import { readInbox, readOutcome } from '../../hub-chain/modules/packets/msg-app.ts';
import { channelId, packetKeys, type Packet } from '../../hub-chain/modules/packets/types.ts';
import { canonicalJson } from '../../hub-chain/encoding/canonical-json.ts';
import type { PacketApp } from '../../hub-chain/modules/transfer/app-interface.ts';
import { clientUpdate, recvBatch, relayTimeouts } from '../../relayers/paths/pontis/path.ts';
import type { TestChain } from '../support/coordinator.ts';
import { type Net, makeNet, relayAll, sendMsg, sentPacket } from './setup.ts';

let net: Net;
afterEach(async () => net?.close());

const view = (c: TestChain) => ({ get: (k: Uint8Array) => c.chain.state.get(k) });
const status = (c: TestChain, p: Packet) => readPacketStatus(view(c), channelId(p), p.sequence);
const results = (r: { events: { type: string; attributes: Record<string, string> }[] }, type: string) => r.events.filter((e) => e.type === type).map((e) => e.attributes.result);

describe('packet lifecycle A -> hub -> B', () => {
  it('behavior: send, receive on the hub, deliver on B, acknowledge back to A', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const p = sentPacket(await a.exec([sendMsg('b', 'hello b')]));
    expect(p).toMatchObject({ srcChain: 'a', dstChain: 'b', srcApp: 'msg', dstApp: 'msg', sequence: 1 });
    await relayAll(net);
    const inbox = readInbox(view(b), 'a', 1)!;
    expect(Buffer.from(inbox.data.slice(2), 'hex').toString()).toBe('hello b');
    expect(readOutcome(view(a), 'b', 1)).toBe('delivered');
    expect(status(net.hub, p)!.state).toBe('delivered');
    expect(status(a, p)!.state).toBe('acknowledged');
    expect(status(b, p)!.state).toBe('received');
    // every hop recorded with heights and tx hashes
    expect(status(net.hub, p)!.steps.map((s) => s.step)).toEqual(['forwarded', 'ack']);
    // status records are canonical JSON on every chain, whether first written or updated
    for (const c of [a, net.hub, b]) {
      const raw = Buffer.from(c.chain.state.get(packetKeys.status(channelId(p), p.sequence))!).toString('utf8');
      expect(raw).toBe(canonicalJson(JSON.parse(raw)));
    }
    expect(Buffer.from(b.chain.state.get(packetKeys.status(channelId(p), p.sequence))!).toString('utf8')).toContain('"ack":{"ok":true');
  });

  it('behavior: a failing receiving app yields an error acknowledgement, not a stuck packet', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const p = sentPacket(await a.exec([sendMsg('b', '')])); // the msg app refuses empty data
    await relayAll(net);
    expect(readInbox(view(b), 'a', 1)).toBeUndefined();
    expect(readOutcome(view(a), 'b', 1)).toBe('failed:PNT_ERR_MSG_EMPTY');
    expect(status(net.hub, p)!.state).toBe('failed');
  });

  it('behavior: replaying a received packet is a no-op with no second effect', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const p = sentPacket(await a.exec([sendMsg('b', 'once')]));
    await relayAll(net, 1); // one round: A -> hub -> B, the ack not yet back
    expect(status(b, p)!.state).toBe('received');
    const hubH = await net.hub.latestHeight();
    const { value, proof } = await net.hub.proveState(utf8(`pkt/out/${channelId(p)}/1`), hubH);
    expect(value).toBeDefined(); // still committed on the hub: a valid proof exists
    const inboxBefore = b.chain.state.get(utf8(`app/msg/inbox/a/${'1'.padStart(16, '0')}`));
    const r = await b.exec([{ type: 'packets/recv', proofHeight: hubH, packets: [{ packet: p, proof }] }], b.relayerKey);
    expect(r.code).toBe('ok');
    expect(results(r, 'packet/recv/result')).toEqual(['already-received']);
    expect(b.chain.state.get(utf8(`app/msg/inbox/a/${'1'.padStart(16, '0')}`))).toEqual(inboxBefore);
    expect(status(b, p)!.steps).toHaveLength(1);
    await relayAll(net);
    expect(readOutcome(view(a), 'b', 1)).toBe('delivered');
  });
});

describe('timeouts at the boundary', () => {
  // Each case: A sends at T; the hub forwards at T+1000 (height hubH); B receives at T+2000, at B height bH+1.
  const cases = [
    { kind: 'timestamp', offset: 1, delivered: true },
    { kind: 'timestamp', offset: 0, delivered: false },
    { kind: 'timestamp', offset: -1, delivered: false },
    { kind: 'height', offset: 1, delivered: true },
    { kind: 'height', offset: 0, delivered: false },
    { kind: 'height', offset: -1, delivered: false },
  ] as const;
  for (const c of cases) {
    const label = c.offset === 1 ? 'timeout - 1' : c.offset === 0 ? 'exactly at the timeout' : 'timeout + 1';
    it(`behavior: by ${c.kind}, receive at ${label}: ${c.delivered ? 'delivered' : 'refused, then timed out and refunded once'}`, async () => {
      net = await makeNet(['a', 'b']);
      const { a, b } = net.spokes;
      const receiveTime = net.clock.now() + 3000;
      const receiveHeight = (await b.latestHeight()) + 1;
      const msg = c.kind === 'timestamp' ? sendMsg('b', 'x', { timeoutTimestamp: receiveTime + c.offset }) : { ...sendMsg('b', 'x', { timeoutHeight: receiveHeight + c.offset }), timeoutTimestamp: 0 };
      const p = sentPacket(await a.exec([msg]));
      await relayAll(net);
      const st = status(b, p);
      expect(st?.state === 'received').toBe(c.delivered);
      if (c.delivered) {
        expect(c.kind === 'timestamp' ? st!.steps[0].time : st!.steps[0].height).toBe(c.kind === 'timestamp' ? receiveTime : receiveHeight);
        expect(readOutcome(view(a), 'b', 1)).toBe('delivered');
        return;
      }
      if (c.kind === 'height' && c.offset === 0) await b.makeBlock(); // B must be at/after the timeout height
      const r = await relayTimeouts(net.hub, b, [p]);
      expect(r?.code).toBe('ok');
      expect(results(r!, 'packet/timeout/result')).toEqual(['ok']);
      await relayAll(net);
      expect(readOutcome(view(a), 'b', 1)).toBe('timed-out');
      // a second timeout attempt is a no-op, and B can never receive it now
      const again = await relayTimeouts(net.hub, b, [p]);
      expect(again).toBeNull();
      expect(await recvBatch(net.hub, b, [{ height: 0, packet: p }], await net.hub.latestHeight())).toBeNull();
    });
  }

  it('error: a timeout before the timeout has passed is refused (PNT_ERR_PACKET_NOT_TIMED_OUT)', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const p = sentPacket(await a.exec([sendMsg('b', 'x', { timeoutTimestamp: net.clock.now() + 60_000 })]));
    // relay A -> hub only
    await relayAll(net, 1);
    const bh = await b.latestHeight();
    const { proof } = await b.proveState(utf8(`pkt/rcpt/${channelId(p)}/1`), bh);
    const upd = await clientUpdate(b, net.hub, bh);
    const r = await net.hub.exec([...(upd ? [upd] : []), { type: 'packets/timeout', proofHeight: bh, packets: [{ packet: p, proof }] }], net.hub.relayerKey);
    expect(results(r, 'packet/timeout/result')).toContain('PNT_ERR_PACKET_NOT_TIMED_OUT');
  });

  it('behavior: a packet the hub never received times out on the source against the hub clock', async () => {
    net = await makeNet(['a', 'b']);
    const { a } = net.spokes;
    const p = sentPacket(await a.exec([sendMsg('b', 'x', { timeoutTimestamp: net.clock.now() + 2500 })]));
    net.clock.advance(5000);
    await net.hub.makeBlock(); // the hub's clock passes the timeout without ever seeing the packet
    const r = await relayTimeouts(a, net.hub, [p]);
    expect(results(r!, 'packet/timeout/result')).toEqual(['ok']);
    expect(readOutcome(view(a), 'b', 1)).toBe('timed-out');
    // the hub now refuses it
    const late = await recvBatch(a, net.hub, [{ height: 0, packet: p }], await a.latestHeight());
    expect(late).toBeNull(); // A deleted its commitment
  });
});

describe('ordered channels', () => {
  it('behavior: a missing sequence holds later packets; they are delivered in order once it arrives', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const p1 = sentPacket(await a.exec([sendMsg('b', 'one', { ordered: true })]));
    const p2 = sentPacket(await a.exec([sendMsg('b', 'two', { ordered: true })]));
    expect([p1.sequence, p2.sequence]).toEqual([1, 2]);
    // deliver only #2 to the hub first
    const h = await a.latestHeight();
    const upd = await clientUpdate(a, net.hub, h);
    const only2 = (await recvBatch(a, net.hub, [{ height: h, packet: p2 }], h))!;
    const r = await net.hub.exec([upd!, only2], net.hub.relayerKey);
    expect(results(r, 'packet/recv/result')).toEqual(['PNT_ERR_PACKET_OUT_OF_ORDER']);
    expect(status(net.hub, p2)).toBeUndefined();
    await relayAll(net);
    expect(readInbox(view(b), 'a', 1)!.height).toBeLessThanOrEqual(readInbox(view(b), 'a', 2)!.height);
    expect(readOutcome(view(a), 'b', 2)).toBe('delivered');
  });

  it('error: a channel keeps the ordering its first packet chose', async () => {
    net = await makeNet(['a', 'b']);
    const { a } = net.spokes;
    await a.exec([sendMsg('b', 'one', { ordered: true })]);
    const r = await a.exec([sendMsg('b', 'two', { ordered: false })]);
    expect(r.code).toBe('PNT_ERR_PACKET_ORDERING');
  });
});

describe('routes and policy', () => {
  it('error: a packet to an unregistered chain is refused at the hub (after its proof checks) with an error ack back to the source', async () => {
    net = await makeNet(['a', 'b']);
    const { a } = net.spokes;
    const p = sentPacket(await a.exec([sendMsg('nowhere', 'x')]));
    await relayAll(net);
    expect(status(net.hub, p)!.state).toBe('failed');
    expect(readOutcome(view(a), 'nowhere', 1)).toBe('failed:PNT_ERR_CHAIN_UNKNOWN');
  });

  it('error: a paused route refuses packets until resumed; a route not in the registry too', async () => {
    net = await makeNet(['a', 'b', 'c'], { hubRoutes: { a: ['b'] } });
    const { a, b, c } = net.spokes;
    expect((await net.hub.govern({ kind: 'registry/pause-route', srcChain: 'a', dstChain: 'b' })).code).toBe('ok');
    const p = sentPacket(await a.exec([sendMsg('b', 'paused')]));
    const h = await a.latestHeight();
    const upd = await clientUpdate(a, net.hub, h);
    const r = await net.hub.exec([upd!, (await recvBatch(a, net.hub, [{ height: h, packet: p }], h))!], net.hub.relayerKey);
    expect(results(r, 'packet/recv/result')).toEqual(['PNT_ERR_ROUTE_PAUSED']);
    const pc = sentPacket(await a.exec([sendMsg('c', 'not a route')]));
    const h2 = await a.latestHeight();
    const r2 = await net.hub.exec([(await clientUpdate(a, net.hub, h2))!, (await recvBatch(a, net.hub, [{ height: h2, packet: pc }], h2))!], net.hub.relayerKey);
    expect(results(r2, 'packet/recv/result')).toEqual(['PNT_ERR_ROUTE_UNKNOWN']); // refused for good: error ack to A
    expect((await net.hub.govern({ kind: 'registry/resume-route', srcChain: 'a', dstChain: 'b' })).code).toBe('ok');
    await relayAll(net);
    expect(readOutcome(view(a), 'b', 1)).toBe('delivered');
    expect(readOutcome(view(a), 'c', 1)).toBe('failed:PNT_ERR_ROUTE_UNKNOWN');
    expect(readInbox(view(c), 'a', 1)).toBeUndefined();
    expect(readInbox(view(b), 'a', 1)).toBeDefined();
  });

  it('error: a paused source chain is refused', async () => {
    net = await makeNet(['a', 'b']);
    const { a } = net.spokes;
    await net.hub.govern({ kind: 'registry/pause-chain', chainId: 'a' });
    const p = sentPacket(await a.exec([sendMsg('b', 'x')]));
    const h = await a.latestHeight();
    const r = await net.hub.exec([(await clientUpdate(a, net.hub, h))!, (await recvBatch(a, net.hub, [{ height: h, packet: p }], h))!], net.hub.relayerKey);
    expect(r.events.some((e) => e.type === 'packet/recv/result' && e.attributes.result === 'PNT_ERR_CHAIN_PAUSED')).toBe(true);
  });
});

describe('no inbound packet can change validators, clients, the registry or governance', () => {
  it('error: an app that tries to write protected state gets an error ack and nothing is written', async () => {
    net = await makeNet(['a', 'b']);
    const { a, b } = net.spokes;
    const hostile: PacketApp = {
      name: 'hostile',
      onRecv(env, p) {
        // msg/send wraps the data in {data, from}
        if ((JSON.parse(Buffer.from(p.payload.slice(2), 'hex').toString('utf8')) as { data: string }).data === '0x02') {
          // a forged status record only: an index record, outside the tree, but still the packet module's
          env.store.set(utf8('idx/pkt/status/a/msg/b/msg/1'), utf8('{"state":"delivered"}'));
          return '0x01';
        }
        env.store.set(utf8('val/scheduled'), utf8('[]'));
        env.store.set(utf8('gov/members'), utf8('{}'));
        return '0x01';
      },
      onAck() {},
      onTimeout() {},
    };
    b.chain.wiring.packets.registerApp(hostile);
    const vBefore = b.chain.state.get(utf8('val/scheduled'));
    const cBefore = b.chain.state.get(utf8('gov/members'));
    const r = await a.exec([{ type: 'msg/send', dstChain: 'b', dstApp: 'hostile', payload: '0x01', timeoutTimestamp: 1_900_000_000_000 }]);
    await relayAll(net);
    expect(readOutcome(view(a), 'b', sentPacket(r).sequence)).toBe('failed:PNT_ERR_PACKET_APP_WRITE_DENIED');
    expect(status(b, sentPacket(r))!.ack).toEqual({ ok: false, error: 'PNT_ERR_PACKET_APP_WRITE_DENIED' });
    expect(b.chain.state.get(utf8('val/scheduled'))).toEqual(vBefore);
    expect(b.chain.state.get(utf8('gov/members'))).toEqual(cBefore);
    const r2 = await a.exec([{ type: 'msg/send', dstChain: 'b', dstApp: 'hostile', payload: '0x02', timeoutTimestamp: 1_900_000_000_000 }]);
    await relayAll(net);
    expect(status(b, sentPacket(r2))!.ack).toEqual({ ok: false, error: 'PNT_ERR_PACKET_APP_WRITE_DENIED' });
    expect(b.chain.state.get(utf8('idx/pkt/status/a/msg/b/msg/1'))).toBeUndefined();
  });
});
