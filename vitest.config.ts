import { defineConfig } from 'vitest/config';

/**
 * Tests that start processes, servers or chains (hub validators, anvil, chopsticks, Redis, the
 * Fabric stand-in, relayers) run one file at a time in each of two streams: one for the files
 * whose hub validators run as separate processes (consensus under restarts, floods, the devnet),
 * one for the rest (anvil, chopsticks and Fabric spokes, relayers against an in-process or small
 * hub), which mostly wait on block times and polling. On a 2-core machine two multi-process hubs
 * at once would slow each other's consensus; one of each side by side does not. Everything else
 * runs in-process and CPU-bound, two files at a time, before them. All groups share their
 * workers' loaded modules (isolate: false: ~100 s of imports saved); test files keep no state
 * between them, which shuffled file orders check (--sequence.shuffle.files).
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

/** System tests whose hub validators are separate processes: the second stream. */
const HUB_PROCESSES = [
  'test/e2e/devnet.test.ts',
  'test/e2e/hub-multiprocess.test.ts',
  'test/e2e/interchain-multiprocess.test.ts',
  'test/e2e/catch-up.test.ts',
  'test/e2e/state-sync.test.ts',
  'test/e2e/state-sync-attacks.test.ts',
  'test/e2e/mempool-flood.test.ts',
  'test/e2e/mempool-gossip.test.ts',
  'test/e2e/rpc-flood.test.ts',
  'test/e2e/rpc.test.ts',
  'test/e2e/audit-verify.test.ts',
  'test/e2e/interchain-queries.test.ts',
  'test/e2e/attested.test.ts',
  'test/e2e/sdk-example.test.ts',
  'test/e2e/verified-reader.test.ts',
  'test/e2e/evm-interchain.test.ts',
  'test/e2e/evm-bridge.test.ts',
  'test/e2e/evm-data.test.ts',
  'test/spec/live-node.test.ts',
  'test/hub-chain/node/p2p-limits.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: SYSTEM, maxWorkers: 2, isolate: false, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'system', include: SYSTEM, exclude: HUB_PROCESSES, maxWorkers: 1, isolate: false, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'hub-processes', include: HUB_PROCESSES, maxWorkers: 1, isolate: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
