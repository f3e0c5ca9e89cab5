/**
 * Gas of Gateway.recvPackets, told apart from the receiving app's: packets proven against a real
 * hub StateStore (~2,000 filler keys, proofs ~11 deep), delivered to SinkApp (writes nothing,
 * one-byte result: the Gateway's own cost) and to EchoApp (writes a counter and the payload).
 * The one-packet delivery is broken down with anvil's debug_traceTransaction call tracer: the
 * self-call recvOne, PontisClient.verifyMembership and the app's frames; with EchoApp deployed,
 * its send is measured too. `bench:evm` prints it.
 *
 *   node --import tsx test/contracts/gateway-gas.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Interface } from 'ethers';
import { open } from 'lmdb';
import { type Packet, channelId, encodeBatchValue, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { merkleProofs, merkleRoot } from '../../hub-chain/crypto/merkle.ts';
import { StateStore } from '../../hub-chain/state/store.ts';
import { concat, toHex } from '../../hub-chain/crypto/bytes.ts';
import { encodeProof } from '../../hub-chain/state/proof.ts';
import { ChainBuilder } from '../support/chain-builder.ts';
import { type Anvil, startAnvil } from './anvil.ts';
import { deployClient } from './client-fixture.ts';
import { solidityPacket } from '../../contracts/evm/encode.ts';

/** The receiving apps measured: contract name and the name it registers under. */
export const RECEIVING_APPS = { sink: 'SinkApp', echo: 'EchoApp' } as const;
export type ReceivingApp = keyof typeof RECEIVING_APPS;

export interface RecvBreakdown {
  /** 21000 + calldata (4 per zero byte, 16 per other). */
  intrinsic: number;
  calldataBytes: number;
  /** gas used inside the self-call recvOne (its frame, children included). */
  recvOne: number;
  /** PontisClient.verifyMembership's frame (SMT fold, sha256 precompile calls included). */
  verifyMembership: number;
  /** the app's onRecvPacket frame. */
  app: number;
}

export interface RecvGasReport {
  app: ReceivingApp;
  /** gasUsed (21000 and calldata included) of recvPackets with the first packet of a channel (pays for the channel's ordering slot). */
  first: number;
  /** gasUsed of recvPackets with one later packet of the channel: the typical delivery. */
  single: number;
  breakdown: RecvBreakdown;
  batch: { packets: number; gasUsed: number; perPacket: number };
  /** recvBatches with as many packets, all committed in one hub batch (ADR 0017): one state proof, a Merkle path each. */
  batched: { packets: number; gasUsed: number; perPacket: number };
}

/** gasUsed of Gateway.send from EchoApp: the first packet of a channel (pays for its sequence and ordering slots), then a later one. */
export interface SendGas {
  first: number;
  next: number;
}

interface CallFrame {
  to: string;
  input: string;
  gasUsed: string;
  calls?: CallFrame[];
}

const calldataGas = (hex: string) => {
  let g = 0;
  for (let i = 2; i < hex.length; i += 2) g += hex.slice(i, i + 2) === '00' ? 4 : 16;
  return g;
};

function findFrames(f: CallFrame, selector: string, out: CallFrame[] = []): CallFrame[] {
  if (f.input.slice(0, 10).toLowerCase() === selector) out.push(f);
  for (const c of f.calls ?? []) findFrames(c, selector, out);
  return out;
}

async function breakdown(anvil: Anvil, txHash: string, selectors: { recvOne: string; verify: string; onRecv: string }): Promise<RecvBreakdown> {
  const tx = (await anvil.provider.getTransaction(txHash))!;
  const calls = (await anvil.provider.send('debug_traceTransaction', [txHash, { tracer: 'callTracer' }])) as CallFrame;
  const frameGas = (sel: string) => findFrames(calls, sel).reduce((a, f) => a + Number(f.gasUsed), 0);
  return {
    intrinsic: 21_000 + calldataGas(tx.data),
    calldataBytes: (tx.data.length - 2) / 2,
    recvOne: frameGas(selectors.recvOne),
    verifyMembership: frameGas(selectors.verify),
    app: frameGas(selectors.onRecv),
  };
}

/**
 * For each app in `apps`: recvPackets with the first packet of its channel, then with one later
 * packet (broken down), then with a batch of `batch` packets, all unordered, each packet proven
 * by its own proof at one hub height.
 */
