import { describe, expect, it } from 'vitest';
import { HubApp } from '../../../../hub-chain/app/app.ts';
import { genesisValidatorSet } from '../../../../hub-chain/app/genesis.ts';
import { type Msg, decodeTx, encodeTx, signTx } from '../../../../hub-chain/app/tx.ts';
import { generateAccountKey } from '../../../../hub-chain/crypto/ed25519.ts';
import type { Packet } from '../../../../hub-chain/modules/packets/types.ts';
import type { PacketSender } from '../../../../hub-chain/modules/transfer/app-interface.ts';
import { balanceOf, bankModule, escrowAccount, genesisBalances, supplyOf } from '../../../../hub-chain/modules/transfer/bank.ts';
import type { GenesisAccounts } from '../../../../hub-chain/modules/transfer/msgs.ts';
import { transferModule } from '../../../../hub-chain/modules/transfer/transfer.ts';
import { Network, testGenesis } from './harness.ts';
import { MapStore } from '../../../support/kv.ts';

const alice = '0x' + 'a1'.repeat(20);
const bob = '0x' + 'b2'.repeat(20);

function chainWith(accounts: GenesisAccounts) {
  const net = new Network({ 'chain-a': accounts });
  return net.chain('chain-a');
}
const bankSend = (to: string, denom: string, amount: string) => ({ type: 'bank/send', to, denom, amount });

describe('bank genesis', () => {
  it('behavior: genesis accounts become balances and supplies; no accounts means no balances', () => {
    const a = chainWith([
      { address: alice, balances: [{ denom: 'uatom', amount: '1000' }, { denom: 'ufoo', amount: '7' }] },
      { address: bob, balances: [{ denom: 'uatom', amount: '5' }] },
    ]);
    expect(balanceOf(a.store, alice, 'uatom')).toBe(1000n);
    expect(balanceOf(a.store, bob, 'uatom')).toBe(5n);
    expect(supplyOf(a.store, 'uatom')).toBe(1005n);
    expect(supplyOf(a.store, 'ufoo')).toBe(7n);
    expect(a.store.entries('bank/supply/')).toEqual(expect.arrayContaining([['bank/supply/uatom', '1005']]));
    expect(genesisBalances(testGenesis('chain-x'))).toEqual([]);
  });

  it.each([
    ['the same address twice', [{ address: alice, balances: [] }, { address: alice, balances: [] }]],
    ['the same denom twice', [{ address: alice, balances: [{ denom: 'uatom', amount: '1' }, { denom: 'uatom', amount: '2' }] }]],
    ['a voucher-prefixed native denom', [{ address: alice, balances: [{ denom: 't/chain-b/uatom', amount: '1' }] }]],
    ['a zero amount', [{ address: alice, balances: [{ denom: 'uatom', amount: '0' }] }]],
    ['a non-canonical amount', [{ address: alice, balances: [{ denom: 'uatom', amount: '01' }] }]],
    ['the zero address', [{ address: '0x' + '00'.repeat(20), balances: [{ denom: 'uatom', amount: '1' }] }]],
    ['an upper-case address', [{ address: '0x' + 'A1'.repeat(20), balances: [] }]],
    ['a bad denom', [{ address: alice, balances: [{ denom: 'U', amount: '1' }] }]],
    ['a supply above 2^256 - 1', [{ address: alice, balances: [{ denom: 'uatom', amount: ((1n << 256n) - 1n).toString() }] }, { address: bob, balances: [{ denom: 'uatom', amount: '1' }] }]],
  ])('error: genesis with %s is refused with PNT_ERR_GENESIS_INVALID', (_name, accounts) => {
    expect(() => genesisBalances(testGenesis('chain-x', accounts as GenesisAccounts))).toThrow(expect.objectContaining({ code: 'PNT_ERR_GENESIS_INVALID' }));
  });
});

