/**
 * The clients keeper: one client per connected chain (id = chain id), dispatched by client type
 * through a router, stored in provable state (layout in store.ts). Implements ClientVerifier for
 * the packet module. Freezing never throws: a transaction that proves misbehaviour must commit,
 * so its evidence and the frozen record are kept.
 */
import { PontisError } from '../../errors.ts';
import type { Bytes } from '../../crypto/bytes.ts';
import type { KVView } from '../../app/module.ts';
import { validateChainId } from '../../types/header.ts';
import { CLIENT_ERR } from './errors.ts';
import { type ClientMeta, type StoredEvidence, clientKeys, readConsensus, readJson, readMeta, writeJson } from './store.ts';
import { ClientError, type ClientContext, type ClientProofs, type ClientRecord, type ClientStatus, type ClientTypeRegistration, type ClientVerifier, type ObserverPlugin, type ConsensusRecord, type LightClientModule } from './types.ts';
import { scopedStore } from './scoped-store.ts';
import type { ChainKind } from '../registry/chain-kind.ts';

export class ClientRouter {
  private readonly types = new Map<string, ClientTypeRegistration>();

  /**
   * Adds a client type (as ibc-go's router: a second registration of one type name fails). Generic
   * over the type's own state shapes: the router hands each record only to the type that wrote it.
   */
  register<S, E>(reg: ClientTypeRegistration<S, E>): this {
    const type = reg.module.type;
    if (this.types.has(type)) throw new ClientError(CLIENT_ERR.TYPE_DUPLICATE, `client type ${type} is already registered`, { details: { clientType: type } });
    this.types.set(type, reg as unknown as ClientTypeRegistration);
    return this;
  }

  get(type: string): LightClientModule {
    return this.registration(type).module;
  }

  registration(type: string): ClientTypeRegistration {
    const r = this.types.get(type);
    if (!r) throw new ClientError(CLIENT_ERR.TYPE_UNKNOWN, `no client type ${type} is registered`, { details: { clientType: type } });
    return r;
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  typeNames(): string[] {
    return [...this.types.keys()];
  }

  registrations(): ClientTypeRegistration[] {
    return [...this.types.values()];
  }

  /** The observer plug-ins of the registered types, by the chain kind they watch. */
  observers(): Map<ChainKind, ObserverPlugin> {
    return new Map(this.registrations().flatMap((r) => (r.observer ? [[r.observer.kind, r.observer] as const] : [])));
  }
}

export type UpdateResult =
  | { kind: 'updated'; clientType: string; heights: number[]; latestHeight: number }
  | { kind: 'frozen'; clientType: string; height: number; reason: string; evidenceIndex: number };

export class ClientKeeper implements ClientVerifier {
  constructor(readonly router: ClientRouter) {}

  /** Creates the client of `chainId` (called by the chain registry when governance registers a chain). */
  create(ctx: ClientContext, chainId: string, clientType: string, params: unknown, initial: unknown): ClientRecord {
    validateChainId(chainId);
    if (this.record(ctx.store, chainId)) throw new ClientError(CLIENT_ERR.EXISTS, `a client for ${chainId} exists`, { details: { chainId } });
    const type = this.router.get(clientType);
    const { record, consensus } = type.initialise(chainId, params, initial);
    this.checkFresh(type, record, consensus, ctx.now);
    writeJson(ctx.store, clientKeys.meta(chainId), { params, validFrom: 0, evidenceCount: 0 } satisfies ClientMeta);
    this.save(ctx, record, [consensus]);
    return record;
  }

  /** Verifies a client message; updates the client, or freezes it when the message proves misbehaviour. */
  update(ctx: ClientContext, chainId: string, msg: unknown): UpdateResult {
    const { rec, type } = this.active(ctx.store, chainId, ctx.now);
    const tctx = this.typeContext(ctx, rec);
    type.verifyClientMessage(tctx, rec, msg);
    if (type.checkForMisbehaviour(tctx, rec, msg)) return this.freeze(ctx, type, rec, msg);
    const { record, consensus } = type.updateState(tctx, rec, msg);
    this.save(ctx, record, consensus);
    return { kind: 'updated', clientType: rec.clientType, heights: consensus.map((c) => c.height), latestHeight: record.latestHeight };
  }

