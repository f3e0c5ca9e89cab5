import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileConsensusStateStore } from '../../../hub-chain/consensus/state-store.ts';
import type { ConsensusLockState } from '../../../hub-chain/consensus/types.ts';
import { hasCode } from '../../../hub-chain/errors.ts';
import { headerHash } from '../../../hub-chain/types/header.ts';
import { VoteType } from '../../../hub-chain/types/vote.ts';
import { makeBlock, makeKeys, makeValset, vote } from './fixture.ts';

const keys = makeKeys([10], 'store');
const vs = makeValset(keys);

describe('FileConsensusStateStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pontis-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('behavior: state and valid block survive a reopen; blocks the state no longer references are pruned', async () => {
    const a = makeBlock(vs, 4, 'A', keys[0].address);
    const b = makeBlock(vs, 4, 'B', keys[0].address);
    const store = new FileConsensusStateStore(dir);
    expect(await store.load()).toBeNull();
    await store.putBlock(a);
    const s1: ConsensusLockState = { height: 4, round: 2, lockedRound: 1, lockedBlockHash: headerHash(a.header), validRound: 1, validBlockHash: headerHash(a.header) };
    await store.save(s1);
    const reopened = new FileConsensusStateStore(dir);
    expect(await reopened.load()).toEqual(s1);
    expect(headerHash((await reopened.getBlock(headerHash(a.header)))!.header)).toBe(headerHash(a.header));

    await reopened.putBlock(b);
    await reopened.save({ ...s1, round: 3, validRound: 3, validBlockHash: headerHash(b.header) });
    expect(await readdir(join(dir, 'blocks'))).toEqual([`${headerHash(b.header)}.json`]);
    expect(await reopened.getBlock(headerHash(a.header))).toBeNull();
  });

  it('error: an unreadable lock file refuses to load (starting unlocked could break the lock)', async () => {
    const store = new FileConsensusStateStore(dir);
    await store.load();
    await writeFile(join(dir, 'lock.json'), '{"height":1,"round":0,"lockedRound":0,"lockedBlockHash":null,"validRound":-1,"validBlockHash":null}');
    const e = await store.load().catch((err: unknown) => err);
    expect(hasCode(e, 'PNT_ERR_LOCK_STATE_CORRUPT')).toBe(true);
  });

  it('behavior: the own votes of the height survive a reopen; a lock file without them (older format) still loads', async () => {
    const store = new FileConsensusStateStore(dir);
    const base: ConsensusLockState = { height: 5, round: 1, lockedRound: -1, lockedBlockHash: null, validRound: -1, validBlockHash: null };
    await store.save(base);
    expect(await new FileConsensusStateStore(dir).load()).toEqual(base);
    const votes = [VoteType.Prevote, VoteType.Precommit].map((t) => (vote(keys[0], t, 5, 1, '0x' + 'cc'.repeat(32)) as { kind: 'vote'; vote: NonNullable<ConsensusLockState['votes']>[number] }).vote);
    await store.save({ ...base, votes });
    expect((await new FileConsensusStateStore(dir).load())?.votes).toEqual(votes);
  });

  it('error: a lock file with a malformed own vote refuses to load', async () => {
    const store = new FileConsensusStateStore(dir);
    await store.load();
    await writeFile(join(dir, 'lock.json'), '{"height":1,"round":0,"lockedRound":-1,"lockedBlockHash":null,"validRound":-1,"validBlockHash":null,"votes":[{"type":1,"height":1}]}');
    const e = await store.load().catch((err: unknown) => err);
    expect(hasCode(e, 'PNT_ERR_LOCK_STATE_CORRUPT')).toBe(true);
  });
});
