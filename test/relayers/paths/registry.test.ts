/**
 * The chain-kind registry and the router: a kind registers once, the config accepts exactly the
 * registered kinds, and each path goes to the handlers of its non-hub chain's kind.
 */
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../../hub-chain/errors.ts';
import { validateRelayerConfig } from '../../../relayers/config.ts';
import { evmPaths } from '../../../relayers/paths/evm/index.ts';
import { pontisPaths } from '../../../relayers/paths/pontis/index.ts';
import { PathKindRegistry, defaultPathKinds } from '../../../relayers/paths/registry.ts';
import { PathRouter } from '../../../relayers/paths/router.ts';
import type { HubEndpoint, PathHandlers } from '../../../relayers/paths/types.ts';

const config = () => ({
  hub: { chainId: 'hub', rpc: 'http://127.0.0.1:26657', signer: { env: 'K' } },
  chains: [
    { id: 'dept-a', kind: 'pontis', rpc: 'http://127.0.0.1:26660', signer: { env: 'K' } },
    { id: 'evm-a', kind: 'evm', rpc: 'http://127.0.0.1:8545', evmChainId: 31_001, gateway: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', hubClient: '0x5FbDB2315678afecb367f032d93F642f64180aa3', signer: { env: 'K' } },
  ],
  paths: [
    { id: 'path-a', chain: 'dept-a', hub: 'hub' },
    { id: 'path-evm', chain: 'evm-a', hub: 'hub' },
  ],
  redis: { url: 'redis://127.0.0.1:6379' },
});

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

/** Handlers that only say who they are (the router's choice is all this test looks at). */
const named = (name: string): PathHandlers =>
  new Proxy({} as PathHandlers, { get: (_t, method) => (method === 'then' ? undefined : async (...args: unknown[]) => ({ name, method, args })) });

describe('PathKindRegistry', () => {
  it('error: registering a kind twice fails with PNT_ERR_RELAY_KIND_REGISTERED', () => {
    const r = new PathKindRegistry().register(pontisPaths);
    expect(hasCode(thrown(() => r.register(pontisPaths)), 'PNT_ERR_RELAY_KIND_REGISTERED')).toBe(true);
    expect(hasCode(thrown(() => defaultPathKinds().register(evmPaths)), 'PNT_ERR_RELAY_KIND_REGISTERED')).toBe(true);
  });

  it('behavior: the config accepts the registered kinds only; a chain of an unregistered kind is refused at its kind field', () => {
    expect(validateRelayerConfig(config()).chains.map((c) => c.kind)).toEqual(['pontis', 'evm']);
    const e = thrown(() => validateRelayerConfig(config(), new PathKindRegistry().register(pontisPaths))) as { code?: string; details?: { field: string } };
    expect(e?.code).toBe('PNT_ERR_CONFIG_INVALID');
    expect(e.details?.field).toBe('chains.1.kind');
  });

  it('behavior: signer addresses are derived by each chain\'s kind (ed25519 accounts, EVM addresses)', () => {
    const kinds = defaultPathKinds();
    const cfg = validateRelayerConfig(config());
    const key = '0x' + '11'.repeat(32);
    const addrs = kinds.signerAddresses(cfg, new Map([['hub', [key]], ['dept-a', [key]], ['evm-a', [key]]]));
    expect(addrs.hub).toEqual([pontisPaths.signerAddress(key)]);
    expect(addrs['dept-a']).toEqual(addrs.hub);
    expect(addrs['evm-a']).toEqual([evmPaths.signerAddress(key)]);
    expect(addrs['evm-a'][0]).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(addrs['evm-a']).not.toEqual(addrs.hub);
  });
});

describe('PathRouter', () => {
  const hub = { chainId: 'hub', latestHeight: async () => 7 } as unknown as HubEndpoint;
  const router = new PathRouter(hub, new Map([['dept-a', named('pontis')], ['evm-a', named('evm')]]));

  it('behavior: each call goes to the handlers of the non-hub end, in either direction', async () => {
    expect(await router.relayPackets('evm-a', 'hub', [])).toMatchObject({ name: 'evm', method: 'relayPackets' });
    expect(await router.relayAcks('hub', 'evm-a', [])).toMatchObject({ name: 'evm', method: 'relayAcks' });
    expect(await router.timeouts('hub', 'dept-a', [])).toMatchObject({ name: 'pontis', method: 'timeouts' });
    expect(await router.pending('dept-a', 'hub', ['evm-a'])).toMatchObject({ name: 'pontis', method: 'pending' });
    expect(await router.latestHeight('hub')).toBe(7);
    expect(await router.latestHeight('evm-a')).toMatchObject({ name: 'evm', method: 'latestHeight' });
  });

  it('error: a path to a chain no kind opened is refused with PNT_ERR_RELAY_UNKNOWN_CHAIN', async () => {
    await expect(router.relayPackets('dept-z', 'hub', [])).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_UNKNOWN_CHAIN' });
    await expect(router.updateClient('hub', 'dept-z')).rejects.toMatchObject({ code: 'PNT_ERR_RELAY_UNKNOWN_CHAIN' });
  });
});
