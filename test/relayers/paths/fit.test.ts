import { describe, expect, it } from 'vitest';
import type { Msg } from '../../../hub-chain/app/tx.ts';
import { fitMessages, txSize } from '../../../relayers/paths/pontis/fit.ts';
import { encodeTx, signTx } from '../../../hub-chain/app/tx.ts';
import { generateAccountKey } from '../../../hub-chain/crypto/ed25519.ts';

const size = (msgs: Msg[]) => JSON.stringify(msgs).length;
const update = { type: 'clients/update', chainId: 'a', message: { x: 'u'.repeat(100) } } as Msg;
const batch = (n: number, shared?: unknown[]) => ({ type: 'packets/recv', proofHeight: 5, packets: Array.from({ length: n }, (_, i) => ({ packet: { sequence: i + 1 }, proof: 'p'.repeat(90) })), ...(shared ? { shared } : {}) }) as Msg;
const items = (parts: Msg[][]) => parts.flatMap((p) => p.flatMap((m) => ((m as { packets?: { packet: { sequence: number } }[] }).packets ?? []).map((x) => x.packet.sequence)));

describe('fitMessages', () => {
  it('behavior: what fits stays one transaction', () => {
    const msgs = [update, batch(3)];
    expect(fitMessages(msgs, size, 10_000)).toEqual([msgs]);
  });

  it('behavior: a relay batch too large is halved until every part fits, in order, the client update with the first part, the shared parts with each', () => {
    const shared = [{ height: 9, root: '0x00' }];
    const parts = fitMessages([update, batch(40, shared)], size, 1500);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(size(p)).toBeLessThanOrEqual(1500);
    expect(parts[0][0]).toBe(update);
    expect(parts.slice(1).every((p) => p.every((m) => m.type === 'packets/recv'))).toBe(true);
    expect(items(parts)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const p of parts) expect((p[p.length - 1] as { shared?: unknown }).shared).toBe(shared);
  });

  it('error: a single item that cannot fit, or a message that is not a relay batch, is left whole for the chain to refuse', () => {
    expect(fitMessages([batch(1)], size, 50)).toEqual([[batch(1)]]);
    const big = { type: 'clients/update', chainId: 'a', message: { x: 'u'.repeat(5000) } } as Msg;
    expect(fitMessages([big], size, 1000)).toEqual([[big]]);
  });

  it('behavior: txSize is a signed transaction\'s encoded length, up to the nonce\'s digits', () => {
    const msgs = [update, batch(20)];
    const real = encodeTx(signTx({ chainId: 'pontis-hub-1', nonce: 12345, msgs }, generateAccountKey())).length;
    expect(real - txSize('pontis-hub-1', msgs)).toBe(4);
  });
});
