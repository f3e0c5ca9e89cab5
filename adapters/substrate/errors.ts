/**
 * Turns what @polkadot/api and its WebSocket provider throw into an `AdapterError`: the one place
 * that knows the transaction pool's error codes (1010-1016), the words Substrate nodes and
 * chopsticks put in them (`Invalid Transaction: Transaction is outdated` from a node,
 * `{"invalid":{"stale":null}}` from chopsticks), the provider's transport messages, and how a
 * dispatch error names its module error.
 */
import type { DispatchError } from '@polkadot/types/interfaces';
import type { Registry } from '@polkadot/types/types';
import { AdapterError, AdapterErrorCode, type AdapterErrorCode as Code, type AdapterErrorOptions } from '../core/errors.ts';

export interface SubstrateErrorContext {
  chainId?: string;
  operation?: string;
}

/** The transaction pool's JSON-RPC error codes (sc-rpc-api author errors). */
const POOL = { INVALID: 1010, UNKNOWN: 1011, BANNED: 1012, ALREADY_IMPORTED: 1013, PRIORITY_TOO_LOW: 1014, IMMEDIATELY_DROPPED: 1015, UNACTIONABLE: 1016 } as const;

/** Why a transaction is invalid (`InvalidTransaction` variants), in a node's words or chopsticks' JSON. */
const INVALID_TX: [RegExp, Code, boolean?][] = [
  [/stale|outdated/i, AdapterErrorCode.NONCE],
  [/future|valid in the future/i, AdapterErrorCode.NONCE],
  [/payment|inability to pay/i, AdapterErrorCode.INSUFFICIENT_FUNDS],
  [/badproof|bad_proof|bad signature|badsigner|invalid signing address/i, AdapterErrorCode.INVALID_REQUEST],
  // a full block: the next one has room
  [/exhaustsresources|exhaust the block limits/i, AdapterErrorCode.RPC_ERROR],
  // a mortal transaction signed against a block the node pruned: signing again helps
  [/ancientbirthblock|ancient birth block/i, AdapterErrorCode.NONCE],
  [/badmandatory|mandatorydispatch|mandatory/i, AdapterErrorCode.INVALID_REQUEST],
  [/"call"|transaction call is not expected|cannotlookup|cannot lookup/i, AdapterErrorCode.INVALID_REQUEST],
  // a pallet's own validation (`Custom(n)`): the same call is refused again
  [/custom/i, AdapterErrorCode.REVERTED],
];

/** Transport failures of the WebSocket provider and the socket under it. */
const TRANSPORT: [RegExp, Code][] = [
  [/No response received from RPC endpoint|timed? ?out/i, AdapterErrorCode.RPC_TIMEOUT],
  [/WebSocket is not connected|disconnected from|ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up|Unexpected server response|closed before the connection/i, AdapterErrorCode.RPC_UNAVAILABLE],
];

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  // the provider's `error` event hands over a WebSocket ErrorEvent ({ message, error })
  const ev = e as { message?: unknown; error?: unknown } | undefined;
  if (ev && typeof ev.message === 'string' && ev.message) return ev.message;
  if (ev?.error instanceof Error) return ev.error.message;
  return String(e);
}

export function toSubstrateAdapterError(e: unknown, ctx: SubstrateErrorContext = {}): AdapterError {
  if (e instanceof AdapterError) return e;
  const base: AdapterErrorOptions = { cause: e, chainId: ctx.chainId, operation: ctx.operation };
  const what = ctx.operation ?? 'rpc';
  const msg = messageOf(e);
  const rpc = e as { code?: unknown; data?: unknown };
  if (typeof rpc?.code === 'number') return fromRpcError(rpc.code, msg, rpc.data, base, what);

  for (const [re, code] of TRANSPORT) {
    if (!re.test(msg)) continue;
    // a handshake refused with 4xx (other than throttling) is a wrong URL, not a node having a bad moment
    const status = /Unexpected server response: (\d{3})/.exec(msg)?.[1];
    const clientSide = status !== undefined && Number(status) >= 400 && Number(status) < 500 && status !== '429';
    return new AdapterError(code, `${what}: ${firstLine(msg)}`, { ...base, retryable: !clientSide, details: status ? { status: Number(status) } : undefined });
  }
  const sysCode = (e as { code?: unknown })?.code ?? (e as { error?: { code?: unknown } })?.error?.code;
  if (typeof sysCode === 'string' && /^E[A-Z]+$/.test(sysCode)) return new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, `${what}: cannot reach node (${sysCode})`, base);
  return new AdapterError(AdapterErrorCode.INTERNAL, `${what}: unexpected failure: ${firstLine(msg)}`, base);
}

