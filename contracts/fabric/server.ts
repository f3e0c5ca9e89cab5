/**
 * The Pontis chaincode as a service (Fabric's `ccaas` builder): a gRPC server the peer dials,
 * speaking the chaincode protocol through fabric-shim's ChaincodeServer, with the contracts of
 * contracts.ts routed by fabric-contract-api exactly as `fabric-chaincode-node server` would.
 *
 *   CHAINCODE_ID=<package id> CHAINCODE_SERVER_ADDRESS=0.0.0.0:9999 \
 *     node --import tsx contracts/fabric/server.ts
 *
 * Optional TLS (paths to PEM files): CHAINCODE_TLS_KEY_FILE, CHAINCODE_TLS_CERT_FILE, and
 * CHAINCODE_TLS_CLIENT_CA_FILE to require the peer's client certificate. See README.md.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { type ChaincodeInterface, Shim } from 'fabric-shim';
import { JSONSerializer } from 'fabric-contract-api';
import { contracts } from './contracts.ts';

const require = createRequire(import.meta.url);
/** fabric-shim's router of contract transactions (what its own `server` command builds). */
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js') as new (
  contracts: unknown[],
  serializers: unknown,
  metadata: unknown,
  title: string,
  version: string,
) => ChaincodeInterface;

export interface ChaincodeServerOptions {
  /** The chaincode package id the peer knows it by (`<label>:<hash>`). */
  ccid: string;
  /** host:port to listen on. */
  address: string;
  tls?: { key: Buffer; cert: Buffer; clientCACerts?: Buffer };
  /** fabric-shim's log level (Fabric's names); default CORE_CHAINCODE_LOGGING_LEVEL, else INFO. A refused transaction logs at ERROR. */
  logLevel?: 'CRITICAL' | 'ERROR' | 'WARNING' | 'INFO' | 'DEBUG';
}

export interface RunningChaincode {
  close(): Promise<void>;
}

/**
 * fabric-contract-api's JSON serializer, except for objects: it calls class-transformer's
 * classToPlain, which the class-transformer 0.4.1 that `^0.4.0` resolves to no longer has, so
 * every object result failed (the system contract's GetMetadata among them). Our transactions
 * answer strings; objects are plain data, so JSON.stringify is what classToPlain would give.
 */
class PlainJsonSerializer extends JSONSerializer {
  override toBuffer(result: unknown, schema: Record<string, unknown> = {}, loggerPrefix?: string): Buffer {
    if (result !== null && typeof result === 'object' && !Buffer.isBuffer(result)) return Buffer.from(JSON.stringify(result));
    return super.toBuffer(result, schema, loggerPrefix);
  }
}

/** A chaincode (Init/Invoke) of fabric-contract-api contract classes, routed as `fabric-chaincode-node server` would. */
export function chaincodeFromContracts(classes: readonly unknown[], title: string, version: string): ChaincodeInterface {
  const serializers = { transaction: 'jsonSerializer', serializers: { jsonSerializer: PlainJsonSerializer } };
  return new ChaincodeFromContract([...classes], serializers, {}, title, version);
}

/** The chaincode the server runs: the Pontis contracts. */
export function pontisChaincode(): ChaincodeInterface {
  return chaincodeFromContracts(contracts, 'pontis', '0.1.0');
}

/**
 * fabric-shim logs every chaincode-stream message at debug level, and winston formats a message
 * (timestamp, metadata, colours, padding) before its transport drops it for its level: measured
 * under bench:fabric, 8% of the Fabric network stand-in's CPU went to formatting messages nobody
 * saw. The shim's winston loggers skip disabled levels before formatting from here on.
 */
function skipDisabledShimLogs(): void {
  const winston = createRequire(require.resolve('fabric-shim/lib/logger.js'))('winston') as { Logger: { prototype: Record<string, unknown> } };
  const proto = winston.Logger.prototype as { _transform(info: Record<symbol, string>, enc: string, cb: () => void): void; isLevelEnabled(level: string): boolean; __pontisSkip?: true };
  if (proto.__pontisSkip) return;
  const format = proto._transform;
  const LEVEL = Symbol.for('level');
  proto._transform = function (this: typeof proto, info, enc, cb) {
    if (info[LEVEL] !== undefined && !this.isLevelEnabled(info[LEVEL])) return cb();
    format.call(this, info, enc, cb);
  };
  proto.__pontisSkip = true;
}

export async function startChaincodeServer(o: ChaincodeServerOptions): Promise<RunningChaincode> {
  const tlsProps = o.tls ? { key: o.tls.key, cert: o.tls.cert, clientCACerts: o.tls.clientCACerts as Buffer } : (undefined as never);
  if (o.logLevel) {
    (require('fabric-shim/lib/logger.js') as { setLevel(level: string): void }).setLevel(o.logLevel);
    skipDisabledShimLogs();
  }
  const server = Shim.server(pontisChaincode(), { ccid: o.ccid, address: o.address, tlsProps });
  await server.start();
  const grpcServer = (server as unknown as { _server: { tryShutdown(cb: () => void): void } })._server;
  return { close: () => new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve())) };
}

/** Options from the environment, as the ccaas builder's connection.json and Fabric's docs name them. */
export function optionsFromEnv(env: NodeJS.ProcessEnv): ChaincodeServerOptions {
  const ccid = env.CHAINCODE_ID;
  const address = env.CHAINCODE_SERVER_ADDRESS;
  if (!ccid || !address) throw new Error('CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set');
  const key = env.CHAINCODE_TLS_KEY_FILE;
  const cert = env.CHAINCODE_TLS_CERT_FILE;
  if (Boolean(key) !== Boolean(cert)) throw new Error('CHAINCODE_TLS_KEY_FILE and CHAINCODE_TLS_CERT_FILE go together');
  const ca = env.CHAINCODE_TLS_CLIENT_CA_FILE;
  return { ccid, address, tls: key && cert ? { key: readFileSync(key), cert: readFileSync(cert), clientCACerts: ca ? readFileSync(ca) : undefined } : undefined };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const o = optionsFromEnv(process.env);
  await startChaincodeServer(o);
  process.stdout.write(`pontis chaincode ${o.ccid} listening on ${o.address}${o.tls ? ' (TLS)' : ''}\n`);
}
