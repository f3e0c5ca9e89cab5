/**
 * Endpoint health and selection (relayers/paths/endpoint-set.ts): the pure rule as a table, the
 * set's routing over fake probes, and the Pontis failover client against small HTTP servers
 * (one of them gone) standing in for nodes.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { EndpointSet, type EndpointProbe, type ProbeResult, judgeEndpoints } from '../../../relayers/paths/endpoint-set.ts';
import { FailoverHubClient, pontisProbe } from '../../../relayers/paths/pontis/failover-client.ts';
import { FailoverJsonRpc } from '../../../relayers/paths/evm/failover-rpc.ts';
import type { NodeStatus } from '../../../hub-chain/rpc-client/client.ts';
import { freePort } from '../../support/ports.ts';

const ok = (height: number, more: Partial<EndpointProbe> = {}): EndpointProbe => ({ height, ...more });

describe('judgeEndpoints', () => {
  const cases: { name: string; probes: ProbeResult[]; healthy: boolean[]; reasons?: (string | null)[]; lags?: (number | null)[] }[] = [
    { name: 'all at the tip', probes: [ok(100), ok(100)], healthy: [true, true], lags: [0, 0] },
    { name: 'one down', probes: [{ error: 'connect ECONNREFUSED' }, ok(100)], healthy: [false, true], reasons: ['down: connect ECONNREFUSED', null] },
    { name: 'one catching up, though at the tip', probes: [ok(100, { catchingUp: true }), ok(100)], healthy: [false, true], reasons: ['catching up', null] },
    { name: 'lagging by exactly the bound is still healthy', probes: [ok(95), ok(100)], healthy: [true, true], lags: [5, 0] },
    { name: 'lagging past the bound', probes: [ok(94), ok(100)], healthy: [false, true], reasons: ['6 blocks behind (max 5)', null], lags: [6, 0] },
    { name: 'a lone endpoint behind what its own peers report', probes: [ok(50, { peerHeight: 80 })], healthy: [false], lags: [30] },
    { name: 'a lone endpoint a block behind its peers', probes: [ok(79, { peerHeight: 80 })], healthy: [true], lags: [1] },
    { name: 'never probed counts as healthy', probes: [undefined, ok(10)], healthy: [true, true], lags: [null, 0] },
    { name: 'every endpoint down', probes: [{ error: 'a' }, { error: 'b' }], healthy: [false, false] },
  ];
  for (const tc of cases) {
    it(`behavior: ${tc.name}`, () => {
      const v = judgeEndpoints(tc.probes, 5);
      expect(v.map((x) => x.healthy)).toEqual(tc.healthy);
      if (tc.reasons) expect(v.map((x) => x.reason)).toEqual(tc.reasons);
      if (tc.lags) expect(v.map((x) => x.lag)).toEqual(tc.lags);
    });
  }
});

/** A set over named fake endpoints whose probe answers come from `state` (mutable). */
function fakeSet(state: Record<string, EndpointProbe | Error>, maxLagBlocks = 5) {
  return new EndpointSet(
    'dept-a',
    Object.keys(state).map((name) => ({ url: `http://${name}.example:26657`, client: name })),
    async (name) => {
      const s = state[name];
      if (s instanceof Error) throw s;
      return s;
    },
    { maxLagBlocks, probeIntervalMs: 0 },
  );
}

describe('EndpointSet', () => {
  it('behavior: reads go to the healthy endpoints in turn; submissions to the first healthy one', async () => {
    const set = fakeSet({ a: ok(100), b: ok(100), c: ok(90) });
    await set.probeAll();
    expect(Array.from({ length: 4 }, () => set.reader())).toEqual(['a', 'b', 'a', 'b']);
    expect(set.writer()).toBe('a');
    expect(set.status().map((s) => [s.endpoint, s.up, s.lag, s.submitting])).toEqual([
      ['http://a.example:26657', true, 0, true],
      ['http://b.example:26657', true, 0, false],
      ['http://c.example:26657', false, 10, false],
    ]);
  });

  it('behavior: submissions fail over when the first endpoint goes down, and move back when it recovers', async () => {
    const state: Record<string, EndpointProbe | Error> = { a: ok(100), b: ok(100) };
    const set = fakeSet(state);
    await set.probeAll();
    expect(set.writer()).toBe('a');
    set.markDown('a', 'connect ECONNREFUSED');
    expect(set.writer()).toBe('b');
    expect(set.reader()).toBe('b');
    state.a = new Error('connect ECONNREFUSED');
    await set.probeAll();
    expect(set.writer()).toBe('b');
    expect(set.status()[0].errors).toBe(2);
    // back, but still catching up: not yet
    state.a = ok(100, { catchingUp: true });
    await set.probeAll();
    expect(set.writer()).toBe('b');
    state.a = ok(101);
    state.b = ok(101);
    await set.probeAll();
    expect(set.writer()).toBe('a');
  });

  it('behavior: a call that failed on one endpoint is retried on the highest other healthy one', async () => {
    const set = fakeSet({ a: ok(100), b: ok(98), c: ok(101), d: ok(101, { catchingUp: true }) });
    await set.probeAll();
    expect(set.fallback('a')).toBe('c');
    expect(set.fallback('c')).toBe('a');
  });

  it('behavior: not ready only when no endpoint is healthy, naming why for each', async () => {
    const state: Record<string, EndpointProbe | Error> = { a: ok(100, { catchingUp: true }), b: new Error('connect ECONNREFUSED') };
    const set = fakeSet(state);
    await set.probeAll();
    expect(set.readiness()).toEqual({ ok: false, reason: 'no healthy endpoint: http://a.example:26657 catching up; http://b.example:26657 down: connect ECONNREFUSED' });
    // with nothing healthy, calls still go somewhere: the endpoint that answers
    expect(set.writer()).toBe('a');
    state.b = ok(100);
    await set.probeAll();
    expect(set.readiness()).toEqual({ ok: true, reason: null });
  });

  it('error: a probe that does not answer in time counts as down', async () => {
    const set = new EndpointSet('dept-a', [{ url: 'http://slow.example', client: 'slow' }], () => new Promise<EndpointProbe>(() => undefined), { maxLagBlocks: 5, probeIntervalMs: 0, probeTimeoutMs: 50 });
    await set.probeAll();
    expect(set.readiness().reason).toMatch(/down: no answer within 50 ms/);
  });
});

