/**
 * The devnet's Substrate part: `sub-1`, chopsticks running the asset-hub runtime (chopsticks.ts)
 * with the dev accounts funded and a block every second, observed by every hub validator (a
 * `substrate` observer, stride 1, in each node config written before the nodes start) and
 * registered on the hub as an attested `substrate` client whose writers are //Alice (the chain's
 * gateway: what it remarks are packets from the chain) and the delivery multisig of the hub
 * validators' sr25519 keys (more than 2/3 of them; each key sits in its validator's home,
 * `keys/substrate_key.json`, mode 0600). Every validator's co-signer follows its own hub node in
 * this process (relayers/paths/substrate/cosigner.ts `followHub`), as `pontis relayer cosign`
 * does as a process. The devnet's relayer carries the `sub-1` path (Substrate -> hub); without
 * Redis a loop here does.
 *
 * Flows: a message remarked on sub-1 -> hub -> dept-b's `msg` app with dept-b's acknowledgement
 * back to the hub, and a message dept-a -> hub -> sub-1 delivered by the co-signers.
 *
 * The chain's clock: chopsticks moves it a slot (12 s) a block, so at a block a second it starts an
 * hour behind the wall clock and blocks slow to one a slot once it leads by 50 minutes (the
 * client's largest clock drift is an hour): about ten minutes of one-second blocks.
 *
 * Used by devnet.ts in four calls: `startSubstrate` (before the hub nodes start; chopsticks comes
 * up in the background), `register` (before the relayer starts), `startCosigners`, `runFlow`;
 * `stop` ends the co-signers and loops. Set PONTIS_DEVNET_SUBSTRATE=0 to leave it out.
 */
import { randomBytes } from 'node:crypto';
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { type AccountKey, accountKeyFromSeed, generateAccountKey } from '../hub-chain/crypto/ed25519.ts';
import { type Hex, fromHex, toHex, utf8 } from '../hub-chain/crypto/bytes.ts';
import { PontisError } from '../hub-chain/errors.ts';
import { loadHome, paths } from '../hub-chain/node/config.ts';
import { HubClient, type PacketQuery } from '../hub-chain/rpc-client/client.ts';
import { proposeAndPass } from '../hub-chain/rpc-client/registry.ts';
import { substrateChainRegistration, substrateEventTypes, substrateTrustRoot } from '../hub-chain/light-clients/substrate/registration.ts';
import { decodeRemarkPayload } from '../hub-chain/light-clients/substrate/remark.ts';
import { msgKeys } from '../hub-chain/modules/packets/msg-app.ts';
import { type Packet, channelId, packetId } from '../hub-chain/modules/packets/types.ts';
import { AdapterErrorCode, isAdapterError } from '../adapters/core/errors.ts';
import { SubstrateReader } from '../adapters/substrate/reader.ts';
import { SubstrateWriter } from '../adapters/substrate/writer.ts';
import { type PacketFields, type SequenceCounter, acksWrittenBack, sendFromSubstrate } from '../adapters/substrate/packets.ts';
import { clientHeight } from '../relayers/paths/pontis/path.ts';
import { RpcEndpoint } from '../relayers/paths/pontis/rpc-endpoint.ts';
import { Cosigner, type CosignOutcome, followHub, multisigAccount } from '../relayers/paths/substrate/cosigner.ts';
import { substrateEndpoint } from '../relayers/paths/substrate/endpoint.ts';
import { SubstratePathHandlers } from '../relayers/paths/substrate/handlers.ts';
import { type ChopsticksNode, DEV_ACCOUNTS, chopsticksBin, startChopsticks } from './chopsticks.ts';
import { until } from './sample-flow.ts';
import type { Say } from './evm-flow.ts';

