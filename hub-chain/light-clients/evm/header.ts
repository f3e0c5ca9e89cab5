/**
 * EVM block headers: the RLP list of the Yellow Paper plus the fields each fork appended
 * (London baseFee; Shanghai withdrawalsRoot; Cancun blobGasUsed, excessBlobGas,
 * parentBeaconBlockRoot; Prague requestsHash). Block hash = keccak256(RLP). A header is rebuilt
 * from eth_getBlockByNumber JSON so its hash is recomputed here instead of taken from the node.
 */
import { type Bytes, type Hex, fromHex, isHex, toHex } from '../../crypto/bytes.ts';
import { keccak256 } from '../../crypto/hash.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';
import { type RlpItem, asBytes, asList, bigIntToRlpBytes, decodeRlp, encodeRlp, rlpToBigInt } from './rlp.ts';

export interface EvmHeader {
  parentHash: Hex;
  ommersHash: Hex;
  beneficiary: Hex;
  stateRoot: Hex;
  transactionsRoot: Hex;
  receiptsRoot: Hex;
  logsBloom: Hex;
  difficulty: bigint;
  number: number;
  gasLimit: bigint;
  gasUsed: bigint;
  /** Seconds, as in the header. */
  timestamp: number;
  extraData: Hex;
  mixHash: Hex;
  nonce: Hex;
  baseFeePerGas?: bigint;
  withdrawalsRoot?: Hex;
  blobGasUsed?: bigint;
  excessBlobGas?: bigint;
  parentBeaconBlockRoot?: Hex;
  requestsHash?: Hex;
}

/** Field counts of the header list per fork: frontier..berlin, london, shanghai, cancun, prague. */
const FORK_LENGTHS = [15, 16, 17, 20, 21];

/** The optional fields in fork order, with how each is encoded. */
const OPTIONAL: { name: keyof EvmHeader; kind: 'int' | 'hash' }[] = [
  { name: 'baseFeePerGas', kind: 'int' },
  { name: 'withdrawalsRoot', kind: 'hash' },
  { name: 'blobGasUsed', kind: 'int' },
  { name: 'excessBlobGas', kind: 'int' },
  { name: 'parentBeaconBlockRoot', kind: 'hash' },
  { name: 'requestsHash', kind: 'hash' },
];

const bad = (msg: string, details: Record<string, unknown> = {}) => new EvmClientError(EVM_ERR.HEADER_MALFORMED, msg, { details });

function fixed(item: RlpItem | undefined, len: number, what: string): Hex {
  const b = asBytes(item, what);
  if (b.length !== len) throw bad(`${what}: expected ${len} bytes, got ${b.length}`, { field: what });
  return toHex(b);
}

