/**
 * EVM <-> hub <-> EVM end to end: a hub of two validator processes whose observers attest two
 * anvil chains (`evm` clients in attested mode), each anvil chain with PontisClient + Gateway +
 * EchoApp deployed. EchoApp on A sends to EchoApp on B; `relayEvmRound` carries the packet
 * A -> hub -> B and the ack B -> hub -> A; every hop is checked in chain state. A delivery forged
 * straight to B's Gateway (a packet the hub never committed) fails and writes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Contract, Interface, JsonRpcProvider, Wallet, keccak256 as ethKeccak, toUtf8Bytes } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildContracts, type ContractArtifact } from '../../contracts/evm/build.ts';
import { deployPontisContracts, evmChainRegistration, evmTrustRoot } from '../../contracts/evm/deploy.ts';
import { solidityPacket } from '../../contracts/evm/encode.ts';
import { EvmWriter } from '../../adapters/evm/writer.ts';
import { type Hex, fromHex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { accountKeyFromSeed, generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { loadHome, paths } from '../../hub-chain/node/config.ts';
import { pontisTrustRoot, proposeAndPass } from '../../hub-chain/client/registry.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { type Packet, TIMEOUT_ERROR, channelId, encodeAck, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { encodeProof } from '../../hub-chain/state/proof.ts';
import { type EvmGatewayEndpoint, type EvmRelayRoundResult, evmClientHeight, evmGatewayEndpoint, relayEvmRound, relayEvmTimeouts, timeoutOnEvm } from '../../relayers/core/evm-path.ts';
import { RpcEndpoint } from '../../relayers/core/rpc-endpoint.ts';
import { EvmPathHandlers } from '../../relayers/evm-handlers.ts';
import type { DeliveryOutcome } from '../../relayers/paths.ts';
import { type AnvilNode, startAnvil } from '../fixtures/anvil.ts';
import { Testnet } from './harness.ts';

const HUB = 'pontis-hub-1';
const APP_GAS = 1_000_000;
const TRUSTING_MS = 3_600_000;
const DRIFT_MS = 60_000;
const RECEIPT_WORD = `0x${'0'.repeat(63)}1`;
const ZERO_WORD = `0x${'0'.repeat(64)}`;

interface EvmChain {
  id: string;
  node: AnvilNode;
  provider: JsonRpcProvider;
  deployer: Wallet;
  client: Contract;
  gateway: Contract;
  echo: Contract;
  endpoint: EvmGatewayEndpoint;
  cursor: Record<string, number>;
}

let hub: Testnet;
let hubEp: RpcEndpoint;
let artifacts: Record<string, ContractArtifact>;
let errors: Interface;
const chains: Record<'a' | 'b', EvmChain> = {} as never;

const operator = (i: number) => accountKeyFromSeed(fromHex(loadHome(hub.homes[i]).operatorKey!.seed, 32));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setUpChain(id: string, node: AnvilNode): Promise<EvmChain> {
  const provider = new JsonRpcProvider(node.url, node.chainId, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  const deployer = new Wallet(node.accounts[0], provider);
  // the hub's light client on this chain starts from the hub's current header and validator set
  const trustRoot = await pontisTrustRoot(hub.clients[0], HUB);
  const d = await deployPontisContracts(deployer, { trustRoot, chainId: id, trustingPeriodMs: TRUSTING_MS, maxClockDriftMs: DRIFT_MS, appGasLimit: APP_GAS, echo: true, artifacts });
  const at = (name: string, address: string) => new Contract(address, artifacts[name].abi as never, deployer);
  const client = at('PontisClient', d.client.address);
  const gateway = at('Gateway', d.gateway.address);
  const echo = at('EchoApp', d.echo!.address);
  const writer = new EvmWriter({ url: node.url, evmChainId: node.chainId, chainId: id, privateKeys: [node.accounts[1]], pollIntervalMs: 50 });
  const endpoint = evmGatewayEndpoint(id, writer, d.gateway.address, d.client.address);

  // registered on the hub by governance: an `evm` client (attested by the hub's validators) starting at the current block
  const block = await evmTrustRoot(node.url);
  const action = evmChainRegistration({ chainId: id, chainIdNumber: node.chainId, gateway: d.gateway.address, initial: block, trustingPeriodMs: TRUSTING_MS, maxClockDriftMs: DRIFT_MS });
  const r = await proposeAndPass(hub.clients[0], [operator(0), operator(1)], action);
  if (r.status !== 'executed') throw new Error(`registering ${id}: proposal ${r.id} ${r.status}`);
  const cursor = { [id]: block.height, [HUB]: await hubEp.latestHeight() };
  return { id, node, provider, deployer, client, gateway, echo, endpoint, cursor };
}

beforeAll(async () => {
  artifacts = buildContracts();
  const frags = new Map<string, Record<string, unknown>>();
  for (const a of Object.values(artifacts)) for (const f of a.abi) if (f.type === 'error') frags.set(JSON.stringify(f), f);
  errors = new Interface([...frags.values()] as never);

  const [nodeA, nodeB] = await Promise.all([startAnvil({ chainId: 31_001 }), startAnvil({ chainId: 31_002 })]);
  hub = await Testnet.create(2, { chainId: HUB });
  // every validator observes both EVM chains through its own config: depth 0, since anvil mines
  // a block per transaction and has no reorgs (its `finalized` tag would lag 64 blocks)
  for (const home of hub.homes) {
    const f = paths(home).config;
    const cfg = JSON.parse(readFileSync(f, 'utf8'));
    cfg.observers = [
      { chainId: 'evm-a', kind: 'evm', rpc: nodeA.url, intervalMs: 200, stride: 1, depth: 0, chainIdNumber: nodeA.chainId },
      { chainId: 'evm-b', kind: 'evm', rpc: nodeB.url, intervalMs: 200, stride: 1, depth: 0, chainIdNumber: nodeB.chainId },
    ];
    writeFileSync(f, JSON.stringify(cfg, null, 2));
  }
  hub.startAll();
  await hub.clients[0].waitForHeight(2, 60_000);
  hubEp = new RpcEndpoint(HUB, hub.rpcUrls[0], generateAccountKey());
  chains.a = await setUpChain('evm-a', nodeA);
  chains.b = await setUpChain('evm-b', nodeB);
}, 180_000);

afterAll(async () => {
  for (const c of Object.values(chains)) {
    await c.endpoint?.writer.close();
    c.provider?.destroy();
    await c.node?.stop();
  }
  await hub?.destroy();
});

/** Relay rounds on `chain`'s path until `done` holds (or the deadline passes); returns every round's result. */
async function relayUntil(chain: EvmChain, done: () => Promise<boolean>, timeoutMs = 60_000): Promise<EvmRelayRoundResult[]> {
  const rounds: EvmRelayRoundResult[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`relaying ${chain.id}: condition not reached; rounds: ${JSON.stringify(rounds.map((r) => r.submitted))}`);
    const r = await relayEvmRound(hubEp, chain.endpoint, chain.cursor);
    chain.cursor = r.cursor;
    rounds.push(r);
    if (!r.submitted.length) await sleep(250);
  }
  return rounds;
}

