/**
 * The `fabric` chain kind's config and identity: a `chains[]` entry is strict (an unknown or
 * malformed field is named), and opening it checks the relayer's identity before any call: the
 * certificate file must be readable and an X.509 certificate, and the signer key must be the
 * certificate's P-256 key. Certificates come from the network stand-in's CA on disk (no network runs).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgMaterial } from '../../../../devnet/fabric/ca.ts';
import { validateRelayerConfig } from '../../../../relayers/config.ts';
import { fabricPaths, p256KeyHex } from '../../../../relayers/paths/fabric/index.ts';
import type { HubEndpoint } from '../../../../relayers/paths/types.ts';
import { codeOf } from '../../../support/errors.ts';

let dir: string;
let certPath: string;
let tlsCa: string;
let keyHex: string;
let otherKeyHex: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pontis-fabric-cfg-'));
  const [o1, o2] = [await orgMaterial(dir, 1), await orgMaterial(dir, 2)];
  certPath = o1.userCertPath;
  tlsCa = o1.tlsCaCertPath;
  keyHex = p256KeyHex(o1.user.keyPem);
  otherKeyHex = p256KeyHex(o2.user.keyPem);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chain = (over: Record<string, unknown> = {}) => ({ id: 'gov', kind: 'fabric', channel: 'mychannel', chaincode: 'pontis', peer: { endpoint: '127.0.0.1:7051', tlsCaCert: tlsCa, serverName: 'localhost' }, mspId: 'Org1MSP', cert: certPath, signer: { env: 'K' }, endorsingOrgs: ['Org1MSP', 'Org2MSP'], ...over });
const config = (c: Record<string, unknown>) => ({ hub: { chainId: 'hub', rpc: 'http://127.0.0.1:26657', signer: { env: 'K' } }, chains: [c], paths: [{ id: 'path-gov', chain: 'gov', hub: 'hub' }], redis: { url: 'redis://127.0.0.1:6379' } });
const openWith = (key: string, over: Record<string, unknown> = {}) => {
  const c = validateRelayerConfig(config(chain(over))).chains[0];
  return fabricPaths.open([c], { hub: {} as HubEndpoint, signers: new Map([['gov', [key]]]), logger: pino({ level: 'silent' }), health: { maxLagBlocks: 5, probeIntervalMs: 0 } });
};

describe('fabric chain config', () => {
  it('behavior: a full entry validates and opens with the certificate\'s own key; its signer address is the public key', async () => {
    expect(validateRelayerConfig(config(chain())).chains[0]).toMatchObject({ kind: 'fabric', endorsingOrgs: ['Org1MSP', 'Org2MSP'] });
    const o = openWith(keyHex);
    expect(o.signerAddresses().gov[0]).toMatch(/^0x0[23][0-9a-f]{64}$/);
    await o.close();
  });

  it('error: an unknown field, a malformed endpoint or no endorsing org fails validation naming the field', () => {
    for (const [over, field] of [[{ orgs: ['x'] }, 'orgs'], [{ peer: { endpoint: 'peer0', tlsCaCert: tlsCa } }, 'endpoint'], [{ endorsingOrgs: [] }, 'endorsingOrgs']] as const) {
      expect(() => validateRelayerConfig(config(chain(over)))).toThrow(new RegExp(field));
    }
  });

  it('error: a signer key that is not the certificate\'s, a certificate that is not one, or none readable: PNT_ERR_RELAY_FABRIC_IDENTITY', () => {
    expect(codeOf(() => openWith(otherKeyHex))).toBe('PNT_ERR_RELAY_FABRIC_IDENTITY');
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(codeOf(() => openWith(keyHex, { cert: junk }))).toBe('PNT_ERR_RELAY_FABRIC_IDENTITY');
    expect(codeOf(() => openWith(keyHex, { cert: join(dir, 'missing.pem') }))).toBe('PNT_ERR_RELAY_FABRIC_IDENTITY');
    expect(codeOf(() => openWith(`0x${'00'.repeat(32)}`))).toBe('PNT_ERR_RELAY_FABRIC_IDENTITY');
  });
});
