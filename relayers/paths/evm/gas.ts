/**
 * Gas limits for the Gateway's batch calls (recvBatches, recvPackets, acknowledge, timeout)
 * without eth_estimateGas. The estimate executes the whole batch again on the node, several times
 * over (a search for the least gas at which the Gateway's per-packet gas check passes), which cost
 * anvil more CPU than the transactions themselves (bench:relay). The first call of a kind is
 * estimated; later ones take the gas a packet of that kind used lately, with room for one whole
 * app call at the end (the Gateway wants `appGasLimit` left before every app call) and a margin.
 * A call that fails with such a limit makes the next one of its kind estimated again.
 */
import { Interface } from 'ethers';
import type { EvmReceipt, EvmWriter } from '../../../adapters/evm/writer.ts';

/** The Gateway a chain's relaying writes to (endpoint.ts holds one per chain). */
interface GatewayTarget {
  readonly writer: EvmWriter;
  readonly gateway: string;
}

/** Below Osaka's per-transaction gas cap (2^24, EIP-7825). */
const TX_GAS_CAP = 16_000_000n;
/** Observations per kind whose largest per-packet gas sets the limit. */
const WINDOW = 8;
const MARGIN = 1.25;
const FIXED = 100_000n;

const appGasIface = new Interface(['function appGasLimit() view returns (uint256)']);

export class GatewayGas {
  private readonly seen = new Map<string, number[]>();
  private appGas: Promise<bigint> | undefined;

  constructor(private readonly evm: GatewayTarget) {}

  /** The limit for a `kind` call of `items` packets, or undefined: estimate it (first of its kind, or too large to guess under the cap). */
  async limit(kind: string, items: number): Promise<bigint | undefined> {
    const per = this.seen.get(kind);
    if (!per?.length || items < 1) return undefined;
    const app = await this.appGasLimit();
    const g = BigInt(Math.ceil(Math.max(...per) * items * MARGIN)) + (app * 64n) / 63n + FIXED;
    return g <= TX_GAS_CAP ? g : undefined;
  }

  /** What a mined call used. */
  learn(kind: string, items: number, gasUsed: bigint): void {
    if (items < 1) return;
    const per = [...(this.seen.get(kind) ?? []), Number(gasUsed) / items].slice(-WINDOW);
    this.seen.set(kind, per);
  }

  /** A call sent with a guessed limit failed: estimate the next one of its kind. */
  forget(kind: string): void {
    this.seen.delete(kind);
  }

  private appGasLimit(): Promise<bigint> {
    this.appGas ??= this.evm.writer.call(this.evm.gateway, appGasIface.encodeFunctionData('appGasLimit', [])).then(
      (r) => BigInt(appGasIface.decodeFunctionResult('appGasLimit', r)[0] as bigint),
      (e: unknown) => {
        this.appGas = undefined;
        throw e;
      },
    );
    return this.appGas;
  }
}

/** Sends a Gateway batch call of `items` packets with a learned limit when there is one. */
export async function sendGatewayCall(evm: GatewayTarget & { readonly gas: GatewayGas }, kind: string, items: number, data: string): Promise<EvmReceipt> {
  const gasLimit = await evm.gas.limit(kind, items);
  try {
    const r = await evm.writer.send({ to: evm.gateway, data, ...(gasLimit !== undefined ? { gasLimit } : {}) });
    evm.gas.learn(kind, items, r.gasUsed);
    return r;
  } catch (e) {
    if (gasLimit !== undefined) evm.gas.forget(kind);
    throw e;
  }
}
