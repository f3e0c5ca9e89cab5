/**
 * Merkle Patricia trie proofs (Yellow Paper appendix D; EIP-1186 proof lists), and the two uses
 * the `evm` client has for them: a contract's storage slot under a state root (account proof,
 * then storage proof) and a transaction receipt under a receipts root (event inclusion).
 *
 * One walk serves both verification and the local proof builder (proofs.ts): it follows the key
 * from the root and asks a resolver for every node referenced by hash; nodes under 32 bytes are
 * inlined in their parent and need no resolving.
 */
import { type Bytes, type Hex, equalBytes, fromHex, isHex, toHex } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';
import { type RlpItem, asBytes, asList, bigIntToRlpBytes, decodeRlp, encodeRlp, rlpToBigInt } from './rlp.ts';

/** keccak256(rlp("")): the root of an empty trie (and the storage root of an account without storage). */
export const EMPTY_TRIE_ROOT: Hex = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

const malformed = (msg: string, details: Record<string, unknown> = {}) => new EvmClientError(EVM_ERR.PROOF_MALFORMED, msg, { details });
const invalid = (msg: string, details: Record<string, unknown> = {}) => new EvmClientError(EVM_ERR.PROOF_INVALID, msg, { details });

export function toNibbles(key: Bytes): number[] {
  const out: number[] = [];
  for (const b of key) out.push(b >> 4, b & 15);
  return out;
}

/** Hex-prefix decoding (appendix C): the path's nibbles and whether the node is a leaf. */
export function decodeHexPrefix(b: Bytes): { leaf: boolean; path: number[] } {
  if (b.length === 0) throw malformed('empty hex-prefix path');
  const flag = b[0] >> 4;
  if (flag > 3) throw malformed(`hex-prefix flag ${flag} is not 0-3`);
  const odd = (flag & 1) === 1;
  if (!odd && (b[0] & 15) !== 0) throw malformed('even hex-prefix path with a non-zero padding nibble');
  const nibbles = toNibbles(b);
  return { leaf: flag >= 2, path: nibbles.slice(odd ? 1 : 2) };
}

export function encodeHexPrefix(path: readonly number[], leaf: boolean): Bytes {
  const odd = path.length % 2 === 1;
  const flag = (leaf ? 2 : 0) + (odd ? 1 : 0);
  const nibbles = odd ? [flag, ...path] : [flag, 0, ...path];
  const out = new Uint8Array(nibbles.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibbles[2 * i] << 4) | nibbles[2 * i + 1];
  return out;
}

/** Gives the encoded node whose keccak256 is `hash` (throws when it cannot). */
export type NodeResolver = (hash: Bytes) => Bytes;

/**
 * Follows `key` from the node with hash `root`. Returns the value stored under the key, or null
 * when the walk proves the key absent (an empty branch slot, or a leaf/extension whose path
 * diverges from the key).
 */
export function walkTrie(root: Bytes, key: Bytes, resolve: NodeResolver): Bytes | null {
  const nibbles = toNibbles(key);
  let pos = 0;
  let ref: RlpItem = root;
  let first = true;
  for (;;) {
    let node: RlpItem[];
    if (ref instanceof Uint8Array) {
      if (ref.length === 0) return null; // empty slot: nothing under this path
      if (ref.length !== 32) throw malformed(`node reference of ${ref.length} bytes (expected 32 or an inline node)`);
      const encoded = resolve(ref);
      // Some nodes prove an empty trie with its one "node", rlp("") (what EMPTY_TRIE_ROOT hashes).
      if (first && encoded.length === 1 && encoded[0] === 0x80) return null;
      if (!first && encoded.length < 32) throw malformed('a node under 32 bytes is inlined, never referenced by hash');
      node = asList(decodeRlp(encoded), 'trie node');
    } else {
      if (encodeRlp(ref).length >= 32) throw malformed('an inline node must encode to under 32 bytes');
      node = ref;
    }
    first = false;
    if (node.length === 17) {
      if (pos === nibbles.length) {
        const v = asBytes(node[16], 'branch value');
        return v.length === 0 ? null : v;
      }
      ref = node[nibbles[pos++]];
      continue;
    }
    if (node.length !== 2) throw malformed(`trie node with ${node.length} items`);
    const { leaf, path } = decodeHexPrefix(asBytes(node[0], 'node path'));
    const rest = nibbles.length - pos;
    const matches = path.length <= rest && path.every((n, i) => n === nibbles[pos + i]);
    if (leaf) {
      if (!matches || path.length !== rest) return null; // another key's leaf sits where ours would
      return asBytes(node[1], 'leaf value');
    }
    if (path.length === 0) throw malformed('extension with an empty path');
    if (!matches) return null; // the key leaves the extension's shared path
    pos += path.length;
    ref = node[1];
  }
}

