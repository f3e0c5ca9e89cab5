/**
 * Reading a Pontis chain for observers and operators: its finalized blocks (committed = final
 * under BFT; the hash is recomputed, not taken from the node) and a trust root for a new client.
 * The RPC client is handed in (ClientTypeEnv.pontisRpc), so this type depends on no RPC code.
 */
import { ZERO_HASH } from '../../crypto/bytes.ts';
import { PontisError } from '../../errors.ts';
import type { ClientTypeCli, FinalizedBlock, FinalizedSource, PontisRpcReader } from '../../modules/clients/types.ts';
import { badOption } from '../../modules/clients/cli.ts';
import { type Header, headerHash } from '../../types/header.ts';
import { ValidatorSet } from '../../types/validator-set.ts';
import { trustedStateFrom } from './verifier/verifier.ts';

export function pontisFinalizedBlock(header: Header): FinalizedBlock {
  return { height: header.height, hash: headerHash(header), stateRoot: header.stateRoot, receiptsRoot: ZERO_HASH, timestamp: header.time };
}

export function pontisFinalizedSource(rpc: Pick<PontisRpcReader, 'block'>): Required<FinalizedSource> {
  return {
    fetchFinalized: async () => pontisFinalizedBlock((await rpc.block('latest')).header),
    fetchAt: async (h) => pontisFinalizedBlock((await rpc.block(h)).header),
  };
}

export interface PontisTrustRoot {
  height: number;
  /** Initial state of a `pontis` client: header and the validator sets that sign it and the next height. */
  pontis: { header: Header; validators: { validators: unknown[] }; nextValidators: { validators: unknown[] } };
  /** Initial state of an `attested` client of the same chain. */
  attested: { height: number; hash: string; stateRoot: string; timestamp: number };
}

/**
 * `--trust-from` for a client of a Pontis chain: its trust root, of which `pick` takes the
 * initial state the client type wants (`pontis` or `attested`).
 */
export function pontisTrustFrom(pick: (t: PontisTrustRoot) => unknown): NonNullable<ClientTypeCli['trustFrom']> {
  return async (url, chainId, kind, env) => {
    if (kind !== 'pontis') throw badOption(`--trust-from reads a Pontis node's RPC; for --kind ${kind} give --initial`);
    const t = await pontisTrustRoot(env.pontisRpc(url), chainId);
    return { initial: pick(t), height: t.height };
  };
}

/** The latest header of a Pontis chain with its validator sets, checked to be the ones the header names. */
export async function pontisTrustRoot(c: PontisRpcReader, expectChainId?: string): Promise<PontisTrustRoot> {
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
