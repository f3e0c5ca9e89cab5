/** The `pontis` type against the conformance suite: headers of a built chain whose state roots are a real StateStore's. */
import { type Hex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import type { StateStore } from '../../../hub-chain/state/index.ts';
import type { SignedHeader } from '../../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import { ChainBuilder } from '../../support/chain-builder.ts';
import { tempStateStore } from '../../hub-chain/modules/clients/helpers.ts';
import { lightClientConformance } from '../light-client.ts';

const DAY = 86_400_000;
const CHAIN = 'side-conf';
const OTHER_ROOT: Hex = '0x' + 'ab'.repeat(32);
const KEY = utf8('pkt/out/side-conf/app/hub/app/1');
const ABSENT = utf8('pkt/out/side-conf/app/hub/app/2');

const chain = new ChainBuilder({ chainId: CHAIN, seed: 'conformance-pontis' });
const hub = new ChainBuilder({ chainId: 'hub-conf', seed: 'conformance-pontis-hub' });
let tmp: { store: StateStore; close(): Promise<void> };

const update = (h: number, trustedHeight: number, sh: SignedHeader = chain.signedHeader(h)) => ({
  signedHeader: sh,
  validators: chain.validatorSet(h).toJSON(),
  nextValidators: chain.validatorSet(h + 1).toJSON(),
  trustedHeight,
});
const now = () => chain.header(6).time + 1000;

lightClientConformance({
  type: 'pontis',
  chainId: CHAIN,
  async before() {
    tmp = tempStateStore('conformance-pontis-');
    for (let h = 1; h <= 4; h++) {
      const ws = tmp.store.working();
      ws.set(utf8(`height/${h}`), utf8(String(h)));
      if (h === 2) ws.set(KEY, utf8('commitment-1'));
      chain.setStateRoot(h, await tmp.store.commit(ws, h));
      chain.extendTo(h);
    }
    chain.extendTo(6);
  },
  after: async () => tmp?.close(),
  hubChainId: () => 'hub-conf',
  hubValidators: () => hub.validatorSet(1),
  now,
  params: () => ({ trustingPeriodMs: DAY, maxClockDriftMs: 10_000 }),
  initial: () => ({ header: chain.header(1), validators: chain.validatorSet(1).toJSON(), nextValidators: chain.validatorSet(2).toJSON() }),
  initialHeight: 1,
  trustingPeriodMs: DAY,
  update: () => [update(4, 1)], // skips 2 and 3
  updateHeight: 4,
  updateTimestamp: () => chain.header(4).time,
  stale: () => ({ msg: update(4, 4), code: 'PNT_ERR_LC_HEIGHT_NOT_INCREASING' }),
  future: () => ({ msg: update(5, 4, chain.forkHeader(5, { time: now() + 60_000 })), code: 'PNT_ERR_LC_HEADER_FROM_FUTURE' }),
  wrongSignature: () => ({ msg: update(5, 4, chain.withSigners(5, chain.validatorsAt(5).slice(0, 2))), code: 'PNT_ERR_LC_INVALID_COMMIT' }),
  otherChain: () => ({ msg: update(5, 4, chain.forkHeader(5, { chainId: 'side-other' })), code: 'PNT_ERR_LC_CHAIN_ID' }),
  misbehaviour: () => [update(4, 1, chain.forkHeader(4, { stateRoot: OTHER_ROOT }))],
  proofs: () => ({ key: KEY, value: utf8('commitment-1'), proof: tmp.store.getWithProof(KEY, 4).proof, absentKey: ABSENT, absentProof: tmp.store.getWithProof(ABSENT, 4).proof }),
});
