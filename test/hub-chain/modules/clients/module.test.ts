import { describe, expect, it } from 'vitest';
import { createClientRouter } from '../../../../hub-chain/app/client-types.ts';
import { toHex, utf8 } from '../../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../../hub-chain/crypto/hash.ts';
import { generateAccountKey } from '../../../../hub-chain/crypto/ed25519.ts';
import { HubApp, readProposal } from '../../../../hub-chain/app/app.ts';
import { parseGenesis } from '../../../../hub-chain/app/genesis.ts';
import { decodeTx, decodeTxObject, encodeTx, msgSchema, signTx, type Msg } from '../../../../hub-chain/app/tx.ts';
import type { ModuleEnv } from '../../../../hub-chain/app/module.ts';
import { ClientKeeper } from '../../../../hub-chain/modules/clients/keeper.ts';
import { clientContext, clientsModule } from '../../../../hub-chain/modules/clients/module.ts';
import { signAttestation } from '../../../../hub-chain/light-clients/attested/module.ts';
import { ChainBuilder } from '../../../support/chain-builder.ts';
import { MapStore } from '../../../support/kv.ts';
import { expectCode } from '../../../support/errors.ts';

const DAY = 86_400_000;
const side = new ChainBuilder({ chainId: 'side-1', seed: 'clients-module-side' }).extendTo(10);
const hub = new ChainBuilder({ chainId: 'hub-test-1', seed: 'clients-module-hub' });
const hubVals = hub.validatorSet(1);
const NOW = side.header(10).time + 1000;
const initial = (h: number) => ({ header: side.header(h), validators: side.validatorSet(h).toJSON(), nextValidators: side.validatorSet(h + 1).toJSON() });
const update = (h: number, trustedHeight: number, sh = side.signedHeader(h)) => ({ signedHeader: sh, validators: side.validatorSet(h).toJSON(), nextValidators: side.validatorSet(h + 1).toJSON(), trustedHeight });
const attestBody = (height: number) => ({ chainId: 'evm-1', height, hash: toHex(keccak256(utf8(`h${height}`))), stateRoot: toHex(keccak256(utf8(`r${height}`))), receiptsRoot: '0x' + '00'.repeat(32), timestamp: NOW - 5000 });

function setup() {
  const s = new MapStore();
  const keeper = new ClientKeeper(createClientRouter());
  const mod = clientsModule(keeper);
  const events: { type: string; attributes: Record<string, string> }[] = [];
  const env = { chainId: 'hub-test-1', height: 7, time: NOW, validators: hubVals, store: s, sender: '0x' + '00'.repeat(20), emit: (type: string, attributes: Record<string, string>) => void events.push({ type, attributes }), events } as unknown as ModuleEnv;
  keeper.create(clientContext(env), 'side-1', 'pontis', { trustingPeriodMs: DAY, maxClockDriftMs: 10_000 }, initial(1));
  keeper.create(clientContext(env), 'evm-1', 'attested', { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, proofKind: 'pontis-smt' }, { height: 1, hash: toHex(keccak256(utf8('h1'))), stateRoot: toHex(keccak256(utf8('r1'))), timestamp: NOW - 10_000 });
  return { s, keeper, mod, env, events };
}

