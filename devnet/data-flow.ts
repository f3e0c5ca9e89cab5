/**
 * The devnet's data-sharing flow, printed step by step: the hub registers the departments, dept-a
 * lists its household registry and its access rule, dept-b registers its node key, a citizen
 * grants consent, dept-b asks dept-a for that citizen's household record, dept-a's agent answers
 * sealed to dept-b's node, dept-b opens it (a third node's key cannot), the citizen revokes, the
 * next request is refused and audited, and `audit verify` (trusting only the hub genesis) reports
 * a clean log. Keys live in keystores under the devnet home; record contents are never printed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex, utf8 } from '../hub-chain/crypto/bytes.ts';
import { sha256 } from '../hub-chain/crypto/hash.ts';
import { type AccountKey, accountKeyFromSeed } from '../hub-chain/crypto/ed25519.ts';
import { Keystore } from '../hub-chain/crypto/keystore.ts';
import { hasCode } from '../hub-chain/errors.ts';
import { loadHome } from '../hub-chain/node/config.ts';
import { type AgentReaders, openAnswer, prepareAnswer } from '../hub-chain/modules/data-sharing/agent.ts';
import type { InboundRequest } from '../hub-chain/modules/data-sharing/spoke.ts';
import type { SpokeAnswerMsg } from '../hub-chain/modules/data-sharing/types.ts';
import type { Msg } from '../hub-chain/app/tx.ts';
import { HubClient } from '../hub-chain/rpc-client/client.ts';
import { verifyAuditFromGenesis } from '../hub-chain/rpc-client/audit.ts';
import { DataSharingClient, DepartmentClient, sendOk, signGrant, signRevocation } from '../hub-chain/rpc-client/data.ts';
import { proposeAndPass } from '../hub-chain/rpc-client/registry.ts';
import { until } from './sample-flow.ts';

const DATASET = 'household-registry';
const PURPOSE = 'benefit-eligibility';
const short = (h: string) => `${h.slice(0, 10)}…${h.slice(-4)}`;
const operatorOf = (home: string): AccountKey => accountKeyFromSeed(fromHex(loadHome(home).operatorKey!.seed, 32));

export interface DataFlowChain {
  chainId: string;
  homes: string[];
  rpcUrls: string[];
}

/** The department that holds the records, whatever its chain kind: how its agent reads, and how it answers. */
export interface DataSource {
  chainId: string;
  /** How its chain is described in the flow's lines. */
  label: string;
  /** The hub account that acts for the department (catalog, policy); on a Pontis chain it also signs the answers. */
  operator: AccountKey;
  /** On a Fabric channel: the MSPs that answer for the department. */
  msps?: string[];
  readers(hub: HubClient): AgentReaders;
  inbound(requestId: string): Promise<InboundRequest | undefined>;
  /** Submits the agent's `data/answer` on the source chain. */
  submitAnswer(msg: SpokeAnswerMsg): Promise<void>;
}

/** A Pontis side-chain as the source: its operator key signs the answers. */
export function pontisSource(c: DataFlowChain, hubRpc: string): DataSource {
  const dept = new DepartmentClient(new HubClient(c.rpcUrls[0]), new HubClient(hubRpc));
  const op = operatorOf(c.homes[0]);
  return {
    chainId: c.chainId,
    label: `${c.chainId} (a Pontis side-chain)`,
    operator: op,
    readers: () => dept.readers(),
    inbound: (id) => dept.inbound(id),
    submitAnswer: async (msg) => void (await sendOk(dept.spoke, op, [msg as unknown as Msg])),
  };
}

