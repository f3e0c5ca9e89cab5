/**
 * Peer-link hardening on real WebSocket links over loopback: a peer that sends an oversized
 * message, a too-deeply nested one, or messages too fast is cut off; inbound links past the cap
 * are refused; a peer that stops reading is disconnected once our outbound buffer passes its hard
 * cap, and redialled. Meanwhile an honest link keeps carrying messages both ways.
 */
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { P2P, type P2PConfig, gossipBatches, peerMessageLimit } from '../../../hub-chain/node/p2p.ts';
import { type WireMessage, encodeWire } from '../../../hub-chain/node/wire.ts';
import { freeBasePort } from '../../e2e/harness.ts';

const log = pino({ level: 'silent' });
const LIMITS = { maxMessageBytes: 64 * 1024, maxInboundPeers: 3, maxMessagesPerSec: 50, maxBytesPerSec: 1024 * 1024, maxBufferedBytes: 256 * 1024 };
const cfg = (port: number, peers: string[], nodeId: string): P2PConfig => ({ host: '127.0.0.1', port, peers, nodeId, chainId: 'p2p-test', ...LIMITS });

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `p`, or a failure after `ms` (a link that is never cut fails the test promptly). */
function within<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);
}

/** A raw hostile client on `port`; resolves once open. */
async function hostile(port: number): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { maxPayload: 1024 * 1024 * 1024 });
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', () => reject(new Error('closed before open')));
  });
  return { ws, closed };
}

describe('peer links: bounds on what a peer may send', () => {
  let base: number;
  let a: P2P;
  let b: P2P;
  const gotFromB: WireMessage[] = [];
  const gotFromA: WireMessage[] = [];
  let beat: NodeJS.Timeout;
  const opened: WebSocket[] = [];

  beforeAll(async () => {
    base = await freeBasePort(2);
    a = new P2P(cfg(base, [], '0xaa'), log, () => 1);
    b = new P2P(cfg(base + 1, [`ws://127.0.0.1:${base}`], '0xbb'), log, () => 1);
    a.on('message', (m, reply) => {
      if (m.t === 'status') {
        gotFromB.push(m);
        reply({ t: 'status', node: '0xaa', height: gotFromB.length });
      }
    });
    b.on('message', (m) => {
      if (m.t === 'status') gotFromA.push(m);
    });
    await a.start();
    await b.start();
    // the honest peer talks at a modest, steady pace throughout
    beat = setInterval(() => b.broadcast({ t: 'status', node: '0xbb', height: 1 }), 50);
    await until(() => gotFromB.length > 0 && gotFromA.length > 0, 'the honest link');
  });
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });
  afterAll(async () => {
    clearInterval(beat);
    await b?.stop();
    await a?.stop();
  });

  async function expectHonestLinkAlive(): Promise<void> {
    const [fromB, fromA] = [gotFromB.length, gotFromA.length];
    await until(() => gotFromB.length >= fromB + 3 && gotFromA.length >= fromA + 3, 'more honest traffic after the attack');
    expect(b.peers()[0].connected).toBe(true);
  }

  it('error: a message over maxMessageBytes cuts the sender off', async () => {
    const h = await hostile(base);
    opened.push(h.ws);
    h.ws.send(JSON.stringify({ t: 'txs', txs: ['x'.repeat(LIMITS.maxMessageBytes + 1)] }));
    expect(await within(h.closed, 'the cut')).toBe(1009);
    expect(a.cutOff['too-large']).toBe(1);
    await expectHonestLinkAlive();
  });

  it('error: JSON nested deeper than the bound cuts the sender off before it is parsed', async () => {
    const h = await hostile(base);
    opened.push(h.ws);
    h.ws.send(`{"t":"txs","txs":${'['.repeat(1000)}${']'.repeat(1000)}}`);
    await within(h.closed, 'the cut');
    expect(a.cutOff['too-deep']).toBe(1);
    await expectHonestLinkAlive();
  });

  it('error: a peer over its message rate is cut off', async () => {
    const h = await hostile(base);
    opened.push(h.ws);
    // burst is 2 s worth (100 messages); 400 at once is far past it
    for (let i = 0; i < 400 && h.ws.readyState === WebSocket.OPEN; i++) h.ws.send(JSON.stringify({ t: 'status', node: '0xee', height: i }));
    await within(h.closed, 'the cut');
    expect(a.cutOff['too-fast']).toBe(1);
    await expectHonestLinkAlive();
  });

  it('error: a peer over its byte rate is cut off', async () => {
    const h = await hostile(base);
    opened.push(h.ws);
    const big = JSON.stringify({ t: 'txs', txs: ['y'.repeat(60 * 1024)] });
    // 1 MiB/s with a 2 MiB burst: 60 messages of 60 KiB is ~3.5 MiB at once
    for (let i = 0; i < 60 && h.ws.readyState === WebSocket.OPEN; i++) h.ws.send(big);
    await within(h.closed, 'the cut');
    expect(a.cutOff['too-fast']).toBe(2);
    await expectHonestLinkAlive();
  });

  it('error: inbound links past maxInboundPeers are refused', async () => {
    // the honest peer holds one inbound slot; two more fit, the fourth is refused
    const held = [];
    for (let i = 0; i < 2; i++) held.push(await hostile(base));
    opened.push(...held.map((h) => h.ws));
    const extra = new WebSocket(`ws://127.0.0.1:${base}`);
    extra.on('error', () => undefined);
    opened.push(extra);
    await within(new Promise((r) => extra.once('close', r)), 'the refusal');
    expect(a.cutOff['too-many-peers']).toBe(1);
    for (const h of held) expect(h.ws.readyState).toBe(WebSocket.OPEN);
    await expectHonestLinkAlive();
  });
});

