/**
 * Checkpoint stores: the file store survives a new instance, writes atomically (no temporary
 * files left, a torn file is reported, not half-read), and the memory store hands out copies.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore, MemoryCheckpointStore } from '../../adapters/core/checkpoint.ts';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'pontis-ckpt-unit-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('FileCheckpointStore', () => {
  it('behavior: a cursor written by one instance is read by another, last write wins, and no temporary file is left', async () => {
    const dir = tmp();
    const a = new FileCheckpointStore(dir);
    expect(await a.get('evm-1/gateway')).toBeUndefined();
    await a.put('evm-1/gateway', { height: 5, blockHash: '0x05', recent: [{ height: 4, blockHash: '0x04' }] });
    await a.put('evm-1/gateway', { height: 7, blockHash: '0x07' });
    expect(await new FileCheckpointStore(dir).get('evm-1/gateway')).toEqual({ height: 7, blockHash: '0x07' });
    expect(readdirSync(dir)).toEqual(['evm-1_gateway.json']);
  });

  it('behavior: keys are independent', async () => {
    const s = new FileCheckpointStore(tmp());
    await s.put('a', { height: 1, blockHash: '0x1' });
    await s.put('b', { height: 2, blockHash: '0x2' });
    expect((await s.get('a'))!.height).toBe(1);
    expect((await s.get('b'))!.height).toBe(2);
  });

  it('error: a torn or foreign file is a non-retryable PNT_ERR_ADAPTER_CHECKPOINT, never a silent restart from zero', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'torn.json'), '{"height": 12, "blockHa');
    writeFileSync(join(dir, 'foreign.json'), '{"height": -1}');
    const s = new FileCheckpointStore(dir);
    for (const key of ['torn', 'foreign']) {
      const err = await s.get(key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdapterError);
      expect((err as AdapterError).code).toBe(AdapterErrorCode.CHECKPOINT);
      expect((err as AdapterError).retryable).toBe(false);
    }
  });

  it('error: an unwritable directory is a PNT_ERR_ADAPTER_CHECKPOINT on put', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'file'), 'x');
    const err = await new FileCheckpointStore(join(dir, 'file', 'sub')).put('k', { height: 1, blockHash: '0x1' }).catch((e: unknown) => e);
    expect((err as AdapterError).code).toBe(AdapterErrorCode.CHECKPOINT);
  });
});

describe('MemoryCheckpointStore', () => {
  it('behavior: returns copies, so a caller mutating a cursor does not move the stored one', async () => {
    const s = new MemoryCheckpointStore();
    const c = { height: 3, blockHash: '0x3', recent: [{ height: 2, blockHash: '0x2' }] };
    await s.put('k', c);
    c.height = 99;
    const got = (await s.get('k'))!;
    got.recent!.push({ height: 9, blockHash: '0x9' });
    expect(await s.get('k')).toEqual({ height: 3, blockHash: '0x3', recent: [{ height: 2, blockHash: '0x2' }] });
  });
});
