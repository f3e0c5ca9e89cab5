/**
 * Peer links between hub nodes over WebSocket. Each node dials every configured peer and keeps
 * the link up with backoff; it broadcasts on the links it dialled, and also on links dialled by
 * nodes it does not dial itself (a full node joining the network), and answers requests on the
 * link they came in on. Messages are authenticated by their own signatures (votes, proposals,
 * transactions, commits), so the transport needs no handshake crypto.
 */
import { EventEmitter } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { Hex } from '../crypto/bytes.ts';
import type { WireMessage } from './wire.ts';

export interface P2PConfig {
  host: string;
  port: number;
  peers: string[];
  nodeId: Hex;
  chainId: string;
  maxMessageBytes: number;
}

export interface PeerInfo {
  url: string;
  node?: Hex;
  height: number;
  connected: boolean;
}

/** Low-priority traffic (transaction gossip) is dropped rather than queued past this. */
const MAX_BUFFERED = 32 * 1024 * 1024;

export class P2P extends EventEmitter<{ message: [WireMessage, (reply: WireMessage) => void, string] }> {
  private server: WebSocketServer | undefined;
  private readonly outbound = new Map<string, { ws?: WebSocket; info: PeerInfo; timer?: NodeJS.Timeout; backoff: number }>();
  /** Links other nodes dialled, with the node id their hello gave. */
  private readonly inbound = new Map<WebSocket, { node?: Hex }>();
  private stopped = false;

  constructor(
    private readonly cfg: P2PConfig,
    private readonly log: Logger,
    private readonly heightNow: () => number,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.server = new WebSocketServer({ host: this.cfg.host, port: this.cfg.port, maxPayload: this.cfg.maxMessageBytes });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('listening', resolve);
      this.server!.once('error', reject);
    });
    this.server.on('connection', (ws, req) => {
      const from = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      this.inbound.set(ws, {});
      ws.on('message', (data) => this.handle(data, (m) => this.sendOn(ws, m), from, ws));
      ws.on('error', () => ws.terminate());
      ws.on('close', () => this.inbound.delete(ws));
    });
    for (const url of this.cfg.peers) {
      this.outbound.set(url, { info: { url, height: 0, connected: false }, backoff: 200 });
      this.dial(url);
    }
  }

  peers(): PeerInfo[] {
    return [...this.outbound.values()].map((p) => ({ ...p.info }));
  }

  /** Sends to every connected peer. `lossy` traffic is skipped on a congested link. */
  broadcast(m: WireMessage, lossy = false): void {
    const data = JSON.stringify(m);
    const reached = new Set<string>();
    const send = (ws: WebSocket) => {
      if (lossy && ws.bufferedAmount > MAX_BUFFERED) return;
      ws.send(data);
    };
    for (const p of this.outbound.values()) {
      if (p.ws?.readyState !== WebSocket.OPEN) continue;
      if (p.info.node) reached.add(p.info.node);
      send(p.ws);
    }
    for (const [ws, info] of this.inbound) {
      if (ws.readyState === WebSocket.OPEN && info.node !== undefined && !reached.has(info.node)) send(ws);
    }
  }

  /** Sends to the peer dialled at `url` (for requests), if connected. */
  sendTo(url: string, m: WireMessage): boolean {
    const p = this.outbound.get(url);
    if (p?.ws?.readyState !== WebSocket.OPEN) return false;
    p.ws.send(JSON.stringify(m));
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.outbound.values()) {
      clearTimeout(p.timer);
      p.ws?.terminate();
    }
    for (const c of this.server?.clients ?? []) c.terminate();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private dial(url: string): void {
    const p = this.outbound.get(url)!;
    if (this.stopped) return;
    const ws = new WebSocket(url, { maxPayload: this.cfg.maxMessageBytes, handshakeTimeout: 2000 });
    p.ws = ws;
    ws.on('open', () => {
      p.info.connected = true;
      p.backoff = 200;
      this.log.info({ peer: url }, 'peer connected');
      this.sendOn(ws, { t: 'hello', node: this.cfg.nodeId, chainId: this.cfg.chainId, height: this.heightNow() });
    });
    ws.on('message', (data) => this.handle(data, (m) => this.sendOn(ws, m), url));
    ws.on('error', () => undefined); // 'close' follows and schedules the redial
    ws.on('close', () => {
      if (p.info.connected) this.log.info({ peer: url }, 'peer disconnected');
      p.info.connected = false;
      if (this.stopped) return;
      p.timer = setTimeout(() => this.dial(url), p.backoff);
      p.backoff = Math.min(p.backoff * 2, 3000);
    });
  }

  private sendOn(ws: WebSocket, m: WireMessage): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
  }

  private handle(data: unknown, reply: (m: WireMessage) => void, from: string, inboundWs?: WebSocket): void {
    let m: WireMessage;
    try {
      m = JSON.parse(String(data));
    } catch {
      this.log.warn({ peer: from }, 'dropped a malformed peer message');
      return;
    }
    if (typeof m !== 'object' || m === null || typeof (m as { t?: unknown }).t !== 'string') return;
    const out = this.outbound.get(from);
    if (m.t === 'hello' || m.t === 'status') {
      if (inboundWs && typeof m.node === 'string') this.inbound.get(inboundWs)!.node = m.node;
      if (out) Object.assign(out.info, { node: m.node, height: Number(m.height) || 0 });
      else if (m.t === 'hello') reply({ t: 'hello', node: this.cfg.nodeId, chainId: this.cfg.chainId, height: this.heightNow() });
    }
    this.emit('message', m, reply, from);
  }
}
