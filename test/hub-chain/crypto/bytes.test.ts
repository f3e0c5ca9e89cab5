import { describe, expect, it } from 'vitest';
import { fromHex, isHex, toHex } from '../../../hub-chain/crypto/bytes.ts';

describe('hex', () => {
  it('behavior: round-trips bytes, upper and lower case digits', () => {
    const b = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromHex(toHex(b))).toEqual(b);
    expect(fromHex('0xABcd')).toEqual(Uint8Array.of(0xab, 0xcd));
    expect(fromHex('0x')).toEqual(new Uint8Array());
    expect(fromHex('0x' + 'ff'.repeat(32), 32)).toHaveLength(32);
  });

  it('error: anything but 0x-prefixed pairs of hex digits is PNT_ERR_BAD_HEX, wherever the bad digit sits', () => {
    const long = 'ab'.repeat(300_000);
    for (const s of ['', '0', 'ff', '0X00', '0x0', '0x0g', '0xg0', '0x 0', '0x00 ', '0x+f', `0x${long}zz`, `0x${long.slice(0, -1)}`, `0x${long.slice(0, 1000)}-1${long.slice(0, 1000)}`]) {
      expect(() => fromHex(s), s.slice(0, 20)).toThrow(expect.objectContaining({ code: 'PNT_ERR_BAD_HEX' }));
      expect(isHex(s)).toBe(false);
    }
    expect(() => fromHex(123 as unknown as string)).toThrow(expect.objectContaining({ code: 'PNT_ERR_BAD_HEX' }));
    expect(() => fromHex('0x00', 2)).toThrow(expect.objectContaining({ code: 'PNT_ERR_BAD_HEX' }));
  });
});
