/**
 * Raw HTTP over node:net for tests that must send what no HTTP client will (unknown methods,
 * conflicting framing, NUL bytes, oversized headers, bodies that stall), and read back exactly
 * what the server wrote and whether it closed the connection.
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  text: string;
  /** The server closed the connection (after answering, or without answering). */
  closed: boolean;
}

/** Resolves when one whole response arrived (by content-length) and, if `waitClose`, the server closed; or at `timeoutMs`. */
export function rawRequest(port: number, parts: (string | Buffer)[], opts: { waitClose?: boolean; timeoutMs?: number; gapMs?: number } = {}): Promise<RawResponse & { socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let closed = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...parseResponse(data.toString('latin1')), closed, socket });
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 10_000);
    socket.on('error', () => undefined); // a reset after the answer is part of what we observe
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (!opts.waitClose && complete(data.toString('latin1'))) finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', async () => {
      try {
        for (const p of parts) {
          if (socket.destroyed) break;
          socket.write(p);
          if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
        }
      } catch (e) {
        reject(e);
      }
    });
  });
}

function complete(s: string): boolean {
  const end = s.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(s.slice(0, end));
  return m !== null && s.length - end - 4 >= Number(m[1]);
}

function parseResponse(s: string): RawResponse {
  const end = s.indexOf('\r\n\r\n');
  const head = end < 0 ? s : s.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const text = end < 0 ? '' : Buffer.from(s.slice(end + 4), 'latin1').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, json, text, closed: false };
}

/** A GET request line and headers. */
export const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;
