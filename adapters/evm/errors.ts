/**
 * Turns whatever the JSON-RPC client (`EvmRpcError`) or ethers (signing, ABI) throws into an
 * `AdapterError`. This is the one place that knows ethers' error codes and the messages nodes put
 * in JSON-RPC errors.
 */
import { isError, type Interface } from 'ethers';
import { EVM_RPC_ERR, EvmRpcError } from '../../hub-chain/light-clients/evm/json-rpc.ts';
import { AdapterError, AdapterErrorCode, type AdapterErrorCode as Code, type AdapterErrorOptions } from '../core/errors.ts';

export interface ErrorContext {
  chainId?: string;
  operation?: string;
  /** ABI to decode custom revert errors with. */
  iface?: Interface;
}

/** Node-side messages (in UNKNOWN_ERROR payloads) that ethers does not classify. */
const NODE_MESSAGES: [RegExp, Code][] = [
  [/nonce too (low|high)|invalid nonce|nonce has already been used/i, AdapterErrorCode.NONCE],
  [/underpriced|fee too low|less than block base fee|max fee per gas less than|fee cap less than|tip .* too low/i, AdapterErrorCode.UNDERPRICED],
  [/insufficient funds/i, AdapterErrorCode.INSUFFICIENT_FUNDS],
  [/execution reverted|revert/i, AdapterErrorCode.REVERTED],
  [/timeout|timed out/i, AdapterErrorCode.RPC_TIMEOUT],
];

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function nodeMessage(e: { error?: unknown; info?: unknown }): string | undefined {
  const inner = (e.error ?? (e.info as { error?: unknown } | undefined)?.error) as { message?: unknown } | undefined;
  return typeof inner?.message === 'string' ? inner.message : undefined;
}

/** Revert data as 0x hex, wherever ethers or the node put it. */
function revertData(e: unknown): string | undefined {
  for (let cur = e as Record<string, unknown> | undefined, depth = 0; cur && depth < 4; depth++) {
    if (typeof cur.data === 'string' && cur.data.startsWith('0x')) return cur.data;
    const details = cur.details as Record<string, unknown> | undefined;
    if (details && typeof details.data === 'string' && details.data.startsWith('0x')) return details.data;
    const inner = cur.error as Record<string, unknown> | undefined;
    if (inner && typeof inner.data === 'string' && inner.data.startsWith('0x')) return inner.data;
    cur = (inner ?? (cur.info as Record<string, unknown> | undefined)?.error) as Record<string, unknown> | undefined;
  }
  return undefined;
}

function reverted(e: unknown, ctx: ErrorContext, base: AdapterErrorOptions): AdapterError {
  const data = revertData(e);
  let reason: string | undefined = (e as { reason?: string | null }).reason ?? undefined;
  let decoded: { name: string; args: unknown[] } | undefined;
  if (data && ctx.iface) {
    try {
      const desc = ctx.iface.parseError(data);
      if (desc) {
        decoded = { name: desc.name, args: [...desc.args] };
        reason ??= `${desc.name}(${desc.args.map(String).join(', ')})`;
      }
    } catch {
      // undecodable revert data stays as raw hex in details
    }
  }
  return new AdapterError(AdapterErrorCode.REVERTED, `execution reverted${reason ? `: ${reason}` : ''}`, {
    ...base,
    details: { ...(data ? { data } : {}), ...(reason ? { reason } : {}), ...(decoded ? { error: decoded } : {}) },
  });
}