  /** Like update, but refuses a message that is not misbehaviour. */
  submitMisbehaviour(ctx: ClientContext, chainId: string, evidence: unknown): Extract<UpdateResult, { kind: 'frozen' }> {
    const { rec, type } = this.active(ctx.store, chainId, ctx.now);
    const tctx = this.typeContext(ctx, rec);
    type.verifyClientMessage(tctx, rec, evidence);
    if (!type.checkForMisbehaviour(tctx, rec, evidence)) throw new ClientError(CLIENT_ERR.MISBEHAVIOUR_INVALID, `evidence does not show misbehaviour of ${chainId}`, { details: { chainId } });
    return this.freeze(ctx, type, rec, evidence);
  }

  /**
   * Governance only: replaces a frozen or expired client's trust root and unfreezes it. The new
   * trusted height must be above everything the client held, and every older consensus record
   * stops being served (after a fork any of them may be forged). `params` default to the last ones.
   */
  recover(ctx: ClientContext, chainId: string, params: unknown, initial: unknown): ClientRecord {
    const rec = this.mustRecord(ctx.store, chainId);
    const status = this.status(ctx.store, chainId, ctx.now);
    if (status === 'active') throw new ClientError(CLIENT_ERR.NOT_RECOVERABLE, `client ${chainId} is active`, { details: { chainId } });
    const type = this.router.get(rec.clientType);
    const meta = readMeta(ctx.store, chainId)!;
    const p = params ?? meta.params;
    const { record, consensus } = type.initialise(chainId, p, initial);
    if (consensus.height <= rec.latestHeight) {
      throw new ClientError(CLIENT_ERR.RECOVERY_HEIGHT, `recovery height ${consensus.height} is not above the client's latest height ${rec.latestHeight}`, {
        details: { chainId, height: consensus.height, latestHeight: rec.latestHeight },
      });
    }
    this.checkFresh(type, record, consensus, ctx.now);
    writeJson(ctx.store, clientKeys.meta(chainId), { ...meta, params: p, validFrom: consensus.height } satisfies ClientMeta);
    this.save(ctx, record, [consensus]);
    return record;
  }

  record(s: KVView, chainId: string): ClientRecord | undefined {
    return readJson<ClientRecord>(s, clientKeys.state(chainId));
  }

  status(s: KVView, chainId: string, now: number): ClientStatus {
    const rec = this.mustRecord(s, chainId);
    if (rec.frozen) return 'frozen';
    return this.router.get(rec.clientType).status(rec, this.consensusAt(s, chainId, rec.latestHeight), now);
  }

  consensusAt(s: KVView, chainId: string, height: number): ConsensusRecord | undefined {
    return readConsensus(s, chainId, height);
  }

  latestHeight(s: KVView, chainId: string): number {
    return this.record(s, chainId)?.latestHeight ?? 0;
  }

  latestConsensus(s: KVView, chainId: string): ConsensusRecord | undefined {
    const rec = this.record(s, chainId);
    return rec ? this.consensusAt(s, chainId, rec.latestHeight) : undefined;
  }

  /** Evidence entries stored for `chainId`, oldest first. */
  evidence(s: KVView, chainId: string): StoredEvidence[] {
    const n = readMeta(s, chainId)?.evidenceCount ?? 0;
    const out: StoredEvidence[] = [];
    for (let i = 0; i < n; i++) out.push(readJson<StoredEvidence>(s, clientKeys.evidence(chainId, i))!);
    return out;
  }

  verifyMembership(s: KVView, chainId: string, height: number, now: number, key: Bytes, value: Bytes, proof: unknown): void {
    const { rec, type } = this.active(s, chainId, now);
    type.verifyMembership(rec, this.mustConsensus(s, chainId, height), key, value, proof);
  }

  verifyNonMembership(s: KVView, chainId: string, height: number, now: number, key: Bytes, proof: unknown): void {
    const { rec, type } = this.active(s, chainId, now);
    type.verifyNonMembership(rec, this.mustConsensus(s, chainId, height), key, proof);
  }

