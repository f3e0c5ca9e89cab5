/**
 * Connecting chains, for operators and tools: a governance action carried to a decision (and the
 * trusted initial state of a new client of a Pontis chain, from the `pontis` type's folder).
 */
import { PontisError } from '../errors.ts';
import type { AccountKey } from '../crypto/ed25519.ts';
import type { GovAction } from '../app/tx.ts';
import type { HubClient } from './client.ts';

export { type PontisTrustRoot, pontisTrustRoot } from '../light-clients/pontis/source.ts';
/** A Substrate chain's registration (attested `substrate` client with its writer accounts). */
export { substrateChainRegistration, substrateEventTypes, substrateTrustRoot } from '../light-clients/substrate/registration.ts';

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
