/** The README's application-developer example, run as written against a real node. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HubClient, generateAccountKey, stateKeys, toHex, utf8, verifyMembership, fromHex, type StateProof } from 'pontis/sdk';
import { initNode } from '../../hub-chain/node/init.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { freeBasePort } from './harness.ts';

let dir: string;
let node: HubNode;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pontis-sdk-'));
  const base = await freeBasePort(1);
  initNode(dir, { rpcPort: base, p2pPort: base + 1000 });
  node = HubNode.fromHome(dir, { logger: pino({ level: 'silent' }) });
  await node.start();
});
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('behavior: the README example writes a record and reads it back with a proof that verifies', async () => {
  const hub = new HubClient(node.rpcUrl);
  const me = generateAccountKey();
  const r = await hub.send(me, [{ type: 'records/put', entries: [{ key: toHex(utf8('k')), value: toHex(utf8('v')) }] }]);
  expect(r.result.code).toBe('ok');
  const s = await hub.state<StateProof>({ hex: toHex(stateKeys.record(me.address, toHex(utf8('k')))) }, { height: r.height, prove: true });
  expect(s.value).toBe(toHex(utf8('v')));
  const header = (await hub.block(r.height)).header;
  verifyMembership(header.stateRoot, stateKeys.record(me.address, toHex(utf8('k'))), fromHex(s.value!), s.proof!);
});
