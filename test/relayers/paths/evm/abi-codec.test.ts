/**
 * The relayer's compiled ABI codec (relayers/paths/evm/abi-codec.ts) against ethers: the Gateway
 * calls it encodes are byte for byte what ethers encodes, over seeded random arguments and the
 * edges (empty lists, 31/32/33-byte values, unicode, the largest uint64); the logs it decodes give
 * what ethers decodes. Malformed logs (truncated, offsets or lengths past the end, a bool of 2,
 * wrong topic count, not hex) and arguments that do not fit their types are refused by code.
 */
import { describe, expect, it } from 'vitest';
import { EventFragment, Interface, type Result } from 'ethers';
import { decodeGatewayLog, gatewayCall, gatewayIface } from '../../../../relayers/paths/evm/abi.ts';
import { eventDecoder } from '../../../../relayers/paths/evm/abi-codec.ts';
import { codeOf, errorCode } from '../../../support/errors.ts';

/** A small seeded generator (mulberry32): the same cases every run. */
function rng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const hex = (n: number) => `0x${Array.from({ length: n }, () => int(256).toString(16).padStart(2, '0')).join('')}`;
  const str = () => ['', 'gov', 'dept-a', 'évm-ß/✓', 'x'.repeat(int(70))][int(5)];
  const u64 = () => [0n, 1n, 2n ** 64n - 1n, BigInt(int(1e9)), 2n ** 48n, 2n ** 48n - 1n][int(6)];
  const packet = () => ({ srcChain: str(), srcApp: str(), dstChain: str(), dstApp: str(), sequence: u64(), ordered: next() < 0.5, payload: hex([0, 1, 31, 32, 33, 200][int(6)]), timeoutHeight: u64(), timeoutTimestamp: u64() });
  const batch = () => [u64(), hex(32), u64(), hex(int(600))];
  const list = <T>(f: () => T, max: number) => Array.from({ length: int(max + 1) }, f);
  return { int, hex, u64, packet, batch, list };
}

/** An ethers Result as plain arrays (what the codec returns). */
const plain = (v: unknown): unknown => (Array.isArray(v) ? (v as unknown as Result).map(plain) : v);

