/**
 * Checking identities the way Fabric's MSP does (the hub's `fabric` client and the network
 * stand-in's peers and orderer share it): a creator or endorser is a
 * `msp.SerializedIdentity{mspid, id_bytes = certificate PEM}`, trusted when the certificate
 * chains to a root CA of that MSP and is valid now; signatures are ECDSA P-256 over SHA-256 in
 * DER, low-S only (Fabric refuses high-S signatures as malleable).
 */
import { createHash, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { msp } from '@hyperledger/fabric-protos';
import { FABRIC_ERR, FabricClientError } from './errors.ts';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = N >> 1n;

export function serializeIdentity(mspId: string, certPem: string): Uint8Array {
  const id = new msp.SerializedIdentity();
  id.setMspid(mspId);
  id.setIdBytes(Buffer.from(certPem));
  return id.serializeBinary();
}

function derInts(sig: Uint8Array): [bigint, bigint, number, number] | undefined {
  // SEQUENCE { INTEGER r, INTEGER s } with short lengths (P-256 signatures are < 128 bytes)
  if (sig.length < 8 || sig[0] !== 0x30 || sig[1] !== sig.length - 2 || sig[2] !== 0x02) return undefined;
  const rLen = sig[3];
  const sAt = 4 + rLen;
  if (sig[sAt] !== 0x02) return undefined;
  const sLen = sig[sAt + 1];
  if (sAt + 2 + sLen !== sig.length) return undefined;
  const big = (b: Uint8Array) => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
  return [big(sig.subarray(4, sAt)), big(sig.subarray(sAt + 2)), rLen, sLen];
}

function derInt(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

/** Rewrites a DER signature to its low-S form (s' = n - s), as Fabric's signers do. */
export function toLowS(sig: Uint8Array): Uint8Array {
  const p = derInts(sig);
  if (!p || p[1] <= HALF_N) return sig;
  const body = Buffer.concat([derInt(p[0]), derInt(N - p[1])]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

export function isHighS(sig: Uint8Array): boolean {
  const p = derInts(sig);
  return p !== undefined && p[1] > HALF_N;
}

/** The MSPs a node trusts: root CA certificates per MSP id; parsed certificates cached by PEM hash. */
export class MspRegistry {
  readonly #roots = new Map<string, X509Certificate[]>();
  readonly #cache = new Map<string, X509Certificate>();

  constructor(roots: Record<string, string[]>) {
    for (const [id, pems] of Object.entries(roots)) this.#roots.set(id, pems.map((p) => new X509Certificate(p)));
  }

  get mspIds(): string[] {
    return [...this.#roots.keys()];
  }

  #parse(pem: string): X509Certificate {
    const h = createHash('sha256').update(pem).digest('hex');
    let c = this.#cache.get(h);
    if (!c) {
      try {
        c = new X509Certificate(pem);
      } catch (e) {
        throw new FabricClientError(FABRIC_ERR.IDENTITY, 'identity bytes are not an x509 certificate', { cause: e });
      }
      this.#cache.set(h, c);
    }
    return c;
  }

  readonly #validated = new Map<string, { mspId: string; cert: X509Certificate }>();

  /** Decodes a serialized identity and checks it chains to its MSP's roots and is valid at `at`. */
  validate(serialized: Uint8Array, at = new Date()): { mspId: string; cert: X509Certificate } {
    // the chain check is the costly part and does not depend on `at`: remember identities that passed it
    const h = createHash('sha256').update(serialized).digest('hex');
    let known = this.#validated.get(h);
    if (!known) {
      known = this.#chain(serialized);
      if (this.#validated.size > 10_000) this.#validated.clear();
      this.#validated.set(h, known);
    }
    const { mspId, cert } = known;
    if (at < new Date(cert.validFrom) || at > new Date(cert.validTo)) throw new FabricClientError(FABRIC_ERR.IDENTITY, `certificate of ${mspId} is not valid at ${at.toISOString()}`);
    return known;
  }

  #chain(serialized: Uint8Array): { mspId: string; cert: X509Certificate } {
    let id: msp.SerializedIdentity;
    try {
      id = msp.SerializedIdentity.deserializeBinary(serialized);
    } catch (e) {
      throw new FabricClientError(FABRIC_ERR.IDENTITY, 'malformed serialized identity', { cause: e });
    }
    const mspId = id.getMspid();
    const roots = this.#roots.get(mspId);
    if (!roots) throw new FabricClientError(FABRIC_ERR.IDENTITY, `MSP ${JSON.stringify(mspId)} is not a member of this channel`);
    const cert = this.#parse(Buffer.from(id.getIdBytes_asU8()).toString('utf8'));
    if (!roots.some((r) => cert.checkIssued(r) && cert.verify(r.publicKey))) {
      throw new FabricClientError(FABRIC_ERR.IDENTITY, `certificate ${cert.subject.replace(/\n/g, ',')} is not issued by a CA of ${mspId}`);
    }
    return { mspId, cert };
  }

  /** Checks `signature` by `serialized` over `message`; returns the signer's MSP id. */
  verify(serialized: Uint8Array, message: Uint8Array, signature: Uint8Array, at?: Date): string {
    const { mspId, cert } = this.validate(serialized, at);
    if (isHighS(signature)) throw new FabricClientError(FABRIC_ERR.SIGNATURE, 'signature has a high S value');
    let ok = false;
    try {
      ok = nodeVerify('sha256', message, { key: cert.publicKey, dsaEncoding: 'der' }, signature);
    } catch {
      ok = false;
    }
    if (!ok) throw new FabricClientError(FABRIC_ERR.SIGNATURE, `signature of ${mspId} does not verify`);
    return mspId;
  }
}
