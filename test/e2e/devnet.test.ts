/**
 * The README's main command, as a new user runs it: `pontis devnet` starts the hub, two Pontis
 * side-chains and two anvil chains as processes, the government chain on the Fabric network stand-in,
 * the Substrate chain sub-1 on chopsticks (its validators' co-signers in the devnet process), relays with BullMQ workers on the local Redis,
 * and runs the whole sample flow; `--blocks 0` makes it stop once the flow is done. The test
 * checks that it exits 0 having printed each stage's outcome, each process it started (PID, ports,
 * log), and the relayer's keys file (mode 0600, its path printed, no key in the output or the log).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { RedisServer, withRedis } from '../support/redis.ts';
import { freePortRange } from '../support/ports.ts';

/** The household record the source's agent answers with in the data-sharing flow (devnet/data-flow.ts): it may exist only in gov's own records file (the source department's store). */
const PLAINTEXT = ['H-1017', '"district":"Harbour"'];
const needles = PLAINTEXT.flatMap((t) => [Buffer.from(t), Buffer.from(Buffer.from(t).toString('hex')), Buffer.from(Buffer.from(t).toString('base64').slice(0, 8))]);
const holds = (b: Buffer) => needles.some((n) => b.includes(n));
const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));

/** Every value in Redis, whatever its type (BullMQ keeps jobs in hashes, lists, sorted sets and streams). */
async function redisBytes(url: string): Promise<{ keys: number; bytes: Buffer }> {
  return withRedis(url, async (c) => {
    const keys = await c.keys('*');
    const parts: Buffer[] = [];
    for (const k of keys) {
      const t = await c.type(k);
      const v =
        t === 'string' ? [await c.getBuffer(k)]
        : t === 'hash' ? Object.values(await c.hgetallBuffer(k))
        : t === 'list' ? await c.lrangeBuffer(k, 0, -1)
        : t === 'set' ? await c.smembersBuffer(k)
        : t === 'zset' ? await c.zrangeBuffer(k, '0', '-1')
        : t === 'stream' ? [Buffer.from(JSON.stringify(await c.xrange(k, '-', '+')))]
        : [];
      parts.push(Buffer.from(k), ...v.filter((x): x is Buffer => x !== null));
    }
    return { keys: keys.length, bytes: Buffer.concat(parts) };
  });
}

const BIN = resolve(import.meta.dirname, '../../bin/pontis.js');

