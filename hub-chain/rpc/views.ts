/** JSON views of chain objects for RPC clients. */
import { decodeTx } from '../app/tx.ts';
import type { CommittedInfo, StoredBlock } from '../node/chain.ts';
import { headerHash } from '../types/header.ts';

export function blockView(s: StoredBlock) {
  const { header } = s.block;
  return {
    height: header.height,
    hash: headerHash(header),
    header,
    commit: s.commit,
    lastCommit: s.block.lastCommit,
    evidence: s.block.evidence,
    /** Events of the block itself (end-of-block work, evidence), apart from its transactions'. */
    events: s.events ?? [],
    txs: s.block.txs.map((b, i) => {
      const d = decodeTx(b);
      return { hash: d.hash, sender: d.sender, tx: d.tx, result: s.results[i] };
    }),
  };
}

export function blockSummary(c: CommittedInfo) {
  return {
    height: c.block.header.height,
    hash: c.hash,
    time: c.block.header.time,
    stateRoot: c.block.header.stateRoot,
    txs: c.block.txs.length,
    txHashes: c.execution.included.map((d) => d.hash),
    failed: c.execution.results.filter((r) => r.code !== 'ok').length,
  };
}
