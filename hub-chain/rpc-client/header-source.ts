/** A light client's view of a hub node's RPC: headers, commits and validator sets, none trusted. */
import type { HeaderSource } from '../light-clients/pontis/verifier/client.ts';
import type { SignedHeader } from '../light-clients/pontis/verifier/verifier.ts';
import { ValidatorSet } from '../types/validator-set.ts';
import type { HubClient } from './client.ts';

export class RpcHeaderSource implements HeaderSource {
  constructor(private readonly client: HubClient) {}
  async signedHeader(height: number): Promise<SignedHeader> {
    const h = await this.client.signedHeader(height);
    return { header: h.header, commit: h.commit };
  }
  async validatorSet(height: number): Promise<ValidatorSet> {
    return new ValidatorSet((await this.client.validators(height)).validators);
  }
  async latestHeight(): Promise<number> {
    return (await this.client.status()).latestHeight;
  }
}
