import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../../../../hub-chain/crypto/bytes.ts';
import { StateStore, decodeProof, encodeProof } from '../../../../../hub-chain/state/index.ts';
import { LightClient, type TrustedState, verifyStateMembership, verifyStateNonMembership } from '../../../../../hub-chain/light-clients/pontis/verifier/index.ts';
import { ChainBuilder } from '../../../../support/chain-builder.ts';
import { expectCode } from '../../../../support/errors.ts';

const DAY = 86_400_000;

describe('state proofs against verified hub headers', () => {
  let dir: string;
  let env: RootDatabase;
  let store: StateStore;
  let chain: ChainBuilder;
  let at5: TrustedState;
  let at6: TrustedState;
  const packet = utf8('commitments/ports/transfer/channels/channel-0/sequences/1');
  const receipt = utf8('receipts/ports/transfer/channels/channel-0/sequences/9');
  const never = utf8('receipts/ports/transfer/channels/channel-0/sequences/10');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontis-lc-proofs-'));
    env = open({ path: dir, maxDbs: 12 });
    store = StateStore.open(env);
    chain = new ChainBuilder({ seed: 'proofs' });
    // Block h's stateRoot is the state after executing block h (state version h).
    for (let h = 1; h <= 6; h++) {
      const ws = store.working();
      ws.set(utf8(`height/${h}`), utf8(String(h)));
      if (h === 1) for (const k of ['params/a', 'params/b']) ws.set(utf8(k), utf8('genesis'));
      if (h === 3) ws.set(packet, utf8('v1'));
      if (h === 5) ws.set(receipt, utf8('ok'));
      if (h === 6) {
        ws.set(packet, utf8('v2'));
        ws.delete(receipt);
      }
      chain.setStateRoot(h, await store.commit(ws, h));
      chain.extendTo(h);
    }
    const lc = new LightClient(chain.source(), chain.trustedState(1), { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, now: () => chain.header(6).time });
    at6 = await lc.verifyTo(6);
    at5 = await lc.verifyTo(5);
  });

  afterAll(async () => {
    await env?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('behavior: a membership proof from the store verifies against the verified header at its height', () => {
    const { value, proof } = store.getWithProof(packet, 6);
    expect(value).toEqual(utf8('v2'));
    verifyStateMembership(at6, packet, utf8('v2'), proof);
    verifyStateMembership(at6.header, packet, utf8('v2'), decodeProof(encodeProof(proof)));
  });

  it('error: the same proof against another verified header root fails', () => {
    const { proof } = store.getWithProof(packet, 6);
    expectCode(() => verifyStateMembership(at5, packet, utf8('v2'), proof), 'PNT_ERR_PROOF_INVALID');
  });

  it('error: a proof does not verify another value', () => {
    const { proof } = store.getWithProof(packet, 6);
    expectCode(() => verifyStateMembership(at6, packet, utf8('v1'), proof), 'PNT_ERR_PROOF_INVALID');
  });

  it('behavior: absence proofs verify for a never-written key and a deleted one', () => {
    const a = store.getWithProof(never, 6);
    expect(a.value).toBeUndefined();
    verifyStateNonMembership(at6, never, a.proof);
    const d = store.getWithProof(receipt, 6);
    expect(d.value).toBeUndefined();
    verifyStateNonMembership(at6, receipt, d.proof);
  });

  it('error: an absence claim for a present key fails (proof of presence offered as absence)', () => {
    const { proof } = store.getWithProof(receipt, 5);
    expectCode(() => verifyStateNonMembership(at5, receipt, proof), 'PNT_ERR_PROOF_KEY_PRESENT');
  });

  it('error: an absence proof from one height does not hold at a height where the key exists', () => {
    const { proof } = store.getWithProof(receipt, 6);
    expectCode(() => verifyStateNonMembership(at5, receipt, proof), 'PNT_ERR_PROOF_INVALID');
  });
});
