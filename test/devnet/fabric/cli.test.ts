/**
 * `pontis fabric-net start` as an operator runs it: a separate process that prints where the
 * profiles are; a client built only from the files it wrote (connection profile, TLS CA, user
 * certificate and key) submits and evaluates; SIGTERM stops it cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvChaincode } from './kv-chaincode.ts';

const BIN = new URL('../../../bin/pontis.js', import.meta.url).pathname;
let dir: string;
let cc: Awaited<ReturnType<typeof startKvChaincode>>;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-cli-'));
  cc = await startKvChaincode();
  child = spawn(process.execPath, [BIN, 'fabric-net', 'start', '--orgs', '2', '--out', dir, '--base-port', '0', '--chaincode', `kv=${cc.address}`, '--policy', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d) => (output += String(d)));
  await new Promise<void>((resolve, reject) => {
    child!.stdout!.on('data', (d) => {
      output += String(d);
      if (output.includes('Ctrl-C stops')) resolve();
    });
    child!.on('exit', (code) => reject(new Error(`fabric-net exited with ${code}: ${output}`)));
  });
});

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  cc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pontis fabric-net start', () => {
  it('behavior: a client built from the written profile and identity files submits and evaluates; SIGTERM stops the network', async () => {
    const profilePath = /connection profile (\S+connection-org2\.json)/.exec(output)![1];
    const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
    const peerCfg = profile.peers['peer0.org2.example.com'];
    const userDir = join(dir, 'organizations/peerOrganizations/org2.example.com/users/User1@org2.example.com/msp');
    const keyFile = readdirSync(join(userDir, 'keystore'))[0];
    const client = new grpc.Client(peerCfg.url.replace('grpcs://', ''), grpc.credentials.createSsl(Buffer.from(peerCfg.tlsCACerts.pem)), {
      'grpc.ssl_target_name_override': peerCfg.grpcOptions['ssl-target-name-override'],
    });
    const gateway = connect({
      client,
      identity: { mspId: profile.organizations.org2.mspid, credentials: readFileSync(join(userDir, 'signcerts', 'User1@org2.example.com-cert.pem')) },
      signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(join(userDir, 'keystore', keyFile)))),
      hash: hash.sha256,
    });
    const contract = gateway.getNetwork('mychannel').getContract('kv');
    await contract.submitTransaction('put', 'cli', 'works');
    expect(Buffer.from(await contract.evaluateTransaction('get', 'cli')).toString()).toBe('works');
    gateway.close();
    client.close();
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('endorsement 2 of Org1MSP, Org2MSP');
  });
});
