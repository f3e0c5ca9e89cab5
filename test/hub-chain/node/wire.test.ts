/** Peer wire frames: messages that carry transactions go as binary frames with raw attachments. */
import { describe, expect, it } from 'vitest';
import { type WireMessage, encodeWire, parseBinaryHead, splitBinaryFrame } from '../../../hub-chain/node/wire.ts';

const decode = (f: string | Buffer): WireMessage => (typeof f === 'string' ? JSON.parse(f) : (({ head, bins }) => parseBinaryHead(head, bins))(splitBinaryFrame(f)));

describe('peer wire frames', () => {
  it('behavior: a message without bytes is a JSON text frame; one with transactions a binary frame that gives them back byte for byte', () => {
    expect(encodeWire({ t: 'status', node: '0xab', height: 7 })).toBe('{"t":"status","node":"0xab","height":7}');
    const txs = [new Uint8Array([1, 2, 3]), Buffer.from('a Buffer, not a plain Uint8Array'), new Uint8Array(0), new Uint8Array(70_000).fill(9)];
    const f = encodeWire({ t: 'txs', txs });
    expect(Buffer.isBuffer(f)).toBe(true);
    const back = decode(f) as Extract<WireMessage, { t: 'txs' }>;
    expect(back.txs.map((t) => Buffer.from(t).toString('hex'))).toEqual(txs.map((t) => Buffer.from(t).toString('hex')));
    // a head that looks like a reference but is plain JSON data stays data only in text frames
    expect(decode('{"t":"txs","txs":[{"$bin":0}]}')).toEqual({ t: 'txs', txs: [{ $bin: 0 }] });
  });

  it('error: frames whose lengths or references do not add up are refused with PNT_ERR_P2P_MALFORMED', () => {
    const good = encodeWire({ t: 'txs', txs: [new Uint8Array([5, 6]), new Uint8Array([7])] }) as Buffer;
    const head = (h: string, bins: number[][]) => {
      const hb = Buffer.from(h);
      const parts = [Buffer.from([1]), u32(hb.length), hb, u32(bins.length), ...bins.flatMap((b) => [u32(b.length), Buffer.from(b)])];
      return Buffer.concat(parts);
    };
    const cases: [string, Buffer][] = [
      ['cut short', good.subarray(0, good.length - 1)],
      ['a byte too many', Buffer.concat([good, Buffer.from([0])])],
      ['an unknown frame kind', Buffer.concat([Buffer.from([2]), good.subarray(1)])],
      ['a head longer than the frame', Buffer.concat([Buffer.from([1]), u32(1 << 30), good.subarray(5)])],
      ['a count beyond the frame', withCount(head('{"t":"txs","txs":[]}', []), 0xffffffff)],
      ['a reference past the attachments', head('{"t":"txs","txs":[{"$bin":1}]}', [[1]])],
      ['one attachment referred to twice', head('{"t":"txs","txs":[{"$bin":0},{"$bin":0}]}', [[1]])],
      ['an attachment nothing refers to', head('{"t":"txs","txs":[{"$bin":0}]}', [[1], [2]])],
      ['a reference with other fields', head('{"t":"txs","txs":[{"$bin":0,"x":1}]}', [[1]])],
      ['a fractional reference', head('{"t":"txs","txs":[{"$bin":0.5}]}', [[1]])],
    ];
    for (const [what, frame] of cases) expect(() => decode(frame), what).toThrow(expect.objectContaining({ code: 'PNT_ERR_P2P_MALFORMED' }));
    expect(decode(head('{"t":"txs","txs":[{"$bin":1},{"$bin":0}]}', [[1], [2]]))).toEqual({ t: 'txs', txs: [new Uint8Array([2]), new Uint8Array([1])] });
  });
});

function withCount(frame: Buffer, n: number): Buffer {
  frame.writeUInt32BE(n, frame.length - 4);
  return frame;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
