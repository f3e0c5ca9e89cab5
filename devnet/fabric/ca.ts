/**
 * Certificate authorities and identities of the Fabric network stand-in, laid out on disk like
 * Fabric's test-network (`organizations/peerOrganizations/org1.example.com/...`) so any Fabric
 * client or tool finds the files where it expects them. Per org: an enrolment CA (P-256) issuing
 * peer, admin and user certificates with Fabric's NodeOU roles in the subject OU, and a TLS CA
 * issuing the peers' server certificates (SAN localhost/127.0.0.1). The orderer org gets the same.
 * Material already on disk is loaded, never regenerated: a restarted network keeps its identities.
 */
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** A certificate and its private key, as Fabric's MSP folders hold them. */
export interface Identity {
  mspId: string;
  certPem: string;
  key: KeyObject;
  keyPem: string;
}

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

/** Everything one org needs: its MSP id, CA certificates, a peer, an admin and a user. */
export interface OrgMaterial {
  name: string; // org1
  domain: string; // org1.example.com
  mspId: string; // Org1MSP
  dir: string;
  caCertPem: string;
  tlsCaCertPem: string;
  peer: Identity;
  peerTls: { certPem: string; keyPem: string };
  admin: Identity;
  user: Identity;
  /** Where the user's files are, for clients: cert and key file paths. */
  userCertPath: string;
  userKeyDir: string;
  tlsCaCertPath: string;
}

export interface OrdererMaterial {
  mspId: string;
  caCertPem: string;
  orderer: Identity;
}

function pemKey(pem: string): KeyObject {
  return createPrivateKey(pem);
}

async function exportKeyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

async function importCa(ca: CaMaterial): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const cert = new x509.X509Certificate(ca.certPem);
  const der = createPrivateKey(ca.keyPem).export({ format: 'der', type: 'pkcs8' });
  const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
  return { cert, key: key as CryptoKey };
}

