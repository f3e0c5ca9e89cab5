/**
 * The load side of bench:rpc-load, run as its own process: floods one node's RPC for a while with
 * reads, proof queries and hostile traffic, at full speed, and prints one JSON line of counts.
 *
 *   node --import tsx test/bench/rpc-flood.ts '{"url": "...", "seconds": 30, ...}'
 *
 * Traffic: `connections` keep-alive request loops of reads (status, blocks, headers, validators,
 * accounts) and state proofs at recent heights; `deepBodies` loops posting deeply nested JSON
 * bodies (one 10 MB, then ones just under the transaction route's limit); `slowBodies` sockets that
 * declare a body and send one byte a second; `gapLoops` loops posting signed transactions from many
 * accounts far above their nonce (a nonce gap).
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { signTx, type SignedTx } from '../../hub-chain/app/tx.ts';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';

interface FloodOptions {
  url: string;
  chainId: string;
  seconds: number;
  connections: number;
  deepBodies: number;
  slowBodies: number;
  gapLoops: number;
  gapAccounts: number;
}

const o = JSON.parse(process.argv[2]) as FloodOptions;
const u = new URL(o.url);
const agent = new Agent({ keepAlive: true, maxSockets: o.connections + o.deepBodies + o.gapLoops + 4 });
const counts: Record<string, number> = {};
const statuses: Record<string, number> = {};
const bump = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);
const end = Date.now() + o.seconds * 1000;
let latest = 1;

function call(method: string, path: string, body?: string, kind = 'read'): Promise<void> {
  return new Promise((resolve) => {
    const req = request({ host: u.hostname, port: u.port, path, method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        bump(counts, kind);
        bump(statuses, String(res.statusCode));
        if (path === '/status' && res.statusCode === 200) {
          try {
            latest = JSON.parse(Buffer.concat(chunks).toString()).latestHeight || latest;
          } catch {
            // a partial answer: keep the last height
          }
        }
        resolve();
      });
      res.on('error', () => resolve());
    });
    req.on('error', () => {
      bump(counts, `${kind}_error`);
      resolve();
    });
    req.end(body);
  });
}

const readPaths = (i: number): string => {
  const h = Math.max(1, latest - (i % 5));
  switch (i % 6) {
    case 0:
      return '/status';
    case 1:
      return `/blocks/${h}`;
    case 2:
      return `/headers/${h}`;
    case 3:
      return `/validators?height=${h}`;
    case 4:
      return `/accounts/0x${(i % 256).toString(16).padStart(40, '0')}`;
    default:
      return `/state?keyText=${encodeURIComponent(`acc/0x${(i % 97).toString(16).padStart(40, '0')}`)}&height=${h}&prove=true`;
  }
};

async function readLoop(id: number): Promise<void> {
  for (let i = id; Date.now() < end; i += 7) await call('GET', readPaths(i), undefined, i % 6 === 5 ? 'proof' : 'read');
}

const deep = (bytes: number) => '['.repeat(bytes / 2) + ']'.repeat(bytes / 2);
async function deepLoop(id: number): Promise<void> {
  const big = deep(10 * 1024 * 1024);
  const small = deep(1_900_000);
  for (let i = 0; Date.now() < end; i++) await call('POST', i === 0 && id === 0 ? '/txs' : '/txs', i === 0 ? big : small, 'deep');
}

function slowBody(): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(`POST /txs HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{`);
      const t = setInterval(() => {
        if (Date.now() > end) {
          clearInterval(t);
          s.destroy();
        } else s.write(' ');
      }, 1000);
      s.on('close', () => {
        clearInterval(t);
        bump(counts, 'slow_closed');
        resolve();
      });
    });
    s.on('data', (d) => bump(statuses, `slow:${d.toString().split(' ')[1]}`));
    s.on('error', () => resolve());
  });
}
async function slowLoop(): Promise<void> {
  while (Date.now() < end) await slowBody();
}

async function gapLoop(txs: SignedTx[], id: number): Promise<void> {
  for (let i = id; Date.now() < end; i += o.gapLoops) await call('POST', '/txs', JSON.stringify(txs[i % txs.length]), 'gap_tx');
}

async function main(): Promise<void> {
  const keys = Array.from({ length: o.gapAccounts }, () => generateAccountKey());
  const gapTxs = keys.flatMap((k) => [5, 6, 7, 40, 1000].map((nonce) => signTx({ chainId: o.chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: toHex(utf8('gap')), value: '0x01' }] }] }, k)));
  const t0 = Date.now();
  await Promise.all([
    ...Array.from({ length: o.connections }, (_, i) => readLoop(i)),
    ...Array.from({ length: o.deepBodies }, (_, i) => deepLoop(i)),
    ...Array.from({ length: o.slowBodies }, () => slowLoop()),
    ...Array.from({ length: o.gapLoops }, (_, i) => gapLoop(gapTxs, i)),
  ]);
  const secs = (Date.now() - t0) / 1000;
  const answered = Object.entries(counts).filter(([k]) => !k.endsWith('_error') && k !== 'slow_closed').reduce((a, [, n]) => a + n, 0);
  process.stdout.write(JSON.stringify({ seconds: secs, answered, perSecond: Math.round(answered / secs), counts, statuses }) + '\n');
  agent.destroy();
}

void main();
