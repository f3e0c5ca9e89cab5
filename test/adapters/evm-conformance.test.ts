/**
 * The chain adapter conformance suite, run for the EVM adapter against a real anvil node.
 */
import { chainAdapterConformance } from '../conformance/adapter.ts';
import { EvmReader } from '../../adapters/evm/reader.ts';
import { EvmWriter } from '../../adapters/evm/writer.ts';
import { startAnvil } from '../support/anvil.ts';
import { deployEmitter, EMITTER_ABI, noteCall } from './emitter.ts';
import { hangingEndpoint, http500Endpoint, unreachableEndpoint, type FaultyEndpoint } from './faulty-rpc.ts';

chainAdapterConformance(
  'evm (anvil)',
  async () => {
    const anvil = await startAnvil();
    const opened: { close(): Promise<void> }[] = [];
    const writer = new EvmWriter({ url: anvil.url, evmChainId: anvil.chainId, abi: EMITTER_ABI, privateKeys: [anvil.accounts[0]], pollIntervalMs: 20 });
    const emitter = await deployEmitter(writer);
    let seq = 0;
    const through = async (make: () => Promise<FaultyEndpoint>) => {
      const ep = await make();
      opened.push(ep);
      return new EvmReader({ url: ep.url, evmChainId: anvil.chainId, abi: EMITTER_ABI, timeoutMs: 300 });
    };
    return {
      reader: writer,
      filter: { sources: [emitter], names: ['Note'] },
      async emit(n) {
        const rs = await writer.submit(Array.from({ length: n }, () => ({ to: emitter, data: noteCall(seq++) })));
        const bad = rs.find((r) => r.status !== 'success');
        if (bad) throw bad.error;
      },
      hangingReader: () => through(hangingEndpoint),
      failingReader: () => through(http500Endpoint),
      unreachableReader: () => through(unreachableEndpoint),
      submitReverting: () => writer.send({ to: emitter, data: '0x' }),
      async cleanup() {
        await writer.close();
        for (const o of opened) await o.close();
        await anvil.stop();
      },
    };
  },
  { writes: true },
);
