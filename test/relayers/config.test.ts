/** Relayer config validation: a table of small changes to a valid config, each naming the field it breaks. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeAddress } from 'ethers';
import { stringify } from 'yaml';
import { hasCode } from '../../hub-chain/errors.ts';
import { loadRelayerConfig, resolveSigners, validateRelayerConfig, type RelayerConfigInput } from '../../relayers/config.ts';

const SEED = '0x' + '11'.repeat(32);
const SEED2 = '0x' + '22'.repeat(32);

const valid = (): RelayerConfigInput & Record<string, unknown> => ({
  hub: { chainId: 'pontis-hub-1', rpc: 'http://127.0.0.1:26657', signer: { env: 'RELAYER_HUB_KEY' } },
  chains: [
    { id: 'dept-a', kind: 'pontis', rpc: 'http://127.0.0.1:26660', signer: { env: 'RELAYER_A_KEY' } },
    { id: 'dept-b', kind: 'pontis', rpc: 'https://b.example:443', signer: [{ file: '/run/secrets/b1' }, { env: 'RELAYER_B_KEY' }] },
    { id: 'evm-a', kind: 'evm', rpc: 'http://127.0.0.1:8545', evmChainId: 31_001, gateway: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', hubClient: '0x5FbDB2315678afecb367f032d93F642f64180aa3', signer: { env: 'RELAYER_EVM_KEY' } },
  ],
  paths: [
    { id: 'path-a', chain: 'dept-a', hub: 'pontis-hub-1' },
    { id: 'path-b', chain: 'dept-b', hub: 'pontis-hub-1' },
    { id: 'path-evm', chain: 'evm-a', hub: 'pontis-hub-1' },
  ],
  redis: { url: 'redis://127.0.0.1:6379', prefix: 'pontis-relayer' },
  tuning: { batchSize: 50, concurrency: 4, clearIntervalMs: 60_000, backoffMs: 1000, maxAttempts: 8 },
  api: { host: '127.0.0.1', port: 3001 },
});

type Cfg = ReturnType<typeof valid>;
const cases: { name: string; malleate: (c: Cfg) => void; field: string }[] = [
  { name: 'unknown top-level field', malleate: (c) => (c.extra = 1), field: 'extra' },
  { name: 'unknown field in a chain', malleate: (c) => ((c.chains[0] as Record<string, unknown>).seed = SEED), field: 'chains.0.seed' },
  { name: 'unknown tuning field', malleate: (c) => ((c.tuning as Record<string, unknown>).batchsize = 5), field: 'tuning.batchsize' },
  { name: 'missing hub', malleate: (c) => delete (c as Partial<Cfg>).hub, field: 'hub' },
  { name: 'missing redis url', malleate: (c) => delete (c.redis as Partial<Cfg['redis']>).url, field: 'redis.url' },
  { name: 'missing chain signer', malleate: (c) => delete (c.chains[1] as Partial<Cfg['chains'][number]>).signer, field: 'chains.1.signer' },
  { name: 'bad hub rpc URL', malleate: (c) => (c.hub.rpc = 'not a url'), field: 'hub.rpc' },
  { name: 'a trust root hash that is not a 32-byte hash', malleate: (c) => ((c.hub as Record<string, unknown>).trust = { height: 5, hash: '0x1234' }), field: 'hub.trust.hash' },
  { name: 'a trust root at height 0', malleate: (c) => ((c.chains[0] as Record<string, unknown>).trust = { height: 0, hash: '0x' + 'ab'.repeat(32) }), field: 'chains.0.trust.height' },
  { name: 'chain rpc not http', malleate: (c) => (c.chains[0].rpc = 'ftp://127.0.0.1:1'), field: 'chains.0.rpc' },
  { name: 'redis URL not redis://', malleate: (c) => (c.redis.url = 'http://127.0.0.1:6379'), field: 'redis.url' },
  { name: 'duplicate path id', malleate: (c) => (c.paths[1].id = 'path-a'), field: 'paths.1.id' },
  { name: 'duplicate chain id', malleate: (c) => (c.chains[1].id = 'dept-a'), field: 'chains.1.id' },
  { name: 'path to an unknown chain', malleate: (c) => (c.paths[0].chain = 'dept-z'), field: 'paths.0.chain' },
  { name: 'path to an unknown hub', malleate: (c) => (c.paths[1].hub = 'other-hub'), field: 'paths.1.hub' },
  { name: 'unknown chain kind', malleate: (c) => ((c.chains[0] as Record<string, unknown>).kind = 'cosmos'), field: 'chains.0.kind' },
  { name: 'evm chain with a malformed gateway address', malleate: (c) => ((c.chains[2] as Record<string, unknown>).gateway = '0x1234'), field: 'chains.2.gateway' },
  { name: 'evm chain without its PontisClient address', malleate: (c) => delete (c.chains[2] as Record<string, unknown>).hubClient, field: 'chains.2.hubClient' },
  { name: 'evm chain id zero', malleate: (c) => ((c.chains[2] as Record<string, unknown>).evmChainId = 0), field: 'chains.2.evmChainId' },
  { name: 'pontis chain with evm fields', malleate: (c) => ((c.chains[0] as Record<string, unknown>).gateway = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'), field: 'chains.0.gateway' },
  { name: 'path id with ":"', malleate: (c) => (c.paths[0].id = 'a:b'), field: 'paths.0.id' },
  { name: 'signer value inline instead of referenced', malleate: (c) => ((c.chains[0] as Record<string, unknown>).signer = SEED), field: 'chains.0.signer' },
  { name: 'batch size zero', malleate: (c) => (c.tuning!.batchSize = 0), field: 'tuning.batchSize' },
  { name: 'api port out of range', malleate: (c) => (c.api!.port = 70000), field: 'api.port' },
  { name: 'an empty endpoint list', malleate: (c) => ((c.hub as Record<string, unknown>).rpc = []), field: 'hub.rpc' },
  { name: 'the same endpoint twice', malleate: (c) => ((c.chains[0] as Record<string, unknown>).rpc = ['http://127.0.0.1:26660', 'http://127.0.0.1:26660']), field: 'chains.0.rpc.1' },
  { name: 'a bad URL in an endpoint list', malleate: (c) => ((c.chains[1] as Record<string, unknown>).rpc = ['https://b.example:443', 'b.example:443']), field: 'chains.1.rpc.1' },
  { name: 'a negative lag bound', malleate: (c) => ((c.tuning as Record<string, unknown>).maxLagBlocks = -1), field: 'tuning.maxLagBlocks' },
  { name: 'a probe interval below 100 ms', malleate: (c) => ((c.tuning as Record<string, unknown>).probeIntervalMs = 10), field: 'tuning.probeIntervalMs' },
  { name: 'jitter whose minimum exceeds its maximum', malleate: (c) => ((c.tuning as Record<string, unknown>).jitter = { minMs: 500, maxMs: 100 }), field: 'tuning.jitter.minMs' },
  { name: 'a path jitter without its maximum', malleate: (c) => ((c.paths[0] as Record<string, unknown>).jitter = { minMs: 100 }), field: 'paths.0.jitter.maxMs' },
  { name: 'an operator name with ":"', malleate: (c) => (c.operator = 'ops:1'), field: 'operator' },
];

describe('relayer config', () => {
  it('behavior: a valid config parses, with defaults filled in', () => {
    const c = validateRelayerConfig(valid());
    expect(c.paths.map((p) => p.id)).toEqual(['path-a', 'path-b', 'path-evm']);
    expect(c.tuning.lookbackBlocks).toBe(1000);
    const minimal = valid();
    delete minimal.tuning;
    delete minimal.api;
    expect(validateRelayerConfig(minimal).tuning.batchSize).toBe(50);
  });

  it('behavior: an rpc field takes one URL (as before) or several; health and jitter settings have defaults', () => {
    const c = valid();
    (c.hub as Record<string, unknown>).rpc = ['http://127.0.0.1:26657', 'http://127.0.0.1:26757'];
    (c.paths[0] as Record<string, unknown>).jitter = { maxMs: 2000 };
    const v = validateRelayerConfig(c);
    expect(v.hub.rpc).toEqual(['http://127.0.0.1:26657', 'http://127.0.0.1:26757']);
    expect(v.chains[0].rpc).toBe('http://127.0.0.1:26660');
    expect([v.tuning.maxLagBlocks, v.tuning.probeIntervalMs, v.tuning.jitter]).toEqual([5, 1000, undefined]);
    expect(v.paths[0].jitter).toEqual({ minMs: 0, maxMs: 2000 });
    expect(v.operator).toBeUndefined();
  });

  for (const tc of cases) {
    it(`error: ${tc.name} is rejected naming ${tc.field}`, () => {
      const c = valid();
      tc.malleate(c);
      let err: unknown;
      try {
        validateRelayerConfig(c);
      } catch (e) {
        err = e;
      }
      expect(hasCode(err, 'PNT_ERR_CONFIG_INVALID')).toBe(true);
      const e = err as { details: { field: string }; message: string };
      expect(e.details.field).toBe(tc.field);
      expect(e.message).toContain(tc.field);
    });
  }

  it('behavior: signers resolve from env and files, several keys per chain; errors name the reference, never the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-relayer-cfg-'));
    try {
      writeFileSync(join(dir, 'b1'), `${SEED}\n`);
      const c = valid();
      c.chains[1].signer = [{ file: join(dir, 'b1') }, { env: 'RELAYER_B_KEY' }];
      const cfg = validateRelayerConfig(c);
      const all = resolveSigners(cfg, { RELAYER_HUB_KEY: SEED, RELAYER_A_KEY: `${SEED},${SEED2.slice(2)}`, RELAYER_B_KEY: SEED2, RELAYER_EVM_KEY: `${SEED2},${SEED}` });
      expect(all.get('evm-a')).toEqual([SEED2, SEED]);
      expect(all.get('pontis-hub-1')).toEqual([SEED]);
      expect(all.get('dept-a')).toEqual([SEED, SEED2]);
      expect(all.get('dept-b')).toEqual([SEED, SEED2]);
      const bad = 'zz' + SEED.slice(4);
      let err: Error & { code?: string; details?: { field: string } } = new Error('none');
      try {
        resolveSigners(cfg, { RELAYER_HUB_KEY: SEED, RELAYER_A_KEY: bad, RELAYER_B_KEY: SEED2, RELAYER_EVM_KEY: SEED });
      } catch (e) {
        err = e as typeof err;
      }
      expect(err.code).toBe('PNT_ERR_CONFIG_SIGNER');
      expect(err.details?.field).toBe('chains.0.signer');
      expect(err.message).toContain('RELAYER_A_KEY');
      expect(err.message).not.toContain(bad);
      expect(() => resolveSigners(cfg, { RELAYER_A_KEY: SEED, RELAYER_B_KEY: SEED })).toThrow(/hub.signer: signer environment variable RELAYER_HUB_KEY is empty or unset/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('files and the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontis-relayer-cfg-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const bin = resolve(import.meta.dirname, '../../bin/pontis.js');
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, RELAYER_HUB_KEY: SEED, RELAYER_A_KEY: SEED, RELAYER_B_KEY: SEED2, RELAYER_EVM_KEY: SEED2 } });

    it('behavior: the example config in relayers/ is valid', () => {
      const c = loadRelayerConfig(resolve(import.meta.dirname, '../../relayers/relayer.example.yaml'));
      expect(c.chains[1].signer).toEqual([{ env: 'RELAYER_KEY_B1' }, { env: 'RELAYER_KEY_B2' }]);
    });

    it('behavior: YAML and JSON files load alike', () => {
      writeFileSync(join(dir, 'r.yaml'), stringify(valid()));
      writeFileSync(join(dir, 'r.json'), JSON.stringify(valid()));
      expect(loadRelayerConfig(join(dir, 'r.yaml'))).toEqual(loadRelayerConfig(join(dir, 'r.json')));
    });

    it('behavior: `relayer config validate` accepts a good file and lists its paths and signer addresses', () => {
      const c = valid();
      c.chains[1].signer = { env: 'RELAYER_B_KEY' };
      writeFileSync(join(dir, 'ok.yaml'), stringify(c));
      const r = cli('relayer', 'config', 'validate', join(dir, 'ok.yaml'));
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.paths).toEqual(['path-a', 'path-b', 'path-evm']);
      expect(out.signers['dept-b']).toHaveLength(1);
      expect(out.signers['evm-a']).toEqual([computeAddress(SEED2)]);
      expect(r.stdout).not.toContain(SEED2.slice(2));
    });

    it('error: `relayer config validate` exits 1 with the code and the field', () => {
      const c = valid();
      c.paths[1].id = 'path-a';
      writeFileSync(join(dir, 'dup.yaml'), stringify(c));
      const r = cli('relayer', 'config', 'validate', join(dir, 'dup.yaml'), '--no-signers');
      expect(r.status).toBe(1);
      const err = JSON.parse(r.stderr).error;
      expect(err.code).toBe('PNT_ERR_CONFIG_INVALID');
      expect(err.details.field).toBe('paths.1.id');
      expect(cli('relayer', 'config', 'validate', join(dir, 'missing.yaml')).status).toBe(1);
    });
  });
});
