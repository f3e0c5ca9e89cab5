/** Node metrics in Prometheus text format. */
import type { CommittedInfo } from './chain.ts';
import type { MempoolStats } from '../app/mempool.ts';

export class Metrics {
  height = 0;
  blocks = 0;
  txsCommitted = 0;
  txsFailed = 0;
  txsReceived = 0;
  lastBlockTime = 0;
  lastBlockIntervalMs = 0;
  /** The node's mempool, read at render time. */
  mempool: { stats(): MempoolStats } | undefined;
  /** Block sync, read at render time. */
  sync: { stats(): { running: boolean; applied: number; lastRateBlocksPerS: number } } | undefined;
  /** Height a state sync restored (0: none). */
  restoredHeight = 0;

  onBlock(c: CommittedInfo): void {
    this.height = c.block.header.height;
    this.blocks++;
    this.txsCommitted += c.execution.results.length;
    this.txsFailed += c.execution.results.filter((r) => r.code !== 'ok').length;
    if (this.lastBlockTime) this.lastBlockIntervalMs = c.block.header.time - this.lastBlockTime;
    this.lastBlockTime = c.block.header.time;
  }

  render(extra: Record<string, number>): string {
    const lines: string[] = [];
    const m = (name: string, type: 'gauge' | 'counter', help: string, v: number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${v}`);
    m('pontis_block_height', 'gauge', 'Latest committed height', this.height);
    m('pontis_blocks_committed_total', 'counter', 'Blocks committed by this process', this.blocks);
    m('pontis_txs_committed_total', 'counter', 'Transactions committed', this.txsCommitted);
    m('pontis_txs_failed_total', 'counter', 'Committed transactions whose messages failed', this.txsFailed);
    m('pontis_txs_received_total', 'counter', 'Transactions accepted from clients', this.txsReceived);
    m('pontis_block_interval_ms', 'gauge', 'Time between the last two blocks', this.lastBlockIntervalMs);
    if (this.mempool) {
      const s = this.mempool.stats();
      m('pontis_mempool_executable_txs', 'gauge', 'Pending transactions whose nonces continue the account nonce', s.executable);
      m('pontis_mempool_future_txs', 'gauge', 'Pending transactions waiting above a nonce gap', s.future);
      lines.push('# HELP pontis_mempool_evicted_total Transactions dropped from the mempool uncommitted, by reason', '# TYPE pontis_mempool_evicted_total counter');
      for (const [reason, v] of Object.entries(s.evicted)) lines.push(`pontis_mempool_evicted_total{reason="${reason}"} ${v}`);
    }
    if (this.sync) {
      const s = this.sync.stats();
      m('pontis_block_sync_running', 'gauge', '1 while the node catches up by block sync (out of consensus)', s.running ? 1 : 0);
      m('pontis_block_sync_applied_total', 'counter', 'Blocks committed by block sync', s.applied);
      m('pontis_block_sync_last_rate', 'gauge', 'Blocks per second of the last block sync session', s.lastRateBlocksPerS);
    }
    m('pontis_state_sync_restored_height', 'gauge', 'Height of the snapshot state sync restored (0: none)', this.restoredHeight);
    for (const [k, v] of Object.entries(extra)) m(k, 'gauge', k.replace(/_/g, ' '), v);
    return lines.join('\n') + '\n';
  }
}
