import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilePrivValidator, SignStep } from '../../../hub-chain/consensus/priv-validator.ts';
import { ZERO_HASH } from '../../../hub-chain/crypto/bytes.ts';
import { hasCode } from '../../../hub-chain/errors.ts';
import { headerHash } from '../../../hub-chain/types/header.ts';
import { VoteType, verifyVoteSignature } from '../../../hub-chain/types/vote.ts';
import { CHAIN_ID, makeBlock, makeKeys, makeValset } from './fixture.ts';
import { expectCodeInChain, rejection } from '../../support/errors.ts';

const [key] = makeKeys([10], 'priv');
const A = '0x' + 'aa'.repeat(32);
const B = '0x' + 'bb'.repeat(32);
const prevote = (height: number, round: number, blockHash: string) => ({ type: VoteType.Prevote, height, round, blockHash });
const precommit = (height: number, round: number, blockHash: string) => ({ type: VoteType.Precommit, height, round, blockHash });

const expectDoubleSign = async (p: Promise<unknown>): Promise<void> => expectCodeInChain(await rejection(p), 'PNT_ERR_DOUBLE_SIGN');

describe('FilePrivValidator', () => {
  let dir: string;
  let statePath: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pontis-priv-'));
    statePath = join(dir, 'priv_validator_state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('behavior: signs in (height, round, step) order and re-signing the identical vote returns the same signature, also after a reopen', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    expect(pv.address).toBe(key.address);
    const v1 = await pv.signVote(CHAIN_ID, prevote(1, 0, A));
    expect(verifyVoteSignature(CHAIN_ID, v1)).toBe(true);
    expect((await pv.signVote(CHAIN_ID, prevote(1, 0, A))).signature).toBe(v1.signature);
    const v2 = await pv.signVote(CHAIN_ID, precommit(1, 0, A));
    const reopened = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    expect(reopened.lastSignState).toMatchObject({ height: 1, round: 0, step: SignStep.Precommit, signature: v2.signature });
    expect((await reopened.signVote(CHAIN_ID, precommit(1, 0, A))).signature).toBe(v2.signature);
    await reopened.signVote(CHAIN_ID, prevote(1, 1, ZERO_HASH));
    await reopened.signVote(CHAIN_ID, prevote(2, 0, B));
  });

  it('error: refuses a conflicting vote at the same height/round/step across a reopen from disk', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    await pv.signVote(CHAIN_ID, prevote(3, 1, A));
    await expectDoubleSign(pv.signVote(CHAIN_ID, prevote(3, 1, B)));
    const reopened = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    await expectDoubleSign(reopened.signVote(CHAIN_ID, prevote(3, 1, B)));
    await expectDoubleSign(reopened.signVote(CHAIN_ID, prevote(3, 1, ZERO_HASH)));
  });

  it('error: refuses anything below the last signed height/round/step after a reopen', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    await pv.signVote(CHAIN_ID, precommit(5, 2, A));
    const reopened = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    await expectDoubleSign(reopened.signVote(CHAIN_ID, prevote(5, 2, A))); // lower step
    await expectDoubleSign(reopened.signVote(CHAIN_ID, precommit(5, 1, A))); // lower round
    await expectDoubleSign(reopened.signVote(CHAIN_ID, precommit(4, 9, A))); // lower height
  });

  it('error: only the last message is re-signed: after the precommit, even the identical earlier prevote is refused (the engine keeps its own votes to re-send them)', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    await pv.signVote(CHAIN_ID, prevote(6, 0, A));
    const pc = await pv.signVote(CHAIN_ID, precommit(6, 0, A));
    const reopened = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    await expectDoubleSign(reopened.signVote(CHAIN_ID, prevote(6, 0, A)));
    expect((await reopened.signVote(CHAIN_ID, precommit(6, 0, A))).signature).toBe(pc.signature);
    await expectDoubleSign(reopened.signVote(CHAIN_ID, precommit(6, 0, ZERO_HASH)));
  });

  it('error: refuses a second, different proposal for the same height and round', async () => {
    const vs = makeValset([key]);
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    const a = makeBlock(vs, 1, 'A', key.address);
    const p = await pv.signProposal(CHAIN_ID, { height: 1, round: 0, polRound: -1, block: a });
    expect((await pv.signProposal(CHAIN_ID, { height: 1, round: 0, polRound: -1, block: a })).signature).toBe(p.signature);
    await expectDoubleSign(pv.signProposal(CHAIN_ID, { height: 1, round: 0, polRound: -1, block: makeBlock(vs, 1, 'B', key.address) }));
    expect(headerHash(p.block.header)).toBe(headerHash(a.header));
  });

  it('behavior: the new state is on disk when the signature is returned', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    const v = await pv.signVote(CHAIN_ID, precommit(7, 3, B));
    const onDisk = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ height: 7, round: 3, step: SignStep.Precommit, signature: v.signature });
  });

  it('behavior: the last vote comes back from disk as the vote it signed (for a restarted engine to send again); a proposal gives none', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    const v = await pv.signVote(CHAIN_ID, prevote(8, 1, B));
    const reopened = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    expect(reopened.lastSignedVote()).toEqual(v);
    await reopened.signProposal(CHAIN_ID, { height: 9, round: 0, polRound: -1, block: makeBlock(makeValset([key]), 9, 'P', key.address) });
    expect((await FilePrivValidator.open({ secretKey: key.sk, statePath })).lastSignedVote()).toBeNull();
  });

  it('error: a state file whose block hash is malformed, or set on a proposal, refuses to open', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    await pv.signVote(CHAIN_ID, prevote(8, 1, B));
    const good = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown>;
    for (const bad of [{ ...good, blockHash: '0xbb' }, { ...good, step: SignStep.Proposal }]) {
      await writeFile(statePath, JSON.stringify(bad));
      const e = await FilePrivValidator.open({ secretKey: key.sk, statePath }).catch((err: unknown) => err);
      expect(hasCode(e, 'PNT_ERR_SIGN_STATE_CORRUPT')).toBe(true);
    }
  });

  it('error: two concurrent conflicting requests: exactly one is signed', async () => {
    const pv = await FilePrivValidator.open({ secretKey: key.sk, statePath });
    const results = await Promise.allSettled([pv.signVote(CHAIN_ID, prevote(1, 0, A)), pv.signVote(CHAIN_ID, prevote(1, 0, B))]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('error: an unreadable state file refuses to open instead of starting over', async () => {
    await writeFile(statePath, '{"height": 3, "round"');
    const e = await FilePrivValidator.open({ secretKey: key.sk, statePath }).catch((err: unknown) => err);
    expect(hasCode(e, 'PNT_ERR_SIGN_STATE_CORRUPT')).toBe(true);
  });
});
