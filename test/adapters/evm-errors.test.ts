/**
 * The ethers-to-AdapterError mapping, case by case: each row is an error as ethers (or the HTTP
 * stack under it) produces it, and the code and retry decision the relayer must see.
 */
import { Interface, makeError as ethersMakeError, type ErrorCode } from 'ethers';
import { describe, expect, it } from 'vitest';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { toAdapterError } from '../../adapters/evm/errors.ts';
import { hasCode } from '../../hub-chain/errors.ts';

/** ethers' own error factory, with the info fields a test needs (the rest are irrelevant to the mapping). */
const makeError = (message: string, code: ErrorCode, info: Record<string, unknown>) => ethersMakeError(message, code, info as never);

const iface = new Interface(['error Nope(uint256 code)']);
const nopeData = iface.encodeErrorResult('Nope', [7]);
const rpcError = (message: string, code = -32000) => makeError('could not coalesce error', 'UNKNOWN_ERROR', { error: { code, message }, payload: {} });
const sysError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

const cases: { name: string; error: unknown; code: string; retryable: boolean }[] = [
  { name: 'TIMEOUT', error: makeError('timeout', 'TIMEOUT', { operation: 'request' }), code: AdapterErrorCode.RPC_TIMEOUT, retryable: true },
  { name: 'NETWORK_ERROR', error: makeError('network changed', 'NETWORK_ERROR', { event: 'changed' }), code: AdapterErrorCode.RPC_UNAVAILABLE, retryable: true },
  { name: 'SERVER_ERROR (HTTP 503)', error: makeError('server response 503', 'SERVER_ERROR', { response: { statusCode: 503 } }), code: AdapterErrorCode.RPC_UNAVAILABLE, retryable: true },
  { name: 'SERVER_ERROR (HTTP 429)', error: makeError('server response 429', 'SERVER_ERROR', { response: { statusCode: 429 } }), code: AdapterErrorCode.RPC_UNAVAILABLE, retryable: true },
  { name: 'SERVER_ERROR (HTTP 401)', error: makeError('server response 401', 'SERVER_ERROR', { response: { statusCode: 401 } }), code: AdapterErrorCode.RPC_UNAVAILABLE, retryable: false },
  { name: 'CALL_EXCEPTION', error: makeError('execution reverted', 'CALL_EXCEPTION', { action: 'estimateGas', data: nopeData, reason: null, transaction: {}, invocation: null, revert: null }), code: AdapterErrorCode.REVERTED, retryable: false },
  { name: 'NONCE_EXPIRED', error: makeError('nonce has already been used', 'NONCE_EXPIRED', { transaction: {} }), code: AdapterErrorCode.NONCE, retryable: true },
  { name: 'REPLACEMENT_UNDERPRICED', error: makeError('replacement fee too low', 'REPLACEMENT_UNDERPRICED', { transaction: {} }), code: AdapterErrorCode.UNDERPRICED, retryable: true },
  { name: 'INSUFFICIENT_FUNDS', error: makeError('insufficient funds', 'INSUFFICIENT_FUNDS', { transaction: {} }), code: AdapterErrorCode.INSUFFICIENT_FUNDS, retryable: false },
  { name: 'BAD_DATA', error: makeError('invalid hex', 'BAD_DATA', { value: 'zz' }), code: AdapterErrorCode.BAD_RESPONSE, retryable: true },
  { name: 'INVALID_ARGUMENT', error: makeError('invalid address', 'INVALID_ARGUMENT', { argument: 'to', value: 'x' }), code: AdapterErrorCode.INVALID_REQUEST, retryable: false },
  { name: 'node: nonce too low', error: rpcError('nonce too low'), code: AdapterErrorCode.NONCE, retryable: true },
  { name: 'node: below base fee', error: rpcError('max fee per gas less than block base fee', -32003), code: AdapterErrorCode.UNDERPRICED, retryable: true },
  { name: 'node: execution reverted', error: rpcError('execution reverted', 3), code: AdapterErrorCode.REVERTED, retryable: false },
  { name: 'node: anything else', error: rpcError('header not found'), code: AdapterErrorCode.RPC_ERROR, retryable: true },
  { name: 'ECONNREFUSED under ethers', error: sysError('ECONNREFUSED'), code: AdapterErrorCode.RPC_UNAVAILABLE, retryable: true },
  { name: 'ECONNRESET under ethers', error: sysError('ECONNRESET'), code: AdapterErrorCode.RPC_UNAVAILABLE, retryable: true },
  { name: 'a bug (TypeError)', error: new TypeError('x is undefined'), code: AdapterErrorCode.INTERNAL, retryable: false },
];

describe('toAdapterError', () => {
  for (const c of cases) {
    it(`error: ${c.name} becomes ${c.code} (retryable ${c.retryable}) with the original as cause`, () => {
      const e = toAdapterError(c.error, { chainId: 'evm-1', operation: 'eth_test', iface });
      expect(e).toBeInstanceOf(AdapterError);
      expect(e.code).toBe(c.code);
      expect(e.retryable).toBe(c.retryable);
      expect(e.cause).toBe(c.error);
      expect(e.chainId).toBe('evm-1');
      expect(hasCode(e, c.code)).toBe(true);
    });
  }

  it('behavior: revert data is decoded with the given ABI into the error name and arguments', () => {
    const e = toAdapterError(cases.find((c) => c.name === 'CALL_EXCEPTION')!.error, { iface });
    expect(e.details).toMatchObject({ data: nopeData, error: { name: 'Nope', args: [7n] } });
    expect(e.message).toContain('Nope(7)');
  });

  it('behavior: an AdapterError passes through unchanged', () => {
    const orig = new AdapterError(AdapterErrorCode.REORG, 'moved', { retryable: false });
    expect(toAdapterError(orig)).toBe(orig);
  });

  it('behavior: JSON form carries code, message and retryable for logs and RPC', () => {
    const e = toAdapterError(makeError('timeout', 'TIMEOUT', { operation: 'request' }), { operation: 'eth_blockNumber' });
    expect(e.toJSON()).toMatchObject({ code: 'PNT_ERR_ADAPTER_RPC_TIMEOUT', retryable: true });
  });
});
