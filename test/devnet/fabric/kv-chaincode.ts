/**
 * A small chaincode for the network's tests, written on fabric-shim's ChaincodeInterface and
 * served as chaincode-as-a-service (`shim.server`): the network's peers dial it.
 * Functions: put(k, v), get(k), del(k), range(start, end) -> JSON [[k, v]...],
 * history(k) -> JSON [[txId, value | null]...] newest first,
 * emit(k, v, eventName) (put + chaincode event with payload v), fail(message),
 * copy(from, to) (reads one key, writes another: the MVCC test's read).
 */
import type { ChaincodeInterface, ChaincodeResponse, ChaincodeServerOpts, ChaincodeStub } from 'fabric-shim';
import { freePort } from '../../support/ports.ts';

// fabric-shim reads its log level when its modules load: quiet its per-transaction info lines
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'warning';
const { Shim: shim } = await import('fabric-shim');

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

class KvChaincode implements ChaincodeInterface {
  async Init(): Promise<ChaincodeResponse> {
    return shim.success();
  }

  async Invoke(stub: ChaincodeStub): Promise<ChaincodeResponse> {
    const { fcn, params } = stub.getFunctionAndParameters();
    switch (fcn) {
      case 'put':
        await stub.putState(params[0], Buffer.from(params[1]));
        return shim.success(Buffer.from(params[1]));
      case 'get':
        return shim.success(Buffer.from(await stub.getState(params[0])));
      case 'del':
        await stub.deleteState(params[0]);
        return shim.success();
      case 'range': {
        const out: [string, string][] = [];
        const it = await stub.getStateByRange(params[0], params[1]);
        for (let r = await it.next(); !r.done; r = await it.next()) out.push([r.value.key, text(r.value.value)]);
        await it.close();
        return shim.success(Buffer.from(JSON.stringify(out)));
      }
      case 'history': {
        const out: [string, string | null][] = [];
        const it = await stub.getHistoryForKey(params[0]);
        for (let r = await it.next(); !r.done; r = await it.next()) out.push([r.value.txId, r.value.isDelete ? null : text(r.value.value)]);
        await it.close();
        return shim.success(Buffer.from(JSON.stringify(out)));
      }
      case 'emit':
        await stub.putState(params[0], Buffer.from(params[1]));
        stub.setEvent(params[2], Buffer.from(params[1]));
        return shim.success(Buffer.from(stub.getTxID()));
      case 'copy': {
        const v = await stub.getState(params[0]);
        await stub.putState(params[1], Buffer.from(v));
        return shim.success(Buffer.from(v));
      }
      case 'fail':
        return shim.error(params[0] ?? 'failed');
      default:
        return shim.error(`unknown function ${fcn}`);
    }
  }
}

/** A free TCP port on 127.0.0.1 (a chaincode server must know its address before it binds). */

/** Starts the chaincode server on 127.0.0.1:`port` (0: any free port); returns its address. */
export async function startKvChaincode(port = 0, tls?: { certPem: string; keyPem: string }): Promise<{ address: string; stop(): void }> {
  if (port === 0) port = await freePort();
  const address = `127.0.0.1:${port}`;
  const tlsProps = tls ? { cert: Buffer.from(tls.certPem), key: Buffer.from(tls.keyPem) } : undefined;
  const server = shim.server(new KvChaincode(), { ccid: 'kv:1', address, ...(tlsProps ? { tlsProps } : {}) } as ChaincodeServerOpts);
  await server.start();
  return { address, stop: () => (server as unknown as { _server: { forceShutdown(): void } })._server.forceShutdown() };
}