describe('bank/send', () => {
  it('behavior: moves funds between accounts, keeps supply, and deletes emptied balances', () => {
    const a = chainWith([{ address: alice, balances: [{ denom: 'uatom', amount: '100' }] }]);
    const mod = bankModule();
    expect(a.atomically((env) => mod.handleMsg(env, bankSend(bob, 'uatom', '30')), alice).ok).toBe(true);
    expect(balanceOf(a.store, alice, 'uatom')).toBe(70n);
    expect(balanceOf(a.store, bob, 'uatom')).toBe(30n);
    expect(a.events.at(-1)).toEqual({ type: 'bank/send', attributes: { from: alice, to: bob, denom: 'uatom', amount: '30' } });
    expect(a.atomically((env) => mod.handleMsg(env, bankSend(bob, 'uatom', '70')), alice).ok).toBe(true);
    expect(a.store.entries(`bank/bal/${alice}/`)).toEqual([]);
    expect(supplyOf(a.store, 'uatom')).toBe(100n);
  });

  it.each([
    ['zero amount', bankSend(bob, 'uatom', '0'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['negative amount', bankSend(bob, 'uatom', '-5'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['leading zeros', bankSend(bob, 'uatom', '010'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['fractional amount', bankSend(bob, 'uatom', '1.5'), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['amount above 2^256 - 1', bankSend(bob, 'uatom', (1n << 256n).toString()), 'PNT_ERR_BANK_INVALID_AMOUNT'],
    ['more than the balance', bankSend(bob, 'uatom', '101'), 'PNT_ERR_BANK_INSUFFICIENT'],
    ['a malformed address', bankSend('0x1234', 'uatom', '1'), 'PNT_ERR_BANK_INVALID_ADDRESS'],
    ['the zero address', bankSend('0x' + '00'.repeat(20), 'uatom', '1'), 'PNT_ERR_BANK_INVALID_ADDRESS'],
    ['an escrow account', bankSend(escrowAccount('chain-b'), 'uatom', '1'), 'PNT_ERR_BANK_INVALID_ADDRESS'],
    ['an invalid denom', bankSend(bob, 'Uatom', '1'), 'PNT_ERR_BANK_INVALID_DENOM'],
    ['an unknown denom', bankSend(bob, 'ufoo', '1'), 'PNT_ERR_BANK_UNKNOWN_DENOM'],
    ['an unknown field', { ...bankSend(bob, 'uatom', '1'), memo: 'x' }, 'PNT_ERR_TX_MALFORMED'],
  ])('error: %s is refused with its code and changes nothing', (_name, msg, code) => {
    const a = chainWith([{ address: alice, balances: [{ denom: 'uatom', amount: '100' }] }]);
    const before = new Map(a.store.m);
    const r = a.atomically((env) => bankModule().handleMsg(env, msg), alice);
    expect(r).toMatchObject({ ok: false, code });
    expect(a.store.m).toEqual(before);
  });
});

describe('bank and transfer in the application', () => {
  const ka = generateAccountKey();
  const kb = generateAccountKey();
  const sent: Packet[] = [];
  const sender: PacketSender = {
    sendPacket: (env, p) => {
      const packet = { ...p, srcChain: env.chainId, sequence: sent.length + 1 };
      sent.push(packet);
      return packet;
    },
  };
  const genesis = testGenesis('chain-a', [{ address: ka.address, balances: [{ denom: 'uatom', amount: '1000' }] }]);
  const run = (app: HubApp, s: MapStore, height: number, nonce: number, msgs: Msg[]) =>
    app.executeBlock(s, { height, time: 1_000_000 + height * 1000, proposer: '0x' + '00'.repeat(20), validators: genesisValidatorSet(genesis) }, [decodeTx(encodeTx(signTx({ chainId: 'chain-a', nonce, msgs }, ka)))], []);

  it('behavior: signed bank/send and transfer/send transactions decode, dispatch to their modules and apply', () => {
    const app = new HubApp(genesis, [bankModule(), transferModule(sender)]);
    const s = new MapStore();
    const r1 = run(app, s, 1, 0, [bankSend(kb.address, 'uatom', '250')]);
    expect(r1.results[0].code).toBe('ok');
    expect(balanceOf(s, kb.address, 'uatom')).toBe(250n);
    const r2 = run(app, s, 2, 1, [{ type: 'transfer/send', dstChain: 'chain-b', receiver: '0x' + 'cd'.repeat(20), denom: 'uatom', amount: '100', memo: 'hi' }]);
    expect(r2.results[0].code).toBe('ok');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ srcChain: 'chain-a', dstChain: 'chain-b', srcApp: 'transfer', dstApp: 'transfer', ordered: false });
    expect(balanceOf(s, escrowAccount('chain-b'), 'uatom')).toBe(100n);
    expect(balanceOf(s, ka.address, 'uatom')).toBe(650n);
  });

  it('error: a failing bank message fails its transaction with the code and leaves balances alone', () => {
    const app = new HubApp(genesis, [bankModule(), transferModule(sender)]);
    const s = new MapStore();
    const r = run(app, s, 1, 0, [bankSend(kb.address, 'uatom', '10'), bankSend(kb.address, 'uatom', '5000')]);
    expect(r.results[0].code).toBe('PNT_ERR_BANK_INSUFFICIENT');
    expect(balanceOf(s, kb.address, 'uatom')).toBe(0n);
    expect(balanceOf(s, ka.address, 'uatom')).toBe(1000n);
  });
});
