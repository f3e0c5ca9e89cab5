/**
 * Packets in Substrate writer remarks (adapters/substrate/packets.ts), read back as the relayer
 * reads them, and the `substrate` relay kind's config and registration (no chain needed).
 */
import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { type Packet, ackCommitment, encodeAck, packetCommitment } from '../../hub-chain/modules/packets/types.ts';
import { decodeRemarkPayload, encodeRemarkPayload } from '../../hub-chain/light-clients/substrate/remark.ts';
import { substrateChainRegistration } from '../../hub-chain/light-clients/substrate/registration.ts';
import { ackPairs, packetsOfRemark, sentPairs, substratePacketKeys } from '../../adapters/substrate/packets.ts';
import { isFatalCode } from '../../relayers/errors.ts';
import { defaultPathKinds } from '../../relayers/paths/registry.ts';
import { towardSubstrate } from '../../relayers/paths/substrate/handlers.ts';

const pkt = (over: Partial<Packet> = {}): Packet => ({ srcChain: 'sub-1', srcApp: 'app', dstChain: 'evm-a', dstApp: 'echo', sequence: 1, ordered: false, payload: '0xc0ffee', timeoutHeight: 0, timeoutTimestamp: 0, ...over });
const payloadOf = (pairs: [Bytes, Bytes][]) => encodeRemarkPayload(pairs);
const text = (b: Bytes) => Buffer.from(b).toString('utf8');

describe('packets in writer remarks', () => {
  it('sent packets come back whole, and the pair the hub proves is the commitment', () => {
    const a = pkt();
    const b = pkt({ dstChain: 'sub-2', sequence: 7, ordered: true, payload: toHex(utf8('x'.repeat(300))), timeoutTimestamp: 1_900_000_000_000 });
    const pairs = sentPairs([a, b]);
    const got = packetsOfRemark(payloadOf(pairs));
    expect(got).toEqual({ packets: [a, b], acks: [], ackRefs: [], timeouts: [], skipped: [] });
    const decoded = decodeRemarkPayload(payloadOf(pairs));
    const out = decoded.find(([k]) => text(k) === 'pkt/out/sub-1/app/sub-2/echo/7')!;
    expect(toHex(out[1])).toBe(toHex(packetCommitment(b)));
  });

  it('acks come back with their packet and bytes; the proven pair is the ack commitment', () => {
    const p = pkt({ srcChain: 'evm-a', dstChain: 'sub-1', sequence: 3 });
    const ack = encodeAck({ ok: false, error: 'PNT_ERR_APP_FAILED' });
    const pairs = ackPairs([{ packet: p, ack }]);
    expect(packetsOfRemark(payloadOf(pairs))).toEqual({ packets: [], acks: [{ packet: p, ack: toHex(ack) }], ackRefs: [], timeouts: [], skipped: [] });
    const proven = pairs.find(([k]) => text(k) === 'pkt/ack/evm-a/app/sub-1/echo/3')!;
    expect(toHex(proven[1])).toBe(toHex(ackCommitment(ack)));
  });

  it('refuses to write an ack the hub would refuse', () => {
    expect(() => ackPairs([{ packet: pkt(), ack: Uint8Array.of(7) }])).toThrow(expect.objectContaining({ code: 'PNT_ERR_ACK_MALFORMED' }));
  });

  it('skips groups whose fields do not match their commitment, are missing or name another packet', () => {
    const a = pkt();
    const ch = 'sub-1/app/evm-a/echo';
    const forged = { ...a, payload: '0xbad0' };
    const cases: [string, [Bytes, Bytes][], string][] = [
      ['fields', [[substratePacketKeys.outbound(ch, 1), packetCommitment(a)], [substratePacketKeys.data(ch, 1), utf8(JSON.stringify(forged))]], 'the fields do not match the commitment'],
      ['missing', [[substratePacketKeys.outbound(ch, 1), packetCommitment(a)]], 'no pkt/data pair'],
      ['other seq', [[substratePacketKeys.outbound(ch, 2), packetCommitment(a)], [substratePacketKeys.data(ch, 2), utf8(JSON.stringify(a))]], 'pkt/data names another channel or sequence'],
      ['not json', [[substratePacketKeys.outbound(ch, 1), packetCommitment(a)], [substratePacketKeys.data(ch, 1), utf8('{')]], 'pkt/data is not JSON'],
      ['extra field', [[substratePacketKeys.outbound(ch, 1), packetCommitment(a)], [substratePacketKeys.data(ch, 1), utf8(JSON.stringify({ ...a, extra: 1 }))]], 'pkt/data does not parse'],
      ['ack bytes', [[substratePacketKeys.ack(ch, 1), ackCommitment(encodeAck({ ok: true, result: '0x01' }))], [substratePacketKeys.data(ch, 1), utf8(JSON.stringify(a))], [substratePacketKeys.ackData(ch, 1), encodeAck({ ok: true, result: '0x02' })]], 'the ack does not match its commitment'],
    ];
    for (const [name, pairs, reason] of cases) {
      const got = packetsOfRemark(payloadOf(pairs));
      expect({ name, packets: got.packets, acks: got.acks }).toEqual({ name, packets: [], acks: [] });
      expect(got.skipped).toHaveLength(1);
      expect(got.skipped[0].reason).toContain(reason);
    }
  });

  it('a remark that is not a Pontis payload holds nothing', () => {
    const none = { packets: [], acks: [], ackRefs: [], timeouts: [], skipped: [] };
    expect(packetsOfRemark(utf8('hello'))).toEqual(none);
    expect(packetsOfRemark(concat(utf8('PNTS'), Uint8Array.of(4, 1)))).toEqual(none);
  });
});

