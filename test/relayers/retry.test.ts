/**
 * The relayer's one retry rule (relayers/error-catalog.ts): a PontisError by its `retryable`
 * (classes default it from the catalog), a bare code by the catalog (unknown: stop), anything
 * else retried; and no other retry decision left in the relayer's source.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeError } from 'ethers';
import { describe, expect, it } from 'vitest';
import { AdapterError, AdapterErrorCode } from '../../adapters/core/errors.ts';
import { toAdapterError } from '../../adapters/evm/errors.ts';
import { PontisError } from '../../hub-chain/errors.ts';
import { LC_ERR, LightClientError } from '../../hub-chain/light-clients/pontis/verifier/errors.ts';
import { ERRORS, isFatalCode, isRetryableCode, isRetryableReason, shouldRetry } from '../../relayers/error-catalog.ts';
import { RelayerError } from '../../relayers/errors.ts';

describe('retry rule', () => {
  it('behavior: a header from the future is retried, as a per-item code and as the light client error (ADR 0003)', () => {
    expect(isRetryableCode(LC_ERR.HEADER_FROM_FUTURE)).toBe(true);
    expect(isFatalCode(LC_ERR.HEADER_FROM_FUTURE)).toBe(false);
    expect(shouldRetry(new LightClientError(LC_ERR.HEADER_FROM_FUTURE, 'header time is beyond now + drift'))).toBe(true);
  });

  it('behavior: other light client refusals stop the job', () => {
    for (const code of [LC_ERR.INVALID_COMMIT, LC_ERR.VALSET_MISMATCH, LC_ERR.TRUSTED_EXPIRED]) {
      expect(isFatalCode(code), code).toBe(true);
      expect(shouldRetry(new LightClientError(code, 'refused')), code).toBe(false);
    }
  });

  it('behavior: an adapter error that cannot pass by retrying (insufficient funds) stops the job; a timeout is retried', () => {
    const broke = toAdapterError(makeError('insufficient funds', 'INSUFFICIENT_FUNDS', { transaction: {} } as never));
    expect(broke.code).toBe(AdapterErrorCode.INSUFFICIENT_FUNDS);
    expect(shouldRetry(broke)).toBe(false);
    expect(isFatalCode(AdapterErrorCode.INSUFFICIENT_FUNDS)).toBe(true);
    expect(shouldRetry(toAdapterError(makeError('timeout', 'TIMEOUT', { operation: 'request' } as never)))).toBe(true);
  });

  it('behavior: the error where it was thrown knows the case better than the catalog', () => {
    // a 4xx from the node: RPC_UNAVAILABLE, but not retryable this time
    expect(shouldRetry(new AdapterError(AdapterErrorCode.RPC_UNAVAILABLE, 'HTTP 401', { retryable: false }))).toBe(false);
    expect(isRetryableCode(AdapterErrorCode.RPC_UNAVAILABLE)).toBe(true);
    // no consensus to prove evidence from: this one cannot come
    expect(shouldRetry(new RelayerError('PNT_ERR_RELAY_NO_CONSENSUS', 'none below the evidence', { retryable: false }))).toBe(false);
  });

  it('behavior: a relayer error without an explicit retryable takes the catalog\'s', () => {
    expect(new RelayerError('PNT_ERR_RELAY_TIMEOUT_NOT_DUE', 'not yet').retryable).toBe(true);
    expect(new RelayerError('PNT_ERR_RELAY_UNKNOWN_PATH', 'no path').retryable).toBe(false);
    expect(new RelayerError('PNT_ERR_CLIENT_NO_CONSENSUS', 'not yet').retryable).toBe(true);
    expect(new RelayerError('PNT_ERR_CLIENT_FROZEN', 'frozen').retryable).toBe(false);
  });

  it('error: an unknown code is not retried; an error nothing translated is', () => {
    expect(ERRORS.has('PNT_ERR_SOMETHING_NEW')).toBe(false);
    expect(isFatalCode('PNT_ERR_SOMETHING_NEW')).toBe(true);
    expect(shouldRetry(new PontisError('PNT_ERR_SOMETHING_NEW', 'x'))).toBe(false);
    expect(shouldRetry(new Error('ECONNRESET'))).toBe(true);
  });

  it('behavior: clearing re-runs a failed job by the code leading its reason; a reason without a code (BullMQ\'s own) is re-run', () => {
    expect(isRetryableReason('PNT_ERR_CLIENT_NO_CONSENSUS: 3 item(s) refused')).toBe(true);
    expect(isRetryableReason('PNT_ERR_ADAPTER_INSUFFICIENT_FUNDS: relay: insufficient funds')).toBe(false);
    expect(isRetryableReason('PNT_ERR_SOMETHING_NEW: x')).toBe(false);
    expect(isRetryableReason('job stalled more than allowable limit')).toBe(true);
    expect(isRetryableReason(undefined)).toBe(true);
  });

  it('behavior: the relayer holds no retry decision outside the catalog (no code prefixes or fatal lists)', () => {
    const root = new URL('../../relayers/', import.meta.url).pathname;
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : n.endsWith('.ts') ? [join(d, n)] : []));
    const offenders = walk(root).filter((f) => /FATAL_|startsWith\('PNT_ERR_|new Set\(\['PNT_ERR_/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