function safeInt(item: RlpItem | undefined, what: string): number {
  const v = rlpToBigInt(item, what);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${what} is beyond 2^53`, { field: what });
  return Number(v);
}

export function headerFields(h: EvmHeader): RlpItem[] {
  const fields: RlpItem[] = [
    fromHex(h.parentHash, 32),
    fromHex(h.ommersHash, 32),
    fromHex(h.beneficiary, 20),
    fromHex(h.stateRoot, 32),
    fromHex(h.transactionsRoot, 32),
    fromHex(h.receiptsRoot, 32),
    fromHex(h.logsBloom, 256),
    bigIntToRlpBytes(h.difficulty),
    bigIntToRlpBytes(BigInt(h.number)),
    bigIntToRlpBytes(h.gasLimit),
    bigIntToRlpBytes(h.gasUsed),
    bigIntToRlpBytes(BigInt(h.timestamp)),
    fromHex(h.extraData),
    fromHex(h.mixHash, 32),
    fromHex(h.nonce, 8),
  ];
  let missing = false;
  for (const f of OPTIONAL) {
    const v = h[f.name];
    if (v === undefined) {
      missing = true;
      continue;
    }
    // A later fork's field without an earlier one has no encoding.
    if (missing) throw bad(`${f.name} present while an earlier fork field is missing`, { field: f.name });
    fields.push(f.kind === 'int' ? bigIntToRlpBytes(v as bigint) : fromHex(v as Hex, 32));
  }
  if (!FORK_LENGTHS.includes(fields.length)) throw bad(`a header with ${fields.length} fields matches no fork`, { fields: fields.length });
  return fields;
}

export function encodeHeader(h: EvmHeader): Bytes {
  return encodeRlp(headerFields(h));
}

export function headerHash(h: EvmHeader): Hex {
  return toHex(keccak256(encodeHeader(h)));
}

/** Decodes a header from its RLP (strict: canonical RLP and integers, fixed widths, a known fork's field count). */
export function decodeHeader(rlp: Bytes | Hex): EvmHeader {
  const bytes = typeof rlp === 'string' ? fromHex(rlp) : rlp;
  const l = asList(decodeRlp(bytes), 'header');
  if (!FORK_LENGTHS.includes(l.length)) throw bad(`a header with ${l.length} fields matches no fork`, { fields: l.length });
  const h: EvmHeader = {
    parentHash: fixed(l[0], 32, 'parentHash'),
    ommersHash: fixed(l[1], 32, 'ommersHash'),
    beneficiary: fixed(l[2], 20, 'beneficiary'),
    stateRoot: fixed(l[3], 32, 'stateRoot'),
    transactionsRoot: fixed(l[4], 32, 'transactionsRoot'),
    receiptsRoot: fixed(l[5], 32, 'receiptsRoot'),
    logsBloom: fixed(l[6], 256, 'logsBloom'),
    difficulty: rlpToBigInt(l[7], 'difficulty'),
    number: safeInt(l[8], 'number'),
    gasLimit: rlpToBigInt(l[9], 'gasLimit'),
    gasUsed: rlpToBigInt(l[10], 'gasUsed'),
    timestamp: safeInt(l[11], 'timestamp'),
    extraData: toHex(asBytes(l[12], 'extraData')),
    mixHash: fixed(l[13], 32, 'mixHash'),
    nonce: fixed(l[14], 8, 'nonce'),
  };
  const rec = h as unknown as Record<string, unknown>;
  OPTIONAL.forEach((f, i) => {
    const item = l[15 + i];
    if (item === undefined) return;
    rec[f.name] = f.kind === 'int' ? rlpToBigInt(item, f.name) : fixed(item, 32, f.name);
  });
  return h;
}

/** What eth_getBlockByNumber returns (the header part; quantities and data as 0x-hex). */
export interface RpcBlock {
  hash: string;
  parentHash: string;
  sha3Uncles: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  logsBloom: string;
  difficulty: string;
  number: string;
  gasLimit: string;
  gasUsed: string;
  timestamp: string;
  extraData: string;
  mixHash: string;
  nonce: string;
  baseFeePerGas?: string | null;
  withdrawalsRoot?: string | null;
  blobGasUsed?: string | null;
  excessBlobGas?: string | null;
  parentBeaconBlockRoot?: string | null;
  requestsHash?: string | null;
}

function rpcData(v: unknown, field: string, len?: number): Hex {
  if (!isHex(v, len)) throw new EvmClientError(EVM_ERR.SOURCE_INVALID, `block field ${field} is not ${len ?? 'some'} bytes of 0x-hex`, { details: { field } });
  return v.toLowerCase();
}

function rpcQuantity(v: unknown, field: string): bigint {
  if (typeof v !== 'string' || !/^0x(0|[1-9a-f][0-9a-f]*)$/i.test(v)) throw new EvmClientError(EVM_ERR.SOURCE_INVALID, `block field ${field} is not a 0x quantity`, { details: { field } });
  return BigInt(v);
}

function rpcSafe(v: unknown, field: string): number {
  const n = rpcQuantity(v, field);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new EvmClientError(EVM_ERR.SOURCE_INVALID, `block field ${field} is beyond 2^53`, { details: { field } });
  return Number(n);
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** The header of an eth_getBlockByNumber result. Fork fields are taken when the node reports them. */
export function headerFromRpc(b: RpcBlock): EvmHeader {
  const h: EvmHeader = {
    parentHash: rpcData(b.parentHash, 'parentHash', 32),
    ommersHash: rpcData(b.sha3Uncles, 'sha3Uncles', 32),
    beneficiary: rpcData(b.miner, 'miner', 20),
    stateRoot: rpcData(b.stateRoot, 'stateRoot', 32),
    transactionsRoot: rpcData(b.transactionsRoot, 'transactionsRoot', 32),
    receiptsRoot: rpcData(b.receiptsRoot, 'receiptsRoot', 32),
    logsBloom: rpcData(b.logsBloom, 'logsBloom', 256),
    difficulty: rpcQuantity(b.difficulty, 'difficulty'),
    number: rpcSafe(b.number, 'number'),
    gasLimit: rpcQuantity(b.gasLimit, 'gasLimit'),
    gasUsed: rpcQuantity(b.gasUsed, 'gasUsed'),
    timestamp: rpcSafe(b.timestamp, 'timestamp'),
    extraData: rpcData(b.extraData, 'extraData'),
    mixHash: rpcData(b.mixHash, 'mixHash', 32),
    nonce: rpcData(b.nonce, 'nonce', 8),
  };
  if (present(b.baseFeePerGas)) h.baseFeePerGas = rpcQuantity(b.baseFeePerGas, 'baseFeePerGas');
  if (present(b.withdrawalsRoot)) h.withdrawalsRoot = rpcData(b.withdrawalsRoot, 'withdrawalsRoot', 32);
  if (present(b.blobGasUsed)) h.blobGasUsed = rpcQuantity(b.blobGasUsed, 'blobGasUsed');
  if (present(b.excessBlobGas)) h.excessBlobGas = rpcQuantity(b.excessBlobGas, 'excessBlobGas');
  if (present(b.parentBeaconBlockRoot)) h.parentBeaconBlockRoot = rpcData(b.parentBeaconBlockRoot, 'parentBeaconBlockRoot', 32);
  if (present(b.requestsHash)) h.requestsHash = rpcData(b.requestsHash, 'requestsHash', 32);
  return h;
}

/**
 * The header of an RPC block, checked to hash to the hash the node reports: a node (or a proxy)
 * that reports roots of one block under the hash of another is caught here.
 */
export function verifiedHeaderFromRpc(b: RpcBlock): { header: EvmHeader; hash: Hex } {
  const header = headerFromRpc(b);
  const hash = headerHash(header);
  if (hash !== String(b.hash).toLowerCase()) {
    throw new EvmClientError(EVM_ERR.HEADER_HASH_MISMATCH, `block ${header.number}: header hashes to ${hash}, node reports ${b.hash}`, { details: { number: header.number, computed: hash, reported: b.hash } });
  }
  return { header, hash };
}

/** Throws unless `child` directly extends `parent` (parent hash and number + 1). */
export function checkParentLink(parent: EvmHeader, child: EvmHeader): void {
  const parentHash = headerHash(parent);
  if (child.parentHash !== parentHash || child.number !== parent.number + 1) {
    throw new EvmClientError(EVM_ERR.HEADER_NOT_CHILD, `header ${child.number} does not extend header ${parent.number}`, {
      details: { parent: parent.number, child: child.number, expectedParentHash: parentHash, got: child.parentHash },
    });
  }
}

/** Checks a contiguous run of headers, oldest first. */
export function checkHeaderChain(headers: readonly EvmHeader[]): void {
  for (let i = 1; i < headers.length; i++) checkParentLink(headers[i - 1], headers[i]);
}