async function hubPacket(id: string) {
  try {
    return await hub.clients[0].packet(id);
  } catch (e) {
    if (e instanceof PontisError && e.code === 'PNT_ERR_PACKET_NOT_FOUND') return undefined;
    throw e;
  }
}

const stored = (c: EvmChain, key: Uint8Array): Promise<string> => c.gateway.pontisStore(ethKeccak(key));

function failures(c: EvmChain, rcpt: { logs: readonly { topics: readonly string[]; data: string }[] }): { seq: number; result: number; error?: string }[] {
  return rcpt.logs
    .map((l) => c.gateway.interface.parseLog(l as never))
    .filter((d) => d?.name === 'PacketResult')
    .map((d) => {
      const reason = d!.args.reason as string;
      return { seq: Number(d!.args.sequence), result: Number(d!.args.result), ...(reason.length > 2 ? { error: errors.parseError(reason)?.name ?? reason } : {}) };
    });
}

let sent: Packet;
let payload: Hex;

describe('EVM chain A -> hub -> EVM chain B', () => {
  it('behavior: an EchoApp message on A reaches B through the hub, and B\'s ack comes back to A, each hop checked in state', async () => {
    const { a, b } = chains;
    payload = toHex(utf8('hello from evm-a'));
    const latest = await a.provider.getBlock('latest');
    const timeoutTimestamp = latest!.timestamp * 1000 + 600_000;
    const tx = await a.echo.sendTo('evm-b', 'echo', payload, 0, timeoutTimestamp, false);
    const rcpt = await tx.wait();
    const sentLog = rcpt.logs.map((l: never) => a.gateway.interface.parseLog(l)).find((d: { name: string } | null) => d?.name === 'PacketSent');
    sent = { srcChain: 'evm-a', srcApp: 'echo', dstChain: 'evm-b', dstApp: 'echo', sequence: Number(sentLog.args.sequence), ordered: false, payload, timeoutHeight: 0, timeoutTimestamp };
    expect(sent.sequence).toBe(1);
    const ch = channelId(sent);
    const id = `${ch}/${sent.sequence}`;
    expect(await stored(a, packetKeys.outbound(ch, 1))).toBe(await a.gateway.packetCommitment(solidityPacket(sent)));

    // hop 1: A -> hub, once the hub's attested client of A holds the send's block
    const roundsA = await relayUntil(a, async () => (await hubPacket(id))?.status.state === 'forwarded');
    const recvA = roundsA.flatMap((r) => r.submitted).find((s) => s.msgs.includes('packets/recv'))!;
    expect(recvA.code).toBe('ok');
    expect(recvA.items).toContainEqual({ id: `recv:${id}`, result: 'ok' });
    expect(roundsA.some((r) => r.evmProofHeight >= rcpt.blockNumber)).toBe(true);
    const atHub = (await hubPacket(id))!;
    expect(atHub.keys.receipt.exists).toBe(true);
    expect(atHub.keys.commitment.exists).toBe(true); // the hub's own commitment for B

    // hop 2: hub -> B: the PontisClient follows the hub, the Gateway verifies the hub's proof, EchoApp runs
    const roundsB = await relayUntil(b, async () => (await b.echo.received()) === 1n);
    const recvB = roundsB.flatMap((r) => r.submitted).find((s) => s.msgs.includes('recvPackets'))!;
    expect(recvB.items.map((i) => i.result)).toEqual(['ok']);
    expect(roundsB.flatMap((r) => r.submitted).some((s) => s.msgs.includes('updateClient'))).toBe(true);
    expect(await b.echo.lastPayload()).toBe(payload);
    const ack = toHex(encodeAck({ ok: true, result: ethKeccak(toUtf8Bytes('hello from evm-a')) as Hex }));
    expect(await stored(b, packetKeys.receipt(ch, 1))).toBe(RECEIPT_WORD);
    expect(await stored(b, packetKeys.ack(ch, 1))).toBe(ethKeccak(ack));

    // hop 3: B's ack -> hub (once the hub's client of B holds B's receive block)
    await relayUntil(b, async () => (await hubPacket(id))?.status.state === 'delivered');
    const delivered = (await hubPacket(id))!;
    expect(delivered.status.ack).toEqual({ ok: true, result: ethKeccak(toUtf8Bytes('hello from evm-a')) });
    expect(delivered.keys.commitment.exists).toBe(false); // resolved on the hub
    expect(delivered.keys.ack.exists).toBe(true); // the ack the hub passes on to A

    // hop 4: hub -> A: A's Gateway verifies the hub's ack, deletes its commitment and calls EchoApp
    const rounds4 = await relayUntil(a, async () => (await a.echo.acked()) === 1n);
    const ackA = rounds4.flatMap((r) => r.submitted).find((s) => s.msgs.includes('acknowledge'))!;
    expect(ackA.items.map((i) => i.result)).toEqual(['ok']);
    expect(await a.echo.lastAck()).toBe(ack);
    expect(await stored(a, packetKeys.outbound(ch, 1))).toBe(ZERO_WORD);

    // another round finds nothing left to do on either path
    for (const c of [a, b]) {
      const again = await relayEvmRound(hubEp, c.endpoint, c.cursor);
      c.cursor = again.cursor;
      expect(again.submitted).toEqual([]);
    }
    expect(await b.echo.received()).toBe(1n);
  });

  it('error: a delivery forged straight to B\'s Gateway (a packet the hub never committed) fails with nothing written', async () => {
    const { b } = chains;
    expect(sent).toBeDefined();
    const forged: Packet = { ...sent, sequence: 2, payload: toHex(utf8('forged')) };
    const ch = channelId(forged);
    expect(await hubPacket(`${ch}/2`)).toBeUndefined(); // the hub never saw it
    const height = await evmClientHeight(b.endpoint); // a hub height B's client holds
    // the real packet's proof (present or not at that height, it proves the real commitment's key, not this one)
    const real = await hubEp.proveState(packetKeys.outbound(ch, 1), height);
    const absent = await hubEp.proveState(packetKeys.outbound(ch, 2), height);
    const proofs = [toHex(encodeProof(real.proof)), toHex(encodeProof(absent.proof)), '0x0102'];
    const forger = new Wallet(b.node.accounts[2], b.provider);
    const gw = b.gateway.connect(forger) as Contract;
    const packets = [forged, { ...forged, sequence: 3 }, { ...forged, sequence: 4 }].map(solidityPacket);
    const rcpt = await (await gw.recvPackets(height, packets, proofs)).wait();
    const results = failures(b, rcpt);
    expect(results.map((r) => [r.seq, r.result])).toEqual([
      [2, 2],
      [3, 2],
      [4, 2],
    ]);
    for (const r of results) expect(r.error).toMatch(/^Proof(Invalid|Malformed)$/);
    for (const seq of [2, 3, 4]) expect(await stored(b, packetKeys.receipt(ch, seq))).toBe(ZERO_WORD);
    expect(await b.echo.received()).toBe(1n);

    // at a hub height B's client never held: refused as well
    const unknown = await (await gw.recvPackets(height + 1000, [packets[0]], [proofs[0]])).wait();
    expect(failures(b, unknown)[0].result).toBe(2);
    // and the per-packet step cannot be called from outside the Gateway
    let revert: string | undefined;
    try {
      await gw.recvOne.staticCall(height, packets[0], proofs[0]);
    } catch (e) {
      const data = (e as { data?: string }).data;
      revert = data ? errors.parseError(data)?.name : (e as Error).message;
    }
    expect(revert).toBe('OnlySelf');
    expect(await stored(b, packetKeys.receipt(ch, 2))).toBe(ZERO_WORD);
  });

  it('behavior: a packet B never received before its timeout is timed out on the hub by absence proven on B, and A gets the timeout error ack', async () => {
    const { a, b } = chains;
    const sent2 = await sendFromA(20_000, 'too late for b');
    const ch = channelId(sent2);
    const id = `${ch}/${sent2.sequence}`;
    await relayUntil(a, async () => (await hubPacket(id))?.status.state === 'forwarded');
    // B is not relayed to; once its clock is past the timeout, a new block there is attested on the hub
    while (Date.now() <= sent2.timeoutTimestamp) await sleep(250);
    let outcome: Awaited<ReturnType<typeof relayEvmTimeouts>> = null;
    const deadline = Date.now() + 60_000;
    while (!outcome && Date.now() < deadline) {
      outcome = await relayEvmTimeouts(hubEp, b.endpoint, [sent2]);
      if (outcome) break;
      // block times are whole seconds: mine until one is at or past the timeout and the hub's client holds it
      await b.node.mine();
      await sleep(250);
    }
    expect(outcome?.items).toEqual([{ id: `timeout:${id}`, result: 'ok' }]);
    const atHub = (await hubPacket(id))!;
    expect(atHub.status.state).toBe('timed-out');
    expect(atHub.keys.commitment.exists).toBe(false);
    expect(await stored(b, packetKeys.receipt(ch, sent2.sequence))).toBe(ZERO_WORD);
    // a second attempt has nothing left to do
    expect(await relayEvmTimeouts(hubEp, b.endpoint, [sent2])).toBeNull();

    await relayUntil(a, async () => (await a.echo.acked()) === 2n);
    expect(await a.echo.lastAck()).toBe(toHex(encodeAck({ ok: false, error: TIMEOUT_ERROR })));
    expect(await stored(a, packetKeys.outbound(ch, sent2.sequence))).toBe(ZERO_WORD);
    // B's path now sees the forwarded packet in hub blocks, but the hub's commitment is gone: nothing is delivered
    await relayEvmRound(hubEp, b.endpoint, b.cursor).then((r) => (b.cursor = r.cursor));
    expect(await b.echo.received()).toBe(1n);
  }, 150_000);

  it('behavior: a packet the hub never received before its timeout is timed out on A with the hub\'s absence proof', async () => {
    const { a } = chains;
    const sent3 = await sendFromA(3_000, 'never relayed');
    const ch = channelId(sent3);
    // not relayed: wait until a hub block's time is past the timeout (A's blocks keep the observers voting)
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error('no hub block past the timeout');
      const h = await hubEp.latestHeight();
      if ((await hubEp.signedHeader(h)).header.time >= sent3.timeoutTimestamp) break;
      await a.node.mine();
      await sleep(250);
    }
    const outcome = await timeoutOnEvm(hubEp, a.endpoint, [sent3]);
    expect(outcome?.items.map((i) => i.result)).toEqual(['ok']);
    expect(await a.echo.timedOut()).toBe(1n);
    expect(await stored(a, packetKeys.outbound(ch, sent3.sequence))).toBe(ZERO_WORD);
    expect(await hubPacket(`${ch}/${sent3.sequence}`)).toBeUndefined();
    expect(await timeoutOnEvm(hubEp, a.endpoint, [sent3])).toBeNull();
  }, 120_000);
});

