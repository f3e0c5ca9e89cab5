import { describe, expect, it } from 'vitest';
import { formatClientGas, formatGatewayGas, measureClientGas, measureGatewayGas } from './gas.ts';

describe('PontisClient gas', () => {
  it('behavior: updateClient gas is measured for 4, 7 and 21 validators and grows with the signers', async () => {
    const report = await measureClientGas();
    process.stdout.write(`${formatClientGas(report)}\n`);
    expect(report.updates.map((u) => [u.validators, u.signers])).toEqual([
      [4, 4],
      [4, 3],
      [7, 7],
      [7, 5],
      [21, 21],
      [21, 15],
    ]);
    const all = report.updates.filter((u) => u.signers === u.validators).map((u) => u.gasUsed);
    expect(all[0]).toBeLessThan(all[1]);
    expect(all[1]).toBeLessThan(all[2]);
    // a 21-validator update must stay far below a block; a verifier that loops per signer per validator would not
    expect(all[2]).toBeLessThan(1_000_000);
    expect(report.proof.gas).toBeGreaterThan(21_000);
  });

  it('behavior: gateway send and batched receive gas is measured, and a batch costs less per packet than single packets', async () => {
    const report = await measureGatewayGas([1, 10]);
    process.stdout.write(`${formatGatewayGas(report)}\n`);
    expect(report.sendNext).toBeLessThan(report.sendFirst);
    expect(report.recv.map((r) => r.packets)).toEqual([1, 10]);
    expect(report.recv[1].perPacket).toBeLessThan(report.recv[0].perPacket);
  });
});