describe('clients module: messages', () => {
  it('behavior: no message creates a client (creation belongs to the chain registry)', () => {
    const mod = clientsModule(new ClientKeeper(createClientRouter()));
    expect(mod.msgTypes).toEqual(['clients/update', 'clients/misbehaviour', 'attest/vote']);
    expect(mod.govActionKinds).toEqual(['recover-client']);
  });

  it('behavior: the tx schema accepts real updates, misbehaviour and votes unchanged', () => {
    const msgs: Msg[] = [
      { type: 'clients/update', chainId: 'side-1', message: update(2, 1) },
      { type: 'clients/misbehaviour', chainId: 'side-1', evidence: { a: update(3, 1), b: update(3, 1, side.forkHeader(3, { txRoot: '0x' + '11'.repeat(32) })) } },
      { type: 'attest/vote', vote: signAttestation('hub-test-1', attestBody(2), hub.validatorsAt(1)[0].secretKey) },
    ];
    for (const m of msgs) {
      const r = msgSchema.safeParse(m);
      expect(r.success, JSON.stringify(r.error?.issues[0])).toBe(true);
      expect(r.data).toEqual(m);
    }
    const key = generateAccountKey();
    expect(decodeTxObject(signTx({ chainId: 'hub-test-1', nonce: 0, msgs }, key)).tx.body.msgs).toHaveLength(3);
  });

  const badShapes: { name: string; msg: unknown }[] = [
    { name: 'an extra field', msg: { type: 'clients/update', chainId: 'side-1', message: update(2, 1), extra: 1 } },
    { name: 'an unknown client message shape', msg: { type: 'clients/update', chainId: 'side-1', message: { foo: 1 } } },
    { name: 'upper-case hex in a vote', msg: { type: 'attest/vote', vote: { ...signAttestation('hub-test-1', attestBody(2), hub.validatorsAt(1)[0].secretKey), hash: '0x' + 'AB'.repeat(32) } } },
    { name: 'a short signature', msg: { type: 'attest/vote', vote: { ...signAttestation('hub-test-1', attestBody(2), hub.validatorsAt(1)[0].secretKey), signature: '0x00' } } },
    { name: 'a chain id with a slash', msg: { type: 'clients/update', chainId: 'side/1', message: update(2, 1) } },
    { name: 'a commit with too many signatures', msg: { type: 'clients/update', chainId: 'side-1', message: { ...update(2, 1), signedHeader: { ...side.signedHeader(2), commit: { ...side.signedHeader(2).commit, signatures: Array(151).fill(side.signedHeader(2).commit.signatures[0]) } } } } },
    { name: 'a recover action without initial state', msg: { type: 'gov/propose', action: { kind: 'recover-client', chainId: 'side-1' } } },
  ];
  for (const c of badShapes) {
    it(`error: the tx schema refuses ${c.name}`, () => {
      expect(msgSchema.safeParse(c.msg).success).toBe(false);
    });
  }

  it('behavior: clients/update emits client/updated; a conflicting header emits client/frozen', () => {
    const { s, keeper, mod, env, events } = setup();
    mod.handleMsg(env, { type: 'clients/update', chainId: 'side-1', message: update(3, 1) } as never);
    expect(events).toEqual([{ type: 'client/updated', attributes: { chainId: 'side-1', clientType: 'pontis', height: '3', latestHeight: '3' } }]);
    mod.handleMsg(env, { type: 'clients/update', chainId: 'side-1', message: update(3, 1, side.forkHeader(3, { txRoot: '0x' + '11'.repeat(32) })) } as never);
    expect(events[1]).toEqual({ type: 'client/frozen', attributes: { chainId: 'side-1', clientType: 'pontis', height: '3', reason: 'conflicting-header', evidence: '0' } });
    expect(keeper.status(s, 'side-1', NOW)).toBe('frozen');
  });

  it('behavior: clients/misbehaviour freezes and emits client/frozen', () => {
    const { mod, env, events } = setup();
    mod.handleMsg(env, { type: 'clients/misbehaviour', chainId: 'side-1', evidence: { a: update(3, 1), b: update(3, 1, side.forkHeader(3, { txRoot: '0x' + '11'.repeat(32) })) } } as never);
    expect(events.map((e) => [e.type, e.attributes.reason])).toEqual([['client/frozen', 'fork']]);
  });

  it('error: attest/vote for a chain without a client, or with a non-attested client, is refused', () => {
    const { mod, env } = setup();
    const key = hub.validatorsAt(1)[0].secretKey;
    expectCode(() => mod.handleMsg(env, { type: 'attest/vote', vote: signAttestation('hub-test-1', { ...attestBody(2), chainId: 'evm-9' }, key) } as never), 'PNT_ERR_CLIENT_NOT_FOUND');
    expectCode(() => mod.handleMsg(env, { type: 'attest/vote', vote: signAttestation('hub-test-1', { ...attestBody(2), chainId: 'side-1' }, key) } as never), 'PNT_ERR_ATTEST_NOT_ATTESTED');
  });

  it('behavior: governance recover-client unfreezes and emits client/recovered', () => {
    const { s, keeper, mod, env, events } = setup();
    mod.handleMsg(env, { type: 'clients/update', chainId: 'side-1', message: update(3, 1, side.forkHeader(3, { txRoot: '0x' + '11'.repeat(32) })) } as never);
    mod.handleMsg(env, { type: 'clients/update', chainId: 'side-1', message: update(3, 1) } as never);
    expect(keeper.status(s, 'side-1', NOW)).toBe('frozen');
    mod.handleGovAction!(env, { kind: 'recover-client', chainId: 'side-1', initial: initial(8) } as never);
    expect(events.at(-1)).toEqual({ type: 'client/recovered', attributes: { chainId: 'side-1', clientType: 'pontis', height: '8' } });
    expect(keeper.status(s, 'side-1', NOW)).toBe('active');
  });
});

