/**
 * The hub's application: deterministic execution of a block's transactions on a working state.
 * Modules here: accounts (nonces), records (key/value data), governance (the only path that
 * changes validators or governance members), evidence (double-sign records).
 */
import { PontisError } from '../errors.ts';
import { type Bytes, type Hex, ZERO_HASH, fromHex, latin1Id, utf8 } from '../crypto/bytes.ts';

const ZERO_ADDRESS: Hex = '0x' + '00'.repeat(20);
import { canonicalJson } from '../encoding/canonical-json.ts';
import type { Evidence } from '../types/block.ts';
import type { Validator } from '../types/validator-set.ts';
import { ValidatorSet } from '../types/validator-set.ts';
import { type Genesis, genesisValidatorSet } from './genesis.ts';
import { type CoreGovAction, type CoreMsg, CORE_GOV_KINDS, CORE_MSG_TYPES, type DecodedTx, type GovAction } from './tx.ts';
import type { AppEvent, KVStore, KVView, Module, ModuleEnv } from './module.ts';

export class AppError extends PontisError {
  override name = 'AppError';
}

// state and event shapes live with the module contract; re-exported for the app's callers
export type { KVView, KVStore, AppEvent } from './module.ts';

export interface TxResult {
  hash: Hex;
  /** 'ok' or the PNT_ERR_* code the transaction failed with (its nonce is still used). */
  code: string;
  log?: string;
  events: AppEvent[];
}
export interface BlockExecution {
  results: TxResult[];
  events: AppEvent[];
  /** The transactions executed, in order (fewer than given only with dropInvalid). */
  included: DecodedTx[];
  /** The set that signs the next height, proposer priorities included (also written to `val/next`). */
  nextValidators: ValidatorSet;
}

export interface ExecContext {
  height: number;
  time: number;
  proposer: Hex;
  /** The validator set that signs this height. */
  validators: ValidatorSet;
}

/** Prefixes of the app's own records (validators, governance, params, accounts, evidence, the index) that no packet application may write. */
export const CORE_PROTECTED_PREFIXES = ['val/', 'gov/', 'params', 'acc/', 'ev/', 'idx/'] as const;

// State keys, all provable through the state tree.
export const keys = {
  account: (addr: Hex) => utf8(`acc/${addr}`),
  record: (addr: Hex, key: Hex) => utf8(`rec/${addr}/${key.slice(2)}`),
  govMembers: () => utf8('gov/members'),
  govNextId: () => utf8('gov/next-id'),
  proposal: (id: number) => utf8(`gov/proposal/${String(id).padStart(12, '0')}`),
  scheduledValidators: () => utf8('val/scheduled'),
  pendingValidators: (height: number) => utf8(`val/pending/${String(height).padStart(16, '0')}`),
  evidence: (height: number, validator: Hex) => utf8(`ev/${String(height).padStart(16, '0')}/${validator}`),
  params: () => utf8('params'),
  /** The validator set with proposer priorities that signs the next height: state sync restores consensus from it. */
  nextValidators: () => utf8('val/next'),
};

const json = (v: unknown): Bytes => utf8(canonicalJson(v));
const parse = <T>(b: Bytes | undefined): T | undefined => (b === undefined ? undefined : (JSON.parse(Buffer.from(b).toString('utf8')) as T));

export interface Proposal {
  id: number;
  proposer: Hex;
  action: GovAction;
  description?: string;
  submitHeight: number;
  votes: Record<string, boolean>;
  status: 'voting' | 'executed' | 'rejected' | 'failed';
  result?: string;
}

interface Members {
  members: { address: Hex; weight: number }[];
}

/** Writes made by one transaction; applied only if all its messages succeed. */
export class TxOverlay implements KVStore {
  // keyed by latin1Id (cheaper than hex), with the key itself kept for flush
  private writes = new Map<string, { key: Bytes; value: Bytes | null }>();
  constructor(private readonly base: KVStore) {}
  get(key: Bytes): Bytes | undefined {
    const w = this.writes.get(latin1Id(key));
    if (w !== undefined) return w.value === null ? undefined : w.value;
    return this.base.get(key);
  }
  set(key: Bytes, value: Bytes): void {
    this.writes.set(latin1Id(key), { key, value });
  }
  delete(key: Bytes): void {
    this.writes.set(latin1Id(key), { key, value: null });
  }
  flush(): void {
    for (const { key, value } of this.writes.values()) value === null ? this.base.delete(key) : this.base.set(key, value);
  }
}

