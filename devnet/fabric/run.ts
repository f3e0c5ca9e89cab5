/**
 * `pontis fabric-net start`: starts the Fabric network stand-in, prints where each org's
 * connection profile, TLS CA and user identity are, and runs until SIGINT/SIGTERM.
 */
import { resolve } from 'node:path';
import { startFabricNetwork } from './network.ts';

export interface FabricNetCliOptions {
  orgs: number;
  out: string;
  chaincode: Record<string, string>;
  channel: string;
  basePort: number;
  policy?: number;
}

const say = (s: string) => process.stdout.write(s + '\n');

export async function runFabricNet(o: FabricNetCliOptions): Promise<void> {
  const net = await startFabricNetwork({
    orgs: o.orgs,
    dir: resolve(o.out),
    chaincodes: o.chaincode,
    channel: o.channel,
    basePort: o.basePort,
    policy: o.policy === undefined ? undefined : { outOf: o.policy },
  });
  say(`Fabric network stand-in: channel ${net.channel}, ${net.orgs.length} orgs, ledger height ${net.height()} (${net.dir})`);
  for (const org of net.orgs) {
    say(`  ${org.mspId}  peer ${org.endpoint} (TLS, server name localhost)`);
    say(`    connection profile ${org.connectionProfile}`);
    say(`    TLS CA             ${org.tlsCaCertPath}`);
    say(`    user certificate   ${org.userCertPath}`);
    say(`    user key           ${org.userKeyPath}`);
  }
  for (const [cc, p] of Object.entries(net.policies)) say(`  chaincode ${cc}: ${o.chaincode[cc]}, endorsement ${p.outOf} of ${p.orgs.join(', ')}`);
  say('Ctrl-C stops the network (its ledger stays in the output directory).');
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      net.stop().then(done, done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