export function toAdapterError(e: unknown, ctx: ErrorContext = {}): AdapterError {
  if (e instanceof AdapterError) return e;
  const base = { cause: e, chainId: ctx.chainId, operation: ctx.operation };
  const what = ctx.operation ? `${ctx.operation}` : 'rpc';
  const short = (e as { shortMessage?: string }).shortMessage ?? (e as Error)?.message ?? String(e);

  if (e instanceof EvmRpcError) return fromRpcError(e, ctx, base, what);
  if (isError(e, 'TIMEOUT')) return new AdapterError(AdapterErrorCode.RPC_TIMEOUT, `${what}: node did not answer in time`, base);
  if (isError(e, 'NETWORK_ERROR')) return new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, `${what}: network error: ${short}`, base);
  if (isError(e, 'SERVER_ERROR')) {
    const status = (e as { response?: { statusCode?: number } }).response?.statusCode;
    // 4xx other than throttling means the request itself is wrong
    const clientSide = status !== undefined && status >= 400 && status < 500 && status !== 429;
    return new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, `${what}: server error${status ? ` (HTTP ${status})` : ''}`, { ...base, retryable: !clientSide, details: status ? { status } : undefined });
  }
  if (isError(e, 'CALL_EXCEPTION')) return reverted(e, ctx, base);
  if (isError(e, 'NONCE_EXPIRED')) return new AdapterError(AdapterErrorCode.NONCE, `${what}: nonce already used`, base);
  if (isError(e, 'REPLACEMENT_UNDERPRICED')) return new AdapterError(AdapterErrorCode.UNDERPRICED, `${what}: replacement fee too low`, base);
  if (isError(e, 'INSUFFICIENT_FUNDS')) return new AdapterError(AdapterErrorCode.INSUFFICIENT_FUNDS, `${what}: insufficient funds`, base);
  if (isError(e, 'BAD_DATA')) return new AdapterError(AdapterErrorCode.BAD_RESPONSE, `${what}: unexpected answer: ${short}`, base);
  if (isError(e, 'INVALID_ARGUMENT') || isError(e, 'MISSING_ARGUMENT') || isError(e, 'UNEXPECTED_ARGUMENT') || isError(e, 'NUMERIC_FAULT')) {
    return new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${what}: ${short}`, base);
  }
  if (isError(e, 'UNKNOWN_ERROR') || isError(e, 'UNSUPPORTED_OPERATION')) {
    const msg = nodeMessage(e as { error?: unknown }) ?? short;
    for (const [re, code] of NODE_MESSAGES) {
      if (!re.test(msg)) continue;
      if (code === AdapterErrorCode.REVERTED) return reverted(e, ctx, base);
      return new AdapterError(code, `${what}: ${msg}`, base);
    }
    return new AdapterError(AdapterErrorCode.RPC_ERROR, `${what}: node error: ${msg}`, { ...base, details: { message: msg } });
  }
  // below ethers: the HTTP stack's own failures (connection refused, reset, DNS)
  const sysCode = (e as { code?: unknown })?.code ?? ((e as { cause?: { code?: unknown } })?.cause?.code);
  if (typeof sysCode === 'string' && NETWORK_CODES.has(sysCode)) return new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, `${what}: cannot reach node (${sysCode})`, base);
  if (e instanceof Error && e.name === 'AbortError') return new AdapterError(AdapterErrorCode.RPC_TIMEOUT, `${what}: request aborted`, base);
  return new AdapterError(AdapterErrorCode.INTERNAL, `${what}: unexpected failure: ${short}`, base);
}

/** The JSON-RPC client's codes as adapter codes; a node's error message is classified as above. */
function fromRpcError(e: EvmRpcError, ctx: ErrorContext, base: AdapterErrorOptions, what: string): AdapterError {
  const d = e.details ?? {};
  switch (e.code) {
    case EVM_RPC_ERR.TIMEOUT:
      return new AdapterError(AdapterErrorCode.RPC_TIMEOUT, `${what}: node did not answer in time`, base);
    case EVM_RPC_ERR.UNAVAILABLE: {
      const status = typeof d.status === 'number' ? d.status : undefined;
      const what2 = status !== undefined ? `server error (HTTP ${status})` : `cannot reach node${typeof d.sysCode === 'string' ? ` (${d.sysCode})` : ''}`;
      return new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, `${what}: ${what2}`, { ...base, retryable: e.retryable, details: status !== undefined ? { status } : undefined });
    }
    case EVM_RPC_ERR.BAD_RESPONSE:
      return new AdapterError(AdapterErrorCode.BAD_RESPONSE, `${what}: unexpected answer: ${e.message}`, base);
    default: {
      const msg = typeof d.message === 'string' ? d.message : e.message;
      for (const [re, code] of NODE_MESSAGES) {
        if (!re.test(msg)) continue;
        if (code === AdapterErrorCode.REVERTED) return reverted(e, ctx, base);
        return new AdapterError(code, `${what}: ${msg}`, base);
      }
      // a revert whose message a node words its own way still carries its data
      if (d.rpcCode === 3) return reverted(e, ctx, base); // EIP-1474 "execution error", whatever the wording
      return new AdapterError(AdapterErrorCode.RPC_ERROR, `${what}: node error: ${msg}`, { ...base, details: { message: msg, ...(d.rpcCode !== undefined ? { rpcCode: d.rpcCode } : {}) } });
    }
  }
}
