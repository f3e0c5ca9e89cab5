/**
 * RpcEndpoint.proveStates against a node that answers a batch of proven reads wrongly: another
 * height, or fewer proofs than keys. Nothing it says is trusted (the destination checks every
 * proof), but a mismatched answer must not pair a proof with the wrong key: the read fails with
 * PNT_ERR_RELAY_BAD_ANSWER, retryable. A loopback server stands in for the lying node.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../hub-chain/crypto/bytes.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';

let server: Server;
let url = '';
let answer: (body: { keys: string[]; height: number }) => unknown = () => ({});
const asked: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { keys: string[]; height: number };
      asked.push(body.keys.length);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer(body)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const proof = { siblings: [], leaf: null };
const keys = Array.from({ length: 300 }, (_, i) => utf8(`k${i}`));

describe('RpcEndpoint.proveStates', () => {
  it('behavior: asks 256 keys per request at most and returns one answer per key, in order', async () => {
    asked.length = 0;
    answer = (b) => ({ height: b.height, root: '0x00', values: b.keys.map((k) => k), proofs: b.keys.map(() => proof) });
    const out = await new RpcEndpoint('side', url).proveStates(keys, 7);
    expect(asked.sort((a, b) => a - b)).toEqual([44, 256]);
    expect(out.map((o) => Buffer.from(o.value!).toString())).toEqual(keys.map((k) => Buffer.from(k).toString()));
  });

  it.each([
    ['another height', (b: { keys: string[]; height: number }) => ({ height: b.height + 1, root: '0x00', values: b.keys.map(() => null), proofs: b.keys.map(() => proof) })],
    ['a proof missing', (b: { keys: string[]; height: number }) => ({ height: b.height, root: '0x00', values: b.keys.map(() => null), proofs: b.keys.slice(1).map(() => proof) })],
    ['a value missing', (b: { keys: string[]; height: number }) => ({ height: b.height, root: '0x00', values: b.keys.slice(1).map(() => null), proofs: b.keys.map(() => proof) })],
  ])('error: an answer with %s fails with PNT_ERR_RELAY_BAD_ANSWER (retryable)', async (_name, bad) => {
    answer = bad;
    const e = await new RpcEndpoint('side', url).proveStates(keys.slice(0, 3), 7).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PontisError);
    expect((e as PontisError).code).toBe('PNT_ERR_RELAY_BAD_ANSWER');
    expect((e as PontisError).retryable).toBe(true);
  });
});
