/**
 * Peer links between hub nodes over WebSocket. Each node dials every configured peer and keeps
 * the link up with backoff; it broadcasts on the links it dialled, and also on links dialled by
 * nodes it does not dial itself (a full node joining the network), and answers requests on the
 * link they came in on. Messages are authenticated by their own signatures (votes, proposals,
 * transactions, commits), so the transport needs no handshake crypto. What a link may carry is
 * bounded: inbound links are capped in number, every message in size (derived from the chain's
 * block limit) and JSON depth, every link in messages and bytes per second; a link whose
 * outbound buffer grows past a hard cap (a peer reading too slowly) is closed and redialled.
 * A peer that breaks a bound is cut off; honest links are untouched.
 */
import { EventEmitter } from 'node:events';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Logger } from 'pino';
import type { Bytes, Hex } from '../crypto/bytes.ts';
import { jsonTooDeep } from '../encoding/json-depth.ts';
import type { NodeConfig } from './config.ts';
import { TokenBucket } from './token-bucket.ts';
import { type WireMessage, encodeWire, parseBinaryHead, splitBinaryFrame } from './wire.ts';

const ZERO_MASK = (mask: Buffer): void => void mask.fill(0);

export interface P2PConfig {
  host: string;
  port: number;
  peers: string[];
  nodeId: Hex;
  chainId: string;
  maxMessageBytes: number;
  maxInboundPeers: number;
  maxMessagesPerSec: number;
  maxBytesPerSec: number;
  /** Hard cap of a link's outbound buffer. */
  maxBufferedBytes: number;
}

export interface PeerInfo {
  url: string;
  node?: Hex;
  height: number;
  connected: boolean;
}

/** Blocks one peer message may carry (a sync reply); whoever builds sync replies keeps them under peerMessageLimit. */
export const BLOCKS_PER_MESSAGE = 4;
/** JSON around a block's transactions: header, commit and last commit signatures, evidence. */
const BLOCK_OVERHEAD_BYTES = 1024 * 1024;
/** Wire messages are a few levels deep (message, consensus, proposal, block, commit, signature). */
export const MAX_PEER_JSON_DEPTH = 64;
/** Transactions per gossip message at most. */
const GOSSIP_MAX_TXS = 2000;

/** Largest wire message for a chain whose blocks hold at most `maxBlockBytes` of transactions (base64 in JSON). */
export function peerMessageLimit(maxBlockBytes: number): number {
  return BLOCKS_PER_MESSAGE * (Math.ceil(maxBlockBytes / 3) * 4 + BLOCK_OVERHEAD_BYTES);
}

/** The link settings from a node's config, with limits the config leaves unset derived from the chain's block limit. */
export function p2pConfig(cfg: NodeConfig['p2p'], node: { nodeId: Hex; chainId: string; maxBlockBytes: number }): P2PConfig {
  const maxMessageBytes = cfg.maxMessageBytes ?? peerMessageLimit(node.maxBlockBytes);
  return {
    host: cfg.host,
    port: cfg.port,
    peers: cfg.peers,
    nodeId: node.nodeId,
    chainId: node.chainId,
    maxMessageBytes,
    maxInboundPeers: cfg.maxInboundPeers,
    maxMessagesPerSec: cfg.maxMessagesPerSec,
    maxBytesPerSec: cfg.maxBytesPerSec,
    maxBufferedBytes: cfg.maxBufferedBytes ?? 4 * maxMessageBytes,
  };
}

