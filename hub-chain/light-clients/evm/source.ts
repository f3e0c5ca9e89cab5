/**
 * Finalized blocks of an EVM chain for the AttestationObserver. A validator votes only for
 * blocks the chain treats as final: the node's `finalized` tag, or, when a depth is configured
 * (chains without that tag), latest - depth. Every block's header is rebuilt from the JSON and
 * must hash to the reported hash, so a vote never pairs one block's hash with another's roots.
 */

import type { FinalizedBlock, FinalizedSource } from '../../modules/clients/types.ts';
import { EVM_ERR, EvmClientError } from './errors.ts';
import type { Hex } from '../../crypto/bytes.ts';
import { hasCode } from '../../errors.ts';
import { type EvmHeader, type RpcBlock, headerFromRpc, verifiedHeaderFromRpc } from './header.ts';
import { qbftBlockHash } from './qbft.ts';
import { type JsonRpcSender, httpJsonRpc } from './json-rpc.ts';

/**
 * The block's header, verified against its hash, as what an attestation vote signs (timestamp in
 * ms). QBFT chains report a hash that leaves out the round and the seals; it binds the roots as
 * well, so it is accepted when the Ethereum rule does not match.
 */
export function finalizedBlockOf(b: RpcBlock): FinalizedBlock {
  let header: EvmHeader;
  let hash: Hex;
  try {
    ({ header, hash } = verifiedHeaderFromRpc(b));
  } catch (e) {
    if (!hasCode(e, EVM_ERR.HEADER_HASH_MISMATCH)) throw e;
    header = headerFromRpc(b);
    hash = qbftHashOrNull(header) ?? '';
    if (hash !== String(b.hash).toLowerCase()) throw e;
  }
  return { height: header.number, hash, stateRoot: header.stateRoot, receiptsRoot: header.receiptsRoot, timestamp: header.timestamp * 1000 };
}

function qbftHashOrNull(h: EvmHeader): Hex | null {
  try {
    return qbftBlockHash(h);
  } catch {
    return null; // extraData is not QBFT
  }
}

export interface EvmFinalizedSourceOptions {
  /** Use latest - depth instead of the `finalized` tag. */
  depth?: number;
  /** The EIP-155 chain id the node must report (checked once, before the first block is used). */
  chainIdNumber?: number;
}

/** Spreads into AttestationObserverOptions (fetchFinalized, fetchAt). */
export interface EvmFinalizedSource extends FinalizedSource {
  /** The block at `height`, or null while it is above the finalized height (or unknown). */
  fetchAt(height: number): Promise<FinalizedBlock | null>;
  /** Height the source treats as final now (0 when none yet). */
  finalizedHeight(): Promise<number>;
}

export function evmFinalizedSource(rpc: string | JsonRpcSender, opts: EvmFinalizedSourceOptions = {}): EvmFinalizedSource {
  const client = typeof rpc === 'string' ? httpJsonRpc(rpc) : rpc;
  const depth = opts.depth;
  if (depth !== undefined && (!Number.isSafeInteger(depth) || depth < 0)) throw new EvmClientError(EVM_ERR.SOURCE_INVALID, 'depth must be a non-negative integer');
  let chainChecked = opts.chainIdNumber === undefined;

  async function checkChain(): Promise<void> {
    if (chainChecked) return;
    const got = Number(BigInt(String(await client.send('eth_chainId', []))));
    if (got !== opts.chainIdNumber) throw new EvmClientError(EVM_ERR.SOURCE_INVALID, `RPC serves chain ${got}, expected ${opts.chainIdNumber}`, { details: { got, expected: opts.chainIdNumber } });
    chainChecked = true;
  }

  async function block(tag: string): Promise<RpcBlock | null> {
    return (await client.send('eth_getBlockByNumber', [tag, false])) as RpcBlock | null;
  }

  async function finalizedHeight(): Promise<number> {
    await checkChain();
    if (depth !== undefined) return Math.max(0, Number(BigInt(String(await client.send('eth_blockNumber', [])))) - depth);
    const b = await block('finalized');
    return b ? Number(BigInt(b.number)) : 0;
  }

  const at = async (height: number): Promise<FinalizedBlock | null> => {
    const b = await block('0x' + height.toString(16));
    if (!b) return null;
    const fb = finalizedBlockOf(b);
    if (fb.height !== height) throw new EvmClientError(EVM_ERR.SOURCE_INVALID, `asked block ${height}, node returned ${fb.height}`);
    return fb;
  };

  return {
    finalizedHeight,
    async fetchFinalized() {
      const h = await finalizedHeight();
      return h >= 1 ? at(h) : null;
    },
    // A height above the finalized one is refused (null): the observer waits instead of voting for a block that can still be reorganised.
    async fetchAt(height) {
      if (!Number.isSafeInteger(height) || height < 1 || height > (await finalizedHeight())) return null;
      return at(height);
    },
  };
}