/** Proof nodes as given on the wire (0x-hex strings, as eth_getProof returns them, or bytes). */
export type ProofNodes = readonly (Hex | Bytes)[];

function proofBytes(proof: unknown): Bytes[] {
  if (!Array.isArray(proof)) throw malformed('proof must be a list of nodes');
  if (proof.length > 64) throw malformed(`proof of ${proof.length} nodes is longer than any trie path`);
  return proof.map((n, i) => {
    if (n instanceof Uint8Array) return n;
    if (isHex(n) && n.length > 2) return fromHex(n);
    throw malformed(`proof node ${i} is not 0x-hex`, { index: i });
  });
}

/**
 * Verifies an EIP-1186 style proof (the nodes on the key's path, root first) against `root`.
 * Returns the value under `key`, or null when the proof shows it absent. Every node must be used,
 * in order, and hash to the reference that leads to it.
 */
export function verifyMptProof(root: Hex | Bytes, key: Bytes, proof: unknown): Bytes | null {
  const rootBytes = typeof root === 'string' ? fromHex(root, 32) : root;
  const nodes = proofBytes(proof);
  if (nodes.length === 0) {
    if (toHex(rootBytes) === EMPTY_TRIE_ROOT) return null;
    throw invalid('empty proof for a non-empty trie');
  }
  let next = 0;
  const value = walkTrie(rootBytes, key, (hash) => {
    const node = nodes[next];
    if (!node) throw invalid('proof ends before the path does', { index: next });
    if (!equalBytes(keccak256(node), hash)) throw invalid(`proof node ${next} does not hash to the reference that leads to it`, { index: next });
    next++;
    return node;
  });
  if (next !== nodes.length) throw malformed(`${nodes.length - next} proof nodes past the end of the path`, { used: next, given: nodes.length });
  return value;
}

// ---- accounts and storage ----

export interface EvmAccount {
  nonce: bigint;
  balance: bigint;
  storageRoot: Hex;
  codeHash: Hex;
}

export function decodeAccount(value: Bytes): EvmAccount {
  const l = asList(decodeRlp(value), 'account');
  if (l.length !== 4) throw malformed(`account with ${l.length} fields`);
  const storageRoot = asBytes(l[2], 'storageRoot');
  const codeHash = asBytes(l[3], 'codeHash');
  if (storageRoot.length !== 32 || codeHash.length !== 32) throw malformed('account roots must be 32 bytes');
  return { nonce: rlpToBigInt(l[0], 'nonce'), balance: rlpToBigInt(l[1], 'balance'), storageRoot: toHex(storageRoot), codeHash: toHex(codeHash) };
}

/** The account at `address` under `stateRoot`, or null when the proof shows no such account. */
export function verifyAccountProof(stateRoot: Hex, address: Hex, accountProof: unknown): EvmAccount | null {
  const v = verifyMptProof(stateRoot, keccak256(fromHex(address, 20)), accountProof);
  return v === null ? null : decodeAccount(v);
}

/** eth_getProof's two proof lists for one slot (the JSON-friendly wire form). */
export interface StorageProof {
  accountProof: Hex[];
  storageProof: Hex[];
}

/**
 * The 32-byte word stored at `slot` of `address` under `stateRoot`, or null when the proof shows
 * the slot absent from the trie (or the account absent, so it has no storage). A leaf can hold
 * zero on nodes that keep cleared slots (anvil 1.7.1): it is returned as the zero word, which is
 * what SLOAD reads, and callers treat a zero word like absence.
 */
