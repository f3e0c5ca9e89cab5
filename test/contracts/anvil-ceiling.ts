/**
 * What anvil itself spends, in CPU, on the three EVM transactions a packet between two EVM chains
 * needs (the send on A, the receive on B, the ack on A), each executed once with a fixed gas limit
 * (no eth_estimateGas), in transactions as full as the relay benchmark's (StreamApp.sendMany of
 * 200; Gateway.recvBatches of 240 from one hub batch; Gateway.acknowledge of 120 with a hub proof
 * each). Read from /proc for the anvil process, so it is anvil's own work per packet: the floor
 * under what two anvil chains cost end to end, whatever the hub and the relayer do (bench:relay).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { packetFromSolidity, solidityPacket } from '../../contracts/evm/encode.ts';
import { concat, toHex } from '../../hub-chain/crypto/bytes.ts';
import { merkleProofs, merkleRoot } from '../../hub-chain/crypto/merkle.ts';
import { type Packet, encodeAck, encodeBatchValue, packetCommitment, packetKeys } from '../../hub-chain/modules/packets/types.ts';
import { StateStore } from '../../hub-chain/state/store.ts';
import { cpuSeconds } from '../bench/cpu.ts';
import { startAnvil } from './anvil.ts';
import { type AckArgs, Hub } from './bridge-fixture.ts';

export interface AnvilCeiling {
  /** anvil CPU microseconds per packet for each step, and their sum. */
  sendUs: number;
  recvUs: number;
  ackUs: number;
  totalUs: number;
  /** Gas per packet of each step. */
  sendGas: number;
  recvGas: number;
  ackGas: number;
  packets: number;
}

const GAS_LIMIT = 16_000_000; // under Osaka's per-transaction cap (2^24)

export async function measureAnvilCeiling(rounds = 4): Promise<AnvilCeiling> {
  const anvil = await startAnvil();
  const dir = mkdtempSync(join(tmpdir(), 'pontis-anvil-ceiling-'));
  const env = open({ path: dir, maxDbs: 16 });
  try {
    const nowMs = (await anvil.provider.getBlock('latest'))!.timestamp * 1000;
    const hub = await Hub.start(anvil, StateStore.open(env), nowMs, 'anvil-ceiling');
    const gateway = await anvil.deploy('Gateway', await hub.client.getAddress(), 'evm-1', 1_000_000);
    const stream = await anvil.deploy('StreamApp', await gateway.getAddress(), 'stream');
    const timeout = nowMs + 86_400_000;
    const cpu = () => cpuSeconds(anvil.pid);
    const step = async <T>(f: () => Promise<{ gasUsed: bigint; r: T }[]>) => {
      const before = cpu();
      const rs = await f();
      return { cpu: cpu() - before, gas: rs.reduce((a, x) => a + Number(x.gasUsed), 0), out: rs.map((x) => x.r) };
    };
    const wait = async (tx: Promise<{ wait: () => Promise<unknown> }>) => (await (await tx).wait()) as { gasUsed: bigint; logs: { topics: string[]; data: string }[] };

    // sends: sendMany of 200, `rounds` times
    const SEND = 200;
    const sends = await step(async () => {
      const out = [];
      for (let i = 0; i < rounds; i++) {
        const rc = await wait(stream.sendMany('evm-2', 'stream', SEND, timeout, { gasLimit: GAS_LIMIT }));
        out.push({ gasUsed: rc.gasUsed, r: rc.logs.map((l) => gateway.interface.parseLog(l)).filter((d) => d?.name === 'PacketSent').map((d) => packetFromSolidity(d!.args.packet)) });
      }
      return out;
    });
    const sent = sends.out.flat();

    // receives: hub batches of 240 packets for this chain, one recvBatches each
    const RECV = 240;
    const inbound: Packet[][] = Array.from({ length: rounds }, (_, b) =>
      Array.from({ length: RECV }, (_, i) => ({ srcChain: 'evm-2', srcApp: 'stream', dstChain: 'evm-1', dstApp: 'stream', sequence: b * RECV + i + 1, ordered: false, payload: toHex(new Uint8Array(8).fill(i & 0xff)), timeoutHeight: 0, timeoutTimestamp: timeout })),
    );
    const v = await hub.advance(inbound.map((ps, b) => [packetKeys.batch('evm-1', 1000 + b), encodeBatchValue(merkleRoot(ps.map(packetCommitment)), ps.length)]));
    const recvs = await step(async () => {
      const out = [];
      for (const [b, ps] of inbound.entries()) {
        const leaves = ps.map(packetCommitment);
        const paths = merkleProofs(leaves, ps.map((_, i) => i)).map((m) => toHex(concat(...m.siblings)));
        const batch = [1000 + b, toHex(merkleRoot(leaves)), ps.length, hub.proof(packetKeys.batch('evm-1', 1000 + b), v)];
        const rc = await wait(gateway.recvBatches(v, [batch], ps.map(solidityPacket), ps.map(() => 0), ps.map((_, i) => i), paths, { gasLimit: GAS_LIMIT }));
        out.push({ gasUsed: rc.gasUsed, r: null });
      }
      return out;
    });

    // acks: the hub's ack for every packet sent above, then acknowledge in transactions of 120
    const ACK = 120;
    const ack = encodeAck({ ok: true, result: '0x01' });
    // one hub ack batch per transaction's worth (ADR 0017)
    const ackCalls: AckArgs[] = [];
    for (let i = 0; i < sent.length; i += ACK) ackCalls.push((await hub.ackBatch('evm-1', sent.slice(i, i + ACK).map((packet) => ({ packet, ack })))).args);
    const acks = await step(async () => {
      const out = [];
      for (const args of ackCalls) {
        const rc = await wait(gateway.acknowledge(...args, { gasLimit: GAS_LIMIT }));
        out.push({ gasUsed: rc.gasUsed, r: null });
      }
      return out;
    });
    if (Number(await stream.acked()) !== sent.length || Number(await stream.received()) !== rounds * RECV) throw new Error('anvil ceiling: not every packet was received and acknowledged');
    const us = (s: number, n: number) => Math.round((s * 1e6) / n);
    const out = {
      sendUs: us(sends.cpu, sent.length),
      recvUs: us(recvs.cpu, rounds * RECV),
      ackUs: us(acks.cpu, sent.length),
      sendGas: Math.round(sends.gas / sent.length),
      recvGas: Math.round(recvs.gas / (rounds * RECV)),
      ackGas: Math.round(acks.gas / sent.length),
      packets: sent.length,
      totalUs: 0,
    };
    out.totalUs = out.sendUs + out.recvUs + out.ackUs;
    return out;
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
    await anvil.stop();
  }
}
