/**
 * Finalized blocks of a Substrate chain for the AttestationObserver, over plain JSON-RPC HTTP:
 * `chain_getFinalizedHead`, `chain_getHeader` (rebuilt and checked to hash to the block hash),
 * the block time from `Timestamp.Now`. The vote's state root is the header's; when the node reports
 * a zero state root (chopsticks does: it is no full node), the observer computes the root itself
 * from the block's whole storage (`state_getKeysPaged` + `state_queryStorageAt`) under the
 * runtime's state version (README.md: a stand-in that a real node makes unnecessary).
 */
import { type Bytes, type Hex, ZERO_HASH, fromHex, isHex, toHex } from '../../crypto/bytes.ts';
import type { FinalizedBlock, FinalizedSource } from '../../modules/clients/types.ts';
import { SUB_ERR, SubstrateClientError } from './errors.ts';
import { type RpcHeader, verifiedHeaderFromRpc } from './header.ts';
import { ScaleReader } from './scale.ts';
import { TIMESTAMP_NOW_KEY } from './storage.ts';
import { type TrieVersion, trieRoot } from './trie.ts';

export type SubstrateRpc = <T>(method: string, params?: unknown[]) => Promise<T>;

const unavailable = (msg: string, cause?: unknown) => new SubstrateClientError(SUB_ERR.RPC_UNAVAILABLE, msg, { retryable: true, ...(cause === undefined ? {} : { cause }) });
const sourceInvalid = (msg: string) => new SubstrateClientError(SUB_ERR.SOURCE_INVALID, msg);

/** A JSON-RPC caller over HTTP POST (failures and JSON-RPC errors leave as PNT_ERR_SUBSTRATE_RPC_UNAVAILABLE, retryable). */
export function substrateHttpRpc(url: string, timeoutMs = 10_000): SubstrateRpc {
  let id = 0;
  return async <T>(method: string, params: unknown[] = []): Promise<T> => {
    let body: { result?: T; error?: { code?: number; message?: string } };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw unavailable(`${method}: HTTP ${res.status}`);
      body = (await res.json()) as typeof body;
    } catch (e) {
      if (e instanceof SubstrateClientError) throw e;
      throw unavailable(`${method}: ${(e as Error).message}`, e);
    }
    if (body?.error) throw unavailable(`${method}: JSON-RPC error ${body.error.code}: ${String(body.error.message).slice(0, 200)}`);
    return body.result as T;
  };
}

const PAGE = 1000;

/** Every (key, value) of the block's state, and the runtime's state version (0 when the node does not say). */
export async function readFullState(rpc: SubstrateRpc, blockHash: Hex): Promise<{ entries: [Bytes, Bytes][]; version: TrieVersion }> {
  const rv = await rpc<{ stateVersion?: number }>('state_getRuntimeVersion', [blockHash]);
  const version: TrieVersion = rv?.stateVersion === 1 ? 1 : 0;
  const entries: [Bytes, Bytes][] = [];
  let start: Hex | null = null;
  for (;;) {
    const keys: Hex[] = await rpc<Hex[]>('state_getKeysPaged', ['0x', PAGE, start, blockHash]);
    if (!Array.isArray(keys) || !keys.every((k) => isHex(k))) throw sourceInvalid('state_getKeysPaged returned no key list');
    if (keys.length === 0) break;
    const sets = await rpc<{ changes: [Hex, Hex | null][] }[]>('state_queryStorageAt', [keys, blockHash]);
    const values = new Map<string, Hex | null>();
    for (const s of sets ?? []) for (const [k, v] of s.changes) values.set(k.toLowerCase(), v);
    for (const k of keys) {
      const v = values.get(k.toLowerCase());
      if (v === undefined) throw sourceInvalid(`state_queryStorageAt did not answer key ${k}`);
      if (v !== null) entries.push([fromHex(k.toLowerCase()), fromHex(v.toLowerCase())]);
    }
    if (keys.length < PAGE) break;
    start = keys[keys.length - 1];
  }
  return { entries, version };
}

/** The block at `hash` as an attestation vote signs it (timestamp ms from Timestamp.Now). */
export async function substrateBlockAt(rpc: SubstrateRpc, hash: Hex): Promise<FinalizedBlock> {
  const rpcHeader = await rpc<RpcHeader | null>('chain_getHeader', [hash]);
  if (!rpcHeader) throw sourceInvalid(`the node has no header ${hash}`);
  const header = verifiedHeaderFromRpc(rpcHeader, hash);
  const now = await rpc<Hex | null>('state_getStorage', [toHex(TIMESTAMP_NOW_KEY), hash]);
  if (!now || !isHex(now, 8)) throw sourceInvalid(`block ${header.number} has no Timestamp.Now`);
  const timestamp = Number(new ScaleReader(fromHex(now)).u64());
  let stateRoot = toHex(header.stateRoot);
  if (stateRoot === ZERO_HASH) {
    const { entries, version } = await readFullState(rpc, hash);
    stateRoot = toHex(trieRoot(entries, version));
  }
  return { height: header.number, hash: hash.toLowerCase(), stateRoot, receiptsRoot: ZERO_HASH, timestamp };
}

export interface SubstrateFinalizedSource extends FinalizedSource {
  fetchAt(height: number): Promise<FinalizedBlock | null>;
  /** The finalized height now (0 when none yet). */
  finalizedHeight(): Promise<number>;
}

export function substrateFinalizedSource(rpc: string | SubstrateRpc): SubstrateFinalizedSource {
  const call = typeof rpc === 'string' ? substrateHttpRpc(rpc) : rpc;

  async function finalizedHead(): Promise<{ hash: Hex; number: number }> {
    const hash = await call<Hex>('chain_getFinalizedHead');
    if (!isHex(hash, 32)) throw sourceInvalid('chain_getFinalizedHead returned no hash');
    const h = await call<RpcHeader | null>('chain_getHeader', [hash]);
    if (!h) throw sourceInvalid(`the node has no header ${hash}`);
    return { hash, number: Number(BigInt(h.number)) };
  }

  return {
    finalizedHeight: async () => (await finalizedHead()).number,
    async fetchFinalized() {
      const { hash, number } = await finalizedHead();
      return number >= 1 ? substrateBlockAt(call, hash) : null;
    },
    // A height above the finalized one is refused (null): the observer waits instead of voting for a block that can still be reorganised.
    async fetchAt(height) {
      if (!Number.isSafeInteger(height) || height < 1 || height > (await finalizedHead()).number) return null;
      const hash = await call<Hex | null>('chain_getBlockHash', [height]);
      if (!hash || !isHex(hash, 32)) return null;
      const b = await substrateBlockAt(call, hash);
      if (b.height !== height) throw sourceInvalid(`asked block ${height}, node returned ${b.height}`);
      return b;
    },
  };
}
