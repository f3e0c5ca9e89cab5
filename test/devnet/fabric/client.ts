/** Connecting the official @hyperledger/fabric-gateway client to one org of the stand-in network. */
import { createPrivateKey } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers, type Gateway } from '@hyperledger/fabric-gateway';
import type { FabricOrgEndpoint } from '../../../devnet/fabric/network.ts';

export function gatewayFor(org: FabricOrgEndpoint, certPem = org.userCertPem, keyPem = org.userKeyPem): { gateway: Gateway; client: grpc.Client } {
  const client = new grpc.Client(org.endpoint, grpc.credentials.createSsl(Buffer.from(org.tlsCaCertPem)), { 'grpc.ssl_target_name_override': 'localhost' });
  const gateway = connect({
    client,
    identity: { mspId: org.mspId, credentials: Buffer.from(certPem) },
    signer: signers.newPrivateKeySigner(createPrivateKey(keyPem)),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 15_000 }),
    submitOptions: () => ({ deadline: Date.now() + 10_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 30_000 }),
  });
  return { gateway, client };
}
