/**
 * `pontis data ...`, `pontis consent ...`, `pontis attest ...` and `pontis audit ...`: the data-sharing layer from a
 * terminal. Department commands sign with a home's operator key (`--home`); citizens' and nodes'
 * secret keys live in a keystore file (`--keystore`, passphrase from PONTIS_KEYSTORE_PASSPHRASE or
 * `--passphrase-file`) and never leave it. `audit verify` trusts only a genesis file and ends with
 * one JSON line of what it checked and found (exit status 1 when it found anything).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Hex, fromHex, isHex, toHex, utf8 } from '../crypto/bytes.ts';
import { type HubAttestationStatus, attestKeys, hubAttestationStatus } from '../modules/attest/issuers.ts';
import { type AccountKey, generateAccountKey } from '../crypto/ed25519.ts';
import { Keystore } from '../crypto/keystore.ts';
import { PontisError } from '../errors.ts';
import { parseGenesis } from '../app/genesis.ts';
import { HubClient } from '../rpc-client/client.ts';
import { type SavedCheckpoint, verifyAuditFromGenesis } from '../rpc-client/audit.ts';
import { DataSharingClient, DepartmentClient, signGrant, signRevocation } from '../rpc-client/data.ts';
import type { InboundRequest } from '../modules/data-sharing/spoke.ts';
import { DATA_ERR, SENSITIVITY, type AccessRule, type DataProfile } from '../modules/data-sharing/types.ts';
import { type CliDeps, proposeAction } from './chain.ts';

const DAY = 86_400_000;
const profileOpt = () => new Option('--profile <p>', 'cryptography profile of the deployment').choices(['intl', 'sm']).default('intl');
const spokeOpt = () => new Option('--spoke <url>', 'RPC URL of the department chain (a Pontis side-chain)').makeOptionMandatory();
const hexArg = (name: string, bytes?: number) => (v: string) => {
  if (!isHex(v, bytes)) throw new InvalidArgumentError(`${name} must be 0x hex${bytes ? ` of ${bytes} bytes` : ''}`);
  return v.toLowerCase() as Hex;
};
const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
  return n;
};

function passphrase(o: { passphraseFile?: string }): string {
  // only the CLI reads the environment; the keystore is given the passphrase
  const p = o.passphraseFile ? readFileSync(o.passphraseFile, 'utf8').trimEnd() : process.env.PONTIS_KEYSTORE_PASSPHRASE;
  if (!p) throw new PontisError('PNT_ERR_KEYSTORE_PASSPHRASE', 'give the keystore passphrase in PONTIS_KEYSTORE_PASSPHRASE or with --passphrase-file');
  return p;
}

async function keystore(o: { keystore: string; passphraseFile?: string }, create = false): Promise<Keystore> {
  if (create && !existsSync(o.keystore)) return Keystore.create(o.keystore, passphrase(o));
  return Keystore.open(o.keystore, passphrase(o));
}

const withKeystore = (c: Command) => c.requiredOption('--keystore <file>', 'keystore file (created if missing where keys are generated)').option('--passphrase-file <file>', 'file holding the keystore passphrase');

export function addDataCommands(program: Command, deps: CliDeps): void {
  const { print } = deps;
  const node = deps.nodeOption;
  const signer = (o: { home?: string }): AccountKey => (o.home ? deps.operatorKey(o.home) : generateAccountKey());

  const data = program.command('data').description('government data sharing: departments, catalog, policy, node keys, requests and answers');
  data
    .command('department')
    .description('departments on the hub (governance)')
    .command('register')
    .description('propose (hub governance) registering a department: its chain, the hub accounts that act for it, and on Fabric the MSPs that answer for it')
    .requiredOption('--home <dir>', 'home of a hub governance member (its operator key proposes)')
    .requiredOption('--chain <chain>', "the department's chain id")
    .requiredOption('--org <name>', 'the organisation')
    .requiredOption('--operator <address...>', 'hub addresses that act for the department (repeatable)')
    .option('--msp <id...>', 'Fabric MSPs whose members answer for it on its channel (repeatable)')
    .option('--regulator', "a regulator: its node keys may be named as answers' second recipients")
    .option('--node <url>', "RPC URL of the hub (default: the home's own node)")
    .option('--description <text>', 'why (stored with the proposal)')
    .action((o) =>
      proposeAction(deps, o, { kind: 'data/register-department', chain: o.chain, org: o.org, operators: o.operator, ...(o.msp ? { msps: o.msp } : {}), regulator: !!o.regulator }),
    );
  const catalog = data.command('catalog').description('what departments hold');
  catalog
    .command('add')
    .description('register a dataset your department holds (signed by an operator of the owning department)')
    .requiredOption('--home <dir>', 'home holding an operator key of the owning department')
    .requiredOption('--id <id>', 'dataset id')
    .requiredOption('--owner-chain <chain>', 'the department chain that holds it')
    .requiredOption('--class <class>', 'data class (household, credit, judicial, ...)')
    .requiredOption('--schema-hash <hex>', 'hash of the record schema (32 bytes)', hexArg('--schema-hash', 32))
    .addOption(new Option('--sensitivity <s>', 'sensitivity').choices([...SENSITIVITY]).default('confidential'))
    .option('--consent-required', 'requests need the subject\'s consent')
    .addOption(node())
    .action(async (o) => {
      const r = await new DataSharingClient(new HubClient(o.node)).catalogAdd(deps.operatorKey(o.home), { id: o.id, ownerChain: o.ownerChain, dataClass: o.class, schemaHash: o.schemaHash, sensitivity: o.sensitivity, consentRequired: !!o.consentRequired });
      print({ ok: true, dataset: o.id, height: r.height, tx: r.hash });
    });
  catalog.command('list').description('every dataset in the catalog').addOption(node()).action(async (o) => print(await new DataSharingClient(new HubClient(o.node)).catalog()));
  catalog.command('show').description('one dataset').argument('<id>').addOption(node()).action(async (id, o) => print(await new DataSharingClient(new HubClient(o.node)).dataset(id)));

  data
    .command('policy')
    .description("a dataset's or data class's access rules")
    .command('set')
    .description('replace the access rules of a dataset or of your department\'s data class (empty list: remove)')
    .requiredOption('--home <dir>', 'home holding an operator key of the owning department')
    .requiredOption('--owner-chain <chain>', 'the owning department chain')
    .option('--dataset <id>', 'rules for this dataset')
    .option('--class <class>', 'rules for this data class of the owner')
    .requiredOption('--rules <json>', 'JSON list of rules, or @file: {id, effect, requester, purposes, consentRequired, notBefore, notAfter, maxRecords}')
    .addOption(node())
    .action(async (o) => {
      const text = o.rules.startsWith('@') ? readFileSync(o.rules.slice(1), 'utf8') : o.rules;
      let rules: AccessRule[];
      try {
        rules = JSON.parse(text);
      } catch {
        throw new InvalidArgumentError('--rules must be JSON (or @file holding JSON)');
      }
      const r = await new DataSharingClient(new HubClient(o.node)).setPolicy(deps.operatorKey(o.home), { ownerChain: o.ownerChain, ...(o.dataset ? { dataset: o.dataset } : {}), ...(o.class ? { dataClass: o.class } : {}), rules });
      print({ ok: true, height: r.height, tx: r.hash });
    });

  const key = data.command('key').description("a department node's encryption keys");
  withKeystore(key.command('generate').description('make an encryption key in the node keystore; prints its public key'))
    .requiredOption('--key-id <id>', 'key id')
    .addOption(profileOpt())
    .action(async (o) => {
      const ks = await keystore(o, true);
      print({ keyId: o.keyId, profile: o.profile, publicKey: toHex(ks.generate(o.keyId, o.profile as DataProfile, 'encryption')) });
    });
  withKeystore(key.command('register').description('register a keystore key as a node key of your department on the hub (signed by an operator)'))
    .requiredOption('--home <dir>', 'home holding an operator key of the department')
    .requiredOption('--chain <chain>', 'the department chain')
    .requiredOption('--key-id <id>', 'key id (in the keystore)')
    .addOption(node())
    .action(async (o) => {
      const ks = await keystore(o);
      const r = await new DataSharingClient(new HubClient(o.node)).registerNodeKey(deps.operatorKey(o.home), o.chain, o.keyId, ks.publicKey(o.keyId));
      print({ ok: true, chain: o.chain, keyId: o.keyId, height: r.height });
    });
  key
    .command('retire')
    .description('stop new answers to a node key (what was sealed to it stays readable with it)')
    .requiredOption('--home <dir>', 'home holding an operator key of the department')
    .requiredOption('--chain <chain>', 'the department chain')
    .requiredOption('--key-id <id>', 'key id')
    .addOption(node())
    .action(async (o) => print({ ok: true, height: (await new DataSharingClient(new HubClient(o.node)).retireNodeKey(deps.operatorKey(o.home), o.chain, o.keyId)).height }));

  data
    .command('request')
    .description("ask another department for a subject's records, for a purpose (sent from your department chain)")
    .addOption(spokeOpt())
    .requiredOption('--home <dir>', 'home whose operator key signs on the department chain')
    .requiredOption('--dst-chain <chain>', 'the department that holds the dataset')
    .requiredOption('--dataset <id>', 'dataset id')
    .requiredOption('--purpose <purpose>', 'stated purpose')
    .requiredOption('--subject <hex>', "the subject's public key", hexArg('--subject'))
    .requiredOption('--recipient-key <id>', "your node's registered key id")
    .option('--records <n>', 'records asked', intArg('--records', 1, 1000), 1)
    .option('--grant-id <hex>', 'the consent grant the request rests on', hexArg('--grant-id', 32))
    .addOption(node())
    .action(async (o) => {
      const dept = new DepartmentClient(new HubClient(o.spoke), new HubClient(o.node));
      const requestId = await dept.request(deps.operatorKey(o.home), { dstChain: o.dstChain, dataset: o.dataset, purpose: o.purpose, subject: o.subject, records: o.records, recipientKey: o.recipientKey, ...(o.grantId ? { grantId: o.grantId } : {}) });
      print({ ok: true, requestId });
    });
  data
    .command('answer')
    .description("answer a pending request from the department's records file (JSON: {dataset: {subject: record}}); refuses when policy, consent or the records say so")
    .addOption(spokeOpt())
    .requiredOption('--home <dir>', 'home holding an operator key of the answering department')
    .requiredOption('--request <id>', 'request id (<chain>:<sequence>)')
    .requiredOption('--records-file <file>', "the department's records")
    .addOption(profileOpt())
    .addOption(node())
    .action(async (o) => {
      const records = JSON.parse(readFileSync(o.recordsFile, 'utf8')) as Record<string, Record<string, unknown>>;
      const lookup = async (req: InboundRequest) => {
        const rec = records[req.request.dataset]?.[req.request.subject];
        return rec === undefined ? { refused: DATA_ERR.NO_RECORD } : utf8(JSON.stringify(rec));
      };
      const dept = new DepartmentClient(new HubClient(o.spoke), new HubClient(o.node), o.profile);
      print({ ok: true, requestId: o.request, ...(await dept.answerRequest(deps.operatorKey(o.home), o.request, lookup)) });
    });
  withKeystore(data.command('fetch').description('open an answer at this node with its keystore key, and record the decrypt receipt on the hub'))
    .addOption(spokeOpt())
    .requiredOption('--home <dir>', 'home holding an operator key of the requesting department')
    .requiredOption('--request <id>', 'request id')
    .requiredOption('--key-id <id>', 'the node key the answer was sealed to')
    .option('--out <file>', 'write the record here instead of printing it')
    .addOption(profileOpt())
    .addOption(node())
    .action(async (o) => {
      const ks = await keystore(o);
      const dept = new DepartmentClient(new HubClient(o.spoke), new HubClient(o.node), o.profile);
      const plain = await dept.fetchAnswer({ operator: deps.operatorKey(o.home), requestId: o.request, keyId: o.keyId, secretKey: ks.secretKey(o.keyId) });
      if (o.out) {
        writeFileSync(o.out, plain, { mode: 0o600 });
        print({ ok: true, requestId: o.request, bytes: plain.length, out: o.out });
      } else process.stdout.write(Buffer.from(plain).toString('utf8') + '\n');
    });
  data.command('show-request').description("the hub's record of a request").argument('<id>').addOption(node()).action(async (id, o) => print(await new DataSharingClient(new HubClient(o.node)).request(id)));

  const consent = program.command('consent').description("a citizen's consent: grant, revoke, list");
  withKeystore(consent.command('key').description("make a citizen's signing key in a keystore; prints the public key (the subject id)"))
    .requiredOption('--key-id <id>', 'key id')
    .addOption(profileOpt())
    .action(async (o) => {
      const ks = await keystore(o, true);
      print({ keyId: o.keyId, subject: toHex(ks.generate(o.keyId, o.profile as DataProfile, 'signing')) });
    });
  withKeystore(consent.command('grant').description('sign a grant with the subject key and record it on the hub'))
    .requiredOption('--key-id <id>', "the subject's key in the keystore")
    .option('--dataset <id>', 'the dataset the grant covers')
    .option('--class <owner:class>', "a data class of an owner, e.g. gov:household")
    .requiredOption('--requester <chain>', 'the department allowed to ask')
    .requiredOption('--purpose <purpose>', 'the purpose allowed')
    .option('--expires-in-days <n>', 'lifetime', intArg('--expires-in-days', 1, 3650), 30)
    .option('--home <dir>', 'carry it with this home\'s operator key (default: a one-off account)')
    .addOption(profileOpt())
    .addOption(node())
    .action(async (o) => {
      if (!!o.dataset === !!o.class) throw new InvalidArgumentError('give exactly one of --dataset or --class');
      const ks = await keystore(o);
      const g = signGrant(o.profile, ks.secretKey(o.keyId), { scope: o.dataset ? `dataset:${o.dataset}` : `class:${o.class}`, requester: o.requester, purpose: o.purpose, expiresAt: Date.now() + o.expiresInDays * DAY, nonce: toHex(crypto.getRandomValues(new Uint8Array(12))).slice(2) });
      const r = await new DataSharingClient(new HubClient(o.node), o.profile).grant(signer(o), g);
      print({ ok: true, grantId: g.grantId, expiresAt: g.grant.expiresAt, height: r.height });
    });
  withKeystore(consent.command('revoke').description('revoke a grant (signed by the subject key)'))
    .requiredOption('--key-id <id>', "the subject's key in the keystore")
    .requiredOption('--grant-id <hex>', 'grant id', hexArg('--grant-id', 32))
    .option('--home <dir>', "carry it with this home's operator key (default: a one-off account)")
    .addOption(profileOpt())
    .addOption(node())
    .action(async (o) => {
      const ks = await keystore(o);
      const r = await new DataSharingClient(new HubClient(o.node), o.profile).revoke(signer(o), o.grantId, signRevocation(o.profile, ks.secretKey(o.keyId), o.grantId));
      print({ ok: true, grantId: o.grantId, height: r.height });
    });
  consent
    .command('list')
    .description("a subject's grants and their status")
    .requiredOption('--subject <hex>', "the subject's public key", hexArg('--subject'))
    .addOption(node())
    .action(async (o) => print(await new DataSharingClient(new HubClient(o.node)).consents(o.subject)));

  const attest = program.command('attest').description('typed attestations: issuers per kind (hub governance) and the status the hub keeps');
  const issuer = attest.command('issuer').description("who may issue a kind of attestation (a kind with a registered issuer is closed to everyone else)");
  for (const [verb, kind, what] of [
    ['register', 'attest/register-issuer', 'propose registering an issuer of a kind'],
    ['retire', 'attest/retire-issuer', 'propose retiring an issuer (the kind stays closed)'],
  ] as const) {
    issuer
      .command(verb)
      .description(what)
      .requiredOption('--home <dir>', 'home of a hub governance member (its operator key proposes)')
      .requiredOption('--type <kind>', 'the attestation kind, e.g. judicial-evidence')
      .requiredOption('--chain <chain>', 'the issuing chain')
      .requiredOption('--issuer <name>', 'the issuer as the chain names it (an MSP id on Fabric, a contract address on EVM)')
      .option('--node <url>', "RPC URL of the hub (default: the home's own node)")
      .action((o) => proposeAction(deps, o, { kind, type: o.type, chain: o.chain, issuer: o.issuer }));
  }
  attest
    .command('status')
    .description("an attestation's status in hub state (valid, revoked, expired), with the height it was read at")
    .requiredOption('--chain <chain>', 'the issuing chain')
    .requiredOption('--issuer <name>', 'the issuer')
    .requiredOption('--subject <hex>', 'the subject (content hash)', hexArg('--subject', 32))
    .addOption(node())
    .action(async (o) => {
      const r = await new HubClient(o.node).state({ hex: toHex(attestKeys.status(o.chain, o.issuer, o.subject)) });
      if (r.value === null) throw new PontisError('PNT_ERR_RPC_NOT_FOUND', `the hub forwarded no attestation of ${o.subject} by ${o.issuer} of ${o.chain}`);
      const rec = JSON.parse(Buffer.from(fromHex(r.value)).toString('utf8')) as HubAttestationStatus;
      print({ ...rec, status: hubAttestationStatus(rec, Date.now()), recordedAt: rec.height, readAt: r.height });
    });

  const audit = program.command('audit').description('the audit log of data sharing (RFC 9162 Merkle log in hub state)');
  audit
    .command('tail')
    .description('the last events')
    .option('-n <count>', 'how many', intArg('-n', 1, 10_000), 20)
    .addOption(node())
    .action(async (o) => {
      const hub = new HubClient(o.node);
      const head = await hub.get<{ size: number }>('/audit/head');
      const from = Math.max(0, head.size - o.n);
      const page = await hub.get<{ events: string[] }>(`/audit/events?from=${from}&limit=${o.n}`);
      for (const e of page.events) process.stdout.write(e + '\n');
    });
  audit
    .command('export')
    .description('every event as JSON lines (unverified: check with `audit verify`)')
    .requiredOption('--out <file>', 'output file')
    .addOption(node())
    .action(async (o) => {
      const hub = new HubClient(o.node);
      const head = await hub.get<{ size: number; root: Hex; height: number }>('/audit/head');
      const lines: string[] = [];
      while (lines.length < head.size) lines.push(...(await hub.get<{ events: string[] }>(`/audit/events?from=${lines.length}&limit=10000`)).events);
      writeFileSync(o.out, lines.slice(0, head.size).map((l) => l + '\n').join(''));
      print({ ok: true, events: head.size, root: head.root, height: head.height, out: o.out });
    });
  audit
    .command('verify')
    .description('verify the log from a genesis trust root: headers by light client, checkpoints by state proof, every event, consistency, and that every release was allowed with active consent')
    .requiredOption('--trust <file>', "the hub's genesis.json (its chain id and first validators are all that is trusted)")
    .option('--first <height>', 'height of the first checkpoint (default: half way)', intArg('--first', 1, Number.MAX_SAFE_INTEGER))
    .option('--second <height>', 'height of the second checkpoint (default: latest)', intArg('--second', 1, Number.MAX_SAFE_INTEGER))
    .option('--checkpoint <file>', 'a checkpoint saved by an earlier run (log size, root, header hash): the first checkpoint and the light client\'s trust root; the new one is written back after a clean run')
    .addOption(node())
    .action(async (o) => {
      const genesis = parseGenesis(JSON.parse(readFileSync(o.trust, 'utf8')));
      const since = o.checkpoint && existsSync(o.checkpoint) ? (JSON.parse(readFileSync(o.checkpoint, 'utf8')) as SavedCheckpoint) : undefined;
      const r = await verifyAuditFromGenesis({ client: new HubClient(o.node), genesis, firstHeight: o.first, secondHeight: o.second, since });
      for (const f of r.findings) process.stderr.write(`finding ${f.reason}${f.index !== undefined ? ` at event ${f.index}` : ''}: ${f.detail}\n`);
      if (o.checkpoint && r.ok) writeFileSync(o.checkpoint, JSON.stringify(r.checkpoint) + '\n');
      process.stdout.write(
        JSON.stringify({ audit: 'verify', ok: r.ok, chainId: r.trust.chainId, trustedFrom: r.trust.rootHeight, profile: r.profile, first: r.first, second: r.second, events: r.events, releases: r.releases, byType: r.byType, findings: r.findings.length, reasons: [...new Set(r.findings.map((f) => f.reason))], events_per_s: r.timings.eventsPerSecond }) + '\n',
      );
      if (!r.ok) process.exitCode = 1;
    });
}