describe('EvmPathHandlers (the relayer pipeline\'s interface)', () => {
  it('behavior: jobs carry a message B -> hub -> A and its ack back, retrying while the hub\'s client has not attested the events yet', async () => {
    const { a, b } = chains;
    const handlers = new EvmPathHandlers(hubEp, new Map([a, b].map((c) => [c.id, c.endpoint])));
    const hubFrom = await hubEp.latestHeight();
    const latest = await b.provider.getBlock('latest');
    const rcpt = await (await b.echo.sendTo('evm-a', 'echo', toHex(utf8('from b')), 0, latest!.timestamp * 1000 + 600_000, false)).wait();

    const blocks = await handlers.scanBlocks('evm-b', HUB, rcpt.blockNumber - 1, rcpt.blockNumber);
    expect(blocks.map((x) => [x.height, x.packets.length, x.acks.length])).toEqual([[rcpt.blockNumber, 1, 0]]);
    const packet = blocks[0].packets[0].packet;
    const id = `${channelId(packet)}/${packet.sequence}`;
    expect(await retrying(() => handlers.relayPackets('evm-b', HUB, blocks[0].packets))).toMatchObject({ submitted: true, accepted: 1, redundant: 0 });
    expect(await handlers.relayPackets('evm-b', HUB, blocks[0].packets)).toEqual({ submitted: false, accepted: 0, redundant: 0 });
    expect((await hubPacket(id))?.status.state).toBe('forwarded');

    const fromHub = (await handlers.scanBlocks(HUB, 'evm-a', hubFrom, await hubEp.latestHeight())).flatMap((x) => x.packets);
    expect(fromHub.map((e) => e.packet)).toContainEqual(packet);
    const delivered = await handlers.relayPackets(HUB, 'evm-a', fromHub);
    expect(delivered).toMatchObject({ submitted: true, accepted: 1 });
    expect(await a.echo.lastPayload()).toBe(toHex(utf8('from b')));

    const ackBlocks = await handlers.scanBlocks('evm-a', HUB, delivered.txHeight! - 1, delivered.txHeight!);
    const acks = ackBlocks.flatMap((x) => x.acks);
    expect(acks.map((e) => e.packet)).toEqual([packet]);
    const hubBefore = await hubEp.latestHeight();
    expect(await retrying(() => handlers.relayAcks('evm-a', HUB, acks))).toMatchObject({ submitted: true, accepted: 1 });
    expect((await hubPacket(id))?.status.state).toBe('delivered');

    const backAcks = (await handlers.scanBlocks(HUB, 'evm-b', hubBefore, await hubEp.latestHeight())).flatMap((x) => x.acks);
    expect(backAcks.map((e) => e.packet)).toEqual([packet]);
    expect(await handlers.relayAcks(HUB, 'evm-b', backAcks)).toMatchObject({ submitted: true, accepted: 1 });
    expect(await b.echo.acked()).toBe(1n);
    expect(await b.echo.lastAck()).toBe(toHex(encodeAck({ ok: true, result: ethKeccak(toUtf8Bytes('from b')) as Hex })));

    // both clients agree with the chains they follow, and nothing is left to clear
    for (const c of [a, b]) {
      expect(await handlers.consensusDivergence(c.id, HUB)).toBeNull();
      expect(await handlers.consensusDivergence(HUB, c.id)).toBeNull();
      expect(await handlers.pending(c.id, HUB, [a.id, b.id].filter((x) => x !== c.id))).toEqual([]);
    }
  }, 120_000);
});

