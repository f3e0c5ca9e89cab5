/**
 * The devnet's sample flow: write a record with a signed transaction, then check it the way a
 * connected chain would: a light client that trusts only the genesis validators verifies the
 * header of the block, and a Merkle proof ties the record to that header's state root.
 */
import { PontisError } from '../hub-chain/errors.ts';
import { HubClient } from '../hub-chain/rpc-client/client.ts';
import { pontisTrustRoot, proposeAndPass } from '../hub-chain/rpc-client/registry.ts';
import { type AccountKey, generateAccountKey } from '../hub-chain/crypto/ed25519.ts';
import { msgKeys } from '../hub-chain/modules/packets/msg-app.ts';
import { channelId, type Packet, packetId, packetKeys, type PacketStatus } from '../hub-chain/modules/packets/types.ts';
import { bankKeys, escrowAccount } from '../hub-chain/modules/transfer/bank.ts';
import { relayRound } from '../relayers/round.ts';
import { PontisPathHandlers } from '../relayers/paths/pontis/handlers.ts';
import { RpcEndpoint } from '../relayers/paths/pontis/rpc-endpoint.ts';
import { RpcHeaderSource } from '../hub-chain/rpc-client/header-source.ts';
import { accountKeyFromSeed } from '../hub-chain/crypto/ed25519.ts';
import { fromHex, toHex, utf8 } from '../hub-chain/crypto/bytes.ts';
import { keys } from '../hub-chain/app/app.ts';
import { genesisValidatorSet } from '../hub-chain/app/genesis.ts';
import { loadHome } from '../hub-chain/node/config.ts';
import { LightClient } from '../hub-chain/light-clients/pontis/verifier/client.ts';
import { trustedStateFrom } from '../hub-chain/light-clients/pontis/verifier/verifier.ts';
import { verifyMembership, verifyNonMembership, type StateProof } from '../hub-chain/state/proof.ts';
import { ValidatorSet } from '../hub-chain/types/validator-set.ts';
import { verifyCommit } from '../hub-chain/types/vote.ts';
import { headerHash } from '../hub-chain/types/header.ts';

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

// ---- the cross-chain part of the devnet flow ----

export interface DevChain {
  chainId: string;
  homes: string[];
  rpcUrls: string[];
}

const operatorOf = (home: string) => accountKeyFromSeed(fromHex(loadHome(home).operatorKey!.seed, 32));

