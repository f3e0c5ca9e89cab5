/**
 * Connecting chains, for operators and tools: the trusted initial state of a new client of a
 * Pontis chain, read from that chain's RPC, and a governance action carried to a decision.
 */
import { PontisError } from '../errors.ts';
import type { AccountKey } from '../crypto/ed25519.ts';
import type { GovAction } from '../app/tx.ts';
import { trustedStateFrom } from '../light-clients/pontis/verifier/verifier.ts';
import { headerHash } from '../types/header.ts';
import { ValidatorSet } from '../types/validator-set.ts';
import type { HubClient } from './client.ts';

export interface PontisTrustRoot {
  height: number;
  /** Initial state of a `pontis` client: header and the validator sets that sign it and the next height. */
  pontis: { header: unknown; validators: { validators: unknown[] }; nextValidators: { validators: unknown[] } };
  /** Initial state of an `attested` client of the same chain. */
  attested: { height: number; hash: string; stateRoot: string; timestamp: number };
}

/** The latest header of a Pontis chain with its validator sets, checked to be the ones the header names. */
export async function pontisTrustRoot(c: HubClient, expectChainId?: string): Promise<PontisTrustRoot> {
  const { chainId, latestHeight: h } = await c.status();
  if (expectChainId !== undefined && chainId !== expectChainId) throw new PontisError('PNT_ERR_TRUST_ROOT_CHAIN', `${c.url} serves chain ${chainId}, not ${expectChainId}`);
  if (h < 1) throw new PontisError('PNT_ERR_TRUST_ROOT_EMPTY', `${c.url} has no committed block yet`, { retryable: true });
  const [blk, vals, next] = await Promise.all([c.block(h), c.validators(h), c.validators(h + 1)]);
  const validators = vals.validators.map(({ address, publicKey, power }) => ({ address, publicKey, power }));
  const nextValidators = next.validators.map(({ address, publicKey, power }) => ({ address, publicKey, power }));
  trustedStateFrom(blk.header, new ValidatorSet(validators), new ValidatorSet(nextValidators));
  const header = blk.header;
  return {
    height: h,
    pontis: { header, validators: { validators }, nextValidators: { validators: nextValidators } },
    attested: { height: header.height, hash: headerHash(header), stateRoot: header.stateRoot, timestamp: header.time },
  };
}

/**
 * Proposes `action` with the first member and votes yes with the others until it is decided.
 * Returns the proposal id and its final status ('executed', 'failed', or 'voting' if the members
 * given do not hold enough weight).
 */
export async function proposeAndPass(c: HubClient, members: AccountKey[], action: GovAction): Promise<{ id: number; status: string }> {
  const p = await c.send(members[0], [{ type: 'gov/propose', action }]);
  if (p.result.code !== 'ok') throw new PontisError(p.result.code, `proposal refused: ${p.result.log ?? p.result.code}`);
  const id = Number(p.result.events.find((e) => e.type === 'gov/proposed')!.attributes.id);
  let status = (await c.proposal(id)).status;
  for (let i = 1; i < members.length && status === 'voting'; i++) {
    await c.send(members[i], [{ type: 'gov/vote', proposalId: id, approve: true }]);
    status = (await c.proposal(id)).status;
  }
  return { id, status };
}
