import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { generateAccountKey } from '../../../hub-chain/crypto/ed25519.ts';
import { generateValidatorKey, validatorPublicKey } from '../../../hub-chain/crypto/secp256k1.ts';
import { HubApp, keys, readProposal } from '../../../hub-chain/app/app.ts';
import { genesisValidatorSet, parseGenesis } from '../../../hub-chain/app/genesis.ts';
import { Mempool } from '../../../hub-chain/app/mempool.ts';
import { PACKET_GAS, decodeTx, decodeTxObject, encodeTx, signTx, txGas, txSignBytes, verifyTxSignature, type Msg } from '../../../hub-chain/app/tx.ts';
import { MapStore } from '../../support/kv.ts';

const chainId = 'app-test-1';
const members = [generateAccountKey(), generateAccountKey(), generateAccountKey(), generateAccountKey()];
const vkey = () => toHex(validatorPublicKey(generateValidatorKey()));
const genesis = parseGenesis({
  chainId,
  genesisTime: 1,
  validators: [{ publicKey: vkey(), power: 10 }],
  governance: { members: members.map((m) => ({ address: m.address, weight: 1 })) },
});

function run(app: HubApp, s: MapStore, height: number, txs: { key: (typeof members)[0]; nonce: number; msgs: Msg[] }[]) {
  return app.executeBlock(s, { height, time: height * 1000, proposer: '0x' + '00'.repeat(20), validators: genesisValidatorSet(genesis) }, txs.map((t) => decodeTx(encodeTx(signTx({ chainId, nonce: t.nonce, msgs: t.msgs }, t.key)))), []);
}

describe('transactions', () => {
  it('error: non-canonical bytes (same content, other key order) are refused', () => {
    const tx = signTx({ chainId, nonce: 0, msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: '0x02' }] }] }, members[0]);
    const reordered = utf8(JSON.stringify({ signature: tx.signature, publicKey: tx.publicKey, body: tx.body }));
    expect(() => decodeTx(reordered)).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_NOT_CANONICAL' }));
    expect(decodeTx(encodeTx(tx)).hash).toBe(decodeTxObject(tx).hash);
  });

  it('error: every other spelling of a transaction is refused as not canonical; the canonical one decodes with its signed bytes sliced out', () => {
    const tx = signTx({ chainId, nonce: 0, memo: 'a\u00e9', msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: '0x02' }] }] }, members[0]);
    const text = Buffer.from(encodeTx(tx)).toString('utf8');
    const d = decodeTx(encodeTx(tx));
    expect(toHex(d.signBytes!)).toBe(toHex(txSignBytes(tx.body)));
    expect(toHex(decodeTxObject(tx).signBytes!)).toBe(toHex(txSignBytes(tx.body)));
    expect(decodeTxObject(tx).hash).toBe(d.hash);
    expect(verifyTxSignature(d)).toBe(true);
    const variants: [string, Uint8Array][] = [
      ['a space', utf8(text.replace('"nonce":0', '"nonce": 0'))],
      ['a trailing newline', utf8(text + '\n')],
      ['an escaped letter', utf8(text.replace('"memo":"a', '"memo":"\\u0061'))],
      ['-0 for 0', utf8(text.replace('"nonce":0', '"nonce":-0'))],
      ['0.0 for 0', utf8(text.replace('"nonce":0', '"nonce":0.0'))],
      ['a duplicated key', utf8(text.replace('"nonce":0', '"nonce":0,"nonce":0'))],
      ['the é in Latin-1, not UTF-8', Uint8Array.from(Buffer.from(text, 'utf8')).map((b) => b).filter((b, i, a) => !(b === 0xc3 && a[i + 1] === 0xa9)).map((b) => (b === 0xa9 ? 0xe9 : b))],
    ];
    for (const [what, bytes] of variants) expect(() => decodeTx(bytes), what).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_NOT_CANONICAL' }));
    // a body altered after signing decodes, and its signature no longer verifies over the sliced bytes
    const forged = decodeTx(utf8(text.replace('"value":"0x02"', '"value":"0x03"')));
    expect(verifyTxSignature(forged)).toBe(false);
  });

  it('behavior: gas counts one per transaction, entries of records, 15 per relayed packet and per data answer, one for other messages', () => {
    const gas = (msgs: Msg[]) => txGas(decodeTxObject(signTx({ chainId, nonce: 0, msgs }, members[0])));
    expect(gas([{ type: 'records/put', entries: [{ key: '0x01', value: '0x02' }, { key: '0x03', value: '0x04' }] }])).toBe(3);
    const answer = { type: 'data/answer', requestId: 'dept-b:1', refused: 'PNT_ERR_DATA_NO_RECORD', hubHeight: 5, hubState: [] } as Msg;
    expect(gas([answer, answer])).toBe(1 + 2 * PACKET_GAS);
    expect(gas([{ type: 'data/consent-revoke', grantId: `0x${'11'.repeat(32)}`, signature: `0x${'22'.repeat(64)}` }])).toBe(2);
  });
});

