/**
 * A world for the Pontis chaincode's logic: world state in memory behind the chaincode's own
 * `State` interface (the project's interface, not Fabric's; the stub-backed one is exercised
 * through fabric-shim in chaincode-server.test.ts), and a hub whose headers are really signed
 * (ChainBuilder) over the roots of a real sparse Merkle state on disk (StateStore on LMDB), so
 * every proof the chaincode checks is one the hub would serve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import type { AppEvent } from '../../../hub-chain/app/module.ts';
import { type Bytes, type Hex, toHex } from '../../../hub-chain/crypto/bytes.ts';
import type { SignedHeader } from '../../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import { type Packet, channelId, packetCommitment, packetKeys as K } from '../../../hub-chain/modules/packets/types.ts';
import { StateStore, encodeProof } from '../../../hub-chain/state/index.ts';
import type { Caller, TxContext } from '../../../contracts/fabric/context.ts';
import type { State } from '../../../contracts/fabric/state.ts';
import { ChainBuilder } from '../../support/chain-builder.ts';

/** World state in memory (Fabric keys -> values). */
export class MemoryState implements State {
  readonly m = new Map<string, Bytes>();
  reads = 0;
  async get(key: string): Promise<Bytes | undefined> {
    this.reads++;
    return this.m.get(key);
  }
  async put(key: string, value: Bytes): Promise<void> {
    this.m.set(key, Uint8Array.from(value));
  }
  async delete(key: string): Promise<void> {
    this.m.delete(key);
  }
  /** Every key and value as text/hex, to compare before and after a refusal. */
  snapshot(): Record<string, Hex> {
    return Object.fromEntries([...this.m].map(([k, v]) => [k, toHex(v)]).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  text(key: string): string | undefined {
    const v = this.m.get(key);
    return v === undefined ? undefined : Buffer.from(v).toString('utf8');
  }
}

export const HUB = 'hub';
export const FABRIC = 'gov';
export const HUB_GENESIS_MS = 1_750_000_000_000;
export const DAY = 86_400_000;
export const CLIENT_PARAMS = { trustingPeriodMs: DAY, maxClockDriftMs: 10_000 };

/** The hub: signed headers over a real state tree; height h is built when state for h is committed. */
export class HubSim {
  readonly chain: ChainBuilder;
  private constructor(
    private readonly dir: string,
    private readonly env: RootDatabase,
    readonly store: StateStore,
    seed: string,
    genesisTime: number,
  ) {
    this.chain = new ChainBuilder({ chainId: HUB, seed, genesisTime });
  }

  static start(seed: string, genesisTime = HUB_GENESIS_MS): HubSim {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-fabric-cc-'));
    const env = open({ path: dir, maxDbs: 12 });
    return new HubSim(dir, env, StateStore.open(env), seed, genesisTime);
  }

  get height(): number {
    return this.chain.height;
  }

  /** Commits the next height with these writes (null deletes) and builds its signed header. */
  async commit(writes: [Bytes, Bytes | null][] = []): Promise<number> {
    const h = this.chain.height + 1;
    const ws = this.store.working();
    for (const [k, v] of writes) v === null ? ws.delete(k) : ws.set(k, v);
    this.chain.setStateRoot(h, await this.store.commit(ws, h));
    this.chain.extendTo(h);
    return h;
  }

  /** Commits empty heights until the header time reaches `ms`. */
  async advanceTo(ms: number): Promise<number> {
    while (this.chain.defaultTime(this.chain.height + 1) < ms) await this.commit();
    return this.commit();
  }

  /** The hub forwards `p` (its commitment under pkt/out) at a new height. */
  forward(p: Packet): Promise<number> {
    return this.commit([[K.outbound(channelId(p), p.sequence), packetCommitment(p)]]);
  }

  /** Compact proof (0x-hex) of `key` at `height`: membership or absence. */
  proof(key: Bytes, height: number): Hex {
    return toHex(encodeProof(this.store.getWithProof(key, height).proof));
  }

  initial(h: number) {
    return { header: this.chain.header(h), validators: this.chain.validatorSet(h).toJSON(), nextValidators: this.chain.validatorSet(h + 1).toJSON() };
  }

  /** The `pontis` update message for height h, verified from trustedHeight. */
  update(h: number, trustedHeight: number, sh: SignedHeader = this.chain.signedHeader(h)) {
    return { signedHeader: sh, validators: this.chain.validatorSet(h).toJSON(), nextValidators: this.chain.validatorSet(h + 1).toJSON(), trustedHeight };
  }

  async close(): Promise<void> {
    await this.env.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const ORG1_ADMIN: Caller = { mspId: 'Org1MSP', id: 'x509::/OU=admin/CN=Admin@org1::/CN=ca.org1' };
export const ORG1: Caller = { mspId: 'Org1MSP', id: 'x509::/OU=client/CN=User1@org1::/CN=ca.org1' };
export const ORG2: Caller = { mspId: 'Org2MSP', id: 'x509::/OU=client/CN=User1@org2::/CN=ca.org2' };

let txCounter = 0;
/** A transaction context at `timeMs` by `caller`. */
export function txAt(state: State, timeMs: number, caller: Caller = ORG1): TxContext & { events: AppEvent[] } {
  txCounter++;
  return { state, txTimeMs: timeMs, txId: txCounter.toString(16).padStart(64, '0'), caller, events: [] };
}
