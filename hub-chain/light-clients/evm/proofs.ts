/**
 * Proof builders for relayers and adapters: the storage slot of a Pontis key on the gateway,
 * eth_getProof (the one place it is fetched) in the wire form the `evm` client verifies, and receipt proofs. No RPC returns
 * receipt proofs, so the receipts trie of a block is rebuilt here from its receipts and checked
 * against the block's receiptsRoot before a proof is taken from it.
 */
import { type Bytes, type Hex, fromHex, isHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';
import { EMPTY_TRIE_ROOT, type StorageProof, encodeHexPrefix, receiptKey, toNibbles, walkTrie } from './mpt.ts';
import { type RlpItem, bigIntToRlpBytes, encodeRlp } from './rlp.ts';
import type { JsonRpcSender } from './json-rpc.ts';

/** Storage slot of the gateway's mapping at slot 0 that holds `pontisKey`: keccak256(abi.encode(keccak256(key), 0)). */
export function pontisSlot(pontisKey: Bytes | string): Hex {
  const k = typeof pontisKey === 'string' ? utf8(pontisKey) : pontisKey;
  return toHex(keccak256(keccak256(k), new Uint8Array(32)));
}

// ---- a trie built in memory ----

/** A Merkle Patricia trie built from all its entries at once; gives its root and proofs of any key. */
export class MemoryTrie {
  private readonly nodes = new Map<string, Bytes>();
  readonly root: Hex;

  constructor(entries: readonly (readonly [Bytes, Bytes])[]) {
    const items = entries.map(([k, v]) => ({ path: toNibbles(k), value: v }));
    const seen = new Set<string>();
    for (const it of items) {
      const id = it.path.join(',');
      if (seen.has(id)) throw new EvmClientError(EVM_ERR.PROOF_MALFORMED, 'duplicate trie key');
      seen.add(id);
    }
    if (items.length === 0) {
      this.root = EMPTY_TRIE_ROOT;
      return;
    }
    const encoded = encodeRlp(this.build(items, 0));
    const root = keccak256(encoded);
    this.nodes.set(toHex(root), encoded);
    this.root = toHex(root);
  }

  /** The nodes on the path of `key`, root first (what verifyMptProof takes), for present and absent keys. */
  proof(key: Bytes): Hex[] {
    if (this.root === EMPTY_TRIE_ROOT) return [];
    const out: Hex[] = [];
    walkTrie(fromHex(this.root), key, (hash) => {
      const n = this.nodes.get(toHex(hash))!;
      out.push(toHex(n));
      return n;
    });
    return out;
  }

  /** How a parent refers to `node`: inline under 32 bytes, else by hash. */
  private ref(node: RlpItem): RlpItem {
    const encoded = encodeRlp(node);
    if (encoded.length < 32) return node;
    const hash = keccak256(encoded);
    this.nodes.set(toHex(hash), encoded);
    return hash;
  }

  private build(items: { path: number[]; value: Bytes }[], depth: number): RlpItem[] {
    if (items.length === 1) return [encodeHexPrefix(items[0].path.slice(depth), true), items[0].value];
    let common = 0;
    const first = items[0].path;
    while (depth + common < first.length && items.every((it) => it.path.length > depth + common && it.path[depth + common] === first[depth + common])) common++;
    if (common > 0) return [encodeHexPrefix(first.slice(depth, depth + common), false), this.ref(this.build(items, depth + common))];
    const branch: RlpItem[] = Array.from({ length: 17 }, () => new Uint8Array(0));
    for (let n = 0; n < 16; n++) {
      const group = items.filter((it) => it.path.length > depth && it.path[depth] === n);
      if (group.length > 0) branch[n] = this.ref(this.build(group, depth + 1));
    }
    const here = items.find((it) => it.path.length === depth);
    if (here) branch[16] = here.value;
    return branch;
  }
}

// ---- receipts ----

/** A receipt as eth_getTransactionReceipt / eth_getBlockReceipts return it (the consensus fields). */
export interface RpcReceipt {
  type?: string;
  status?: string | null;
  root?: string | null;
  cumulativeGasUsed: string;
  logsBloom: string;
  logs: { address: string; topics: string[]; data: string }[];
  transactionIndex: string;
  blockHash?: string;
  blockNumber?: string;
}

const srcBad = (msg: string) => new EvmClientError(EVM_ERR.SOURCE_INVALID, msg);

function data(v: unknown, what: string, len?: number): Bytes {
  if (!isHex(v, len)) throw srcBad(`receipt ${what} is not ${len ?? 'some'} bytes of 0x-hex`);
  return fromHex(v);
}

function quantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^0x[0-9a-f]+$/i.test(v)) throw srcBad(`receipt ${what} is not a 0x quantity`);
  return BigInt(v);
}

