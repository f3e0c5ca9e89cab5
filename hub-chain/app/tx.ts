/**
 * Signed transactions. Wire form: UTF-8 canonical JSON of {body, publicKey, signature}; the
 * decoder re-encodes and requires the same bytes, so one transaction has exactly one encoding
 * and one hash. Signatures are ed25519 over "pontis-tx/v1\n" + canonical JSON of the body.
 */
import { z } from 'zod';
import { PontisError, parseSchema } from '../errors.ts';
import { isUtf8 } from 'node:buffer';
import { type Bytes, type Hex, concat, fromHex, toHex, utf8 } from '../crypto/bytes.ts';
import { sha256 } from '../crypto/hash.ts';
import { type AccountKey, accountAddress, signMessage, verifyMessage } from '../crypto/ed25519.ts';
import { canonicalJson } from '../encoding/canonical-json.ts';
import { clientMsgSchemas } from '../modules/clients/msgs.ts';
import { createClientRouter } from './client-types.ts';
import { packetMsgSchemas, registryGovActionSchemas } from '../modules/packets/msgs.ts';
import { transferGovActionSchemas, transferMsgSchemas } from '../modules/transfer/msgs.ts';
import { attestGovActionSchemas } from '../modules/attest/issuers.ts';
import { dataGovActionSchemas, dataMsgSchemas, dataSpokeMsgSchemas } from '../modules/data-sharing/types.ts';

export class TxError extends PontisError {
  override name = 'TxError';
}

/** Client messages are the registered client types' shapes. */
const clientSchemas = clientMsgSchemas(createClientRouter());

export const MAX_TX_BYTES = 1024 * 1024;
const hex = (bytes?: number) => z.string().regex(bytes === undefined ? /^0x([0-9a-f]{2})*$/ : new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`));

const recordEntry = z.strictObject({ key: hex().max(2 + 2 * 256), value: hex().max(2 + 2 * 64 * 1024) });
const validatorUpdate = z.strictObject({ publicKey: hex(65), power: z.number().int().min(0).max(2 ** 40) });

const govActionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('set-validators'), updates: z.array(validatorUpdate).min(1).max(50) }),
  z.strictObject({ kind: z.literal('set-members'), members: z.array(z.strictObject({ address: hex(20), weight: z.number().int().min(0).max(2 ** 40) })).min(1).max(100) }),
  ...clientSchemas.govActions,
  ...transferGovActionSchemas,
  ...registryGovActionSchemas,
  ...dataGovActionSchemas,
  ...attestGovActionSchemas,
] as unknown as [z.ZodObject, ...z.ZodObject[]]);

export const msgSchema = z.discriminatedUnion('type', [
  /** Application records: key/value pairs under the sender's namespace. */
  z.strictObject({ type: z.literal('records/put'), entries: z.array(recordEntry).min(1).max(1000) }),
  z.strictObject({ type: z.literal('records/delete'), keys: z.array(hex().max(2 + 2 * 256)).min(1).max(1000) }),
  /** Governance: a member proposes an action; it executes once members holding > 2/3 of weight approve. */
  z.strictObject({
    type: z.literal('gov/propose'),
    action: govActionSchema,
    description: z.string().max(1000).optional(),
  }),
  z.strictObject({ type: z.literal('gov/vote'), proposalId: z.number().int().min(1), approve: z.boolean() }),
  ...clientSchemas.msgs,
  ...transferMsgSchemas,
  ...packetMsgSchemas,
  ...dataMsgSchemas,
  ...dataSpokeMsgSchemas,
] as unknown as [z.ZodObject, ...z.ZodObject[]]);

export type CoreGovAction = { kind: 'set-validators'; updates: { publicKey: string; power: number }[] } | { kind: 'set-members'; members: { address: string; weight: number }[] };
/** A governance action: a core one, or one a module declares (schemas in the module's msgs.ts). */
export type GovAction = CoreGovAction | { kind: string; [field: string]: unknown };
export type CoreMsg =
  | { type: 'records/put'; entries: { key: string; value: string }[] }
  | { type: 'records/delete'; keys: string[] }
  | { type: 'gov/propose'; action: GovAction; description?: string }
  | { type: 'gov/vote'; proposalId: number; approve: boolean };
/** A message: a core one, or one a module declares. */
export type Msg = CoreMsg | { type: string; [field: string]: unknown };
export const CORE_MSG_TYPES = new Set(['records/put', 'records/delete', 'gov/propose', 'gov/vote']);
export const CORE_GOV_KINDS = new Set(['set-validators', 'set-members']);

export const txBodySchema = z.strictObject({
  chainId: z.string().min(1).max(64),
  nonce: z.number().int().min(0),
  msgs: z.array(msgSchema).min(1).max(1000),
  memo: z.string().max(256).optional(),
});
export interface TxBody {
  chainId: string;
  nonce: number;
  msgs: Msg[];
  memo?: string;
}

export const signedTxSchema = z.strictObject({ body: txBodySchema, publicKey: hex(32), signature: hex(64) });
export interface SignedTx {
  body: TxBody;
  publicKey: string;
  signature: string;
}

/** A decoded, shape-checked transaction (signature not yet checked). */
export interface DecodedTx {
  tx: SignedTx;
  bytes: Bytes;
  hash: Hex;
  sender: Hex;
  /** What the signature covers (txSignBytes), when decoding had it at hand. */
  signBytes?: Bytes;
}

const SIGN_PREFIX = 'pontis-tx/v1\n';
export function txSignBytes(body: TxBody): Bytes {
  return utf8(SIGN_PREFIX + canonicalJson(body));
}

export function signTx(body: TxBody, key: AccountKey): SignedTx {
  return { body, publicKey: toHex(key.publicKey), signature: toHex(signMessage(txSignBytes(body), key.secretKey)) };
}

export function encodeTx(tx: SignedTx): Bytes {
  return utf8(canonicalJson(tx));
}

export function txHash(bytes: Bytes): Hex {
  return toHex(sha256(bytes));
}

export function decodeTx(bytes: Bytes): DecodedTx {
  if (bytes.length > MAX_TX_BYTES) throw new TxError('PNT_ERR_TX_TOO_LARGE', `transaction is ${bytes.length} bytes, limit ${MAX_TX_BYTES}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new TxError('PNT_ERR_TX_MALFORMED', 'transaction is not valid JSON', { cause: e });
  }
  const tx = parseSchema(signedTxSchema, parsed, (i) => new TxError('PNT_ERR_TX_MALFORMED', `transaction ${i.path || '(root)'}: ${i.message}`, { details: { path: i.path } })) as SignedTx;
  // One transaction, one encoding. Invalid UTF-8 would decode to U+FFFD and encode differently.
  // Canonical JSON is what JSON.stringify writes when every object's keys are sorted and every
  // number is a safe integer: checking those on the parsed value and comparing one native
  // stringify costs a fraction of re-encoding through canonicalJson. (Integer-like keys, which
  // JavaScript enumerates first, take the long way.)
  const canonical = isUtf8(buf) && ((canonicalShape(parsed) && JSON.stringify(parsed) === text) || isCanonicalText(parsed, text));
  if (!canonical) throw new TxError('PNT_ERR_TX_NOT_CANONICAL', 'transaction bytes are not canonical JSON');
  // the parsed value, not the schema's copy: it is the value the bytes encode
  return { tx: parsed as SignedTx, bytes, hash: txHash(bytes), sender: accountAddress(fromHex(tx.publicKey)), signBytes: signedBodyOf(bytes) };
}

