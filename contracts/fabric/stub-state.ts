/**
 * The production State: Fabric world state through the chaincode stub. Fabric answers an absent
 * key with an empty value, so the chaincode never stores an empty value (every Pontis value is
 * at least one byte).
 */
import type { ChaincodeStub } from 'fabric-shim';
import type { Bytes } from '../../hub-chain/crypto/bytes.ts';
import type { State } from './state.ts';

export class StubState implements State {
  constructor(private readonly stub: ChaincodeStub) {}

  async get(key: string): Promise<Bytes | undefined> {
    const v = await this.stub.getState(key);
    return v && v.length > 0 ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : undefined;
  }

  put(key: string, value: Bytes): Promise<void> {
    return this.stub.putState(key, value);
  }

  delete(key: string): Promise<void> {
    return this.stub.deleteState(key);
  }
}
