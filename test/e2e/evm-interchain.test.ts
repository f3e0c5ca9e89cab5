/**
 * EVM <-> hub <-> EVM end to end: a hub of two validator processes whose observers attest two
 * anvil chains (`evm` clients in attested mode), each anvil chain with PontisClient + Gateway +
 * EchoApp deployed. EchoApp on A sends to EchoApp on B; `relayRound` carries the packet
 * A -> hub -> B and the ack B -> hub -> A; every hop is checked in chain state. A delivery forged
 * straight to B's Gateway (a packet the hub never committed) fails and writes nothing.
 */
import { Contract, Wallet, keccak256 as ethKeccak, toUtf8Bytes } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidityPacket } from '../../contracts/evm/encode.ts';
import { type Hex, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { proposeAndPass } from '../../hub-chain/rpc-client/registry.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { type Packet, TIMEOUT_ERROR, channelId, encodeAck, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { encodeProof } from '../../hub-chain/state/proof.ts';
import { pontisSlot, storageProofAt } from '../../hub-chain/light-clients/evm/proofs.ts';
import { consensusOn } from '../../relayers/paths/pontis/path.ts';
import { receiptAbsence } from '../../relayers/paths/pontis/endpoint.ts';
import { evmClientHeight, timeoutOnEvm } from '../../relayers/paths/evm/from-hub.ts';
import { hubProofHeight, relayEvmTimeouts } from '../../relayers/paths/evm/to-hub.ts';
import { relayRound } from '../../relayers/round.ts';
import type { RpcEndpoint } from '../../relayers/paths/pontis/rpc-endpoint.ts';
import { EvmPathHandlers } from '../../relayers/paths/evm/handlers.ts';
import type { DeliveryOutcome } from '../../relayers/paths/types.ts';
import { type EvmChain, EvmHubWorld, HUB, ZERO_WORD } from './evm-fixture.ts';
import type { Testnet } from './harness.ts';

let world: EvmHubWorld;
let hub: Testnet;
let hubEp: RpcEndpoint;
const chains: Record<'a' | 'b', EvmChain> = {} as never;

const operator = (i: number) => world.operator(i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  world = await EvmHubWorld.start([
    { id: 'evm-a', chainIdNumber: 31_001, apps: { echo: true } },
    { id: 'evm-b', chainIdNumber: 31_002, apps: { echo: true } },
  ]);
  hub = world.hub;
  hubEp = world.hubEp;
  chains.a = world.chains['evm-a'];
  chains.b = world.chains['evm-b'];
}, 180_000);

afterAll(async () => {
  await world?.destroy();
});

