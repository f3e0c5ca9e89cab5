/** A hub and spokes wired together on one shared clock, for the interchain tests. */
import { toHex, utf8 } from '../../hub-chain/crypto/bytes.ts';
import type { Msg } from '../../hub-chain/app/tx.ts';
import type { Packet } from '../../hub-chain/modules/packets/types.ts';
import { PontisPathHandlers } from '../../relayers/paths/pontis/handlers.ts';
import { relayRound } from '../../relayers/round.ts';
import { SharedClock, TestChain, connect, type TestChainOptions } from '../support/coordinator.ts';

export interface Net {
  clock: SharedClock;
  hub: TestChain;
  spokes: Record<string, TestChain>;
  cursors: Map<string, Record<string, number>>;
  close(): Promise<void>;
}

export async function makeNet(spokeIds: string[], opts: { hubRoutes?: Record<string, string[]>; spoke?: Partial<TestChainOptions>; genesis?: Record<string, Record<string, unknown>>; params?: Record<string, unknown> } = {}): Promise<Net> {
  const clock = new SharedClock();
  const hub = new TestChain(clock, { chainId: 'hub', params: opts.params });
  await hub.makeBlock();
  const spokes: Record<string, TestChain> = {};
  for (const id of spokeIds) {
    const s = new TestChain(clock, { chainId: id, hubChainId: 'hub', ...opts.spoke, params: opts.params, genesisExtra: opts.genesis?.[id] });
    await s.makeBlock();
    spokes[id] = s;
  }
  for (const id of spokeIds) {
    await connect(hub, spokes[id], opts.hubRoutes?.[id] ?? ['*']);
    await connect(spokes[id], hub);
  }
  return {
    clock,
    hub,
    spokes,
    cursors: new Map(),
    async close() {
      await hub.close();
      for (const s of Object.values(spokes)) await s.close();
    },
  };
}

/** Relays every path (each spoke <-> hub) until nothing moves. */
export async function relayAll(net: Net, maxRounds = 10): Promise<number> {
  let total = 0;
  for (let r = 0; r < maxRounds; r++) {
    let moved = 0;
    for (const s of Object.values(net.spokes)) {
      const key = s.chainId;
      const res = await relayRound(new PontisPathHandlers(new Map([[s.chainId, s], ['hub', net.hub]]), 'hub'), s.chainId, 'hub', net.cursors.get(key) ?? {});
      net.cursors.set(key, res.cursor);
      moved += res.submitted.length;
    }
    total += moved;
    if (moved === 0) return total;
  }
  return total;
}

export function sendMsg(dstChain: string, data: string, o: { timeoutHeight?: number; timeoutTimestamp?: number; ordered?: boolean } = {}): Msg {
  return { type: 'msg/send', dstChain, payload: toHex(utf8(data)), timeoutTimestamp: o.timeoutTimestamp ?? 1_900_000_000_000, ...(o.timeoutHeight !== undefined ? { timeoutHeight: o.timeoutHeight } : {}), ...(o.ordered !== undefined ? { ordered: o.ordered } : {}) };
}

export function sentPacket(r: { events: { type: string; attributes: Record<string, string> }[] }): Packet {
  const e = r.events.find((x) => x.type === 'packet/sent');
  if (!e) throw new Error('no packet/sent event');
  return JSON.parse(e.attributes.packet);
}
