/**
 * Nonce allocation for several signer keys (EVM addresses, Substrate accounts). Allocation,
 * signing and broadcast for one key run one at a time (a promise chain per key), so concurrent
 * callers never share or skip a nonce; different keys proceed in parallel. Nothing is kept that
 * a restart needs: the first use of a key, and any use after a failure that leaves the node's
 * view uncertain, reads the pending nonce from the node.
 */
import { AdapterErrorCode, isAdapterError } from './errors.ts';

/** Failures after which the node may or may not have the transaction, or disagrees with our count. */
const RESYNC_AFTER = new Set<string>([AdapterErrorCode.NONCE, AdapterErrorCode.RPC_TIMEOUT, AdapterErrorCode.RPC_UNAVAILABLE, AdapterErrorCode.BAD_RESPONSE, AdapterErrorCode.INTERNAL]);

export class NonceManager {
  private readonly next = new Map<string, number>();
  private readonly queues = new Map<string, Promise<unknown>>();

  /** `pendingNonce` reads the node's count of the address's transactions including pending ones. */
  constructor(private readonly pendingNonce: (address: string) => Promise<number>) {}

  /**
   * Runs `use(nonce)` with the key's next nonce, after every earlier call for the key settled.
   * The nonce counts as used only when `use` resolves (the transaction reached the node).
   */
  async withNonce<T>(address: string, use: (nonce: number) => Promise<T>): Promise<T> {
    const prev = this.queues.get(address) ?? Promise.resolve();
    const run = prev.then(async () => {
      let nonce = this.next.get(address);
      if (nonce === undefined) {
        nonce = await this.pendingNonce(address);
        this.next.set(address, nonce);
      }
      try {
        const r = await use(nonce);
        this.next.set(address, nonce + 1);
        return r;
      } catch (e) {
        // a rejection the node clearly refused leaves the nonce free; anything murkier is re-read
        if (!isAdapterError(e) || RESYNC_AFTER.has(e.code)) this.next.delete(address);
        throw e;
      }
    });
    // the queue continues after a failure; the caller sees the failure
    this.queues.set(
      address,
      run.catch(() => undefined),
    );
    return run;
  }

  /** Forget the local count: the next use re-reads it from the node. */
  reset(address: string): void {
    this.next.delete(address);
  }
}