export class HubApp {
  private readonly byMsg = new Map<string, Module>();
  private readonly byGovKind = new Map<string, Module>();

  constructor(
    readonly genesis: Genesis,
    readonly modules: readonly Module[] = [],
  ) {
    for (const m of modules) {
      for (const t of m.msgTypes) {
        if (this.byMsg.has(t) || CORE_MSG_TYPES.has(t)) throw new Error(`message type ${t} registered twice`);
        this.byMsg.set(t, m);
      }
      for (const k of m.govActionKinds ?? []) {
        if (this.byGovKind.has(k) || CORE_GOV_KINDS.has(k)) throw new Error(`governance action ${k} registered twice`);
        this.byGovKind.set(k, m);
      }
    }
  }

  private env(s: KVStore, ctx: ExecContext, txHash: Hex, sender: Hex, events: AppEvent[]): ModuleEnv {
    return {
      chainId: this.genesis.chainId,
      height: ctx.height,
      time: ctx.time,
      txHash,
      sender,
      validators: ctx.validators,
      store: s,
      genesis: this.genesis,
      events,
      emit: (type, attributes) => events.push({ type, attributes }),
    };
  }

  /** State written by block 1 before its transactions. */
  initGenesis(s: KVStore, ctx?: ExecContext): void {
    s.set(keys.govMembers(), json({ members: this.genesis.governance.members }));
    s.set(keys.govNextId(), json(1));
    s.set(keys.params(), json(this.genesis.params));
    const vs = genesisValidatorSet(this.genesis);
    s.set(keys.scheduledValidators(), json(vs.validators.map((v) => ({ address: v.address, publicKey: v.publicKey, power: v.power }))));
    if (ctx) for (const m of this.modules) m.initGenesis?.(this.env(s, ctx, ZERO_HASH, ZERO_ADDRESS, []));
  }

  evidenceKey(height: number, validator: Hex): Bytes {
    return keys.evidence(height, validator);
  }

  accountNonce(s: KVView, addr: Hex): number {
    return parse<{ nonce: number }>(s.get(keys.account(addr)))?.nonce ?? 0;
  }

  /** The full validator set that takes effect at `height`, if governance changed it then. */
  validatorsEffectiveAt(s: KVView, height: number): Validator[] | undefined {
    return parse<Validator[]>(s.get(keys.pendingValidators(height)));
  }

  /** The newest validator set governance has scheduled (what the next change applies to). */
  scheduledValidators(s: KVView): Validator[] {
    return parse<Validator[]>(s.get(keys.scheduledValidators()))!;
  }

  /**
   * Executes a block's transactions (signatures already verified by the caller). With
   * `dropInvalid` (a proposer building a block) a transaction the chain must refuse (wrong
   * chain, wrong nonce) is left out; without it (validating or replaying a block) it makes the
   * whole block invalid. A failing message only fails its own transaction.
   */
  executeBlock(s: KVStore, ctx: ExecContext, txs: DecodedTx[], evidence: Evidence[], dropInvalid = false): BlockExecution {
    if (ctx.height === 1) this.initGenesis(s, ctx);
    const events: AppEvent[] = [];
    for (const e of evidence) {
      const v = e.voteA.validator;
      s.set(keys.evidence(e.voteA.height, v), json(e));
      events.push({ type: 'evidence', attributes: { kind: e.kind, validator: v, height: String(e.voteA.height) } });
    }
    const results: TxResult[] = [];
    const included: DecodedTx[] = [];
    for (const tx of txs) {
      try {
        results.push(this.executeTx(s, ctx, tx));
        included.push(tx);
      } catch (e) {
        if (!dropInvalid || !(e instanceof AppError)) throw e;
      }
    }
    for (const m of this.modules) {
      if (!m.endBlock) continue;
      const overlay = new TxOverlay(s);
      try {
        m.endBlock(this.env(overlay, ctx, ZERO_HASH, ZERO_ADDRESS, events));
        overlay.flush();
      } catch (e) {
        if (!(e instanceof PontisError)) throw e;
        events.push({ type: 'end-block-failed', attributes: { module: m.name, code: e.code } });
      }
    }
    const nextValidators = this.nextValidatorSet(s, ctx);
    s.set(keys.nextValidators(), json({ height: ctx.height + 1, ...nextValidators.toJSON() }));
    return { results, events, included, nextValidators };
  }