export function verifyStorageProof(stateRoot: Hex, address: Hex, slot: Hex, proof: StorageProof): Hex | null {
  if (typeof proof !== 'object' || proof === null) throw malformed('storage proof must be { accountProof, storageProof }');
  const account = verifyAccountProof(stateRoot, address, proof.accountProof);
  const storageRoot = account?.storageRoot ?? EMPTY_TRIE_ROOT;
  const raw = verifyMptProof(storageRoot, keccak256(fromHex(slot, 32)), proof.storageProof);
  if (raw === null) return null;
  const word = asBytes(decodeRlp(raw), 'storage value');
  if (word.length > 32) throw malformed(`storage value of ${word.length} bytes`);
  if (word.length > 0 && word[0] === 0) throw new EvmClientError(EVM_ERR.RLP_NONCANONICAL, 'storage value with a leading zero byte');
  const out = new Uint8Array(32);
  out.set(word, 32 - word.length);
  return toHex(out);
}

// ---- receipts ----

export interface EvmLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
}

export interface EvmReceipt {
  /** EIP-2718 type (0 for a legacy receipt). */
  type: number;
  /** Post-Byzantium status (1 success, 0 failure); null for a pre-Byzantium receipt with a state root. */
  status: 0 | 1 | null;
  cumulativeGasUsed: bigint;
  logsBloom: Hex;
  logs: EvmLog[];
}

/** Trie key of the receipt (and transaction) at `index`: rlp(index). */
export const receiptKey = (index: number): Bytes => encodeRlp(bigIntToRlpBytes(BigInt(index)));

/** Decodes a receipts-trie leaf: rlp(receipt) for legacy, type || rlp(receipt) for EIP-2718 types. */
export function decodeReceipt(value: Bytes): EvmReceipt {
  if (value.length === 0) throw malformed('empty receipt');
  let type = 0;
  let body = value;
  if (value[0] < 0xc0) {
    type = value[0];
    if (type === 0 || type > 0x7f) throw malformed(`receipt type byte 0x${type.toString(16)}`);
    body = value.subarray(1);
  }
  const l = asList(decodeRlp(body), 'receipt');
  if (l.length !== 4) throw malformed(`receipt with ${l.length} fields`);
  const statusBytes = asBytes(l[0], 'status');
  let status: EvmReceipt['status'];
  if (statusBytes.length === 32) status = null;
  else if (statusBytes.length === 0) status = 0;
  else if (statusBytes.length === 1 && statusBytes[0] === 1) status = 1;
  else throw malformed('receipt status is neither 0, 1 nor a state root');
  const bloom = asBytes(l[2], 'logsBloom');
  if (bloom.length !== 256) throw malformed('logs bloom must be 256 bytes');
  const logs = asList(l[3], 'logs').map((item, i): EvmLog => {
    const log = asList(item, `log ${i}`);
    if (log.length !== 3) throw malformed(`log ${i} with ${log.length} fields`);
    const address = asBytes(log[0], 'log address');
    if (address.length !== 20) throw malformed(`log ${i} address of ${address.length} bytes`);
    const topics = asList(log[1], 'log topics').map((t) => {
      const b = asBytes(t, 'topic');
      if (b.length !== 32) throw malformed(`log ${i} topic of ${b.length} bytes`);
      return toHex(b);
    });
    if (topics.length > 4) throw malformed(`log ${i} with ${topics.length} topics`);
    return { address: toHex(address), topics, data: toHex(asBytes(log[2], 'log data')) };
  });
  return { type, status, cumulativeGasUsed: rlpToBigInt(l[1], 'cumulativeGasUsed'), logsBloom: toHex(bloom), logs };
}

/** The receipt of transaction `txIndex` under `receiptsRoot`; throws unless the proof shows it present. */
export function verifyReceiptProof(receiptsRoot: Hex, txIndex: number, proof: unknown): EvmReceipt {
  if (!Number.isSafeInteger(txIndex) || txIndex < 0) throw malformed(`transaction index ${txIndex}`);
  const v = verifyMptProof(receiptsRoot, receiptKey(txIndex), proof);
  if (v === null) throw new EvmClientError(EVM_ERR.PROOF_KEY_ABSENT, `no receipt at index ${txIndex}`, { details: { txIndex } });
  return decodeReceipt(v);
}

/** Log `logIndex` of the receipt (the index within this receipt, not the block-wide logIndex). */
export function logAt(receipt: EvmReceipt, logIndex: number): EvmLog {
  const log = Number.isSafeInteger(logIndex) && logIndex >= 0 ? receipt.logs[logIndex] : undefined;
  if (!log) throw new EvmClientError(EVM_ERR.PROOF_LOG_NOT_FOUND, `receipt has ${receipt.logs.length} logs, no log ${logIndex}`, { details: { logIndex, logs: receipt.logs.length } });
  return log;
}
