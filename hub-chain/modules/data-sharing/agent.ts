/**
 * What a department's node does around the chain, written once for the SDK, the CLI, the devnet
 * and the tests: the source's answering agent (reads the pending request, proves the hub records
 * its chain will check at a height its hub client holds, runs the same decision first so that a
 * refusal is answered as one, seals the record to the recipients' registered keys) and the
 * requester's opening of an answer (decrypts at the node, checks the committed hash). The salt
 * inside the envelope keeps the public commitment from confirming a guessed record.
 */
import { randomBytes } from 'node:crypto';
import { type Bytes, type Hex, concat, equalBytes, fromHex, toHex, utf8 } from '../../crypto/bytes.ts';
import { dataHash, decodeSealed, encodeSealed, openSealed, sealTo } from '../../crypto/sealed.ts';
import { PontisError } from '../../errors.ts';
import { decide, decisionInput } from './policy.ts';
import { type InboundRequest, answerKeys, spokeKeys } from './spoke.ts';
import { DATA_ERR, type DataProfile, DataError, type DatasetEntry, type RequestRecord, type SpokeAnswerMsg, dataKeys, decodeRecord } from './types.ts';

const SALT_BYTES = 32;

/** Binds an envelope to the request it answers: an envelope moved to another request does not open. */
export const answerAad = (requestId: string): Bytes => utf8(`pontis-data-answer/v1\n${requestId}`);
/** The name of a recipient inside an envelope. */
export const recipientName = (chain: string, keyId: string) => `${chain}/${keyId}`;

/** Seals `plaintext` (with a fresh salt) to the recipients; returns the envelope and the commitment the hub records. */
export function sealAnswer(profile: DataProfile, requestId: string, recipients: { chain: string; keyId: string; publicKey: Bytes }[], plaintext: Bytes): { envelope: Hex; commitment: Hex } {
  const salted = concat(randomBytes(SALT_BYTES), plaintext);
  const env = sealTo(profile, recipients.map((r) => ({ keyId: recipientName(r.chain, r.keyId), publicKey: r.publicKey })), salted, answerAad(requestId));
  return { envelope: toHex(encodeSealed(env)), commitment: toHex(dataHash(profile, salted)) };
}

/** Opens an answer at a recipient's node: the plaintext, after checking it against the released commitment. */
export function openAnswer(profile: DataProfile, requestId: string, recipient: { chain: string; keyId: string; secretKey: Bytes }, envelope: Hex, commitment: Hex): Bytes {
  const salted = openSealed(profile, recipientName(recipient.chain, recipient.keyId), recipient.secretKey, decodeSealed(fromHex(envelope)), answerAad(requestId));
  if (salted.length < SALT_BYTES || !equalBytes(dataHash(profile, salted), fromHex(commitment))) throw new DataError('PNT_ERR_DATA_DECRYPT', `the answer to ${requestId} does not match its committed hash`);
  return salted.subarray(SALT_BYTES);
}

/** Reads of the hub (with proofs) and of the source's own chain, however they are reached. */
export interface AgentReaders {
  /** A hub record at `height` with its state proof (value undefined: absent, with an absence proof). */
  proveHub(key: Bytes, height: number): Promise<{ value: Bytes | undefined; proof: unknown }>;
  /** The source chain's latest state. */
  readSpoke(key: Bytes): Promise<Bytes | undefined>;
  /** The latest hub height the source chain's hub client holds. */
  hubClientHeight(): Promise<number>;
  /** The source chain's latest block time (ms), for the agent's own pre-check. */
  spokeTime(): Promise<number>;
}

/**
 * Builds the source's `data/answer` for `requestId`: `lookup` returns the record's bytes (or a
 * refusal code); the agent decides first on the same proven records the chain will check, and
 * turns a refusal by policy or consent into a refused answer rather than a failing transaction.
 */
export async function prepareAnswer(o: { profile: DataProfile; chainId: string; requestId: string; readers: AgentReaders; lookup: (req: InboundRequest) => Promise<Bytes | { refused: string }> }): Promise<{ msg: SpokeAnswerMsg; refused?: string }> {
  const r = o.readers;
  const inb = decodeRecord<InboundRequest>(await r.readSpoke(spokeKeys.inbound(o.requestId)));
  if (!inb) throw new DataError(DATA_ERR.UNKNOWN_REQUEST, `${o.chainId} holds no request ${o.requestId}`, { details: { requestId: o.requestId } });
  const hubHeight = await r.hubClientHeight();
  // two rounds of proven reads in parallel: what decides which keys the check reads, then the rest
  const proven = new Map<string, { value: Bytes | undefined; proof: unknown }>();
  const fetchAll = (keys: Bytes[]) => Promise.all(keys.filter((k) => !proven.has(toHex(k))).map(async (k) => proven.set(toHex(k), await r.proveHub(k, hubHeight))));
  const read = <T>(key: Bytes): T | undefined => decodeRecord<T>(proven.get(toHex(key))?.value);
  const q = inb.request;
  await fetchAll([dataKeys.department(o.chainId), dataKeys.request(o.requestId), dataKeys.dataset(q.dataset)]);
  const request = read<RequestRecord>(dataKeys.request(o.requestId));
  const entry = read<DatasetEntry>(dataKeys.dataset(q.dataset));
  // exactly the keys the chain's check reads
  await fetchAll(answerKeys(o.chainId, inb, entry, request));
  const hubState = [...proven.entries()].map(([key, p]) => ({ key: key as Hex, value: p.value === undefined ? null : toHex(p.value), proof: p.proof }));
  const base = { type: 'data/answer' as const, requestId: o.requestId, hubHeight, hubState };
  let refused: string | undefined;
  const input = decisionInput(read, inb.requester, q, await r.spokeTime(), { grantId: request?.grantId });
  if (!request) refused = DATA_ERR.UNKNOWN_REQUEST;
  else {
    try {
      decide(input);
    } catch (e) {
      if (!(e instanceof PontisError)) throw e;
      refused = e.code;
    }
  }
  if (refused === undefined) {
    const found = await o.lookup(inb);
    if (!(found instanceof Uint8Array)) refused = found.refused;
    else {
      const recipients = [{ chain: inb.requester, keyId: q.recipientKey, publicKey: fromHex(input.recipient!.publicKey) }];
      if (q.regulatorKey && input.regulator) recipients.push({ chain: q.regulatorKey.chain, keyId: q.regulatorKey.keyId, publicKey: fromHex(input.regulator.publicKey) });
      return { msg: { ...base, ...sealAnswer(o.profile, o.requestId, recipients, found) } };
    }
  }
  // a refusal needs only the records that show who answers and what was asked
  const needed = new Set([toHex(dataKeys.department(o.chainId)), toHex(dataKeys.request(o.requestId))]);
  return { msg: { ...base, hubState: hubState.filter((i) => needed.has(i.key)), refused }, refused };
}
