/**
 * The chaincode's transactions as a client calls them (function name and string arguments, e.g.
 * for fabric-gateway's `submitTransaction(fn, ...args)`), and what their answers mean: per-item
 * results, and the code that leads a failure's message. The one place outside contracts.ts that
 * knows the argument encoding, so adapters and relayers never rebuild it.
 */
import type { Hex } from '../../hub-chain/crypto/bytes.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import { CC_ERR, ChaincodeError } from './errors.ts';
import type { GatewayConfig, ItemResult } from './gateway.ts';

/** The default chaincode name; the hub's `fabric` client verifies writes in this namespace. */
export const CHAINCODE_NAME = 'pontis';

export interface ChaincodeCall {
  /** `contract:function`. */
  fn: string;
  args: string[];
}

const call = (fn: string, ...args: string[]): ChaincodeCall => ({ fn, args });
const json = (v: unknown) => JSON.stringify(v);
/** A batch call's proofs: a list, or `{shared, proofs}` when some reference shared parts. */
const proofArg = (items: readonly { proof: unknown }[], shared: readonly unknown[]) => json(shared.length ? { shared, proofs: items.map((i) => i.proof) } : items.map((i) => i.proof));

export const chaincodeCalls = {
  initHubClient: (cfg: GatewayConfig, params: unknown, initial: unknown) => call('PontisGateway:initHubClient', cfg.chainId, cfg.hubChainId, json(params), json(initial)),
  /** The `pontis` client message: an update or `{a, b}` evidence. */
  updateClient: (msg: unknown) => call('PontisGateway:updateClient', json(msg)),
  /** `shared`: parts the proofs reference as `{"$shared": i}` (hub batches, ADR 0017), checked once per call. */
  recvPackets: (proofHeight: number, items: readonly { packet: Packet; proof: unknown }[], shared: readonly unknown[] = []) =>
    call('PontisGateway:recvPackets', String(proofHeight), json(items.map((i) => i.packet)), proofArg(items, shared)),
  acknowledgePackets: (proofHeight: number, items: readonly { packet: Packet; ack: Hex; proof: unknown }[], shared: readonly unknown[] = []) =>
    call('PontisGateway:acknowledgePackets', String(proofHeight), json(items.map((i) => i.packet)), json(items.map((i) => i.ack)), proofArg(items, shared)),
  timeoutPackets: (proofHeight: number, items: readonly { packet: Packet; proof: unknown }[]) =>
    call('PontisGateway:timeoutPackets', String(proofHeight), json(items.map((i) => i.packet)), json(items.map((i) => i.proof))),
  timeoutPacket: (proofHeight: number, packet: Packet, proof: unknown) => call('PontisGateway:timeoutPacket', String(proofHeight), json(packet), json(proof)),
  /** Evaluate only (an endorsed query): values of Pontis keys. */
  getState: (keys: readonly string[]) => call('PontisGateway:GetState', json(keys)),
  clientStatus: () => call('PontisGateway:clientStatus'),
  sendPacket: (m: { dstChain: string; dstApp: string; data: Hex; timeoutTimestamp: number; ordered: boolean }) =>
    call('PontisGateway:sendPacket', m.dstChain, m.dstApp, m.data, String(m.timeoutTimestamp), String(m.ordered)),
  sendPackets: (ms: readonly { dstChain: string; dstApp: string; data: Hex; timeoutTimestamp: number; ordered: boolean }[]) => call('PontisGateway:sendPackets', json(ms)),
  putRecord: (id: string, data: Hex, allow: readonly string[]) => call('records:putRecord', id, data, json(allow)),
  getRecord: (id: string) => call('records:getRecord', id),
  issueAttestation: (a: { kind: string; subject: Hex; expiresAtMs: number }, d: { dstChain: string; dstApp: string; timeoutTimestamp: number }) =>
    call('attestations:issue', a.kind, a.subject, String(a.expiresAtMs), d.dstChain, d.dstApp, String(d.timeoutTimestamp)),
  dataRequest: (msg: Record<string, unknown>) => call('data:request', json(msg)),
  dataAnswer: (msg: Record<string, unknown>) => call('data:answer', json(msg)),
  revokeAttestation: (subject: Hex, d: { dstChain: string; dstApp: string; timeoutTimestamp: number }) => call('attestations:revoke', subject, d.dstChain, d.dstApp, String(d.timeoutTimestamp)),
};

/** The per-item results of recvPackets, acknowledgePackets or timeoutPackets. */
export function parseItemResults(payload: string | Uint8Array): ItemResult[] {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'chaincode answer is not JSON', { cause: e });
  }
  const ok = Array.isArray(v) && v.every((r) => typeof r?.id === 'string' && (r.result === 'ok' || r.result === 'already-done' || (r.result === 'failed' && typeof r.code === 'string')));
  if (!ok) throw new ChaincodeError(CC_ERR.BAD_ARGUMENT, 'chaincode answer is not a list of item results');
  return v as ItemResult[];
}

/** The Pontis code leading a chaincode failure's message (`<code>: <text>`), if any. */
export function chaincodeErrorCode(message: string): string | undefined {
  return /^(PNT_ERR_[A-Z0-9_]+): /.exec(message)?.[1];
}