describe('the substrate relay kind', () => {
  const kinds = defaultPathKinds();
  const schema = kinds.chainSchema();

  it('is registered, and its config takes ws URLs and a signer reference', () => {
    const ok = schema.safeParse({ id: 'sub-1', kind: 'substrate', rpc: ['ws://127.0.0.1:9944', 'wss://rpc.example.org'], signer: { env: 'SUB_KEY' } });
    expect(ok.success).toBe(true);
    expect(schema.safeParse({ id: 'sub-1', kind: 'substrate', rpc: 'http://127.0.0.1:9933', signer: { env: 'SUB_KEY' } }).success).toBe(false);
    expect(schema.safeParse({ id: 'sub-1', kind: 'substrate', rpc: 'ws://127.0.0.1:9944', signer: { env: 'SUB_KEY' }, ss58: 42 }).success).toBe(false);
    expect(schema.safeParse({ id: 'sub-1', kind: 'substrate', rpc: 'ws://127.0.0.1:9944' }).success).toBe(false);
  });

  it('names a signer by its sr25519 address', () => {
    const key = `0x${'11'.repeat(32)}`;
    const addr = kinds.get('substrate').signerAddress(key);
    expect(addr).toMatch(/^5[1-9A-HJ-NP-Za-km-z]{47}$/);
    expect(kinds.get('substrate').signerAddress(key)).toBe(addr);
    expect(kinds.get('substrate').signerAddress(`0x${'22'.repeat(32)}`)).not.toBe(addr);
  });

  it('answers deliveries toward the chain with a fatal typed error', () => {
    const e = (() => {
      try {
        towardSubstrate('packet delivery', 'sub-1');
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(PontisError);
    expect(e).toMatchObject({ code: 'PNT_ERR_RELAY_DIRECTION_UNSUPPORTED', retryable: false });
    expect(isFatalCode('PNT_ERR_RELAY_DIRECTION_UNSUPPORTED')).toBe(true);
  });

  it('builds the hub registration of an attested client with its writers', () => {
    const initial = { height: 5, hash: `0x${'ab'.repeat(32)}`, stateRoot: `0x${'cd'.repeat(32)}`, timestamp: 1 };
    const events = { hash: `0x${'ef'.repeat(32)}`, table: { root: 0, types: [] } };
    const a = substrateChainRegistration({ chainId: 'sub-1', initial, writers: [`0x${'AA'.repeat(32)}`], events });
    expect(a).toMatchObject({ kind: 'registry/register-chain', chainKind: 'substrate', clientType: 'substrate', routes: ['*'], clientInitial: initial });
    expect(a.clientParams).toMatchObject({ trust: { mode: 'attested' }, writers: [`0x${'aa'.repeat(32)}`], events });
    expect(() => substrateChainRegistration({ chainId: 'sub-1', initial, writers: [], events })).toThrow(expect.objectContaining({ code: 'PNT_ERR_CLIENT_PARAMS_INVALID' }));
    expect(() => substrateChainRegistration({ chainId: 'sub-1', initial, writers: ['0x1234'], events })).toThrow(expect.objectContaining({ code: 'PNT_ERR_CLIENT_PARAMS_INVALID' }));
  });
});
