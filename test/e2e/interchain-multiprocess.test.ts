/**
 * Two side-chains and the hub as separate validator processes on loopback: a message goes
 * side-chain A -> hub -> side-chain B and its acknowledgement comes back, every hop verified by a
 * light client, relayed over RPC by relayers/round.ts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { msgKeys } from '../../hub-chain/modules/packets/msg-app.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { relayRound } from '../../relayers/round.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { Testnet } from './harness.ts';
import { registerPontisChain as register } from '../support/register-chain.ts';

let hub: Testnet;
let a: Testnet;
let b: Testnet;
const HUB = 'pontis-hub-1';

beforeAll(async () => {
  hub = await Testnet.create(2, { chainId: HUB });
  a = await Testnet.create(1, { chainId: 'dept-a', hubChainId: HUB });
  b = await Testnet.create(1, { chainId: 'dept-b', hubChainId: HUB });
  await Promise.all([hub, a, b].map((n) => n.startAll()));
  await Promise.all([hub, a, b].map((n) => n.clients[0].waitForHeight(2, 60_000)));
});
afterAll(async () => {
  await Promise.all([hub, a, b].map((n) => n?.destroy()));
});

it('behavior: A -> hub -> B message with its acknowledgement back on A, verified at every hop', async () => {
  await register(hub, a, 'dept-a');
  await register(hub, b, 'dept-b');
  await register(a, hub, HUB);
  await register(b, hub, HUB);

  const user = generateAccountKey();
  const sent = await a.clients[0].send(user, [{ type: 'msg/send', dstChain: 'dept-b', payload: toHex(utf8('records request #1')), timeoutTimestamp: Date.now() + 600_000 }]);
  expect(sent.result.code).toBe('ok');
  const seq = JSON.parse(sent.result.events.find((e) => e.type === 'packet/sent')!.attributes.packet).sequence as number;

  const relayer = generateAccountKey();
  const ep = { hub: new RpcEndpoint(HUB, hub.rpcUrls[0], relayer), a: new RpcEndpoint('dept-a', a.rpcUrls[0], relayer), b: new RpcEndpoint('dept-b', b.rpcUrls[0], relayer) };
  const handlers = new PontisPathHandlers(new Map(Object.values(ep).map((e) => [e.chainId, e])), HUB);
  const cursors: Record<string, Record<string, number>> = { a: {}, b: {} };
  const outcome = () => ep.a.readState(msgKeys.outcome('dept-b', seq));
  const deadline = Date.now() + 60_000;
  while ((await outcome()) === undefined && Date.now() < deadline) {
    cursors.a = (await relayRound(handlers, 'dept-a', HUB, cursors.a)).cursor;
    cursors.b = (await relayRound(handlers, 'dept-b', HUB, cursors.b)).cursor;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(Buffer.from((await outcome())!).toString()).toBe('delivered');
  const inbox = await ep.b.readState(msgKeys.inbox('dept-a', seq));
  expect(JSON.parse(Buffer.from(inbox!).toString()).data).toBe(toHex(utf8('records request #1')));
  // the README's status query, on each chain
  const id = `dept-a/msg/dept-b/msg/${seq}`;
  expect((await a.clients[0].packet(id)).status.state).toBe('acknowledged');
  expect((await hub.clients[0].packet(id)).status.state).toBe('delivered');
  expect((await b.clients[0].packet(id)).status.state).toBe('received');
});