export async function runDataFlow(o: { root: string; hub: DataFlowChain; source: DataSource; requester: DataFlowChain; say: (s: string) => void }): Promise<void> {
  const { say } = o;
  const hub = new HubClient(o.hub.rpcUrls[0]);
  const sharing = new DataSharingClient(hub);
  const opA = o.source.operator;
  const opB = operatorOf(o.requester.homes[0]);
  const A = o.source.chainId;
  const B = o.requester.chainId;
  say(`data sharing: ${B} asks ${o.source.label} for a citizen's household record, with consent, sealed to ${B}'s node`);

  for (const [chain, op, msps] of [[A, opA, o.source.msps ?? []], [B, opB, []]] as const) {
    const { id, status } = await proposeAndPass(hub, o.hub.homes.map(operatorOf), { kind: 'data/register-department', chain, org: `${chain}-office`, operators: [op.address], msps: [...msps], regulator: false });
    say(`  hub governance registered department ${chain} (hub operator ${short(op.address)}${msps.length ? `; on its chain ${msps.join(', ')} answers` : ''}; proposal ${id} ${status})`);
  }
  await sharing.catalogAdd(opA, { id: DATASET, ownerChain: A, dataClass: 'household', schemaHash: toHex(sha256(utf8('household-record/v1: household, members, district'))), sensitivity: 'confidential', consentRequired: true });
  await sharing.setPolicy(opA, { ownerChain: A, dataset: DATASET, rules: [{ id: 'benefits', effect: 'allow', requester: B, purposes: [PURPOSE], consentRequired: true, notBefore: 0, notAfter: 0, maxRecords: 1 }] });
  say(`  ${A} listed dataset ${DATASET} (class household, consent required) and rule benefits: allow ${B} for ${PURPOSE}, 1 record`);

  // keystores: dept-b's node, a third node, the citizen (passphrases in the devnet home, 0600)
  const keystoreAt = async (dir: string) => {
    mkdirSync(dir, { recursive: true });
    const pass = toHex(randomBytes(16));
    writeFileSync(join(dir, 'keystore.pass'), pass + '\n', { mode: 0o600 });
    return Keystore.create(join(dir, 'keystore.json'), pass);
  };
  const bKeys = await keystoreAt(join(o.root, B, 'node-keys'));
  const bPub = bKeys.generate('node-1', 'intl', 'encryption');
  await sharing.registerNodeKey(opB, B, 'node-1', bPub);
  say(`  ${B} registered node key node-1 (X25519 ${short(toHex(bPub))}); its secret stays in ${bKeys.path}`);
  const thirdKeys = await keystoreAt(join(o.root, 'third-node'));
  thirdKeys.generate('node-1', 'intl', 'encryption');
  const citizenKeys = await keystoreAt(join(o.root, 'citizen'));
  const subject = toHex(citizenKeys.generate('citizen', 'intl', 'signing'));

  const g = signGrant('intl', citizenKeys.secretKey('citizen'), { scope: `dataset:${DATASET}`, requester: B, purpose: PURPOSE, expiresAt: Date.now() + 30 * 86_400_000, nonce: toHex(randomBytes(8)).slice(2) });
  await sharing.grant(opB, g);
  say(`  citizen ${short(subject)} signed consent ${short(g.grantId)} (${B}, ${PURPOSE}, 30 days); carried to the hub by ${B}`);

  // the source department's records: its own store, never any chain's state
  const recordsFile = join(o.root, A, 'records.json');
  writeFileSync(recordsFile, JSON.stringify({ [DATASET]: { [subject]: { household: 'H-1017', members: 4, district: 'Harbour' } } }), { mode: 0o600 });

  const deptB = new DepartmentClient(new HubClient(o.requester.rpcUrls[0]), hub);
  const requestId = await deptB.request(opB, { dstChain: A, dataset: DATASET, purpose: PURPOSE, subject, records: 1, recipientKey: 'node-1', grantId: g.grantId });
  say(`  ${B} sent request ${requestId}`);
  const allowed = await until(`the hub's decision on ${requestId}`, async () => (await sharing.request(requestId).catch(() => undefined)) ?? undefined);
  say(`  hub allowed it by rule ${allowed.rule}, consent ${short(allowed.grantId ?? '')} active; audited`);
  await until(`${requestId} pending at ${A}`, async () => ((await o.source.inbound(requestId))?.status === 'pending' ? true : undefined), 120_000);
  const records = JSON.parse(readFileSync(recordsFile, 'utf8')) as Record<string, Record<string, unknown>>;
  const { msg } = await prepareAnswer({ profile: 'intl', chainId: A, requestId, readers: o.source.readers(hub), lookup: async (req) => utf8(JSON.stringify(records[req.request.dataset]?.[req.request.subject])) });
  await o.source.submitAnswer(msg);
  say(`  ${A}'s agent proved the hub's records at its hub client's height, decided again, and answered sealed to ${B}/node-1; ${A}'s chain checked every proof before the answer left`);
  const ans = await until(`the answer on ${B}`, async () => (await deptB.answer(requestId)) ?? undefined, 120_000);
  const released = await sharing.request(requestId);
  say(`  answer on ${B}: ${fromHex(ans.envelope!).length} bytes of ciphertext; the hub recorded release ${short(released.release!.envelopeHash)} with commitment ${short(ans.commitment!)}`);
  const plain = await deptB.fetchAnswer({ operator: opB, requestId, keyId: 'node-1', secretKey: bKeys.secretKey('node-1') });
  say(`  opened at ${B}'s node: ${plain.length} bytes, matching the committed hash; decrypt receipt recorded on the hub`);
  try {
    openAnswer('intl', requestId, { chain: B, keyId: 'node-1', secretKey: thirdKeys.secretKey('node-1') }, ans.envelope!, ans.commitment!);
    say('  UNEXPECTED: a third node opened the answer');
    throw new Error('a third node opened the answer');
  } catch (e) {
    if (!hasCode(e, 'PNT_ERR_DATA_DECRYPT')) throw e;
    say('  a third node with its own key cannot open it (PNT_ERR_DATA_DECRYPT)');
  }

  await sharing.revoke(opB, g.grantId, signRevocation('intl', citizenKeys.secretKey('citizen'), g.grantId));
  say(`  citizen revoked consent ${short(g.grantId)}`);
  const second = await deptB.request(opB, { dstChain: A, dataset: DATASET, purpose: PURPOSE, subject, records: 1, recipientKey: 'node-1', grantId: g.grantId });
  const refused = await until(`the refusal of ${second}`, async () => {
    const out = await deptB.outbound(second);
    return out?.status === 'refused' ? out : undefined;
  }, 120_000);
  say(`  the next request ${second} was refused: ${refused.code} (error acknowledgement to ${B}; audited on the hub)`);

  const r = await verifyAuditFromGenesis({ client: hub, genesis: loadHome(o.hub.homes[0]).genesis });
  say(`  pontis audit verify (trusting only the hub genesis): ${r.ok ? 'clean' : 'FINDINGS'}: ${r.events} events, ${r.releases} release(s), checkpoints at heights ${r.first.height} and ${r.second.height}`);
  say(`  ${JSON.stringify({ audit: 'verify', ok: r.ok, events: r.events, releases: r.releases, findings: r.findings.length })}`);
  if (!r.ok) throw new Error(`audit verify found: ${r.findings.map((f) => f.reason).join(', ')}`);
}