describe('clients module in the app', () => {
  it('behavior: attestation votes in transactions reach quorum; a duplicate fails only its transaction; governance cannot recover an active client', () => {
    const members = [generateAccountKey()];
    const relayer = generateAccountKey();
    const genesis = parseGenesis({
      chainId: 'hub-test-1',
      genesisTime: 1,
      validators: hubVals.validators.map((x) => ({ publicKey: x.publicKey, power: x.power })),
      governance: { members: members.map((m) => ({ address: m.address, weight: 1 })) },
    });
    const keeper = new ClientKeeper(createClientRouter());
    const app = new HubApp(genesis, [clientsModule(keeper)]);
    const s = new MapStore();
    const exec = { height: 2, time: NOW, proposer: hubVals.validators[0].address, validators: hubVals };
    app.executeBlock(s, { ...exec, height: 1 }, [], []); // genesis state
    keeper.create({ now: NOW, height: 1, validators: hubVals, chainId: 'hub-test-1', store: s }, 'evm-1', 'attested', { trustingPeriodMs: DAY, maxClockDriftMs: 10_000, proofKind: 'pontis-smt' }, { height: 1, hash: toHex(keccak256(utf8('h1'))), stateRoot: toHex(keccak256(utf8('r1'))), timestamp: NOW - 10_000 });
    const [k0, k1, k2] = hub.validatorsAt(1);
    const vote = (k: typeof k0) => ({ type: 'attest/vote', vote: signAttestation('hub-test-1', attestBody(2), k.secretKey) });
    const tx = (nonce: number, msgs: Msg[], key = relayer) => decodeTx(encodeTx(signTx({ chainId: 'hub-test-1', nonce, msgs }, key)));
    const r = app.executeBlock(s, exec, [tx(0, [vote(k0)]), tx(1, [vote(k0)]), tx(2, [vote(k1), vote(k2)])], []);
    expect(r.results.map((x) => x.code)).toEqual(['ok', 'PNT_ERR_ATTEST_DUPLICATE_VOTE', 'ok']);
    expect(r.results[2].events.filter((e) => e.type === 'client/updated')).toHaveLength(1);
    expect(keeper.consensusAt(s, 'evm-1', 2)?.root).toBe(attestBody(2).stateRoot);

    // governance can only recover a client that is frozen or expired
    const b = attestBody(9);
    const propose = tx(0, [{ type: 'gov/propose', action: { kind: 'recover-client', chainId: 'evm-1', initial: { height: 9, hash: b.hash, stateRoot: b.stateRoot, timestamp: b.timestamp } } }], members[0]);
    const g = app.executeBlock(s, { ...exec, height: 3 }, [propose], []);
    expect(g.results[0].code).toBe('ok');
    expect(readProposal(s, 1)).toMatchObject({ status: 'failed', result: expect.stringContaining('PNT_ERR_CLIENT_NOT_RECOVERABLE') });
  });
});