it('behavior: `pontis devnet --blocks 0` runs the whole sample flow on real processes and exits 0', async () => {
  // a free port range of its own: validators, side-chains, relayer API, anvil chains, the Fabric
  // stand-in and chopsticks use base .. base+13, peer links base+1000 .. base+1005
  const base = await freePortRange([...Array.from({ length: 14 }, (_, i) => i), ...Array.from({ length: 6 }, (_, i) => 1000 + i)]);
  const home = mkdtempSync(join(tmpdir(), 'pontis-devnet-e2e-'));
  const redis = await RedisServer.start();
  const child = spawn(process.execPath, [BIN, 'devnet', '--blocks', '0', '--base-port', String(base), '--home', home], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PONTIS_REDIS_URL: redis.url } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  expect(out, out).toContain('sample flow done');
  expect(code).toBe(0);
  expect(out).toContain('relayer workers (BullMQ');
  expect(out).toMatch(/paths path-dept-a, path-dept-b, path-evm-a, path-evm-b, path-gov, path-sub-1/);
  expect(out).toContain('dept-b inbox holds it; dept-a records the outcome: delivered');
  expect(out).toContain("EchoApp recorded it");
  expect(out).toMatch(/round trip done: evm-a escrow for evm-b 0, evm-b wrapped supply 0/);
  expect(out).toContain('AttestationVerifier recorded the revocation; isValid = false');
  // the government chain on Fabric: an attestation valid on evm-b and dept-a, then revoked; a record request answered, one refused
  expect(out).toContain('evm-b: AttestationVerifier isValid = true (issuer Org1MSP of gov');
  expect(out).toContain('dept-a: attest app holds it from gov/attest, issuer Org1MSP: valid');
  expect(out).toContain('dept-a: attest app status revoked');
  expect(out).toMatch(/governance registered Org1MSP of gov as the issuer of judicial-evidence attestations/);
  expect(out).toMatch(/pontis-hub-1: status valid in hub state, its proof checked against header \d+'s state root/);
  expect(out).toContain('pontis-hub-1: status revoked in hub state');
  expect(out).toMatch(/dept-a: acknowledgement carries the record: \{"data":"0x[0-9a-f]+","id":"household-42","owner":"Org1MSP"\}/);
  expect(out).toContain('dept-a: error acknowledgement PNT_ERR_RECORDS_ACCESS_DENIED');
  // Substrate: sub-1 -> hub -> dept-b with dept-b's ack on the hub; dept-a -> hub -> sub-1 executed by 3 of the 4 validators' multisig
  expect(out).toMatch(/pontis-hub-1 registered sub-1 \(governance proposal \d+; a substrate client attested by the hub's validators, stride 1/);
  expect(out).toMatch(/remarked on sub-1: packet sub-1\/msg\/dept-b\/msg\/1 in block \d+/);
  expect(out).toContain('dept-b inbox holds it (from sub-1/msg');
  expect(out).toContain("pontis-hub-1 holds dept-b's ack (ok) for sub-1");
  expect(out).toMatch(/co-signer of validator \d: asMulti with the call, which executed it/);
  expect(out).toMatch(/sub-1: the multisig \S+ remarked pkt\/rcpt\/dept-a\/msg\/sub-1\/msg\/\d+, pkt\/ack\/dept-a\/msg\/sub-1\/msg\/\d+, pkt\/ack-data\/dept-a\/msg\/sub-1\/msg\/\d+ in block \d+ \(3 of 4 validators/);
  expect(out).toContain("the ack came back by the multisig's remark, proven to pontis-hub-1: dept-a records the outcome: delivered");
  expect(out).not.toContain('sample flow failed');
  // every process it starts is printed with its PID, ports and log (the runbook's table of processes)
  expect(out).toMatch(/devnet process: PID \d+ \(Ctrl-C or kill -INT \d+ stops every process it started\)/);
  for (const [chain, n] of [['pontis-hub-1', 4], ['dept-a', 1], ['dept-b', 1]] as const) {
    for (let i = 0; i < n; i++) expect(out).toMatch(new RegExp(`${chain} +validator ${i}: PID \\d+, RPC http://127\\.0\\.0\\.1:\\d+, p2p ws://127\\.0\\.0\\.1:\\d+, home \\S+, log \\S+node\\.log`));
  }
  expect(out).toMatch(/evm-a +anvil \(EVM chain id \d+, 1-second blocks\): PID \d+, RPC http:\/\/127\.0\.0\.1:\d+, log \S+anvil\.log/);
  expect(out).toMatch(new RegExp(`sub-1 +chopsticks \\(asset-hub runtime, a block every 1 s\\): PID \\d+, RPC ws://127\\.0\\.0\\.1:${base + 13} \\(HTTP \\S+\\), log \\S+chopsticks\\.log`));
  expect(out).toMatch(/gov +Hyperledger Fabric \(network stand-in, in the devnet process, PID \d+\)/);
  const relayerLine = /relayer workers \(BullMQ on \S+, queues under "[^"]+"\): PID \d+, ops API http:\/\/127\.0\.0\.1:(\d+), config (\S+), keys (\S+) \(mode 0600\), log (\S+)/.exec(out);
  expect(relayerLine, out).not.toBeNull();
  expect(Number(relayerLine![1])).toBe(base + 6);
  // the relayer's keys sit in its home, readable by the owner only; the devnet prints the path, never a key
  const keysFile = relayerLine![3];
  expect(keysFile).toBe(join(home, 'relayer', 'keys.env'));
  expect(statSync(keysFile).mode & 0o777).toBe(0o600);
  const keyLines = readFileSync(keysFile, 'utf8').trim().split('\n');
  expect(keyLines.map((l) => l.split('=')[0]).sort()).toEqual(['PONTIS_DEVNET_EVM_RELAYER_KEY', 'PONTIS_DEVNET_GOV_RELAYER_KEY', 'PONTIS_DEVNET_RELAYER_KEY', 'PONTIS_DEVNET_SUB_RELAYER_KEY']);
  // each hub validator's sr25519 key (a signatory of sub-1's delivery multisig) sits in its home, owner-only, never printed
  for (let i = 0; i < 4; i++) {
    const f = join(home, 'hub', `node${i}`, 'keys', 'substrate_key.json');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(out.includes((JSON.parse(readFileSync(f, 'utf8')) as { seed: string }).seed.slice(2))).toBe(false);
  }
  for (const l of keyLines) {
    const value = l.slice(l.indexOf('=') + 1);
    expect(value).toMatch(/^0x[0-9a-f]{64}$/);
    expect(out.includes(value.slice(2))).toBe(false);
    expect(readFileSync(relayerLine![4], 'utf8').includes(value.slice(2))).toBe(false);
  }
  expect(out).toContain(`restart it by hand: node --env-file=${keysFile} ${BIN} relayer start --config ${relayerLine![2]} >> ${relayerLine![4]} 2>&1 &`);
  // government data sharing between the side-chains
  expect(out).toMatch(/hub allowed it by rule dataset:household-registry#benefits, consent 0x[0-9a-f]+…[0-9a-f]{4} active; audited/);
  expect(out).toMatch(/opened at dept-b's node: \d+ bytes, matching the committed hash; decrypt receipt recorded on the hub/);
  expect(out).toContain('a third node with its own key cannot open it (PNT_ERR_DATA_DECRYPT)');
  expect(out).toMatch(/the next request dept-b:\d+ was refused: PNT_ERR_DATA_CONSENT_REVOKED/);
  expect(out).toMatch(/\{"audit":"verify","ok":true,"events":\d+,"releases":1,"findings":0\}/);
  try {
    // confidentiality: the record is in gov's own records file and nowhere else: not in the output, any
    // chain's LMDB, any node or relayer log, the Fabric ledger, the keystores, or Redis
    expect(holds(Buffer.from(out))).toBe(false);
    const files = walk(home).filter((f) => relative(home, f) !== join('gov', 'records.json'));
    expect(files.some((f) => f.endsWith('relayer.log'))).toBe(true);
    expect(files.filter((f) => f.endsWith('data.mdb')).length).toBeGreaterThanOrEqual(6);
    expect(files.filter((f) => holds(readFileSync(f))).map((f) => relative(home, f))).toEqual([]);
    expect(holds(readFileSync(join(home, 'gov', 'records.json')))).toBe(true);
    const r = await redisBytes(redis.url);
    expect(r.keys).toBeGreaterThan(0);
    expect(holds(r.bytes)).toBe(false);
  } finally {
    await redis.stop();
    rmSync(home, { recursive: true, force: true });
  }
}, 480_000);