  proofsAt(s: KVView, chainId: string, height: number, now: number): ClientProofs {
    try {
      const { rec, type } = this.active(s, chainId, now);
      const cons = this.mustConsensus(s, chainId, height);
      // the records are only read by the type's proof checks (none of them writes to what it is given)
      return { membership: (k, v, p) => type.verifyMembership(rec, cons, k, v, p), nonMembership: (k, p) => type.verifyNonMembership(rec, cons, k, p) };
    } catch (e) {
      if (!(e instanceof PontisError)) throw e;
      const fail = (): never => {
        throw e;
      };
      return { membership: fail, nonMembership: fail };
    }
  }

  // ---- internals ----

  private mustRecord(s: KVView, chainId: string): ClientRecord {
    const rec = this.record(s, chainId);
    if (!rec) throw new ClientError(CLIENT_ERR.NOT_FOUND, `no client for ${chainId}`, { details: { chainId } });
    return rec;
  }

  private mustConsensus(s: KVView, chainId: string, height: number): ConsensusRecord {
    const c = this.consensusAt(s, chainId, height);
    if (!c) throw new ClientError(CLIENT_ERR.NO_CONSENSUS, `client ${chainId} has no consensus state at height ${height}`, { details: { chainId, height } });
    return c;
  }

  private active(s: KVView, chainId: string, now: number): { rec: ClientRecord; type: LightClientModule } {
    const rec = this.mustRecord(s, chainId);
    const status = this.status(s, chainId, now);
    if (status === 'frozen') throw new ClientError(CLIENT_ERR.FROZEN, `client ${chainId} is frozen`, { details: { chainId, frozen: rec.frozen } });
    if (status === 'expired') throw new ClientError(CLIENT_ERR.EXPIRED, `client ${chainId} has expired; only governance recovery can revive it`, { details: { chainId } });
    return { rec, type: this.router.get(rec.clientType) };
  }

  private checkFresh(type: LightClientModule, record: ClientRecord, consensus: ConsensusRecord, now: number): void {
    if (type.status(record, consensus, now) === 'expired') {
      throw new ClientError(CLIENT_ERR.EXPIRED, `trusted state at ${consensus.height} is already outside the trusting period`, { details: { chainId: record.chainId, height: consensus.height } });
    }
  }

  /** The context a type's own code runs in: the store limited to its client (scoped-store.ts). */
  private typeContext(ctx: ClientContext, rec: ClientRecord): ClientContext {
    return { ...ctx, store: scopedStore(ctx.store, rec.chainId, this.router.registration(rec.clientType).storePrefixes) };
  }

  private save(ctx: ClientContext, record: ClientRecord, consensus: ConsensusRecord[]): void {
    for (const c of consensus) writeJson(ctx.store, clientKeys.consensus(record.chainId, c.height), c);
    writeJson(ctx.store, clientKeys.state(record.chainId), record);
  }

  private freeze(ctx: ClientContext, type: LightClientModule, rec: ClientRecord, msg: unknown): Extract<UpdateResult, { kind: 'frozen' }> {
    const tctx = this.typeContext(ctx, rec);
    const evidence = type.evidenceOf ? type.evidenceOf(tctx, rec, msg) : msg;
    const frozen = type.updateStateOnMisbehaviour(tctx, rec, msg);
    const reason = frozen.frozen?.evidence ?? 'misbehaviour';
    const height = frozen.frozen?.atHeight ?? rec.latestHeight;
    const record: ClientRecord = { ...frozen, frozen: { atHeight: height, evidence: reason } };
    const meta = readMeta(ctx.store, rec.chainId)!;
    const index = meta.evidenceCount;
    const entry: StoredEvidence = { index, chainId: rec.chainId, clientType: rec.clientType, height, reason, hubHeight: ctx.height, hubTime: ctx.now, evidence };
    writeJson(ctx.store, clientKeys.evidence(rec.chainId, index), entry);
    writeJson(ctx.store, clientKeys.meta(rec.chainId), { ...meta, evidenceCount: index + 1 } satisfies ClientMeta);
    this.save(ctx, record, []);
    return { kind: 'frozen', clientType: rec.clientType, height, reason, evidenceIndex: index };
  }
}
