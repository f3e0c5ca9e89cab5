/**
 * One HTTP exchange over node:http(s) with kept-alive connections, for the hub's RPC client and
 * the EVM JSON-RPC client. A relayer makes thousands of small calls a minute (status, state, block
 * results, eth_getLogs); through `fetch` each cost it a WHATWG request, abort signal, web stream
 * and text decoder: a fifth of a relayer's CPU under load. A call on a kept-alive socket that the
 * node closed meanwhile (a race of every keep-alive client) fails before any answer, and is sent
 * once more on a fresh socket.
 */
import http from 'node:http';
import https from 'node:https';

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

export interface HttpAnswer {
  status: number;
  text: string;
}

/** Why a call got no answer: the node was not reached (`sysCode`: the socket's error code), or did not answer in time (`timeout`). */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly timeout = false,
    readonly sysCode?: string,
  ) {
    super(message);
  }
}

export async function httpText(method: string, url: string, body: string | undefined, timeoutMs: number): Promise<HttpAnswer> {
  try {
    return await exchange(method, url, body, timeoutMs);
  } catch (e) {
    if (e instanceof StaleSocket) return exchange(method, url, body, timeoutMs);
    throw e;
  }
}

/** A reused socket closed before any answer came on it. */
class StaleSocket extends HttpFailure {}

function exchange(method: string, url: string, body: string | undefined, timeoutMs: number): Promise<HttpAnswer> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const agent = agents[u.protocol as keyof typeof agents];
  if (!agent) return Promise.reject(new HttpFailure(`unsupported protocol ${u.protocol}`));
  return new Promise<HttpAnswer>((resolve, reject) => {
    let answered = false;
    const headers: http.OutgoingHttpHeaders = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = mod.request(u, { method, headers, agent }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    const timer = setTimeout(() => req.destroy(new HttpFailure(`no answer within ${timeoutMs} ms`, true)), timeoutMs);
    function fail(e: Error) {
      clearTimeout(timer);
      const code = (e as NodeJS.ErrnoException).code;
      if (!answered && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) reject(new StaleSocket(e.message, false, code));
      else reject(e instanceof HttpFailure ? e : new HttpFailure(e.message, false, code));
    }
    req.on('error', fail);
    req.end(body);
  });
}
