import { defineConfig } from 'vitest/config';

/**
 * Tests that start processes, servers or chains (hub validators, anvil, Redis, the Fabric
 * stand-in, relayers) run one file at a time: on a 2-core machine two of them at once would
 * slow each other's consensus and polling. Everything else runs in-process and CPU-bound, two
 * files at a time, before them. Both groups share their workers' loaded modules (isolate:
 * false: ~100 s of imports saved); test files keep no state between them, which shuffled file
 * orders check (--sequence.shuffle.files).
 */
const SYSTEM = [
  'test/e2e/**/*.test.ts',
  'test/relayers/**/*.test.ts',
  'test/contracts/**/*.test.ts',
  'test/adapters/**/*.test.ts',
  'test/devnet/**/*.test.ts',
  'test/hub-chain/node/p2p-limits.test.ts',
  'test/hub-chain/light-clients/evm/**/*.test.ts',
  'test/conformance/light-clients/evm.test.ts',
  'test/hub-chain/light-clients/substrate/chopsticks.test.ts',
  'test/relayers/substrate-delivery.test.ts',
  'test/spec/live-node.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 180_000,
    globalSetup: ['test/global-setup.ts'],
    hookTimeout: 240_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: SYSTEM, maxWorkers: 2, isolate: false, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'system', include: SYSTEM, maxWorkers: 1, isolate: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
