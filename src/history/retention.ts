// Keeps the history bounded: hourly run buckets older than two days are folded into one row
// per source per day, day buckets older than the retention period are deleted, and status
// spans that ended more than max(retention, 90 days) ago are deleted. With several replicas
// on one store, one of them does it at a time (a transaction-level advisory lock).
import type { Store } from '../store/types.ts';
import { addHistograms } from './latency.ts';
import { BUCKET_COLUMNS, bucketOfRow, SPAN_DAYS, type BucketDbRow } from './reader.ts';
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
    const hours = (
      await query<BucketDbRow>(
        `DELETE FROM vigil_history_buckets WHERE width = 'hour' AND bucket_start < $1::timestamptz RETURNING ${BUCKET_COLUMNS}`,
        [hourlyBefore],
      )
    ).map(bucketOfRow);
    const days = new Map<string, BucketRow>();
    for (const hour of hours) {
      const dayStart = Math.floor(hour.bucketStart / DAY_MS) * DAY_MS;
      const key = `${hour.source}\u0000${dayStart}`;
      const day = days.get(key);
      days.set(
        key,
        day
          ? {
              ...day,
              runs: day.runs + hour.runs,
              upRuns: day.upRuns + hour.upRuns,
              latencySumMs: day.latencySumMs + hour.latencySumMs,
              latencyMaxMs: Math.max(day.latencyMaxMs, hour.latencyMaxMs),
              histogram: addHistograms(day.histogram, hour.histogram),
            }
          : { ...hour, bucketStart: dayStart },
      );
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