export async function measureRecvGas(batch = 50, apps: readonly ReceivingApp[] = ['sink', 'echo'], existing?: Anvil): Promise<{ recv: RecvGasReport[]; send?: SendGas }> {
  const anvil = existing ?? (await startAnvil());
  const dir = mkdtempSync(join(tmpdir(), 'pontis-evm-recv-gas-'));
  const env = open({ path: dir, maxDbs: 16 });
  try {
    const store = StateStore.open(env);
    const nowMs = (await anvil.provider.getBlock('latest'))!.timestamp * 1000;
    const total = 2 + 2 * batch;
    const packetsFor = (app: ReceivingApp): Packet[] =>
      Array.from({ length: total }, (_, i) => ({
        srcChain: 'side-a', srcApp: 'bank', dstChain: 'evm-1', dstApp: app, sequence: i + 1, ordered: false,
        payload: toHex(new TextEncoder().encode(`transfer ${i}`)), timeoutHeight: 0, timeoutTimestamp: nowMs + 3_600_000,
      }));
    const packets = Object.fromEntries(apps.map((a) => [a, packetsFor(a)])) as Record<ReceivingApp, Packet[]>;
    const ws = store.working();
    // filler keys give the proofs a realistic depth (~11)
    for (let i = 0; i < 2000; i++) ws.set(new TextEncoder().encode(`acct/${i}`), new Uint8Array(32).fill(i & 0xff));
    for (const a of apps) for (const p of packets[a]) ws.set(packetKeys.outbound(channelId(p), p.sequence), packetCommitment(p));
    // each app's last `batch` packets also form one hub batch for evm-1 (batch heights 1, 2, ...: one per app)
    const batchOf = (a: ReceivingApp) => packets[a].slice(2 + batch);
    for (const [k, a] of apps.entries()) ws.set(packetKeys.batch('evm-1', k + 1), encodeBatchValue(merkleRoot(batchOf(a).map(packetCommitment)), batch));
    const root = await store.commit(ws, 1);
    const chain = new ChainBuilder({ chainId: 'pontis-hub-1', genesisTime: nowMs - 60_000, seed: 'evm-gas-gateway' }).setStateRoot(1, root).extendTo(1);
    const client = await deployClient(anvil, chain, 1);
    const gateway = await anvil.deploy('Gateway', await client.getAddress(), 'evm-1', 1_000_000);
    const deployed = new Map<ReceivingApp, Awaited<ReturnType<Anvil['deploy']>>>();
    for (const a of apps) deployed.set(a, await anvil.deploy(RECEIVING_APPS[a], await gateway.getAddress(), a));
    const selectors = {
      recvOne: gateway.interface.getFunction('recvOne')!.selector,
      verify: client.interface.getFunction('verifyMembership')!.selector,
      onRecv: new Interface(anvil.artifacts.SinkApp.abi as never).getFunction('onRecvPacket')!.selector,
    };
    const deliver = async (ps: Packet[]) => {
      const proofs = ps.map((p) => encodeProof(store.getWithProof(packetKeys.outbound(channelId(p), p.sequence), 1).proof));
      return (await (await gateway.recvPackets(1, ps.map(solidityPacket), proofs)).wait())!;
    };
    const deliverBatch = async (batchHeight: number, ps: Packet[]) => {
      const leaves = ps.map(packetCommitment);
      const paths = merkleProofs(leaves, ps.map((_, i) => i)).map((m) => toHex(concat(...m.siblings)));
      const key = packetKeys.batch('evm-1', batchHeight);
      const hubBatch = [batchHeight, toHex(merkleRoot(leaves)), ps.length, encodeProof(store.getWithProof(key, 1).proof)];
      return (await (await gateway.recvBatches(1, [hubBatch], ps.map(solidityPacket), ps.map(() => 0), ps.map((_, i) => i), paths)).wait())!;
    };
    const out: RecvGasReport[] = [];
    for (const [k, a] of apps.entries()) {
      const [p1, p2, ...others] = packets[a];
      const rest = others.slice(0, batch);
      const first = await deliver([p1]);
      const single = await deliver([p2]);
      const many = await deliver(rest);
      const batched = await deliverBatch(k + 1, batchOf(a));
      out.push({
        app: a,
        first: Number(first.gasUsed),
        single: Number(single.gasUsed),
        breakdown: await breakdown(anvil, single.hash, selectors),
        batch: { packets: rest.length, gasUsed: Number(many.gasUsed), perPacket: Math.round(Number(many.gasUsed) / rest.length) },
        batched: { packets: batch, gasUsed: Number(batched.gasUsed), perPacket: Math.round(Number(batched.gasUsed) / batch) },
      });
    }
    const echo = deployed.get('echo');
    let send: SendGas | undefined;
    if (echo) {
      const gasOf = async (tx: Promise<{ wait: () => Promise<{ gasUsed: bigint } | null> }>) => Number((await (await tx).wait())!.gasUsed);
      send = { first: await gasOf(echo.sendTo('side-b', 'bank', '0x1234', 0, nowMs + 3_600_000, false)), next: await gasOf(echo.sendTo('side-b', 'bank', '0x1234', 0, nowMs + 3_600_000, false)) };
    }
    return { recv: out, send };
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
    if (!existing) await anvil.stop();
  }
}

export function formatRecvGas(report: { recv: readonly RecvGasReport[]; send?: SendGas }): string {
  const rows: string[] = report.send ? [`EchoApp send: ${report.send.first} gas the first of a channel, ${report.send.next} later`] : [];
  for (const r of report.recv) {
    const b = r.breakdown;
    rows.push(
      `recvPackets to ${RECEIVING_APPS[r.app]}: 1 packet ${r.single} gas (the first of its channel ${r.first}); ${r.batch.packets} packets ${r.batch.gasUsed} gas (${r.batch.perPacket} per packet); recvBatches of ${r.batched.packets} packets of one hub batch ${r.batched.gasUsed} gas (${r.batched.perPacket} per packet)`,
      `    1 packet: 21000 + calldata ${b.intrinsic} (${b.calldataBytes} B); recvOne frame ${b.recvOne}, of which PontisClient.verifyMembership ${b.verifyMembership} and the app ${b.app}; the rest is recvPackets itself`,
    );
  }
  return rows.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  measureRecvGas().then((r) => process.stdout.write(formatRecvGas(r) + '\n'));
}
