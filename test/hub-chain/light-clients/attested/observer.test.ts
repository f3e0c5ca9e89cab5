import { describe, expect, it } from 'vitest';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { type Hex, toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../../hub-chain/crypto/hash.ts';
import { PontisError } from '../../../../hub-chain/errors.ts';
import { headerHash } from '../../../../hub-chain/types/header.ts';
import type { HubClient } from '../../../../hub-chain/rpc-client/client.ts';
import { ClientKeeper } from '../../../../hub-chain/modules/clients/keeper.ts';
import { clientsModule } from '../../../../hub-chain/modules/clients/module.ts';
import { type AttestationVote, verifyAttestationSignature } from '../../../../hub-chain/light-clients/attested/module.ts';
import { pontisFinalizedSource } from '../../../../hub-chain/light-clients/pontis/source.ts';
import { AttestationObserver, type FinalizedBlock } from '../../../../hub-chain/light-clients/attested/observer.ts';
import type { AttestVoteMsg } from '../../../../hub-chain/light-clients/attested/schemas.ts';
import type { ModuleEnv } from '../../../../hub-chain/app/module.ts';
import { ChainBuilder } from '../../../support/chain-builder.ts';
import { MapStore } from '../../../support/kv.ts';
import { expectCodeAsync } from '../../../support/errors.ts';

const HUB = 'hub-test-1';
const T = 1_700_000_000_000;
const hub = new ChainBuilder({ chainId: HUB, seed: 'clients-observer-hub' });
const [val0, val1, val2] = hub.validatorsAt(1);

const block = (height: number, tag = 'a'): FinalizedBlock => ({ height, hash: toHex(keccak256(utf8(`h/${height}/${tag}`))), stateRoot: toHex(keccak256(utf8(`r/${height}/${tag}`))), timestamp: T + height * 1000 });

/** A source whose latest block the test sets; records every submitted vote. */
function harness(opts: { mark?: { load(): number; save(h: number): void }; withFetchAt?: boolean; stride?: number; maxPerPoll?: number } = {}) {
  const st = { latest: null as FinalizedBlock | null, byHeight: new Map<number, FinalizedBlock>(), submitted: [] as AttestVoteMsg[], fail: null as unknown };
  const obs = new AttestationObserver({
    chainId: 'evm-1',
    hubChainId: HUB,
    secretKey: val0.secretKey,
    intervalMs: 1000,
    fetchFinalized: async () => st.latest,
    fetchAt: opts.withFetchAt ? async (h) => st.byHeight.get(h) ?? block(h) : undefined,
    stride: opts.stride,
    maxPerPoll: opts.maxPerPoll,
    mark: opts.mark,
    submit: async (m) => {
      if (st.fail) throw st.fail;
      st.submitted.push(m);
    },
  });
  return { st, obs };
}

describe('attestation observer', () => {
  it('behavior: signs one valid vote per new finalized height and never twice for a height', async () => {
    const { st, obs } = harness();
    expect(await obs.poll()).toEqual([]); // nothing finalized yet
    st.latest = block(5);
    const [first] = await obs.poll();
    expect(first).toMatchObject({ chainId: 'evm-1', height: 5, hash: block(5).hash, validator: val0.address });
    expect(verifyAttestationSignature(HUB, first)).toBe(true);
    expect(await obs.poll()).toEqual([]); // same height again
    st.latest = block(5, 'reorged'); // the source changed its mind about height 5
    expect(await obs.poll()).toEqual([]);
    st.latest = block(4);
    expect(await obs.poll()).toEqual([]); // below the mark
    st.latest = block(6);
    expect((await obs.poll()).map((v) => v.height)).toEqual([6]);
    expect(st.submitted.map((m) => m.vote.height)).toEqual([5, 6]);
    expect(st.submitted.every((m) => m.type === 'attest/vote')).toBe(true);
  });

  it('behavior: resumes from its persisted mark, saved before each signature', async () => {
    const log: string[] = [];
    let saved = 6;
    const mark = { load: () => saved, save: (h: number) => void (log.push(`save ${h}`), (saved = h)) };
    const { st, obs } = harness({ mark });
    st.latest = block(6, 'different-after-restart');
    expect(await obs.poll()).toEqual([]);
    expect(obs.highWaterMark).toBe(6);
    st.latest = block(7);
    await obs.poll();
    log.push(...st.submitted.map((m) => `submit ${m.vote.height}`));
    expect(log).toEqual(['save 7', 'submit 7']);
    // a second observer over the same mark (a restart) does not sign 7 again
    const again = harness({ mark });
    again.st.latest = block(7, 'other');
    expect(await again.obs.poll()).toEqual([]);
  });

  it('error: when the mark cannot be saved nothing is signed', async () => {
    const { st, obs } = harness({ mark: { load: () => 0, save: () => { throw new PontisError('PNT_ERR_TEST_DISK', 'disk full'); } } });
    st.latest = block(3);
    await expectCodeAsync(obs.poll(), 'PNT_ERR_TEST_DISK');
    expect(st.submitted).toEqual([]);
    expect(obs.pendingVotes).toEqual([]);
  });

  it('behavior: a vote whose submission failed is resubmitted unchanged, not re-signed', async () => {
    const { st, obs } = harness();
    st.latest = block(5);
    st.fail = new Error('rpc down');
    const [signed] = await obs.poll();
    expect(obs.pendingVotes).toEqual([signed]);
    st.fail = null;
    st.latest = block(5, 'changed');
    expect(await obs.poll()).toEqual([]);
    expect(st.submitted.map((m) => m.vote)).toEqual([signed]);
    expect(obs.pendingVotes).toEqual([]);
  });

  it('behavior: a vote the chain already has, or refuses for good, is dropped from the retry list', async () => {
    const { st, obs } = harness();
    st.latest = block(5);
    st.fail = new PontisError('PNT_ERR_ATTEST_DUPLICATE_VOTE', 'already voted');
    await obs.poll();
    expect(obs.pendingVotes).toEqual([]);
    st.latest = block(6);
    st.fail = new PontisError('PNT_ERR_ATTEST_VOTE_TOO_OLD', 'too old');
    await obs.poll();
    expect(obs.pendingVotes).toEqual([]);
  });

  it('behavior: with fetchAt it votes every stride-th height up to the latest, newest maxPerPoll first kept', async () => {
    const { st, obs } = harness({ withFetchAt: true, stride: 5, maxPerPoll: 3 });
    st.latest = block(12);
    expect((await obs.poll()).map((v) => v.height)).toEqual([5, 10]);
    st.latest = block(40);
    expect((await obs.poll()).map((v) => v.height)).toEqual([30, 35, 40]);
    expect(obs.highWaterMark).toBe(40);
  });

  it('error: a malformed block from the source is refused before signing', async () => {
    const { st, obs } = harness();
    st.latest = { ...block(5), hash: '0x1234' as Hex };
    await expectCodeAsync(obs.poll(), 'PNT_ERR_ATTEST_SOURCE_INVALID');
    expect(st.submitted).toEqual([]);
  });

  it('behavior: start/stop runs polls in the background and reports errors without stopping', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const obs = new AttestationObserver({
      chainId: 'evm-1',
      hubChainId: HUB,
      secretKey: val0.secretKey,
      intervalMs: 1,
      fetchFinalized: async () => {
        calls++;
        if (calls === 1) throw new Error('flaky');
        return block(calls);
      },
      submit: async () => {},
      onError: (e) => errors.push(e),
    });
    obs.start();
    await new Promise<void>((resolve) => {
      const check = (): void => void (calls >= 3 ? resolve() : setTimeout(check, 1));
      check();
    });
    await obs.stop();
    expect(errors).toHaveLength(1);
    expect(obs.highWaterMark).toBeGreaterThanOrEqual(2);
  });

  it('behavior: votes of three observers reach quorum on the hub through attest/vote', async () => {
    const s = new MapStore();
    const keeper = new ClientKeeper(createClientRouter());
    const mod = clientsModule(keeper);
    const events: { type: string; attributes: Record<string, string> }[] = [];
    const env = { chainId: HUB, height: 50, time: T + 1_000_000, validators: hub.validatorSet(1), store: s, emit: (type: string, attributes: Record<string, string>) => void events.push({ type, attributes }) } as unknown as ModuleEnv;
    keeper.create({ now: env.time, height: 50, validators: env.validators, chainId: HUB, store: s }, 'evm-1', 'attested', { trustingPeriodMs: 86_400_000, maxClockDriftMs: 10_000, proofKind: 'pontis-smt' }, { height: 1, hash: block(1).hash, stateRoot: block(1).stateRoot, timestamp: block(1).timestamp });
    const votes: AttestationVote[] = [];
    for (const key of [val0, val1, val2]) {
      const obs = new AttestationObserver({ chainId: 'evm-1', hubChainId: HUB, secretKey: key.secretKey, intervalMs: 1000, fetchFinalized: async () => block(9), submit: async (m) => void (votes.push(m.vote), mod.handleMsg(env, m)) });
      await obs.poll();
    }
    expect(votes).toHaveLength(3);
    expect(keeper.consensusAt(s, 'evm-1', 9)).toMatchObject({ root: block(9).stateRoot, extra: { hash: block(9).hash } });
    expect(events.filter((e) => e.type === 'client/updated')).toEqual([{ type: 'client/updated', attributes: { chainId: 'evm-1', clientType: 'attested', height: '9', latestHeight: '9' } }]);
  });

  it('behavior: pontisFinalizedSource reads the latest header and recomputes its hash', async () => {
    const c = new ChainBuilder({ chainId: 'side-1', seed: 'observer-source' }).extendTo(4);
    const asked: (number | 'latest')[] = [];
    const client = { block: async (h: number | 'latest') => (asked.push(h), { hash: '0xwrong', header: c.header(h === 'latest' ? 4 : h) }) } as unknown as HubClient;
    const src = pontisFinalizedSource(client);
    expect(await src.fetchFinalized()).toEqual({ height: 4, hash: headerHash(c.header(4)), stateRoot: c.header(4).stateRoot, receiptsRoot: '0x' + '00'.repeat(32), timestamp: c.header(4).time });
    expect((await src.fetchAt!(2))?.hash).toBe(headerHash(c.header(2)));
    expect(asked).toEqual(['latest', 2]);
  });
});
