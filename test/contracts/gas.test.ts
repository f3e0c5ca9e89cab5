import { describe, expect, it } from 'vitest';
import { formatClientGas, measureClientGas } from './gas.ts';
import { formatRecvGas, measureRecvGas } from './gateway-gas.ts';

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
    const report = await measureRecvGas(10, ['sink', 'echo']);
    process.stdout.write(`${formatRecvGas(report)}\n`);
    expect(report.send!.next).toBeLessThan(report.send!.first);
    for (const r of report.recv) {
      expect(r.batch.packets).toBe(10);
      expect(r.batch.perPacket).toBeLessThan(r.single);
      // one state proof for the whole hub batch and a short path each costs less than a proof each
      expect(r.batched.packets).toBe(10);
      expect(r.batched.perPacket).toBeLessThan(r.batch.perPacket);
      // a channel's first packet also pays for its ordering slot
      expect(r.first).toBeGreaterThan(r.single);
      // the breakdown's frames nest: the proof check and the app run inside recvOne
      expect(r.breakdown.verifyMembership + r.breakdown.app).toBeLessThan(r.breakdown.recvOne);
    }
    // SinkApp writes nothing, EchoApp writes a counter and the payload
    expect(report.recv[0].breakdown.app).toBeLessThan(report.recv[1].breakdown.app);
  });
});
