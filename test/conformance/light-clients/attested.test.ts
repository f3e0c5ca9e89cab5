/** The `attested` type against the conformance suite: votes of real hub validator keys for a real StateStore's root. */
import { type Hex, toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { keccak256 } from '../../../hub-chain/crypto/hash.ts';
import type { StateStore } from '../../../hub-chain/state/index.ts';
import { type AttestationVote, signAttestation } from '../../../hub-chain/light-clients/attested/module.ts';
import { ChainBuilder } from '../../support/chain-builder.ts';
import { tempStateStore } from '../../hub-chain/modules/clients/helpers.ts';
import { lightClientConformance } from '../light-client.ts';

const DAY = 86_400_000;
const HUB = 'hub-conf';
const CHAIN = 'evm-conf';
const T = 1_700_000_000_000;
const NOW = T + 1_000_000;
const KEY = utf8('pkt/out/evm-conf/app/hub/app/1');
const ABSENT = utf8('pkt/out/evm-conf/app/hub/app/2');
const hub = new ChainBuilder({ chainId: HUB, seed: 'conformance-attested-hub', powers: [10, 10, 10, 10] });
const v = hub.validatorsAt(1);
let tmp: { store: StateStore; close(): Promise<void> };
let root: Hex;

const h32 = (tag: string): Hex => toHex(keccak256(utf8(tag)));
type Body = Omit<AttestationVote, 'validator' | 'signature'>;
const body = (height: number, tag = 'a', chainId = CHAIN): Body => ({
  chainId,
  height,
  hash: h32(`hash/${height}/${tag}`),
  stateRoot: tag === 'a' && height === 110 ? root : h32(`root/${height}/${tag}`),
  receiptsRoot: h32(`receipts/${height}/${tag}`),
  timestamp: T + height * 1000,
});
const vote = (i: number, b: Body) => signAttestation(HUB, b, v[i].secretKey);

lightClientConformance({
  type: 'attested',
  chainId: CHAIN,
  async before() {
    tmp = tempStateStore('conformance-attested-');
    const ws = tmp.store.working();
    ws.set(KEY, utf8('commitment-1'));
    root = await tmp.store.commit(ws, 1);
  },
  after: async () => tmp?.close(),
  hubChainId: () => HUB,
  hubValidators: () => hub.validatorSet(1),
  now: () => NOW,
  params: () => ({ trustingPeriodMs: DAY, maxClockDriftMs: 10_000, proofKind: 'pontis-smt', voteWindow: 5 }),
  initial: () => ({ height: 100, hash: h32('init'), stateRoot: h32('init-root'), timestamp: T + 100_000 }),
  initialHeight: 100,
  trustingPeriodMs: DAY,
  update: () => [0, 1, 2].map((i) => vote(i, body(110))), // > 2/3 of the power
  updateHeight: 110,
  updateTimestamp: () => T + 110_000,
  stale: () => ({ msg: vote(3, body(105)), code: 'PNT_ERR_ATTEST_VOTE_TOO_OLD' }), // at or below latest - voteWindow
  future: () => ({ msg: vote(3, { ...body(111), timestamp: NOW + 60_000 }), code: 'PNT_ERR_ATTEST_FROM_FUTURE' }),
  wrongSignature: () => ({ msg: { ...vote(1, body(111)), validator: v[0].address }, code: 'PNT_ERR_ATTEST_BAD_SIGNATURE' }),
  otherChain: () => ({ msg: vote(3, body(111, 'a', 'evm-other')), code: 'PNT_ERR_ATTEST_WRONG_CHAIN' }),
  misbehaviour: () => [0, 1, 3].map((i) => vote(i, body(110, 'b'))), // a second value reaches > 2/3 at a decided height
  proofs: () => ({ key: KEY, value: utf8('commitment-1'), proof: tmp.store.getWithProof(KEY, 1).proof, absentKey: ABSENT, absentProof: tmp.store.getWithProof(ABSENT, 1).proof }),
});
