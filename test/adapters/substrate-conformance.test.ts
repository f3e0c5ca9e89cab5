/**
 * The chain adapter conformance suite, run for the Substrate adapter against chopsticks running
 * the asset-hub runtime (a block every 500 ms). Events are `System.Remarked` of
 * //Alice's remarks; the faulty endpoints speak WebSocket's transport (a handshake that never
 * completes, one answered with HTTP 500, a port where nothing listens).
 */
import { chainAdapterConformance } from '../conformance/adapter.ts';
import { SubstrateReader } from '../../adapters/substrate/reader.ts';
import { SubstrateWriter } from '../../adapters/substrate/writer.ts';
import { DEV_ACCOUNTS, startChopsticks } from '../support/chopsticks.ts';
import { hangingEndpoint, http500Endpoint, unreachableEndpoint, type FaultyEndpoint } from './faulty-rpc.ts';

chainAdapterConformance(
  'substrate (chopsticks, asset-hub runtime)',
  async () => {
    // a block every 500 ms, as a live chain (in Batch mode chopsticks can leave a transaction in its pool until another one arrives)
    const node = await startChopsticks({ blockTimeMs: 500 });
    const opened: { close(): Promise<void> }[] = [];
    const writer = new SubstrateWriter({ url: node.url, chainId: 'substrate-asset-hub', signer: '//Alice' });
    let seq = 0;
    const through = async (make: () => Promise<FaultyEndpoint>) => {
      const ep = await make();
      opened.push(ep);
      const r = new SubstrateReader({ url: ep.url.replace(/^http/, 'ws'), chainId: writer.chainId, timeoutMs: 300 });
      opened.push(r);
      return r;
    };
    return {
      reader: writer,
      filter: { sources: ['system'], names: ['Remarked'], senders: [DEV_ACCOUNTS.alice] },
      async emit(n) {
        const rs = await writer.submit(Array.from({ length: n }, () => ({ pallet: 'system', call: 'remarkWithEvent', args: [`0x${(seq++).toString(16).padStart(8, '0')}`] })));
        const bad = rs.find((r) => r.status !== 'success');
        if (bad) throw bad.error;
      },
      hangingReader: () => through(hangingEndpoint),
      failingReader: () => through(http500Endpoint),
      unreachableReader: () => through(unreachableEndpoint),
      submitReverting: () => writer.send({ pallet: 'balances', call: 'transferKeepAlive', args: [DEV_ACCOUNTS.bob, 10n ** 20n] }),
      async cleanup() {
        await writer.close();
        for (const o of opened) await o.close();
        await node.stop();
      },
    };
  },
  { writes: true },
);
