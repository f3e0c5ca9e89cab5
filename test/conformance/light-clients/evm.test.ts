/**
 * The `evm` type (QBFT trust) against the conformance suite: headers sealed by real keys over the
 * state of a real anvil node, proofs from its eth_getProof. (Its attested trust mode counts the
 * `attested` type's votes, which attested.test.ts puts through the suite.)
 */
import { type Hex, fromHex, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { type EvmHeader, type RpcBlock, encodeHeader, headerFromRpc } from '../../../hub-chain/light-clients/evm/header.ts';
import { fetchPontisProof, pontisSlot } from '../../../hub-chain/light-clients/evm/proofs.ts';
import { qbftBlockHash, sealQbftHeader } from '../../../hub-chain/light-clients/evm/qbft.ts';
import { ChainBuilder, type TestValidator } from '../../support/chain-builder.ts';
import { type Anvil, deployStore, sendStore, startAnvil, waitReceipt, word } from '../../hub-chain/light-clients/evm/anvil.ts';
import { lightClientConformance } from '../light-client.ts';

const DAY = 86_400_000;
const CHAIN = 'besu-conf';
const VANITY: Hex = '0x' + '00'.repeat(32);
const KEY = 'pkt/out/besu-conf/app/hub/app/1';
const ABSENT = 'pkt/out/besu-conf/app/hub/app/2';
const VALUE = word(0xbe50n);
const keys: TestValidator[] = new ChainBuilder({ seed: 'conformance-qbft', powers: [1, 1, 1, 1, 1, 1] }).validatorsAt(1);
const set4 = keys.slice(0, 4);
const outsiders = keys.slice(2, 6);
const addrs = (vs: TestValidator[]) => vs.map((x) => x.address);
const hub = new ChainBuilder({ chainId: 'hub-conf', seed: 'conformance-qbft-hub' });
const rlp = (h: EvmHeader) => ({ headerRlp: toHex(encodeHeader(h)) });

let a: Anvil;
let gateway: Hex;
let base: EvmHeader;
let genesis: EvmHeader;
let h101: EvmHeader;
let now: number;
let proofs: { proof: unknown; absentProof: unknown };

function next(parent: EvmHeader, sealers: TestValidator[], o: { validators?: TestValidator[]; stateRoot?: Hex; dt?: number; parentHash?: Hex; number?: number } = {}): EvmHeader {
  const h: EvmHeader = {
    ...base,
    number: o.number ?? parent.number + 1,
    parentHash: o.parentHash ?? qbftBlockHash(parent),
    timestamp: parent.timestamp + (o.dt ?? 2),
    stateRoot: o.stateRoot ?? base.stateRoot,
  };
  return sealQbftHeader(h, { vanity: VANITY, validators: addrs(o.validators ?? set4), vote: null, round: 0 }, sealers.map((k) => k.secretKey));
}

lightClientConformance({
  type: 'evm',
  chainId: CHAIN,
  async before() {
    a = await startAnvil();
    gateway = await deployStore(a);
    await waitReceipt(a, await sendStore(a, gateway, pontisSlot(KEY), VALUE));
    base = headerFromRpc(await a.call<RpcBlock>('eth_getBlockByNumber', 'latest', false));
    now = Date.now();
    genesis = sealQbftHeader({ ...base, number: 100, timestamp: Math.floor(now / 1000) - 600 }, { vanity: VANITY, validators: addrs(set4), vote: null, round: 0 }, set4.map((k) => k.secretKey));
    h101 = next(genesis, set4.slice(0, 3));
    proofs = { proof: await fetchPontisProof(a.rpc, gateway, KEY, base.number), absentProof: await fetchPontisProof(a.rpc, gateway, ABSENT, base.number) };
  },
  after: async () => a?.stop(),
  hubChainId: () => 'hub-conf',
  hubValidators: () => hub.validatorSet(1),
  now: () => now,
  params: () => ({ trustingPeriodMs: DAY, maxClockDriftMs: 30_000, gateway, chainIdNumber: 31337, trust: { mode: 'qbft', validators: addrs(set4) } }),
  initial: () => rlp(genesis),
  initialHeight: 100,
  trustingPeriodMs: DAY,
  update: () => [rlp(h101)],
  updateHeight: 101,
  updateTimestamp: () => h101.timestamp * 1000,
  // a header below everything the client holds has no parent it can check
  stale: () => ({ msg: rlp(next(genesis, set4, { number: 99, parentHash: '0x' + '77'.repeat(32), dt: -10 })), code: 'PNT_ERR_EVM_QBFT_HEADER_REJECTED' }),
  future: () => ({ msg: rlp(next(h101, set4, { dt: 3600 })), code: 'PNT_ERR_EVM_HEADER_FROM_FUTURE' }),
  wrongSignature: () => ({ msg: rlp(next(h101, set4.slice(0, 2))), code: 'PNT_ERR_EVM_QBFT_NO_QUORUM' }),
  // another QBFT chain's block: sealed by its own validators
  otherChain: () => ({ msg: rlp(next(h101, outsiders, { validators: outsiders })), code: 'PNT_ERR_EVM_QBFT_NO_QUORUM' }),
  misbehaviour: () => [rlp(next(genesis, set4.slice(1, 4), { stateRoot: '0x' + '66'.repeat(32) }))],
  proofs: () => ({ key: utf8(KEY), value: fromHex(VALUE), proof: proofs.proof, absentKey: utf8(ABSENT), absentProof: proofs.absentProof }),
});