const relayUntil = (chain: EvmChain, done: () => Promise<boolean>, timeoutMs?: number) => world.relayUntil(chain, done, timeoutMs);
const hubPacket = (id: string) => world.hubPacket(id);
const stored = (c: EvmChain, key: Uint8Array): Promise<string> => world.stored(c, key);
const received = (c: EvmChain, ch: string, seq: number): Promise<boolean> => world.received(c, ch, seq);
const failures = (c: EvmChain, rcpt: Parameters<EvmHubWorld['failures']>[1]) => world.failures(c, rcpt);
const errors = { parseError: (data: string) => world.errors.parseError(data) };

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
    const recvA = roundsA.flatMap((r) => r.submitted).find((s) => s.kind === 'relay-packets' && s.dst === HUB)!;
    expect(recvA.outcome.accepted).toBe(1);
    expect(recvA.outcome.items).toContainEqual({ id: `recv:${id}`, result: 'ok' });
    // A is scanned only as far as the hub's attested client of A holds, and that reached the send's block
    expect(roundsA.some((r) => r.cursor['evm-a'] >= rcpt.blockNumber)).toBe(true);
    const atHub = (await hubPacket(id))!;
    expect(atHub.keys.receipt.exists).toBe(true);
    expect(atHub.keys.commitment.exists).toBe(true); // the hub's own commitment for B

    // hop 2: hub -> B: the PontisClient follows the hub, the Gateway verifies the hub's proof, EchoApp runs
    const clientOfHubOnB = await evmClientHeight(b.endpoint);
    const roundsB = await relayUntil(b, async () => (await b.echo.received()) === 1n);
    const recvB = roundsB.flatMap((r) => r.submitted).find((s) => s.kind === 'relay-packets' && s.dst === 'evm-b')!;
    expect(recvB.outcome.items!.map((i) => i.result)).toEqual(['ok']);
    // delivered by the hub block's batch (one state proof of pkt/batch/evm-b/<height>, a Merkle path), not a per-packet proof
    const recvTx = (await b.provider.getBlock(recvB.outcome.txHeight!, true))!.prefetchedTransactions.find((t) => t.to?.toLowerCase() === (b.gateway.target as string).toLowerCase())!;
    expect(recvTx.data.slice(0, 10)).toBe(b.gateway.interface.getFunction('recvBatches')!.selector);
    expect(await evmClientHeight(b.endpoint)).toBeGreaterThan(clientOfHubOnB);
    expect(await b.echo.lastPayload()).toBe(payload);
    const ack = toHex(encodeAck({ ok: true, result: ethKeccak(toUtf8Bytes('hello from evm-a')) as Hex }));
    // B's receipt is a bit; the ack is in B's PacketReceived event, not in a slot
    expect(await received(b, ch, 1)).toBe(true);
    expect(await stored(b, packetKeys.ack(ch, 1))).toBe(ZERO_WORD);
    expect(await stored(b, packetKeys.receipt(ch, 1))).toBe(ZERO_WORD);
    const recvLogs = (await b.provider.getTransactionReceipt(recvTx.hash))!.logs.map((l) => b.gateway.interface.parseLog(l)).filter((d) => d?.name === 'PacketReceived');
    expect(recvLogs.map((d) => d!.args.ack)).toEqual([ack]);

    // hop 3: B's ack -> hub (once the hub's client of B holds B's receive block)
    await relayUntil(b, async () => (await hubPacket(id))?.status.state === 'delivered');
    const delivered = (await hubPacket(id))!;
    expect(delivered.status.ack).toEqual({ ok: true, result: ethKeccak(toUtf8Bytes('hello from evm-a')) });
    expect(delivered.keys.commitment.exists).toBe(false); // resolved on the hub
    expect(delivered.keys.ack.exists).toBe(true); // the ack the hub passes on to A

    // hop 4: hub -> A: A's Gateway verifies the hub's ack, deletes its commitment and calls EchoApp
    const rounds4 = await relayUntil(a, async () => (await a.echo.acked()) === 1n);
    const ackA = rounds4.flatMap((r) => r.submitted).find((s) => s.kind === 'relay-acks' && s.dst === 'evm-a')!;
    expect(ackA.outcome.items!.map((i) => i.result)).toEqual(['ok']);
    expect(await a.echo.lastAck()).toBe(ack);
    expect(await stored(a, packetKeys.outbound(ch, 1))).toBe(ZERO_WORD);

    // another round finds nothing left to do on either path
    for (const c of [a, b]) {
      const again = await relayRound(new EvmPathHandlers(hubEp, new Map([[c.id, c.endpoint]])), c.id, HUB, c.cursor);
      c.cursor = again.cursor;
      expect(again.submitted).toEqual([]);
      expect(again.failed).toEqual([]);
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
    for (const seq of [2, 3, 4]) expect(await received(b, ch, seq)).toBe(false);
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
    expect(await received(b, ch, 2)).toBe(false);
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
    expect(await received(b, ch, sent2.sequence)).toBe(false);
    // a second attempt has nothing left to do
    expect(await relayEvmTimeouts(hubEp, b.endpoint, [sent2])).toBeNull();

    await relayUntil(a, async () => (await a.echo.acked()) === 2n);
    expect(await a.echo.lastAck()).toBe(toHex(encodeAck({ ok: false, error: TIMEOUT_ERROR })));
    expect(await stored(a, packetKeys.outbound(ch, sent2.sequence))).toBe(ZERO_WORD);
    // B's path now sees the forwarded packet in hub blocks, but the hub's commitment is gone: nothing is delivered
    await relayRound(new EvmPathHandlers(hubEp, new Map([[b.id, b.endpoint]])), b.id, HUB, b.cursor).then((r) => (b.cursor = r.cursor));
    expect(await b.echo.received()).toBe(1n);
  }, 150_000);

  it('error: a packet B received is not timed out on the hub by an absence proof of B\'s pkt/rcpt or pkt/ack slot (never written there), nor by its receipt word with the bit set', async () => {
    const { a, b } = chains;
    const pkt = await sendFromA(6_000, 'received, then claimed lost');
    const ch = channelId(pkt);
    const id = `${ch}/${pkt.sequence}`;
    const receivedBefore = await b.echo.received();
    await relayUntil(a, async () => (await hubPacket(id))?.status.state === 'forwarded');
    await relayUntil(b, async () => (await b.echo.received()) > receivedBefore);
    expect(await received(b, ch, pkt.sequence)).toBe(true);
    // past the timeout, at a height of B the hub's client holds (B's ack is not relayed meanwhile)
    while (Date.now() <= pkt.timeoutTimestamp) await sleep(250);
    let p = 0;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      p = await hubProofHeight(hubEp, b.id);
      if ((await consensusOn(hubEp, b.id, p))!.timestamp >= pkt.timeoutTimestamp) break;
      await b.node.mine();
      await sleep(250);
    }
    const address = (await b.gateway.getAddress()).toLowerCase() as Hex;
    const proofOf = async (key: Uint8Array) => storageProofAt(await b.endpoint.writer.getProof(address, [pontisSlot(key)], p), 0);
    for (const key of [packetKeys.receipt(ch, pkt.sequence), packetKeys.ack(ch, pkt.sequence), packetKeys.receiptBits(ch, pkt.sequence)]) {
      const r = await hubEp.submit([{ type: 'packets/timeout', proofHeight: p, packets: [{ packet: pkt, proof: await proofOf(key) }] }]);
      const result = r.events.find((e) => e.type === 'packet/timeout/result')!.attributes.result;
      expect(result).toMatch(/^PNT_ERR_(PROOF|EVM)_/);
    }
    expect((await hubPacket(id))!.status.state).toBe('forwarded');
    // the ack comes through instead, and A's app gets it
    const ackedBefore = await a.echo.acked();
    await relayUntil(b, async () => (await hubPacket(id))?.status.state === 'delivered');
    await relayUntil(a, async () => (await a.echo.acked()) > ackedBefore);
    expect(await a.echo.lastAck()).not.toBe(toHex(encodeAck({ ok: false, error: TIMEOUT_ERROR })));
  }, 150_000);

  it('behavior: a packet the hub never received before its timeout is timed out on A with the hub\'s receipt word showing its bit clear', async () => {
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
    // the hub received earlier packets of this channel: what is proven is sent3's bit clear in their receipt word
    const [absence] = await receiptAbsence(hubEp, [sent3], await hubEp.latestHeight());
    if (absence.received) throw new Error('the hub received sent3');
    expect(absence.word).toMatch(/^0x[0-9a-fA-F]{64}$/);
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

  it('behavior: events whose proofs do not fit one hub transaction go in several, in the same job, each proving what the hub has not received yet', async () => {
    const { b } = chains;
    // a budget under one receipt proof: every message carries one transaction's packets
    const handlers = new EvmPathHandlers(hubEp, new Map([[b.id, b.endpoint]]), 1);
    const latest = await b.provider.getBlock('latest');
    const sent = [];
    for (const i of [1, 2, 3]) sent.push(await (await b.echo.sendTo('evm-a', 'echo', toHex(utf8(`split ${i}`)), 0, latest!.timestamp * 1000 + 600_000, false)).wait());
    const blocks = await handlers.scanBlocks('evm-b', HUB, sent[0].blockNumber - 1, sent[2].blockNumber);
    const events = blocks.flatMap((x) => x.packets);
    expect(events).toHaveLength(3);
    expect(new Set(events.map((e) => e.height)).size).toBe(3);
    const hubBefore = await hubEp.latestHeight();
    const out = await retrying(() => handlers.relayPackets('evm-b', HUB, events));
    // a first attempt may have found only some blocks attested and delivered them: the rest came in the retry's messages
    expect(await Promise.all(events.map(async (e) => (await hubPacket(`${channelId(e.packet)}/${e.packet.sequence}`))?.status.state))).toEqual(['forwarded', 'forwarded', 'forwarded']);
    expect(out.submitted).toBe(true);
    // one relay transaction per packet: each message stayed within its budget (one receipt proof)
    let relayTxs = 0;
    for (let h = hubBefore + 1; h <= (await hubEp.latestHeight()); h++) {
      for (const tx of (await hub.clients[0].block(h)).txs) if (tx.result.events.some((e) => e.type === 'packet/recv/result' && events.some((ev) => e.attributes.id === `${channelId(ev.packet)}/${ev.packet.sequence}`))) relayTxs++;
    }
    expect(relayTxs).toBe(3);
    expect(await handlers.relayPackets('evm-b', HUB, events)).toEqual({ submitted: false, accepted: 0, redundant: 0 });
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
    await relayUntil(b, async () => received(b, ch, sent4.sequence));
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