describe('hub validator-set change', () => {
  it('behavior: after governance changes the hub\'s validator set, the EVM client follows it through the header where it changes and B still receives', async () => {
    const { a, b } = chains;
    const before = await hub.clients[0].validators();
    const v0 = before.validators[0];
    const r = await proposeAndPass(hub.clients[0], [operator(0), operator(1)], { kind: 'set-validators', updates: [{ publicKey: v0.publicKey, power: v0.power * 2 }] } as never);
    expect(r.status).toBe('executed');
    const deadline = Date.now() + 60_000;
    let after = before;
    while (after.hash === before.hash && Date.now() < deadline) {
      await sleep(200);
      after = await hub.clients[0].validators();
    }
    expect(after.hash).not.toBe(before.hash);
    const clientBefore = await evmClientHeight(b.endpoint);

    const sent4 = await sendFromA(600_000, 'after the set change');
    const ch = channelId(sent4);
    await relayUntil(a, async () => (await hubPacket(`${ch}/${sent4.sequence}`))?.status.state === 'forwarded');
    await relayUntil(b, async () => (await stored(b, packetKeys.receipt(ch, sent4.sequence))) === RECEIPT_WORD);
    expect(await b.echo.lastPayload()).toBe(toHex(utf8('after the set change')));
    // B's client crossed the change: it now trusts the new set for its next header
    const nextHash = (await b.client.nextValidatorsHash()) as string;
    expect(nextHash.toLowerCase()).toBe(after.hash.toLowerCase());
    expect(await evmClientHeight(b.endpoint)).toBeGreaterThan(clientBefore);
  }, 150_000);
});

/** A job's retries: again while it fails with a retryable error (the hub's client has not attested the events yet). */
async function retrying(job: () => Promise<DeliveryOutcome>): Promise<DeliveryOutcome> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await job();
    } catch (e) {
      if (!(e instanceof PontisError && e.retryable) || Date.now() > deadline) throw e;
      await sleep(250);
    }
  }
}

/** EchoApp on A sends `text` to B's echo with a timeout `inMs` after A's latest block time. */
async function sendFromA(inMs: number, text: string): Promise<Packet> {
  const { a } = chains;
  const latest = await a.provider.getBlock('latest');
  const timeoutTimestamp = Math.max(latest!.timestamp * 1000, Date.now()) + inMs;
  const payload = toHex(utf8(text));
  const rcpt = await (await a.echo.sendTo('evm-b', 'echo', payload, 0, timeoutTimestamp, false)).wait();
  const log = rcpt.logs.map((l: never) => a.gateway.interface.parseLog(l)).find((d: { name: string } | null) => d?.name === 'PacketSent');
  return { srcChain: 'evm-a', srcApp: 'echo', dstChain: 'evm-b', dstApp: 'echo', sequence: Number(log.args.sequence), ordered: false, payload, timeoutHeight: 0, timeoutTimestamp };
}
