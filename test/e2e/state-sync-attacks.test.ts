/**
 * State sync refuses what a lying peer serves: a tampered chunk (with a manifest made to match),
 * a manifest naming another root, a chunk that does not match its manifest, a header with a
 * changed state root, a chain signed by validators the genesis does not know, and block results
 * that do not match the header. After each refusal the joining node's chain is still empty; the
 * same peer serving honestly gets it restored. The serving side is a real single-validator node
 * (LMDB, snapshots on disk) in this process; the joining side a real, empty node home.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex, fromHex } from '../../hub-chain/crypto/bytes.ts';
import { sha256 } from '../../hub-chain/crypto/hash.ts';
import { generateAccountKey } from '../../hub-chain/crypto/ed25519.ts';
import { generateValidatorKey, validatorPublicKey, addressFromPublicKey } from '../../hub-chain/crypto/secp256k1.ts';
import { HubClient } from '../../hub-chain/rpc-client/client.ts';
import { initFullNode, initNode } from '../../hub-chain/node/init.ts';
import { loadHome } from '../../hub-chain/node/config.ts';
import { HubNode } from '../../hub-chain/node/node.ts';
import { PeerRequests, StateSync, answerSyncQuery, type SyncLink } from '../../hub-chain/node/state-sync.ts';
import type { SnapshotInfo, SnapshotManifest } from '../../hub-chain/node/snapshots.ts';
import type { SyncQuery, WireMessage } from '../../hub-chain/node/wire.ts';
import { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import { headerHash, type Header } from '../../hub-chain/types/header.ts';
import { VoteType, signVote } from '../../hub-chain/types/vote.ts';
import { freeBasePort } from './harness.ts';

type Tamper = (q: SyncQuery, data: unknown) => unknown;

describe('state sync against a lying peer', () => {
  const dirs: string[] = [];
  let source: HubNode;
  const silent = pino({ level: 'silent' });

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-ss-src-'));
    dirs.push(dir);
    const base = await freeBasePort(1);
    initNode(dir, { chainId: 'ss-attack-1', rpcPort: base, p2pPort: base + 1000 });
    // a short snapshot interval, and some state worth syncing
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.statesync = { ...cfg.statesync, snapshotInterval: 5 };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    source = HubNode.fromHome(dir, { logger: silent });
    await source.start();
    const client = new HubClient(source.rpcUrl);
    const user = generateAccountKey();
    await client.send(user, [{ type: 'records/put', entries: Array.from({ length: 50 }, (_, i) => ({ key: toHex(Uint8Array.of(i)), value: toHex(Uint8Array.of(i, i, i)) })) }]);
    await client.waitForHeight(12, 60_000);
    for (let i = 0; source.snapshots.list().length === 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(async () => {
    await source?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A fresh, empty node home of the same chain, and a state sync whose only peer answers through `tamper`. */
  async function attempt(tamper: Tamper) {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-ss-dst-'));
    dirs.push(dir);
    const port = await freeBasePort(1);
    initFullNode(dir, { genesis: loadHome(source.home.dir).genesis, peers: [], rpcPort: port, p2pPort: port + 1000 });
    const joiner = HubNode.fromHome(dir, { logger: silent });
    const requests = new PeerRequests();
    const peer: SyncLink = {
      id: 'peer',
      height: source.chain.latestHeight(),
      send(m: WireMessage) {
        if (m.t !== 'req') return;
        answerSyncQuery(source.chain, source.snapshots, m.q).then(
          (data) => requests.onResponse('peer', { t: 'res', id: m.id, ok: true, data: tamper(m.q, structuredClone(data)) }),
          (e) => requests.onResponse('peer', { t: 'res', id: m.id, ok: false, code: e.code }),
        );
      },
    };
    const sync = new StateSync({
      chain: joiner.chain,
      log: silent,
      cfg: { discoveryMs: 2000, trustingPeriodMs: 3600_000, maxClockDriftMs: 10_000 },
      requests,
      peers: () => [peer],
    });
    const out = await sync.run();
    const result = { out, height: joiner.chain.latestHeight(), stateVersion: joiner.chain.state.latestVersion(), root: joiner.chain.latestHeader()?.stateRoot };
    await joiner.env.close();
    return result;
  }

  /** Re-offers a changed manifest under its own hash, as a liar would. */
  function reoffer(q: SyncQuery, data: unknown, change: (m: SnapshotManifest) => void, chunk?: (index: number, b: Buffer) => Buffer): unknown {
    const manifestOf = (height: number): SnapshotManifest => {
      const m = JSON.parse(Buffer.from(source.snapshots.manifestBytes(height)!).toString('utf8')) as SnapshotManifest;
      if (chunk) {
        m.chunks = m.chunks.map((c, i) => {
          const b = chunk(i, Buffer.from(readFileSync(join(source.home.dir, 'data', 'snapshots', String(height), `${i}.chunk`))));
          return { hash: toHex(sha256(b)), bytes: b.length };
        });
      }
      change(m);
      return m;
    };
    if (q.kind === 'snapshots') return (data as SnapshotInfo[]).map((i) => ({ ...i, hash: toHex(sha256(Buffer.from(JSON.stringify(manifestOf(i.height))))) }));
    if (q.kind === 'manifest') return toHex(Buffer.from(JSON.stringify(manifestOf(q.height))));
    if (q.kind === 'chunk' && chunk) return chunk(q.index, Buffer.from(data as string, 'base64')).toString('base64');
    return data;
  }

  const flip = (_i: number, b: Buffer) => {
    const c = Buffer.from(b);
    c[c.length - 1] ^= 1; // the last byte of the last value
    return c;
  };

  it('error: each lie is refused with its code, and the joining chain stays empty', async () => {
    const cases: [string, Tamper][] = [
      ['PNT_ERR_SNAPSHOT_ROOT', (q, d) => reoffer(q, d, () => undefined, flip)],
      ['PNT_ERR_SNAPSHOT_ROOT', (q, d) => reoffer(q, d, (m) => (m.stateRoot = `0x${'ab'.repeat(32)}`))],
      ['PNT_ERR_SNAPSHOT_CHUNK_HASH', (q, d) => (q.kind === 'chunk' ? flip(0, Buffer.from(d as string, 'base64')).toString('base64') : d)],
      ['PNT_ERR_LC_INVALID_COMMIT', (q, d) => (q.kind === 'light-block' && q.height > 1 ? { ...(d as object), header: { ...(d as { header: Header }).header, stateRoot: `0x${'cd'.repeat(32)}` } } : d)],
      ['PNT_ERR_SYNC_BLOCK_MISMATCH', (q, d) => (q.kind === 'block' ? { ...(d as object), events: [...(d as { events: object[] }).events, { type: 'forged', attributes: {} }] } : d)],
      ['PNT_ERR_SYNC_BLOCK_MISMATCH', (q, d) => (q.kind === 'block' ? { ...(d as object), block: { ...(d as { block: object }).block, header: { ...(d as { block: { header: Header } }).block.header, time: 1 } } } : d)],
    ];
    for (const [code, tamper] of cases) {
      const r = await attempt(tamper);
      expect(r.out.restored, code).toBe(false);
      expect(r.out.restored ? [] : r.out.refused.map((x) => x.code), code).toContain(code);
      expect(r.height).toBe(0);
      expect(r.stateVersion).toBe(0);
    }
  });

  it('error: a chain signed by validators the genesis does not name is refused at height 1', async () => {
    const keys = [generateValidatorKey(), generateValidatorKey()];
    const set = new ValidatorSet(keys.map((k) => ({ address: addressFromPublicKey(validatorPublicKey(k)), publicKey: toHex(validatorPublicKey(k)), power: 10 })));
    const r = await attempt((q, d) => {
      if (q.kind !== 'light-block') return d;
      const lb = d as { header: Header };
      const header = { ...lb.header, validatorsHash: set.hash(), nextValidatorsHash: set.hash() };
      const hash = headerHash(header);
      const signatures = keys.map((k, i) => {
        const v = signVote(header.chainId, { type: VoteType.Precommit, height: header.height, round: 0, blockHash: hash }, k, set.validators[i].address);
        return { validator: v.validator, signature: v.signature };
      });
      const members = set.validators.map(({ address, publicKey, power }) => ({ address, publicKey, power }));
      return { header, commit: { height: header.height, round: 0, blockHash: hash, signatures }, validators: members, nextValidators: members };
    });
    expect(r.out.restored).toBe(false);
    expect(r.out.restored ? [] : r.out.refused.map((x) => x.code)).toContain('PNT_ERR_SYNC_GENESIS_MISMATCH');
    expect(r.height).toBe(0);
  });

  it('behavior: the same peer answering honestly gets the newest snapshot restored, with the source state root', async () => {
    const r = await attempt((_q, d) => d);
    expect(r.out.restored).toBe(true);
    const h = source.snapshots.list()[0].height;
    expect(r.height).toBe(h);
    expect(r.stateVersion).toBe(h);
    expect(r.root).toBe(source.chain.stored(h)!.block.header.stateRoot);
    expect(fromHex(r.root!).length).toBe(32);
  });
});
