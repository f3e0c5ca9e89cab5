/** Node metrics in Prometheus text format. */
import type { CommittedInfo } from './chain.ts';

export class Metrics {
  height = 0;
  blocks = 0;
  txsCommitted = 0;
  txsFailed = 0;
  txsReceived = 0;
  lastBlockTime = 0;
  lastBlockIntervalMs = 0;

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
    for (const [k, v] of Object.entries(extra)) m(k, 'gauge', k.replace(/_/g, ' '), v);
    return lines.join('\n') + '\n';
  }
}
