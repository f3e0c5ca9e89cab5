/**
 * A fabric-contract-api contract for the network's tests (the Pontis chaincode is built on the
 * same API): served through fabric-shim's ChaincodeFromContract as chaincode-as-a-service, the way
 * `fabric-chaincode-node server` runs a contract package.
 */
import { Contract, type Context } from 'fabric-contract-api';
import type { ChaincodeServerOpts } from 'fabric-shim';
import { freePort } from '../../support/ports.ts';

process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'warning';
const { Shim } = await import('fabric-shim');
const { chaincodeFromContracts } = await import('../../../contracts/fabric/server.ts');

export class RecordsContract extends Contract {
  constructor() {
    super('records');
  }

  async store(ctx: Context, id: string, body: string): Promise<string> {
    if (!/^[a-z0-9-]+$/.test(id)) throw new Error(`bad record id ${id}`);
    await ctx.stub.putState(`app/records/${id}`, Buffer.from(body));
    ctx.stub.setEvent('RecordStored', Buffer.from(id));
    return ctx.clientIdentity.getMSPID();
  }

  async read(ctx: Context, id: string): Promise<string> {
    const v = await ctx.stub.getState(`app/records/${id}`);
    if (v.length === 0) throw new Error(`record ${id} does not exist`);
    return Buffer.from(v).toString('utf8');
  }
}

/** Starts the contract's chaincode server on a free port of 127.0.0.1. */
export async function startRecordsChaincode(): Promise<{ address: string; stop(): void }> {
  const chaincode = chaincodeFromContracts([RecordsContract], 'records', '1.0');
  const address = `127.0.0.1:${await freePort()}`;
  const server = Shim.server(chaincode, { ccid: 'records:1', address } as ChaincodeServerOpts);
  await server.start();
  return { address, stop: () => (server as unknown as { _server: { forceShutdown(): void } })._server.forceShutdown() };
}
