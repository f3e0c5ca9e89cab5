/**
 * Turns what @hyperledger/fabric-gateway and grpc-js throw into an `AdapterError`: the one place
 * that knows gRPC status codes, the gateway's error classes and the messages Fabric peers put in
 * them. A chaincode's refusal (`<code>: <text>`, contracts/fabric) keeps its code in
 * `details.code`.
 */
import { CommitError, CommitStatusError, GatewayError } from '@hyperledger/fabric-gateway';
import { peer } from '@hyperledger/fabric-protos';
import { AdapterError, AdapterErrorCode, type AdapterErrorCode as Code } from '../core/errors.ts';

export interface FabricErrorContext {
  chainId?: string;
  operation?: string;
}

/** gRPC status codes (grpc-js `status`), by the numbers Fabric's gateway sends. */
const G = { CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ABORTED: 10, FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 } as const;

const V = peer.TxValidationCode;

/** Chaincode codes that a later try can pass (the chaincode leads its message with them). */
const RETRYABLE_CHAINCODE_CODES = new Set(['PNT_ERR_FABRIC_CC_CLOCK_SKEW', 'PNT_ERR_CLIENT_NO_CONSENSUS']);

/** The Pontis code leading a chaincode refusal, found in the error's message or its peers' details. */
export function chaincodeCodeOf(e: GatewayError): string | undefined {
  for (const m of [e.message, ...e.details.map((d) => d.message)]) {
    const code = /(PNT_ERR_[A-Z0-9_]+)/.exec(m)?.[1];
    if (code) return code;
  }
  return undefined;
}

function fromGrpc(code: number, text: string): Code {
  if (code === G.DEADLINE_EXCEEDED) return AdapterErrorCode.RPC_TIMEOUT;
  if (/ProposalResponsePayloads do not match|responses do not match/i.test(text)) return AdapterErrorCode.ENDORSEMENT_MISMATCH;
  if (/satisfy the endorsement policy|failed to find any endorsing peers/i.test(text)) return AdapterErrorCode.POLICY;
  if (/chaincode definition for .* not found|channel '.*' not found/i.test(text)) return AdapterErrorCode.INVALID_REQUEST;
  if (code === G.UNAVAILABLE || code === G.CANCELLED || code === G.INTERNAL || code === G.UNKNOWN || code === G.UNIMPLEMENTED || code === G.ABORTED) return AdapterErrorCode.RPC_UNAVAILABLE;
  if (code === G.INVALID_ARGUMENT || code === G.NOT_FOUND || code === G.FAILED_PRECONDITION) return AdapterErrorCode.INVALID_REQUEST;
  return AdapterErrorCode.RPC_ERROR;
}

/** The validation code a committing peer recorded, as an adapter code. */
function fromValidationCode(code: number): Code {
  if (code === V.MVCC_READ_CONFLICT || code === V.PHANTOM_READ_CONFLICT) return AdapterErrorCode.CONFLICT;
  if (code === V.ENDORSEMENT_POLICY_FAILURE) return AdapterErrorCode.POLICY;
  if (code === V.DUPLICATE_TXID) return AdapterErrorCode.NONCE;
  return AdapterErrorCode.REVERTED;
}

const validationName = (code: number) => Object.entries(V).find(([, v]) => v === code)?.[0] ?? String(code);

export function toFabricAdapterError(e: unknown, ctx: FabricErrorContext = {}): AdapterError {
  if (e instanceof AdapterError) return e;
  const base = { chainId: ctx.chainId, operation: ctx.operation, cause: e };
  const where = `${ctx.chainId ?? 'fabric'}${ctx.operation ? ` ${ctx.operation}` : ''}`;
  if (e instanceof CommitError) {
    const code = fromValidationCode(e.code);
    return new AdapterError(code, `${where}: transaction ${e.transactionId} committed invalid (${validationName(e.code)})`, { ...base, details: { validationCode: validationName(e.code), txId: e.transactionId } });
  }
  if (e instanceof GatewayError) {
    const cc = chaincodeCodeOf(e);
    const details = { grpcCode: e.code, peers: e.details.map((d) => ({ mspId: d.mspId, address: d.address, message: d.message })), ...(cc ? { code: cc } : {}) };
    // the chaincode refused (endorsement or evaluation ran it and it failed): not the transport
    if (cc && !(e instanceof CommitStatusError) && e.name !== 'SubmitError') {
      return new AdapterError(AdapterErrorCode.REVERTED, `${where}: chaincode refused: ${cc}`, { ...base, details, retryable: RETRYABLE_CHAINCODE_CODES.has(cc) });
    }
    const text = [e.message, ...e.details.map((d) => d.message)].join(' | ');
    const code = fromGrpc(e.code, text);
    return new AdapterError(code, `${where}: ${text}`, { ...base, details });
  }
  const g = e as { code?: unknown; details?: unknown; message?: unknown };
  if (typeof g?.code === 'number') return new AdapterError(fromGrpc(g.code, String(g.details ?? g.message ?? '')), `${where}: ${String(g.message ?? e)}`, base);
  return new AdapterError(AdapterErrorCode.INTERNAL, `${where}: ${e instanceof Error ? e.message : String(e)}`, base);
}
