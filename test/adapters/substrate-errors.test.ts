/**
 * The Substrate adapter's error table: JSON-RPC errors as @polkadot/api's own coder builds them
 * from what a Substrate node (sc-rpc author errors) and chopsticks send, and the WebSocket
 * provider's transport messages, each to its adapter code and retry flag. The cases a chopsticks
 * run produces (stale nonce, payment, dispatch errors) are also covered end to end in
 * substrate-writer.test.ts; these are the node's wordings chopsticks does not produce.
 */
import { RpcCoder } from '@polkadot/rpc-provider/coder';
import { describe, expect, it } from 'vitest';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { toSubstrateAdapterError } from '../../adapters/substrate/errors.ts';

/** The error @polkadot/api raises for a JSON-RPC error answer. */
function rpcError(code: number, message: string, data?: unknown): unknown {
  try {
    new RpcCoder().decodeResponse({ jsonrpc: '2.0', id: 1, error: { code, message, ...(data === undefined ? {} : { data }) } } as never);
  } catch (e) {
    return e;
  }
  throw new Error('the coder accepted an error answer');
}

const cases: [string, unknown, string, boolean][] = [
  ['node: stale nonce', rpcError(1010, 'Invalid Transaction', 'Transaction is outdated'), AdapterErrorCode.NONCE, true],
  ['node: future nonce', rpcError(1010, 'Invalid Transaction', 'Transaction will be valid in the future'), AdapterErrorCode.NONCE, true],
  ['node: cannot pay fees', rpcError(1010, 'Invalid Transaction', 'Inability to pay some fees (e.g. account balance too low)'), AdapterErrorCode.INSUFFICIENT_FUNDS, false],
  ['node: bad signature', rpcError(1010, 'Invalid Transaction', 'Transaction has a bad signature'), AdapterErrorCode.INVALID_REQUEST, false],
  ['node: ancient birth block', rpcError(1010, 'Invalid Transaction', 'Transaction has an ancient birth block'), AdapterErrorCode.NONCE, true],
  ['node: block full (the next block has room)', rpcError(1010, 'Invalid Transaction', 'Transaction would exhaust the block limits'), AdapterErrorCode.RPC_ERROR, true],
  ['node: bad signer', rpcError(1010, 'Invalid Transaction', 'Invalid signing address'), AdapterErrorCode.INVALID_REQUEST, false],
  ['node: call not expected', rpcError(1010, 'Invalid Transaction', 'Transaction call is not expected'), AdapterErrorCode.INVALID_REQUEST, false],
  ['node: a pallet refuses (custom)', rpcError(1010, 'Invalid Transaction', 'Custom error: 3'), AdapterErrorCode.REVERTED, false],
  ['chopsticks: stale', rpcError(1010, '{"invalid":{"stale":null}}'), AdapterErrorCode.NONCE, true],
  ['chopsticks: payment', rpcError(1010, '{"invalid":{"payment":null}}'), AdapterErrorCode.INSUFFICIENT_FUNDS, false],
  ['chopsticks: bad proof', rpcError(1010, '{"invalid":{"badProof":null}}'), AdapterErrorCode.INVALID_REQUEST, false],
  ['chopsticks: exhausts resources', rpcError(1010, '{"invalid":{"exhaustsResources":null}}'), AdapterErrorCode.RPC_ERROR, true],
  ['already imported', rpcError(1013, 'Transaction Already Imported'), AdapterErrorCode.NONCE, true],
  ['priority too low (same nonce in the pool)', rpcError(1014, 'Priority is too low: (100 vs 100)', 'The transaction has too low priority to replace another transaction already in the pool.'), AdapterErrorCode.UNDERPRICED, true],
  ['temporarily banned', rpcError(1012, 'Transaction is temporarily banned'), AdapterErrorCode.RPC_ERROR, true],
  ['method not found', rpcError(-32601, 'Method not found'), AdapterErrorCode.INVALID_REQUEST, false],
  ['other JSON-RPC error', rpcError(-32000, 'Client error: something'), AdapterErrorCode.RPC_ERROR, true],
  ['request timed out', new Error('No response received from RPC endpoint in 10s'), AdapterErrorCode.RPC_TIMEOUT, true],
  ['socket gone', new Error('WebSocket is not connected\nFailed WS Request: {"method":"chain_getHeader","params":[]}'), AdapterErrorCode.RPC_UNAVAILABLE, true],
  ['socket closed mid-call', new Error('disconnected from ws://127.0.0.1:9944: 1006:: Abnormal Closure'), AdapterErrorCode.RPC_UNAVAILABLE, true],
  ['handshake refused with 500', { type: 'error', message: 'Unexpected server response: 500' }, AdapterErrorCode.RPC_UNAVAILABLE, true],
  ['handshake refused with 404 (wrong path)', { type: 'error', message: 'Unexpected server response: 404' }, AdapterErrorCode.RPC_UNAVAILABLE, false],
  ['handshake throttled (429)', { type: 'error', message: 'Unexpected server response: 429' }, AdapterErrorCode.RPC_UNAVAILABLE, true],
  ['connection refused', { type: 'error', message: 'connect ECONNREFUSED 127.0.0.1:1' }, AdapterErrorCode.RPC_UNAVAILABLE, true],
  ['anything else', new TypeError('x is not a function'), AdapterErrorCode.INTERNAL, false],
];

describe('substrate adapter errors', () => {
  for (const [name, e, code, retryable] of cases) {
    it(`error: ${name} -> ${code}${retryable ? ' (retryable)' : ''}`, () => {
      const a = toSubstrateAdapterError(e, { chainId: 'sub', operation: 'author_submitAndWatchExtrinsic' });
      expect(a).toBeInstanceOf(AdapterError);
      expect(a.code).toBe(code);
      expect(a.retryable).toBe(retryable);
      expect(a.chainId).toBe('sub');
      expect(a.cause).toBe(e);
      // the provider's appended request never reaches a log line
      expect(a.message).not.toContain('Failed WS Request');
    });
  }
});