/** A self-signed P-256 CA certificate (what `fabric-ca-server init` or cryptogen makes). */
export async function createCa(commonName: string, org: string): Promise<CaMaterial> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `C=US, ST=North Carolina, L=Durham, O=${org}, CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

export interface LeafOptions {
  commonName: string;
  org: string;
  /** NodeOU role: client, peer, admin, orderer. */
  ou: string;
  /** TLS server certificate: adds SANs and the serverAuth usage. */
  tlsHosts?: string[];
  notAfter?: Date;
}

/** A leaf certificate signed by `ca` for a fresh P-256 key. */
export async function issue(ca: CaMaterial, o: LeafOptions): Promise<{ certPem: string; keyPem: string }> {
  const issuer = await importCa(ca);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | (o.tlsHosts ? x509.KeyUsageFlags.keyEncipherment : 0), true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
  ];
  if (o.tlsHosts) {
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
    extensions.push(
      new x509.SubjectAlternativeNameExtension(o.tlsHosts.map((h) => (/^[\d.]+$/.test(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }))),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `C=US, ST=North Carolina, L=Durham, O=${o.org}, OU=${o.ou}, CN=${o.commonName}`,
    issuer: issuer.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: o.notAfter ?? new Date(now + TEN_YEARS_MS),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text, { mode: path.endsWith('priv_sk') || path.endsWith('.key') ? 0o600 : 0o644 });
}

async function loadOrCreateCa(dir: string, certName: string, cn: string, org: string): Promise<CaMaterial> {
  const certPath = join(dir, certName);
  if (existsSync(certPath)) return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(join(dir, 'priv_sk'), 'utf8') };
  const ca = await createCa(cn, org);
  write(certPath, ca.certPem);
  write(join(dir, 'priv_sk'), ca.keyPem);
  return ca;
}

/** An MSP folder (`msp/{signcerts,keystore,cacerts}`) for one identity, loaded when present. */
async function loadOrIssueMsp(mspDir: string, name: string, ca: CaMaterial, caFile: string, o: LeafOptions, mspId: string): Promise<Identity> {
  const certPath = join(mspDir, 'signcerts', `${name}-cert.pem`);
  const keyPath = join(mspDir, 'keystore', 'priv_sk');
  if (!existsSync(certPath)) {
    const leaf = await issue(ca, o);
    write(certPath, leaf.certPem);
    write(keyPath, leaf.keyPem);
    write(join(mspDir, 'cacerts', caFile), ca.certPem);
  }
  const keyPem = readFileSync(keyPath, 'utf8');
  return { mspId, certPem: readFileSync(certPath, 'utf8'), keyPem, key: pemKey(keyPem) };
}

function mspIdOf(i: number): string {
  return `Org${i}MSP`;
}

/** Creates (or loads) org `index` (1-based) under `root/organizations/peerOrganizations`. */
export async function orgMaterial(root: string, index: number): Promise<OrgMaterial> {
  const name = `org${index}`;
  const domain = `${name}.example.com`;
  const mspId = mspIdOf(index);
  const dir = join(root, 'organizations', 'peerOrganizations', domain);
  const ca = await loadOrCreateCa(join(dir, 'ca'), `ca.${domain}-cert.pem`, `ca.${domain}`, domain);
  const tlsca = await loadOrCreateCa(join(dir, 'tlsca'), `tlsca.${domain}-cert.pem`, `tlsca.${domain}`, domain);
  write(join(dir, 'msp', 'cacerts', `ca.${domain}-cert.pem`), ca.certPem);
  write(join(dir, 'msp', 'tlscacerts', `tlsca.${domain}-cert.pem`), tlsca.certPem);
  const peerName = `peer0.${domain}`;
  const peerDir = join(dir, 'peers', peerName);
  const peer = await loadOrIssueMsp(join(peerDir, 'msp'), peerName, ca, `ca.${domain}-cert.pem`, { commonName: peerName, org: domain, ou: 'peer' }, mspId);
  const tlsDir = join(peerDir, 'tls');
  if (!existsSync(join(tlsDir, 'server.crt'))) {
    const t = await issue(tlsca, { commonName: peerName, org: domain, ou: 'peer', tlsHosts: ['localhost', '127.0.0.1', peerName] });
    write(join(tlsDir, 'server.crt'), t.certPem);
    write(join(tlsDir, 'server.key'), t.keyPem);
    write(join(tlsDir, 'ca.crt'), tlsca.certPem);
  }
  const admin = await loadOrIssueMsp(join(dir, 'users', `Admin@${domain}`, 'msp'), `Admin@${domain}`, ca, `ca.${domain}-cert.pem`, { commonName: `Admin@${domain}`, org: domain, ou: 'admin' }, mspId);
  const userMsp = join(dir, 'users', `User1@${domain}`, 'msp');
  const user = await loadOrIssueMsp(userMsp, `User1@${domain}`, ca, `ca.${domain}-cert.pem`, { commonName: `User1@${domain}`, org: domain, ou: 'client' }, mspId);
  return {
    name,
    domain,
    mspId,
    dir,
    caCertPem: ca.certPem,
    tlsCaCertPem: tlsca.certPem,
    peer,
    peerTls: { certPem: readFileSync(join(tlsDir, 'server.crt'), 'utf8'), keyPem: readFileSync(join(tlsDir, 'server.key'), 'utf8') },
    admin,
    user,
    userCertPath: join(userMsp, 'signcerts', `User1@${domain}-cert.pem`),
    userKeyDir: join(userMsp, 'keystore'),
    tlsCaCertPath: join(dir, 'tlsca', `tlsca.${domain}-cert.pem`),
  };
}

/** The orderer org (`ordererOrganizations/example.com`, OrdererMSP) and its one orderer identity. */
export async function ordererMaterial(root: string): Promise<OrdererMaterial> {
  const dir = join(root, 'organizations', 'ordererOrganizations', 'example.com');
  const ca = await loadOrCreateCa(join(dir, 'ca'), 'ca.example.com-cert.pem', 'ca.example.com', 'example.com');
  write(join(dir, 'msp', 'cacerts', 'ca.example.com-cert.pem'), ca.certPem);
  const name = 'orderer.example.com';
  const orderer = await loadOrIssueMsp(join(dir, 'orderers', name, 'msp'), name, ca, 'ca.example.com-cert.pem', { commonName: name, org: 'example.com', ou: 'orderer' }, 'OrdererMSP');
  return { mspId: 'OrdererMSP', caCertPem: ca.certPem, orderer };
}

/** A test-network style connection profile for one org's peer. */
export function connectionProfile(org: OrgMaterial, peerEndpoint: string, channel: string): Record<string, unknown> {
  const peerName = `peer0.${org.domain}`;
  return {
    name: `pontis-fabric-${org.name}`,
    version: '1.0.0',
    client: { organization: org.name, connection: { timeout: { peer: { endorser: '300' } } } },
    channels: { [channel]: { peers: { [peerName]: {} } } },
    organizations: { [org.name]: { mspid: org.mspId, peers: [peerName], certificateAuthorities: [] } },
    peers: {
      [peerName]: {
        url: `grpcs://${peerEndpoint}`,
        tlsCACerts: { pem: org.tlsCaCertPem },
        grpcOptions: { 'ssl-target-name-override': 'localhost', hostnameOverride: 'localhost' },
      },
    },
  };
}

/** Writes `connection-orgN.json` beside the org folder, as the test-network does. */
export function writeConnectionProfile(org: OrgMaterial, peerEndpoint: string, channel: string): string {
  const path = join(org.dir, `connection-${org.name}.json`);
  write(path, JSON.stringify(connectionProfile(org, peerEndpoint, channel), null, 2) + '\n');
  return path;
}