/** The consensus encoding of a receipt: rlp([status, cumulativeGasUsed, logsBloom, logs]), prefixed by its type when typed. */
export function encodeReceipt(r: RpcReceipt): Bytes {
  const type = r.type === undefined ? 0 : Number(quantity(r.type, 'type'));
  let status: Bytes;
  if (r.status !== undefined && r.status !== null) status = bigIntToRlpBytes(quantity(r.status, 'status'));
  else if (r.root) status = data(r.root, 'root', 32);
  else throw srcBad('receipt has neither status nor root');
  const logs: RlpItem[] = r.logs.map((l) => [data(l.address, 'log address', 20), l.topics.map((t) => data(t, 'topic', 32)), data(l.data, 'log data')]);
  const body = encodeRlp([status, bigIntToRlpBytes(quantity(r.cumulativeGasUsed, 'cumulativeGasUsed')), data(r.logsBloom, 'logsBloom', 256), logs]);
  if (type === 0) return body;
  if (type > 0x7f) throw srcBad(`receipt type ${type}`);
  const typed = new Uint8Array(body.length + 1);
  typed[0] = type;
  typed.set(body, 1);
  return typed;
}

export interface ReceiptProof {
  /** Root of the rebuilt receipts trie (equal to the block's receiptsRoot when it was given). */
  receiptsRoot: Hex;
  txIndex: number;
  proof: Hex[];
  /** The encoded receipt (the proven leaf value). */
  receipt: Hex;
}

/** The receipts trie of a block from all its receipts (any order; each carries its transactionIndex). */
export function buildReceiptsTrie(blockReceipts: readonly RpcReceipt[]): MemoryTrie {
  const entries = blockReceipts.map((r) => [receiptKey(Number(quantity(r.transactionIndex, 'transactionIndex'))), encodeReceipt(r)] as const);
  return new MemoryTrie(entries);
}

/**
 * A proof of receipt `index` of a block. With `expectedRoot` (the block's receiptsRoot from a
 * verified header) a trie that does not rebuild to it is refused, so an incomplete or altered
 * receipt list from the node never yields a proof.
 */
export function buildReceiptProof(blockReceipts: readonly RpcReceipt[], index: number, expectedRoot?: Hex): ReceiptProof {
  const trie = buildReceiptsTrie(blockReceipts);
  if (expectedRoot !== undefined && trie.root !== expectedRoot.toLowerCase()) {
    throw new EvmClientError(EVM_ERR.SOURCE_INVALID, `receipts rebuild to root ${trie.root}, block has ${expectedRoot}`, { details: { rebuilt: trie.root, expected: expectedRoot } });
  }
  const r = blockReceipts.find((x) => Number(quantity(x.transactionIndex, 'transactionIndex')) === index);
  if (!r) throw new EvmClientError(EVM_ERR.SOURCE_INVALID, `block has no receipt at index ${index}`, { details: { index } });
  return { receiptsRoot: trie.root, txIndex: index, proof: trie.proof(receiptKey(index)), receipt: toHex(encodeReceipt(r)) };
}

// ---- storage (eth_getProof) ----

/**
 * eth_getProof's answer for some storage slots of one account (EIP-1186), proof nodes
 * lower-cased. Values stay as the node sent them (a quantity: `0x0` for an unset slot).
 */
export interface AccountProof {
  address: Hex;
  accountProof: Hex[];
  storageProof: { key: Hex; value: Hex; proof: Hex[] }[];
}

const hexList = (v: unknown): v is string[] => Array.isArray(v) && v.every((n) => typeof n === 'string');

/** The one eth_getProof: `slots` of `address` at `blockNumber`, checked for shape (one storage proof per slot). */
export async function fetchAccountProof(rpc: JsonRpcSender, address: Hex, slots: readonly Hex[], blockNumber: number): Promise<AccountProof> {
  const r = (await rpc.send('eth_getProof', [address, slots, '0x' + blockNumber.toString(16)])) as { address?: unknown; accountProof?: unknown; storageProof?: { key?: unknown; value?: unknown; proof?: unknown }[] } | null;
  if (!r || !hexList(r.accountProof) || !Array.isArray(r.storageProof) || r.storageProof.length !== slots.length || !r.storageProof.every((sp) => sp && hexList(sp.proof))) {
    throw srcBad(`eth_getProof returned no proof of ${slots.length} slot(s) at ${blockNumber}`);
  }
  const lower = (ns: string[]) => ns.map((n) => n.toLowerCase() as Hex);
  return {
    address: String(r.address ?? address).toLowerCase() as Hex,
    accountProof: lower(r.accountProof),
    storageProof: r.storageProof.map((sp, i) => ({ key: String(sp.key ?? slots[i]) as Hex, value: String(sp.value ?? '0x0') as Hex, proof: lower(sp.proof as string[]) })),
  };
}

/** Slot `i` of an account proof in the wire form the `evm` client verifies. */
export function storageProofAt(p: AccountProof, i: number): StorageProof {
  return { accountProof: p.accountProof, storageProof: p.storageProof[i].proof };
}

/** eth_getProof for one slot of `address` at `blockNumber`, in the wire form the `evm` client verifies. */
export async function fetchStorageProof(rpc: JsonRpcSender, address: Hex, slot: Hex, blockNumber: number): Promise<StorageProof> {
  return storageProofAt(await fetchAccountProof(rpc, address, [slot], blockNumber), 0);
}

/** The proof of a Pontis key in the gateway's store at `blockNumber`. */
export function fetchPontisProof(rpc: JsonRpcSender, gateway: Hex, pontisKey: Bytes | string, blockNumber: number): Promise<StorageProof> {
  return fetchStorageProof(rpc, gateway, pontisSlot(pontisKey), blockNumber);
}
