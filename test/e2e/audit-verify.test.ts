/**
 * `pontis audit verify` as a supervisor runs it: a CLI process that trusts only the hub's genesis
 * file, against real validator processes, and against a node (here a proxy in front of one) that
 * drops, reorders or alters an event, forks the log, or serves a history that disagrees with a
 * checkpoint the supervisor saved earlier. The other data-sharing commands a department operator
 * and a citizen type run here too, on the same hub.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../hub-chain/crypto/bytes.ts';
import { accountKeyFromSeed } from '../../hub-chain/crypto/ed25519.ts';
import { paths, loadHome } from '../../hub-chain/node/config.ts';
import { Testnet } from './harness.ts';

const BIN = resolve(import.meta.dirname, '../../bin/pontis.js');
let net: Testnet;
let dir: string;
let trust: string;
let proxy: Server;
let proxyUrl: string;
/** Where the log held its first events (a first checkpoint with something to be consistent with). */
let catalogHeight = 0;
let mode: 'pass' | 'drop' | 'reorder' | 'alter' | 'fork' = 'pass';

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 90_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

/** Forwards to node 0; rewrites what the mode says. */
function startProxy(target: string): Promise<void> {
  proxy = createServer(async (req, res) => {
    const r = await fetch(target + req.url!);
    let body = await r.text();
    if (req.url!.startsWith('/audit/events') && mode !== 'pass' && mode !== 'fork') {
      const j = JSON.parse(body) as { events: string[] };
      const e = j.events;
      if (mode === 'drop') e.splice(2, 1);
      if (mode === 'reorder') [e[1], e[2]] = [e[2], e[1]];
      if (mode === 'alter') {
        const at = e.findIndex((x) => x.includes('"purpose":"benefit-eligibility"'));
        e[at] = e[at].replace('"purpose":"benefit-eligibility"', '"purpose":"benefit-eligibilitx"');
      }
      body = JSON.stringify(j);
    }
    if (req.url!.startsWith('/audit/consistency') && mode === 'fork') {
      const j = JSON.parse(body) as { proof: string[] };
      j.proof = j.proof.map((p, i) => (i === 0 ? `0x${p[2] === 'f' ? '0' : 'f'}${p.slice(3)}` : p));
      body = JSON.stringify(j);
    }
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(body);
  });
  return new Promise((r) =>
    proxy.listen(0, '127.0.0.1', () => {
      proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      r();
    }),
  );
}

beforeAll(async () => {
  net = await Testnet.create(2);
  await net.startAll();
  dir = mkdtempSync(join(tmpdir(), 'pontis-audit-'));
  trust = paths(net.homes[0]).genesis;
  // hub governance from the CLI: member 0 proposes, member 1 votes (2 of 2 needed)
  const member0 = accountKeyFromSeed(fromHex(loadHome(net.homes[0]).operatorKey!.seed, 32));
  const node = ['--node', net.rpcUrls[0]];
  for (const propose of [
    ['data', 'department', 'register', '--home', net.homes[0], '--chain', 'dept-a', '--org', 'records office', '--operator', member0.address],
    ['attest', 'issuer', 'register', '--home', net.homes[0], '--type', 'judicial-evidence', '--chain', 'gov', '--issuer', 'Org1MSP'],
  ]) {
    const p = await cli([...propose, ...node]);
    expect(p.code, p.stderr).toBe(0);
    const { proposal, status } = JSON.parse(p.stdout);
    expect(status).toBe('voting');
    const v = await cli(['gov', 'vote', '--home', net.homes[1], '--proposal', String(proposal), ...node]);
    expect(v.code, v.stderr).toBe(0);
    expect((await net.clients[0].proposal(proposal)).status).toBe('executed');
  }
  await startProxy(net.rpcUrls[0]);
}, 120_000);

afterAll(async () => {
  proxy?.close();
  await net?.destroy();
});

