/**
 * World state as the chaincode sees it. The Pontis logic it reuses (the packet keeper, the clients
 * keeper, the `pontis` light client) is synchronous over a KVStore, while Fabric's stub reads are
 * asynchronous round trips to the peer. `runOnState` bridges them: it runs the synchronous logic
 * over a snapshot of the keys read so far; a key not read yet is recorded as missing (and the
 * read throws), the run's result is thrown away, the missing keys are fetched together, and the
 * logic runs again. The run that reads no missing key is a pure function of the values it read,
 * so every endorsing peer computes the same writes; only that run's writes reach Fabric.
 *
 * Key layout (docs: README.md "World state"): Pontis packet keys (`pkt/...`) are stored under
 * the Fabric key equal to their UTF-8 string, as the hub's `fabric` client verifies them; the
 * keepers' other records (`clients/...`, `registry/...`) live under `pontis-client/`; app data
 * under `app/`.
 */
import { PontisError } from '../../hub-chain/errors.ts';
import type { KVStore } from '../../hub-chain/app/module.ts';
import type { Bytes } from '../../hub-chain/crypto/bytes.ts';
import { CC_ERR, ChaincodeError } from './errors.ts';

/** The chaincode's world state: one production implementation wraps the Fabric stub (stub-state.ts). */
export interface State {
  get(key: string): Promise<Bytes | undefined>;
  put(key: string, value: Bytes): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Where the chaincode keeps its own records: never under `pkt/`. */
export const CLIENT_STATE_PREFIX = 'pontis-client/';

/** The Fabric key of a keeper key (UTF-8 bytes). */
export function fabricKey(key: Bytes): string {
  const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8');
  return k.startsWith('clients/') || k.startsWith('registry/') ? CLIENT_STATE_PREFIX + k : k;
}

/** Thrown by a snapshot read of a key not fetched yet. A PontisError so that per-item handlers record it and go on with the other items (their reads are discovered in the same round). */
export class MissingKey extends PontisError {
  override name = 'MissingKey';
  constructor(key: string) {
    super(CC_ERR.STATE_PENDING, `state key ${key} not read yet`);
  }
}

/** Values read from Fabric (undefined: absent), shared by the rounds of one transaction. */
type ReadCache = Map<string, Bytes | undefined>;

/** A synchronous KVStore over the keys read so far, with its own writes on top. */
export class SnapshotStore implements KVStore {
  readonly missing = new Set<string>();
  /** Fabric key -> value (null: deleted), in write order. */
  readonly writes = new Map<string, Bytes | null>();

  constructor(private readonly cache: ReadCache) {}

  get(key: Bytes): Bytes | undefined {
    return this.getKey(fabricKey(key));
  }

  getKey(k: string): Bytes | undefined {
    const w = this.writes.get(k);
    if (w !== undefined) return w === null ? undefined : w;
    if (!this.cache.has(k)) {
      this.missing.add(k);
      throw new MissingKey(k);
    }
    return this.cache.get(k);
  }

  set(key: Bytes, value: Bytes): void {
    this.writes.set(fabricKey(key), value);
  }

  /** Writes a Fabric key as it is (the chaincode's own records under CLIENT_STATE_PREFIX). */
  setKey(k: string, value: Bytes): void {
    this.writes.set(k, value);
  }

  delete(key: Bytes): void {
    this.writes.set(fabricKey(key), null);
  }
}

const MAX_ROUNDS = 64;

/**
 * Runs `logic` until it completes without reading an unfetched key, then writes what its last
 * run wrote and returns its result. `prefetch` names Fabric keys known to be needed (fetched
 * together), or finds them from keys it reads first. `logic` must be a pure function of the store (no clock, no randomness).
 */
export async function runOnState<T>(
  state: State,
  logic: (s: SnapshotStore) => T,
  prefetch: readonly string[] | ((read: (key: string) => Promise<Bytes | undefined>) => Promise<string[]>) = [],
): Promise<T> {
  const cache: ReadCache = new Map();
  const read = async (k: string) => {
    await fetchInto(state, cache, [k]);
    return cache.get(k);
  };
  await fetchInto(state, cache, typeof prefetch === 'function' ? await prefetch(read) : prefetch);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const snap = new SnapshotStore(cache);
    let result: T;
    try {
      result = logic(snap);
    } catch (e) {
      if (snap.missing.size === 0) throw e;
      await fetchInto(state, cache, [...snap.missing]);
      continue;
    }
    if (snap.missing.size > 0) {
      // some handler caught the MissingKey (per-item results): this run's outcome is not final
      await fetchInto(state, cache, [...snap.missing]);
      continue;
    }
    await Promise.all([...snap.writes].map(([k, v]) => (v === null ? state.delete(k) : state.put(k, v))));
    return result;
  }
  throw new ChaincodeError(CC_ERR.STATE_ROUNDS, `state reads did not settle in ${MAX_ROUNDS} rounds`);
}

async function fetchInto(state: State, cache: ReadCache, keys: readonly string[]): Promise<void> {
  const todo = [...new Set(keys)].filter((k) => !cache.has(k));
  const values = await Promise.all(todo.map((k) => state.get(k)));
  todo.forEach((k, i) => cache.set(k, values[i]));
}
