/** Shared fixtures of the clients tests: a Map-backed store, contexts, code assertions, a real StateStore. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { expect } from 'vitest';
import { type Bytes, toHex } from '../../../../hub-chain/crypto/bytes.ts';
import type { KVStore } from '../../../../hub-chain/app/app.ts';
import type { ClientContext } from '../../../../hub-chain/modules/clients/types.ts';
import type { ValidatorSet } from '../../../../hub-chain/types/validator-set.ts';
import { StateStore } from '../../../../hub-chain/state/index.ts';
import { hasCode } from '../../../../hub-chain/errors.ts';

export class MapStore implements KVStore {
  readonly m = new Map<string, Bytes>();
  get = (k: Bytes) => this.m.get(toHex(k));
  set = (k: Bytes, v: Bytes) => void this.m.set(toHex(k), v);
  delete = (k: Bytes) => void this.m.delete(toHex(k));
  keysText(): string[] {
    return [...this.m.keys()].map((k) => Buffer.from(k.slice(2), 'hex').toString('utf8')).sort();
  }
}

export interface TestCtx extends ClientContext {
  events: { type: string; attributes: Record<string, string> }[];
}

export function makeCtx(store: KVStore, validators: ValidatorSet, now: number, chainId = 'hub-test-1', height = 100): TestCtx {
  const events: TestCtx['events'] = [];
  return { now, height, validators, chainId, store, events, emit: (type, attributes) => events.push({ type, attributes }) };
}

/** Runs `f`; expects it to throw an error whose code (or a cause's code) is `code`. */
export function expectCode(f: () => unknown, code: string): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}, nothing thrown`).toBeDefined();
  expect(hasCode(err, code), `expected ${code}, got ${(err as { code?: string })?.code}: ${(err as Error)?.message}`).toBe(true);
}

export async function expectCodeAsync(p: Promise<unknown>, code: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(hasCode(err, code), `expected ${code}, got ${(err as { code?: string })?.code}`).toBe(true);
}

/** A real LMDB-backed state tree in a temp dir. */
export function tempStateStore(prefix: string): { store: StateStore; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const env: RootDatabase = open({ path: dir, maxDbs: 12 });
  const store = StateStore.open(env);
  return {
    store,
    async close() {
      await env.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