describe('data-sharing commands and audit verify on real validator processes', () => {
  it('behavior: a department lists a dataset and its rules, a citizen grants and revokes consent, all from the CLI', async () => {
    const home = net.homes[0];
    const node = ['--node', net.rpcUrls[0]];
    let r = await cli(['data', 'catalog', 'add', '--home', home, '--id', 'household-registry', '--owner-chain', 'dept-a', '--class', 'household', '--schema-hash', toHex(new Uint8Array(32).fill(3)), '--consent-required', ...node]);
    expect(r.code, r.stderr).toBe(0);
    const rules = JSON.stringify([{ id: 'benefits', effect: 'allow', requester: 'dept-b', purposes: ['benefit-eligibility'], consentRequired: true, notBefore: 0, notAfter: 0, maxRecords: 1 }]);
    catalogHeight = JSON.parse(r.stdout).height;
    r = await cli(['data', 'policy', 'set', '--home', home, '--owner-chain', 'dept-a', '--dataset', 'household-registry', '--rules', rules, ...node]);
    expect(r.code, r.stderr).toBe(0);
    r = await cli(['data', 'catalog', 'show', 'household-registry', ...node]);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'household-registry', ownerChain: 'dept-a', ownerOrg: 'records office', consentRequired: true });
    const env = { PONTIS_KEYSTORE_PASSPHRASE: 'correct horse battery staple' };
    const ks = join(dir, 'citizen.json');
    r = await cli(['consent', 'key', '--keystore', ks, '--key-id', 'me'], env);
    const { subject } = JSON.parse(r.stdout);
    r = await cli(['consent', 'grant', '--keystore', ks, '--key-id', 'me', '--dataset', 'household-registry', '--requester', 'dept-b', '--purpose', 'benefit-eligibility', ...node], env);
    expect(r.code, r.stderr).toBe(0);
    const { grantId } = JSON.parse(r.stdout);
    r = await cli(['consent', 'revoke', '--keystore', ks, '--key-id', 'me', '--grant-id', grantId, ...node], env);
    expect(r.code, r.stderr).toBe(0);
    r = await cli(['consent', 'list', '--subject', subject, ...node]);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ grantId, status: 'revoked' })]);
    r = await cli(['consent', 'grant', '--keystore', ks, '--key-id', 'me', '--dataset', 'household-registry', '--requester', 'dept-b', '--purpose', 'benefit-eligibility', ...node], { PONTIS_KEYSTORE_PASSPHRASE: 'wrong' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PNT_ERR_KEYSTORE_PASSPHRASE');
    r = await cli(['attest', 'status', '--chain', 'gov', '--issuer', 'Org1MSP', '--subject', toHex(new Uint8Array(32).fill(1)), ...node]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PNT_ERR_RPC_NOT_FOUND');
    r = await cli(['audit', 'tail', '-n', '3', ...node]);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['policy-set', 'consent-grant', 'consent-revoke']);
  }, 120_000);

  it('behavior: audit verify against an honest node ends with one JSON line: ok, every event checked', async () => {
    const r = await cli(['audit', 'verify', '--node', net.rpcUrls[0], '--trust', trust]);
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j).toMatchObject({ audit: 'verify', ok: true, findings: 0, events: 6, byType: { department: 1, 'attestation-issuer': 1, 'catalog-add': 1, 'policy-set': 1, 'consent-grant': 1, 'consent-revoke': 1 } });
    expect(j.second.size).toBe(6);
  }, 60_000);

  for (const [m, reasons] of [
    ['drop', ['root-mismatch', 'event-index']],
    ['reorder', ['root-mismatch', 'event-index']],
    ['alter', ['root-mismatch']],
    ['fork', ['fork']],
  ] as const) {
    it(`error: a node that serves a log with one event ${{ drop: 'dropped', reorder: 'reordered', alter: 'altered', fork: 'forked between the checkpoints' }[m]} fails verify with ${reasons.join(', ')}`, async () => {
      mode = m;
      try {
        const r = await cli(['audit', 'verify', '--node', proxyUrl, '--trust', trust, '--first', String(catalogHeight)]);
        expect(r.code).toBe(1);
        const j = lastJson(r.stdout);
        expect(j.ok).toBe(false);
        expect(j.reasons).toEqual(expect.arrayContaining([...reasons]));
        expect(r.stderr).toMatch(/finding \w/);
      } finally {
        mode = 'pass';
      }
    }, 60_000);
  }

  it('behavior: a clean run saves its checkpoint with the header hash and the next run trusts that header; error: a history or header that disagrees with it fails', async () => {
    const cp = join(dir, 'checkpoint.json');
    let r = await cli(['audit', 'verify', '--node', net.rpcUrls[0], '--trust', trust, '--checkpoint', cp]);
    expect(r.code, r.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(cp, 'utf8'));
    expect(saved).toMatchObject({ size: 6, headerHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    // the next run starts its light client from the saved header, not from genesis
    r = await cli(['audit', 'verify', '--node', net.rpcUrls[0], '--trust', trust, '--checkpoint', cp]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ ok: true, trustedFrom: saved.height, first: { height: saved.height, size: 6, root: saved.root } });
    const next = JSON.parse(readFileSync(cp, 'utf8'));
    writeFileSync(cp, JSON.stringify({ ...next, root: toHex(new Uint8Array(32).fill(7)) }));
    r = await cli(['audit', 'verify', '--node', net.rpcUrls[0], '--trust', trust, '--checkpoint', cp]);
    expect(r.code).toBe(1);
    expect(lastJson(r.stdout).reasons).toContain('fork');
    // a saved header hash the chain does not have: the light client refuses to start from it
    writeFileSync(cp, JSON.stringify({ ...next, headerHash: toHex(new Uint8Array(32).fill(8)) }));
    r = await cli(['audit', 'verify', '--node', net.rpcUrls[0], '--trust', trust, '--checkpoint', cp]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error PNT_ERR_/);
  }, 60_000);

  it('error: a trust file of another chain is refused before anything is read', async () => {
    const other = JSON.parse(readFileSync(trust, 'utf8'));
    const f = join(dir, 'other-genesis.json');
    writeFileSync(f, JSON.stringify({ ...other, chainId: 'another-hub' }));
    const r = await cli(['audit', 'verify', '--node', net.rpcUrls[0], '--trust', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PNT_ERR_BLOCK_NOT_VERIFIED');
  }, 60_000);
});