describe('FailoverHubClient', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  /** A stand-in node: answers /status with `height` and any other GET with its name. */
  async function node(name: string, height: number, catchingUp = false): Promise<string> {
    const port = await freePort();
    const s = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/status') res.end(JSON.stringify({ chainId: 'dept-a', latestHeight: height, catchingUp, peers: [] } as Partial<NodeStatus>));
      else res.end(JSON.stringify({ name }));
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${port}`;
  }

  it('behavior: a node that cannot be reached is skipped for reads and submissions; a syncing node is skipped too', async () => {
    const gone = `http://127.0.0.1:${await freePort()}`;
    const [syncing, good] = await Promise.all([node('syncing', 100, true), node('good', 100)]);
    const c = new FailoverHubClient('dept-a', [gone, syncing, good], { maxLagBlocks: 5, probeIntervalMs: 0 });
    // before any probe every endpoint is tried: the gone one fails and the call goes elsewhere
    expect(((await c.get<{ name: string }>('/anything')).name)).toMatch(/^(syncing|good)$/);
    await c.endpoints.probeAll();
    for (let i = 0; i < 3; i++) expect((await c.get<{ name: string }>('/state?key=0x01')).name).toBe('good');
    expect((await c.get<{ name: string }>('/accounts/0x00')).name).toBe('good');
    expect(c.endpoints.status().map((s) => [s.up, s.reason])).toEqual([
      [false, expect.stringMatching(/^down: /)],
      [false, 'catching up'],
      [true, null],
    ]);
    c.close();
  });

  it('behavior: the probe reads height, catching-up and the connected peers\u2019 best height from /status', () => {
    const s = { latestHeight: 10, catchingUp: false, peers: [{ url: 'ws://x', height: 40, connected: true }, { url: 'ws://y', height: 90, connected: false }] } as NodeStatus;
    expect(pontisProbe(s)).toEqual({ height: 10, catchingUp: false, peerHeight: 40 });
  });
});

describe('FailoverJsonRpc', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
  /** A stand-in EVM node: eth_blockNumber answers `height`, anything else its name (single calls and batches). */
  async function evmNode(name: string, height: number): Promise<string> {
    const port = await freePort();
    const s = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const answer = (r: { id: number; method: string }) => ({ jsonrpc: '2.0', id: r.id, result: r.method === 'eth_blockNumber' ? `0x${height.toString(16)}` : name });
        const q = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(Array.isArray(q) ? q.map(answer) : answer(q)));
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${port}`;
  }

  it('behavior: lag is judged by block number; reads and transactions avoid a node that is gone or too far behind', async () => {
    const gone = `http://127.0.0.1:${await freePort()}`;
    const [behind, good] = await Promise.all([evmNode('behind', 90), evmNode('good', 100)]);
    const rpc = new FailoverJsonRpc('evm-a', [gone, behind, good], { maxLagBlocks: 5, probeIntervalMs: 0, timeoutMs: 2000 });
    await rpc.endpoints.probeAll();
    expect(rpc.endpoints.status().map((e) => [e.up, e.lag])).toEqual([
      [false, null],
      [false, 10],
      [true, 0],
    ]);
    expect(await Promise.all([rpc.send('eth_getStorageAt', []), rpc.send('eth_call', [])])).toEqual(['good', 'good']);
    expect(await rpc.send('eth_sendRawTransaction', ['0x00'])).toBe('good');
    expect(rpc.endpoints.readiness().ok).toBe(true);
    rpc.close();
  });

  it('behavior: a read of a given block goes to a node known to hold it, though a slightly lagging node is healthy', async () => {
    const [near, tip] = await Promise.all([evmNode('near', 97), evmNode('tip', 100)]);
    const rpc = new FailoverJsonRpc('evm-a', [near, tip], { maxLagBlocks: 5, probeIntervalMs: 0 });
    await rpc.endpoints.probeAll();
    expect(rpc.endpoints.status().map((e) => e.up)).toEqual([true, true]);
    const logs = await Promise.all(Array.from({ length: 4 }, () => rpc.send('eth_getLogs', [{ fromBlock: '0x60', toBlock: '0x63' }])));
    expect(logs).toEqual(['tip', 'tip', 'tip', 'tip']);
    const latest = await Promise.all(Array.from({ length: 4 }, () => rpc.send('eth_getStorageAt', ['0x00', '0x00', 'latest'])));
    expect(new Set(latest)).toEqual(new Set(['near', 'tip']));
    rpc.close();
  });
});
