/**
 * Admission control at the HTTP layer, below Fastify's routing: a cap on open connections, the
 * answers for requests the HTTP parser refuses or that time out (a complete response in the
 * documented error shape, then the connection closes), and a bound on header lines.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { type RpcCode, rawErrorResponse } from './errors.ts';

/** Requests with this many header lines or more are refused (Node silently drops lines past server.maxHeadersCount). */
export const MAX_HEADER_LINES = 256;

export interface ConnectionStats {
  open: number;
  refused: number;
}

const ANSWERED = Symbol('pontis.rpc.answered');
type MarkedSocket = Socket & { [ANSWERED]?: boolean; _httpMessage?: { headersSent?: boolean } };

/** How long a refused connection may linger so the client reads our answer before the close. */
const LINGER_MS = 2000;

/**
 * Writes one error response on a raw socket and closes it. The socket half-closes and keeps
 * reading until the client closes (or LINGER_MS): closing with unread input would send a reset,
 * and a client still writing would lose the answer.
 */
function answerAndClose(socket: MarkedSocket, code: RpcCode, message: string): void {
  if (socket[ANSWERED] || socket.destroyed) return;
  socket[ANSWERED] = true;
  socket.on('error', () => undefined); // the peer may reset while we close
  // a response already under way on this socket cannot be replaced by another one
  if (!socket.writable || socket._httpMessage?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(rawErrorResponse(code, message));
  socket.resume();
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Admits at most `max` open connections; one more gets a 503 PNT_ERR_RPC_TOO_MANY_CONNECTIONS
 * and is closed before the HTTP layer ever sees it. Wraps the server's own 'connection'
 * listeners (Node's HTTP parser attaches there), so call it before listen().
 */
export function capConnections(server: Server, max: number): ConnectionStats {
  const stats: ConnectionStats = { open: 0, refused: 0 };
  const inner = server.listeners('connection') as ((s: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    if (stats.open >= max) {
      stats.refused++;
      answerAndClose(socket, 'PNT_ERR_RPC_TOO_MANY_CONNECTIONS', `the node serves at most ${max} connections; retry later`);
      return;
    }
    stats.open++;
    socket.once('close', () => stats.open--);
    for (const l of inner) l.call(server, socket);
  });
  return stats;
}

/** Which documented code answers an error the HTTP server reports for a client's socket. */
function clientErrorCode(err: NodeJS.ErrnoException): { code: RpcCode; message: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'PNT_ERR_RPC_TIMEOUT', message: 'request headers or body did not arrive in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'PNT_ERR_RPC_HEADERS_TOO_LARGE', message: 'request headers are too large' };
    default:
      return { code: 'PNT_ERR_RPC_BAD_HTTP', message: `malformed HTTP request (${err.code ?? 'parse error'})` };
  }
}

/** Fastify's clientErrorHandler: parser errors and timeouts answer the documented shape, then close. */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = clientErrorCode(err);
  answerAndClose(socket as MarkedSocket, code, message);
}

/** How often Node checks header/request deadlines: often enough that a stalled body is cut within about a second of its deadline. */
export function connectionsCheckingInterval(headersTimeoutMs: number, requestTimeoutMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4)));
}
