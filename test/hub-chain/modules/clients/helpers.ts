/** Shared fixtures of the clients tests: contexts and a real StateStore (the Map-backed store and code assertions are test/support's). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { KVStore } from '../../../../hub-chain/app/app.ts';
import type { ClientContext } from '../../../../hub-chain/modules/clients/types.ts';
import type { ValidatorSet } from '../../../../hub-chain/types/validator-set.ts';
import { StateStore } from '../../../../hub-chain/state/index.ts';

export interface TestCtx extends ClientContext {
  events: { type: string; attributes: Record<string, string> }[];
}

export function makeCtx(store: KVStore, validators: ValidatorSet, now: number, chainId = 'hub-test-1', height = 100): TestCtx {
  const events: TestCtx['events'] = [];
  return { now, height, validators, chainId, store, events, emit: (type, attributes) => events.push({ type, attributes }) };
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