  /** This height's set with priorities advanced one step, then any change governance scheduled for the next height. */
  private nextValidatorSet(s: KVView, ctx: ExecContext): ValidatorSet {
    const next = ctx.validators.nextHeightSet();
    const changed = this.validatorsEffectiveAt(s, ctx.height + 1);
    if (!changed) return next;
    const keep = new Set(changed.map((v) => v.address));
    return next.applyUpdates([...next.validators.filter((v) => !keep.has(v.address)).map((v) => ({ ...v, power: 0 })), ...changed]);
  }

  executeTx(s: KVStore, ctx: ExecContext, d: DecodedTx): TxResult {
    if (d.tx.body.chainId !== this.genesis.chainId) throw new AppError('PNT_ERR_TX_WRONG_CHAIN', `transaction is for chain ${d.tx.body.chainId}`);
    const nonce = this.accountNonce(s, d.sender);
    if (d.tx.body.nonce !== nonce) throw new AppError('PNT_ERR_TX_BAD_NONCE', `nonce ${d.tx.body.nonce}, account expects ${nonce}`, { details: { expected: nonce } });
    s.set(keys.account(d.sender), json({ nonce: nonce + 1 }));
    const overlay = new TxOverlay(s);
    const events: AppEvent[] = [];
    try {
      for (const m of d.tx.body.msgs) {
        if (CORE_MSG_TYPES.has(m.type)) this.executeMsg(overlay, ctx, d.sender, m as CoreMsg, events);
        else {
          const mod = this.byMsg.get(m.type);
          if (!mod) throw new AppError('PNT_ERR_MSG_UNKNOWN', `no module handles ${m.type}`);
          mod.handleMsg(this.env(overlay, ctx, d.hash, d.sender, events), m);
        }
      }
      overlay.flush();
      return { hash: d.hash, code: 'ok', events };
    } catch (e) {
      if (!(e instanceof PontisError)) throw e; // a bug, not a failed transaction: halt loudly
      return { hash: d.hash, code: e.code, log: e.message, events: [] };
    }
  }

  private executeMsg(s: KVStore, ctx: ExecContext, sender: Hex, m: CoreMsg, events: AppEvent[]): void {
    switch (m.type) {
      case 'records/put':
        for (const e of m.entries) s.set(keys.record(sender, e.key), fromHex(e.value));
        events.push({ type: 'records/put', attributes: { owner: sender, count: String(m.entries.length) } });
        return;
      case 'records/delete':
        for (const k of m.keys) s.delete(keys.record(sender, k));
        events.push({ type: 'records/delete', attributes: { owner: sender, count: String(m.keys.length) } });
        return;
      case 'gov/propose': {
        this.requireMember(s, sender);
        const id = parse<number>(s.get(keys.govNextId()))!;
        s.set(keys.govNextId(), json(id + 1));
        const p: Proposal = { id, proposer: sender, action: m.action, description: m.description, submitHeight: ctx.height, votes: { [sender]: true }, status: 'voting' };
        events.push({ type: 'gov/proposed', attributes: { id: String(id), kind: m.action.kind } });
        this.tally(s, ctx, p, events);
        return;
      }
      case 'gov/vote': {
        this.requireMember(s, sender);
        const p = parse<Proposal>(s.get(keys.proposal(m.proposalId)));
        if (!p) throw new AppError('PNT_ERR_GOV_UNKNOWN_PROPOSAL', `no proposal ${m.proposalId}`);
        if (p.status !== 'voting') throw new AppError('PNT_ERR_GOV_CLOSED', `proposal ${p.id} is ${p.status}`);
        const params = parse<Genesis['params']>(s.get(keys.params()))!;
        if (ctx.height > p.submitHeight + params.votingPeriodBlocks) throw new AppError('PNT_ERR_GOV_EXPIRED', `proposal ${p.id} voting period ended`);
        p.votes[sender] = m.approve;
        events.push({ type: 'gov/voted', attributes: { id: String(p.id), voter: sender, approve: String(m.approve) } });
        this.tally(s, ctx, p, events);
        return;
      }
    }
  }

