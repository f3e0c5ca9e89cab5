/** Deploys PontisClient instances that trust a ChainBuilder header, and submits its headers. */
import type { Contract } from 'ethers';
import { solidityHeader, updateClientArgs, validatorArrays } from '../../contracts/evm/encode.ts';
import type { ChainBuilder } from '../support/chain-builder.ts';
import type { SignedHeader } from '../../hub-chain/light-clients/pontis/verifier/verifier.ts';
import type { ValidatorSet } from '../../hub-chain/types/validator-set.ts';
import type { Anvil } from './anvil.ts';

/** Long enough that no test header expires; the expiry test deploys with a short one. */
export const LONG_TRUSTING_MS = 10n ** 12n;
export const CLOCK_DRIFT_MS = 60_000n;

export async function deployClient(anvil: Anvil, chain: ChainBuilder, trustedHeight: number, trustingPeriodMs = LONG_TRUSTING_MS): Promise<Contract> {
  const { validators, powers } = validatorArrays(chain.validatorSet(trustedHeight));
  return anvil.deploy('PontisClient', chain.chainId, trustingPeriodMs, CLOCK_DRIFT_MS, solidityHeader(chain.header(trustedHeight)), validators, powers);
}

/** Sends updateClient and waits for it to be mined; rejects with the revert. */
export async function submit(client: Contract, sh: SignedHeader, set: ValidatorSet): Promise<{ gasUsed: bigint; frozenEvent: boolean }> {
  const tx = await client.updateClient(...updateClientArgs(sh, set));
  const rcpt = await tx.wait();
  const frozenEvent = rcpt.logs.some((l: { topics: string[] }) => l.topics[0] === client.interface.getEvent('ClientFrozen')!.topicHash);
  return { gasUsed: rcpt.gasUsed as bigint, frozenEvent };
}

/** Chain times start a little in the past so that anvil's clock (the wall clock) is ahead of every header. */
export function recentGenesis(heights: number, intervalMs = 1000): number {
  return Date.now() - (heights + 10) * intervalMs;
}
