/**
 * Endorsed-query proofs: what the Pontis chaincode's committed world state holds for some keys,
 * as peers satisfying the channel's endorsement policy answered it. The proof is the envelope of
 * a `PontisGateway:GetState` transaction the relayer had endorsed (Gateway Endorse with
 * endorsing organizations) and signed but never submitted; its endorsements sign the proposal
 * hash (binding the function and the keys asked) and the answer. Fabric has no state root, so
 * this is how the hub reads Fabric state: it trusts the policy's peers to answer from committed
 * state, as Fabric's own endorsement does (docs/adr/0015-fabric-spoke.md).
 */
import { createHash } from 'node:crypto';
import { FABRIC_ERR, FabricClientError } from './errors.ts';
import { type EndorsedTxRules, verifyEndorsedTransaction } from './transaction.ts';

/** The chaincode function an endorsed query runs: its one argument is the JSON list of Fabric keys. */
export const GET_STATE_FN = 'PontisGateway:GetState';

/** Value the chaincode writes at a packet's receipt key when the packet timed out on Fabric. */
export const FABRIC_TIMEOUT_MARKER: Uint8Array = createHash('sha256').update('pontis/fabric/timeout-marker').digest();

const bad = (message: string, details?: Record<string, unknown>) => new FabricClientError(FABRIC_ERR.QUERY_INVALID, message, { details });

/**
 * Verifies an endorsed GetState envelope of chaincode `rules.chaincode` and returns the value of
 * each key asked (null: absent). Throws PNT_ERR_FABRIC_TX_INVALID for the endorsement checks and
 * PNT_ERR_FABRIC_QUERY_INVALID for anything else.
 */
export function verifyEndorsedQuery(envelope: Uint8Array, rules: EndorsedTxRules & { chaincode: string }): Map<string, Uint8Array | null> {
  const tx = verifyEndorsedTransaction(envelope, rules);
  if (tx.namespace !== rules.chaincode) throw bad(`the query ran chaincode ${JSON.stringify(tx.namespace)}, not ${JSON.stringify(rules.chaincode)}`);
  const [fn, keysArg, ...rest] = tx.args.map((a) => Buffer.from(a).toString('utf8'));
  if (fn !== GET_STATE_FN || keysArg === undefined || rest.length) throw bad(`the query is ${JSON.stringify(fn)}, not ${GET_STATE_FN}(keys)`);
  if (tx.writes.length) throw bad('a query that writes is not a query');
  if (tx.response.status !== 200) throw bad(`the chaincode refused the query: ${tx.response.message}`, { status: tx.response.status });
  let keys: unknown;
  let values: unknown;
  try {
    keys = JSON.parse(keysArg);
    values = JSON.parse(Buffer.from(tx.response.payload).toString('utf8'));
  } catch (e) {
    throw new FabricClientError(FABRIC_ERR.QUERY_INVALID, 'the query or its answer is not JSON', { cause: e });
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw bad('the keys asked are not a list of strings');
  if (!Array.isArray(values) || values.length !== keys.length || !values.every((v) => v === null || (typeof v === 'string' && /^0x([0-9a-f]{2})*$/.test(v)))) {
    throw bad('the answer is not one hex value or null per key');
  }
  return new Map(keys.map((k, i) => [k as string, values[i] === null ? null : Buffer.from((values[i] as string).slice(2), 'hex')]));
}
