/**
 * The `substrate` type (GRANDPA trust) against the conformance suite: headers finalized by
 * justifications of generated ed25519 authorities, state roots and read proofs of real tries (the
 * codec trie.test.ts holds to polkadot-sdk's). Its attested mode counts the `attested` type's
 * votes, which attested.test.ts puts through the suite.
 */
import { toHex, utf8 } from '../../../hub-chain/crypto/bytes.ts';
import { encodeHeader } from '../../../hub-chain/light-clients/substrate/header.ts';
import { ChainBuilder } from '../../support/chain-builder.ts';
import { type Block, authoritiesParam, authorityKeys, block, headerMsg, key, storageProof } from '../../hub-chain/light-clients/substrate/grandpa-chain.ts';
import { lightClientConformance } from '../light-client.ts';

const DAY = 86_400_000;
const set = authorityKeys('conformance-grandpa', 4);
const outsiders = authorityKeys('conformance-grandpa-other', 4);
const hub = new ChainBuilder({ chainId: 'hub-conf', seed: 'conformance-grandpa-hub' });
const KEY = key('present');
const ABSENT = key('absent');
const VALUE = utf8('a value stored on the Substrate chain');

const now = Date.now();
const b100: Block = block(null, now - 600_000, [], [], 100);
const b101 = block({ hash: b100.hash, number: 100 }, now - 594_000, [[KEY, VALUE], [key('other'), utf8('x')]]);
const b102 = block({ hash: b101.hash, number: 101 }, now - 588_000);

lightClientConformance({
  type: 'substrate',
  chainId: 'sub-conf',
  hubChainId: () => 'hub-conf',
  hubValidators: () => hub.validatorSet(1),
  now: () => now,
  params: () => ({ trustingPeriodMs: DAY, maxClockDriftMs: 30_000, trust: { mode: 'grandpa', authorities: authoritiesParam(set), setId: '5' } }),
  initial: () => ({ header: toHex(encodeHeader(b100.header)), timestamp: b100.timestamp }),
  initialHeight: 100,
  trustingPeriodMs: DAY,
  update: () => [headerMsg(b101, set.slice(0, 3), 5n)],
  updateHeight: 101,
  updateTimestamp: () => b101.timestamp,
  // a justified header below everything the client holds: nothing to compare it with
  stale: () => ({ msg: headerMsg(block(null, now - 700_000, [], [], 99), set, 5n), code: 'PNT_ERR_SUBSTRATE_HEADER_STALE' }),
  future: () => ({ msg: headerMsg(block({ hash: b101.hash, number: 101 }, now + 3_600_000), set, 5n), code: 'PNT_ERR_SUBSTRATE_HEADER_FROM_FUTURE' }),
  wrongSignature: () => ({ msg: headerMsg(b102, set.slice(0, 2), 5n), code: 'PNT_ERR_GRANDPA_NO_QUORUM' }),
  // another GRANDPA chain's block: justified by its own authorities
  otherChain: () => ({ msg: headerMsg(b102, outsiders, 5n), code: 'PNT_ERR_GRANDPA_SIGNATURE' }),
  misbehaviour: () => [headerMsg(block({ hash: b100.hash, number: 100 }, now - 594_000, [[KEY, utf8('forked')]]), set.slice(1, 4), 5n)],
  proofs: () => ({ key: KEY, value: VALUE, proof: storageProof(b101, KEY), absentKey: ABSENT, absentProof: storageProof(b101, ABSENT) }),
});
