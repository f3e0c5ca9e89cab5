/**
 * The `attested` client end to end: two hub validator processes observe a side-chain through its
 * RPC and vote for its finalized headers; the hub's client accepts a header once > 2/3 of hub
 * power voted it, and a packet from the side-chain is then received on the hub with a proof
 * against that attested state root.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toHex, utf8, ZERO_HASH } from '../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { paths } from '../../hub-chain/node/config.ts';
import { clientKeys } from '../../hub-chain/modules/clients/store.ts';
import { msgKeys } from '../../hub-chain/modules/packets/msg-app.ts';
import { pontisTrustRoot, proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { recvBatch } from '../../relayers/paths/pontis/path.ts';
import { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { Testnet } from './harness.ts';
import { operatorKey as operator, registerChainAction } from '../support/register-chain.ts';

let hub: Testnet;
let side: Testnet;
const HUB = 'pontis-hub-1';

beforeAll(async () => {
  hub = await Testnet.create(2, { chainId: HUB });
  side = await Testnet.create(1, { chainId: 'registry-x', hubChainId: HUB });
  for (const home of hub.homes) {
    const f = paths(home).config;
    const cfg = JSON.parse(readFileSync(f, 'utf8'));
    cfg.observers = [{ chainId: 'registry-x', kind: 'pontis', rpc: side.rpcUrls[0], intervalMs: 200, stride: 2 }];
    writeFileSync(f, JSON.stringify(cfg, null, 2));
  }
  await Promise.all([hub.startAll(), side.startAll()]);
  await Promise.all([hub.clients[0].waitForHeight(2, 60_000), side.clients[0].waitForHeight(2, 60_000)]);
});
afterAll(async () => {
  await Promise.all([hub?.destroy(), side?.destroy()]);
});

it('behavior: hub validators attest a side-chain; a packet is received against the attested state root', async () => {
  // register on the hub as `attested`, trusting the side-chain's current header
  const sideRoot = await pontisTrustRoot(side.clients[0], 'registry-x');
  const action = registerChainAction({ chainId: 'registry-x', clientType: 'attested', clientParams: { trustingPeriodMs: 3600_000, maxClockDriftMs: 10_000, proofKind: 'pontis-smt' }, clientInitial: { ...sideRoot.attested, receiptsRoot: ZERO_HASH } });
  expect((await proposeAndPass(hub.clients[0], [operator(hub, 0), operator(hub, 1)], action)).status).toBe('executed');
  // and the hub on the side-chain (a pontis client), so it may send
  const hubRoot = await pontisTrustRoot(hub.clients[0], HUB);
  const reg = await proposeAndPass(side.clients[0], [operator(side, 0)], registerChainAction({ chainId: HUB, clientParams: { trustingPeriodMs: 3600_000, maxClockDriftMs: 10_000 }, clientInitial: hubRoot.pontis }));
  expect(reg.status).toBe('executed');

  // a message from the side-chain to the hub's own msg app
  const user = generateAccountKey();
  const sent = await side.clients[0].send(user, [{ type: 'msg/send', dstChain: HUB, payload: toHex(utf8('attested hello')), timeoutTimestamp: Date.now() + 600_000 }]);
  const packet = JSON.parse(sent.result.events.find((e) => e.type === 'packet/sent')!.attributes.packet);

  // wait until the observers' votes make the hub's client reach a height at or past the send
  const hubEp = new RpcEndpoint(HUB, hub.rpcUrls[0], generateAccountKey());
  const sideEp = new RpcEndpoint('registry-x', side.rpcUrls[0]);
  let attested = 0;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const rec = await hubEp.readState(clientKeys.state('registry-x'));
    attested = JSON.parse(Buffer.from(rec!).toString()).latestHeight;
    if (attested >= sent.height) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(attested).toBeGreaterThanOrEqual(sent.height);
  const batch = await recvBatch(sideEp, hubEp, [{ height: sent.height, packet }], attested);
  expect(batch).not.toBeNull();
  const r = await hubEp.submit([batch!]);
  expect(r.events.find((e) => e.type === 'packet/recv/result')!.attributes.result).toBe('ok');
  const inbox = await hubEp.readState(msgKeys.inbox('registry-x', packet.sequence));
  expect(JSON.parse(Buffer.from(inbox!).toString()).data).toBe(toHex(utf8('attested hello')));
});