  private requireMember(s: KVView, addr: Hex): void {
    const m = parse<Members>(s.get(keys.govMembers()))!;
    if (!m.members.some((x) => x.address === addr)) throw new AppError('PNT_ERR_GOV_NOT_MEMBER', `${addr} is not a governance member`);
  }

  private tally(s: KVStore, ctx: ExecContext, p: Proposal, events: AppEvent[]): void {
    const { members } = parse<Members>(s.get(keys.govMembers()))!;
    const total = members.reduce((a, m) => a + m.weight, 0);
    const weight = (approve: boolean) => members.filter((m) => p.votes[m.address] === approve).reduce((a, m) => a + m.weight, 0);
    if (weight(true) * 3 > total * 2) {
      try {
        this.executeAction(s, ctx, p, events);
        p.status = 'executed';
      } catch (e) {
        if (!(e instanceof PontisError)) throw e;
        p.status = 'failed';
        p.result = `${e.code}: ${e.message}`;
      }
      events.push({ type: 'gov/' + p.status, attributes: { id: String(p.id) } });
    } else if (weight(false) * 3 >= total) {
      p.status = 'rejected';
      events.push({ type: 'gov/rejected', attributes: { id: String(p.id) } });
    }
    s.set(keys.proposal(p.id), json(p));
  }

  private executeAction(s: KVStore, ctx: ExecContext, p: Proposal, events: AppEvent[]): void {
    if (!CORE_GOV_KINDS.has(p.action.kind)) {
      const mod = this.byGovKind.get(p.action.kind);
      if (!mod?.handleGovAction) throw new AppError('PNT_ERR_GOV_UNKNOWN_ACTION', `no module executes ${p.action.kind}`);
      // module actions run in their own overlay so a failing one leaves nothing half-written
      const overlay = new TxOverlay(s);
      mod.handleGovAction(this.env(overlay, ctx, ZERO_HASH, p.proposer, events), p.action);
      overlay.flush();
      return;
    }
    const a = p.action as CoreGovAction;
    switch (a.kind) {
      case 'set-validators': {
        // Effective at height + 2: header height+1 commits to it as its next-validator-set hash.
        const latest = new Map(this.scheduledValidators(s).map((v) => [v.publicKey, v]));
        for (const u of a.updates) {
          if (u.power === 0) latest.delete(u.publicKey);
          else latest.set(u.publicKey, { address: '', publicKey: u.publicKey, power: u.power });
        }
        let next: ValidatorSet;
        try {
          next = new ValidatorSet([...latest.values()]);
        } catch (e) {
          throw new AppError('PNT_ERR_GOV_BAD_VALIDATOR_SET', `resulting validator set is invalid: ${(e as Error).message}`, { cause: e });
        }
        const members = next.validators.map((v) => ({ address: v.address, publicKey: v.publicKey, power: v.power }));
        s.set(keys.scheduledValidators(), json(members));
        s.set(keys.pendingValidators(ctx.height + 2), json(members));
        return;
      }
      case 'set-members': {
        const members = a.members.filter((m) => m.weight > 0);
        if (members.length === 0) throw new AppError('PNT_ERR_GOV_NO_MEMBERS', 'governance needs at least one member');
        if (new Set(members.map((m) => m.address)).size !== members.length) throw new AppError('PNT_ERR_GOV_DUPLICATE_MEMBER', 'a member appears twice');
        s.set(keys.govMembers(), json({ members }));
        return;
      }
    }
  }
}

/** The `val/next` record: the set (with priorities) that signs `height`. */
export function readNextValidators(s: KVView): { height: number; set: ValidatorSet } | undefined {
  const j = parse<{ height: number; validators: Validator[]; priorities: number[] }>(s.get(keys.nextValidators()));
  return j ? { height: j.height, set: ValidatorSet.fromJSON(j) } : undefined;
}

export function readProposal(s: KVView, id: number): Proposal | undefined {
  return parse<Proposal>(s.get(keys.proposal(id)));
}
