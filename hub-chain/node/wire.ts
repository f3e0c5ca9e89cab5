/** JSON wire forms of consensus and sync messages between hub nodes. */
import { PontisError } from '../errors.ts';
import type { ConsensusMessage } from '../consensus/types.ts';
import type { Hex } from '../crypto/bytes.ts';
import { type BlockJSON, blockFromJSON, blockToJSON } from '../types/block.ts';
import type { Commit } from '../types/vote.ts';

export type WireConsensus =
  | { kind: 'proposal'; proposal: Omit<Extract<ConsensusMessage, { kind: 'proposal' }>['proposal'], 'block'> & { block: BlockJSON } }
  | { kind: 'vote'; vote: Extract<ConsensusMessage, { kind: 'vote' }>['vote'] }
  | { kind: 'decided'; block: BlockJSON; commit: Commit };

export type WireMessage =
  | { t: 'hello'; node: Hex; chainId: string; height: number }
  | { t: 'status'; node: Hex; height: number }
  | { t: 'cons'; m: WireConsensus }
  | { t: 'txs'; txs: string[] }
  | { t: 'get-blocks'; from: number; to: number }
  | { t: 'blocks'; items: { block: BlockJSON; commit: Commit }[] }
  | { t: 'req'; id: number; q: SyncQuery }
  | { t: 'res'; id: number; ok: true; data: unknown }
  | { t: 'res'; id: number; ok: false; code: string };

/** What a state-syncing node asks its peers for (answered by `res` with the same id). */
export type SyncQuery =
  | { kind: 'snapshots' }
  | { kind: 'manifest'; height: number }
  | { kind: 'chunk'; height: number; index: number }
  /** header and commit of a height, with the sets that sign it and the next height */
  | { kind: 'light-block'; height: number }
  /** a whole block with its commit, results and block events */
  | { kind: 'block'; height: number };

export function consensusToWire(m: ConsensusMessage): WireConsensus {
  switch (m.kind) {
    case 'proposal':
      return { kind: 'proposal', proposal: { ...m.proposal, block: blockToJSON(m.proposal.block) } };
    case 'vote':
      return m;
    case 'decided':
      return { kind: 'decided', block: blockToJSON(m.block), commit: m.commit };
  }
}

/** Throws on a malformed message; the caller drops it. */
export function consensusFromWire(m: WireConsensus): ConsensusMessage {
  switch (m.kind) {
    case 'proposal':
      return { kind: 'proposal', proposal: { ...m.proposal, block: blockFromJSON(m.proposal.block) } };
    case 'vote':
      return { kind: 'vote', vote: m.vote };
    case 'decided':
      return { kind: 'decided', block: blockFromJSON(m.block), commit: m.commit };
    default:
      throw new PontisError('PNT_ERR_P2P_MALFORMED', 'unknown consensus message kind');
  }
}
