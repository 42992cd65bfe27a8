// Keeps the history bounded: hourly run buckets older than two days are folded into one row
// per source per day, day buckets older than the retention period are deleted, and status
// spans that ended more than max(retention, 90 days) ago are deleted. With several replicas
// on one store, one of them does it at a time (a transaction-level advisory lock).
import type { Store } from '../store/types.ts';
import { addHistograms, emptyHistogram } from './latency.ts';
import { SPAN_DAYS } from './reader.ts';
import { UPSERT_BUCKETS, upsertParams, type BucketRow } from './recorder.ts';

const DAY_MS = 86_400_000;
const HOURLY_KEPT_MS = 2 * DAY_MS;
/** "vigil-history" in spirit: any constant shared by every Vigil process. */
const RETENTION_LOCK_KEY = 0x76686973;

export interface RetentionOutcome {
  readonly skipped: boolean;
  readonly foldedHours: number;
  readonly deletedBuckets: number;
  readonly deletedSpans: number;
}

export async function applyRetention(store: Store, retentionMs: number, nowMs: number): Promise<RetentionOutcome> {
  return store.transaction(async (query) => {
    const [lock] = await query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [RETENTION_LOCK_KEY]);
    if (!lock?.locked) return { skipped: true, foldedHours: 0, deletedBuckets: 0, deletedSpans: 0 };
    const hourlyBefore = new Date(Math.floor((nowMs - HOURLY_KEPT_MS) / DAY_MS) * DAY_MS).toISOString();
    const hours = await query<{
      source: string;
      bucket_start: unknown;
      runs: number;
      up_runs: number;
      latency_sum_ms: number;
      latency_max_ms: number;
      histogram: unknown;
    }>(
      `DELETE FROM vigil_history_buckets WHERE width = 'hour' AND bucket_start < $1::timestamptz
       RETURNING source, bucket_start, runs, up_runs, latency_sum_ms, latency_max_ms, histogram`,
      [hourlyBefore],
    );
    const days = new Map<string, BucketRow & { histogram: number[] }>();
    for (const row of hours) {
      const start = row.bucket_start instanceof Date ? row.bucket_start.getTime() : Date.parse(String(row.bucket_start));
      const dayStart = Math.floor(start / DAY_MS) * DAY_MS;
      const key = `${row.source}\u0000${dayStart}`;
      const histogram = Array.isArray(row.histogram) ? row.histogram.map(Number) : emptyHistogram();
      const day = days.get(key);
      if (!day) {
        days.set(key, {
          source: row.source,
          bucketStart: dayStart,
          runs: Number(row.runs),
          upRuns: Number(row.up_runs),
          latencySumMs: Number(row.latency_sum_ms),
          latencyMaxMs: Number(row.latency_max_ms),
          histogram,
        });
      } else {
        days.set(key, {
          ...day,
          runs: day.runs + Number(row.runs),
          upRuns: day.upRuns + Number(row.up_runs),
          latencySumMs: day.latencySumMs + Number(row.latency_sum_ms),
          latencyMaxMs: Math.max(day.latencyMaxMs, Number(row.latency_max_ms)),
          histogram: addHistograms(day.histogram, histogram),
        });
      }
    }
    if (days.size > 0) await query(UPSERT_BUCKETS, upsertParams('day', [...days.values()]));
    const bucketsBefore = new Date(nowMs - retentionMs).toISOString();
    const deletedBuckets = await query(`DELETE FROM vigil_history_buckets WHERE bucket_start < $1::timestamptz RETURNING 1 AS gone`, [bucketsBefore]);
    const spansBefore = new Date(nowMs - Math.max(retentionMs, SPAN_DAYS * DAY_MS)).toISOString();
    const deletedSpans = await query(
      `DELETE FROM vigil_history_spans WHERE ended_at IS NOT NULL AND ended_at < $1::timestamptz RETURNING 1 AS gone`,
      [spansBefore],
    );
    return { skipped: false, foldedHours: hours.length, deletedBuckets: deletedBuckets.length, deletedSpans: deletedSpans.length };
  });
}
