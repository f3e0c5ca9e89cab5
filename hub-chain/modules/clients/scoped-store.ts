/**
 * The store a client type sees: its client's own keys (`clients/<chainId>/`) and the prefixes its
 * registration declares (`<prefix><chainId>/`), nothing else. A type that reaches outside is a bug
 * (it could read or change another chain's client): the transaction fails with a stable code.
 */
import { type Bytes, utf8 } from '../../crypto/bytes.ts';
import type { KVStore } from '../../app/module.ts';
import { CLIENT_ERR } from './errors.ts';
import { ClientError } from './types.ts';

const startsWith = (k: Bytes, p: Bytes): boolean => {
  if (k.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (k[i] !== p[i]) return false;
  return true;
};

export function scopedStore(store: KVStore, chainId: string, typePrefixes: readonly string[] = []): KVStore {
  const allowed = [`clients/${chainId}/`, ...typePrefixes.map((p) => `${p}${chainId}/`)].map(utf8);
  const check = (key: Bytes): Bytes => {
    if (!allowed.some((p) => startsWith(key, p))) {
      const shown = Buffer.from(key).toString('utf8');
      throw new ClientError(CLIENT_ERR.STORE_SCOPE, `client type of ${chainId} touched ${JSON.stringify(shown)} outside its store`, { details: { chainId, key: shown } });
    }
    return key;
  };
  return {
    get: (key) => store.get(check(key)),
    set: (key, value) => store.set(check(key), value),
    delete: (key) => store.delete(check(key)),
  };
}