/** The provider appends the failed request to the message; a log line needs only the first line. */
const firstLine = (s: string) => s.split('\n')[0];

function fromRpcError(rpcCode: number, msg: string, data: unknown, base: AdapterErrorOptions, what: string): AdapterError {
  const text = `${firstLine(msg)}${typeof data === 'string' && !msg.includes(data) ? `: ${data}` : ''}`;
  const details = { rpcCode, message: text };
  switch (rpcCode) {
    case POOL.INVALID: {
      for (const [re, code] of INVALID_TX) if (re.test(text)) return new AdapterError(code, `${what}: invalid transaction: ${text}`, { ...base, details });
      return new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${what}: invalid transaction: ${text}`, { ...base, details });
    }
    case POOL.ALREADY_IMPORTED:
      // the same signed transaction is in the pool already: its nonce is taken
      return new AdapterError(AdapterErrorCode.NONCE, `${what}: transaction already in the pool`, { ...base, details });
    case POOL.PRIORITY_TOO_LOW:
      return new AdapterError(AdapterErrorCode.UNDERPRICED, `${what}: a transaction with this nonce and a higher priority is in the pool`, { ...base, details });
    case POOL.UNKNOWN:
    case POOL.BANNED:
    case POOL.IMMEDIATELY_DROPPED:
      return new AdapterError(AdapterErrorCode.RPC_ERROR, `${what}: transaction pool refused: ${text}`, { ...base, details });
    case POOL.UNACTIONABLE:
      return new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${what}: transaction is unactionable: ${text}`, { ...base, details });
    case -32601:
      return new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${what}: the node does not serve this method`, { ...base, details });
    case -32602:
      return new AdapterError(AdapterErrorCode.INVALID_REQUEST, `${what}: invalid parameters: ${text}`, { ...base, details });
    default:
      return new AdapterError(AdapterErrorCode.RPC_ERROR, `${what}: node error: ${text}`, { ...base, details });
  }
}

/**
 * A dispatch error from an included extrinsic: a module error named through the metadata
 * (`{ section, name }`), anything else by its variant. Never retryable: the call failed on chain.
 */
export function fromDispatchError(registry: Registry, err: DispatchError, ctx: SubstrateErrorContext, where: Record<string, unknown>): AdapterError {
  let details: Record<string, unknown>;
  let text: string;
  if (err.isModule) {
    try {
      const meta = registry.findMetaError(err.asModule);
      details = { section: meta.section, name: meta.name, docs: meta.docs.join(' ') };
      text = `${meta.section}.${meta.name}`;
    } catch {
      // a module error the metadata does not list (an older runtime's): keep its indices
      const m = err.asModule;
      details = { module: m.index.toNumber(), error: m.error.toHex() };
      text = `module error ${m.index.toNumber()}/${m.error.toHex()}`;
    }
  } else {
    details = { kind: err.type, error: err.toJSON() };
    text = JSON.stringify(err.toJSON());
  }
  return new AdapterError(AdapterErrorCode.REVERTED, `${ctx.operation ?? 'submit'}: dispatch failed: ${text}`, { chainId: ctx.chainId, operation: ctx.operation, retryable: false, details: { ...details, ...where } });
}