export async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new PontisError('PNT_ERR_DEVNET_TIMEOUT', `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Registers `other` on `on` by governance: the first operator proposes, the others vote until it passes. */
async function register(on: DevChain, other: DevChain, say: (s: string) => void): Promise<void> {
  const root = await pontisTrustRoot(new HubClient(other.rpcUrls[0]), other.chainId);
  const action = { kind: 'registry/register-chain', chainId: other.chainId, chainKind: 'pontis', clientType: 'pontis', clientParams: { trustingPeriodMs: 14 * 24 * 3600_000, maxClockDriftMs: 10_000 }, clientInitial: root.pontis, routes: ['*'] };
  const { id, status } = await proposeAndPass(new HubClient(on.rpcUrls[0]), on.homes.map(operatorOf), action);
  if (status !== 'executed') throw new PontisError('PNT_ERR_DEVNET_REGISTER', `registering ${other.chainId} on ${on.chainId}: proposal ${id} is ${status}`);
  say(`  ${on.chainId} registered ${other.chainId} (governance proposal ${id}, light client trusts its height ${root.height})`);
}

/** Registers every side-chain on the hub and the hub on every side-chain. */
export async function connectChains(chains: DevChain[], say: (s: string) => void): Promise<void> {
  const [hub, ...spokes] = chains;
  say('connecting chains (governance on each side):');
  for (const s of spokes) {
    await register(hub, s, say);
    await register(s, hub, say);
  }
}

/** A relaying loop in this process (used when no Redis is reachable for the relayer workers). */
export async function relayInProcess(chains: DevChain[], say: (s: string) => void): Promise<() => void> {
  const [hub, ...spokes] = chains;
  const relayer = generateAccountKey();
  const hubEp = new RpcEndpoint(hub.chainId, hub.rpcUrls[0], relayer);
  const paths = spokes.map((s) => ({ ep: new RpcEndpoint(s.chainId, s.rpcUrls[0], relayer), cursor: {} as Record<string, number> }));
  for (const p of paths) {
    // start from now: nothing older needs relaying
    p.cursor = { [p.ep.chainId]: await p.ep.latestHeight(), [hub.chainId]: await hubEp.latestHeight() };
  }
  const handlers = new PontisPathHandlers(new Map([[hub.chainId, hubEp], ...paths.map((p) => [p.ep.chainId, p.ep] as const)]), hub.chainId);
  let stopped = false;
  void (async () => {
    while (!stopped) {
      for (const p of paths) {
        try {
          const r = await relayRound(handlers, p.ep.chainId, hub.chainId, p.cursor);
          p.cursor = r.cursor;
          for (const s of r.submitted) say(`  relayer: ${s.kind} ${s.src} -> ${s.dst} at height ${s.outcome.txHeight} (${s.outcome.accepted} accepted)`);
          for (const f of r.failed) say(`  relayer: ${f.kind} ${f.src} -> ${f.dst} refused: ${f.code}`);
        } catch (e) {
          if (!stopped) say(`  relayer: ${(e as Error).message} (retrying)`);
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return () => {
    stopped = true;
  };
}

/** A message A -> hub -> B with its ack, then tokens A -> B and back. */
export async function runInterchainFlow(chains: DevChain[], user: AccountKey, say: (s: string) => void): Promise<void> {
  const [hub, a, b] = chains.map((c) => new HubClient(c.rpcUrls[0]));
  const [hubId, aId, bId] = chains.map((c) => c.chainId);
  const text = async (c: HubClient, key: Uint8Array) => {
    const r = await c.state({ hex: toHex(key) });
    return r.value === null ? undefined : Buffer.from(fromHex(r.value)).toString('utf8');
  };

  say(`message: ${user.address} on ${aId} sends "records request #1" to ${bId}`);
  const m = await a.send(user, [{ type: 'msg/send', dstChain: bId, payload: toHex(utf8('records request #1')), timeoutTimestamp: Date.now() + 600_000 }]);
  const p = JSON.parse(m.result.events.find((e) => e.type === 'packet/sent')!.attributes.packet) as Packet;
  say(`  sent on ${aId}: packet ${packetId(p)} in tx ${m.hash} at height ${m.height}`);
  const outcome = await until('the acknowledgement on ' + aId, () => text(a, msgKeys.outcome(bId, p.sequence)));
  const hubStatus = JSON.parse((await text(hub, packetKeys.status(channelId(p), p.sequence)))!) as PacketStatus;
  say(`  hub ${hubId}: ${hubStatus.steps.map((s) => `${s.step} at height ${s.height} (tx ${s.tx.slice(0, 12)}…)`).join(', ')}`);
  say(`  ${bId} inbox holds it; ${aId} records the outcome: ${outcome}`);

  say(`tokens: ${user.address} sends 1000 ucredit from ${aId} to itself on ${bId}, then 400 back`);
  const t = await a.send(user, [{ type: 'transfer/send', dstChain: bId, receiver: user.address, denom: 'ucredit', amount: '1000', timeoutTimestamp: Date.now() + 600_000 }]);
  say(`  escrowed on ${aId} in tx ${t.hash} at height ${t.height}`);
  const voucher = `t/${aId}/ucredit`;
  const bal = (c: HubClient, denom: string, holder = user.address) => text(c, bankKeys.balance(holder, denom));
  await until(`the voucher on ${bId}`, async () => ((await bal(b, voucher)) === '1000' ? true : undefined));
  say(`  ${bId}: ${user.address} holds 1000 ${voucher} (minted as a voucher that records its path)`);
  const back = await b.send(user, [{ type: 'transfer/send', dstChain: aId, receiver: user.address, denom: voucher, amount: '400', timeoutTimestamp: Date.now() + 600_000 }]);
  say(`  burned 400 ${voucher} on ${bId} in tx ${back.hash}`);
  await until(`the unlock on ${aId}`, async () => ((await bal(a, 'ucredit')) === '999400' ? true : undefined));
  const escrow = await text(a, bankKeys.balance(escrowAccount(bId), 'ucredit'));
  const supply = await text(b, bankKeys.supply(voucher));
  say(`  ${aId}: balance 999400 ucredit, escrow for ${bId} ${escrow}; ${bId}: voucher supply ${supply} (minted never exceeds escrowed)`);
}