/** What the signature covers, sliced out of canonical, shape-checked bytes {"body":<body>,"publicKey":"0x..","signature":"0x.."}. */
const signedBodyOf = (bytes: Bytes): Bytes => concat(SIGN_PREFIX_BYTES, bytes.subarray(BODY_START, bytes.length - KEY_AND_SIGNATURE_TAIL));
const BODY_START = '{"body":'.length;
const KEY_AND_SIGNATURE_TAIL = `,"publicKey":"0x${'0'.repeat(64)}","signature":"0x${'0'.repeat(128)}"}`.length;
const SIGN_PREFIX_BYTES = utf8('pontis-tx/v1\n');

function isCanonicalText(v: unknown, text: string): boolean {
  try {
    return canonicalJson(v) === text;
  } catch {
    return false; // a number canonical JSON does not allow
  }
}

/** Every object's keys in strictly increasing order (canonicalJson sorts them) and every number a safe integer. */
function canonicalShape(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v !== 'object' || v === null) return true;
  if (Array.isArray(v)) {
    for (const x of v) if (!canonicalShape(x)) return false;
    return true;
  }
  let prev: string | undefined;
  for (const k in v) {
    if (prev !== undefined && !(prev < k)) return false;
    prev = k;
    if (!canonicalShape((v as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Validates a transaction object (e.g. from an RPC body) and computes its canonical bytes and
 * hash. The object itself is the transaction (the schema only checks it), so its one canonical
 * encoding is what is hashed and whose body was signed.
 */
export function decodeTxObject(obj: unknown): DecodedTx {
  const tx = parseSchema(signedTxSchema, obj, (i) => new TxError('PNT_ERR_TX_MALFORMED', `transaction ${i.path || '(root)'}: ${i.message}`, { details: { path: i.path } })) as SignedTx;
  const bytes = utf8(canonicalJson(obj));
  if (bytes.length > MAX_TX_BYTES) throw new TxError('PNT_ERR_TX_TOO_LARGE', `transaction is ${bytes.length} bytes, limit ${MAX_TX_BYTES}`);
  return { tx: obj as SignedTx, bytes, hash: txHash(bytes), sender: accountAddress(fromHex(tx.publicKey)), signBytes: signedBodyOf(bytes) };
}

export function verifyTxSignature(d: DecodedTx): boolean {
  return verifyMessage(d.signBytes ?? txSignBytes(d.tx.body), fromHex(d.tx.signature), fromHex(d.tx.publicKey));
}

/** Gas of one relayed packet: a proof check, a commitment hash and several state records (measured ~15x a plain write). */
export const PACKET_GAS = 15;

/**
 * Work units of a transaction, bounded per block so that every validator can execute a block
 * well within the consensus timeouts: one per transaction, one per state entry written, and
 * PACKET_GAS per packet of a relay batch or data answer.
 */
export function txGas(d: DecodedTx): number {
  let g = 1;
  for (const m of d.tx.body.msgs) {
    const f = m as { entries?: unknown[]; keys?: unknown[]; packets?: unknown[] };
    if (m.type === 'records/put') g += f.entries!.length;
    else if (m.type === 'records/delete') g += f.keys!.length;
    else if (Array.isArray(f.packets)) g += PACKET_GAS * f.packets.length;
    // an answer checks up to 16 hub proofs and sends a packet
    else if (m.type === 'data/answer') g += PACKET_GAS;
    else g += 1;
  }
  return g;
}
