/** Job ids, error classification and the metrics text format: the small contracts the pipeline rests on. */
import { describe, expect, it } from 'vitest';
import { isFatalCode } from '../../relayers/errors.ts';
import { RelayerMetrics, renderGauge } from '../../relayers/metrics.ts';
import { JOB_KINDS, jobId } from '../../relayers/relayer.ts';

describe('relayer jobs', () => {
  it('behavior: job ids are deterministic, distinct per range and part, and contain no ":"', () => {
    const ch = 'dept-a/msg/dept-b/msg';
    const ids = [
      jobId('relay-packets', 'path-a', 'dept-a', { heights: [7, 7], part: 0 }),
      jobId('relay-packets', 'path-a', 'dept-a', { heights: [7, 7], part: 1 }),
      jobId('relay-packets', 'path-a', 'dept-a', { heights: [8, 8], part: 0 }),
      jobId('relay-acks', 'path-a', 'dept-a', { heights: [7, 7], part: 0 }),
      jobId('relay-packets', 'path-a', 'pontis-hub-1', { heights: [7, 7], part: 0 }),
      jobId('relay-packets', 'path-a', 'dept-a', { channel: ch, seqs: [1, 20] }),
      jobId('relay-packets', 'path-a', 'dept-a', { channel: ch, seqs: [21, 40] }),
      jobId('timeouts', 'path-a', 'dept-a', { channel: 'dept-a/msg/dept-c/msg', seqs: [1, 20] }),
      jobId('update-client', 'path-b', 'pontis-hub-1', { heights: [99, 99] }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).not.toContain(':');
    expect(jobId('relay-packets', 'path-a', 'dept-a', { channel: ch, seqs: [1, 20] })).toBe(ids[5]);
    expect(ids[0]).toBe('relay-packets.path-a.dept-a.h7-7.p0');
    expect(JOB_KINDS).toEqual(['relay-packets', 'relay-acks', 'timeouts', 'update-client', 'misbehaviour']);
  });

  it('behavior: codes that retrying cannot fix stop a job; the rest are retried', () => {
    for (const c of ['PNT_ERR_PROOF_INVALID', 'PNT_ERR_LC_BAD_COMMIT', 'PNT_ERR_CLIENT_FROZEN', 'PNT_ERR_CLIENT_EXPIRED', 'PNT_ERR_PACKET_COMMITMENT_MISMATCH', 'PNT_ERR_PACKET_TIMED_OUT']) expect(isFatalCode(c)).toBe(true);
    for (const c of ['PNT_ERR_CLIENT_NO_CONSENSUS', 'PNT_ERR_PACKET_OUT_OF_ORDER', 'PNT_ERR_ROUTE_PAUSED', 'PNT_ERR_RPC_UNREACHABLE', 'PNT_ERR_PACKET_NOT_TIMED_OUT', 'PNT_ERR_RELAY_TIMEOUT_NOT_DUE']) expect(isFatalCode(c)).toBe(false);
  });

  it('behavior: metrics render as Prometheus text with labels, histogram buckets and escaped values', () => {
    const m = new RelayerMetrics();
    m.packetsRelayed.inc({ path: 'path-a', kind: 'relay-packets' }, 3);
    m.packetsRelayed.inc({ kind: 'relay-packets', path: 'path-a' });
    m.failures.inc({ path: 'path-a', kind: 'relay-packets', code: 'PNT_ERR_PROOF_INVALID' });
    m.latency.observe({ path: 'path-a', kind: 'relay-packets' }, 0.3);
    const t = m.render() + '\n' + renderGauge('pontis_relayer_queue_depth', 'depth', [{ labels: { path: 'p"1', kind: 'timeouts', state: 'waiting' }, value: 2 }]);
    expect(t).toContain('pontis_relayer_packets_relayed_total{path="path-a",kind="relay-packets"} 4');
    expect(t).toContain('pontis_relayer_failures_total{path="path-a",kind="relay-packets",code="PNT_ERR_PROOF_INVALID"} 1');
    expect(t).toContain('pontis_relayer_relay_latency_seconds_bucket{path="path-a",kind="relay-packets",le="0.25"} 0');
    expect(t).toContain('pontis_relayer_relay_latency_seconds_bucket{path="path-a",kind="relay-packets",le="0.5"} 1');
    expect(t).toContain('pontis_relayer_relay_latency_seconds_count{path="path-a",kind="relay-packets"} 1');
    expect(t).toContain('pontis_relayer_queue_depth{path="p\\"1",kind="timeouts",state="waiting"} 2');
    expect(t).toContain('# TYPE pontis_relayer_redundant_submissions_total counter');
  });
});
