/**
 * The channel ledger of the Fabric stand-in on disk (LMDB): blocks by number, a transaction index
 * (txid -> block, position, validation code) and the world state with Fabric's versions
 * ({block, tx} of the transaction that last wrote a key). One block commits in one LMDB
 * transaction, so a crash leaves the ledger at a block boundary and a restart resumes there.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { open, type Database, type RootDatabase } from 'lmdb';

export interface Version {
  block: number;
  tx: number;
}

export interface VersionedValue {
  value: Uint8Array;
  version: Version;
}

export interface TxRecord {
  block: number;
  tx: number;
  code: number;
}

/** One committed change of a key, for GetHistoryForKey. */
export interface KeyChange {
  txId: string;
  value?: Uint8Array;
  /** The transaction's timestamp (channel header), milliseconds since the epoch. */
  timestampMs: number;
  block: number;
  tx: number;
}

/** One key written by a valid transaction (`value` undefined: deleted). */
export interface StateWrite {
  ns: string;
  key: string;
  value?: Uint8Array;
}

const SEP = 0x00;

function stateKey(ns: string, key: string): Buffer {
  return Buffer.concat([Buffer.from(ns, 'utf8'), Buffer.from([SEP]), Buffer.from(key, 'utf8')]);
}

/** History keys: sha256(ns, key) then block and tx big-endian, so one key's changes sort by commit order. */
function historyPrefix(ns: string, key: string): Buffer {
  return createHash('sha256').update(stateKey(ns, key)).digest();
}

function encodeVersioned(v: Uint8Array, ver: Version): Buffer {
  const b = Buffer.alloc(16 + v.length);
  b.writeBigUInt64BE(BigInt(ver.block), 0);
  b.writeBigUInt64BE(BigInt(ver.tx), 8);
  Buffer.from(v).copy(b, 16);
  return b;
}

function decodeVersioned(b: Uint8Array): VersionedValue {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { version: { block: Number(buf.readBigUInt64BE(0)), tx: Number(buf.readBigUInt64BE(8)) }, value: new Uint8Array(buf.subarray(16)) };
}

export class Ledger extends EventEmitter<{ block: [number] }> {
  readonly #env: RootDatabase;
  readonly #blocks: Database<Buffer, number>;
  readonly #txs: Database<TxRecord, string>;
  readonly #state: Database<Buffer, Buffer>;
  readonly #history: Database<{ txId: string; value?: Buffer; ts: number }, Buffer>;
  #height: number;

  private constructor(path: string) {
    super();
    this.setMaxListeners(0); // every open commit-status wait and event stream listens for blocks
    this.#env = open({ path, compression: false });
    this.#blocks = this.#env.openDB<Buffer, number>({ name: 'blocks', keyEncoding: 'uint32', encoding: 'binary' });
    this.#txs = this.#env.openDB<TxRecord, string>({ name: 'txs', encoding: 'msgpack' });
    this.#state = this.#env.openDB<Buffer, Buffer>({ name: 'state', keyEncoding: 'binary', encoding: 'binary' });
    this.#history = this.#env.openDB({ name: 'history', keyEncoding: 'binary', encoding: 'msgpack' });
    let h = 0;
    for (const k of this.#blocks.getKeys({ reverse: true, limit: 1 })) h = k + 1;
    this.#height = h;
  }

  static open(path: string): Ledger {
    return new Ledger(path);
  }

  /** Number of committed blocks (the next block's number). */
  get height(): number {
    return this.#height;
  }

  block(n: number): Uint8Array | undefined {
    const b = this.#blocks.get(n);
    return b ? new Uint8Array(b) : undefined;
  }

  tx(txId: string): TxRecord | undefined {
    return this.#txs.get(txId);
  }

  state(ns: string, key: string): VersionedValue | undefined {
    const b = this.#state.get(stateKey(ns, key));
    return b ? decodeVersioned(b) : undefined;
  }

  /** Keys of `ns` in [start, end) in byte order (end '' means to the end of the namespace). */
  *range(ns: string, start: string, end: string): Generator<{ key: string } & VersionedValue> {
    const prefix = Buffer.concat([Buffer.from(ns, 'utf8'), Buffer.from([SEP])]);
    const to = end === '' ? Buffer.concat([Buffer.from(ns, 'utf8'), Buffer.from([SEP + 1])]) : stateKey(ns, end);
    for (const { key, value } of this.#state.getRange({ start: stateKey(ns, start), end: to })) {
      yield { key: key.subarray(prefix.length).toString('utf8'), ...decodeVersioned(value) };
    }
  }

  /** Changes of `key` in `ns` by valid transactions, newest first (Fabric 2.x order). */
  *history(ns: string, key: string): Generator<KeyChange> {
    const p = historyPrefix(ns, key);
    const end = Buffer.concat([p, Buffer.alloc(16, 0xff)]);
    for (const { key: k, value } of this.#history.getRange({ start: end, end: p, reverse: true })) {
      yield { txId: value.txId, value: value.value ? new Uint8Array(value.value) : undefined, timestampMs: value.ts, block: Number(k.readBigUInt64BE(32)), tx: Number(k.readBigUInt64BE(40)) };
    }
  }

  /** Commits block `number` atomically: its bytes, its transactions' codes and the valid writes. */
  async commit(number: number, blockBytes: Uint8Array, txs: { txId: string; code: number; timestampMs?: number }[], writes: { tx: number; w: StateWrite }[]): Promise<void> {
    if (number !== this.#height) throw new Error(`ledger expects block ${this.#height}, got ${number}`);
    await this.#env.transaction(() => {
      this.#blocks.put(number, Buffer.from(blockBytes));
      txs.forEach((t, i) => {
        // the first record of a txid wins: a duplicate keeps pointing at the original
        if (t.txId && this.#txs.get(t.txId) === undefined) this.#txs.put(t.txId, { block: number, tx: i, code: t.code });
      });
      for (const { tx, w } of writes) {
        const k = stateKey(w.ns, w.key);
        if (w.value === undefined) this.#state.remove(k);
        else this.#state.put(k, encodeVersioned(w.value, { block: number, tx }));
        const hk = Buffer.alloc(48);
        historyPrefix(w.ns, w.key).copy(hk);
        hk.writeBigUInt64BE(BigInt(number), 32);
        hk.writeBigUInt64BE(BigInt(tx), 40);
        this.#history.put(hk, { txId: txs[tx]?.txId ?? '', ts: txs[tx]?.timestampMs ?? 0, ...(w.value === undefined ? {} : { value: Buffer.from(w.value) }) });
      }
    });
    this.#height = number + 1;
    this.emit('block', number);
  }

  async close(): Promise<void> {
    await this.#env.close();
  }
}
