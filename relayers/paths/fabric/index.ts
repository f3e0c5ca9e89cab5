/**
 * The `fabric` chain kind: Hyperledger Fabric channels running the Pontis chaincode. The hub
 * verifies them with its `fabric` client (orderer-signed headers, endorsed transactions and
 * queries); the chaincode verifies the hub with its `pontis` client. The relayer reaches the
 * channel through one org's peer gateway (adapters/fabric) as a user of that org: its X.509
 * certificate (`cert`, a PEM file) and the certificate's P-256 private key as the `signer`
 * (32-byte hex, like every other signer key). Registered in paths/registry.ts.
 */
import { createECDH, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PontisError } from '../../../hub-chain/errors.ts';
import { packetKeys } from '../../../hub-chain/modules/packets/types.ts';
import { FabricWriter } from '../../../adapters/fabric/writer.ts';
import { RelayerError } from '../../errors.ts';
import { chainBase, type ChainConfig } from '../../schema.ts';
import type { OpenKind, PacketRef, PathKind } from '../types.ts';
import { type FabricEndpoint, isPresent, readKeys } from './endpoint.ts';
import { FabricPathHandlers } from './handlers.ts';

const MSP_ID = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'an MSP id');
const FILE = z.string().min(1, 'a file path');

const chainSchema = z.strictObject({
  id: chainBase.id,
  kind: z.literal('fabric'),
  channel: z.string().regex(/^[a-z][a-z0-9.-]{0,248}$/, 'a Fabric channel name'),
  /** The Pontis chaincode's name on the channel. */
  chaincode: z.string().regex(/^[A-Za-z0-9_.+-]{1,64}$/, 'a chaincode name'),
  /** The org peer whose gateway the relayer uses. */
  peer: z.strictObject({
    endpoint: z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'host:port'),
    /** PEM file of the TLS CA that issued the peer's TLS certificate. */
    tlsCaCert: FILE,
    /** TLS server name to expect when it is not the endpoint's host. */
    serverName: z.string().min(1).optional(),
  }),
  /** The relayer's org and its certificate (PEM file) in that org's MSP. */
  mspId: MSP_ID,
  cert: FILE,
  /** The certificate's P-256 private key, as 32-byte hex. */
  signer: chainBase.signer,
  /** Orgs whose peers endorse the GetState queries proofs are made of: enough for the chaincode's endorsement policy. */
  endorsingOrgs: z.array(MSP_ID).min(1),
});
export type FabricChainConfig = z.infer<typeof chainSchema>;

const b64u = (b: Buffer) => b.toString('base64url');

/** A P-256 private key from its 32-byte scalar (hex, 0x-prefixed). */
export function p256Key(hex: string): KeyObject {
  const d = Buffer.from(hex.replace(/^0x/, ''), 'hex');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  return createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(d), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33)) }, format: 'jwk' });
}

/** The 32-byte hex scalar of a P-256 private key in PEM (how an org's `keystore/priv_sk` becomes a signer key). */
export function p256KeyHex(pem: string): string {
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.d) throw new RelayerError('PNT_ERR_RELAY_FABRIC_IDENTITY', 'not a P-256 private key');
  return `0x${Buffer.from(jwk.d, 'base64url').toString('hex').padStart(64, '0')}`;
}

/** A signer key's public key (compressed, hex): its address in logs and metrics. */
function signerAddress(key: string): string {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(key.replace(/^0x/, ''), 'hex'));
  return `0x${ecdh.getPublicKey(undefined, 'compressed').toString('hex')}`;
}

function readPem(path: string, what: string, chain: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new RelayerError('PNT_ERR_RELAY_FABRIC_IDENTITY', `${chain}: cannot read ${what} ${path}`, { cause: e, details: { chain, path } });
  }
}

function open1(c: FabricChainConfig, keys: string[]): FabricEndpoint {
  if (!keys.length) throw new RelayerError('PNT_ERR_RELAY_NO_SIGNER', `no signer key for ${c.id}`);
  const certPem = readPem(c.cert, 'certificate', c.id);
  let key: KeyObject;
  let pub: { x?: string; y?: string };
  try {
    key = p256Key(keys[0]);
    pub = new X509Certificate(certPem).publicKey.export({ format: 'jwk' });
  } catch (e) {
    throw new RelayerError('PNT_ERR_RELAY_FABRIC_IDENTITY', `${c.id}: ${c.cert} is not an X.509 certificate, or the signer is not a P-256 private key`, { cause: e, details: { chain: c.id } });
  }
  const mine = key.export({ format: 'jwk' });
  if (pub.x !== mine.x || pub.y !== mine.y) throw new RelayerError('PNT_ERR_RELAY_FABRIC_IDENTITY', `${c.id}: the signer key is not the key of certificate ${c.cert}`, { details: { chain: c.id } });
  const writer = new FabricWriter({
    chainId: c.id,
    channel: c.channel,
    chaincode: c.chaincode,
    endpoint: c.peer.endpoint,
    tlsCaCertPem: readPem(c.peer.tlsCaCert, 'TLS CA certificate', c.id),
    serverName: c.peer.serverName,
    identity: { mspId: c.mspId, certPem, keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString() },
  });
  return { chainId: c.id, writer, endorsingOrgs: c.endorsingOrgs };
}

/** Which Pontis keys the chaincode holds for a packet. */
async function fabricHop(chain: string, f: FabricEndpoint, ref: PacketRef): Promise<Record<string, unknown>> {
  try {
    const [height, [sent, received, ack]] = await Promise.all([
      f.writer.latestHeight(),
      readKeys(f, [packetKeys.outbound(ref.channel, ref.sequence), packetKeys.receipt(ref.channel, ref.sequence), packetKeys.ack(ref.channel, ref.sequence)]),
    ]);
    const timedOut = isPresent(received) && received !== '0x01';
    const state = timedOut ? 'timed-out' : isPresent(received) ? (isPresent(ack) ? 'received+acked' : 'received') : isPresent(sent) ? 'sent' : chain === ref.srcChain ? 'resolved-or-unknown' : null;
    return { chain, known: true, kind: 'fabric', height, state, commitments: { sent: isPresent(sent), received: isPresent(received), ack: isPresent(ack) } };
  } catch (e) {
    return { chain, known: true, kind: 'fabric', error: e instanceof PontisError ? e.code : 'PNT_ERR_RPC_UNREACHABLE' };
  }
}

export const fabricPaths: PathKind = {
  kind: 'fabric',
  chainSchema,
  signerAddress,
  open(chains: ChainConfig[], { hub, signers }): OpenKind {
    const fabrics = new Map<string, FabricEndpoint>();
    try {
      for (const c of chains as FabricChainConfig[]) fabrics.set(c.id, open1(c, signers.get(c.id) ?? []));
    } catch (e) {
      for (const f of fabrics.values()) void f.writer.close();
      throw e;
    }
    const endpoint = (id: string) => fabrics.get(id)!;
    return {
      handlers: new FabricPathHandlers(hub, fabrics),
      signerAddresses: () => Object.fromEntries([...fabrics].map(([id]) => [id, (signers.get(id) ?? []).slice(0, 1).map(signerAddress)])),
      signerBalances: async () => [], // Fabric charges no fees
      packetHop: (chain, ref) => fabricHop(chain, endpoint(chain), ref),
      probe: (chain) => endpoint(chain).writer.latestHeight(),
      close: async () => {
        await Promise.allSettled([...fabrics.values()].map((f) => f.writer.close()));
      },
    };
  },
};
