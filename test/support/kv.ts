/** An in-memory KVStore (the modules' view of state) for tests about execution rules rather than the state tree. */
import type { KVStore } from '../../hub-chain/app/module.ts';
import { type Bytes, fromHex, toHex } from '../../hub-chain/crypto/bytes.ts';

const keyText = new Map<string, string>();
const textOf = (hexKey: string): string => {
  let text = keyText.get(hexKey);
  if (text === undefined) keyText.set(hexKey, (text = Buffer.from(fromHex(hexKey)).toString('utf8')));
  return text;
};

/** A Map-backed KVStore keyed by the hex of each key. */
export class MapStore implements KVStore {
  readonly m = new Map<string, Bytes>();
  get = (k: Bytes) => this.m.get(toHex(k));
  set = (k: Bytes, v: Bytes) => void this.m.set(toHex(k), v);
  delete = (k: Bytes) => void this.m.delete(toHex(k));
  /** Every key as UTF-8 text, sorted. */
  keysText(): string[] {
    return [...this.m.keys()].map(textOf).sort();
  }
  /** Entries whose UTF-8 key starts with `prefix`, as [key, value] strings. */
  entries(prefix: string): [string, string][] {
    const out: [string, string][] = [];
    for (const [k, v] of this.m) {
      const key = textOf(k);
      if (key.startsWith(prefix)) out.push([key, Buffer.from(v).toString('utf8')]);
    }
    return out;
  }
}