describe('mempool', () => {
  const nonces = new Map<string, number>();
  // a nonce more than 4 past the next executable one is too far (the window rules are in mempool.test.ts)
  const pool = () => new Mempool({ maxTxs: 3, maxBytes: 1 << 20, maxPerSender: 5, futureNonceWindow: 4 }, chainId, (a) => nonces.get(a) ?? 0);
  const tx = (nonce: number, k = members[0], v = '0x02') => decodeTxObject(signTx({ chainId, nonce, msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: v }] }] }, k));

  it('behavior: reaps each sender in nonce order even when they arrive out of order', () => {
    const p = pool();
    p.add(tx(1));
    p.add(tx(0));
    p.add(tx(2));
    expect(p.reap(10, 1 << 20).map((d) => d.tx.body.nonce)).toEqual([0, 1, 2]);
  });
  it('behavior: a nonce gap holds later transactions back', () => {
    const p = pool();
    p.add(tx(0));
    p.add(tx(2));
    expect(p.reap(10, 1 << 20).map((d) => d.tx.body.nonce)).toEqual([0]);
  });
  it('error: duplicates, taken nonces, stale nonces, a full pool and bad signatures are refused with codes', () => {
    const p = pool();
    p.add(tx(0));
    expect(() => p.add(tx(0))).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_DUPLICATE' }));
    expect(() => p.add(tx(0, members[0], '0x03'))).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_NONCE_TAKEN' }));
    expect(() => p.add(tx(9))).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_NONCE_TOO_FAR' }));
    p.add(tx(1));
    p.add(tx(2));
    expect(() => p.add(tx(3))).toThrow(expect.objectContaining({ code: 'PNT_ERR_MEMPOOL_FULL' }));
    const bad = tx(0, members[1]);
    bad.tx = { ...bad.tx, signature: '0x' + '11'.repeat(64) };
    expect(() => pool().add(bad)).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_BAD_SIGNATURE' }));
    nonces.set(members[2].address, 5);
    expect(() => pool().add(tx(4, members[2]))).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_STALE_NONCE' }));
  });
});

describe('execution', () => {
  it('behavior: nonces advance; a wrong nonce makes the block invalid unless the proposer drops it', () => {
    const app = new HubApp(genesis);
    const s = new MapStore();
    run(app, s, 1, [{ key: members[0], nonce: 0, msgs: [{ type: 'records/put', entries: [{ key: '0xaa', value: '0xbb' }] }] }]);
    expect(app.accountNonce(s, members[0].address)).toBe(1);
    expect(s.get(keys.record(members[0].address, '0xaa'))).toEqual(new Uint8Array([0xbb]));
    expect(() => run(app, s, 2, [{ key: members[0], nonce: 0, msgs: [{ type: 'records/delete', keys: ['0xaa'] }] }])).toThrow(expect.objectContaining({ code: 'PNT_ERR_TX_BAD_NONCE' }));
  });

  it('behavior: a failing message fails its transaction atomically but still uses the nonce', () => {
    const app = new HubApp(genesis);
    const s = new MapStore();
    const outsider = generateAccountKey();
    const r = run(app, s, 1, [{ key: outsider, nonce: 0, msgs: [{ type: 'records/put', entries: [{ key: '0x01', value: '0x01' }] }, { type: 'gov/vote', proposalId: 1, approve: true }] }]);
    expect(r.results[0].code).toBe('PNT_ERR_GOV_NOT_MEMBER');
    expect(s.get(keys.record(outsider.address, '0x01'))).toBeUndefined();
    expect(app.accountNonce(s, outsider.address)).toBe(1);
  });

  it('behavior: validator changes need > 2/3 of governance weight and are scheduled for height + 2', () => {
    const app = new HubApp(genesis);
    const s = new MapStore();
    const pk = vkey();
    run(app, s, 1, [{ key: members[0], nonce: 0, msgs: [{ type: 'gov/propose', action: { kind: 'set-validators', updates: [{ publicKey: pk, power: 5 }] } }] }]);
    run(app, s, 2, [{ key: members[1], nonce: 0, msgs: [{ type: 'gov/vote', proposalId: 1, approve: true }] }]);
    expect(readProposal(s, 1)!.status).toBe('voting');
    expect(app.validatorsEffectiveAt(s, 5)).toBeUndefined();
    run(app, s, 3, [{ key: members[2], nonce: 0, msgs: [{ type: 'gov/vote', proposalId: 1, approve: true }] }]);
    expect(readProposal(s, 1)!.status).toBe('executed');
    const scheduled = app.validatorsEffectiveAt(s, 5)!;
    expect(scheduled.map((v) => v.publicKey)).toContain(pk);
    expect(scheduled).toHaveLength(2);
  });

  it('error: a proposal that would empty the validator set fails instead of halting the chain', () => {
    const app = new HubApp(genesis);
    const s = new MapStore();
    const only = genesis.validators[0].publicKey;
    run(app, s, 1, [{ key: members[0], nonce: 0, msgs: [{ type: 'gov/propose', action: { kind: 'set-validators', updates: [{ publicKey: only, power: 0 }] } }] }]);
    run(app, s, 2, [
      { key: members[1], nonce: 0, msgs: [{ type: 'gov/vote', proposalId: 1, approve: true }] },
      { key: members[2], nonce: 0, msgs: [{ type: 'gov/vote', proposalId: 1, approve: true }] },
    ]);
    expect(readProposal(s, 1)!.status).toBe('failed');
    expect(app.validatorsEffectiveAt(s, 4)).toBeUndefined();
  });
});
