/**
 * The devnet's sample flow: write a record with a signed transaction, then check it the way a
 * connected chain would: a light client that trusts only the genesis validators verifies the
 * header of the block, and a Merkle proof ties the record to that header's state root.
 */
import { HubClient } from '../client/client.ts';
import { RpcHeaderSource } from '../client/header-source.ts';
import { accountKeyFromSeed } from '../crypto/ed25519.ts';
import { fromHex, toHex, utf8 } from '../crypto/bytes.ts';
import { keys } from '../app/app.ts';
import { genesisValidatorSet } from '../app/genesis.ts';
import { loadHome } from '../node/config.ts';
import { LightClient } from '../light-client/client.ts';
import { trustedStateFrom } from '../light-client/verifier.ts';
import { verifyMembership, verifyNonMembership, type StateProof } from '../state/proof.ts';
import { ValidatorSet } from '../types/validator-set.ts';
import { verifyCommit } from '../types/vote.ts';
import { headerHash } from '../types/header.ts';

export async function runSampleFlow(client: HubClient, home: string, say: (s: string) => void): Promise<void> {
  const h = loadHome(home);
  const key = accountKeyFromSeed(fromHex(h.operatorKey!.seed, 32));
  const recordKey = toHex(utf8('greeting'));
  say(`sample flow: ${key.address} writes record "greeting" on the hub`);
  const committed = await client.send(key, [{ type: 'records/put', entries: [{ key: recordKey, value: toHex(utf8('hello from the devnet')) }] }]);
  say(`  tx ${committed.hash} committed at height ${committed.height} (${committed.result.code})`);

  // Trust root: block 1 checked against the genesis validator set from the local genesis file.
  const genesisVals = genesisValidatorSet(h.genesis);
  const b1 = await client.block(1);
  verifyCommit(h.genesis.chainId, genesisVals, b1.commit, 1, headerHash(b1.header));
  const next = new ValidatorSet((await client.validators(2)).validators);
  const lc = new LightClient(new RpcHeaderSource(client), trustedStateFrom(b1.header, genesisVals, next), { trustingPeriodMs: 14 * 24 * 3600_000, maxClockDriftMs: 10_000 });
  const trusted = await lc.verifyTo(committed.height);
  say(`  light client verified header ${committed.height} (${headerHash(trusted.header).slice(0, 18)}…) from genesis trust`);

  const stateKey = keys.record(key.address, recordKey);
  const s = await client.state<StateProof>({ hex: toHex(stateKey) }, { height: committed.height, prove: true });
  verifyMembership(trusted.header.stateRoot, stateKey, fromHex(s.value!), s.proof!);
  say(`  membership proof for the record verified against state root ${trusted.header.stateRoot.slice(0, 18)}…`);
  const absent = utf8(`rec/${key.address}/${toHex(utf8('never-written')).slice(2)}`);
  const a = await client.state<StateProof>({ hex: toHex(absent) }, { height: committed.height, prove: true });
  verifyNonMembership(trusted.header.stateRoot, absent, a.proof!);
  say('  non-membership proof for a key never written verified');
}
