/**
 * RPC load must not starve consensus: four validator processes, and one of them flooded for
 * ~20 s with reads and proof queries over many keep-alive connections (rate limit off, so the
 * flood is really served), ~10 MB deeply nested JSON bodies and bodies that stall. The chain keeps
 * committing, the flooded validator keeps up with the others, and all agree on the blocks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { paths } from '../../hub-chain/node/config.ts';
import { Testnet } from './harness.ts';

const FLOOD_MS = 12_000;
const READ_CONNECTIONS = 150;
const DEEP_SENDERS = 3;
const STALLED = 20;

interface Tally {
  ok: number;
  refused: Record<string, number>;
  failed: number;
}

/** One HTTP exchange on the shared keep-alive agent; resolves with the status and error code, never rejects. */
function exchange(agent: Agent, port: number, method: string, path: string, body?: Buffer): Promise<{ status: number; code?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let code: string | undefined;
        if ((res.statusCode ?? 0) >= 400) {
          try {
            code = JSON.parse(Buffer.concat(chunks).toString()).error?.code;
          } catch {
            code = 'unparsable';
          }
        }
        resolve({ status: res.statusCode ?? 0, code });
      });
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('error', () => resolve({ status: 0 }));
    req.end(body);
  });
}

function count(t: Tally, r: { status: number; code?: string }): void {
  if (r.status === 0) t.failed++;
  else if (r.status < 400) t.ok++;
  else t.refused[r.code ?? String(r.status)] = (t.refused[r.code ?? String(r.status)] ?? 0) + 1;
}

/** Reads and proofs at random committed heights, back to back on one connection of the agent. */
async function readLoop(agent: Agent, port: number, latest: () => number, until: number, t: Tally): Promise<void> {
  const paths = [
    () => '/status',
    () => '/blocks/latest',
    () => `/blocks/${1 + Math.floor(Math.random() * latest())}`,
    () => `/state?keyText=flood/${Math.floor(Math.random() * 1000)}&prove=true&height=${1 + Math.floor(Math.random() * latest())}`,
    () => `/state?keyText=flood/${Math.floor(Math.random() * 1000)}&prove=true`,
    () => '/validators',
    () => `/accounts/0x${Math.floor(Math.random() * 1e9).toString(16).padStart(40, '0')}`,
  ];
  while (Date.now() < until) count(t, await exchange(agent, port, 'GET', paths[Math.floor(Math.random() * paths.length)]()));
}

async function deepLoop(port: number, until: number, t: Tally): Promise<void> {
  const n = 5 * 1024 * 1024;
  const deep = Buffer.from(`{"txs":${'['.repeat(n)}${']'.repeat(n)}}`); // ~10 MB
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // both submission routes: the batch route reads the body and refuses its depth, /txs refuses its size
  for (let i = 0; Date.now() < until; i++) count(t, await exchange(agent, port, 'POST', i % 2 ? '/txs' : '/txs/batch', deep));
  agent.destroy();
}

/** A body that declares 1 MB, sends a few bytes and stalls; reopened each time the node cuts it. */
async function stalledLoop(port: number, until: number, t: Tally): Promise<void> {
  while (Date.now() < until) {
    const answer = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"body":'));
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
      setTimeout(() => s.destroy(), Math.max(0, until - Date.now()) + 1000).unref();
    });
    const code = /"code":"([A-Z_]+)"/.exec(answer)?.[1];
    if (code) t.refused[code] = (t.refused[code] ?? 0) + 1;
  }
}

describe('RPC flood against one of four validator processes', () => {
  let net: Testnet;
  let port: number;

  beforeAll(async () => {
    net = await Testnet.create(4);
    const f = paths(net.homes[0]).config;
    const cfg = JSON.parse(readFileSync(f, 'utf8'));
    // no rate limit: the flood is served, not refused; short request timeout: stalled bodies are cut within the flood
    Object.assign(cfg.rpc, { rateLimitPerSec: 0, headersTimeoutMs: 3000, requestTimeoutMs: 4000 });
    writeFileSync(f, JSON.stringify(cfg, null, 2));
    port = Number(new URL(net.rpcUrls[0]).port);
    await net.startAll();
    try {
      await Promise.all(net.clients.map((c) => c.waitForHeight(3, 90_000)));
    } catch (e) {
      // say why (a node that exited, a port taken) rather than only that height 3 never came
      const tails = net.homes.map((_, i) => `node${i} running=${net.running(i)}\n${net.log(i).split('\n').slice(-8).join('\n')}`);
      throw new Error(`testnet did not start: ${(e as Error).message}\n${tails.join('\n')}`);
    }
  });
  afterAll(async () => {
    await net?.destroy();
  });

  it('behavior: the chain keeps committing and the flooded validator stays within a few blocks of the others', async () => {
    const watch = net.rpcUrls.map((u) => new HubClient(u, 15_000));
    const heights = async () => Promise.all(watch.map((c) => c.status().then((s) => s.latestHeight)));
    const start = await heights();
    let latest = Math.min(...start);
    const until = Date.now() + FLOOD_MS;
    const reads: Tally = { ok: 0, refused: {}, failed: 0 };
    const hostile: Tally = { ok: 0, refused: {}, failed: 0 };
    const agent = new Agent({ keepAlive: true, maxSockets: READ_CONNECTIONS });
    const samples: number[][] = [];
    const sampler = (async () => {
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1000));
        const h = await heights();
        samples.push(h);
        latest = Math.min(...h);
      }
    })();
    await Promise.all([
      ...Array.from({ length: READ_CONNECTIONS }, () => readLoop(agent, port, () => latest, until, reads)),
      ...Array.from({ length: DEEP_SENDERS }, () => deepLoop(port, until, hostile)),
      ...Array.from({ length: STALLED }, () => stalledLoop(port, until, hostile)),
      sampler,
    ]);
    agent.destroy();
    const end = await heights();
    const [flooded, ...others] = end;
    const info = {
      readsServed: reads.ok,
      readsPerSec: Math.round(reads.ok / (FLOOD_MS / 1000)),
      readsRefused: reads.refused,
      readsFailed: reads.failed,
      hostile: hostile.refused,
      blocksDuringFlood: end.map((h, i) => h - start[i]),
      worstLag: Math.max(...samples.map(([f, ...o]) => Math.max(...o) - f)),
    };
    console.info('rpc flood', JSON.stringify(info));

    expect(reads.ok, 'the flood was served').toBeGreaterThan(500);
    expect(hostile.refused.PNT_ERR_RPC_JSON_TOO_DEEP ?? 0, 'deep bodies were refused').toBeGreaterThan(0);
    expect(hostile.refused.PNT_ERR_RPC_TIMEOUT ?? 0, 'stalled bodies were cut').toBeGreaterThan(0);
    expect(Math.max(...others) - start[1], 'the chain kept committing').toBeGreaterThanOrEqual(10);
    expect(flooded - start[0], 'the flooded validator kept committing').toBeGreaterThanOrEqual(10);
    expect(Math.max(...others) - flooded, 'the flooded validator kept up').toBeLessThanOrEqual(5);

    // and they agree on what was committed
    const h = Math.min(...end);
    const hashes = await Promise.all(net.clients.map((c) => c.block(h).then((b) => b.hash)));
    expect(new Set(hashes).size).toBe(1);
  });
});