/** Splits transactions into gossip messages that each stay under `maxBytes` of payload. */
export function gossipBatches(txs: Bytes[], maxBytes: number): Bytes[][] {
  const out: Bytes[][] = [];
  let cur: Bytes[] = [];
  let bytes = 0;
  for (const t of txs) {
    if (cur.length > 0 && (cur.length >= GOSSIP_MAX_TXS || bytes + t.length + 4 > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(t);
    bytes += t.length + 4;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** What one link has spent of its budget. */
interface LinkBudget {
  messages: TokenBucket;
  bytes: TokenBucket;
}

export class P2P extends EventEmitter<{ message: [WireMessage, (reply: WireMessage) => void, string] }> {
  private server: WebSocketServer | undefined;
  private readonly outbound = new Map<string, { ws?: WebSocket; info: PeerInfo; timer?: NodeJS.Timeout; backoff: number }>();
  /** Links other nodes dialled, with the node id their hello gave. */
  private readonly inbound = new Map<WebSocket, { from: string; node?: Hex }>();
  private stopped = false;
  private readonly cutLinks = new WeakSet<WebSocket>();
  /** Links cut for breaking a bound, by reason (for tests and logs). */
  readonly cutOff: Record<'too-large' | 'too-deep' | 'too-fast' | 'slow-reader' | 'too-many-peers', number> = { 'too-large': 0, 'too-deep': 0, 'too-fast': 0, 'slow-reader': 0, 'too-many-peers': 0 };

  constructor(
    private readonly cfg: P2PConfig,
    private readonly log: Logger,
    private readonly heightNow: () => number,
  ) {
    super();
  }

  /** Low-priority traffic (transaction gossip) is dropped rather than queued past this. */
  private get lossyBufferLimit(): number {
    return Math.min(32 * 1024 * 1024, this.cfg.maxBufferedBytes / 2);
  }

  async start(): Promise<void> {
    this.server = new WebSocketServer({ host: this.cfg.host, port: this.cfg.port, maxPayload: this.cfg.maxMessageBytes });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('listening', resolve);
      this.server!.once('error', reject);
    });
    this.server.on('connection', (ws, req) => {
      const from = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      if (this.server!.clients.size > this.cfg.maxInboundPeers) {
        this.cut(ws, from, 'too-many-peers');
        return;
      }
      this.inbound.set(ws, { from });
      ws.on('close', () => this.inbound.delete(ws));
      this.attach(ws, from);
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
    const data = encodeWire(m);
    const reached = new Set<string>();
    for (const [url, p] of this.outbound) {
      if (p.ws?.readyState !== WebSocket.OPEN) continue;
      if (p.info.node) reached.add(p.info.node);
      if (lossy && p.ws.bufferedAmount > this.lossyBufferLimit) continue;
      this.sendData(p.ws, data, url);
    }
    // nodes that dial us but that we do not dial (full nodes) hear broadcasts on their own link
    for (const [ws, link] of this.inbound) {
      if (ws.readyState !== WebSocket.OPEN || link.node === undefined || reached.has(link.node)) continue;
      if (lossy && ws.bufferedAmount > this.lossyBufferLimit) continue;
      this.sendData(ws, data, link.from);
    }
  }

  /** Gossips transactions (lossy), in messages well under the size limit. */
  broadcastTxs(txs: Bytes[]): void {
    for (const batch of gossipBatches(txs, this.cfg.maxMessageBytes / 2)) this.broadcast({ t: 'txs', txs: batch }, true);
  }

  /** Sends to the peer dialled at `url` (for requests), if connected. */
  sendTo(url: string, m: WireMessage): boolean {
    const p = this.outbound.get(url);
    if (p?.ws?.readyState !== WebSocket.OPEN) return false;
    this.sendData(p.ws, encodeWire(m), url);
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
    // A zero masking key: masking guards browsers' traffic through caching proxies (RFC 6455 10.3),
    // which node links do not cross; with it ws skips XOR-ing every byte of a ~1 MiB proposal per
    // peer on send and on receive (sending was ~5% of a validator's profile under bench:packets).
    const ws = new WebSocket(url, { maxPayload: this.cfg.maxMessageBytes, handshakeTimeout: 2000, generateMask: ZERO_MASK });
    p.ws = ws;
    ws.on('open', () => {
      p.info.connected = true;
      p.backoff = 200;
      this.log.info({ peer: url }, 'peer connected');
      this.sendOn(ws, { t: 'hello', node: this.cfg.nodeId, chainId: this.cfg.chainId, height: this.heightNow() }, url);
    });
    this.attach(ws, url);
    ws.on('close', () => {
      if (p.info.connected) this.log.info({ peer: url }, 'peer disconnected');
      p.info.connected = false;
      if (this.stopped) return;
      p.timer = setTimeout(() => this.dial(url), p.backoff);
      p.backoff = Math.min(p.backoff * 2, 3000);
    });
  }

  /** Receives on a link under its budget; an oversized message (ws enforces maxPayload) ends the link with an error. */
  private attach(ws: WebSocket, from: string): void {
    const budget: LinkBudget = {
      messages: new TokenBucket(this.cfg.maxMessagesPerSec, 2 * this.cfg.maxMessagesPerSec),
      bytes: new TokenBucket(this.cfg.maxBytesPerSec, Math.max(2 * this.cfg.maxBytesPerSec, 2 * this.cfg.maxMessageBytes)),
    };
    ws.on('message', (data, isBinary) => this.receive(ws, data, isBinary, budget, from));
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.cut(ws, from, 'too-large');
      else ws.terminate(); // 'close' follows and, on a dialled link, schedules the redial
    });
  }

  private receive(ws: WebSocket, data: RawData, isBinary: boolean, budget: LinkBudget, from: string): void {
    if (this.cutLinks.has(ws)) return; // frames that arrived with the one that broke a bound
    const size = rawSize(data);
    if (!budget.messages.take(1) || !budget.bytes.take(size)) return this.cut(ws, from, 'too-fast');
    let m: WireMessage;
    try {
      if (isBinary) {
        // transactions travel as attachments: only the small JSON head is checked and parsed
        const { head, bins } = splitBinaryFrame(toBuffer(data));
        if (jsonTooDeep(head, MAX_PEER_JSON_DEPTH)) return this.cut(ws, from, 'too-deep');
        m = parseBinaryHead(head, bins);
      } else {
        const text = String(data);
        if (jsonTooDeep(text, MAX_PEER_JSON_DEPTH)) return this.cut(ws, from, 'too-deep');
        m = JSON.parse(text);
      }
    } catch {
      this.log.warn({ peer: from }, 'dropped a malformed peer message');
      return;
    }
    if (typeof m !== 'object' || m === null || typeof (m as { t?: unknown }).t !== 'string') return;
    const out = this.outbound.get(from);
    const reply = (r: WireMessage) => this.sendOn(ws, r, from);
    if (m.t === 'hello' || m.t === 'status') {
      const link = this.inbound.get(ws);
      if (link && typeof m.node === 'string') link.node = m.node;
      if (out) Object.assign(out.info, { node: m.node, height: Number(m.height) || 0 });
      else if (m.t === 'hello') reply({ t: 'hello', node: this.cfg.nodeId, chainId: this.cfg.chainId, height: this.heightNow() });
    }
    this.emit('message', m, reply, from);
  }

  private sendOn(ws: WebSocket, m: WireMessage, peer: string): void {
    if (ws.readyState === WebSocket.OPEN) this.sendData(ws, encodeWire(m), peer);
  }

  private sendData(ws: WebSocket, data: string | Buffer, peer: string): void {
    const big = typeof data === 'string' ? data.length * 3 > this.cfg.maxMessageBytes && Buffer.byteLength(data) > this.cfg.maxMessageBytes : data.length > this.cfg.maxMessageBytes;
    if (big) {
      // the peer would cut the link for it; dropping keeps the link for everything else
      this.log.warn({ peer, bytes: data.length, limit: this.cfg.maxMessageBytes }, 'not sending a peer message over the size limit');
      return;
    }
    ws.send(data);
    if (ws.bufferedAmount > this.cfg.maxBufferedBytes) this.cut(ws, peer, 'slow-reader');
  }

  /** Ends a link that broke a bound; a dialled link is redialled by its 'close' handler. */
  private cut(ws: WebSocket, peer: string, reason: keyof P2P['cutOff']): void {
    if (this.cutLinks.has(ws)) return;
    this.cutLinks.add(ws);
    this.cutOff[reason]++;
    this.log.warn({ peer, reason }, 'cut off a peer link');
    ws.terminate();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((a, b) => a + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}