describe('compiled ABI codec against ethers', () => {
  it('behavior: recvBatches, acknowledge, recvPackets and timeout calldata is byte for byte what ethers encodes', () => {
    const r = rng(7);
    for (let i = 0; i < 60; i++) {
      const n = r.int(6);
      const packets = Array.from({ length: n }, r.packet);
      const lists = () => [Array.from({ length: n }, () => BigInt(r.int(3))), Array.from({ length: n }, r.u64), Array.from({ length: n }, () => r.hex(r.int(5) * 32))];
      const recv = [r.u64(), r.list(r.batch, 3), packets, ...lists()];
      expect(gatewayCall.recvBatches(recv)).toBe(gatewayIface.encodeFunctionData('recvBatches', recv));
      const ack = [r.u64(), r.list(r.batch, 3), packets, Array.from({ length: n }, () => r.hex(r.int(40))), ...lists()];
      expect(gatewayCall.acknowledge(ack)).toBe(gatewayIface.encodeFunctionData('acknowledge', ack));
      const one = [r.u64(), packets, Array.from({ length: n }, () => r.hex(r.int(300)))];
      expect(gatewayCall.recvPackets(one)).toBe(gatewayIface.encodeFunctionData('recvPackets', one));
      expect(gatewayCall.timeout(one)).toBe(gatewayIface.encodeFunctionData('timeout', one));
    }
    // numbers and bytes given as Uint8Array encode as their bigint and hex forms do
    const p = { ...rng(1).packet(), sequence: 5, timeoutHeight: 0, timeoutTimestamp: 1_700_000_000_000 };
    const args = [9, [[1, `0x${'ab'.repeat(32)}`, 2, Uint8Array.of(1, 2, 3)]], [p], [0], [4], ['0x']];
    expect(gatewayCall.recvBatches(args)).toBe(gatewayIface.encodeFunctionData('recvBatches', [9, [[1, `0x${'ab'.repeat(32)}`, 2, '0x010203']], [p], [0], [4], ['0x']]));
  });

  it('behavior: PacketSent, PacketReceived and PacketResult logs decode to what ethers decodes', () => {
    const r = rng(11);
    for (let i = 0; i < 60; i++) {
      const channel = r.hex(32);
      const seq = r.u64();
      const cases: [string, unknown[]][] = [
        ['PacketSent', [channel, seq, r.packet()]],
        ['PacketReceived', [channel, seq, r.packet(), r.hex(r.int(100))]],
        ['PacketResult', [channel, seq, BigInt(r.int(4)), BigInt(r.int(3)), r.hex(r.int(68))]],
      ];
      for (const [name, values] of cases) {
        const ev = gatewayIface.getEvent(name)!;
        const log = gatewayIface.encodeEventLog(ev, values);
        const theirs = gatewayIface.decodeEventLog(ev, log.data, log.topics);
        const ours = decodeGatewayLog(log)!;
        expect(ours.name).toBe(name);
        expect(Object.keys(ours.args)).toEqual(ev.inputs.map((x) => x.name));
        for (const x of ev.inputs) expect(ours.args[x.name]).toEqual(plain(theirs[x.name]));
      }
    }
  });

  it('error: malformed logs are refused with PNT_ERR_RELAY_EVM_BAD_RESPONSE, and arguments that do not fit their types with PNT_ERR_RELAY_EVM_ABI_ENCODE', () => {
    const ev = gatewayIface.getEvent('PacketReceived')!;
    const log = gatewayIface.encodeEventLog(ev, [rng(3).hex(32), 4n, rng(3).packet(), '0xbeef']);
    const word = (i: number) => 2 + i * 64;
    const setWord = (data: string, i: number, v: bigint) => data.slice(0, word(i)) + v.toString(16).padStart(64, '0') + data.slice(word(i + 1));
    const refused = (l: { topics: string[]; data: string }) => {
      try {
        decodeGatewayLog(l);
        return 'decoded';
      } catch (e) {
        return errorCode(e);
      }
    };
    const bad = [
      { ...log, data: log.data.slice(0, log.data.length - 64) }, // truncated
      { ...log, data: setWord(log.data, 0, 10n ** 6n) }, // the packet's offset past the end
      { ...log, data: setWord(log.data, 0, 2n ** 200n + BigInt(`0x${log.data.slice(word(0), word(1))}`)) }, // an offset no data can have (its low bytes the real one)
      { ...log, data: setWord(log.data, 1, 2n ** 40n) }, // the ack's offset past the end
      { ...log, data: `${log.data}0` }, // odd hex
      { ...log, data: log.data.replace(/.$/, 'z') }, // not hex
      { ...log, topics: log.topics.slice(0, 2) }, // a topic missing
    ];
    for (const l of bad) expect(refused(l)).toBe('PNT_ERR_RELAY_EVM_BAD_RESPONSE');
    // the packet tuple's `ordered` (its sixth word) set to 2
    const packetAt = Number(BigInt(`0x${log.data.slice(word(0), word(1))}`)) / 32;
    expect(refused({ ...log, data: setWord(log.data, packetAt + 5, 2n) })).toBe('PNT_ERR_RELAY_EVM_BAD_RESPONSE');
    expect(refused(log)).toBe('decoded');

    const p = rng(5).packet();
    const encodeRefusal = (args: unknown[]) => {
      try {
        gatewayCall.recvPackets(args);
        return 'encoded';
      } catch (e) {
        return errorCode(e);
      }
    };
    for (const args of [
      [2n ** 64n, [p], []], // uint64 overflow
      [-1, [p], []], // negative
      [1.5, [p], []], // not an integer
      [1, [{ ...p, payload: '0x123' }], []], // odd hex
      [1, [{ ...p, payload: '0xzz' }], []], // not hex
      [1, [{ ...p, ordered: 1 }], []], // not a bool
      [1, [[p.srcChain, p.srcApp]], []], // a tuple of too few values
      [1, p, []], // not an array
    ]) expect(encodeRefusal(args)).toBe('PNT_ERR_RELAY_EVM_ABI_ENCODE');
    expect(encodeRefusal([1, [p], ['0x00']])).toBe('encoded');
  });

  it('error: data whose offsets point many items at one large value (decoding to far more than its size) is refused', () => {
    const ev = EventFragment.from('event Items(bytes[] items)');
    const decode = eventDecoder(ev);
    const topics = [ev.topicHash];
    // 1000 items, each its own 32 bytes: decodes
    const honest = new Interface([ev]).encodeEventLog(ev, [Array.from({ length: 1000 }, (_, i) => `0x${i.toString(16).padStart(64, '0')}`)]);
    expect((decode(honest).items as string[]).length).toBe(1000);
    // 1000 offsets all at one 1000-byte value: 33 KB of data that would decode to 1 MB
    const w = (v: number) => v.toString(16).padStart(64, '0');
    const head = [w(32), w(1000)].join('');
    const offsets = Array.from({ length: 1000 }, () => w(1000 * 32)).join('');
    const value = w(1000) + 'ab'.repeat(1000) + '00'.repeat(24);
    expect(codeOf(() => decode({ topics, data: `0x${head}${offsets}${value}` }))).toBe('PNT_ERR_RELAY_EVM_BAD_RESPONSE');
    // the same shape with 10 items is within bounds, and decodes to the one value ten times
    const few = `0x${[w(32), w(10)].join('')}${Array.from({ length: 10 }, () => w(10 * 32)).join('')}${value}`;
    expect(new Set(decode({ topics, data: few }).items as string[])).toEqual(new Set([`0x${'ab'.repeat(1000)}`]));
  });
});