export const DEVNET_SUB = 'sub-1';
/** The environment variable the devnet's relayer reads the Substrate chain's signer from (unused until relayers deliver into Substrate). */
export const SUB_RELAYER_KEY_ENV = 'PONTIS_DEVNET_SUB_RELAYER_KEY';
const BLOCK_MS = 1000;
const CLOCK_BEHIND_MS = 60 * 60_000;
const MAX_LEAD_MS = 50 * 60_000;
/** The widest clock drift a client takes (clockDriftSchema): the chain's clock runs ahead (see above). */
const MAX_CLOCK_DRIFT_MS = 3_600_000;
/**
 * How long the flow waits for the ack of a co-signed delivery to come back to its source: the
 * validators vote the block of the multisig's remark, the relayer proves the ack to the hub, and
 * the hub's ack goes on to the source.
 */
const COSIGNED_ACK_WAIT_MS = 60_000;
/** Chopsticks builds a block in ~0.4 s on an idle machine and several seconds on a busy one. */
const INCLUSION_TIMEOUT_MS = 90_000;

/** A Substrate chain as the relayer config names it (relayers/paths/substrate, `kind: substrate`). */
export interface SubstrateRelayerChain {
  id: string;
  kind: 'substrate';
  rpc: string;
  signer: { env: string };
}

