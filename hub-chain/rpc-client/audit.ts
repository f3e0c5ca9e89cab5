/**
 * `pontis audit verify` as a library: a supervisor who trusts only the hub's genesis (chain id and
 * first validators) checks the audit log served by any node. The first block's commit is checked
 * against the genesis validators; from there a light client follows every header it needs
 * (validator-set changes included); each checkpoint (log size and root) is read from
 * `audit/head` with a state proof under its verified header; the events and the consistency
 * proof come from the node unverified and are checked by audit/verify.ts. A checkpoint saved by
 * an earlier run can be passed back as the first one, so a node that forked the log since then
 * is caught.
 */
import { type Genesis, dataProfileOf, genesisValidatorSet } from '../app/genesis.ts';
import { type Hex, fromHex, toHex } from '../crypto/bytes.ts';
import { type AuditProfile, auditKeys, auditRoot } from '../modules/audit/log.ts';
import { type AuditReport, type Checkpoint, verifyAuditLog } from '../modules/audit/verify.ts';
import { type StateProof, verifyMembership, verifyNonMembership } from '../state/proof.ts';
import { headerHash } from '../types/header.ts';
import { verifyCommit } from '../types/vote.ts';
import type { HubClient } from './client.ts';
import { VerifiedReader, VerifyError } from './verified.ts';

/** Events fetched per request (the RPC's limit). */
const PAGE = 10_000;
/** Following a log from genesis: the header chain is checked link by link, so age is not what trust rests on here. */
const AUDIT_TRUSTING_PERIOD_MS = 100 * 365 * 24 * 3600 * 1000;

/** A checkpoint as the supervisor keeps it: the log's size and root, and the verified header they were read under. */
export interface SavedCheckpoint extends Checkpoint {
  headerHash?: Hex;
}

export interface AuditVerifyResult extends AuditReport {
  /** Where the light client's trust started: block 1 (checked against the genesis validators) or a saved checkpoint's header. */
  trust: { chainId: string; genesisValidators: number; rootHeight: number; rootHash: Hex };
  /** The second checkpoint with its header's hash: what the next run can start from. */
  checkpoint: SavedCheckpoint;
  timings: { fetchMs: number; verifyMs: number; eventsPerSecond: number };
}

/** A light client rooted at block 1, whose commit must come from the genesis validators. */
async function readerFromGenesis(client: HubClient, genesis: Genesis): Promise<{ reader: VerifiedReader; rootHash: Hex }> {
  const vs = genesisValidatorSet(genesis);
  const first = await client.signedHeader(1);
  if (first.header.chainId !== genesis.chainId || first.header.height !== 1) throw new VerifyError('PNT_ERR_BLOCK_NOT_VERIFIED', `node serves block 1 of ${first.header.chainId}, not of ${genesis.chainId}`);
  if (first.header.validatorsHash !== vs.hash()) throw new VerifyError('PNT_ERR_BLOCK_NOT_VERIFIED', 'block 1 is not signed by the genesis validators');
  const hash = headerHash(first.header);
  verifyCommit(genesis.chainId, vs, first.commit, 1, hash);
  return { reader: new VerifiedReader(client, { trust: { height: 1, hash }, trustingPeriodMs: AUDIT_TRUSTING_PERIOD_MS }), rootHash: hash };
}

/** The log's size and root at `height`, proven under the verified header of that height. */
async function checkpointAt(client: HubClient, reader: VerifiedReader, profile: AuditProfile, height: number): Promise<SavedCheckpoint> {
  const header = await reader.header(height);
  const hash = headerHash(header);
  const key = auditKeys.head();
  const r = await client.state<StateProof>({ hex: toHex(key) }, { height, prove: true });
  if (!r.proof) throw new VerifyError('PNT_ERR_BLOCK_NOT_VERIFIED', `node served no proof of the audit head at ${height}`);
  if (r.value === null) {
    verifyNonMembership(header.stateRoot, key, r.proof);
    return { height, ...auditRoot({ get: () => undefined }, profile), headerHash: hash };
  }
  const value = fromHex(r.value as Hex);
  verifyMembership(header.stateRoot, key, value, r.proof);
  return { height, ...auditRoot({ get: () => value }, profile), headerHash: hash };
}

/**
 * `since`: a checkpoint an earlier run saved. Its log must still be the one the chain proves (else
 * `fork`), and when it carries its header's hash the light client starts from that header (inside
 * the usual trusting period) instead of from genesis.
 */
export async function verifyAuditFromGenesis(o: { client: HubClient; genesis: Genesis; firstHeight?: number; secondHeight?: number; since?: SavedCheckpoint }): Promise<AuditVerifyResult> {
  const profile: AuditProfile = dataProfileOf(o.genesis);
  const t0 = performance.now();
  const pinned = o.since?.headerHash;
  const { reader, rootHash } = pinned ? { reader: new VerifiedReader(o.client, { trust: { height: o.since!.height, hash: pinned } }), rootHash: pinned } : await readerFromGenesis(o.client, o.genesis);
  if (pinned && (await o.client.status()).chainId !== o.genesis.chainId) throw new VerifyError('PNT_ERR_BLOCK_NOT_VERIFIED', `the node serves another chain than ${o.genesis.chainId}`);
  const latest = (await o.client.status()).latestHeight;
  const secondHeight = o.secondHeight ?? latest;
  const firstHeight = o.since?.height ?? o.firstHeight ?? Math.max(1, Math.floor(secondHeight / 2));
  if (firstHeight > secondHeight) throw new VerifyError('PNT_ERR_RPC_BAD_REQUEST', `first checkpoint ${firstHeight} is above the second ${secondHeight}`);
  const second = await checkpointAt(o.client, reader, profile, secondHeight);
  let first = await checkpointAt(o.client, reader, profile, firstHeight);
  // a saved checkpoint is the supervisor's own record: the log it saw must still be the one the chain proves
  if (o.since && (o.since.size !== first.size || o.since.root !== first.root)) first = { height: o.since.height, size: o.since.size, root: o.since.root };
  const { proof } = await o.client.get<{ proof: Hex[] }>(`/audit/consistency?first=${first.size}&second=${second.size}`);
  const events: string[] = [];
  while (events.length < second.size) {
    const page = await o.client.get<{ events: string[] }>(`/audit/events?from=${events.length}&limit=${Math.min(PAGE, second.size - events.length)}`);
    if (page.events.length === 0) break;
    events.push(...page.events);
  }
  const t1 = performance.now();
  const strip = ({ height, size, root }: SavedCheckpoint): Checkpoint => ({ height, size, root });
  const report = verifyAuditLog({ profile, first: strip(first), second: strip(second), consistency: proof, events: events.slice(0, second.size) });
  const t2 = performance.now();
  return {
    ...report,
    trust: { chainId: o.genesis.chainId, genesisValidators: o.genesis.validators.length, rootHeight: pinned ? o.since!.height : 1, rootHash },
    checkpoint: second,
    timings: { fetchMs: Math.round(t1 - t0), verifyMs: Math.round(t2 - t1), eventsPerSecond: Math.round(events.length / Math.max((t2 - t1) / 1000, 1e-6)) },
  };
}