/** A WebSocket endpoint that completes the handshake and then never reads again (a peer too slow to keep up). */
function stalledPeer(port: number): Promise<{ close: () => Promise<void>; connections: () => number }> {
  let n = 0;
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    n++;
    sockets.push(s);
    s.on('error', () => undefined);
    s.once('data', (d) => {
      const key = /sec-websocket-key: (.*)\r\n/i.exec(d.toString())?.[1] ?? '';
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      s.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      s.pause();
    });
  });
  const close = () =>
    new Promise<void>((r) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => r());
    });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => r({ close, connections: () => n })));
}

describe('peer links: a peer that stops reading', () => {
  it('behavior: our link to it is closed once the outbound buffer passes the hard cap, then redialled', async () => {
    const base = await freeBasePort(2);
    const stalled = await stalledPeer(base + 1);
    const a = new P2P(cfg(base, [`ws://127.0.0.1:${base + 1}`], '0xaa'), log, () => 1);
    try {
      await a.start();
      await until(() => a.peers()[0].connected, 'the link to the stalled peer');
      const msg: WireMessage = { t: 'txs', txs: [new Uint8Array(60 * 1024).fill(7)] };
      // kernel buffers absorb a few MB first; after that the link's own buffer grows past 256 KiB
      for (let i = 0; i < 2000 && a.cutOff['slow-reader'] === 0; i++) a.broadcast(msg);
      expect(a.cutOff['slow-reader']).toBe(1);
      await until(() => stalled.connections() >= 2, 'the redial');
    } finally {
      await a.stop();
      await stalled.close();
    }
  });
});

describe('peer message limits follow the chain', () => {
  it('behavior: the message limit fits a few full blocks in base64, and gossip batches stay under it', () => {
    const limit = peerMessageLimit(4 * 1024 * 1024);
    expect(limit).toBeGreaterThan(4 * Math.ceil((4 * 1024 * 1024 * 4) / 3));
    expect(limit).toBeLessThan(128 * 1024 * 1024);
    const txs = Array.from({ length: 5000 }, (_, i) => new Uint8Array(i % 7 === 0 ? 40_000 : 300).fill(i & 255));
    const batches = gossipBatches(txs, 1024 * 1024);
    const flat = batches.flat();
    expect(flat.length).toBe(txs.length);
    expect(flat.every((t, i) => t === txs[i])).toBe(true);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(2000);
      expect(encodeWire({ t: 'txs', txs: b }).length).toBeLessThan(1024 * 1024 + 64);
    }
  });
});