export interface SubstrateDevnet {
  /** Registers sub-1 on the hub by governance (waits for chopsticks); returns it as a relayer config `chains` entry. */
  register(hubRpc: string, hubHomes: string[], hubChainId: string): Promise<SubstrateRelayerChain>;
  /** Each validator's co-signer, following its own node from the hub's current height. */
  startCosigners(hubRpcUrls: string[], hubChainId: string): Promise<void>;
  /** The flows; `relayHere`: relay sub-1 -> hub in this process (no BullMQ relayer). */
  runFlow(o: { hubRpc: string; hubChainId: string; deptA: { chainId: string; rpc: string; user: AccountKey }; deptB: { chainId: string; rpc: string }; relayHere: boolean; say?: Say }): Promise<void>;
  /** `NAME=value` for the relayer's keys file. */
  env(): Record<string, string>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const short = (h: string) => `${h.slice(0, 10)}…${h.slice(-4)}`;
const stepsText = (q: PacketQuery | undefined) => (q?.status.steps ?? []).map((s) => `${s.step} at height ${s.height} (tx ${s.tx.slice(0, 12)}…)`).join(', ');

/** Each validator's sr25519 seed (hex), created in its home on first use (`keys/substrate_key.json`, mode 0600). */
function validatorSubstrateSeed(home: string): Hex {
  const file = join(home, 'keys', 'substrate_key.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { seed: Hex }).seed;
  mkdirSync(join(home, 'keys'), { recursive: true });
  const seed = toHex(randomBytes(32));
  writeFileSync(file, JSON.stringify({ type: 'sr25519', seed }), { mode: 0o600 });
  return seed;
}

/** More than 2/3 of n (the hub's own commit rule). */
const thresholdOf = (n: number) => Math.floor((2 * n) / 3) + 1;

async function hubPacket(hub: HubClient, id: string): Promise<PacketQuery | undefined> {
  try {
    return await hub.packet(id);
  } catch (e) {
    if (e instanceof PontisError && e.code === 'PNT_ERR_PACKET_NOT_FOUND') return undefined;
    throw e;
  }
}

/**
 * Writes a `substrate` observer of sub-1 into every hub home and starts chopsticks on `port` in
 * the background (its process joins `children`). Returns null (and says why) when switched off
 * or chopsticks is not installed.
 */
export async function startSubstrate(o: { root: string; hubHomes: string[]; port: number; children: ChildProcess[]; say: (s: string) => void }): Promise<SubstrateDevnet | null> {
  if (process.env.PONTIS_DEVNET_SUBSTRATE === '0') return null;
  if (!chopsticksBin()) {
    o.say('Substrate chain: chopsticks (npm @acala-network/chopsticks, a dev dependency) is not installed; running without it');
    return null;
  }
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const seeds = o.hubHomes.map(validatorSubstrateSeed);
  const pairs = seeds.map((s) => keyring.addFromUri(s));
  const multisig = pairs.length >= 2 ? { signatories: pairs.map((p) => p.address), threshold: thresholdOf(pairs.length) } : undefined;
  const account = multisig ? multisigAccount(multisig) : undefined;
  const dir = join(o.root, DEVNET_SUB);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'chopsticks.log');
  const httpUrl = `http://127.0.0.1:${o.port}`;
  // every hub validator attests the chain through its own observer; stride 1: a remark is proven at its own block
  for (const home of o.hubHomes) {
    const f = paths(home).config;
    const cfg = JSON.parse(readFileSync(f, 'utf8'));
    cfg.observers = [...(cfg.observers ?? []), { chainId: DEVNET_SUB, kind: 'substrate', rpc: httpUrl, intervalMs: 250, stride: 1 }];
    writeFileSync(f, JSON.stringify(cfg, null, 2));
  }
  const started = Date.now();
  let upAfterMs = 0;
  const chop: Promise<ChopsticksNode> = startChopsticks({
    port: o.port,
    blockTimeMs: BLOCK_MS,
    steady: true,
    clockBehindMs: CLOCK_BEHIND_MS,
    maxLeadMs: MAX_LEAD_MS,
    fund: [...pairs.map((p) => p.address), ...(account ? [encodeAddress(account, 42)] : [])],
    logFile,
    nice: 10,
    onSpawn: (p) => {
      o.children.push(p);
      o.say(`  ${DEVNET_SUB.padEnd(13)} chopsticks (asset-hub runtime, a block every ${BLOCK_MS / 1000} s): PID ${p.pid}, RPC ws://127.0.0.1:${o.port} (HTTP ${httpUrl}), log ${logFile}`);
    },
  }).then((n) => ((upAfterMs = Date.now() - started), n));
  chop.catch(() => {}); // awaited (and reported) by register

  const relayerKey = toHex(randomBytes(32));
  const closers: (() => Promise<unknown>)[] = [];
  const stopCosigning = new AbortController();
  const following: Promise<number>[] = [];
  const outcomes: { validator: number; height: number; r: CosignOutcome | Error }[] = [];
  let registeredAt = 0;
  let stopped = false;

  return {
    async register(hubRpc, hubHomes, hubChainId) {
      const node = await chop;
      o.say(`Substrate chain ${DEVNET_SUB}: chopsticks came up in ${(upAfterMs / 1000).toFixed(1)} s (started alongside the other chains); dev accounts funded${account ? `, and the ${hubHomes.length} validators' sr25519 keys and their multisig` : ''}`);
      const [initial, events] = await Promise.all([substrateTrustRoot(node.httpUrl), substrateEventTypes(node.httpUrl)]);
      const alice = u8aToHex(decodeAddress(DEV_ACCOUNTS.alice)) as Hex;
      const writers = account ? [alice, account] : [alice];
      const hub = new HubClient(hubRpc);
      const operators = hubHomes.map((h) => accountKeyFromSeed(fromHex(loadHome(h).operatorKey!.seed, 32)));
      const action = substrateChainRegistration({ chainId: DEVNET_SUB, initial, writers, events, maxClockDriftMs: MAX_CLOCK_DRIFT_MS });
      const { id, status } = await proposeAndPass(hub, operators, action);
      if (status !== 'executed') throw new PontisError('PNT_ERR_DEVNET_REGISTER', `registering ${DEVNET_SUB} on ${hubChainId}: proposal ${id} is ${status}`);
      registeredAt = initial.height;
      o.say(`  ${hubChainId} registered ${DEVNET_SUB} (governance proposal ${id}; a substrate client attested by the hub's validators, stride 1, from block ${initial.height}, runtime event table ${short(events.hash)})`);
      o.say(`  ${DEVNET_SUB} writers: //Alice ${DEV_ACCOUNTS.alice} (the chain's gateway: its remarks are packets from ${DEVNET_SUB})${account ? `, and the delivery multisig ${encodeAddress(account, 42)} (${multisig!.threshold} of the ${pairs.length} hub validators' sr25519 keys, each in keys/substrate_key.json of its home)` : ''}`);
      return { id: DEVNET_SUB, kind: 'substrate', rpc: node.url, signer: { env: SUB_RELAYER_KEY_ENV } };
    },

    async startCosigners(hubRpcUrls, hubChainId) {
      if (!multisig || !account) {
        o.say(`  ${DEVNET_SUB}: one hub validator cannot form a delivery multisig (2 keys at least): no deliveries into ${DEVNET_SUB}`);
        return;
      }
      const node = await chop;
      const from = (await new HubClient(hubRpcUrls[0]).status()).latestHeight + 1;
      pairs.forEach((pair, i) => {
        const writer = new SubstrateWriter({ url: node.url, chainId: DEVNET_SUB, signer: pair, inclusionTimeoutMs: INCLUSION_TIMEOUT_MS });
        closers.push(() => writer.close());
        // each co-signer reads only its own validator's node
        const hub = new RpcEndpoint(hubChainId, hubRpcUrls[i]);
        const cosigner = new Cosigner({ hub, chainId: DEVNET_SUB, writer, multisig });
        following.push(followHub(cosigner, hub, { from, intervalMs: 1000, signal: stopCosigning.signal, onHeight: (height, r) => outcomes.push({ validator: i, height, r }) }));
      });
      o.say(`  co-signers: ${pairs.length} (one per hub validator, each following its own node from height ${from}, in this process); as processes: pontis relayer cosign --hub-rpc <its node> --substrate ${node.url} --chain ${DEVNET_SUB} --signatories ${multisig.signatories.join(',')} --threshold ${multisig.threshold} --key-env <VAR> --from ${from}`);
    },

    async runFlow({ hubRpc, hubChainId, deptA, deptB, relayHere, say = o.say }) {
      const node = await chop;
      const hub = new HubClient(hubRpc);
      const hubReader = new RpcEndpoint(hubChainId, hub);
      const reader = new SubstrateReader({ url: node.url, chainId: DEVNET_SUB });
      closers.push(() => reader.close());
      if (relayHere) {
        // no BullMQ relayer (no Redis): sub-1 -> hub in this process; the co-signers deliver the other way
        say(`  relaying ${DEVNET_SUB} -> ${hubChainId} in this process`);
        const hubEp = new RpcEndpoint(hubChainId, hubRpc, generateAccountKey());
        const handlers = new SubstratePathHandlers(hubEp, new Map([[DEVNET_SUB, substrateEndpoint(DEVNET_SUB, [reader])]]));
        let cursor = registeredAt;
        void (async () => {
          while (!stopped) {
            try {
              const tip = await handlers.scanTip(DEVNET_SUB, hubChainId);
              if (tip > cursor) {
                for (const b of await handlers.scanBlocks(DEVNET_SUB, hubChainId, cursor, tip)) {
                  if (b.packets.length) await handlers.relayPackets(DEVNET_SUB, hubChainId, b.packets);
                  if (b.acks.length) await handlers.relayAcks(DEVNET_SUB, hubChainId, b.acks);
                }
                cursor = tip;
              }
            } catch (e) {
              if (!stopped) say(`  ${DEVNET_SUB} relayer: ${(e as Error).message} (retrying)`);
            }
            await sleep(300);
          }
        })();
      }

      // ---- Substrate -> hub -> dept-b, and dept-b's ack back to the hub
      const alice = new SubstrateWriter({ url: node.url, chainId: DEVNET_SUB, signer: '//Alice', inclusionTimeoutMs: INCLUSION_TIMEOUT_MS });
      closers.push(() => alice.close());
      const sequences: SequenceCounter = new Map();
      const text = 'records request #2 from sub-1';
      const fields: PacketFields = {
        srcChain: DEVNET_SUB,
        srcApp: 'msg',
        dstChain: deptB.chainId,
        dstApp: 'msg',
        ordered: false,
        // the msg app's envelope: who wrote it on the chain, and the message
        payload: toHex(utf8(JSON.stringify({ from: u8aToHex(decodeAddress(DEV_ACCOUNTS.alice)), data: toHex(utf8(text)) }))),
        timeoutHeight: 0,
        timeoutTimestamp: 0,
      };
      say(`substrate: //Alice, ${DEVNET_SUB}'s gateway, sends "${text}" to ${deptB.chainId} (system.remarkWithEvent of the packet's commitment and fields)`);
      const sent = await landed(() => sendFromSubstrate(alice, [fields], sequences));
      const p = sent.packets[0];
      const rm = sent.remarks[0];
      say(`  remarked on ${DEVNET_SUB}: packet ${packetId(p)} in block ${rm.height} (tx ${short(rm.txHash)}, System.Remarked event ${rm.eventIndex}, ${(rm.payload.length - 2) / 2} bytes)`);
      await until(`the hub's client of ${DEVNET_SUB} to hold block ${rm.height}`, async () => {
        return (await clientHeight(hubReader, DEVNET_SUB)) >= rm.height ? true : undefined;
      });
      say(`  ${hubChainId}: its validators voted block ${rm.height} of ${DEVNET_SUB} (state root computed from the block's storage: chopsticks' headers carry none)`);
      const b = new HubClient(deptB.rpc);
      await until(`${deptB.chainId}'s inbox to hold it`, async () => ((await b.state({ hex: toHex(msgKeys.inbox(DEVNET_SUB, p.sequence)) })).value ? true : undefined), 90_000);
      say(`  ${deptB.chainId} inbox holds it (from ${DEVNET_SUB}/msg, "${text}")`);
      const acked = await until(`${deptB.chainId}'s acknowledgement on ${hubChainId}`, async () => {
        const q = await hubPacket(hub, packetId(p));
        return q?.status.ack ? q : undefined;
      }, 90_000);
      say(`  hub ${hubChainId}: ${stepsText(acked)}`);
      say(`  ${hubChainId} holds ${deptB.chainId}'s ack (${acked.status.ack!.ok ? 'ok' : 'error'}) for ${DEVNET_SUB}, proven against its client of ${deptB.chainId}`);
      if (account) {
        // the co-signers write the hub's ack back into the chain, where the sending app reads it
        const key = `${channelId(p)}/${p.sequence}`;
        const back = await until(`the co-signers to write the ack back into ${DEVNET_SUB}`, async () => (await acksWrittenBack(reader, encodeAddress(account, 42), rm.height, await reader.latestHeight())).get(key), 120_000);
        say(`  ${DEVNET_SUB}: the multisig wrote the ack back (pkt/acked/${key}: ${back.ok ? 'ok' : `error ${back.error}`}), checked by each co-signer against its own node; //Alice's app reads it with acksWrittenBack`);
      }

      // ---- dept-a -> hub -> sub-1, delivered by the validators' multisig
      if (!multisig) return;
      const a = new HubClient(deptA.rpc);
      const msgText = 'hello sub-1 from dept-a';
      say(`substrate: ${deptA.user.address} on ${deptA.chainId} sends "${msgText}" to ${DEVNET_SUB}`);
      const m = await a.send(deptA.user, [{ type: 'msg/send', dstChain: DEVNET_SUB, payload: toHex(utf8(msgText)), timeoutTimestamp: Date.now() + 600_000 }]);
      const q = JSON.parse(m.result.events.find((e) => e.type === 'packet/sent')!.attributes.packet) as Packet;
      say(`  sent on ${deptA.chainId}: packet ${packetId(q)} in tx ${m.hash} at height ${m.height}`);
      const fwd = await until(`${hubChainId} to forward it to ${DEVNET_SUB}`, async () => {
        const s = await hubPacket(hub, packetId(q));
        return s?.status.steps.some((x) => x.step === 'forwarded') ? s : undefined;
      }, 90_000);
      say(`  hub ${hubChainId}: ${stepsText(fwd)}; committed in the hub block's batch for ${DEVNET_SUB}`);
      const forwardedAt = fwd.status.steps.find((x) => x.step === 'forwarded')!.height;
      const executed = await until(`the co-signers to deliver hub block ${forwardedAt} to ${DEVNET_SUB}`, async () => {
        const hit = outcomes.find((x) => x.height === forwardedAt && !(x.r instanceof Error) && x.r.status === 'executed');
        return hit ? (hit.r as CosignOutcome) : undefined;
      }, 120_000);
      const tries = outcomes.filter((y) => y.height === forwardedAt);
      for (const x of tries) {
        if (!(x.r instanceof Error) && (x.r.status === 'approved' || x.r.status === 'executed')) say(`  co-signer of validator ${x.validator}: ${x.r.status === 'approved' ? 'approveAsMulti' : 'asMulti with the call, which executed it'} (call ${short(x.r.callHash!)}, tx ${short(x.r.txHash!)})`);
      }
      const failed = tries.filter((x) => x.r instanceof Error).map((x) => (x.r as PontisError).code ?? (x.r as Error).message);
      // co-signers that approve at the same moment race: one opens the operation, the others' calls fail and go again next round
      if (failed.length) say(`  (${failed.length} co-signing attempt(s) lost a race with another approval and were tried again: ${[...new Set(failed)].join(', ')})`);
      const payload = await reader.remarkPayload(executed.remark!.blockHash, executed.remark!.eventIndex);
      const keys = decodeRemarkPayload(fromHex(payload)).map(([k]) => Buffer.from(k).toString('utf8'));
      const header = await reader.header(executed.remark!.blockHash);
      say(`  ${DEVNET_SUB}: the multisig ${short(encodeAddress(account!, 42))} remarked ${keys.join(', ')} in block ${header.height} (${multisig.threshold} of ${pairs.length} validators, each checking its own node's commitment)`);
      // the multisig's pkt/ack remark, proven to the hub, then the hub's ack relayed to the source
      const outcome = await waitForAck(a, q, COSIGNED_ACK_WAIT_MS);
      if (outcome) say(`  the ack came back by the multisig's remark, proven to ${hubChainId}: ${deptA.chainId} records the outcome: ${outcome}`);
      else say(`  the ack back to ${deptA.chainId}: written on ${DEVNET_SUB} by the multisig, not back on ${deptA.chainId} within ${COSIGNED_ACK_WAIT_MS / 1000} s; ${deptA.chainId}'s outcome stays open`);
    },

    env: () => ({ [SUB_RELAYER_KEY_ENV]: relayerKey }),

    async stop() {
      stopped = true;
      stopCosigning.abort();
      await Promise.allSettled(following);
      await Promise.allSettled(closers.map((c) => c()));
      await (await chop.catch(() => undefined))?.stop();
    },
  };
}

/**
 * `send` again when its transaction was not seen included in time: chopsticks (1.1.0) now and
 * then leaves a pooled transaction out, or its inclusion notice is lost. Resending is safe: the
 * sequence counter moved only for remarks that landed, and the hub takes a packet once.
 */
async function landed<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (attempt >= 3 || !isAdapterError(e, AdapterErrorCode.NOT_MINED)) throw e;
    }
  }
}

/** The source's `msg` outcome of `p` once its ack is back, or undefined after `ms`. */
async function waitForAck(src: HubClient, p: Packet, ms: number): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const r = await src.state({ hex: toHex(msgKeys.outcome(p.dstChain, p.sequence)) });
    if (r.value) return Buffer.from(fromHex(r.value)).toString('utf8');
    await sleep(500);
  }
  return undefined;
}
