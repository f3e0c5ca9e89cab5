/**
 * runOnState: synchronous Pontis logic over asynchronous world state. Rounds end at a key not read
 * yet; only the last round (which read nothing missing) writes; its result is what complete
 * knowledge of the state gives.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { PontisError } from '../../../hub-chain/errors.ts';
import { CLIENT_STATE_PREFIX, fabricKey, runOnState } from '../../../contracts/fabric/state.ts';
import { rejection, errorCode } from '../../support/errors.ts';
import { MemoryState } from './world.ts';

const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

describe('runOnState', () => {
  it('behavior: a chain of dependent reads settles; each key is read from Fabric once; only the final writes land', async () => {
    const st = new MemoryState();
    await st.put('a', utf8('b'));
    await st.put('b', utf8('c'));
    let runs = 0;
    const out = await runOnState(st, (s) => {
      runs++;
      // each read names the next key: three rounds discover them one by one
      const b = text(s.get(utf8('a')))!;
      const c = text(s.get(utf8(b)))!;
      s.set(utf8('seen'), utf8(`${b}${c}${runs}`));
      return `${c}:${text(s.get(utf8(c))) ?? 'absent'}`;
    });
    expect(out).toBe('c:absent');
    expect(runs).toBe(4);
    expect(st.reads).toBe(3);
    expect(text(st.m.get('seen'))).toBe('bc4');
  });

  it('behavior: items that catch the missing-key error (per-item handlers) still cause another round', async () => {
    const st = new MemoryState();
    await st.put('x', utf8('1'));
    const results = await runOnState(st, (s) =>
      ['x', 'y'].map((k) => {
        try {
          return text(s.get(utf8(k))) ?? 'none';
        } catch (e) {
          if (!(e instanceof PontisError)) throw e;
          return e.code;
        }
      }),
    );
    expect(results).toEqual(['1', 'none']);
  });

  it('error: a failure with complete reads propagates and nothing is written', async () => {
    const st = new MemoryState();
    await st.put('k', utf8('v'));
    const err = await rejection(
      runOnState(st, (s) => {
        s.set(utf8('written'), utf8('1'));
        if (text(s.get(utf8('k'))) === 'v') throw new PontisError('PNT_ERR_FABRIC_CC_BAD_ARGUMENT', 'refused');
        return 0;
      }),
    );
    expect(errorCode(err)).toBe('PNT_ERR_FABRIC_CC_BAD_ARGUMENT');
    expect(st.m.has('written')).toBe(false);
  });

  it('behavior: the keepers\' own records are kept under pontis-client/, packet keys under their own names', () => {
    expect(fabricKey(utf8('clients/hub/state'))).toBe(`${CLIENT_STATE_PREFIX}clients/hub/state`);
    expect(fabricKey(utf8('registry/chain/hub'))).toBe(`${CLIENT_STATE_PREFIX}registry/chain/hub`);
    expect(fabricKey(utf8('pkt/out/a/b/c/d/1'))).toBe('pkt/out/a/b/c/d/1');
    expect(fabricKey(utf8('app/records/x'))).toBe('app/records/x');
  });
});
